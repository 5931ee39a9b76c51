"""`sharekit init`: create the home, config.toml and the database."""

from __future__ import annotations

import typer

from ._common import home_option, out, print_json


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Create the home folder with config.toml (mode 0600) and sharekit.store.db. Safe to re-run.

    Example: sharekit --home ~/shop init
    """
    from ..store.workspace import init_home

    result = init_home(home_option(ctx))
    if json_out:
        print_json(result.__dict__)
        return
    con = out()
    con.print(f"Home: {result.home}")
    con.print("config.toml: " + ("created (mode 0600)" if result.config_created else "kept"))
    con.print("sharekit.db: " + ("created" if result.db_created else "kept")
              + (f", migrated ({', '.join(result.migrations)})" if result.migrations else ", up to date"))
