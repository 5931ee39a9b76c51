"""Supplier kinds: the Source contract (:mod:`.base`), the registry that finds kinds
(:mod:`.registry`, entry-point group ``sharekit.sources``) and one module per built-in kind."""

from __future__ import annotations

from .base import (
    ConfirmedLine,
    OrderLine,
    OrderPage,
    Product,
    PromotionLink,
    Skipped,
    Source,
    StatusChange,
    StoredProduct,
)
from .registry import ENTRY_POINT_GROUP, SourceKind, available_kinds, build_source, load_kind, settings_keys_of

__all__ = ["ConfirmedLine", "ENTRY_POINT_GROUP", "OrderLine", "OrderPage", "Product", "PromotionLink", "Skipped",
           "Source", "SourceKind", "StatusChange", "StoredProduct", "available_kinds", "build_source", "load_kind",
           "settings_keys_of"]
