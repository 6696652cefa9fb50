"""The `datalog-conformance` suite run through Warrant's compiled Datalog layer.

Each case's rules are Datalog text (`p(X) :- q(X, Y), not r(Y), X != Y.`).
The adapter reads them into Warrant's IR (`engine/pipeline/datalog.py`),
applies the same checks the rule checker does (arity, safety, stratified
negation), orders each body as `engine/pipeline/compile.py` does, and
evaluates with `engine/pipeline/evaluate.Engine`: the path a rulebase takes
to pyDatalog, with pyDatalog's own text interface never used. Cases outside
that layer (arithmetic, aggregates, defeasible theories) are skipped with
the reason in `SKIPPED` (tests/test_conformance.py).
"""
from __future__ import annotations

import re

from warrant.pipeline.check import _components
from warrant.pipeline.compile import order_body
from warrant.pipeline.datalog import Atom, Compare, CompiledRule, Const, Not, Program, Var
from warrant.pipeline.evaluate import Engine

_OPS = {"=": "==", "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ATOM = re.compile(r"^\s*(not\s+|\\\+\s*|!\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)
_COMPARE = re.compile(r"^\s*(.+?)\s*(<=|>=|!=|==|=|<|>)\s*(.+?)\s*$")


class ConformanceError(Exception):
    """An error the suite expects by code (`arity_mismatch`, `unbound_variable`, `cyclic_negation` ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class SafetyViolationError(ConformanceError):
    """An unsafe rule: a head or comparison variable no positive condition binds (Warrant's C107)."""


class Unsupported(Exception):
    """A construct outside Warrant's Datalog layer (arithmetic, aggregates)."""


def _split(text: str, separator: str = ",") -> list[str]:
    parts, depth, current, quote = [], 0, "", None
    for char in text:
        if quote:
            current += char
            if char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts]


def _term(text: str):
    text = text.strip()
    if text == "_":
        raise Unsupported("anonymous variable")
    if re.fullmatch(r"[A-Z_][A-Za-z0-9_]*", text):
        return Var(text)
    if re.fullmatch(r"-?[0-9]+", text):
        return Const(int(text))
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return Const(text[1:-1])
    if re.fullmatch(r"[a-z][A-Za-z0-9_]*", text):
        return Const(text)
    raise Unsupported(f"term {text!r}")


def _name(predicate: str) -> str:
    return "c_" + predicate          # pyDatalog reads a capitalised name as a variable; keep every name a constant


def _literal(text: str):
    atom = _ATOM.match(text)
    if atom and not _COMPARE.match(text.replace("(", " ").replace(")", " ")) or (atom and "(" in text):
        negated, predicate, args = atom.groups()
        terms = tuple(_term(a) for a in _split(args)) if args and args.strip() else ()
        built = Atom(_name(predicate), terms)
        return Not(built) if negated else built
    compare = _COMPARE.match(text)
    if compare:
        left, op, right = compare.groups()
        if any(c in left + right for c in "+-*/%") and not re.fullmatch(r"-?[0-9]+", right.strip()):
            raise Unsupported("arithmetic")
        return Compare(_term(left), _OPS[op], _term(right))
    raise Unsupported(f"literal {text!r}")


def parse_rule(text: str) -> tuple[Atom, list]:
    text = text.strip().rstrip(".")
    if ":-" not in text:
        head = _literal(text)
        return head, []
    head_text, body_text = text.split(":-", 1)
    head = _literal(head_text)
    if not isinstance(head, Atom):
        raise Unsupported("head")
    return head, [_literal(part) for part in _split(body_text)]


def _variables(literal) -> set[str]:
    atom = literal.atom if isinstance(literal, Not) else literal
    terms = (atom.left, atom.right) if isinstance(atom, Compare) else atom.args
    return {t.name for t in terms if isinstance(t, Var)}


class WarrantEvaluator:
    """`evaluate(Program) -> Model`, the suite's protocol."""

    def evaluate(self, case_program):
        from datalog_conformance.schema import Model
        rules = [parse_rule(text) for text in case_program.rules]
        arity: dict[str, int] = {}

        def note(atom: Atom) -> None:
            if arity.setdefault(atom.predicate, len(atom.args)) != len(atom.args):
                raise ConformanceError("arity_mismatch", f"{atom.predicate[2:]} is used with two arities")

        facts = []
        for predicate, rows in case_program.facts.items():
            for row in rows:
                atom = Atom(_name(predicate), tuple(Const(v) for v in row))
                note(atom)
                facts.append(atom)
        graph: dict[str, set[tuple[str, bool]]] = {}
        for head, body in rules:
            note(head)
            positive = set()
            for literal in body:
                atom = literal.atom if isinstance(literal, Not) else literal
                if isinstance(atom, Atom):
                    note(atom)
                    graph.setdefault(head.predicate, set()).add((atom.predicate, isinstance(literal, Not)))
                if isinstance(literal, Atom):
                    positive |= _variables(literal)
            negated_only: dict[str, int] = {}
            for literal in body:
                if isinstance(literal, Not):
                    for name in _variables(literal) - positive:
                        negated_only[name] = negated_only.get(name, 0) + 1
            for literal in [head] + [l for l in body if isinstance(l, Compare)]:
                if _variables(literal) - positive:
                    raise SafetyViolationError("unbound_variable", f"unsafe variable in {head.predicate[2:]}")
            if any(count > 1 for count in negated_only.values()):
                # a variable free in two negations would have to be the same unknown value in both
                raise SafetyViolationError("unbound_variable", f"unsafe variable in {head.predicate[2:]}")
        plain = {k: {t for t, _ in v} for k, v in graph.items()}
        for component in _components(plain):
            for head in component:
                if any(negated and target in component for target, negated in graph.get(head, ())):
                    raise ConformanceError("cyclic_negation", "negation inside a cycle")
        program = Program()
        program.predicates.update(arity)
        for index, (head, body) in enumerate(rules):
            recursive = next((c for c in _components(plain) if head.predicate in c and
                              (len(c) > 1 or head.predicate in plain.get(head.predicate, ()))), set())
            ordered, order = order_body(body, recursive)
            variables = []
            for literal in ordered:
                if not isinstance(literal, Not):
                    for name in sorted(_variables(literal)):
                        if name not in variables:
                            variables.append(name)
            rule_id = f"r{index}"
            program.rules[rule_id] = CompiledRule(rule_id, "define", head, ordered, tuple(variables), None, order)
            program.predicates[f"f_{rule_id}"] = len(variables)
            program.by_head.setdefault(head.predicate, []).append(rule_id)
        engine = Engine(program)
        model: dict[str, set] = {}
        with engine.session(facts) as session:
            for predicate, count in arity.items():
                rows = session.ask(Atom(predicate, tuple(Var(f"V{i}") for i in range(count))))
                model[predicate[2:]] = {tuple(r) for r in rows} if count else ({()} if session.holds(
                    Atom(predicate, ())) else set())
        return Model(facts=model)
