"""A reference evaluator: bottom-up fixpoint with stratified negation.

Written for clarity and sharing nothing with pyDatalog: the proof checker
uses it to confirm that negated facts really are underivable, and the
differential tests compare it with the engine on random programs.
In: a `datalog.Program` and ground facts. Out: the set of all derived atoms.

Two plain measures keep it fast enough to check every golden case of a law
with many judgements (each answer to them is one evaluation): the program is
evaluated one strongly connected component of predicates at a time, in
dependency order, so a component that does not depend on itself is complete
after one pass; and facts are indexed by argument value, so a condition
whose arguments are bound looks up its matches instead of scanning.
"""
from __future__ import annotations

from collections import defaultdict

from warrant.pipeline.check import strongly_connected
from warrant.pipeline.datalog import Atom, Compare, Const, Not, Program
from warrant.pipeline.errors import InternalError


def _components(program: Program) -> list[tuple[list, bool]]:
    """The clauses grouped by strongly connected component of their head predicates, in dependency order.

    Each group comes with whether it depends on itself (then it is iterated
    to a fixpoint). A negation inside a component is a program that is not
    stratifiable, which the checker refuses before it gets here."""
    clauses = list(program.clauses())
    uses: dict[str, set[str]] = defaultdict(set)
    negates: dict[str, set[str]] = defaultdict(set)
    for head, body in clauses:
        for literal in body:
            if isinstance(literal, Atom):
                uses[head.predicate].add(literal.predicate)
            elif isinstance(literal, Not):
                uses[head.predicate].add(literal.atom.predicate)
                negates[head.predicate].add(literal.atom.predicate)
    heads = {head.predicate for head, _ in clauses}
    # each component after those it uses (Tarjan's order); predicates no clause concludes are facts
    order = [sorted(c) for c in strongly_connected({p: uses[p] for p in heads}) if c & heads]
    by_head: dict[str, list] = defaultdict(list)
    for head, body in clauses:
        by_head[head.predicate].append((head, body))
    groups = []
    for component in order:
        members = set(component)
        if any(negates[p] & members for p in component):
            raise InternalError("program is not stratifiable (the checker refuses such a program first)")
        recursive = len(component) > 1 or component[0] in uses[component[0]]
        groups.append(([c for p in component for c in by_head[p]], recursive))
    return groups


class _Facts:
    """Ground facts by predicate, with an index per (predicate, argument position) built on first use."""

    def __init__(self):
        self.rows: dict[str, set[tuple]] = defaultdict(set)
        self.index: dict[tuple[str, int], dict] = {}

    def add(self, predicate: str, row: tuple) -> bool:
        rows = self.rows[predicate]
        if row in rows:
            return False
        rows.add(row)
        for position in range(len(row)):
            table = self.index.get((predicate, position))
            if table is not None:
                table.setdefault(row[position], []).append(row)
        return True

    def layer(self, mutable: set[str]) -> "_Facts":
        """A copy that shares every predicate's facts and index except the `mutable` ones, which start as here."""
        other = _Facts()
        other.rows = defaultdict(set, self.rows)
        for predicate in mutable:
            if predicate in self.rows:
                other.rows[predicate] = set(self.rows[predicate])
        other.index = {key: table for key, table in self.index.items() if key[0] not in mutable}
        return other

    def matching(self, predicate: str, position: int, value) -> list[tuple]:
        table = self.index.get((predicate, position))
        if table is None:
            table = self.index[(predicate, position)] = defaultdict(list)
            for row in self.rows.get(predicate, ()):
                if len(row) > position:
                    table[row[position]].append(row)
        return table.get(value, ())


def _match(atom: Atom, fact: tuple, env: dict) -> dict | None:
    new = dict(env)
    for term, value in zip(atom.args, fact):
        if isinstance(term, Const):
            if term.value != value or type(term.value) is not type(value):
                return None
        elif term.name in new:
            if new[term.name] != value or type(new[term.name]) is not type(value):
                return None
        else:
            new[term.name] = value
    return new


def _value(term, env):
    return term.value if isinstance(term, Const) else env[term.name]


def compare(left, op: str, right) -> bool:
    if type(left) is not type(right):
        return op == "!=" if op in ("==", "!=") else False
    return {"==": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]


def _candidates(literal: Atom, env: dict, facts: _Facts):
    """The facts that may match: by the index on the first bound argument, else every fact of the predicate."""
    for position, term in enumerate(literal.args):
        if isinstance(term, Const):
            return facts.matching(literal.predicate, position, term.value)
        if term.name in env:
            return facts.matching(literal.predicate, position, env[term.name])
    return facts.rows.get(literal.predicate, ())


def _solve(body, index: int, env: dict, facts: _Facts):
    if index == len(body):
        yield env
        return
    literal = body[index]
    if isinstance(literal, Atom):
        for fact in list(_candidates(literal, env, facts)):
            if len(fact) != len(literal.args):
                continue
            new = _match(literal, fact, env)
            if new is not None:
                yield from _solve(body, index + 1, new, facts)
    elif isinstance(literal, Not):
        ground = tuple(_value(t, env) for t in literal.atom.args)
        if ground not in facts.rows.get(literal.atom.predicate, ()):
            yield from _solve(body, index + 1, env, facts)
    elif isinstance(literal, Compare):
        if compare(_value(literal.left, env), literal.op, _value(literal.right, env)):
            yield from _solve(body, index + 1, env, facts)


def evaluate(program: Program, ground_facts) -> dict[str, set[tuple]]:
    """Every atom true in the program's perfect model, by predicate."""
    return evaluate_worlds(program, ground_facts, [()])[0]


def evaluate_worlds(program: Program, ground_facts, worlds) -> list[dict[str, set[tuple]]]:
    """The perfect model of the ground facts plus each world's extra facts, one model per world.

    What the worlds share is evaluated once: the components that no extra
    fact's predicate reaches are complete before the first world, and each
    world evaluates only the components its extra facts can change (the
    answers to a request's open judgements are such worlds), and of those,
    only the clauses that read something the extra facts reach: a law of
    fifty routes, ten of which read a judgement, runs ten per world."""
    worlds = [list(extra) for extra in worlds]
    varying = {atom.predicate for extra in worlds for atom in extra}
    components = program.memo("reference components", lambda: _components(program))
    reached = _reached(components, varying)
    base = _Facts()
    for atom in program.set_facts:
        base.add(atom.predicate, tuple(a.value for a in atom.args))
    for atom in ground_facts:
        base.add(atom.predicate, tuple(a.value for a in atom.args))
    _run([c for c in components if not c[0] or c[0][0][0].predicate not in reached], base)
    rest = []
    for clauses, recursive in components:
        if not clauses or clauses[0][0].predicate not in reached:
            continue
        # A clause of a component the worlds reach that reads nothing they reach derives the same in each:
        # it runs once, here (what it reads is complete by now), and each world runs only the others.
        fixed, varying = [], []
        for clause in clauses:
            (varying if recursive or _reads(clause[1], reached) else fixed).append(clause)
        if fixed:
            _run([(fixed, False)], base)
        if varying:
            rest.append((varying, recursive))
    models = []
    for extra in worlds:
        facts = base.layer(reached)
        for atom in extra:
            facts.add(atom.predicate, tuple(a.value for a in atom.args))
        _run(rest, facts)
        models.append(facts.rows)
    return models


def _reads(body, predicates: set[str]) -> bool:
    """Whether a clause body reads one of these predicates (positively or under a negation)."""
    return any(isinstance(lit, (Atom, Not)) and (lit.atom if isinstance(lit, Not) else lit).predicate in predicates
               for lit in body)


def _reached(components, predicates: set[str]) -> set[str]:
    """These predicates and every head predicate whose component reads one of them (components in order)."""
    reached = set(predicates)
    for clauses, _ in components:
        if any(isinstance(lit, (Atom, Not)) and (lit.atom if isinstance(lit, Not) else lit).predicate in reached
               for _, body in clauses for lit in body):
            reached |= {head.predicate for head, _ in clauses}
    return reached


def _run(components, facts: _Facts) -> None:
    for clauses, recursive in components:
        changed = True
        while changed:
            changed = False
            for head, body in clauses:
                for env in list(_solve(body, 0, {}, facts)):
                    changed |= facts.add(head.predicate, tuple(_value(t, env) for t in head.args))
            changed = changed and recursive
