"""Trace templates: one class of requests, one evaluation, every member's own trace.

Two requests have the same *shape* when they hold the same facts at the same
places with values that differ only by a renaming that keeps everything the
rules and the prover can see: every value a rule names stays itself, every
other value keeps its kind, its place among the rules' constants of that
kind and its order among the request's own values (equal values stay equal).
Under such a renaming the Datalog model of one request is the renamed model
of the other (rules only test equality and order, and against constants the
renaming fixes), and the engine's answers come back sorted by value, so in
the same order. The prover's questions and answers are therefore renamed
copies of each other.

A shape need not hold every fact. After a request is decided, `reads` works
out which request predicates its recorded answers depend on (the closure of
each question through the rules; for a conjunction with no answer, only its
shortest recorded prefix with none), leaving out the questions about
permissions and prohibitions, which the batch's outcome class already fixes.
Templates are keyed by (outcome class, those predicates, the shape of only
their facts), so requests that differ only in facts the trace never reads
share one.

So the first request of a shape is decided on the engine while its session's
questions and answers are recorded (`Template`). A later request of that
shape is decided by the same prover code against a `MappedSession`, which
renames each question to the first request's values, looks up the engine's
answer and renames it back. Every text of the trace is written by the prover
for the request's own values; no rule is read again and no answer is made
up. A question the first request never asked (which the argument above
says cannot happen) raises `TemplateMiss`, and the caller decides afresh.
tests/test_batch.py compares templated traces with fresh ones, byte for byte.
"""
from __future__ import annotations

import bisect

from warrant.pipeline.datalog import Atom, Compare, Const, Not
from warrant.pipeline.evaluate import value_key
from warrant.pipeline.unfold import terms
from warrant.pipeline.values import kind_of


class TemplateMiss(Exception):
    """The prover asked what the template's request did not: decide this request afresh."""


def program_constants(program) -> tuple[frozenset, dict]:
    """The values rules name (fixed by any renaming) and, per kind, those constants sorted (once per program:
    `Shapes`)."""
    found = set()
    for atom in program.set_facts:
        found.update(a.value for a in atom.args)
    for rule in program.rules.values():
        for literal in rule.body + (rule.head,):
            found.update(t.value for t in terms(literal) if isinstance(t, Const))
    by_kind: dict = {}
    for value in found:
        by_kind.setdefault(kind_of(value), []).append(value)
    return frozenset(found), {k: sorted(v) for k, v in by_kind.items()}


class Shapes:
    """Computes a request's shape: (key, its free values in order)."""

    def __init__(self, program, at=None):
        self.constants, self.cuts = program.memo("constants", lambda: program_constants(program))
        self.at = at

    def of(self, request, reads: frozenset | None = None) -> tuple[tuple, tuple]:
        """The shape of the request's facts, or of only those whose engine predicate is in `reads`."""
        facts = [(f.predicate, (self.at,) if self.at is not None and f.predicate == "request_date" else f.args,
                  f.origin) for f in request.facts if reads is None or "u_" + f.predicate in reads]
        constants = self.constants
        free = sorted({v for _, args, _ in facts for v in args if v not in constants}
                      | {i for i in request.items if i not in constants}, key=value_key)
        index = {v: n for n, v in enumerate(free)}

        def code(value):
            if value in constants:
                return ("c", value)
            cuts = self.cuts.get(kind_of(value), ())
            return ("v", index[value], type(value).__name__, bisect.bisect_left(cuts, value))

        key = (tuple((p, tuple(code(v) for v in args), origin) for p, args, origin in facts),
               tuple(code(i) for i in request.items), request.assume, request.drafts)
        return key, tuple(free)


def reads(program, answers: dict, decided: tuple = ()) -> frozenset:
    """The request predicates the recorded answers depend on: what a template's shape must hold.

    A question's answer depends only on the request facts its literals reach
    through the rules (`_closure`). A conjunction with no answer depends
    only on its shortest recorded prefix that has none, since a prefix with
    no answer leaves every longer body without one (the why-not bisection
    records such prefixes). Questions about the predicates in `decided`
    (permissions and prohibitions, fixed by the batch's outcome class) are
    left out: the caller keys the template by that class as well.
    """
    closure = program.memo("template closure", lambda: _closure(program))
    empty = {key[0] for key, rows in answers.items() if type(key) is tuple and not rows}
    out: set = set()
    for key, rows in answers.items():
        if type(key) is not tuple:
            if key.predicate not in decided:
                out |= closure.get(key.predicate, frozenset())
            continue
        body = key[0]
        if not rows:
            body = next(body[:n] for n in range(1, len(body) + 1) if body[:n] in empty)
        for literal in body:
            atom = literal.atom if isinstance(literal, Not) else literal
            if isinstance(atom, Atom):
                out |= closure.get(atom.predicate, frozenset())
    return frozenset(out)


def _closure(program) -> dict:
    """Engine predicate -> the request predicates (`u_...`) its answers can depend on."""
    uses: dict = {}
    for rule in program.rules.values():
        body = {(l.atom if isinstance(l, Not) else l).predicate for l in rule.body if not isinstance(l, Compare)}
        uses.setdefault(rule.fired.predicate, set()).update(body)
        uses.setdefault(rule.head.predicate, set()).add(rule.fired.predicate)
    out: dict = {}
    for start in set(uses) | set(program.predicates):
        seen, stack = set(), [start]
        while stack:
            predicate = stack.pop()
            if predicate not in seen:
                seen.add(predicate)
                stack.extend(uses.get(predicate, ()))
        out[start] = frozenset(p for p in seen if p.startswith("u_"))
    return out


class Template:
    """The engine's answers to one request's prover, in that request's values."""

    def __init__(self, free: tuple, answers: dict):
        self.free = free
        self.answers = answers


class MappedSession:
    """The session API (`ask`, `ask_body`, `holds`) answered from a template by renaming."""

    def __init__(self, template: Template, free: tuple):
        if len(free) != len(template.free):
            raise TemplateMiss("shapes differ")
        self.to_template = dict(zip(free, template.free))
        self.from_template = dict(zip(template.free, free))
        self.answers = template.answers
        self.queries = 0
        self.renamed: dict = {}        # literal -> the same literal in the template's values (prefixes repeat)

    def _rename(self, term, table):
        if isinstance(term, Const):
            value = term.value
            return Const(table.get(value, value)) if type(value) is not bool else term
        return term

    def _to_template(self, literal):
        found = self.renamed.get(literal)
        if found is None:
            found = self.renamed[literal] = self._literal(literal, self.to_template)
        return found

    def _literal(self, literal, table):
        if isinstance(literal, Not):
            return Not(self._literal(literal.atom, table))
        if isinstance(literal, Compare):
            return Compare(self._rename(literal.left, table), literal.op, self._rename(literal.right, table))
        return Atom(literal.predicate, tuple(self._rename(a, table) for a in literal.args))

    def _back(self, rows: list) -> list:
        table = self.from_template
        return [tuple(table.get(v, v) for v in row) for row in rows]

    def ask(self, atom: Atom) -> list[tuple]:
        rows = self.answers.get(self._to_template(atom))
        if rows is None:
            raise TemplateMiss(str(atom))
        return self._back(rows)

    def holds(self, atom: Atom) -> bool:
        return bool(self.ask(atom))

    def ask_body(self, body, variables: list[str]) -> list[tuple]:
        key = (tuple(self._to_template(l) for l in body), tuple(variables))
        rows = self.answers.get(key)
        if rows is None:
            raise TemplateMiss(str(body))
        return self._back(rows)
