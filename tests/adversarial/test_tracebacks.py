"""Defect 4 of the hostile-input issue: inputs that ended in a traceback now end in one line.

Each case runs the real CLI; the checks are the same for all: no exception escapes the error
boundary, no "Traceback" in the output, an "Error:" line (or a usage error) and exit 1 or 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _home(cli, home: Path, extra: str = "") -> None:
    assert cli("init").exit_code == 0
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sources.demo]\nkind = "feed"\npath = "feed.csv"\n' + extra)


def _one_line_failure(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code in (1, 2), result.output


CASES = {
    "feed price 99999999999999999999999": (
        "id,title,price,currency\n1,a,99999999999999999999999,CNY\n2,b,1.00,CNY\n", ["pull", "demo", "--strict"]),
    "json nested 200,000 deep": ("[" * 200_000 + "]" * 200_000, ["pull", "deep"]),
    "link create --expires 99999999d": (None, ["link", "create", "demo:1", "--expires", "99999999d"]),
    "clicks --since 99999999d": (None, ["clicks", "--since", "99999999d"]),
    "sync --since 99999999h": (None, ["sync", "--since", "99999999h"]),
    "report --by day --since 0001-01-01": (None, ["report", "--by", "day", "--since", "0001-01-01"]),
    "report --until 9999-12-31": (None, ["report", "--by", "day", "--until", "9999-12-31"]),
    "products list --limit 99999999999999999999": (None, ["products", "list", "--limit", "99999999999999999999"]),
    "orders list --since 99999999w": (None, ["orders", "list", "--since", "99999999w"]),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_input_ends_in_one_line(cli, home, name):
    body, args = CASES[name]
    _home(cli, home, '[sources.deep]\nkind = "feed"\npath = "deep.json"\n')
    if body is not None:
        (home / ("deep.json" if args[1] == "deep" else "feed.csv")).write_text(body, "utf-8")
    _one_line_failure(cli(args))


def test_an_order_amount_of_20_digits_is_a_bad_row_not_an_overflow(cli, home, tmp_path):
    _home(cli, home)
    path = tmp_path / "o.csv"
    path.write_text("order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"
                    "O1,demo:1,,paid,99999999999999999999,1.00,CNY,2026-10-01T10:00:00,\n", "utf-8")
    result = cli(["orders", "import", str(path), "--format", "csv", "--strict"])
    _one_line_failure(result)
    assert "too large an amount" in result.output


def test_download_limits_given_as_text_fall_back_to_the_defaults(home):
    from sharekit.catalog.images import image_settings
    from sharekit.core.limits import DEFAULT_IMAGE_TIMEOUT

    class Config:
        def get(self, key, default=None):
            return {"images.max_mb": "abc", "images.timeout": -1}.get(key, default)

    settings = image_settings(Config())
    assert settings["max_bytes"] == 15 * 1024 * 1024 and settings["timeout"] == DEFAULT_IMAGE_TIMEOUT


@pytest.mark.slow
def test_two_imports_of_one_file_at_once_the_second_says_already_imported(home, tmp_path):
    env = {**os.environ, "SHAREKIT_HOME": str(home), "COLUMNS": "200"}  # one line per message
    subprocess.run([sys.executable, "-m", "sharekit", "init"], env=env, check=True, capture_output=True)
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sources.demo]\nkind = "feed"\npath = "feed.csv"\n')
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n")
        for i in range(20_000):
            fh.write(f"O{i},demo:{i % 50},g1,paid,10.00,1.00,CNY,2026-10-01T10:00:00,\n")
    command = [sys.executable, "-m", "sharekit", "orders", "import", str(path), "--format", "csv"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    codes = sorted(p.returncode for p in (first, second))
    texts = [out + err for out, err in outputs]
    assert all("Traceback" not in t and "IntegrityError" not in t for t in texts), texts
    assert codes[0] == 0 and codes[1] in (0, 1), texts
    assert sum("20000 new" in t for t in texts) == 1, texts
    assert any("already imported" in t or "already being imported" in t for t in texts), texts
