// "Your games" in Chromium against the local stack: two strangers play a quick match, each sees
// the game in their history with its rating change, replays it move by move, finds both on the
// leaderboard (their own row marked); the recovery link brings the same player to another
// browser; "Forget me" erases the player, and the opponent's history keeps the game under
// "Erased player".

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chromiumMissing, launchBrowser, startStack, newPlayer, screenshots, waitText, play, noErrors, axeViolations, until, fromAddress, PHONE,
} from './harness.mjs';

const skip = chromiumMissing();

// quickPair has a and b ask for a quick match under their names: a waits and holds X.
async function quickPair(a, b) {
  for (const [page, name] of [[a, 'Ann'], [b, 'Bob']]) {
    await page.goto('/');
    await page.fill('#name', name);
    await page.click('#quick-form button[type="submit"]');
    if (name === 'Ann') await waitText(a, '#quick-status', /./);
  }
  await waitText(a, '#status', /^Your turn/);
}

async function openGames(page) {
  await page.click('#leave');
  await page.waitForSelector('#lobby:not([hidden])');
  await page.click('#open-games');
  await page.waitForSelector('#games:not([hidden])');
  await waitText(page, '#me-rating', /^Rating|^Not rated/);
}

describe('Your games in Chromium', { skip: skip || false }, () => {
  let stack;
  let browser;
  let elsewhere; // Bob's way in, from another address: one address's quick matches are unrated

  before(async () => {
    [stack, browser] = await Promise.all([startStack({ grace: '30s' }), launchBrowser()]);
    elsewhere = await fromAddress(stack.url, '127.0.0.3');
  });

  after(async () => {
    if (browser) await browser.close();
    await elsewhere?.stop();
    await stack?.stop();
  });

  test('history, replay, rating, leaderboard, recovery link and forget me', { timeout: 90000 }, async () => {
    const ann = await newPlayer(browser, stack.url, { clipboard: true });
    const bob = await newPlayer(browser, elsewhere.url, { viewport: PHONE });
    const [a, b] = [ann.page, bob.page];
    await quickPair(a, b);
    await play(a, b, 0, 'X');
    await play(b, a, 3, 'O');
    await play(a, b, 1, 'X');
    await play(b, a, 4, 'O');
    await play(a, b, 2, 'X');
    await waitText(a, '#status', /^You won/);

    await openGames(a);
    await waitText(a, '#me-rating', /^Rating 1220, provisional until 10 rated games \(1 so far\) · rank #1$/);
    await waitText(a, '#game-list li', /^Won against Bob \(three in a row\) · rating \+20/);
    await waitText(a, '#me-stats', /Against people: 1 game: 1 win, 0 losses, 0 draws/);
    await waitText(a, '#leader-rows', /Ann/);
    assert.equal(await a.locator('#leader-rows tr').count(), 2, 'both players are rated');
    assert.match(await a.textContent('#leader-rows tr.you'), /^1Ann \(you\)1220 \(provisional\)1$/, 'Ann’s own row is marked');

    // The replay steps through the moves as they were played.
    await a.click('#game-list li button');
    await waitText(a, '#replay-step', /^Move 5 of 5: X in row 1, column 3\. Won against Bob/);
    assert.equal((await a.locator('#replay-board .cell').allTextContents()).join(''), 'XXXOO');
    await a.click('#replay-first');
    await waitText(a, '#replay-step', /^Start: the board is empty; X moves first\.$/);
    assert.equal((await a.locator('#replay-board .cell').allTextContents()).join(''), '');
    await a.click('#replay-next');
    await a.click('#replay-next');
    await waitText(a, '#replay-step', /^Move 2 of 5: O in row 2, column 1\.$/);
    assert.equal(await a.isDisabled('#replay-first'), false);
    assert.deepEqual(await axeViolations(a), [], 'the games view has no serious accessibility findings');
    await screenshots(a, 'your-games');

    await openGames(b);
    await waitText(b, '#game-list li', /^Lost to Ann \(three in a row\) · rating −20/);
    await waitText(b, '#leader-you', /^Your rank: #2$/);
    assert.match(await b.textContent('#leader-rows tr.you'), /Bob/);
    await screenshots(b, 'leaderboard');

    // The recovery link plays as Ann in a browser that never saw her.
    const link = await a.inputValue('#recovery-link');
    assert.match(link, /\/#player=[\w-]{43}$/);
    await a.click('#copy-recovery');
    await waitText(a, '#recovery-status', /^Copied/);
    const other = await newPlayer(browser, stack.url);
    const o = other.page;
    await o.goto(link.replace(/^https?:\/\/[^/]+/, ''));
    await waitText(o, '#lobby-notice', /recovery link/);
    assert.equal(new URL(o.url()).hash, '', 'the secret leaves the address bar');
    await o.click('#open-games');
    await waitText(o, '#game-list li', /^Won against Bob/);

    // A shared computer: a new player here starts from nothing, and Ann stays Ann elsewhere.
    await o.click('#new-player');
    await o.click('#new-yes');
    await waitText(o, '#games-notice', /^This browser now plays as a new player/);
    await waitText(o, '#me-rating', /^Not rated yet/);
    assert.equal(await o.locator('#game-list li').count(), 0);
    assert.notEqual(await o.inputValue('#recovery-link'), link);

    // Forget me, confirmed: Ann's view starts afresh, Bob's keeps the game without her name.
    await a.click('#forget');
    await a.click('#forget-yes');
    await waitText(a, '#games-notice', /^Done: nothing about you is kept any more/);
    await waitText(a, '#me-rating', /^Not rated yet/);
    assert.equal(await a.locator('#game-list li').count(), 0);
    assert.notEqual(await a.inputValue('#recovery-link'), link, 'a new identity from now on');
    await b.click('#games-back');
    await b.click('#open-games');
    await waitText(b, '#game-list li', /^Lost to Erased player \(three in a row\)/);
    await until(async () => (await b.locator('#leader-rows tr').count()) === 1, 'Ann off the leaderboard');
    assert.match(await b.textContent('#leader-rows'), /Bob/);
    noErrors(ann, bob, other);
    for (const p of [ann, bob, other]) await p.context.close();
  });
});
