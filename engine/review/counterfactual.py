"""Counterfactuals: the smallest changes to a request's facts that would permit a refused item.

For each permission in force on the decision's date, each way of proving it
(engine/pipeline/unfold.py) is compared with the request, and the request is changed
just enough to meet it: a value already in the request is kept when it
satisfies the conditions, otherwise it moves to the nearest value that does
(a threshold's boundary, a member of the set); a missing yes/no fact is
set, a fact a negated condition forbids is cleared. If the item is still
refused, the search goes on from there, one change at a time: a prohibition
that applies is lifted by breaking any literal of any way of proving it
(a fact it needs cleared or moved out of its range, a fact it negates set,
a concept it negates met), and a concept the permission negates is broken
the same way. Every candidate is re-decided by the engine, exactly as a
fresh request would be, and kept only if the item comes out permitted
(which means no prohibition applies).

The smallest verified sets of changes are reported. Values of one field
that permit alike are grouped into one suggestion (`tool: none -> a | b`),
each of them verified, so other fields get their place; at most `LIMIT`
suggestions are shown and the rest counted (`Suggestions.more`).

The search is complete within its bounds (`MAX_WAYS` ways of proving one
rule, the unfolder's depth, `MAX_CHANGES` changes in one suggestion,
`MAX_DECISIONS` changed requests decided per item, `MAX_VALUES` values of one
field tried for a group); when one of them cuts it, the answer names it
(`Suggestions.incomplete`).

Only facts a request holds are changed: never the date, the assumptions or
the drafts, and not the items asked for or the fields the vocabulary marks
(the rulebase's `fixed` fields) unless the caller names them in `vary`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from warrant.pipeline.cache import Bounded
from warrant.pipeline.datalog import (ASSUMED, DRAFT_ON, FORBID, IN_FORCE, PERMIT, Atom, Compare, Const, Not, Var,
                                      fact_predicate)
from warrant.pipeline.decide import decide_outcomes
from warrant.pipeline.judgement import open_questions
from warrant.pipeline.outcome import Outcome, Reason, combine
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.request import request_from_data
from warrant.pipeline.unfold import Unfolder, apply, around, holds, order, rename_var, terms, walk
from warrant.pipeline.values import BOOL, SYMBOL, Money, Months, kind_of, to_json
from warrant.pipeline.vocabulary import DATE_FIELD

DATE_FACT = fact_predicate("request_date")

LIMIT = 3                   # suggestions shown; the others of the same size are counted
MAX_WAYS = 4096             # ways of proving one rule considered (a bound the output names when reached)
MAX_CHANGES = 4             # changes in one suggestion
MAX_DECISIONS = 2000        # changed requests decided for one item
MAX_VALUES = 64             # values of one field tried when grouping a suggestion's alternatives


class Suggestions(tuple):
    """The smallest verified changes, and why the search may have missed one (`incomplete`: None when it
    looked at every way of proving every permission in force and every prohibition that applied);
    `more`: how many further suggestions of the same size were found and not shown."""

    incomplete: str | None = None
    more: int = 0

    @classmethod
    def of(cls, found, incomplete: str | None, more: int = 0) -> "Suggestions":
        out = cls(found)
        out.incomplete = incomplete
        out.more = more
        return out


@dataclass(frozen=True)
class Change:
    path: str
    before: object          # JSON value, None when absent
    after: object           # JSON value, None when removed
    unit: str = ""          # shown after numbers that are counts (months)
    alternatives: tuple = ()    # other values of the field that permit as well (each verified)

    def describe(self) -> str:
        after = " | ".join(_show(v, self.unit) for v in (self.after, *self.alternatives))
        return f"{self.path}: {_show(self.before, self.unit)} -> {after}"

    def to_json(self) -> dict:
        out = {"field": self.path, "from": self.before, "to": self.after}
        if self.alternatives:
            out["or"] = list(self.alternatives)
        return out


@dataclass(frozen=True)
class Counterfactual:
    changes: tuple[Change, ...]
    permitted_by: tuple[str, ...]     # the permissions that apply once changed (verified)

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.changes) + f" (permitted by {', '.join(self.permitted_by)})"

    def to_json(self) -> dict:
        return {"changes": [c.to_json() for c in self.changes], "permitted_by": list(self.permitted_by),
                "verified": True}


def _show(value, unit: str = "") -> str:
    if isinstance(value, int) and not isinstance(value, bool) and unit:
        return f"{value} {unit}"
    if value is None:
        return "absent"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def counterfactuals(rulebase, request, item: str, *, at=None, switches: dict, drafts: tuple,
                    vary: tuple[str, ...] = (), verdicts: dict | None = None) -> tuple[Counterfactual, ...]:
    """Verified smallest changes that would permit `item` (empty if none is found).

    `verdicts` may be shared by the searches for one request's items: a
    changed request is evaluated once for all of them (the engine answers
    for every item at once).
    """
    return _Search(rulebase, request, item, at, switches, drafts, vary,
                   {} if verdicts is None else verdicts).run()


class _Oracle:
    """What the searches for one decision ask of the engine, with a batch's class caches.

    A changed request differs from the request in a fact or two, and each of
    its answers to open judgements is a request of its own: the permissions
    and prohibitions that apply are kept per outcome class (the batch's class
    signature, engine/batch/classes.py, which fixes every rule's applying),
    and settling open judgements uses the batch decider's caches."""

    def __init__(self, rulebase, at, switches, drafts):
        import threading

        from warrant.batch.decider import BatchDecider
        from warrant.pipeline.cache import Bounded
        from warrant.pipeline.grounding import settings_view
        assume = settings_view(rulebase.checked, switches)
        # One decider per thread and settings, kept with the rulebase: the searches of every decision made
        # with it (a golden suite's cases, say) share its class caches, exact for any request.
        kept = rulebase.__dict__.setdefault("_search_deciders", Bounded(SEARCH_DECIDERS))
        key = (threading.get_ident(), at, tuple(sorted(assume.items())), tuple(drafts))
        self.decider = kept.get(key)
        if self.decider is None:
            self.decider = kept[key] = BatchDecider(rulebase, trace="none", at=at, assume=assume, drafts=drafts)

    def key(self, request):
        return self.decider.abstraction.signature(request, self.decider.at)

    def settled(self, request) -> dict:
        return {i: o for i, o, _ in self.decider.outcome(request)[1]}


def explain_refusals(rulebase, request, decision, *, at=None, assume=None, drafts=(), vary: tuple[str, ...] = ()):
    """`decision` with what would have to change attached to each refused item (the second half of a decision).

    The pipeline decides and proves; this search runs on top of it, called by
    whoever wants the full explanation (the API, golden suites, compare), so
    the pipeline never reaches up into review."""
    from dataclasses import replace
    from warrant.pipeline.grounding import settings_for
    switches, drafts = settings_for(rulebase, request, assume, drafts)
    verdicts: dict = {}
    if any(i.outcome == "refused" for i in decision.items):
        verdicts[_ORACLE] = _Oracle(rulebase, at, switches, drafts)
    items = tuple(replace(i, counterfactuals=counterfactuals(rulebase, request, i.item, at=at, switches=switches,
                                                             drafts=drafts, vary=vary, verdicts=verdicts))
                  if i.outcome == "refused" else i for i in decision.items)
    return replace(decision, items=items, extra={**decision.extra, "changes_searched": True})


SEARCH_DECIDERS = 16           # deciders a rulebase keeps for the searches (`_Oracle`): per thread and settings
_ORACLE = ("oracle",)          # the verdicts' entry for the decision's `_Oracle` (no request's key is a tuple of one)


def _ways(program, rule_id: str, whole: frozenset = frozenset()) -> tuple:
    """The first MAX_WAYS ways of proving a permission, as literals over the item `Item_` (once per program),
    and the bound that cut them short (None: these are all the ways). `whole`: dated sets kept as one
    condition each, not unfolded into one way per member and period (a search on a fixed date reads
    them as the set of their members on that date, `_Members`)."""
    out = []
    unfolder = Unfolder(program, frozenset({IN_FORCE}) | whole)   # the date is fixed: whether a policy is in force too
    cut = None
    for index, (base, subst) in enumerate(unfolder.permission(rule_id, "Item_")):
        if index >= MAX_WAYS:
            cut = f"{rule_id} has more than {MAX_WAYS:,} ways of being proved; the first {MAX_WAYS:,} were tried"
            break
        literals = [apply(l, subst) for l in base]
        item = walk(Var("Item_"), subst)       # definitions over the item rename it: name it back
        if item != Var("Item_"):
            literals = [apply(l, {item: Var("Item_")}) for l in literals]
        out.append(tuple(literals))
    if cut is None and unfolder.cut:
        from warrant.pipeline.unfold import MAX_DEPTH
        cut = f"{rule_id} rests on definitions nested more than {MAX_DEPTH} deep; deeper ways were not tried"
    return tuple(out), cut


class _Search:
    def __init__(self, rulebase, request, item, at, switches, drafts, vary, verdicts):
        self.rb, self.request, self.item = rulebase, request, item
        self.at, self.switches, self.drafts = at, switches, tuple(drafts)
        self.vocabulary = rulebase.program.vocabulary
        self.fields = self.vocabulary.by_fact
        self.fixed = tuple(f for f in self.vocabulary.fixed if f not in vary)
        self.unfolder = Unfolder(rulebase.program, frozenset({IN_FORCE}))
        self.date = at or request.date
        # on a date no change can alter, a dated set is the set of its members on that date
        self.whole = frozenset(p for p in _dated(rulebase.program) if p[2:] in rulebase.checked.sets) \
            if DATE_FIELD in self.fixed else frozenset()
        self.members = _Members(rulebase, self.date)
        self.current = _current_values(request, self.fields)     # read-only: every way starts from the request
        self.verdicts = verdicts    # changed request's facts -> the engine's (permits, forbids), every item
        self.tried: set = set()     # sets of changes already decided in this search
        self.decided = 0            # changed requests evaluated afresh by this search
        self.cuts: dict = {}        # bound that cut the search -> what it says (in the order met)
        self.fewest = MAX_CHANGES + 1   # changes in the smallest suggestion found so far

    # ---- driving --------------------------------------------------------------
    def run(self) -> tuple[Counterfactual, ...]:
        found: dict = {}
        for rule_id in self._permits_in_force():
            ways, unaries = self._rule_ways(rule_id)
            for index in self._open_ways(rule_id, ways, unaries):
                literals, unary = ways[index], unaries[index]
                met = self._meet(literals, unary)
                if met is not None:
                    changes, env = met
                    self._try(changes, found, self._negated_concepts(literals, env))
        if found:
            self.cuts.pop("changes", None)      # what lies past the bound is larger than what was found
        best = sorted(found.values(), key=lambda cf: (len(cf.changes), [c.describe() for c in cf.changes]))
        shown, more = self._grouped([cf for cf in best if len(cf.changes) == len(best[0].changes)] if best else [])
        return Suggestions.of(tuple(shown), "; ".join(self.cuts.values()) or None, more)

    def _rule_ways(self, rule_id: str):
        """A rule's ways of being proved and each way's conditions on one variable (once per program, and
        whether dated sets are kept whole)."""
        whole = self.whole
        ways, cut = self.rb.program.memo(("ways", rule_id, whole), lambda: _ways(self.rb.program, rule_id, whole))
        # the conditions on each variable alone are the same for every request: worked out once per program
        unaries = self.rb.program.memo(("unary", rule_id, whole),
                                       lambda: tuple(_unary_constraints(w, whole) for w in ways))
        if cut:
            self.cuts.setdefault(("ways", rule_id), cut)
        return ways, unaries

    def _open_ways(self, rule_id: str, ways: tuple, unaries: tuple) -> tuple:
        """The indices of the ways `_meet` could meet at all, given what no change can alter in this search:
        which policies are in force on its date, the settings and drafts, and (unless `--vary` names
        the date) the request's date against a way's period (a dated set's member holds only on some
        days). `_meet` fails on every other way whatever the facts, so they are not tried; a law of many
        dated periods has most of its ways closed on any one day (issue 35). Worked out once per
        rule, date and settings."""
        date_fixed = DATE_FIELD in self.fixed
        day = self.current.get(DATE_FIELD) if date_fixed else None
        key = (rule_id, self.whole, self.date, day, tuple(sorted(self.switches.items())), self.drafts)
        known = self.rb.program.memo("open ways", lambda: Bounded(20_000))
        found = known.get(key)
        if found is None:
            gates = self.rb.program.memo(("gates", rule_id, self.whole), lambda: tuple(_gates(way) for way in ways))
            # ways with the same gates (a route through each member of a dated set in one period) open or
            # close together: each distinct gate is tested once
            kinds = self.rb.program.memo(("gate kinds", rule_id, self.whole),
                                         lambda: tuple(_gate_kind(g, u) for g, u in zip(gates, unaries)))
            verdicts: dict = {}
            for index, kind in enumerate(kinds):
                if kind not in verdicts:
                    verdicts[kind] = self._open(gates[index], unaries[index], day)
            found = known[key] = tuple(index for index, kind in enumerate(kinds) if verdicts[kind])
        return found

    def _open(self, gates: tuple, unary, day) -> bool:
        for negated, atom in gates:
            if atom.predicate == IN_FORCE and self._in_force(atom.args[0].value) == negated:
                return False
            if atom.predicate == ASSUMED and bool(self.switches.get(atom.args[0].value)) == negated:
                return False
            if atom.predicate == DRAFT_ON and not negated and atom.args[0].value not in self.drafts:
                return False
            if day is not None and not negated and atom.predicate == DATE_FACT and isinstance(atom.args[0], Var) \
                    and not _fits(atom.args[0].name, day, unary, self.members):
                return False            # the fixed date misses the way's period: `_meet_fact` would fail
        return True

    def _in_force(self, name: str) -> bool:
        """Whether a policy, or some version of a lineage, is in force on the (fixed) date of the search."""
        policies = self.rb.checked.policies
        chosen = [policies[name]] if name in policies else self.rb.checked.versions(name)
        return any(p.covers(self.date) and (not p.draft or p.name in self.drafts) for p in chosen)

    def _permits_in_force(self) -> list[str]:
        program = self.rb.program
        out = []
        for rule_id in program.permissions():
            rule = program.rules[rule_id]
            policy = self.rb.checked.policies.get(rule.policy) if rule.policy else None
            if policy is not None and not policy.covers(self.date):
                continue
            if policy is not None and policy.draft and policy.name not in self.drafts:
                continue
            out.append(rule_id)
        return out

    def _try(self, changes: list[Change], found: dict, negated: tuple = ()) -> None:
        """Decide the request with `changes`; keep them if the item is permitted, otherwise go on from them:
        lift a prohibition that applies, or break a concept the permission negates."""
        key = _key(changes)
        if key in self.tried:
            return
        self.tried.add(key)
        verdict = self._decide(changes)
        if verdict is None:
            return
        permits, forbids = verdict
        outcome, reason = combine(permits, forbids)
        if outcome == Outcome.PERMITTED:
            if changes:
                found[key] = Counterfactual(tuple(sorted(changes, key=lambda c: c.path)), permits)
                self.fewest = min(self.fewest, len(changes))
            return
        if len(changes) >= self.fewest:
            return          # one more change could not give a smallest suggestion
        if len(changes) >= MAX_CHANGES:
            self.cuts.setdefault("changes", f"suggestions of more than {MAX_CHANGES} changes were not tried")
            return
        if reason == Reason.PROHIBITION and permits:
            extras = self._lift(forbids, changes)
        elif negated:
            extras = self._break_concepts(negated, changes)
        else:
            return
        for extra in extras:
            self._try(changes + extra, found, negated)

    def _decide(self, changes: list[Change]):
        """(permits, forbids) for the item in the changed request, from a fresh evaluation."""
        document = copy.deepcopy(self.request.data)
        for change in changes:
            _set_path(document, change.path, change.after)
        try:
            changed = request_from_data(document, default_id=self.request.id, vocabulary=self.vocabulary)
        except WarrantError:
            return None
        oracle = self.verdicts.get(_ORACLE)
        key = oracle.key(changed) if oracle is not None else changed.fact_set()
        if key not in self.verdicts:
            if self.decided >= MAX_DECISIONS:
                self.cuts.setdefault("decisions", f"more than {MAX_DECISIONS:,} changed requests would have had "
                                                  f"to be decided; the first {MAX_DECISIONS:,} were")
                return None
            self.decided += 1
            if oracle is not None:
                self.verdicts[key] = oracle.decider.conclusions(changed)
            else:
                from warrant.pipeline.grounding import request_atoms
                atoms, _ = request_atoms(changed, self.at, self.switches, self.drafts)
                with self.rb.engine.session(atoms) as session:
                    self.verdicts[key] = (session.ask(Atom(PERMIT, (Var("I"), Var("R")))),
                                          session.ask(Atom(FORBID, (Var("I"), Var("R")))))
        permits, forbids = self.verdicts[key]
        found = (tuple(sorted(r for i, r in permits if i == self.item)),
                 tuple(sorted(r for i, r in forbids if i == self.item)))
        if combine(*found)[0] == Outcome.PERMITTED and open_questions(self.rb, changed):
            # the engine read the judgements still open as "no"; a change counts only if every answer permits
            if oracle is not None:
                settled = oracle.settled(changed)
            else:
                from warrant.pipeline.grounding import settings_view     # the switches as settings per assumption
                settled = {i: o for i, o, _ in decide_outcomes(
                    self.rb, changed, at=self.at, assume=settings_view(self.rb.checked, self.switches),
                    drafts=self.drafts)[1]}
            if settled.get(self.item) != Outcome.PERMITTED:
                return None
        return found

    # ---- grouping ---------------------------------------------------------------------
    def _grouped(self, smallest: list) -> tuple[list, int]:
        """The suggestions with the values of one field that permit alike grouped (`tool: none -> a | b`),
        each value verified; at most LIMIT of them, and how many more there were."""
        out, covered = [], set()
        for cf in smallest:
            if _key(cf.changes) in covered:
                continue
            changes, permits = list(cf.changes), set(cf.permitted_by)
            for index, change in enumerate(changes):
                alternatives = []
                for value in self._other_values(change):
                    trial = changes[:index] + [replace(change, after=value)] + changes[index + 1:]
                    covered.add(_key(trial))
                    verdict = self._decide(trial)
                    if verdict and combine(*verdict)[0] == Outcome.PERMITTED:
                        alternatives.append(value)
                        permits |= set(verdict[0])
                if alternatives:
                    ordered = sorted([change.after, *alternatives], key=self._value_order(change.path))
                    changes[index] = replace(change, after=ordered[0], alternatives=tuple(ordered[1:]))
            out.append(Counterfactual(tuple(changes), tuple(sorted(permits))))
        return out[:LIMIT], max(0, len(out) - LIMIT)

    def _value_order(self, path: str):
        """Sort key: a field's values in the order its enumeration declares them."""
        spec = next(f for f in self.fields.values() if f.path == path)
        rank = {v: i for i, v in enumerate(spec.values)}
        return lambda value: [rank.get(v, len(rank)) for v in value] if isinstance(value, list) else \
            rank.get(value, len(rank))

    def _other_values(self, change: Change) -> list:
        """The other values a suggestion's change could take: the field's allowed symbols (an enumeration),
        or, for a list, the list with another symbol added; nothing for other kinds."""
        spec = next((f for f in self.fields.values() if f.path == change.path), None)
        if spec is None or spec.kind != SYMBOL or not spec.values:
            return []
        if spec.many:
            have = list(self.current.get(spec.path) or [])
            if not isinstance(change.after, list) or change.after[:-1] != [to_json(v) for v in have]:
                return []
            pool = [have_json + [v] for have_json in ([to_json(v) for v in have],) for v in spec.values
                    if v not in have and v != change.after[-1]]
        else:
            pool = [v for v in spec.values if v not in (change.after, change.before)]
        if len(pool) > MAX_VALUES:
            self.cuts.setdefault(("values", spec.path), f"{spec.path} takes {len(pool) + 1} values; "
                                                        f"the first {MAX_VALUES} were tried as alternatives")
        return pool[:MAX_VALUES]

    # ---- meeting one way of proving a permission --------------------------------
    def _meet(self, literals: list, unary: dict):
        """The changes that make the request meet `literals` (`unary`: their conditions on one variable
        alone) and the values they give the variables, or None if only fixed facts could."""
        request = self.request
        env: dict = {}
        changes: list[Change] = []
        current = self.current
        for literal in literals:
            if isinstance(literal, Atom) and literal.predicate == "u_requested":
                arg = literal.args[0]
                if isinstance(arg, Var) and arg.name == "Item_":
                    continue
                value = arg.value if isinstance(arg, Const) else env.get(arg.name)
                if value != self.item and value not in request.items:
                    return None
                continue
            if isinstance(literal, Atom) and literal.predicate in self.fields:
                if not self._meet_fact(literal, env, unary, current, changes):
                    return None
        for literal in literals:
            if isinstance(literal, Atom) and literal.predicate == IN_FORCE:
                if not self._in_force(literal.args[0].value):
                    return None
            elif isinstance(literal, Not) and literal.atom.predicate == IN_FORCE:
                if self._in_force(literal.atom.args[0].value):
                    return None
            elif isinstance(literal, Atom) and literal.predicate == ASSUMED:
                if not self.switches.get(literal.args[0].value):
                    return None
            elif isinstance(literal, Not) and literal.atom.predicate == ASSUMED:
                if self.switches.get(literal.atom.args[0].value):
                    return None
            elif isinstance(literal, Atom) and literal.predicate == DRAFT_ON:
                if literal.args[0].value not in self.drafts:
                    return None
            elif isinstance(literal, Atom) and (literal.predicate.startswith("s_") or literal.predicate in self.whole):
                value = _resolve(literal.args[0], env, self.item)
                members = self.members(literal.predicate)
                if value not in members if value is not None else not members:
                    return None
            elif isinstance(literal, Not) and literal.atom.predicate in self.fields:
                spec = self.fields[literal.atom.predicate]
                if spec.kind == BOOL and current.get(spec.path):
                    if spec.path in self.fixed:
                        return None
                    changes.append(Change(spec.path, True, False))
            elif isinstance(literal, Compare):
                bound = {"Item_": self.item, **env}
                if all(t.name in bound for t in terms(literal) if isinstance(t, Var)) and not holds(literal, bound):
                    return None
        return list({(c.path, repr(c.after)): c for c in changes}.values()), env   # one change a field and value

    def _meet_fact(self, literal: Atom, env: dict, unary, current, changes: list) -> bool:
        spec = self.fields[literal.predicate]
        path = spec.path
        if spec.kind == BOOL:
            if not current.get(path):
                if path in self.fixed:
                    return False
                given = _get_path(self.request.data, path)        # a `false` the request gave is shown as given
                changes.append(Change(path, False if given is False else current.get(path), True))
            return True
        if spec.kind == "records":
            return self._meet_record(literal, spec, env, unary, changes)
        if spec.many:
            arg = literal.args[0]
            have = current.get(path) or []
            if isinstance(arg, Const):
                if arg.value in have:
                    return True
                choice = arg.value
            else:
                fitting = [v for v in have if _fits(arg.name, v, unary, self.members)]
                if fitting:
                    env[arg.name] = fitting[0]
                    return True
                choice = _choose(arg.name, SYMBOL, spec.values, None, unary, self.members)
                if choice is None:
                    return False
                env[arg.name] = choice
            if path in self.fixed:
                return False
            changes.append(Change(path, list(have) or None, list(have) + [to_json(choice)]))
            return True
        arg = literal.args[0]
        have = current.get(path)
        if isinstance(arg, Const):
            wanted = arg.value
        elif arg.name in env:
            wanted = env[arg.name]
        elif have is not None and _fits(arg.name, have, unary, self.members):
            env[arg.name] = have
            return True
        else:
            wanted = _choose(arg.name, spec.kind, spec.values, have, unary, self.members)
            if wanted is None:
                return False
            env[arg.name] = wanted
        if wanted == have:
            return True
        if path in self.fixed:
            return False
        changes.append(Change(path, to_json(have) if have is not None else None, to_json(wanted)))
        return True

    def _meet_record(self, literal: Atom, spec, env: dict, unary, changes: list) -> bool:
        """A record (e.g. a conviction) meeting the conditions: keep one, adjust one, or add one."""
        records = list(_get_path(self.request.data, spec.path) or [])
        rows = [f.args for f in self.request.facts if f.predicate == spec.predicate]
        for row in rows:
            if all(_arg_fits(a, v, env, unary, self.members) for a, v in zip(literal.args, row)):
                for a, v in zip(literal.args, row):
                    if isinstance(a, Var):
                        env.setdefault(a.name, v)
                return True
        wanted = []
        for (column, kind), allowed, arg, have in zip(spec.columns, spec.column_values, literal.args,
                                                      rows[0] if rows else [None] * len(spec.columns)):
            if isinstance(arg, Const):
                value = arg.value
            elif have is not None and _fits(arg.name, have, unary, self.members):
                value = have
            else:
                value = _choose(arg.name, kind, allowed, have, unary, self.members, f"any_{column}")
                if value is None:
                    return False
            if isinstance(arg, Var):
                env[arg.name] = value
            wanted.append((column, value, have))
        if rows and len(records) == len(rows):
            for column, value, have in wanted:
                if value != have:
                    unit = "months" if isinstance(value, Months) else ""
                    changes.append(Change(f"{spec.path}[0].{column}", _record_json(have), _record_json(value), unit))
            return True
        new = {column: _record_json(value) for column, value, _ in wanted}
        changes.append(Change(spec.path, records or None, records + [new]))
        return True

    # ---- lifting prohibitions, breaking negated concepts ------------------------------
    def _lift(self, forbids, changes):
        """Changes that would each break one literal of a prohibition that applies, or of a definition it
        rests on (the rule's body and its definitions' bodies, followed one rule at a time, so a rule with
        many ways of being proved costs no more than its distinct literals)."""
        seen: set = set()
        for rule_id in forbids:
            yield from self._breaks_below(self.rb.program.rules[rule_id].body, changes, seen, 0)

    def _negated_concepts(self, literals, env: dict) -> tuple:
        """The defined concepts a way of proving a permission negates (`not exempt`): while one holds,
        the way does not."""
        program = self.rb.program
        return tuple(l.atom for l in literals
                     if isinstance(l, Not) and l.atom.predicate in program.by_head and l.atom.predicate != IN_FORCE)

    def _break_concepts(self, concepts, changes):
        """Changes that would each break one literal of a negated concept's definitions."""
        seen: set = set()
        for concept in concepts:
            for rule_id in self.rb.program.by_head[concept.predicate]:
                yield from self._breaks_below(self.rb.program.rules[rule_id].body, changes, seen, 0)

    def _breaks_below(self, body, changes, seen: set, depth: int):
        """`_breaks` of one rule body, then of the bodies of the definitions its positive literals use."""
        from warrant.pipeline.unfold import MAX_DEPTH
        for extra in self._breaks(list(body), _unary_constraints(body), changes, {}):
            key = _key(extra)
            if key not in seen:
                seen.add(key)
                yield extra
        program = self.rb.program
        for literal in body:
            if isinstance(literal, Atom) and literal.predicate in program.by_head and literal.predicate != IN_FORCE:
                if depth >= MAX_DEPTH:
                    self.cuts.setdefault("depth", f"definitions nested more than {MAX_DEPTH} deep were not "
                                                  f"searched for a condition to change")
                    continue
                for rule_id in program.by_head[literal.predicate]:
                    if ("below", rule_id) not in seen:
                        seen.add(("below", rule_id))
                        yield from self._breaks_below(program.rules[rule_id].body, changes, seen, depth + 1)

    def _breaks(self, literals, unary, changes, env):
        """For each literal of one way of proving a conclusion, the changes that would make it false:
        a yes/no fact cleared, a negated fact set, a value moved out of the literal's range, a value
        removed from a list, a negated concept met."""
        touched = {c.path for c in changes}
        for literal in literals:
            atom = literal.atom if isinstance(literal, Not) else literal
            if not isinstance(atom, Atom):
                continue
            if atom.predicate in self.fields:
                spec = self.fields[atom.predicate]
                if spec.path in self.fixed or spec.path in touched or spec.kind == "records":
                    continue
                change = self._unmeet(spec, atom, unary) if literal is atom else self._meet_negated(spec, atom)
                if change is not None:
                    yield [change]
            elif isinstance(literal, Not) and atom.predicate in self.rb.program.by_head and atom.predicate != IN_FORCE:
                for base, subst in self.unfolder.unfold([atom], {}):
                    way = [apply(l, subst) for l in base]
                    met = self._meet(way, _unary_constraints(way))
                    if met is not None and met[0] and not touched & {c.path for c in met[0]}:
                        yield met[0]

    def _unmeet(self, spec, atom: Atom, unary) -> Change | None:
        """One change that makes a request-fact literal false (None if the request does not meet it)."""
        path, have = spec.path, self.current.get(spec.path)
        if have is None:
            return None
        if spec.kind == BOOL:
            return Change(path, True, False)
        arg = atom.args[0]

        def meets(value) -> bool:
            return value == arg.value if isinstance(arg, Const) else _fits(arg.name, value, unary, self.members)
        if spec.many:
            keep = [v for v in have if not meets(v)]
            if len(keep) == len(have):
                return None
            return Change(path, [to_json(v) for v in have], [to_json(v) for v in keep] or None)
        if not meets(have):
            return None
        if spec.kind == SYMBOL:
            pool = sorted(v for v in spec.values if not meets(v))
            return Change(path, to_json(have), to_json(pool[0])) if pool else None
        candidates = set()
        for literal in ([] if isinstance(arg, Const) else unary.get(arg.name, [])):
            if isinstance(literal, Compare):
                candidates |= {t for c in terms(literal) if isinstance(c, Const) and kind_of(c.value) == spec.kind
                               for t in around(c.value)}
        outside = [v for v in candidates if not meets(v)]
        if not outside:
            return None
        nearest = min(outside, key=lambda v: (abs(order(v) - order(have)), order(v)))
        unit = "months" if isinstance(nearest, Months) else ""
        return Change(path, _record_json(have), _record_json(nearest), unit)

    def _meet_negated(self, spec, atom: Atom) -> Change | None:
        """One change that makes a negated request-fact literal false: the fact it negates, stated."""
        path, have = spec.path, self.current.get(spec.path)
        if spec.kind == BOOL:
            if have:
                return None
            given = _get_path(self.request.data, path)       # a `false` the request gave is shown as given
            return Change(path, False if given is False else None, True)
        arg = atom.args[0]
        if not isinstance(arg, Const):
            return None
        if spec.many:
            have = list(have or [])
            return None if arg.value in have else \
                Change(path, [to_json(v) for v in have] or None, [to_json(v) for v in have] + [to_json(arg.value)])
        if have == arg.value or spec.kind != SYMBOL:
            return None
        return Change(path, to_json(have) if have is not None else None, to_json(arg.value))


# ---- helpers ------------------------------------------------------------------------


def _gates(way: tuple) -> tuple:
    """(negated, atom) of a way's literals that `_Search._open` tests: in force, assumed, draft, the date."""
    out = []
    for literal in way:
        negated = isinstance(literal, Not)
        atom = literal.atom if negated else literal
        if isinstance(atom, Atom) and atom.predicate in (IN_FORCE, ASSUMED, DRAFT_ON, DATE_FACT):
            out.append((negated, atom))
    return tuple(out)


def _gate_kind(gates: tuple, unary) -> tuple:
    """What `_Search._open` reads of a way: its gates, a date variable by the conditions on it alone (named
    `D`): two ways of one kind are open or closed together on any day and settings."""
    out = []
    for negated, atom in gates:
        arg = atom.args[0] if atom.args else None
        if isinstance(arg, Var):
            arg = tuple(rename_var(l, arg.name, "D") for l in unary.get(arg.name, ()))
        out.append((negated, atom.predicate, arg))
    return tuple(out)


def _key(changes) -> tuple:
    return tuple(sorted((c.path, repr(c.after)) for c in changes))


def _current_values(request, fields: dict) -> dict:
    """Field path -> the request's value (a list for many-valued fields)."""
    out: dict = {}
    for fact in request.facts:
        spec = fields.get("u_" + fact.predicate)
        if spec is None or spec.kind == "records":
            continue
        if spec.kind == BOOL:
            out[spec.path] = True
        elif spec.many:
            out.setdefault(spec.path, []).append(fact.args[0])
        else:
            out[spec.path] = fact.args[0]
    return out


class _Unary(dict):
    """Variable -> conditions on it alone, and the values already tried against them (`fitted`)."""

    LIMIT = 10_000      # values remembered per way, then forgotten: memory stays bounded

    def __init__(self):
        super().__init__()
        self.fitted: dict = {}


def _unary_constraints(literals, whole: frozenset = frozenset()) -> _Unary:
    """Variable -> conditions on it alone: set memberships (of a static set, or of a dated set kept `whole`)
    and comparisons with constants."""
    out = _Unary()
    for literal in literals:
        atom = literal.atom if isinstance(literal, Not) else literal
        if isinstance(atom, Atom) and (atom.predicate.startswith("s_") or atom.predicate in whole) and \
                len(atom.args) == 1 and isinstance(atom.args[0], Var):
            out.setdefault(atom.args[0].name, []).append(literal)
        elif isinstance(literal, Compare):
            variables = [t for t in terms(literal) if isinstance(t, Var)]
            if len(variables) == 1 and all(isinstance(t, (Var, Const)) for t in terms(literal)):
                out.setdefault(variables[0].name, []).append(literal)
    return out


def _fits(var: str, value, unary, members) -> bool:
    """Whether `value` meets every condition `unary` puts on `var` alone (remembered per way and date)."""
    memo = getattr(unary, "fitted", None)
    if memo is None:
        return _fits_now(var, value, unary, members)
    key = (var, value, members.day)
    try:
        found = memo.get(key)
    except TypeError:                   # a value that cannot be a key: decide it afresh
        return _fits_now(var, value, unary, members)
    if found is None:
        if len(memo) >= _Unary.LIMIT:
            memo.clear()
        found = memo[key] = _fits_now(var, value, unary, members)
    return found


class _Members:
    """A set predicate's members: a static set's, or a dated set's on the search's date (no change in the
    search can alter it)."""

    def __init__(self, rulebase, day):
        self.rb, self.day = rulebase, day
        self.on: dict = {}

    def __call__(self, predicate: str) -> frozenset:
        if predicate.startswith("s_"):
            return self.rb.checked.sets[predicate[2:]].members
        found = self.on.get(predicate)
        if found is None:
            day = self.day
            found = self.on[predicate] = frozenset(m for m, first, last in _dated(self.rb.program)[predicate]
                                                   if (first is None or day >= first) and (last is None or day <= last))
        return found


def _dated(program) -> dict:
    """Dated set predicate -> (member, first day, last day) rows (engine/batch/relevance.py)."""
    from warrant.batch.relevance import dated_members
    return program.memo("dated members", lambda: dated_members(program))


def _fits_now(var: str, value, unary, members) -> bool:
    for literal in unary.get(var, []):
        if isinstance(literal, Compare):
            if kind_of(value) != kind_of(next(t.value for t in terms(literal) if isinstance(t, Const))):
                return False
            if not holds(literal, {var: value}):
                return False
        else:
            atom = literal.atom if isinstance(literal, Not) else literal
            inside = value in members(atom.predicate)
            if inside == isinstance(literal, Not):
                return False
    return True


def _arg_fits(arg, value, env, unary, members) -> bool:
    if isinstance(arg, Const):
        return arg.value == value
    if arg.name in env:
        return env[arg.name] == value
    return _fits(arg.name, value, unary, members)


def _choose(var: str, kind: str, allowed, near, unary, members, stand_in: str = "any_value"):
    """The value nearest `near` that meets every condition on `var`, or None."""
    constraints = unary.get(var, [])
    if kind == SYMBOL:
        pools = [set(members(l.predicate)) for l in constraints if isinstance(l, Atom)]
        pool = set.intersection(*pools) if pools else set(allowed) or {stand_in}
        pool |= {t.value for l in constraints if isinstance(l, Compare) for t in terms(l)
                 if isinstance(t, Const) and l.op == "=="}
        if allowed:
            pool &= set(allowed)
        fitting = sorted(v for v in pool if _fits(var, v, unary, members))
        return fitting[0] if fitting else None
    candidates = set()
    for literal in constraints:
        if isinstance(literal, Compare):
            for t in terms(literal):
                if isinstance(t, Const) and kind_of(t.value) == kind:
                    candidates |= around(t.value)
    fitting = [v for v in candidates if _fits(var, v, unary, members)]
    if not fitting:
        return None
    if near is None:
        return min(fitting, key=order)
    return min(fitting, key=lambda v: (abs(order(v) - order(near)), order(v)))


def _resolve(term, env, item):
    if isinstance(term, Const):
        return term.value
    if term.name == "Item_":
        return item
    return env.get(term.name)


def _record_json(value):
    if isinstance(value, Months):
        return value.count
    if isinstance(value, Money):
        return str(value)
    return to_json(value) if value is not None else None


def _get_path(document: dict, path: str):
    """The value at a dotted path of a request document, or None."""
    target = document
    for part in path.split("."):
        if not isinstance(target, dict):
            return None
        target = target.get(part)
    return target


def _set_path(document: dict, path: str, value) -> None:
    """Set a dotted path (with `[i]` list indexes) in a request document; None removes the key."""
    parts = path.replace("]", "").replace("[", ".").split(".")
    target = document
    for part in parts[:-1]:
        if part.isdigit():
            target = target[int(part)]
        else:
            if target.get(part) is None:
                target[part] = {}
            target = target[part]
    last = parts[-1]
    if value is None:
        target.pop(last, None) if isinstance(target, dict) else None
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value

