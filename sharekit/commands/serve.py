"""`sharekit serve`: the redirect server that records every click."""

from __future__ import annotations

import typer

from ._common import out, workspace


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: str = typer.Option(None, "--host", help="Address to listen on [default: server.host, 127.0.0.1]."),
    port: int = typer.Option(None, "--port", help="TCP port [default: server.port, 8080]."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes (each records its own clicks)."),
    record: str = typer.Option("queue", "--record", envvar="SHAREKIT_SERVE_RECORD",
                               help="How clicks are written: queue (batched, flushed on shutdown), "
                                    "direct (before each redirect) or off."),
) -> None:
    """Run the short-link redirect server under uvicorn until Ctrl-C or SIGTERM.

    GET /CODE answers 302 to the stored target and records the click; unknown, disabled or
    expired codes answer 404; /healthz answers 200. Queued clicks are written on shutdown.

    Example: sharekit serve --host 0.0.0.0 --port 8080 --workers 2
    """
    from ..tracking.server.serve import run, settings_for

    ws = workspace(ctx)
    settings = settings_for(ws, host, port, workers, record)
    ws.close()
    shown = settings.base_url or f"http://{settings.host}:{settings.port}"
    out().print(f"Serving short links on http://{settings.host}:{settings.port} "
                f"({settings.workers} worker(s), recording: {settings.record}); links print as {shown}/CODE. "
                "Ctrl-C to stop.")
    run(settings)
