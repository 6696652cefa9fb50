"""Invariants: properties that must hold for every possible request, proved or (as a fallback) sampled.

`invariant ID "..." never permit Item [by NAME] when BODY` says no item for
which BODY holds is ever permitted (with `by NAME`: permitted with one of the
permissions NAME means among those that apply, `check.permissions_by`). `check_invariants` proves each one for every
request through the exact analysis (engine/analysis/prove.py) and has the
engine confirm any counter-example it finds. Only a program the analysis
cannot encode exactly (recursive rules) falls back to the enumeration
below, and its result says "checked on N requests, not a proof".

The enumeration decides a finite set of requests built from the rules:

1. Each permission (drafts included, switched on) is unfolded through the
   definitions it uses, one conjunction of request facts, set memberships,
   comparisons and assumption switches per way of proving it; the
   invariant's BODY is unfolded the same way and joined to it.
2. Each conjunction becomes concrete requests: a variable in a set takes
   each member of the set; a variable compared with a constant takes the
   constant and the values one unit either side (a day, a penny, a month);
   a date also takes the first and last day of every policy and the day
   either side; a required field the conjunction leaves open takes every
   value the vocabulary allows. Optional facts
   the conjunction does not need are left out. Assumptions take the
   setting the conjunction needs, the rest once at their defaults, once
   all off and once all on.
3. Every such request is decided with the real engine, and BODY is asked
   in the same session for each permitted item.

So it proves nothing about requests that add facts no permission needs
(these can only switch on prohibitions, or switch off a permission whose
condition is negated), nor about a negated definition whose own negation
would need extra facts (double negation). The smallest violating request
found is returned, ready to run.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import json
from dataclasses import dataclass, replace

from warrant.pipeline import syntax as S
from warrant.pipeline.check import permissions_by
from warrant.pipeline.compile import compile_condition
from warrant.pipeline.datalog import (ASSUMED, DRAFT_ON, FORBID, PERMIT, Atom, Compare, Const, Not, Var,
                                      compares_request_values)
from warrant.pipeline.syntax import switch_name
from warrant.pipeline.outcome import Outcome, combine
from warrant.pipeline.grounding import request_atoms, settings_for
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.request import request_from_data
from warrant.pipeline.unfold import Unfolder
from warrant.pipeline.vocabulary import parent_of
from warrant.pipeline.unfold import apply as _apply
from warrant.pipeline.unfold import around as _around
from warrant.pipeline.unfold import holds as _holds
from warrant.pipeline.unfold import order as _order
from warrant.pipeline.unfold import rename_var as _rename_var
from warrant.pipeline.unfold import terms as _terms
from warrant.pipeline.unfold import unify as _unify
from warrant.pipeline.unfold import value as _value
from warrant.pipeline.values import DATE, MONEY, MONTHS, SYMBOL, Money, Months, kind_of, to_json

PER_CONJUNCTION = 4000   # concrete requests built from one conjunction, at most
MAX_UNFOLDINGS = 400     # ways of proving one permission, at most


@dataclass(frozen=True)
class InvariantResult:
    name: str
    statement: str
    span: object
    tried: int                       # distinct requests decided
    ways: int                        # ways of proving a permission together with the condition
    truncated: bool                  # some conjunction had more candidates than PER_CONJUNCTION
    counterexample: dict | None = None
    item: str | None = None
    permitted_by: tuple[str, ...] = ()
    method: str = "enumeration"      # "proof" (exact analysis), "enumeration" (a sample, not a proof),
                                     # or "stopped" (a bound reached before anything was shown)
    bounds: tuple = ()               # ((list field, slots), ...) where a proof covers lists up to that length
    reason: str = ""                 # for "stopped": which bound, in words
    hint: str = ""                   # for "stopped": what the author can do about it

    @property
    def holds(self) -> bool:
        """Shown to hold (proved, or on every request sampled); never for an invariant not examined."""
        return self.counterexample is None and self.method != "stopped"

    @property
    def violated(self) -> bool:
        return self.counterexample is not None

    @property
    def how(self) -> str:
        """What was shown, in the words the check prints."""
        if self.method == "stopped":
            return f"not proved: {self.reason}"
        if self.method == "proof":
            if not self.holds:
                return "counter-example found by the solver and confirmed by the engine"
            if self.bounds:
                return "proved for every request with at most " + \
                    ", ".join(f"{n} entries in {path}" for path, n in self.bounds)
            return "proved for every request"
        return f"checked on {self.tried} request(s), not a proof" + (" (enumeration truncated)" if self.truncated else "")

    def to_json(self) -> dict:
        return {"invariant": self.name, "holds": self.holds, "method": self.method,
                **({"stopped": self.reason} if self.method == "stopped" else {}),
                "proved": self.method == "proof" and self.holds, "bounds": dict(self.bounds),
                "requests_tried": self.tried, "ways_examined": self.ways,
                "truncated": self.truncated, "counterexample": self.counterexample, "item": self.item,
                "permitted_by": list(self.permitted_by)}


def check_invariants(rulebase) -> list[InvariantResult]:
    """Prove every invariant; sample only where the program cannot be encoded exactly (see the module docstring).

    Runs within the analysis budget in force (engine/analysis/budget.py): an
    invariant the budget stops is "not proved", with the bound that stopped it."""
    from warrant.analysis import budget
    invariants = sorted(rulebase.checked.invariants.items())
    results = []
    shared = []                 # the encoding all the invariants share, made when the first is proved
    for number, (name, invariant) in enumerate(invariants, 1):
        budget.note(f"invariant {number} of {len(invariants)}: {name}")
        try:
            results.append(_check(rulebase, invariant, shared, [i for _, i in invariants]))
        except budget.Stopped as stop:
            results.append(InvariantResult(invariant.name, invariant.statement, invariant.id_span, 0, 0, False,
                                           method="stopped", reason=stop.reason, hint=stop.hint))
    return results


def _check(rulebase, invariant: S.Invariant, shared: list | None = None, every=()) -> InvariantResult:
    from warrant.analysis.prove import NotExact, Shared, confirm, prove
    try:
        if shared is not None and not shared:
            shared.append(Shared(rulebase, every))
        proof = prove(rulebase, invariant, shared[0] if shared else None)
    except NotExact as exc:
        result = _Enumerator(rulebase, invariant).run()
        if not result.tried and (result.ways or result.truncated):   # ways to check, none decided
            return replace(result, method="stopped",
                           reason=f"the exact analysis cannot encode it ({exc}) and no request could be "
                                  "enumerated to sample it", hint="simplify the rules it depends on")
        return result
    bounds = tuple(sorted(proof.bounds.items()))
    if proof.holds:
        return InvariantResult(invariant.name, invariant.statement, invariant.id_span, 0, proof.solver_calls,
                               False, method="proof", bounds=bounds)
    enumerator = _Enumerator(rulebase, invariant)
    item, rules = confirm(rulebase, proof.counterexample, enumerator.decide)
    document = _arranged({"id": f"counterexample_{invariant.name}", **proof.counterexample}, rulebase)
    return InvariantResult(invariant.name, invariant.statement, invariant.id_span, 1, proof.solver_calls, False,
                           document, item, rules, method="proof", bounds=bounds)


def _arranged(document: dict, rulebase) -> dict:
    """Keys in the vocabulary's order, empty values left out (as a request file is written)."""
    order = ["id"] + list(dict.fromkeys(f.path.split(".")[0] for f in rulebase.program.vocabulary.fields))
    return {k: document[k] for k in order + sorted(set(document) - set(order)) if document.get(k) not in (None, {}, [])}


def counterexample_yaml(result: InvariantResult) -> str:
    """The counter-example as a request file (YAML), with a header saying what it shows."""
    import yaml
    header = (f"# Counter-example to invariant {result.name}: item {result.item} is permitted "
              f"(by {', '.join(result.permitted_by)}).\n# Run: warrant decide THIS_FILE\n")
    return header + yaml.safe_dump(result.counterexample, sort_keys=False, allow_unicode=True)


class _Enumerator:
    def __init__(self, rulebase, invariant: S.Invariant):
        self.rb = rulebase
        self.program = rulebase.program
        self.vocabulary = rulebase.program.vocabulary
        self.fields = self.vocabulary.by_fact
        self.invariant = invariant
        self.unfolder = Unfolder(self.program)
        self.date_cuts = self._date_cuts()
        self.truncated = False
        self.abstraction = self._abstraction()
        self.body = [compile_condition(c) for c in invariant.body]          # compiled once, asked per request
        self.body_variables = sorted({a.name for l in self.body for a in _terms(l) if isinstance(a, Var)}
                                     - {invariant.item_var})
        self.verdicts: dict = {}
        self.through = frozenset(permissions_by(rulebase.checked, invariant.by)) if invariant.by else None

    # ---- concrete requests ------------------------------------------------------

    def _date_cuts(self) -> list[_dt.date]:
        days = set()
        for policy in self.rb.checked.policies.values():
            if policy.period:
                for day in (policy.period.start, policy.period.end):
                    if day:
                        days |= {day - _dt.timedelta(days=1), day, day + _dt.timedelta(days=1)}
        for rule in self.program.rules.values():
            for literal in rule.body:
                if isinstance(literal, Compare):
                    for t in (literal.left, literal.right):
                        if isinstance(t, Const) and kind_of(t.value) == DATE:
                            days |= _around(t.value)
        return sorted(days) or [_dt.date(2018, 1, 1)]

    def candidates(self, base: list, subst: dict):
        """Concrete request documents for one conjunction."""
        literals = [_apply(l, subst) for l in base]
        single: dict = {}   # a request has one value of a single-valued field: unify its mentions
        for literal in literals:
            spec = self.fields.get(getattr(literal, "predicate", None))
            if spec is not None and not spec.many and spec.kind != "records" and spec.arity == 1:
                if literal.predicate in single:
                    subst = _unify(single[literal.predicate], literal.args, subst)
                    if subst is None:
                        return
                else:
                    single[literal.predicate] = literal.args
        literals = [_apply(l, subst) for l in base]
        facts = [l for l in literals if isinstance(l, Atom) and l.predicate in self.fields
                 or isinstance(l, Atom) and l.predicate == "u_requested"]
        sets = [l for l in literals if isinstance(l, Atom) and l.predicate.startswith("s_")]
        compares = [l for l in literals if isinstance(l, Compare)]
        on = {l.args[0].value for l in literals if isinstance(l, Atom) and l.predicate == ASSUMED}
        off = {l.atom.args[0].value for l in literals if isinstance(l, Not) and l.atom.predicate == ASSUMED}
        drafts = {l.args[0].value for l in literals if isinstance(l, Atom) and l.predicate == DRAFT_ON}
        if on & off:
            return
        present = {f.predicate for f in facts}
        for spec in self.vocabulary.fields:
            if spec.required and "u_" + spec.predicate not in present and spec.predicate != "requested":
                facts.append(Atom("u_" + spec.predicate, (Var(f"_open_{spec.predicate}"),)))
        variables = sorted({a.name for l in facts + sets + compares for a in _terms(l) if isinstance(a, Var)})
        choices = [self._values(v, facts, sets, compares) for v in variables]
        if any(not c for c in choices):
            return
        count = 0
        for combo in itertools.product(*choices):
            env = dict(zip(variables, combo))
            if not all(_holds(c, env) for c in compares):
                continue
            if not all(_value(s.args[0], env) in self.rb.checked.sets[s.predicate[2:]].members for s in sets):
                continue
            document = _document(facts, env, self.fields)
            if document is None:
                continue
            count += 1
            if count > PER_CONJUNCTION:
                self.truncated = True
                return
            for switches in self._switch_sets(on, off):
                yield {**document, "assume": switches, "drafts": sorted(drafts)} if drafts else \
                    {**document, "assume": switches}

    def _switch_sets(self, on: set, off: set):
        """Settings (per assumption, as a request's `assume`) meeting the switches a way of proving needs on
        and off: the defaults, then everything off (first readings), then everything on (last readings)."""
        checked = self.rb.checked
        names = sorted(checked.assumptions)
        defaults = {n: checked.assumption_default(n) for n in names}
        seen = []
        for pick in (None, 0, -1):
            settings = {}
            for name in names:
                decl = checked.assumptions[name]
                if not decl.has_readings:
                    value = defaults[name] if pick is None else pick == -1
                    settings[name] = True if name in on else False if name in off else value
                    continue
                wanted = [p.label for p in decl.readings if switch_name(name, p.label) in on]
                allowed = [p.label for p in decl.readings if switch_name(name, p.label) not in off]
                choices = [r for r in (wanted or allowed) if r in allowed]
                if len(wanted) > 1 or not choices:
                    break                              # two readings at once, or none left: no such request
                settings[name] = defaults[name] if pick is None and defaults[name] in choices else choices[pick or 0]
            else:
                changed = {n: v for n, v in settings.items() if v != defaults[n]}
                if changed not in seen:
                    seen.append(changed)
                    yield changed

    def _values(self, var: str, facts, sets, compares) -> list:
        kind, allowed = SYMBOL, ()
        for fact in facts:
            spec = self.fields.get(fact.predicate)
            for index, arg in enumerate(fact.args):
                if arg == Var(var):
                    if fact.predicate == "u_requested":
                        kind, allowed = SYMBOL, ()
                    elif spec is not None:
                        kind = spec.arg_kinds()[index]
                        allowed = () if kind != SYMBOL else spec.column_values[index] \
                            if spec.kind == "records" else spec.values
        constants = [t.value for c in compares if Var(var) in (c.left, c.right)
                     for t in (c.left, c.right) if isinstance(t, Const)]
        if kind == SYMBOL:
            members = [set(self.rb.checked.sets[s.predicate[2:]].members) for s in sets if s.args[0] == Var(var)]
            if members:
                values = set.intersection(*members)
            elif allowed:
                values = set(allowed)
            else:
                values = {"unnamed"}
            values |= {c for c in constants if isinstance(c, str)}
            if allowed:
                values &= set(allowed)
            unary = [c for c in compares if Var(var) in (c.left, c.right)
                     and all(isinstance(t, Const) or t == Var(var) for t in (c.left, c.right))]
            return sorted(v for v in values if all(_holds(c, {var: v}) for c in unary))
        values = set()
        for constant in constants:
            if kind_of(constant) == kind:
                values |= _around(constant)
        if kind == DATE:
            values |= set(self.date_cuts)
        if not values:
            values = {Money(100) if kind == MONEY else Months(1) if kind == MONTHS else self.date_cuts[0]}
        unary = [c for c in compares if Var(var) in (c.left, c.right)
                 and all(isinstance(t, Const) or t == Var(var) for t in (c.left, c.right))]
        return sorted((v for v in values if all(_holds(c, {var: v}) for c in unary)), key=_order)

    # ---- deciding ----------------------------------------------------------------

    def run(self) -> InvariantResult:
        from warrant.analysis import budget
        inv = self.invariant
        item_var = "Item_inv"
        goal = [_rename_var(compile_condition(c), inv.item_var, item_var) for c in inv.body]
        seen: set[str] = set()
        best = None
        ways = 0
        for rule_id in sorted(self.program.rules):
            rule = self.program.rules[rule_id]
            if rule.kind != "permit" or (self.through is not None and rule_id not in self.through):
                continue
            for index, (base, subst) in enumerate(self.unfolder.permission(rule_id, item_var, tuple(goal))):
                if index >= MAX_UNFOLDINGS:
                    self.truncated = True
                    break
                ways += 1
                for document in self.candidates(base, subst):
                    budget.tick()
                    key = json.dumps(document, sort_keys=True)
                    if key in seen:
                        continue
                    seen.add(key)
                    found = self._violation(document)
                    if found and (best is None or _size(document) < _size(best[0])):
                        best = (document, *found)
        if best is None:
            return InvariantResult(inv.name, inv.statement, inv.id_span, len(seen), ways, self.truncated)
        document, item, rules = best
        document = _arranged({"id": f"counterexample_{inv.name}", **document}, self.rb)
        return InvariantResult(inv.name, inv.statement, inv.id_span, len(seen), ways, self.truncated,
                               document, item, rules)

    def _abstraction(self):
        """The batch abstraction, widened by the invariant's own constants: equal signatures, equal verdicts."""
        from warrant.batch.classes import Abstraction, order_key
        abstraction = Abstraction.of(self.program)
        symbols, thresholds = set(abstraction.symbols), {k: set(v) for k, v in abstraction.thresholds.items()}
        for literal in (compile_condition(c) for c in self.invariant.body):
            for term in _terms(literal):
                if isinstance(term, Const):
                    if kind_of(term.value) == SYMBOL:
                        symbols.add(term.value)
                    else:
                        thresholds.setdefault(kind_of(term.value), set()).add(order_key(term.value))
            if compares_request_values(literal):
                abstraction.relational = True
        abstraction.symbols = frozenset(symbols)
        abstraction.thresholds = {k: sorted(v) for k, v in thresholds.items()}
        return abstraction

    def _violation(self, document: dict):
        try:
            request = request_from_data(document, vocabulary=self.vocabulary)
        except WarrantError:
            return None
        key = self.abstraction.signature(request)
        if key not in self.verdicts:
            self.verdicts[key] = self.decide(request)
        return self.verdicts[key]

    def decide(self, request):
        try:
            switches, drafts = settings_for(self.rb, request)
        except WarrantError:
            return None
        atoms, _ = request_atoms(request, None, switches, drafts)
        body, variables = self.body, self.body_variables
        with self.rb.engine.session(atoms) as session:
            permits = session.ask(Atom(PERMIT, (Var("I"), Var("R"))))
            forbids = session.ask(Atom(FORBID, (Var("I"), Var("R"))))
            for item in request.items:
                rules = tuple(sorted(r for i, r in permits if i == item))
                if combine(rules, [r for i, r in forbids if i == item])[0] != Outcome.PERMITTED:
                    continue
                if self.through is not None and not self.through & set(rules):
                    continue                   # `by NAME`: permitted, but not through the permissions it names
                fixed = [_rename_var(l, self.invariant.item_var, None, Const(item)) for l in body]
                positive = [v for v in variables if any(isinstance(l, Atom) and Var(v) in l.args for l in fixed)]
                if session.ask_body(tuple(fixed), positive) if positive else session.ask_body(tuple(fixed), []):
                    return item, rules
        return None


# ---- helpers ---------------------------------------------------------------------


def _document(facts, env, fields: dict) -> dict | None:
    """A request document holding exactly these facts, or None if they cannot go together."""
    data: dict = {"items": []}
    for fact in facts:
        args = [to_json(_value(a, env)) for a in fact.args]
        if fact.predicate == "u_requested":
            if args[0] not in data["items"]:
                data["items"].append(args[0])
            continue
        spec = fields[fact.predicate]
        target, key = parent_of(data, spec.path)
        if spec.kind == "records":
            record = {name: (v.count if isinstance(v, Months) else a)
                      for (name, _), a, v in zip(spec.columns, args, (_value(t, env) for t in fact.args))}
            target.setdefault(key, [])
            if record not in target[key]:
                target[key].append(record)
        elif spec.many:
            target.setdefault(key, [])
            if args[0] not in target[key]:
                target[key].append(args[0])
        elif spec.arity == 0:
            target[key] = True
        elif key in target and target[key] != args[0]:
            return None
        else:
            target[key] = args[0]
    if not data["items"]:
        return None
    for spec in fields.values():
        if getattr(spec, "judgement", False):          # answered: an open judgement is not a "no" (judgement.py)
            target, key = parent_of(data, spec.path)
            target.setdefault(key, False)
    return data


def _size(document: dict) -> tuple:
    text = json.dumps(document, sort_keys=True)
    return (text.count(":"), len(text), text)
