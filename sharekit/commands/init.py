"""`sharekit init`: create the home, config.toml and the database."""

from __future__ import annotations

import typer

from ..workspace import init_home
from ._common import out, print_json


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Create the home folder with config.toml (mode 0600) and sharekit.db. Safe to re-run.

    Example: sharekit --home ~/shop init
    """
    state = ctx.find_root().obj
    result = init_home(getattr(state, "home", None))
    if json_out:
        print_json(result.__dict__)
        return
    con = out()
    con.print(f"Home: {result.home}")
    con.print("config.toml: " + ("created (mode 0600)" if result.config_created else "kept"))
    con.print("sharekit.db: " + ("created" if result.db_created else "kept")
              + (f", migrated ({', '.join(result.migrations)})" if result.migrations else ", up to date"))
