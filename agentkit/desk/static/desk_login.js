// Desk sign-in: the session cookie is set by the server; the page then reloads into the inbox.
"use strict";

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  const response = await fetch("/api/desk/login", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    credentials: "same-origin",
    body: JSON.stringify({
      name: document.getElementById("login-name").value.trim(),
      password: document.getElementById("login-password").value,
    }),
  });
  if (response.ok) {
    window.location.reload();
    return;
  }
  const body = await response.json().catch(() => ({}));
  error.textContent = body.error || `Sign-in failed (${response.status})`;
  error.hidden = false;
});
