// "Your games": the player's stats, rating and rank, their last games with a replay, the
// leaderboard, their recovery link and "Forget me" (docs/privacy.md). Everything comes from the
// server (myGames, leaderboard, forgetMe); the page keeps nothing but the credential.

import { $, show, say, focusHeading } from './view.mjs';
import { player, recoveryLink, forget } from './player.mjs';
import * as words from './words.mjs';

export function gamesScreen({ socket, back }) {
  let games = [];
  let replay = null; // {game, step}

  function open() {
    show($('games'), true);
    say('games-notice', '');
    const p = player();
    if (!p) {
      say('games-notice', words.NO_PLAYER);
      return;
    }
    say('me-rating', 'Loading…');
    $('recovery-link').value = recoveryLink();
    say('player-id', p.id);
    say('recovery-status', '');
    confirming(false);
    socket.sendSoon({ action: 'myGames', player: p });
    socket.sendSoon({ action: 'leaderboard', player: p });
    focusHeading('games-title');
  }

  function close() {
    show($('games'), false);
    showReplay(null);
  }

  function onGames(f) {
    say('me-rating', words.standingText(f.player));
    const lines = words.statsLines(f.stats);
    const list = $('me-stats');
    list.replaceChildren(...lines.map((text) => {
      const li = document.createElement('li');
      li.textContent = text;
      return li;
    }));
    games = Array.isArray(f.games) ? f.games : [];
    const rows = games.map((g, i) => {
      const li = document.createElement('li');
      const text = document.createElement('span');
      text.textContent = words.gameLine(g);
      const when = document.createElement('time');
      when.dateTime = new Date(g.endedAt).toISOString();
      when.textContent = new Date(g.endedAt).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'quiet';
      b.textContent = 'Replay';
      b.setAttribute('aria-label', `Replay: ${words.gameLine(g)}`);
      b.addEventListener('click', () => showReplay({ game: games[i], step: games[i].moves.length }));
      li.append(text, ' ', when, ' ', b);
      return li;
    });
    $('game-list').replaceChildren(...rows);
    show($('no-games'), rows.length === 0);
    showReplay(null);
  }

  function onLeaderboard(f) {
    const rows = (Array.isArray(f.top) ? f.top : []).map((s) => {
      const tr = document.createElement('tr');
      if (s.you) tr.className = 'you';
      for (const text of [String(s.rank), s.name, words.ratingText(s), String(s.ratedGames)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    });
    $('leader-rows').replaceChildren(...rows);
    show($('no-leaders'), rows.length === 0);
    say('leader-you', f.you && f.you.rank ? words.rankText(f.you) : '');
  }

  function onForgotten() {
    forget();
    games = [];
    $('game-list').replaceChildren();
    $('leader-rows').replaceChildren();
    $('me-stats').replaceChildren();
    showReplay(null);
    confirming(false);
    say('games-notice', words.FORGOTTEN);
    // A fresh identity from now on; its games start from nothing.
    open();
    say('games-notice', words.FORGOTTEN);
  }

  function refused(f) {
    confirming(false);
    say('games-notice', words.errorText(f));
  }

  function showReplay(r) {
    replay = r;
    show($('replay'), Boolean(r));
    if (!r) return;
    const g = r.game;
    say('replay-title', words.replayTitle(g));
    const cells = $('replay-board').children;
    for (let i = 0; i < cells.length; i++) {
      cells[i].textContent = '';
      cells[i].className = 'cell';
      cells[i].setAttribute('aria-label', words.cellLabel(i, '', false));
    }
    let mark = g.starter;
    for (let n = 0; n < r.step; n++) {
      const c = g.moves[n];
      cells[c].textContent = mark;
      cells[c].className = `cell mark-${mark.toLowerCase()}`;
      cells[c].setAttribute('aria-label', words.cellLabel(c, mark, false));
      mark = mark === 'X' ? 'O' : 'X';
    }
    say('replay-step', words.replayStep(g, r.step));
    $('replay-first').disabled = r.step === 0;
    $('replay-prev').disabled = r.step === 0;
    $('replay-next').disabled = r.step === g.moves.length;
    $('replay-last').disabled = r.step === g.moves.length;
  }

  function step(to) {
    if (!replay) return;
    showReplay({ game: replay.game, step: Math.max(0, Math.min(replay.game.moves.length, to)) });
  }

  function confirming(on) {
    show($('forget-confirm'), on);
    show($('forget'), !on);
    show($('new-player'), !on);
  }

  $('open-games').addEventListener('click', () => {
    back.leaveLobby();
    open();
  });
  $('games-back').addEventListener('click', () => {
    close();
    back.toLobby();
  });
  $('replay-first').addEventListener('click', () => step(0));
  $('replay-prev').addEventListener('click', () => step(replay.step - 1));
  $('replay-next').addEventListener('click', () => step(replay.step + 1));
  $('replay-last').addEventListener('click', () => step(Infinity));
  $('copy-recovery').addEventListener('click', async () => {
    const link = $('recovery-link').value;
    try {
      await navigator.clipboard.writeText(link);
      say('recovery-status', 'Copied. Open it on your other device; keep it private like a password.');
    } catch {
      $('recovery-link').select();
      say('recovery-status', 'Select the link and copy it. Keep it private like a password.');
    }
  });
  $('new-player').addEventListener('click', () => {
    forget(); // only this browser's copy: the player and their games stay, reachable by their link
    open();
    say('games-notice', words.NEW_PLAYER);
  });
  $('forget').addEventListener('click', () => {
    confirming(true);
    $('forget-yes').focus();
  });
  $('forget-no').addEventListener('click', () => {
    confirming(false);
    $('forget').focus();
  });
  $('forget-yes').addEventListener('click', () => {
    const p = player();
    if (!p) return;
    say('games-notice', 'Forgetting…');
    socket.sendSoon({ action: 'forgetMe', player: p });
  });

  return { open, close, onGames, onLeaderboard, onForgotten, refused, isOpen: () => !$('games').hidden };
}
