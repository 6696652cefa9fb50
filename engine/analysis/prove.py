"""Invariants proved for every request: `never permit Item when BODY` has no counter-example.

For each invariant, one formula over the symbolic request of
`engine/analysis/encode.py`: some requested item is permitted (a permission
applies, no prohibition does; with `by NAME`, one of the permissions NAME
means is among those that apply) and BODY holds of it, under any date, any
assumption setting and any drafts a request may name. Unsatisfiable: the
invariant is proved for every request (exactly, or for lists up to the
bounds the space reports). Satisfiable: the smallest model is written as a
request and decided by the engine, which must confirm it; if it does not,
the analysis and the engine disagree and that is reported as an internal
fault, never as a result.
"""
from __future__ import annotations

from warrant.pipeline.errors import InternalError

from dataclasses import dataclass

import z3

from warrant.analysis.encode import NotExact, Side, Space
from warrant.analysis.solve import satisfiable, witness
from warrant.pipeline.check import permissions_by
from warrant.pipeline.compile import compile_condition
from warrant.pipeline.datalog import PERMIT, Atom, Const, Var
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.request import request_from_data


@dataclass(frozen=True)
class Proof:
    holds: bool
    solver_calls: int
    bounds: dict                      # list field -> slots, where the encoding is bounded (not exact)
    counterexample: dict | None = None


class Shared:
    """One space and one side for all of a rulebase's invariants: the rules are encoded once.

    The space holds every invariant's constants, so each is exact in it; what
    an item's permission needs (`permitted`) is built once for all of them."""

    def __init__(self, rulebase, invariants):
        literals = [literal for invariant in invariants for body in invariant_bodies(rulebase, invariant)
                    for literal in body]
        self.space = Space([rulebase], literals)
        self.side = Side(self.space, rulebase)
        self.permitted: dict = {}

    def item_permitted(self, item: int):
        if item not in self.permitted:
            self.permitted[item] = self.side.permitted(item)
        return self.permitted[item]


def prove(rulebase, invariant, shared: Shared | None = None) -> Proof:
    """Prove one invariant, or find the counter-example the engine confirms. Raises NotExact (recursion).

    `shared`: the encoding of all the rulebase's invariants (built here for this one alone if not given)."""
    bodies = invariant_bodies(rulebase, invariant)
    if not bodies:                            # `by` a policy with no permission: nothing it could permit
        return Proof(True, 0, {})
    shared = shared or Shared(rulebase, [invariant])
    space, side = shared.space, shared.side
    violation = z3.Or(*[z3.And(shared.item_permitted(item),
                               z3.Or(*[side.condition(body, item, invariant.item_var) for body in bodies]))
                        for item in space.item_codes()])
    if not satisfiable(space, violation):
        return Proof(True, 1, dict(space.bounds))
    document = witness(space, violation)
    return Proof(False, 2, dict(space.bounds), document)


def invariant_bodies(rulebase, invariant) -> list[list]:
    """The invariant's condition as compiled literals: one body, or with `by NAME` one per permission NAME
    means, each with that permission applying to the item (`w_permit(Item, RULE)`) in front."""
    body = [compile_condition(c) for c in invariant.body]
    if invariant.by is None:
        return [body]
    item = Var(invariant.item_var)
    return [[Atom(PERMIT, (item, Const(rule)))] + body
            for rule in permissions_by(rulebase.checked, invariant.by)]


def confirm(rulebase, document: dict, decide_violation) -> tuple:
    """The engine's own decision on a witness: (item, rules) that violate, or a fault if it disagrees."""
    try:
        request = request_from_data(document, vocabulary=rulebase.program.vocabulary)
    except WarrantError as exc:
        raise InternalError(f"the analysis built an invalid request {document}: {exc.first.message}") from None
    found = decide_violation(request)
    if not found:
        raise InternalError(f"the analysis and the engine disagree on {document}")
    return found


__all__ = ["prove", "confirm", "Proof", "NotExact", "Shared"]
