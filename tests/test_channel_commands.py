"""Channels: add/list (library and CLI), validation, and the shared-too-often warning."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from factories import add_product as store_product

from sharekit.core.money import Money
from sharekit.errors import InputError
from sharekit.tracking.channels import add_channel, list_channels, parse_share
from sharekit.tracking.shares import record_share, share_warning


def test_channel_add_and_list_json_round_trip(cli, ws):
    assert cli(["channel", "add", "wechat_group_a", "--kind", "group", "--threshold", "100"]).exit_code == 0
    added = cli(["channel", "add", "friend_lili", "--kind", "friend", "--share", "30%", "--note", "Lili"])
    assert added.exit_code == 0, added.output
    assert "Added channel friend_lili (friend, share 0.3)" in added.stdout
    listed = cli(["channel", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert [c["name"] for c in data] == ["friend_lili", "wechat_group_a"]
    assert data[0]["share"] == "0.3" and data[0]["kind"] == "friend" and data[0]["note"] == "Lili"
    assert data[1]["threshold"] == {"minor": 10000, "currency": "CNY"} and data[1]["share"] is None
    assert data[1]["created_at"].endswith("+08:00")
    friends = json.loads(cli(["channel", "list", "--kind", "friend", "--json"]).stdout)
    assert [c["name"] for c in friends] == ["friend_lili"]


def test_channel_add_again_updates_only_the_given_fields(ws):
    add_channel(ws.db, "g1", kind="group", note="first", threshold=Money(10000, "CNY"))
    saved = add_channel(ws.db, "g1", note="second")
    assert not saved.created
    assert (saved.channel.kind, saved.channel.note, saved.channel.threshold) == ("group", "second", Money(10000, "CNY"))
    assert len(list_channels(ws.db)) == 1


@pytest.mark.parametrize("name", ["has space", "中文群", "a" * 33, "", "semi;colon"])
def test_channel_names_outside_the_sub_id_alphabet_are_refused(cli, ws, name):
    result = cli(["channel", "add", name])
    assert result.exit_code == 1
    assert "not allowed" in result.stderr


def test_share_is_only_for_friend_channels_and_must_be_a_rate(cli, ws):
    result = cli(["channel", "add", "g1", "--kind", "group", "--share", "0.3"])
    assert result.exit_code == 1 and "only a friend channel takes a --share" in result.stderr
    assert "Set --kind to friend." in result.stderr
    assert cli(["channel", "add", "f1", "--kind", "friend", "--share", "1.5"]).exit_code == 1
    assert cli(["channel", "add", "f1", "--kind", "friend", "--share", "abc"]).exit_code == 1
    assert cli(["channel", "add", "f1", "--kind", "nope"]).exit_code == 2
    assert parse_share("0.30") == Decimal("0.3") and parse_share("25%") == Decimal("0.25")
    assert parse_share("1") == Decimal("1")


def test_threshold_must_be_positive_money(cli, ws):
    assert cli(["channel", "add", "g1", "--threshold", "-5"]).exit_code == 1
    assert cli(["channel", "add", "g1", "--threshold", "lots"]).exit_code == 1
    assert cli(["channel", "add", "g1", "--threshold", "USD 20"]).exit_code == 0
    assert list_channels(ws.db)[0].threshold == Money(2000, "USD")


def test_channel_list_table_mentions_how_to_add_when_empty(cli, ws):
    result = cli(["channel", "list"])
    assert result.exit_code == 0 and "channel add" in result.stdout


def _product_and_link(ws, created_at: str) -> None:
    conn = ws.db
    store_product(ws, "jd:1", title="t", price=None)
    conn.execute("INSERT INTO links (code, product_id, channel, target_url, created_at) VALUES"
                 " ('AAAAAA', 'jd:1', 'g1', 'https://x', ?)", (created_at,))


def test_share_warning_when_a_link_was_created_within_min_days(ws):
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    _product_and_link(ws, (now - timedelta(days=1)).isoformat())
    message = share_warning(ws.db, "jd:1", "g1", 3, now=now)
    assert message and "jd:1" in message and "g1" in message and "1 day(s) ago" in message
    assert share_warning(ws.db, "jd:1", "g1", 1, now=now) is None       # exactly a day: old enough
    assert share_warning(ws.db, "jd:1", "other", 3, now=now) is None    # another channel
    assert share_warning(ws.db, "jd:1", "", 3, now=now) is None         # no channel
    assert share_warning(ws.db, "jd:1", "g1", 0, now=now) is None       # warning switched off


def test_share_warning_sees_recorded_poster_shares(ws):
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    _product_and_link(ws, (now - timedelta(days=30)).isoformat())
    assert share_warning(ws.db, "jd:1", "g1", 3, now=now) is None
    record_share(ws.db, "jd:1", "g1", "poster", when=now - timedelta(hours=29))   # yesterday, local time
    message = share_warning(ws.db, "jd:1", "g1", 3, now=now)
    assert message and "1 day(s) ago" in message
    # earlier the same local day is the same share: no warning, and not logged twice
    record_share(ws.db, "jd:1", "g2", "link", when=now - timedelta(hours=5))
    assert not record_share(ws.db, "jd:1", "g2", "poster", when=now)
    assert share_warning(ws.db, "jd:1", "g2", 3, now=now) is None
    assert ws.db.execute("SELECT count(*) FROM share_log WHERE channel = 'g2'").fetchone()[0] == 1


def test_add_channel_refuses_unknown_kind(ws):
    with pytest.raises(InputError):
        add_channel(ws.db, "x", kind="bazaar")


def test_share_notes_warn_on_the_second_share_within_the_configured_days(ws):
    from sharekit.store.config import set_value
    from sharekit.tracking.shares import ShareNotes

    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    _product_and_link(ws, (now - timedelta(days=30)).isoformat())

    def note_share(ws, pid, channel, kind, now):
        notes = ShareNotes.from_config(ws, now=now)
        warning = notes.check(pid, channel)
        notes.record(pid, channel, kind)
        return warning

    assert note_share(ws, "jd:1", "g1", "poster", now=now) is None
    assert "min_days_between is 3" in note_share(ws, "jd:1", "g1", "link", now=now + timedelta(days=2))
    ws.config = set_value(ws.config, "channels.min_days_between", 1)
    assert note_share(ws, "jd:1", "g1", "poster", now=now + timedelta(days=4)) is None
