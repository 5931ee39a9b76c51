"""The generic order CSV: ``order_id, product, channel, status, amount, commission, currency,
ordered_at, updated_at`` (statuses normalised or the source kind's raw codes), and optionally
``list_amount`` (the line's price before discounts and coupons, for the savings figures) and
``buyer`` (any stable hint of who bought, e.g. a WeChat nickname or member number: stored only as
a hash, to count a channel's buyers and repeat buyers; JD, PDD and Taobao exports carry none)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from ...core.money import Money, is_currency
from ...core.timeutil import parse_local, utcnow
from ...errors import InputError
from ...sources.base import OrderLine
from ..store import STATUSES
from .common import RowProblem, _decimal, check_line, known_sources

if TYPE_CHECKING:
    from ...store.workspace import Workspace

GENERIC_COLUMNS = ("order_id", "product", "channel", "status", "amount", "commission", "currency",
                   "ordered_at", "updated_at", "list_amount", "buyer")
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
def buyer_hint(text: str) -> str:
    """A buyer hint as stored: a short hash of the trimmed text (who bought is never kept in clear)."""
    import hashlib

    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


# generic CSV ----------------------------------------------------------------------------------
@cache
def _kind_status(kind: str) -> dict[str, str]:
    """The raw status codes a kind's own orders carry -> normalised (JD validCode, PDD order_status)."""
    if kind == "jd":
        from ...sources import jd

        return {**{str(c): "pending" for c in jd.PENDING_CODES}, **{str(c): "confirmed" for c in jd.CONFIRMED_CODES},
                **{str(c): "invalid" for c in jd.INVALID_CODES}}
    if kind == "pdd":
        from ...sources import pdd

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


def _parse_generic(ws: Workspace, text: str, source: str | None
                   ) -> tuple[list[tuple[str, OrderLine]], list[RowProblem], int]:
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
    now = utcnow()
    known = known_sources(ws)
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
                                       kinds, tz, default_currency, currency_of, now, known))
        except (ValueError, InputError) as exc:
            problems.append(RowProblem(line_no, str(exc)))
    return lines, problems, rows


def _generic_line(cell: Mapping[str, str], source: str | None, kinds: Mapping[str, str], tz: str,
                  default_currency: str, currency_of: Callable[[str, str], str | None] = lambda s, n: None,
                  now: datetime | None = None, known: Iterable[str] = ()) -> tuple[str, OrderLine]:
    order_id = cell.get("order_id", "")
    if not order_id:
        raise ValueError("order_id is empty")
    product = cell.get("product", "")
    if ":" in product:
        src, native = product.split(":", 1)
    elif product and source:
        src, native = source, product
    elif product:
        raise ValueError(f"product {product!r} has no SOURCE: prefix (write SOURCE:ID, or name the file's source)")
    else:
        raise ValueError("product is empty")
    if not src or not native:
        raise ValueError(f"product {product!r} is not SOURCE:ID")
    raw_status = cell.get("status", "")
    if not raw_status:
        raise ValueError("status is empty")
    status = _status_for(raw_status, kinds.get(src))
    currency = (cell.get("currency") or currency_of(src, native) or default_currency).upper()
    if not re.fullmatch(r"[A-Z]{3}", currency) or not is_currency(currency):
        raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
    amount = Money.from_decimal(_decimal(cell.get("amount", ""), "amount"), currency, exact=True)
    commission_text = cell.get("commission", "")
    commission = Money.from_decimal(_decimal(commission_text, "commission"), currency, exact=True) \
        if commission_text else Money.zero(currency)
    list_text = cell.get("list_amount", "")
    list_amount = Money.from_decimal(_decimal(list_text, "list_amount"), currency, exact=True) if list_text else None
    if list_amount is not None and list_amount.minor < amount.minor:
        raise ValueError(f"list_amount {list_text} is below amount {cell.get('amount')}")
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
        product_native_id=native, channel=cell.get("channel", ""), list_amount=list_amount,
        settled_at=updated if status == "settled" else None,
        extra={"buyer": buyer_hint(cell["buyer"])} if cell.get("buyer", "").strip() else {},
    )
    check_line(src, line, known, now or utcnow())
    return src, line


def _bare_id_owner(ws: Workspace, kinds: Mapping[str, str]) -> Callable[[str], str | None]:
    """For a ``product`` without ``SOURCE:``: the one stored product's source with that native id,
    else the only configured source, else None (the row is then refused)."""
    only = next(iter(kinds)) if len(kinds) == 1 else None

    def owner(native: str) -> str | None:
        if not native or ":" in native:
            return None
        found = {r[0] for r in ws.db.execute("SELECT source FROM products WHERE native_id = ?", (native,))}
        return next(iter(found)) if len(found) == 1 else (only if not found else None)

    return owner


def _currency_lookup(ws: Workspace) -> Callable[[str, str], str | None]:
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


def _source_kinds(ws: Workspace) -> dict[str, str]:
    sources = ws.config.get("sources") or {}
    return {name: str(table.get("kind")) for name, table in sources.items() if isinstance(table, Mapping)}
