"""The price story: selling price, coupon usability and the final price, in exact minor units."""

from __future__ import annotations

import pytest

from sharekit.core.money import CurrencyMismatchError, Money
from sharekit.core.pricing import coupon_spec, parse_coupon, price_story
from sharekit.errors import InputError


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def test_sale_price_and_a_usable_threshold_coupon_give_the_after_coupon_price() -> None:
    # The feed row: price 89.90, sale_price 59.90, coupon 满59减10.
    story = price_story(list_price=cny(8990), sale_price=cny(5990), coupon=cny(1000), threshold=cny(5900))
    assert story.selling == cny(5990)
    assert story.coupon_usable is True
    assert story.final_price == cny(4990)
    assert story.label == "券后价"
    assert story.struck == cny(5990)  # the step before the big price, so 59.90 - 10 = 49.90 reads true
    assert story.usable_coupon == cny(1000)


def test_a_coupon_whose_threshold_the_price_does_not_reach_is_not_usable() -> None:
    # ¥89 with 满99减10: no badge, no 券后价.
    story = price_story(list_price=cny(8900), coupon=cny(1000), threshold=cny(9900))
    assert story.coupon_usable is False
    assert story.final_price == cny(8900)
    assert story.usable_coupon is None
    assert story.label == "到手价"
    assert story.struck is None


def test_no_coupon_sells_at_the_sale_price_and_strikes_the_list_price() -> None:
    story = price_story(list_price=cny(19900), sale_price=cny(15900))
    assert story.coupon_usable is None
    assert story.final_price == cny(15900)
    assert story.struck == cny(19900)
    assert story.label == "到手价"


def test_a_list_price_at_or_below_the_selling_price_is_never_struck() -> None:
    assert price_story(list_price=cny(5000), sale_price=cny(5000)).struck is None
    assert price_story(list_price=cny(4000), sale_price=cny(5000)).struck is None


def test_threshold_equal_to_the_selling_price_is_usable_and_no_threshold_is_usable() -> None:
    assert price_story(list_price=cny(5900), coupon=cny(1000), threshold=cny(5900)).final_price == cny(4900)
    assert price_story(list_price=cny(5900), coupon=cny(1000)).coupon_usable is True
    assert price_story(list_price=cny(5900), coupon=cny(1000), threshold=cny(0)).threshold is None


def test_a_coupon_worth_the_whole_price_is_not_advertised() -> None:
    story = price_story(sale_price=cny(990), coupon=cny(1000))
    assert story.coupon_usable is False
    assert story.final_price == cny(990)


def test_zero_coupon_is_no_coupon_and_no_price_means_unknown_usability() -> None:
    assert price_story(list_price=cny(100), coupon=cny(0)).coupon is None
    story = price_story(coupon=cny(500))
    assert story.coupon_usable is None and story.final_price is None


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        price_story(list_price=cny(100), sale_price=Money(90, "USD"))


@pytest.mark.parametrize("text,coupon,threshold", [
    ("10", 1000, None), ("¥10", 1000, None), ("满59减10", 1000, 5900), ("满 99 元减 10 元", 1000, 9900),
    ("满150减20", 2000, 15000), ("0", None, None), ("", None, None), ("满0减5", 500, None),
])
def test_parse_coupon_reads_amounts_and_rules(text: str, coupon: int | None, threshold: int | None) -> None:
    got = parse_coupon(text, "CNY")
    assert got == (cny(coupon) if coupon is not None else None, cny(threshold) if threshold is not None else None)


def test_parse_coupon_names_what_it_cannot_read() -> None:
    with pytest.raises(InputError, match="半价"):
        parse_coupon("半价", "CNY")


def test_coupon_spec_round_trips() -> None:
    assert coupon_spec(cny(1000), cny(5900)) == "满59减10"
    assert coupon_spec(cny(1050)) == "10.5"
    assert coupon_spec(None) == ""
    assert parse_coupon(coupon_spec(cny(1050), cny(9990)), "CNY") == (cny(1050), cny(9990))
