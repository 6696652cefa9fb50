"""Unfolding: every way of proving a goal, as conjunctions of request-level conditions.

A derived atom is replaced by the body of each rule that concludes it
(variables renamed apart, heads unified), recursively, until only request
facts, set memberships, comparisons, assumption and draft switches, and
negations remain. Used by invariant checking (which builds requests that
satisfy a permission) and by counterfactuals (which change a request until
it does). Depth is bounded, so recursive definitions are cut, not looped.
"""
from __future__ import annotations

import datetime as _dt
import itertools

from warrant.pipeline.datalog import Atom, Compare, Const, Not, Var
from warrant.pipeline.values import Money, Months, kind_of, order_key

MAX_DEPTH = 16           # definitions built on definitions followed along one chain, at most


class Unfolder:
    def __init__(self, program, opaque: frozenset = frozenset(), single: frozenset | None = None):
        """`opaque`: predicates kept as they are rather than unfolded (what would-have-to-change holds
        fixed, such as the in-force facts of a fixed date). `single`, given: request predicates of one
        value at most (the date, a required one-valued field); a way that reads one twice reads the same
        value, and a way whose comparisons of one value with constants cannot all hold is not a way
        (`feasible`): a law whose conditions each have several definitions, each reading the date
        against its own periods, has far fewer ways than their product."""
        self.program = program
        self.opaque = opaque
        self.single = single
        self.fresh = itertools.count()
        self.cut = False         # set when MAX_DEPTH cut a branch: the ways found are not all the ways

    def rename(self, literal, suffix: str):
        def term(t):
            return Var(f"{t.name}{suffix}") if isinstance(t, Var) else t
        if isinstance(literal, Not):
            return Not(self.rename(literal.atom, suffix))
        if isinstance(literal, Compare):
            return Compare(term(literal.left), literal.op, term(literal.right))
        return Atom(literal.predicate, tuple(term(a) for a in literal.args))

    def permission(self, rule_id: str, item_var: str = "Item_", extra: tuple = ()):
        """Every way of proving permit rule `rule_id` (and `extra` goals) for the item named `item_var`."""
        rule = self.program.rules[rule_id]
        suffix = f"_{next(self.fresh)}"
        body = [self.rename(l, suffix) for l in rule.body]
        start = {Var(rule.head.args[0].name + suffix): Var(item_var)}
        return self.unfold(body + list(extra), start)

    def unfold(self, goals: list, subst: dict, depth: int = 0):
        """Yield (base literals, substitution) for each way of proving `goals`.

        Depth is counted along each chain of definitions (a definition's
        conditions are one level deeper than the goal they replace), never
        along the conjunction, so a permission with many conditions is
        unfolded as deeply as one with a single condition.
        """
        yield from self._unfold([(g, depth) for g in goals], subst, ())

    def _unfold(self, goals: list, subst: dict, taken: tuple):
        if not goals:
            yield [], subst
            return
        (first, depth), rest = goals[0], goals[1:]
        if isinstance(first, Atom) and first.predicate in self.program.by_head and first.predicate not in self.opaque:
            if depth >= MAX_DEPTH:
                self.cut = True      # too deep: this branch is given up, and the search says so
                return
            for rule_id in self.program.by_head[first.predicate]:
                rule = self.program.rules[rule_id]
                suffix = f"_{next(self.fresh)}"
                head = self.rename(rule.head, suffix)
                unified = unify(first.args, head.args, subst)
                if unified is None:
                    continue
                body = [(self.rename(l, suffix), depth + 1) for l in rule.body]
                yield from self._unfold(body + rest, unified, taken)
            return
        if self.single is not None:
            subst = feasible(first, subst, taken, self.single)
            if subst is None:
                return
            taken = taken + (first,)
        for base, final in self._unfold(rest, subst, taken):
            yield [first] + base, final


def feasible(literal, subst: dict, taken: tuple, single: frozenset) -> dict | None:
    """The substitution with `literal` added to the ways' literals `taken` so far, or None when they cannot
    all hold: a second fact of a one-valued predicate is the same fact (its value unified with the first's),
    and the comparisons of one variable with constants must leave it some value."""
    if isinstance(literal, Atom) and literal.predicate in single and len(literal.args) == 1:
        for earlier in taken:
            if isinstance(earlier, Atom) and earlier.predicate == literal.predicate:
                subst = unify(literal.args, earlier.args, subst)
                break
        if subst is None:
            return None
    elif not isinstance(literal, Compare):
        return subst
    low: dict = {}      # (variable, kind) -> tightest lower bound (order, strict); high: upper bound
    high: dict = {}
    for compare in taken + (literal,):
        if not isinstance(compare, Compare):
            continue
        left, right, op = walk(compare.left, subst), walk(compare.right, subst), compare.op
        if isinstance(left, Const) and isinstance(right, Var):
            left, right, op = right, left, _FLIPPED[op]
        if not (isinstance(left, Var) and isinstance(right, Const)) or op == "!=":
            continue
        at, key = (left, kind_of(right.value)), order(right.value)
        if op in (">", ">=", "=="):
            bound = (key, op == ">")                       # (order, strict): the larger is the tighter
            low[at] = max(low.get(at, bound), bound)
        if op in ("<", "<=", "=="):
            bound = (key, op != "<")                       # (order, inclusive): the smaller is the tighter
            high[at] = min(high.get(at, bound), bound)
        if at in low and at in high:
            (floor, above), (ceiling, inclusive) = low[at], high[at]
            if floor > ceiling or (floor == ceiling and (above or not inclusive)):
                return None
    return subst


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def terms(literal):
    if isinstance(literal, Not):
        literal = literal.atom
    if isinstance(literal, Compare):
        return (literal.left, literal.right)
    return literal.args


def rename_var(literal, old: str, new: str | None, const=None):
    def term(t):
        if isinstance(t, Var) and t.name == old:
            return const if const is not None else Var(new)
        return t
    if isinstance(literal, Not):
        return Not(rename_var(literal.atom, old, new, const))
    if isinstance(literal, Compare):
        return Compare(term(literal.left), literal.op, term(literal.right))
    return Atom(literal.predicate, tuple(term(a) for a in literal.args))


def walk(term, subst):
    while isinstance(term, Var) and term in subst:
        term = subst[term]
    return term


def unify(left, right, subst: dict):
    subst = dict(subst)
    for a, b in zip(left, right):
        a, b = walk(a, subst), walk(b, subst)
        if a == b:
            continue
        if isinstance(a, Var):
            subst[a] = b
        elif isinstance(b, Var):
            subst[b] = a
        else:
            return None
    return subst


def apply(literal, subst):
    if isinstance(literal, Not):
        return Not(apply(literal.atom, subst))
    if isinstance(literal, Compare):
        return Compare(walk(literal.left, subst), literal.op, walk(literal.right, subst))
    return Atom(literal.predicate, tuple(walk(a, subst) for a in literal.args))


def value(term, env):
    return env[term.name] if isinstance(term, Var) else term.value


order = order_key        # where a value sorts among others of its kind (pipeline/values.py)


def holds(compare: Compare, env) -> bool:
    left, right = value(compare.left, env), value(compare.right, env)
    if kind_of(left) != kind_of(right):
        return False
    a, b = order(left), order(right)
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[compare.op]


def around(value) -> set:
    if isinstance(value, _dt.date):
        return {value - _dt.timedelta(days=1), value, value + _dt.timedelta(days=1)}
    if isinstance(value, Money):
        return {Money(p) for p in (value.pence - 1, value.pence, value.pence + 1) if p >= 0}
    if isinstance(value, Months):
        return {Months(c) for c in (value.count - 1, value.count, value.count + 1) if c >= 0}
    if isinstance(value, int) and not isinstance(value, bool):
        return {n for n in (value - 1, value, value + 1) if n >= 0}
    return {value}
