"""`sharekit channel`: not built yet (its issue replaces this module)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Nothing registered until the channel command is built."""
