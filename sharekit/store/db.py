"""The SQLite store: open (WAL, foreign keys, busy timeout, migrations), check, backup.

Opening never changes a file it refuses: the header, the schema version and the migrations
already applied are checked before the first write (journal mode, migrations).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.private import create_private, tighten
from ..errors import StoreError
from .migrations import ordered

BUSY_TIMEOUT_MS = 10_000
# How long to wait for another writer before "locked" (tests and impatient scripts lower it).
ENV_BUSY_TIMEOUT = "SHAREKIT_BUSY_TIMEOUT_MS"
SQLITE_HEADER = b"SQLite format 3\x00"


def busy_timeout_ms(explicit: int | None = None) -> int:
    """The busy timeout: ``explicit`` > ``$SHAREKIT_BUSY_TIMEOUT_MS`` > 10 s."""
    if explicit is not None:
        return max(0, int(explicit))
    raw = os.environ.get(ENV_BUSY_TIMEOUT, "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            raise StoreError(f"{ENV_BUSY_TIMEOUT}={raw!r} is not a number of milliseconds.") from None
    return BUSY_TIMEOUT_MS


def _connect(path: Path, *, readonly: bool = False, timeout_ms: int | None = None) -> sqlite3.Connection:
    uri = f"file:{path}?mode={'ro' if readonly else 'rwc'}"
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms(timeout_ms) / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


class StoreLockedError(StoreError, sqlite3.OperationalError):
    """Raised when another process holds the write lock past the busy timeout.

    Still a ``sqlite3.OperationalError``, so code written to catch SQLite's own error keeps working.
    """


def db_path(conn: sqlite3.Connection) -> str | None:
    """The file behind ``conn`` (None for an in-memory database)."""
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return None
    return (row[2] or None) if row else None


def friendly_error(path: Path | str | None, exc: sqlite3.Error) -> StoreError:
    """A one-line StoreError for a raw sqlite3 error (``path`` names the file when known)."""
    text = str(exc)
    where = str(path) if path else "The database"
    name = str(path) if path else "the database"
    if "not a database" in text or "file is encrypted" in text:
        return StoreError(f"{where} is not a SQLite database.",
                         hint="Move it aside or pick another `home`.", params=("home",))
    if "locked" in text or "busy" in text:
        return StoreLockedError(f"{where} is locked by another process (a long write is running).",
                          hint="Wait for it to finish and retry.")
    if "unable to open" in text or "readonly" in text:
        return StoreError(f"Cannot open {name} for writing.", hint="Check the home folder's permissions.")
    if "disk is full" in text:
        return StoreError(f"No disk space left to write {name}.", hint="Free some disk space and retry.")
    if "disk I/O" in text:
        return StoreError(f"{where}: the disk reported an I/O error.", hint="Check the disk, then `sharekit db check`.")
    if "malformed" in text or "corrupt" in text:
        return StoreError(f"{where} is damaged ({text}).", hint="Restore a backup (`sharekit db backup` makes them).")
    return StoreError(f"{where}: {text}.")


_friendly = friendly_error  # the old private name, kept for callers written against it


def _require_sqlite_file(path: Path) -> None:
    """Refuse a file that exists, is not empty and does not start with SQLite's header."""
    if path.exists() and not path.is_file():
        raise StoreError(f"{path} is not a file.",
                        hint="Move it aside or pick another `home`.", params=("home",))
    if path.exists() and path.stat().st_size:
        try:
            with open(path, "rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise StoreError(f"Cannot read {path}: {exc.strerror}.") from None
        if head != SQLITE_HEADER:
            raise StoreError(f"{path} is not a SQLite database.",
                            hint="Move it aside or pick another `home`.", params=("home",))


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


def schema_version(conn: sqlite3.Connection) -> int:
    """``PRAGMA user_version``: the number of migrations applied."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_not_newer(conn: sqlite3.Connection, path: Path | str) -> None:
    """Raise StoreError when the database was written by a newer sharekit (read-only check)."""
    known = {name for name, _ in ordered()}
    version = schema_version(conn)
    unknown = _applied(conn) - known
    if unknown or version > len(known):
        raise StoreError(
            f"{path} was written by a newer sharekit (schema {version}, this one knows {len(known)}).",
            hint="Upgrade sharekit to open it.",
        )


def migrate(conn: sqlite3.Connection, path: Path) -> list[str]:
    """Apply pending migrations, each in its own transaction; return their names."""
    check_not_newer(conn, path)
    applied = _applied(conn)
    done: list[str] = []
    for name, fn in ordered():
        if name in applied:
            continue
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise friendly_error(path, exc) from None
        try:
            # another process may have migrated while we waited for the write lock
            if name in _applied(conn):
                conn.execute("ROLLBACK")
                continue
            conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            fn(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, datetime('now'))", (name,))
            count = conn.execute("SELECT count(*) FROM _migrations").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(count)}")
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise friendly_error(path, exc) from None
            raise
        done.append(name)
    return done


def open_db(path: Path, *, create: bool = True, migrate_schema: bool = True,
            busy_timeout_ms: int | None = None) -> sqlite3.Connection:
    """Open the store at ``path``: WAL, foreign keys on, busy timeout, migrated forward.

    A file that is not SQLite, a locked database or a newer schema raise StoreError and
    leave the file as it was. ``busy_timeout_ms`` (default ``$SHAREKIT_BUSY_TIMEOUT_MS`` or
    10 s) is how long to wait for another process's write before giving up.
    """
    if not create and not path.exists():
        raise StoreError(f"No database at {path}.", hint="Run `sharekit init` first.")
    _require_sqlite_file(path)
    timeout = _busy_timeout(busy_timeout_ms)
    try:
        create_private(path)  # 0600 before SQLite creates it; the WAL and SHM inherit its mode
        conn = _connect(path, timeout_ms=timeout)
    except sqlite3.Error as exc:
        raise friendly_error(path, exc) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {timeout}")
        conn.execute("PRAGMA foreign_keys = ON")
        check_not_newer(conn, path)  # read-only: before anything below writes
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        tighten(path, Path(f"{path}-wal"), Path(f"{path}-shm"))
        if migrate_schema:
            migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise friendly_error(path, exc) from None
    except BaseException:
        conn.close()
        raise
    return conn


_busy_timeout = busy_timeout_ms  # open_db's parameter shadows the function's name


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """One logical write: BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    if conn.in_transaction:  # nested: join the outer transaction
        yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise friendly_error(db_path(conn), exc) from None
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
    _require_sqlite_file(path)
    try:
        conn = _connect(path, readonly=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            version = schema_version(conn)
            pending = pending_migrations(conn)
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            tables = {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise friendly_error(path, exc) from None
    integrity = "ok" if rows == ["ok"] else "; ".join(rows[:5])
    known = len(ordered())
    return CheckResult(str(path), integrity == "ok" and version <= known, integrity, version, known, pending, tables)


def backup_db(path: Path, dest: Path) -> Path:
    """Copy the live database to ``dest`` with SQLite's online backup (safe during writes).

    The copy is taken in one step under one read transaction, so it is a consistent snapshot
    even while the click server keeps writing (WAL lets the writer go on meanwhile).
    """
    if not path.exists():
        raise StoreError(f"No database at {path}.", hint="Run `sharekit init` first.")
    _require_sqlite_file(path)
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
        try:
            create_private(tmp)
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)  # all pages in one step: never restarted by concurrent writes
                out.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            finally:
                out.close()
        finally:
            src.close()
        tmp.replace(dest)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise friendly_error(path, exc) from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"Cannot write {dest}: {exc.strerror}.") from None
    return dest
