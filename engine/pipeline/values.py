"""Typed values of the rule language: dates, money, months, numbers, symbols.

Money is exact: integer pence, never a float (pyDatalog rounds floats to 8
significant digits). Each kind is its own class so that comparing money with
months is impossible at run time too, not only rejected by the checker.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import total_ordering

DATE = "date"
MONEY = "money"
MONTHS = "months"
NUMBER = "number"
SYMBOL = "symbol"
BOOL = "flag"
ORDERED = (DATE, MONEY, MONTHS, NUMBER)


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    """An amount in pounds sterling, held as integer pence."""

    pence: int

    def __lt__(self, other: "Money") -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.pence < other.pence

    def __str__(self) -> str:
        pounds, pence = divmod(self.pence, 100)
        return f"£{pounds}" if pence == 0 else f"£{pounds}.{pence:02d}"


@total_ordering
@dataclass(frozen=True, slots=True)
class Months:
    """A duration in whole months (a sentence length, for instance)."""

    count: int

    def __lt__(self, other: "Months") -> bool:
        if not isinstance(other, Months):
            return NotImplemented
        return self.count < other.count

    def __str__(self) -> str:
        return f"{self.count} month" + ("" if self.count == 1 else "s")


Date = _dt.date
Value = "Date | Money | Months | int | str"

_MONEY = re.compile(r"£([0-9]{1,12})(?:\.([0-9]{2}))?", re.ASCII)


def parse_money(text: str) -> Money:
    """'£499.99' -> Money(49999): a pound sign and ASCII digits. Raises ValueError when malformed.

    >>> parse_money("£500")
    Money(pence=50000)
    """
    match = _MONEY.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an amount of money: {text!r} (write it like £500 or £499.99)")
    return Money(int(match.group(1)) * 100 + int(match.group(2) or 0))


def parse_date(text: str) -> Date:
    """An ISO date 'YYYY-MM-DD'; raises ValueError for anything else."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(f"not a date: {text!r} (write it as YYYY-MM-DD)")
    return _dt.date.fromisoformat(text)


def kind_of(value: object) -> str:
    """The rule-language type of a run-time value."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Money):
        return MONEY
    if isinstance(value, Months):
        return MONTHS
    if isinstance(value, _dt.date):
        return DATE
    if isinstance(value, int):
        return NUMBER
    return SYMBOL


def order_key(value):
    """Where a value sorts among others of its kind: money in pence, months as a count, a date's ordinal."""
    kind = kind_of(value)
    if kind == MONEY:
        return value.pence
    if kind == MONTHS:
        return value.count
    if kind == DATE:
        return value.toordinal()
    return value


def show(value: object) -> str:
    """How a value is written in rules and traces: 2018-05-09, £500, 12 months."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def to_json(value: object):
    """A value as JSON: dates as ISO strings, money as '£…', months as counts."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (Money, Months)):
        return str(value)
    return value
