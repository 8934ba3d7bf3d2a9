// The chat's page: one socket to the URL config.js names (window.CHAT_CONFIG, written by
// each instance), every message shown as it arrives.
"use strict";
const config = window.CHAT_CONFIG || {};
const status = document.getElementById("status");
const list = document.getElementById("messages");
const form = document.getElementById("send");
const text = document.getElementById("text");
let socket;

function connect() {
  let url = config.webSocketUrl || "";
  if (url.startsWith("/")) url = "wss://" + location.host + url; // a socket on this host
  socket = new WebSocket(url);
  socket.onopen = () => { status.textContent = "Connected"; };
  socket.onclose = () => { status.textContent = "Disconnected: reconnecting…"; setTimeout(connect, 2000); };
  socket.onmessage = (e) => {
    let msg;
    try { msg = JSON.parse(e.data); } catch { return; }
    const li = document.createElement("li");
    li.textContent = (msg.from || "?") + ": " + msg.text; // text, never markup
    list.append(li);
  };
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (socket && socket.readyState === WebSocket.OPEN && text.value) {
    socket.send(JSON.stringify({ action: "send", text: text.value }));
    text.value = "";
  }
});
connect();
