"""Bounded downloads: a byte cap and a deadline for the whole file, enforced while streaming,
and a token that cancels every running download at once (Ctrl-C).

httpx's timeouts bound one read; a server that sends a byte a second never trips them. Here a
timer shuts the connection's socket when the file's time is up, so any blocked read (headers,
body, TLS) fails at once, and ``CancelToken.cancel()`` does the same for all live downloads.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class DownloadError(Exception):
    """A bounded download stopped: over its byte cap, past its deadline, cancelled, or failed.
    The message is a short reason without the URL (callers add what they may show); ``retry``
    says whether another try could succeed (a dropped connection, not a cap or a deadline)."""

    def __init__(self, reason: str, *, retry: bool = False) -> None:
        super().__init__(reason)
        self.retry = retry


class Cancelled(DownloadError):
    """The download was cancelled (Ctrl-C): the caller stops its whole batch."""


class CancelToken:
    """Cancels every download that runs under it at once: their sockets are shut, so threads
    blocked in a read return immediately (a pool can then end without waiting)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._live: set[Deadline] = set()
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()
        with self._lock:
            live = list(self._live)
        for deadline in live:
            deadline.expire()

    def _add(self, deadline: Deadline) -> None:
        with self._lock:
            self._live.add(deadline)
        if self._event.is_set():
            deadline.expire()

    def _discard(self, deadline: Deadline) -> None:
        with self._lock:
            self._live.discard(deadline)


class Deadline:
    """The whole-download time limit: a timer shuts the watched sockets when time is up."""

    def __init__(self, seconds: float, cancel: CancelToken | None = None) -> None:
        self.seconds = seconds
        self.expired = False
        self._cancel = cancel
        self._sockets: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        if self._cancel is not None:
            self._cancel._add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        if self._cancel is not None:
            self._cancel._discard(self)

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx ``trace`` extension: remember the socket of each new connection (redirects too)."""
        if event == "connection.connect_tcp.complete":
            self._watch(info.get("return_value"))

    def watch_response(self, response: httpx.Response) -> None:
        """Watch the socket of a response that came over a reused (pooled) connection."""
        self._watch(response.extensions.get("network_stream"))

    def _watch(self, stream: Any) -> None:
        get = getattr(stream, "get_extra_info", None)
        sock = get("socket") if callable(get) else None
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: Any) -> None:
    import socket

    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def download(client: httpx.Client, url: str, *, max_bytes: int, timeout: float,
             cancel: CancelToken | None = None, headers: dict[str, str] | None = None) -> tuple[bytes, httpx.Response]:
    """GET ``url`` into memory with a byte cap and a deadline for the WHOLE download, both
    enforced while streaming (a declared Content-Length over the cap is refused before reading).
    Returns (body, response); a status of 400 or more is returned, not raised. DownloadError
    (Cancelled when ``cancel`` fired) says why it stopped."""
    import httpx

    if cancel is not None and cancel.cancelled:
        raise Cancelled("cancelled")
    limit = _size(max_bytes)
    with Deadline(timeout, cancel) as deadline:
        try:
            with client.stream("GET", url, timeout=timeout, headers=headers,
                               extensions={"trace": deadline.trace}) as response:
                deadline.watch_response(response)
                if response.status_code >= 400:
                    return b"", response
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise DownloadError(f"{_size(int(declared))} is over the {limit} cap")
                buf = bytearray()
                for chunk in response.iter_bytes():
                    buf += chunk
                    if len(buf) > max_bytes:
                        raise DownloadError(f"over the {limit} cap")
                    if deadline.expired:
                        break
                if not deadline.expired:
                    return bytes(buf), response
        except httpx.TimeoutException:
            if not deadline.expired:
                raise DownloadError(f"timed out after {timeout:g}s", retry=True) from None
        except httpx.TransportError as exc:
            if not deadline.expired:
                if isinstance(exc, httpx.RemoteProtocolError):
                    raise DownloadError("download cut short (connection closed early)", retry=True) from None
                raise DownloadError(f"connection failed ({type(exc).__name__})", retry=True) from None
    if cancel is not None and cancel.cancelled:
        raise Cancelled("cancelled")
    raise DownloadError(f"timed out after {timeout:g}s")


def buffered(body: bytes, response: httpx.Response) -> httpx.Response:
    """A plain, already-read response holding ``body`` (decoded) with ``response``'s status and
    headers, for code written against ``response.content``."""
    import httpx

    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)
