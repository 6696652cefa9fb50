"""A request validator compiled per vocabulary: the common, valid request read in one pass.

`request.request_from_data` checks a document field by field and reports
every problem at its place, which costs a walk of the declared tree, a set
of known keys per level and a chain of kind tests per value: about 35 us a
batch line here. Almost every line of a batch is valid, so this module
turns a vocabulary once into a flat plan (per level: its known keys and, per
field, one converter for its kind) and reads a document with it.

The plan only ever accepts: on the first thing it does not expect (an
unknown key, a wrong type, a bad date, a repeated list entry, a limit) it
returns None and the caller runs the located checks, so every message stays
theirs. For what it accepts it builds the same `Request`, fact for fact and
in the same order, as the located checks do; tests/test_request.py holds the
two to that on generated and broken documents of both shipped rulebases.
"""
from __future__ import annotations

import datetime as _dt

from warrant.pipeline.facts import Fact, Request
from warrant.pipeline.limits import MAX_LIST, MAX_MONTHS
from warrant.pipeline.values import BOOL, DATE, MONEY, MONTHS, NUMBER, SYMBOL, Months, parse_date, parse_money
from warrant.pipeline.vocabulary import DATE_PREDICATE, ITEMS_PREDICATE, MAX_NUMBER, META_KEYS, Field

_PLANS: dict = {}      # id(vocabulary) -> (vocabulary, plan): the vocabulary is kept, so its id is not reused


class _No(Exception):
    """The document is not the common case: let the located checks read it."""


def _name(value):
    if type(value) is str and value and value[0].isalpha() and value.replace("_", "a").isalnum() \
            and value.isascii() and value == value.lower():
        return value
    raise _No


def _converter(kind: str, allowed: tuple):
    """One value of `kind` -> its run-time value, or _No."""
    if kind == SYMBOL:
        if allowed:
            known = frozenset(allowed)

            def symbol(value):
                if type(value) is str and value in known:
                    return value
                raise _No
            return symbol
        return _name
    if kind == DATE:
        return _written(parse_date, lambda v: isinstance(v, _dt.date) and not isinstance(v, _dt.datetime))
    if kind == MONEY:
        return _written(parse_money)
    if kind == MONTHS:
        return _whole(MAX_MONTHS, Months)
    if kind == NUMBER:
        return _whole(MAX_NUMBER)
    if kind == BOOL:
        def boolean(value):
            if type(value) is bool:
                return value
            raise _No
        return boolean
    raise _No


def _written(parse, as_is=None):
    """A value written as text (`parse` raises ValueError when it is not one), or already one (`as_is`)."""
    def convert(value):
        if type(value) is str:
            try:
                return parse(value)
            except ValueError:
                raise _No from None
        if as_is is not None and as_is(value):
            return value
        raise _No
    return convert


def _whole(limit: int, wrap=None):
    """A whole number from 0 to `limit` (not a bool), wrapped (`Months`) or as it is."""
    def convert(value):
        if type(value) is int and 0 <= value <= limit:
            return wrap(value) if wrap else value
        raise _No
    return convert


def _field_reader(spec: Field):
    """(data for the field) -> list of facts, or _No."""
    path, predicate = spec.path, spec.predicate
    if spec.kind == BOOL:
        def read_bool(value):
            if type(value) is not bool:
                raise _No
            return [Fact(predicate, (), path)] if value else []
        return read_bool
    if spec.kind == "records":
        columns = [(key, _converter(kind, allowed))
                   for (key, kind), allowed in zip(spec.columns, spec.column_values)]
        width = len(columns)

        def read_records(value):
            if type(value) is not list or len(value) > MAX_LIST:
                raise _No
            out = []
            for index, record in enumerate(value):
                if type(record) is not dict or len(record) != width:
                    raise _No
                out.append(Fact(predicate, tuple(convert(record[key]) if key in record else _missing()
                                                 for key, convert in columns), f"{path}[{index}]"))
            return out
        return read_records
    convert = _converter(spec.kind, spec.values)
    if spec.many:
        required = spec.required

        def read_list(value):
            if type(value) is not list or len(value) > MAX_LIST or (required and not value):
                raise _No
            out, seen = [], set()
            for index, element in enumerate(value):
                converted = convert(element)
                if (type(converted), converted) in seen:
                    raise _No
                seen.add((type(converted), converted))
                out.append(Fact(predicate, (converted,), f"{path}[{index}]"))
            return out
        return read_list

    def read_one(value):
        return [Fact(predicate, (convert(value),), path)]
    return read_one


def _missing():
    raise _No


def _level(node: dict, top: bool) -> tuple:
    known = frozenset(node) | (frozenset(META_KEYS) if top else frozenset())
    entries = []
    for name, child in node.items():
        if isinstance(child, Field):
            entries.append((name, True, child.required, _field_reader(child)))
        else:      # a mapping left out stands for an empty one: it may still lack a required field
            entries.append((name, False, _requires(child), _level(child, False)))
    return known, tuple(entries)


def _requires(node: dict) -> bool:
    return any(child.required if isinstance(child, Field) else _requires(child) for child in node.values())


def _read_level(plan: tuple, data: dict, facts: list) -> None:
    known, entries = plan
    for key in data:
        if key not in known:
            raise _No
    for name, is_field, required, reader in entries:
        value = data.get(name)
        if is_field:
            if name in data:
                facts.extend(reader(value))
            elif required:
                raise _No
        elif value is None:
            if required:
                raise _No
        elif type(value) is dict:
            _read_level(reader, value, facts)
        else:
            raise _No


def compiled(vocabulary):
    """The vocabulary's plan, built on first use."""
    found = _PLANS.get(id(vocabulary))
    if found is None or found[0] is not vocabulary:
        if len(_PLANS) >= 64:              # a process loads a few rulebases; never let plans pile up
            _PLANS.clear()
        found = _PLANS[id(vocabulary)] = (vocabulary, _level(vocabulary.tree, True))
    return found[1]


def read(vocabulary, data, file, default_id: str):
    """A `Request` for a valid document in the common form, else None (the located checks then run)."""
    if type(data) is not dict:
        return None
    facts: list = []
    try:
        _read_level(compiled(vocabulary), data, facts)
    except (_No, ValueError, TypeError):
        return None
    request_id = data.get("id", default_id)
    if type(request_id) is not str and type(request_id) is not int:
        return None
    assume = data.get("assume") or {}
    if type(assume) is not dict or not all(type(v) is bool for v in assume.values()):
        return None
    drafts = data.get("drafts") or []
    if type(drafts) is not list or not all(type(d) is str for d in drafts):
        return None
    date = next((f.args[0] for f in facts if f.predicate == DATE_PREDICATE), None)
    if date is None:
        return None
    items = tuple(f.args[0] for f in facts if f.predicate == ITEMS_PREDICATE)
    return Request(str(request_id), date, tuple(facts), items,
                   tuple(sorted((str(k), v) for k, v in assume.items())), tuple(sorted(set(drafts))), data, file)
