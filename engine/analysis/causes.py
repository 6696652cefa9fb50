"""`warrant diff`'s differences by cause: what a reviewer reads first.

The raw regions of engine/analysis/diff.py describe the requests decided
differently field by field, and a changeover of a few rules splits into
dozens of them: every way of meeting an unchanged condition, every way of
failing every other rule, is a region of its own. This module describes
the same requests by what causes them instead.

An item's outcome changes only when some permission or prohibition starts
or stops applying to it, so the requests decided differently are exactly
the union, over the rules whose applying differs between the two sides, of:

- a permission that stops applying, where the item goes from permitted to
  refused and no other permission applies after; one that starts
  applying, where it goes from refused to permitted and no other
  permission applied before (where another stands in for it, the
  permission's change decided nothing: a prohibition did);
- a prohibition that starts applying, where the item goes from permitted
  to refused; one that stops, where it goes from refused to permitted.

A rule whose applying is the same formula on both sides cannot cause a
change, and is not asked about. Each cause is one solver question per item
(the items it holds for are listed together), with a witness request that
the engine decides under both sides as the difference says. Beside the
outcomes, the legal basis: where the item stays permitted but its deciding
permission (the first that applies, by rule id, as the engine picks it)
changes, because a permission starts or stops applying.

Each difference says, where it can, why its rule changed: the policy that
comes into or goes out of force, the dated set or named value whose value
changes between the two dates, the assumption setting, the rule's text.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import z3

from warrant.analysis.encode import Side, _connect, _negate, concluding_about
from warrant.pipeline.datalog import ASSUMED, FORBID, IN_FORCE, PERMIT, Atom, Compare, Const, Not
from warrant.pipeline.errors import InternalError, WarrantError

OUTCOME_CAUSES = {           # (kind, how) -> (before, after)
    ("permit", "stops applying"): ("permitted", "refused"),
    ("permit", "starts applying"): ("refused", "permitted"),
    ("forbid", "starts applying"): ("permitted", "refused"),
    ("forbid", "stops applying"): ("refused", "permitted"),
}


@dataclass
class Difference:
    """Requests whose decision on some items changes because one rule starts or stops applying or deciding."""

    items: list
    before: str                 # permitted | refused
    after: str
    rule: str
    kind: str                   # permit | forbid
    how: str                    # starts applying | stops applying | becomes the basis | stops being the basis
    because: list               # what changed for the rule, in words
    statement: str | None
    citations: list
    witness: dict
    deciding: tuple = ()        # (before, after): the deciding rules on the witness, as the engine decided it
    basis: bool = False         # the outcome stays; the legal basis changes
    formulas: dict = field(default_factory=dict, repr=False, compare=False)   # item code -> its requests
    also: tuple = ()            # ((rule, statement, citations), ...): rules that change on exactly these requests

    @property
    def rules(self) -> tuple:
        """The rule the difference is named by, then the others that change on exactly its requests."""
        return (self.rule,) + tuple(r for r, _, _ in self.also)

    def to_json(self) -> dict:
        return {"items": self.items, "before": self.before, "after": self.after, "rule": self.rule,
                "kind": "permission" if self.kind == "permit" else "prohibition", "change": self.how,
                "basis_only": self.basis, "because": self.because, "statement": self.statement,
                "citations": self.citations, "witness": self.witness,
                "also": [{"rule": r, "statement": st, "citations": c} for r, st, c in self.also],
                "deciding": {"before": self.deciding[0] if self.deciding else None,
                             "after": self.deciding[1] if self.deciding else None}}


def find_differences(finder, before, after, pin=()) -> list[Difference]:
    """Every cause of a changed outcome or basis, in rule order, each with its items and a confirmed witness.

    `finder`: diff's `_Finder` (the space, both sides, the incremental solver);
    `pin`: formulas every witness meets (the asked date)."""
    space, sides = finder.space, finder.sides
    names = space.names
    rules = _candidate_rules(before.rulebase.program, after.rulebase.program)
    found: dict = {}
    order: list = []
    applies_of = _Applies()
    for item in space.item_codes():
        permitted = (finder.permitted(0, item), finder.permitted(1, item))
        same_outcome = permitted[0].eq(permitted[1])
        for rule_id, kind in rules:
            code = names.encode(rule_id)
            applies = tuple(applies_of(side, FORBID if kind == "forbid" else PERMIT, item, code) for side in sides)
            if _same(*applies):
                continue
            for how, formula in _questions(kind, applies, permitted, same_outcome, sides, rules, item, names,
                                           rule_id, applies_of):
                key = (rule_id, how)
                if key in found and found[key][0][-1] == item:
                    continue
                if finder._check(*pin, formula) is None:
                    continue
                if key not in found:
                    found[key] = ([], {})
                    order.append(key)
                found[key][0].append(item)
                found[key][1][item] = formula
    differences = []
    basis = ("stops being the basis", "becomes the basis")
    kinds = dict(rules)
    for group in _alike(finder, pin, sorted(order, key=lambda key: key[1] in basis), found, kinds):
        (rule_id, how), others = group[0], group[1:]           # outcomes first, then bases
        items, formulas = found[(rule_id, how)]
        difference = _difference(finder, before, after, rule_id, kinds[rule_id], how, items, pin, applies_of)
        difference.formulas = formulas
        for other, _ in others:
            rulebase = (after if other in after.rulebase.checked.rules else before).rulebase
            source = rulebase.checked.rules.get(other)
            difference.also += ((other, source.statement if source else None,
                                 [_cite(c) for c in source.cites] if source else []),)
            difference.because += [r for r in because(before, after, other, how) if r not in difference.because]
        differences.append(difference)
    return differences


def _alike(finder, pin, keys: list, found: dict, kinds: dict) -> list[list]:
    """The causes, in order, grouped where they say the same thing exactly: rules of one kind that start or
    stop applying (or deciding) for the same items on exactly the same requests (one solver question per
    item and pair of the same items and change, each `Xor` unsatisfiable on the asked days). Two routes to
    release with the same conditions, say, are one difference naming both, not two with one witness."""
    groups: list = []
    for key in keys:
        items, formulas = found[key]
        for group in groups:
            first = group[0]
            if first[1] == key[1] and kinds[first[0]] == kinds[key[0]] and found[first][0] == items and \
                    all(finder._check(*pin, z3.Xor(found[first][1][i], formulas[i])) is None for i in items):
                group.append(key)
                break
        else:
            groups.append([key])
    return groups


def _candidate_rules(*programs) -> list[tuple[str, str]]:
    """(rule id, kind) of every permission and prohibition of either side, by id (the engine's order)."""
    kinds = {}
    for program in programs:
        for rule_id, rule in program.rules.items():
            if rule.kind in ("permit", "forbid"):
                kinds.setdefault(rule_id, rule.kind)
    return sorted(kinds.items())


class _Applies:
    """Whether a rule (by its id's code) concludes `predicate(item, rule)` on a side: True, False or a
    formula; each side's conclusions grouped by rule once and each answer formed once (a rule's basis
    question reads every earlier permission's, for every item)."""

    def __init__(self):
        self.groups: dict = {}
        self.found: dict = {}

    def __call__(self, side: Side, predicate: str, item: int, code: int):
        key = (id(side), predicate, item, code)
        if key not in self.found:
            groups = self.groups.get((id(side), predicate))
            if groups is None:
                groups = self.groups[(id(side), predicate)] = {}
                for g, v in side.tuples(predicate):
                    if len(v) >= 2:
                        groups.setdefault(v[1], []).append((g, v))
            self.found[key] = concluding_about(groups.get(code, []), item)
        return self.found[key]

    def absent(self, side: Side, item: int, code: int, ctx):
        """"The permission does not apply to the item on this side", formed once (every other permission's
        is a condition of each permission's cause, for every item)."""
        key = (id(side), "absent", item, code)
        found = self.found.get(key)
        if found is None:
            found = self.found[key] = _negate(_bool(self(side, PERMIT, item, code), ctx))
        return found


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    return a.eq(b)


def _bool(value, ctx):
    return z3.BoolVal(value, ctx) if isinstance(value, bool) else value


def _questions(kind, applies, permitted, same_outcome, sides, rules, item, names, rule_id, applies_of):
    """(how, formula) for each change this rule may cause to this item."""
    ctx = permitted[0].ctx
    was, now = (_bool(a, ctx) for a in applies)
    if not same_outcome:
        if kind == "permit":
            # A permission's change causes the item's only where no other permission stands in for it on
            # that side: one that stops applying while another applies after did not refuse the item (a
            # prohibition did, and is the difference named by it). Every changed request stays covered: a
            # refusal with no prohibition is one with no permission, each one that applied having stopped.
            alone_before, alone_after = ([applies_of.absent(side, item, names.encode(r), ctx)
                                          for r, k in rules if k == "permit" and r != rule_id] for side in sides)
            yield "stops applying", _connect(z3.Z3_mk_and, [was, _negate(now), permitted[0], _negate(permitted[1])]
                                             + alone_after)
            yield "starts applying", _connect(z3.Z3_mk_and, [now, _negate(was), _negate(permitted[0]), permitted[1]]
                                              + alone_before)
        else:
            yield "starts applying", _connect(z3.Z3_mk_and, [now, _negate(was), permitted[0], _negate(permitted[1])])
            yield "stops applying", _connect(z3.Z3_mk_and, [was, _negate(now), _negate(permitted[0]), permitted[1]])
    if kind == "permit":
        earlier = [(r, k) for r, k in rules if k == "permit" and r < rule_id]
        decides = []
        for side, applies_here in zip(sides, (was, now)):
            before_it = [_bool(applies_of(side, PERMIT, item, names.encode(r)), ctx) for r, _ in earlier]
            blocked = [b for b in before_it if not z3.is_false(b)]
            decides.append(_connect(z3.Z3_mk_and, [applies_here] + [_negate(b) for b in blocked])
                           if blocked else applies_here)
        both = [permitted[0], permitted[1]]
        yield "stops being the basis", _connect(z3.Z3_mk_and, both + [decides[0], _negate(decides[1])])
        yield "becomes the basis", _connect(z3.Z3_mk_and, both + [decides[1], _negate(decides[0])])


def _difference(finder, before, after, rule_id, kind, how, items, pin, applies_of) -> Difference:
    """The difference with its witness (first item), confirmed by the engine under both sides."""
    from warrant.analysis.solve import canonical_model
    from warrant.pipeline.decide import decide_outcomes
    from warrant.pipeline.request import request_from_data
    space = finder.space
    names = [space.names.decode(i) for i in items]
    basis = how in ("stops being the basis", "becomes the basis")
    start, end = ("permitted", "permitted") if basis else OUTCOME_CAUSES[(kind, how)]
    item = items[0]
    code = space.names.encode(rule_id)
    ctx = space.ctx
    permitted = (finder.permitted(0, item), finder.permitted(1, item))
    was, now = (_bool(applies_of(side, FORBID if kind == "forbid" else PERMIT, item, code), ctx)
                for side in finder.sides)
    formulas = [f for f in _questions(kind, (was, now), permitted, False, finder.sides,
                                      _candidate_rules(before.rulebase.program, after.rulebase.program), item,
                                      space.names, rule_id, applies_of) if f[0] == how]
    model = canonical_model(space, finder.solver, [*pin, formulas[0][1]], finder._tally)
    if model is None:
        raise InternalError(f"a difference without a request in it ({rule_id} {how})")
    document = space.document(model)
    vocabulary = before.rulebase.program.vocabulary

    def decided(document) -> list:
        request = request_from_data({"id": "witness", **document}, vocabulary=vocabulary)
        found = []
        for scenario in (before, after):
            _, items = decide_outcomes(scenario.rulebase, request, at=scenario.at, assume=dict(scenario.assume),
                                       drafts=scenario.drafts)
            found.append(next((o, r) for i, o, r in items if i == names[0]))
        return found

    sides = decided(document)
    for (outcome, _), expected, scenario in zip(sides, (start, end), (before, after)):
        if outcome != expected:
            raise InternalError(f"the analysis and the engine disagree on {document} ({scenario.label}: "
                                f"{outcome}, not {expected})")
    # A judgement the space answers "no" may be one the difference does not read: left unanswered, the
    # witness reads more plainly. Kept only if the engine then decides it exactly as before, on both sides.
    plainer = _without_no_judgements(document, vocabulary)
    if plainer != document and _decides_alike(decided, plainer, sides):
        document = plainer
    for name in sorted(document.get("assume") or {}):       # likewise each assumption it sets
        fewer = {**document, "assume": {k: v for k, v in document["assume"].items() if k != name}}
        if not fewer["assume"]:
            del fewer["assume"]
        if decided(fewer) == sides:
            document = fewer
    deciding = [rule for _, rule in sides]
    if basis and (deciding[0] == deciding[1] or
                  (how == "stops being the basis" and deciding[0] != rule_id) or
                  (how == "becomes the basis" and deciding[1] != rule_id)):
        raise InternalError(f"the analysis and the engine disagree on the basis of {document}: {deciding}")
    rulebase = (after if rule_id in after.rulebase.checked.rules else before).rulebase
    source = rulebase.checked.rules.get(rule_id)
    reasons = because(before, after, rule_id, _effect(how)) + \
        _settings_needed(finder, pin, formulas[0][1], document)
    return Difference(names, start, end, rule_id, kind, how, reasons,
                      source.statement if source else None,
                      [_cite(c) for c in source.cites] if source else [], document, tuple(deciding), basis)


def _settings_needed(finder, pin, formula, document) -> list[str]:
    """When no request leaving its assumptions and drafts at their defaults is in the difference, say so,
    with the settings its witness makes (one solver question)."""
    space = finder.space
    defaults = [z3.Not(space.assume_set[n]) for n in space.assumptions] + \
        [z3.Not(space.draft_named[n]) for n in space.drafts]
    if not defaults or finder._check(*pin, formula, *defaults) is not None:
        return []
    made = [f"{name}={'on' if value is True else 'off' if value is False else value}"
            for name, value in sorted((document.get("assume") or {}).items())]
    made += [f"draft {name}" for name in document.get("drafts") or ()]
    return ["only for requests that set an assumption or draft away from its default"
            + (f" (the witness sets {', '.join(made)})" if made else "")]


def _decides_alike(decided, document: dict, sides: list) -> bool:
    """Whether the engine decides `document` as `sides` say; False when it leaves more judgements open than a
    request may (R009): the witness then answers them."""
    try:
        return decided(document) == sides
    except WarrantError:
        return False


def _without_no_judgements(document: dict, vocabulary) -> dict:
    """The document without the judgements it answers "no" (nested fields by their dotted paths)."""
    import copy
    plainer = copy.deepcopy(document)
    for spec in getattr(vocabulary, "judgements", ()):
        *parents, last = spec.path.split(".")
        node = plainer
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(last) is False:
            del node[last]
    for key in [k for k, v in plainer.items() if v == {}]:
        del plainer[key]
    return plainer


def _cite(citation) -> str:
    return f"{citation.source} {citation.locator}" if citation.locator else citation.source


def because(before, after, rule_id: str, how: str | None = None) -> list[str]:
    """What changes for this rule between the two sides, in words: its text, its policies in force, the
    dated sets and values it reads, the assumptions it rests on. With `how` (starts or stops applying), a
    dated set's change is told only in the direction that can have that effect: members joining a set the
    rule reads as it is can only make it apply more, members leaving only less (the other way round where
    it reads the set under a negation)."""
    said: list[str] = []
    old = before.rulebase.checked.rules.get(rule_id)
    new = after.rulebase.checked.rules.get(rule_id)
    if old is None or new is None:
        said.append(f"rule {rule_id} is {'new' if old is None else 'gone'} in {after.label}")
    elif before.rulebase is not after.rulebase and old != new:          # spans aside: what it says
        said += _reworded(rule_id, old, new)
    rulebase = (after if new is not None else before).rulebase
    policies, decls, switches, tests = _reads(rulebase, rule_id)
    if before.at and after.at and before.at != after.at:
        for name in sorted(policies):
            policy = rulebase.checked.policies.get(name)
            if policy is None:
                continue
            was, now = policy.covers(before.at), policy.covers(after.at)
            if was != now:
                period = policy.period
                from warrant.pipeline.syntax import effect_text
                said.append(f"policy {name} is {'in force' if was else 'not in force'} on {before.at} and "
                            f"{'in force' if now else 'not in force'} on {after.at} "
                            f"({effect_text(period.start, period.end) if period else 'always'})")
        for decl, readings in decls:
            joining = leaving = True
            if how in ("starts applying", "stops applying"):
                more = {"starts applying": True, "stops applying": False}[how]
                joining = any(r == more for r in readings)         # upright and starting, or negated and stopping
                leaving = any(r != more for r in readings)
            said += _dated_change(rulebase, decl, before.at, after.at, joining, leaving)
        first, last = sorted((before.at, after.at))
        for day, where in sorted(tests):
            if first < day <= last:
                said.append(f"{'it' if where == rule_id else where} compares the date with {day.isoformat()}, "
                            f"which falls between {before.at} and {after.at}")
    if before.rulebase is not after.rulebase:
        said += _redeclared(before.rulebase, after.rulebase, policies, [d for d, _ in decls])
    from warrant.pipeline.grounding import setting_text
    from warrant.pipeline.syntax import split_switch
    read = set(rulebase.rule_assumptions(rule_id)) | {split_switch(s)[0] for s in switches}
    was, now = dict(before.assume), dict(after.assume)
    for name in sorted(set(was) | set(now)):
        if was.get(name) != now.get(name) and split_switch(name)[0] in read:
            said.append(f"assumption {name} is {setting_text(was[name]) if name in was else 'as requested'} "
                        f"before and {setting_text(now[name]) if name in now else 'as requested'} after")
    for name in sorted(set(after.drafts) - set(before.drafts)):
        if name in policies:
            said.append(f"draft {name} is on after")
    return said


def _effect(how: str) -> str | None:
    """The change in the rule's own applying that `because` explains: a basis that changes is told whole."""
    return how if how in ("starts applying", "stops applying") else None


def _reworded(rule_id: str, old, new) -> list[str]:
    """How a rule's conditions changed between two rulebases, in the rule language's words."""
    from warrant.pipeline.wording import condition_text
    was = [condition_text(c) for c in old.body]
    now = [condition_text(c) for c in new.body]
    gone = [c for c in was if c not in now]
    added = [c for c in now if c not in was]
    said = [f"rule {rule_id} no longer has the condition `{c}`" for c in gone]
    said += [f"rule {rule_id} now has the condition `{c}`" for c in added]
    if not said and was != now:
        said.append(f"rule {rule_id} has its conditions in another order")
    if not said:
        said.append(f"rule {rule_id} says something different (its conditions are the same)")
    return said


def _reads(rulebase, rule_id: str) -> tuple[set, list, set, set]:
    """The policies (its own, and those `in force(...)` names), the dated sets and values (each with how it
    is read: True as it is, False under a negation, both possible), the assumption switches and the
    (day, rule) of each comparison with a day that a rule reads, directly or through the definitions it
    uses."""
    program, checked = rulebase.program, rulebase.checked
    dated = {f"v_{d.name}": d for d in list(checked.sets.values()) + list(checked.values.values())
             if getattr(d, "periods", ()) and (not hasattr(d, "dated") or d.dated)}
    policies, decls, switches, seen, tests = set(), {}, set(), set(), set()
    todo = [(rule_id, True)]          # (rule, read as it is: under an even number of negations)
    while todo:
        rule, upright = todo.pop()
        current = program.rules.get(rule)
        if current is None or (current.id, upright) in seen:
            continue
        seen.add((current.id, upright))
        if current.policy:
            policies.add(current.policy)
        for literal in current.body:
            atom = literal.atom if isinstance(literal, Not) else literal
            here = upright != isinstance(literal, Not)
            if not isinstance(atom, (Atom, Compare)):
                continue
            if isinstance(literal, Compare):
                for term in (literal.left, literal.right):
                    if isinstance(term, Const) and isinstance(term.value, _dt.date) and current.kind != "value" \
                            and not current.id.endswith("__in_force"):
                        tests.add((term.value, current.id))
                continue
            if atom.predicate == IN_FORCE and atom.args and hasattr(atom.args[0], "value"):
                policies.add(atom.args[0].value)
            elif atom.predicate == ASSUMED and atom.args and hasattr(atom.args[0], "value"):
                switches.add(atom.args[0].value)
            elif atom.predicate in dated:
                decls.setdefault(atom.predicate, (dated[atom.predicate], set()))[1].add(here)
            else:
                todo += [(r, here) for r in program.by_head.get(atom.predicate, ()) if (r, here) not in seen]
    return policies, [decls[k] for k in sorted(decls)], switches, tests


def _redeclared(old, new, policies, decls) -> list[str]:
    """Between two rulebases: the policy periods and the dated sets and values the rule reads that are
    declared differently (spans aside)."""
    from warrant.pipeline.syntax import effect_text, in_effect, period_value_text
    said = []
    for name in sorted(policies):
        was, now = old.checked.policies.get(name), new.checked.policies.get(name)
        if was is not None and now is not None and was.period != now.period:
            shown = lambda p: effect_text(p.start, p.end) if p else "always"       # noqa: E731
            said.append(f"policy {name} is in force {shown(was.period)} before and {shown(now.period)} after")
    for decl in decls:
        table = "sets" if hasattr(decl, "members") else "values"
        was, now = getattr(old.checked, table).get(decl.name), getattr(new.checked, table).get(decl.name)
        if was is None or now is None or was.periods == now.periods:
            continue
        shown = lambda d: "; ".join(f"{effect_text(a, b)}: {period_value_text(d, p)}"      # noqa: E731
                                    for p, a, b in in_effect(d.periods))
        said.append(f"{'set' if table == 'sets' else 'value'} {decl.name} is {shown(was)} before, "
                    f"and {shown(now)} after")
    return said


def _dated_change(rulebase, decl, first, second, joining: bool = True, leaving: bool = True) -> list[str]:
    """A dated set's members that join (if `joining`) or leave (if `leaving`), or a value that changes,
    between two days (with the period's citations)."""
    from warrant.pipeline.syntax import covers, in_effect, period_value_text
    def value_on(day):
        for period, start, end in in_effect(decl.periods):
            if covers(start, end, day):
                return period, start, end
        return None, None, None
    (old, _, _), (new, start, end) = value_on(first), value_on(second)
    if old is new:
        return []
    cites = ""
    if new is not None and new.cites:
        cites = " (cites " + ", ".join(_cite(c) for c in new.cites) + ")"
    if isinstance(getattr(old, "value", None), tuple) or isinstance(getattr(new, "value", None), tuple):
        was = set(old.value) if old is not None else set()
        now = set(new.value) if new is not None else set()
        parts = []
        if now - was and joining:
            parts.append("gains " + ", ".join(sorted(now - was)))
        if was - now and leaving:
            parts.append("loses " + ", ".join(sorted(was - now)))
        if not parts:
            return []
        return [f"set {decl.name} {' and '.join(parts)} between {first} and {second}{cites}"]
    shown = lambda p: period_value_text(decl, p) if p is not None else "no value"      # noqa: E731
    return [f"value {decl.name} is {shown(old)} on {first} and {shown(new)} on {second}{cites}"]


def wording_changes(before, after, causes=frozenset()) -> list[str]:
    """Between two rulebases: each rule whose statement, citations or obligations changed, each rule not
    among the `causes` (the rules some difference names) whose conditions changed without changing any
    decision, and each rule added or removed without changing any, in words, by rule id."""
    if before.rulebase is after.rulebase:
        return []
    old, new = before.rulebase.checked.rules, after.rulebase.checked.rules
    said = []
    for rule_id in sorted((set(old) ^ set(new)) - set(causes)):
        said.append(f"rule {rule_id} is {'new' if rule_id in new else 'gone'} (no decision changes with it)")
    for rule_id in sorted(set(old) & set(new)):
        a, b = old[rule_id], new[rule_id]
        parts = [name for name, x, y in (("statement", a.statement, b.statement), ("citations", a.cites, b.cites),
                                          ("obligations", a.obligations, b.obligations)) if x != y]
        if parts:
            said.append(f"rule {rule_id}: its {', '.join(parts)} changed")
        if rule_id not in causes and a.body != b.body:
            said += [f"{line} (no decision changes with it)" for line in _reworded(rule_id, a, b)]
    return said
