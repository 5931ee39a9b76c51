"""Local fakes of supplier gateways: real HTTP servers on 127.0.0.1 speaking each protocol.

The gateways themselves (JD, PDD) live in :mod:`sharekit.demo.gateways`, so the offline demo and
the tests share one copy; ``GatewayServer`` serves one over HTTP with the shared harness
(:mod:`fakes.server`). Used by the tests and by ``benchmarks/sync.py``.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from .server import LocalServer


class GatewayServer(LocalServer):
    """``with GatewayServer(gateway) as server: server.url`` — a gateway object's
    ``handle(method, path, query, body, headers)`` served on a real local HTTP server."""

    def __init__(self, gateway: Any, path: str = "/") -> None:
        super().__init__()
        self.gateway = gateway
        self.path = path

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def respond(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        body = self.read_body(handler)
        path, _, query = handler.path.partition("?")
        status, ctype, payload = self.gateway.handle(method, path, query, body, dict(handler.headers))
        self.send(handler, status, payload, ctype)
