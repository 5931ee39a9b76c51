"""A mistyped option value is exit 2 with one error line naming the closest valid choice."""

from __future__ import annotations

import pytest
from factories import add_product

from sharekit.commands.orders_list import Status
from sharekit.orders.store import STATUSES

CASES = [
    (["report", "--by", "chanel"], "channel"),
    (["report", "--format", "jsn"], "json"),
    (["clicks", "--by", "lnk"], "link"),
    (["channel", "add", "mama_group", "--kind", "grop"], "group"),
    (["channel", "list", "--kind", "frend"], "friend"),
    (["orders", "list", "--status", "pendng"], "pending"),
    (["orders", "import", "x.csv", "--format", "amazn"], "amazon"),
    (["poster", "shop:1", "--template", "momets"], "moments"),
]


@pytest.mark.parametrize(("args", "wanted"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_a_mistyped_choice_names_the_closest(cli, ws, args, wanted):
    add_product(ws, "shop:1")
    result = cli(args)
    assert result.exit_code == 2, result.output
    errors = [ln for ln in result.stderr.splitlines() if "Error" in ln]
    assert len(errors) == 1 and f"did you mean {wanted}?" in errors[0], result.stderr
    assert "Value error" not in result.stderr


def test_a_value_far_from_every_choice_lists_them_without_a_guess(cli, ws):
    result = cli(["report", "--by", "zzzz"])
    assert result.exit_code == 2
    error = " ".join(result.stderr.split())
    assert "'zzzz' is not one of day, week, month, product, channel, source" in error and error.endswith(".")
    assert "did you mean" not in result.stderr


def test_the_status_option_offers_exactly_the_stored_statuses():
    assert tuple(s.value for s in Status) == STATUSES
