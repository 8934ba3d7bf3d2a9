// This tab's room: its seat, the latest state the server sent, and the view of it (board,
// seats and presence, score, invitation, rematch) with the room's buttons.

import * as words from './words.mjs';
import { $, show, say, focusHeading } from './view.mjs';
import { saveSeat, clearSeat, loadName } from './seat.mjs';

// API Gateway closes a socket quiet for 10 minutes: a cheap getRoom after 5 keeps it.
const HEARTBEAT_MS = 5 * 60 * 1000;
const HEARTBEAT_CHECK_MS = 30 * 1000;
// How often the page asks again once a deadline has passed and the room has not changed.
const ASK_MS = 2000;

function inviteLink(code) {
  return `${location.origin}${location.pathname}?room=${code}`;
}

function setUrl(code) {
  const url = code ? `${location.pathname}?room=${encodeURIComponent(code)}` : location.pathname;
  history.replaceState(null, '', url);
}

// toLobby(notice) leaves the room's screen: the leave button's way out when offline.
export function roomScreen({ socket, waiting, cues, toLobby }) {
  let current = null; // the latest room state from the server
  let me = ''; // this tab's symbol in the room, '' when only watching
  let seat = null; // {roomCode, token, symbol} while this tab holds a seat
  let skew = 0; // the server's clock minus this device's
  let moving = false; // a move was sent and not answered yet
  let cursor = 4; // the cell that takes Tab focus (roving tabindex)
  let tickTimer = 0; // ticks the countdowns: an offline opponent's seat, the move clock
  let asked = 0; // when the page last asked the server about a passed deadline
  let warned = 0; // the turnEndsAt this player was warned of
  let cued = ''; // what happened while the tab was hidden, leading the title
  let lastBoard = null; // the board a forfeit ended, kept on screen until someone new joins
  const cells = [...document.querySelectorAll('#board .cell')];
  const serverNow = () => Date.now() + skew;

  function notice(text) {
    say('game-notice', text);
  }

  // take keeps a room frame's state (expected: the tab waits for a room), returning whether
  // the room is arriving and the state it replaces, or null for a frame to ignore.
  function take(f, expected) {
    const r = f.room;
    if (!r || typeof r.code !== 'string' || !Array.isArray(r.board) || !r.players) return null;
    const same = current && current.code === r.code;
    if (same && r.version < current.version) return null; // older than what we show
    const mine = seat && seat.roomCode === r.code;
    if (!same && !expected && !mine) return null; // a late frame from a room this tab has left
    if (f.you && typeof f.you.token === 'string' && f.you.token) {
      seat = { roomCode: r.code, token: f.you.token, symbol: f.you.symbol };
      saveSeat(seat);
    }
    if (typeof f.serverTime === 'number') skew = f.serverTime - Date.now();
    const before = same ? current : null;
    me = f.you && (f.you.symbol === 'X' || f.you.symbol === 'O') ? f.you.symbol : '';
    current = r;
    moving = false;
    return { arriving: !same, before };
  }

  function enter() {
    const fresh = $('game').hidden;
    setUrl(current.code);
    say('last-move', '');
    notice('');
    say('copy-status', '');
    show($('game'), true);
    cursor = 4;
    if (fresh || document.activeElement === document.body) focusHeading('game-title');
  }

  // resume shows a kept seat's room while its rejoin is on the way.
  function resume(kept) {
    seat = kept;
    if (seat.token) saveSeat(seat);
    show($('game'), true);
    say('room-code', seat.roomCode);
    say('status', 'Rejoining your game…');
  }

  function close({ elsewhere = false } = {}) {
    current = null;
    me = '';
    seat = null;
    moving = false;
    clearInterval(tickTimer);
    tickTimer = 0;
    clearSeat({ elsewhere });
    setUrl('');
    document.title = 'TicTacToe';
    document.body.classList.remove('offline');
    show($('game'), false);
  }

  // Back online: what was said about being offline is stale.
  function online() {
    if ([words.OFFLINE_NOTICE, words.CHAT_OFFLINE_NOTICE].includes($('game-notice').textContent)) notice('');
  }

  // explain says what the status line alone would not: the other player's move (for screen
  // readers, which cannot see the board change) and a guest who left.
  function explain(before) {
    const r = current;
    let moved = '';
    for (let i = 0; i < 9; i++) {
      const mark = r.board[i];
      if (mark && !before.board[i] && mark !== me) {
        const p = r.players[mark];
        moved = words.moveText(p ? p.name : '', mark, i);
      }
    }
    say('last-move', moved);
    const joined = me === 'X' && !(before.players && before.players.O) && r.players.O ? r.players.O.name : '';
    if (moved) cue(moved.replace(/ in row.*$/, ''));
    else if (joined) cue(`${joined} joined`);
    const guestBefore = before.players && before.players.O;
    const lost = r.forfeit || r.timeout;
    const forfeited = lost && guestBefore && lost.name === guestBefore.name;
    // A guest who lost the seat to a clock: the status says so, and the board stays in sight.
    if (forfeited && r.status === 'waiting') lastBoard = before.board;
    if (me === 'X' && guestBefore && !r.players.O && r.status === 'waiting' && !forfeited) {
      notice(`${guestBefore.name} left the room. Share the code to play someone new.`);
    } else if (before.status !== r.status && r.status === 'playing') {
      notice('');
    }
  }

  // cue tells a player who is looking elsewhere (tab hidden) what happened (cues.mjs).
  function cue(what) {
    if (!me) return; // a spectator is not called back to the game
    const text = cues.cue(what);
    if (!text) return;
    cued = text;
    if (current) render(); // the title leads with it
  }

  function seen() {
    if (cues.seen() || cued) {
      cued = '';
      if (current) render();
    }
  }

  function heartbeat() {
    if (current && seat && socket.state === 'open' && socket.idleFor() >= HEARTBEAT_MS) {
      socket.send({ action: 'getRoom', roomCode: current.code });
    }
  }

  function render() {
    const r = current;
    if (!r) return;
    const live = socket.state === 'open';
    say('room-code', r.code);
    say('status', words.statusText(r, me, serverNow()));
    tick(r);

    const win = new Set(Array.isArray(r.winLine) ? r.winLine : []);
    const canMove = live && me && r.status === 'playing' && r.turn === me && !moving;
    if (r.status !== 'waiting' || r.players.O || !(r.forfeit || r.timeout)) lastBoard = null;
    const board = lastBoard || r.board;
    cells.forEach((cell, i) => {
      const mark = board[i] === 'X' || board[i] === 'O' ? board[i] : '';
      say(cell, mark);
      cell.className = `cell${mark ? ` mark-${mark.toLowerCase()}` : ''}${win.has(i) ? ' win' : ''}`;
      cell.setAttribute('aria-label', words.cellLabel(i, mark, win.has(i)));
      cell.setAttribute('aria-disabled', String(!(canMove && !mark)));
      cell.tabIndex = i === cursor ? 0 : -1;
    });
    // The tab's title says when it is your move, for a player looking at another tab.
    document.title = `${cued ? `● ${cued} · ` : ''}${canMove ? 'Your turn · ' : ''}Room ${r.code} · TicTacToe`;
    const grid = $('board');
    grid.classList.toggle('my-turn', Boolean(canMove));
    grid.classList.toggle('over', Boolean(lastBoard) || r.status === 'won' || r.status === 'draw' || r.status === 'abandoned');

    for (const sym of ['X', 'O']) renderSeat(sym, r);
    // The series score, and after a seat lost to a clock the final score of the series.
    const both = (r.players.X && r.players.O) || r.forfeit || r.timeout;
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
    // A spectator gets no cues to mute. The computer needs no invite and does not chat.
    show($('mute'), Boolean(me));
    show($('watching'), !me);
    say('leave', me ? 'Leave room' : 'Stop watching');
    const vsComputer = Boolean(r.players.O && r.players.O.computer);
    say($('game-title').firstChild, vsComputer ? 'Playing the computer' : 'Room ');
    show($('room-code'), !vsComputer);
    show($('chat'), !vsComputer);
    show($('chat-form'), Boolean(me) && r.status !== 'abandoned');
    show($('new-room'), me === 'O' && r.status === 'abandoned');
  }

  // tick runs the countdowns (an offline opponent's seat, the move clock), then asks the
  // server at a deadline: its clock decides.
  function tick(r) {
    const left = (s) => (s !== me ? words.graceLeft(r.players[s], serverNow()) : null);
    const turn = words.turnLeft(r, serverNow());
    if (turn === null && !['X', 'O'].some((s) => left(s) !== null)) {
      clearInterval(tickTimer);
      tickTimer = 0;
      return;
    }
    if (!tickTimer) tickTimer = setInterval(() => current && render(), 1000);
    if (me === r.turn && turn !== null && turn <= words.CLOCK_SHOWN_S && warned !== r.turnEndsAt) {
      warned = r.turnEndsAt;
      say('last-move', `${turn} seconds left to move.`);
      cue('Your move');
    }
    // Players ask at a seat's deadline (a spectator hears the outcome); anyone at the turn's.
    const passed = turn === 0 || (me && ['X', 'O'].some((s) => left(s) === 0));
    if (passed && socket.state === 'open' && Date.now() - asked >= ASK_MS) {
      asked = Date.now();
      socket.send({ action: 'getRoom', roomCode: r.code });
    }
  }

  function renderSeat(sym, r) {
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
      const turn = r.turn === sym ? words.turnLeft(r, serverNow()) : null;
      const hurry = turn !== null && turn <= words.CLOCK_SHOWN_S;
      li.classList.toggle('hurry', hurry);
      if (hurry) say(presence, words.clockText(turn));
      else if (p.computer) say(presence, ''); // always there: nothing to say
      else say(presence, words.presenceText(p, sym === me, online, serverNow()));
      li.classList.toggle('away', !online);
    }
    li.querySelector('.you-badge').hidden = !p || sym !== me;
    li.classList.toggle('mine', Boolean(p) && sym === me);
    li.classList.toggle('empty', !p);
    if (!p) li.classList.remove('away', 'hurry');
    li.classList.toggle('turn', r.status === 'playing' && r.turn === sym);
    li.classList.toggle('winner', r.status === 'won' && r.winner === sym);
  }

  function renderMute() {
    const b = $('mute');
    say(b, cues.muted ? 'Unmute' : 'Mute');
    b.setAttribute('aria-pressed', String(cues.muted));
    b.title = cues.muted ? 'Sounds and vibration are off' : 'Sounds and vibration when the tab is hidden';
  }

  function listen() {
    $('board').addEventListener('click', onCell);
    $('board').addEventListener('keydown', onKey);
    $('rematch').addEventListener('click', () => {
      const r = current;
      const rm = r && words.rematchState(r, me);
      if (!rm || rm.disabled) return;
      if (!socket.send({ action: 'rematch', roomCode: r.code })) notice(words.OFFLINE_NOTICE);
    });
    $('leave').addEventListener('click', leave);
    $('mute').addEventListener('click', () => {
      cues.setMuted(!cues.muted);
      renderMute();
    });
    $('new-room').addEventListener('click', startAnother);
    $('copy-link').addEventListener('click', copyLink);
    // Phones have a share sheet: offered beside the copy button where the browser has one.
    show($('share-link'), typeof navigator.share === 'function');
    $('share-link').addEventListener('click', share);
  }

  function onCell(e) {
    const cell = e.target.closest('.cell');
    if (!cell || !current) return;
    const i = Number(cell.dataset.cell);
    cursor = i;
    const r = current;
    let problem = '';
    if (!me) problem = 'You are watching this game.';
    else if (socket.state !== 'open') problem = words.OFFLINE_NOTICE;
    else if (r.status === 'waiting') problem = 'The game starts when your opponent joins.';
    else if (r.status !== 'playing') problem = 'This game is over.';
    else if (r.turn !== me) problem = words.errorText({ code: 'not_your_turn' });
    else if (r.board[i]) problem = words.errorText({ code: 'cell_taken' });
    else if (moving) return;
    if (problem) {
      notice(problem);
      render();
      return;
    }
    if (socket.send({ action: 'move', roomCode: r.code, cell: i })) {
      moving = true;
      notice('');
      render();
    }
  }

  // Arrow keys move between cells (one Tab stop for the whole board), Home and End jump.
  function onKey(e) {
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
    cursor = to;
    cells.forEach((c, j) => (c.tabIndex = j === to ? 0 : -1));
    cells[to].focus();
  }

  function leave() {
    if (!current && !seat) return;
    const r = current;
    // Mid-game, leaving ends the game for the other player too: ask first.
    if (r && me && r.status === 'playing' && !r.players[me === 'X' ? 'O' : 'X']?.computer &&
        !confirm(me === 'X'
          ? 'Leave the game? The room closes for your opponent too.'
          : 'Leave the game? Your opponent keeps the room and waits for someone new.')) return;
    const code = r ? r.code : seat.roomCode;
    if (socket.send({ action: 'leaveRoom', roomCode: code })) {
      waiting.start('leaveRoom');
      return;
    }
    // Offline: the server gives the seat up once the grace period has passed.
    toLobby('');
  }

  // The host of a closed room is gone: one click opens a new room under the player's name.
  function startAnother() {
    const r = current;
    if (!r || me !== 'O') return;
    const name = (r.players.O && r.players.O.name) || loadName();
    clearSeat(); // the closed room's seat is gone with it
    seat = null;
    waiting.start('createRoom');
    if (!socket.send({ action: 'createRoom', name })) {
      waiting.settle();
      notice(words.OFFLINE_NOTICE);
    }
  }

  async function share() {
    const r = current;
    if (!r || typeof navigator.share !== 'function') return;
    try {
      await navigator.share({ title: 'TicTacToe', text: `Play TicTacToe with me: room ${r.code}`, url: inviteLink(r.code) });
    } catch {
      // the player closed the sheet: nothing to say
    }
  }

  async function copyLink() {
    const r = current;
    if (!r) return;
    const link = inviteLink(r.code);
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
  }

  listen();
  renderMute();
  setInterval(heartbeat, HEARTBEAT_CHECK_MS);
  return {
    get current() { return current; },
    get me() { return me; },
    get seat() { return seat; },
    // moveDone: the move's answer came, or will not (a drop).
    moveDone() { moving = false; },
    take, enter, resume, close, online, explain, cue, seen, heartbeat, render, notice,
  };
}
