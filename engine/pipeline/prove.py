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
from warrant.pipeline.datalog import ASSUMED, DRAFT_ON, DUTY, FORBID, IN_FORCE, PERMIT, Atom, Compare, Const, Not, Var
from warrant.pipeline.evaluate import Session
from warrant.pipeline.judgement import answered
from warrant.pipeline.unfold import terms
from warrant.pipeline.syntax import effect_text, in_effect
from warrant.pipeline.trace import Attempt, TraceNode
from warrant.pipeline.values import show
from warrant.pipeline.values import BOOL, kind_of

MAX_WHY_NOT_DEPTH = 6    # definitions expanded inside one why-not (each shows its alternatives)

_TEXT_OPS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_NEGATED_OPS = {"==": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


class Prover:
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
        self._static = rulebase.program.memo("static rows", lambda: _rows_of(rulebase.program.set_facts))

    def in_force(self) -> frozenset:
        """The policies the engine finds in force for this request (one question for all of them)."""
        if self._in_force is None:
            self._in_force = frozenset(row[0] for row in self.session.ask(Atom(IN_FORCE, (Var("P"),))))
        return self._in_force

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
                through = f" through {versions[0].name} ({_period(versions[0])})" if versions else ""
                return f"a version of {args[0]} is in force on {show(self.date)}{through}"
            return f"policy {args[0]} is in force on {show(self.date)} ({_period(policy)})"
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
                env = _unify(rule.head, args)
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
            rows = self._fired[rule_id] = self.session.ask(self.program.rules[rule_id].fired)
        bound = [(n, env[v]) for n, v in enumerate(self.program.rules[rule_id].variables) if v in env]
        return [row for row in rows if all(row[n] == value and type(row[n]) is type(value) for n, value in bound)]

    def prove_instance(self, rule_id: str, row: tuple, path: frozenset = frozenset()) -> TraceNode | None:
        rule = self.program.rules[rule_id]
        env = dict(zip(rule.variables, row))
        children = []
        for literal in rule.body:
            child = self.prove_literal(literal, env, path)
            if child is None:
                return None
            children.append(child)
        head_args = tuple(_value(a, env) for a in rule.head.args)
        source = self.rb.source_rule(rule_id)
        conclusion = self.describe(rule.head.predicate, head_args)
        detail = ()
        if rule.kind == "value":           # a dated set's or value's period: say which one applied
            clause = self.rb.value_clause(rule_id)
            period = effect_text(clause.start, clause.end)
            conclusion += f" (its value {period})"
            source = clause.decl
            detail = _period_detail(clause.decl, period, clause.value)
        elif rule.kind == "in_force":      # a policy, or a lineage through one version: named by its period
            lineage = (("lineage", head_args[0]),) if head_args[0] != rule.policy else ()
            detail = lineage + (("policy", rule.policy), ("period", _period(self.rb.checked.policies[rule.policy])))
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
            return f"policy {name} is not in force on {day} ({_period(policy)})"
        periods = "; ".join(f"{p.name} {_period(p)}" for p in self.rb.checked.versions(name))
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
            return self.prove_atom(_ground(literal, env), path)
        if isinstance(literal, Not):
            return self.absence(_ground(literal.atom, env))
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
        left, right = _value(literal.left, env), _value(literal.right, env)
        if holds is None:
            holds = _compare(left, literal.op, right)
        op = _TEXT_OPS[literal.op]
        shown_left, shown_right = _named(literal.left, left), _named(literal.right, right)
        text = f"{shown_left} {op} {shown_right}" if holds else f"{shown_left} {op} {shown_right} does not hold"
        return TraceNode("comparison", text, holds=holds,
                         detail=(("left", left), ("op", op), ("right", right),
                                 ("expression", f"{_source_term(literal.left)} {op} {_source_term(literal.right)}")))

    # ---- why not -------------------------------------------------------------------
    def attempt(self, rule_id: str, item: str) -> Attempt | None:
        """Why permission `rule_id` gave nothing for `item`; None when its policy is not in force and the
        rest of its body would not hold either (a refusal lists no such permission)."""
        rule = self.program.rules[rule_id]
        body = rule.body
        item_var = rule.head.args[0].name
        in_force_index, rest, statement, citations = self.program.memo(("why-not", rule_id),
                                                                       lambda: self._about(rule_id))
        in_force = in_force_index is None or body[in_force_index].args[0].value in self.in_force()
        would_apply = False
        if not in_force:
            known, fails, _ = self._settled_prefix(rest, item_var, item)
            would_apply = False if fails else known == len(rest) or \
                bool(self._for_item(("rest", rule_id), rest, item_var, item)[0])
            if not would_apply:
                return None
        failed, held, bindings = self._first_failure(rule_id, item)
        note = None
        if not in_force:
            policy = self.rb.checked.policies[rule.policy]
            note = (f"policy {policy.name} is {'a draft, not switched on' if policy.draft else 'not in force'} "
                    f"on {show(self.date)} ({_period(policy)})")
            gap = self.lineage_gap(policy.family) if policy.family and not policy.draft else None
            if gap:
                note += f"; {gap}"
        return Attempt(rule_id, statement, rule.policy, in_force, failed, held, would_apply, citations, note)

    def _about(self, rule_id: str) -> tuple:
        """What a permission's why-not reads of it whatever the request (once per program): the index of its
        policy's gate, its body without the gate, its statement and its citations."""
        rule = self.program.rules[rule_id]
        body = rule.body
        gate = next((i for i, l in enumerate(body) if isinstance(l, Atom) and l.predicate == IN_FORCE
                     and rule.policy and l.args[0].value == rule.policy), None)
        source = self.rb.source_rule(rule_id)
        return (gate, tuple(l for i, l in enumerate(body) if i != gate), source.statement if source else "",
                self.rb.rule_citations(rule_id))

    def _for_item(self, key, body: tuple, item_var: str, item) -> tuple[list, list[str]]:
        """(answers, variables) of `body` with `item_var` = `item`, from one question for every item.

        The conjunction is asked once with the item free; its sorted rows,
        filtered to the item and without the item's column, are the rows (in
        the order) of asking it with the item bound.
        """
        found = self._prefixes.get(key)
        if found is None:
            variables = positive_vars(body)
            rows = self.session.ask_body(body, variables) if body else [()]
            if item_var in variables:
                at = variables.index(item_var)
                groups: dict = {}
                for row in rows:
                    groups.setdefault((type(row[at]), row[at]), []).append(row[:at] + row[at + 1:])
                found = (variables[:at] + variables[at + 1:], groups, None)
            else:
                found = (variables, None, rows)
            self._prefixes[key] = found
        variables, groups, rows = found
        return (rows if groups is None else groups.get((type(item), item), [])), variables

    def _first_failure(self, rule_id: str, item: str):
        """Evaluate growing prefixes of the rule's body; the first with no answer names the failure."""
        rule = self.program.rules[rule_id]
        body, item_var = rule.body, rule.head.args[0].name

        def answers(length: int):
            return self._for_item((rule_id, length), body[:length], item_var, item)

        # A prefix with no answer makes every longer one answerless, so the first
        # failing prefix is found by bisection: O(log n) engine queries, not O(n).
        # Whether the whole body has an answer is the engine's answer about the
        # permission itself, when the caller has it (`permitted`).
        if self.permitted is not None:
            if (item, rule_id) in self.permitted:
                return None, (), {item_var: item}
        elif answers(len(body))[0]:
            return None, (), {item_var: item}
        # The leading conditions that are the request's own facts, static sets, policies in force or tests of
        # the item are settled without the engine (`_settled_prefix`); the search goes on from there.
        known, fails, bound = self._settled_prefix(body, item_var, item)
        low, high = known, known + 1 if fails else len(body)   # prefix `low` has answers, `high` has none
        while high - low > 1:
            middle = (low + high) // 2
            if answers(middle)[0]:
                low = middle
            else:
                high = middle
        if low > known:
            previous, previous_vars = answers(low)
        else:                                # settled: its one answer for the item
            previous_vars = [v for v in positive_vars(body[:low]) if v != item_var]
            previous = [tuple(bound[v] for v in previous_vars)]
        env = {item_var: item, **dict(zip(previous_vars, previous[0]))}
        failed = self._shared(("failed", body[high - 1]), env, lambda: self._failure_node(body[high - 1], env))
        held = tuple(n for n in (self._shared(("held", l), env, lambda l=l: self.prove_literal(l, env))
                                 for l in body[:high - 1]) if n is not None)
        return failed, held, env

    def _shared(self, key: tuple, env: dict, make):
        """`make()`'s node for a condition (`key`: what is made of which literal) under the values `env`
        gives its variables, made once per request: permissions share conditions (the item requested, a
        flag the request lacks), and their why-nots the nodes."""
        literal = key[1]
        known = self._names.get(id(literal))      # the program's own literals: alive as long as it is
        if known is None:                         # equal literals of different rules share one number
            numbers = self._numbers
            known = self._names[id(literal)] = (numbers.setdefault(literal, len(numbers)), _names(literal))
        found_key = (key[0], known[0], tuple(env.get(n) for n in known[1]))
        found = self._nodes.get(found_key, self)
        if found is self:
            found = self._nodes[found_key] = make()
        return found

    def _settled_prefix(self, body: tuple, item_var: str, item) -> tuple[int, bool, dict]:
        """(how many leading conditions of `body` hold for `item`, whether the next one is known to fail, the
        values those conditions bind), from what the request asserted and the engine has already answered,
        without a new question.

        A condition is settled here when it is a request fact or static set
        membership that at most one asserted atom matches (it binds that
        atom's values; with none it fails), the negation of one with every
        value bound, a policy in force (the engine's answer, `in_force`), or
        a comparison of two bound values of one kind. The first condition
        that is none of these ends the scan undecided, and the engine
        answers from there. The bindings are then the one answer the
        conditions so far have for the item, as the engine would give it.
        """
        env = {item_var: item}
        if self.facts is None:
            return 0, False, env
        by_head, static_rows, asserted = self.program.by_head, self._static, self._asserted
        for index, literal in enumerate(body):
            negated = type(literal) is Not
            atom = literal.atom if negated else literal
            if type(atom) is Compare:
                left, right = _bound(atom.left, env), _bound(atom.right, env)
                if left is _FREE or right is _FREE or kind_of(left) != kind_of(right):
                    return index, False, env
                holds = _compare(left, atom.op, right)
            elif atom.predicate == IN_FORCE:
                policy = _bound(atom.args[0], env)
                if policy is _FREE:
                    return index, False, env
                holds = (policy in self.in_force()) != negated
            elif atom.predicate in by_head:
                return index, False, env
            else:
                args = tuple(_bound(a, env) for a in atom.args)
                free = _FREE in args
                static = static_rows.get(atom.predicate)
                if static is not None and not free:      # a static set's membership: one lookup
                    matches = [args] if tuple((type(v), v) for v in args) in static[1] else []
                else:
                    matches = [row for row in (static[0] if static else asserted.get(atom.predicate, ()))
                               if all(a is _FREE or a == v and type(a) is type(v) for a, v in zip(args, row))]
                if negated and free or len(matches) > 1:
                    return index, False, env
                holds = bool(matches) != negated
                if holds and not negated:
                    found = {}
                    for term, a, v in zip(atom.args, args, matches[0]):
                        if a is _FREE and found.setdefault(term.name, v) != v:
                            holds = False            # a variable repeated with two values
                    env.update(found)
            if not holds:
                return index, True, env
        return len(body), False, env

    def _define_failure(self, rule_id: str, atom: Atom, depth: int) -> TraceNode | None:
        """Why one definition of a derived concept gave nothing: its first failed condition."""
        rule = self.program.rules[rule_id]
        # Only the atom's known arguments are bound; an argument the failed
        # condition left open ("any") stays a variable of the definition.
        known = tuple((i, a.value) for i, a in enumerate(atom.args) if isinstance(a, Const))
        env = _unify(Atom(rule.head.predicate, tuple(rule.head.args[i] for i, _ in known)),
                     tuple(v for _, v in known))
        if env is None:
            return None
        fixed = tuple(_substitute(l, env) for l in rule.body)
        previous, previous_vars = [()], []
        for index in range(1, len(fixed) + 1):
            variables = positive_vars(fixed[:index])
            rows = self.session.ask_body(fixed[:index], variables)
            if not rows:
                local = {**env, **dict(zip(previous_vars, previous[0]))}
                failed = self._failure_node(rule.body[index - 1], local, depth)
                source = self.rb.source_rule(rule_id)
                return TraceNode("rule", f"{rule_id} does not apply: {failed.conclusion}", rule=rule_id,
                                 statement=source.statement if source else None, holds=False,
                                 citations=self.rb.rule_citations(rule_id),
                                 location=self.rb.rule_location(rule_id), children=(failed,),
                                 failed_at=index - 1)
            previous, previous_vars = rows, variables
        return None

    def _failure_node(self, literal, env: dict, depth: int = 0) -> TraceNode:
        if isinstance(literal, Compare):
            return self.comparison(literal, env, holds=False)
        if isinstance(literal, Not):
            atom = _ground(literal.atom, env)
            proof = self.prove_atom(atom) if _is_ground(atom) else None
            text = self.describe(atom.predicate, tuple(a.value for a in atom.args)) if _is_ground(atom) else str(atom)
            return TraceNode("absent", f"required not: {text}", atom=(atom.predicate, _args(atom)), holds=False,
                             children=(proof,) if proof else (), detail=(("negated", text),))
        atom = _ground(literal, env)
        actual = self._actual_values(atom)
        pred = atom.predicate
        if pred == IN_FORCE:
            policy = self.rb.checked.policies.get(atom.args[0].value)
            if policy is None:                            # a lineage: none of its versions is in force
                return TraceNode("fact", self.not_in_force(atom.args[0].value), atom=(pred, _args(atom)),
                                 holds=False)
            return TraceNode("fact", f"policy {policy.name} is not in force on {show(self.date)} ({_period(policy)})",
                             atom=(pred, _args(atom)), holds=False, location=self.rb.place(policy))
        if pred == ASSUMED or pred.startswith("s_") or pred == DRAFT_ON:
            if _is_ground(atom):
                return self.leaf(atom, holds=False)
        if pred.startswith("v_"):
            return self._no_value(atom)
        text = self._pattern_text(atom)
        if pred in self.program.by_head:
            message = f"nothing establishes that {text}"
            if depth < MAX_WHY_NOT_DEPTH:
                reasons = tuple(n for n in (self._define_failure(rule_id, atom, depth + 1)
                                            for rule_id in self.program.by_head[pred]) if n is not None)
                return TraceNode("fact", message, atom=(pred, _args(atom)), holds=False, children=reasons)
        else:
            message = f"the request does not say that {text}"
        if actual:
            message += "; it says " + "; ".join(actual)
        return TraceNode("fact", message, atom=(pred, _args(atom)), holds=False,
                         detail=(("actual", tuple(actual)),))

    def _no_value(self, atom: Atom) -> TraceNode:
        """A dated set that does not hold the value on the date, or a named value with none on it."""
        name = atom.predicate[2:]
        decl = self.rb.checked.sets.get(name) or self.rb.checked.values.get(name)
        applies = [(p, start, end) for p, start, end in in_effect(decl.periods) if S.covers(start, end, self.date)]
        detail, citations = (), ()
        if isinstance(decl, S.SetDecl):
            value = show(atom.args[0].value) if isinstance(atom.args[0], Const) else "the value"
            if applies:              # the period that applied, cited: a member that left the set says why
                period, start, end = applies[0]
                text = (f"{value} is not in the set {name} on {show(self.date)} (its value "
                        f"{effect_text(start, end)}: {', '.join(period.value) or 'empty'})")
                member = atom.args[0].value if isinstance(atom.args[0], Const) else None
                detail = _period_detail(decl, effect_text(start, end), member)
                citations = tuple(self.rb.cite(c) for c in period.cites)
            else:
                text = f"the set {name} has no value on {show(self.date)} ({_periods_text(decl)})"
        else:
            text = f"{name} has no value on {show(self.date)} ({_periods_text(decl)})"
        return TraceNode("member" if isinstance(decl, S.SetDecl) else "fact", text, atom=(atom.predicate, _args(atom)),
                         holds=False, location=self.rb.place(applies[0][0] if applies else decl),
                         citations=citations, detail=detail)

    def _pattern_text(self, atom: Atom) -> str:
        if _is_ground(atom):
            return self.describe(atom.predicate, tuple(a.value for a in atom.args))
        spec = self.fields.get(atom.predicate[2:])
        shown = [show(a.value) if isinstance(a, Const) else "any" for a in atom.args]
        if spec is not None and spec.kind == "records":
            return f"{spec.path} includes ({', '.join(f'{k} {v}' for (k, _), v in zip(spec.columns, shown))})"
        if spec is not None:
            return f"{spec.path} is {shown[0]}" if shown else spec.path
        return f"{atom.predicate[2:]}({', '.join(shown)})"

    def _actual_values(self, atom: Atom) -> list[str]:
        """What the request does say about a fact predicate that failed."""
        name = atom.predicate[2:]
        if not atom.predicate.startswith("u_") or (name not in self.fields and name != "requested"):
            return []
        if name == "requested":
            return []
        rows = self.session.ask(Atom(atom.predicate, tuple(Var(f"V{i}") for i in range(len(atom.args)))))
        if not rows:
            spec = self.fields[name]
            if spec.kind == BOOL and answered(self.stated, spec.path):
                return [f"{spec.path} is false"]
            return [f"nothing about {spec.path}"]
        return [self.describe(atom.predicate, row) for row in rows[:5]]


# ---- helpers ----------------------------------------------------------------------


def _statement(source) -> str | None:
    """A rule's statement, or a dated set's or value's description."""
    return source.statement if isinstance(source, S.Rule) else source.description


def _period_detail(decl, period: str, value) -> tuple:
    """A dated set's member (or a named value) in one period, as trace data (see `trace.dated_period`)."""
    if isinstance(decl, S.SetDecl):
        return (("set", decl.name),) + ((("member", value),) if value is not None else ()) + (("period", period),)
    return (("value", decl.name), ("period", period))


def _named(term, value) -> str:
    """A compared value as shown: a named value shows its name too (`notes_age (18)`)."""
    if isinstance(term, Var) and term.name.startswith(S.VALUE_VAR):
        return f"{term.name[len(S.VALUE_VAR):]} ({show(value)})"
    return show(value)


def _source_term(term) -> str:
    """A compared term as the author wrote it (a named value by its name)."""
    return term.name[len(S.VALUE_VAR):] if isinstance(term, Var) and term.name.startswith(S.VALUE_VAR) else str(term)


def _periods_text(decl) -> str:
    return "; ".join(f"{effect_text(start, end)}: {S.period_value_text(decl, period)}"
                     for period, start, end in in_effect(decl.periods))


def _as_absent(node: TraceNode) -> TraceNode:
    """A leaf that failed, restated as the negation that holds."""
    from dataclasses import replace
    return replace(node, holds=True, kind="assumption" if node.kind == "assumption" else "absent")


def _period(policy) -> str:
    period = policy.period
    if period is None or (period.start is None and period.end is None):
        return "no end date"
    start = f"from {period.start}" if period.start else "from the start"
    end = f"until {period.end} inclusive" if period.end else "with no end date"
    return f"{start} {end}"


def _unify(head: Atom, args: tuple):
    env = {}
    for term, value in zip(head.args, args):
        if isinstance(term, Const):
            if term.value != value or type(term.value) is not type(value):
                return None
        elif term.name in env and env[term.name] != value:
            return None
        else:
            env[term.name] = value
    return env


def _value(term, env):
    return term.value if isinstance(term, Const) else env[term.name]


def _ground(atom: Atom, env: dict) -> Atom:
    return Atom(atom.predicate, tuple(Const(_value(a, env)) if isinstance(a, Const) or a.name in env else a
                                      for a in atom.args))



def _is_ground(atom: Atom) -> bool:
    return all(isinstance(a, Const) for a in atom.args)


def _args(atom: Atom) -> tuple:
    return tuple(a.value if isinstance(a, Const) else None for a in atom.args)


def _substitute(literal, env: dict):
    if isinstance(literal, Atom):
        return _ground(literal, env)
    if isinstance(literal, Not):
        return Not(_ground(literal.atom, env))
    left = Const(env[literal.left.name]) if isinstance(literal.left, Var) and literal.left.name in env else literal.left
    right = Const(env[literal.right.name]) if isinstance(literal.right, Var) and literal.right.name in env else literal.right
    return Compare(left, literal.op, right)


def _rows_of(atoms) -> dict:
    """Predicate -> (its atoms' argument rows, those rows typed for exact lookup)."""
    found: dict = {}
    for atom in atoms:
        found.setdefault(atom.predicate, []).append(tuple(a.value for a in atom.args))
    return {p: (rows, {tuple((type(v), v) for v in row) for row in rows}) for p, rows in found.items()}


def _names(literal) -> tuple:
    """The variables of a literal, in order."""
    return tuple(dict.fromkeys(t.name for t in terms(literal) if isinstance(t, Var)))


_FREE = object()     # `_bound`: a variable with no value yet


def _bound(term, env: dict):
    """A term's value: a constant's, or a variable's in `env`; `_FREE` for an unbound variable."""
    if type(term) is Const:
        return term.value
    return env.get(term.name, _FREE)


def positive_vars(body) -> list[str]:
    seen: list[str] = []
    for literal in body:
        if isinstance(literal, Atom):
            for a in literal.args:
                if isinstance(a, Var) and a.name not in seen:
                    seen.append(a.name)
    return seen


def _compare(left, op: str, right) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right
