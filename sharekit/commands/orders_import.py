"""`sharekit orders` subcommand module: not built yet (its issue replaces this module)."""

from __future__ import annotations

import typer


def register(orders_app: typer.Typer) -> None:
    """Nothing registered until this subcommand is built."""
