// The game page: lobby (create or join a room) and room (board, players, rematch, chat), driven
// by the server's frames. The server is the referee: this page sends intentions and draws the
// state it is told. Player-supplied text is only ever set with textContent.

import { Socket, socketUrl } from './socket.mjs';
import * as words from './words.mjs';
import { loadSeat, saveSeat, clearSeat, loadName, saveName } from './seat.mjs';
import { Cues } from './cues.mjs';

// API Gateway closes a WebSocket after 10 minutes without a message: a player thinking for a
// long time, or waiting for a friend, sends one cheap getRoom after 5 quiet minutes.
const HEARTBEAT_MS = 5 * 60 * 1000;
const HEARTBEAT_CHECK_MS = 30 * 1000;
// How long to wait before asking again when the server could not take a rejoin just now.
const REJOIN_RETRY_MS = 3000;
const CHAT_KEEP = 100;
const OFFLINE_NOTICE = 'Reconnecting: you can play again in a moment.';
const CHAT_OFFLINE_NOTICE = 'Not connected right now: your message will not be sent. Try again once reconnected.';
const WATCHING_NOTICE = 'You are watching this game: the players see you as a spectator, and only they can move or chat.';

const $ = (id) => document.getElementById(id);
const cells = [...document.querySelectorAll('#board .cell')];

const app = {
  room: null, // the latest room state from the server
  me: '', // this tab's symbol in the room, '' when only watching
  seat: null, // {roomCode, token, symbol} while this tab holds a seat (boot finds a kept one)
  pending: '', // the action whose answer we wait for: createRoom | joinRoom | playComputer | quickMatch | cancelQuickMatch | watch | rejoin | leaveRoom
  joining: '', // the code of the room a join was sent for (a full one is watched instead)
  quickOffer: 0, // the timer that offers the computer to a player waiting for a quick match
  quickRetry: 0, // the timer that asks again when queued's retryIn says (a cooldown, a busy queue)
  afterQuick: null, // the frame to send once a cancelled quick match is answered (play the computer)
  quickCancelled: 0, // when a quick match was last cancelled (Date.now())
  moving: false, // a move was sent and its answer has not come yet
  cursor: 4, // the board cell that takes Tab focus (roving tabindex)
  skew: 0, // the server's clock minus this device's, from the last room frame
  graceTimer: 0, // ticks the grace countdown while an opponent is offline
  graceAsked: 0, // when the page last asked the server to resolve a passed deadline
  cue: '', // what happened while the tab was hidden, leading the tab title
  unread: 0, // the opponent's messages not yet seen
  chatInView: true, // whether the chat log is on screen
};

// serverNow is the server's clock as this page reckons it.
const serverNow = () => Date.now() + app.skew;
// How often the page asks again once a deadline has passed and the room has not changed.
const GRACE_ASK_MS = 2000;

const config = globalThis.TICTACTOE_CONFIG || {};
// Every Region's socket, in the order to try them, when the deployment has several.
const wsUrls = (Array.isArray(config.webSocketUrls) ? config.webSocketUrls : [config.webSocketUrl])
  .map((u) => socketUrl(u, location.href)).filter(Boolean);
const wsUrl = wsUrls[0] || '';
const socket = new Socket(wsUrls.length > 0 ? wsUrls : '', { onOpen, onFrame, onState });
const cues = new Cues();

// ---- small view helpers ----

function show(el, visible) {
  el.hidden = !visible;
}

// say sets an element's text (an element or its id) only when it changes, so screen readers
// announce nothing twice and the layout is not redone.
function say(target, text) {
  const el = typeof target === 'string' ? $(target) : target;
  if (el.textContent !== text) el.textContent = text;
}

function gameNotice(text) {
  say('game-notice', text);
}

function lobbyNotice(text) {
  say('lobby-notice', text);
}

function fieldError(form, text, input) {
  say(`${form}-error`, text);
  if (input) {
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

function setUrl(code) {
  const url = code ? `${location.pathname}?room=${encodeURIComponent(code)}` : location.pathname;
  history.replaceState(null, '', url);
}

function inviteLink(code) {
  return `${location.origin}${location.pathname}?room=${code}`;
}

function focusHeading(id) {
  const h = $(id);
  h.tabIndex = -1;
  h.focus({ preventScroll: false });
}

// ---- the connection ----

function onOpen() {
  if (app.seat) sendRejoin();
}

function sendRejoin() {
  if (!app.seat) return;
  app.pending = 'rejoin';
  socket.send({ action: 'rejoin', roomCode: app.seat.roomCode, token: app.seat.token });
}

// site says whether the page's own host answers, asked at most every SITE_CHECK_MS: a socket
// refused while the site answers is the game server saying no (API Gateway's throttle), not
// the network.
const SITE_CHECK_MS = 5000;
const site = { at: 0, up: null };

async function checkSite() {
  if (Date.now() - site.at < SITE_CHECK_MS) return;
  site.at = Date.now();
  try {
    const res = await fetch('/config.js', { method: 'HEAD', cache: 'no-store' });
    site.up = res.ok;
  } catch {
    site.up = false;
  }
  onState(socket.state);
}

function onState(state) {
  let text = '';
  if (state === 'retrying' || (state === 'connecting' && socket.attempts > 0)) {
    if (navigator.onLine === false) text = words.connectionText('offline');
    else if (!socket.refused) text = words.connectionText('lost');
    else {
      // Refused at the handshake: the site tells the network's fault from the server's.
      text = words.connectionText(site.up === true ? 'refused' : site.up === false ? 'unreachable' : 'connecting');
      checkSite();
    }
  } else if (state === 'connecting' && (app.room || app.seat || app.pending)) {
    text = 'Connecting…';
  } else if (state === 'broken') {
    text = 'The game server’s address is not set up correctly, so the game cannot start.';
  }
  say('conn', text);
  if (state === 'open') site.up = null;
  // Back online: what was said about being offline is stale.
  if (state === 'open' && [OFFLINE_NOTICE, CHAT_OFFLINE_NOTICE].includes($('game-notice').textContent)) gameNotice('');
  document.body.classList.toggle('offline', state !== 'open' && Boolean(app.room));
  if (state !== 'open') {
    app.moving = false;
    // A create or join that was sent but not answered before the drop may or may not have
    // happened: let the player try again rather than wait forever.
    if (opensRoom(app.pending) && socket.outbox.length === 0 && state !== 'connecting') {
      const waited = !$('quick-wait').hidden; // the server takes a dropped connection off the queue
      quickDone();
      app.pending = '';
      lobbyBusy(false);
      lobbyNotice(waited ? 'The connection dropped, which ended your wait for an opponent. Please try again.'
        : 'The connection dropped before the server answered. Please try again.');
    }
    // A leave that got no answer: the player still wants out, and must not be rejoined on
    // reconnect. If the server never saw it, the seat goes after the grace period.
    if (app.pending === 'leaveRoom') {
      toLobby('');
      return;
    }
  }
  if (app.room) renderRoom();
}

function onFrame(f) {
  switch (f.type) {
    case 'room':
      onRoom(f);
      break;
    case 'chat':
      onChat(f);
      break;
    case 'chatHistory':
      onChatHistory(f);
      break;
    case 'error':
      onError(f);
      break;
    case 'left':
      onLeft(f);
      break;
    case 'queued':
      onQueued(f);
      break;
    case 'unqueued':
      onUnqueued();
      break;
    default:
      // API Gateway's own answers (a throttled frame; a function it could not run) have no
      // type and name no action.
      if (f.type === undefined && f.message === 'Too Many Requests') onDropped('rate_limited');
      else if (f.type === undefined && f.message === 'Internal server error') onDropped('internal_error');
    // frame types added to the protocol later are ignored, as v1 promises they may be
  }
}

// onDropped: the gateway dropped a frame of ours (code says why), which no game function
// answered. What was waiting for an answer waits no more, and the player is told to try again.
function onDropped(code) {
  const text = words.errorText({ type: 'error', code });
  if (opensRoom(app.pending)) {
    app.pending = '';
    lobbyBusy(false);
  }
  app.moving = false;
  if (app.room) {
    gameNotice(text);
    renderRoom();
  } else lobbyNotice(text);
}

function onRoom(f) {
  const r = f.room;
  if (!r || typeof r.code !== 'string' || !Array.isArray(r.board) || !r.players) return;
  const current = app.room && app.room.code === r.code;
  if (current && r.version < app.room.version) return; // older than what we show
  // A cancel can lose the race to a pairing, whose seat then arrives after the unqueued.
  const paired = Boolean(f.you && f.you.token) && !app.room && Date.now() - app.quickCancelled < QUICK_RACE_MS;
  const expected = opensRoom(app.pending) || (app.seat && app.seat.roomCode === r.code) || paired;
  if (!current && !expected) return; // a late frame from a room this tab has left

  if (f.you && typeof f.you.token === 'string' && f.you.token) {
    app.seat = { roomCode: r.code, token: f.you.token, symbol: f.you.symbol };
    saveSeat(app.seat);
  }
  if (typeof f.serverTime === 'number') app.skew = f.serverTime - Date.now();
  const before = current ? app.room : null;
  app.me = f.you && (f.you.symbol === 'X' || f.you.symbol === 'O') ? f.you.symbol : '';
  app.room = r;
  app.moving = false;
  const arriving = !current;
  if (arriving || app.pending === 'rejoin') {
    app.pending = '';
    lobbyBusy(false);
  }
  socket.keep = Boolean(app.seat);
  if (before) explainChange(before, r);
  if (arriving) enterRoom(r);
  if (arriving && !app.me) gameNotice(WATCHING_NOTICE);
  renderRoom();
}

// explainChange says what a new state means when the status line alone would not: the
// other player's move (read out to screen readers, which cannot see the board change) and a
// guest who left.
function explainChange(before, r) {
  let moved = '';
  for (let i = 0; i < 9; i++) {
    const mark = r.board[i];
    if (mark && !before.board[i] && mark !== app.me) {
      const p = r.players[mark];
      moved = words.moveText(p ? p.name : '', mark, i);
    }
  }
  say('last-move', moved);
  const joined = app.me === 'X' && !(before.players && before.players.O) && r.players.O ? r.players.O.name : '';
  if (moved) cue(moved.replace(/ in row.*$/, ''));
  else if (joined) cue(`${joined} joined`);
  const guestBefore = before.players && before.players.O;
  if (app.me === 'X' && guestBefore && !r.players.O && r.status === 'waiting') {
    gameNotice(`${guestBefore.name} left the room. Share the code to play someone new.`);
  } else if (before.status !== r.status && r.status === 'playing') {
    gameNotice('');
  }
}

// cue tells a player who is looking elsewhere (tab hidden) what happened: sound, vibration
// and the tab title (cues.mjs).
function cue(what) {
  if (!app.me) return; // a spectator is not called back to the game
  const text = cues.cue(what);
  if (!text) return;
  app.cue = text;
  if (app.room) renderRoom(); // the title leads with it
}

function enterRoom(r) {
  const fresh = $('game').hidden;
  clearTimeout(app.quickOffer);
  app.afterQuick = null;
  show($('quick-wait'), false);
  setUrl(r.code);
  clearChat();
  setUnread(0);
  say('last-move', '');
  gameNotice('');
  say('copy-status', '');
  lobbyNotice('');
  show($('lobby'), false);
  show($('game'), true);
  app.cursor = 4;
  if (fresh || document.activeElement === document.body) focusHeading('game-title');
}

function onError(f) {
  const text = words.errorText(f);
  switch (f.action) {
    case 'createRoom':
    case 'joinRoom':
    case 'playComputer':
    case 'quickMatch':
    case 'cancelQuickMatch':
      if (app.pending === f.action) {
        if (f.action === 'quickMatch' || f.action === 'cancelQuickMatch') quickDone();
        app.pending = '';
        lobbyBusy(false);
      }
      if (app.room) gameNotice(text);
      else if (f.action === 'joinRoom' && f.code === 'room_full' && app.joining) watch(app.joining); // a full room: watch it
      else if (f.action === 'joinRoom') fieldError('join', text, f.code === 'room_not_found' ? $('join-code') : null);
      else fieldError({ playComputer: 'computer', quickMatch: 'quick', cancelQuickMatch: 'quick' }[f.action] || 'create', text, null);
      return;
    case 'rejoin':
      if (f.code === 'rate_limited' || f.code === 'internal_error') {
        setTimeout(() => socket.state === 'open' && sendRejoin(), REJOIN_RETRY_MS);
        return;
      }
      toLobby(seatLost(f.code, app.seat ? app.seat.roomCode : ''));
      return;
    case 'getRoom':
      if (app.pending === 'watch') { // watching a room that is not there
        app.pending = '';
        lobbyBusy(false);
        fieldError('join', text, f.code === 'room_not_found' ? $('join-code') : null);
        return;
      }
      // Otherwise only the heartbeat asks; the room is gone if it cannot be found.
      if (f.code === 'room_not_found' && app.room) toLobby(`Room ${app.room.code} has closed.`);
      return;
    case 'move':
      app.moving = false;
      break;
    case 'leaveRoom':
      if (app.pending === 'leaveRoom') {
        toLobby(''); // not in the room any more, which is what the player wanted
        return;
      }
      break;
    default:
  }
  if (f.code === 'not_in_room' && app.room) {
    toLobby(seatLost(f.code, app.room.code));
    return;
  }
  if (app.room) {
    gameNotice(text);
    renderRoom();
  } else {
    lobbyNotice(text);
  }
}

function seatLost(code, roomCode) {
  switch (code) {
    case 'not_in_room':
      return `Your seat in room ${roomCode} was given up because you were away too long. Start or join a new game.`;
    case 'room_not_found':
      return `Room ${roomCode} has closed.`;
    default:
      return words.errorText({ code, action: 'rejoin' });
  }
}

function onLeft(f) {
  if (!app.room || f.roomCode !== app.room.code) {
    if (app.seat && app.seat.roomCode === f.roomCode && app.pending === 'rejoin') {
      // Another tab took the seat before this one showed the room: the token stays for it.
      if (f.reason === 'elsewhere') toLobby(`Your seat in room ${f.roomCode} is now played in another tab or window.`, { elsewhere: true });
      else toLobby(`Room ${f.roomCode} has closed.`);
    }
    return;
  }
  if (app.pending === 'leaveRoom') toLobby('');
  else if (f.reason === 'elsewhere') {
    toLobby(`Your seat in room ${f.roomCode} is now played in another tab or window. Go on there, or open the room link here to take it back.`, { elsewhere: true });
  } else toLobby(`Room ${f.roomCode} has closed.`);
}

function toLobby(notice, { elsewhere = false } = {}) {
  app.room = null;
  app.me = '';
  app.seat = null;
  app.pending = '';
  app.moving = false;
  clearInterval(app.graceTimer);
  app.graceTimer = 0;
  clearSeat({ elsewhere });
  socket.keep = false;
  setUrl('');
  document.title = 'TicTacToe';
  document.body.classList.remove('offline');
  show($('game'), false);
  show($('lobby'), true);
  $('lobby').classList.remove('invited');
  say('join-title', 'Join a game');
  say('create-title', 'Start a game');
  lobbyBusy(false);
  lobbyNotice(notice);
  onState(socket.state);
  focusHeading('lobby-title');
}

// ---- the room view ----

function renderRoom() {
  const r = app.room;
  if (!r) return;
  const me = app.me;
  const live = socket.state === 'open';
  say('room-code', r.code);
  say('status', words.statusText(r, me, serverNow()));
  graceTick(r);

  const win = new Set(Array.isArray(r.winLine) ? r.winLine : []);
  const canMove = live && me && r.status === 'playing' && r.turn === me && !app.moving;
  cells.forEach((cell, i) => {
    const mark = r.board[i] === 'X' || r.board[i] === 'O' ? r.board[i] : '';
    say(cell, mark);
    cell.className = `cell${mark ? ` mark-${mark.toLowerCase()}` : ''}${win.has(i) ? ' win' : ''}`;
    cell.setAttribute('aria-label', words.cellLabel(i, mark, win.has(i)));
    cell.setAttribute('aria-disabled', String(!(canMove && !mark)));
    cell.tabIndex = i === app.cursor ? 0 : -1;
  });
  // The tab's title says when it is your move, for a player looking at another tab.
  document.title = `${app.cue ? `● ${app.cue} · ` : ''}${canMove ? 'Your turn · ' : ''}Room ${r.code} · TicTacToe`;
  const board = $('board');
  board.classList.toggle('my-turn', Boolean(canMove));
  board.classList.toggle('over', r.status === 'won' || r.status === 'draw' || r.status === 'abandoned');

  for (const sym of ['X', 'O']) renderSeat(sym, r, me);
  // The series score, and after a forfeit the final score of the series that ended with it.
  const both = (r.players.X && r.players.O) || r.forfeit;
  say('score', both ? words.scoreText(r, me) : '');

  const inviting = me === 'X' && r.status === 'waiting';
  show($('invite'), inviting);
  if (inviting) {
    say('invite-code', r.code);
    const link = inviteLink(r.code);
    if ($('invite-link').value !== link) $('invite-link').value = link;
  }

  const rm = words.rematchState(r, me);
  const rb = $('rematch');
  show(rb, Boolean(rm));
  if (rm) {
    say(rb, rm.label);
    rb.setAttribute('aria-disabled', String(rm.disabled || !live));
  }
  show($('chat-form'), Boolean(me) && r.status !== 'abandoned');
  show($('new-room'), me === 'O' && r.status === 'abandoned');
}

// graceTick keeps the countdown of an offline opponent going and, once the deadline has passed
// by the server's clock, asks the server for the room: the server decides, with its own clock,
// whether the seat is given up (and the game forfeited).
function graceTick(r) {
  const waiting = ['X', 'O'].some((s) => s !== app.me && words.graceLeft(r.players[s], serverNow()) !== null);
  if (!waiting) {
    clearInterval(app.graceTimer);
    app.graceTimer = 0;
    return;
  }
  if (!app.graceTimer) app.graceTimer = setInterval(() => app.room && renderRoom(), 1000);
  // Players ask at the deadline; a spectator's count runs, and it hears the outcome.
  const passed = ['X', 'O'].some((s) => s !== app.me && words.graceLeft(r.players[s], serverNow()) === 0);
  if (app.me && passed && socket.state === 'open' && Date.now() - app.graceAsked >= GRACE_ASK_MS) {
    app.graceAsked = Date.now();
    socket.send({ action: 'getRoom', roomCode: r.code });
  }
}

function renderSeat(sym, r, me) {
  const li = $(`seat-${sym}`);
  const p = r.players[sym];
  const name = li.querySelector('.pname');
  const presence = li.querySelector('.presence');
  if (!p) {
    say(name, sym === 'O' && r.status === 'waiting' ? 'Waiting for a player' : 'Empty seat');
    say(presence, '');
  } else {
    // This page knows its own connection better than the last frame it got.
    const online = sym === me ? socket.state === 'open' : p.online;
    say(name, p.name); // the player's own seat is marked by its badge, which no name can draw
    if (p.computer) say(presence, ''); // always there: nothing to say
    else say(presence, words.presenceText(p, sym === me, online, serverNow()));
    li.classList.toggle('away', !online);
  }
  li.querySelector('.you-badge').hidden = !p || sym !== me;
  li.classList.toggle('mine', Boolean(p) && sym === me);
  li.classList.toggle('empty', !p);
  if (!p) li.classList.remove('away');
  li.classList.toggle('turn', r.status === 'playing' && r.turn === sym);
  li.classList.toggle('winner', r.status === 'won' && r.winner === sym);
}

// ---- chat ----

// The chat as this tab knows it, merged from live messages and histories by their seq (a
// message kept by the server has one): nothing twice, in the order they were said.
const chat = { lines: [], seqs: new Set() };

function onChat(f) {
  if (!app.room || f.roomCode !== app.room.code || typeof f.text !== 'string') return;
  const seq = typeof f.seq === 'number' && f.seq > 0 ? f.seq : 0;
  if (seq && chat.seqs.has(seq)) return;
  if (seq) chat.seqs.add(seq);
  chat.lines.push({ ...f, seq, order: chat.lines.length });
  // Kept messages by seq; one the server could not keep stays where it arrived.
  chat.lines.sort((a, b) => (a.seq && b.seq ? a.seq - b.seq : a.order - b.order));
  while (chat.lines.length > CHAT_KEEP) chat.lines.shift();
  renderChat();
  if (f.symbol !== app.me && !f.history) {
    cue(`${f.from || 'Your opponent'} wrote`);
    if (!app.chatInView || cues.hidden()) setUnread(app.unread + 1);
  }
}

function renderChat() {
  const log = $('chat-log');
  log.replaceChildren(...chat.lines.map((f) => {
    const li = document.createElement('li');
    li.className = f.symbol === app.me ? 'mine' : 'theirs';
    const from = document.createElement('span');
    from.className = `from mark-${f.symbol === 'O' ? 'o' : 'x'}`;
    from.textContent = f.symbol === app.me ? 'You' : String(f.from || f.symbol || '');
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = f.text;
    const at = document.createElement('time');
    const d = new Date(typeof f.at === 'number' ? f.at : Date.now());
    at.dateTime = d.toISOString();
    at.textContent = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    li.append(from, ' ', text, ' ', at);
    return li;
  }));
  log.scrollTop = log.scrollHeight;
}

function clearChat() {
  chat.lines = [];
  chat.seqs.clear();
  $('chat-log').replaceChildren();
}

// onChatHistory shows the room's kept chat (after a reload, a rejoin, or on starting to watch),
// merged with what the log shows by seq, so nothing appears twice or goes missing.
function onChatHistory(f) {
  if (!app.room || f.roomCode !== app.room.code || !Array.isArray(f.messages)) return;
  for (const m of f.messages) onChat({ ...m, roomCode: f.roomCode, history: true });
}

$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('chat-text');
  const text = input.value.trim();
  if (!app.room || !text) return;
  const problem = words.chatProblem(text);
  if (problem) {
    gameNotice(problem); // the text stays in the box, to be shortened
    return;
  }
  if (!socket.send({ action: 'sendMessage', roomCode: app.room.code, text })) {
    gameNotice(CHAT_OFFLINE_NOTICE);
    return;
  }
  input.value = '';
  gameNotice('');
});

// ---- board input ----

$('board').addEventListener('click', (e) => {
  const cell = e.target.closest('.cell');
  if (!cell || !app.room) return;
  const i = Number(cell.dataset.cell);
  app.cursor = i;
  const r = app.room;
  let problem = '';
  if (!app.me) problem = 'You are watching this game.';
  else if (socket.state !== 'open') problem = OFFLINE_NOTICE;
  else if (r.status === 'waiting') problem = 'The game starts when your opponent joins.';
  else if (r.status !== 'playing') problem = 'This game is over.';
  else if (r.turn !== app.me) problem = words.errorText({ code: 'not_your_turn' });
  else if (r.board[i]) problem = words.errorText({ code: 'cell_taken' });
  else if (app.moving) return;
  if (problem) {
    gameNotice(problem);
    renderRoom();
    return;
  }
  if (socket.send({ action: 'move', roomCode: r.code, cell: i })) {
    app.moving = true;
    gameNotice('');
    renderRoom();
  }
});

// Arrow keys move between cells (one Tab stop for the whole board), Home and End jump.
$('board').addEventListener('keydown', (e) => {
  const cell = e.target.closest('.cell');
  if (!cell) return;
  const i = Number(cell.dataset.cell);
  const row = Math.floor(i / 3);
  const col = i % 3;
  const to = {
    ArrowLeft: row * 3 + Math.max(col - 1, 0),
    ArrowRight: row * 3 + Math.min(col + 1, 2),
    ArrowUp: Math.max(row - 1, 0) * 3 + col,
    ArrowDown: Math.min(row + 1, 2) * 3 + col,
    Home: 0,
    End: 8,
  }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  app.cursor = to;
  cells.forEach((c, j) => (c.tabIndex = j === to ? 0 : -1));
  cells[to].focus();
});

// ---- room buttons ----

$('rematch').addEventListener('click', () => {
  const r = app.room;
  const rm = r && words.rematchState(r, app.me);
  if (!rm || rm.disabled) return;
  if (!socket.send({ action: 'rematch', roomCode: r.code })) gameNotice(OFFLINE_NOTICE);
});

$('leave').addEventListener('click', () => {
  if (!app.room && !app.seat) return;
  const r = app.room;
  // Mid-game, leaving ends the game for the other player too: ask first.
  if (r && app.me && r.status === 'playing' && !r.players[app.me === 'X' ? 'O' : 'X']?.computer &&
      !confirm(app.me === 'X'
        ? 'Leave the game? The room closes for your opponent too.'
        : 'Leave the game? Your opponent keeps the room and waits for someone new.')) return;
  const code = app.room ? app.room.code : app.seat.roomCode;
  if (socket.send({ action: 'leaveRoom', roomCode: code })) {
    app.pending = 'leaveRoom';
    return;
  }
  // Offline: the server gives the seat up once the grace period has passed.
  toLobby('');
});

// ---- cues, unread chat, sharing ----

function renderMute() {
  const b = $('mute');
  say(b, cues.muted ? 'Unmute' : 'Mute');
  b.setAttribute('aria-pressed', String(cues.muted));
  b.title = cues.muted ? 'Sounds and vibration are off' : 'Sounds and vibration when the tab is hidden';
}
$('mute').addEventListener('click', () => {
  cues.setMuted(!cues.muted);
  renderMute();
});
renderMute();

// setUnread shows how many of the opponent's messages wait unseen: a badge on the chat's
// heading, and, while the chat is off screen (a phone's board fills it), a button to it.
function setUnread(n) {
  app.unread = n;
  const badge = $('chat-unread');
  say(badge, n > 0 ? `${n} new` : '');
  show(badge, n > 0);
  const jump = $('chat-jump');
  say(jump, n === 1 ? '1 new message ↓' : `${n} new messages ↓`);
  show(jump, n > 0 && !app.chatInView);
}
if (globalThis.IntersectionObserver) {
  new IntersectionObserver((entries) => {
    app.chatInView = entries.some((e) => e.isIntersecting);
    if (app.chatInView && !cues.hidden()) setUnread(0);
    else setUnread(app.unread);
  }).observe($('chat-log'));
}
$('chat-jump').addEventListener('click', () => {
  $('chat').scrollIntoView({ behavior: 'smooth', block: 'end' });
  $('chat-text').focus({ preventScroll: true });
  setUnread(0);
});

// Phones have a share sheet: offered beside the copy button where the browser has one.
show($('share-link'), typeof navigator.share === 'function');
$('share-link').addEventListener('click', async () => {
  if (!app.room || typeof navigator.share !== 'function') return;
  try {
    await navigator.share({ title: 'TicTacToe', text: `Play TicTacToe with me: room ${app.room.code}`, url: inviteLink(app.room.code) });
  } catch {
    // the player closed the sheet: nothing to say
  }
});

// The host of a closed room is gone: one click opens a new room under the player's name.
$('new-room').addEventListener('click', () => {
  const r = app.room;
  if (!r || app.me !== 'O') return;
  const name = (r.players.O && r.players.O.name) || loadName();
  clearSeat(); // the closed room's seat is gone with it
  app.seat = null;
  app.pending = 'createRoom';
  if (!socket.send({ action: 'createRoom', name })) {
    app.pending = '';
    gameNotice(OFFLINE_NOTICE);
  }
});

$('copy-link').addEventListener('click', async () => {
  if (!app.room) return;
  const link = inviteLink(app.room.code);
  let copied = false;
  try {
    if (navigator.clipboard && globalThis.isSecureContext) {
      await navigator.clipboard.writeText(link);
      copied = true;
    }
  } catch {
    copied = false;
  }
  if (!copied) {
    // Plain-HTTP pages have no clipboard API: select the link and use the older command.
    const input = $('invite-link');
    input.focus();
    input.select();
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
  }
  say('copy-status', copied ? 'Link copied. Send it to your friend.' : 'Select the link above and copy it.');
});

// ---- the lobby ----

// opensRoom: the lobby's actions, each answered by the room it opens.
// A quick match, even one being cancelled, is answered by a room when a stranger is found
// first.
function opensRoom(action) {
  return action === 'createRoom' || action === 'joinRoom' || action === 'playComputer' || action === 'watch' ||
    action === 'quickMatch' || action === 'cancelQuickMatch';
}

function lobbyBusy(busy) {
  for (const form of [$('create-form'), $('join-form'), $('quick-form'), $('computer-form')]) {
    form.setAttribute('aria-busy', String(busy));
    form.querySelector('button').setAttribute('aria-disabled', String(busy));
  }
  // Watch is the join form's second way in: busy with the rest. (The quick match's Cancel stays
  // usable: it answers the wait that made the lobby busy.)
  $('watch').setAttribute('aria-disabled', String(busy));
}

const names = [$('create-name'), $('join-name'), $('quick-name'), $('computer-name')];
for (const input of names) {
  input.value = loadName();
  input.addEventListener('input', () => {
    for (const other of names) if (other !== input) other.value = input.value;
  });
}

// The first sign of intent opens the connection, so Create and Join answer at once without
// every visitor holding a connection open.
$('lobby').addEventListener('focusin', () => {
  if (wsUrl) socket.open();
}, { once: true });

$('join-code').addEventListener('input', (e) => {
  const input = e.target;
  const v = words.normalizeCode(input.value);
  if (v !== input.value) input.value = v;
});

// A lobby form that needs only a name (form is its id's prefix) starts action with the frame
// extra() adds to.
function onNameForm(form, action, extra = () => ({})) {
  $(`${form}-form`).addEventListener('submit', (e) => {
    e.preventDefault();
    if (app.pending) return;
    const input = $(`${form}-name`);
    const problem = words.nameProblem(input.value);
    fieldError(form, problem, input);
    if (problem) return input.focus();
    start(action, { action, name: input.value.trim(), ...extra() });
  });
}
onNameForm('create', 'createRoom');
onNameForm('computer', 'playComputer', () => ({ level: $('computer-level').value }));
onNameForm('quick', 'quickMatch');

// ---- quick match ----

// After this long without a match, the waiting player is offered the computer instead.
const QUICK_OFFER_MS = 15000;
// A pairing's seat arriving this soon after a cancel was sent won the race: it stands.
const QUICK_RACE_MS = 10000;

// onQueued: the server has no one to pair us with yet; we wait, and may cancel. A queued frame
// with retryIn says we have no place in the queue yet (we left a quick match early and wait out
// a cooldown, or the queue was too busy to take us): we ask again then, with up to a second
// more at random so that a crowd does not come back at once.
function onQueued(f) {
  if (app.pending !== 'quickMatch' || app.room) return;
  clearTimeout(app.quickRetry);
  if (f.retryIn > 0) {
    const name = $('quick-name').value.trim();
    app.quickRetry = setTimeout(() => {
      if (app.pending === 'quickMatch' && !app.room) socket.sendSoon({ action: 'quickMatch', name });
    }, f.retryIn * 1000 + Math.random() * 1000);
  }
  if (!$('quick-wait').hidden) return; // an answer to asking again: the wait goes on
  show($('quick-wait'), true);
  show($('quick-computer'), false);
  say('quick-status', 'Looking for an opponent… You will play the next person who asks.');
  clearTimeout(app.quickOffer);
  app.quickOffer = setTimeout(() => {
    if (app.pending !== 'quickMatch') return;
    say('quick-status', 'Nobody has turned up yet. Keep waiting, or play the computer instead.');
    show($('quick-computer'), true);
  }, QUICK_OFFER_MS);
}

// onUnqueued: we no longer wait; then what the player chose instead, if anything.
function onUnqueued() {
  if (app.pending !== 'cancelQuickMatch') return;
  quickDone();
  const next = app.afterQuick;
  app.afterQuick = null;
  if (next && !app.room) start(next.action, next);
  else $('quick-name').focus();
}

// quickDone: the wait is over (a room, a cancel, a drop): the card is a form again.
function quickDone() {
  clearTimeout(app.quickOffer);
  clearTimeout(app.quickRetry);
  show($('quick-wait'), false);
  say('quick-status', '');
  if (opensRoom(app.pending) && !app.room) {
    app.pending = '';
    lobbyBusy(false);
  }
}

function cancelQuick(then) {
  if (app.pending !== 'quickMatch') return;
  app.quickCancelled = Date.now();
  app.afterQuick = then || null;
  app.pending = 'cancelQuickMatch';
  say('quick-status', 'Cancelling…');
  socket.sendSoon({ action: 'cancelQuickMatch' });
}
$('quick-cancel').addEventListener('click', () => cancelQuick());
$('quick-computer').addEventListener('click', () => {
  const name = $('quick-name').value.trim();
  cancelQuick({ action: 'playComputer', name, level: $('computer-level').value });
});

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (app.pending) return;
  const codeInput = $('join-code');
  const nameInput = $('join-name');
  const code = words.normalizeCode(codeInput.value);
  const codeProblem = words.codeProblem(code);
  fieldError('join', codeProblem, codeInput);
  if (codeProblem) return codeInput.focus();
  const nameProblem = words.nameProblem(nameInput.value);
  fieldError('join', nameProblem, nameInput);
  if (nameProblem) return nameInput.focus();
  app.joining = code;
  start('joinRoom', { action: 'joinRoom', roomCode: code, name: nameInput.value.trim() });
});

$('watch').addEventListener('click', () => {
  if (app.pending) return;
  const codeInput = $('join-code');
  const code = words.normalizeCode(codeInput.value);
  const problem = words.codeProblem(code);
  fieldError('join', problem, codeInput);
  if (problem) return codeInput.focus();
  watch(code);
});

// watch follows room code as a spectator: the live board, names, score and chat, read-only.
// The getRoom waits for the connection when it is not open yet (Watch pressed while the socket
// is still opening, or after it closed), as every lobby action's frame does.
function watch(code) {
  if (!wsUrl) return;
  lobbyNotice('');
  fieldError('join', '', $('join-code'));
  app.pending = 'watch';
  lobbyBusy(true);
  socket.sendSoon({ action: 'getRoom', roomCode: code });
}

function start(action, frame) {
  if (!wsUrl) {
    lobbyNotice('The game server’s address is not set up, so games cannot start. (Is config.js served?)');
    return;
  }
  saveName(frame.name);
  lobbyNotice('');
  app.pending = action;
  lobbyBusy(true);
  socket.sendSoon(frame);
}

// ---- the page's life ----

addEventListener('online', () => socket.retryNow());
addEventListener('offline', () => onState(socket.state));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  if (cues.seen() || app.cue) {
    app.cue = '';
    if (app.room) renderRoom();
  }
  if (app.chatInView) setUnread(0);
  socket.retryNow();
  heartbeat();
});

function heartbeat() {
  if (app.room && app.seat && socket.state === 'open' && socket.idleFor() >= HEARTBEAT_MS) {
    socket.send({ action: 'getRoom', roomCode: app.room.code });
  }
}
setInterval(heartbeat, HEARTBEAT_CHECK_MS);

function showServedBy() {
  fetch('instance.json', { cache: 'no-store' })
    .then((res) => (res.ok && res.status !== 204 ? res.json() : null))
    .then((info) => {
      if (!info || typeof info.instanceId !== 'string' || !/^i-[0-9a-f]{8,17}$/.test(info.instanceId)) return;
      const az = typeof info.availabilityZone === 'string' && /^[a-z0-9-]{1,32}$/.test(info.availabilityZone)
        ? ` in ${info.availabilityZone}` : '';
      say('served-by', `Served by ${info.instanceId}${az}.`);
    })
    .catch(() => {}); // no instance facts (local development): the footer says nothing
}

function boot() {
  showServedBy();
  const invited = words.normalizeCode(new URLSearchParams(location.search).get('room'));
  if (!wsUrl) onState('broken');
  const mine = loadSeat();
  // This tab's seat (a reload), or the seat this browser keeps for the room the link names
  // (a closed tab reopened, another tab, a restarted browser).
  app.seat = mine && (!invited || invited === mine.roomCode) ? mine : (invited && loadSeat(invited)) || null;
  if (app.seat && app.seat.token) saveSeat(app.seat);
  if (app.seat) {
    // A reload or a return to the room mid-game: take the seat back.
    show($('lobby'), false);
    show($('game'), true);
    say('room-code', app.seat.roomCode);
    say('status', 'Rejoining your game…');
    socket.keep = true;
    app.pending = 'rejoin';
    socket.open();
    return;
  }
  if (invited) {
    // An invitation to another room than the one this tab sat in: that seat is not taken back
    // (joining the new room replaces it).
    app.seat = null;
    $('lobby').classList.add('invited');
    say('join-title', `Join room ${invited}`);
    say('create-title', 'Or start your own game');
    $('join-code').value = invited;
    if (words.codeProblem(invited)) fieldError('join', words.codeProblem(invited), $('join-code'));
    $('join-name').focus();
  }
}

boot();
