"""``address_key``: the client's address as the webchat quotas count it, kept per address (a bounded cache)."""

from __future__ import annotations

import pytest

from agentkit.server._quotas import address_key


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),  # one customer's /64 counts once
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client on a dual-stack socket
        ("unknown", "unknown"),  # not an address (no client, a test client): counted by its name
    ],
)
def test_an_address_is_counted_by_its_key_the_same_on_every_request(host: str, key: str) -> None:
    assert [address_key(host) for _ in range(3)] == [key] * 3


def test_the_kept_keys_are_bounded() -> None:
    address_key.cache_clear()
    for n in range(5000):
        address_key(f"10.0.{n // 256}.{n % 256}")
    info = address_key.cache_info()
    assert info.maxsize is not None and info.currsize <= info.maxsize < 5000
    assert address_key("10.0.0.1") == "10.0.0.1"
