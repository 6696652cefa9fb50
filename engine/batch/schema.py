"""The declared schema of `distribution.yaml`, checked before anything is drawn.

Every spec is validated against the field it describes (see
engine/batch/synthetic.py for the format), so drawing can trust it:

- D002 a weight or probability that is not a finite number, a negative
  weight, a probability outside 0..1, or weights whose total is not a
  positive finite number (all 0, `1e308` twice);
- D003 a count or range out of bounds: a records `count` or a `pick`
  `min`/`max` that is not a whole number from 0 to the list limit, a low
  end above the high end, a `from`/`until` the field's type cannot hold;
- D004 a spec of the wrong shape for its field (`cases: 5`, a list where a
  mapping is needed, a weight of `abc` or `[1]`, an unknown key);
- D001 (unchanged) a field or value the vocabulary does not have.

`fail(code, message, where)` raises the located error; `where` is the
dotted path of the offending spec in the file.
"""
from __future__ import annotations

import datetime
import math

from warrant.pipeline.limits import MAX_LIST
from warrant.pipeline.values import BOOL, DATE, MONEY, MONTHS, NUMBER, SYMBOL, parse_date, parse_money

MAX_SPEC_DEPTH = 8        # `present` and `oneof` wrappers inside one another, at most


def check_weight(weight, where: str, fail) -> None:
    """A finite, non-negative number (not a boolean)."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        fail("D004", f"a weight is a number, not {weight!r:.40}", where)
    if not math.isfinite(weight) or weight < 0:
        fail("D002", f"a weight is a finite number of 0 or more, not {weight!r}", where)


def check_weights(weights: list, where: str, fail) -> None:
    """Each weight valid; their total positive and finite."""
    for weight in weights:
        check_weight(weight, where, fail)
    try:
        total = math.fsum(weights)
    except OverflowError:
        total = math.inf
    if not weights or not math.isfinite(total) or total <= 0:
        fail("D002", "the weights must add up to a positive, finite number"
                     + (f" (they add up to {total!r})" if weights else " (there are none)"), where)


def check_probability(value, where: str, fail) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail("D004", f"a probability is a number from 0 to 1, not {value!r:.40}", where)
    if not math.isfinite(value) or not 0 <= value <= 1:
        fail("D002", f"a probability is from 0 to 1, not {value!r}", where)


def check_count(value, where: str, fail) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail("D004", f"a count is a whole number, not {value!r:.40}", where)
    if not 0 <= value <= MAX_LIST:
        fail("D003", f"a count is from 0 to {MAX_LIST:,} (the list limit), not {value:,}", where)
    return value


def check_spec(raw, spec, kind: str, values: tuple, where: str, fail, depth: int = 0) -> None:
    """Validate one field's (or records column's) spec; raises through `fail` at the first fault."""
    if depth > MAX_SPEC_DEPTH:
        fail("D004", f"specs nest at most {MAX_SPEC_DEPTH} deep (`present` and `oneof` inside one another)", where)
    if isinstance(raw, dict) and "present" in raw:
        _keys(raw, {"present", "value"}, where, fail)
        check_probability(raw["present"], f"{where}.present", fail)
        if "value" not in raw:
            fail("D004", "`present` needs a `value` spec beside it", where)
        check_spec(raw["value"], spec, kind, values, f"{where}.value", fail, depth + 1)
        return
    if isinstance(raw, dict) and "oneof" in raw:
        _keys(raw, {"oneof"}, where, fail)
        options = raw["oneof"]
        if not isinstance(options, list) or not options:
            fail("D004", "`oneof` is a non-empty list of {weight: W, value: SPEC}", f"{where}.oneof")
        for index, option in enumerate(options):
            at = f"{where}.oneof[{index}]"
            if not isinstance(option, dict) or "value" not in option:
                fail("D004", "each `oneof` entry is {weight: W, value: SPEC}", at)
            _keys(option, {"weight", "value"}, at, fail)
            check_spec(option["value"], spec, kind, values, f"{at}.value", fail, depth + 1)
        check_weights([o.get("weight", 1) for o in options], f"{where}.oneof", fail)
        return
    if spec is not None and spec.kind == "records":
        _records(raw, spec, where, fail, depth)
    elif spec is not None and spec.many:
        _many(raw, values, where, fail)
    else:
        _scalar(raw, kind, values, where, fail)


def _keys(raw: dict, allowed: set, where: str, fail) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        fail("D004", f"unknown key `{unknown[0]:.40}` (expected {', '.join(sorted(allowed))})", where)


def _records(raw, spec, where: str, fail, depth: int) -> None:
    if isinstance(raw, list):
        if len(raw) > MAX_LIST:
            fail("D003", f"at most {MAX_LIST:,} records", where)
        return                                    # a constant list: the request validator checks its entries
    if not isinstance(raw, dict):
        fail("D004", "a records spec is {count: N or [MIN, MAX], columns: {column: SPEC}} or a list", where)
    _keys(raw, {"count", "columns"}, where, fail)
    count = raw.get("count", 1)
    if isinstance(count, list):
        if len(count) != 2:
            fail("D004", "a count range is [MIN, MAX]", f"{where}.count")
        low, high = (check_count(c, f"{where}.count", fail) for c in count)
        if low > high:
            fail("D003", f"a count range runs from low to high, not [{low}, {high}]", f"{where}.count")
    else:
        check_count(count, f"{where}.count", fail)
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict):
        fail("D004", "`columns` maps each column to its spec", f"{where}.columns")
    known = {name: (kind, allowed) for (name, kind), allowed in zip(spec.columns, spec.column_values)}
    for name, column in columns.items():
        if name not in known:
            fail("D001", f"no column `{str(name):.40}` (the columns are {', '.join(sorted(known))})",
                 f"{where}.columns.{name}")
        kind, allowed = known[name]
        check_spec(column, None, kind, allowed, f"{where}.columns.{name}", fail, depth + 1)


def _many(raw, values: tuple, where: str, fail) -> None:
    if isinstance(raw, list):
        if len(raw) > MAX_LIST:
            fail("D003", f"at most {MAX_LIST:,} values", where)
        for value in raw:
            _name(value, values, where, fail)
        return
    if not isinstance(raw, dict) or "pick" not in raw:
        fail("D004", "a list field's spec is {pick: LIST or WEIGHTS, min: N, max: N, also: {value: P}} "
                     "or a list of values", where)
    _keys(raw, {"pick", "min", "max", "also"}, where, fail)
    pool = raw["pick"]
    if isinstance(pool, dict):
        for value in pool:
            _name(value, values, f"{where}.pick", fail)
        check_weights(list(pool.values()), f"{where}.pick", fail)
    elif isinstance(pool, list) and pool:
        for value in pool:
            _name(value, values, f"{where}.pick", fail)
    else:
        fail("D004", "`pick` is a non-empty list of values or a mapping of values to weights", f"{where}.pick")
    low = check_count(raw.get("min", 1), f"{where}.min", fail)
    high = check_count(raw.get("max", 1), f"{where}.max", fail)
    if low > high:
        fail("D003", f"`min` ({low}) is more than `max` ({high})", where)
    also = raw.get("also") or {}
    if not isinstance(also, dict):
        fail("D004", "`also` maps values to probabilities", f"{where}.also")
    for value, probability in also.items():
        _name(value, values, f"{where}.also", fail)
        check_probability(probability, f"{where}.also.{value}", fail)


def _name(value, values: tuple, where: str, fail) -> None:
    if not isinstance(value, str):
        fail("D004", f"a value here is a name, not {value!r:.40}", where)
    if values and value not in values:
        fail("D001", f"`{value:.40}` is not one of the field's values", where)


def _scalar(raw, kind: str, values: tuple, where: str, fail) -> None:
    if kind == BOOL:
        if not isinstance(raw, bool):
            check_probability(raw, where, fail)
        return
    if kind == SYMBOL:
        if isinstance(raw, dict):
            for value in raw:
                _name(value, values, where, fail)
            check_weights(list(raw.values()), where, fail)
        elif isinstance(raw, list):
            if not raw:
                fail("D004", "a list to choose from is not empty", where)
            for value in raw:
                _name(value, values, where, fail)
        else:
            _name(raw, values, where, fail)
        return
    if isinstance(raw, dict):
        _keys(raw, {"from", "until"}, where, fail)
        if "from" not in raw or "until" not in raw:
            fail("D004", "a range is {from: LOW, until: HIGH}", where)
        low = _ordered(raw["from"], kind, f"{where}.from", fail)
        high = _ordered(raw["until"], kind, f"{where}.until", fail)
        if low > high:
            fail("D003", "a range runs from low to high (`from` is after `until`)", where)
        return
    _ordered(raw, kind, where, fail)


def _ordered(value, kind: str, where: str, fail):
    """A date, money, months or number constant, as a comparable value."""
    try:
        if kind == DATE:
            return value if isinstance(value, datetime.date) else parse_date(str(value))
        if kind == MONEY:
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise ValueError
            return parse_money(str(value)).pence
        if kind in (MONTHS, NUMBER):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
            if not 0 <= value <= 10 ** 12:
                fail("D003", f"a whole number from 0 to 10**12, not {value:,}", where)
            return value
    except (ValueError, TypeError, OverflowError, AttributeError):
        fail("D004", f"{value!r:.40} is not a {kind.lower()}", where)
    return value
