# The two commands of the README. Both work on a fresh clone with only python3: they create .venv and install
# into it first (again only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run chat test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The main job: the example support bot behind a webchat and the desk inbox on 127.0.0.1:8000, SQLite under
# ./.agentkit, on the offline model unless AGENTKIT_MODEL is set. `make chat` is the same bot in the terminal.
run: $(STAMP)
	$(BIN)/agentkit serve examples/support_bot.py

chat: $(STAMP)
	$(BIN)/agentkit chat examples/support_bot.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The browser tests drive Debian's chromium; the script installs it (apt-get, as root) when it is missing.
test: lint
	sh scripts/ensure_chromium.sh
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
