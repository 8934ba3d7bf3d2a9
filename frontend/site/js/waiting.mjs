// What this tab waits for the server to answer: one action at a time, until its answer or a
// drop settles it. Pure, so Node's test runner checks it too.

// The lobby's ways into a room, each answered by the room it opens (a watch asks with getRoom;
// a cancelled quick match may still be answered by a pairing).
const OPENS_ROOM = ['createRoom', 'joinRoom', 'playComputer', 'quickMatch', 'cancelQuickMatch', 'watch'];
export const ACTIONS = [...OPENS_ROOM, 'rejoin', 'leaveRoom'];

export function opensRoom(action) {
  return OPENS_ROOM.includes(action);
}

export class Waiting {
  #action = ''; // '' while nothing is awaited

  constructor(onChange = () => {}) {
    this.onChange = onChange; // told after each change
  }

  get action() {
    return this.#action;
  }

  // start throws on a misspelt action, which would otherwise leave the tab waiting for nothing.
  start(action) {
    if (!ACTIONS.includes(action)) throw new TypeError(`waiting: ${action} is not an action a tab waits on`);
    this.#set(action);
  }

  settle() {
    this.#set('');
  }

  is(...actions) {
    return this.#action !== '' && actions.includes(this.#action);
  }

  idle() {
    return this.#action === '';
  }

  // The lobby is busy exactly while this is true.
  opensRoom() {
    return opensRoom(this.#action);
  }

  #set(action) {
    if (this.#action === action) return;
    this.#action = action;
    this.onChange(this);
  }
}
