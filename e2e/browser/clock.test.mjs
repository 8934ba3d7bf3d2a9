// The move clock in Chromium against the local stack with the shortest clock (MOVE_TIMEOUT=10s):
// in its last seconds both players and a spectator see it count down on the seat of the player
// to move, at zero the pages ask and the server decides, and everyone is told what happened in
// one sentence. The game then goes on: a rematch starts a new clock.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chromiumMissing, launchBrowser, startStack, newPlayer, screenshots, waitText, play, noErrors, twoPlayers, PHONE,
} from './harness.mjs';

const skip = chromiumMissing();

describe('the move clock in Chromium', { skip: skip || false }, () => {
  let stack;
  let browser;

  before(async () => {
    [stack, browser] = await Promise.all([startStack({ grace: '30s', env: { MOVE_TIMEOUT: '10s' } }), launchBrowser()]);
  });

  after(async () => {
    if (browser) await browser.close();
    await stack?.stop();
  });

  test('a player who does not move loses the game by timeout; everyone sees the clock and why', { timeout: 60000 }, async () => {
    const { host, guest, a, b, code } = await twoPlayers(browser, stack.url, { guestView: PHONE });
    const watcher = await newPlayer(browser, stack.url);
    const w = watcher.page;
    await w.goto(`/?room=${code}`);
    await w.click('#watch'); // the link says the room is full, and offers to watch
    await waitText(w, '#status', /^Ann to play \(X\)\.$/);

    await play(a, b, 4, 'X'); // Bob's turn, and Bob never moves
    // Ten seconds is all inside the last 15: the clock shows at once, on Bob's seat.
    for (const page of [a, b, w]) await waitText(page, '#seat-O .presence', /^\d+ s left to move$/);
    assert.equal(await b.getAttribute('#seat-O', 'class').then((c) => c.includes('hurry')), true, 'the seat is marked');
    await screenshots(b, 'move-clock');
    assert.equal(await a.textContent('#seat-X .presence'), 'online', 'only the player to move has a clock');

    // At zero every page asks; the server's clock decides.
    await waitText(a, '#status', /^Bob ran out of time: you win\.$/, 20000);
    await waitText(b, '#status', /^You ran out of time: Ann wins\.$/);
    await waitText(w, '#status', /^Bob ran out of time: Ann wins\.$/);
    for (const page of [a, b, w]) {
      await waitText(page, '#score', /1 · .* 0 · 0 draws$/);
      assert.equal(await page.getAttribute('#seat-O', 'class').then((c) => c.includes('hurry')), false, 'no clock after the game');
    }
    await screenshots(b, 'move-clock-timeout');

    // The room goes on: a rematch, Bob opens, and the clock runs for him again.
    await a.click('#rematch');
    await b.click('#rematch');
    await waitText(b, '#status', /^Your turn: place an O\./);
    await waitText(a, '#seat-O .presence', /^\d+ s left to move$/);
    noErrors(host, guest, watcher);
    for (const p of [host, guest, watcher]) await p.context.close();
  });
});
