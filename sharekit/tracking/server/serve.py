"""Run the redirect server under uvicorn (a production ASGI server), one or more workers."""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import InputError, SharekitError
from .app import ENV_MASTER, ENV_RECORD
from .guard import DEFAULT_HEADER_TIMEOUT, ENV_HEADER_TIMEOUT
from .recorder import MODES

if TYPE_CHECKING:
    from ...store.workspace import Workspace

DEFAULT_LIMIT_CONCURRENCY = 1000   # connections per worker; more get 503 (slow ones are evicted first)
DEFAULT_KEEP_ALIVE = 5             # seconds an idle keep-alive connection stays open


@dataclass(frozen=True)
class ServeSettings:
    """What `sharekit serve` runs: where it listens, how it records, and its limits."""

    home: str
    host: str
    port: int
    workers: int
    record: str
    base_url: str | None
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    keep_alive: int = DEFAULT_KEEP_ALIVE


def _number(ws: Workspace, key: str, given: float | None, default: float, low: float, high: float,
            param: str) -> float:
    value = given if given is not None else ws.config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        where = f"`{param}`" if given is not None else f"{key} in config.toml"
        raise InputError(f"{where} = {value!r} must be a number from {low:g} to {high:g}.", params=(param,))
    return value


def settings_for(ws: Workspace, host: str | None = None, port: int | None = None, workers: int = 1,
                 record: str = "queue", *, limit_concurrency: int | None = None,
                 header_timeout: float | None = None, check_port: bool = True) -> ServeSettings:
    """Options over ``[server]`` in config.toml, validated; the port must be free."""
    host = host or str(ws.config.get("server.host") or "127.0.0.1")
    port = int(port if port is not None else ws.config.get("server.port") or 8080)
    if not 0 < port < 65536:
        raise InputError(f"`port` {port} is not a TCP port (1-65535).", params=("port",))
    if workers < 1:
        raise InputError(f"`workers` {workers} must be at least 1.", params=("workers",))
    if record not in MODES:
        raise InputError(f"`record` {record!r} must be one of {', '.join(MODES)}.", params=("record",))
    limit = int(_number(ws, "server.limit_concurrency", limit_concurrency, DEFAULT_LIMIT_CONCURRENCY,
                        1, 1_000_000, "limit_concurrency"))
    deadline = float(_number(ws, "server.header_timeout", header_timeout, DEFAULT_HEADER_TIMEOUT,
                             0.1, 3600, "header_timeout"))
    keep_alive = int(_number(ws, "server.keep_alive", None, DEFAULT_KEEP_ALIVE, 1, 3600, "keep_alive"))
    if check_port:
        check_port_free(host, port)
    ws.db  # noqa: B018 - open once here so migrations run before the workers start
    return ServeSettings(str(ws.home), host, port, workers, record, ws.config.get("server.base_url") or None,
                         limit, deadline, keep_alive)


def check_port_free(host: str, port: int) -> None:
    """Raise a one-line SharekitError when ``host:port`` cannot be listened on (busy, foreign address)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror:
        raise InputError(f"`host` {host!r} is not an address of this machine.", params=("host",)) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SharekitError(f"Port {port} on {host} is already in use (another `sharekit serve`?).",
                                    hint="Stop it, or pick another `port`.", params=("port",)) from None
            if exc.errno == errno.EACCES:
                raise SharekitError(f"Not allowed to listen on port {port} (ports below 1024 need root).",
                                    hint="Pick a `port` of 1024 or above behind a reverse proxy.",
                                    params=("port",)) from None
            raise SharekitError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None


def _raise_open_files(wanted: int) -> int:
    """Raise this process's open-file limit towards ``wanted`` (up to the hard limit); return it."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else wanted


def run(settings: ServeSettings, *, log_level: str = "warning") -> None:
    """Serve until SIGTERM/SIGINT; queued clicks are flushed before this returns."""
    import uvicorn

    # Workers are separate processes: they find the home, the mode and the limits in the environment.
    os.environ["SHAREKIT_HOME"] = settings.home
    os.environ[ENV_RECORD] = settings.record
    os.environ[ENV_HEADER_TIMEOUT] = str(settings.header_timeout)
    if settings.workers > 1:
        os.environ[ENV_MASTER] = str(os.getpid())
    else:
        os.environ.pop(ENV_MASTER, None)
    # Each connection is a file descriptor: keep the limit below what the process may open.
    files = _raise_open_files(settings.limit_concurrency + 256)
    limit = max(1, min(settings.limit_concurrency, files - 128))
    try:
        uvicorn.run(
            "sharekit.tracking.server.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            lifespan="on",
            log_level=log_level,
            access_log=False,
            proxy_headers=True,          # X-Forwarded-For from a local reverse proxy gives the visitor IP
            server_header=False,
            timeout_graceful_shutdown=30,
            http="sharekit.tracking.server.guard:GuardedHTTPProtocol",
            limit_concurrency=limit,
            timeout_keep_alive=settings.keep_alive,
            h11_max_incomplete_event_size=16 * 1024,  # request line + headers; a short link needs far less
        )
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise SharekitError(f"The server on {settings.host}:{settings.port} failed to start "
                                "(the reason is printed above).") from None
        raise
