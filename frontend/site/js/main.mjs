// The page's wiring: the socket's states and frames to the screens (lobby, room, chat), the
// page's life and its start. The server is the referee: the page sends intentions and draws the
// state it is told.

import { Socket, socketUrl } from './socket.mjs';
import * as words from './words.mjs';
import { loadSeat, loadSeats } from './seat.mjs';
import { Cues } from './cues.mjs';
import { Waiting } from './waiting.mjs';
import { $, show, say, focusHeading } from './view.mjs';
import { connectionLine } from './connection.mjs';
import { lobbyScreen } from './lobby.mjs';
import { roomScreen } from './room.mjs';
import { chatPanel } from './chat.mjs';
import * as tabs from './tabs.mjs';
import { stamp, ready, player, recovery, clearRecovery, idOf, adopt } from './player.mjs';
import { gamesScreen } from './games.mjs';

// How long to wait before asking again when the server could not take a rejoin just now.
const REJOIN_RETRY_MS = 3000;

const config = globalThis.TICTACTOE_CONFIG || {};
// Every Region's socket, in the order to try them, when the deployment has several.
const wsUrls = (Array.isArray(config.webSocketUrls) ? config.webSocketUrls : [config.webSocketUrl])
  .map((u) => socketUrl(u, location.href)).filter(Boolean);
const socket = new Socket(wsUrls.length > 0 ? wsUrls : '', { onOpen, onFrame, onState, onSend: stamp });
const cues = new Cues();
// The lobby is busy exactly while a way into a room waits for its answer.
const waiting = new Waiting((w) => lobby.busy(w.opensRoom()));
const room = roomScreen({ socket, waiting, cues, toLobby });
const lobby = lobbyScreen({ socket, waiting, ready: wsUrls.length > 0, inRoom: () => Boolean(room.current) });
const chat = chatPanel({ socket, room, cues });
const games = gamesScreen({
  socket,
  back: { leaveLobby: () => lobby.leave(), toLobby: () => toLobby('') },
  keepSocket: (on) => { socket.keep = on || Boolean(room.seat); },
});
// The frames "Your games" asks with, whose errors it shows.
const GAMES_ACTIONS = new Set(['myGames', 'leaderboard', 'forgetMe']);
const line = connectionLine(() => onState(socket.state));

function onOpen() {
  if (room.seat) sendRejoin();
  games.reconnected();
}

function sendRejoin() {
  if (!room.seat) return;
  waiting.start('rejoin');
  socket.send({ action: 'rejoin', roomCode: room.seat.roomCode, token: room.seat.token });
}

function onState(state) {
  line.show(state, socket, Boolean(room.current || room.seat || !waiting.idle() || games.isOpen()));
  if (state === 'open') room.online();
  document.body.classList.toggle('offline', state !== 'open' && Boolean(room.current));
  if (state !== 'open') {
    room.moveDone();
    if (waiting.opensRoom() && socket.outbox.length === 0 && state !== 'connecting') lobby.dropped();
    // An unanswered leave: the player still wants out (an unseen one ends with the grace).
    if (waiting.is('leaveRoom')) return toLobby('');
  }
  room.render();
}

const frames = {
  room: onRoom,
  chat: chat.onChat,
  chatHistory: chat.onHistory,
  error: onError,
  left: onLeft,
  queued: lobby.onQueued,
  unqueued: lobby.onUnqueued,
  games: games.onGames,
  leaderboard: games.onLeaderboard,
  forgotten: games.onForgotten,
};

function onFrame(f) {
  if (Object.hasOwn(frames, f.type)) frames[f.type](f);
  // API Gateway's own answers (a throttled frame; a function it could not run) have no type
  // and name no action.
  else if (f.type === undefined && f.message === 'Too Many Requests') onDropped('rate_limited');
  else if (f.type === undefined && f.message === 'Internal server error') onDropped('internal_error');
  // frame types added to the protocol later are ignored, as v1 promises they may be
}

// notify tells the player text on the screen they are on.
function notify(text) {
  if (!room.current) return lobby.notice(text);
  room.notice(text);
  room.render();
}

// onDropped: the gateway dropped a frame of ours, which no function will answer.
function onDropped(code) {
  if (waiting.opensRoom()) waiting.settle();
  room.moveDone();
  notify(words.errorText({ type: 'error', code }));
}

function onRoom(f) {
  if (lobby.peeked(f)) return;
  const took = room.take(f, waiting.opensRoom() || lobby.pairedLate(f));
  if (!took) return;
  if (took.arriving || waiting.is('rejoin')) waiting.settle();
  socket.keep = Boolean(room.seat);
  if (took.before) room.explain(took.before);
  if (took.arriving) {
    games.close(); // a quick match paired while the player looked at their games
    lobby.leave();
    chat.clear();
    room.enter();
  }
  room.render();
}

function onError(f) {
  if (GAMES_ACTIONS.has(f.action)) return games.refused(f);
  const text = words.errorText(f);
  const way = lobby.answer(f);
  if (way) {
    if (room.current) room.notice(text);
    else lobby.refused(way, f.code, text);
    return;
  }
  if (f.action === 'rejoin') {
    if (f.code === 'rate_limited' || f.code === 'internal_error') {
      setTimeout(() => socket.state === 'open' && sendRejoin(), REJOIN_RETRY_MS);
    } else toLobby(words.seatLostText(f.code, room.seat ? room.seat.roomCode : ''));
    return;
  }
  if (f.action === 'getRoom') {
    if (lobby.peekRefused(f)) return;
    // Only the heartbeat and the deadlines ask: the room is gone if it cannot be found.
    if (f.code === 'room_not_found' && room.current) toLobby(words.seatLostText(f.code, room.current.code));
    return;
  }
  if (f.action === 'move') room.moveDone();
  // Not in the room any more, which is what a leaving player wanted.
  if (f.action === 'leaveRoom' && waiting.is('leaveRoom')) return toLobby('');
  if (f.code === 'not_in_room' && room.current) return toLobby(words.seatLostText(f.code, room.current.code));
  notify(text);
}

function onLeft(f) {
  const shown = Boolean(room.current) && f.roomCode === room.current.code;
  // Another tab took the seat before this one showed the room: the token stays for it.
  const rejoining = !shown && room.seat && room.seat.roomCode === f.roomCode && waiting.is('rejoin');
  if (!shown && !rejoining) return;
  if (shown && waiting.is('leaveRoom')) return toLobby('');
  toLobby(words.leftText(f.reason, f.roomCode, shown), { elsewhere: f.reason === 'elsewhere' });
}

function toLobby(notice, { elsewhere = false } = {}) {
  games.close();
  room.close({ elsewhere });
  waiting.settle();
  socket.keep = false;
  lobby.open(notice);
  onState(socket.state);
  focusHeading('lobby-title');
}

addEventListener('online', () => socket.retryNow());
addEventListener('offline', () => onState(socket.state));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') return;
  room.seen();
  chat.seen();
  socket.retryNow();
  room.heartbeat();
});

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

// This tab tells the others which seat it plays, so that a link opened in another tab asks
// before it takes that seat over.
tabs.answer((code) => (room.seat && room.seat.token && room.seat.roomCode === code ? room.seat.symbol : ''));

function rejoinKept(seat) {
  lobby.leave();
  room.resume(seat);
  socket.keep = true;
  if (socket.state === 'open') return sendRejoin(); // asked first (tabs.mjs): the socket is up
  waiting.start('rejoin');
  socket.open();
}

// takeRecovery reads a recovery link's fragment (at boot, and when one is pasted into this
// tab), takes it out of the address bar at once, and adopts it: at once where this browser
// has no player, after asking where it has another.
async function takeRecovery() {
  const r = recovery();
  clearRecovery();
  if (!r) return;
  if (r.damaged) return lobby.notice(words.RECOVERY_DAMAGED);
  const id = await idOf(r.secret);
  if (!id) return lobby.notice(words.NO_PLAYER);
  const mine = player();
  if (mine && mine.id === id) return lobby.notice(words.RECOVERY_SAME);
  if (!mine) {
    await adopt(r.secret);
    return lobby.notice(words.RECOVERY_ADOPTED);
  }
  show($('switch-player'), true);
  $('switch-yes').onclick = async () => {
    show($('switch-player'), false);
    await adopt(r.secret);
    lobby.notice(words.RECOVERY_ADOPTED);
  };
  $('switch-no').onclick = () => {
    show($('switch-player'), false);
    lobby.notice(words.RECOVERY_KEPT);
  };
  $('switch-yes').focus();
}
addEventListener('hashchange', takeRecovery);

async function boot() {
  showServedBy();
  await takeRecovery();
  ready(); // this browser's player, drawn on its first visit (a hash: not instant)
  const invited = words.normalizeCode(new URLSearchParams(location.search).get('room'));
  if (wsUrls.length === 0) onState('broken');
  // This tab's seat (a reload), or one kept for the room the link names that no other tab of
  // this browser plays now (tabs.mjs); if other tabs play them all, ask first.
  const mine = loadSeat();
  if (mine && (!invited || invited === mine.roomCode)) return rejoinKept(mine);
  const kept = invited ? loadSeats(invited) : [];
  if (kept.length > 0) {
    const played = await tabs.playedElsewhere(invited, kept.map((s) => s.symbol));
    const free = kept.find((s) => !played.has(s.symbol));
    return free ? rejoinKept(free) : lobby.invite(invited, () => rejoinKept(kept[0]));
  }
  // A link to another room: this tab's seat is not taken back (joining replaces it).
  if (invited) lobby.invite(invited);
}

boot();
