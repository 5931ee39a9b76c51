"""m100: stores from before the price story keep meaningful prices (issue 14)."""

from __future__ import annotations

import json

from sharekit.store import migrations
from sharekit.store.db import open_db

NOW = "2026-11-26T02:00:00+00:00"
# (id, price_minor as stored before m100 = what the buyer paid, original, coupon, extra)
OLD_ROWS = [
    ("feed:A", 4990, 8990, 1000, {"coupon_threshold": {"minor": 5900, "currency": "CNY"}}),  # 59.90 满59减10
    ("feed:B", 8900, None, 1000, {"coupon_threshold": {"minor": 9900, "currency": "CNY"}}),  # ¥89, 满99减10
    ("jd:1", 243, 435, 192, {"coupon_quota": "4.35"}),
    ("pdd:1", 1690, 1990, 300, {"coupon_min_order_amount": 1500}),
    ("tb:1", 6900, 9900, 1000, {}),     # no threshold was kept: the coupon had been taken off
    ("shop:1", 2400, 3000, None, {}),
]


def test_old_rows_get_their_selling_price_threshold_and_usability_back(tmp_path) -> None:
    path = tmp_path / "old.db"
    later = {name: fn for name, fn in migrations.MIGRATIONS.items() if name >= "m100"}
    for name in later:
        migrations.MIGRATIONS.pop(name)
    try:
        conn = open_db(path)
        with conn:
            for pid, price, original, coupon, extra in OLD_ROWS:
                source, native = pid.split(":")
                conn.execute(
                    "INSERT INTO products (id, source, native_id, title, currency, price_minor, original_price_minor,"
                    " coupon_minor, extra, content_hash, first_seen_at, updated_at, seen_at)"
                    " VALUES (?,?,?,'t','CNY',?,?,?,?,'h',?,?,?)",
                    (pid, source, native, price, original, coupon, json.dumps(extra), NOW, NOW, NOW))
            conn.execute("INSERT INTO price_history (product_id, currency, price_minor, original_price_minor,"
                         " coupon_minor, recorded_at) VALUES ('jd:1', 'CNY', 243, 435, 192, ?)", (NOW,))
        conn.close()
    finally:
        migrations.MIGRATIONS.update(later)
    conn = open_db(path)
    try:
        got = {r[0]: tuple(r[1:]) for r in conn.execute(
            "SELECT id, sale_price_minor, coupon_threshold_minor, coupon_usable, price_minor, content_hash"
            " FROM products")}
        history = conn.execute("SELECT sale_price_minor FROM price_history").fetchone()[0]
    finally:
        conn.close()
    assert got == {
        "feed:A": (5990, 5900, 1, 4990, None),
        "feed:B": (8900, 9900, 0, 8900, None),
        "jd:1": (435, 435, 1, 243, None),
        "pdd:1": (1990, 1500, 1, 1690, None),
        "tb:1": (7900, None, 1, 6900, None),
        "shop:1": (2400, None, None, 2400, None),
    }
    assert history == 435
