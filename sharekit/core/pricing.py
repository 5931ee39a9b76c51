"""The price story of a product: one model for every source kind, and its arithmetic.

A supplier tells some of: the list price (原价), the price the item sells for now (在售价, a sale
price when there is one), and its best coupon (a discount, often with a threshold: ``满59减10`` is
a ¥10 coupon usable on orders of ¥59 or more). From those, :func:`price_story` derives the rest:

- ``selling`` -- the sale price when one is given, else the list price;
- ``coupon_usable`` -- None without a coupon (or without a selling price); True when the selling
  price reaches the threshold (no threshold = usable) and the coupon is less than the selling
  price (a coupon worth the whole price is supplier data gone wrong: never advertised as usable);
  False otherwise;
- ``final_price`` -- what the buyer pays: ``selling - coupon`` when the coupon is usable, else
  ``selling`` (券后价 only exists when a usable coupon exists).

Display rules that follow from it (posters and share texts use these, nothing else):
the big price is ``final_price``, labelled 券后价 only when the coupon is usable; the struck
price is the step before it (the selling price under a usable coupon, else the list price) and
only when it is higher than the big price; the coupon badge only when the coupon is usable.

Pure: exact integer minor units (``Money``), no store, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError
from .money import CurrencyMismatchError, Money, parse_money

COUPON_LABEL = "券后价"   # the big price's label when a usable coupon brings it down
PLAIN_LABEL = "到手价"    # the big price's label without one (the selling price)


@dataclass(frozen=True, slots=True)
class PriceStory:
    """A product's prices, all in one currency; see the module docstring for the rules."""

    list_price: Money | None      # 原价, as the supplier states it (may equal or be below selling)
    sale_price: Money | None      # the sale price as given (None when the supplier gives only one price)
    coupon: Money | None          # the best coupon's discount (None: no coupon)
    threshold: Money | None       # the coupon's minimum order (None: no threshold, or no coupon)
    selling: Money | None         # 在售价: sale price, else list price
    coupon_usable: bool | None    # None without a coupon or a selling price
    final_price: Money | None     # 券后价 when the coupon is usable, else the selling price

    @property
    def currency(self) -> str | None:
        for value in (self.selling, self.list_price, self.coupon):
            if value is not None:
                return value.currency
        return None

    @property
    def usable_coupon(self) -> Money | None:
        """The coupon when it is usable at the selling price, else None (what a badge may show)."""
        return self.coupon if self.coupon_usable else None

    @property
    def label(self) -> str:
        """券后价 when the big price is after a usable coupon, else 到手价."""
        return COUPON_LABEL if self.coupon_usable else PLAIN_LABEL

    @property
    def struck(self) -> Money | None:
        """The price shown struck through beside the big one, or None.

        The step before the final price (selling price under a usable coupon, else the list
        price), only when it is higher than the final price."""
        before = self.selling if self.coupon_usable else self.list_price
        if before is None or self.final_price is None or before.currency != self.final_price.currency:
            return None
        return before if before.minor > self.final_price.minor else None


def _positive(value: Money | None) -> Money | None:
    return value if value is not None and value.minor > 0 else None


def final_of(selling: int | None, coupon: int | None, threshold: int | None) -> tuple[bool | None, int | None]:
    """``(coupon_usable, final price)`` in minor units: the rule of :func:`price_story` on plain ints.

    A coupon or threshold of zero or less is none. For stores that work on integer columns."""
    if coupon is None or coupon <= 0 or selling is None:
        return None, selling
    if (threshold is None or threshold <= selling) and coupon < selling:
        return True, selling - coupon
    return False, selling


def price_story(*, list_price: Money | None = None, sale_price: Money | None = None,
                coupon: Money | None = None, threshold: Money | None = None) -> PriceStory:
    """Derive the selling price, ``coupon_usable`` and ``final_price`` from what a supplier gives.

    ``price_story(list_price=¥89.90, sale_price=¥59.90, coupon=¥10, threshold=¥59)`` sells at
    ¥59.90 and ends at ¥49.90; with ``list_price=¥89``, ``coupon=¥10``, ``threshold=¥99`` the
    coupon is not usable and the final price is ¥89. A zero or negative coupon is no coupon, a
    zero threshold is no threshold. Raises CurrencyMismatchError when the amounts disagree.
    """
    coupon = _positive(coupon)
    threshold = _positive(threshold) if coupon is not None else None
    given = [v for v in (list_price, sale_price, coupon, threshold) if v is not None]
    if any(v.currency != given[0].currency for v in given):
        raise CurrencyMismatchError(
            "A product's prices must share one currency: " + ", ".join(str(v) for v in given) + ".")
    selling = sale_price if sale_price is not None else list_price
    final = selling
    usable, final_minor = final_of(None if selling is None else selling.minor,
                                   None if coupon is None else coupon.minor,
                                   None if threshold is None else threshold.minor)
    if selling is not None and final_minor is not None and final_minor != selling.minor:
        final = Money(final_minor, selling.currency)
    return PriceStory(list_price=list_price, sale_price=sale_price, coupon=coupon, threshold=threshold,
                      selling=selling, coupon_usable=usable, final_price=final)


_RULE = re.compile(r"^\s*满\s*([0-9][0-9.,]*)\s*(?:元)?\s*[减-]\s*([0-9][0-9.,]*)\s*(?:元)?\s*$")


def parse_coupon(text: str, currency: str) -> tuple[Money | None, Money | None]:
    """``(coupon, threshold)`` from a coupon as resellers write it: ``10``, ``¥10``, ``满59减10``.

    An empty cell or a zero amount is no coupon ``(None, None)``; raises InputError naming the
    text when it is neither an amount nor a 满X减Y rule."""
    raw = (text or "").strip()
    if not raw:
        return None, None
    rule = _RULE.match(raw)
    if rule:
        threshold: Money | None = parse_money(rule.group(1), currency)
        coupon = parse_money(rule.group(2), currency)
    else:
        threshold, coupon = None, parse_money(raw, currency)
    if coupon.currency != currency.upper() or coupon.minor < 0:
        raise InputError(f"coupon {raw!r} does not fit a {currency} price")
    if coupon.minor == 0:
        return None, None
    return coupon, _positive(threshold)


def coupon_spec(coupon: Money | None, threshold: Money | None = None) -> str:
    """The coupon as a reseller writes it: ``满59减10``, or ``10`` without a threshold; ``""`` for none."""
    if coupon is None:
        return ""

    def plain(m: Money) -> str:
        text = m.decimal_str()
        return text.rstrip("0").rstrip(".") if "." in text else text

    return f"满{plain(threshold)}减{plain(coupon)}" if threshold is not None else plain(coupon)
