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

from warrant.pipeline.datalog import DUTY, FORBID, PERMIT, Atom, Compare, Const, Not, Var
from warrant.pipeline.unfold import Unfolder, apply, holds, terms

MAX_CONJUNCTIONS = 20000


@dataclass(frozen=True)
class Conjunction:
    checks: tuple            # (predicate, kind, payload): "is" value, "not" value, "var" (var, unary literals)
    relevant: frozenset      # predicates whose facts matter when this conjunction is live


@dataclass
class Relevance:
    conjunctions: tuple[Conjunction, ...]
    sets: dict                # set predicate -> members, for membership checks on checked fields

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
        out = []
        for rule_id in sorted(program.rules):
            rule = program.rules[rule_id]
            if rule.head.predicate not in (PERMIT, FORBID, DUTY):     # a conditional obligation counts too
                continue
            for base, subst in unfolder.unfold(list(rule.body), {}):
                if any(isinstance(l, Atom) and l.predicate in program.by_head for l in base):
                    return None   # cut by the depth bound: not a complete unfolding
                out.append(_conjunction([apply(l, subst) for l in base], program, closure))
                if len(out) > MAX_CONJUNCTIONS:
                    return None
        sets: dict = {}
        for atom in program.set_facts:
            sets.setdefault(atom.predicate, set()).add(atom.args[0].value)
        return cls(tuple(out), sets)

    def key(self, values: dict) -> tuple[frozenset, frozenset]:
        """(live conjunction numbers, relevant predicates) for a request's checked field values."""
        passed = {c: _check(c, values, self.sets) for c in self.checks}
        live, relevant = [], set()
        for checks, indices, reads in self.patterns:
            if all(passed[c] for c in checks):
                live.extend(indices)
                relevant |= reads
        return frozenset(live), frozenset(relevant)


def _conjunction(literals: list, program, closure) -> Conjunction:
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
        if not isinstance(literal, Not) and all(_unary(literals[i], arg.name) for i in others):
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
    return Conjunction(tuple(checks), frozenset(relevant))


def _unary(literal, var: str) -> bool:
    """A literal that tests `var` alone against constants or static sets."""
    atom = literal.atom if isinstance(literal, Not) else literal
    if isinstance(atom, Atom):
        return atom.predicate.startswith("s_")
    return all(isinstance(t, Const) or (isinstance(t, Var) and t.name == var) for t in terms(literal))


def _check(check, values: dict, sets: dict) -> bool:
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
            members = sets.get(atom.predicate, frozenset())
            if (value in members) == isinstance(literal, Not):
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

