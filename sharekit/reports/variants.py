"""Which poster sells: scans, orders and earnings per poster template (`report --by template|variant`).

`sharekit poster --template moments,square --variants` gives each template's poster of a product in
a channel a short link of its own (``links.variant`` is the template's name). Rules:

- **Clicks and scans** are read from the click counters of those links (people only; ``scans`` are
  the clicks that came from the poster's QR code), over the span's local days, as every report.
- **Orders** come back from the supplier with the channel (sub-id), never the short link, so an
  order of a product in a channel that has variant links is credited to the variant whose link a
  person (never a bot) clicked last before the order, within ``[attribution] window`` (24h). When
  that last click was on the product's ordinary link, or there was none in the window, the order
  is not told apart: it is counted in ``not_told_apart``, never guessed.
- Orders are those placed in the span (every status); ``commission`` is estimated (pending +
  confirmed) plus settled, as ``earned`` elsewhere; EPC is that per click and conversion orders
  per click. One currency at a time.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..core.money import Money
from ..core.sanitize import csv_text
from ..core.timeutil import from_iso, local_iso, relative, to_utc_iso
from ..tracking.counting import PEOPLE
from .spans import day_span, range_sql, rate, resolve_bound

VARIANT_BYS = ("template", "variant")
DEFAULT_WINDOW = "24h"


@dataclass(frozen=True)
class VariantRow:
    """One template (``--by template``) or one variant link (``--by variant``), or the totals."""

    key: str                 # the template's name, or the link's code
    template: str
    clicks: int              # people's clicks on the variant links
    scans: int               # of those, QR scans of the posters
    orders: int              # orders credited (placed in the span, any status)
    gmv: Money
    estimated: Money         # pending + confirmed commission of those orders
    settled: Money
    product: str | None = None   # --by variant: the link's product and channel
    channel: str | None = None
    links: int = 0           # variant links counted in the row

    @property
    def commission(self) -> Money:
        """Estimated plus settled: what the row is expected to bring."""
        return self.estimated + self.settled

    @property
    def conversion(self) -> Decimal | None:
        """Orders per click (4 places); None without clicks."""
        return rate(self.orders, self.clicks)

    @property
    def epc(self) -> Decimal | None:
        """Commission per click in major units (4 places); None without clicks."""
        return rate(self.commission.amount, self.clicks)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "template": self.template}
        if self.product is not None:
            data.update(product=self.product, channel=self.channel)
        data.update({
            "links": self.links, "clicks": self.clicks, "scans": self.scans, "orders": self.orders,
            "gmv": self.gmv.to_json(), "estimated": self.estimated.to_json(), "settled": self.settled.to_json(),
            "commission": self.commission.to_json(),
            "conversion": None if self.conversion is None else str(self.conversion),
            "epc": None if self.epc is None else str(self.epc),
        })
        return data


@dataclass(frozen=True)
class VariantsReport:
    by: str
    currency: str
    since: str | None
    until: str | None
    window: str
    rows: list[VariantRow]
    totals: VariantRow
    not_told_apart: int = 0   # orders of products and channels with variants, credited to no variant
    other_currencies: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "currency": self.currency, "since": self.since, "until": self.until,
                "attribution": "last person's click on the product's links in the channel within the window",
                "window": self.window, "rows": [r.to_json() for r in self.rows], "totals": self.totals.to_json(),
                "not_told_apart": self.not_told_apart, "other_currencies": dict(sorted(self.other_currencies.items()))}


def _window(ws: Any) -> tuple[str, timedelta]:
    text = str(ws.config.get("attribution.window") or DEFAULT_WINDOW)
    delta = relative(text, "attribution.window")
    return (text, delta) if delta is not None else (DEFAULT_WINDOW, timedelta(hours=24))


def variants_report(ws: Any, by: str = "template", since: str | date | datetime | None = None,
                    until: str | date | datetime | None = None, currency: str | None = None) -> VariantsReport:
    """Clicks, scans, orders and commission per poster template (or per variant link)."""
    if by not in VARIANT_BYS:
        raise ValueError(f"by must be one of {VARIANT_BYS}")
    conn: sqlite3.Connection = ws.db
    tz = ws.config.timezone
    cur = (currency or ws.config.currency).strip().upper()
    Money(0, cur)
    lo, hi = resolve_bound(since, tz, end=False), resolve_bound(until, tz, end=True)
    window_text, window = _window(ws)
    variant_links = {r["code"]: r for r in conn.execute(
        "SELECT code, product_id, channel, variant FROM links WHERE variant <> '' ORDER BY code")}
    key_of = (lambda code: variant_links[code]["variant"]) if by == "template" else (lambda code: code)
    acc: dict[str, dict[str, int]] = {}
    meta: dict[str, VariantRow] = {}

    def slot(code: str) -> dict[str, int]:
        key = key_of(code)
        if key not in acc:
            row = variant_links[code]
            acc[key] = {"clicks": 0, "scans": 0, "orders": 0, "gmv": 0, "estimated": 0, "settled": 0, "links": 0}
            meta[key] = VariantRow(key, row["variant"], 0, 0, 0, Money(0, cur), Money(0, cur), Money(0, cur),
                                   row["product_id"] if by == "variant" else None,
                                   row["channel"] if by == "variant" else None)
        return acc[key]

    for code in variant_links:
        slot(code)["links"] += 1
    # clicks and scans: the links' daily counters over the span's local days
    first, last = day_span(lo, hi, tz)
    days_sql, days_args = "", []
    if first:
        days_sql, days_args = days_sql + " AND d.day >= ?", [*days_args, first]
    if last:
        days_sql, days_args = days_sql + " AND d.day <= ?", [*days_args, last]
    for code, clicks, scans in conn.execute(
            f"SELECT d.code, sum(d.{PEOPLE}), sum(d.qr) FROM click_daily d JOIN links l ON l.code = d.code"
            f" LEFT JOIN products p ON p.id = l.product_id"
            f" WHERE l.variant <> '' AND coalesce(p.currency, '') IN (?, ''){days_sql} GROUP BY d.code",
            (cur, *days_args)):
        s = slot(code)
        s["clicks"] += int(clicks or 0)
        s["scans"] += int(scans or 0)
    # orders: credited to the variant whose link was clicked last before the order, within the window
    pairs: dict[tuple[str, str], list[str]] = {}
    for r in conn.execute("SELECT code, product_id, channel FROM links WHERE (product_id, channel) IN"
                          " (SELECT product_id, channel FROM links WHERE variant <> '')"):
        pairs.setdefault((r["product_id"], r["channel"]), []).append(r["code"])
    not_told = 0
    other: dict[str, int] = {}
    where_sql, params = range_sql(lo, hi)
    for (product, channel), codes in sorted(pairs.items()):
        marks = ",".join("?" * len(codes))
        for order in conn.execute(
                f"SELECT currency, amount_minor, commission_minor, status, ordered_at FROM orders"
                f" WHERE product_id = ? AND channel = ?{where_sql}", (product, channel, *params)):
            if order["currency"] != cur:
                other[order["currency"]] = other.get(order["currency"], 0) + 1
                continue
            at = from_iso(order["ordered_at"])
            hit = conn.execute(
                f"SELECT code FROM clicks WHERE code IN ({marks}) AND is_bot = 0 AND clicked_at <= ?"
                " AND clicked_at >= ? ORDER BY clicked_at DESC, id DESC LIMIT 1",
                (*codes, to_utc_iso(at), to_utc_iso(at - window))).fetchone()
            if hit is None or hit[0] not in variant_links:
                not_told += 1
                continue
            s = slot(hit[0])
            s["orders"] += 1
            s["gmv"] += int(order["amount_minor"])
            if order["status"] in ("pending", "confirmed"):
                s["estimated"] += int(order["commission_minor"])
            elif order["status"] == "settled":
                s["settled"] += int(order["commission_minor"])
    rows = [_row(meta[k], v, cur) for k, v in acc.items()]
    rows.sort(key=lambda r: (-r.commission.minor, -r.orders, -r.clicks, r.key))
    totals = _row(VariantRow("total", "", 0, 0, 0, Money(0, cur), Money(0, cur), Money(0, cur)),
                  {name: sum(acc[k][name] for k in acc) for name in
                   ("clicks", "scans", "orders", "gmv", "estimated", "settled", "links")}, cur)
    return VariantsReport(by, cur, local_iso(lo, tz) if lo else None, local_iso(hi, tz) if hi else None,
                          window_text, rows, totals, not_told, other)


def _row(base: VariantRow, figures: dict[str, int], cur: str) -> VariantRow:
    return VariantRow(base.key, base.template, figures["clicks"], figures["scans"], figures["orders"],
                      Money(figures["gmv"], cur), Money(figures["estimated"], cur), Money(figures["settled"], cur),
                      base.product, base.channel, figures["links"])


def variants_csv(report: VariantsReport) -> str:
    """The report as CSV (header, rows, totals); cells that could run as formulas are quoted as text."""
    head = [report.by, "template", "product", "channel", "clicks", "scans", "orders", "gmv", "commission",
            "conversion", "epc"]
    return csv_text(head, ([r.key, r.template, r.product or "", r.channel or "", r.clicks, r.scans, r.orders,
                            r.gmv.decimal_str(), r.commission.decimal_str(),
                            "" if r.conversion is None else str(r.conversion), "" if r.epc is None else str(r.epc)]
                           for r in [*report.rows, report.totals]))
