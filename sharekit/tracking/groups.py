"""Group shops (群店): a channel's spending threshold counted per week, per month or over all time.

A supplier's group deal unlocks when a group's members together spend a threshold; platforms such
as 鹅品品 count that spending per week or per month and start again at zero. The period is kept
beside the channel (``channel_periods``); ``none`` (or no row) counts over the report's span.
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
        conn.execute("INSERT INTO channel_periods (channel, period) VALUES (?, ?)"
                     " ON CONFLICT (channel) DO UPDATE SET period = excluded.period", (channel, value))
    return value


def channel_periods(conn: sqlite3.Connection) -> dict[str, str]:
    """Every channel's threshold period (channels without one are absent: ``none``)."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT p.channel, p.period FROM channel_periods p JOIN channels c ON c.name = p.channel")}


def period_of(conn: sqlite3.Connection, channel: str) -> str:
    """The threshold period of ``channel``: week, month or none."""
    row = conn.execute("SELECT period FROM channel_periods WHERE channel = ?", (channel,)).fetchone()
    return row[0] if row else "none"
