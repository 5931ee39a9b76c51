"""Times: UTC in the store, the configured timezone for display and for suppliers' wall clocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sharekit.core.timeutil import (
    china_wall_clock,
    local_iso,
    parse_china_wall_clock,
    parse_local,
    parse_when,
    to_utc_iso,
)
from sharekit.errors import InputError

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def test_store_format_is_utc_with_offset_and_display_is_local_with_offset():
    assert to_utc_iso(datetime(2026, 11, 26, 10, 0, 30, 999, tzinfo=UTC)) == "2026-11-26T10:00:30+00:00"
    assert local_iso("2026-11-26T02:00:00+00:00", "Asia/Shanghai") == "2026-11-26T10:00:00+08:00"
    assert local_iso(None, "Asia/Shanghai") is None
    with pytest.raises(ValueError):
        to_utc_iso(datetime(2026, 11, 26))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", datetime(2026, 11, 26, 0, 30, tzinfo=UTC)),
        ("12h", datetime(2026, 11, 25, 14, 0, tzinfo=UTC)),
        ("7d", datetime(2026, 11, 19, 2, 0, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),  # midnight in Shanghai
        ("2026-11-20T08:00:00", datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
        ("2026-11-20T08:00:00Z", datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
        ("2026-11-20T08:00:00-05:00", datetime(2026, 11, 20, 13, 0, tzinfo=UTC)),
    ],
)
def test_parse_when_understands_relative_dates_and_iso_times(text, expected):
    assert parse_when(text, "Asia/Shanghai", now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "7x", "2026-13-01", ""])
def test_parse_when_refuses_other_text_naming_it(text):
    with pytest.raises(InputError) as info:
        parse_when(text, "Asia/Shanghai", now=NOW)
    assert repr(text) in str(info.value)


def test_file_times_without_offset_use_the_configured_zone():
    assert parse_local("2026/11/26 10:00:00", "Asia/Shanghai") == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert parse_local("2026-11-26T10:00:00+00:00", "Asia/Shanghai") == datetime(2026, 11, 26, 10, tzinfo=UTC)
    with pytest.raises(InputError):
        parse_local("26.11.2026", "UTC")


def test_china_wall_clock_round_trips():
    assert china_wall_clock(NOW) == "2026-11-26 10:00:00"
    assert parse_china_wall_clock("2026-11-26 10:00:00") == NOW
