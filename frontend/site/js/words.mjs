// What the site says to people: input rules, the server's error codes in plain words, the
// status line, the cell labels. Pure functions (no DOM), so Node's test runner checks them too.

// The server's limits and room codes, pinned to its own by lambda/protocol/testdata/
// contract.json, which both test suites read. Codes leave out look-alikes (0/O, 1/I/L).
export const NAME_MAX = 24;
export const CHAT_MAX = 500;
export const CODE_LENGTH = 6;
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_RE = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

/** normalizeCode turns what a person typed or pasted into a room code's form. */
export function normalizeCode(text) {
  return String(text ?? '').replace(/\s+/g, '').toUpperCase();
}

/** codeProblem says what is wrong with a normalized room code, or '' when it is fine. */
export function codeProblem(code) {
  if (code === '') return 'Enter the room code your friend shared.';
  if (CODE_RE.test(code)) return '';
  const odd = [...new Set([...code].filter((c) => !CODE_ALPHABET.includes(c)))];
  if (odd.length > 0) {
    return `Room codes never use ${odd.map((c) => `“${c}”`).join(', ')}: they are made of A–Z without I, L and O, and the digits 2–9, so nothing looks alike. Check the code again (an O may be a Q, a 0 a D).`;
  }
  return `A room code has ${CODE_LENGTH} characters, like K7M2QX: this one has ${[...code].length}.`;
}

// Characters that are dropped before a text is counted, as the server drops them: controls
// and format characters (which can reorder or hide text), but the zero-width joiner that
// joins emoji sequences and the tag characters (refused outside a flag: strayTags); newlines
// are kept in chat.
const DROPPED = /[\p{Cc}\p{Cf}]/gu;
const KEPT = (c, keepNewlines) => c === '\u200D' || (keepNewlines && c === '\n') || TAG.test(c);

// Tag characters (U+E0001 LANGUAGE TAG, U+E0020 to U+E007F CANCEL TAG) draw nothing and spell
// ASCII: a run of them is text nobody sees. A subdivision flag is spelled with them: the black
// flag, a subdivision code in tag lowercase letters and digits (England's is gbeng), CANCEL TAG.
// The same expression as the server's (lambda/protocol subdivisionFlag).
const TAG = /[\u{E0001}\u{E0020}-\u{E007F}]/u;
const SUBDIVISION_FLAG = /\u{1F3F4}(?:[\u{E0061}-\u{E007A}]{2}|[\u{E0030}-\u{E0039}]{3})[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{1,4}\u{E007F}/gu;

/** strayTags says whether a cleaned text has a tag character outside a subdivision flag. */
function strayTags(text) {
  return TAG.test(text.replace(SUBDIVISION_FLAG, ''));
}

/** cleanText is text as the server keeps it: dropped characters gone, in NFC. */
export function cleanText(text, keepNewlines = false) {
  return String(text ?? '').replace(DROPPED, (c) => (KEPT(c, keepNewlines) ? c : '')).normalize('NFC');
}

/** textLength is a text's length for the limits, as the server counts it (lambda/protocol
 * Length): code points of cleanText. */
export function textLength(text, keepNewlines = false) {
  return [...cleanText(text, keepNewlines)].length;
}

/** chatProblem says what is wrong with a chat message, or '' when it may be sent. */
export function chatProblem(text) {
  const kept = cleanText(text, true).trim(); // cleaned, then trimmed, as the server does
  if (strayTags(kept)) return 'That message has invisible characters in it (Unicode tag characters, which can hide text): take them out. Flags such as England’s are fine. Nothing was sent.';
  if (!/[^\s\u200D\p{M}\u{E0020}-\u{E007F}]/u.test(kept)) return 'Write something to send.';
  const length = [...kept].length;
  if (length > CHAT_MAX) return `That message is ${length} characters: ${CHAT_MAX} at most. Shorten it; nothing was sent.`;
  return '';
}

/** nameProblem says what is wrong with a player name, or '' when it is fine. */
export function nameProblem(name) {
  const n = String(name ?? '').trim();
  if (n === '') return 'Enter your name so your opponent knows who you are.';
  if (strayTags(cleanText(n))) return 'Your name has invisible characters in it (Unicode tag characters, which can hide text): take them out. Flags such as England’s are fine.';
  const length = textLength(n);
  if (length > NAME_MAX) return `Your name can be at most ${NAME_MAX} characters: this one has ${length}.`;
  // As the server rules (docs/protocol.md): something visible to read, not only fillers.
  if (!/[\p{L}\p{N}]/u.test(n.replace(NAME_FILLERS, ''))) return 'Your name needs at least one letter or digit.';
  return '';
}

// Letters that draw nothing (the server drops them too).
const NAME_FILLERS = /[\u115F\u1160\u3164\uFFA0\u2800\u17B4\u17B5]/gu;

// Every error code the server sends (docs/protocol.md), in the page's own words: the frame's
// message is the server's English for logs and tools, never shown. A function words a code
// by the frame's action or field.
const ERRORS = {
  bad_request: ({ field }) => BAD_FIELD[field] || 'That did not work: this page may be out of date. Reload it and try again.',
  game_not_active: ({ action }) => (action === 'joinRoom' || action === 'rejoin' ? 'That game is over: the host has left the room.'
    : action === 'rematch' ? 'A rematch can start only once a game has ended and both players are here.'
      : 'There is no game in progress right now.'),
  room_not_found: 'There is no open room with that code. Check the code, or ask your friend for a new one.',
  room_full: 'That room already has two players.',
  not_in_room: 'You are no longer a player in that room.',
  not_your_turn: 'Wait for your turn: it is your opponent’s move.',
  cell_taken: 'That square is already taken. Pick an empty one.',
  too_large: `That message is too long: ${CHAT_MAX} characters at most. Nothing was sent.`,
  rate_limited: 'That was a lot at once. Wait a moment and try again.',
  not_your_player: 'This browser’s player key does not match its id. Open your recovery link again, or start afresh.',
  internal_error: 'Something went wrong on the server. Nothing was changed; please try again.',
  unknown_action: 'The game server did not understand this page. Reload it to get the latest version.',
};
export const ERROR_CODES = Object.keys(ERRORS);

// A bad_request names the field at fault; the page checks each before sending, so these meet
// only rules the page does not know (a name's accents) or a page out of date.
const BAD_FIELD = {
  name: 'The game server did not accept that name. Try another.',
  roomCode: 'The game server did not accept that room code. Check it and try again.',
  text: 'The game server did not accept that message. Nothing was sent.',
};

/** What the room says when the player acts while the page is not connected. */
export const OFFLINE_NOTICE = 'Reconnecting: you can play again in a moment.';
export const CHAT_OFFLINE_NOTICE = 'Not connected right now: your message will not be sent. Try again once reconnected.';

const CONNECTION_TEXT = {
  offline: 'You are offline. The game reconnects as soon as the network is back.',
  lost: 'Connection lost. Reconnecting…',
  // The socket was turned away while the site answers: API Gateway's throttle (docs/capacity.md).
  refused: 'The game server is busy right now. Retrying…',
  unreachable: 'Cannot reach the game right now. Retrying…',
  connecting: 'Connecting…',
  broken: 'The game server’s address is not set up correctly, so the game cannot start.',
};

/** connectionText says why the page is not connected: offline, lost (dropped after it was
 * open), refused (turned away at the handshake while the site answers), unreachable (turned
 * away and the site does not answer either), connecting (not known yet), broken (the page has
 * no usable address for the game server). */
export function connectionText(kind) {
  return CONNECTION_TEXT[kind] || CONNECTION_TEXT.lost;
}

/** errorText turns an error frame into a sentence for the player. */
export function errorText(frame) {
  const f = frame || {};
  const text = Object.hasOwn(ERRORS, f.code) ? ERRORS[f.code] : 'Something went wrong. Please try again.';
  return typeof text === 'function' ? text(f) : text;
}

/** seatLostText says why a tab that held a seat in roomCode is back in the lobby: code is the
 * error its rejoin got, or room_not_found for a room that closed. */
export function seatLostText(code, roomCode) {
  switch (code) {
    case 'not_in_room':
      return `Your seat in room ${roomCode} was given up because you were away too long. Start or join a new game.`;
    case 'room_not_found':
      return `Room ${roomCode} has closed.`;
    default:
      return errorText({ code, action: 'rejoin' });
  }
}

/** leftText says why a tab left roomCode on a left frame: reason elsewhere (another tab plays
 * the seat now), else the room closed. shown: the room was on screen, not still rejoining. */
export function leftText(reason, roomCode, shown) {
  if (reason === 'timeout') return `You ran out of time twice in a row, so your seat in room ${roomCode} was given up.`;
  if (reason !== 'elsewhere') return seatLostText('room_not_found', roomCode);
  const more = shown ? ' Go on there, or open the room link here to take it back.' : '';
  return `Your seat in room ${roomCode} is now played in another tab or window.${more}`;
}

const other = (s) => (s === 'X' ? 'O' : 'X');

function who(room, sym, me) {
  if (sym === me) return 'You';
  const p = room.players && room.players[sym];
  return p ? p.name : `Player ${sym}`;
}

/**
 * statusText is the one line that says where the game stands, from the point of view of me
 * (the player's symbol, or '' for a spectator). It is read out by screen readers on change.
 */
export function statusText(room, me, serverNow = Date.now()) {
  const players = room.players || {};
  const forfeit = room.forfeit && typeof room.forfeit.name === 'string' ? room.forfeit : null;
  const won = forfeit ? `${forfeit.name} did not come back in time: ${forfeit.symbol === me ? 'you lose' : me ? 'you win' : `${who(room, other(forfeit.symbol), me)} wins`} by forfeit.` : '';
  const late = timedOut(room);
  // Timeouts cost a seat only after two games in a row (docs/protocol.md).
  const lost = late ? `${late.name} ran out of time twice and lost the seat.` : '';
  switch (room.status) {
    case 'waiting':
      if (forfeit && me === 'X') return `${won} Share the room code to play someone new.`;
      if (late && me === 'X') return `${lost} Share the room code to play someone new.`;
      return me === 'X' ? 'Waiting for an opponent: share the room code to invite one.' : 'Waiting for a second player to join.';
    case 'playing': {
      const turn = room.turn;
      const away = awayText(room, me, serverNow);
      if (turn === me) return `Your turn: place an ${me}.${away}`;
      if (me) return `${who(room, turn, me)}’s turn (${turn}).${away}`;
      return `${who(room, turn, me)} to play (${turn}).${away}`;
    }
    case 'won':
      if (late) {
        const by = late.symbol === me ? 'You' : late.name;
        return `${by} ran out of time: ${room.winner === me ? 'you win' : `${who(room, room.winner, me)} wins`}.`;
      }
      if (room.winner === me) return 'You won!';
      if (me) return `${who(room, room.winner, me)} won this one.`;
      return `${who(room, room.winner, me)} (${room.winner}) won.`;
    case 'draw':
      return 'It’s a draw: the board is full and nobody made three in a row.';
    case 'abandoned':
      if (forfeit && me === 'O') return `${won} The room is closed: start a new one in one click.`;
      if (late && me === 'O') return `${lost} The room is closed: start a new one in one click.`;
      if (me === 'X') return 'You left this room.';
      return me ? 'The host left, so this room is closed. Start a new room in one click.' : 'The host left: this game is over.';
    default:
      return '';
  }
}

function timedOut(room) {
  return room.timeout && typeof room.timeout.name === 'string' ? room.timeout : null;
}

/** CLOCK_SHOWN_S: the move clock shows in its last seconds only. */
export const CLOCK_SHOWN_S = 15;

/** turnLeft is the whole seconds the player to move has left (0 at or past it), or null. */
export function turnLeft(room, serverNow) {
  if (room.status !== 'playing' || typeof room.turnEndsAt !== 'number') return null;
  return Math.max(0, Math.ceil((room.turnEndsAt - serverNow) / 1000));
}

/** clockText is the seat line of the player to move with left seconds (turnLeft) to go. */
export function clockText(left) {
  return left > 0 ? `${left} s left to move` : 'time is up…';
}

/** graceLeft is the whole seconds until an offline player's seat is given up (0 at or past it). */
export function graceLeft(player, serverNow) {
  if (!player || player.online || typeof player.graceEndsAt !== 'number') return null;
  return Math.max(0, Math.ceil((player.graceEndsAt - serverNow) / 1000));
}

// awayText says, for an offline opponent mid-game, how long their seat is kept and what
// happens then.
function awayText(room, me, serverNow) {
  for (const sym of ['X', 'O']) {
    const p = room.players && room.players[sym];
    if (!p || p.online || p.computer || sym === me) continue;
    const left = graceLeft(p, serverNow);
    if (left === null) return ` ${p.name} is offline; their seat is kept while they reconnect.`;
    const outcome = me ? 'you win' : `${who(room, other(sym), me)} wins`;
    // No seconds here: the status is a live region, read out on every change. The seat's
    // line counts them down.
    return left > 0
      ? ` ${p.name} is offline: if they are not back in time, ${outcome} by forfeit.`
      : ` ${p.name} did not come back in time: ${outcome} by forfeit…`;
  }
  return '';
}

/** presenceText is a seat's presence line. */
export function presenceText(player, mine, online, serverNow) {
  if (online) return 'online';
  if (mine) return 'reconnecting…';
  const left = graceLeft(player, serverNow);
  return left === null ? 'offline, may be back soon' : `offline: seat kept ${left} s more`;
}

/** rematchState says what the rematch button should offer, or null when it is hidden. */
export function rematchState(room, me) {
  if (!me || (room.status !== 'won' && room.status !== 'draw')) return null;
  const players = room.players || {};
  if (!players.X || !players.O) return null;
  const asked = room.rematch || {};
  const them = players[other(me)].name;
  if (asked[me]) return { label: `Rematch asked: waiting for ${them}`, disabled: true };
  if (asked[other(me)]) return { label: `${them} wants a rematch: play again`, disabled: false };
  return { label: 'Rematch', disabled: false };
}

/** cellLabel names a board cell for screen readers: its place, its mark, its part in a win. */
export function cellLabel(i, mark, winning) {
  const place = `Row ${Math.floor(i / 3) + 1}, column ${(i % 3) + 1}`;
  const what = mark ? mark : 'empty';
  return `${place}: ${what}${winning ? ', winning line' : ''}`;
}

/** moveText tells a screen reader what the other player just did. */
export function moveText(name, mark, i) {
  return `${name || `Player ${mark}`} played ${mark} in row ${Math.floor(i / 3) + 1}, column ${(i % 3) + 1}.`;
}

/** scoreText is the series score in one line. */
export function scoreText(room, me) {
  const s = room.score || { X: 0, O: 0, draws: 0 };
  const players = room.players || {};
  const f = room.forfeit || room.timeout; // their seat may be empty now
  const gone = f && typeof f.name === 'string' ? f : null;
  const name = (sym) => (sym === me ? 'You' : players[sym] ? players[sym].name : gone && gone.symbol === sym ? gone.name : sym);
  const draws = s.draws === 1 ? '1 draw' : `${s.draws} draws`;
  return `${name('X')} ${s.X} · ${name('O')} ${s.O} · ${draws}`;
}

// "Your games" (games.mjs).
export const NO_PLAYER = 'This browser keeps no player id (its storage is blocked), so no games are kept for you.';
export const NEW_PLAYER = 'This browser now plays as a new player. “Switch back” or the previous recovery link brings the other one back.';
export const SWITCHED_BACK = 'This browser plays as its previous player again.';
export const RECOVERY_ADOPTED = 'This browser now plays as the player of your recovery link.';
export const RECOVERY_SAME = 'This browser already plays as the player of that recovery link.';
export const RECOVERY_KEPT = 'Kept this browser’s player. The link was not used.';
export const RECOVERY_DAMAGED = 'That recovery link is damaged or incomplete: copy it again, whole. It was taken out of the address bar.';
export const FORGOTTEN = 'Done: nothing about you is kept any more. Games from now on start a new history.';

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** ratingText is a rating, marked while provisional. */
export function ratingText(s) {
  return s.provisional ? `${s.rating} (provisional)` : String(s.rating);
}

/** rankText is a player's place among rated players. */
export function rankText(s) {
  return s.rankAbout ? `Your rank: about #${s.rank}` : `Your rank: #${s.rank}`;
}

/** standingText is the player's rating line. */
export function standingText(s) {
  if (!s || !s.ratedGames) return 'Not rated yet: quick-match games against people are rated.';
  const rank = s.rank ? ` · ${rankText(s).replace('Your rank: ', 'rank ')}` : '';
  const prov = s.provisional ? `, provisional until 10 rated games (${s.ratedGames} so far)` : ` over ${plural(s.ratedGames, 'rated game')}`;
  return `Rating ${s.rating}${prov}${rank}`;
}

function tallyText(t) {
  return `${plural(t.games, 'game')}: ${plural(t.wins, 'win')}, ${plural(t.losses, 'loss', 'losses')}, ${plural(t.draws, 'draw')}`;
}

/** statsLines are the player's counts, one line each. */
export function statsLines(st) {
  if (!st) return [];
  const lines = [`Against people: ${tallyText(st.people)}`];
  for (const level of ['easy', 'medium', 'perfect']) {
    const t = st.computer && st.computer[level];
    if (t && t.games) lines.push(`Against the computer (${level}): ${tallyText(t)}`);
  }
  lines.push(`Lost by leaving or a dropped connection: ${st.forfeits} · by the clock: ${st.timeouts}`);
  lines.push(`Wins in a row: ${st.streak} (best ${st.bestStreak})`);
  return lines;
}

const HOW = {
  line: 'three in a row', draw: 'full board', forfeit: 'a player did not come back', timeout: 'out of time', left: 'a player left',
};

function opponentName(g) {
  return g.opponentComputer ? `the computer (${g.opponentComputer})` : g.opponent;
}

/** gameLine is one game of the history, from the player's side. */
export function gameLine(g) {
  const result = { win: 'Won against', loss: 'Lost to', draw: 'Drew with' }[g.result] || 'Played';
  const how = HOW[g.how] ? ` (${HOW[g.how]})` : '';
  const rated = g.rated ? ` · rating ${g.ratingChange >= 0 ? '+' : '−'}${Math.abs(g.ratingChange || 0)}` : '';
  return `${result} ${opponentName(g)}${how}${rated}`;
}

/** replayTitle names a replayed game. */
export function replayTitle(g) {
  return `Replay: you (${g.seat}) against ${opponentName(g)}`;
}

/** replayStep says where a replay is. */
export function replayStep(g, step) {
  if (step === 0) return `Start: the board is empty; ${g.starter} moves first.`;
  const c = g.moves[step - 1];
  const mark = (step % 2 === 1) === (g.starter === 'X') ? 'X' : 'O';
  const end = step === g.moves.length ? ` ${gameLine(g)}.` : '';
  return `Move ${step} of ${g.moves.length}: ${mark} in row ${Math.floor(c / 3) + 1}, column ${(c % 3) + 1}.${end}`;
}
