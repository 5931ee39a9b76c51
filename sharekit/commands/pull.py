"""`sharekit pull`: not built yet (its issue replaces this module)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Nothing registered until the pull command is built."""
