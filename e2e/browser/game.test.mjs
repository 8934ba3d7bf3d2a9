// The game site in Debian's Chromium against the local stack (cmd/dev: the same handlers,
// dynalite, the local WebSocket gateway), which sends the production CSP on every page: two players
// in two browser contexts create, share, join, play, chat, rematch, reload and leave.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  chromiumMissing, launchBrowser, startStack, newPlayer, axeViolations, screenshots, until, waitText,
  PHONE, DESKTOP, SHOTS_DIR, cell, play, noErrors, twoPlayers,
} from './harness.mjs';

// How long a dropped player's seat is held (GRACE_PERIOD). The stack most tests share holds it
// long enough that no reload, reopened tab or reconnect has to beat a clock, however loaded the
// machine; the test that watches seats given up has a stack of its own, where the grace period
// is short so that it runs out (twice) in seconds.
const GRACE = '30s';
const SHORT_GRACE = '3s';
const skip = chromiumMissing();

async function boardOf(page) {
  return page.locator('#board .cell').evaluateAll((cells) => cells.map((c) => c.textContent));
}

async function waitBoard(page, want) {
  let got = [];
  await until(async () => {
    got = await boardOf(page);
    return got.join(',') === want.join(',');
  }, () => `board ${JSON.stringify(want)}, has ${JSON.stringify(got)}`);
}

async function seat(page) {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('tictactoe.seat') || 'null'));
}


describe('the game site in Chromium', { skip: skip || false }, () => {
  let stack;
  let graceStack; // SHORT_GRACE
  let browser;

  before(async () => {
    [stack, graceStack, browser] = await Promise.all([
      startStack({ grace: GRACE }), startStack({ grace: SHORT_GRACE }), launchBrowser(),
    ]);
  });

  after(async () => {
    if (browser) await browser.close();
    await Promise.all([stack?.stop(), graceStack?.stop()]);
  });

  test('lobby: accessible, explains bad codes in words, no instance shown locally', { timeout: 60000 }, async () => {
    const p = await newPlayer(browser, stack.url, { viewport: PHONE });
    const { page } = p;
    await page.goto('/');
    await waitText(page, '#lobby-title', /^Play TicTacToe$/);
    assert.deepEqual(await axeViolations(page), [], 'axe: serious or critical violations in the lobby');
    await screenshots(page, 'lobby');

    await page.fill('#join-code', 'k7m2q');
    await page.fill('#name', 'Zed');
    await page.click('#join-form button');
    await waitText(page, '#join-error', /6 characters, like K7M2QX/);
    assert.equal(await page.getAttribute('#join-code', 'aria-invalid'), 'true');

    await page.fill('#join-code', 'zzz zz2');
    await page.click('#join-form button');
    await waitText(page, '#join-error', /no open room with that code/);
    assert.equal(await page.inputValue('#join-code'), 'ZZZZZ2', 'codes are normalized as typed');

    // A game later, back in the lobby: the old code's error is gone.
    await page.fill('#name', 'Zed');
    await page.click('#create-form button');
    await waitText(page, '#status', /Waiting for an opponent/);
    await page.click('#leave');
    // The title never changed while hidden: wait for the lobby itself.
    await until(() => page.isVisible('#lobby'), 'the lobby after leaving');
    assert.equal(await page.textContent('#join-error'), '', 'no stale error after a game');
    assert.equal(await page.getAttribute('#join-code', 'aria-invalid'), null);

    assert.equal(await page.textContent('#served-by'), '', 'no instance.json locally: the footer names none');
    noErrors(p);
    await p.context.close();
  });

  test('the footer names the instance that served the page when instance.json exists', { timeout: 30000 }, async () => {
    const instance = { instanceId: 'i-0123456789abcdef0', availabilityZone: 'eu-west-1b' };
    const p = await newPlayer(browser, stack.url, { instance });
    await p.page.goto('/');
    await waitText(p.page, '#served-by', /^Served by i-0123456789abcdef0 in eu-west-1b\.$/);
    noErrors(p);
    await p.context.close();
  });

  test('two players: create, copy link, join, win, chat, rematch, reload, draw, leave', { timeout: 90000 }, async () => {
    const host = await newPlayer(browser, stack.url, { viewport: DESKTOP, clipboard: true });
    const guest = await newPlayer(browser, stack.url, { viewport: PHONE });
    const a = host.page;
    const b = guest.page;

    // Ann creates a room with the keyboard alone: one name field, then the card's button.
    await a.goto('/');
    assert.equal(await a.locator('label:text-is("Your name")').count(), 1, 'the lobby asks the name once');
    await a.focus('#name');
    await a.keyboard.type('Ann');
    await a.keyboard.press('Tab');
    assert.equal(await a.evaluate(() => document.activeElement.textContent), 'Create room');
    await a.keyboard.press('Enter');
    await waitText(a, '#status', /Waiting for an opponent/);
    const code = (await a.textContent('#invite-code')).trim();
    assert.match(code, /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/);
    assert.equal(await a.textContent('#room-code'), code);
    assert.ok(a.url().endsWith(`?room=${code}`), `the address names the room: ${a.url()}`);
    await waitText(a, '#seat-O .pname', /Waiting for a player/);

    // The copy-link button puts the invitation on the clipboard.
    await a.click('#copy-link');
    await waitText(a, '#copy-status', /Link copied/);
    const link = await a.evaluate(() => navigator.clipboard.readText());
    assert.equal(link, `${stack.url}/?room=${code}`);
    await screenshots(a, 'waiting');

    // Bob opens the link: the join form, with the code filled in and his name field focused.
    await b.goto(link);
    await waitText(b, '#join-title', new RegExp(`Join room ${code}`));
    assert.equal(await b.inputValue('#join-code'), code);
    assert.equal(await b.evaluate(() => document.activeElement.id), 'name');
    await b.keyboard.type('Bob');
    await b.keyboard.press('Enter');

    await waitText(a, '#status', /^Your turn: place an X\.$/);
    await waitText(b, '#status', /^Ann’s turn \(X\)\.$/);
    await waitText(a, '#seat-O .pname', /^Bob$/);
    await waitText(a, '#seat-O .presence', /^online$/);
    await waitText(b, '#seat-O .pname', /^Bob$/);
    assert.equal(await b.isVisible('#seat-O .you-badge'), true, 'the guest sees its own seat marked');
    assert.equal(await b.isHidden('#seat-X .you-badge'), true, 'and not the host\'s');
    assert.equal(await a.isHidden('#seat-O .you-badge'), true, 'the host does not see the guest\'s seat as its own');
    assert.equal(await a.isHidden('#invite'), true, 'the invitation goes once the guest is in');

    // A game: Ann takes the top row. Bob tries to move out of turn first.
    await play(a, b, 0, 'X');
    await play(b, a, 3, 'O');
    await waitText(a, '#last-move', /^Bob played O in row 2, column 1\.$/); // for screen readers
    assert.match(await a.title(), /^Your turn · Room /, 'the tab title says whose move it is');
    // aria-disabled, not disabled: the cell stays focusable and explains itself when pressed.
    const boardAt = (await b.locator('#board').boundingBox()).y;
    await cell(b, 5).click({ force: true });
    await waitText(b, '#game-notice', /Wait for your turn/);
    assert.equal((await b.locator('#board').boundingBox()).y, boardAt, 'a notice does not move the board under a second click');
    await play(a, b, 1, 'X');
    // Bob moves with the keyboard: from his last cell (3) one to the right is the centre.
    await cell(b, 3).focus();
    await b.keyboard.press('ArrowRight');
    assert.equal(await b.evaluate(() => document.activeElement.dataset.cell), '4');
    await b.keyboard.press('Enter');
    await waitText(a, '#board .cell[data-cell="4"]', /^O$/);
    await waitText(a, '#status', /^Your turn/);
    await screenshots(a, 'playing');
    await screenshots(b, 'playing-guest');

    await play(a, b, 2, 'X');
    await waitText(a, '#status', /^You won!$/);
    await waitText(b, '#status', /^Ann won this one\.$/);
    for (const page of [a, b]) {
      const wins = await page.locator('#board .cell.win').evaluateAll((cs) => cs.map((c) => c.dataset.cell));
      assert.deepEqual(wins, ['0', '1', '2'], 'the winning line is highlighted');
      assert.match(await cell(page, 1).getAttribute('aria-label'), /Row 1, column 2: X, winning line/);
    }
    await waitText(a, '#score', /^You 1 · Bob 0 · 0 draws$/);
    await waitText(b, '#score', /^Ann 1 · You 0 · 0 draws$/);
    assert.deepEqual(await axeViolations(a), [], 'axe: serious or critical violations on the board (winner)');
    assert.deepEqual(await axeViolations(b), [], 'axe: serious or critical violations on the board (phone)');
    await screenshots(a, 'won');
    await screenshots(b, 'won-guest');

    // Chat: player text arrives as text, never as markup.
    const hello = '<b>gg</b> & <img src=x onerror=alert(1)> well played';
    await b.fill('#chat-text', hello);
    await b.press('#chat-text', 'Enter');
    await waitText(a, '#chat-log li:last-child .text', /well played/);
    assert.equal(await a.textContent('#chat-log li:last-child .text'), hello);
    assert.equal(await a.textContent('#chat-log li:last-child .from'), 'Bob');
    assert.equal(await a.locator('#chat-log b, #chat-log img').count(), 0, 'no markup from chat text');
    assert.equal(await b.inputValue('#chat-text'), '', 'the sent message leaves the field');
    await a.fill('#chat-text', 'thanks, again?');
    await a.click('#chat-form button');
    await waitText(b, '#chat-log li:last-child .text', /^thanks, again\?$/);
    await screenshots(b, 'chat', { dark: true });

    // Rematch: Ann asks, Bob accepts; Bob opens the new game (the starter alternates).
    await a.click('#rematch');
    await waitText(a, '#rematch', /Rematch asked: waiting for Bob/);
    await waitText(b, '#rematch', /Ann wants a rematch: play again/);
    await b.click('#rematch');
    await waitText(b, '#status', /^Your turn: place an O\.$/);
    await waitText(a, '#status', /^Bob’s turn \(O\)\./);
    await waitBoard(a, ['', '', '', '', '', '', '', '', '']);
    assert.equal(await a.isHidden('#rematch'), true);
    await waitText(a, '#score', /^You 1 · Bob 0 · 0 draws$/);

    // A reload mid-game lands Ann back in the same game, in her seat.
    await play(b, a, 4, 'O');
    await play(a, b, 0, 'X');
    const before = await seat(a);
    assert.equal(before.roomCode, code);
    await a.reload();
    await waitBoard(a, ['X', '', '', '', 'O', '', '', '', '']);
    await waitText(a, '#status', /^Bob’s turn \(O\)\./);
    await waitText(a, '#seat-X .pname', /^Ann$/);
    assert.equal(await a.isVisible('#seat-X .you-badge'), true, 'the reloaded page marks its own seat');
    assert.equal(await a.textContent('#room-code'), code);
    assert.ok(a.url().endsWith(`?room=${code}`));
    assert.equal((await seat(a)).token, before.token, 'the seat token is kept across the reload');
    // The chat is there after the reload too, as text, in order.
    await until(async () => (await a.locator('#chat-log li .text').allTextContents()).join('|') === `${hello}|thanks, again?`,
      'the chat history after the reload');
    assert.equal(await a.locator('#chat-log b, #chat-log img').count(), 0, 'history is text too');
    await waitText(b, '#seat-X .presence', /^online$/);
    await play(b, a, 8, 'O'); // and the game goes on, to a draw
    await waitText(a, '#status', /^Your turn/);
    for (const [page, other, i, mark] of [[a, b, 2, 'X'], [b, a, 1, 'O'], [a, b, 7, 'X'], [b, a, 3, 'O'], [a, b, 5, 'X'], [b, a, 6, 'O']]) {
      await play(page, other, i, mark);
    }
    await waitText(a, '#status', /draw/);
    await waitText(b, '#status', /draw/);
    assert.equal(await a.locator('#board .cell.win').count(), 0, 'no winning line in a draw');
    await waitText(a, '#score', /^You 1 · Bob 0 · 1 draw$/);
    await waitText(b, '#rematch', /^Rematch$/);

    // A third player who asks to join all the same (Enter in the name) watches it instead.
    const third = await newPlayer(browser, stack.url, { viewport: PHONE });
    await third.page.goto(link);
    await third.page.fill('#name', 'Cy');
    await third.page.press('#name', 'Enter');
    await until(() => third.page.isVisible('#watching'), 'the spectator notice');
    noErrors(third);
    await third.context.close();

    // Bob leaves: he is back in the lobby, and Ann's room waits for someone new.
    await b.click('#leave');
    await until(() => b.isVisible('#lobby'), 'the lobby after leaving');
    assert.equal(await b.isHidden('#game'), true);
    assert.equal(new URL(b.url()).search, '', 'the address no longer names the room');
    assert.equal(await seat(b), null, 'the seat is forgotten');
    await waitText(a, '#game-notice', /Bob left the room/);
    await waitText(a, '#status', /Waiting for an opponent/);
    await waitText(a, '#seat-O .pname', /Waiting for a player/);
    assert.equal(await a.isVisible('#invite'), true, 'the invitation is back');

    noErrors(host, guest);
    await host.context.close();
    await guest.context.close();
  });

  test('the grace period counts down and resolves itself: a vanished guest forfeits, a vanished host closes the room', { timeout: 90000 }, async () => {
    const host = await newPlayer(browser, graceStack.url, { viewport: DESKTOP });
    const guest = await newPlayer(browser, graceStack.url, { viewport: DESKTOP });
    const a = host.page;
    const b = guest.page;
    await a.goto('/');
    await a.fill('#name', 'Ann');
    await a.click('#create-form button');
    const code = (await waitText(a, '#invite-code', /^\w{6}$/)).trim();

    // Bob types the code (lower case) into the lobby rather than following a link.
    await b.goto('/');
    await b.fill('#join-code', code.toLowerCase());
    await b.fill('#name', 'Bob');
    await b.click('#join-form button');
    await waitText(b, '#status', /Ann’s turn/);
    await waitText(a, '#status', /^Your turn/); // each page hears of the join on its own: wait for the mover's
    await play(a, b, 4, 'X');

    // Bob's tab goes elsewhere: Ann sees the seconds his seat is kept, counting down.
    await b.goto('about:blank');
    const first = await waitText(a, '#seat-O .presence', /^offline: seat kept [2-3] s more$/);
    await waitText(a, '#seat-O .presence', new RegExp(`kept ${Number(/kept (\d) s/.exec(first)[1]) - 1} s more`)); // it ticks
    await waitText(a, '#status', /Bob is offline: if they are not back in time, you win by forfeit\./); // no seconds: a live region
    await screenshots(a, 'grace-countdown');
    // At zero the page asks; the server's clock decides: Bob forfeits, Ann wins the series.
    await waitText(a, '#status', /^Bob did not come back in time: you win by forfeit\. Share the room code to play someone new\.$/);
    await waitText(a, '#score', /^You 1 · Bob 0 · 0 draws$/);
    // One story, and the board the forfeit ended stays in sight (as the guest's does).
    assert.doesNotMatch(await a.textContent('#game-notice'), /left the room/, 'the status tells it; no second notice');
    const board = await a.$$eval('#board .cell', (cells) => cells.map((c) => c.textContent.trim()).join(','));
    assert.equal(board, ',,,,X,,,,', 'the board the forfeit ended is kept in sight');
    await waitText(a, '#seat-O .pname', /Waiting for a player/);
    assert.equal(await a.isVisible('#invite'), true, 'the room is offered to someone new');
    await screenshots(a, 'forfeit-host');

    // Bob comes back too late: the page tries its seat, and explains why it is gone.
    await b.goto(`/?room=${code}`);
    await waitText(b, '#lobby-notice', /seat in room \w{6} was given up because you were away too long/);
    assert.equal(await b.isVisible('#lobby'), true);
    assert.equal(await seat(b), null);
    assert.equal(await b.evaluate(() => localStorage.getItem('tictactoe.seats')), '{}', 'the gone seat\'s token is forgotten');

    // Cy joins (a new series); then Ann vanishes: Cy wins by forfeit, the room closes, and one
    // click gives Cy a room of her own.
    const third = await newPlayer(browser, graceStack.url, { viewport: PHONE });
    const c = third.page;
    await c.goto(`/?room=${code}`);
    await c.fill('#name', 'Cy');
    await c.click('#join-form button');
    await waitText(c, '#status', /Ann’s turn/);
    await waitText(c, '#score', /^Ann 0 · You 0 · 0 draws$/);
    await a.goto('about:blank');
    await waitText(c, '#status', /Ann is offline: if they are not back in time, you win by forfeit\./);
    await waitText(c, '#status', /^Ann did not come back in time: you win by forfeit\. The room is closed: start a new one in one click\.$/);
    await waitText(c, '#score', /^Ann 0 · You 1 · 0 draws$/);
    assert.equal(await c.isHidden('#chat-form'), true, 'no chat in a closed room');
    await screenshots(c, 'forfeit-guest');
    await c.click('#new-room');
    await waitText(c, '#status', /Waiting for an opponent/);
    const fresh = (await c.textContent('#room-code')).trim();
    assert.notEqual(fresh, code, 'a new room');
    assert.equal(await c.inputValue('#invite-link'), `${graceStack.url}/?room=${fresh}`);
    noErrors(host, guest, third);
    await host.context.close();
    await guest.context.close();
    await third.context.close();
  });

  test('a closed tab comes back: reopening the room link in a new tab rejoins the seat; the older tab is told plainly', { timeout: 60000 }, async () => {
    const { host, guest, a, b, code } = await twoPlayers(browser, stack.url);
    await play(a, b, 0, 'X');
    await a.fill('#chat-text', 'back soon?');
    await a.press('#chat-text', 'Enter');
    await waitText(b, '#chat-log li .text', /^back soon\?$/);
    await b.fill('#chat-text', 'brb');
    await b.press('#chat-text', 'Enter');
    await waitText(a, '#chat-log li:last-child .text', /^brb$/);

    // Bob closes his tab and opens the link again in a new one, inside the grace period.
    await b.close();
    await waitText(a, '#seat-O .presence', /offline/);
    const b2 = await guest.context.newPage();
    await b2.goto(`/?room=${code}`);
    await waitText(b2, '#status', /^Your turn: place an O\.$/);
    await waitText(a, '#seat-O .presence', /^online$/);
    assert.equal(await b2.textContent('#board .cell[data-cell="0"]'), 'X', 'the same game');
    // The chat came back with the seat, in order, once.
    await until(async () => (await b2.locator('#chat-log li .text').allTextContents()).join('|') === 'back soon?|brb',
      'the chat history "back soon?|brb"');
    assert.deepEqual(await b2.locator('#chat-log li .from').allTextContents(), ['Ann', 'You']);
    await play(b2, a, 4, 'O');

    // The link opened in yet another tab, while b2 plays: it asks before taking the seat.
    const b3 = await guest.context.newPage();
    await b3.goto(`/?room=${code}`);
    await waitText(b3, '#lobby-notice', new RegExp(`^You already play in room ${code} in another tab\\.`));
    await waitText(b3, '#join-title', new RegExp(`^Room ${code} is full$`));
    assert.equal(await b2.isVisible('#game'), true, 'the tab that plays keeps its seat while the new one asks');
    // Moved on purpose, the seat is b3's; the previous tab says so.
    await b3.click('#move-seat');
    await waitText(b3, '#status', /Ann’s turn/);
    await waitText(b2, '#lobby-notice', /^Your seat in room \w{6} is now played in another tab or window\./);
    await play(a, b3, 1, 'X');
    noErrors(host, guest);
    await host.context.close();
    await guest.context.close();
  });

  test('a room link opened in a second tab of the same browser joins as the other player, not the seat', { timeout: 60000 }, async () => {
    const host = await newPlayer(browser, stack.url);
    const a = host.page;
    await a.goto('/');
    await a.fill('#name', 'Ann');
    await a.click('#create-form button[type="submit"]');
    const code = (await waitText(a, '#invite-code', /^\w{6}$/)).trim();
    const a2 = await host.context.newPage(); // the same browser: the same kept seats
    await a2.goto(`/?room=${code}`);
    await waitText(a2, '#lobby-notice', new RegExp(`^You already play in room ${code} in another tab\\. Join it here as the other player`));
    assert.equal(await a2.isVisible('#move-seat'), true);
    await waitText(a, '#status', /Waiting for an opponent/); // the first tab keeps its seat
    await a2.fill('#name', 'Ann too');
    await a2.press('#name', 'Enter');
    await waitText(a2, '#status', /^Ann’s turn \(X\)\.$/);
    await waitText(a, '#status', /^Your turn: place an X\.$/);
    await play(a, a2, 4, 'X');
    await a2.reload(); // each tab rejoins its own seat
    await waitText(a2, '#status', /^Your turn: place an O\.$/);
    // X's tab closed and the link opened again: the seat no tab plays, X, comes back.
    await a.close();
    await waitText(a2, '#seat-X .presence', /offline/);
    const a3 = await host.context.newPage();
    await a3.goto(`/?room=${code}`);
    await waitText(a3, '#status', /^Ann too’s turn \(O\)\.$/);
    await waitText(a2, '#seat-X .presence', /^online$/);
    noErrors(host);
    await host.context.close();
  });

  test('asked with ?rtt=1, a page reports its last move\'s round trip with its next move, and only then', { timeout: 60000 }, async () => {
    const sent = { a: [], b: [] };
    const { host, guest, a, b } = await twoPlayers(browser, stack.url, {
      hostPath: '/?rtt=1',
      prepare: (...pages) => {
        pages.forEach((page, i) => page.on('websocket', (ws) => ws.on('framesent', (f) => {
          const m = JSON.parse(f.payload);
          if (m.action === 'move') sent[i ? 'b' : 'a'].push(m);
        })));
      },
    });
    await play(a, b, 0, 'X');
    await play(b, a, 4, 'O');
    await play(a, b, 8, 'X');
    await play(b, a, 2, 'O');
    assert.equal(sent.a.length, 2);
    assert.equal(sent.a[0].rtt, undefined, 'the first move has no round trip to report');
    assert.ok(Number.isInteger(sent.a[1].rtt) && sent.a[1].rtt >= 1 && sent.a[1].rtt < 10000, `the second reports the first's: ${JSON.stringify(sent.a[1])}`);
    assert.ok(sent.b.every((m) => m.rtt === undefined), 'a page not asked reports nothing');
    noErrors(host, guest);
    await Promise.all([host.context.close(), guest.context.close()]);
  });

  test('leaving mid-game asks first; an over-long chat message is refused before it is sent', { timeout: 60000 }, async () => {
    const { host, guest, a, b } = await twoPlayers(browser, stack.url, { guestView: PHONE });

    // 840 characters: refused on the page, nothing sent, the text kept to be shortened.
    const long = 'a'.repeat(840);
    await a.fill('#chat-text', long);
    await a.press('#chat-text', 'Enter');
    await waitText(a, '#game-notice', /^That message is 840 characters: 500 at most\. Shorten it; nothing was sent\.$/);
    assert.equal(await a.inputValue('#chat-text'), long);
    assert.equal(await b.locator('#chat-log li').count(), 0, 'nothing reached the opponent');
    // A family emoji is one joined sequence to both sides: sent whole, shown whole.
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    await a.fill('#chat-text', `hi ${family}`);
    await a.press('#chat-text', 'Enter');
    await waitText(b, '#chat-log li .text', new RegExp(`^hi ${family}$`, 'u'));

    // Leave: the first time Ann thinks better of it, the second she means it.
    const asked = [];
    a.once('dialog', (d) => { asked.push(d.message()); d.dismiss(); });
    await a.click('#leave');
    await until(() => asked.length === 1, 'the confirmation');
    assert.match(asked[0], /Leave the game\? The room closes for your opponent too\./);
    assert.equal(await a.isVisible('#game'), true, 'still in the game');
    await waitText(b, '#status', /Ann’s turn/);
    a.once('dialog', (d) => d.accept());
    await a.click('#leave');
    await until(() => a.isVisible('#lobby'), 'Ann in the lobby');
    // One way on, the one the button offers.
    await waitText(b, '#status', /^The host left, so this room is closed\. Start a new room in one click\.$/);
    assert.equal(await b.isVisible('#new-room'), true);
    noErrors(host, guest);
    await host.context.close();
    await guest.context.close();
  });

  test('cues for a player looking elsewhere: unread badge on a phone, the hidden tab\'s title and chime, mute remembered', { timeout: 60000 }, async () => {
    // The test says when Bob's tab is hidden, and counts the chimes the page makes.
    const { host, guest, a, b } = await twoPlayers(browser, stack.url, {
      guestView: PHONE,
      prepare: (_, guestPage) => guestPage.addInitScript(() => {
        window.__hidden = false;
        window.__chimes = 0;
        Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (window.__hidden ? 'hidden' : 'visible') });
        const Real = window.AudioContext;
        window.AudioContext = class extends Real {
          createOscillator() { window.__chimes++; return super.createOscillator(); }
        };
      }),
    });
    const hide = (hidden) => b.evaluate((h) => { window.__hidden = h; document.dispatchEvent(new Event('visibilitychange')); }, hidden);

    // On the phone the chat is below the board: a message arriving shows a badge and a button.
    await b.evaluate(() => window.scrollTo(0, 0));
    await a.fill('#chat-text', 'good luck');
    await a.press('#chat-text', 'Enter');
    await waitText(b, '#chat-jump', /^1 new message ↓$/);
    await waitText(b, '#chat-unread', /^1 new$/);
    const [jump, score] = await Promise.all(['#chat-jump', '#score'].map((s) => b.locator(s).boundingBox()));
    assert.ok(jump.y + jump.height <= score.y || score.y + score.height <= jump.y, 'the button covers no part of the score line');
    await b.screenshot({ path: `${SHOTS_DIR}/unread-chat-phone.png` }); // the viewport: a full-page shot would scroll the chat into view
    await b.click('#chat-jump');
    await until(() => b.isHidden('#chat-jump'), 'the button gone once the chat is seen');
    await waitText(b, '#chat-unread', /^$/);

    // Bob's tab is hidden: Ann's move chimes and leads the title; looking again clears it.
    await hide(true);
    await cell(a, 4).click();
    await until(async () => /^● Ann played X · Your turn · Room /.test(await b.title()), 'the hidden tab\'s title');
    assert.ok(await b.evaluate(() => window.__chimes) >= 2, 'a chime');
    await hide(false);
    await until(async () => /^Your turn · Room /.test(await b.title()), 'the title back once seen');

    // Muted (and remembered across a reload): the title still tells, no chime.
    await b.click('#mute');
    assert.equal(await b.getAttribute('#mute', 'aria-pressed'), 'true');
    await b.reload();
    await waitText(b, '#mute', /^Unmute$/);
    await waitText(b, '#status', /^Your turn/);
    await play(b, a, 0, 'O');
    const before = await b.evaluate(() => window.__chimes);
    await hide(true);
    await cell(a, 8).click();
    await until(async () => /^● Ann played X/.test(await b.title()), 'the muted tab\'s title');
    assert.equal(await b.evaluate(() => window.__chimes), before, 'muted: no chime');
    noErrors(host, guest);
    await host.context.close();
    await guest.context.close();
  });

  test('a dropped connection shows "reconnecting", comes back by itself and rejoins; idle rooms get a heartbeat', { timeout: 60000 }, async () => {
    const p = await newPlayer(browser, stack.url, { viewport: PHONE });
    const { page } = p;
    await page.clock.install();
    const sockets = [];
    const sent = [];
    await page.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      sockets.push({ ws, server });
      ws.onMessage((m) => {
        sent.push(JSON.parse(String(m)));
        server.send(m);
      });
    });
    await page.goto('/');
    await page.fill('#name', 'Ann');
    await page.click('#create-form button');
    const code = (await waitText(page, '#invite-code', /^\w{6}$/)).trim();
    const token = (await seat(page)).token;
    // From here the page's timers run only when the test says (the fake clock otherwise keeps
    // pace with real time, and the first reconnect would race the checks below).
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);

    // Five quiet minutes: one getRoom keeps the connection under the 10-minute idle timeout.
    const quiet = sent.length;
    await page.clock.fastForward('05:30');
    await until(() => sent.slice(quiet).some((f) => f.action === 'getRoom' && f.roomCode === code), 'a heartbeat getRoom');
    assert.equal(sent.slice(quiet).length, 1, 'one frame per heartbeat, nothing more');

    // The network drops the connection.
    const first = sockets[sockets.length - 1];
    await first.ws.close({ code: 4000, reason: 'test: network gone' });
    await first.server.close();
    await waitText(page, '#conn', /Reconnecting/);
    assert.ok(await page.evaluate(() => document.body.classList.contains('offline')));
    await cell(page, 0).click({ force: true });
    await waitText(page, '#game-notice', /Reconnecting/);
    await screenshots(page, 'reconnecting');
    await waitText(page, '#seat-X .presence', /^reconnecting…$/);

    await page.clock.runFor(1000); // the first retry comes within half a second
    await until(() => sockets.length === 2, 'a new connection');
    await until(() => sent.some((f) => f.action === 'rejoin' && f.roomCode === code && f.token === token), 'a rejoin with the kept token');
    await waitText(page, '#conn', /^$/);
    await waitText(page, '#game-notice', /^$/);
    await waitText(page, '#seat-X .presence', /^online$/);
    await waitText(page, '#status', /Waiting for an opponent/);
    assert.equal(await page.textContent('#room-code'), code);
    noErrors(p);
    await p.context.close();
  });

  test('playing the computer: the perfect one answers every move, never loses, and opens the rematch', { timeout: 60000 }, async () => {
    const p = await newPlayer(browser, stack.url);
    const { page } = p;
    await page.goto('/');
    await page.fill('#name', 'Ann');
    await page.selectOption('#computer-level', 'perfect');
    await page.click('#computer-form button[type="submit"]');
    await waitText(page, '#status', /^Your turn: place an X\.$/);
    await waitText(page, '#seat-O .pname', /^Computer \(perfect\)$/);
    assert.equal(await page.isHidden('#invite'), true, 'no friend to invite');
    // No code to share, no chat the computer would ignore.
    assert.equal((await page.innerText('#game-title')).trim(), 'Playing the computer');
    assert.equal(await page.isHidden('#room-code'), true);
    assert.equal(await page.isHidden('#chat'), true);
    for (let turn = 0; turn < 5; turn++) {
      const board = await boardOf(page);
      if (!(await page.textContent('#status')).startsWith('Your turn')) break;
      const marks = board.filter(Boolean).length;
      await cell(page, board.indexOf('')).click();
      await until(async () => {
        const now = await boardOf(page);
        const status = await page.textContent('#status');
        return now.filter(Boolean).length >= marks + 2 || /won|draw/.test(status);
      }, () => 'the computer did not answer');
    }
    const status = await page.textContent('#status');
    assert.match(status, /won this one|draw/, `the game did not end in the computer's win or a draw: ${status}`);
    await screenshots(page, 'computer');
    await page.click('#rematch');
    await until(async () => (await boardOf(page)).filter(Boolean).length === 1, () => 'the computer did not open the rematch');
    await waitText(page, '#status', /^Your turn: place an X\.$/);
    noErrors(p);
    await p.context.close();
  });

  test('quick match: a cancelled wait is no match; two strangers are paired and play; a long wait is offered the computer', { timeout: 60000 }, async () => {
    const [a, b] = await Promise.all([newPlayer(browser, stack.url), newPlayer(browser, stack.url)]);
    for (const p of [a, b]) await p.page.goto('/');
    await a.page.fill('#name', 'Ann');
    await a.page.click('#quick-form button[type="submit"]');
    await waitText(a.page, '#quick-status', /^Looking for an opponent/);
    assert.equal(await a.page.getAttribute('#create-form button', 'aria-disabled'), 'true', 'other games can start while waiting');
    await screenshots(a.page, 'quick-waiting');
    await a.page.click('#quick-cancel');
    await until(async () => a.page.isHidden('#quick-wait'), () => 'the cancelled wait is still shown');
    assert.equal(await a.page.getAttribute('#quick-form button[type="submit"]', 'aria-disabled'), 'false');

    // b asks while a does not wait: b waits; then a asks and they are paired, b (who waited) as X.
    await b.page.fill('#name', 'Bob');
    await b.page.click('#quick-form button[type="submit"]');
    await waitText(b.page, '#quick-status', /^Looking for an opponent/);
    await a.page.click('#quick-form button[type="submit"]');
    for (const p of [a, b]) await waitText(p.page, '#room-code', /^[A-Z0-9]{6}$/);
    assert.equal(await a.page.textContent('#room-code'), await b.page.textContent('#room-code'), 'not in the same room');
    await waitText(b.page, '#status', /^Your turn: place an X\.$/);
    await waitText(a.page, '#seat-X .pname', /^Bob$/);
    await play(b.page, a.page, 4, 'X');
    await play(a.page, b.page, 0, 'O');
    await screenshots(a.page, 'quick-matched');
    noErrors(a, b);
    await Promise.all([a.context.close(), b.context.close()]);

    // Alone for a while: the computer is offered, and taken. (The page's clock is run over the
    // 15 s wait: the offer is the page's own timer, and the server keeps the wait as long.)
    const c = await newPlayer(browser, stack.url);
    await c.page.clock.install();
    await c.page.goto('/');
    await c.page.fill('#name', 'Cy');
    await c.page.click('#quick-form button[type="submit"]');
    await waitText(c.page, '#quick-status', /^Looking for an opponent/);
    assert.equal(await c.page.isHidden('#quick-computer'), true, 'the computer is not offered at once');
    await c.page.clock.fastForward('00:15');
    await c.page.waitForSelector('#quick-computer', { state: 'visible' });
    await waitText(c.page, '#quick-status', /play the computer instead/);
    // The offer asks the level, a child's by default, as the computer card does.
    assert.equal(await c.page.inputValue('#quick-level'), 'easy');
    assert.equal(await c.page.inputValue('#computer-level'), 'easy', 'the computer card starts at easy');
    await c.page.selectOption('#quick-level', 'medium');
    await c.page.click('#quick-computer');
    await waitText(c.page, '#seat-O .pname', /^Computer \(medium\)$/);
    await waitText(c.page, '#status', /^Your turn: place an X\.$/);
    noErrors(c);
    await c.context.close();
  });

  test('a visitor with a full room’s link watches it live, read-only, and never sees a token', { timeout: 60000 }, async () => {
    const [a, b, c] = await Promise.all([newPlayer(browser, stack.url), newPlayer(browser, stack.url), newPlayer(browser, stack.url)]);
    await a.page.goto('/');
    await a.page.fill('#name', 'Ann');
    await a.page.click('#create-form button[type="submit"]');
    await waitText(a.page, '#status', /Waiting/);
    const code = await a.page.textContent('#room-code');
    await b.page.goto(`/?room=${code}`);
    await b.page.fill('#name', 'Bob');
    await b.page.click('#join-form button[type="submit"]');
    await waitText(a.page, '#status', /^Your turn/);

    // The link says the room is full and offers to watch, not to join.
    await c.page.goto(`/?room=${code}`);
    await waitText(c.page, '#join-title', new RegExp(`^Room ${code} is full$`));
    await waitText(c.page, '#lobby-notice', new RegExp(`^Ann and Bob are playing in room ${code}\\. Watch them`));
    assert.equal(await c.page.isHidden('#join-form button[type="submit"]'), true, 'no Join for a full room');
    await screenshots(c.page, 'full-room-link');
    await c.page.click('#watch');
    await until(() => c.page.isVisible('#watching'), 'the spectator notice');
    assert.equal(await a.page.isVisible('#watching'), false, 'a player is not told they watch');
    await waitText(c.page, '#seat-X .pname', /^Ann$/);
    assert.equal(await c.page.isHidden('#chat-form'), true, 'a spectator cannot chat');
    // A spectator stops watching (nothing to leave) and has no cues to mute.
    assert.equal((await c.page.textContent('#leave')).trim(), 'Stop watching');
    assert.equal(await c.page.isHidden('#mute'), true);
    assert.equal((await a.page.textContent('#leave')).trim(), 'Leave room');
    assert.equal(await c.page.isHidden('#seat-X .you-badge') && await c.page.isHidden('#seat-O .you-badge'), true, 'no seat is the spectator\'s');
    await play(a.page, b.page, 4, 'X');
    await waitText(c.page, '#board .cell[data-cell="4"]', /^X$/); // live
    await cell(c.page, 0).click({ force: true }); // disabled for a spectator: try anyway
    await waitText(a.page, '#status', /^Bob’s turn/); // the spectator's click moved nothing
    assert.equal((await boardOf(c.page))[0], '', 'a spectator moved');
    assert.equal(await c.page.evaluate(() => sessionStorage.getItem('tictactoe.seat')), null, 'a spectator holds a token');
    await screenshots(c.page, 'watching');

    // The lobby watches by code, too.
    const d = await newPlayer(browser, stack.url);
    await d.page.goto('/');
    await d.page.fill('#join-code', code.toLowerCase());
    await d.page.click('#watch');
    await until(() => d.page.isVisible('#watching'), 'the spectator notice');
    await waitText(d.page, '#board .cell[data-cell="4"]', /^X$/);

    // On a slow connection Watch is pressed before the socket is open: the page waits, busy,
    // and sends the watch once it is. (The test holds the handshake until then. The page used to
    // drop the frame and stay busy for good, which a loaded machine hit above by chance.)
    const e = await newPlayer(browser, stack.url);
    let letIn;
    const handshake = new Promise((resolve) => { letIn = resolve; });
    const watched = [];
    await e.page.routeWebSocket(/.*/, async (ws) => {
      await handshake;
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        watched.push(JSON.parse(String(m)));
        server.send(m);
      });
    });
    await e.page.goto('/');
    await e.page.fill('#join-code', code);
    await e.page.click('#watch');
    assert.equal(await e.page.getAttribute('#watch', 'aria-disabled'), 'true', 'Watch is busy while it waits');
    letIn();
    await until(() => e.page.isVisible('#watching'), 'the spectator notice');
    await waitText(e.page, '#board .cell[data-cell="4"]', /^X$/);
    await waitText(e.page, '#conn', /^$/);
    assert.deepEqual(watched, [{ action: 'getRoom', roomCode: code }], 'one getRoom, sent once the socket opened');
    noErrors(a, b, c, d, e);
    for (const p of [a, b, c, d, e]) await p.context.close();
  });
});
