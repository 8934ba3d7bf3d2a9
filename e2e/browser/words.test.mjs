// What the site tells players, checked in Node: the site's modules are plain ES modules with no
// DOM at import time, so the same files the browser loads are imported here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as words from '../../frontend/site/js/words.mjs';
import { Socket, backoff, socketUrl } from '../../frontend/site/js/socket.mjs';

const room = (over = {}) => ({
  code: 'K7M2QX',
  status: 'playing',
  board: ['', '', '', '', '', '', '', '', ''],
  turn: 'X',
  winner: '',
  winLine: null,
  players: { X: { name: 'Ann', online: true }, O: { name: 'Bob', online: true } },
  score: { X: 0, O: 0, draws: 0 },
  rematch: { X: false, O: false },
  version: 3,
  ...over,
});

test('room codes: typed input is normalized, bad codes explained', () => {
  const cases = [
    [' k7m2qx ', 'K7M2QX', ''],
    ['K7M 2QX', 'K7M2QX', ''],
    ['', '', 'Enter the room code your friend shared.'],
    ['K7M2Q', 'K7M2Q', 'A room code has 6 characters, like K7M2QX: this one has 5.'],
    ['K7M2Q0', 'K7M2Q0', 'Room codes never use “0”: they are made of A–Z without I, L and O, and the digits 2–9, so nothing looks alike. Check the code again (an O may be a Q, a 0 a D).'],
    ['0OOOOO', '0OOOOO', 'Room codes never use “0”, “O”: they are made of A–Z without I, L and O, and the digits 2–9, so nothing looks alike. Check the code again (an O may be a Q, a 0 a D).'],
  ];
  for (const [typed, code, problem] of cases) {
    assert.equal(words.normalizeCode(typed), code, typed);
    assert.equal(words.codeProblem(code), problem, typed);
  }
});

test('names: 1 to 24 characters after trimming, with a letter or digit', () => {
  assert.equal(words.nameProblem('  Ann '), '');
  assert.match(words.nameProblem('   '), /Enter your name/);
  assert.equal(words.nameProblem('x'.repeat(24)), '');
  assert.match(words.nameProblem('x'.repeat(25)), /at most 24 characters: this one has 25/);
  assert.equal(words.nameProblem('A' + '😀'.repeat(23)), '', 'counted in characters, not UTF-16 units');
  assert.match(words.nameProblem('\u3164'), /letter or digit/, 'an invisible filler is no name');
  assert.match(words.nameProblem('😀'), /letter or digit/);
  assert.equal(words.nameProblem('山田'), '');
});

test('lengths count as the server counts them (the cases lambda/protocol runs too)', () => {
  const { cases } = JSON.parse(readFileSync(new URL('../../lambda/protocol/testdata/lengths.json', import.meta.url), 'utf8'));
  for (const c of cases) assert.equal(words.textLength(c.text, Boolean(c.keepNewlines)), c.length, c.name);
  const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
  assert.equal(words.chatProblem('a'.repeat(words.CHAT_MAX - 5) + family), '');
  assert.match(words.chatProblem('a'.repeat(words.CHAT_MAX - 4) + family), /501 characters: 500 at most/);
  assert.equal(words.nameProblem('Ann ' + family), '', 'a name with a family emoji is 9 characters');
  assert.equal(words.chatProblem('\u200D \u200D'), 'Write something to send.', 'joiners alone are no message');
  assert.equal(words.chatProblem('\u200B' + 'a'.repeat(words.CHAT_MAX)), '', 'cleaned, then trimmed, then counted, as the server does');
});

test('tag characters pass only inside a flag (the cases lambda/protocol runs too)', () => {
  const { cases } = JSON.parse(readFileSync(new URL('../../lambda/protocol/testdata/tags.json', import.meta.url), 'utf8'));
  const problem = { name: words.nameProblem, text: words.chatProblem };
  const says = { ok: /^$/, invisible: /invisible characters/, 'too long': /at most 24 characters: this one has 25/ };
  for (const c of cases) {
    assert.ok(problem[c.field] && says[c.want], `${c.name}: field ${c.field}, want ${c.want}`);
    assert.match(problem[c.field](c.text), says[c.want], c.name);
  }
});

test('every protocol error code reads as plain words, not as a code', () => {
  const { errorCodes: codes } = JSON.parse(readFileSync(new URL('../../lambda/protocol/testdata/contract.json', import.meta.url), 'utf8'));
  const seen = new Set();
  for (const code of codes) {
    const text = words.errorText({ type: 'error', code, message: 'server words', action: 'move' });
    assert.ok(text.length > 10, code);
    assert.doesNotMatch(text, /_/, `${code} shows a code: ${text}`);
    seen.add(text);
  }
  assert.equal(seen.size, codes.length, 'each code has its own explanation');
  // The page's words, never the server's message (English for logs and tools).
  assert.equal(words.errorText({ code: 'bad_request', field: 'name', message: 'Names are limited to 24 characters.' }),
    'The game server did not accept that name. Try another.');
  assert.match(words.errorText({ code: 'game_not_active', action: 'joinRoom' }), /host has left/);
  assert.equal(words.errorText({ code: 'a_future_code', message: 'New words.' }), 'Something went wrong. Please try again.');
});

test('the status line from each seat and from the side', () => {
  const cases = [
    ['host waits', room({ status: 'waiting', turn: '', players: { X: { name: 'Ann', online: true }, O: null } }), 'X', /Waiting for an opponent/],
    ['my turn', room(), 'X', /^Your turn: place an X\.$/],
    ['their turn', room(), 'O', /^Ann’s turn \(X\)\.$/],
    ['their turn, offline', room({ players: { X: { name: 'Ann', online: false }, O: { name: 'Bob', online: true } } }), 'O', /Ann is offline/],
    ['my turn, they are offline: the countdown', room({ turn: 'O', players: { X: { name: 'Ann', online: false, graceEndsAt: 1017500 }, O: { name: 'Bob', online: true } } }), 'O', /^Your turn: place an O\. Ann is offline: if they are not back in time, you win by forfeit\.$/],
    ['the deadline passed, the server asked', room({ players: { X: { name: 'Ann', online: false, graceEndsAt: 999000 }, O: { name: 'Bob', online: true } } }), 'O', /Ann did not come back in time: you win by forfeit…/],
    ['a spectator sees the countdown', room({ players: { X: { name: 'Ann', online: false, graceEndsAt: 1005000 }, O: { name: 'Bob', online: true } } }), '', /Ann is offline: if they are not back in time, Bob wins by forfeit\./],
    ['the guest forfeited: the host', room({ status: 'waiting', turn: '', forfeit: { symbol: 'O', name: 'Bob' }, players: { X: { name: 'Ann', online: true }, O: null } }), 'X', /^Bob did not come back in time: you win by forfeit\. Share the room code/],
    ['the host forfeited: the guest', room({ status: 'abandoned', turn: '', forfeit: { symbol: 'X', name: 'Ann' }, players: { X: null, O: { name: 'Bob', online: true } } }), 'O', /^Ann did not come back in time: you win by forfeit\. The room is closed: start a new one in one click\.$/],
    ['spectator', room(), '', /^Ann to play \(X\)\.$/],
    ['they ran out of time', room({ status: 'won', turn: '', winner: 'O', timeout: { symbol: 'X', name: 'Ann' } }), 'O', /^Ann ran out of time: you win\.$/],
    ['I ran out of time', room({ status: 'won', turn: '', winner: 'O', timeout: { symbol: 'X', name: 'Ann' } }), 'X', /^You ran out of time: Bob wins\.$/],
    ['a spectator, a timeout', room({ status: 'won', turn: '', winner: 'O', timeout: { symbol: 'X', name: 'Ann' } }), '', /^Ann ran out of time: Bob wins\.$/],
    ['the guest timed out twice: the host', room({ status: 'waiting', turn: '', timeout: { symbol: 'O', name: 'Bob' }, players: { X: { name: 'Ann', online: true }, O: null } }), 'X', /^Bob ran out of time twice and lost the seat\. Share the room code/],
    ['the host timed out twice: the guest', room({ status: 'abandoned', turn: '', timeout: { symbol: 'X', name: 'Ann' }, players: { X: null, O: { name: 'Bob', online: true } } }), 'O', /^Ann ran out of time twice and lost the seat\. The room is closed/],
    ['I won', room({ status: 'won', turn: '', winner: 'O', winLine: [2, 4, 6] }), 'O', /^You won!$/],
    ['they won', room({ status: 'won', turn: '', winner: 'O', winLine: [2, 4, 6] }), 'X', /^Bob won this one\.$/],
    ['draw', room({ status: 'draw', turn: '' }), 'X', /draw/],
    ['abandoned: the guest', room({ status: 'abandoned', turn: '', players: { X: null, O: { name: 'Bob', online: true } } }), 'O', /^The host left, so this room is closed\. Start a new room in one click\.$/],
    ['abandoned: a spectator', room({ status: 'abandoned', turn: '', players: { X: null, O: { name: 'Bob', online: true } } }), '', /^The host left: this game is over\.$/],
  ];
  for (const [name, r, me, want] of cases) assert.match(words.statusText(r, me, 1000000), want, name);
});

test('rematch button: offered after a game, says who waits for whom', () => {
  assert.equal(words.rematchState(room(), 'X'), null, 'not during a game');
  const won = room({ status: 'won', winner: 'X', winLine: [0, 1, 2] });
  assert.deepEqual(words.rematchState(won, 'X'), { label: 'Rematch', disabled: false });
  assert.deepEqual(words.rematchState({ ...won, rematch: { X: true, O: false } }, 'X'),
    { label: 'Rematch asked: waiting for Bob', disabled: true });
  assert.deepEqual(words.rematchState({ ...won, rematch: { X: true, O: false } }, 'O'),
    { label: 'Ann wants a rematch: play again', disabled: false });
  assert.equal(words.rematchState(won, ''), null, 'spectators have no rematch');
  assert.equal(words.rematchState({ ...won, players: { X: { name: 'Ann', online: true }, O: null } }, 'X'), null);
});

test('cell labels and score for screen readers', () => {
  assert.equal(words.cellLabel(0, '', false), 'Row 1, column 1: empty');
  assert.equal(words.cellLabel(5, 'O', false), 'Row 2, column 3: O');
  assert.equal(words.cellLabel(8, 'X', true), 'Row 3, column 3: X, winning line');
  assert.equal(words.scoreText(room({ score: { X: 2, O: 1, draws: 1 } }), 'O'), 'Ann 2 · You 1 · 1 draw');
  assert.equal(words.moveText('Bob', 'O', 5), 'Bob played O in row 2, column 3.');
});

test('the socket address: absolute, or a path on the page\'s own host', () => {
  const cases = [
    ['wss://abc.execute-api.eu-west-1.amazonaws.com/prod', 'http://lb.example/', 'wss://abc.execute-api.eu-west-1.amazonaws.com/prod'],
    ['ws://localhost:8080/ws', 'http://localhost:8080/', 'ws://localhost:8080/ws'],
    ['/ws', 'https://d111.cloudfront.net/', 'wss://d111.cloudfront.net/ws'],
    ['/ws', 'https://play.example.com/index.html?x=1#y', 'wss://play.example.com/ws'],
    ['/ws', 'http://localhost:8080/', 'ws://localhost:8080/ws'],
    ['//evil.example/ws', 'https://d111.cloudfront.net/', ''],
    ['ws', 'https://d111.cloudfront.net/', ''],
    ['https://d111.cloudfront.net/ws', 'https://d111.cloudfront.net/', ''],
    ['/ws?x="', 'https://d111.cloudfront.net/', ''],
    [undefined, 'https://d111.cloudfront.net/', ''],
    ['', 'https://d111.cloudfront.net/', ''],
  ];
  for (const [value, page, want] of cases) assert.equal(socketUrl(value, page), want, `${value} on ${page}`);
});

test('reconnect backoff grows, is capped, and is jittered', () => {
  const low = () => 0;
  const high = () => 0.999;
  assert.equal(backoff(0, low), 250);
  assert.ok(backoff(0, high) <= 500);
  assert.ok(backoff(3, low) === 2000 && backoff(3, high) <= 4000);
  for (const n of [5, 10, 50, 1000]) assert.ok(backoff(n, high) <= 15000 && backoff(n, low) >= 7500, `attempt ${n}`);
});

test('a socket with every Region\'s endpoint moves on when one does not open, and stays after a drop', () => {
  const made = [];
  const timers = [];
  class FakeWS {
    constructor(url) { this.url = url; this.listeners = {}; made.push(this); }
    addEventListener(type, fn) { this.listeners[type] = fn; }
    close() { this.listeners.close?.(); }
    send() {}
    open() { this.listeners.open?.(); }
  }
  const env = { WebSocket: FakeWS, setTimeout: (fn) => { timers.push(fn); return timers.length; }, clearTimeout() {} };
  const s = new Socket(['wss://a/ws', 'wss://b/ws'], {}, env);
  s.keep = true;
  s.open();
  made[0].open(); // a opens, then drops
  made[0].close();
  timers.pop()(); // the retry
  assert.equal(made[1].url, 'wss://a/ws', 'a drop is tried again where it was');
  made[1].close(); // a no longer opens: its Region is gone
  timers.pop()();
  assert.equal(made[2].url, 'wss://b/ws', 'an endpoint that does not open is given up for the next');
  made[2].close();
  timers.pop()();
  assert.equal(made[3].url, 'wss://a/ws', 'and round again');
});

test('a socket passes on the protocol\'s frames and API Gateway\'s own answers, nothing else', () => {
  let ws;
  class FakeWS {
    constructor() { this.listeners = {}; ws = this; }
    addEventListener(type, fn) { this.listeners[type] = fn; }
    close() {}
    send() {}
  }
  const got = [];
  const env = { WebSocket: FakeWS, setTimeout: () => 0, clearTimeout() {} };
  const s = new Socket('wss://a/ws', { onFrame: (f) => got.push(f) }, env);
  s.open();
  ws.listeners.open();
  for (const data of [
    '{"type":"room","roomCode":"ABCDEF"}',
    '{"message":"Too Many Requests","connectionId":"c","requestId":"r"}',
    '{"message":"Internal server error","connectionId":"c","requestId":"r"}',
    '{"type":7}', '{"other":1}', '"text"', 'not json', 'null',
  ]) ws.listeners.message({ data });
  assert.deepEqual(got.map((f) => f.type ?? f.message), ['room', 'Too Many Requests', 'Internal server error']);
});

test('the move clock: whole seconds by the server clock, shown in its last 15', () => {
  const r = room({ turnEndsAt: 60000 });
  assert.equal(words.turnLeft(r, 0), 60);
  assert.equal(words.turnLeft(r, 59001), 1, 'rounded up: never 0 before the deadline');
  assert.equal(words.turnLeft(r, 61000), 0);
  assert.equal(words.turnLeft(room(), 0), null, 'no clock: none shown');
  assert.equal(words.turnLeft(room({ status: 'won', turnEndsAt: 60000 }), 0), null);
  assert.equal(words.CLOCK_SHOWN_S, 15);
  assert.equal(words.clockText(12), '12 s left to move');
  assert.equal(words.clockText(0), 'time is up…');
  assert.match(words.leftText('timeout', 'K7M2QX', true), /ran out of time twice in a row, so your seat in room K7M2QX was given up/);
  assert.equal(words.scoreText(room({ status: 'waiting', score: { X: 2, O: 0, draws: 0 }, timeout: { symbol: 'O', name: 'Bob' }, players: { X: { name: 'Ann', online: true }, O: null } }), 'X'), 'You 2 · Bob 0 · 0 draws');
});

test('the grace countdown: whole seconds by the server clock, and the seat line', () => {
  const p = { name: 'Ann', online: false, graceEndsAt: 20000 };
  assert.equal(words.graceLeft(p, 0), 20);
  assert.equal(words.graceLeft(p, 19001), 1, 'rounded up: never 0 before the deadline');
  assert.equal(words.graceLeft(p, 20000), 0);
  assert.equal(words.graceLeft(p, 25000), 0);
  assert.equal(words.graceLeft({ name: 'Ann', online: true }, 0), null);
  assert.equal(words.presenceText(p, false, false, 3000), 'offline: seat kept 17 s more');
  assert.equal(words.presenceText(p, true, false, 3000), 'reconnecting…');
  assert.equal(words.presenceText({ name: 'Ann', online: false }, false, false, 0), 'offline, may be back soon');
});

test('seats: kept per room in localStorage with an expiry, this tab\'s in sessionStorage', async () => {
  const fake = () => {
    const m = new Map();
    return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
  };
  globalThis.localStorage = fake();
  globalThis.sessionStorage = fake();
  const seat = await import('../../frontend/site/js/seat.mjs');
  seat.saveSeat({ roomCode: 'K7M2QX', token: 'tok-a', symbol: 'X' }, 1000);
  assert.deepEqual(seat.loadSeat(undefined, 2000), { roomCode: 'K7M2QX', token: 'tok-a', symbol: 'X' });
  // A new tab (an empty sessionStorage) finds the seat for the room its link names.
  globalThis.sessionStorage = fake();
  assert.equal(seat.loadSeat(undefined, 2000), null);
  assert.deepEqual(seat.loadSeat('K7M2QX', 2000), { roomCode: 'K7M2QX', token: 'tok-a', symbol: 'X' });
  assert.equal(seat.loadSeat('K7M2QX', 1000 + seat.SEAT_LIFE_MS), null, 'expired');
  // Taken over by another tab: this tab forgets it, the kept token stays for the other.
  seat.saveSeat({ roomCode: 'K7M2QX', token: 'tok-a', symbol: 'X' }, 3000);
  seat.clearSeat({ elsewhere: true }, 3000);
  assert.equal(seat.loadSeat(undefined, 3000), null);
  assert.ok(seat.loadSeat('K7M2QX', 3000));
  // The seat is gone: both go.
  seat.saveSeat({ roomCode: 'K7M2QX', token: 'tok-a', symbol: 'X' }, 3000);
  seat.clearSeat({}, 3000);
  assert.equal(seat.loadSeat('K7M2QX', 3000), null);

  // One browser playing both seats (two tabs) keeps both; the most recent first.
  seat.saveSeat({ roomCode: 'K7M2QX', token: 'tok-x', symbol: 'X' }, 4000);
  seat.saveSeat({ roomCode: 'K7M2QX', token: 'tok-o', symbol: 'O' }, 5000);
  assert.deepEqual(seat.loadSeats('K7M2QX', 6000).map((s) => s.token), ['tok-o', 'tok-x']);
  seat.clearSeat({}, 6000); // this tab's (O) is gone; X's is still kept
  assert.deepEqual(seat.loadSeats('K7M2QX', 6000).map((s) => s.token), ['tok-x']);
  delete globalThis.localStorage;
  delete globalThis.sessionStorage;
});

test('cues: only while the tab is hidden; sound and vibration unless muted; mute remembered', async () => {
  const { Cues } = await import('../../frontend/site/js/cues.mjs');
  const store = new Map();
  const env = {
    document: { visibilityState: 'visible' },
    localStorage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) },
    navigator: { vibrate: () => env.vibrated++ },
    vibrated: 0,
    oscillators: 0,
    AudioContext: class {
      constructor() { this.currentTime = 0; this.destination = {}; }
      createGain() { return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} }; }
      createOscillator() { env.oscillators++; return { frequency: { setValueAtTime() {} }, connect() {}, start() {}, stop() {} }; }
    },
  };
  const c = new Cues(env);
  assert.equal(c.cue('Bob moved'), '', 'nothing while the player looks');
  env.document.visibilityState = 'hidden';
  assert.equal(c.cue('Bob moved'), 'Bob moved');
  assert.equal(env.oscillators, 2, 'a two-tone chime');
  assert.equal(env.vibrated, 1);
  assert.equal(c.seen(), true);
  c.setMuted(true);
  assert.equal(new Cues(env).muted, true, 'remembered');
  assert.equal(c.cue('Bob wrote'), 'Bob wrote', 'muted: the title still tells');
  assert.equal(env.oscillators, 2);
  assert.equal(env.vibrated, 1);
  delete env.AudioContext;
  c.setMuted(false);
  assert.equal(c.cue('Bob joined'), 'Bob joined', 'no Web Audio: the rest still works');
});
