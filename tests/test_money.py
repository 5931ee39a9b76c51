"""Money: parsing price strings, formatting per currency, exact arithmetic (property tests)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharekit.core.money import (
    CurrencyMismatchError,
    Money,
    _parse_money_general,
    exponent,
    money_sum,
    parse_money,
    parse_plain_money,
    parse_rate,
    rate_str,
)
from sharekit.errors import InputError, SharekitError

CURRENCIES = ["CNY", "USD", "EUR", "GBP", "JPY", "KRW", "HKD", "TWD", "BHD", "KWD", "CHF", "CLF"]
currencies = st.sampled_from(CURRENCIES)
minors = st.integers(min_value=-(10**15), max_value=10**15)
huge_minors = st.integers(min_value=-(10**40), max_value=10**40)


def money_in(currency: str, values=minors):
    return values.map(lambda m: Money(m, currency))


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("19.9", "CNY", Money(1990, "CNY")),
        ("¥19.90", None, Money(1990, "CNY")),
        ("￥19.9", None, Money(1990, "CNY")),
        ("19.90 CNY", None, Money(1990, "CNY")),
        ("CNY 19.90", None, Money(1990, "CNY")),
        ("19.90元", None, Money(1990, "CNY")),
        ("RMB 19.90", None, Money(1990, "CNY")),
        ("1,299.00", "CNY", Money(129900, "CNY")),
        ("¥1,299.00", None, Money(129900, "CNY")),
        ("15.00 USD", None, Money(1500, "USD")),
        ("$15", None, Money(1500, "USD")),
        ("US$15.5", None, Money(1550, "USD")),
        ("-3.50", "CNY", Money(-350, "CNY")),
        ("-¥3.50", None, Money(-350, "CNY")),
        ("¥-3.50", None, Money(-350, "CNY")),
        ("+2", "EUR", Money(200, "EUR")),
        (" 19.90\u00a0CNY ", None, Money(1990, "CNY")),
        ("1200 JPY", None, Money(1200, "JPY")),
        ("JPY 1,200", None, Money(1200, "JPY")),
        ("JP¥1,200", None, Money(1200, "JPY")),
        ("15.00 usd", None, Money(1500, "USD")),
        ("0.005 CNY", None, Money(1, "CNY")),  # half rounds up to the minor unit
        ("1.234 BHD", None, Money(1234, "BHD")),
        (".5", "USD", Money(50, "USD")),
        ("19.90 USD", "CNY", Money(1990, "USD")),  # an explicit code beats the default
    ],
)
def test_parse_reads_common_price_spellings(text, default, expected):
    assert parse_money(text, default) == expected
    assert Money.parse(text, default) == expected


@pytest.mark.parametrize(
    "text",
    ["abc", "", "   ", "12.3.4", "1,29", "1,2345.00", "$", "¥", "--3", "-+3", "1e5", "nan", "inf", "19.90 CNY CNY",
     "¥¥19", "12,", "3."],
)
def test_parse_refuses_garbage_with_an_input_error_naming_the_text(text):
    with pytest.raises(InputError) as info:
        parse_money(text, "CNY")
    if text.strip():
        assert repr(text.strip()) in str(info.value) or text.strip() in str(info.value)


def test_parse_without_currency_or_default_says_so():
    with pytest.raises(InputError, match="no currency"):
        parse_money("19.90")


def test_jpy_has_no_minor_digits():
    assert exponent("JPY") == 0
    assert Money(1200, "JPY").format() == "JP¥1,200"
    assert Money(1200, "JPY").decimal_str() == "1200"
    assert Money.from_decimal("1200.4", "JPY") == Money(1200, "JPY")
    assert Money.from_decimal("1200.5", "JPY") == Money(1201, "JPY")


def test_format_per_currency():
    assert Money(1990, "CNY").format() == "¥19.90"
    assert Money(129900, "USD").format() == "$1,299.00"
    assert Money(-350, "CNY").format() == "-¥3.50"
    assert Money(1200, "CHF").format() == "12.00 CHF"
    assert Money(1234, "BHD").format() == "1.234 BHD"
    assert Money(129900, "CNY").format(symbol=False, grouping=False) == "1299.00 CNY"
    assert Money(5, "CNY").decimal_str() == "0.05"
    assert Money(-5, "CNY").decimal_str() == "-0.05"


def test_money_never_holds_a_float():
    with pytest.raises(TypeError):
        Money(19.9, "CNY")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "CNY")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1990, "CNY").times(0.05)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        Money(1, "yuan")


def test_json_shape_is_minor_units_and_code():
    assert Money(1990, "cny").to_json() == {"minor": 1990, "currency": "CNY"}
    assert Money.from_json({"minor": 1990, "currency": "CNY"}) == Money(1990, "CNY")


@given(st.data(), currencies)
def test_format_then_parse_round_trips(data, currency):
    money = data.draw(money_in(currency, st.integers(min_value=-(10**12), max_value=10**12)))
    assert parse_money(money.format()) == money
    assert parse_money(money.format(symbol=False)) == money
    assert parse_money(money.format(grouping=False)) == money
    assert parse_money(money.decimal_str(), currency) == money
    assert Money.from_decimal(money.amount, currency) == money


@given(st.data(), currencies)
def test_addition_is_associative_and_commutative(data, currency):
    a, b, c = (data.draw(money_in(currency, huge_minors)) for _ in range(3))
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert a - a == Money.zero(currency)
    assert (a + b).minor == a.minor + b.minor
    assert money_sum([a, b, c], currency) == a + b + c


@given(minors, minors, st.sampled_from([("CNY", "USD"), ("USD", "JPY"), ("EUR", "GBP")]))
def test_two_currencies_are_never_added(x, y, pair):
    a, b = Money(x, pair[0]), Money(y, pair[1])
    for combine in (lambda: a + b, lambda: a - b, lambda: a < b, lambda: money_sum([a, b], pair[0])):
        with pytest.raises(CurrencyMismatchError) as info:
            combine()
        assert isinstance(info.value, SharekitError) and isinstance(info.value, ValueError)
        assert pair[0] in str(info.value) and pair[1] in str(info.value)


def _half_up(value: Fraction) -> int:
    whole, rest = divmod(abs(value.numerator), value.denominator)
    if 2 * rest >= value.denominator:
        whole += 1
    return whole if value >= 0 else -whole


rates = st.decimals(min_value=Decimal("-10"), max_value=Decimal("10"), places=8, allow_nan=False, allow_infinity=False)


@given(huge_minors, rates, currencies)
def test_times_is_exact_half_up_rounding_of_the_true_product(minor, rate, currency):
    # the oracle is exact rational arithmetic: no float and no Decimal context rounding anywhere
    expected = _half_up(Fraction(minor) * Fraction(rate))
    assert Money(minor, currency).times(rate).minor == expected
    assert Money(minor, currency).times(str(rate)).minor == expected


def test_times_keeps_precision_beyond_the_decimal_context():
    big = Money(10**30 + 1, "CNY")
    assert big.times(Decimal("0.05")).minor == _half_up(Fraction(10**30 + 1) * Fraction(1, 20))
    assert Money(1990, "CNY").times(Decimal("0.05")) == Money(100, "CNY")  # 99.5 rounds half up
    assert Money(1990, "CNY").times(3) == Money(5970, "CNY")
    with pytest.raises(InputError, match="too large"):   # parsing refuses more than 10^12 minor units
        Money.from_decimal("123456789012345678901234567890.125", "CNY")


@given(huge_minors, st.integers(min_value=1, max_value=50), currencies)
def test_allocate_sums_exactly_and_parts_differ_by_at_most_one_unit(minor, parts, currency):
    shares = Money(minor, currency).allocate(parts)
    assert len(shares) == parts
    assert sum(s.minor for s in shares) == minor
    assert max(s.minor for s in shares) - min(s.minor for s in shares) <= 1
    assert {s.currency for s in shares} == {currency}


def test_allocate_refuses_zero_parts():
    with pytest.raises(ValueError):
        Money(100, "CNY").allocate(0)


def test_rates_parse_as_decimal_fractions():
    assert parse_rate("5%") == Decimal("0.05")
    assert parse_rate("0.05") == Decimal("0.05")
    assert rate_str(parse_rate("5.0%")) == "0.05"
    for bad in ("five", "nan", "%"):
        with pytest.raises(InputError):
            parse_rate(bad)


# The fast path of parse_money (plain decimals, an optional trailing ISO code) -------------------
price_texts = st.one_of(
    st.builds(
        lambda pad1, whole, frac, gap, code, pad2: f"{pad1}{whole}{frac}{gap}{code}{pad2}",
        st.sampled_from(["", " ", "\t", "\u00a0"]),
        st.from_regex(r"[0-9]{1,25}", fullmatch=True) | st.sampled_from(["", "٣", "1,299", "+1", "-1"]),
        st.from_regex(r"\.[0-9]{0,6}", fullmatch=True) | st.sampled_from(["", "", ".", ".٣"]),
        st.sampled_from(["", "", " ", "  ", "\t", "\u00a0"]),
        st.sampled_from(["", "", "USD", "usd", "Cny", "JPY", "BHD", "RMB", "rmb", "XYZ", "元", "¥", "US", "USDX"]),
        st.sampled_from(["", " ", "\n"]),
    ),
    st.text(alphabet="0123456789.,+- \u00a0$¥元USDCNYJPrmb", max_size=14),
)
defaults = st.sampled_from([None, "CNY", "cny", " usd ", "JPY", "BHD", "KWD", "XYZ", "xx", "", "12A"])


@given(price_texts, defaults)
def test_parse_money_fast_path_equals_the_general_parser(text, default):
    try:
        slow = _parse_money_general(text, default)
    except InputError as exc:
        slow = exc
    fast = parse_plain_money(text, default)
    if fast is not None:
        assert not isinstance(slow, Exception), (text, default, slow)
        assert (fast, fast.minor, fast.currency) == (slow, slow.minor, slow.currency)
        assert type(fast.minor) is int
    try:
        result = parse_money(text, default)
    except InputError as exc:
        assert isinstance(slow, InputError) and str(exc) == str(slow)
    else:
        assert not isinstance(slow, Exception) and result == slow


@given(st.integers(min_value=0, max_value=10**18), st.integers(min_value=0, max_value=7), currencies)
def test_parse_money_fast_path_rounds_like_the_general_parser(minor, digits, currency):
    text = str(minor)
    text = f"{text[:-digits] or '0'}.{text[-digits:].zfill(digits)}" if digits else text
    fast = parse_plain_money(f"{text} {currency}")
    try:
        general = _parse_money_general(f"{text} {currency}")
    except InputError:   # over the 10^12 minor-unit cap: the fast path leaves it to the general parser
        assert fast is None
        return
    assert fast is not None
    assert fast == general == parse_money(text, currency)


def test_parse_money_fast_path_leaves_symbols_grouping_and_signs_to_the_general_parser():
    for text in ("¥19.90", "1,299.00", "-3.50", "+2", ".5", "19.", "USD 15", "19.90 CNY CNY", "٣"):
        assert parse_plain_money(text, "CNY") is None
    assert parse_plain_money("19.90") is None          # no currency: the general parser says so
    assert parse_plain_money("19.90", "12A") is None   # a bad default: the general parser names it
