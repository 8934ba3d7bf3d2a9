// The lobby: the ways into a room (create, join or watch by code, quick match, the computer),
// their forms and errors, and the quick match's wait.

import * as words from './words.mjs';
import { $, show, say } from './view.mjs';
import { loadName, saveName } from './seat.mjs';
import { opensRoom } from './waiting.mjs';

// After this long without a match, the waiting player is offered the computer instead.
const QUICK_OFFER_MS = 15000;
// A pairing's seat arriving this soon after a cancel was sent won the race: it stands.
const QUICK_RACE_MS = 10000;
// The card (ids' prefix) that says why a way in was refused, else create.
const CARD = { joinRoom: 'join', watch: 'join', playComputer: 'computer', quickMatch: 'quick', cancelQuickMatch: 'quick' };

// ready: the page has the game server's address. inRoom(): a room is shown.
export function lobbyScreen({ socket, waiting, ready, inRoom }) {
  let joining = ''; // the room a join was sent for: a full one is watched instead
  let quickOffer = 0; // the timer that offers the computer instead of a quick match
  let quickRetry = 0; // the timer that asks again when queued's retryIn says
  let afterQuick = null; // the frame to send once a cancel is answered (play the computer)
  let quickCancelled = 0; // when a quick match was last cancelled
  let peeking = ''; // the link's room, asked about with a getRoom that follows nothing
  let moveSeat = null; // takes this browser's seat in the link's room into this tab

  function busy(on) {
    for (const form of [$('create-form'), $('join-form'), $('quick-form'), $('computer-form')]) {
      form.setAttribute('aria-busy', String(on));
      form.querySelector('button').setAttribute('aria-disabled', String(on));
    }
    // Watch is busy with the rest; the quick match's Cancel is not: it ends the wait.
    $('watch').setAttribute('aria-disabled', String(on));
  }

  function notice(text) {
    say('lobby-notice', text);
  }

  function fieldError(form, text, input) {
    say(`${form}-error`, text);
    if (input) {
      if (text) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }

  function open(text) {
    // Back from a room: old form errors are stale.
    for (const f of ['name', 'join', 'create', 'quick', 'computer']) say(`${f}-error`, '');
    for (const el of $('lobby').querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    show($('lobby'), true);
    $('lobby').classList.remove('invited');
    $('join-form').classList.remove('full');
    show($('move-seat'), false);
    peeking = '';
    say('join-title', 'Join a game');
    say('create-title', 'Start a game');
    busy(false);
    notice(text);
  }

  // leave steps aside for a room: a quick match's wait is over.
  function leave() {
    clearTimeout(quickOffer);
    afterQuick = null;
    show($('quick-wait'), false);
    notice('');
    show($('lobby'), false);
  }

  // invite opens on the join form for the room a link names, and asks what the room is (a
  // full one is offered to watch). move, when given, takes the seat another tab of this browser
  // plays in that room into this one: the player is asked first.
  function invite(code, move) {
    $('lobby').classList.add('invited');
    say('join-title', `Join room ${code}`);
    say('create-title', 'Or start your own game');
    $('join-code').value = code;
    moveSeat = move || null;
    show($('move-seat'), Boolean(move));
    if (move) notice(`You already play in room ${code} in another tab. Join it here as the other player, watch it, or move your seat to this tab.`);
    if (words.codeProblem(code)) fieldError('join', words.codeProblem(code), $('join-code'));
    else if (ready) {
      peeking = code;
      socket.sendSoon({ action: 'getRoom', roomCode: code, watch: false });
    }
    $('name').focus();
  }

  // peeked shows the link's room as the server answered the invite's question; it reports
  // whether f was that answer.
  function peeked(f) {
    const r = f.room;
    if (!peeking || !r || r.code !== peeking || f.you || inRoom()) return false;
    peeking = '';
    const p = r.players || {};
    if (r.status === 'abandoned') {
      say('join-title', `Room ${r.code} is closed`);
      notice('Its host has left. Start your own game, or join another.');
    } else if (p.X && p.O) {
      say('join-title', `Room ${r.code} is full`);
      if (!moveSeat) notice(`${p.X.name} and ${p.O.name} are playing in room ${r.code}. Watch them, or start your own game.`);
    } else return true;
    $('join-form').classList.add('full');
    return true;
  }

  // peekRefused says why on the join card when the link's room cannot be found; it reports
  // whether f was the invite's answer.
  function peekRefused(f) {
    if (!peeking || f.action !== 'getRoom') return false;
    peeking = '';
    fieldError('join', words.errorText(f), $('join-code'));
    return true;
  }

  // pairedLate: a seat just after a cancel is a pairing that won the race.
  function pairedLate(f) {
    return Boolean(f.you && f.you.token) && !inRoom() && Date.now() - quickCancelled < QUICK_RACE_MS;
  }

  // answer returns the way in an error frame answers (a watch asks with getRoom), no longer
  // waited for, or '' for another action's.
  function answer(f) {
    const action = f.action === 'getRoom' ? (waiting.is('watch') ? 'watch' : '') : f.action;
    if (!opensRoom(action)) return '';
    if (waiting.is(action)) {
      if (action === 'quickMatch' || action === 'cancelQuickMatch') quickDone();
      waiting.settle();
    }
    return action;
  }

  // refused says why on the way's card; a full room is watched instead.
  function refused(action, code, text) {
    if (action === 'joinRoom' && code === 'room_full' && joining) return watch(joining);
    const card = CARD[action] || 'create';
    fieldError(card, text, card === 'join' && code === 'room_not_found' ? $('join-code') : null);
  }

  // dropped: the way in may not have happened: the player tries again, not waits forever.
  function dropped() {
    const waited = !$('quick-wait').hidden; // the server takes a dropped connection off the queue
    quickDone();
    waiting.settle();
    notice(waited ? 'The connection dropped, which ended your wait for an opponent. Please try again.'
      : 'The connection dropped before the server answered. Please try again.');
  }

  // onQueued: we wait, and may cancel. With retryIn (no place yet) we ask again then, plus up to
  // a second so that a crowd does not return at once.
  function onQueued(f) {
    if (!waiting.is('quickMatch') || inRoom()) return;
    clearTimeout(quickRetry);
    if (f.retryIn > 0) {
      const name = $('name').value.trim();
      quickRetry = setTimeout(() => {
        if (waiting.is('quickMatch') && !inRoom()) socket.sendSoon({ action: 'quickMatch', name });
      }, f.retryIn * 1000 + Math.random() * 1000);
    }
    if (!$('quick-wait').hidden) return; // an answer to asking again: the wait goes on
    show($('quick-wait'), true);
    for (const id of ['quick-computer', 'quick-offer']) show($(id), false);
    say('quick-status', 'Looking for an opponent… You will play the next person who asks.');
    clearTimeout(quickOffer);
    quickOffer = setTimeout(() => {
      if (!waiting.is('quickMatch')) return;
      say('quick-status', 'Nobody has turned up yet. Keep waiting, or play the computer instead.');
      for (const id of ['quick-computer', 'quick-offer']) show($(id), true);
    }, QUICK_OFFER_MS);
  }

  // onUnqueued: we no longer wait; then what the player chose instead, if anything.
  function onUnqueued() {
    if (!waiting.is('cancelQuickMatch')) return;
    quickDone();
    const next = afterQuick;
    afterQuick = null;
    if (next && !inRoom()) start(next.action, next);
    else $('quick-form').querySelector('button').focus();
  }

  // quickDone: the wait is over (a room, a cancel, a drop): the card is a form again.
  function quickDone() {
    clearTimeout(quickOffer);
    clearTimeout(quickRetry);
    show($('quick-wait'), false);
    say('quick-status', '');
    if (waiting.opensRoom() && !inRoom()) waiting.settle();
  }

  function cancelQuick(then) {
    if (!waiting.is('quickMatch')) return;
    quickCancelled = Date.now();
    afterQuick = then || null;
    waiting.start('cancelQuickMatch');
    say('quick-status', 'Cancelling…');
    socket.sendSoon({ action: 'cancelQuickMatch' });
  }

  function listen() {
    $('name').value = loadName();
    // Enter in the name joins the room a link names; elsewhere each card has its button.
    $('name').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && $('lobby').classList.contains('invited')) $('join-form').requestSubmit();
    });
    // The quick-match offer of the computer asks the level too.
    for (const o of $('computer-level').options) $('quick-level').append(o.cloneNode(true));
    // The first sign of intent opens the connection: no visitor holds one for nothing.
    $('lobby').addEventListener('focusin', () => {
      if (ready) socket.open();
    }, { once: true });
    $('join-code').addEventListener('input', (e) => {
      const input = e.target;
      const v = words.normalizeCode(input.value);
      if (v !== input.value) input.value = v;
    });
    onNameForm('create', 'createRoom');
    onNameForm('computer', 'playComputer', () => ({ level: $('computer-level').value }));
    onNameForm('quick', 'quickMatch');
    $('quick-cancel').addEventListener('click', () => cancelQuick());
    $('quick-computer').addEventListener('click', () => {
      cancelQuick({ action: 'playComputer', name: $('name').value.trim(), level: $('quick-level').value });
    });
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (!waiting.idle()) return;
      const code = codeFromForm();
      if (!code) return;
      const name = nameFromForm();
      if (!name) return;
      joining = code;
      start('joinRoom', { action: 'joinRoom', roomCode: code, name });
    });
    $('move-seat').addEventListener('click', () => {
      if (moveSeat && waiting.idle()) moveSeat();
    });
    $('watch').addEventListener('click', () => {
      if (!waiting.idle()) return;
      const code = codeFromForm();
      if (code) watch(code);
    });
  }

  // codeFromForm is the join form's code, or '' once the form says what is wrong with it.
  function codeFromForm() {
    const input = $('join-code');
    const code = words.normalizeCode(input.value);
    const problem = words.codeProblem(code);
    fieldError('join', problem, input);
    if (!problem) return code;
    input.focus();
    return '';
  }

  // nameFromForm is the player's name, or '' once the name field says what is wrong with it.
  function nameFromForm() {
    const input = $('name');
    const problem = words.nameProblem(input.value);
    fieldError('name', problem, input);
    if (!problem) return input.value.trim();
    input.focus();
    return '';
  }

  // A card that needs only the name (form: its ids' prefix) sends action, plus what extra() adds.
  function onNameForm(form, action, extra = () => ({})) {
    $(`${form}-form`).addEventListener('submit', (e) => {
      e.preventDefault();
      if (!waiting.idle()) return;
      const name = nameFromForm();
      if (name) start(action, { action, name, ...extra() });
    });
  }

  // watch follows a room as a spectator.
  function watch(code) {
    if (!ready) return;
    notice('');
    fieldError('join', '', $('join-code'));
    waiting.start('watch');
    socket.sendSoon({ action: 'getRoom', roomCode: code });
  }

  function start(action, frame) {
    if (!ready) {
      notice('The game server’s address is not set up, so games cannot start. (Is config.js served?)');
      return;
    }
    saveName(frame.name);
    notice('');
    waiting.start(action);
    socket.sendSoon(frame);
  }

  listen();
  return { busy, notice, open, leave, invite, peeked, peekRefused, pairedLate, answer, refused, dropped, onQueued, onUnqueued };
}
