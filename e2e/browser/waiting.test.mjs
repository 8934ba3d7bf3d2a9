// What a tab waits for the server to answer (frontend/site/js/waiting.mjs), checked in Node:
// the lobby is busy exactly while a way into a room waits, and nothing else waits at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Waiting, ACTIONS, opensRoom } from '../../frontend/site/js/waiting.mjs';

// busyLobby is a Waiting wired as main.mjs wires it, recording what the lobby was told.
function busyLobby() {
  const told = [];
  const waiting = new Waiting((w) => told.push(w.opensRoom()));
  return { waiting, told };
}

test('the lobby is busy exactly while a way into a room waits for its answer', () => {
  const cases = [
    // [what happens, then: the awaited action, lobby busy]
    ['create a room', (w) => w.start('createRoom'), 'createRoom', true],
    ['join a room', (w) => w.start('joinRoom'), 'joinRoom', true],
    ['watch a room', (w) => w.start('watch'), 'watch', true],
    ['play the computer', (w) => w.start('playComputer'), 'playComputer', true],
    ['ask for a quick match', (w) => w.start('quickMatch'), 'quickMatch', true],
    ['cancel the quick match: a stranger may still be found', (w) => { w.start('quickMatch'); w.start('cancelQuickMatch'); }, 'cancelQuickMatch', true],
    ['take a kept seat back: the lobby is not shown', (w) => w.start('rejoin'), 'rejoin', false],
    ['leave a room', (w) => w.start('leaveRoom'), 'leaveRoom', false],
    ['the room arrives', (w) => { w.start('createRoom'); w.settle(); }, '', false],
    ['a leave replaces a rejoin', (w) => { w.start('rejoin'); w.start('leaveRoom'); }, 'leaveRoom', false],
  ];
  for (const [name, act, action, busy] of cases) {
    const { waiting, told } = busyLobby();
    act(waiting);
    assert.equal(waiting.action, action, name);
    assert.equal(waiting.opensRoom(), busy, name);
    assert.equal(waiting.idle(), action === '', name);
    assert.equal(told.at(-1), busy, `${name}: the lobby was last told busy=${told.at(-1)}`);
  }
});

test('is names the awaited action among several; nothing is awaited when idle', () => {
  const w = new Waiting();
  assert.equal(w.is('createRoom', 'joinRoom'), false);
  w.start('joinRoom');
  assert.equal(w.is('createRoom', 'joinRoom'), true);
  assert.equal(w.is('createRoom'), false);
  assert.equal(w.is(), false);
  w.settle();
  assert.equal(w.is(...ACTIONS), false, 'idle waits for nothing');
});

test('the lobby is told once per change, not again for the same wait', () => {
  const { waiting, told } = busyLobby();
  waiting.settle(); // already idle
  waiting.start('quickMatch');
  waiting.start('quickMatch');
  waiting.start('cancelQuickMatch');
  waiting.settle();
  waiting.settle();
  assert.deepEqual(told, [true, true, false]);
});

test('a misspelt action fails loudly instead of leaving a tab waiting for nothing', () => {
  const w = new Waiting();
  for (const action of ['', 'getRoom', 'createroom', undefined]) {
    assert.throws(() => w.start(action), /not an action a tab waits on/, String(action));
    assert.equal(w.idle(), true, String(action));
  }
  assert.throws(() => { w.action = 'createRoom'; }, TypeError, 'the awaited action changes only through start and settle');
});

test('opensRoom: the lobby\'s ways into a room, and no other action', () => {
  const ways = ACTIONS.filter(opensRoom);
  assert.deepEqual(ways, ['createRoom', 'joinRoom', 'playComputer', 'quickMatch', 'cancelQuickMatch', 'watch']);
  for (const action of ['rejoin', 'leaveRoom', 'move', 'getRoom', '']) assert.equal(opensRoom(action), false, action);
});
