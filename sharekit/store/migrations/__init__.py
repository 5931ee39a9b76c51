"""Forward-only schema migrations, applied in name order on every open.

Each migration is a named function registered with ``@migration``; it and the record of it
run in one transaction. ``PRAGMA user_version`` holds the number applied, so a database made
by a newer sharekit (more migrations than this code knows) is refused, not damaged.
Never edit a migration that has shipped: add a new one, in a module of its own in this package
(``mNNN_what.py``; every module here is imported when the registry is first read). Name slots:
m00x foundation, m04x catalog, m05x orders/sync, m06x imports, m07x posters, m08x clicks,
m09x reports; m1xx for later work, one module per change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: dict[str, Migration] = {}


def migration(fn: Migration) -> Migration:
    """Register ``fn`` under its name; duplicates are a programming error."""
    if fn.__name__ in MIGRATIONS:
        raise ValueError(f"migration {fn.__name__} registered twice")
    MIGRATIONS[fn.__name__] = fn
    return fn


def ordered() -> list[tuple[str, Migration]]:
    return sorted(MIGRATIONS.items())


def run_script(db: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction (executescript would commit)."""
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")




def _load_all() -> None:
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}")


_load_all()
