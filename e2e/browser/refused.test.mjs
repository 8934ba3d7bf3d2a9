// What the page says when the game server turns its socket away at the handshake, which a
// browser cannot read the reason of (API Gateway answers 429 when its throttle is spent): the
// local stack is throttled as a deployment for one game is (cmd/dev -games 1: $connect takes 1
// a second, bursts of 2). Other clients (the test, from outside the browser) take every token as
// it comes back, and the page is let try only when the bucket is provably empty: its retries
// wait for its clock, which the test runs. So the page's tries are turned away by the real
// throttle, not by luck: one could get in only by taking over 0.8 s to arrive and then beating
// the other clients to the token. (A tab opening sockets five times a second, which this test
// used, left a token free about a tenth of the time, and more on a loaded machine.)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { chromiumMissing, launchBrowser, startStack, newPlayer, screenshots, until, waitText } from './harness.mjs';

const skip = chromiumMissing();

// handshake opens one WebSocket to the local API as any client does, and closes it at once if
// it got in. It resolves with the time the answer came, and whether it got in.
function handshake(url) {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/dev', url), {
      agent: false,
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ in: true, at: Date.now() });
    });
    req.on('response', (res) => {
      res.resume();
      if (res.statusCode === 429) resolve({ in: false, at: Date.now() });
      else reject(new Error(`the handshake was answered ${res.statusCode}, not 101 or 429`));
    });
    req.on('error', reject);
    req.end();
  });
}

// The most of a token that may be left in the bucket when Hog.empty() resolves: the next comes
// back no sooner than (1 - LEFT) s later, at 1 a second.
const LEFT = 0.2;

/**
 * Hog takes $connect's tokens from outside the browser as they come back, as a crowd of other
 * clients would: `chains` handshakes under way at all times, each sent again 5 ms after the last
 * was answered, every one that gets in closed at once. empty() resolves when the bucket is
 * provably empty: a handshake that got in right after one was refused (on the same chain) found
 * less than a token plus what came back between the two, so the page's next try finds none for
 * (1 - LEFT) s, and after that it has to beat the hog to the token.
 */
class Hog {
  constructor(url, chains = 2) {
    this.on = true;
    this.waiting = [];
    this.error = null;
    this.loops = Array.from({ length: chains }, (_, i) => this.loop(url, i === 0));
  }

  async loop(url, watch) {
    let refused = 0; // when this chain's last refused handshake was sent
    while (this.on) {
      try {
        const sent = Date.now();
        const got = await handshake(url);
        if (!got.in) refused = sent;
        else if (watch && refused && got.at - refused < LEFT * 1000) this.waiting.splice(0).forEach((resolve) => resolve());
        else refused = 0;
      } catch (err) {
        this.error ??= err;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  empty() {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async stop() {
    this.on = false;
    await Promise.all(this.loops);
    if (this.error) throw this.error;
  }
}

describe('a socket turned away at the handshake', { skip: skip || false }, () => {
  let stack;
  let browser;
  before(async () => {
    [stack, browser] = await Promise.all([startStack({ games: 1 }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('the page says the server is busy, not that the connection was lost, keeps its buttons busy, and gets in once it can', { timeout: 60000 }, async () => {
    const { page, context } = await newPlayer(browser, stack.url);
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws));
    await page.clock.install();
    await page.goto('/');
    // From here the page's timers (its reconnect backoff) run only when the test says.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    await page.evaluate(() => { // typed before
      document.getElementById('name').value = 'Ann';
    });

    // Other clients take every token: Ann's first try (focusing the lobby opens the socket,
    // Enter creates) is turned away.
    const hog = new Hog(stack.url);
    let tried;
    try {
      await hog.empty();
      await page.focus('#create-form button');
      await page.keyboard.press('Enter');
      const said = await waitText(page, '#conn', /^The game server is busy/);
      assert.doesNotMatch(said, /Connection lost/);
      assert.equal(await page.getAttribute('#create-form button', 'aria-disabled'), 'true', 'Create must not look usable while the socket is turned away');
      await screenshots(page, 'turned-away');

      // Its next try, after the backoff, is turned away too: still busy, never "lost".
      tried = sockets.length;
      await hog.empty();
      await page.clock.runFor(1000); // the backoff is under a second for the first retries
      await until(() => sockets.length > tried && sockets.at(-1).isClosed(), 'the page to try again and be turned away');
      await waitText(page, '#conn', /^The game server is busy/);
      assert.equal(await page.getAttribute('#create-form button', 'aria-disabled'), 'true');
    } finally {
      await hog.stop();
    }

    // The bucket refills: the page gets in by itself and its room is made.
    await page.clock.resume();
    await waitText(page, '#invite-code', /^\w{6}$/, 30000);
    await waitText(page, '#conn', /^$/);
    assert.ok(sockets.length > tried + 1, 'it got in on a later try');
    await context.close();
  });
});
