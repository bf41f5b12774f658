"""The load benchmark's client: the lean HTTP/1.1 client (benchmarks/_http11.py) against a loopback server, the
CPU accounting of process trees (benchmarks/_cpu.py), and ``--client``/``--client-processes`` end to end with the
benchmark's own checks (small counts; no timed assertions)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .test_load_webchat import ROOT, SCRIPT, load_benchmark

http11 = load_benchmark(ROOT / "benchmarks/_http11.py")
cpu = load_benchmark(ROOT / "benchmarks/_cpu.py")


class Loopback:
    """An HTTP/1.1 server that echoes each request's method, path, header and body as JSON; ``/close`` answers
    with ``Connection: close``, ``/chunked`` without Content-Length, ``/missing`` with 404."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                request_line, *lines = head.decode().split("\r\n")[:-2]
                fields = dict(line.lower().split(": ", 1) for line in lines)
                body = await reader.readexactly(int(fields.get("content-length", 0)))
                method, path, _ = request_line.split(" ")
                answer = json.dumps({"method": method, "path": path, "token": fields.get("x-token"),
                                     "body": body.decode()}).encode()  # fmt: skip
                status = "404 Not Found" if path == "/missing" else "200 OK"
                framing = "Transfer-Encoding: chunked" if path == "/chunked" else f"Content-Length: {len(answer)}"
                close = "Connection: close\r\n" if path == "/close" else ""
                writer.write(f"HTTP/1.1 {status}\r\n{framing}\r\n{close}\r\n".encode() + answer)
                if close:
                    break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


@pytest.fixture
async def loopback() -> AsyncIterator[tuple[Loopback, str]]:
    server = Loopback()
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    async with listening:
        yield server, f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"


async def test_the_lean_client_posts_json_and_keeps_one_connection_alive(loopback: tuple[Loopback, str]) -> None:
    server, url = loopback
    async with http11.LeanClient(url, keepalive_expiry=60.0) as client:
        posted = (await client.post("/a", json={"text": "hé"}, headers={"X-Token": "t1"})).raise_for_status().json()
        got = (await client.get("/b")).raise_for_status().json()
    assert posted == {"method": "POST", "path": "/a", "token": "t1", "body": json.dumps({"text": "hé"})}
    assert got == {"method": "GET", "path": "/b", "token": None, "body": ""}
    assert server.connections == 1


async def test_the_lean_client_reopens_an_idle_or_closed_connection(loopback: tuple[Loopback, str]) -> None:
    server, url = loopback
    async with http11.LeanClient(url, keepalive_expiry=0.0) as client:  # every connection is "idle too long"
        for _ in range(3):
            (await client.get("/x")).raise_for_status()
    assert server.connections == 3
    async with http11.LeanClient(url, keepalive_expiry=60.0) as client:
        assert (await client.get("/close")).json()["path"] == "/close"  # the server said it closes: so do we
        assert (await client.get("/after")).json()["path"] == "/after"
    assert server.connections == 5


async def test_the_lean_client_says_what_it_cannot_read(loopback: tuple[Loopback, str]) -> None:
    _, url = loopback
    async with http11.LeanClient(url) as client:
        with pytest.raises(http11.HTTPError, match="GET /missing: 404"):
            (await client.get("/missing")).raise_for_status()
        with pytest.raises(http11.HTTPError, match="without Content-Length"):
            await client.get("/chunked")
        assert (await client.get("/fine")).json()["path"] == "/fine"  # a fresh connection after the failure
    with pytest.raises(ValueError, match="plain http://host:port only"):
        http11.LeanClient("https://example.com")


def test_a_process_tree_counts_its_children_once_they_are_reaped() -> None:
    before = cpu.tree_cpu_seconds([os.getpid()])
    burn = "import time\nwhile time.process_time() < 0.5: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)  # waited for: its CPU moves into ours as children's
    assert cpu.tree_cpu_seconds([os.getpid()]) - before >= 0.4
    assert cpu.tree_cpu_seconds([]) == 0.0


def test_client_processes_and_httpx2_run_end_to_end_with_the_checks_and_the_cpu_columns(tmp_path: Path) -> None:
    for client in ("httpx2", "lean"):
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--compare", "--only", "floor", "--conversations", "5",
             "--client", client, "--client-processes", "3"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "floor (Starlette + one SQLite insert): 5 conversations, 25 messages" in done.stdout
        assert "every message stored once and in order" in done.stdout
        assert "client " in done.stdout and "(3 process(es)," in done.stdout
        assert "main thread " in done.stdout and "% running" in done.stdout
        assert "| server CPU/msg | server busy | server loop | client CPU/msg | client busy |" in done.stdout
        assert done.stdout.count("CPU in the window") == 1  # the children did not print the parent's lines again


def test_failed_conversations_in_client_processes_fail_the_run_with_their_errors(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", url, "--conversations", "3", "--client-processes", "2"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "FAILED: server: 3 of 3 conversations failed" in done.stderr and "ConnectionRefusedError" in done.stderr


def test_client_processes_must_be_a_positive_whole_number() -> None:
    command = [sys.executable, str(SCRIPT), "--client-processes", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "'0': give a whole number, 1 or more" in done.stderr
