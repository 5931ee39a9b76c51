"""Amazon Associates Fee-Orders / Fee-Earnings reports: header finding, dates, currencies, and
earnings rows taking over their pending order lines."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ...core.money import Money
from ...core.timeutil import parse_local, to_utc_iso, utcnow
from ...errors import InputError, NotFoundError
from ...sources.base import OrderLine
from .common import RowProblem, _report_amount, check_line

if TYPE_CHECKING:
    from ...store.workspace import Workspace

CURRENCY_SUFFIX = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "C$": "CAD",
                   "CA$": "CAD", "A$": "AUD", "R$": "BRL", "zł": "PLN", "kr": "SEK"}

AMAZON_ALIASES: dict[str, tuple[str, ...]] = {
    "asin": ("asin",),
    "name": ("name", "product name", "item name", "title", "product title"),
    "tag": ("tracking id", "tracking_id", "trackingid", "tag", "associate tag"),
    "date": ("date shipped", "shipment date", "ship date", "date", "order date", "ordered date"),
    "qty": ("items shipped", "qty", "quantity", "items ordered", "ordered items"),
    "returns": ("returns", "items returned", "returned items"),
    "price": ("price", "item price"),
    "revenue": ("revenue", "shipped revenue", "ordered revenue", "total revenue"),
    "fees": ("ad fees", "advertising fees", "earnings", "referral fees", "fees", "commission"),
}


# Amazon reports -------------------------------------------------------------------------------
def _norm_header(cell: str) -> tuple[str, str | None]:
    """``"Ad Fees($)"`` -> (``"ad fees"``, ``"USD"``); the suffix names the currency when present."""
    text = cell.strip().lstrip("\ufeff").strip('"')
    currency = None
    m = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", text)
    if m:
        text, symbol = m.group(1), m.group(2).strip()
        currency = symbol.upper() if re.fullmatch(r"[A-Za-z]{3}", symbol) else CURRENCY_SUFFIX.get(symbol)
    return re.sub(r"\s+", " ", text).strip().lower(), currency


def _find_amazon_header(lines: list[str]) -> tuple[int, str]:
    for number, line in enumerate(lines[:20]):
        delimiter = "\t" if "\t" in line else ","
        cells = [_norm_header(c)[0] for c in next(csv.reader([line], delimiter=delimiter), [])]
        if "asin" in cells and any(a in cells for a in AMAZON_ALIASES["tag"] + AMAZON_ALIASES["date"]):
            return number, delimiter
    raise InputError("no Amazon report header found (looked for ASIN with Tracking ID / Tag or Date columns "
                     "in the first 20 lines).")


AMAZON_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y",
                       "%d.%m.%Y", "%Y/%m/%d")


def _amazon_date(text: str, tz: str, day_first: bool) -> datetime:
    raw = text.strip()
    if not raw:
        raise ValueError("date is empty")
    # 11/03/2026, 11-03-2026 (the form of the reports' own title line), with or without a time
    m = re.fullmatch(r"(\d{1,2})([/-])(\d{1,2})\2(\d{2,4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\b.*)?", raw)
    if m:
        a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        year += 2000 if year < 100 else 0
        month, day = (b, a) if (day_first and b <= 12) or a > 12 else (a, b)
        clock = [int(g) for g in m.group(5, 6, 7) if g]
        meridiem = re.search(r"\b([AaPp])\.?[Mm]\b", raw)
        if clock and meridiem:
            clock[0] = clock[0] % 12 + (12 if meridiem.group(1).lower() == "p" else 0)
        try:
            return datetime(year, month, day, *clock, tzinfo=ZoneInfo(tz)).astimezone(UTC)
        except ValueError:
            raise ValueError(f"date {raw!r} is not a date") from None
    for fmt in AMAZON_DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
        except ValueError:
            continue
    try:
        return parse_local(raw, tz)
    except InputError:
        raise ValueError(f"date {raw!r} is not a date") from None


def _amazon_source(ws: Workspace, source: str | None) -> tuple[str, dict[str, Any]]:
    sources = ws.config.get("sources") or {}
    if source:
        table = sources.get(source)
        if not isinstance(table, Mapping):
            known = ", ".join(n for n in sorted(sources) if isinstance(sources[n], Mapping)
                              and sources[n].get("kind") == "amazon") or "none configured"
            raise NotFoundError(f"`source` {source}: no such source in {ws.config.path} (amazon sources: {known}).",
                                params=("source",))
        if table.get("kind") != "amazon":
            raise InputError(f"`source` {source} is a {table.get('kind')} source, not an amazon one.",
                             params=("source",))
        return source, dict(table)
    for name in sorted(sources):
        if isinstance(sources[name], Mapping) and sources[name].get("kind") == "amazon":
            return name, dict(sources[name])
    return "amazon", {}


def tag_channels(ws: Workspace) -> dict[str, str]:
    """Tracking id -> channel name, from ``[channels.NAME] amazon_tag``."""
    tables = ws.config.get("channels") or {}
    return {str(t["amazon_tag"]).strip(): name for name, t in tables.items()
            if isinstance(t, Mapping) and t.get("amazon_tag")}


def _parse_amazon(ws: Workspace, conn: sqlite3.Connection, text: str, source: str | None
                  ) -> tuple[list[tuple[str, OrderLine]], list[RowProblem], int, str]:
    from ...sources.amazon import MARKETPLACE_CURRENCY, marketplace_host

    tz = ws.config.timezone
    all_lines = text.splitlines()
    header_at, delimiter = _find_amazon_header(all_lines)
    reader = csv.reader(io.StringIO("\n".join(all_lines[header_at:]), newline=""), delimiter=delimiter)
    header = next(reader)
    normalised = [_norm_header(c) for c in header]
    names = [n for n, _ in normalised]
    currency_hint = next((c for _, c in normalised if c), None)
    col: dict[str, int] = {}
    for key, aliases in AMAZON_ALIASES.items():
        for alias in aliases:
            if alias in names:
                col[key] = names.index(alias)
                break
    earnings = "fees" in col or "date shipped" in names or "items shipped" in names
    report = "earnings" if earnings else "orders"
    src, settings = _amazon_source(ws, source)
    marketplace = marketplace_host(str(settings.get("marketplace") or ""))
    records = [(header_at + reader.line_num, record) for record in reader]
    amount_cols = [col[k] for k in ("price", "revenue", "fees") if k in col]
    symbol, ambiguous = _amount_currency(records, amount_cols)
    configured = settings.get("currency") or MARKETPLACE_CURRENCY.get(marketplace)
    # US and CA downloads both write "($)": a "$" (header or amounts) names no currency by itself
    header_dollar = any(re.search(r"\(\s*\$\s*\)\s*$", c) for c in header)
    # a code or unambiguous symbol in the header, then on the amounts, then the source's currency or
    # marketplace, then a bare "$" (USD), then the workspace currency
    currency = str((None if header_dollar else currency_hint) or (None if ambiguous else symbol) or configured
                   or currency_hint or symbol or ws.config.currency).upper()
    day_first = bool(marketplace) and marketplace not in ("www.amazon.com", "www.amazon.ca") or (
        not marketplace and currency_hint is None and currency in ("GBP", "EUR"))
    channels = tag_channels(ws)
    partner_tag = str(settings.get("partner_tag") or "").strip()
    if partner_tag and partner_tag not in channels:
        channels[partner_tag] = ""   # the account's default tag: links of no channel
    seen: dict[tuple[str, str, str, str], int] = {}
    used: set[str] = set()
    lines: list[tuple[str, OrderLine]] = []
    problems: list[RowProblem] = []
    now = utcnow()
    rows = 0
    asin_at = col.get("asin")
    for line_no, record in records:
        if not any(c.strip() for c in record):
            continue
        if _is_total_line(record, asin_at):
            continue
        rows += 1

        def get(key: str, record: list[str] = record) -> str:
            i = col.get(key)
            return record[i].strip() if i is not None and i < len(record) else ""

        try:
            asin = get("asin").upper()
            if not re.fullmatch(r"[A-Z0-9]{10}", asin):
                raise ValueError(f"ASIN {get('asin')!r} is not a 10-character ASIN")
            tag = get("tag")
            when = _amazon_date(get("date"), tz, day_first)
            day = when.astimezone(ZoneInfo(tz)).date().isoformat()
            occurrence_key = (report, day, tag, asin)
            seen[occurrence_key] = seen.get(occurrence_key, 0) + 1
            row_key = f"{'e' if earnings else 'o'}:{day}:{tag or '-'}:{asin}:{seen[occurrence_key]}"
            qty = int(_report_amount(get("qty"), "quantity")) if get("qty") else 1
            price = _report_amount(get("price"), "price") if get("price") else None
            revenue = _report_amount(get("revenue"), "revenue") if get("revenue") else None
            if revenue is None:
                if price is None:
                    raise ValueError("neither a price nor a revenue column has a value")
                revenue = price * qty
            channel = channels.get(tag, tag)
            extra = {"report": report, "tracking_id": tag or None, "asin": asin}
            if earnings:
                returns = int(_report_amount(get("returns"), "returns")) if get("returns") else 0
                fees = _report_amount(get("fees"), "ad fees") if get("fees") else Decimal(0)
                returned = returns > 0 and returns >= qty
                status, raw = ("invalid", "returned") if returned else ("confirmed", "shipped")
                row_id, ordered_at = _match_order_line(conn, src, asin, tag, when, row_key, used)
                extra["earning_key"] = row_key
                line = OrderLine(
                    row_id=row_id, order_id=row_key, status=status, raw_status=raw,
                    amount=Money.from_decimal(abs(revenue), currency, exact=True),
                    commission=Money.from_decimal(abs(fees), currency, exact=True),
                    ordered_at=ordered_at or when, updated_at=when, product_native_id=asin,
                    product_title=get("name") or None, channel=channel, quantity=qty, extra=extra)
            else:
                line = OrderLine(
                    row_id=row_key, order_id=row_key, status="pending", raw_status="ordered",
                    amount=Money.from_decimal(revenue, currency, exact=True), commission=Money.zero(currency),
                    ordered_at=when, updated_at=when, product_native_id=asin, product_title=get("name") or None,
                    channel=channel, quantity=qty, extra=extra)
            check_line(src, line, {src: "amazon"}, now)
            used.add(line.row_id)
            lines.append((src, line))
        except (ValueError, InputError) as exc:
            problems.append(RowProblem(line_no, str(exc)))
    return lines, problems, rows, report


def _is_total_line(record: list[str], asin_at: int | None) -> bool:
    """A ``Total`` / ``Totals`` summary line (in any column), which has no ASIN of its own."""
    asin = record[asin_at].strip() if asin_at is not None and asin_at < len(record) else ""
    if re.fullmatch(r"[A-Za-z0-9]{10}", asin):
        return False
    return any(cell.strip().lower().rstrip(":").startswith("total") for cell in record)


_AMBIGUOUS = {"$", "¥", "kr"}


def _amount_currency(records: list[tuple[int, list[str]]], columns: list[int]) -> tuple[str | None, bool]:
    """The currency the amount cells write (``£12.99``, ``12,99 €``, ``EUR 12.99``) and whether its
    symbol is ambiguous (``$``: USD, CAD, AUD, ...)."""
    for _, record in records[:50]:
        for i in columns:
            cell = record[i].strip() if i < len(record) else ""
            m = re.search(r"\b([A-Z]{3})\b", cell)
            if m and m.group(1) != "NaN":
                return m.group(1), False
            for symbol in sorted(CURRENCY_SUFFIX, key=len, reverse=True):
                if symbol in cell:
                    return CURRENCY_SUFFIX[symbol], symbol in _AMBIGUOUS
    return None, False


def _match_order_line(conn: sqlite3.Connection, source: str, asin: str, tag: str, shipped: datetime,
                      earning_key: str, used: set[str]) -> tuple[str, datetime | None]:
    """The stored line an earnings row belongs to: the one it matched before, else the oldest
    pending Orders-report line of the same ASIN and tracking id ordered by the ship date."""
    row = conn.execute(
        "SELECT id, ordered_at FROM orders WHERE source = ? AND json_extract(extra, '$.earning_key') = ?",
        (source, earning_key)).fetchone()
    if row is not None:
        return row["id"].split(":", 1)[1], datetime.fromisoformat(row["ordered_at"])
    end_of_day = to_utc_iso(shipped + timedelta(days=1) - timedelta(seconds=1))
    for row in conn.execute(
            "SELECT id, ordered_at FROM orders WHERE source = ? AND product_id = ? AND status = 'pending'"
            " AND json_extract(extra, '$.report') = 'orders' AND coalesce(json_extract(extra, '$.tracking_id'), '')"
            " = ? AND ordered_at <= ? ORDER BY ordered_at, id",
            (source, f"{source}:{asin}", tag, end_of_day)):
        row_id = row["id"].split(":", 1)[1]
        if row_id not in used:
            return row_id, datetime.fromisoformat(row["ordered_at"])
    return earning_key, None
