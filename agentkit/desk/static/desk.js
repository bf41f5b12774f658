// The desk inbox: tickets by priority then age, one ticket's conversation, claim / reply / close, live updates.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const me = document.querySelector('meta[name="desk-agent"]').content;
const listNode = document.getElementById("tickets");
const view = document.getElementById("ticket");
const statusFilter = document.getElementById("filter-status");
const priorityFilter = document.getElementById("filter-priority");
let selected = (location.hash.match(/^#ticket-(\d+)$/) || [])[1] || null;

async function api(path, options = {}) {
  const headers = {"X-CSRF-Token": csrf, ...(options.body ? {"Content-Type": "application/json"} : {})};
  const response = await fetch(path, {...options, headers, credentials: "same-origin"});
  if (response.status === 401) { location.reload(); throw new Error("signed out"); }
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(body && body.error || response.statusText);
  return body;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function showError(text) {
  const node = document.getElementById("error");
  node.textContent = text || "";
  node.hidden = !text;
  if (text) setTimeout(() => { node.hidden = true; }, 6000);
}

function age(seconds) {
  const minutes = Math.max(0, Math.round((Date.now() / 1000 - seconds) / 60));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

function who(user) {
  return user.name || user.email || user.id;
}

function stateLabel(ticket) {
  if (ticket.status === "open") return "waiting";
  if (ticket.status === "assigned") return ticket.assignee === me ? "mine" : `with ${ticket.assignee}`;
  return "closed";
}

async function loadList() {
  const query = new URLSearchParams({status: statusFilter.value});
  if (priorityFilter.value) query.set("priority", priorityFilter.value);
  const {tickets} = await api(`/api/desk/tickets?${query}`);
  document.getElementById("count").textContent = `${tickets.length} ticket${tickets.length === 1 ? "" : "s"}`;
  listNode.replaceChildren(...tickets.map(ticketItem));
}

function ticketItem(ticket) {
  const item = el("li", ticket.id === selected ? "selected" : "");
  item.dataset.id = ticket.id;
  const link = el("a");
  link.href = `#ticket-${ticket.id}`;
  const top = el("span", "row");
  top.append(el("span", `badge ${ticket.priority}`, ticket.priority), el("span", `state ${ticket.status}`, stateLabel(ticket)));
  const meta = el("span", "meta", `${who(ticket.user)} · #${ticket.id} · ${age(ticket.created_at)}`);
  link.append(top, el("span", "title", ticket.title), meta);
  item.append(link);
  return item;
}

async function loadTicket() {
  listNode.querySelectorAll("li").forEach((li) => li.classList.toggle("selected", li.dataset.id === selected));
  if (!selected) return;
  try {
    renderTicket(await api(`/api/desk/tickets/${selected}`));
  } catch (error) {
    view.replaceChildren(el("p", "empty", error.message));
  }
}

function renderTicket(ticket) {
  // A live update re-renders the ticket: keep what the agent was typing, and the scroll position if not at the end.
  const same = view.dataset.id === ticket.id;
  const draft = same ? view.querySelector(".reply textarea")?.value : "";
  const head = el("div", "ticket-head");
  const actions = el("div", "actions");
  if (ticket.status !== "closed" && !ticket.assignee) actions.append(button("Claim", "", () => act(ticket, "claim")));
  if (ticket.status !== "closed" && ticket.assignee && ticket.assignee !== me) {
    actions.append(button("Take over", "", () => confirm(`${ticket.assignee} has this ticket. Take it over?`)
      && act(ticket, "claim", {takeover: true})));
  }
  if (ticket.status !== "closed") actions.append(button("Close ticket", "danger", () => {
    // Closing hands the user back to the bot and cannot be undone: ask first.
    if (confirm(`Close "${ticket.title}"? The user goes back to the bot, and the ticket cannot be reopened.`)) {
      act(ticket, "close");
    }
  }));
  head.append(el("span", `badge ${ticket.priority}`, ticket.priority), el("h2", "", ticket.title), actions);

  const scroller = el("div", "thread-scroll");
  scroller.append(thread(ticket));
  const conversation = el("div", "conversation");
  conversation.append(scroller);
  if (ticket.status !== "closed") conversation.append(replyBox(ticket));

  const facts = el("dl", "facts");
  for (const [label, value] of [["User", who(ticket.user)], ["Email", ticket.user.email || "—"],
    ["Status", stateLabel(ticket)], ["Opened", age(ticket.created_at)], ["Bot", ticket.bot_name || "—"], ["Ticket", `#${ticket.id}`]]) {
    facts.append(el("dt", "", label), el("dd", "", value));
  }
  const details = el("aside", "details");
  details.append(facts, el("h3", "", "Description"), el("p", "description", ticket.description));

  const main = el("div", "ticket-main");
  main.append(conversation, details);
  view.replaceChildren(head, main);
  view.dataset.id = ticket.id;
  scroller.scrollTop = scroller.scrollHeight;
  const box = view.querySelector(".reply textarea");
  if (box && draft && !box.disabled) box.value = draft;
}

function thread(ticket) {
  const node = el("div", "thread");
  const names = {user: who(ticket.user), bot: "Bot", agent: "Agent", system: "Notice"};
  for (const line of ticket.transcript) node.append(bubble(line.role, names[line.role], line.text));
  for (const m of ticket.thread) {
    if (m.author === "system") node.append(el("p", "notice", m.text));
    else node.append(bubble(m.author, m.author === "user" ? who(ticket.user) : m.author_name || "Agent", m.text));
  }
  return node;
}

function bubble(role, name, text) {
  const node = el("div", `msg ${role === "bot" ? "bot" : role}`);
  node.append(el("span", "who", name), el("div", "bubble", text));
  return node;
}

function replyBox(ticket) {
  const form = el("form", "reply");
  const text = el("textarea");
  text.name = "reply";
  text.maxLength = 4000;
  text.required = true;
  const mine = ticket.assignee === me;
  text.placeholder = mine ? `Write to ${who(ticket.user)}…` : "Claim the ticket to reply";
  text.disabled = !mine;
  const send = button("Send reply", "", null);
  send.type = "submit";
  send.disabled = !mine;
  form.append(text, send);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    const sent = text.value.trim();
    text.value = "";
    if (!(await act(ticket, "reply", {text: sent}))) text.value = sent;
  });
  return form;
}

function button(label, className, onClick) {
  const node = el("button", className, label);
  node.type = "button";
  if (onClick) node.addEventListener("click", onClick);
  return node;
}

async function act(ticket, action, body) {
  try {
    const updated = await api(`/api/desk/tickets/${ticket.id}/${action}`, {method: "POST", body: body ? JSON.stringify(body) : undefined});
    renderTicket(updated);
    await loadList();
    return true;
  } catch (error) {
    showError(error.message);
    return false;
  }
}

// Escalations, messages or closes the server gave up delivering (its outbox's dead letters): someone should look.
async function loadDeadLetters() {
  const node = document.getElementById("dead-letters");
  const response = await fetch("/api/desk/outbox", {credentials: "same-origin"});
  if (!response.ok) return;  // a desk served on its own has no outbox
  const {letters} = await response.json();
  const shown = letters.slice(0, 3).map((letter) => `${letter.kind} for ${letter.conversation_id}`).join(", ");
  node.textContent = letters.length ? `Gave up delivering ${letters.length}: ${shown}` : "";
  node.hidden = !letters.length;
}

function follow() {
  const live = document.getElementById("live");
  const source = new EventSource("/api/desk/events");
  source.addEventListener("open", () => { live.dataset.live = "on"; live.textContent = "live"; });
  source.addEventListener("error", () => { live.dataset.live = "off"; live.textContent = "reconnecting"; });
  source.addEventListener("tickets", async (event) => {
    const {changed} = JSON.parse(event.data);
    await loadList();
    await loadDeadLetters();
    if (selected && changed.includes(selected)) await loadTicket();
  });
}

window.addEventListener("hashchange", () => {
  selected = (location.hash.match(/^#ticket-(\d+)$/) || [])[1] || null;
  loadTicket();
});
statusFilter.addEventListener("change", loadList);
priorityFilter.addEventListener("change", loadList);
document.getElementById("logout").addEventListener("click", async () => {
  await api("/api/desk/logout", {method: "POST"}).catch(() => null);
  location.reload();
});

loadList().then(loadTicket).catch((error) => showError(error.message));
loadDeadLetters().catch(() => null);
follow();
