"""`sharekit deploy systemd`: print or write the unit, timer, cron and reverse-proxy files."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import out, print_json, sub_app, workspace

deploy_app = sub_app("Files to run sharekit on a server.")


def register(app: typer.Typer) -> None:
    app.add_typer(deploy_app, name="deploy")


def _sharekit_path() -> str:
    import shutil
    import sys

    found = shutil.which("sharekit")
    if found:
        return str(Path(found).absolute())
    return str(Path(sys.executable).with_name("sharekit"))


@deploy_app.command("systemd")
def systemd(
    ctx: typer.Context,
    user: str = typer.Option(None, "--user", help="The account that runs sharekit [default: you]."),
    workers: int = typer.Option(2, "--workers", "-w", help="Server worker processes."),
    port: int = typer.Option(None, "--port", help="Local port behind the proxy [default: server.port, 8080]."),
    sharekit: str = typer.Option(None, "--sharekit", metavar="PATH",
                                 help="The sharekit executable [default: the one on PATH]."),
    cert_dir: str = typer.Option("", "--cert-dir", metavar="DIR",
                                 help="nginx: folder with fullchain.pem and privkey.pem [default: certbot's]."),
    write: Path = typer.Option(None, "--write", metavar="DIR", help="Write the files into DIR instead of printing."),
    json_out: bool = typer.Option(False, "--json", help="Print the files as JSON."),
) -> None:
    """A systemd unit for `sharekit serve`, a timer (or cron line) for `sharekit sync`, and
    Caddy and nginx reverse-proxy files with TLS for the host of server.base_url.

    Example: sharekit deploy systemd --user shop --workers 2 --write ./deploy
    """
    import getpass

    from ..deploy import DeploySettings, public_host, render, write_files
    from ..orders.sync import order_sources

    with workspace(ctx) as ws:
        settings = DeploySettings(
            user=user or getpass.getuser(), home=str(ws.home), sharekit=sharekit or _sharekit_path(),
            host=public_host(str(ws.config.get("server.base_url") or "")),
            port=int(port if port is not None else ws.config.get("server.port") or 8080), workers=workers,
            cert_dir=cert_dir, sync_orders=bool(order_sources(ws)))
    files = render(settings)
    from ..doctor.checks import is_local_host

    if is_local_host(settings.host):
        from ._common import warn

        warn(f"server.base_url's host {settings.host} is not public: set it to the server's name first.")
    if json_out:
        print_json([{"name": f.name, "install_to": f.install_to, "text": f.text} for f in files])
        return
    con = out()
    if write is not None:
        for path, f in zip(write_files(files, write), files, strict=True):
            con.print(f"wrote {path}  (install to {f.install_to})", markup=False, soft_wrap=True)
        return
    for f in files:
        con.print(f"# ---- {f.name}  (install to {f.install_to})", markup=False, soft_wrap=True)
        con.print(f.text, markup=False, soft_wrap=True, end="")
        con.print()
