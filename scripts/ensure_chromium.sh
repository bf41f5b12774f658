#!/bin/sh
# Make sure Debian's headless chromium is there for the browser tests (the desk and webchat in Playwright, the
# HTML eval report); Playwright's own browser download does not work here and is not used.
# Idempotent: does nothing when /usr/bin/chromium exists. Installs Debian's `chromium` package otherwise
# (needs root, or sudo without a password). Quiet unless something goes wrong.
set -eu

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    AS_ROOT="sudo -n"
else
    echo "ensure_chromium.sh: $CHROMIUM is missing and installing it needs root; run: sudo apt-get install -y chromium" >&2
    exit 1
fi

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { $AS_ROOT apt-get update -qq && $AS_ROOT apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "ensure_chromium.sh: installing chromium with apt-get failed (output above)" >&2
    exit 1
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "ensure_chromium.sh: apt-get installed chromium but $CHROMIUM is still missing" >&2
    exit 1
fi
