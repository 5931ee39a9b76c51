"""The store: pragmas, forward migrations, refusals that leave files untouched, check, backup."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import typer

from sharekit.errors import StoreError
from sharekit.store import migrations as migrations
from sharekit.store.db import BUSY_TIMEOUT_MS, backup_db, check_db, migrate, open_db, transaction

NOW = "2026-11-26T02:00:00+00:00"


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def one_line(text: str) -> str:
    line = text.strip()
    assert line and "\n" not in line and "Traceback" not in line, text
    return line


@pytest.fixture
def extra_migration():
    """Register a temporary migration after the real ones; removed again in finally."""
    name = "m999_test_extra"

    def m999_test_extra(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE test_extra (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
        db.execute("INSERT INTO test_extra (note) SELECT name FROM channels")

    migrations.migration(m999_test_extra)
    try:
        yield name
    finally:
        migrations.MIGRATIONS.pop(name, None)


def test_open_sets_wal_foreign_keys_and_busy_timeout(tmp_path):
    conn = open_db(tmp_path / "s.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS == 10_000
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations.ordered())
        with pytest.raises(sqlite3.IntegrityError):  # foreign keys are enforced, not just declared
            conn.execute("INSERT INTO links (code, product_id, target_url, created_at) VALUES ('x','no:1','u',?)",
                         (NOW,))
    finally:
        conn.close()


def test_busy_timeout_can_be_lowered_by_parameter_or_env(tmp_path, monkeypatch):
    conn = open_db(tmp_path / "s.db", busy_timeout_ms=250)
    try:
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 250
    finally:
        conn.close()
    monkeypatch.setenv("SHAREKIT_BUSY_TIMEOUT_MS", "300")
    conn = open_db(tmp_path / "s.db")
    try:
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 300
    finally:
        conn.close()
    monkeypatch.setenv("SHAREKIT_BUSY_TIMEOUT_MS", "soon")
    with pytest.raises(StoreError, match="SHAREKIT_BUSY_TIMEOUT_MS"):
        open_db(tmp_path / "s.db")


def test_a_database_one_migration_behind_opens_and_migrates(tmp_path):
    path = tmp_path / "s.db"
    names = [name for name, _ in migrations.ordered()]
    last = names[-1]
    held = migrations.MIGRATIONS.pop(last)
    try:  # build the old schema by running only the first N-1 migrations
        conn = open_db(path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(names) - 1
        conn.close()
    finally:
        migrations.MIGRATIONS[last] = held
    conn = open_db(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(names)
        assert [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")] == names
    finally:
        conn.close()


def test_an_extra_migration_runs_on_open_and_keeps_existing_rows(tmp_path, extra_migration):
    path = tmp_path / "s.db"
    held = migrations.MIGRATIONS.pop(extra_migration)
    try:
        conn = open_db(path)
        with transaction(conn):
            conn.execute("INSERT INTO channels (name, created_at) VALUES ('friends', ?)", (NOW,))
        conn.close()
    finally:
        migrations.MIGRATIONS[extra_migration] = held
    known = len(migrations.ordered())
    conn = open_db(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == known
        assert conn.execute("SELECT note FROM test_extra").fetchall()[0][0] == "friends"
        assert migrate(conn, path) == []  # nothing left to do
    finally:
        conn.close()


def test_a_failing_migration_rolls_back_completely(tmp_path):
    path = tmp_path / "s.db"
    open_db(path).close()

    def m998_test_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    migrations.migration(m998_test_broken)
    try:
        with pytest.raises(RuntimeError):
            open_db(path)
    finally:
        migrations.MIGRATIONS.pop("m998_test_broken")
    conn = open_db(path)
    try:
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name='half_done'").fetchone() is None
    finally:
        conn.close()


def make_newer_db(path: Path) -> None:
    """A database from a future sharekit: one migration more than this code knows (rollback journal)."""
    conn = sqlite3.connect(path)
    known = len(migrations.ordered())
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, _ in migrations.ordered():
        conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, NOW))
    conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', ?)", (NOW,))
    conn.execute(f"PRAGMA user_version = {known + 1}")
    conn.commit()
    conn.close()


def test_a_newer_schema_is_refused_and_the_file_is_unchanged(cli, home):
    home.mkdir()
    path = home / "sharekit.db"
    make_newer_db(path)
    before = snapshot(path)
    with pytest.raises(StoreError, match="newer sharekit"):
        open_db(path)
    for argv in (["init"], ["db", "check"]):
        result = cli(argv)
        assert result.exit_code == 1, result.output
        assert "newer" in one_line(result.stderr)
    assert snapshot(path) == before  # not even switched to WAL
    assert not (home / "config.toml").exists()  # the failed init wrote nothing


def test_a_file_that_is_not_sqlite_is_refused_and_unchanged(cli, home):
    home.mkdir()
    path = home / "sharekit.db"
    path.write_text("id,title\n1,not a database\n")
    before = snapshot(path)
    for argv in (["init"], ["db", "check"], ["db", "backup", str(home / "b.db")]):
        result = cli(argv)
        assert result.exit_code == 1, (argv, result.output)
        assert f"{path} is not a SQLite database." in one_line(result.stderr)
    with pytest.raises(StoreError, match="not a SQLite database"):
        open_db(path)
    assert snapshot(path) == before
    assert sorted(p.name for p in home.iterdir()) == ["sharekit.db"]


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO channels (name, created_at) VALUES ('writer', 'now')")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
"""


def test_a_db_locked_by_another_process_is_a_one_line_error(cli, home, monkeypatch, extra_migration):
    held = migrations.MIGRATIONS.pop(extra_migration)
    try:
        assert cli(["init"]).exit_code == 0
    finally:
        migrations.MIGRATIONS[extra_migration] = held
    # now the code knows one migration more, so opening must write, and another process holds the lock
    path = home / "sharekit.db"
    monkeypatch.setenv("SHAREKIT_BUSY_TIMEOUT_MS", "200")
    with subprocess.Popen([sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as locker:
        try:
            assert locker.stdout.readline().strip() == "locked"
            before = snapshot(path)
            result = cli(["init"])
            assert result.exit_code == 1, result.output
            assert one_line(result.stderr) == (f"Error: {path} is locked by another process (a long write is "
                                               "running). Wait for it to finish and retry.")
            assert snapshot(path) == before
            check = cli(["db", "check"])  # reading still works while the writer holds its lock
            assert check.exit_code == 0, check.output
        finally:
            locker.stdin.write("\n")
            locker.stdin.close()
            locker.wait(timeout=30)
    done = cli(["init"])
    assert done.exit_code == 0, done.output
    assert extra_migration in done.stdout


@pytest.mark.parametrize("argv", [["config", "show"], ["config", "get", "brand.name"],
                                  ["db", "check"],
                                  ["db", "backup", "/tmp/never-written.db"]])
def test_a_missing_home_is_a_one_line_error_and_nothing_is_created(cli, home, argv):
    result = cli(argv)
    assert result.exit_code == 1, result.output
    assert one_line(result.stderr) == f"Error: Home {home} does not exist. Run `sharekit init` first."
    assert not home.exists()
    assert not Path("/tmp/never-written.db").exists()


def test_a_home_that_is_a_file_is_refused(cli, home):
    home.write_text("x")
    result = cli(["init"])
    assert result.exit_code == 1
    assert "exists but is not a folder" in one_line(result.stderr)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root bypasses file permissions (CI runs as root); see the simulated test below")
def test_an_unwritable_home_is_a_one_line_error(cli, home):
    assert cli(["init"]).exit_code == 0
    before = snapshot(home / "config.toml")
    home.chmod(0o500)
    try:
        for argv in (["init"], ["config", "set", "brand.name", "x"]):
            result = cli(argv)
            assert result.exit_code == 1
            assert "is not writable" in one_line(result.stderr)
    finally:
        home.chmod(0o700)
    assert snapshot(home / "config.toml") == before


def test_an_unwritable_home_simulated_is_a_one_line_error(cli, home, monkeypatch):
    # as root, chmod cannot take write access away, so make the access check answer "no"
    assert cli(["init"]).exit_code == 0
    before = snapshot(home / "config.toml")
    import sharekit.store.home

    real_access = os.access
    monkeypatch.setattr(sharekit.store.home.os, "access",
                        lambda p, mode: False if Path(p) == home and mode & os.W_OK else real_access(p, mode))
    for argv in (["init"], ["config", "set", "brand.name", "x"], ["config", "show"]):
        result = cli(argv)
        assert result.exit_code == 1
        assert one_line(result.stderr) == (f"Error: Home {home} is not writable. Fix its permissions or pick "
                                           "another --home.")
    assert snapshot(home / "config.toml") == before


def test_db_check_reports_integrity_and_schema_version_as_json(cli, home):
    import json

    assert cli(["init"]).exit_code == 0
    result = cli(["db", "check", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    known = len(migrations.ordered())
    assert data["ok"] is True and data["integrity"] == "ok"
    assert data["schema_version"] == data["known_version"] == known
    assert data["pending"] == [] and data["tables"]["orders"] == 0
    people = cli(["db", "check"])
    assert "Integrity: ok" in people.stdout and f"Schema version: {known}" in people.stdout


def test_db_check_fails_on_a_damaged_database(cli, home):
    assert cli(["init"]).exit_code == 0
    path = home / "sharekit.db"
    conn = open_db(path)
    with transaction(conn):
        conn.executemany("INSERT INTO channels (name, note, created_at) VALUES (?, ?, ?)",
                         [(f"c{i}", "x" * 500, NOW) for i in range(200)])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 2, min(len(data), page * 6)):  # scribble over a few b-tree pages
        data[offset] = 0x5A
    path.write_bytes(bytes(data))
    result = cli(["db", "check"])
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith("Error:")


def test_backup_while_another_thread_keeps_writing_is_a_consistent_db(cli, home, tmp_path):
    assert cli(["init"]).exit_code == 0
    path = home / "sharekit.db"
    stop = threading.Event()
    written = [0]
    errors: list[BaseException] = []

    def writer() -> None:
        conn = open_db(path)
        try:
            while not stop.is_set() and written[0] < 20_000:
                with transaction(conn):  # a product and its price row always land together
                    n = written[0]
                    conn.execute("INSERT INTO products (id, source, native_id, title, currency, price_minor,"
                                 " first_seen_at, updated_at, seen_at) VALUES (?, 'feed', ?, ?, 'CNY', ?, ?, ?, ?)",
                                 (f"feed:{n}", str(n), f"item {n} " + "x" * 200, n, NOW, NOW, NOW))
                    conn.execute("INSERT INTO price_history (product_id, currency, price_minor, recorded_at)"
                                 " VALUES (?, 'CNY', ?, ?)", (f"feed:{n}", n, NOW))
                written[0] += 1
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 300 and thread.is_alive():
            stop.wait(0.01)
        backups = []
        for i in range(3):
            dest = tmp_path / f"backup-{i}.db"
            result = cli(["db", "backup", str(dest)])
            assert result.exit_code == 0, result.output
            backups.append(dest)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors
    for dest in backups:
        assert not dest.with_name(dest.name + ".partial").exists()
        assert dest.read_bytes()[:16] == b"SQLite format 3\x00"
        result = check_db(dest)
        assert result.ok and result.integrity == "ok"
        assert result.tables["products"] == result.tables["price_history"] > 0
        conn = open_db(dest)  # a backup opens as a normal store
        conn.close()
    again = cli(["db", "backup", str(backups[0])])
    assert again.exit_code == 1 and "already exists" in one_line(again.stderr)


def test_backup_into_a_missing_folder_is_refused(ws, tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        backup_db(ws.paths.db, tmp_path / "nope" / "b.db")


def test_backup_during_an_open_write_transaction_copies_only_committed_rows(ws, tmp_path):
    writer = open_db(ws.paths.db)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a write in progress: a product whose price row is not in yet
        writer.execute("INSERT INTO products (id, source, native_id, title, currency, first_seen_at, updated_at,"
                       " seen_at) VALUES ('feed:1', 'feed', '1', 't', 'CNY', ?, ?, ?)", (NOW, NOW, NOW))
        dest = backup_db(ws.paths.db, tmp_path / "mid-write.db")
        writer.execute("INSERT INTO price_history (product_id, currency, price_minor, recorded_at)"
                       " VALUES ('feed:1', 'CNY', 1990, ?)", (NOW,))
        writer.execute("COMMIT")
    finally:
        writer.close()
    copy = check_db(dest)
    assert copy.ok and copy.tables["products"] == copy.tables["price_history"] == 0
    after = check_db(backup_db(ws.paths.db, tmp_path / "after.db"))
    assert after.tables["products"] == after.tables["price_history"] == 1


def test_schema_has_the_core_tables_with_integer_money_columns(ws):
    conn = ws.db
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"products", "price_history", "links", "clicks", "orders", "order_status_history", "channels",
            "sync_checkpoints"} <= tables
    for table in sorted(tables):
        columns = {r["name"]: r["type"] for r in conn.execute(f'PRAGMA table_info("{table}")')}
        money = [c for c in columns if c.endswith("_minor")]
        assert all(columns[c] == "INTEGER" for c in money), (table, columns)
        if money and table != "order_status_history":  # history rows take the currency of their order line
            assert any("currency" in c for c in columns), table


def test_a_command_writing_while_another_process_holds_the_lock_gets_one_line(cli, home, monkeypatch):
    import sqlite3 as sqlite

    from sharekit.cli import app
    from sharekit.commands._common import workspace
    from sharekit.store.db import StoreLockedError

    def write_test(ctx: typer.Context) -> None:
        """Write one channel.

        Example: sharekit write-test
        """
        ws = workspace(ctx)
        with transaction(ws.db):
            ws.db.execute("INSERT INTO channels (name, created_at) VALUES ('mine', 'now')")

    assert cli(["init"]).exit_code == 0
    path = home / "sharekit.db"
    monkeypatch.setenv("SHAREKIT_BUSY_TIMEOUT_MS", "200")
    app.command("write-test")(write_test)
    added = app.registered_commands[-1]
    try:
        with subprocess.Popen([sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) as locker:
            try:
                assert locker.stdout.readline().strip() == "locked"
                result = cli(["write-test"])
                assert result.exit_code == 1, result.output
                assert one_line(result.stderr).startswith(f"Error: {path} is locked by another process")
                conn = open_db(path, busy_timeout_ms=100)
                try:  # library callers can still catch SQLite's own error class
                    with pytest.raises(sqlite.OperationalError) as info, transaction(conn):
                        pass
                    assert isinstance(info.value, StoreLockedError)
                finally:
                    conn.close()
            finally:
                locker.stdin.write("\n")
                locker.stdin.close()
                locker.wait(timeout=30)
        assert cli(["write-test"]).exit_code == 0
    finally:
        app.registered_commands.remove(added)
