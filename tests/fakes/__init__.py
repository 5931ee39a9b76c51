"""Local fakes of supplier gateways: real HTTP servers on 127.0.0.1 speaking each protocol.

``GatewayServer`` runs a ``ThreadingHTTPServer`` in a thread; a gateway object supplies
``handle(method, path, query, body, headers) -> (status, content_type, body_bytes)``.
Used by the tests and by ``benchmarks/sync.py``.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    gateway: Any = None

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle plus delayed ACK
        # would add ~40 ms to every keep-alive request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        status, ctype, payload = self.gateway.handle(self.command, path, query, body, dict(self.headers))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        pass


class GatewayServer:
    """``with GatewayServer(gateway) as server: server.url`` — a real local HTTP server."""

    def __init__(self, gateway: Any, path: str = "/") -> None:
        handler = type("Handler", (_Handler,), {"gateway": gateway})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.path = path
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    def __enter__(self) -> GatewayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
