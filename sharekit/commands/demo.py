"""`sharekit demo`: run the main job offline on the bundled examples."""

from __future__ import annotations

from pathlib import Path

import typer

from ..demo import run_demo
from ._common import out, print_json


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(ctx: typer.Context,
         json_out: bool = typer.Option(False, "--json", help="Print what was done as JSON.")) -> None:
    """Run the whole loop offline on the bundled examples, in ./sharekit-demo (or --home).

    Example: sharekit demo
    """
    state = ctx.find_root().obj
    home = Path(state.home) if getattr(state, "home", None) else Path.cwd() / "sharekit-demo"
    con = out()
    report = run_demo(home, progress=None if json_out else lambda msg: con.print(f"• {msg}"))
    if json_out:
        print_json(report)
    else:
        con.print(f"[bold green]Demo done[/] in {home}")
