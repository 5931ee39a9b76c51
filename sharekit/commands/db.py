"""`sharekit db check|backup`: integrity, schema version, online backup."""

from __future__ import annotations

from pathlib import Path

import typer

from ..db import backup_db, check_db
from ._common import out, print_json, sub_app, workspace

db_app = sub_app("Check and back up the database.")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("check")
def check(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Run SQLite's integrity check and show the schema version and row counts.

    Example: sharekit db check
    """
    ws = workspace(ctx)
    result = check_db(ws.paths.db)
    if json_out:
        print_json(result.__dict__)
    else:
        con = out()
        con.print(f"Database: {result.path}")
        con.print(f"Integrity: {result.integrity}")
        con.print(f"Schema version: {result.schema_version} (this sharekit: {result.known_version})"
                  + (f", pending: {', '.join(result.pending)}" if result.pending else ""))
        con.print("Rows: " + ", ".join(f"{k} {v}" for k, v in result.tables.items() if not k.startswith("_")))
    if not result.ok:
        raise typer.Exit(1)


@db_app.command("backup")
def backup(ctx: typer.Context, dest: Path = typer.Argument(..., help="File to write (must not exist).")) -> None:
    """Copy the database with SQLite's online backup; safe while the click server writes.

    Example: sharekit db backup ~/backups/sharekit-2026-11-26.db
    """
    ws = workspace(ctx)
    written = backup_db(ws.paths.db, dest)
    out().print(f"Backed up {ws.paths.db} to {written}")
