"""Asking z3 about a `Space`: satisfiable or not, and a small, readable witness request.

Shared by invariant proofs, `warrant diff` and the exact check findings.
A witness is the model z3 finds under soft preferences: as few facts,
items, assumption entries and drafts as possible, and ordered values on a
constant the rules mention (a policy's first day, the threshold itself)
whenever that is possible, so a counter-example reads like a boundary case.
"""
from __future__ import annotations

import z3

from warrant.analysis import budget

from warrant.analysis.encode import Space, encode_value
from warrant.pipeline.datalog import Compare, Const
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.values import SYMBOL, kind_of

TIMEOUT_MS = 60_000      # one solver call, at most (a limit reached is reported, not waited out)


def Unknown(reason: str) -> WarrantError:
    """The solver gave up (its time limit): a located limit, never a guess (O017)."""
    return WarrantError.at("O017", f"the solver gave up after {TIMEOUT_MS // 1000} s on one question ({reason})",
                           notes=("the analysis is bounded in time; simplify the rules it is asked about, or report "
                                  "the rulebase: no result was made up",))


def new_solver(space: Space):
    """A solver for the space's questions: z3's simplifier, then its SMT core.

    The formulas are wide disjunctions of equalities over a few integer
    variables (a dated set is one per member and period); simplifying them
    first makes the exact check about 2.5x faster on a law with dated sets
    of many periods (ferpa_99_31: 8.6 s -> 3.1 s) and faster on every
    shipped rulebase, measured beside z3's default solver. For one question
    each: a search asking many with push and pop (the canonical model, diff)
    keeps z3's incremental solver, which this one is not."""
    ctx = space.ctx
    return z3.Then(z3.Tactic("simplify", ctx=ctx), z3.Tactic("smt", ctx=ctx), ctx=ctx).solver()


def satisfiable(space: Space, *formulas) -> bool:
    return satisfying(space, *formulas) is not None


def satisfying(space: Space, *formulas):
    """A model of the space's domain and the formulas, or None when they are unsatisfiable."""
    solver = new_solver(space)
    solver.add(*space.domain, *formulas)
    return solver.model() if checked(solver) == z3.sat else None


class Models:
    """Satisfiability with the models already found: a question that a model in hand meets is
    satisfiable without the solver (each model satisfies the space's domain). Most of the exact check's
    questions ask whether a rule changes without one condition, and most do, on requests an earlier
    question already found. Exact: an answer "satisfiable" is a model's; every other is the solver's."""

    KEPT = 6       # models tried before asking, the one that last answered first: a question a model meets
                   # is met by one of the first few (ferpa_99_31: 212 of 217, size 4 of bench/law_scaling.py:
                   # 292 of 313, by one of 6), and each question that goes to the solver paid for every model
                   # tried (about a tenth of a millisecond each on those laws' formulas)

    def __init__(self, space: Space):
        self.space = space
        self.models: list = []
        self.asked = 0          # questions that reached the solver

    def satisfiable(self, *formulas) -> bool:
        for index, model in enumerate(self.models):
            if all(z3.is_true(model.eval(f, model_completion=True)) for f in formulas):
                if index:                      # the model that answered is tried first next time
                    self.models.insert(0, self.models.pop(index))
                return True
        self.asked += 1
        model = satisfying(self.space, *formulas)
        if model is None:
            return False
        self.models = [model] + self.models[:self.KEPT - 1]
        return True


def witness(space: Space, *formulas) -> dict | None:
    """The canonical smallest request document satisfying the formulas, or None when none does."""
    solver = z3.Solver(ctx=space.ctx)           # incremental: the canonical model asks many small questions
    solver.add(*space.domain)
    model = canonical_model(space, solver, formulas)
    return None if model is None else space.document(model)


def canonical_model(space: Space, solver, formulas, tally=None):
    """A model chosen by yes-or-no questions only, so it never depends on how the solver searched.

    Which model a solver returns can change with its internal state (term
    numbering, memory), even for the same formula. Satisfiability cannot. So
    each variable of the space, in the vocabulary's order, is fixed to the
    first of its candidates (absent before present, off before on, declared
    values in order, the rules' constants in ascending order) that keeps the
    formulas satisfiable; only a value no candidate covers is taken from the
    solver's model. The result is the lexicographically first request in
    that order: small, on the boundaries the rules name, and the same every
    time. Each variable's first possible candidate is found by bisection
    (`_first_candidate`); how many questions that takes may vary with the
    models the solver gives, the request chosen does not. Leaves the solver
    as it was.
    """
    def _check(solver):
        if tally is not None:
            tally()
        return checked(solver)

    solver.push()
    solver.add(*formulas)
    try:
        if _check(solver) != z3.sat:
            return None
        first = current = solver.model()
        for variable, candidates, place, equal in _fixed_order(space):
            found = _first_candidate(solver, variable, candidates, place, equal, current, _check)
            if found is None:
                solver.push()
                solver.add(variable == first.eval(variable, model_completion=True))
                if _check(solver) != z3.sat:      # cannot happen: the first model satisfies everything
                    solver.pop()
                continue
            index, current = found
            solver.add(_equal(variable, candidates, equal, index))     # fixed in the formulas' own scope
        if _check(solver) != z3.sat:
            return None
        return solver.model()
    finally:
        while solver.num_scopes() > 0:
            solver.pop()
        solver.push()
        solver.pop()


def _fixed_order(space: Space) -> list:
    """(variable, its candidates, candidate key -> its first index, the equalities `variable == candidate`
    as they are made) in the canonical model's order, worked out once per space: every witness of a diff
    walks the same variables."""
    cached = space.__dict__.get("_fixed_order")
    if cached is None:
        cached = []
        for variable, candidates in _choices(space, _cuts(space)):
            candidates = tuple(candidates)
            place: dict = {}
            for index, value in enumerate(candidates):
                place.setdefault(_key(value), index)
            cached.append((variable, candidates, place, [None] * len(candidates)))
        space.__dict__["_fixed_order"] = cached
    return cached


def _equal(variable, candidates, equal: list, index: int):
    """`variable == candidates[index]`, made once per space (`_fixed_order`)."""
    found = equal[index]
    if found is None:
        found = equal[index] = variable == candidates[index]
    return found


def _first_candidate(solver, variable, candidates, place, equal, current, check):
    """(the index of the first candidate value the variable can take with what the solver holds, a model
    in which it does), or None when it can take none; the solver is left as it was.

    The first candidate is found by bisection over the candidates, not by
    asking each in turn: "is one of these satisfiable" halves the range
    left, and a model found narrows it to the model's own value (a model in
    hand that takes a candidate proves it possible without a question). A
    value of an enumeration of a hundred members that the difference needs
    costs about seven questions, not one for each member before it. The
    answer is the same: the first candidate that is satisfiable, by yes or
    no alone."""
    low, high = 0, place.get(_key(current.eval(variable, model_completion=True)))   # `high`: possible
    while True:
        end = len(candidates) if high is None else high      # candidates[low:end] are not known possible
        if low >= end:
            break
        middle = low + max(1, (end - low) // 2)
        solver.push()
        solver.add(z3.Or(*[_equal(variable, candidates, equal, i) for i in range(low, middle)]))
        satisfied = check(solver) == z3.sat
        model = solver.model() if satisfied else None
        solver.pop()
        if satisfied:
            high, current = place[_key(model.eval(variable, model_completion=True))], model
        else:
            low = middle
    return None if high is None else (high, current)


def _key(value):
    """A candidate or a model's value as a plain key: ("b", truth) for a Boolean, ("i", number) else."""
    if isinstance(value, int):
        return ("i", value)
    if z3.is_true(value) or z3.is_false(value):
        return ("b", z3.is_true(value))
    return ("i", value.as_long()) if z3.is_int_value(value) else None


def checked(solver):
    """Ask the solver, within the per-question cap and the analysis budget's time left.

    Unknown because the budget ran out is `budget.Stopped` (a partial answer
    follows); unknown within it is O017 (this one question was too hard)."""
    budget.tick()
    timeout = budget.timeout_ms(TIMEOUT_MS)
    solver.set("timeout", timeout)
    result = solver.check()
    if result == z3.unknown:
        budget.stop_if_bounded(timeout, TIMEOUT_MS)     # the budget's time left ran out, not the question's cap
        raise Unknown(solver.reason_unknown())
    return result


def _choices(space: Space, cuts: dict):
    """(variable, candidate values) in the order the canonical model fixes them."""
    ctx = space.ctx
    off_on = (z3.BoolVal(False, ctx), z3.BoolVal(True, ctx))
    for spec in space.vocabulary.fields:
        encoding = space.fields["u_" + spec.predicate]
        kinds = spec.arg_kinds()
        if encoding[0] == "flag":
            yield encoding[1], off_on
        elif encoding[0] == "single":
            if encoding[1] is not True:
                yield encoding[1], off_on
            yield encoding[2], _values(space, kinds[0], spec.values, cuts)
        else:
            columns = spec.column_values if spec.kind == "records" else (spec.values,)
            named = space.column_names.get(spec.path, ())
            for slot in encoding[1]:
                yield slot.present, off_on
                for index, (value, kind) in enumerate(zip(slot.values, kinds)):
                    if not isinstance(value, int):
                        allowed = columns[index] if index < len(columns) else ()
                        extra = named[index] if index < len(named) else ()
                        yield value, _values(space, kind, allowed, cuts, extra)
    for name in space.assumptions:
        yield space.assume_set[name], off_on
        yield space.assume_value[name], off_on
    for name in space.drafts:
        yield space.draft_named[name], off_on


def _values(space: Space, kind: str, allowed, cuts: dict, named=()) -> list[int]:
    if kind == SYMBOL:
        if allowed:
            return [space.names.encode(v) for v in allowed]
        return sorted(set(named)) + [len(space.names.names)]          # the rules' own names, then another
    exact = cuts.get(kind, [])
    return exact + sorted({c + d for c in exact for d in (-1, 1)} - set(exact))


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
    """Per kind, the constants the programs compare with (policy days are compiled comparisons too).

    Worked out once per space: every canonical model and every region asks for them.
    """
    cached = space.__dict__.get("_cuts")
    if cached is None:
        cached = space.__dict__["_cuts"] = _find_cuts(space)
    return cached


def _find_cuts(space: Space) -> dict:
    found: dict = {}
    for program in space.programs:
        for rule in program.rules.values():
            if rule.kind == "value":        # a named value's constants are what rules compare with
                for term in rule.head.args:
                    if kind_of(term.value) != SYMBOL:
                        found.setdefault(kind_of(term.value), set()).add(encode_value(term.value, space.names))
            for literal in rule.body:
                if isinstance(literal, Compare):
                    for term in (literal.left, literal.right):
                        if isinstance(term, Const) and kind_of(term.value) != SYMBOL:
                            found.setdefault(kind_of(term.value), set()).add(encode_value(term.value, space.names))
    return {kind: sorted(values) for kind, values in found.items()}

