"""Order report files into the store: the generic order CSV and Amazon Associates reports.

``import_orders(ws, path, fmt)`` reads one file (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK or
GB18030), turns each row into an :class:`~sharekit.sources.base.OrderLine` and stores them with
:func:`sharekit.orders.store.upsert_order_lines`, all in one transaction, recording the file's sha256
in ``imports``. The same file twice changes nothing; a later file moves statuses on (an older
``updated_at`` never moves one back). Bad rows are reported with their line numbers and skipped;
with ``strict=True`` any bad row aborts the file and nothing is written.

Formats:

- ``csv`` (DESIGN.md "Order files"): ``order_id, product, channel, status, amount, commission,
  currency, ordered_at, updated_at``; ``product`` is ``SOURCE:NATIVE_ID`` (or a bare id with
  ``source=``); amounts are decimal strings in major units; ``status`` is a normalised status
  or the source's raw one; times are ISO 8601, no offset meaning the configured timezone.
- ``amazon``: the Associates Central "Fee-Orders" / "Fee-Earnings" downloads (CSV or TSV, a
  title line above the header, ``($)`` suffixes or none, a ``Total`` line at the end). Columns
  are found by header name. Orders rows are ``pending``; earnings rows are ``confirmed`` and
  take over the oldest matching pending order line (same ASIN and tracking id), so a later
  earnings file moves the status on without counting the sale twice. Returns are ``invalid``.
  The tracking id maps to the channel whose ``[channels.NAME] amazon_tag`` it is; the source's
  own ``partner_tag`` means no channel; any other tracking id is the channel name itself.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..core.money import Money
from ..core.timeutil import parse_local, to_utc_iso, utcnow
from ..errors import InputError, NotFoundError
from ..sources.base import OrderLine
from ..store.db import transaction
from .store import STATUSES, UpsertCounts, upsert_order_lines

FORMATS = ("csv", "amazon")
GENERIC_COLUMNS = ("order_id", "product", "channel", "status", "amount", "commission", "currency",
                   "ordered_at", "updated_at")
GENERIC_REQUIRED = ("order_id", "product", "status", "amount", "ordered_at")

# Raw statuses seen in networks' exports -> normalised; anything else is stored as "unknown".
GENERIC_STATUS = {
    "pending": "pending", "paid": "pending", "ordered": "pending", "unconfirmed": "pending", "付款": "pending",
    "已付款": "pending", "订单付款": "pending", "待收货": "pending",
    "confirmed": "confirmed", "received": "confirmed", "completed": "confirmed", "complete": "confirmed",
    "shipped": "confirmed", "approved": "confirmed", "已收货": "confirmed", "确认收货": "confirmed",
    "订单成功": "confirmed", "交易成功": "confirmed",
    "settled": "settled", "paid_out": "settled", "paid out": "settled", "已结算": "settled", "订单结算": "settled",
    "结算": "settled",
    "invalid": "invalid", "cancelled": "invalid", "canceled": "invalid", "refunded": "invalid",
    "returned": "invalid", "rejected": "invalid", "失效": "invalid", "已失效": "invalid", "订单失效": "invalid",
    "已取消": "invalid", "已退款": "invalid",
}
# Per source kind: the supplier's own codes (a kind's file can carry them raw).
KIND_STATUS = {
    "taobao": {"12": "pending", "14": "confirmed", "3": "settled", "13": "invalid"},
}
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


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be imported: its line number in the file and why."""

    line: int
    error: str


@dataclass
class ImportResult:
    """What importing one file did."""

    path: str
    format: str
    sha256: str
    encoding: str
    already_imported: bool = False
    rows: int = 0                 # data rows read (title, header, total and blank lines excluded)
    imported: int = 0             # rows turned into order lines
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0              # reports of an older status: kept in the history, not taken
    skipped: list[RowProblem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    unknown_statuses: list[str] = field(default_factory=list)
    report: str | None = None     # amazon: "orders" or "earnings"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = [asdict(p) for p in self.skipped]
        return data


# reading --------------------------------------------------------------------------------------
def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), UTF-16 with BOM, GBK, GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputError("the file is not text in UTF-8, UTF-16, GBK or GB18030.")


def _read(path: Path) -> tuple[bytes, str, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"No file {path}.") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not an order file.") from None
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}.") from None
    if data.startswith(b"PK\x03\x04"):
        raise InputError(f"{path} is a spreadsheet (XLSX/ZIP), not a text file.",
                         hint="Save the sheet as CSV or tab-separated text and import that.")
    try:
        text, encoding = decode_bytes(data)
    except InputError as exc:
        raise InputError(f"{path}: {exc.message}") from None
    return data, text, encoding


_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_REPORT_AMOUNT = re.compile(
    r"(?P<neg>-)?\s*(?:[A-Z]{3}\s*)?(?:US\$|CA\$|C\$|A\$|R\$|[$€£¥₹])?\s*(?P<neg2>-)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
    r"\s*(?:[$€£¥₹]|[A-Z]{3}|zł|kr)?")


def _decimal(text: str, what: str) -> Decimal:
    """A plain decimal string in major units (the generic CSV): ``199.00``, ``-3.5``."""
    raw = (text or "").strip()
    if not _PLAIN_DECIMAL.fullmatch(raw):
        raise ValueError(f"{what} {raw!r} is not a decimal number")
    return Decimal(raw)


def _report_amount(text: str, what: str) -> Decimal:
    """An amount as report downloads write it: ``$1,299.00``, ``-0.62``, ``(0.62)``, ``19,99 €``."""
    raw = (text or "").strip().replace("\u00a0", " ")
    accounting = raw.startswith("(") and raw.endswith(")")  # (0.62) = -0.62
    inner = raw[1:-1].strip() if accounting else raw
    m = _REPORT_AMOUNT.fullmatch(inner)
    if not m:
        raise ValueError(f"{what} {raw!r} is not a number")
    number = m.group("num")
    number = number.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", number) else number.replace(",", "")
    value = Decimal(number)
    negative = bool(m.group("neg") or m.group("neg2")) != accounting
    return -value if negative else value


# generic CSV ----------------------------------------------------------------------------------
@cache
def _kind_status(kind: str) -> dict[str, str]:
    """The raw status codes a kind's own orders carry -> normalised (JD validCode, PDD order_status)."""
    if kind == "jd":
        from ..sources import jd

        return {**{str(c): "pending" for c in jd.PENDING_CODES}, **{str(c): "confirmed" for c in jd.CONFIRMED_CODES},
                **{str(c): "invalid" for c in jd.INVALID_CODES}}
    if kind == "pdd":
        from ..sources import pdd

        return {str(code): status for code, status in pdd.STATUS_MAP.items()}
    return KIND_STATUS.get(kind, {})


def _status_for(raw: str, kind: str | None) -> str:
    value = raw.strip()
    lowered = value.lower()
    if lowered in STATUSES:
        return lowered
    if kind and value in _kind_status(kind):
        return _kind_status(kind)[value]
    return GENERIC_STATUS.get(lowered, GENERIC_STATUS.get(value, "unknown"))


def _parse_generic(ws: Any, text: str, source: str | None) -> tuple[list[tuple[str, OrderLine]], list[RowProblem], int]:
    tz = ws.config.timezone
    default_currency = ws.config.currency
    first = text.split("\n", 1)[0]
    # comma, tab, or the semicolon spreadsheets write where the comma is the decimal mark
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the file is empty (no header row).") from None
    columns = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in GENERIC_REQUIRED if c not in columns]
    if missing:
        raise InputError(f"line 1: the header lacks {', '.join(missing)} "
                         f"(expected {', '.join(GENERIC_COLUMNS)}).")
    index = {name: columns.index(name) for name in GENERIC_COLUMNS if name in columns}
    kinds = _source_kinds(ws)
    owner = _bare_id_owner(ws, kinds) if source is None else None
    currency_of = _currency_lookup(ws)
    lines: list[tuple[str, OrderLine]] = []
    problems: list[RowProblem] = []
    rows = 0
    line_no = 1
    for record in reader:
        line_no = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        rows += 1
        cell = {name: (record[i].strip() if i < len(record) else "") for name, i in index.items()}
        try:
            lines.append(_generic_line(cell, source or (owner(cell.get("product", "")) if owner else None),
                                       kinds, tz, default_currency, currency_of))
        except (ValueError, InputError) as exc:
            problems.append(RowProblem(line_no, str(exc)))
    return lines, problems, rows


def _generic_line(cell: Mapping[str, str], source: str | None, kinds: Mapping[str, str], tz: str,
                  default_currency: str, currency_of: Callable[[str, str], str | None] = lambda s, n: None
                  ) -> tuple[str, OrderLine]:
    order_id = cell.get("order_id", "")
    if not order_id:
        raise ValueError("order_id is empty")
    product = cell.get("product", "")
    if ":" in product:
        src, native = product.split(":", 1)
    elif product and source:
        src, native = source, product
    elif product:
        raise ValueError(f"product {product!r} has no SOURCE: prefix (write SOURCE:ID or pass --source)")
    else:
        raise ValueError("product is empty")
    if not src or not native:
        raise ValueError(f"product {product!r} is not SOURCE:ID")
    raw_status = cell.get("status", "")
    if not raw_status:
        raise ValueError("status is empty")
    status = _status_for(raw_status, kinds.get(src))
    currency = (cell.get("currency") or currency_of(src, native) or default_currency).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
    amount = Money.from_decimal(_decimal(cell.get("amount", ""), "amount"), currency)
    commission_text = cell.get("commission", "")
    commission = Money.from_decimal(_decimal(commission_text, "commission"), currency) if commission_text \
        else Money.zero(currency)
    if not cell.get("ordered_at"):
        raise ValueError("ordered_at is empty")
    times: dict[str, datetime] = {}
    for name in ("ordered_at", "updated_at"):
        if cell.get(name):
            try:
                times[name] = parse_local(cell[name], tz)
            except InputError:
                raise ValueError(f"{name} {cell[name]!r} is not an ISO 8601 time") from None
    ordered = times["ordered_at"]
    updated = times.get("updated_at", ordered)
    line = OrderLine(
        row_id=f"{order_id}:{native}", order_id=order_id, status=status, raw_status=raw_status,
        amount=amount, commission=commission, ordered_at=ordered, updated_at=updated,
        product_native_id=native, channel=cell.get("channel", ""),
        settled_at=updated if status == "settled" else None,
    )
    return src, line


def _bare_id_owner(ws: Any, kinds: Mapping[str, str]) -> Callable[[str], str | None]:
    """For a ``product`` without ``SOURCE:``: the one stored product's source with that native id,
    else the only configured source, else None (the row is then refused)."""
    only = next(iter(kinds)) if len(kinds) == 1 else None

    def owner(native: str) -> str | None:
        if not native or ":" in native:
            return None
        found = {r[0] for r in ws.db.execute("SELECT source FROM products WHERE native_id = ?", (native,))}
        return next(iter(found)) if len(found) == 1 else (only if not found else None)

    return owner


def _currency_lookup(ws: Any) -> Callable[[str, str], str | None]:
    """For a row with an empty ``currency``: the stored product's currency, else its source's
    configured ``currency`` (the workspace currency comes after both)."""
    sources = ws.config.get("sources") or {}

    def currency_of(source: str, native: str) -> str | None:
        row = ws.db.execute("SELECT currency FROM products WHERE source = ? AND native_id = ?",
                            (source, native)).fetchone()
        if row is not None and row[0]:
            return str(row[0])
        table = sources.get(source)
        return str(table["currency"]) if isinstance(table, Mapping) and table.get("currency") else None

    return currency_of


def _source_kinds(ws: Any) -> dict[str, str]:
    sources = ws.config.get("sources") or {}
    return {name: str(table.get("kind")) for name, table in sources.items() if isinstance(table, Mapping)}


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


def _amazon_source(ws: Any, source: str | None) -> tuple[str, dict[str, Any]]:
    sources = ws.config.get("sources") or {}
    if source:
        table = sources.get(source)
        if not isinstance(table, Mapping):
            known = ", ".join(n for n in sorted(sources) if isinstance(sources[n], Mapping)
                              and sources[n].get("kind") == "amazon") or "none configured"
            raise NotFoundError(f"--source {source}: no such source in {ws.config.path} (amazon sources: {known}).")
        if table.get("kind") != "amazon":
            raise InputError(f"--source {source} is a {table.get('kind')} source, not an amazon one.")
        return source, dict(table)
    for name in sorted(sources):
        if isinstance(sources[name], Mapping) and sources[name].get("kind") == "amazon":
            return name, dict(sources[name])
    return "amazon", {}


def tag_channels(ws: Any) -> dict[str, str]:
    """Tracking id -> channel name, from ``[channels.NAME] amazon_tag``."""
    tables = ws.config.get("channels") or {}
    return {str(t["amazon_tag"]).strip(): name for name, t in tables.items()
            if isinstance(t, Mapping) and t.get("amazon_tag")}


def _parse_amazon(ws: Any, conn: sqlite3.Connection, text: str, source: str | None
                  ) -> tuple[list[tuple[str, OrderLine]], list[RowProblem], int, str]:
    from ..sources.amazon import MARKETPLACE_CURRENCY, marketplace_host

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
                    amount=Money.from_decimal(abs(revenue), currency),
                    commission=Money.from_decimal(abs(fees), currency),
                    ordered_at=ordered_at or when, updated_at=when, product_native_id=asin,
                    product_title=get("name") or None, channel=channel, quantity=qty, extra=extra)
            else:
                line = OrderLine(
                    row_id=row_key, order_id=row_key, status="pending", raw_status="ordered",
                    amount=Money.from_decimal(revenue, currency), commission=Money.zero(currency),
                    ordered_at=when, updated_at=when, product_native_id=asin, product_title=get("name") or None,
                    channel=channel, quantity=qty, extra=extra)
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


# the entry point ------------------------------------------------------------------------------
def import_orders(ws: Any, path: str | Path, fmt: str, strict: bool = False, *,
                  source: str | None = None) -> ImportResult:
    """Import the order file at ``path`` in format ``fmt`` (``csv`` or ``amazon``) in one transaction."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown order file format {fmt!r} (use {' or '.join(FORMATS)}).")
    path = Path(path).expanduser()
    data, text, encoding = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    result = ImportResult(path=str(path), format=fmt, sha256=digest, encoding=encoding)
    conn = ws.db
    if conn.execute("SELECT 1 FROM imports WHERE sha256 = ?", (digest,)).fetchone():
        result.already_imported = True
        return result
    with transaction(conn):
        try:
            if fmt == "csv":
                lines, problems, rows = _parse_generic(ws, text, source)
            else:
                lines, problems, rows, result.report = _parse_amazon(ws, conn, text, source)
        except InputError as exc:
            raise InputError(f"{path}: {exc.message}") from None
        result.rows, result.skipped, result.imported = rows, problems, len(lines)
        if problems and strict:
            shown = "; ".join(f"line {p.line}: {p.error}" for p in problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise InputError(f"{path}: {len(problems)} bad row(s), nothing imported: {shown}{more}.")
        counts = UpsertCounts()
        for src, group in _group(lines).items():
            counts.add(upsert_order_lines(conn, src, group))
        result.inserted, result.updated, result.unchanged = counts.inserted, counts.updated, counts.unchanged
        result.ignored = counts.ignored
        result.unknown_statuses = sorted(counts.unknown_statuses)
        result.sources = sorted({src for src, _ in lines})
        conn.execute("INSERT INTO imports (sha256, path, format, rows, imported_at) VALUES (?,?,?,?,?)",
                     (digest, str(path.absolute()), fmt, len(lines), to_utc_iso(utcnow())))
    return result


def _group(lines: Iterable[tuple[str, OrderLine]]) -> dict[str, list[OrderLine]]:
    groups: dict[str, list[OrderLine]] = {}
    for src, line in lines:
        groups.setdefault(src, []).append(line)
    return groups


def demo_step(ws: Any, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Demo: import the bundled generic order CSV (products ``demo:SK1001``...; they need not exist)."""
    path = Path(examples) / "orders" / "demo-orders.csv"
    result = import_orders(ws, path, "csv")
    if result.already_imported:
        say(f"orders: {path.name} was already imported; nothing changed")
    else:
        say(f"orders: imported {result.imported} order lines from {path.name} "
            f"({result.inserted} new, {result.updated} updated, {len(result.skipped)} skipped)")
    return {"step": "orders import", "done": True, "file": str(path), "inserted": result.inserted,
            "updated": result.updated, "already_imported": result.already_imported}


__all__ = ["FORMATS", "ImportResult", "RowProblem", "decode_bytes", "demo_step", "import_orders", "tag_channels"]
