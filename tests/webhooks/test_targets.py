"""Which addresses a webhook may go to (pure): public https in production, this machine too outside it."""

from __future__ import annotations

import pytest

from ascc.webhooks import targets


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.251", False),  # multicast
        ("::1", False),
        ("fd12:3456::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),  # IPv4 inside IPv6 is judged as IPv4
        ("::ffff:93.184.216.34", True),
        ("not-an-address", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert targets.is_public(address) is public


def test_a_name_must_resolve_to_public_addresses_only() -> None:
    assert targets.all_public(["93.184.216.34", "2606:4700:4700::1111"])
    assert not targets.all_public(["93.184.216.34", "10.0.0.8"])
    assert not targets.all_public([])


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hooks", "http://localhost/hooks", "http://[::1]:9000/x", "https://10.0.0.8/x"],
)
def test_outside_production_this_machine_and_private_https_are_allowed(url: str) -> None:
    assert targets.check_url(f"  {url} ", production=False) == url


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://crm.example.org/hooks", "webhooks.error.https_required"),
        ("https://crm.example.org/hooks#part", "webhooks.error.url_invalid"),
        ("https://crm.example.org:99999/hooks", "webhooks.error.url_invalid"),
        ("https://crm.example.org/a b", "webhooks.error.url_invalid"),
        ("https://" + "a" * 500 + ".org/", "webhooks.error.url_too_long"),
        ("", "error.required"),
    ],
)
def test_refused_everywhere(url: str, key: str) -> None:
    with pytest.raises(targets.Refused) as refused:
        targets.check_url(url, production=False)
    assert refused.value.key == key


def test_production_takes_public_names_and_refuses_local_ones() -> None:
    assert targets.check_url("https://crm.danang.example/hooks?x=1", production=True)
    for host in ("localhost", "crm.local", "printer", "db.internal", "127.0.0.1", "[::1]"):
        with pytest.raises(targets.Refused):
            targets.check_url(f"https://{host}/hooks", production=True)
