// Review of issue 33 in Chromium: the recovery link and the shared computer as children meet
// them. Each test shows a way the page loses or exposes a player's identity.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chromiumMissing, launchBrowser, startStack, newPlayer, waitText } from './harness.mjs';

const skip = chromiumMissing();

const b64url = (n) => randomBytes(n).toString('base64url');
const stored = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('tictactoe.player') || 'null'));

async function openGames(page) {
  await page.click('#open-games');
  await page.waitForSelector('#games:not([hidden])');
  await waitText(page, '#me-rating', /^Rating|^Not rated/);
}

describe('review 33: recovery link and shared computer', { skip: skip || false }, () => {
  let stack;
  let browser;

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });

  after(async () => {
    if (browser) await browser.close();
    await stack?.stop();
  });

  // A child pastes their recovery link into the address bar of the tab where the game is
  // already open (the usual way on a school computer). Only the fragment changes, so the page
  // does not load again and adoptRecovery (run once, at boot) never sees it: the browser keeps
  // its other identity, nothing is said, and the secret stays in the address bar for the next
  // child to read.
  test('a recovery link pasted into a tab already on the site', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    await p.goto('/');
    await p.waitForSelector('#lobby:not([hidden])');
    const id = b64url(16);
    const secret = b64url(32);
    await p.goto(`/#player=${id}.${secret}`);
    await p.waitForTimeout(500);
    assert.equal(new URL(p.url()).hash, '', 'the secret leaves the address bar');
    assert.equal((await stored(p))?.id, id, 'the link is adopted');
    await kid.context.close();
  });

  // A link copied out of a chat message or an email sentence often carries what follows it
  // ("open https://…#player=….", "(https://…)"). Such a link is neither adopted nor cleared:
  // the secret stays in the address bar, and the page says nothing.
  test('a recovery link with a trailing full stop', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    const id = b64url(16);
    const secret = b64url(32);
    await p.goto(`/#player=${id}.${secret}.`);
    await p.waitForSelector('#lobby:not([hidden])');
    await p.waitForTimeout(300);
    assert.ok(!p.url().includes(secret), `the secret stays in the address bar: ${p.url()}`);
    await kid.context.close();
  });

  // A shared computer: "New player on this browser" drops the identity at one click, with no
  // question asked (Forget me asks). A child who did not copy the link (the hint asks them
  // to, above the button) loses their history and rating for good, and can never erase it
  // either: Forget me needs the secret that was just thrown away.
  test('New player on a shared computer', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    await p.goto('/');
    await p.waitForSelector('#lobby:not([hidden])');
    await openGames(p);
    const before = await stored(p);
    assert.ok(before, 'an identity is drawn');
    let asked = false;
    p.on('dialog', (d) => {
      asked = true;
      d.dismiss();
    });
    await p.click('#new-player');
    await p.waitForTimeout(300);
    const after = await stored(p);
    assert.ok(asked || after?.id === before.id, 'one click on New player threw the identity away without asking');
    await kid.context.close();
  });

  // The recovery link is a password (docs/privacy.md), but "Your games" shows it in clear, in
  // a wide text field, to everyone who can see the screen: a classroom, a projector, a
  // screenshot shared in the class chat.
  test('the recovery link on screen', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    await p.goto('/');
    await p.waitForSelector('#lobby:not([hidden])');
    await openGames(p);
    const { secret } = await stored(p);
    const shown = await p.isVisible('#recovery-link') && (await p.getAttribute('#recovery-link', 'type')) !== 'password' &&
      (await p.inputValue('#recovery-link')).includes(secret);
    assert.ok(!shown, 'the recovery link, secret included, is shown in clear');
    await kid.context.close();
  });

  // The socket drops while "Your games" waits for its answers (a train tunnel, a school Wi-Fi
  // hand-over; outside a room the page does not reconnect by itself). The view says
  // "Loading…" for ever: nothing retries, nothing says the connection is gone. Pressing
  // Forget me at that moment is worse: the erasure may land while the page never hears
  // "forgotten", keeps the identity and says "Forgetting…" for ever.
  test('the socket drops while Your games loads', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    let drop = false;
    await p.routeWebSocket(/./, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        server.send(m);
        if (drop && String(m).includes('"action":"myGames"')) ws.close({ code: 1006 });
      });
      server.onMessage((m) => ws.send(m));
    });
    await p.goto('/');
    await p.waitForSelector('#lobby:not([hidden])');
    drop = true;
    await p.click('#open-games');
    await p.waitForSelector('#games:not([hidden])');
    await p.waitForTimeout(5000);
    const rating = await p.textContent('#me-rating');
    const notice = await p.textContent('#games-notice');
    assert.ok(rating !== 'Loading…' || notice !== '', `5 s after the drop the view still says "${rating}" and nothing else`);
    await kid.context.close();
  });

  // "Click this!": a classmate posts their own recovery link. Opening it replaces this
  // browser's identity at once, without a question, whatever it held: the victim's own
  // history and rating are gone (unless they had copied their link), and every game they play
  // from now on is recorded, and rated, for the classmate, who pools a whole class's wins into
  // one rating (and can read or erase their history).
  test('someone else\'s recovery link replaces an identity without asking', { timeout: 60000 }, async () => {
    const kid = await newPlayer(browser, stack.url);
    const p = kid.page;
    await p.goto('/');
    await p.waitForSelector('#lobby:not([hidden])');
    await openGames(p); // the kid's own identity, drawn
    const mine = await stored(p);
    let asked = false;
    p.on('dialog', (d) => {
      asked = true;
      d.dismiss();
    });
    await p.goto(`/?x=1#player=${b64url(16)}.${b64url(32)}`);
    await p.waitForSelector('#lobby:not([hidden])');
    assert.ok(asked || (await stored(p))?.id === mine.id, 'a link replaced the kid\'s identity without asking');
    await kid.context.close();
  });
});
