"""uvicorn's HTTP protocol with a header deadline and connection eviction (slowloris).

uvicorn times out idle keep-alive connections, but a client that sends a request's headers a
byte at a time (or never finishes them) holds its connection forever, and enough of them
exhaust the server. Here every connection must finish a request's headers within
``header_timeout`` seconds of connecting (or of its previous response), else it is closed.
When the worker holds ``limit_concurrency`` connections, a new one closes the oldest
connection that is still waiting for headers, so slow clients cannot lock out real visitors.
A reverse proxy in front (nginx, Caddy) remains the first line of defence.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

ENV_HEADER_TIMEOUT = "SHAREKIT_SERVE_HEADER_TIMEOUT"
DEFAULT_HEADER_TIMEOUT = 10.0

# Connections armed with a header deadline, oldest first (dicts keep insertion order).
# One event loop per worker process: no locking needed.
_waiting: dict[Any, None] = {}


def header_timeout() -> float:
    """Seconds a connection may take to send a request's headers (``$SHAREKIT_SERVE_HEADER_TIMEOUT``)."""
    try:
        value = float(os.environ.get(ENV_HEADER_TIMEOUT, DEFAULT_HEADER_TIMEOUT))
    except ValueError:
        value = DEFAULT_HEADER_TIMEOUT
    return value if value > 0 else DEFAULT_HEADER_TIMEOUT


class _HeaderDeadline:
    """Mixin for uvicorn's HttpToolsProtocol / H11Protocol."""

    _sk_timer: asyncio.TimerHandle | None = None
    _sk_cycle: Any = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[misc]
        self._sk_cycle = None
        self._sk_arm()
        limit = self.limit_concurrency  # type: ignore[attr-defined]
        if limit is not None and len(self.connections) >= limit:  # type: ignore[attr-defined]
            for other in _waiting:
                if other is not self:
                    other._sk_close()
                    # counted out now: the event loop may read this connection's request
                    # before it delivers the other's connection_lost
                    self.connections.discard(other)  # type: ignore[attr-defined]
                    break

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not self._sk_cycle:  # type: ignore[attr-defined]
            self._sk_disarm()  # a request's headers arrived: it is being answered

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        cycle = self.cycle  # type: ignore[attr-defined]
        if not self.transport.is_closing() and (cycle is None or cycle.response_complete):  # type: ignore[attr-defined]
            self._sk_arm()  # waiting for the next request on a keep-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._sk_disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _sk_arm(self) -> None:
        self._sk_disarm()
        self._sk_cycle = self.cycle  # type: ignore[attr-defined]
        self._sk_timer = self.loop.call_later(header_timeout(), self._sk_close)  # type: ignore[attr-defined]
        _waiting[self] = None

    def _sk_disarm(self) -> None:
        if self._sk_timer is not None:
            self._sk_timer.cancel()
            self._sk_timer = None
        _waiting.pop(self, None)

    def _sk_close(self) -> None:
        self._sk_disarm()
        transport = self.transport  # type: ignore[attr-defined]
        if transport is not None and not transport.is_closing():
            transport.close()


def _protocol() -> type:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # httptools is optional: the pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    return type("GuardedHTTPProtocol", (_HeaderDeadline, Base), {})


GuardedHTTPProtocol = _protocol()
