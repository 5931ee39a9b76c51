"""The sync engine against both fake gateways: checkpoints, overlap, resume, lock, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import GatewayServer
from filelock import FileLock

from sharekit.core.timeutil import china_wall_clock
from sharekit.demo.gateways.jd import JdGateway, make_order_rows
from sharekit.demo.gateways.pdd import PddGateway, make_orders
from sharekit.errors import LockedError
from sharekit.orders.query import list_orders
from sharekit.orders.sync import load_checkpoint, sync, windows
from sharekit.store.config import write_config

NO_WAIT = {"sleep": lambda _s: None}


@pytest.fixture
def jd():
    gateway = JdGateway()
    with GatewayServer(gateway, "/routerjson") as server:
        gateway.url = server.url
        yield gateway


@pytest.fixture
def pdd():
    gateway = PddGateway()
    with GatewayServer(gateway, "/api/router") as server:
        gateway.url = server.url
        yield gateway


def configure(ws, **sources):
    data = dict(ws.config.data)
    data["sources"] = sources
    write_config(ws.paths.config, data)
    ws.reload_config()


def jd_settings(gateway, **extra):
    return {"kind": "jd", "app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
            "allow_private_hosts": True, "endpoint": gateway.url, "rate_limit": 0, **extra}


def pdd_settings(gateway, **extra):
    return {"kind": "pdd", "client_id": "testclient", "client_secret": "testsecret", "pid": "1_2",
            "allow_private_hosts": True, "endpoint": gateway.url, "rate_limit": 0, **extra}


def now():
    return datetime.now(UTC).replace(microsecond=0)


def stored(ws, source):
    return ws.db.execute("SELECT count(*) FROM orders WHERE source = ?", (source,)).fetchone()[0]


def history(ws, source):
    return ws.db.execute("SELECT count(*) FROM order_status_history WHERE order_line LIKE ?",
                         (source + ":%",)).fetchone()[0]


def test_windows_cover_the_span_without_gaps_and_respect_the_size():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    parts = windows(start, start + timedelta(minutes=150), timedelta(hours=1))
    assert [(b - a).total_seconds() for a, b in parts] == [3600, 3600, 1800]
    assert all(parts[i][1] == parts[i + 1][0] for i in range(len(parts) - 1))


def test_first_run_reads_the_default_day_in_one_hour_windows_and_second_run_changes_nothing(ws, jd, pdd):
    jd.set_rows(make_order_rows(60, now() - timedelta(hours=20), timedelta(hours=19)))
    pdd.set_orders(make_orders(40, now() - timedelta(hours=20), timedelta(hours=19)))
    configure(ws, jd=jd_settings(jd), pdd=pdd_settings(pdd))
    first = {r.source: r for r in sync(ws, **NO_WAIT)}
    assert first["jd"].ok and first["pdd"].ok
    assert (first["jd"].inserted, first["pdd"].inserted) == (60, 40)
    assert stored(ws, "jd") == 60 and stored(ws, "pdd") == 40
    windows_sent = [c["orderReq"] for c in jd.calls]
    assert len(windows_sent) >= 24
    assert all(datetime.fromisoformat(w["endTime"]) - datetime.fromisoformat(w["startTime"]) <= timedelta(hours=1)
               for w in windows_sent)
    history_before = history(ws, "jd") + history(ws, "pdd")
    second = sync(ws, **NO_WAIT)
    assert [(r.ok, r.inserted, r.updated) for r in second] == [(True, 0, 0), (True, 0, 0)]
    assert history(ws, "jd") + history(ws, "pdd") == history_before


def test_a_status_change_is_stored_with_a_history_row(ws, jd):
    rows = make_order_rows(5, now() - timedelta(hours=3), timedelta(hours=2))
    jd.set_rows(rows)
    configure(ws, jd=jd_settings(jd))
    sync(ws, **NO_WAIT)
    target = rows[0]["id"]
    assert ws.db.execute("SELECT status FROM orders WHERE id = ?", ("jd:" + target,)).fetchone()[0] == "pending"
    jd.update_row(target, validCode=17, payMonth="0", actualCosPrice=4.35, actualFee=0.29,
                  modifyTime=china_wall_clock(now() - timedelta(seconds=30)))
    [result] = sync(ws, **NO_WAIT)
    assert (result.inserted, result.updated) == (0, 1)
    row = ws.db.execute("SELECT status, raw_status, commission_minor FROM orders WHERE id = ?",
                        ("jd:" + target,)).fetchone()
    assert tuple(row) == ("confirmed", "17", 29)
    changes = ws.db.execute("SELECT status FROM order_status_history WHERE order_line = ? ORDER BY id",
                            ("jd:" + target,)).fetchall()
    assert [c[0] for c in changes] == ["pending", "confirmed"]


def test_a_late_update_just_before_the_high_water_mark_is_caught_by_the_overlap(ws, pdd):
    pdd.set_orders(make_orders(3, now() - timedelta(hours=5), timedelta(hours=1)))
    configure(ws, pdd=pdd_settings(pdd))
    sync(ws, **NO_WAIT)
    high_water = load_checkpoint(ws.db, "pdd").high_water
    late = pdd._rows[0]["order_sn"]
    pdd.update_order(late, order_status=5, order_modify_at=int((high_water - timedelta(minutes=3)).timestamp()))
    [result] = sync(ws, **NO_WAIT)
    assert result.updated == 1
    assert ws.db.execute("SELECT status FROM orders WHERE id = ?", ("pdd:" + late,)).fetchone()[0] == "settled"


def test_jd_failure_mid_window_resumes_next_run_with_nothing_lost_or_doubled(ws, jd):
    jd.set_rows(make_order_rows(30, now() - timedelta(minutes=45), timedelta(minutes=40)))
    jd.fail_after_order_calls = 2
    configure(ws, jd=jd_settings(jd, order_page_size=10, retries=2))
    [failed] = sync(ws, lookback=timedelta(minutes=50), **NO_WAIT)
    assert not failed.ok and "HTTP 503" in failed.error
    assert stored(ws, "jd") == 20
    checkpoint = load_checkpoint(ws.db, "jd")
    assert checkpoint.cursor["page_cursor"] == {"page": 3}
    assert checkpoint.last_error == failed.error
    jd.heal()
    pages_asked = len(jd.calls)
    [resumed] = sync(ws, **NO_WAIT)
    assert resumed.ok and resumed.resumed
    assert jd.calls[pages_asked]["orderReq"]["pageIndex"] == 3
    assert stored(ws, "jd") == 30 and history(ws, "jd") == 30
    assert load_checkpoint(ws.db, "jd").cursor == {}


def test_pdd_failure_mid_window_resumes_next_run_with_nothing_lost_or_doubled(ws, pdd):
    pdd.set_orders(make_orders(35, now() - timedelta(hours=10), timedelta(hours=9)))
    pdd.fail_after_order_calls = 3     # count, page 4, page 3 succeed; page 2 fails
    configure(ws, pdd=pdd_settings(pdd, order_page_size=10, retries=1))
    [failed] = sync(ws, lookback=timedelta(hours=12), **NO_WAIT)
    assert not failed.ok
    assert stored(ws, "pdd") == 15
    pdd.heal()
    [resumed] = sync(ws, **NO_WAIT)
    assert resumed.ok and resumed.resumed
    assert stored(ws, "pdd") == 35 and history(ws, "pdd") == 35


def test_rate_limiting_every_third_call_loses_nothing(ws, jd, pdd):
    jd.set_rows(make_order_rows(25, now() - timedelta(hours=3), timedelta(hours=2)))
    pdd.set_orders(make_orders(25, now() - timedelta(hours=3), timedelta(hours=2)))
    jd.throttle_every = pdd.throttle_every = 3
    configure(ws, jd=jd_settings(jd, order_page_size=5), pdd=pdd_settings(pdd, order_page_size=10))
    results = sync(ws, lookback=timedelta(hours=4), **NO_WAIT)
    assert all(r.ok for r in results), [r.error for r in results]
    assert stored(ws, "jd") == 25 and stored(ws, "pdd") == 25
    assert jd.throttled and pdd.throttled


def test_a_failed_source_does_not_stop_the_others(ws, jd, pdd):
    pdd.set_orders(make_orders(4, now() - timedelta(hours=3), timedelta(hours=1)))
    configure(ws, jd=jd_settings(jd, app_secret="S3cretWr0ng"), pdd=pdd_settings(pdd))
    results = {r.source: r for r in sync(ws, **NO_WAIT)}
    assert not results["jd"].ok and "app_secret" in results["jd"].error
    assert results["pdd"].ok and stored(ws, "pdd") == 4
    dump = "\n".join(ws.db.iterdump())
    assert "jd: " in dump and "S3cretWr0ng" not in dump + results["jd"].error   # never stored or shown


def test_unknown_source_name_fails_only_that_source(ws, pdd):
    configure(ws, pdd=pdd_settings(pdd))
    results = sync(ws, ["nope", "pdd"], **NO_WAIT)
    assert [r.ok for r in results] == [False, True]
    assert "nope" in results[0].error


def test_a_second_run_fails_at_once_while_the_lock_is_held(ws, jd):
    configure(ws, jd=jd_settings(jd))
    ws.paths.locks.mkdir(exist_ok=True)
    holder = FileLock(str(ws.paths.locks / "sync.lock"))
    with holder:
        with pytest.raises(LockedError, match="Another `sharekit sync` is running"):
            sync(ws, **NO_WAIT)
    assert jd.calls == []


def test_unknown_jd_status_is_kept_raw_and_reported(ws, jd):
    rows = make_order_rows(2, now() - timedelta(hours=2), timedelta(hours=1))
    rows[0]["validCode"] = 18
    jd.set_rows(rows)
    configure(ws, jd=jd_settings(jd))
    [result] = sync(ws, **NO_WAIT)
    assert result.ok
    assert any("unknown raw status 18" in note for note in result.notes)
    assert ws.db.execute("SELECT status, raw_status FROM orders WHERE id = ?",
                         ("jd:" + rows[0]["id"],)).fetchone()[:] == ("unknown", "18")


def test_confirmed_jd_lines_settle_once_pay_month_has_passed(ws, jd):
    rows = make_order_rows(2, now() - timedelta(hours=2), timedelta(hours=1))
    rows[0].update(validCode=17, payMonth="20200120")
    rows[1].update(validCode=17, payMonth="0")
    jd.set_rows(rows)
    configure(ws, jd=jd_settings(jd))
    sync(ws, **NO_WAIT)
    statuses = dict(ws.db.execute("SELECT id, status FROM orders").fetchall())
    assert statuses == {"jd:" + rows[0]["id"]: "settled", "jd:" + rows[1]["id"]: "confirmed"}


def test_since_before_the_lookback_limit_is_clipped_and_noted(ws, pdd):
    configure(ws, pdd=pdd_settings(pdd))
    [result] = sync(ws, since=now() - timedelta(days=200), **NO_WAIT)
    assert result.ok, result.error
    assert any("90 days" in note for note in result.notes)
    assert result.windows == 90


def test_list_orders_filters_by_status_and_channel(ws, pdd):
    pdd.set_orders(make_orders(16, now() - timedelta(hours=3), timedelta(hours=1)))
    configure(ws, pdd=pdd_settings(pdd))
    sync(ws, **NO_WAIT)
    all_rows = list_orders(ws.db)
    assert len(all_rows) == 16
    g1 = list_orders(ws.db, channel="g1")
    assert g1 and all(r.channel == "g1" for r in g1)
    settled = list_orders(ws.db, status="settled", source="pdd")
    assert settled and all(r.status == "settled" for r in settled)
    assert len(list_orders(ws.db, limit=3)) == 3


def test_demo_step_replays_the_recorded_answers_into_the_store(ws):
    from pathlib import Path

    from sharekit.demo.sync import demo_step

    said = []
    report = demo_step(ws, Path(__file__).resolve().parent.parent / "examples", said.append)
    assert report["done"] and [s["source"] for s in report["sources"]] == ["jd", "pdd"]
    jd_statuses = report["sources"][0]["statuses"]
    assert jd_statuses == {"pending": 2, "confirmed": 1, "settled": 1, "invalid": 1, "unknown": 1}
    assert report["sources"][1]["statuses"] == {"pending": 2, "confirmed": 1, "settled": 1, "invalid": 1}
    assert ws.db.execute("SELECT commission_minor FROM orders WHERE id = 'jd:415900297816660001'").fetchone()[0] == 29
    assert any("unknown raw status 18" in line for line in said)
