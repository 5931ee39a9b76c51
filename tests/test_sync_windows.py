"""How the sync engine drives each source's order windows against the documented limits.

suppliers.md: JD order.row.query ≤ 1 h per call, PDD increment ≤ 24 h, Taobao order.details.get
≤ 3 h (≤ 20 min in big sales); every one of them 90 days back at most. Consecutive windows
share their boundary, so nothing between them is missed whether a server reads ``end``
inclusively (JD/PDD fakes) or exclusively (the TOP fake).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import GatewayServer

from sharekit.demo.gateways.jd import JdGateway, make_order_rows
from sharekit.demo.gateways.pdd import PddGateway, make_orders
from sharekit.orders.sync import load_checkpoint, sync
from sharekit.store.config import write_config

try:
    from tests.fakes_tb import TopFake
except ImportError:
    from fakes_tb import TopFake

NO_WAIT = {"sleep": lambda _s: None}
WALL = "%Y-%m-%d %H:%M:%S"


def configure(ws, **sources):
    data = dict(ws.config.data)
    data["sources"] = sources
    write_config(ws.paths.config, data)
    ws.reload_config()


def now():
    return datetime.now(UTC).replace(microsecond=0)


def _spans(pairs):
    return [(datetime.strptime(a, WALL), datetime.strptime(b, WALL)) for a, b in pairs]


def _contiguous(spans):
    return all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))


@pytest.fixture
def top():
    fake = TopFake()
    yield fake
    fake.close()


def top_settings(fake, **extra):
    return {"kind": "taobao", "app_key": "testkey", "app_secret": "testsecret", "adzone_id": "111112234455",
            "allow_private_hosts": True, "endpoint": fake.endpoint, "rate_limit": 0, **extra}


def test_taobao_sync_uses_three_hour_windows_without_gaps(ws, top):
    start = now() - timedelta(hours=7)
    for n in range(7):
        top.add_order(f"10000000000000{n:02d}01", start + timedelta(hours=n, minutes=30))
    configure(ws, tb=top_settings(top))
    [result] = sync(ws, since=start, **NO_WAIT)
    assert result.ok and result.inserted == 7
    calls = [r for r in top.requests if r["method"] == "taobao.tbk.order.details.get"]
    spans = _spans((c["start_time"], c["end_time"]) for c in calls)
    assert all(b - a <= timedelta(hours=3) for a, b in spans) and _contiguous(spans)
    assert all(c["query_type"] == "4" for c in calls)
    assert load_checkpoint(ws.db, "tb").cursor == {}


def test_taobao_sync_in_big_sale_mode_uses_twenty_minute_windows(ws, top):
    top.big_sale = True  # the gateway now refuses anything longer than 20 minutes (sub_code 2007)
    start = now() - timedelta(hours=1)
    top.add_order("100000000000000101", start + timedelta(minutes=45))
    configure(ws, tb=top_settings(top, big_sale=True))
    [result] = sync(ws, since=start, **NO_WAIT)
    assert result.ok and result.inserted == 1
    spans = _spans((c["start_time"], c["end_time"]) for c in top.requests
                   if c["method"] == "taobao.tbk.order.details.get")
    assert len(spans) == 3 and all(b - a <= timedelta(minutes=20) for a, b in spans) and _contiguous(spans)


def test_pdd_sync_uses_windows_of_at_most_24_hours_in_unix_seconds(ws):
    gateway = PddGateway()
    with GatewayServer(gateway, "/api/router") as server:
        gateway.set_orders(make_orders(30, now() - timedelta(days=3), timedelta(days=2, hours=20)))
        configure(ws, pdd={"kind": "pdd", "client_id": "testclient", "client_secret": "testsecret", "pid": "1_2",
                           "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0})
        [result] = sync(ws, since=now() - timedelta(days=3), **NO_WAIT)
    assert result.ok and result.inserted == 30
    spans = [(int(c["start_update_time"]), int(c["end_update_time"])) for c in gateway.calls]
    assert all(0 < e - s <= 86400 for s, e in spans)
    distinct = sorted(set(spans))
    assert len(distinct) == 3 and _contiguous(distinct)


def test_jd_sync_sends_contiguous_one_hour_windows_in_china_wall_clock(ws):
    gateway = JdGateway()
    since = now() - timedelta(hours=2, minutes=30)
    with GatewayServer(gateway, "/routerjson") as server:
        gateway.set_rows(make_order_rows(3, since + timedelta(minutes=5), timedelta(hours=2)))
        configure(ws, jd={"kind": "jd", "app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
                          "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0})
        [result] = sync(ws, since=since, **NO_WAIT)
    assert result.ok, result.error
    assert result.inserted == 3
    reqs = [c["orderReq"] for c in gateway.calls]
    spans = _spans((r["startTime"], r["endTime"]) for r in reqs)
    assert [b - a for a, b in spans][:2] == [timedelta(hours=1)] * 2 and _contiguous(spans)
    assert spans[0][0] == (since + timedelta(hours=8)).replace(tzinfo=None)   # GMT+8 wall clock
    assert all(r["type"] == 3 for r in reqs)
