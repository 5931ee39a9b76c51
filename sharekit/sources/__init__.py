"""Supplier kinds and the registry that finds them (entry-point group ``sharekit.sources``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from ..errors import ConfigError, NotFoundError
from .base import OrderLine, OrderPage, Product, PromotionLink, Source

__all__ = ["OrderLine", "OrderPage", "Product", "PromotionLink", "Source", "SourceKind",
           "available_kinds", "load_kind", "build_source", "settings_keys_of", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "sharekit.sources"
ENV_PLUGINS = "SHAREKIT_PLUGINS"  # comma list: load only these third-party kinds ("" = none)

BUILTIN: dict[str, str] = {
    "feed": "sharekit.sources.feed:FeedSource",
    "shopify": "sharekit.sources.shopify:ShopifySource",
    "woocommerce": "sharekit.sources.woocommerce:WooCommerceSource",
    "jd": "sharekit.sources.jd:JdSource",
    "pdd": "sharekit.sources.pdd:PddSource",
    "taobao": "sharekit.sources.taobao:TaobaoSource",
    "amazon": "sharekit.sources.amazon:AmazonSource",
}


@dataclass(frozen=True)
class SourceKind:
    name: str
    target: str        # module:Class
    builtin: bool
    error: str | None = None


def available_kinds() -> dict[str, SourceKind]:
    """Every installed kind: the built-ins plus third-party entry points."""
    kinds = {name: SourceKind(name, target, True) for name, target in BUILTIN.items()}
    allowed = os.environ.get(ENV_PLUGINS)
    allow = None if allowed is None else {p.strip() for p in allowed.split(",") if p.strip()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in kinds and kinds[ep.name].target == ep.value:
            continue
        if allow is not None and ep.name not in allow:
            continue
        kinds[ep.name] = SourceKind(ep.name, ep.value, ep.value in BUILTIN.values())
    return kinds


def load_kind(kind: str) -> type[Source]:
    """The Source class for ``kind``; a ConfigError when it is unknown or fails to load."""
    kinds = available_kinds()
    if kind not in kinds:
        raise ConfigError(f"Unknown source kind `{kind}` (installed: {', '.join(sorted(kinds))}).")
    module_name, _, attr = kinds[kind].target.partition(":")
    try:
        cls = getattr(import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"Source kind `{kind}` failed to load: {exc}.") from None
    if not (isinstance(cls, type) and issubclass(cls, Source)):
        raise ConfigError(f"Source kind `{kind}` ({kinds[kind].target}) is not a sharekit Source.")
    return cls


def settings_keys_of(kind: str) -> Mapping[str, Any] | None:
    """The keys a kind declares for its [sources.NAME] table; None when it declares none or is unknown."""
    if kind not in BUILTIN and kind not in available_kinds():
        return None
    return load_kind(kind).settings_keys


def build_source(name: str, settings: Mapping[str, Any], **kwargs: Any) -> Source:
    """Instantiate the configured source ``name`` from its settings."""
    kind = settings.get("kind")
    if not kind:
        raise NotFoundError(f"Source `{name}` has no `kind`.", hint=f"Set sources.{name}.kind.")
    return load_kind(str(kind))(name, settings, **kwargs)
