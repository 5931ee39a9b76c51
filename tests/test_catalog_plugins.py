"""A third-party source kind, installed as a package with an entry point, needs no change to sharekit."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from sharekit.sources import available_kinds, load_kind
from sharekit.store.config import set_value

PLUGIN = '''
from sharekit.core.money import Money
from sharekit.sources.base import Product, Source


class StaticSource(Source):
    """A kind from another package: yields `count` products in pages of two."""

    kind = "static"
    description = "products made up from settings"

    def iter_products(self, query=None, ids=None, limit=None):
        count = int(self.settings.get("count", 3))
        made = [Product(f"s{i}", f"Static {i}", "CNY", Money(100 * i, "CNY")) for i in range(1, count + 1)]
        if limit:
            made = made[:limit]
        for start in range(0, len(made), 2):
            yield made[start:start + 2]
'''


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """A real distribution on sys.path: a module plus a dist-info with entry_points.txt."""
    site = tmp_path / "site"
    info = site / "sharekit_static_kind-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sharekit-static-kind\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[sharekit.sources]\nstatic = sharekit_static_kind:StaticSource\n")
    (site / "sharekit_static_kind.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("sharekit_static_kind", None)


def test_third_party_kind_is_discovered_through_its_entry_point(installed_plugin, monkeypatch):
    monkeypatch.delenv("SHAREKIT_PLUGINS", raising=False)
    kinds = available_kinds()
    assert kinds["static"].target == "sharekit_static_kind:StaticSource"
    assert kinds["static"].builtin is False
    assert load_kind("static").__name__ == "StaticSource"


@pytest.mark.parametrize(("allowed", "found"), [("", False), ("static", True), ("other, static", True),
                                                ("other", False)])
def test_sharekit_plugins_filters_third_party_kinds(installed_plugin, monkeypatch, allowed, found):
    monkeypatch.setenv("SHAREKIT_PLUGINS", allowed)
    kinds = available_kinds()
    assert ("static" in kinds) is found
    assert {"feed", "shopify", "woocommerce"} <= set(kinds)  # built-ins are never filtered


def test_pull_and_source_list_work_for_a_plugin_kind(installed_plugin, monkeypatch, cli, ws):
    monkeypatch.setenv("SHAREKIT_PLUGINS", "static")
    set_value(ws.config, "sources.made", {"kind": "static", "count": 5})
    result = cli(["pull", "made", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["kind"], summary["added"], summary["pages"]) == ("static", 5, 3)
    listed = json.loads(cli(["source", "list", "--json"]).stdout)
    assert {"name": "static", "target": "sharekit_static_kind:StaticSource", "builtin": False,
            "importable": True} in listed["kinds"]
    products = json.loads(cli(["products", "list", "--json", "--source", "made"]).stdout)
    assert sorted(p["id"] for p in products) == ["made:s1", "made:s2", "made:s3", "made:s4", "made:s5"]
