"""Typed settings: one :class:`Setting` per config key (its type, default, range and help).

The app's keys are declared in ``sharekit.store.config_schema``; each source kind declares its
own ``[sources.NAME]`` keys on its class (``Source.settings_keys``) with the same :class:`Setting`.
:func:`check` returns why a value does not fit (or None), so callers can name file, line and key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Value kinds: how a value is typed in TOML and checked.
KINDS = ("str", "text", "int", "number", "bool", "list", "str_or_list", "color", "currency", "timezone",
         "url", "duration", "table", "scalar")

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
# Codes that look like currencies but are not money (no currency, testing).
_NOT_MONEY = frozenset({"XXX", "XTS"})
_COMMON_CODES = frozenset({"CNY", "USD", "EUR", "GBP", "JPY", "HKD", "TWD", "KRW", "INR", "AUD", "CAD", "SGD",
                           "MYR", "THB", "VND", "PHP", "IDR", "CHF", "NZD", "MOP"})


@dataclass(frozen=True)
class Setting:
    """One config key: ``kind`` (see KINDS), default, allowed range or choices, and help text."""

    kind: str = "str"
    default: Any = None
    help: str = ""
    min: float | None = None        # inclusive lower bound (numbers)
    max: float | None = None        # inclusive upper bound (numbers)
    above: float | None = None      # exclusive lower bound: rates > 0
    choices: tuple[str, ...] = ()
    secret: bool = False

    def describe(self) -> str:
        """The type and range as it reads after "must be" (also the README's type column)."""
        words = {"str": "text", "text": "text (\\n for a new line)", "int": "an integer", "number": "a number",
                 "bool": "true or false", "list": "a list of text", "str_or_list": "text or a list of text",
                 "color": "a colour name or #hex", "currency": "an ISO 4217 code", "timezone": "a time zone",
                 "url": "an http(s) URL", "duration": "a duration (30m, 24h, 7d)", "table": "a table",
                 "scalar": "text, a number or true/false"}
        if self.choices:
            return "one of " + ", ".join(self.choices)
        text = words.get(self.kind, self.kind)
        bounds = []
        if self.above is not None:
            bounds.append(f"> {_num(self.above)}")
        if self.min is not None and self.max is not None:
            bounds.append(f"from {_num(self.min)} to {_num(self.max)}")
        elif self.min is not None:
            bounds.append(f"≥ {_num(self.min)}")
        elif self.max is not None:
            bounds.append(f"≤ {_num(self.max)}")
        if bounds:
            text += " " + " and ".join(bounds)
        return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def is_currency_code(code: str) -> bool:
    """True for an active ISO 4217 currency code (``CNY``, ``USD``; not ``XXXX`` or ``XXX``)."""
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code.strip().upper()):
        return False
    code = code.strip().upper()
    if code in _COMMON_CODES:
        return True
    if code in _NOT_MONEY:
        return False
    from iso4217 import Currency  # the maintained ISO 4217 table (imported only for uncommon codes)

    try:
        Currency(code)
    except ValueError:
        return False
    return True


def is_color(value: str) -> bool:
    """True for ``#rgb``/``#rrggbb``(``aa``) or a CSS colour name Pillow knows (``red``, ``teal``)."""
    if not isinstance(value, str):
        return False
    if _HEX.match(value.strip()):
        return True
    from PIL import ImageColor

    return value.strip().lower() in ImageColor.colormap


def parse_duration_seconds(text: str) -> int | None:
    """``"24h"`` -> 86400; None when it is not ``<number><s|m|h|d|w>``."""
    m = _DURATION.match(str(text))
    if not m:
        return None
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]


def unescape(text: str) -> str:
    r"""Turn ``\n``, ``\t`` and ``\\`` typed in a template into the characters they name."""
    return re.sub(r"\\(\\|n|t)", lambda m: {"\\": "\\", "n": "\n", "t": "\t"}[m.group(1)], text)


def type_word(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) <= 40 else "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def check(setting: Setting, value: Any) -> str | None:
    """Why ``value`` does not fit ``setting`` ("must be …, not …"), or None when it does."""
    kind = setting.kind
    bad = f"must be {setting.describe()}, not {type_word(value)}"
    if isinstance(value, str) and "${" in value and kind not in ("table",):
        return None  # resolved from the environment when used; checked there
    if kind == "table":
        return None if isinstance(value, dict) else bad
    if isinstance(value, dict):
        return bad
    if kind == "scalar":
        return None if isinstance(value, str | int | float | bool) else bad
    if kind in ("str", "text", "url", "timezone", "color", "currency", "duration"):
        if not isinstance(value, str):
            return bad
        if setting.choices and value not in setting.choices:
            return bad + _did_you_mean(value, setting.choices)
        if kind == "color" and not is_color(value):
            from PIL import ImageColor

            near = "" if value.startswith("#") else _did_you_mean(value.strip().lower(), ImageColor.colormap)
            return f"must be a colour name (red, teal) or #hex (#E4393C), not {value!r}{near}"
        if kind == "currency" and not is_currency_code(value):
            return f"must be an ISO 4217 currency code (CNY, USD), not {value!r}"
        if kind == "url" and value and not re.match(r"^https?://[^\s/]+", value):
            return f"must be an http(s):// URL, not {value!r}"
        if kind == "duration" and parse_duration_seconds(value) is None:
            return f"must be a duration such as 30m, 24h or 7d, not {value!r}"
        if kind == "timezone":
            try:
                from zoneinfo import ZoneInfo

                ZoneInfo(value)
            except Exception:
                from zoneinfo import available_timezones

                return f"must be a known time zone (Asia/Shanghai), not {value!r}" + _did_you_mean(
                    value, available_timezones())
        return None
    if kind == "bool":
        return None if isinstance(value, bool) else bad
    if kind == "list":
        return None if isinstance(value, list) and all(isinstance(v, str) for v in value) else bad
    if kind == "str_or_list":
        ok = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        return None if ok else bad
    if kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float if kind == "number" else int):
            return bad
        if value != value or value in (float("inf"), float("-inf")):
            return bad
        low = setting.above is not None and not value > setting.above
        if low or setting.min is not None and value < setting.min or setting.max is not None and value > setting.max:
            return f"must be {setting.describe()}, not {value}"
        return None
    return None


def _did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """``"; did you mean red?"`` for the candidate closest to ``value``, else ``""``."""
    found = difflib.get_close_matches(str(value), sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean {found[0]}?" if found else ""


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to a mistyped ``name`` (``brand.colour`` -> ``brand.color``), if any is close."""
    pool = list(candidates)
    found = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if found:
        return found[0]
    last = name.rsplit(".", 1)[-1]
    by_last = {c.rsplit(".", 1)[-1]: c for c in pool}
    found = difflib.get_close_matches(last, list(by_last), n=1, cutoff=0.6)
    return by_last[found[0]] if found else None


def typed_from_text(setting: Setting | None, raw: str) -> Any:
    """A value typed on the command line, as the key's type wants it (``"9090"`` -> 9090).

    Raises ValueError with the reason when the text cannot be that type.
    """
    import tomllib

    if setting is None:
        try:
            return tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            return raw
    kind = setting.kind
    if kind in ("str", "text", "url", "timezone", "color", "currency", "duration"):
        value: Any = unescape(raw) if kind == "text" else raw
        return value.upper() if kind == "currency" else value
    if kind == "str_or_list" and not raw.lstrip().startswith("["):
        return raw
    if "${" in raw:
        return raw
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    if kind == "number" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "list" and isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value
