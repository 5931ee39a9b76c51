"""Short links: codes, slugs, reuse, expiry, listing and disabling (library and CLI)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from factories import add_product as store_product

from sharekit.errors import InputError, NotFoundError
from sharekit.tracking import links as links_mod
from sharekit.tracking.links import CODE_ALPHABET, create_link, disable_link, ensure_link, list_links, parse_expires

NOW = "2026-11-26T00:00:00+00:00"


def add_product(ws, pid: str, *, source: str | None = None, url: str | None = "https://shop.example.com/p/1",
                title: str = "保温杯") -> None:
    store_product(ws, pid, source=source, url=url, title=title, now=NOW)


def test_random_code_is_six_uppercase_chars_without_lookalikes(ws):
    add_product(ws, "demo:SK001")
    link = ensure_link(ws, "demo:SK001", "moments")
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{6}}", link.code)
    assert not set("0O1IL2Z5S8B") & set(CODE_ALPHABET)
    assert link.created and link.target_url == "https://shop.example.com/p/1?ref=moments"


def test_same_product_and_channel_reuse_their_link_other_channel_gets_new_one(ws):
    add_product(ws, "demo:SK001")
    first = ensure_link(ws, "demo:SK001", "moments")
    again = ensure_link(ws, "demo:SK001", "moments")
    other = ensure_link(ws, "demo:SK001", "family")
    assert again.code == first.code and not again.created
    assert other.code != first.code
    assert ws.db.execute("SELECT count(*) FROM links").fetchone()[0] == 2


def test_link_template_appends_channel_with_ampersand_when_url_has_a_query(ws):
    add_product(ws, "demo:SK002", url="https://item.example.com/item.htm?id=42")
    assert ensure_link(ws, "demo:SK002", "g1").target_url == "https://item.example.com/item.htm?id=42&ref=g1"


def test_collision_regenerates_a_random_code(ws, monkeypatch):
    add_product(ws, "demo:SK001")
    add_product(ws, "demo:SK002")
    taken = ensure_link(ws, "demo:SK001", "moments").code
    draws = iter([taken, taken.lower(), "QQQQQQ"])
    monkeypatch.setattr(links_mod, "new_code", lambda length=6: next(draws))
    assert ensure_link(ws, "demo:SK002", "moments").code == "QQQQQQ"


@pytest.mark.parametrize("slug", ["ab", "-abc", "abc-", "has space", "下单", "a_b_c", "x" * 33, "healthz"])
def test_malformed_or_reserved_slug_is_refused(ws, slug):
    add_product(ws, "demo:SK001")
    with pytest.raises(InputError):
        ensure_link(ws, "demo:SK001", "moments", slug=slug)
    assert ws.db.execute("SELECT count(*) FROM links").fetchone()[0] == 0


def test_slug_taken_by_another_link_is_refused_ignoring_case(ws):
    add_product(ws, "demo:SK001")
    add_product(ws, "demo:SK002")
    ensure_link(ws, "demo:SK001", "moments", slug="Summer-Sale")
    with pytest.raises(InputError, match="already taken"):
        ensure_link(ws, "demo:SK002", "moments", slug="SUMMER-SALE")
    # asking again for the same product, channel and slug is idempotent
    assert ensure_link(ws, "demo:SK001", "moments", slug="summer-sale").code == "Summer-Sale"


def test_unknown_product_and_bad_channel_are_refused(ws):
    with pytest.raises(NotFoundError):
        ensure_link(ws, "demo:NOPE", "moments")
    add_product(ws, "demo:SK001")
    with pytest.raises(InputError):
        ensure_link(ws, "demo:SK001", "bad channel!")


def test_expires_parses_relative_date_and_time_in_configured_timezone():
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert parse_expires("7d", "Asia/Shanghai", now=now) == now + timedelta(days=7)
    # an ISO date: the link works through that whole local day
    assert parse_expires("2026-12-31", "Asia/Shanghai", now=now) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert parse_expires("2026-12-01T10:00", "Asia/Shanghai", now=now) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    with pytest.raises(InputError):
        parse_expires("yesterday", "Asia/Shanghai", now=now)
    with pytest.raises(InputError, match="past"):
        parse_expires("2026-01-01", "Asia/Shanghai", now=now)


def test_expired_link_is_not_reused_and_disable_makes_a_new_one(ws):
    add_product(ws, "demo:SK001")
    link = create_link(ws, "demo:SK001", "moments", expires="2h")
    assert link.expires_at and link.is_active()
    with ws.db:
        ws.db.execute("UPDATE links SET expires_at = '2020-01-01T00:00:00+00:00' WHERE code = ?", (link.code,))
    fresh = ensure_link(ws, "demo:SK001", "moments")
    assert fresh.code != link.code
    disabled = disable_link(ws, fresh.code.lower())
    assert disabled.disabled
    assert ensure_link(ws, "demo:SK001", "moments").code not in (link.code, fresh.code)
    with pytest.raises(NotFoundError):
        disable_link(ws, "NOSUCH")


def test_list_filters_by_channel_product_and_active(ws):
    add_product(ws, "demo:SK001")
    add_product(ws, "demo:SK002")
    a = ensure_link(ws, "demo:SK001", "moments")
    ensure_link(ws, "demo:SK002", "moments")
    c = ensure_link(ws, "demo:SK002", "family")
    disable_link(ws, c.code)
    assert {x.code for x in list_links(ws, channel="moments")} == {a.code, list_links(ws, product="demo:SK002",
                                                                                      channel="moments")[0].code}
    assert [x.code for x in list_links(ws, product="demo:SK001")] == [a.code]
    assert c.code not in {x.code for x in list_links(ws, active_only=True)}
    assert len(list_links(ws)) == 3


def test_cli_link_create_json_shape_and_short_url(cli, ws):
    add_product(ws, "demo:SK001")
    assert cli(["config", "set", "server.base_url", "https://s.example.com/"]).exit_code == 0
    result = cli(["link", "create", "demo:SK001", "--channel", "moments", "--create-channel", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"code", "short_url", "target_url", "product", "channel", "created_at"}
    assert data["short_url"] == f"https://s.example.com/{data['code']}"
    assert data["product"] == "demo:SK001" and data["channel"] == "moments"
    assert data["created_at"].endswith("+08:00")


def test_cli_link_list_and_disable(cli, ws):
    add_product(ws, "demo:SK001")
    add_product(ws, "demo:SK002")
    assert cli(["link", "create", "demo:SK001", "-c", "moments", "--create-channel", "--slug", "cup-1"]).exit_code == 0
    assert cli(["link", "create", "demo:SK002", "-c", "family", "--create-channel"]).exit_code == 0
    listed = json.loads(cli(["link", "list", "--channel", "moments", "--json"]).stdout)
    assert [x["code"] for x in listed] == ["cup-1"]
    by_product = json.loads(cli(["link", "list", "--product", "demo:SK002", "--json"]).stdout)
    assert [x["channel"] for x in by_product] == ["family"]
    assert cli(["link", "disable", "CUP-1"]).exit_code == 0
    assert json.loads(cli(["link", "list", "--channel", "moments", "--json"]).stdout)[0]["disabled"] is True
    taken = cli(["link", "create", "demo:SK002", "--slug", "cup-1"])
    assert taken.exit_code == 1 and "already taken" in taken.stderr
    missing = cli(["link", "disable", "ZZZZZZ"])
    assert missing.exit_code == 1 and "No link" in missing.stderr
