"""`sharekit today`: exclusion rules, honest bargains, the daily cap and per-channel taste."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sharekit.catalog.store import upsert_products
from sharekit.core.money import Money
from sharekit.core.timeutil import to_utc_iso
from sharekit.orders.store import upsert_order_lines
from sharekit.sources.base import OrderLine, Product
from sharekit.today import pick_today
from sharekit.tracking.channels import add_channel
from sharekit.tracking.shares import record_share

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def product(pid: str, price: str, *, brand: str | None = None, original: str | None = None, coupon: str | None = None,
            rate: str = "0.10", available: bool = True, extra: dict | None = None) -> Product:
    def cny(text: str | None) -> Money | None:
        return Money.parse(text, "CNY") if text is not None else None

    return Product(pid, f"商品 {pid}", "CNY", cny(price), original_price=cny(original), coupon=cny(coupon),
                   commission_rate=Decimal(rate), url=f"https://shop.example.com/{pid}", available=available,
                   brand=brand, extra=extra or {})


def store(ws, products: list[Product], when: datetime) -> None:
    upsert_products(ws.db, "shop", products, now=to_utc_iso(when), want_images=False)


def order(ws, n: int, pid: str, channel: str, when: datetime, status: str = "settled") -> None:
    line = OrderLine(f"r{n}", f"o{n}", status, status, Money(10000, "CNY"), Money(1000, "CNY"), when, when,
                     product_native_id=pid, channel=channel)
    upsert_order_lines(ws.db, "shop", [line])


def picked(results, channel: str) -> list[str]:
    return [p.product_id for r in results if r.channel == channel for p in r.picks]


@pytest.fixture
def world(ws):
    add_channel(ws.db, "g", kind="group")
    add_channel(ws.db, "m", kind="moments")
    return ws


def test_exclusion_rules_each_keep_a_product_out(world):
    ws = world
    past = NOW - timedelta(days=10)
    store(ws, [
        product("ok", "50.00"),
        product("gone", "40.00", available=False),
        product("expired", "40.00", coupon="10.00",
                extra={"coupon_end_ms": int((NOW - timedelta(hours=1)).timestamp() * 1000)}),
        product("recent", "40.00"),
        product("refunds", "40.00"),
    ], past)
    record_share(ws.db, "shop:recent", "g", when=NOW - timedelta(days=1))
    for n in range(5):  # 1 of 5 orders invalid is 0.2, not above [reports] max_invalid_rate: still picked
        order(ws, n, "refunds", "m", past, "invalid" if n == 0 else "settled")
    assert "shop:refunds" in picked(pick_today(ws, ["g"], count=5, now=NOW), "g")
    order(ws, 9, "refunds", "m", past, "invalid")  # 2 of 6: flagged, as `report products` flags it
    results = pick_today(ws, ["g"], count=5, now=NOW)
    assert picked(results, "g") == ["shop:ok"]
    excluded = results[0].excluded
    assert excluded == {"coupon ended": 1, "too many invalid orders": 1, "shared recently": 1}
    # shared 4 days ago is past min_days_between (3): allowed again
    record_share(ws.db, "shop:ok", "m", when=NOW - timedelta(days=4))
    assert "shop:ok" in picked(pick_today(ws, ["m"], count=5, now=NOW), "m")


def test_a_drop_counts_only_against_prices_the_store_saw(world):
    ws = world
    store(ws, [product("drop", "79.90", original="99.00"), product("fake", "59.90", original="199.00")],
          NOW - timedelta(days=20))
    store(ws, [product("drop", "59.90", original="99.00"), product("fake", "59.90", original="199.00")],
          NOW - timedelta(days=1))
    results = pick_today(ws, ["g"], count=2, now=NOW)
    by_id = {p.product_id: p for p in results[0].picks}
    assert by_id["shop:drop"].reasons[0] == "price ¥59.90 is the lowest in 30 days (was ¥79.90)"
    assert by_id["shop:drop"].parts["drop"] == pytest.approx((7990 - 5990) / 7990 / 0.3)
    # a list price never charged here is not a deal, however big the supplier says the saving is
    assert by_id["shop:fake"].parts["drop"] == 0
    assert "list price ¥199.00 not seen charged here: not called a deal" in by_id["shop:fake"].reasons
    assert not any("lowest" in r for r in by_id["shop:fake"].reasons)
    assert [p.product_id for p in results[0].picks] == ["shop:drop", "shop:fake"]


def test_a_price_seen_only_before_the_30_day_window_still_counts_as_the_starting_price(world):
    ws = world
    store(ws, [product("p", "80.00")], NOW - timedelta(days=90))
    store(ws, [product("p", "60.00")], NOW - timedelta(days=2))
    pick = pick_today(ws, ["g"], count=1, now=NOW)[0].picks[0]
    assert pick.reasons[0] == "price ¥60.00 is the lowest in 30 days (was ¥80.00)"


def test_daily_cap_counts_what_was_already_shared_today(world, monkeypatch):
    ws = world
    from sharekit.store.config import set_value

    set_value(ws.config, "channels.max_shares_per_day", 4)
    ws.reload_config()
    store(ws, [product(f"p{i}", f"{10 + i}.00") for i in range(10)], NOW - timedelta(days=5))
    for i in range(3):  # three shared this morning (Shanghai day)
        record_share(ws.db, f"shop:p{i}", "g", when=NOW - timedelta(hours=1))
    results = pick_today(ws, ["g", "m"], count=5, now=NOW)
    g, m = results
    assert (g.shared_today, g.left_today, len(g.picks)) == (3, 1, 1)
    assert (m.shared_today, m.left_today, len(m.picks)) == (0, 4, 4)
    # yesterday's shares (before local midnight) do not count toward today's cap
    record_share(ws.db, "shop:p5", "m", when=NOW - timedelta(hours=11))
    assert pick_today(ws, ["m"], count=5, now=NOW)[0].shared_today == 0


def test_each_channel_picks_what_it_has_bought_before(world):
    ws = world
    past = NOW - timedelta(days=10)
    store(ws, [product("k1", "30.00", brand="苏泊尔"), product("k2", "31.00", brand="苏泊尔"),
               product("b1", "30.00", brand="完美日记"), product("b2", "31.00", brand="完美日记")], past)
    order(ws, 1, "k1", "g", past)
    order(ws, 2, "k1", "g", past)
    order(ws, 3, "b1", "m", past)
    results = pick_today(ws, ["g", "m"], count=2, now=NOW)
    g, m = results
    assert {p.product_id for p in g.picks} == {"shop:k1", "shop:k2"}
    assert {p.product_id for p in m.picks} == {"shop:b1", "shop:b2"}
    assert "this group bought 2 苏泊尔 item(s) in the last 60 days" in g.picks[0].reasons
    assert "this audience bought 1 完美日记 item(s) in the last 60 days" in m.picks[0].reasons


def test_an_unknown_channel_is_refused_in_one_line(world, cli):
    store(world, [product("a", "10.00")], NOW - timedelta(days=5))
    result = cli(["today", "--channel", "nope"])
    assert result.exit_code != 0
    assert "No channel named nope" in result.output
    assert "Traceback" not in result.output


def test_cli_json_and_posters_record_the_shares(world, cli, home):
    ws = world
    store(ws, [product("a", "10.00", coupon="2.00"), product("b", "12.00")], datetime.now(UTC) - timedelta(days=5))
    result = cli(["today", "--channel", "g", "--count", "2", "--posters", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    picks = data["channels"][0]["picks"]
    assert {p["product"] for p in picks} == {"shop:a", "shop:b"}
    for p in picks:
        assert p["poster"] and (home / "posters" / "today").exists()
        assert "/today/" in p["poster"] and p["poster"].split("/")[-2] == "g"
        assert p["text_file"].endswith(".txt") and p["share_text"]
        assert p["reasons"] and isinstance(p["score"], float)
    # the shares were recorded: tomorrow (and today again) they are not picked for g
    again = json.loads(cli(["today", "--channel", "g", "--json"]).stdout)
    assert again["channels"][0]["picks"] == []
    assert again["channels"][0]["excluded"]["shared recently"] == 2
    text = cli(["today", "--channel", "g"]).stdout
    assert "nothing to share (left out: 2 shared recently)" in text


def test_raising_a_price_before_a_sale_is_not_a_bargain(world):
    ws = world
    for days, price in ((20, "60.00"), (10, "100.00"), (1, "60.00")):  # 先涨后降
        store(ws, [product("trick", price, original="100.00")], NOW - timedelta(days=days))
    pick = pick_today(ws, ["g"], count=1, now=NOW)[0].picks[0]
    assert pick.parts["drop"] == 0
    assert not any("lowest" in r or "not called a deal" in r for r in pick.reasons)  # 100 was really charged


def test_explain_prints_the_parts_of_each_score(world, cli):
    store(world, [product("a", "12.00", coupon="2.00")], datetime.now(UTC) - timedelta(days=5))
    result = cli(["today", "--channel", "g", "--explain"])
    assert result.exit_code == 0, result.output
    assert "parts: drop 0.00  coupon " in result.stdout
    assert "commission 10% ≈ ¥1.00 per order" in result.stdout


def test_a_channels_clicks_move_its_picks_too(world):
    ws = world
    past = NOW - timedelta(days=10)
    store(ws, [product("k1", "30.00", brand="苏泊尔"), product("k2", "31.00", brand="苏泊尔"),
               product("b1", "30.00", brand="完美日记"), product("b2", "31.00", brand="完美日记")], past)
    ws.db.execute("INSERT INTO links (code, product_id, channel, target_url, created_at) VALUES (?,?,?,?,?)",
                  ("K1G", "shop:k1", "g", "https://shop.example.com/k1", to_utc_iso(past)))
    ws.db.execute("INSERT INTO click_daily (code, day, clicks, visitors) VALUES ('K1G', ?, 20, 15)",
                  ((NOW - timedelta(days=5)).date().isoformat(),))
    ws.db.commit()
    g, m = pick_today(ws, ["g", "m"], count=1, now=NOW)
    assert g.picks[0].product_id in {"shop:k1", "shop:k2"}
    assert "this group clicked 20 苏泊尔 item(s) in the last 60 days" in g.picks[0].reasons
    assert m.picks[0].parts["channel"] == 0


def test_today_posters_strike_a_list_price_only_when_it_was_seen_charged(world, cli, home):
    then = datetime.now(UTC) - timedelta(days=5)
    store(world, [product("seen", "80.00", original="100.00"), product("fake", "80.00", original="199.00")], then)
    store(world, [product("seen", "100.00", original="100.00")], then + timedelta(days=1))  # 100 was charged
    store(world, [product("seen", "80.00", original="100.00")], then + timedelta(days=2))
    from sharekit.store.config import set_value

    set_value(world.config, "poster.share_text", "{title} 原价{list_price} 到手{final_price}")
    data = json.loads(cli(["today", "--channel", "g", "--posters", "--json"]).stdout)
    picks = {p["product"]: p for p in data["channels"][0]["picks"]}
    assert picks["shop:seen"]["list_price_seen"] is True and picks["shop:fake"]["list_price_seen"] is False
    assert picks["shop:seen"]["share_text"].startswith("商品 seen 原价¥100 到手¥80")
    assert "199" not in picks["shop:fake"]["share_text"] and "到手¥80" in picks["shop:fake"]["share_text"]
