// The room's chat: the log, the unread count, the form that sends.

import * as words from './words.mjs';
import { $, show, say } from './view.mjs';

const CHAT_KEEP = 100;

export function chatPanel({ socket, room, cues }) {
  // The log by seq (kept messages have one): nothing twice, in the order said.
  let lines = [];
  const seqs = new Set();
  let unread = 0; // the opponent's messages not yet seen
  let inView = true; // whether the chat log is on screen

  function onChat(f) {
    const r = room.current;
    if (!r || f.roomCode !== r.code || typeof f.text !== 'string') return;
    const seq = typeof f.seq === 'number' && f.seq > 0 ? f.seq : 0;
    if (seq && seqs.has(seq)) return;
    if (seq) seqs.add(seq);
    lines.push({ ...f, seq, order: lines.length });
    // Kept messages by seq; one the server could not keep stays where it arrived.
    lines.sort((a, b) => (a.seq && b.seq ? a.seq - b.seq : a.order - b.order));
    while (lines.length > CHAT_KEEP) lines.shift();
    render();
    if (f.symbol !== room.me && !f.history) {
      room.cue(`${f.from || 'Your opponent'} wrote`);
      if (!inView || cues.hidden()) setUnread(unread + 1);
    }
  }

  // onHistory merges the room's kept chat (a reload, a rejoin, a watch) into the log.
  function onHistory(f) {
    const r = room.current;
    if (!r || f.roomCode !== r.code || !Array.isArray(f.messages)) return;
    for (const m of f.messages) onChat({ ...m, roomCode: f.roomCode, history: true });
  }

  function render() {
    const me = room.me;
    const log = $('chat-log');
    log.replaceChildren(...lines.map((f) => {
      const li = document.createElement('li');
      li.className = f.symbol === me ? 'mine' : 'theirs';
      const from = document.createElement('span');
      from.className = `from mark-${f.symbol === 'O' ? 'o' : 'x'}`;
      from.textContent = f.symbol === me ? 'You' : String(f.from || f.symbol || '');
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

  // clear empties the log for a room that just arrived.
  function clear() {
    lines = [];
    seqs.clear();
    $('chat-log').replaceChildren();
    setUnread(0);
  }

  function seen() {
    if (inView) setUnread(0);
  }

  // setUnread: a badge on the heading, and while the log is off screen (a phone), a button.
  function setUnread(n) {
    unread = n;
    const badge = $('chat-unread');
    say(badge, n > 0 ? `${n} new` : '');
    show(badge, n > 0);
    const jump = $('chat-jump');
    say(jump, n === 1 ? '1 new message ↓' : `${n} new messages ↓`);
    show(jump, n > 0 && !inView);
  }

  function listen() {
    if (globalThis.IntersectionObserver) {
      new IntersectionObserver((entries) => {
        inView = entries.some((e) => e.isIntersecting);
        if (inView && !cues.hidden()) setUnread(0);
        else setUnread(unread);
      }).observe($('chat-log'));
    }
    $('chat-jump').addEventListener('click', () => {
      $('chat').scrollIntoView({ behavior: 'smooth', block: 'end' });
      $('chat-text').focus({ preventScroll: true });
      setUnread(0);
    });
    $('chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $('chat-text');
      const text = input.value.trim();
      const r = room.current;
      if (!r || !text) return;
      const problem = words.chatProblem(text);
      if (problem) {
        room.notice(problem); // the text stays in the box, to be shortened
        return;
      }
      if (!socket.send({ action: 'sendMessage', roomCode: r.code, text })) {
        room.notice(words.CHAT_OFFLINE_NOTICE);
        return;
      }
      input.value = '';
      room.notice('');
    });
  }

  listen();
  return { onChat, onHistory, clear, seen };
}
