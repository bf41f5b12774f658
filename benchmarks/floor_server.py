"""The floor for ``load_webchat.py``: a bare Starlette app on uvicorn that speaks the webchat API the load client uses,
stores each message in SQLite (one INSERT, one commit, WAL as agentkit has it) and answers at once.

No model, no handoff, no ordering across processes: what any Python web app that stores a message costs on this
machine. ``agentkit serve`` is measured against it, in the same run, by the same client.

    python benchmarks/floor_server.py --port 8100 --data /tmp/floor
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import time
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

REPLY = "Thanks, noted."


def create_app(path: Path) -> Starlette:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT,"
               " role TEXT, text TEXT, at REAL)")  # fmt: skip
    tokens: dict[str, str] = {}

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def new_conversation(request: Request) -> JSONResponse:
        conversation_id, token = f"web-{secrets.token_hex(8)}", secrets.token_urlsafe(16)
        tokens[conversation_id] = token
        return JSONResponse({"id": conversation_id, "token": token}, status_code=201)

    async def post_message(request: Request) -> JSONResponse:
        conversation_id = request.path_params["conversation_id"]
        if tokens.get(conversation_id) != request.headers.get("x-conversation-token"):
            return JSONResponse({"error": "wrong token"}, status_code=403)
        text = (await request.json())["text"]
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO messages (conversation_id, role, text, at) VALUES (?, 'user', ?, ?)",
                   (conversation_id, text, time.time()))  # fmt: skip
        db.execute("COMMIT")
        return JSONResponse({"messages": [{"role": "bot", "text": REPLY}]})

    async def history(request: Request) -> JSONResponse:
        rows = db.execute("SELECT role, text FROM messages WHERE conversation_id = ? ORDER BY seq",
                          (request.path_params["conversation_id"],)).fetchall()  # fmt: skip
        return JSONResponse({"messages": [{"role": role, "text": text} for role, text in rows]})

    return Starlette(routes=[
        Route("/api/health", health),
        Route("/api/conversations", new_conversation, methods=["POST"]),
        Route("/api/conversations/{conversation_id}/messages", post_message, methods=["POST"]),
        Route("/api/conversations/{conversation_id}/messages", history, methods=["GET"]),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", required=True, help="a folder for floor.sqlite3")
    parser.add_argument("--timeout-keep-alive", type=int, default=5, help="as agentkit serve's (default 5)")
    args = parser.parse_args()
    app = create_app(Path(args.data) / "floor.sqlite3")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                timeout_keep_alive=args.timeout_keep_alive)  # fmt: skip


if __name__ == "__main__":
    main()
