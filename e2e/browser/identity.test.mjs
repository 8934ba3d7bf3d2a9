// The anonymous player's identity in Chromium, as children meet it on school computers: the
// recovery link (opened, pasted into an open tab, copied with a full stop, damaged, someone
// else's), New player and Switch back on a shared computer, the link kept out of sight, and a
// socket that drops while "Your games" waits. A hostile and classroom review found each of
// these; each test holds its fix.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chromiumMissing, launchBrowser, startStack, newPlayer, waitText, until } from './harness.mjs';

const skip = chromiumMissing();

const newSecret = () => randomBytes(32).toString('base64url');
const idOf = (secret) => createHash('sha256').update(secret).digest().subarray(0, 16).toString('base64url');
const stored = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('tictactoe.player') || 'null'));

async function lobby(page, path = '/') {
  await page.goto(path);
  await page.waitForSelector('#lobby:not([hidden])');
  await until(async () => (await stored(page)) !== null, 'an identity drawn');
}

async function openGames(page) {
  await page.click('#open-games');
  await page.waitForSelector('#games:not([hidden])');
  await waitText(page, '#me-rating', /^Rating|^Not rated/);
}

describe('the player identity in Chromium', { skip: skip || false }, () => {
  let stack;
  let browser;

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });

  after(async () => {
    if (browser) await browser.close();
    await stack?.stop();
  });

  test('the id is the secret\'s, and a recovery link leaves the address bar at once', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    await lobby(p);
    const mine = await stored(p);
    assert.equal(mine.id, idOf(mine.secret), 'the page draws the id the server checks');

    // A link copied out of a sentence keeps its full stop: still adopted, in a fresh browser.
    const fresh = await newPlayer(browser, stack.url);
    const secret = newSecret();
    await fresh.page.goto(`/#player=${secret}.`);
    await waitText(fresh.page, '#lobby-notice', /^This browser now plays as the player of your recovery link\.$/);
    assert.equal((await stored(fresh.page)).id, idOf(secret));
    assert.ok(!fresh.page.url().includes(secret), `the secret stays in the address bar: ${fresh.page.url()}`);

    // A damaged link is said so, and taken out of the address bar too.
    await p.goto('/#player=abc123');
    await waitText(p, '#lobby-notice', /damaged or incomplete/);
    assert.equal(new URL(p.url()).hash, '');
    assert.equal((await stored(p)).id, mine.id, 'a damaged link changes nothing');
    for (const c of [kid, fresh]) await c.context.close();
  });

  test('someone else\'s link, or one pasted into an open tab, asks first', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    await lobby(p);
    const mine = await stored(p);
    const theirs = newSecret();
    await p.goto(`/#player=${theirs}`); // pasted into this tab: only the fragment changes
    await p.waitForSelector('#switch-player:not([hidden])');
    assert.equal(new URL(p.url()).hash, '', 'the secret leaves the address bar before anyone answers');
    await p.click('#switch-no');
    await waitText(p, '#lobby-notice', /^Kept this browser’s player/);
    assert.equal((await stored(p)).id, mine.id, 'no answer, no switch');

    await p.goto(`/?again=1#player=${theirs}`); // a new load this time
    await p.waitForSelector('#switch-player:not([hidden])');
    await p.click('#switch-yes');
    await waitText(p, '#lobby-notice', /recovery link/);
    assert.equal((await stored(p)).id, idOf(theirs));
    await openGames(p);
    assert.equal(await p.isVisible('#switch-back'), true, 'the kid can switch back to their own player');
    await p.click('#switch-back');
    await waitText(p, '#games-notice', /previous player again/);
    assert.equal((await stored(p)).id, mine.id);
    await kid.context.close();
  });

  test('New player asks first, and Switch back undoes it; the link is out of sight', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    await lobby(p);
    await openGames(p);
    const mine = await stored(p);
    assert.equal(await p.getAttribute('#recovery-link', 'type'), 'password', 'the link, a password, is masked');
    await p.click('#show-recovery');
    assert.equal(await p.getAttribute('#recovery-link', 'type'), 'text');
    assert.match(await p.inputValue('#recovery-link'), new RegExp(`#player=${mine.secret}$`));
    await p.click('#show-recovery');

    await p.click('#new-player');
    await p.waitForSelector('#new-confirm:not([hidden])');
    assert.equal((await stored(p)).id, mine.id, 'one click changes nothing');
    await p.click('#new-no');
    await p.click('#new-player');
    await p.click('#new-yes');
    await waitText(p, '#games-notice', /^This browser now plays as a new player/);
    assert.notEqual((await stored(p)).id, mine.id);
    await p.click('#switch-back');
    await waitText(p, '#games-notice', /previous player again/);
    assert.equal((await stored(p)).id, mine.id);
    await kid.context.close();
  });

  test('the socket drops while Your games waits: it comes back and asks again', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    let drop = true;
    await p.routeWebSocket(/./, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        if (drop && String(m).includes('"action":"myGames"')) {
          drop = false;
          ws.close({ code: 1006 });
          return;
        }
        server.send(m);
      });
      server.onMessage((m) => ws.send(m));
    });
    await lobby(p);
    await p.click('#open-games');
    await waitText(p, '#me-rating', /^Not rated yet/, 20000);
    await kid.context.close();
  });
});
