// What the page says when the game server turns its socket away at the handshake, which a
// browser cannot read the reason of (API Gateway answers 429 when its throttle is spent): the
// local stack is throttled as a deployment for one game is (cmd/dev -games 1: $connect takes 1
// a second, bursts of 2), and another tab keeps that bucket empty.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumMissing, launchBrowser, startStack, newPlayer, screenshots, waitText } from './harness.mjs';

const skip = chromiumMissing();

describe('a socket turned away at the handshake', { skip: skip || false }, () => {
  let stack;
  let browser;
  before(async () => {
    stack = await startStack({ games: 1 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('the page says the server is busy, not that the connection was lost, keeps its buttons busy, and gets in once it can', { timeout: 60000 }, async () => {
    // Another tab opening sockets five times a second: the $connect bucket stays empty.
    const hog = await newPlayer(browser, stack.url);
    await hog.page.goto('/');
    await hog.page.evaluate(() => {
      const url = new URL('/dev', location.href);
      url.protocol = 'ws:';
      window.hogTimer = setInterval(() => new WebSocket(url.href), 200);
    });

    const { page, context } = await newPlayer(browser, stack.url);
    await page.goto('/');
    await page.fill('#create-name', 'Ann');
    await page.click('#create-form button');
    const said = await waitText(page, '#conn', /^The game server is busy/, 20000);
    assert.doesNotMatch(said, /Connection lost/);
    assert.equal(await page.getAttribute('#create-form button', 'aria-disabled'), 'true', 'Create must not look usable while the socket is turned away');
    await screenshots(page, 'turned-away');

    // The other tab stops: the page gets in by itself and its room is made.
    await hog.page.evaluate(() => clearInterval(window.hogTimer));
    await waitText(page, '#invite-code', /^\w{6}$/, 30000);
    await waitText(page, '#conn', /^$/);
    await context.close();
    await hog.context.close();
  });
});
