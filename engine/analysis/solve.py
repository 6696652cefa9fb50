"""Asking z3 about a `Space`: satisfiable or not, and a small, readable witness request.

Shared by invariant proofs, `warrant diff` and the exact check findings.
A witness is the model z3 finds under soft preferences: as few facts,
items, assumption entries and drafts as possible, and ordered values on a
constant the rules mention (a policy's first day, the threshold itself)
whenever that is possible, so a counter-example reads like a boundary case.
"""
from __future__ import annotations

import z3

from engine.analysis.encode import Space, encode_value
from engine.pipeline.datalog import Compare, Const
from engine.pipeline.values import SYMBOL, kind_of

TIMEOUT_MS = 60_000      # one solver call, at most (a limit reached is reported, not waited out)


class Unknown(Exception):
    """The solver gave up (time limit): the analysis says so instead of guessing."""


def satisfiable(space: Space, *formulas) -> bool:
    solver = z3.Solver(ctx=space.ctx)
    solver.set("timeout", TIMEOUT_MS)
    solver.add(*space.domain, *formulas)
    result = solver.check()
    if result == z3.unknown:
        raise Unknown(solver.reason_unknown())
    return result == z3.sat


def witness(space: Space, *formulas) -> dict | None:
    """The smallest request document satisfying the formulas, or None when none does."""
    optimizer = z3.Optimize(ctx=space.ctx)
    optimizer.set("timeout", TIMEOUT_MS)
    optimizer.add(*space.domain, *formulas)
    for bit in _optional_bits(space):
        optimizer.add_soft(z3.Not(bit), 10)
    cuts = _cuts(space)
    for value, kind in _ordered_values(space):
        exact = cuts.get(kind)
        if exact:
            optimizer.add_soft(z3.Or(*[value == c for c in exact]), 5)
            optimizer.add_soft(z3.Or(*[value == c + d for c in exact for d in (-1, 0, 1)]), 3)
    result = optimizer.check()
    if result == z3.unknown:
        raise Unknown(optimizer.reason_unknown())
    if result != z3.sat:
        return None
    return space.document(optimizer.model())


def _optional_bits(space: Space):
    for encoding in space.fields.values():
        if encoding[0] == "flag":
            yield encoding[1]
        elif encoding[0] == "single":
            if encoding[1] is not True:
                yield encoding[1]
        else:
            for slot in encoding[1]:
                yield slot.present
    for name in space.assumptions:
        yield space.assume_set[name]
    for name in space.drafts:
        yield space.draft_named[name]


def _ordered_values(space: Space):
    for spec in space.vocabulary.fields:
        encoding = space.fields["u_" + spec.predicate]
        kinds = spec.arg_kinds()
        if encoding[0] == "single" and kinds[0] != SYMBOL:
            yield encoding[2], kinds[0]
        elif encoding[0] == "list":
            for slot in encoding[1]:
                for value, kind in zip(slot.values, kinds):
                    if kind != SYMBOL and not isinstance(value, int):
                        yield value, kind


def _cuts(space: Space) -> dict:
    """Per kind, the constants the programs compare with (policy days are compiled comparisons too)."""
    found: dict = {}
    for program in space.programs:
        for rule in program.rules.values():
            for literal in rule.body:
                if isinstance(literal, Compare):
                    for term in (literal.left, literal.right):
                        if isinstance(term, Const) and kind_of(term.value) != SYMBOL:
                            found.setdefault(kind_of(term.value), set()).add(encode_value(term.value, space.names))
    return {kind: sorted(values) for kind, values in found.items()}

