// What the site tells players, checked in Node: the site's modules are plain ES modules with no
// DOM at import time, so the same files the browser loads are imported here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
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
    ['K7M2Q', 'K7M2Q', 'A room code is 6 letters and digits, like K7M2QX.'],
    ['K7M2Q0', 'K7M2Q0', 'A room code is 6 letters and digits, like K7M2QX.'], // no zero in codes
    ['ILOILO', 'ILOILO', 'A room code is 6 letters and digits, like K7M2QX.'], // no look-alikes
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
  assert.match(words.nameProblem('x'.repeat(25)), /at most 24/);
  assert.equal(words.nameProblem('A' + '😀'.repeat(23)), '', 'counted in characters, not UTF-16 units');
  assert.match(words.nameProblem('\u3164'), /letter or digit/, 'an invisible filler is no name');
  assert.match(words.nameProblem('😀'), /letter or digit/);
  assert.equal(words.nameProblem('山田'), '');
});

test('every protocol error code reads as plain words, not as a code', () => {
  const codes = ['bad_request', 'unknown_action', 'room_not_found', 'room_full', 'not_in_room',
    'not_your_turn', 'cell_taken', 'game_not_active', 'too_large', 'rate_limited', 'internal_error'];
  const seen = new Set();
  for (const code of codes) {
    const text = words.errorText({ type: 'error', code, message: 'server words', action: 'move' });
    assert.ok(text.length > 10, code);
    assert.doesNotMatch(text, /_/, `${code} shows a code: ${text}`);
    seen.add(text);
  }
  assert.equal(seen.size, codes.length, 'each code has its own explanation');
  assert.equal(words.errorText({ code: 'bad_request', message: 'name: must be 1 to 24 characters' }),
    'That did not work: name: must be 1 to 24 characters');
  assert.match(words.errorText({ code: 'game_not_active', action: 'joinRoom' }), /host has left/);
  assert.match(words.errorText({ code: 'a_future_code', message: 'New words.' }), /New words\./);
});

test('the status line from each seat and from the side', () => {
  const cases = [
    ['host waits', room({ status: 'waiting', turn: '', players: { X: { name: 'Ann', online: true }, O: null } }), 'X', /Waiting for an opponent/],
    ['my turn', room(), 'X', /^Your turn: place an X\.$/],
    ['their turn', room(), 'O', /^Ann’s turn \(X\)\.$/],
    ['their turn, offline', room({ players: { X: { name: 'Ann', online: false }, O: { name: 'Bob', online: true } } }), 'O', /Ann is offline/],
    ['spectator', room(), '', /^Ann to play \(X\)\.$/],
    ['I won', room({ status: 'won', turn: '', winner: 'O', winLine: [2, 4, 6] }), 'O', /^You won!$/],
    ['they won', room({ status: 'won', turn: '', winner: 'O', winLine: [2, 4, 6] }), 'X', /^Bob won this one\.$/],
    ['draw', room({ status: 'draw', turn: '' }), 'X', /draw/],
    ['abandoned', room({ status: 'abandoned', turn: '', players: { X: null, O: { name: 'Bob', online: true } } }), 'O', /host left/],
  ];
  for (const [name, r, me, want] of cases) assert.match(words.statusText(r, me), want, name);
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
