"""Run the redirect server under uvicorn (a production ASGI server), one or more workers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import InputError
from .app import ENV_RECORD
from .recorder import MODES

if TYPE_CHECKING:
    from ...store.workspace import Workspace


@dataclass(frozen=True)
class ServeSettings:
    """What `sharekit serve` runs: where it listens and how it records."""

    home: str
    host: str
    port: int
    workers: int
    record: str
    base_url: str | None


def settings_for(ws: Workspace, host: str | None = None, port: int | None = None, workers: int = 1,
                 record: str = "queue") -> ServeSettings:
    """Options over ``[server]`` in config.toml, validated."""
    host = host or str(ws.config.get("server.host") or "127.0.0.1")
    port = int(port if port is not None else ws.config.get("server.port") or 8080)
    if not 0 < port < 65536:
        raise InputError(f"`port` {port} is not a TCP port (1-65535).", params=("port",))
    if workers < 1:
        raise InputError(f"`workers` {workers} must be at least 1.", params=("workers",))
    if record not in MODES:
        raise InputError(f"`record` {record!r} must be one of {', '.join(MODES)}.", params=("record",))
    ws.db  # noqa: B018 - open once here so migrations run before the workers start
    return ServeSettings(str(ws.home), host, port, workers, record, ws.config.get("server.base_url") or None)


def run(settings: ServeSettings, *, log_level: str = "warning") -> None:
    """Serve until SIGTERM/SIGINT; queued clicks are flushed before this returns."""
    import uvicorn

    # Workers are separate processes: they find the home and the mode in the environment.
    os.environ["SHAREKIT_HOME"] = settings.home
    os.environ[ENV_RECORD] = settings.record
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
    )
