"""A reference evaluator: naive bottom-up fixpoint with stratified negation.

Written for clarity, not speed, and sharing nothing with pyDatalog: the
proof checker uses it to confirm that negated facts really are underivable,
and the differential tests compare it with the engine on random programs.
In: a `datalog.Program` and ground facts. Out: the set of all derived atoms.
"""
from __future__ import annotations

from warrant.pipeline.errors import InternalError

from collections import defaultdict

from warrant.pipeline.datalog import Atom, Compare, Const, Not, Program


def _strata(program: Program) -> list[list]:
    """Clauses grouped by stratum: a clause runs after everything it negates is complete."""
    clauses = list(program.clauses())
    level: dict[str, int] = defaultdict(int)
    for _ in range(len(clauses) + 2):
        changed = False
        for head, body in clauses:
            need = 0
            for literal in body:
                if isinstance(literal, Atom):
                    need = max(need, level[literal.predicate])
                elif isinstance(literal, Not):
                    need = max(need, level[literal.atom.predicate] + 1)
            if need > level[head.predicate]:
                level[head.predicate] = need
                changed = True
        if not changed:
            break
    else:
        raise InternalError("program is not stratifiable (the checker refuses such a program first)")
    by_level: dict[int, list] = defaultdict(list)
    for head, body in clauses:
        by_level[level[head.predicate]].append((head, body))
    return [by_level[k] for k in sorted(by_level)]


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


def _solve(body, index: int, env: dict, facts: dict):
    if index == len(body):
        yield env
        return
    literal = body[index]
    if isinstance(literal, Atom):
        for fact in list(facts.get(literal.predicate, ())):
            if len(fact) != len(literal.args):
                continue
            new = _match(literal, fact, env)
            if new is not None:
                yield from _solve(body, index + 1, new, facts)
    elif isinstance(literal, Not):
        ground = tuple(_value(t, env) for t in literal.atom.args)
        if ground not in facts.get(literal.atom.predicate, set()):
            yield from _solve(body, index + 1, env, facts)
    elif isinstance(literal, Compare):
        if compare(_value(literal.left, env), literal.op, _value(literal.right, env)):
            yield from _solve(body, index + 1, env, facts)


def evaluate(program: Program, ground_facts) -> dict[str, set[tuple]]:
    """Every atom true in the program's perfect model, by predicate."""
    facts: dict[str, set[tuple]] = defaultdict(set)
    for atom in program.set_facts:
        facts[atom.predicate].add(tuple(a.value for a in atom.args))
    for atom in ground_facts:
        facts[atom.predicate].add(tuple(a.value for a in atom.args))
    for stratum in program.memo("reference strata", lambda: _strata(program)):
        changed = True
        while changed:
            changed = False
            for head, body in stratum:
                for env in list(_solve(body, 0, {}, facts)):
                    row = tuple(_value(t, env) for t in head.args)
                    if row not in facts[head.predicate]:
                        facts[head.predicate].add(row)
                        changed = True
    return facts
