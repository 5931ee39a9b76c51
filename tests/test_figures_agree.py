"""Regression tests of issue 14, with its numbers: every figure is the same in every view."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sharekit.tracking.channels import add_channel
from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.classify import Classifier
from sharekit.tracking.server.recorder import ClickWriter

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


HEADER = "order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"


def test_a_later_older_status_never_moves_a_line_back_nor_a_paid_month(cli, ws, tmp_path, monkeypatch):
    import sharekit.orders.store as order_store

    add_channel(ws.db, "friend_lili", kind="friend", share=__import__("decimal").Decimal("0.3"))
    first = tmp_path / "nov.csv"
    first.write_text(HEADER + "A1,jd:100,friend_lili,settled,135.30,13.53,CNY,2026-11-02 10:00,2026-11-20 10:00\n")
    later = tmp_path / "dec.csv"
    later.write_text(HEADER + "A1,jd:100,friend_lili,paid,135.30,13.53,CNY,2026-11-02 10:00,2026-12-01 10:00\n")
    refund = tmp_path / "refund.csv"
    refund.write_text(HEADER + "A1,jd:100,friend_lili,refunded,135.30,0,CNY,2026-11-02 10:00,2026-12-04 10:00\n")

    def payout(month: str) -> list[tuple[str, str]]:
        data = json.loads(cli(["report", "payouts", "--month", month, "--json"]).stdout)
        return [(r["kind"], r["payout"]["minor"]) for r in data["rows"]]

    monkeypatch.setattr(order_store, "utcnow", lambda: datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    assert cli(["orders", "import", str(first), "--format", "csv"]).exit_code == 0
    assert payout("2026-11") == [("settled", 406)]  # 13.53 x 30% = 4.059 -> ¥4.06

    monkeypatch.setattr(order_store, "utcnow", lambda: datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    result = cli(["orders", "import", str(later), "--format", "csv"])
    assert result.exit_code == 0 and "1 ignored" in result.stdout
    assert ws.db.execute("SELECT status FROM orders").fetchone()[0] == "settled"
    history = ws.db.execute("SELECT status, raw_status, ignored FROM order_status_history ORDER BY id").fetchall()
    assert [tuple(h) for h in history] == [("settled", "settled", 0), ("pending", "paid", 1)]
    assert payout("2026-11") == [("settled", 406)]

    monkeypatch.setattr(order_store, "utcnow", lambda: datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    assert cli(["orders", "import", str(refund), "--format", "csv"]).exit_code == 0
    assert ws.db.execute("SELECT status FROM orders").fetchone()[0] == "invalid"
    assert payout("2026-11") == [("settled", 406)]             # a paid month never changes
    assert payout("2026-12") == [("settled", 0), ("adjustment", -406)]  # the refund, when it became known
    table = cli(["report", "payouts", "--month", "2026-12"]).stdout
    assert "adjustment" in table and "-¥4.06" in table.replace(" ", "")


def test_report_channels_counts_the_orders_report_by_channel_counts(cli, ws, tmp_path):
    add_channel(ws.db, "mama_group", kind="group")
    rows = [f"B{i},jd:1{i},mama_group,{'refunded' if i == 7 else 'paid'},10.00,1.00,CNY,2026-11-0{1 + i % 8} 10:00,"
            for i in range(8)]  # 8 lines, one refunded: 8 orders in both views (was 7 vs 8)
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    assert cli(["orders", "import", str(path), "--format", "csv"]).exit_code == 0
    channels = json.loads(cli(["report", "channels", "--json"]).stdout)
    by_channel = json.loads(cli(["report", "--by", "channel", "--json"]).stdout)
    mama = next(r for r in channels["rows"] if r["channel"] == "mama_group")
    assert (mama["orders"], mama["invalid"], mama["spent"]["minor"]) == (8, 1, 7000)
    assert {r["key"]: r["orders"] for r in by_channel["rows"]} == {"mama_group": 8}


def test_savings_are_real_from_list_amount_or_shown_as_unknown(cli, ws, tmp_path):
    add_channel(ws.db, "mama_group", kind="group")
    add_channel(ws.db, "moments", kind="moments")
    path = tmp_path / "orders.csv"
    path.write_text("order_id,product,channel,status,amount,commission,currency,ordered_at,list_amount\n"
                    "C1,jd:1,mama_group,paid,59.90,3.00,CNY,2026-11-02 10:00,89.90\n"
                    "C2,jd:2,moments,paid,20.00,1.00,CNY,2026-11-02 11:00,\n")
    assert cli(["orders", "import", str(path), "--format", "csv"]).exit_code == 0
    rows = {r["channel"]: r for r in json.loads(cli(["report", "channels", "--json"]).stdout)["rows"]}
    assert rows["mama_group"]["saved"] == {"minor": 3000, "currency": "CNY"}
    assert rows["moments"]["saved"] is None and rows["moments"]["saved_orders"] == 0
    table = cli(["report", "channels"]).stdout
    moments_line = next(line for line in table.splitlines() if "moments" in line)
    assert "—" in moments_line and "¥0.00" not in moments_line
