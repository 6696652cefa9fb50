"""Plain Datalog through Warrant's compiled layer: rule text and facts in, the model out.

`evaluate_datalog` is the public seam an outside test suite (datalog-conformance,
tests/test_conformance.py) uses to check the layer every rulebase is compiled to:
the same IR (engine/pipeline/datalog.py), the same checks the rule checker makes
(one arity a predicate, safe variables, negation outside cycles), the same body
order as engine/pipeline/compile.py, evaluated by engine/pipeline/evaluate.Engine.
Rules are read by a small parser of our own: no text ever reaches pyDatalog's
text interface, Python's `eval` or `exec`.

Raises `WarrantError`: `W007` for a construct outside the layer (arithmetic,
aggregates, anonymous variables), `C102` a predicate used with two arities,
`C107` an unsafe variable, `C108` negation inside a cycle.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from warrant.pipeline.check import strongly_connected
from warrant.pipeline.compile import order_body
from warrant.pipeline.datalog import Atom, Compare, CompiledRule, Const, Not, Program, Var
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.evaluate import Engine

_OPS = {"=": "==", "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ATOM = re.compile(r"^\s*(not\s+|\\\+\s*|!\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)
_COMPARE = re.compile(r"^\s*(.+?)\s*(<=|>=|!=|==|=|<|>)\s*(.+?)\s*$")
MAX_RULE_TEXT = 64 << 10        # characters of one rule read, at most


def evaluate_datalog(rules: Sequence[str], facts: Mapping[str, Iterable[Sequence]] = {}) -> dict[str, set[tuple]]:
    """The model of a plain Datalog program, evaluated by the engine Warrant compiles rulebases to.

    `rules` are Datalog clauses (`p(X) :- q(X, Y), not r(Y), X != Y.`; a fact
    is a clause without a body); `facts` maps a predicate to its rows. Returns
    every predicate's rows. Names start lower case, variables upper case;
    numbers and quoted strings are constants. Raises `WarrantError` (`W007`
    outside the layer: arithmetic, aggregates, anonymous variables; `C102`,
    `C107`, `C108` as the rule checker does).

    >>> sorted(evaluate_datalog(["path(X, Y) :- edge(X, Y).", "path(X, Z) :- path(X, Y), edge(Y, Z)."],
    ...                         {"edge": [(1, 2), (2, 3)]})["path"])
    [(1, 2), (1, 3), (2, 3)]
    """
    parsed = [_rule(text) for text in rules]
    arity: dict[str, int] = {}

    def note(atom: Atom) -> None:
        if arity.setdefault(atom.predicate, len(atom.args)) != len(atom.args):
            raise WarrantError.at("C102", f"{atom.predicate[2:]} is used with two numbers of arguments")

    ground = []
    for predicate, rows in facts.items():
        for row in rows:
            atom = Atom(_name(predicate), tuple(Const(v) for v in row))
            note(atom)
            ground.append(atom)
    graph: dict[str, set[tuple[str, bool]]] = {}
    for head, body in parsed:
        note(head)
        for literal in body:
            atom = literal.atom if isinstance(literal, Not) else literal
            if isinstance(atom, Atom):
                note(atom)
                graph.setdefault(head.predicate, set()).add((atom.predicate, isinstance(literal, Not)))
        _check_safe(head, body)
    plain = {k: {t for t, _ in v} for k, v in graph.items()}
    components = strongly_connected(plain)
    for component in components:
        for head in component:
            if any(negated and target in component for target, negated in graph.get(head, ())):
                raise WarrantError.at("C108", f"negation inside a cycle through {head[2:]}")
    program = Program()
    program.predicates.update(arity)
    for index, (head, body) in enumerate(parsed):
        recursive = next((c for c in components if head.predicate in c and
                          (len(c) > 1 or head.predicate in plain.get(head.predicate, ()))), set())
        ordered, order = order_body(body, recursive)
        variables: list[str] = []
        for literal in ordered:
            if not isinstance(literal, Not):
                variables += [n for n in sorted(_variables(literal)) if n not in variables]
        rule_id = f"r{index}"
        program.rules[rule_id] = CompiledRule(rule_id, "define", head, ordered, tuple(variables), None, order)
        program.predicates[f"f_{rule_id}"] = len(variables)
        program.by_head.setdefault(head.predicate, []).append(rule_id)
    model: dict[str, set] = {}
    with Engine(program).session(ground) as session:
        for predicate, count in arity.items():
            if count:
                model[predicate[2:]] = {tuple(r) for r in session.ask(Atom(predicate, tuple(
                    Var(f"V{i}") for i in range(count))))}
            else:
                model[predicate[2:]] = {()} if session.holds(Atom(predicate, ())) else set()
    return model


def _check_safe(head: Atom, body: list) -> None:
    """C107: every head and comparison variable bound by a positive literal; a variable only negations
    mention is read as 'no such value' when one negation mentions it, unsafe when two share it."""
    positive = set().union(*(_variables(l) for l in body if isinstance(l, Atom)))
    negated_only: dict[str, int] = {}
    for literal in body:
        if isinstance(literal, Not):
            for name in _variables(literal) - positive:
                negated_only[name] = negated_only.get(name, 0) + 1
    unsafe = [l for l in [head] + [l for l in body if isinstance(l, Compare)] if _variables(l) - positive]
    if unsafe or any(count > 1 for count in negated_only.values()):
        raise WarrantError.at("C107", f"unsafe variable in a rule for {head.predicate[2:]}")


def _name(predicate: str) -> str:
    return "c_" + predicate          # pyDatalog reads a capitalised name as a variable; keep every name a constant


def _outside(what: str) -> WarrantError:
    return WarrantError.at("W007", f"outside Warrant's Datalog layer: {what}")


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
        raise _outside("anonymous variable")
    if re.fullmatch(r"[A-Z_][A-Za-z0-9_]*", text):
        return Var(text)
    if re.fullmatch(r"-?[0-9]+", text):
        return Const(int(text))
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return Const(text[1:-1])
    if re.fullmatch(r"[a-z][A-Za-z0-9_]*", text):
        return Const(text)
    raise _outside(f"term {text[:80]!r}")


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
            raise _outside("arithmetic")
        return Compare(_term(left), _OPS[op], _term(right))
    raise _outside(f"literal {text[:80]!r}")


def _rule(text: str) -> tuple[Atom, list]:
    if len(text) > MAX_RULE_TEXT:
        raise _outside(f"a rule of more than {MAX_RULE_TEXT:,} characters")
    text = text.strip().rstrip(".")
    if ":-" not in text:
        head = _literal(text)
        if not isinstance(head, Atom):
            raise _outside("a fact that is not an atom")
        return head, []
    head_text, body_text = text.split(":-", 1)
    head = _literal(head_text)
    if not isinstance(head, Atom):
        raise _outside("a head that is not an atom")
    return head, [_literal(part) for part in _split(body_text)]


def _variables(literal) -> set[str]:
    atom = literal.atom if isinstance(literal, Not) else literal
    terms = (atom.left, atom.right) if isinstance(atom, Compare) else atom.args
    return {t.name for t in terms if isinstance(t, Var)}
