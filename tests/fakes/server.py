"""The one threaded HTTP server harness of the tests: a ThreadingHTTPServer on 127.0.0.1 in a thread.

Subclasses implement ``respond(handler, method)`` with the ``BaseHTTPRequestHandler`` of the
request; ``start()``/``close()`` or a ``with`` block run it. Every protocol fake builds on it.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LocalServer:
    """A real HTTP/1.1 server on ``127.0.0.1:port`` (0 = a free port), quiet, closed cleanly."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        owner = self
        self.host = host

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes; without this, Nagle plus delayed
                # ACK would add ~40 ms to every keep-alive request.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                owner.respond(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                owner.respond(self, "POST")

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
                    super().handle_error(request, client_address)  # a fake's bug shows
                # else: a client that timed out and left, expected in these tests

        self.httpd = Server((host, port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._running = False

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def respond(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError

    def start(self) -> LocalServer:
        if not self._running:
            self._running = True
            self.thread.start()
        return self

    def close(self) -> None:
        if self._running:
            self._running = False
            self.httpd.shutdown()
            self.thread.join(timeout=5)
        self.httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # helpers for respond() ---------------------------------------------------------------------
    @staticmethod
    def read_body(handler: BaseHTTPRequestHandler) -> bytes:
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    @classmethod
    def send_json(cls, handler: BaseHTTPRequestHandler, status: int, body: Any,
                  headers: dict[str, str] | None = None) -> None:
        cls.send(handler, status, json.dumps(body, ensure_ascii=False).encode("utf-8"),
                 "application/json;charset=UTF-8", headers)
