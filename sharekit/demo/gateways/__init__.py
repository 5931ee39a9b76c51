"""Fake supplier gateways speaking the JD and PDD wire protocols (signatures, envelopes, windows).

One copy serves both the offline demo (in-process, through :func:`transport`) and the tests and
benchmarks (over a real local HTTP server, ``tests.fakes.GatewayServer``). A gateway object has
``handle(method, path, query, body, headers) -> (status, content_type, body_bytes)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


def transport(gateway: Any) -> httpx.MockTransport:
    """An httpx transport answering every request with ``gateway.handle`` (no sockets)."""
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        status, ctype, payload = gateway.handle(request.method, request.url.path, request.url.query.decode(),
                                                request.content, dict(request.headers))
        return httpx.Response(status, headers={"Content-Type": ctype}, content=payload)

    return httpx.MockTransport(answer)
