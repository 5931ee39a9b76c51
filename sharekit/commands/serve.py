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
    limit_concurrency: int = typer.Option(None, "--limit-concurrency", metavar="N",
                                          help="Connections per worker; more get 503, slow ones are dropped "
                                               "first [default: server.limit_concurrency, 1000]."),
    header_timeout: float = typer.Option(None, "--header-timeout", metavar="SECONDS",
                                         help="Close a connection that has not sent a request's headers "
                                              "in time [default: server.header_timeout, 10]."),
) -> None:
    """Run the short-link redirect server under uvicorn until Ctrl-C or SIGTERM.

    GET /CODE answers 302 to the stored target and records the click; unknown, disabled or
    expired codes answer 404; /healthz answers 200. Queued clicks are written on shutdown.

    Slow or unfinished requests are dropped after --header-timeout, idle keep-alive
    connections after 5 s; workers end with the master. Put a reverse proxy (nginx, Caddy)
    in front when serving the internet.

    Example: sharekit serve --host 0.0.0.0 --port 8080 --workers 2
    """
    from ..tracking.server.serve import run, settings_for

    ws = workspace(ctx)
    settings = settings_for(ws, host, port, workers, record, limit_concurrency=limit_concurrency,
                            header_timeout=header_timeout)
    ws.close()
    shown = settings.base_url or f"http://{settings.host}:{settings.port}"
    out().print(f"Serving short links on http://{settings.host}:{settings.port} "
                f"({settings.workers} worker(s), recording: {settings.record}); links print as {shown}/CODE. "
                "Ctrl-C to stop.")
    run(settings)
