"""Prove stage: engine answers -> proof trees and why-not attempts.

In: a `Session` holding one request's facts. Out: `TraceNode` trees. Every
rule node is a tuple of the engine's own `fired_r` relation, so the proof is
the evaluation that made the decision, not a second reading of the rules.
For a permission that did not apply, growing prefixes of its compiled body
are evaluated until one has no answer: that literal is the first failed
condition, shown with the values the request actually has. Each prefix,
each rule's fired instances and the policies in force are asked once per
request, for every item at once, and filtered here: the same rows, in the
same order, as asking per item.
"""
from __future__ import annotations

from warrant.pipeline import syntax as S
from warrant.pipeline.cache import Bounded
from warrant.pipeline.bindings import compare_values, ground, unify, value_of
from warrant.pipeline.datalog import ASSUMED, DRAFT_ON, DUTY, FORBID, IN_FORCE, PERMIT, Atom, Compare, Const, Not, Var, \
    fact_predicate
from warrant.pipeline.evaluate import Session
from warrant.pipeline.syntax import effect_text
from warrant.pipeline.trace import TraceNode
from warrant.pipeline.values import BOOL, kind_of, show
from warrant.pipeline.whynot import MAX_LASTING_NODES, WhyNot, period_detail, period_words

REQUEST_DATE = fact_predicate("request_date")
_TEXT_OPS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_NEGATED_OPS = {"==": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


class Prover(WhyNot):
    def __init__(self, rulebase, session: Session, origins: dict, date, stated: dict | None = None,
                 facts=None):
        self.rb = rulebase
        self.program = rulebase.program
        self.fields = rulebase.program.vocabulary.by_predicate
        self.session = session
        self.origins = origins       # (engine predicate, args) -> request field path
        self.date = date
        self.stated = stated or {}   # the request document: a boolean stated `false` is no fact, but was said
        self._in_force = None        # the policies in force, from one engine question
        self._class = self           # the request's date class (`_date_class`), once worked out
        self._prefixes: dict = {}    # (rule, body length) -> that prefix's answers, for every item at once
        self._fired: dict = {}       # rule -> every instance the engine fired
        self._proved: dict = {}      # ground atom -> its proof from no enclosing one (`prove_atom`)
        self._nodes: dict = {}       # (what, literal, its variables' values) -> a why-not's node (`_shared`)
        self._names = rulebase.program.memo("literal variables", dict)   # id of a rule's literal -> (number, vars)
        self._numbers = rulebase.program.memo("literal numbers", dict)   # a literal -> its number (equal ones share)
        self.permitted = None        # the engine's (item, permission) answers, when the caller has asked them
        self.facts = facts           # the atoms the session asserted, when the caller gives them
        self._asserted: dict = {}    # predicate -> the argument rows of those atoms (static sets: `_static`)
        for atom in facts or ():
            self._asserted.setdefault(atom.predicate, []).append(tuple(a.value for a in atom.args))
        self._row_sets: dict = {}        # a fact's predicate, or ("derived", a concept's) -> `_row_keys`
        self._static = rulebase.program.memo("static rows", lambda: _rows_of(rulebase.program.set_facts))
        self._settle_steps = rulebase.program.memo("settle steps", dict)   # id(a body) -> its steps (`_steps_of`)
        self._why_not_about = rulebase.program.memo("why-not about", dict)  # permission -> `_about` of it
        self._bound_vars = rulebase.program.memo("bound before", dict)   # (id(a body), length) -> `_bound_before`
        self._lasting = rulebase.program.memo("why-not nodes", lambda: Bounded(MAX_LASTING_NODES))   # `_context` -> node
        self._static_plans = rulebase.program.memo("static why-nots", lambda: Bounded(MAX_LASTING_NODES))  # `_static_plan`
        self._in_force_by_class = rulebase.program.memo("in force by class", lambda: Bounded(10_000))   # `in_force`
        self._held: dict = {}        # a static why-not's held key -> its held nodes in this request (`attempt`)

    def in_force(self) -> frozenset:
        """The policies the engine finds in force for this request (one question for all of them).

        The in-force rules read only the request's date (compared with the
        policies' bounds) and the drafts switched on, so the engine's answer
        for an earlier request on the same side of every bound, with the same
        drafts, is this request's answer too: it is kept by that class
        (`_in_force_class`), and the engine is asked once per class."""
        if self._in_force is None:
            key = self._date_class()
            found = None if key is None else self._in_force_by_class.get(key)
            if found is None:
                found = frozenset(row[0] for row in self.session.ask(Atom(IN_FORCE, (Var("P"),))))
                if key is not None:
                    self._in_force_by_class[key] = found
            self._in_force = found
        return self._in_force

    def _date_class(self) -> tuple | None:
        """(each bound of an in-force rule the request's date meets, the drafts switched on), or None where
        the request's facts do not give one date or the program's in-force rules read more than that; once
        per request."""
        if self._class is self:
            self._class = self._in_force_class()
        return self._class

    def _in_force_class(self) -> tuple | None:
        bounds = self.program.memo("in-force bounds", lambda: _in_force_bounds(self.program))
        if bounds is None or self.facts is None:
            return None
        dates = self._asserted.get(REQUEST_DATE, ())
        if len(dates) != 1:
            return None
        date = dates[0][0]
        met = []
        for op, bound in bounds:
            if kind_of(date) != kind_of(bound):
                return None
            met.append(compare_values(date, op, bound))
        return tuple(met), frozenset(self._asserted.get(DRAFT_ON, ()))

    # ---- words ---------------------------------------------------------------------
    def describe(self, predicate: str, args: tuple) -> str:
        """Plain text for a ground atom."""
        if predicate == PERMIT:
            return f"{args[0]} may be released (permission {args[1]})"
        if predicate == FORBID:
            return f"{args[0]} must not be released (prohibition {args[1]})"
        if predicate == DUTY:
            return f"{args[0]} carries the obligation “{self.rb.duty_obligation(args[1])[1].text}”"
        if predicate == IN_FORCE:
            policy = self.rb.checked.policies.get(args[0])
            if policy is None:                            # a lineage: in force through the version that is
                versions = [p for p in self.rb.checked.versions(args[0]) if p.name in self.in_force()]
                through = f" through {versions[0].name} ({period_words(versions[0])})" if versions else ""
                return f"a version of {args[0]} is in force on {show(self.date)}{through}"
            return f"policy {args[0]} is in force on {show(self.date)} ({period_words(policy)})"
        if predicate == ASSUMED:
            name, reading = S.split_switch(args[0])
            return f"assumption {name} is read as {reading}" if reading else f"assumption {args[0]} is on"
        if predicate == DRAFT_ON:
            return f"draft policy {args[0]} is switched on"
        if predicate.startswith("s_"):
            return f"{show(args[0])} is in the set {predicate[2:]}"
        if predicate.startswith("v_"):
            if predicate[2:] in self.rb.checked.sets:
                return f"{show(args[0])} is in the set {predicate[2:]}"
            return f"{predicate[2:]} is {show(args[0])}"
        name = predicate[2:]
        spec = self.fields.get(name)
        if name == "requested":
            return f"{args[0]} is requested"
        if spec is not None:
            if spec.kind == BOOL:
                return f"{spec.path} is true"
            if spec.kind == "records":
                cols = ", ".join(f"{k} {show(v)}" for (k, _), v in zip(spec.columns, args))
                return f"{spec.path} includes ({cols})"
            return f"{spec.path} is {show(args[0])}"
        return name + (f"({', '.join(show(a) for a in args)})" if args else "")

    # ---- proofs --------------------------------------------------------------------
    def prove_atom(self, atom: Atom, path: frozenset = frozenset()) -> TraceNode | None:
        """A proof of a ground atom that holds, or None if only cyclic ones exist.

        A proof from no enclosing one (`path` empty) is the same tree wherever
        it is asked for, so it is made once per request and shared: a policy in
        force is a held condition of every permission's why-not."""
        if not path:
            found = self._proved.get(atom, self)
            if found is self:
                found = self._proved[atom] = self._prove_atom(atom, path)
            return found
        return self._prove_atom(atom, path)

    def _prove_atom(self, atom: Atom, path: frozenset) -> TraceNode | None:
        args = tuple(a.value for a in atom.args)
        pred = atom.predicate
        key = (pred, args)
        if pred in self.program.by_head:
            if key in path:
                return None
            for rule_id in self.program.by_head[pred]:
                rule = self.program.rules[rule_id]
                env = unify(rule.head, args)
                if env is None:
                    continue
                for row in self._instances(rule_id, env):
                    node = self.prove_instance(rule_id, row, path | {key})
                    if node is not None:
                        return node
            return None
        return self.leaf(atom)

    def _instances(self, rule_id: str, env: dict) -> list[tuple]:
        """The rule's fired instances that agree with `env`, in the engine's order.

        The engine is asked once per rule for every instance (`fired_r` with
        all arguments free); filtering that sorted answer by the bound values
        gives exactly the rows, in the order, of asking with them bound.
        """
        rows = self._fired.get(rule_id)
        if rows is None:
            rows = self._fired[rule_id] = self._fired_rows(rule_id)
        bound = [(n, env[v]) for n, v in enumerate(self.program.rules[rule_id].variables) if v in env]
        return [row for row in rows if all(row[n] == value and type(row[n]) is type(value) for n, value in bound)]

    def _fired_rows(self, rule_id: str) -> list[tuple]:
        """The engine's rows of a rule's fired instances. A policy's in-force rule has one variable, the
        request's date, and fires exactly when the policy is in force by it: whether it fired is kept by the
        request's date class (`in_force`), and its one row is then this request's date."""
        rule = self.program.rules[rule_id]
        key = self._date_class() if rule.kind == "in_force" and len(rule.variables) == 1 else None
        if key is None:
            return self.session.ask(rule.fired)
        date = self._asserted[REQUEST_DATE][0][0]
        fired = self._in_force_by_class.get((rule_id, key))
        if fired is not None:
            return [(date,)] if fired else []
        rows = self.session.ask(rule.fired)
        if not rows or len(rows) == 1 and rows[0][0] == date and type(rows[0][0]) is type(date):
            self._in_force_by_class[(rule_id, key)] = bool(rows)
        return rows

    def prove_instance(self, rule_id: str, row: tuple, path: frozenset = frozenset()) -> TraceNode | None:
        rule = self.program.rules[rule_id]
        env = dict(zip(rule.variables, row))
        children = []
        for literal in rule.body:
            child = self.prove_literal(literal, env, path)
            if child is None:
                return None
            children.append(child)
        head_args = tuple(value_of(a, env) for a in rule.head.args)
        source = self.rb.source_rule(rule_id)
        conclusion = self.describe(rule.head.predicate, head_args)
        detail = ()
        if rule.kind == "value":           # a dated set's or value's period: say which one applied
            clause = self.rb.value_clause(rule_id)
            period = effect_text(clause.start, clause.end)
            conclusion += f" (its value {period})"
            source = clause.decl
            detail = period_detail(clause.decl, period, clause.value)
        elif rule.kind == "in_force":      # a policy, or a lineage through one version: named by its period
            lineage = (("lineage", head_args[0]),) if head_args[0] != rule.policy else ()
            detail = lineage + (("policy", rule.policy), ("period", period_words(self.rb.checked.policies[rule.policy])))
        return TraceNode(
            kind="rule", conclusion=conclusion,
            atom=(rule.head.predicate, head_args), rule=rule_id,
            statement=_statement(source) if source else self._policy_statement(rule.policy),
            bindings=tuple((v, env[v]) for v in rule.variables),
            citations=self.rb.rule_citations(rule_id), assumptions=self.rb.rule_assumptions(rule_id),
            location=self.rb.rule_location(rule_id), children=tuple(children), detail=detail)

    def not_in_force(self, name: str) -> str:
        """Why policy or lineage `name` is not in force on the date, in words: its period, or for a lineage
        its versions' periods and, on a day between two of them, that the provision is not in force then."""
        policy = self.rb.checked.policies.get(name)
        day = show(self.date)
        if policy is not None:
            return f"policy {name} is not in force on {day} ({period_words(policy)})"
        periods = "; ".join(f"{p.name} {period_words(p)}" for p in self.rb.checked.versions(name))
        gap = self.lineage_gap(name)
        if gap:
            return f"{gap} ({periods})"
        return f"no version of {name} is in force on {day} ({periods})"

    def lineage_gap(self, name: str) -> str | None:
        """On a day between two versions of lineage `name` (none in force, one before and one after):
        "lineage NAME is not in force on DAY: it falls between V1 (until D) and V2 (from D)"; else None."""
        versions = [p for p in self.rb.checked.versions(name) if p.period and not p.draft]
        ended = [p for p in versions if p.period.end and p.period.end < self.date]
        starts = [p for p in versions if p.period.start and p.period.start > self.date]
        if not ended or not starts or any(p.covers(self.date) for p in versions):
            return None
        before = max(ended, key=lambda p: p.period.end)
        after = min(starts, key=lambda p: p.period.start)
        return (f"lineage {name} is not in force on {show(self.date)}: it falls between {before.name} (until "
                f"{before.period.end}) and {after.name} (from {after.period.start}), when no version is in force")

    def duty_because(self, item, clause: str) -> tuple[str, ...]:
        """What held of `item` for a conditional obligation (its clause): each condition's words, as a trace
        says them (the item being requested goes without saying)."""
        proof = self.prove_atom(Atom(DUTY, (Const(item), Const(clause))))
        return tuple(c.conclusion for c in proof.children[1:]) if proof else ()

    def _policy_statement(self, policy_name: str | None) -> str | None:
        policy = self.rb.checked.policies.get(policy_name)
        return policy.title if policy else None

    def prove_literal(self, literal, env: dict, path: frozenset = frozenset()) -> TraceNode | None:
        if isinstance(literal, Atom):
            return self.prove_atom(ground(literal, env), path)
        if isinstance(literal, Not):
            return self.absence(ground(literal.atom, env))
        return self.comparison(literal, env)

    def leaf(self, atom: Atom, holds: bool = True) -> TraceNode:
        args = tuple(a.value for a in atom.args)
        pred = atom.predicate
        text = self.describe(pred, args)
        if pred == ASSUMED:
            name, reading = S.split_switch(args[0])          # an on/off switch, or NAME=READING
            decl = self.rb.checked.assumptions.get(name)
            if reading:
                return TraceNode("assumption", text if holds else f"assumption {name} is not read as {reading}",
                                 atom=(pred, args), holds=holds,
                                 detail=(("assumption", name), ("reading", reading), ("taken", holds),
                                         ("position", decl.position_when(reading) if decl else None)),
                                 location=self.rb.place(decl))
            return TraceNode("assumption", text if holds else f"assumption {args[0]} is off",
                             atom=(pred, args), holds=holds,
                             detail=(("assumption", args[0]), ("on", holds),
                                     ("position", decl.position_when(holds) if decl else None)),
                             location=self.rb.place(decl))
        if pred.startswith("s_"):
            decl = self.rb.checked.sets.get(pred[2:])
            return TraceNode("member", text if holds else f"{show(args[0])} is not in the set {pred[2:]}",
                             atom=(pred, args), holds=holds, location=self.rb.place(decl),
                             detail=(("set", pred[2:]), ("value", args[0])))
        if pred == DRAFT_ON:
            return TraceNode("assumption", text if holds else f"draft policy {args[0]} is not switched on",
                             atom=(pred, args), holds=holds, detail=(("draft", args[0]), ("on", holds)))
        return TraceNode("fact", text, atom=(pred, args), holds=holds,
                         location=self.origins.get((pred, args), "request"))

    def absence(self, atom: Atom) -> TraceNode:
        """A negation that holds: nothing in the request or the rules gives the atom."""
        args = tuple(a.value for a in atom.args)
        pred = atom.predicate
        if pred == ASSUMED or pred.startswith("s_") or pred == DRAFT_ON:
            return _as_absent(self.leaf(atom, holds=False))
        if pred == IN_FORCE:                              # a policy or lineage not in force: say when it is
            return TraceNode("absent", self.not_in_force(args[0]), atom=(pred, args), holds=True,
                             detail=(("negated", self.describe(pred, args)),))
        positive = self.describe(pred, args)
        derived = pred in self.program.by_head
        text = (f"nothing establishes that {positive}" if derived
                else f"the request does not say that {positive}")
        return TraceNode("absent", text, atom=(pred, args), holds=True,
                         detail=(("negated", positive),))

    def comparison(self, literal: Compare, env: dict, holds: bool | None = None) -> TraceNode:
        left, right = value_of(literal.left, env), value_of(literal.right, env)
        if holds is None:
            holds = compare_values(left, literal.op, right)
        op = _TEXT_OPS[literal.op]
        shown_left, shown_right = _named(literal.left, left), _named(literal.right, right)
        text = f"{shown_left} {op} {shown_right}" if holds else f"{shown_left} {op} {shown_right} does not hold"
        return TraceNode("comparison", text, holds=holds,
                         detail=(("left", left), ("op", op), ("right", right),
                                 ("expression", f"{_source_term(literal.left)} {op} {_source_term(literal.right)}")))


# ---- helpers ----------------------------------------------------------------------


def _statement(source) -> str | None:
    """A rule's statement, or a dated set's or value's description."""
    return source.statement if isinstance(source, S.Rule) else source.description


def _named(term, value) -> str:
    """A compared value as shown: a named value shows its name too (`notes_age (18)`)."""
    if isinstance(term, Var) and term.name.startswith(S.VALUE_VAR):
        return f"{term.name[len(S.VALUE_VAR):]} ({show(value)})"
    return show(value)


def _source_term(term) -> str:
    """A compared term as the author wrote it (a named value by its name)."""
    return term.name[len(S.VALUE_VAR):] if isinstance(term, Var) and term.name.startswith(S.VALUE_VAR) else str(term)


def _as_absent(node: TraceNode) -> TraceNode:
    """A leaf that failed, restated as the negation that holds."""
    from dataclasses import replace
    return replace(node, holds=True, kind="assumption" if node.kind == "assumption" else "absent")


def _rows_of(atoms) -> dict:
    """Predicate -> (its atoms' argument rows, those rows typed for exact lookup)."""
    found: dict = {}
    for atom in atoms:
        found.setdefault(atom.predicate, []).append(tuple(a.value for a in atom.args))
    return {p: (rows, {tuple((type(v), v) for v in row) for row in rows}) for p, rows in found.items()}



def _in_force_bounds(program) -> tuple | None:
    """The (operator, bound) comparisons of the request's date in the program's in-force rules, sorted; None
    when an in-force rule reads anything but the date, its comparisons and the drafts switched on."""
    bounds = set()
    for rule in program.rules.values():
        if rule.head.predicate != IN_FORCE:
            continue
        for literal in rule.body:
            if type(literal) is Atom and (literal.predicate == REQUEST_DATE or literal.predicate == DRAFT_ON):
                continue
            if type(literal) is Compare and type(literal.left) is Var and type(literal.right) is Const:
                bounds.add((literal.op, literal.right.value))
                continue
            return None
    return tuple(sorted(bounds, key=lambda b: (b[0], str(b[1]))))
