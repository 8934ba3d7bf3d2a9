// Two local Regions (cmd/dev -regions 2) in Debian's Chromium: the page lists both Regions'
// sockets (config.js webSocketUrls); one Region fails mid-game as in an outage (cmd/dev's
// SIGUSR1: its connections drop with no $disconnect, its socket and endpoints stop, it is
// marked failed). Both players' pages say they are reconnecting, move to the other Region's
// socket by themselves, rejoin their seats with their tokens, and finish the game there.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumMissing, launchBrowser, startStack, newPlayer, screenshots, waitText, productionCSP, cell, play } from './harness.mjs';

const skip = chromiumMissing();

describe('two local Regions in Chromium', { skip: skip || false }, () => {
  let stack;
  let browser;

  before(async () => {
    [stack, browser] = await Promise.all([startStack({ grace: '30s', regions: 2 }), launchBrowser()]);
  });

  after(async () => {
    if (browser) await browser.close();
    if (stack) await stack.stop();
  });

  test('a Region fails mid-game: both players reconnect to the other Region, rejoin and finish', { timeout: 90000 }, async () => {
    const host = await newPlayer(browser, stack.url);
    const guest = await newPlayer(browser, stack.url);
    const a = host.page;
    const b = guest.page;
    const sockets = { a: [], b: [] };
    a.on('websocket', (ws) => sockets.a.push(new URL(ws.url()).pathname));
    b.on('websocket', (ws) => sockets.b.push(new URL(ws.url()).pathname));

    await a.goto('/');
    const config = await a.evaluate(() => window.TICTACTOE_CONFIG);
    assert.deepEqual(config.webSocketUrls, ['/dev', '/dev-2'], 'config.js lists both Regions, its own first');
    await a.fill('#name', 'Ann');
    await a.click('#create-form button');
    const code = (await waitText(a, '#invite-code', /^\w{6}$/)).trim();
    await b.goto(`/?room=${code}`);
    await b.fill('#name', 'Bob');
    await b.keyboard.press('Enter');
    await waitText(a, '#status', /^Your turn: place an X\.$/);
    await play(a, b, 0, 'X');
    await play(b, a, 3, 'O');
    assert.deepEqual([sockets.a, sockets.b], [['/dev'], ['/dev']], 'both start on the first Region');

    await stack.failRegion(); // local-1
    for (const page of [a, b]) await waitText(page, '#conn', /Reconnecting/);
    await screenshots(a, 'region-failed');
    // Each page tries its Region once more, then the next one, and rejoins its seat there.
    for (const page of [a, b]) {
      await waitText(page, '#conn', /^$/, 20000);
      await waitText(page, '#game-notice', /^$/);
    }
    assert.equal(sockets.a.at(-1), '/dev-2', `Ann's page moved to the other Region: ${sockets.a}`);
    assert.equal(sockets.b.at(-1), '/dev-2', `Bob's page moved to the other Region: ${sockets.b}`);
    await waitText(a, '#status', /^Your turn: place an X\.$/);
    assert.equal(await cell(a, 0).textContent(), 'X', 'the moves before the failure are there');
    assert.equal(await cell(b, 3).textContent(), 'O');

    // The game goes on in local-2, every move kept.
    await play(a, b, 1, 'X');
    await play(b, a, 4, 'O');
    await play(a, b, 2, 'X');
    await waitText(a, '#status', /You won/);
    await waitText(b, '#status', /Ann won/);
    await screenshots(b, 'region-failed-game-over');

    // Only the failed socket's errors, never a CSP violation or a script error.
    for (const p of [host, guest]) {
      for (const got of p.policies) assert.equal(got, productionCSP());
      const other = p.errors.filter((e) => !/WebSocket connection to 'ws:\/\/[^']+\/dev' failed/.test(e));
      assert.deepEqual(other, [], 'errors on the page besides the failed Region\'s socket');
    }
    await host.context.close();
    await guest.context.close();
  });
});
