"""`warrant diff`: every region of requests whose decision on some item differs between two scenarios.

A scenario is a rulebase with a date, assumption switches and drafts fixed
for every request (`Scenario`). Both scenarios are encoded over one
symbolic request (engine/analysis/encode.py), so a model of
"item I permitted on one side and refused on the other" is a request the
two decide differently. Each such model is grown into a region:

1. its *cube*: every field described at the granularity the rules can
   see (a date between two consecutive constants, a name the rules use or
   "another", each list entry class present or absent, each assumption and
   draft), which all requests sharing it decide alike;
2. widened one condition at a time (dropped, or a range stretched to the
   next constant) while the solver proves that every request in the wider
   region still changes in the same way;
3. blocked, and the search repeats until no differing request is left.

So the regions cover every differing request (the search ends only when
none is outside them), and every request inside a region differs as it says
(each widening was proved). Each region carries a witness: the solver's
smallest request in it, decided under both scenarios by the engine, which
must agree. No region: the scenarios are equivalent for every request.
"""
from __future__ import annotations

from warrant.pipeline.errors import InternalError

import datetime as _dt
from dataclasses import dataclass, field


import z3

from warrant.analysis.conditions import Condition, Wording
from warrant.analysis.causes import find_differences, wording_changes
from warrant.analysis.encode import MAX_ITEM_BITS, NotExact, Side, Space
from warrant.analysis import budget as _budget
from warrant.analysis.solve import _cuts, canonical_model, checked, witness
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.values import SYMBOL

MAX_REGIONS = 200        # regions reported, at most (then the report says it stopped)


@dataclass(frozen=True)
class Scenario:
    label: str
    rulebase: object
    at: _dt.date | None = None
    assume: tuple = ()           # ((name, on), ...) fixed for every request
    drafts: tuple = ()           # drafts switched on for every request
    no_drafts: tuple = ()        # drafts a request may not name here (so "off" means off)

    def to_json(self) -> dict:
        from warrant.pipeline.record import rulebase_digest
        return {"label": self.label, "rulebase": rulebase_digest(self.rulebase),
                "at": self.at.isoformat() if self.at else None,
                "assume": {k: v for k, v in self.assume}, "drafts": list(self.drafts)}


@dataclass
class Region:
    items: list
    before: str
    after: str
    conditions: list
    text: list
    witness: dict
    structured: list = field(default_factory=list)      # the conditions as data, for scripts

    def to_json(self) -> dict:
        return {"items": self.items, "before": self.before, "after": self.after, "when": self.text,
                "conditions": self.structured, "witness": self.witness}


@dataclass
class DiffReport:
    before: Scenario
    after: Scenario
    regions: list = field(default_factory=list)
    bounds: dict = field(default_factory=dict)
    differences: list = field(default_factory=list)     # by cause (engine/analysis/causes.py)
    raw: bool = False              # the raw regions were searched too (`--regions all`)
    items: list = field(default_factory=list)          # every item a request may ask for, in order
    wording: list = field(default_factory=list)        # rules whose words changed between two rulebases
    solver_calls: int = 0
    stopped: bool = False          # a bound ended a search: MAX_REGIONS or the analysis budget
    complete: bool = False         # the differences by cause were all found (whatever the raw search did)
    stop_reason: str = ""          # which, in words
    found: int = 0                 # regions found so far (for the progress line)

    finder: object = None

    def progress(self) -> None:
        """The running search, for the budget's progress line (a terminal only)."""
        budget = _budget.current()
        if budget is not None:
            budget.note(f"{self.found} region(s) so far, {self.solver_calls:,} solver call(s)")

    @property
    def equivalent(self) -> bool:
        """No request is decided differently, in outcome or legal basis: only a search that ran to its end
        can say so."""
        return not self.regions and not self.differences and self.complete

    @property
    def outcomes_differ(self) -> bool:
        return bool(self.regions) or any(not d.basis for d in self.differences)

    def to_json(self) -> dict:
        return {"before": self.before.to_json(), "after": self.after.to_json(), "equivalent": self.equivalent,
                "exact": not self.bounds, "bounds": self.bounds, "stopped_at_limit": self.stopped,
                "differences_complete": self.complete,
                "solver_calls": self.solver_calls, "differences": [d.to_json() for d in self.differences],
                "wording_changed": self.wording,
                **({"regions": [r.to_json() for r in self.regions]} if self.raw else {}),
                **({"stop_reason": self.stop_reason} if self.stopped else {})}

    def _model_of(self, request):
        space = self.finder.space
        pinned = space.assignment(request)
        if pinned is None:
            raise InternalError("the request has more list entries than the analysis has slots")
        solver = z3.Solver(ctx=space.ctx)
        solver.add(*space.domain, *pinned)
        if solver.check() != z3.sat:
            raise InternalError("the request is outside the analysed space")
        return solver.model()

    def causes_containing(self, request) -> dict:
        """Per requested item, the differences by cause that hold this concrete request (cross-checks)."""
        space = self.finder.space
        model = self._model_of(request)
        out = {}
        for item in request.items:
            code = space.names.encode(item)
            out[item] = [d for d in self.differences if code in d.formulas and
                         z3.is_true(model.eval(d.formulas[code], model_completion=True))]
        return out

    def containing(self, request) -> dict:
        """Per requested item, the regions that hold this concrete request (cross-checks with the engine)."""
        space = self.finder.space
        model = self._model_of(request)
        if not hasattr(self, "_formulas"):
            self._formulas = {}
        out = {}
        for item in request.items:
            code = space.names.encode(item)
            holding = []
            for index, region in enumerate(self.regions):
                if item not in region.items:
                    continue
                key = (index, code)
                if key not in self._formulas:
                    self._formulas[key] = self.finder.formula(
                        [Condition("item", "items", code) if c.kind == "item" else c for c in region.conditions])
                if z3.is_true(model.eval(self._formulas[key], model_completion=True)):
                    holding.append(region)
            out[item] = holding
        return out


def diff(before: Scenario, after: Scenario, regions: str = "cause") -> DiffReport:
    """The differences by cause; with `regions="all"`, the raw regions too."""
    _same_vocabulary(before.rulebase, after.rulebase)
    rulebases = [before.rulebase] if after.rulebase is before.rulebase else [before.rulebase, after.rulebase]
    try:
        return _diff(before, after, rulebases, regions == "all")
    except NotExact as exc:
        raise WarrantError.at("O018", f"warrant diff needs the exact analysis, which cannot encode these rules: {exc}",
                              notes=("README, \"Exact analysis\", says what it encodes: non-recursive rules, and "
                                     f"requested items an enumeration of at most {MAX_ITEM_BITS:,} values",)) from None


def _diff(before: Scenario, after: Scenario, rulebases: list, raw: bool = False) -> DiffReport:
    space = Space(rulebases)
    space.item_codes()
    for name in set(before.no_drafts) | set(after.no_drafts):
        if name in space.draft_named:
            space.domain.append(z3.Not(space.draft_named[name]))
    sides = [Side(space, s.rulebase, s.at, dict(s.assume), s.drafts) for s in (before, after)]
    report = DiffReport(before, after, bounds=dict(space.bounds), raw=raw)
    found: dict = {}
    try:
        report.finder = _Finder(space, sides, report)
        report.finder.pin = _dated(space, before, after)
        report.items = [space.names.decode(code) for code in space.item_codes()]
        report.differences = find_differences(report.finder, before, after, report.finder.pin)
        report.complete = True
        report.wording = wording_changes(before, after, frozenset(r for d in report.differences for r in d.rules))
        if raw:
            _search(report, space, before, after, found)
    except _budget.Stopped as stop:
        report.stopped, report.stop_reason = True, stop.reason
    report.regions = _combined(list(found.values()), report.finder) if report.finder else []
    return report


def _dated(space: Space, before: Scenario, after: Scenario) -> list:
    """Where both sides fix the date, a witness's own date is read by neither: it is dated on the later
    of the asked days, so that it reads as a request of the changeover."""
    from warrant.pipeline.vocabulary import DATE_PREDICATE
    encoding = space.fields.get("u_" + DATE_PREDICATE)
    if before.at is None or after.at is None or encoding is None or encoding[0] != "single":
        return []
    day = max(before.at, after.at).toordinal()
    return [encoding[2] == day] + ([] if encoding[1] is True else [encoding[1]])


def _search(report: DiffReport, space: Space, before: Scenario, after: Scenario, found: dict) -> None:
    """Every region, item by item, into `found`; stops at MAX_REGIONS (the budget stops it by raising)."""
    finder = report.finder
    for item in space.item_codes():
        for start, end in (("permitted", "refused"), ("refused", "permitted")):
            known = [r.conditions for r in found.values() if r.before == start]
            for region in finder.regions(item, start == "permitted", known):
                # the same conditions for another item join that region; a region pinned to one request
                # (relational rules) is its own, however alike its words
                key = (start, end, tuple(c for c in region[0] if c.kind != "item"))
                if key in found:
                    found[key].items.append(space.names.decode(item))
                    continue
                if len(found) >= MAX_REGIONS:
                    report.stopped = True
                    report.stop_reason = f"the limit of {MAX_REGIONS} regions was reached"
                    return
                report.found = len(found) + 1
                document = _confirmed(finder, before, after, item, start, end, region[0])
                found[key] = Region([space.names.decode(item)], start, end, region[0], region[1], document,
                                    [finder.wording.structured(c) for c in region[0] if c.kind != "item"])


def _combined(regions: list, finder) -> list:
    """Join two regions of one change and one set of items that differ in a single opposite condition.

    `A and x` with `A and not x` is `A`: both were proved to change as they say, so their union does
    too (the Quine-McCluskey step). Repeated until no pair joins; the first region's witness is kept.
    """
    flips = {"flag", "assume", "draft", "present"}
    changed = True
    while changed:
        changed = False
        for a in regions:
            for b in regions:
                if b is a or (a.before, a.items) != (b.before, b.items) or len(a.conditions) != len(b.conditions):
                    continue
                only_a = [c for c in a.conditions if c not in b.conditions]
                only_b = [c for c in b.conditions if c not in a.conditions]
                if len(only_a) != 1 or len(only_b) != 1:
                    continue
                x, y = only_a[0], only_b[0]
                if x.key() != y.key() or x.kind not in flips or x.value == y.value:
                    continue
                kept = [c for c in a.conditions if c is not x]
                index = regions.index(a)
                regions = [r for r in regions if r is not a and r is not b]
                regions.insert(index, Region(a.items, a.before, a.after, kept, finder.wording.texts(kept), a.witness,
                                             [finder.wording.structured(c) for c in kept if c.kind != "item"]))
                changed = True
                break
            if changed:
                break
    return regions


class _Finder:
    def __init__(self, space: Space, sides, report: DiffReport):
        self.space, self.sides, self.report = space, sides, report
        self.cuts = _cuts(space)
        self.solver = z3.Solver(ctx=space.ctx)
        self.solver.add(*space.domain)
        self.formulas: dict = {}
        self.made: dict = {}        # condition -> its formula, built once
        self.sets: dict = {}        # set name -> members, to name a group of values as the rules do
        for program in space.programs:
            for atom in program.set_facts:
                self.sets.setdefault(atom.predicate[2:], set()).add(atom.args[0].value)
        self.wording = Wording(space, self.sets)
        self.pin: list = []         # what every witness meets (the asked date)

    def permitted(self, side: int, item: int):
        key = (side, item)
        if key not in self.formulas:
            self.formulas[key] = self.sides[side].permitted(item)
        return self.formulas[key]

    def _tally(self) -> None:
        self.report.solver_calls += 1
        self.report.progress()

    def _check(self, *formulas) -> bool:
        self.solver.push()
        self.solver.add(*formulas)
        try:
            result = checked(self.solver)
            model = self.solver.model() if result == z3.sat else None
        finally:
            self.solver.pop()
        self.report.solver_calls += 1
        self.report.progress()
        return model

    def regions(self, item: int, permitted_before: bool, known=()):
        """(conditions, text) of each region where the item goes from one outcome to the other.

        `known`: regions found for other items, tried first as they are (items the rules treat alike).
        """
        change = z3.And(self.permitted(0, item) if permitted_before else z3.Not(self.permitted(0, item)),
                        z3.Not(self.permitted(1, item)) if permitted_before else self.permitted(1, item))
        relevant = _variables(change)
        blocked = []
        known = list(known)
        while True:
            model = canonical_model(self.space, self.solver, [change, *blocked], self._tally)
            if model is None:
                return
            conditions = None
            for index, other in enumerate(known):
                candidate = [Condition("item", "items", item) if c.kind == "item" else c for c in other]
                if self._holds_in(candidate, model) and \
                        self._check(self.formula(candidate), z3.Not(change)) is None:
                    conditions = candidate
                    del known[index]
                    break
            if conditions is None:
                conditions = [c for c in self._cube(model, item)
                              if c.kind == "item" or _variables(self._one(c)) & relevant]
                if self._check(self.formula(conditions), z3.Not(change)) is not None:
                    conditions = self._point(model, item)    # relational rules: the class is not uniform
                conditions = self._widen(conditions, item, change)
            blocked.append(z3.Not(self.formula(conditions)))
            yield conditions, self.wording.texts(conditions)

    def _assumed(self, name: str):
        """An assumption as the request has it: its own entry, else the (first) rulebase's default."""
        from warrant.pipeline.grounding import switch_defaults
        default = switch_defaults(self.space.rulebases[0].checked).get(name, False)   # `name`: a switch
        return z3.If(self.space.assume_set[name], self.space.assume_value[name], z3.BoolVal(default, self.space.ctx))

    # a model -> the cube of its classes
    def _cube(self, model, item: int) -> list:
        space = self.space
        truth = lambda b: b is True or z3.is_true(model.eval(b, model_completion=True))
        number = lambda v: v if isinstance(v, int) else model.eval(v, model_completion=True).as_long()
        out = [Condition("item", "items", item)]
        for spec in space.vocabulary.fields:
            encoding = space.fields["u_" + spec.predicate]
            kinds = spec.arg_kinds()
            if encoding[0] == "flag":
                out.append(Condition("flag", spec.path, truth(encoding[1])))
            elif encoding[0] == "single":
                if encoding[1] is not True:
                    out.append(Condition("present", spec.path, truth(encoding[1])))
                    if not truth(encoding[1]):
                        continue
                value = number(encoding[2])
                if kinds[0] == SYMBOL:
                    named = value < len(space.names.names)
                    out.append(Condition("is", spec.path, value) if named else Condition("other", spec.path))
                else:
                    out.append(Condition("range", spec.path, self._class(value, kinds[0])))
            elif all(isinstance(v, int) for s in encoding[1] for v in s.values):
                for slot in encoding[1]:
                    if spec.predicate == "requested" and slot.values[0] == item:
                        continue
                    out.append(Condition("entry", spec.path, (slot.values, truth(slot.present))))
            else:
                present = set()
                for slot in encoding[1]:
                    if truth(slot.present):
                        present.add(tuple(self._column_class(number(v), k, spec.path, i)
                                          for i, (v, k) in enumerate(zip(slot.values, kinds))))
                for cls in sorted(self._all_classes(spec), key=repr):
                    out.append(Condition("some", spec.path, (cls in present, cls)))
        for name in space.assumptions:
            out.append(Condition("assume", name, truth(self._assumed(name))))
        for name in space.drafts:
            out.append(Condition("draft", name, truth(space.draft_named[name])))
        return out

    def _holds_in(self, conditions, model) -> bool:
        return z3.is_true(model.eval(self.formula(conditions), model_completion=True))

    def _point(self, model, item: int) -> list:
        """The model's own request, when classes are not enough (rules comparing two request values).

        The region is that one request, whichever slots hold its list entries.
        """
        import json
        return [Condition("item", "items", item),
                Condition("exact", "request", json.dumps(self.space.document(model), sort_keys=True))]

    def _class(self, value: int, kind: str) -> tuple:
        cuts = self.cuts.get(kind, [])
        if value in cuts:
            return (value, value)
        low = max((c for c in cuts if c < value), default=None)
        high = min((c for c in cuts if c > value), default=None)
        return (None if low is None else low + 1, None if high is None else high - 1)

    def _column_class(self, value: int, kind: str, path: str, column: int):
        if kind == SYMBOL:
            named = self.space.column_names.get(path, ())
            names = named[column] if column < len(named) else ()
            return ("is", value) if value in names else ("other", names)
        return ("range", self._class(value, kind))

    def _all_classes(self, spec) -> list:
        import itertools
        per_column = []
        for column, kind in enumerate(spec.arg_kinds()):
            if kind == SYMBOL:
                named = self.space.column_names.get(spec.path, ())
                names = named[column] if column < len(named) else ()
                per_column.append([("is", n) for n in names] + [("other", names)])
            else:
                cuts = self.cuts.get(kind, [])
                ranges, low = [], None
                for c in cuts:
                    if low is None or low <= c - 1:
                        ranges.append(("range", (low, c - 1)))
                    ranges.append(("range", (c, c)))
                    low = c + 1
                ranges.append(("range", (low, None)))
                per_column.append(ranges)
        return list(itertools.product(*per_column))

    # conditions -> formulas
    def formula(self, conditions) -> object:
        return z3.And(*[self._one(c) for c in conditions]) if conditions else z3.BoolVal(True, self.space.ctx)

    def _one(self, c: Condition):
        if c not in self.made:
            self.made[c] = self._make(c)
        return self.made[c]

    def _make(self, c: Condition):
        space = self.space
        if c.kind == "item":
            return space.requested(c.value)
        if c.kind == "exact":
            import json
            from warrant.pipeline.request import request_from_data
            request = request_from_data({"id": "point", **json.loads(c.value)}, vocabulary=space.vocabulary)
            return space.matches(request)
        if c.kind in ("assume", "draft"):
            if c.kind == "draft":
                return space.draft_named[c.path] == c.value
            return self._assumed(c.path) == c.value
        spec = space.vocabulary.by_path[c.path]
        encoding = space.fields["u_" + spec.predicate]
        if c.kind == "flag":
            return encoding[1] == c.value
        if c.kind == "present":
            return encoding[1] == c.value
        if c.kind == "is":
            return encoding[2] == c.value
        if c.kind == "in":
            return z3.Or(*[encoding[2] == code for code in c.value])
        if c.kind == "other":
            return z3.And(*[encoding[2] != code for code in range(len(space.names.names))])
        if c.kind == "range":
            return _within(encoding[2], c.value)
        if c.kind == "entry":
            values, present = c.value
            slot = next(s for s in encoding[1] if s.values == values)
            return slot.present == present
        if c.kind == "any_of":
            return z3.Or(*[s.present for s in encoding[1] if s.values in c.value])
        present, cls = c.value
        some = z3.Or(*[z3.And(slot.present, *[_column(v, part, len(space.names.names))
                                              for v, part in zip(slot.values, cls)]) for slot in encoding[1]])
        return some if present else z3.Not(some)

    # widening
    def _widen(self, conditions: list, item: int, change) -> list:
        current = list(conditions)
        requested = self.space.requested(item)

        def uniform(candidate) -> bool:
            return self._check(self.formula(candidate), requested, z3.Not(change)) is None

        for c in sorted(conditions, key=_drop_order):
            if c.kind in ("item", "exact") or c not in current:
                continue
            trial = [x for x in current if x is not c and not (c.kind == "present" and x.path == c.path)]
            if uniform(trial):
                current = trial
                continue
            if c.kind == "range" or (c.kind == "some" and c.value[0]):
                current = self._stretch(current, c, uniform)
            elif c.kind == "is":
                current = self._gather(current, c, uniform)
            elif c.kind == "entry" and c.value[1]:
                current = self._any_of(current, c, uniform)
        return current

    def _any_of(self, current: list, c: Condition, uniform) -> list:
        """Grow `list includes X` into `list includes one of X, Y, ...` while uniform."""
        spec = self.space.vocabulary.by_path[c.path]
        encoding = self.space.fields["u_" + spec.predicate]
        index, chosen = current.index(c), [c.value[0]]
        for slot in encoding[1]:
            if slot.values in chosen:
                continue
            trial = [x for x in current[:index] if not (x.kind == "entry" and x.path == c.path
                                                        and x.value[0] == slot.values)]
            rest = [x for x in current[index + 1:] if not (x.kind == "entry" and x.path == c.path
                                                           and x.value[0] == slot.values)]
            candidate = trial + [Condition("any_of", c.path, tuple(chosen + [slot.values]))] + rest
            if uniform(candidate):
                chosen.append(slot.values)
                current = candidate
                index = current.index(candidate[len(trial)])
        return current

    def _gather(self, current: list, c: Condition, uniform) -> list:
        """Grow `path value` into `path one of values`, one declared value at a time, while uniform."""
        spec = self.space.vocabulary.by_path[c.path]
        index, chosen = current.index(c), [c.value]
        for value in spec.values:
            code = self.space.names.encode(value)
            if code in chosen:
                continue
            trial = current[:index] + [Condition("in", c.path, tuple(sorted(chosen + [code])))] + current[index + 1:]
            if uniform(trial):
                chosen.append(code)
                current = trial
        return current

    def _stretch(self, current: list, c: Condition, uniform) -> list:
        """Stretch a range (or a present class's ranges) to further constants while the region stays uniform."""
        index = current.index(c)
        if c.kind == "range":
            kind = self.space.vocabulary.by_path[c.path].arg_kinds()[0]
            for bound in (0, 1):
                while True:
                    wider = _further(current[index].value, bound, self.cuts.get(kind, []))
                    if wider is None:
                        break
                    trial = current[:index] + [Condition("range", c.path, wider)] + current[index + 1:]
                    if not uniform(trial):
                        break
                    current = trial
            return current
        spec = self.space.vocabulary.by_path[c.path]
        for column, kind in enumerate(spec.arg_kinds()):
            if kind == SYMBOL:
                cls = current[index].value[1]
                trial_cls = cls[:column] + (("any",),) + cls[column + 1:]
                trial = current[:index] + [Condition("some", c.path, (True, trial_cls))] + current[index + 1:]
                if uniform(trial):
                    current = trial
                continue
            for bound in (0, 1):
                while True:
                    cls = current[index].value[1]
                    part = cls[column]
                    if part[0] != "range":
                        break
                    wider = _further(part[1], bound, self.cuts.get(kind, []))
                    if wider is None:
                        break
                    trial_cls = cls[:column] + (("range", wider),) + cls[column + 1:]
                    trial = current[:index] + [Condition("some", c.path, (True, trial_cls))] + current[index + 1:]
                    if not uniform(trial):
                        break
                    current = trial
        return current

def _variables(formula) -> set:
    """The names of the uninterpreted constants (request variables) a formula mentions."""
    seen, found, todo = set(), set(), [formula]
    while todo:
        node = todo.pop()
        if node.get_id() in seen:
            continue
        seen.add(node.get_id())
        if z3.is_const(node) and node.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            found.add(node.decl().name())
        todo.extend(node.children())
    return found


def _drop_order(c: Condition) -> tuple:
    """Try to drop what a reviewer least needs first: drafts and assumptions, then lists, flags, values."""
    rank = {"draft": 0, "assume": 1, "entry": 2, "some": 3, "flag": 4, "present": 5, "other": 6, "is": 7,
            "range": 8}.get(c.kind, 9)
    return (rank, c.path, repr(c.value))


def _within(value, bounds):
    low, high = bounds
    parts = ([value >= low] if low is not None else []) + ([value <= high] if high is not None else [])
    return z3.And(*parts) if parts else z3.BoolVal(True, value.ctx)


def _column(value, part, table_size: int):
    if part[0] == "any":
        return z3.BoolVal(True, value.ctx)
    if part[0] == "is":
        return value == part[1]
    if part[0] == "other":
        return z3.And(*[value != n for n in part[1]]) if part[1] else z3.BoolVal(True, value.ctx)
    return _within(value, part[1])


def _further(bounds, side: int, cuts: list):
    """The range with one end moved to the next constant outwards (or opened), or None if already open."""
    low, high = bounds
    if side == 0:
        if low is None:
            return None
        below = [c for c in cuts if c < low]
        if not below:
            return (None, high)
        nearest = max(below)
        # the class just below `low`: either the constant itself or the open interval above it
        return (nearest + 1, high) if nearest + 1 < low else (nearest, high)
    if high is None:
        return None
    above = [c for c in cuts if c > high]
    if not above:
        return (low, None)
    nearest = min(above)
    return (low, nearest - 1) if nearest - 1 > high else (low, nearest)


def _confirmed(finder, before: Scenario, after: Scenario, item: int, start: str, end: str, conditions) -> dict:
    """The smallest request in the region, decided by the engine under both scenarios as the region says."""
    from warrant.pipeline.decide import decide_outcomes
    from warrant.pipeline.request import request_from_data
    space = finder.space
    change_before = finder.permitted(0, item) if start == "permitted" else z3.Not(finder.permitted(0, item))
    change_after = finder.permitted(1, item) if end == "permitted" else z3.Not(finder.permitted(1, item))
    document = witness(space, finder.formula(conditions), change_before, change_after, *finder.pin)
    if document is None:
        raise InternalError("a region without a request in it")
    name = space.names.decode(item)
    request = request_from_data({"id": "witness", **document}, vocabulary=before.rulebase.program.vocabulary)
    for scenario, expected in ((before, start), (after, end)):
        _, items = decide_outcomes(scenario.rulebase, request, at=scenario.at, assume=dict(scenario.assume),
                                   drafts=scenario.drafts)
        outcome = next(o for i, o, _ in items if i == name)
        if outcome != expected:
            raise InternalError(f"the analysis and the engine disagree on {document} ({scenario.label}: "
                                 f"{outcome}, not {expected})")
    return document


def _same_vocabulary(a, b) -> None:
    def shape(rulebase):
        return {f.path: (f.predicate, f.kind, f.values, f.many, f.columns, f.required, f.column_values, f.judgement)
                for f in rulebase.program.vocabulary.fields}
    left, right = shape(a), shape(b)
    if left != right:
        different = sorted(p for p in set(left) | set(right) if left.get(p) != right.get(p))
        shown = ", ".join(different[:6]) + (f" and {len(different) - 6} more" if len(different) > 6 else "")
        raise WarrantError.at("O014", "the two rulebases declare different request fields, so no request is "
                                      f"valid for both in the same way: {shown}",
                              notes=("warrant diff compares rulebases that share one vocabulary",))


def scenarios(before_rules, after_rules, before_label: str, after_label: str, dates: list, switches: dict,
              drafts: tuple) -> tuple[Scenario, Scenario]:
    """The two sides of a diff from the command line's rulebases, `--at`, `--assume` and `--with-draft`.

    Two rulebases: both are decided alike (one `--at` fixes the date of both;
    two give each its own). One rulebase: the options are the change, as in
    `warrant impact`, except that a switch is compared with its opposite
    (`--assume X=on`: X off before, on after) and a draft with the draft off.
    """
    from warrant.pipeline.grounding import before_and_after, setting_text, settings_for
    if len(dates) > 2:
        raise WarrantError.at("O010", "--at is given once or twice (before, then after)")
    two = before_rules is not after_rules
    opposite, switches = before_and_after(before_rules.checked, switches, opposite=not two)
    for rulebase in {id(before_rules): before_rules, id(after_rules): after_rules}.values():
        settings_for(rulebase, None, switches, drafts)
        settings_for(rulebase, None, opposite, ())
    switched = bool(switches or drafts)
    if not two and not switched and len(dates) < 2 and not dates:
        raise WarrantError.at("O010", "nothing to compare: name two rulebases, or give --at twice, "
                                      "--assume NAME=on|off or --with-draft NAME")
    before_at = dates[0] if len(dates) == 2 or (dates and (switched or two)) else None
    after_at = dates[-1] if dates else None
    if not two and before_at == after_at and not switched:
        raise WarrantError.at("O010", "nothing changes: the two dates are the same")
    if two and opposite:
        raise WarrantError.at("O010", "two rulebases are decided alike: give each --assume once")
    opposite = tuple(sorted(opposite.items()))
    chosen = tuple(sorted(switches.items()))

    def label(base, at, assume, with_drafts):
        parts = [base] + ([f"--at {at}"] if at else []) + \
            [f"--assume {k}={setting_text(v)}" for k, v in assume] + [f"--with-draft {d}" for d in with_drafts]
        return " ".join(parts)

    if two:
        before = Scenario(label(before_label, before_at, chosen, drafts), before_rules, before_at, chosen, drafts)
        after = Scenario(label(after_label, after_at, chosen, drafts), after_rules, after_at, chosen, drafts)
    else:
        before = Scenario(label(before_label, before_at, opposite, ()) + (" (drafts off)" if drafts else ""),
                          before_rules, before_at, opposite, (), tuple(drafts))
        after = Scenario(label(after_label, after_at, chosen, drafts), after_rules, after_at, chosen, tuple(drafts))
    return before, after
