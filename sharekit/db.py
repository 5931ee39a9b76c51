"""The SQLite store: open (WAL, foreign keys, busy timeout, migrations), check, backup."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import StoreError
from .migrations import ordered

BUSY_TIMEOUT_MS = 10_000


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{path}?mode={'ro' if readonly else 'rwc'}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def _friendly(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "not a database" in text or "file is encrypted" in text:
        return StoreError(f"{path} is not a SQLite database.", hint="Move it aside or pick another --home.")
    if "locked" in text or "busy" in text:
        return StoreError(f"{path} is locked by another process.", hint="Wait for it to finish and retry.")
    if "unable to open" in text or "readonly" in text:
        return StoreError(f"Cannot open {path} for writing.", hint="Check the home folder's permissions.")
    return StoreError(f"{path}: {text}.")


def pending_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of migrations not yet applied (read-only)."""
    applied = _applied(conn)
    return [name for name, _ in ordered() if name not in applied]


def _applied(conn: sqlite3.Connection) -> set[str]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_migrations'"
    ).fetchone()
    if not exists:
        return set()
    return {row[0] for row in conn.execute("SELECT name FROM _migrations")}


def migrate(conn: sqlite3.Connection, path: Path) -> list[str]:
    """Apply pending migrations, each in its own transaction; return their names."""
    known = {name for name, _ in ordered()}
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    applied = _applied(conn)
    unknown = applied - known
    if unknown or version > len(known):
        raise StoreError(
            f"{path} was written by a newer sharekit (schema {version}, this one knows {len(known)}).",
            hint="Upgrade sharekit to open it.",
        )
    done: list[str] = []
    for name, fn in ordered():
        if name in applied:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            fn(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))", (name,))
            count = conn.execute("SELECT count(*) FROM _migrations").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(count)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        done.append(name)
    return done


def open_db(path: Path, *, create: bool = True, migrate_schema: bool = True) -> sqlite3.Connection:
    """Open the store at ``path``: WAL, foreign keys on, busy timeout, migrated forward.

    A file that is not SQLite, a locked database or a newer schema raise StoreError and
    leave the file as it was.
    """
    if not create and not path.exists():
        raise StoreError(f"No database at {path}.", hint="Run `sharekit init` first.")
    if path.exists() and path.is_file() and path.stat().st_size:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise StoreError(f"{path} is not a SQLite database.", hint="Move it aside or pick another --home.")
    try:
        conn = _connect(path)
    except sqlite3.Error as exc:
        raise _friendly(path, exc) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if migrate_schema:
            migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise _friendly(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """One logical write: BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    if conn.in_transaction:  # nested: join the outer transaction
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass(frozen=True)
class CheckResult:
    path: str
    ok: bool
    integrity: str
    schema_version: int
    known_version: int
    pending: list[str]
    tables: dict[str, int]


def check_db(path: Path) -> CheckResult:
    """Integrity check and schema version, read-only."""
    if not path.exists():
        raise StoreError(f"No database at {path}.", hint="Run `sharekit init` first.")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise StoreError(f"{path} is not a SQLite database.")
    try:
        conn = _connect(path, readonly=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            pending = pending_migrations(conn)
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            tables = {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _friendly(path, exc) from None
    integrity = "ok" if rows == ["ok"] else "; ".join(rows[:5])
    known = len(ordered())
    return CheckResult(str(path), integrity == "ok" and version <= known, integrity, version, known, pending, tables)


def backup_db(path: Path, dest: Path) -> Path:
    """Copy the live database to ``dest`` with SQLite's online backup (safe during writes)."""
    if not path.exists():
        raise StoreError(f"No database at {path}.", hint="Run `sharekit init` first.")
    dest = dest.expanduser().absolute()
    if dest.is_dir():
        dest = dest / "sharekit-backup.db"
    if dest.exists():
        raise StoreError(f"{dest} already exists.", hint="Pick a new file name.")
    if not dest.parent.exists():
        raise StoreError(f"Folder {dest.parent} does not exist.")
    tmp = dest.with_name(dest.name + ".partial")
    try:
        src = _connect(path, readonly=True)
        out = sqlite3.connect(tmp)
        try:
            src.backup(out, pages=1024)
        finally:
            out.close()
            src.close()
        tmp.replace(dest)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise _friendly(path, exc) from None
    return dest
