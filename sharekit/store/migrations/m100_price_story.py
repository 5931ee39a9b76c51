"""m100: the price story: selling price, coupon threshold and usability beside the final price."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal, InvalidOperation

from . import migration, run_script


def _threshold(extra_text: str | None, currency: str) -> int | None:
    """The coupon threshold the sources kept in ``extra`` before m100, in minor units (or None).

    Feeds kept ``coupon_threshold`` as a money object, JD ``coupon_quota`` in yuan, PDD
    ``coupon_min_order_amount`` in fen; Taobao and the storefronts kept none."""
    try:
        extra = json.loads(extra_text or "{}")
    except ValueError:
        return None
    if not isinstance(extra, dict):
        return None
    money = extra.get("coupon_threshold")
    if isinstance(money, dict) and money.get("currency") == currency and isinstance(money.get("minor"), int):
        return money["minor"] or None
    if extra.get("coupon_quota") not in (None, "") and currency == "CNY":
        try:
            return int(Decimal(str(extra["coupon_quota"])) * 100) or None
        except (InvalidOperation, ValueError):
            return None
    fen = extra.get("coupon_min_order_amount")
    if isinstance(fen, int) and not isinstance(fen, bool) and currency == "CNY":
        return fen or None
    return None


@migration
def m100_price_story(db: sqlite3.Connection) -> None:
    """Store the selling price and the coupon's threshold and usability; keep old rows meaningful.

    Before m100 ``price_minor`` was "what the buyer pays", the selling price less the coupon when
    the source judged it usable. Existing rows get the selling price back (``price + coupon`` when
    the coupon was taken off, else ``price``), the threshold the source kept in ``extra``, and
    ``coupon_usable`` from those; ``price_minor`` becomes the final price by the same rule the
    code uses from now on. Content hashes are cleared so the next pull rewrites every row from
    the supplier's own fields."""
    run_script(
        db,
        """
        ALTER TABLE products ADD COLUMN sale_price_minor INTEGER;        -- 在售价: what it sells for now
        ALTER TABLE products ADD COLUMN coupon_threshold_minor INTEGER;  -- the coupon's 满X, NULL = none
        ALTER TABLE products ADD COLUMN coupon_usable INTEGER;           -- 1/0, NULL without a coupon
        ALTER TABLE price_history ADD COLUMN sale_price_minor INTEGER;
        ALTER TABLE price_history ADD COLUMN coupon_threshold_minor INTEGER;
        """,
    )
    rows = db.execute(
        "SELECT id, currency, price_minor, original_price_minor, coupon_minor, extra FROM products").fetchall()
    updates = []
    for pid, currency, price, original, coupon, extra in rows:
        coupon = coupon if coupon and coupon > 0 else None
        threshold = _threshold(extra, currency) if coupon else None
        selling = price
        if price is not None and coupon is not None:
            if threshold is None or threshold <= price:
                selling = price + coupon  # usable either way, so it had been taken off
            elif threshold <= price + coupon and original is not None and original >= price + coupon:
                # Both readings fit the threshold (sold at price+coupon, or at price below it);
                # a list price at or above price+coupon says the coupon came off (feeds kept no
                # list price equal to what the buyer paid).
                selling = price + coupon
        usable = None
        final = selling
        if coupon is not None and selling is not None:
            usable = (threshold is None or threshold <= selling) and coupon < selling
            if usable:
                final = selling - coupon
        updates.append((selling, threshold, None if usable is None else int(usable), final, pid))
    db.executemany("UPDATE products SET sale_price_minor = ?, coupon_threshold_minor = ?, coupon_usable = ?,"
                   " price_minor = ?, content_hash = NULL WHERE id = ?", updates)
    # History rows: the same rule without a threshold (none was kept per row).
    db.execute("UPDATE price_history SET sale_price_minor = CASE WHEN price_minor IS NOT NULL AND coupon_minor > 0"
               " THEN price_minor + coupon_minor ELSE price_minor END")
