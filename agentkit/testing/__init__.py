"""Test helpers shipped with agentkit: loopback HTTP servers with scripted replies and injected faults, and a
guard that keeps tests from reaching real endpoints."""

from ._fake_helpdesks import FakeFreshdesk, FakeIntercom, FakeWebhookReceiver, FakeZendesk
from ._fake_openai import FakeOpenAIServer, Reply
from ._guard import LOCAL_HOSTS, RemoteRequestBlocked, block_remote_requests
from ._loopback import Fault, LoopbackServer, RecordedRequest, Response, Route

__all__ = [
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
    "block_remote_requests",
]
