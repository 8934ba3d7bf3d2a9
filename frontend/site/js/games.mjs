// "Your games": the player's stats, rating and rank, their last games with a replay, the
// leaderboard, their recovery link, New player and Forget me (docs/privacy.md). Everything comes
// from the server (myGames, leaderboard, forgetMe); the page keeps nothing but the credential
// (player.mjs). While the view is open the socket is kept up, and what it asked and was not
// answered is asked again when the socket comes back.

import { $, show, say, focusHeading } from './view.mjs';
import { ready, player, previous, recoveryLink, startAfresh, switchBack } from './player.mjs';
import * as words from './words.mjs';

export function gamesScreen({ socket, back, keepSocket }) {
  let games = [];
  let replay = null; // {game, step}
  const pending = new Map(); // action → frame, until answered

  function ask(frame) {
    pending.set(frame.action, frame);
    socket.sendSoon(frame);
  }

  async function open() {
    show($('games'), true);
    keepSocket(true);
    say('games-notice', '');
    confirming('');
    showReplay(null);
    focusHeading('games-title');
    const p = await ready();
    if (!p) {
      say('me-rating', '');
      say('games-notice', words.NO_PLAYER);
      return;
    }
    say('me-rating', 'Loading…');
    say('player-id', p.id);
    $('recovery-link').value = recoveryLink(p);
    $('recovery-link').type = 'password';
    say('show-recovery', 'Show link');
    say('recovery-status', '');
    show($('switch-back'), Boolean(previous()));
    ask({ action: 'myGames', player: p });
    ask({ action: 'leaderboard', player: p });
  }

  function close() {
    if ($('games').hidden) return;
    show($('games'), false);
    keepSocket(false);
    pending.clear();
    showReplay(null);
  }

  // reconnected asks again what a dropped socket left unanswered (forgetMe is idempotent).
  function reconnected() {
    if ($('games').hidden) return;
    for (const frame of pending.values()) socket.sendSoon(frame);
  }

  function onGames(f) {
    pending.delete('myGames');
    say('me-rating', words.standingText(f.player));
    $('me-stats').replaceChildren(...words.statsLines(f.stats).map((text) => {
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
    pending.delete('leaderboard');
    const rows = (Array.isArray(f.top) ? f.top : []).map((s) => {
      const tr = document.createElement('tr');
      if (s.you) tr.className = 'you';
      const cells = [String(s.rank), s.name, words.ratingText(s), String(s.ratedGames)];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 1 && s.you) {
          const mark = document.createElement('span');
          mark.className = 'visually-hidden';
          mark.textContent = ' (you)';
          td.append(mark);
        }
        tr.append(td);
      });
      return tr;
    });
    $('leader-rows').replaceChildren(...rows);
    show($('no-leaders'), rows.length === 0);
    say('leader-you', f.you && f.you.rank ? words.rankText(f.you) : '');
  }

  async function onForgotten() {
    pending.delete('forgetMe');
    await startAfresh({ keep: false }); // erased on the server: nothing to switch back to
    await open();
    say('games-notice', words.FORGOTTEN);
  }

  function refused(f) {
    pending.delete(f.action);
    confirming('');
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

  // confirming shows which question is asked ('forget', 'new' or '' for none).
  function confirming(which) {
    show($('forget-confirm'), which === 'forget');
    show($('new-confirm'), which === 'new');
    show($('identity-actions'), which === '');
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
  $('show-recovery').addEventListener('click', () => {
    const input = $('recovery-link');
    input.type = input.type === 'password' ? 'text' : 'password';
    say('show-recovery', input.type === 'password' ? 'Show link' : 'Hide link');
  });
  $('copy-recovery').addEventListener('click', async () => {
    const link = $('recovery-link').value;
    try {
      await navigator.clipboard.writeText(link);
      say('recovery-status', 'Copied. Open it on your other device; keep it private like a password.');
    } catch {
      $('recovery-link').type = 'text';
      $('recovery-link').select();
      say('recovery-status', 'Select the link and copy it. Keep it private like a password.');
    }
  });
  $('new-player').addEventListener('click', () => {
    confirming('new');
    $('new-yes').focus();
  });
  $('new-no').addEventListener('click', () => {
    confirming('');
    $('new-player').focus();
  });
  $('new-yes').addEventListener('click', async () => {
    await startAfresh({ keep: true });
    await open();
    say('games-notice', words.NEW_PLAYER);
  });
  $('switch-back').addEventListener('click', async () => {
    if (!switchBack()) return;
    await open();
    say('games-notice', words.SWITCHED_BACK);
  });
  $('forget').addEventListener('click', () => {
    confirming('forget');
    $('forget-yes').focus();
  });
  $('forget-no').addEventListener('click', () => {
    confirming('');
    $('forget').focus();
  });
  $('forget-yes').addEventListener('click', () => {
    const p = player();
    if (!p) return;
    say('games-notice', 'Forgetting…');
    ask({ action: 'forgetMe', player: p });
  });

  return { open, close, reconnected, onGames, onLeaderboard, onForgotten, refused, isOpen: () => !$('games').hidden };
}
