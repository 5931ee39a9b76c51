"""Regression tests of issue 14, with its numbers: every figure is the same in every view."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sharekit.tracking.channels import add_channel
from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.recorder import Classifier, ClickWriter

NOW = "2026-11-26T00:00:00+00:00"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
WECHAT = PHONE + " MicroMessenger/8.0.49"
PREVIEW = "Mozilla/5.0 (compatible; WhatsApp/2.23 link preview)"


def add_product(ws, pid: str) -> None:
    with ws.db:
        ws.db.execute(
            "INSERT INTO products (id, source, native_id, title, currency, url, first_seen_at, updated_at, seen_at)"
            " VALUES (?, 'demo', ?, ?, 'CNY', ?, ?, ?, ?)",
            (pid, pid.split(":")[1], f"product {pid}", f"https://shop.example.com/{pid}", NOW, NOW, NOW))


def record(ws, spec) -> None:
    """Clicks through the recorder's classifier and writer, as the server records them."""
    cl = Classifier(b"salt", "Asia/Shanghai")
    when = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    writer = ClickWriter(ws.paths.db)
    try:
        writer.write([cl.click(code=code, channel="", product_id=None, ip=ip, user_agent=ua, referer=None,
                               method="GET", via_qr=False, now=when) for code, ip, ua in spec])
    finally:
        writer.close()


def test_three_link_preview_hits_are_not_minus_three_clicks(cli, ws):
    add_product(ws, "demo:SK1")
    add_channel(ws.db, "mama_group", kind="group")
    code = ensure_link(ws, "demo:SK1", "mama_group").code
    record(ws, [(code, f"9.9.9.{i}", PREVIEW) for i in range(3)])
    by_product = json.loads(cli(["report", "--by", "product", "--json"]).stdout)
    assert [(r["key"], r["clicks"]) for r in by_product["rows"]] == [("demo:SK1", 0)]
    clicks = json.loads(cli(["clicks", "--by", "product", "--json"]).stdout)
    assert [(r["key"], r["clicks"], r["bots"]) for r in clicks["rows"]] == [("demo:SK1", 0, 3)]


def test_report_by_channel_equals_clicks_by_channel(cli, ws):
    for pid in ("demo:SK1", "demo:SK2"):
        add_product(ws, pid)
    add_channel(ws.db, "mama_group", kind="group")
    add_channel(ws.db, "moments", kind="moments")
    a = ensure_link(ws, "demo:SK1", "mama_group").code
    b = ensure_link(ws, "demo:SK2", "moments").code
    # mama_group: 3 people's clicks and 5 previews; moments: 13 clicks (WeChat too) and 5 previews
    spec = [(a, f"1.0.0.{i}", PHONE) for i in range(3)] + [(a, f"9.0.0.{i}", PREVIEW) for i in range(5)]
    spec += [(b, f"2.0.0.{i % 4}", WECHAT) for i in range(13)] + [(b, f"9.1.0.{i}", PREVIEW) for i in range(5)]
    record(ws, spec)
    report = json.loads(cli(["report", "--by", "channel", "--json"]).stdout)
    clicks = json.loads(cli(["clicks", "--by", "channel", "--json"]).stdout)
    assert {r["key"]: r["clicks"] for r in report["rows"]} == {"mama_group": 3, "moments": 13}
    assert {r["key"]: r["clicks"] for r in clicks["rows"]} == {"mama_group": 3, "moments": 13}
    assert {r["key"]: r["visitors"] for r in clicks["rows"]} == {"mama_group": 3, "moments": 4}
