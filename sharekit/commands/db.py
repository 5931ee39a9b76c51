"""`sharekit db check|backup`: integrity, schema version, online backup."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import out, print_json, sub_app, workspace

db_app = sub_app("Check and back up the database.")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("check")
def check(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Run SQLite's integrity check and show the schema version and row counts; exit 1 if not ok.

    Example: sharekit db check --json
    """
    from ..store.db import check_db

    ws = workspace(ctx)
    result = check_db(ws.paths.db)
    if json_out:
        print_json(result.__dict__)
    else:
        con = out()
        con.print(f"Database: {result.path}", markup=False, soft_wrap=True)
        con.print(f"Integrity: {result.integrity}", markup=False)
        con.print(f"Schema version: {result.schema_version} (this sharekit: {result.known_version})"
                  + (f", pending: {', '.join(result.pending)}" if result.pending else ""), markup=False)
        con.print("Rows: " + ", ".join(f"{k} {v}" for k, v in result.tables.items() if not k.startswith("_")),
                  markup=False)
    if not result.ok:
        from ._common import err

        reason = (f"integrity check failed: {result.integrity}" if result.integrity != "ok"
                  else f"schema {result.schema_version} is newer than this sharekit ({result.known_version})")
        err().print(f"Error: {result.path}: {reason}.", markup=False)
        raise typer.Exit(1)


@db_app.command("backup")
def backup(ctx: typer.Context, dest: Path = typer.Argument(..., help="File to write (must not exist yet).")) -> None:
    """Copy the database with SQLite's online backup; safe while the click server writes.

    Example: sharekit db backup ~/backups/sharekit-2026-11-26.db
    """
    from ..store.db import backup_db

    ws = workspace(ctx)
    written = backup_db(ws.paths.db, dest)
    out().print(f"Backed up {ws.paths.db} to {written}", markup=False, soft_wrap=True)
