"""When a product's coupon (or sale price) stops, from what each source stored in ``extra``.

- JD: ``coupon_end_ms``, the best coupon's ``useEndTime`` (ms since the epoch).
- Pinduoduo: ``coupon_end``, ``coupon_end_time`` (Unix seconds).
- Taobao: ``coupon_end`` (ms since the epoch, a promotion's ``promotion_end_time``, or a
  ``yyyy-MM-dd[ HH:mm:ss]`` wall-clock text from the older material API).

Texts without an offset are read in the configured timezone (Asia/Shanghai by default).
- Feeds: a ``coupon_end`` column (ISO date or time; a date means through that whole day) and
  ``sale_price_effective_date`` (``start/end`` ISO 8601 range: the sale ends at ``end``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_end(value: Any, tz: str = "Asia/Shanghai") -> datetime | None:
    """One end-time value as UTC: epoch ms or seconds, an ISO date (end of that day in ``tz``) or time."""
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        seconds = number / 1000 if number > 10_000_000_000 else number  # ms since the epoch vs seconds
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    try:
        if _DATE.match(text):
            day = date.fromisoformat(text) + timedelta(days=1)
            return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)


def coupon_end(extra: Mapping[str, Any] | None, tz: str = "Asia/Shanghai") -> datetime | None:
    """When the product's coupon or sale price ends (UTC), or None when the source did not say."""
    if not extra:
        return None
    ends: list[datetime] = []
    for key in ("coupon_end_ms", "coupon_end_time", "coupon_end"):
        moment = parse_end(extra.get(key), tz)
        if moment is not None:
            ends.append(moment)
    effective = extra.get("sale_price_effective_date")
    if isinstance(effective, str) and "/" in effective:
        moment = parse_end(effective.split("/", 1)[1], tz)
        if moment is not None:
            ends.append(moment)
    return min(ends) if ends else None
