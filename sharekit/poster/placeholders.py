"""The ``{name}`` placeholders of share texts and poster text blocks, filled from the price story.

Every figure comes from :func:`sharekit.core.pricing.price_story`, so a share text and a poster
never disagree, and a coupon that cannot be used is never advertised: ``{coupon}``,
``{coupon_price}``, ``{coupon_line}``, ``{threshold}``, ``{coupon_rule}``, ``{coupon_url}`` and
``{get_coupon}`` are empty unless the coupon is usable at the selling price. A line of a share
text whose ``【…】`` label is left with no value is dropped. A name not listed in
:data:`PLACEHOLDERS` is an error naming it (a typo would otherwise reach buyers as ``{prcie}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..core.money import SYMBOLS, Money
from ..errors import InputError

if TYPE_CHECKING:
    from .render import ProductRecord

# name -> what it holds (shown in errors and in the README).
PLACEHOLDERS: dict[str, str] = {
    "title": "the product title",
    "list_price": "the list price (原价), e.g. ¥89.90",
    "sale_price": "the selling price (在售价): the sale price, else the list price",
    "final_price": "what the buyer pays: after a usable coupon, else the selling price",
    "price_label": "券后价 when a usable coupon brings the price down, else 到手价",
    "coupon": "the usable coupon's amount, e.g. ¥10 (empty when there is none)",
    "coupon_price": "the after-coupon price (券后价), only with a usable coupon",
    "coupon_rule": "the usable coupon as written: 满59减10, or 无门槛减10",
    "threshold": "the usable coupon's minimum order, e.g. ¥59 (empty without one)",
    "coupon_line": "【优惠券】¥10（满59可用）, only with a usable coupon",
    "coupon_url": "the usable coupon's own link, when the source gives one",
    "get_coupon": "领券 with a usable coupon, else empty (a caption such as 扫码{get_coupon}购买)",
    "share_text": "the supplier's share text for the link (a Taobao 淘口令), else the product's own 淘口令",
    "tpwd": "the 淘口令: the link's own (Taobao) or the product's (a feed's tpwd column)",
    "wxa_path": "the WeChat mini-program page: a feed's wxa_path, or PDD's we_app_info page_path",
    "wxa_appid": "the mini-program's app id (PDD we_app_info app_id, or a feed's wxa_appid)",
    "link": "the short link (or the promotion link without a server)",
    "brand": "your brand name",
    "slogan": "your brand slogan",
    "price": "same as {final_price} (kept for older templates)",
    "original_price": "same as {list_price} (kept for older templates)",
}
# Poster text blocks have no link of their own (the QR code carries it).
POSTER_PLACEHOLDERS = frozenset(PLACEHOLDERS) - {"link", "share_text", "tpwd", "wxa_path", "wxa_appid"}

_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def symbol(money: Money) -> str:
    return SYMBOLS.get(money.currency, money.currency + " ")


def amount_text(money: Money) -> str:
    """``20`` for a whole amount, ``19.90`` otherwise (no symbol, no grouping)."""
    text = money.decimal_str()
    if "." in text and set(text.split(".", 1)[1]) == {"0"}:
        text = text.split(".", 1)[0]
    return text


def short_money(money: Money | None) -> str:
    """``¥20`` / ``¥19.90``: the symbol and the amount without trailing ``.00``; ``""`` for None."""
    return symbol(money) + amount_text(money) if money is not None else ""


def price_values(product: ProductRecord) -> dict[str, str]:
    """The price placeholders of one product, as display text (``""`` where a figure is absent)."""
    story = product.story
    usable = story.usable_coupon
    threshold = story.threshold if usable is not None else None
    rule = ""
    if usable is not None:
        rule = (f"满{amount_text(threshold)}减{amount_text(usable)}" if threshold is not None
                else f"无门槛减{amount_text(usable)}")
    line = ""
    if usable is not None:
        line = f"【优惠券】{short_money(usable)}" + (f"（满{amount_text(threshold)}可用）" if threshold else "")
    return {
        "title": product.title,
        "list_price": short_money(story.list_price),
        "sale_price": short_money(story.selling),
        "final_price": short_money(story.final_price),
        "price_label": story.label if story.final_price is not None else "",
        "coupon": short_money(usable),
        "coupon_price": short_money(story.final_price) if usable is not None else "",
        "coupon_rule": rule,
        "threshold": short_money(threshold),
        "coupon_line": line,
        "coupon_url": (product.coupon_url or "") if usable is not None else "",
        "get_coupon": "领券" if usable is not None else "",
        "price": short_money(story.final_price),
        "original_price": short_money(story.list_price),
    }


def unknown_names(template: str, known: Iterable[str]) -> list[str]:
    """The ``{name}`` placeholders of ``template`` not in ``known``, in order, once each."""
    allowed = set(known)
    return list(dict.fromkeys(n for n in _NAME.findall(template) if n not in allowed))


def check_template(template: str, where: str, known: Iterable[str] = PLACEHOLDERS) -> None:
    """Raise InputError naming the first unknown placeholder of ``template`` (``where`` says whose)."""
    allowed = list(known)
    bad = unknown_names(template, allowed)
    if bad:
        raise InputError(f"{where}: unknown placeholder {{{bad[0]}}} (known: "
                         + ", ".join("{" + n + "}" for n in allowed) + ").")


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each known ``{name}`` replaced; check names first with :func:`check_template`."""
    return _NAME.sub(lambda m: values.get(m.group(1), m.group(0)), template)
