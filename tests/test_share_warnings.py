"""Warnings that help: one summary line per channel for repeats and volume, placeholders and
unavailable products said once, and `--strict` turning them into exit 1 (issue: 80 columns)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from factories import add_product

from sharekit.tracking.channels import add_channel

TINY = """name = "tiny"
description = "test: a small card"
width = 96
height = 128
background = "#FFFFFF"

[[blocks]]
type = "image"
x = 0
y = 0
w = 96
h = 40

[[blocks]]
type = "qr"
x = 8
y = 44
size = 80
"""


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Warning")]


def _age_shares(home, days: int) -> None:
    with sqlite3.connect(home / "sharekit.db") as conn:
        for table, col in (("links", "created_at"), ("share_log", "shared_at")):
            conn.execute(f"UPDATE {table} SET {col} = strftime('%Y-%m-%dT%H:%M:%S+00:00', {col}, '-{days} days')")


@pytest.mark.slow
def test_400_posters_to_one_group_print_a_handful_of_warning_lines(cli, ws, tmp_path) -> None:
    """One render pass (tiny template, PNG, one process); the later runs find the posters up to date,
    which is cheap, and still count and warn."""
    for i in range(400):
        add_product(ws, f"shop:{i:03d}", title=f"商品 {i}", price=1990 + i)
    add_channel(ws.db, "g", kind="group")
    tpl = tmp_path / "tiny.toml"   # the photo only: a QR code costs ~40 ms to make, the warnings are the test
    tpl.write_text(TINY.split("[[blocks]]\ntype = \"qr\"")[0], encoding="utf-8")
    args = ["--home", str(ws.home), "poster", "--all", "--channel", "g", "--template", str(tpl), "--jobs", "1",
            "--format", "png"]
    first = cli([*args, "--strict"])
    assert first.exit_code == 1 and "--strict" in first.stderr          # placeholders, under --strict
    assert "400 rendered, 0 up to date, 0 failed" in first.stdout
    lines = _warnings(first.stderr)
    assert 1 <= len(lines) <= 3, lines
    joined = " ".join(" ".join(lines).split())
    assert "g has 400 products shared today" in joined and "max_shares_per_day (20)" in joined
    assert "400 poster(s) show a grey placeholder" in joined
    assert "were shared to g" not in joined            # the same day: the same share, not a repeat
    assert ws.db.execute("SELECT count(*) FROM share_log WHERE channel = 'g'").fetchone()[0] <= 400

    again = cli(args)                                  # later the same day: still one share each
    assert again.exit_code == 0 and "0 rendered, 400 up to date" in again.stdout
    assert "were shared" not in again.stderr and len(_warnings(again.stderr)) <= 3

    _age_shares(ws.home, 2)
    later = cli([*args, "--json"])
    assert later.exit_code == 0 and json.loads(later.stdout)["skipped"] == 400
    lines = _warnings(cli(args).stderr)
    assert len(lines) <= 3, lines
    assert "400 of 400 products were shared to g in the last 3 days" in " ".join(" ".join(lines).split())
    assert "were shared" not in cli([*args, "--quiet-repeats"]).stderr


def test_a_self_channel_gets_no_repeat_or_volume_warning(cli, ws) -> None:
    for i in range(25):
        add_product(ws, f"shop:{i}")
    add_channel(ws.db, "me", kind="self")
    for i in range(25):
        result = cli(["--home", str(ws.home), "link", "create", f"shop:{i}", "--channel", "me"])
        assert result.exit_code == 0, result.output
        assert "Warning" not in result.stderr
    _age_shares(ws.home, 1)
    result = cli(["--home", str(ws.home), "link", "create", "shop:0", "--channel", "me"])
    assert "Warning" not in result.stderr


def test_the_volume_line_is_for_groups_and_moments_only(cli, ws) -> None:
    for i in range(3):
        add_product(ws, f"shop:{i}")
    add_channel(ws.db, "lili", kind="friend")
    add_channel(ws.db, "g", kind="group")
    ws.config.data.setdefault("channels", {})
    from sharekit.store.config import set_value, write_config
    write_config(ws.paths.config, set_value(ws.config, "channels.max_shares_per_day", 2).data)
    outs = {name: [cli(["--home", str(ws.home), "link", "create", f"shop:{i}", "--channel", name]).stderr
                   for i in range(3)] for name in ("lili", "g")}
    assert not any("max_shares_per_day" in e for e in outs["lili"])
    assert "g has 3 products shared today" in " ".join(outs["g"][2].split())
    assert not any("max_shares_per_day" in e for e in outs["g"][:2])


def test_sharing_an_unavailable_product_warns_and_strict_refuses(cli, ws) -> None:
    add_product(ws, "shop:gone", available=False)
    add_channel(ws.db, "g", kind="group")
    plain = cli(["--home", str(ws.home), "link", "create", "shop:gone", "--channel", "g"])
    assert plain.exit_code == 0 and "out of stock or no longer listed" in " ".join(plain.stderr.split())
    strict = cli(["--home", str(ws.home), "link", "create", "shop:gone", "--channel", "g", "--strict",
                  "--slug", "gone-2"])
    assert strict.exit_code == 1
    poster = cli(["--home", str(ws.home), "poster", "shop:gone", "--channel", "g", "--strict", "--json"])
    assert poster.exit_code == 1
    assert json.loads(poster.stdout)["unavailable"] == ["shop:gone"]


def test_poster_json_gives_a_script_what_it_needs_to_post(cli, ws) -> None:
    add_product(ws, "shop:1", title="保温杯 480ml", price=5990)
    add_channel(ws.db, "g", kind="group")
    result = cli(["--home", str(ws.home), "poster", "shop:1", "--channel", "g", "--template", "square", "--json"])
    assert result.exit_code == 0, result.output
    poster = json.loads(result.stdout)["posters"][0]
    assert poster["title"] == "保温杯 480ml"
    assert poster["short_url"] and poster["short_url"] in poster["share_text"]
    from pathlib import Path
    assert Path(poster["share_text_path"]).read_text(encoding="utf-8") == poster["share_text"]
    assert poster["path"].endswith(".jpg")
