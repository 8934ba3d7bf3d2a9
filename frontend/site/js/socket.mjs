// The one WebSocket to the game server, kept alive: after a drop it reconnects by itself with
// backoff (while the page wants a connection), and tells the app each time it is open again so
// the app can rejoin its room. Frames are JSON both ways (docs/protocol.md).

/** backoff is the wait before reconnect attempt n (0-based): exponential from 0.5 s, capped at
 * 15 s, jittered so that players dropped together do not return at once. */
export function backoff(n, random = Math.random) {
  const base = Math.min(15000, 500 * 2 ** Math.min(n, 10));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** socketUrl is config.js's webSocketUrl: a ws:// or wss:// URL as is, or a path ("/ws", on the
 * page's own host behind CloudFront) resolved against the page (wss:// under HTTPS); else ''. */
export function socketUrl(value, pageUrl) {
  if (typeof value !== 'string') return '';
  if (/^wss?:\/\/[^/]/.test(value)) return value;
  if (!/^\/[A-Za-z0-9._~-]*$/.test(value)) return '';
  const u = new URL(value, pageUrl);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return '';
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

// A connection attempt that neither opens nor fails within this long is abandoned and retried
// (some networks swallow the handshake rather than refuse it).
const CONNECT_TIMEOUT_MS = 10000;

export class Socket {
  // urls: the endpoint, or every Region's in the order to try them (docs/regions.md); on: the
  // onOpen, onFrame, onState and onSend callbacks.
  constructor(urls, on = {}, env = globalThis) {
    this.urls = Array.isArray(urls) ? urls : [urls];
    this.index = 0; // the endpoint in use
    this.url = this.urls[0];
    this.on = on;
    this.env = env;
    this.ws = null;
    this.state = 'closed'; // closed | connecting | open | retrying | broken
    this.keep = false; // reconnect after a drop (the app is in a room or waits for an answer)
    this.attempts = 0;
    this.outbox = [];
    this.timer = 0;
    this.lastSent = 0;
    // refused: the last attempt closed before it opened (a refused or failed handshake; a
    // browser cannot read why). retryAt: when the next attempt starts (Date.now() terms).
    this.refused = false;
    this.retryAt = 0;
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    if (this.on.onState) this.on.onState(s);
  }

  /** open connects now unless a connection is open or on its way. */
  open() {
    if (this.state === 'open' || this.state === 'connecting' || this.state === 'broken') return;
    this.env.clearTimeout(this.timer);
    let ws;
    try {
      ws = new this.env.WebSocket(this.url);
    } catch (err) {
      // Only a malformed URL throws here: retrying cannot help.
      this.setState('broken');
      return;
    }
    this.ws = ws;
    this.setState('connecting');
    this.timer = this.env.setTimeout(() => ws.close(), CONNECT_TIMEOUT_MS);
    let opened = false;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      opened = true;
      this.refused = false;
      this.env.clearTimeout(this.timer);
      this.attempts = 0;
      this.setState('open');
      if (this.on.onOpen) this.on.onOpen();
      const queued = this.outbox.splice(0);
      for (const f of queued) this.send(f);
    });
    ws.addEventListener('message', (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return; // not ours to understand; the protocol only sends JSON
      }
      // API Gateway's own answers (throttled, failed) have only a message.
      const ours = typeof frame?.type === 'string' || (frame?.type === undefined && typeof frame?.message === 'string');
      if (frame && typeof frame === 'object' && ours && this.on.onFrame) this.on.onFrame(frame);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.env.clearTimeout(this.timer);
      this.ws = null;
      // A drop is tried again where it was; an endpoint that then does not open is given up
      // for the next Region's, where the page rejoins its seat.
      if (!opened && this.urls.length > 1) {
        this.index = (this.index + 1) % this.urls.length;
        this.url = this.urls[this.index];
      }
      this.refused = !opened;
      if (this.keep || this.outbox.length > 0) {
        const wait = backoff(this.attempts++);
        this.retryAt = Date.now() + wait;
        this.setState('retrying');
        this.timer = this.env.setTimeout(() => this.open(), wait);
      } else {
        this.setState('closed');
      }
    });
  }

  /** retryNow skips the rest of a backoff wait (the network came back, the tab is visible). */
  retryNow() {
    if (this.state === 'retrying') this.open();
  }

  /** send sends a frame if the connection is open, reporting whether it did. */
  send(frame) {
    if (this.state !== 'open' || !this.ws) return false;
    // onSend may add to a frame (the player's credential: player.mjs).
    this.ws.send(JSON.stringify(this.on.onSend ? this.on.onSend(frame) : frame));
    this.lastSent = Date.now();
    return true;
  }

  /** sendSoon sends a frame now, or once the connection (opened for it) is up. */
  sendSoon(frame) {
    if (this.send(frame)) return;
    this.outbox.push(frame);
    this.open();
  }

  /** idleFor is how long since this page last sent a frame, in milliseconds. */
  idleFor() {
    return Date.now() - this.lastSent;
  }
}
