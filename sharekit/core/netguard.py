"""Where a supplier's data may send sharekit on the network: public addresses only.

A remote feed (and every product image) names URLs that someone else controls. Without a
guard, a feed could make sharekit request ``http://127.0.0.1:…/internal-admin`` on the
reseller's server, or a cloud metadata address, directly or through a redirect. The guard is
an httpx request hook, so it runs before *every* request a client sends, redirects included:
the host is resolved and each of its addresses must be global (not loopback, private,
link-local, carrier-grade NAT, multicast or reserved). ``allow_private_hosts = true`` on a
source turns it off (a supplier on the reseller's own LAN).

The check resolves the name before the connection does; a DNS answer that changes in between
(rebinding) is not covered, which is one reason the README asks for a reverse proxy in front.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, Any

from .download import DownloadError

if TYPE_CHECKING:
    import httpx

ALLOW_HINT = "set allow_private_hosts = true on the source if it really lives there"


class BlockedHost(DownloadError):
    """A request to a private, loopback or link-local address was refused (never retried)."""


def is_public(address: str) -> bool:
    """True for a global unicast address (an IPv4-mapped IPv6 address is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_host(host: str, port: int | None = None) -> None:
    """Raise BlockedHost unless every address ``host`` resolves to is public."""
    name = host.strip("[]")
    try:
        addresses = [str(ipaddress.ip_address(name))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(name, port or 443, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            return   # the connection itself then fails with a clear "cannot resolve"
        addresses = sorted({str(info[4][0]) for info in infos})
    for address in addresses:
        if not is_public(address):
            shown = name if address == name else f"{name} ({address})"
            raise BlockedHost(f"{shown} is a private, loopback or link-local address; {ALLOW_HINT}")


def _guard(request: httpx.Request) -> None:
    check_host(request.url.host, request.url.port)


def guard_hooks(allow_private: bool) -> dict[str, Any]:
    """``event_hooks`` for an httpx client: the public-address check unless ``allow_private``."""
    return {} if allow_private else {"request": [_guard]}


def guard_client(client: httpx.Client, allow_private: bool) -> httpx.Client:
    """Add the check to an existing client (every later request and redirect goes through it)."""
    if not allow_private and _guard not in client.event_hooks.get("request", []):
        client.event_hooks = {**client.event_hooks, "request": [*client.event_hooks.get("request", []), _guard]}
    return client
