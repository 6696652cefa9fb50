"""Seeded synthetic requests for impact analysis and benchmarks (`warrant generate`).

In: a rulebase (its declared vocabulary) and, when its folder has one, the
distribution its author declared in `distribution.yaml`. Out: request
documents, lazily; the same seed gives the same requests, byte for byte.
Raises `WarrantError` (D001) for a distribution that names an unknown
field or gives a value the field cannot take.

A distribution is a modelling choice of the rulebase's author, not a finding
of its sources, so it lives beside the rules. Its shape:

    cases:                 # weighted alternatives; each sets the fields it names
      - weight: 55
        fields: {body: a_value, use: {tracing: 85, other: 15}}
    fields:                # every request, unless its case names the field
      date: {from: 2016-01-01, until: 2026-12-31}
      some_flag: 0.9       # a boolean: the probability it is true

A field's spec, by type: a constant; for a name, `{value: weight, ...}` or a
list to choose from uniformly; for a list of names, `{pick: LIST or
WEIGHTS, min: 1, max: 3, also: {value: probability}}`; for a date, money,
months or number, `{from: LOW, until: HIGH}` (uniform, inclusive); for
records, `{count: N or [MIN, MAX], columns: {column: SPEC}}`. Any spec may
be wrapped as `{present: P, value: SPEC}` (the field is left out otherwise)
or given as `{oneof: [{weight: W, value: SPEC}, ...]}`.

Without a distribution file, the documented default: every required field
and each optional field with probability 1/2; names uniform over their
enumeration; lists of 1 to 3 distinct values; booleans true with
probability 1/2; dates uniform from a year before the earliest date the
rules name to a year after the latest; money, months and numbers uniform
from 0 to twice the largest constant of their kind in the rules (or £1,000,
60 months, 100); records lists of 1 or 2 entries.
"""
from __future__ import annotations

import datetime
import os
import random
import stat

from warrant.pipeline.datalog import Compare, Const, Not
from warrant.batch.schema import check_spec, check_weight, check_weights
from warrant.pipeline.errors import Span, WarrantError, did_you_mean
from warrant.pipeline.limits import MAX_DISTRIBUTION_BYTES
from warrant.pipeline.values import BOOL, DATE, MONEY, MONTHS, NUMBER, SYMBOL, Money, kind_of, parse_date, parse_money
from warrant.pipeline.vocabulary import parent_of

DISTRIBUTION_FILE = "distribution.yaml"


class _Spec:
    """One field's distribution, checked against its declared type once, then drawn from many times."""

    def __init__(self, raw, spec, kind: str, values: tuple, where: str, fail):
        self.raw, self.kind, self.values, self.where, self.fail = raw, kind, values, where, fail
        self.spec = spec

    def draw(self, rng: random.Random):
        try:
            return _draw(self.raw, self.spec, self.kind, self.values, rng)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            self.fail(f"cannot draw a value from {self.raw!r} ({exc})", self.where)


_ABSENT = object()


def _draw(raw, spec, kind, values, rng):
    if isinstance(raw, dict) and "present" in raw:
        inner = raw.get("value", {k: v for k, v in raw.items() if k != "present"})
        return _draw(inner, spec, kind, values, rng) if rng.random() < float(raw["present"]) \
            else _ABSENT
    if isinstance(raw, dict) and "oneof" in raw:
        options = raw["oneof"]
        chosen = rng.choices(options, weights=[o.get("weight", 1) for o in options])[0]
        return _draw(chosen.get("value"), spec, kind, values, rng)
    if spec is not None and spec.kind == "records":
        count = raw.get("count", 1) if isinstance(raw, dict) else None
        if count is None:
            return raw
        low, high = (count, count) if isinstance(count, int) else tuple(count)
        columns = raw.get("columns", {})
        out = []
        for _ in range(rng.randint(low, high)):
            record = {}
            for (name, column_kind), allowed in zip(spec.columns, spec.column_values):
                value = _draw(columns.get(name, _default_scalar(column_kind, allowed, name)), None, column_kind,
                              allowed, rng)
                record[name] = value
            out.append(record)
        return out
    if spec is not None and spec.many:
        if not isinstance(raw, dict) or "pick" not in raw:
            return raw
        pool = raw["pick"]
        names, weights = (list(pool), [pool[k] for k in pool]) if isinstance(pool, dict) else (list(pool), None)
        count = min(len(names), rng.randint(int(raw.get("min", 1)), int(raw.get("max", 1))))
        chosen: list = []
        while len(chosen) < count:
            value = rng.choices(names, weights=weights)[0] if weights else rng.choice(names)
            if value not in chosen:
                chosen.append(value)
        for extra, probability in (raw.get("also") or {}).items():
            if rng.random() < float(probability) and extra not in chosen:
                chosen.append(extra)
        return chosen
    if kind == BOOL:
        return raw if isinstance(raw, bool) else rng.random() < float(raw)
    if kind == SYMBOL:
        if isinstance(raw, dict):
            return rng.choices(list(raw), weights=list(raw.values()))[0]
        if isinstance(raw, list):
            return rng.choice(raw)
        return raw
    if isinstance(raw, dict) and "from" in raw:
        low, high = raw["from"], raw["until"]
        if kind == DATE:
            day = rng.randint(_date(low).toordinal(), _date(high).toordinal())
            return datetime.date.fromordinal(day).isoformat()
        if kind == MONEY:
            pence = rng.randint(parse_money(str(low)).pence, parse_money(str(high)).pence)
            return str(Money(pence)) if pence % 100 == 0 else f"£{pence // 100}.{pence % 100:02d}"
        return rng.randint(int(low), int(high))
    return raw


def _date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else parse_date(str(value))


def _default_scalar(kind: str, allowed: tuple, name: str, bounds: dict | None = None):
    bounds = bounds or {}
    if kind == BOOL:
        return 0.5
    if kind == SYMBOL:
        return list(allowed) if allowed else [f"any_{name}"]
    if kind == DATE:
        low, high = bounds.get(DATE, (datetime.date(2000, 1, 1), datetime.date(2030, 12, 31)))
        return {"from": low.isoformat(), "until": high.isoformat()}
    if kind == MONEY:
        return {"from": "£0", "until": str(Money(2 * bounds.get(MONEY, 100000)))}
    return {"from": 0, "until": 2 * bounds.get(kind, 30 if kind == MONTHS else 50)}


def _bounds(program) -> dict:
    """The largest constant of each ordered kind the rules name, and the span of their dates."""
    dates, largest = [], {}
    for rule in program.rules.values():
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Not) else literal
            terms = (atom.left, atom.right) if isinstance(atom, Compare) else atom.args
            for term in terms:
                if isinstance(term, Const):
                    kind = kind_of(term.value)
                    if kind == DATE:
                        dates.append(term.value)
                    elif kind == MONEY:
                        largest[MONEY] = max(largest.get(MONEY, 0), term.value.pence)
                    elif kind == MONTHS:
                        largest[MONTHS] = max(largest.get(MONTHS, 0), term.value.count)
                    elif kind == NUMBER:
                        largest[NUMBER] = max(largest.get(NUMBER, 0), term.value)
    if dates:
        year = datetime.timedelta(days=365)
        largest[DATE] = (min(dates) - year, max(dates) + year)
    return {k: v for k, v in largest.items() if v}


class Distribution:
    """What `generate` draws from: weighted cases over shared field specs."""

    def __init__(self, rulebase, data: dict | None, path: str | None, text: str | None = None):
        self.vocabulary = rulebase.vocabulary
        self.path = path
        from warrant.pipeline.request import Locator
        self.locator = Locator(path, text)
        self.bounds = _bounds(rulebase.program)
        data = {} if data is None else data
        if not isinstance(data, dict) or set(data) - {"cases", "fields"}:
            self._fault("D004", "a distribution is a mapping with `cases` and `fields`", "")
        shared = self._specs(data.get("fields") or {}, "fields")
        cases = data.get("cases") or []
        if not isinstance(cases, list):
            self._fault("D004", "`cases` is a list of {weight: W, fields: {...}}", "cases")
        self.cases = []
        for index, case in enumerate(cases):
            if not isinstance(case, dict) or set(case) - {"weight", "fields"}:
                self._fault("D004", "each case is {weight: W, fields: {...}}", f"cases[{index}]")
            check_weight(case.get("weight", 1), f"cases[{index}].weight", self._fault)
            self.cases.append((case.get("weight", 1),
                               {**shared, **self._specs(case.get("fields") or {}, f"cases[{index}].fields")}))
        if self.cases:
            check_weights([w for w, _ in self.cases], "cases", self._fault)
            self.cases = [(float(w), specs) for w, specs in self.cases]
        else:
            self.cases = [(1.0, shared)]
        self.defaults = {spec.path: _Spec(self._default(spec), spec, spec.kind, spec.values, spec.path, self._fail)
                         for spec in self.vocabulary.fields}

    def _fail(self, message: str, where: str):
        self._fault("D001", message, where)

    def _fault(self, code: str, message: str, where: str):
        raise WarrantError.at(code, f"{where}: {message}" if where else message, self._span(where))

    def _span(self, where: str):
        """The line of the spec at `where` (a dotted path into the file), or the file's first line."""
        return (self.locator.span(where, key=True) if where else None) or \
            (Span(self.path, 1, 1, 1, 1) if self.path else None)

    def _specs(self, fields: dict, where: str) -> dict:
        if not isinstance(fields, dict):
            self._fail("expected a mapping of field paths to specs", where)
        out = {}
        for path, raw in fields.items():
            spec = self.vocabulary.by_path.get(path)
            if spec is None:
                raise WarrantError.at("D001", f"{where}.{path}: no such field in the rulebase's vocabulary",
                                      self._span(f"{where}.{path}"),
                                      suggestion=did_you_mean(str(path), self.vocabulary.by_path))
            check_spec(raw, spec, spec.kind, spec.values, f"{where}.{path}", self._fault)
            out[path] = _Spec(raw, spec, spec.kind, spec.values, f"{where}.{path}", self._fail)
        return out

    def _default(self, spec):
        if spec.kind == "records":
            value = {"count": [1, 2], "columns": {}}
        elif spec.many:
            value = {"pick": list(spec.values) or [f"any_{spec.predicate}"], "min": 1, "max": 3}
        else:
            value = _default_scalar(spec.kind, spec.values, spec.predicate, self.bounds)
        return value if spec.required else {"present": 0.5, "value": value}

    def request(self, rng: random.Random, index: int) -> dict:
        """One request document (the same shape as a request file)."""
        weights = [w for w, _ in self.cases]
        specs = self.cases[0][1] if len(self.cases) == 1 else rng.choices(self.cases, weights=weights)[0][1]
        document: dict = {"id": f"r{index}"}
        for field in self.vocabulary.fields:
            chosen = specs.get(field.path)
            if chosen is None:
                if self.path is not None and not field.required:
                    continue        # a declared distribution states every optional field it wants
                chosen = self.defaults[field.path]
            value = chosen.draw(rng)
            if value is _ABSENT:
                continue
            target, last = parent_of(document, field.path)
            target[last] = value
        return document

def load_distribution(rulebase) -> Distribution:
    """The rulebase's declared distribution, or the documented default."""
    folder = getattr(rulebase, "folder", None)
    path = os.path.join(folder, DISTRIBUTION_FILE) if folder else None
    if path is None or not os.path.lexists(path):
        return Distribution(rulebase, None, None)
    text = _read_distribution(path)
    from warrant.pipeline.request import parse_document
    return Distribution(rulebase, parse_document(text, path), path, text)


def _read_distribution(path: str) -> str:
    """The file's text, checked before it is read: a regular file within the size limit, UTF-8 (D005)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise WarrantError.at("D005", f"{path} is not a regular file; it is not read", Span(path, 1, 1, 1, 1))
        if info.st_size > MAX_DISTRIBUTION_BYTES:
            raise WarrantError.at("D005", f"{path} is {info.st_size:,} bytes; a distribution file is at most "
                                          f"{MAX_DISTRIBUTION_BYTES:,}", Span(path, 1, 1, 1, 1))
        with open(path, "rb") as handle:
            raw = handle.read(MAX_DISTRIBUTION_BYTES + 1)
    except OSError as exc:
        raise WarrantError.at("D005", f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_DISTRIBUTION_BYTES:
        raise WarrantError.at("D005", f"{path} is over {MAX_DISTRIBUTION_BYTES:,} bytes", Span(path, 1, 1, 1, 1))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise WarrantError.at("D005", f"{path} is not UTF-8 (byte 0x{raw[exc.start]:02x})",
                              Span(path, line, column, line, column)) from None


CHECKED_DRAWS = 50      # the first requests drawn are validated, so a bad distribution fails at once


def generate(rulebase, count: int, seed: int = 7):
    """`count` request documents from `seed`, lazily."""
    from warrant.pipeline.request import request_from_data
    distribution = load_distribution(rulebase)
    rng = random.Random(seed)
    for index in range(count):
        document = distribution.request(rng, index)
        if index < CHECKED_DRAWS:
            try:
                request_from_data(document, vocabulary=rulebase.vocabulary)
            except WarrantError as exc:
                where = distribution.path or "the default distribution"
                raise WarrantError.at("D001", f"{where} draws a request the vocabulary refuses: "
                                              f"{exc.diagnostics[0].message}",
                                      Span(distribution.path, 1, 1, 1, 1) if distribution.path else None) from None
        yield document
