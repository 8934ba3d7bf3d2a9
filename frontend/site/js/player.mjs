// This browser's anonymous player (docs/privacy.md): a secret drawn on the first visit and the
// id it makes (the first 16 bytes of its SHA-256, as lambda/players.IDOf), kept in
// localStorage and sent with the frames that seat a player, so that their games, stats and
// rating follow them. No sign-up: a recovery link carries the secret to another device. The
// secret never leaves this browser except to the game server and in that link.

const KEY = 'tictactoe.player';
// The identity a recovery link or "New player" replaced, so that it can be switched back to.
const PREVIOUS = 'tictactoe.player.previous';
const ID = /^[A-Za-z0-9_-]{22}$/; // 16 bytes, unpadded base64url
const SECRET = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes
// A recovery link's fragment: the secret, and whatever a sentence left after it ("…link.").
const RECOVERY = /^#player=([A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-].*)?$/;

// The actions that seat a player carry the credential (lambda/protocol).
const SEATING = new Set(['createRoom', 'joinRoom', 'quickMatch', 'playComputer']);

function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
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

function read(key = KEY) {
  try {
    const p = JSON.parse((storage() && storage().getItem(key)) || 'null');
    return valid(p) ? { id: p.id, secret: p.secret } : null;
  } catch {
    return null;
  }
}

function write(p, key = KEY) {
  try {
    const s = storage();
    if (s && p) s.setItem(key, JSON.stringify(p));
    else if (s) s.removeItem(key);
  } catch {
    // quota or privacy mode: this visit plays unidentified
  }
}

/** idOf is the id secret makes; null where the browser cannot hash (an insecure origin). */
export async function idOf(secret) {
  if (!globalThis.crypto || !crypto.subtle) return null;
  const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret)));
  return b64url(sum.slice(0, 16));
}

/** player returns this browser's credential, or null (none drawn yet, or no storage). */
export function player() {
  return read();
}

/** previous returns the identity this browser played as before the current one, or null. */
export function previous() {
  return read(PREVIOUS);
}

/** ready draws this browser's player on its first visit; it resolves to the credential or null. */
export async function ready() {
  const kept = read();
  if (kept || !storage() || !globalThis.crypto || !crypto.getRandomValues) return kept;
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  const secret = b64url(b);
  const id = await idOf(secret);
  if (!id || read()) return read(); // no hashing here, or another tab drew one meanwhile
  write({ id, secret });
  return read();
}

/** stamp adds the credential to a frame that seats a player. */
export function stamp(frame) {
  if (!SEATING.has(frame.action)) return frame;
  const p = player();
  return p ? { ...frame, player: p } : frame;
}

/**
 * recovery reads a recovery link's fragment: {secret} for a good one, {damaged: true} for a
 * #player= fragment it cannot read, null for none. clearRecovery takes any #player= fragment
 * out of the address bar (a password must not stay there).
 */
export function recovery(hash = location.hash) {
  if (!hash.startsWith('#player=')) return null;
  const m = RECOVERY.exec(hash);
  return m ? { secret: m[1] } : { damaged: true };
}

export function clearRecovery(loc = location, hist = history) {
  if (loc.hash.startsWith('#player=')) hist.replaceState(null, '', loc.pathname + loc.search);
}

/**
 * adopt makes this browser play as secret's player, keeping the one it replaces (previous);
 * it resolves to false where the browser cannot hash.
 */
export async function adopt(secret) {
  const id = await idOf(secret);
  if (!id) return false;
  const current = read();
  if (current && current.id !== id) write(current, PREVIOUS);
  write({ id, secret });
  return true;
}

/** switchBack plays as the previous identity again, keeping the current one as previous. */
export function switchBack() {
  const p = read(PREVIOUS);
  if (!p) return false;
  const current = read();
  write(p);
  write(current, PREVIOUS);
  return true;
}

/** recoveryLink is the link that carries a player (this browser's) to another device. */
export function recoveryLink(p = player(), href = location.href) {
  if (!p) return '';
  return `${new URL('/', href).href}#player=${p.secret}`;
}

/**
 * startAfresh drops this browser's identity and draws a new one; with keep, the dropped one is
 * kept as previous (New player), without it is gone (Forget me erased it on the server).
 */
export async function startAfresh({ keep }) {
  const current = read();
  if (keep && current) write(current, PREVIOUS);
  write(null);
  return ready();
}
