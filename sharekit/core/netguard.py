"""Where a supplier's data may send sharekit on the network: public addresses only.

A remote feed (and every product image) names URLs that someone else controls. Without a
guard, a feed could make sharekit request ``http://127.0.0.1:…/internal-admin`` on the
reseller's server, or a cloud metadata address, directly or through a redirect. The guard is
an httpx request hook, so it runs before *every* request a client sends, redirects included:
the host is resolved and each of its addresses must be global (not loopback, private,
link-local, carrier-grade NAT, multicast or reserved). ``allow_private_hosts = true`` on a
source turns it off (a supplier on the reseller's own LAN).

The check resolves the name before the connection does, and checks again where each new
connection actually landed (the peer address of its socket, through httpx's ``trace``
extension), before the request or a TLS handshake is sent on it: a DNS answer that changes in
between (rebinding) is refused too. Through an HTTP proxy the peer is the proxy, so only the
first check applies.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
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
    inner = request.extensions.get("trace")
    inner = getattr(inner, "netguard_inner", inner)   # a redirect copies the last hop's extensions
    request.extensions = {**request.extensions, "trace": _peer_trace(request.url.host, inner)}


def _peer_trace(host: str, inner: Callable[[str, dict[str, Any]], None] | None) -> Any:
    """An httpx ``trace`` callback refusing a new connection whose peer address is not public
    (it is closed before anything is sent on it); ``inner`` (an earlier trace) runs first."""
    target = host.strip("[]").lower()
    connecting: list[str] = []

    def trace(event: str, info: dict[str, Any]) -> None:
        if inner is not None:
            inner(event, info)
        if event == "connection.connect_tcp.started":
            connecting[:] = [str(info.get("host", "")).strip("[]").lower()]
        elif event == "connection.connect_tcp.complete" and connecting == [target]:  # not via a proxy
            stream = info.get("return_value")
            get = getattr(stream, "get_extra_info", None)
            sock = get("socket") if callable(get) else None
            try:
                address = str(sock.getpeername()[0]) if sock is not None else ""
            except (OSError, IndexError):
                address = ""
            if address and not is_public(address):
                close = getattr(stream, "close", None)
                if callable(close):
                    close()
                shown = target if address == target else f"{target} ({address})"
                raise BlockedHost(f"{shown} is a private, loopback or link-local address; {ALLOW_HINT}")

    trace.netguard_inner = inner  # type: ignore[attr-defined]
    return trace


def guard_hooks(allow_private: bool) -> dict[str, Any]:
    """``event_hooks`` for an httpx client: the public-address check unless ``allow_private``."""
    return {} if allow_private else {"request": [_guard]}


def guard_client(client: httpx.Client, allow_private: bool) -> httpx.Client:
    """Add the check to an existing client (every later request and redirect goes through it)."""
    if not allow_private and _guard not in client.event_hooks.get("request", []):
        client.event_hooks = {**client.event_hooks, "request": [*client.event_hooks.get("request", []), _guard]}
    return client
