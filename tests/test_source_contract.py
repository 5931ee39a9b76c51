"""Every installed source kind through the same checks of the Source contract (sources/base.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sharekit.core.envnames import source_env_name
from sharekit.core.money import Money
from sharekit.errors import ConfigError
from sharekit.orders.store import apply_status_changes, confirmed_lines, upsert_order_lines
from sharekit.sources import Source, StatusChange, available_kinds, load_kind
from sharekit.sources.base import OrderLine

KINDS = sorted(available_kinds())


def overrides(cls: type[Source], method: str) -> bool:
    return getattr(cls, method) is not getattr(Source, method)


def test_the_built_in_kinds_are_registered_through_entry_points():
    kinds = available_kinds()
    builtin = {name for name, kind in kinds.items() if kind.builtin}
    assert builtin >= {"feed", "shopify", "woocommerce", "jd", "pdd", "taobao", "amazon"}
    assert all(kinds[name].target.startswith("sharekit.sources.") for name in builtin)


@pytest.mark.parametrize("name", KINDS)
def test_kind_declares_its_capabilities_and_implements_what_it_declares(name):
    cls = load_kind(name)
    assert cls.kind == name and cls.description
    assert overrides(cls, "iter_products")
    assert cls.supports_links == overrides(cls, "promotion_link")
    assert cls.supports_orders == overrides(cls, "iter_orders")
    assert cls.settles_orders == overrides(cls, "settle_due")
    if cls.settles_orders:
        assert cls.supports_orders
    if not cls.supports_orders:
        assert cls.order_window is None


@pytest.mark.parametrize("name", KINDS)
def test_kind_builds_offline_from_its_example_settings_with_the_base_state(name, tmp_path):
    cls = load_kind(name)
    with cls("contract", {**cls.example_settings, "base_dir": str(tmp_path)}) as source:
        assert source.skipped == [] and source.total is None
        assert isinstance(source.local_images, bool)
        if source.supports_orders:
            assert isinstance(source.order_window, timedelta) and source.order_window > timedelta(0)
        assert source.settle_due([]) == []
        assert source.product_id("X1") == "contract:X1"


@pytest.mark.parametrize("name", [k for k in KINDS if load_kind(k).required_keys])
def test_missing_required_keys_are_named_with_the_variable_the_config_reads(name):
    cls = load_kind(name)
    key = cls.required_keys[0]
    settings = {k: v for k, v in cls.example_settings.items() if k != key}
    with pytest.raises(ConfigError) as info:
        cls("京东", settings)
    assert key in str(info.value)
    assert source_env_name("京东", "<KEY>") in (info.value.hint or "")


def test_the_env_name_for_a_non_ascii_source_is_the_one_config_reads(ws, monkeypatch):
    from sharekit.store.config import set_value

    set_value(ws.config, "sources.京东", {"kind": "jd", "app_key": "k", "site_id": "1"})
    ws.reload_config()
    monkeypatch.setenv(source_env_name("京东", "app_secret"), "from-env")
    assert ws.source_settings("京东")["app_secret"] == "from-env"


def test_status_changes_a_source_finds_due_are_applied_forward_only(ws):
    now = datetime(2026, 11, 1, tzinfo=UTC)
    lines = [OrderLine(row_id=f"r{i}", order_id=f"o{i}", status=status, raw_status=status,
                       amount=Money(1000, "CNY"), commission=Money(100, "CNY"), ordered_at=now, updated_at=now,
                       extra={"pay_month": "20261020"})
             for i, status in enumerate(["confirmed", "invalid", "confirmed"])]
    upsert_order_lines(ws.db, "jd", lines)
    assert sorted(line.id for line in confirmed_lines(ws.db, "jd")) == ["jd:r0", "jd:r2"]
    moved = apply_status_changes(ws.db, [StatusChange("jd:r0", "settled", now), StatusChange("jd:r1", "settled", now)])
    assert moved == 1  # r1 is invalid: statuses only move forward
    rows = dict(ws.db.execute("SELECT id, status FROM orders").fetchall())
    assert rows == {"jd:r0": "settled", "jd:r1": "invalid", "jd:r2": "confirmed"}
    history = ws.db.execute("SELECT status FROM order_status_history WHERE order_line = 'jd:r0' ORDER BY id").fetchall()
    assert [h[0] for h in history] == ["confirmed", "settled"]


def test_pull_link_and_sync_build_a_source_from_the_same_settings(ws):
    """One builder: the home's currency and base_dir reach every kind (Shopify's price currency)."""
    from sharekit.store.config import set_value

    set_value(ws.reload_config(), "currency", "USD")
    set_value(ws.reload_config(), "sources.shop", {"kind": "shopify", "store": "https://shop.example"})
    ws.reload_config()
    settings = ws.source_settings("shop")
    assert (settings["currency"], settings["base_dir"]) == ("USD", str(ws.home))
    with load_kind("shopify")("shop", settings) as source:
        assert source.currency == "USD"


def test_a_source_checkout_without_entry_points_still_finds_the_built_in_kinds(monkeypatch):
    """Run from a checkout that was never installed (no dist-info): pyproject.toml's list is read."""
    import sharekit.sources.registry as registry

    monkeypatch.setattr(registry, "entry_points", lambda group: [])
    kinds = registry.available_kinds()
    assert {"feed", "jd", "pdd", "taobao", "amazon", "shopify", "woocommerce"} <= set(kinds)
    assert kinds["feed"].target == "sharekit.sources.feed:FeedSource" and kinds["feed"].builtin
