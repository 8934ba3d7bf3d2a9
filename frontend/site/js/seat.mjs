// The seats this browser holds, so that a reload, a new connection after a drop, a room link
// opened in a new tab or after a browser restart can `rejoin` with the token the server
// granted. Tokens are kept per room in localStorage with an expiry (a room lives at most a
// day without a change) and cleared when the seat is gone; which room this tab shows is kept
// in sessionStorage (a spectator's watch too: it holds no token). The token never leaves this
// browser except to the game server. Two tabs on one seat: the newest rejoins it, and the
// server tells the other.
// The player's name is remembered across visits in localStorage, as a convenience only.

const SEAT_KEY = 'tictactoe.seat'; // this tab's room: {roomCode, token, symbol} or {roomCode, watching}
// "roomCode symbol" → {token, symbol, expires (epoch ms)}: both seats of a room can be kept,
// when one browser plays both (two tabs). An entry keyed by the room code alone is an older
// page's, read as its seat's.
const SEATS_KEY = 'tictactoe.seats';
const NAME_KEY = 'tictactoe.name';
/** SEAT_LIFE_MS is how long a kept token is tried: a room expires a day after its last change. */
export const SEAT_LIFE_MS = 24 * 60 * 60 * 1000;

function store(kind) {
  try {
    return globalThis[kind] || null;
  } catch {
    return null; // storage blocked by the browser's settings: the game still works, minus rejoin
  }
}

function read(kind, key) {
  const s = store(kind);
  try {
    return JSON.parse((s && s.getItem(key)) || 'null');
  } catch {
    return null; // a damaged entry is as good as none
  }
}

function write(kind, key, value) {
  const s = store(kind);
  try {
    if (s && value === null) s.removeItem(key);
    else if (s) s.setItem(key, JSON.stringify(value));
  } catch {
    // quota or privacy mode: rejoin will not be possible, play goes on
  }
}

// seats are the kept tokens that have not expired (expired ones are dropped as they are read).
function seats(now) {
  const all = read('localStorage', SEATS_KEY);
  const live = {};
  if (all && typeof all === 'object') {
    for (const [code, v] of Object.entries(all)) {
      if (v && typeof v.token === 'string' && typeof v.expires === 'number' && v.expires > now) live[code] = v;
    }
  }
  return live;
}

/**
 * loadSeat returns this tab's seat ({roomCode, token, symbol} or {roomCode, watching: true}),
 * or, given a room code, the seat this browser keeps for that room; null when there is none.
 */
export function loadSeat(roomCode, now = Date.now()) {
  if (roomCode) return loadSeats(roomCode, now)[0] || null;
  const v = read('sessionStorage', SEAT_KEY);
  if (v && typeof v.roomCode === 'string' && (typeof v.token === 'string' || v.watching === true)) return v;
  return null;
}

/** loadSeats are the seats this browser keeps in roomCode, the most recently kept first. */
export function loadSeats(roomCode, now = Date.now()) {
  return Object.entries(seats(now))
    .filter(([k]) => k === roomCode || k.startsWith(`${roomCode} `))
    .sort(([, a], [, b]) => b.expires - a.expires)
    .map(([, v]) => ({ roomCode, token: v.token, symbol: v.symbol }));
}

/** saveSeat makes seat this tab's and, with a token, keeps it for its room and seat. */
export function saveSeat(seat, now = Date.now()) {
  write('sessionStorage', SEAT_KEY, seat);
  if (typeof seat.token !== 'string') return;
  const all = seats(now);
  delete all[seat.roomCode]; // an older page's entry
  all[`${seat.roomCode} ${seat.symbol}`] = { token: seat.token, symbol: seat.symbol, expires: now + SEAT_LIFE_MS };
  write('localStorage', SEATS_KEY, all);
}

/**
 * clearSeat ends this tab's seat. Unless the seat lives on elsewhere (another tab took it
 * over), its kept token goes too: the seat is gone.
 */
export function clearSeat({ elsewhere = false } = {}, now = Date.now()) {
  const mine = read('sessionStorage', SEAT_KEY);
  write('sessionStorage', SEAT_KEY, null);
  if (elsewhere || !mine || typeof mine.roomCode !== 'string') return;
  const all = seats(now);
  delete all[mine.roomCode];
  delete all[`${mine.roomCode} ${mine.symbol}`];
  write('localStorage', SEATS_KEY, all);
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
