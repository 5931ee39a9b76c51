"""`sharekit init` and `sharekit demo` from the command line."""

from __future__ import annotations

import json
import stat


def test_init_json_reports_what_it_created_then_that_it_kept_everything(cli, home):
    first = cli(["init", "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["home"] == str(home) and data["config_created"] and data["db_created"]
    assert data["migrations"][0] == "m001_initial"
    assert stat.S_IMODE((home / "config.toml").stat().st_mode) == 0o600
    assert (home / "cache").is_dir() and (home / "posters").is_dir()
    before = {name: ((home / name).read_bytes(), (home / name).stat().st_mtime_ns)
              for name in ("config.toml", "sharekit.db")}
    again = json.loads(cli(["init", "--json"]).stdout)
    assert again == {"home": str(home), "config_created": False, "db_created": False, "migrations": []}
    after = {name: ((home / name).read_bytes(), (home / name).stat().st_mtime_ns) for name in before}
    assert after == before  # a second init changes nothing on disk


def test_home_option_beats_the_environment(cli, home, tmp_path):
    other = tmp_path / "elsewhere"
    result = cli(["--home", str(other), "init"])
    assert result.exit_code == 0, result.output
    assert (other / "config.toml").exists() and not home.exists()


def test_demo_uses_its_own_folder_not_the_home_from_the_environment(cli, home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli(["demo"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sharekit-demo" / "sharekit.db").exists()
    assert not home.exists()  # $SHAREKIT_HOME may be someone's real shop: the demo never fills it


def test_demo_with_an_explicit_home(cli, tmp_path):
    target = tmp_path / "demo-home"
    result = cli(["--home", str(target), "demo", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["home"] == str(target)
    assert_demo_price_story(cli, target)
    assert_demo_figures_agree(cli, target)


def assert_demo_figures_agree(cli, home) -> None:
    """The demo's report figures are those of `clicks` and `orders list` (issue 14)."""
    def run(*args: str):
        result = cli(["--home", str(home), *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    report = run("report", "--by", "channel")
    clicks = {r["key"]: r["clicks"] for r in run("clicks", "--by", "channel")["rows"]}
    assert clicks and sum(clicks.values()) > 0
    for row in report["rows"]:
        if row["key"] != "(none)":
            assert row["clicks"] == clicks.get(row["key"], 0), row["key"]
    assert report["totals"]["clicks"] == sum(clicks.values())
    orders = run("orders", "list")
    orders = orders["orders"] if isinstance(orders, dict) else orders
    cur = report["currency"]
    in_currency = [o for o in orders if (o.get("amount") or {}).get("currency", cur) == cur]
    assert report["totals"]["orders"] == len(in_currency) > 0
    channels = run("report", "channels")
    assert sum(r["orders"] for r in channels["rows"]) == report["totals"]["orders"]


def assert_demo_price_story(cli, home) -> None:
    """The demo's share texts tell SK1001's price story, and every one adds up (issue 14)."""
    import re
    from decimal import Decimal

    lines = (home / "posters" / "demo_SK1001-moments.txt").read_text(encoding="utf-8").splitlines()
    assert lines[1:4] == ["【在售价】¥159", "【券后价】¥139", "【优惠券】¥20（满150可用）"]
    shown = cli(["--home", str(home), "products", "show", "demo:SK1001", "--json"])
    product = json.loads(shown.stdout)
    assert (product["original_price"]["minor"], product["sale_price"]["minor"], product["final_price"]["minor"],
            product["coupon"]["minor"], product["coupon_threshold"]["minor"], product["coupon_usable"]) == \
        (19900, 15900, 13900, 2000, 15000, True)

    def amount(text: str) -> Decimal:
        return Decimal(re.search(r"¥([\d.]+)", text).group(1))

    for path in (home / "posters").glob("*-moments.txt"):
        text = dict(line.split("】", 1) for line in path.read_text(encoding="utf-8").splitlines() if "】" in line)
        if "【券后价" in text:
            assert amount(text["【在售价"]) - amount(text["【优惠券"]) == amount(text["【券后价"]), path.name
        else:
            assert "【优惠券" not in text, path.name
