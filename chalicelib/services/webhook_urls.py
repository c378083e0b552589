"""Where a webhook may point (R-HOOK-1): HTTPS to a public address, never into
the network the app runs in (SSRF).

A URL is checked when it is saved and again before every attempt: its host is
resolved and every address it resolves to must be global unicast. Refused:
private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (which
holds the cloud metadata service, 169.254.169.254 and fd00:ec2::254), CGNAT
(100.64/10), multicast, reserved and unspecified addresses, and the same
hidden in IPv6 (IPv4-mapped, 6to4, Teredo, NAT64). The sender connects to the
very address it checked (a name that resolves elsewhere a moment later, DNS
rebinding, changes nothing) and never follows a redirect.

On the local stack (`WEBHOOKS_ALLOW_LOOPBACK`) loopback is admitted, over
plain http too, so a developer can point a webhook at their own machine.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from chalicelib import config, validate
from chalicelib.errors import InvalidInput

MAX_URL = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class BadUrl(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__("url", message, "bad_url")


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`), and what to say (`host`)."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """An IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, *, loopback_ok: bool) -> str | None:
    """Why a webhook may not reach `address` (None: it may)."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return refusal(inner, loopback_ok=loopback_ok)
    if address.is_loopback:
        return None if loopback_ok else "a loopback address"
    if address.is_link_local:
        return "a link-local address (where the cloud's metadata service is)"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a shared (CGNAT) address"
    if address.is_private or address.is_unspecified or address.is_reserved \
            or not address.is_global:
        return "a private or reserved address"
    return None


def _parts(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadUrl("is not a URL") from None
    if port == 0:
        raise BadUrl("has no valid port")
    return parts


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (a literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise BadUrl(f"the host {host} does not resolve") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise BadUrl(f"the host {host} does not resolve")
    return addresses


def syntax(value: object) -> SplitResult:
    """The URL's form alone (no lookup): https (or http to loopback locally),
    a host, no user or password, at most MAX_URL characters."""
    if not isinstance(value, str) or not value.strip():
        raise BadUrl("is required: an https:// URL")
    if len(value) > MAX_URL:
        raise BadUrl(f"must be at most {MAX_URL} characters")
    if any(c.isspace() or ord(c) < 32 for c in value) or validate.lone_surrogates(value):
        raise BadUrl("must not contain spaces or control characters")
    parts = _parts(value)
    allowed = ("https", "http") if config.webhooks_allow_loopback() else ("https",)
    if parts.scheme.lower() not in allowed:
        raise BadUrl("must be an https:// URL")
    if not parts.hostname:
        raise BadUrl("has no host")
    if parts.username is not None or parts.password is not None:
        raise BadUrl("must not carry a user name or password")
    return parts


def check(value: object) -> Target:
    """The URL as a target the sender may reach, or BadUrl saying why not."""
    parts = syntax(value)
    assert isinstance(value, str)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or (443 if scheme == "https" else 80)
    loopback_ok = config.webhooks_allow_loopback()
    addresses = resolve(host, port)
    for address in addresses:
        why = refusal(address, loopback_ok=loopback_ok)
        if why is not None:
            raise BadUrl(f"{host} is {why}; webhooks reach public addresses only")
    if scheme == "http" and not all(a.is_loopback for a in addresses):
        raise BadUrl("must be an https:// URL (plain http only to this machine)")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=value, scheme=scheme, host=host, port=port, path=path,
                  address=str(addresses[0]))
