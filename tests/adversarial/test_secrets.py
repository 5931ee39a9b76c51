"""Defect 8: secrets and privacy. Keys naming a secret and credentials inside URLs never show;
the store, its WAL/SHM, backups, spools and caches are private to the owner."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from sharekit.core.redact import MASK, redact_text, redact_url

FEED_URL = "http://user:PASS-9f3@127.0.0.1:9/feed.csv?access_token=T0K3N-77&page=2"


@pytest.fixture
def configured(cli, home):
    assert cli("init").exit_code == 0
    for key, value in (("sources.f.kind", "feed"), ("sources.f.url", FEED_URL),
                       ("sources.tok.api_key", "AK-plain-4242"), ("sources.jd.kind", "jd"),
                       ("sources.jd.app_key", "JDKEY-1234")):
        assert cli(["config", "set", key, value]).exit_code == 0
    return home


def _no_secret(text: str) -> None:
    for secret in ("PASS-9f3", "T0K3N-77", "AK-plain-4242", "JDKEY-1234", "user:"):
        assert secret not in text, f"{secret!r} leaked in:\n{text}"


def test_config_show_masks_api_key_and_url_credentials(cli, configured):
    for args in (["config", "show"], ["config", "show", "--json"], ["config", "get", "sources.f"],
                 ["config", "get", "sources.tok"]):
        result = cli(args)
        assert result.exit_code == 0, result.output
        _no_secret(result.output)
        assert MASK in result.output
    shown = json.loads(cli(["config", "show", "--json"]).stdout)
    assert shown["sources"]["f"]["url"] == f"http://{MASK}@127.0.0.1:9/feed.csv?access_token={MASK}&page=2"
    assert cli(["config", "get", "sources.tok.api_key", "--reveal"]).stdout.strip() == "AK-plain-4242"


def test_source_list_masks_url_credentials(cli, configured):
    for args in (["source", "list"], ["source", "list", "--json"]):
        result = cli(args)
        assert result.exit_code == 0, result.output
        _no_secret(result.output)
    listed = json.loads(cli(["source", "list", "--json"]).stdout)
    location = next(s["location"] for s in listed["sources"] if s["name"] == "f")
    assert location.startswith(f"http://{MASK}@127.0.0.1:9/feed.csv?access_token={MASK}")


def test_error_lines_mask_urls(cli, configured):
    # the feed host refuses connections (port 9): the failure names the feed without its secrets
    result = cli(["pull", "f"])
    assert result.exit_code == 1
    _no_secret(result.output)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://a:b@h/x?sign=S&q=1", f"https://{MASK}@h/x?sign={MASK}&q=1"),
    ("https://h/x?app_secret=S#t", f"https://h/x?app_secret={MASK}#t"),
    ("https://h/x?q=1&page=2", "https://h/x?q=1&page=2"),
])
def test_redact_url(url, expected):
    assert redact_url(url) == expected
    assert redact_text(f"feed {url}, line 3: bad.") == f"feed {expected}, line 3: bad."


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_wal_shm_backups_and_cache_are_private(cli, home, tmp_path):
    old = os.umask(0o022)  # a typical login umask: files would be 0644
    try:
        from sharekit import Workspace, init_home
        from sharekit.store.db import backup_db, open_db

        init_home(home)
        db = home / "sharekit.db"
        conn = open_db(db)
        conn.execute("CREATE TABLE IF NOT EXISTS t(x)")
        conn.execute("INSERT INTO t VALUES (1)")
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert _mode(path) == 0o600, path
        backup = backup_db(db, tmp_path / "b.db")
        assert _mode(backup) == 0o600
        conn.close()
        assert _mode(home) == 0o700 and _mode(home / "cache") == 0o700
        # a db left world-readable by an older version is tightened when opened
        db.chmod(0o644)
        open_db(db).close()
        assert _mode(db) == 0o600
        ws = Workspace.open(home)
        ws.close()
    finally:
        os.umask(old)
    # the CLI runs with umask 077: everything it creates is owner-only
    out = tmp_path / "cli-backup.db"
    assert cli(["db", "backup", str(out)]).exit_code == 0
    assert _mode(out) == 0o600


def test_image_cache_files_are_private(tmp_path):
    from sharekit.catalog.images import ImageCache

    old = os.umask(0o022)
    try:
        cache = ImageCache(tmp_path / "cache")
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buf, "PNG")
        cached = cache._store("http://example.invalid/a.png", buf.getvalue(), "PNG", 4, 4)
    finally:
        os.umask(old)
    path = tmp_path / "cache" / cached.path
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
