from __future__ import annotations

import pytest

from agentkit.server import _protocols


@pytest.fixture(params=["httptools", "h11"])
def http_protocol(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The servers started in the test run on uvicorn's httptools protocol, then on its h11 one (what serves
    when httptools is not installed): agentkit's additions to each (``agentkit.server._protocols``) behave alike."""
    name: str = request.param
    if name == "httptools" and not _protocols.httptools_installed():
        pytest.skip("httptools is not installed here (run `make install`: it is a dependency)")
    monkeypatch.setattr(_protocols, "httptools_installed", lambda: name == "httptools")
    return name
