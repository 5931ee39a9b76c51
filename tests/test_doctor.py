"""`sharekit doctor`: each check finds the problem it is for, names a fix, and sets the exit code."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import UTC, datetime

import httpx
import pytest

from sharekit.doctor import run_doctor
from sharekit.store.config import set_value


def by_name(report) -> dict:
    return {c.name: c for c in report.checks}


def test_fresh_home_with_a_local_base_url_passes_with_one_warning(ws, cli):
    set_value(ws.config, "server.base_url", "http://127.0.0.1:9")
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    report = run_doctor(ws.home)
    assert report.ok
    assert [c.name for c in report.warnings] == ["server.base_url"]
    assert "phones scanning a poster cannot open it" in by_name(report)["server.base_url"].detail
    for name in ("config", "database", "database WAL", "database schema", "fonts", "sync lock", "disk space"):
        assert by_name(report)[name].status == "ok", name


def test_json_lists_every_check_with_status_and_fix(ws, cli):
    os.chmod(ws.paths.config, 0o644)
    result = cli("doctor", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    perm = next(c for c in data["checks"] if c["name"] == "permissions config.toml")
    assert perm["status"] == "fail" and perm["fix"] == f"chmod 600 {ws.paths.config}"
    assert {c["status"] for c in data["checks"]} <= {"ok", "warn", "fail"}
    assert any(c["name"] == "server.base_url" and c["status"] == "fail" for c in data["checks"])  # not set


def test_broken_config_and_a_source_missing_keys_fail(ws, home):
    set_value(ws.config, "sources.jd", {"kind": "jd", "app_key": "k"})
    report = by_name(run_doctor(home))
    assert report["source jd"].status == "fail"
    assert "app_secret" in report["source jd"].detail and "site_id" in report["source jd"].detail
    assert "SHAREKIT_JD_<KEY>" in report["source jd"].fix
    ws.paths.config.write_text("timezone = \n", encoding="utf-8")
    report = run_doctor(home)
    assert not report.ok and by_name(report)["config"].status == "fail"
    assert "line 1" in by_name(report)["config"].detail


def test_database_not_in_wal_mode_fails(ws, home):
    ws.close()
    conn = sqlite3.connect(ws.paths.db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    check = by_name(run_doctor(home))["database WAL"]
    assert check.status == "fail" and "delete" in check.detail


def test_a_sync_lock_held_for_hours_is_stale(ws, home):
    from filelock import FileLock

    ws.paths.locks.mkdir(exist_ok=True)
    lock_path = ws.paths.locks / "sync.lock"
    held, release = threading.Event(), threading.Event()

    def holder():
        with FileLock(str(lock_path), thread_local=False):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        assert by_name(run_doctor(home))["sync lock"].status == "ok"  # just started
        old = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
        os.utime(lock_path, (old, old))
        check = by_name(run_doctor(home))["sync lock"]
        assert check.status == "fail" and "hung" in check.detail
    finally:
        release.set()
        thread.join()
    assert by_name(run_doctor(home))["sync lock"].status == "ok"


def test_last_sync_per_order_source_and_its_age(ws, home):
    set_value(ws.config, "sources.jd", {"kind": "jd", "app_key": "k", "app_secret": "${JD_SECRET}", "site_id": "1"})
    os.environ["JD_SECRET"] = "s"
    try:
        assert by_name(run_doctor(home))["sync jd"].status == "warn"  # never synced
        with ws.db:
            ws.db.execute("INSERT INTO sync_checkpoints (source, last_run_at, last_ok_at) VALUES ('jd', ?, ?)",
                          ("2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"))
        now = datetime(2026, 1, 1, 5, tzinfo=UTC)
        assert by_name(run_doctor(home, now=now))["sync jd"].detail == "last successful sync 5 h ago."
        later = by_name(run_doctor(home, now=datetime(2026, 1, 9, tzinfo=UTC)))["sync jd"]
        assert later.status == "warn" and "8 days" in later.detail
        with ws.db:
            ws.db.execute("UPDATE sync_checkpoints SET last_error = 'jd: bad signature'")
        failed = by_name(run_doctor(home, now=now))["sync jd"]
        assert failed.status == "fail" and "bad signature" in failed.detail
    finally:
        del os.environ["JD_SECRET"]


def test_plain_secrets_in_the_file_are_a_warning(ws, home):
    set_value(ws.config, "sources.jd", {"kind": "jd", "app_key": "k", "app_secret": "plain", "site_id": "1"})
    check = by_name(run_doctor(home))["secrets in config"]
    assert check.status == "warn" and "sources.jd.app_secret" in check.detail and "plain" not in check.detail


def test_base_url_on_a_running_local_server_answers_but_still_warns(ws, home):
    from test_server_redirects import ThreadServer

    from sharekit.tracking.server.app import RedirectApp

    server = ThreadServer(RedirectApp(ws.home, flush_interval=0.05)).start()
    try:
        set_value(ws.config, "server.base_url", server.url)
        check = by_name(run_doctor(home))["server.base_url"]
    finally:
        server.stop()
    assert check.status == "warn" and "the server answers" in check.detail


def test_public_base_url_must_answer_healthz(ws, home):
    set_value(ws.config, "server.base_url", "https://go.example.com")
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:  # unit: the one HEAD the check sends
        seen.append((request.method, str(request.url)))
        return httpx.Response(502)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        check = by_name(run_doctor(home, http_client=client))["server.base_url"]
    assert seen == [("HEAD", "https://go.example.com/healthz")]
    assert check.status == "fail" and "HTTP 502" in check.detail

    def ok(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"date": "Mon, 01 Jan 2024 00:00:00 GMT"})

    with httpx.Client(transport=httpx.MockTransport(ok)) as client:
        report = by_name(run_doctor(home, http_client=client))
    assert report["server.base_url"].status == "ok"
    assert report["clock"].status == "fail" and "server's clock differs" in report["clock"].detail


def test_missing_home_fails_with_init_hint(tmp_path):
    report = run_doctor(tmp_path / "nope")
    assert not report.ok and "init" in report.checks[0].fix


@pytest.mark.parametrize("host,local", [("127.0.0.1", True), ("localhost", True), ("192.168.1.5", True),
                                        ("10.0.0.2", True), ("go.example.com", False), ("8.8.8.8", False)])
def test_local_hosts(host, local):
    from sharekit.doctor.checks import is_local_host

    assert is_local_host(host) is local


def test_events_waiting_hours_for_the_webhook_are_a_warning(ws, home):
    set_value(ws.config, "notify.webhook", "http://127.0.0.1:9/hook")
    with ws.db:
        ws.db.execute("INSERT INTO events (kind, key, payload, created_at, attempts, last_error)"
                      " VALUES ('order.new', 'k', '{}', '2026-01-01T00:00:00+00:00', 3, 'ConnectError')")
    check = by_name(run_doctor(home, now=datetime(2026, 1, 1, 2, tzinfo=UTC)))["webhook"]
    assert check.status == "warn" and "ConnectError" in check.detail and "events --send" in check.fix
    assert by_name(run_doctor(home, now=datetime(2026, 1, 1, 0, 30, tzinfo=UTC)))["webhook"].status == "ok"
