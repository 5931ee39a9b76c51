"""upsert_order_lines (batched look-up and writes) stores exactly what one statement per line stored."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharekit.core.money import Money
from sharekit.core.timeutil import to_utc_iso, utcnow
from sharekit.orders.store import RANK, STATUSES, upsert_order_lines
from sharekit.sources.base import OrderLine
from sharekit.store.db import open_db, transaction


def reference_upsert(conn: sqlite3.Connection, source: str, lines: list[OrderLine]) -> tuple[int, int, int, int,
                                                                                          set[str]]:
    """The former one-SELECT-per-line implementation, kept as the specification (with the
    forward-only status rule: an older state is kept in the history as ignored, once)."""
    inserted = updated = unchanged = ignored = 0
    unknown: set[str] = set()
    now = to_utc_iso(utcnow())
    with transaction(conn):
        for line in lines:
            if line.status not in STATUSES:
                raise ValueError(f"bad normalised status {line.status!r}")
            if line.status == "unknown":
                unknown.add(line.raw_status)
            key = f"{source}:{line.row_id}"
            product_id = f"{source}:{line.product_native_id}" if line.product_native_id else None
            updated_at = to_utc_iso(line.updated_at)
            row = conn.execute("SELECT status, raw_status, commission_minor, amount_minor, updated_at, channel,"
                               " settled_at FROM orders WHERE id = ?", (key,)).fetchone()
            settled_at = to_utc_iso(line.settled_at) if line.settled_at else None
            if row is not None and row[6]:
                settled_at = row[6]
            if line.status == "settled" and settled_at is None:
                settled_at = updated_at
            values = (source, line.order_id, product_id, line.product_title, line.channel or "", line.status,
                      line.raw_status, line.amount.currency, line.amount.minor, line.commission.minor,
                      line.list_amount.minor if line.list_amount else None, line.quantity, line.refund_tag,
                      to_utc_iso(line.ordered_at), updated_at, settled_at,
                      json.dumps(line.extra, ensure_ascii=False, sort_keys=True), now)
            if row is None:
                conn.execute("INSERT INTO orders (source, order_id, product_id, product_title, channel, status,"
                             " raw_status, currency, amount_minor, commission_minor, list_amount_minor, quantity,"
                             " refund_tag, ordered_at, updated_at, settled_at, extra, fetched_at, id)"
                             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (*values, key))
                conn.execute("INSERT INTO order_status_history (order_line, status, raw_status, commission_minor,"
                             " changed_at, recorded_at) VALUES (?,?,?,?,?,?)",
                             (key, line.status, line.raw_status, line.commission.minor, updated_at, now))
                inserted += 1
                continue
            same = (row[0], row[1], row[2], row[3], row[5]) == (
                line.status, line.raw_status, line.commission.minor, line.amount.minor, line.channel or "")
            if same or updated_at < row[4]:
                unchanged += 1
                continue
            if line.status != row[0] and (row[0] == "invalid" or RANK[line.status] < RANK[row[0]]):
                ignored += 1
                seen = conn.execute("SELECT 1 FROM order_status_history WHERE order_line = ? AND ignored = 1"
                                    " AND raw_status = ? AND changed_at = ?", (key, line.raw_status, updated_at))
                if seen.fetchone() is None:
                    conn.execute("INSERT INTO order_status_history (order_line, status, raw_status,"
                                 " commission_minor, changed_at, recorded_at, ignored) VALUES (?,?,?,?,?,?,1)",
                                 (key, line.status, line.raw_status, line.commission.minor, updated_at, now))
                continue
            conn.execute("UPDATE orders SET source=?, order_id=?, product_id=?, product_title=?, channel=?, status=?,"
                         " raw_status=?, currency=?, amount_minor=?, commission_minor=?, list_amount_minor=?,"
                         " quantity=?, refund_tag=?, ordered_at=?, updated_at=?, settled_at=?, extra=?, fetched_at=?"
                         " WHERE id=?", (*values, key))
            if (row[0], row[1], row[2]) != (line.status, line.raw_status, line.commission.minor):
                conn.execute("INSERT INTO order_status_history (order_line, status, raw_status, commission_minor,"
                             " changed_at, recorded_at) VALUES (?,?,?,?,?,?)",
                             (key, line.status, line.raw_status, line.commission.minor, updated_at, now))
            updated += 1
    return inserted, updated, unchanged, ignored, unknown


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("orders-upsert") / "template.sqlite3"
    open_db(path).close()
    return path


def fresh(template: Path) -> sqlite3.Connection:
    source = sqlite3.connect(template)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    source.backup(conn)
    source.close()
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {
        "orders": list(conn.execute("SELECT id, source, order_id, product_id, product_title, channel, status,"
                                    " raw_status, currency, amount_minor, commission_minor, list_amount_minor,"
                                    " quantity, refund_tag, ordered_at, updated_at, settled_at, extra"
                                    " FROM orders ORDER BY id")),
        # ignored reports are written after the page's other history rows: compared apart
        "history": list(conn.execute("SELECT order_line, status, raw_status, commission_minor, changed_at"
                                     " FROM order_status_history WHERE ignored = 0 ORDER BY id")),
        "ignored": list(conn.execute("SELECT order_line, status, raw_status, commission_minor, changed_at"
                                     " FROM order_status_history WHERE ignored = 1 ORDER BY id")),
        "hourly": list(conn.execute("SELECT * FROM report_hourly WHERE orders <> 0 ORDER BY 1, 2, 3")),
        "daily": list(conn.execute("SELECT * FROM report_daily WHERE orders <> 0 ORDER BY 1, 2, 3, 4, 5")),
    }


BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8))


@st.composite
def order_lines(draw: st.DrawFn) -> OrderLine:
    row = draw(st.sampled_from(["r1", "r2", "r3", "r4", "r5"]))
    status = draw(st.sampled_from(STATUSES))
    raw = draw(st.sampled_from(["paid", "done", "void", "??"]))
    amount = draw(st.integers(0, 3))
    commission = draw(st.integers(0, 3))
    tz = draw(st.sampled_from([UTC, CST]))
    updated = (BASE + timedelta(hours=draw(st.integers(0, 5)), microseconds=draw(st.sampled_from([0, 0, 7])))
               ).astimezone(tz)
    ordered = BASE - timedelta(hours=draw(st.integers(0, 30)))
    return OrderLine(
        row_id=row, order_id=f"O-{row}", status=status, raw_status=raw,
        amount=Money(amount * 100, "CNY"), commission=Money(commission * 10, "CNY"),
        ordered_at=ordered, updated_at=updated,
        product_native_id=draw(st.sampled_from([None, "SKU1"])),
        product_title=draw(st.sampled_from([None, "保温杯"])),
        channel=draw(st.sampled_from(["", "group-a", "moments"])),
        list_amount=draw(st.sampled_from([None, Money(500, "CNY")])),
        quantity=draw(st.sampled_from([None, 1, 2])),
        refund_tag=draw(st.sampled_from([None, "refund"])),
        settled_at=draw(st.sampled_from([None, BASE + timedelta(days=3)])),
        extra=draw(st.sampled_from([{}, {"b": 1, "a": "券"}])),
    )


@settings(max_examples=60, deadline=None)
@given(pages=st.lists(st.lists(order_lines(), max_size=8), min_size=1, max_size=4))
def test_batched_upsert_stores_what_one_statement_per_line_stored(template: Path, pages: list[list[OrderLine]]) -> None:
    ours, ref = fresh(template), fresh(template)
    try:
        for page in pages:
            got = upsert_order_lines(ours, "jd", page)
            want = reference_upsert(ref, "jd", page)
            assert (got.inserted, got.updated, got.unchanged, got.ignored, got.unknown_statuses) == want
        assert dump(ours) == dump(ref)
    finally:
        ours.close()
        ref.close()


def test_a_repeated_line_in_one_page_is_inserted_once_then_updated_with_history(ws) -> None:
    first = OrderLine("r1", "O1", "pending", "paid", Money(1000, "CNY"), Money(100, "CNY"), BASE, BASE)
    later = OrderLine("r1", "O1", "settled", "done", Money(1000, "CNY"), Money(120, "CNY"), BASE,
                      BASE + timedelta(days=1))
    stale = OrderLine("r1", "O1", "invalid", "void", Money(1000, "CNY"), Money(0, "CNY"), BASE, BASE)
    counts = upsert_order_lines(ws.db, "jd", [first, later, stale])
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 1)
    assert [tuple(r) for r in ws.db.execute("SELECT status, commission_minor FROM orders")] == [("settled", 120)]
    history = ws.db.execute("SELECT status, commission_minor FROM order_status_history ORDER BY id")
    assert [tuple(r) for r in history] == [("pending", 100), ("settled", 120)]


def test_a_bad_status_writes_nothing(ws) -> None:
    good = OrderLine("r1", "O1", "pending", "paid", Money(1000, "CNY"), Money(100, "CNY"), BASE, BASE)
    bad = OrderLine("r2", "O2", "lost", "x", Money(1000, "CNY"), Money(100, "CNY"), BASE, BASE)
    with pytest.raises(ValueError, match="bad normalised status"):
        upsert_order_lines(ws.db, "jd", [good, bad])
    assert ws.db.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
