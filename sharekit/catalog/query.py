"""Stored products: list, find, show (with price history), cached image file."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.timeutil import local_iso
from ..errors import NotFoundError

if TYPE_CHECKING:

    from ..store.workspace import Workspace



# products: list and show ---------------------------------------------------------------------
def _money(minor: int | None, currency: str) -> dict[str, Any] | None:
    return None if minor is None else {"minor": minor, "currency": currency}


def product_json(row: sqlite3.Row, tz: str) -> dict[str, Any]:
    """A stored product in the ``products list --json`` shape.

    The price story: ``original_price`` the list price (原价), ``sale_price`` the selling price
    (在售价), ``coupon`` and ``coupon_threshold`` the best coupon, ``coupon_usable`` whether it is
    usable at the selling price (null without a coupon), ``final_price`` what the buyer pays
    (``price`` is the same figure, kept for older scripts)."""
    urls = json.loads(row["image_urls"] or "[]")
    currency = row["currency"]
    usable = row["coupon_usable"]
    return {
        "id": row["id"],
        "source": row["source"],
        "title": row["title"],
        "price": _money(row["price_minor"], currency),
        "original_price": _money(row["original_price_minor"], currency),
        "sale_price": _money(row["sale_price_minor"], currency),
        "final_price": _money(row["price_minor"], currency),
        "coupon": _money(row["coupon_minor"], currency),
        "coupon_threshold": _money(row["coupon_threshold_minor"], currency),
        "coupon_usable": None if usable is None else bool(usable),
        "commission_rate": row["commission_rate"],
        "url": row["url"],
        "image_url": urls[0] if urls else None,
        "available": bool(row["available"]),
        "updated_at": local_iso(row["updated_at"], tz),
    }


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_products(conn: sqlite3.Connection, *, source: str | None = None, search: str | None = None,
                  available: bool | None = None, limit: int | None = None) -> list[sqlite3.Row]:
    """Stored products, newest change first; ``search`` matches title, brand or id."""
    where: list[str] = []
    args: list[Any] = []
    if source:
        where.append("source = ?")
        args.append(source)
    if search:
        where.append("(title LIKE ? ESCAPE '\\' OR brand LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')")
        args += [_like(search)] * 3
    if available is not None:
        where.append("available = ?")
        args.append(1 if available else 0)
    sql = "SELECT * FROM products"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY updated_at DESC, id"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    return list(conn.execute(sql, args))


def count_products(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM products").fetchone()[0])


def find_product(conn: sqlite3.Connection, product_id: str) -> sqlite3.Row:
    """The product ``SOURCE:NATIVE_ID``, or a bare native id that matches exactly one product."""
    row = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
    if row is not None:
        return row
    if ":" not in product_id:
        rows = conn.execute("SELECT * FROM products WHERE native_id = ? LIMIT 2", (product_id,)).fetchall()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise NotFoundError(f"Product id `{product_id}` is ambiguous; give it as SOURCE:{product_id}.")
    raise NotFoundError(f"No product `{product_id}` in the store.",
                        hint="Find ids with `sharekit products list --search TEXT`.")


@dataclass(frozen=True)
class ProductDetail:
    product: dict[str, Any]            # product_json plus detail fields
    history: list[dict[str, Any]]      # oldest first

    def to_json(self) -> dict[str, Any]:
        return {**self.product, "price_history": self.history}


def show_product(ws: Workspace, product_id: str) -> ProductDetail:
    """One product with its detail fields and its price history."""
    conn = ws.db
    tz = ws.config.timezone
    row = find_product(conn, product_id)
    data = product_json(row, tz)
    data.update({
        "native_id": row["native_id"],
        "description": row["description"],
        "brand": row["brand"],
        "coupon_url": row["coupon_url"],
        "image_urls": json.loads(row["image_urls"] or "[]"),
        "image_path": str(ws.paths.cache / row["image_path"]) if row["image_path"] else None,
        "extra": json.loads(row["extra"] or "{}"),
        "first_seen_at": local_iso(row["first_seen_at"], tz),
        "seen_at": local_iso(row["seen_at"], tz),
    })
    return ProductDetail(data, price_history(conn, row, tz))


def price_history(conn: sqlite3.Connection, product: sqlite3.Row, tz: str) -> list[dict[str, Any]]:
    """A stored product's prices over time, oldest first.

    A pull writes history rows only when a price changes (the first change also records the
    price before it, dated ``first_seen_at``); a product whose price never changed has none,
    and its history is its current price since it was first seen.
    """
    rows = conn.execute("SELECT * FROM price_history WHERE product_id = ? ORDER BY recorded_at, id",
                        (product["id"],)).fetchall() or [{
                            "recorded_at": product["first_seen_at"], "currency": product["currency"],
                            "price_minor": product["price_minor"],
                            "original_price_minor": product["original_price_minor"],
                            "sale_price_minor": product["sale_price_minor"],
                            "coupon_minor": product["coupon_minor"],
                            "coupon_threshold_minor": product["coupon_threshold_minor"]}]
    return [
        {"recorded_at": local_iso(h["recorded_at"], tz),
         "price": _money(h["price_minor"], h["currency"]),
         "original_price": _money(h["original_price_minor"], h["currency"]),
         "sale_price": _money(h["sale_price_minor"], h["currency"]),
         "coupon": _money(h["coupon_minor"], h["currency"]),
         "coupon_threshold": _money(h["coupon_threshold_minor"], h["currency"])}
        for h in rows
    ]


def image_file(ws: Workspace, product: sqlite3.Row | dict[str, Any]) -> Path | None:
    """The cached image file of a stored product, if it is in the cache (for posters)."""
    relative = product["image_path"]
    if not relative:
        return None
    path = ws.paths.cache / relative
    return path if path.is_file() else None
