"""The price block and the coupon badge, drawn from a product's price story (exact Money).

The final price large with a smaller currency sign and smaller decimals, labelled 券后价 only
when a usable coupon brought it down (else the block's ``plain_label``, 到手价); the price before
it grey and struck through, only when higher; a badge ``券 ¥20`` only for a usable coupon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.money import Money
from ..core.pricing import COUPON_LABEL, PLAIN_LABEL, PriceStory
from .layout import rgb
from .placeholders import amount_text, fill, short_money, symbol
from .text import FontChain

if TYPE_CHECKING:
    from PIL import ImageDraw

    from .templates import Block


__all__ = ["amount_text", "coupon_text", "draw_coupon", "draw_price", "short_money", "symbol"]


def draw_price(draw: ImageDraw.ImageDraw, fonts: FontChain, block: Block, story: PriceStory,
               brand_color: str) -> None:
    """Label, ``¥`` small, whole part large, decimals smaller; then the struck price (if higher)."""
    price = story.final_price
    if price is None:
        return
    size = int(block.get("size", 96))
    color = rgb(block.get("color", "brand"), brand_color)
    label = block.get("label", COUPON_LABEL) if story.coupon_usable else block.get("plain_label", PLAIN_LABEL)
    label_size = int(block.get("label_size", max(12, size * 3 // 10)))
    baseline = block.y + size * 0.9  # the em box's top sits at block.y
    x = float(block.x)
    if label:
        x += fonts.draw(draw, (x, baseline), label, label_size, color, bold=True) + label_size * 0.3
    x += fonts.draw(draw, (x, baseline), symbol(price), max(10, size // 2), color, bold=True) + size * 0.04
    text = amount_text(price)
    whole, _, frac = text.partition(".")
    x += fonts.draw(draw, (x, baseline), whole, size, color, bold=True)
    if frac:
        x += fonts.draw(draw, (x, baseline), "." + frac, max(10, size * 6 // 10), color, bold=True)
    original = story.struck
    if not block.get("original", True) or original is None:
        return
    osize = int(block.get("original_size", max(12, size * 36 // 100)))
    ocolor = rgb(block.get("original_color", "#999999"), brand_color)
    otext = short_money(original)
    owidth = fonts.length(otext, osize)
    gap = size * 0.25
    if x + gap + owidth <= block.x + block.w:
        ox, obase = x + gap, baseline
    else:  # no room on the price line: put it below
        ox, obase = float(block.x), baseline + osize * 1.5
    fonts.draw(draw, (ox, obase), otext, osize, ocolor)
    # The strike sits at about the middle of the digits' x-height band.
    mid = obase - osize * 0.36
    draw.line((ox - 2, mid, ox + owidth + 2, mid), fill=ocolor, width=max(2, osize // 14))


def coupon_text(coupon: Money, fmt: str = "券 {amount}") -> str:
    return fill(fmt, {"amount": short_money(coupon), "value": amount_text(coupon)})


def draw_coupon(draw: ImageDraw.ImageDraw, fonts: FontChain, block: Block, story: PriceStory,
                brand_color: str) -> Any:
    """A rounded badge ``券 ¥20`` at the block's position; nothing without a usable coupon."""
    coupon = story.usable_coupon
    if coupon is None:
        return None
    size = int(block.get("size", 40))
    fill = rgb(block.get("color", "brand"), brand_color)
    ink = rgb(block.get("text_color", "#FFFFFF"), brand_color)
    text = coupon_text(coupon, block.get("format", "券 {amount}"))
    pad_x, pad_y = size * 0.5, size * 0.28
    width = fonts.length(text, size, True)
    height = size + 2 * pad_y
    x0, y0 = block.x, block.y
    radius = int(block.get("radius", int(height // 4)))
    draw.rounded_rectangle((x0, y0, x0 + width + 2 * pad_x, y0 + height), radius=radius, fill=fill)
    baseline = y0 + height / 2 + size * 0.36  # CJK em box centred: baseline 0.38 em below the middle
    fonts.draw(draw, (x0 + pad_x, baseline), text, size, ink, bold=True)
    return (x0, y0, x0 + width + 2 * pad_x, y0 + height)
