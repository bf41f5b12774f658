"""HSTS on every answer to a request that came over HTTPS (served with TLS, or through a proxy the operator named
that says so), and never over plain HTTP; no ``server`` header naming uvicorn on any answer."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import httpx2
import pytest

from agentkit.server import ConnectionOptions, ServerThread, create_app

from .server_helpers import SECRET, desk_agent, harness

HSTS = "max-age=31536000"


@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_hsts_on_every_answer_over_https_and_none_over_http(tmp_path: Path, scheme: str) -> None:
    async with harness(tmp_path) as h:
        transport = httpx2.ASGITransport(app=h.app)
        async with httpx2.AsyncClient(transport=transport, base_url=f"{scheme}://testserver") as client:
            answers = [
                await client.post("/api/conversations", json={"name": "Jo"}),
                await client.get("/"),
                await client.get("/api/nothing"),
                await client.post("/webhooks/nothing", content=b"{}"),
            ]
    for answer in answers:
        assert answer.headers.get("strict-transport-security") == (HSTS if scheme == "https" else None), answer.url
        assert answer.headers["x-content-type-options"] == "nosniff"


def _app(tmp_path: Path) -> object:
    return create_app(desk_agent(tmp_path), secret_key=SECRET)


@pytest.mark.parametrize(("proxies", "expected"), [(("127.0.0.1",), HSTS), ((), None)], ids=["named", "not-named"])
def test_hsts_behind_a_proxy_only_when_the_proxy_is_believed(
    tmp_path: Path, proxies: tuple[str, ...], expected: str | None
) -> None:
    """``X-Forwarded-Proto: https`` from a proxy in ``--forwarded-allow-ips`` means the browser spoke HTTPS to it;
    from anyone else it is not believed (the request came over HTTP)."""
    with ServerThread(_app(tmp_path), options=ConnectionOptions(forwarded_allow_ips=proxies)) as server:  # type: ignore[arg-type]
        answer = httpx2.get(f"{server.base_url}/api/health", headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 200
    assert answer.headers.get("strict-transport-security") == expected
    assert "server" not in answer.headers  # uvicorn's "server: uvicorn" is off


def test_hsts_over_tls(tmp_path: Path) -> None:
    """``agentkit serve --ssl-certfile``: the server speaks TLS itself."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a throwaway certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    options = ConnectionOptions(ssl_keyfile=str(key), ssl_certfile=str(cert))
    with ServerThread(_app(tmp_path), options=options) as server:  # type: ignore[arg-type]
        url = server.base_url.replace("http://", "https://")
        answer = httpx2.get(f"{url}/api/health", verify=ssl.create_default_context(cafile=str(cert)))
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"] == HSTS
    assert "server" not in answer.headers
