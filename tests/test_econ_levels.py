"""Two-level sharing (issue 17 part 2): a friend's parent, her override, the cap at two levels, and
payouts whose own, override and kept lines add up to the commission to the fen."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fixtures import line

from sharekit.core.money import Money
from sharekit.errors import InputError
from sharekit.orders.store import upsert_order_lines
from sharekit.reports import payouts, payouts_csv
from sharekit.reports.payouts import override_amount
from sharekit.tracking.channels import add_channel, get_channel, remove_channel, rename_channel


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def family(ws) -> None:
    add_channel(ws.db, "lili", kind="friend", share=Decimal("0.3"), note="Lili")
    add_channel(ws.db, "amy", kind="friend", share=Decimal("0.2"), parent="lili", override=Decimal("0.05"))


def settle(ws, row: str, channel: str, commission: str, when: str = "2026-11-20T10:00:00") -> None:
    upsert_order_lines(ws.db, "jd", [line(row, "settled", "100.00", commission, "2026-11-10T10:00:00", product="p1",
                                          channel=channel, settled=when, updated=when)])


def test_a_friend_takes_a_parent_and_an_override(ws):
    family(ws)
    amy = get_channel(ws.db, "amy")
    assert (amy.parent, amy.override, amy.share) == ("lili", Decimal("0.05"), Decimal("0.2"))
    assert amy.to_json()["parent"] == "lili" and amy.to_json()["override"] == "0.05"
    add_channel(ws.db, "amy", note="from the gym")          # other fields keep the parent
    assert get_channel(ws.db, "amy").parent == "lili"
    add_channel(ws.db, "amy", parent="")                    # '' removes parent and override
    assert (get_channel(ws.db, "amy").parent, get_channel(ws.db, "amy").override) == (None, None)


def test_a_third_level_is_refused_with_the_reason(ws):
    family(ws)
    add_channel(ws.db, "zoe", kind="friend")
    with pytest.raises(InputError) as under_child:
        add_channel(ws.db, "zoe", parent="amy")
    assert "third level" in str(under_child.value) and "禁止传销条例" in str(under_child.value)
    assert "传销" in str(under_child.value)
    add_channel(ws.db, "mia", kind="friend")
    with pytest.raises(InputError) as above_parent:       # lili already has a child: no parent for her
        add_channel(ws.db, "lili", parent="mia")
    assert "third level" in str(above_parent.value)
    assert get_channel(ws.db, "zoe").parent is None and get_channel(ws.db, "lili").parent is None


@pytest.mark.parametrize("kwargs, words", [
    ({"kind": "group", "parent": "lili"}, "only a friend channel has a parent"),
    ({"kind": "friend", "parent": "nobody"}, "No channel named nobody"),
    ({"kind": "friend", "parent": "grp"}, "a parent must be a friend"),
    ({"kind": "friend", "override": Decimal("0.05")}, "give --parent too"),
    ({"kind": "friend", "parent": "lili", "share": Decimal("0.9"), "override": Decimal("0.2")}, "more than the whole"),
    ({"kind": "friend", "parent": "x1"}, "its own parent"),
])
def test_bad_parents_are_refused(ws, kwargs, words):
    add_channel(ws.db, "lili", kind="friend")
    add_channel(ws.db, "grp", kind="group")
    with pytest.raises(InputError) as caught:
        add_channel(ws.db, "x1", **kwargs)
    assert words in str(caught.value)


def test_a_parent_stays_a_friend_and_removal_or_rename_follows(ws):
    add_channel(ws.db, "lili", kind="friend")
    add_channel(ws.db, "amy", kind="friend", parent="lili", override=Decimal("0.05"))
    with pytest.raises(InputError, match="must stay a friend"):
        add_channel(ws.db, "lili", kind="group")
    rename_channel(ws.db, "lili", "lili2")
    assert get_channel(ws.db, "amy").parent == "lili2"
    remove_channel(ws.db, "lili2")
    assert (get_channel(ws.db, "amy").parent, get_channel(ws.db, "amy").override) == (None, None)


def test_payouts_show_own_override_and_kept_lines_that_add_up(ws):
    family(ws)
    settle(ws, "B1", "amy", "10.07")     # amy's line: 1007 fen
    settle(ws, "B2", "lili", "8.00")
    result = payouts(ws, "2026-11")
    got = [(r.channel, r.line, r.via, r.kind, r.settled, r.share, r.payout) for r in result.rows]
    assert got == [
        ("amy", "own", None, "settled", cny(1007), Decimal("0.2"), cny(201)),          # 201.4 -> 201
        ("lili", "own", None, "settled", cny(800), Decimal("0.3"), cny(240)),
        ("lili", "override", "amy", "settled", cny(1007), Decimal("0.05"), cny(50)),    # 50.35 -> 50 (down)
    ]
    kept = {k.channel: (k.settled, k.own, k.override, k.kept) for k in result.reseller}
    assert kept == {"amy": (cny(1007), cny(201), cny(50), cny(756)), "lili": (cny(800), cny(240), cny(0), cny(560))}
    assert result.total("lili", "CNY") == cny(290)
    csv_lines = payouts_csv(result).splitlines()
    assert csv_lines[0].endswith(",line,via")
    assert csv_lines[3] == "2026-11,lili,settled,Lili,CNY,1,10.07,0.05,0.50,override,amy"


def test_the_odd_fen_goes_to_the_friend_when_her_share_rounds_up_else_to_the_reseller(ws):
    add_channel(ws.db, "lili", kind="friend")
    add_channel(ws.db, "amy", kind="friend", share=Decimal("0.5"), parent="lili", override=Decimal("0.5"))
    settle(ws, "C1", "amy", "0.03")      # 3 fen: own 1.5 -> 2 (half up), override 1.5 -> 1 (down), kept 0
    result = payouts(ws, "2026-11")
    amy = next(k for k in result.reseller if k.channel == "amy")
    assert (amy.own, amy.override, amy.kept) == (cny(2), cny(1), cny(0))


def test_a_refund_after_payout_takes_back_own_and_override_in_the_later_month(ws):
    family(ws)
    settle(ws, "D1", "amy", "10.07")
    upsert_order_lines(ws.db, "jd", [line("D1", "invalid", "100.00", "0", "2026-11-10T10:00:00", product="p1",
                                          channel="amy", updated="2026-12-03T10:00:00")])
    # the history recorded the refund now; pretend it was learned in December by moving it there
    with ws.db:
        ws.db.execute("UPDATE order_status_history SET recorded_at = '2026-12-03T02:00:00+00:00'"
                      " WHERE status = 'invalid'")
        ws.db.execute("UPDATE order_status_history SET recorded_at = '2026-11-20T02:00:00+00:00'"
                      " WHERE status = 'settled'")
    dec = payouts(ws, "2026-12")
    adj = [(r.channel, r.line, r.payout) for r in dec.rows if r.kind == "adjustment"]
    assert adj == [("amy", "own", cny(-201)), ("lili", "override", cny(-50))]
    kept = next(k for k in dec.reseller if k.channel == "amy" and k.kind == "adjustment")
    assert (kept.settled, kept.kept) == (cny(-1007), cny(-756))


@settings(max_examples=200, deadline=None)
@given(base=st.integers(-10**9, 10**9), share=st.integers(0, 100), override=st.integers(0, 100))
def test_own_override_and_kept_always_add_up_and_kept_never_changes_sign(base, share, override):
    if share + override > 100:
        share, override = override // 2, share // 2
    s, o = Decimal(share) / 100, Decimal(override) / 100
    own = Money(base, "CNY").times(s).minor
    cut = override_amount(base, o)
    kept = base - own - cut
    assert own + cut + kept == base
    assert (kept >= 0) if base >= 0 else (kept <= 0)


def test_cli_channel_add_parent_and_report_payouts(cli, ws, monkeypatch):
    from sharekit.commands import _common

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(_common, "_out", None)
    assert cli(["channel", "add", "lili", "--kind", "friend", "--share", "30%"]).exit_code == 0
    added = cli(["channel", "add", "amy", "--kind", "friend", "--parent", "lili", "--share", "20%",
                 "--override", "5%"])
    assert added.exit_code == 0 and "parent lili, override 0.05" in added.stdout
    assert cli(["channel", "add", "zoe", "--kind", "friend"]).exit_code == 0
    third = cli(["channel", "add", "zoe", "--parent", "amy"])
    assert third.exit_code == 1 and "传销" in third.stderr
    listed = json.loads(cli(["channel", "list", "--json"]).stdout)
    assert {c["name"]: c["parent"] for c in listed} == {"amy": "lili", "lili": None, "zoe": None}
    settle(ws, "E1", "amy", "10.07")
    data = json.loads(cli(["report", "payouts", "--month", "2026-11", "--json"]).stdout)
    lines = [(r["channel"], r["line"], r["payout"]["minor"]) for r in data["rows"]]
    assert lines == [("amy", "own", 201), ("lili", "own", 0), ("lili", "override", 50), ("zoe", "own", 0)]
    amy = next(k for k in data["reseller"] if k["channel"] == "amy")
    assert (amy["own"]["minor"], amy["override"]["minor"], amy["kept"]["minor"]) == (201, 50, 756)
    table = cli(["report", "payouts", "--month", "2026-11"])
    assert table.exit_code == 0
    assert "override on amy" in table.stdout and "keep of amy" in table.stdout and "¥7.56" in table.stdout
    assert max(len(x) for x in table.stdout.splitlines()) <= 80


def test_link_create_self_makes_and_reuses_the_self_channel(cli, ws):
    with ws.db:
        ws.db.execute("INSERT INTO products (id, source, native_id, title, currency, url, first_seen_at, updated_at,"
                      " seen_at) VALUES ('demo:1', 'demo', '1', 'cup', 'CNY', 'https://shop.example.com/1',"
                      " '2026-11-01T00:00:00+00:00', '2026-11-01T00:00:00+00:00', '2026-11-01T00:00:00+00:00')")
    first = cli(["link", "create", "demo:1", "--self", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["channel"] == "me" and get_channel(ws.db, "me").kind == "self"
    again = cli(["link", "create", "demo:1", "--self", "--json"])
    assert json.loads(again.stdout)["channel"] == "me"
    assert cli(["channel", "add", "moments", "--kind", "moments"]).exit_code == 0
    wrong = cli(["link", "create", "demo:1", "--self", "--channel", "moments"])
    assert wrong.exit_code == 2 and "not of kind self" in wrong.stderr
    add_channel(ws.db, "mine", kind="self")
    several = cli(["link", "create", "demo:1", "--self", "--json"])   # `me` among several self channels
    assert several.exit_code == 0 and json.loads(several.stdout)["channel"] == "me"
