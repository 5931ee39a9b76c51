"""Defects 4 and 5 (money and order rows) of the hostile-input issue: amounts parsed with the
currency's own minor units and a sane cap, ISO 4217 codes only, order rows no network sends
refused with their line numbers (and the whole file under --strict)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from sharekit.core.money import Money, is_currency, parse_money
from sharekit.errors import InputError

HEADER = "order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"


def _home(cli, home: Path) -> None:
    assert cli("init").exit_code == 0
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sources.demo]\nkind = "feed"\npath = "feed.csv"\n')


# money -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "currency", "message"), [
    ("1.999", "CNY", "more decimals than CNY has (2 decimals)"),
    ("100.5", "JPY", "more decimals than JPY has (no decimals)"),
    ("99999999999999999999999", "CNY", "too large an amount"),
    ("15.00 XYZ", None, "'XYZ' is not an ISO 4217 currency code"),
])
def test_exact_parsing_refuses_what_rounding_used_to_hide(text, currency, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_money(text, currency, exact=True)


def test_the_iso_table_holds_the_minor_units():
    assert is_currency("CNY") and is_currency("JPY") and is_currency("BHD") and not is_currency("XYZ")
    assert Money.from_decimal(Decimal("1.990"), "CNY", exact=True) == Money(199, "CNY")   # trailing zero: fine
    assert Money.from_decimal("1.234", "BHD", exact=True) == Money(1234, "BHD")
    with pytest.raises(InputError, match="too large"):
        Money.from_decimal("1" + "0" * 10_000, "CNY")   # refused before scaling
    with pytest.raises(InputError, match="too large"):
        Money.from_decimal("1e999999", "CNY")


def test_feed_prices_that_overflow_or_round_are_bad_rows_and_the_pull_goes_on(cli, home):
    _home(cli, home)
    (home / "feed.csv").write_text(
        "id,title,price,currency\n"
        "1,ok,19.90,CNY\n"
        "2,overflow,99999999999999999999999,CNY\n"
        "3,three decimals,1.999,CNY\n"
        "4,yen cents,100.5,JPY\n"
        "5,unknown code,15.00 XYZ,\n"
        "6,unknown column code,15.00,XYZ\n"
        "7,ten thousand digits," + "9" * 10_000 + ",CNY\n", "utf-8")
    result = cli(["pull", "demo", "--json"])
    assert "Traceback" not in result.output
    data = json.loads(result.stdout)
    assert data["added"] == 1
    reasons = {p["where"].rsplit(" ", 1)[-1]: p["reason"] for p in data["problems"]}
    assert set(reasons) == {"3", "4", "5", "6", "7", "8"}
    assert "too large" in reasons["3"] and "more decimals than CNY" in reasons["4"]
    assert "more decimals than JPY" in reasons["5"] and "XYZ" in reasons["6"] and "XYZ" in reasons["7"]
    assert "too large" in reasons["8"]
    strict = cli(["pull", "demo", "--strict"])
    assert strict.exit_code == 1 and "Nothing was imported (--strict)" in strict.output


# order rows --------------------------------------------------------------------------------------
BAD_ROWS = {
    "O2": ("O2,demo:1,,paid,99999999999999999999,1.00,CNY,2026-10-01T10:00:00,", "too large an amount"),
    "O3": ("O3,demo:1,,paid,10.00,1.00,CNY,2099-01-01T10:00:00,", "ordered_at 2099-01-01 is in the future"),
    "O4": ("O4,demo:1,,paid,-10.00,0.00,CNY,2026-10-01T10:00:00,", "amount -10.00 is negative"),
    "O5": ("O5,demo:1,,paid,10.00,11.00,CNY,2026-10-01T10:00:00,", "commission 11.00 is more than the amount"),
    "O6": ("O6,nosuch:1,,paid,10.00,1.00,CNY,2026-10-01T10:00:00,", "source 'nosuch' is not configured"),
    "O7": ("O7,demo:1,,paid,10.00,1.00,XYZ,2026-10-01T10:00:00,", "'XYZ' is not an ISO 4217 code"),
    "O8": ("O8,demo:1,,paid,1.999,0.10,CNY,2026-10-01T10:00:00,", "more decimals than CNY"),
    "O9": ("O9,demo:1,,paid,100.5,1,JPY,2026-10-01T10:00:00,", "more decimals than JPY"),
    "O10": ("O10,demo:1,,paid,10.00,-1.00,CNY,2026-10-01T10:00:00,", "commission -1.00 is negative"),
}


def test_order_rows_no_network_sends_are_skipped_with_their_line_numbers(cli, home, tmp_path):
    _home(cli, home)
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "O1,demo:1,,paid,10.00,1.00,CNY,2026-10-01T10:00:00,\n"
                    + "".join(row + "\n" for row, _ in BAD_ROWS.values()), "utf-8")
    result = cli(["orders", "import", str(path), "--format", "csv", "--json"])
    assert "Traceback" not in result.output
    data = json.loads(result.stdout)
    assert data["inserted"] == 1
    problems = {p["line"]: p["error"] for p in data["skipped"]}
    for line, (_, message) in enumerate(BAD_ROWS.values(), start=3):
        assert message in problems[line], (line, problems)
    orders = json.loads(cli(["orders", "list", "--json"]).stdout)
    assert [o["order_id"] for o in orders] == ["O1"]


def test_strict_refuses_the_whole_order_file(cli, home, tmp_path):
    _home(cli, home)
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "O1,demo:1,,paid,10.00,1.00,CNY,2026-10-01T10:00:00,\n"
                    "O8,demo:1,,paid,1.999,0.10,CNY,2026-10-01T10:00:00,\n", "utf-8")
    result = cli(["orders", "import", str(path), "--format", "csv", "--strict"])
    assert result.exit_code == 1
    assert "line 3" in result.output and "nothing imported" in result.output
    assert json.loads(cli(["orders", "list", "--json"]).stdout) == []


def test_a_date_up_to_a_day_ahead_is_accepted(cli, home, tmp_path):
    from datetime import UTC, datetime, timedelta

    _home(cli, home)
    soon = (datetime.now(UTC) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + f"O1,demo:1,,paid,10.00,1.00,CNY,{soon},\n", "utf-8")
    result = cli(["orders", "import", str(path), "--format", "csv", "--json"])
    assert json.loads(result.stdout)["inserted"] == 1, result.output
