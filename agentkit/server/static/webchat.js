// The webchat: one conversation per browser (kept in localStorage), its messages live from server-sent events.
"use strict";

const STORE_KEY = "agentkit.webchat";
const chat = document.getElementById("chat");
const list = document.getElementById("messages");
const form = document.getElementById("composer");
const input = document.getElementById("text");
const statusLine = document.getElementById("status");
const errorLine = document.getElementById("error");
const botName = chat.dataset.bot;

let conversation = JSON.parse(localStorage.getItem(STORE_KEY) || "null"); // {id, token}
let lastId = 0;
let source = null;
const shown = new Set();

function api(path, options = {}) {
  const headers = {"Content-Type": "application/json", ...(options.headers || {})};
  if (conversation) headers["X-Conversation-Token"] = conversation.token;
  return fetch(path, {...options, headers, credentials: "same-origin"}).then(async (response) => {
    const body = response.status === 204 ? null : await response.json();
    if (!response.ok) throw Object.assign(new Error(body && body.error || response.statusText), {status: response.status});
    return body;
  });
}

function showError(text) {
  errorLine.textContent = text || "";
  errorLine.hidden = !text;
}

function render(message) {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  lastId = Math.max(lastId, message.id);
  document.getElementById("intro")?.classList.add("started");
  let node;
  if (message.role === "system") {
    node = document.createElement("p");
    node.className = "notice";
    node.textContent = message.text;
  } else {
    node = document.createElement("div");
    node.className = `msg ${message.role}`;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = message.role === "user" ? "You"
      : message.role === "agent" ? `${message.agent_name || "Support agent"} · support team` : botName;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = message.text;
    node.append(who, bubble);
  }
  node.dataset.id = message.id;
  list.append(node);
  list.scrollTop = list.scrollHeight;
  if (message.role !== "user" && message.role !== "bot") refreshStatus();
}

function showHandoff(handoff) {
  statusLine.dataset.state = handoff.state;
  statusLine.textContent = handoff.state === "pending" ? "Waiting for a person from our support team…"
    : handoff.state === "assigned" ? `${handoff.agent_name || "A support agent"} from our support team is with you`
    : "Virtual assistant";
}

async function refreshStatus() {
  if (!conversation) return;
  try {
    showHandoff((await api(`/api/conversations/${conversation.id}`)).handoff);
  } catch (error) { /* the next message refreshes it */ }
}

function follow() {
  if (source) source.close();
  source = new EventSource(`/api/conversations/${conversation.id}/events?after=${lastId}`);
  source.addEventListener("message", (event) => render(JSON.parse(event.data)));
  source.addEventListener("open", () => showError(""));
}

async function resume() {
  if (!conversation) return;
  try {
    const view = await api(`/api/conversations/${conversation.id}`);
    view.messages.forEach(render);
    showHandoff(view.handoff);
    follow();
  } catch (error) {
    if (error.status === 401 || error.status === 403) forget(); else showError(`Could not load the chat: ${error.message}`);
  }
}

function forget() {
  if (source) source.close();
  source = null;
  conversation = null;
  lastId = 0;
  shown.clear();
  localStorage.removeItem(STORE_KEY);
  list.querySelectorAll(".msg, .notice").forEach((node) => node.remove());
  document.getElementById("intro")?.classList.remove("started");
  showHandoff({state: "none"});
}

async function start() {
  const profile = {
    name: document.getElementById("name").value.trim() || null,
    email: document.getElementById("email").value.trim() || null,
  };
  conversation = await api("/api/conversations", {method: "POST", body: JSON.stringify(profile)});
  localStorage.setItem(STORE_KEY, JSON.stringify(conversation));
  follow();
}

async function send(text) {
  if (!conversation) await start();
  const sent = await api(`/api/conversations/${conversation.id}/messages`, {method: "POST", body: JSON.stringify({text})});
  sent.messages.forEach(render);
  // In case the event stream dropped something: anything newer than what is on screen.
  (await api(`/api/conversations/${conversation.id}/messages?after=${lastId}`)).messages.forEach(render);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  document.getElementById("send").disabled = true;
  try {
    await send(text);
    showError("");
  } catch (error) {
    input.value = text;
    showError(`Your message was not sent: ${error.message}`);
  } finally {
    document.getElementById("send").disabled = false;
    input.focus();
  }
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

document.getElementById("new-chat").addEventListener("click", () => { forget(); input.focus(); });
resume();
