from __future__ import annotations

import asyncio
import json
import socket
import threading
from typing import Any

import httpx2
import pytest

from agentkit.testing import Fault, LoopbackServer, RecordedRequest, Response


def echo(request: RecordedRequest) -> Response:
    return Response(json={"method": request.method, "path": request.path, "n": len(request.body)})


def test_records_method_path_query_headers_and_body() -> None:
    with LoopbackServer(echo) as server, httpx2.Client() as client:
        reply = client.post(f"{server.url}/tickets?page=2&q=a%20b", json={"x": 1}, headers={"X-Trace": "t1"})
    assert reply.json() == {"method": "POST", "path": "/tickets", "n": len(b'{"x":1}')}
    (request,) = server.requests
    assert (request.method, request.path, request.query) == ("POST", "/tickets", {"page": "2", "q": "a b"})
    assert request.headers["x-trace"] == "t1"
    assert request.json() == {"x": 1}


def test_response_status_headers_and_raw_body() -> None:
    server = LoopbackServer(lambda r: Response(201, body=b"made", headers={"Location": "/t/1"}))
    with server, httpx2.Client() as client:
        reply = client.put(f"{server.url}/t")
    assert (reply.status_code, reply.text, reply.headers["location"]) == (201, "made", "/t/1")


def test_faults_are_consumed_in_order_and_their_requests_recorded() -> None:
    with LoopbackServer(echo) as server, httpx2.Client() as client:
        server.inject(Fault.status(429, headers={"Retry-After": "3"}), Fault.drop(), Fault.status(503))
        first = client.get(f"{server.url}/a")
        with pytest.raises(httpx2.RemoteProtocolError):
            client.get(f"{server.url}/b")
        third = client.get(f"{server.url}/c")
        fourth = client.get(f"{server.url}/d")
    assert (first.status_code, first.headers["retry-after"]) == (429, "3")
    assert "injected fault" in first.json()["error"]["message"]
    assert third.status_code == 503
    assert fourth.json()["path"] == "/d"
    assert [r.path for r in server.requests] == ["/a", "/b", "/c", "/d"]


def test_stall_sends_nothing_so_the_client_times_out() -> None:
    with LoopbackServer(echo) as server, httpx2.Client(timeout=0.2) as client:
        server.inject(Fault.stall(5))
        with pytest.raises(httpx2.ReadTimeout):
            client.get(f"{server.url}/slow")
        assert client.get(f"{server.url}/fast").status_code == 200


def test_stop_does_not_wait_for_a_stalled_connection() -> None:
    server = LoopbackServer(echo).start()
    server.inject(Fault.stall(60))
    with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as conn:
        conn.sendall(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
        while not server.requests:
            threading.Event().wait(0.01)
        server.stop()  # would hang for 60 s if the stall were not cut short
        assert conn.recv(100) == b""


def test_keep_alive_reuses_one_connection() -> None:
    ports: set[int] = set()
    with LoopbackServer(echo) as server, httpx2.Client() as client:
        for _ in range(5):
            reply = client.get(f"{server.url}/x")
            ports.add(reply.extensions["network_stream"].get_extra_info("client_addr")[1])
    assert len(ports) == 1
    assert len(server.requests) == 5


def test_two_requests_on_one_raw_socket_get_two_answers() -> None:
    with LoopbackServer(echo) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as conn, conn.makefile("rb") as stream:
            conn.sendall(b"GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n")
            answers = [_read_raw_response(stream) for _ in range(2)]
    assert [a["path"] for a in answers] == ["/one", "/two"]


def _read_raw_response(stream: Any) -> Any:
    assert stream.readline().startswith(b"HTTP/1.1 200")
    headers = {}
    while (line := stream.readline()) != b"\r\n":
        name, _, value = line.decode().partition(":")
        headers[name.lower()] = value.strip()
    return json.loads(stream.read(int(headers["content-length"])))


async def test_an_async_route_is_awaited() -> None:
    async def slow(request: RecordedRequest) -> Response:
        await asyncio.sleep(0.01)
        return Response(json={"slow": True})

    async with LoopbackServer(slow) as server, httpx2.AsyncClient() as client:
        assert (await client.get(server.url)).json() == {"slow": True}


def test_route_errors_become_a_500_with_the_traceback() -> None:
    def broken(request: RecordedRequest) -> Response:
        raise ValueError("fake is broken")

    with LoopbackServer(broken) as server, httpx2.Client() as client:
        reply = client.get(server.url)
    assert reply.status_code == 500
    assert "ValueError: fake is broken" in reply.text


def test_route_may_return_a_fault() -> None:
    with LoopbackServer(lambda r: Fault.status(418)) as server, httpx2.Client() as client:
        assert client.get(server.url).status_code == 418


async def test_two_hundred_concurrent_requests_are_all_answered() -> None:
    limits = httpx2.Limits(max_connections=200)
    async with LoopbackServer(echo, latency=0.05) as server, httpx2.AsyncClient(limits=limits) as client:
        replies = await asyncio.gather(*(client.get(f"{server.url}/r{i}") for i in range(200)))
    assert sorted(r.json()["path"] for r in replies) == sorted(f"/r{i}" for i in range(200))
    assert len(server.requests) == 200


def test_server_can_restart_on_a_new_port() -> None:
    server = LoopbackServer(echo)
    with server, httpx2.Client() as client:
        assert client.get(server.url).status_code == 200
    with server, httpx2.Client() as client:
        assert client.get(server.url).status_code == 200
    assert len(server.requests) == 2
