"""Evaluate stage: a `datalog.Program` loaded into its own pyDatalog engine.

In: a Program; then, per decision, the request's facts. Out: answers to
queries. Clauses are built with pyDatalog's engine API (`pyEngine.Literal`,
`Clause`, `assert_`): no text is ever parsed, compiled or exec'd, so nothing
in a rule file or request can run. Each `Engine` owns a private `Logic`;
a `Session` asserts one request's facts, answers queries, and retracts them
again, in the deciding thread's own pyDatalog logic, so rulebases,
threads and decisions never see each other's facts.
pyDatalog tables subgoals per query only, so no answer outlives its session.
"""
from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from typing import Protocol

from pyDatalog import pyEngine as E
from pyDatalog.Logic import Logic

from warrant.pipeline.datalog import Atom, Compare, Not, Program, Var
from warrant.pipeline.errors import InternalError

E.Float_Precision = None  # never round; our values are never floats anyway


def value_key(value):
    """A total order over mixed run-time values, for deterministic results."""
    return (type(value).__name__, value)


def _term(term, names):
    if isinstance(term, Var):
        var = names.get(term.name)
        if var is None:
            var = names[term.name] = E.Var(term.name)
        return var
    return E.Const(term.value)


def _literal(literal, names):
    if isinstance(literal, Atom):
        return E.Literal(literal.predicate, [_term(a, names) for a in literal.args])
    if isinstance(literal, Not):
        return E.Literal("~" + literal.atom.predicate, [_term(a, names) for a in literal.atom.args])
    if isinstance(literal, Compare):
        return E.Literal(literal.op, [_term(literal.left, names), _term(literal.right, names)])
    raise InternalError(f"cannot compile {literal!r}")


def _clause(head: Atom, body) -> E.Clause:
    names: dict = {}
    return E.Clause(_literal(head, names), [_literal(b, names) for b in body])


class MemberGroups:
    """How the engine derives a dated set's members: one clause per period, not one per member.

    The compiled program has one rule per member and period (`S__from_D__M`:
    `v_S(M) <= request_date(Date) & Date >= D ...`), which the prover, the
    proof checker and the exact analysis read as they read any rule. Asked
    whether `v_S(X)` holds, pyDatalog would try every one of those clauses
    (a negated membership of a set of 50 members over 10 periods was most of
    a decision's time on such a law). So the engine is given, for each
    period, one clause `v_S(X) <= request_date(Date) & Date >= D ... &
    m_S_K(X)` over static facts `m_S_K(M)` of that period's members, in place
    of each member rule's `v_S(M) <= fired(...)`. The members' `fired_`
    clauses stay, so a proof still names the member's rule, and both
    formulations derive the same `v_S` facts on every date.
    """

    def __init__(self, program: Program):
        self.rules: set[str] = set()           # fired_ predicates of the member rules grouped
        self.concluded: set[str] = set()       # v_S predicates derived by period clauses
        self.predicates: dict[str, int] = {}   # m_S_K -> 1
        self.clauses: list = []
        periods: dict = {}
        for rule_id in sorted(program.rules):
            rule = program.rules[rule_id]
            if rule.kind != "value" or len(rule.head.args) != 1 or not hasattr(rule.head.args[0], "value"):
                continue
            periods.setdefault((rule.head.predicate, rule.body), []).append(rule)
        for (predicate, body), rules in periods.items():
            if len(rules) < 2:
                continue                       # a named value's period, or a one-member period: as compiled
            name = f"m_{predicate}_{len(self.predicates)}"
            self.predicates[name] = 1
            self.rules |= {fired_predicate_of(r) for r in rules}
            self.concluded.add(predicate)
            member = Var("Member")
            self.clauses += [(Atom(name, (r.head.args[0],)), ()) for r in rules]
            self.clauses.append((Atom(predicate, (member,)), tuple(body) + (Atom(name, (member,)),)))
        # a predicate some of whose members were not grouped keeps those members' own clauses
        for (predicate, body), rules in periods.items():
            if len(rules) < 2 and predicate in self.concluded:
                self.rules.discard(fired_predicate_of(rules[0]))


def fired_predicate_of(rule) -> str:
    return rule.fired.predicate


def member_groups(program: Program) -> MemberGroups:
    """The program's `MemberGroups`, worked out once per program."""
    return program.memo("member groups", lambda: MemberGroups(program))


class Engine:
    """A compiled rulebase, loaded once, asked many times, from any number of threads.

    pyDatalog keeps its state per thread (`Logic.tl`, `Fresh_var.tl`) and
    binds the literals it builds to the thread's predicates, so a `Logic`
    cannot be shared by two threads at once. Each thread that decides gets
    its own: the program's clauses asserted into a fresh `Logic` on the
    thread's first session (about as long as loading the engine once), with
    its own caches of literals and fact clauses. Decisions in different
    threads then run side by side with no lock between them; the sessions of
    one thread nest or follow one another, never interleave.
    """

    CACHE = 10_000     # pyDatalog literals and fact clauses kept per engine and thread (about 6 MB each when full)

    def __init__(self, program: Program):
        self.program = program
        self._local = threading.local()
        self._local.state = self._build()         # the loading thread's, built now (and inherited by a fork)

    def _build(self) -> "_ThreadState":
        previous = getattr(Logic.tl, "logic", None)
        if not hasattr(E.Fresh_var.tl, "counter"):
            E.Fresh_var.tl.counter = 0
        try:
            Logic()                       # a brand-new logic for this thread ...
            state = _ThreadState(Logic.tl.logic)   # ... which this engine keeps as this thread's own
            for pred, arity in self.program.predicates.items():   # declare: negation of an empty predicate is false
                dummy = E.Clause(E.Literal(pred, [E.Const("__declare__")] * arity), [])
                E.assert_(dummy)
                E.retract(dummy)
            for fact in self.program.set_facts:
                E.assert_(_clause(fact, ()))
            grouped = member_groups(self.program)
            for head, body in self.program.clauses():
                if head.predicate in grouped.concluded and body[0].predicate in grouped.rules:
                    continue                       # derived by its period's clause below
                E.assert_(_clause(head, body))
            for dummy_pred, arity in grouped.predicates.items():
                dummy = E.Clause(E.Literal(dummy_pred, [E.Const("__declare__")] * arity), [])
                E.assert_(dummy)
                E.retract(dummy)
            for head, body in grouped.clauses:
                E.assert_(_clause(head, body))
        finally:
            self._restore(previous)
        return state

    def _state(self) -> "_ThreadState":
        state = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = self._build()
        return state

    @staticmethod
    def _restore(previous) -> None:
        if previous is None:
            if hasattr(Logic.tl, "logic"):
                del Logic.tl.logic
        else:
            Logic.tl.logic = previous

    @contextmanager
    def session(self, facts: list[Atom]):
        """Assert `facts` for the duration of the block, then retract them (this thread's logic only)."""
        state = self._state()
        previous = getattr(Logic.tl, "logic", None)
        Logic.tl.logic = state.logic
        try:
            clauses = [state.fact_clause(f) for f in facts]
            asserted = []
            try:
                for clause in clauses:
                    E.assert_(clause)
                    asserted.append(clause)
                yield Session(self, state)
            finally:
                for clause in asserted:
                    E.retract(clause)
        finally:
            self._restore(previous)

    def query(self, atom: Atom):
        """pyDatalog's literal for a question (built once per atom and thread)."""
        return self._state().query(atom)


class _ThreadState:
    """One thread's pyDatalog logic for an engine, and the objects built in it."""

    def __init__(self, logic):
        self.logic = logic
        # Building pyDatalog's objects for an atom costs more than many small queries; requests repeat their
        # facts and provers their questions, so each atom's objects are built once.
        # pyDatalog keeps no state in them between queries: a query starts from a fresh goal.
        self.queries: dict = {}
        self.facts: dict = {}

    def fact_clause(self, atom: Atom):
        found = self.facts.get(atom)
        if found is None:
            if len(self.facts) >= Engine.CACHE:
                self.facts.clear()
            found = self.facts[atom] = _clause(atom, ())
        return found

    def query(self, atom: Atom):
        found = self.queries.get(atom)
        if found is None:
            if len(self.queries) >= Engine.CACHE:
                self.queries.clear()
            found = self.queries[atom] = _literal(atom, {})
        return found


class Answers(Protocol):
    """What a decision asks of an evaluation of one request's facts: the seam between deciding and evaluating.

    `Engine.session` opens the real one (`Session`, pyDatalog); a batch
    opens one that answers from the recorded answers of a request of the
    same shape (engine/batch/templates.py `MappedSession`). `decide` takes a
    function from the request's facts to a context manager giving one.
    """

    def ask(self, atom: Atom) -> list[tuple]:
        """All ground instances of `atom`, sorted; for a 0-ary atom, [()] or []."""

    def holds(self, atom: Atom) -> bool:
        """Whether some instance of `atom` holds."""

    def ask_body(self, body, variables: list[str]) -> list[tuple]:
        """Bindings of `variables` that satisfy the conjunction `body` (sorted)."""


class Session:
    """Queries against one request's facts (valid inside `Engine.session`); an `Answers`."""

    _counter = itertools.count()

    def __init__(self, engine: Engine, state: _ThreadState):
        self.engine = engine
        self.state = state
        self.queries = 0
        self._answers: dict = {}     # the facts do not change during a session, so neither do answers

    def ask(self, atom: Atom) -> list[tuple]:
        """All ground instances of `atom`, sorted; for a 0-ary atom, [()] or []."""
        known = self._answers.get(atom)
        if known is not None:
            return known
        self.queries += 1
        literal = _literal(atom, {}) if atom.predicate.startswith("w_query_") else self.state.query(atom)
        answer = literal.ask()
        rows = [()] if answer is True else sorted(answer or [], key=lambda row: tuple(value_key(v) for v in row))
        if not atom.predicate.startswith("w_query_"):
            self._answers[atom] = rows
        return rows

    def holds(self, atom: Atom) -> bool:
        return bool(self.ask(atom))

    def recorded(self) -> dict:
        """Every answer given so far, by question (an atom, or a body and its variables): what a batch
        keeps as the template for requests of the same shape."""
        return dict(self._answers)

    def ask_body(self, body, variables: list[str]) -> list[tuple]:
        """Bindings of `variables` that satisfy the conjunction `body` (sorted)."""
        key = (tuple(body), tuple(variables))
        known = self._answers.get(key)
        if known is not None:
            return known
        self._answers[key] = rows = self._ask_body(body, variables)
        return rows

    def _ask_body(self, body, variables: list[str]) -> list[tuple]:
        name = f"w_query_{next(self._counter)}"
        head = Atom(name, tuple(Var(v) for v in variables))
        clause = _clause(head, body)
        E.assert_(clause)
        try:
            return self.ask(head)
        finally:
            E.retract(clause)
            E.remove(E.Pred(name, len(variables)))
