"""Products: what buyers return, flagged above the allowed invalid rate."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..core.timeutil import local_iso
from ..errors import ConfigError
from ..tracking.channels import NONE_KEY
from .spans import range_sql, rate, resolve_bound

DEFAULT_MAX_INVALID_RATE = Decimal("0.2")


@dataclass(frozen=True)
class ProductReturns:
    product: str
    title: str | None
    orders: int
    invalid: int
    invalid_rate: Decimal
    flagged: bool

    def to_json(self) -> dict[str, Any]:
        return {"product": self.product, "title": self.title, "orders": self.orders, "invalid": self.invalid,
                "invalid_rate": str(self.invalid_rate), "flagged": self.flagged}


@dataclass(frozen=True)
class ProductsReport:
    max_invalid_rate: Decimal
    since: str | None
    until: str | None
    rows: list[ProductReturns]

    def to_json(self) -> dict[str, Any]:
        return {"max_invalid_rate": str(self.max_invalid_rate), "since": self.since, "until": self.until,
                "rows": [r.to_json() for r in self.rows]}


def max_invalid_rate(config: Any) -> Decimal:
    """``[reports] max_invalid_rate`` (default 0.2) as an exact Decimal in [0, 1]."""
    raw = config.get("reports.max_invalid_rate", None)
    if raw is None:
        return DEFAULT_MAX_INVALID_RATE
    try:
        value = Decimal(str(raw).strip().rstrip("%")) / (100 if str(raw).strip().endswith("%") else 1)
        ok = value.is_finite() and Decimal(0) <= value <= Decimal(1)
    except ArithmeticError:
        ok = False
    if isinstance(raw, bool) or not ok:
        line = config.line_of("reports.max_invalid_rate") if hasattr(config, "line_of") else None
        where = f"{config.path}, line {line}" if line else str(getattr(config, "path", "config"))
        raise ConfigError(f"{where}: `reports.max_invalid_rate` must be a rate between 0 and 1, not {raw!r}.")
    return value


def products_report(ws: Any, since: str | date | datetime | None = None,
                    until: str | date | datetime | None = None) -> ProductsReport:
    """Per product: order lines placed, how many ended invalid, and a flag above the allowed rate."""
    tz = ws.config.timezone
    limit = max_invalid_rate(ws.config)
    lo, hi = resolve_bound(since, tz, end=False), resolve_bound(until, tz, end=True)
    where_sql, params = range_sql(lo, hi)
    conn: sqlite3.Connection = ws.db
    rows: list[ProductReturns] = []
    for product, title, n, invalid in conn.execute(
        "SELECT coalesce(o.product_id, ''), coalesce(p.title, max(o.product_title)), count(*),"
        " sum(o.status = 'invalid') FROM orders o LEFT JOIN products p ON p.id = o.product_id"
        f" WHERE 1{where_sql.replace('ordered_at', 'o.ordered_at')} GROUP BY coalesce(o.product_id, '')",
        params,
    ):
        invalid_rate = rate(invalid, n) or Decimal(0)
        rows.append(ProductReturns(product or NONE_KEY, title, n, invalid, invalid_rate, invalid_rate > limit))
    rows.sort(key=lambda r: (not r.flagged, -r.invalid_rate, -r.orders, r.product))
    return ProductsReport(limit, local_iso(lo, tz) if lo else None, local_iso(hi, tz) if hi else None, rows)
