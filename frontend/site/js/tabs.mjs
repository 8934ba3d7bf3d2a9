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

/** answer makes this tab say which seat it plays when another asks about a room: plays(roomCode)
 * is the seat ('X', 'O'), or '' for none. */
export function answer(plays) {
  if (!channel) return;
  channel.addEventListener('message', (e) => {
    const ask = e.data && e.data.ask;
    const symbol = typeof ask === 'string' ? plays(ask) : '';
    if (symbol) channel.postMessage({ plays: ask, symbol });
  });
}

/** playedElsewhere resolves with the seats of symbols in roomCode that other tabs of this
 * browser play now (a Set), as soon as each has answered, or once a live tab would have. */
export function playedElsewhere(roomCode, symbols) {
  const played = new Set();
  if (!channel) return Promise.resolve(played);
  return new Promise((resolve) => {
    const heard = (e) => {
      if (!e.data || e.data.plays !== roomCode) return;
      played.add(e.data.symbol);
      if (symbols.every((s) => played.has(s))) done();
    };
    const timer = setTimeout(done, ANSWER_MS);
    function done() {
      clearTimeout(timer);
      channel.removeEventListener('message', heard);
      resolve(played);
    }
    channel.addEventListener('message', heard);
    channel.postMessage({ ask: roomCode });
  });
}
