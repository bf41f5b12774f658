// The webchat: one conversation per browser (kept in localStorage), its messages live from server-sent events.
// A bot reply is shown as it is written: a typing indicator once the message is sent, then a draft bubble that
// `delta` events fill in, replaced by the stored `message` when it comes.
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
let draft = null; // the bot reply being written: {node, bubble, iteration}
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

function newDraft() {
  const node = document.createElement("div");
  node.className = "msg draft typing";
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = botName;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  bubble.innerHTML = '<span class="dots" role="status" aria-label="typing"><i></i><i></i><i></i></span>';
  node.append(who, bubble);
  list.append(node);
  list.scrollTop = list.scrollHeight;
  return {node, bubble, iteration: null};
}

function showTyping() {
  const withPerson = ["pending", "assigned"].includes(statusLine.dataset.state); // the bot is silent then
  if (!draft && !withPerson) draft = newDraft();
}

function showDelta(delta) {
  if (!draft) draft = newDraft();
  if (draft.iteration !== delta.iteration) { // a new model request: a new draft (text beside a tool call is not the reply)
    draft.iteration = delta.iteration;
    draft.node.classList.remove("typing");
    draft.bubble.textContent = "";
  }
  draft.bubble.append(delta.text);
  list.scrollTop = list.scrollHeight;
}

function clearDraft() {
  if (draft) draft.node.remove();
  draft = null;
}

function render(message) {
  if (message.role !== "user") clearDraft(); // the reply (or a notice) has come: the draft goes
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
  list.insertBefore(node, draft ? draft.node : null); // the draft stays last
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
  source.addEventListener("delta", (event) => showDelta(JSON.parse(event.data)));
  // Resolves when the stream is open (so the first reply streams too), or after 2 s in any case.
  return new Promise((resolve) => {
    source.addEventListener("open", () => { showError(""); resolve(); });
    setTimeout(resolve, 2000);
  });
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
  draft = null;
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
  await follow();
}

async function send(text) {
  if (!conversation) await start();
  showTyping();
  const sent = await api(`/api/conversations/${conversation.id}/messages`, {method: "POST", body: JSON.stringify({text})});
  clearDraft(); // also when nothing came back (a person has the conversation)
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
    clearDraft();
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
