"""The conditions of a `warrant diff` region, and how a reviewer (text) and a script (data) read them.

A `Condition` is one field, assumption or draft and what it must be; a
region is a conjunction of them (engine/analysis/diff.py builds and widens
them and turns them into formulas). `Wording` says each one as a reviewer
reads it ("purpose research", "date 2020-01-01 to 2020-12-31", "an entry in
subject.payments with amount £100 or more") and as data
for JSON, naming a group of values after the rules' own set when it is one.
"""
from __future__ import annotations

from dataclasses import dataclass

from warrant.analysis.encode import decode_value
from warrant.pipeline.syntax import split_switch
from warrant.pipeline.values import DATE, MONEY, MONTHS, Months, show


@dataclass(frozen=True)
class Condition:
    """One condition of a region: a field, assumption or draft, and what it must be."""
    kind: str          # flag | present | is | other | range | entry | some | assume | draft
    path: str
    value: object = None      # per kind: bool, code, (low, high), entry codes, (bool, column constraints)

    def key(self) -> tuple:
        return (self.kind, self.path)


class Wording:
    """Conditions in words and as data, for one symbolic request and the rules' named sets."""

    def __init__(self, space, sets: dict):
        self.space, self.sets = space, sets

    def texts(self, conditions) -> list:
        """The conditions as a reviewer reads them; absent entries of one list said once."""
        valued = {c.path for c in conditions if c.kind in ("is", "in", "other", "range")}
        out, absent = [], {}
        conditions = _merged_absences(conditions)
        for c in conditions:
            if c.kind == "item" or (c.kind == "present" and c.value and c.path in valued):
                continue
            if c.kind == "entry" and not c.value[1]:
                spec = self.space.vocabulary.by_path[c.path]
                if c.path not in absent:
                    absent[c.path] = []
                    out.append(("absent", c.path))
                absent[c.path].append(self._entry_text(spec, c.value[0]))
                continue
            out.append(self.describe(c))
        return [f"{x[1]} includes none of {', '.join(absent[x[1]])}" if isinstance(x, tuple) else x for x in out]

    def _entry_text(self, spec, values) -> str:
        names = self.space.names
        if len(values) == 1:
            return names.decode(values[0])
        return "{" + ", ".join(f"{k}: {names.decode(v)}" for k, v in zip(spec.column_names, values)) + "}"

    def structured(self, c: Condition) -> dict:
        """One condition as data: the field (or assumption, or draft) and what it must be."""
        from warrant.pipeline.values import to_json
        names = self.space.names
        if c.kind == "assume":
            name, reading = split_switch(c.path)              # a named reading's switch: NAME=READING
            return {"assumption": name, "reading": reading, "taken": c.value} if reading else \
                {"assumption": c.path, "on": c.value}
        if c.kind == "draft":
            return {"draft": c.path, "named": c.value}
        if c.kind == "exact":
            return {"exactly": "the witness"}
        spec = self.space.vocabulary.by_path[c.path]
        kinds = spec.arg_kinds()

        def value(code, kind):
            decoded = decode_value(code, kind, names)
            return decoded.count if isinstance(decoded, Months) else to_json(decoded)

        def bounds(pair, kind):
            return {"from": None if pair[0] is None else value(pair[0], kind),
                    "to": None if pair[1] is None else value(pair[1], kind)}
        if c.kind == "flag":
            return {"field": c.path, "is": c.value}
        if c.kind == "present":
            return {"field": c.path, "given": c.value}
        if c.kind == "is":
            return {"field": c.path, "equals": names.decode(c.value)}
        if c.kind == "in":
            return {"field": c.path, "one_of": sorted(names.decode(v) for v in c.value)}
        if c.kind == "other":
            return {"field": c.path, "a_name_no_rule_mentions": True}
        if c.kind == "range":
            return {"field": c.path, **bounds(c.value, kinds[0])}
        if c.kind == "entry":
            return {"field": c.path, "includes" if c.value[1] else "excludes": self._entry_text(spec, c.value[0])}
        if c.kind == "any_of":
            return {"field": c.path, "includes_one_of": sorted(self._entry_text(spec, v) for v in c.value)}
        present, cls = c.value
        where = {}
        for (column, kind), part in zip(spec.columns or ((spec.path, kinds[0]),), cls):
            if part[0] == "is":
                where[column] = {"equals": names.decode(part[1])}
            elif part[0] == "other" and part[1]:
                where[column] = {"none_of": [names.decode(n) for n in part[1]]}
            elif part[0] == "range" and part[1] != (None, None):
                where[column] = bounds(part[1], kind)
        return {"field": c.path, "some_entry" if present else "no_entry": where}

    # text

    def describe(self, c: Condition) -> str:
        names = self.space.names
        if c.kind == "assume":
            name, reading = split_switch(c.path)
            if reading:
                return f"assumption {name} {'read' if c.value else 'not read'} as {reading}"
            return f"assumption {c.path} {'on' if c.value else 'off'}"
        if c.kind == "draft":
            return f"the request names draft {c.path}" if c.value else f"the request does not name draft {c.path}"
        if c.kind == "exact":
            return "exactly the witness's values (the rules compare two request values)"
        spec = self.space.vocabulary.by_path[c.path]
        kinds = spec.arg_kinds()
        if c.kind == "flag":
            return c.path if c.value else f"not {c.path}"
        if c.kind == "present":
            return f"{c.path} given" if c.value else f"no {c.path}"
        if c.kind == "is":
            return f"{c.path} {names.decode(c.value)}"
        if c.kind == "in":
            values = sorted(names.decode(v) for v in c.value)
            rest = sorted(set(spec.values) - set(values))
            for atom_set, members in sorted(self.sets.items()):
                if sorted(members) == values:
                    return f"{c.path} in {atom_set} ({', '.join(values)})"
            for atom_set, members in sorted(self.sets.items()):
                if sorted(members) == rest:
                    return f"{c.path} not in {atom_set} (so one of {', '.join(values)})"
            return f"{c.path} one of {', '.join(values)}"
        if c.kind == "other":
            return f"{c.path} a name no rule mentions"
        if c.kind == "range":
            return f"{c.path} {_range_text(c.value, kinds[0])}"
        if c.kind == "entry":
            values, present = c.value
            entry = names.decode(values[0]) if len(values) == 1 else \
                "{" + ", ".join(f"{k}: {names.decode(v)}" for k, v in zip(spec.column_names, values)) + "}"
            return f"{c.path} {'includes' if present else 'does not include'} {entry}"
        if c.kind == "any_of":
            values = sorted(self._entry_text(spec, v) for v in c.value)
            for atom_set, members in self.sets.items():
                if sorted(members) == values:
                    return f"{c.path} includes one in {atom_set} ({', '.join(values)})"
            return f"{c.path} includes one of {', '.join(values)}"
        present, cls = c.value
        parts = []
        for (column, kind), part in zip(spec.columns or ((spec.path, kinds[0]),), cls):
            if part[0] == "is":
                parts.append(f"{column} {names.decode(part[1])}")
            elif part[0] == "other" and part[1]:
                parts.append(f"{column} not " + " or ".join(names.decode(n) for n in part[1]))
            elif part[0] == "range" and part[1] != (None, None):
                parts.append(f"{column} {_range_text(part[1], kind)}")
        what = f"an entry in {c.path}" + (" with " + " and ".join(parts) if parts else "")
        return what if present else f"no {what[3:]}" if what.startswith("an ") else f"no {what}"


def _merged_absences(conditions: list) -> list:
    """`no entry with X 12` and `no entry with X 13 or more` read as `no entry with X 12 or more`.

    Two absent classes of one list that differ only in one adjacent range are
    one absence over the joined range: the same formula, said once.
    """
    out = list(conditions)
    merged = True
    while merged:
        merged = False
        for a in out:
            if a.kind != "some" or a.value[0]:
                continue
            for b in out:
                if b is a or b.kind != "some" or b.value[0] or b.path != a.path:
                    continue
                joined = _adjacent(a.value[1], b.value[1])
                if joined is not None:
                    index = out.index(a)
                    out = [x for x in out if x is not a and x is not b]
                    out.insert(index, Condition("some", a.path, (False, joined)))
                    merged = True
                    break
            if merged:
                break
    return out


def _adjacent(left: tuple, right: tuple):
    differ = [i for i, (x, y) in enumerate(zip(left, right)) if x != y]
    if len(differ) != 1 or left[differ[0]][0] != "range" or right[differ[0]][0] != "range":
        return None
    (a_low, a_high), (b_low, b_high) = left[differ[0]][1], right[differ[0]][1]
    if a_high is not None and b_low is not None and a_high + 1 == b_low:
        joined = (a_low, b_high)
    elif b_high is not None and a_low is not None and b_high + 1 == a_low:
        joined = (b_low, a_high)
    else:
        return None
    return left[:differ[0]] + (("range", joined),) + left[differ[0] + 1:]


def _range_text(bounds, kind: str) -> str:
    low, high = (None if b is None else decode_value(b, kind, None) for b in bounds)
    word = {DATE: ("from", "to"), MONEY: ("from", "to"), MONTHS: ("from", "to")}.get(kind, ("from", "to"))
    if low is not None and high is not None:
        return f"{show(low)}" if low == high else f"{word[0]} {show(low)} {word[1]} {show(high)}"
    if low is not None:
        return f"{show(low)} or more" if kind != DATE else f"{show(low)} or later"
    if high is not None:
        return f"{show(high)} or less" if kind != DATE else f"{show(high)} or earlier"
    return "any"
