// The page against lambda/protocol/testdata/contract.json, which the server's tests read too:
// the limits and room codes the server enforces, and a sentence of the page's own for every
// error code it sends. Node only, no browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as words from '../../frontend/site/js/words.mjs';

const contract = JSON.parse(readFileSync(new URL('../../lambda/protocol/testdata/contract.json', import.meta.url), 'utf8'));
const { nameMax, chatMax, roomCode, errorCodes, typedFields } = contract;

test('the page\'s limits and room codes are the server\'s', () => {
  assert.equal(words.NAME_MAX, nameMax, 'NAME_MAX');
  assert.equal(words.CHAT_MAX, chatMax, 'CHAT_MAX');
  assert.equal(words.CODE_LENGTH, roomCode.length, 'CODE_LENGTH');
  assert.equal(words.CODE_ALPHABET, roomCode.alphabet, 'CODE_ALPHABET');
});

test('what a player meets at each limit', () => {
  const code = roomCode.alphabet.slice(-roomCode.length);
  const cases = [
    ['longest name', words.nameProblem('é'.repeat(nameMax)), /^$/],
    ['name one over', words.nameProblem('é'.repeat(nameMax + 1)), new RegExp(`at most ${nameMax} characters: this one has ${nameMax + 1}`)],
    ['longest message', words.chatProblem('b'.repeat(chatMax)), /^$/],
    ['message one over', words.chatProblem('b'.repeat(chatMax + 1)), new RegExp(`${chatMax + 1} characters: ${chatMax} at most`)],
    ['a code of the alphabet', words.codeProblem(code), /^$/],
    ['a code one short', words.codeProblem(code.slice(1)), new RegExp(`has ${roomCode.length} characters, like K7M2QX: this one has ${roomCode.length - 1}`)],
  ];
  for (const [name, problem, want] of cases) assert.match(problem, want, name);
});

test('a refused code names what codes never use, as the alphabet says', () => {
  const outside = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'].filter((c) => !roomCode.alphabet.includes(c));
  for (const c of outside) {
    const problem = words.codeProblem(roomCode.alphabet.slice(0, roomCode.length - 1) + c);
    assert.match(problem, new RegExp(`never use “${c}”`), c);
    // The sentence's own account of the alphabet: A–Z without some letters, and a run of digits.
    const [, letters, from, to] = problem.match(/A–Z without ([A-Z, and]+), and the digits (\d)–(\d)/);
    const said = [...letters.matchAll(/[A-Z]/g)].map((m) => m[0]);
    const digits = [...'0123456789'].filter((d) => d >= from && d <= to);
    assert.deepEqual(said, outside.filter((x) => /[A-Z]/.test(x)), 'the letters it says codes leave out');
    assert.deepEqual(digits, [...roomCode.alphabet].filter((x) => /\d/.test(x)), 'the digits it says codes use');
  }
});

test('every error code the server sends has a sentence of the page\'s own, and no other', () => {
  assert.deepEqual([...words.ERROR_CODES].sort(), [...errorCodes].sort());
  for (const code of errorCodes) {
    for (const action of ['createRoom', 'joinRoom', 'move', 'rematch', 'rejoin']) {
      const text = words.errorText({ type: 'error', code, action, message: 'The server’s own words.' });
      assert.doesNotMatch(text, /server’s own words|_/, `${code} on ${action}: ${text}`);
      assert.ok(text.length > 10, `${code} on ${action}`);
    }
  }
});

test('a refused field that a player typed is named in the page\'s words', () => {
  const other = words.errorText({ code: 'bad_request' });
  const said = new Set([other]);
  for (const field of typedFields) {
    const text = words.errorText({ code: 'bad_request', field, message: 'The server’s own words.' });
    assert.ok(!said.has(text), `${field}: ${text} says nothing of its own`);
    said.add(text);
  }
});
