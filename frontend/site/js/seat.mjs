// The seat this tab holds, kept in sessionStorage so that a reload, or a new connection after a
// drop, can `rejoin` with the token the server granted. sessionStorage is per tab: two tabs are
// two players, and the token never leaves this browser except to the game server.
// The player's name is remembered across visits in localStorage, as a convenience only.

const SEAT_KEY = 'tictactoe.seat';
const NAME_KEY = 'tictactoe.name';

function store(kind) {
  try {
    return globalThis[kind] || null;
  } catch {
    return null; // storage blocked by the browser's settings: the game still works, minus rejoin
  }
}

/** loadSeat returns {roomCode, token, symbol} or {roomCode, watching: true}, or null. */
export function loadSeat() {
  const s = store('sessionStorage');
  try {
    const v = JSON.parse((s && s.getItem(SEAT_KEY)) || 'null');
    if (v && typeof v.roomCode === 'string' && (typeof v.token === 'string' || v.watching === true)) return v;
  } catch {
    // a damaged entry is as good as none
  }
  return null;
}

export function saveSeat(seat) {
  const s = store('sessionStorage');
  try {
    if (s) s.setItem(SEAT_KEY, JSON.stringify(seat));
  } catch {
    // quota or privacy mode: rejoin after a reload will not be possible, play goes on
  }
}

export function clearSeat() {
  const s = store('sessionStorage');
  try {
    if (s) s.removeItem(SEAT_KEY);
  } catch {
    // nothing to clear
  }
}

export function loadName() {
  const s = store('localStorage');
  try {
    return (s && s.getItem(NAME_KEY)) || '';
  } catch {
    return '';
  }
}

export function saveName(name) {
  const s = store('localStorage');
  try {
    if (s) s.setItem(NAME_KEY, name);
  } catch {
    // not remembering a name is fine
  }
}
