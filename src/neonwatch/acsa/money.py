"""Money as integer minor units with ISO 4217 exponents, never floats.

A price is typed as a decimal string in major units ("1.35" CAD, "150" JPY) and stored as an
integer count of the currency's minor unit (135 cents, 150 yen). A price with more decimals
than the currency has minor units is refused, not rounded: "150.5" JPY names no amount of yen.
A line amount (quantity x unit price) is rounded half up to the minor unit, once, per line, the
way an invoice line is; totals are exact sums of line amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor-unit exponents (ISO 4217 list one) of the currencies neonwatch may meet; the
# ledger accepts only those its agreement lists (agreement.toml [currencies]).
ISO4217_EXPONENTS = {
    "CAD": 2,
    "JPY": 0,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "AUD": 2,
    "KRW": 0,
    "BHD": 3,
}
MAX_MINOR = 10**15  # above any plausible order; keeps sums far inside 64-bit integers


class MoneyError(ValueError):
    """A malformed amount, or one the currency cannot express."""


def exponent(currency: str, currencies: dict[str, int] | None = None) -> int:
    """The minor-unit exponent of ``currency`` (among ``currencies`` when given)."""
    table = ISO4217_EXPONENTS if currencies is None else currencies
    try:
        return table[currency]
    except KeyError:
        raise MoneyError(
            f"currency {currency!r} is not one of {', '.join(sorted(table))}"
        ) from None


def parse_decimal(text: str | int, what: str = "amount") -> Decimal:
    """A finite decimal from text ("1.35", "120000"); floats are refused (they are not exact)."""
    if isinstance(text, float | bool):
        raise MoneyError(f'{what}: give a decimal string such as "1.35", not {text!r}')
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise MoneyError(f"{what}: {text!r} is not a decimal number") from None
    if not value.is_finite():
        raise MoneyError(f"{what}: {text!r} is not a finite number")
    return value


def to_minor(text: str | int, currency: str, currencies: dict[str, int] | None = None) -> int:
    """``text`` in major units of ``currency`` as integer minor units; refused when it has
    more decimals than the currency's exponent, or is negative."""
    exp = exponent(currency, currencies)
    value = parse_decimal(text)
    minor = value.scaleb(exp)
    if minor != minor.to_integral_value():
        places = "no decimals" if exp == 0 else f"at most {exp} decimals"
        raise MoneyError(
            f"{text!r} has more decimals than {currency} has minor units "
            f"(ISO 4217 exponent {exp}: {places})"
        )
    if value < 0:
        raise MoneyError(f"{text!r} is negative")
    if minor >= MAX_MINOR:
        raise MoneyError(f"{text!r} {currency} is too large")
    return int(minor)


def line_amount(quantity: Decimal, unit_price_minor: int) -> int:
    """quantity x unit price in minor units, rounded half up to a whole minor unit."""
    return int((quantity * unit_price_minor).to_integral_value(rounding=ROUND_HALF_UP))


def format_minor(minor: int, currency: str, currencies: dict[str, int] | None = None) -> str:
    """Integer minor units as a plain decimal string in major units ("162000.00", "150")."""
    exp = exponent(currency, currencies)
    if exp == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


def display(minor: int, currency: str, currencies: dict[str, int] | None = None) -> str:
    """For people: thousands separators and the currency code ("CAD 162,000.00")."""
    exp = exponent(currency, currencies)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp) if exp else (abs(minor), 0)
    body = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
    return f"{currency} {sign}{body}"


def quantity_text(value: Decimal) -> str:
    """A quantity as canonical text: no exponent, no trailing zeros ("120000", "2.5")."""
    text = format(value.normalize(), "f")
    return text
