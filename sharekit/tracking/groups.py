"""Group shops (群店): a channel's spending threshold counted per week, per month or over all time.

A supplier's group deal unlocks when a group's members together spend a threshold; platforms such
as 鹅品品 count that spending per week or per month and start again at zero. The period is the
channel's ``threshold_period``; ``none`` (or NULL) counts over the report's span.
"""

from __future__ import annotations

import sqlite3

from ..errors import InputError
from ..store.db import transaction
from .channels import get_channel

PERIODS = ("week", "month", "none")


def check_period(period: str) -> str:
    """``period`` if it is week, month or none; else InputError."""
    value = (period or "").strip().lower()
    if value not in PERIODS:
        raise InputError(f"Period {period!r} is not one of {', '.join(PERIODS)}.")
    return value


def set_period(conn: sqlite3.Connection, channel: str, period: str) -> str:
    """Store the threshold period of ``channel`` (which must exist) in one transaction."""
    value = check_period(period)
    get_channel(conn, channel)
    with transaction(conn):
        conn.execute("UPDATE channels SET threshold_period = ? WHERE name = ?", (value, channel))
    return value


def channel_periods(conn: sqlite3.Connection) -> dict[str, str]:
    """Every channel's threshold period (channels without one are absent: ``none``)."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT name, threshold_period FROM channels WHERE threshold_period IS NOT NULL")}


def period_of(conn: sqlite3.Connection, channel: str) -> str:
    """The threshold period of ``channel``: week, month or none."""
    row = conn.execute("SELECT threshold_period FROM channels WHERE name = ?", (channel,)).fetchone()
    return row[0] if row and row[0] else "none"
