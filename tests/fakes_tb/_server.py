"""The Taobao/Amazon fakes' base: the shared harness (fakes.server.LocalServer), started at once."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from fakes.server import LocalServer


class FakeServer(LocalServer):
    """Subclasses implement ``handle(handler, method)``; the server runs from construction."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.start()

    def respond(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        self.handle(handler, method)

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError
