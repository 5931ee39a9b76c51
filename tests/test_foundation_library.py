"""The README's "use as a library" example works as written."""

from __future__ import annotations

import pytest


def test_readme_library_example(home):
    from sharekit import HomeError, Money, Workspace, init_home

    with pytest.raises(HomeError):
        Workspace.open(home)
    init_home(home)
    with Workspace.open(home) as ws:
        price = Money.parse("¥19.90")
        assert price == Money(minor=1990, currency="CNY")
        assert (ws.config.get("brand.name"), price.format()) == ("My Shop", "¥19.90")
        assert ws.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert ws._db is None  # closed on exit


def test_home_resolution_order(tmp_path, monkeypatch):
    from sharekit.store.home import resolve_home

    monkeypatch.setenv("SHAREKIT_HOME", str(tmp_path / "env"))
    assert resolve_home(tmp_path / "flag") == tmp_path / "flag"
    assert resolve_home() == tmp_path / "env"
    monkeypatch.delenv("SHAREKIT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_home() == tmp_path / "xdg" / "sharekit"
