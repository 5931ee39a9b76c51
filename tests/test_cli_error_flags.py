"""Library errors name the argument (`until`); the CLI shows its own flag (--until) in their place."""

from __future__ import annotations

import pytest

from sharekit.errors import InputError
from sharekit.tracking.clicks import click_stats


def test_the_library_names_its_arguments_not_cli_flags(ws):
    with pytest.raises(InputError) as info:
        click_stats(ws, "channel", since="3d", until="5d")
    assert str(info.value) == "`until` is before `since`." and info.value.params == ("until", "since")


def test_the_cli_maps_the_arguments_to_its_flags(cli, ws):
    result = cli(["clicks", "--since", "3d", "--until", "5d"])
    assert result.exit_code == 1
    assert "Error: --until is before --since." in result.stderr
