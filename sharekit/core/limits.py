"""Every bound sharekit puts on what users and suppliers hand it, in one place.

The defaults are far above anything a reseller meets (a poster is ~1080×1920, a feed a few
MB, a report spans months) and far below what exhausts a laptop. Crossing one is a one-line
error naming the value, never a traceback or a machine out of memory.
"""

from __future__ import annotations

from datetime import timedelta

from ..errors import InputError

# Posters: checked when a template loads.
MAX_CANVAS_SIDE = 4096          # pixels per side; 4096² RGBA is 64 MB
MAX_FONT_SIZE = 1000            # pixels; a glyph larger than a quarter canvas is a typo
MAX_BLOCK_OFFSET = 4 * MAX_CANVAS_SIDE  # x, y, w, h of a block (negative margins allowed down to -this)

# Durations typed on the command line (--since 7d, --expires 2w): ten years either way.
MAX_DURATION = timedelta(days=3660)
# --limit N of any listing.
MAX_LIST_LIMIT = 10_000_000
# Days a `report --by day` may cover (rows are only emitted for days that have data).
MAX_REPORT_DAYS = 3660

# Money: more minor units than this (¥10,000,000,000.00) is not a reseller's order or price.
MAX_MINOR = 10**12

# Downloads. ``timeout`` of a download is the TOTAL time for one file, not per read.
DEFAULT_IMAGE_MAX_MB = 15
DEFAULT_IMAGE_TIMEOUT = 20.0
DEFAULT_FEED_MAX_MB = 200
DEFAULT_FEED_TIMEOUT = 300.0

# Structured feeds: nesting deeper than this is not a product list.
MAX_JSON_DEPTH = 64

# A full listing that yields fewer than this share of the known catalog marks nothing unavailable.
DEFAULT_MIN_LISTING_SHARE = 0.5


def check_limit(value: int | None, param: str = "limit") -> int | None:
    """``value`` if it is a usable row count; InputError (one line) when it is out of range."""
    if value is None:
        return None
    if value < 1 or value > MAX_LIST_LIMIT:
        raise InputError(f"`{param}` {value} is out of range: use 1 to {MAX_LIST_LIMIT:,}.", params=(param,))
    return value


def check_duration(amount: int, unit: str, text: str, param: str) -> timedelta:
    """``amount`` ``unit`` (``seconds``/``minutes``/``hours``/``days``/``weeks``) as a timedelta
    no longer than MAX_DURATION; InputError naming the argument ``param`` and ``text`` otherwise."""
    seconds = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}[unit]
    if amount * seconds > MAX_DURATION.total_seconds():
        raise InputError(f"`{param}` {text!r} is too long: at most {MAX_DURATION.days} days.", params=(param,))
    return timedelta(seconds=amount * seconds)


def megabytes(config: object, key: str, default: float) -> int:
    """Bytes from a ``*.max_mb`` config key, read defensively (a bad value falls back to ``default``
    here; the config schema reports it when the file loads)."""
    value = _number(config, key, default)
    return int(value * 1024 * 1024)


def seconds(config: object, key: str, default: float) -> float:
    """Seconds from a ``*.timeout`` config key, read defensively like :func:`megabytes`."""
    return _number(config, key, default)


def share(config: object, key: str, default: float) -> float:
    """A fraction 0..1 from config (``catalog.min_listing_share``), read defensively."""
    return min(1.0, _number(config, key, default, allow_zero=True))


def _number(config: object, key: str, default: float, *, allow_zero: bool = False) -> float:
    getter = getattr(config, "get", None)
    raw = getter(key, default) if callable(getter) else default
    if isinstance(raw, bool):
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return default
    if value != value or value in (float("inf"), float("-inf")):
        return default
    if value < 0 or (value == 0 and not allow_zero):
        return default
    return value
