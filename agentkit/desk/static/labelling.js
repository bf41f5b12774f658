// The labelling queue: one case at a time; e / n decide, 1-4 set the priority, Enter saves. When nothing is left to
// label, cases the two labellers disagree on are shown for adjudication.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const form = document.getElementById("label-form");
let current = null; // {case, adjudicate}

function text(tag, value, className) {
  const node = document.createElement(tag);
  node.textContent = value;
  if (className) node.className = className;
  return node;
}

function show(item, adjudicate, left, others) {
  current = item ? { case: item, adjudicate } : null;
  document.getElementById("mode").textContent = !item ? "Nothing left to label" : adjudicate ? "Adjudicate" : "Label this case";
  document.getElementById("left").textContent = left;
  document.getElementById("case-id").textContent = item ? item.id : "";
  const list = document.getElementById("conversation");
  list.replaceChildren();
  const labels = document.getElementById("others");
  labels.replaceChildren();
  form.hidden = !item;
  if (!item) return;
  for (const message of item.conversation) {
    if (message.role === "tool") list.append(text("li", "tool result: " + message.content, "tool"));
    else if (message.content) list.append(text("li", message.role + ": " + message.content, message.role));
  }
  for (const [who, label] of Object.entries(others || {})) {
    const said = label.escalate ? "escalate (" + label.priority + ")" : "don't escalate";
    labels.append(text("li", who + ": " + said + (label.note ? " — " + label.note : ""), "label"));
  }
  form.reset();
  document.getElementById("error").textContent = "";
}

async function load() {
  const response = await fetch("/api/desk/labelling/next", { headers: { Accept: "application/json" } });
  const data = await response.json();
  if (data.next) show(data.next.case, false, data.next.left + " left to label", null);
  else if (data.disagreements.length) {
    const first = data.disagreements[0];
    show(first.case, true, data.disagreements.length + " to adjudicate", first.labels);
  } else show(null, false, "done", null);
}

async function save(event) {
  if (event) event.preventDefault();
  if (!current) return;
  const decision = form.querySelector('input[name="escalate"]:checked');
  const priority = form.querySelector('input[name="priority"]:checked');
  if (!decision) return (document.getElementById("error").textContent = "choose escalate (e) or don't escalate (n)");
  const escalate = decision.value === "yes";
  const body = { case_id: current.case.id, escalate, priority: escalate && priority ? priority.value : null,
                 note: document.getElementById("note").value };
  const url = current.adjudicate ? "/api/desk/labelling/adjudications" : "/api/desk/labelling/labels";
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } });
  if (!response.ok) {
    document.getElementById("error").textContent = (await response.json()).error || "could not save";
    return;
  }
  await load();
}

document.addEventListener("keydown", (event) => {
  if (!current || event.target.tagName === "TEXTAREA") {
    if (event.key === "Enter" && event.target.tagName === "TEXTAREA" && !event.shiftKey) save(event);
    return;
  }
  const keys = { e: "escalate-yes", n: "escalate-no" };
  const priorities = document.querySelectorAll("#priorities input");  // in the vocabulary's order: 1 = the lowest
  const digit = Number(event.key);
  if (keys[event.key]) document.getElementById(keys[event.key]).checked = true;
  else if (Number.isInteger(digit) && digit >= 1 && digit <= priorities.length) priorities[digit - 1].checked = true;
  else if (event.key === "Enter") save(event);
});
form.addEventListener("submit", save);
load();
