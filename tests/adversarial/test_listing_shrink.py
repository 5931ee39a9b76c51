"""Defect 3 of the hostile-input issue: an empty or cut-off full listing never marks the catalog
unavailable; it stores what it read, exits 1 and says why (--allow-shrink accepts it)."""

from __future__ import annotations

import json
from pathlib import Path

HEADER = "id,title,price,currency\n"
TWELVE = HEADER + "".join(f"{i},item {i},{i}.00,CNY\n" for i in range(1, 13))


def _home(cli, home: Path) -> None:
    assert cli("init").exit_code == 0
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sources.f]\nkind = "feed"\npath = "live.csv"\n')
    (home / "live.csv").write_text(TWELVE, "utf-8")
    assert cli(["pull", "f"]).exit_code == 0


def _available(cli) -> int:
    return sum(p["available"] for p in json.loads(cli(["products", "list", "--json"]).stdout))


def test_an_empty_file_marks_nothing_unavailable_and_exits_1(cli, home):
    _home(cli, home)
    (home / "live.csv").write_text("", "utf-8")
    result = cli(["pull", "f"])
    assert result.exit_code == 1
    assert "the listing was empty: nothing was marked unavailable (12 products kept available)" in result.output
    assert "--allow-shrink" in result.output
    assert _available(cli) == 12


def test_a_file_cut_off_mid_download_marks_nothing_and_stores_what_it_read(cli, home):
    _home(cli, home)
    (home / "live.csv").write_text(TWELVE[: TWELVE.index("4,item 4")] + "4,item 4,9", "utf-8")   # cut mid-row
    (home / "live.csv").write_text((home / "live.csv").read_text("utf-8").replace("1,item 1,1.00", "1,item 1,1.50"),
                                   "utf-8")
    result = cli(["pull", "f", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["unavailable"] == 0 and "under 50% of the 12 available ones" in data["shrink_refused"]
    products = {p["id"]: p for p in json.loads(cli(["products", "list", "--json"]).stdout)}
    assert products["f:1"]["price"] == {"minor": 150, "currency": "CNY"}   # what it read is stored
    assert _available(cli) == 12


def test_min_listing_share_is_configurable_and_allow_shrink_accepts(cli, home):
    _home(cli, home)
    (home / "live.csv").write_text(HEADER + "".join(f"{i},item {i},{i}.00,CNY\n" for i in range(1, 8)), "utf-8")
    assert cli(["pull", "f"]).exit_code == 0           # 7 of 12 is above the default 0.5
    assert _available(cli) == 7
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[catalog]\nmin_listing_share = 0.9\n")
    (home / "live.csv").write_text(HEADER + "".join(f"{i},item {i},{i}.00,CNY\n" for i in range(1, 6)), "utf-8")
    refused = cli(["pull", "f"])
    assert refused.exit_code == 1 and "under 90% of the 7 available ones" in refused.output
    assert _available(cli) == 7
    accepted = cli(["pull", "f", "--allow-shrink"])
    assert accepted.exit_code == 0, accepted.output
    assert _available(cli) == 5


def test_a_partial_pull_is_not_a_listing(cli, home):
    _home(cli, home)
    (home / "live.csv").write_text(HEADER + "1,item 1,1.00,CNY\n", "utf-8")
    assert cli(["pull", "f", "--limit", "1"]).exit_code == 0
    assert _available(cli) == 12
