"""Test helpers shipped with agentkit: loopback HTTP servers with scripted replies and injected faults, a guard that
keeps tests from reaching real endpoints, a clock that never sleeps, and a throwaway PostgreSQL server."""

from ._clock import FakeClock
from ._eventually import eventually
from ._fake_helpdesks import FakeFreshdesk, FakeIntercom, FakeWebhookReceiver, FakeZendesk
from ._fake_openai import FakeOpenAIServer, Reply
from ._guard import LOCAL_HOSTS, RemoteRequestBlocked, block_remote_requests
from ._loopback import Fault, LoopbackServer, RecordedRequest, Response, Route
from ._postgres import TemporaryPostgres

__all__ = [
    "FakeClock",
    "FakeFreshdesk",
    "FakeIntercom",
    "FakeOpenAIServer",
    "FakeWebhookReceiver",
    "FakeZendesk",
    "Fault",
    "LOCAL_HOSTS",
    "LoopbackServer",
    "RecordedRequest",
    "RemoteRequestBlocked",
    "Reply",
    "Response",
    "Route",
    "TemporaryPostgres",
    "block_remote_requests",
    "eventually",
]
