"""Which addresses a webhook may be sent to. Pure: the caller resolves host names.

In production (an https base URL) only https, and only to hosts whose every address is public: an endpoint
must not make the server post to itself, to the cloud's metadata service or to the private network (SSRF).
The address is checked again at each delivery, on the addresses the connection then uses, so a name that
later resolves elsewhere gains nothing. Outside production plain http to this machine is allowed too (tests,
a receiver on a developer's laptop).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

URL_MAX = 500
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
# Names that never lead to the public internet.
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


class Refused(ValueError):
    """The URL may not be used; `key` is the catalogue key of the reason."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_public(address: str) -> bool:
    """Reachable on the public internet: not loopback, private, link-local (cloud metadata), shared,
    reserved, unspecified or multicast; an IPv4 address inside IPv6 is judged as the IPv4 address."""
    ip = _address(address.split("%", 1)[0])
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def all_public(addresses: Iterable[str]) -> bool:
    found = list(addresses)
    return bool(found) and all(is_public(a) for a in found)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def check_url(url: str, production: bool) -> str:
    """The URL as it will be used (trimmed), or Refused with the reason."""
    url = (url or "").strip()
    if not url:
        raise Refused("error.required")
    if len(url) > URL_MAX:
        raise Refused("webhooks.error.url_too_long")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise Refused("webhooks.error.url_invalid")
    try:
        parts = urlsplit(url)
        _port = parts.port  # a port out of range raises here
    except ValueError:
        raise Refused("webhooks.error.url_invalid") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise Refused("webhooks.error.url_invalid")
    if parts.username is not None or parts.password is not None:
        raise Refused("webhooks.error.url_credentials")  # would be shown on pages and in logs
    if parts.fragment:
        raise Refused("webhooks.error.url_invalid")
    if parts.scheme == "http" and (production or host not in LOOPBACK_NAMES):
        raise Refused("webhooks.error.https_required")
    if production and is_private_name(host):
        raise Refused("webhooks.error.private_target")
    return url


def is_private_name(host: str) -> bool:
    """A host that is an address off the public internet, or a name that can only be one."""
    host = host.lower().rstrip(".")
    if _address(host) is not None:
        return not is_public(host)
    return host in LOOPBACK_NAMES or host.endswith(_PRIVATE_SUFFIXES) or "." not in host
