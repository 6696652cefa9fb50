"""Relevance: which of a request's facts can matter to its decision at all.

Every permission, prohibition and conditional obligation is unfolded (engine/pipeline/unfold.py) into the
conjunctions that can prove it. The request's required single-valued fields
(the date and every other declared `required` one-valued field) decide at
once which conjunctions are *live*: a conjunction that needs `body(a)` is
dead for a request whose `body` is `b`, one whose policy period excludes the
date is dead on that
date. Only the predicates that live conjunctions mention (and everything a
negated definition in them depends on) can change the outcome, so the
batch signature (engine/batch/batch.py) leaves every other fact out.

This is exact, not a heuristic: a proof of a permission or prohibition
instantiates one of its conjunctions; whether a dead conjunction could hold
depends only on the fields that killed it, which are part of the key (as
the live set); a live one holds or not by its own literals, whose facts are
all in the key. If the program is recursive or too large to unfold,
`Relevance.of` returns None and the batch falls back to whole-request keys.
"""
from __future__ import annotations

from dataclasses import dataclass

from warrant.pipeline.datalog import DUTY, FORBID, PERMIT, Atom, Compare, Const, Not, Var, fact_predicate
from warrant.pipeline.unfold import Unfolder, apply, holds, rename_var, terms

MAX_CONJUNCTIONS = 20000
DATE_FACT = fact_predicate("request_date")
ITEMS_FACT = fact_predicate("requested")


@dataclass(frozen=True)
class Conjunction:
    checks: tuple            # (predicate, kind, payload): "is" value, "not" value, "var" (var, unary literals)
    relevant: frozenset      # predicates whose facts matter when this conjunction is live
    item: tuple = ()         # the literals that test the decided item alone, with the item as `X`; or
                             # ("is", value) when the unfolding fixed the item


@dataclass
class Relevance:
    conjunctions: tuple[Conjunction, ...]
    sets: dict                # set predicate -> members, for membership checks on checked fields
    dated: dict = None        # dated set or value predicate -> ((member, first day, last day), ...)

    def __post_init__(self):
        # Many conjunctions share their checks (a route unfolded through each period of a dated set checks
        # the same date and value as another route's): each distinct check is tested once per key, and each
        # distinct tuple of checks once, for all the conjunctions that have it.
        patterns: dict = {}
        for index, conj in enumerate(self.conjunctions):
            indices, relevant = patterns.get(conj.checks, ((), frozenset()))
            patterns[conj.checks] = (indices + (index,), relevant | conj.relevant)
        self.patterns = tuple((checks, indices, relevant) for checks, (indices, relevant) in patterns.items())
        self.checks = tuple(dict.fromkeys(c for checks in patterns for c in checks))
        self.admitting: dict = {}           # item -> the conjunctions whose item tests it passes

    @classmethod
    def of(cls, program) -> "Relevance | None":
        """The program's relevance (built once per program: workers forked after it inherit it)."""
        return program.memo("relevance", lambda: cls._of(program))

    @classmethod
    def _of(cls, program) -> "Relevance | None":
        unfolder = Unfolder(program)
        closure = _dependencies(program)
        if closure is None:
            return None
        dated = dated_members(program)
        out = []
        for rule_id in sorted(program.rules):
            rule = program.rules[rule_id]
            if rule.head.predicate not in (PERMIT, FORBID, DUTY):     # a conditional obligation counts too
                continue
            for base, subst in unfolder.unfold(list(rule.body), {}):
                if any(isinstance(l, Atom) and l.predicate in program.by_head for l in base):
                    return None   # cut by the depth bound: not a complete unfolding
                out.append(_conjunction([apply(l, subst) for l in base], program, closure, dated,
                                        rule.head.predicate != DUTY))
                if len(out) > MAX_CONJUNCTIONS:
                    return None
        sets: dict = {}
        for atom in program.set_facts:
            sets.setdefault(atom.predicate, set()).add(atom.args[0].value)
        return cls(tuple(out), sets, dated)

    def for_item(self, live: frozenset, item) -> tuple[frozenset, frozenset]:
        """(the live conjunctions that can conclude about this item, the predicates they read): an item's
        outcome depends on those alone, when items are decided independently (engine/batch/classes.py)."""
        admitted = self.admitting.get(item)
        if admitted is None:
            admitted = self.admitting[item] = frozenset(
                i for i, conj in enumerate(self.conjunctions) if _admits(conj.item, item, self.sets))
        mine = live & admitted
        relevant = set()
        for index in mine:
            relevant |= self.conjunctions[index].relevant
        return mine, frozenset(relevant)

    def key(self, values: dict) -> tuple[frozenset, frozenset]:
        """(live conjunction numbers, relevant predicates) for a request's checked field values."""
        passed = {c: _check(c, values, self.sets, self.dated or {}) for c in self.checks}
        live, relevant = [], set()
        for checks, indices, reads in self.patterns:
            if all(passed[c] for c in checks):
                live.extend(indices)
                relevant |= reads
        return frozenset(live), frozenset(relevant)


def dated_members(program) -> dict:
    """Each dated set's (or named value's) members with the days each holds: {v_S: ((member, first, last),
    ...)}, from the compiled member rules (`v_S(M) <= request_date(Date) & Date >= first & Date <= last`).
    A predicate with a rule of any other form is left out (its literals stay relevant facts)."""
    found: dict = {}
    odd: set = set()
    for rule in program.rules.values():
        if rule.kind != "value":
            continue
        predicate = rule.head.predicate
        head = rule.head.args[0] if len(rule.head.args) == 1 else None
        first = last = None
        shape = isinstance(head, Const) and rule.body and isinstance(rule.body[0], Atom) and \
            rule.body[0].predicate == DATE_FACT and len(rule.body[0].args) == 1
        for literal in rule.body[1:] if shape else ():
            if not (isinstance(literal, Compare) and isinstance(literal.left, Var) and
                    literal.left == rule.body[0].args[0] and isinstance(literal.right, Const) and
                    literal.op in (">=", "<=")):
                shape = False
            elif literal.op == ">=":
                first = literal.right.value
            else:
                last = literal.right.value
        if not shape:
            odd.add(predicate)
            continue
        found.setdefault(predicate, []).append((head.value, first, last))
    return {p: tuple(v) for p, v in found.items() if p not in odd}


def _item_tests(literals: list) -> tuple:
    """The tests a conjunction makes of its decided item alone (`requested(Item)` names the item): the
    static-set memberships and comparisons with constants that mention no other variable, with the item
    renamed `X`; ("is", value) when the item is a constant; () when it tests nothing of it."""
    requested = [l for l in literals if isinstance(l, Atom) and l.predicate == ITEMS_FACT and len(l.args) == 1]
    if len(requested) != 1:
        return ()
    item = requested[0].args[0]
    if isinstance(item, Const):
        return ("is", item.value)
    tests = []
    for literal in literals:
        names = {t.name for t in terms(literal) if isinstance(t, Var)}
        if names != {item.name} or literal is requested[0]:
            continue
        atom = literal.atom if isinstance(literal, Not) else literal
        if isinstance(atom, Compare) or (isinstance(atom, Atom) and atom.predicate.startswith("s_")):
            tests.append(rename_var(literal, item.name, "X"))
    return ("tests", tuple(tests)) if tests else ()


def _admits(tests: tuple, item, sets: dict) -> bool:
    """Whether an item passes a conjunction's item tests (`_item_tests`)."""
    if not tests:
        return True
    if tests[0] == "is":
        return tests[1] == item and type(tests[1]) is type(item)
    for literal in tests[1]:
        if isinstance(literal, Compare):
            if not holds(literal, {"X": item}):
                return False
            continue
        atom = literal.atom if isinstance(literal, Not) else literal
        if (item in sets.get(atom.predicate, frozenset())) == isinstance(literal, Not):
            return False
    return True


def _conjunction(literals: list, program, closure, dated=None, about_item: bool = True) -> Conjunction:
    checks, relevant, consumed = [], set(), set()
    uses: dict = {}
    for index, literal in enumerate(literals):
        for term in terms(literal):
            if isinstance(term, Var):
                uses.setdefault(term.name, []).append(index)
    for index, literal in enumerate(literals):           # checked fields first
        atom = literal.atom if isinstance(literal, Not) else literal
        if not (isinstance(atom, Atom) and atom.predicate in program.vocabulary.checked):
            continue
        arg = atom.args[0]
        if isinstance(arg, Const):
            checks.append((atom.predicate, "not" if isinstance(literal, Not) else "is", arg.value))
            consumed.add(index)
            continue
        others = [i for i in uses[arg.name] if i != index]
        if not isinstance(literal, Not) and all(_unary(literals[i], arg.name, dated) for i in others):
            # the variable renamed to one name, so equal checks of different conjunctions are equal
            same = {arg: Var("X")}
            checks.append((atom.predicate, "var", ("X", tuple(apply(literals[i], same) for i in others))))
            consumed |= {index, *others}
    for index, literal in enumerate(literals):           # everything else is relevant
        if index in consumed:
            continue
        atom = literal.atom if isinstance(literal, Not) else literal
        if not isinstance(atom, Atom) or atom.predicate.startswith("s_"):
            continue          # comparisons bind nothing new; sets are static
        relevant.add(atom.predicate)
        if isinstance(literal, Not) and atom.predicate in program.by_head:
            relevant |= closure[atom.predicate]
    return Conjunction(tuple(checks), frozenset(relevant), _item_tests(literals) if about_item else ())


def _unary(literal, var: str, dated=None) -> bool:
    """A literal that tests `var` alone against constants, static sets, or a dated set on the request's date."""
    atom = literal.atom if isinstance(literal, Not) else literal
    if isinstance(atom, Atom):
        return atom.predicate.startswith("s_") or (atom.predicate in (dated or {}) and len(atom.args) == 1)
    return all(isinstance(t, Const) or (isinstance(t, Var) and t.name == var) for t in terms(literal))


def _check(check, values: dict, sets: dict, dated: dict) -> bool:
    predicate, kind, payload = check
    value = values.get(predicate)
    if kind == "is":
        return value == payload
    if kind == "not":
        return value != payload
    var, literals = payload
    for literal in literals:
        if isinstance(literal, Compare):
            if not holds(literal, {var: value}):
                return False
        else:
            atom = literal.atom if isinstance(literal, Not) else literal
            if atom.predicate in dated:         # a dated set: its members on the request's date
                day = values.get(DATE_FACT)
                held = day is not None and any(m == value and type(m) is type(value) and
                                               (first is None or day >= first) and (last is None or day <= last)
                                               for m, first, last in dated[atom.predicate])
            else:
                held = value in sets.get(atom.predicate, frozenset())
            if held == isinstance(literal, Not):
                return False
    return True


def _dependencies(program) -> dict | None:
    """Derived predicate -> every predicate it depends on; None if recursive."""
    direct: dict = {}
    for rule in program.rules.values():
        deps = direct.setdefault(rule.head.predicate, set())
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Not) else literal
            if isinstance(atom, Atom):
                deps.add(atom.predicate)
    closure: dict = {}

    def visit(predicate, path):
        if predicate in closure:
            return closure[predicate]
        if predicate in path:
            raise RecursionError
        out = set()
        for dep in direct.get(predicate, ()):
            out.add(dep)
            if dep in direct:
                out |= visit(dep, path | {predicate})
        closure[predicate] = out
        return out
    try:
        for predicate in direct:
            visit(predicate, frozenset())
    except RecursionError:
        return None
    return closure

