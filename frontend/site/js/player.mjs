// This browser's anonymous player (docs/privacy.md): an id and a secret drawn on the first
// visit and kept in localStorage, sent with the frames that seat a player so that their games,
// stats and rating follow them. No sign-up: a recovery link carries both to another device.
// The secret never leaves this browser except to the game server (and in the recovery link
// the player copies).

const KEY = 'tictactoe.player';
const ID = /^[A-Za-z0-9_-]{22}$/; // 16 random bytes, unpadded base64url
const SECRET = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes
const RECOVERY = /^#player=([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

// The actions that seat a player carry the credential (lambda/protocol).
const SEATING = new Set(['createRoom', 'joinRoom', 'quickMatch', 'playComputer']);

function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function draw(n) {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return b64url(b);
}

function storage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null; // blocked: the player plays unidentified, as before identities
  }
}

function valid(p) {
  return Boolean(p) && ID.test(p.id) && SECRET.test(p.secret);
}

function read() {
  try {
    const p = JSON.parse((storage() && storage().getItem(KEY)) || 'null');
    return valid(p) ? { id: p.id, secret: p.secret } : null;
  } catch {
    return null;
  }
}

function write(p) {
  try {
    const s = storage();
    if (s && p) s.setItem(KEY, JSON.stringify(p));
    else if (s) s.removeItem(KEY);
  } catch {
    // quota or privacy mode: this visit plays unidentified
  }
}

/** player returns this browser's credential, drawing one on the first call; null without storage. */
export function player() {
  const kept = read();
  if (kept) return kept;
  if (!storage() || !globalThis.crypto || !crypto.getRandomValues) return null;
  const p = { id: draw(16), secret: draw(32) };
  write(p);
  return read();
}

/** stamp adds the credential to a frame that seats a player. */
export function stamp(frame) {
  if (!SEATING.has(frame.action)) return frame;
  const p = player();
  return p ? { ...frame, player: p } : frame;
}

/**
 * adoptRecovery takes a recovery link's identity (#player=id.secret) in place of this
 * browser's and clears it from the address bar; it reports whether there was one.
 */
export function adoptRecovery(loc = location, hist = history) {
  const m = RECOVERY.exec(loc.hash);
  if (!m) return false;
  write({ id: m[1], secret: m[2] });
  hist.replaceState(null, '', loc.pathname + loc.search);
  return true;
}

/** recoveryLink is the link that carries this player to another device. */
export function recoveryLink(href = location.href) {
  const p = player();
  if (!p) return '';
  const u = new URL('/', href);
  return `${u.href}#player=${p.id}.${p.secret}`;
}

/** forget drops this browser's identity: the next game draws a new one. */
export function forget() {
  write(null);
}
