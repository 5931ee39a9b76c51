"""Times: the store keeps UTC ISO 8601; display and supplier wall clocks use a timezone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..errors import InputError
from .limits import check_duration

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc_iso(moment: datetime) -> str:
    """UTC ISO 8601 with offset, second precision: ``2026-11-26T02:00:00+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def from_iso(text: str) -> datetime:
    """Parse a stored ISO time (always has an offset)."""
    return datetime.fromisoformat(text)


def local_iso(text_or_dt: str | datetime | None, tz: str) -> str | None:
    """A stored UTC time shown in ``tz`` with its offset (``2026-11-26T10:00:00+08:00``)."""
    if text_or_dt is None:
        return None
    moment = from_iso(text_or_dt) if isinstance(text_or_dt, str) else text_or_dt
    return moment.astimezone(ZoneInfo(tz)).isoformat()


# Dates typed by a user or read from a file must fall in this span (no OverflowError at the edges).
MIN_YEAR, MAX_YEAR = 1970, 9000


def check_year(moment: date, text: str, param: str = "") -> None:
    """InputError (one line, naming the argument ``param``) when ``moment`` is outside MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        where = f"`{param}` " if param else ""
        raise InputError(f"{where}{text!r} is out of range: use a date between {MIN_YEAR} and {MAX_YEAR}.",
                         params=(param,) if param else ())


def relative(text: str, param: str = "since") -> timedelta | None:
    """``90m``/``12h``/``7d``/``2w`` as a timedelta (at most MAX_DURATION), None for other text."""
    m = _RELATIVE.match(text.strip())
    if m is None:
        return None
    return check_duration(int(m.group(1)), _UNITS[m.group(2)], text, param)


def parse_when(text: str, tz: str, *, now: datetime | None = None, param: str = "since") -> datetime:
    """Parse ``90m``, ``12h``, ``7d`` (ago), an ISO date, or an ISO time (no offset = ``tz``)."""
    s = text.strip()
    now = now or utcnow()
    delta = relative(s, param)
    if delta is not None:
        return now - delta
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", s):
            d = date.fromisoformat(s)
            check_year(d, text, param)
            return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)
        moment = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not a time: use an ISO date/time or 90m, 12h, 7d.") from None
    check_year(moment, text, param)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)


def parse_local(text: str, tz: str) -> datetime:
    """Parse an ISO time from a file; no offset means the configured ``tz``. Returns UTC."""
    s = text.strip().replace("/", "-")
    try:
        moment = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not an ISO 8601 time.") from None
    check_year(moment, text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)


CHINA = ZoneInfo("Asia/Shanghai")


def china_wall_clock(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in GMT+8, as JD and Taobao expect."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def parse_china_wall_clock(text: str) -> datetime:
    """A JD/Taobao ``yyyy-MM-dd HH:mm:ss`` (GMT+8) as an aware UTC datetime."""
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(UTC)
