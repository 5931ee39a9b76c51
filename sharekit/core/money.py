"""Money as an integer count of minor units plus an ISO 4217 code. Never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import InputError
from .limits import MAX_MINOR

# ISO 4217: the active currency codes (funds and precious metals left out), each with its number
# of minor-unit digits. One table: it is both the list of known codes and their exponents.
_ISO_4217 = """
AED2 AFN2 ALL2 AMD2 ANG2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 BGN2 BHD3 BIF0 BMD2 BND2 BOB2 BOV2
BRL2 BSD2 BTN2 BWP2 BYN2 BZD2 CAD2 CDF2 CHE2 CHF2 CHW2 CLF4 CLP0 CNY2 COP2 COU2 CRC2 CUP2 CVE2 CZK2
DJF0 DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 GBP2 GEL2 GHS2 GIP2 GMD2 GNF0 GTQ2 GYD2 HKD2 HNL2
HTG2 HUF2 IDR2 ILS2 INR2 IQD3 IRR2 ISK0 JMD2 JOD3 JPY0 KES2 KGS2 KHR2 KMF0 KPW2 KRW0 KWD3 KYD2 KZT2
LAK2 LBP2 LKR2 LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 MMK2 MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 MXN2 MXV2 MYR2
MZN2 NAD2 NGN2 NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 PHP2 PKR2 PLN2 PYG0 QAR2 RON2 RSD2 RUB2 RWF0
SAR2 SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 SLE2 SLL2 SOS2 SRD2 SSP2 STN2 SVC2 SYP2 SZL2 THB2 TJS2 TMT2 TND3
TOP2 TRY2 TTD2 TWD2 TZS2 UAH2 UGX0 USD2 USN2 UYI0 UYU2 UYW4 UZS2 VED2 VES2 VND0 VUV0 WST2 XAF0 XCD2
XCG2 XOF0 XPF0 YER2 ZAR2 ZMW2 ZWG2 ZWL2
"""
EXPONENTS: dict[str, int] = {item[:3]: int(item[3:]) for item in _ISO_4217.split()}
SYMBOLS: dict[str, str] = {
    "CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "HKD": "HK$",
    "TWD": "NT$", "KRW": "₩", "INR": "₹", "AUD": "A$", "CAD": "CA$", "SGD": "S$",
}
# Symbols as they appear in price strings; ¥/￥ read as CNY (the home market).
_SYMBOL_TO_CODE: dict[str, str] = {
    "¥": "CNY", "￥": "CNY", "元": "CNY", "RMB": "CNY", "US$": "USD", "$": "USD", "€": "EUR",
    "£": "GBP", "HK$": "HKD", "NT$": "TWD", "₩": "KRW", "₹": "INR", "A$": "AUD",
    "CA$": "CAD", "C$": "CAD", "S$": "SGD", "JP¥": "JPY",
}
_CODE = re.compile(r"^[A-Z]{3}$")


class CurrencyMismatchError(InputError, ValueError):
    """Raised when two amounts of different currencies are added, subtracted or compared."""


def _round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, in exact integer arithmetic."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return -quotient if numerator < 0 else quotient


def _scaled_minor(value: Decimal, exp: int) -> int:
    """``value`` major units as minor units (``10**exp`` per unit), exact at any size."""
    numerator, denominator = value.as_integer_ratio()
    return _round_half_up(numerator * 10**exp, denominator)


def exponent(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (2 for CNY, 0 for JPY)."""
    return EXPONENTS.get(currency.upper(), 2)


def is_currency(code: str) -> bool:
    """True when ``code`` is an active ISO 4217 code as written (``"CNY"``, not ``"cny"``)."""
    return code in EXPONENTS


def check_minor(minor: int, text: object) -> int:
    """``minor`` if it is within MAX_MINOR either way; InputError naming ``text`` otherwise."""
    if -MAX_MINOR <= minor <= MAX_MINOR:
        return minor
    raise InputError(f"{text!r} is too large an amount (more than 10^12 minor units).")


# Currency arguments already checked by _check_code -> the code they give (``"cny"`` -> ``"CNY"``).
_checked_codes: dict[str, str] = {}


def _check_code(currency: str) -> str:
    code = currency.strip().upper()
    if not _CODE.match(code) or code not in EXPONENTS:
        raise InputError(f"{currency!r} is not an ISO 4217 currency code.")
    return code


@dataclass(frozen=True, order=False, slots=True)
class Money:
    """An exact amount: ``minor`` units of ``currency`` (``Money(1990, "CNY")`` is ¥19.90)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be an int, not {type(self.minor).__name__}")
        raw = self.currency
        code = _checked_codes.get(raw) if type(raw) is str else None
        if code is None:
            code = _check_code(raw)
            if type(raw) is str and len(_checked_codes) < 1024:  # a bounded cache, str keys only
                _checked_codes[raw] = code
        object.__setattr__(self, "currency", code)

    # construction ---------------------------------------------------------------------------
    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str, *, exact: bool = False) -> Money:
        """From major units (``Decimal("19.90")``), rounding half up to the minor unit; with
        ``exact`` more decimals than the currency has (``1.999`` CNY) is an InputError instead.
        More than MAX_MINOR minor units either way is an InputError."""
        code = _checked_codes.get(currency) if type(currency) is str else None
        if code is None:
            code = _check_code(currency)
        try:
            # a Decimal is its own exact string form; anything else is read from its text
            value = amount if type(amount) is Decimal else Decimal(str(amount).strip())
        except InvalidOperation:
            raise InputError(f"{amount!r} is not a number.") from None
        if not value.is_finite():
            raise InputError(f"{amount!r} is not a finite amount.")
        if value.adjusted() > 40:   # far over MAX_MINOR: refuse before scaling an exponent of 10^999999
            raise InputError(f"{_short(amount)!r} is too large an amount (more than 10^12 minor units).")
        exp = exponent(code)
        if exact:
            check_decimals(value, code, amount)
        return cls(check_minor(_scaled_minor(value, exp), _short(amount)), code)

    @staticmethod
    def trusted(minor: int, currency: str) -> Money:
        """Money without the checks, for hot paths that already made them: ``minor`` is an int
        within MAX_MINOR and ``currency`` an upper-case code ``is_currency`` accepts. The one
        constructor that skips validation; everything else goes through ``Money(...)``."""
        money = _new_money(Money)
        _set_field(money, "minor", minor)
        _set_field(money, "currency", currency)
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, default_currency: str | None = None, *, exact: bool = False) -> Money:
        """Parse ``19.9``, ``¥19.90``, ``19.90 CNY``, ``USD 15.00``, ``1,299.00``, ``-3.5``."""
        return parse_money(text, default_currency, exact=exact)

    # conversion -----------------------------------------------------------------------------
    @property
    def amount(self) -> Decimal:
        """The value in major units as an exact Decimal."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def to_json(self) -> dict[str, Any]:
        return {"minor": self.minor, "currency": self.currency}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Money:
        return cls(int(data["minor"]), str(data["currency"]))

    def decimal_str(self) -> str:
        """Major units with the currency's digits, no symbol: ``19.90``."""
        exp = exponent(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**exp)
        return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"

    def format(self, *, symbol: bool = True, grouping: bool = True) -> str:
        """Display form: ``¥19.90``, ``$1,299.00``, ``12.00 XYZ`` for unknown symbols."""
        exp = exponent(self.currency)
        whole, frac = divmod(abs(self.minor), 10**exp)
        number = f"{whole:,}" if grouping else str(whole)
        if exp:
            number += f".{frac:0{exp}d}"
        sign = "-" if self.minor < 0 else ""
        sym = SYMBOLS.get(self.currency)
        if symbol and sym:
            return f"{sign}{sym}{number}"
        return f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.format()

    # arithmetic -----------------------------------------------------------------------------
    def _same(self, other: Any) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"Cannot combine {self.currency} with {other.currency}: amounts in different currencies.")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same(other).minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def times(self, rate: Decimal | int | str) -> Money:
        """Multiply by an exact rate (``Decimal("0.05")``), rounding half up."""
        if isinstance(rate, float) or isinstance(rate, bool):
            raise TypeError("rates must be Decimal, int or str, never float")
        try:
            exact = rate if isinstance(rate, Decimal) else Decimal(str(rate).strip())
        except InvalidOperation:
            raise InputError(f"{rate!r} is not a rate.") from None
        if not exact.is_finite():
            raise InputError(f"{rate!r} is not a finite rate.")
        numerator, denominator = exact.as_integer_ratio()  # exact: no context rounding, no float
        return Money(_round_half_up(self.minor * numerator, denominator), self.currency)

    def allocate(self, parts: int) -> list[Money]:
        """Split into ``parts`` amounts that differ by at most one minor unit and sum exactly."""
        if parts <= 0:
            raise ValueError("parts must be positive")
        base, extra = divmod(self.minor, parts)
        return [Money(base + (1 if i < extra else 0), self.currency) for i in range(parts)]


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_decimals(value: Decimal, currency: str, text: object = None) -> None:
    """InputError when ``value`` has more decimals than ``currency``'s minor unit (``1.999`` CNY)."""
    exp = exponent(currency)
    if value.adjusted() >= 28:
        return  # too large to quantize; the amount cap refuses it
    if value != value.quantize(Decimal(1).scaleb(-exp)):
        digits = f"{exp} decimal{'s' if exp != 1 else ''}" if exp else "no decimals"
        raise InputError(f"{_short(text if text is not None else value)!r} has more decimals than {currency} "
                         f"has ({digits}).")


def money_sum(items: list[Money] | tuple[Money, ...], currency: str) -> Money:
    """Sum amounts of one currency (an empty list sums to zero)."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")
# The spellings most prices come in: ``19.90``, ``15``, ``15.00 USD``, ``15.00usd`` (ASCII digits only).
_PLAIN = re.compile(r"(\d+)(?:\.(\d+))?(?:\s*([A-Za-z]{3}))?", re.ASCII)
_LEADING_CODE = re.compile(r"^([A-Za-z]{3})\s+(.*)$")
_LEADING_CODE_TIGHT = re.compile(r"^([A-Za-z]{3})(\d.*)$")
_TRAILING_CODE = re.compile(r"^(.*?)\s*([A-Za-z]{3})$")
_SYMBOLS_LONGEST_FIRST = tuple(sorted(_SYMBOL_TO_CODE, key=len, reverse=True))


def _plain_minor(whole: str, frac: str | None, exp: int) -> int:
    """``whole.frac`` (ASCII digits, not negative) in minor units of ``exp`` digits, rounding half up."""
    if not frac:
        return int(whole) * 10**exp if exp else int(whole)
    if len(frac) <= exp:
        scale: int = 10 ** (exp - len(frac))  # exp >= len(frac): an int (the checker cannot tell)
        return int(whole + frac) * scale
    # more digits than the currency has: half up, decided by the first dropped digit
    return int(whole + frac[:exp]) + int(frac[exp] >= "5")


def parse_plain_money(text: str, default_currency: str | None = None, *, exact: bool = False) -> Money | None:
    """The fast path of :func:`parse_money`: the same Money for a plain decimal with an optional
    trailing ISO code (``19.90``, ``15.00 USD``), or None when ``text`` needs the general parser
    (symbols, grouping, signs, a missing or invalid currency): call :func:`parse_money` then."""
    if type(text) is not str:
        return None
    m = _PLAIN.fullmatch(text.strip())
    if m is None:
        return None
    code = m.group(3)
    if code is not None:
        code = code.upper()
        if code == "RMB":
            code = "CNY"
    elif default_currency:
        code = _checked_codes.get(default_currency)
        if code is None:
            try:
                code = Money(0, default_currency.upper()).currency
            except InputError:
                return None
            if len(_checked_codes) < 1024:
                _checked_codes[default_currency] = code
    else:
        return None
    if code not in EXPONENTS or len(m.group(1)) > 16:
        return None   # the general parser names the unknown code, or refuses the amount
    exp = EXPONENTS[code]
    frac = m.group(2)
    if exact and frac and len(frac) > exp and frac[exp:].strip("0"):
        return None   # the general parser refuses the extra decimals
    minor = _plain_minor(m.group(1), frac, exp)
    if minor > MAX_MINOR:
        return None   # the general parser refuses the amount
    return Money.trusted(minor, code)


_new_money = object.__new__      # used by Money.trusted only
_set_field = object.__setattr__


def parse_money(text: str, default_currency: str | None = None, *, exact: bool = False) -> Money:
    """Parse a price string. Raises InputError naming the text when it is not a price, names an
    unknown currency, is over MAX_MINOR, or (``exact``) has more decimals than its currency."""
    fast = parse_plain_money(text, default_currency, exact=exact)
    if fast is not None:
        return fast
    return _parse_money_general(text, default_currency, exact=exact)


def _parse_money_general(text: str, default_currency: str | None = None, *, exact: bool = False) -> Money:
    """parse_money without the fast path (every spelling; the specification the fast path meets)."""
    if text is None:
        raise InputError("no price given")
    raw = str(text).strip().replace("\u00a0", " ")
    if not raw:
        raise InputError("empty price")
    s = raw
    currency: str | None = None
    negative = False
    if s.startswith("-"):
        negative, s = True, s[1:].strip()
    # trailing or leading ISO code
    m = _LEADING_CODE.match(s) or _LEADING_CODE_TIGHT.match(s)
    if m and m.group(1).upper() not in ("RMB",):
        currency, s = m.group(1).upper(), m.group(2).strip()
    m = _TRAILING_CODE.match(s)
    if currency is None and m and m.group(1):
        currency, s = m.group(2).upper(), m.group(1).strip()
    # symbols, longest first
    for sym in _SYMBOLS_LONGEST_FIRST:
        if s.startswith(sym):
            currency = currency or _SYMBOL_TO_CODE[sym]
            s = s[len(sym):].strip()
            break
        if s.endswith(sym):
            currency = currency or _SYMBOL_TO_CODE[sym]
            s = s[: -len(sym)].strip()
            break
    if s.startswith("-"):
        if negative:
            raise InputError(f"{raw!r} is not a price.")
        negative, s = True, s[1:].strip()
    if currency == "RMB":
        currency = "CNY"
    if not s or not _NUMBER.match(s) or s[-1:] in ("+", "-", ".") or (negative and s.startswith(("+", "-"))):
        raise InputError(f"{raw!r} is not a price.")
    currency = currency or (default_currency.upper() if default_currency else None)
    if currency is None:
        raise InputError(f"{raw!r} has no currency and none was configured.")
    value = Decimal(s.replace(",", ""))
    money = Money.from_decimal(value, currency, exact=exact)
    return -money if negative else money


def parse_rate(text: str | Decimal | int) -> Decimal:
    """Parse a rate given as ``0.05``, ``5%``; returns a Decimal fraction."""
    s = str(text).strip()
    try:
        rate = Decimal(s[:-1].strip()).scaleb(-2) if s.endswith("%") else Decimal(s)
    except InvalidOperation:
        raise InputError(f"{text!r} is not a rate (use 0.05 or 5%).") from None
    if not rate.is_finite():
        raise InputError(f"{text!r} is not a rate (use 0.05 or 5%).")
    return rate


def rate_str(rate: Decimal | None) -> str | None:
    """A rate as a plain decimal string without exponent or trailing zeros (``"0.05"``)."""
    if rate is None:
        return None
    text = format(rate.normalize(), "f")
    return text if text not in ("-0",) else "0"
