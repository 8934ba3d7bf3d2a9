// The other tabs of this browser: a room link opened in a second tab asks whether another tab
// plays that room's kept seat before it takes the seat over (the newest tab would win it, and
// throw the first back to the lobby).

const CHANNEL = 'tictactoe.tabs';
// How long an asking tab waits for an answer: a live tab answers in a few milliseconds.
const ANSWER_MS = 250;

function open() {
  try {
    return new BroadcastChannel(CHANNEL);
  } catch {
    return null; // no BroadcastChannel: every tab believes it is alone, as before
  }
}

const channel = open();

/** answer makes this tab say so when another asks about a room that plays(roomCode) is true of. */
export function answer(plays) {
  if (!channel) return;
  channel.addEventListener('message', (e) => {
    const ask = e.data && e.data.ask;
    if (typeof ask === 'string' && plays(ask)) channel.postMessage({ plays: ask });
  });
}

/** playedElsewhere resolves true when another tab of this browser plays a seat in roomCode now. */
export function playedElsewhere(roomCode) {
  if (!channel) return Promise.resolve(false);
  return new Promise((resolve) => {
    const heard = (e) => {
      if (e.data && e.data.plays === roomCode) done(true);
    };
    const timer = setTimeout(() => done(false), ANSWER_MS);
    function done(yes) {
      clearTimeout(timer);
      channel.removeEventListener('message', heard);
      resolve(yes);
    }
    channel.addEventListener('message', heard);
    channel.postMessage({ ask: roomCode });
  });
}
