"""`sharekit demo`: run the main job offline on the bundled examples."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import home_option, out, print_json


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(ctx: typer.Context,
         json_out: bool = typer.Option(False, "--json", help="Print what was done as JSON.")) -> None:
    """Run the whole loop offline on the bundled examples, in ./sharekit-demo (or --home).

    Example: sharekit demo
    """
    from ..demo import run_demo

    # only an explicit --home: $SHAREKIT_HOME may be the user's real home, which the demo must not fill
    state = ctx.find_root().obj
    given = home_option(ctx) if getattr(state, "home_given", False) else None
    home = Path(given).expanduser().absolute() if given else Path.cwd() / "sharekit-demo"
    con = out()
    report = run_demo(home, progress=None if json_out else lambda msg: con.print(f"• {msg}", markup=False))
    if json_out:
        print_json(report)
    else:
        con.print(f"[bold green]Demo done[/] in {home}")
        import shlex

        h = shlex.quote(str(home))
        con.print("Look around:", markup=False)
        for line in (f"sharekit --home {h} products list", f"sharekit --home {h} report --by channel",
                     f"sharekit --home {h} clicks --by channel",
                     f"sharekit --home {h} serve   # then open a short link", f"ls {h}/posters"):
            con.print(f"  {line}", markup=False, soft_wrap=True)
