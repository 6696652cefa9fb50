"""Why not: for a permission that gave nothing for an item, its first failed condition.

Growing prefixes of the permission's compiled body are evaluated until one
has no answer (by bisection, after the leading conditions the request and
the engine's earlier answers already settle); that literal is the first
failed condition, shown with the values the request actually has. A mixin
of `prove.Prover`: it asks through the prover's session and builds its
nodes with the prover's words and proofs, so a why-not is the same
evaluation that made the decision. Nodes of one condition under the same
values are made once per request and shared between permissions.
"""
from __future__ import annotations

from warrant.pipeline import syntax as S
from warrant.pipeline.bindings import FREE, args_of, compare_values, ground, is_ground, \
    positive_vars, substitute, unify, variable_names
from warrant.pipeline.datalog import ASSUMED, DRAFT_ON, IN_FORCE, Atom, Compare, Const, Not, Var, fact_predicate
from warrant.pipeline.judgement import answered
from warrant.pipeline.syntax import effect_text, in_effect
from warrant.pipeline.trace import Attempt, TraceNode
from warrant.pipeline.values import BOOL, kind_of, show

MAX_WHY_NOT_DEPTH = 6    # definitions expanded inside one why-not (each shows its alternatives)
_COMPARE, _IN_FORCE, _DERIVED, _FACT = "compare", "in force", "derived", "fact"   # `_steps_of` kinds
FAILED, HELD = "failed", "held"     # the two nodes `_shared` makes of a condition
MAX_LASTING_NODES = 50_000   # why-not nodes shared between requests (`_shared`)
REQUESTED = fact_predicate("requested")


class WhyNot:
    """The why-not half of `prove.Prover` (see the module docstring)."""

    def attempt(self, rule_id: str, item: str) -> Attempt | None:
        """Why permission `rule_id` gave nothing for `item`; None when its policy is not in force and the
        rest of its body would not hold either (a refusal lists no such permission)."""
        rule = self.program.rules[rule_id]
        body = rule.body
        item_var = rule.head.args[0].name
        about = self._why_not_about.get(rule_id)
        if about is None:
            about = self._why_not_about[rule_id] = self._about(rule_id)
        in_force_index, rest, statement, citations = about
        in_force = in_force_index is None or body[in_force_index].args[0].value in self.in_force()
        if in_force and self.facts is not None:
            plan = self._static_plans.get((rule_id, item), self)
            if plan is self:
                plan = self._static_plans[(rule_id, item)] = self._static_plan(rule_id, item, in_force_index)
            if plan is not None:                   # fails on the program's own sets, whatever the request
                index, failed, held_key, env = plan
                held = self._held.get(held_key)
                if held is None:
                    held = self._held[held_key] = tuple(
                        n for n in (self._shared(HELD, l, env) for l in body[:index]) if n is not None)
                return Attempt(rule_id, statement, rule.policy, True, failed, held, False, citations, None)
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
                    f"on {show(self.date)} ({period_words(policy)})")
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

    def _static_plan(self, rule_id: str, item, gate: int | None) -> tuple | None:
        """Where a permission fails for `item` whatever the request, once per program: (the index of its first
        failed condition, that condition's node, the key of the nodes that held before it, the values bound),
        when every condition up to it is the item requested, the permission's own policy in force (the
        caller's case) or a static set or comparison the item alone settles. None otherwise: the request's
        facts decide where it fails (`_first_failure`).

        The item requested holds for every item a decision explains, and a static set's rows are the
        program's, so the failure found here is the one `_first_failure` finds for any request; the nodes
        that held are the request's own (the policy in force names its date), made once per request and
        shared between permissions with the same leading conditions (`_held`)."""
        rule = self.program.rules[rule_id]
        body, item_var = rule.body, rule.head.args[0].name
        env = {item_var: item}
        static_rows = self._static
        for index, (kind, negated, predicate, terms) in enumerate(self._steps_of(body)):
            if index == gate:
                continue
            if kind is _COMPARE:
                holds = _compared(terms, env)
            elif kind is not _FACT:
                return None
            elif predicate == REQUESTED and not negated and terms == ((False, item_var),):
                continue
            else:
                static = static_rows.get(predicate)
                if static is None:
                    return None
                args = _args(terms, env)
                holds = _matched(terms, args, negated, static[0], None if FREE in args else static[1], env)
            if holds is None:
                return None
            if not holds:
                numbers = tuple((self._names.get(id(l)) or self._number(l))[0] for l in body[:index])
                values = tuple((type(v), v) for v in env.values())
                return index, self._shared(FAILED, body[index], env), (numbers, tuple(env), values), env
        return None

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
            env = {item_var: item, **dict(zip(previous_vars, previous[0]))}
        else:                                # settled: its one answer for the item
            env = {item_var: item}
            for v in self._bound_before(body, low, item_var):
                env[v] = bound[v]
        failed = self._shared(FAILED, body[high - 1], env)
        held = tuple(n for n in (self._shared(HELD, l, env) for l in body[:high - 1]) if n is not None)
        return failed, held, env

    def _bound_before(self, body: tuple, length: int, item_var: str) -> tuple:
        """The variables `body[:length]` binds besides the item, in order (once per program)."""
        key = (id(body), length)
        found = self._bound_vars.get(key)
        if found is None or found[0] is not body:
            found = self._bound_vars[key] = (body, tuple(v for v in positive_vars(body[:length]) if v != item_var))
        return found[1]

    def _shared(self, what: str, literal, env: dict):
        """The node of a condition (`what`: FAILED, its failure shown with the request's values, or HELD, its
        proof) under the values `env` gives its variables, made once per request: permissions share
        conditions (the item requested, a flag the request lacks), and their why-nots the nodes."""
        known = self._names.get(id(literal)) or self._number(literal)
        key = (what, known[0], tuple(map(env.get, known[1])))
        found = self._nodes.get(key, self)
        if found is self:
            context = self._context(what, literal, env)
            if context is not None:         # the node is the same in any request with this context: share it
                context = (what, known[0], tuple((type(v), v) for v in map(env.get, known[1])), context)
            found = None if context is None else self._lasting.get(context)
            if found is None:
                found = self._failure_node(literal, env) if what is FAILED else self.prove_literal(literal, env)
                if context is not None:
                    self._lasting[context] = found
            self._nodes[key] = found
        return found

    def _context(self, what: str, literal, env: dict) -> tuple | None:
        """All a why-not's node of `literal` (`what`: FAILED or HELD) reads of the request besides its
        variables' values, where that is little: nothing for a comparison, a static set, an assumption or a
        draft (the program's); for a request fact held, where the request gives it; for one that failed,
        the request's rows of that fact and whether it states the field. None where the node reads more
        (a policy in force and a dated set read the date, a derived concept the whole request): that node is
        the request's own. Equal contexts make equal nodes, so `_shared` keeps one for every request."""
        if self.facts is None:
            return None
        negated = type(literal) is Not
        atom = literal.atom if negated else literal
        if type(atom) is Compare:
            return ()
        predicate = atom.predicate
        if predicate in self.program.by_head or predicate == IN_FORCE or predicate.startswith("v_"):
            return None
        if not predicate.startswith("u_"):
            return ()                                    # a static set, an assumption, a draft switched on
        if negated and what is HELD:
            return ()                                    # "the request does not say that ..."
        if what is HELD or negated:                      # the fact's proof: where the request gives it
            args = tuple(a.value if type(a) is Const else env.get(a.name, FREE) for a in atom.args)
            return None if FREE in args else (self.origins.get((predicate, args), "request"),)
        rows = self._asserted.get(predicate)
        spec = self.fields.get(predicate[2:])
        return (tuple(tuple((type(v), v) for v in row) for row in rows) if rows else None,
                answered(self.stated, spec.path) if spec is not None and spec.kind == BOOL and not rows else None)

    def _number(self, literal) -> tuple:
        """(number, variables) of one of the program's own literals (alive as long as it is): equal literals
        of different rules share one number."""
        numbers = self._numbers
        known = self._names[id(literal)] = (numbers.setdefault(literal, len(numbers)), variable_names(literal))
        return known

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
        The body is read through its `_steps`, worked out once per program.
        """
        env = {item_var: item}
        if self.facts is None:
            return 0, False, env
        static_rows, asserted = self._static, self._asserted
        for index, (kind, negated, predicate, terms) in enumerate(self._steps_of(body)):
            if kind is _COMPARE:
                holds = _compared(terms, env)
            elif kind is _IN_FORCE:
                is_const, policy = terms[0]
                policy = policy if is_const else env.get(policy, FREE)
                holds = None if policy is FREE else (policy in self.in_force()) != negated
            else:
                args = _args(terms, env)
                free = FREE in args
                static = static_rows.get(predicate)
                if kind is _DERIVED:
                    # a derived concept (a dated set on the date, say): the engine's rows of it, asked once per
                    # request with every argument free, looked up like the request's own facts
                    rows = self._derived_rows(predicate, len(terms))
                    keys = None if free else self._row_keys(("derived", predicate), rows)
                else:
                    rows = static[0] if static else asserted.get(predicate, ())
                    keys = None if free else static[1] if static is not None else self._row_keys(predicate, rows)
                holds = _matched(terms, args, negated, rows, keys, env)
            if holds is None:
                return index, False, env
            if not holds:
                return index, True, env
        return len(body), False, env

    def _derived_rows(self, predicate: str, arity: int) -> list:
        """The engine's rows of a derived predicate for this request, every argument free (one question)."""
        atom = self.program.memo(("open atom", predicate),
                                 lambda: Atom(predicate, tuple(Var(f"V{i}") for i in range(arity))))
        return self.session.ask(atom)

    def _row_keys(self, key, rows) -> frozenset | None:
        """`rows` (the request's of a fact, or the engine's of a derived concept: `key`) as `_settled_prefix`
        looks a bound row up (each value with its type: 1 is not True), made at its first lookup in this
        request; None where a row repeats (two matches leave the condition to the engine, as a scan finds
        them)."""
        found = self._row_sets.get(key, self)
        if found is self:
            found = frozenset(tuple((type(v), v) for v in row) for row in rows)
            found = self._row_sets[key] = found if len(found) == len(rows) else None
        return found

    def _steps_of(self, body: tuple) -> tuple:
        """A body's conditions as `_settled_prefix` reads them, once per program: (kind, negated, predicate,
        ((is a constant, its value or the variable's name), ...)). Keyed by the body's
        identity; the bodies are the program's own (its rules', or `_about`'s), alive as long as it is."""
        steps = self._settle_steps
        found = steps.get(id(body))
        if found is not None and found[0] is body:
            return found[1]
        out = []
        for literal in body:
            negated = type(literal) is Not
            atom = literal.atom if negated else literal
            if type(atom) is Compare:
                out.append((_COMPARE, negated, None, (_term(atom.left), atom.op, _term(atom.right))))
                continue
            terms = tuple(map(_term, atom.args))
            kind = _IN_FORCE if atom.predicate == IN_FORCE else _DERIVED if atom.predicate in self.program.by_head \
                else _FACT
            out.append((kind, negated, atom.predicate, terms))
        steps[id(body)] = (body, tuple(out))
        return tuple(out)

    def _define_failure(self, rule_id: str, atom: Atom, depth: int) -> TraceNode | None:
        """Why one definition of a derived concept gave nothing: its first failed condition."""
        rule = self.program.rules[rule_id]
        # Only the atom's known arguments are bound; an argument the failed
        # condition left open ("any") stays a variable of the definition.
        known = tuple((i, a.value) for i, a in enumerate(atom.args) if isinstance(a, Const))
        env = unify(Atom(rule.head.predicate, tuple(rule.head.args[i] for i, _ in known)),
                     tuple(v for _, v in known))
        if env is None:
            return None
        fixed = tuple(substitute(l, env) for l in rule.body)
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
            atom = ground(literal.atom, env)
            proof = self.prove_atom(atom) if is_ground(atom) else None
            text = self.describe(atom.predicate, tuple(a.value for a in atom.args)) if is_ground(atom) else str(atom)
            return TraceNode("absent", f"required not: {text}", atom=(atom.predicate, args_of(atom)), holds=False,
                             children=(proof,) if proof else (), detail=(("negated", text),))
        atom = ground(literal, env)
        actual = self._actual_values(atom)
        pred = atom.predicate
        if pred == IN_FORCE:
            policy = self.rb.checked.policies.get(atom.args[0].value)
            if policy is None:                            # a lineage: none of its versions is in force
                return TraceNode("fact", self.not_in_force(atom.args[0].value), atom=(pred, args_of(atom)),
                                 holds=False)
            return TraceNode("fact", f"policy {policy.name} is not in force on {show(self.date)} ({period_words(policy)})",
                             atom=(pred, args_of(atom)), holds=False, location=self.rb.place(policy))
        if pred == ASSUMED or pred.startswith("s_") or pred == DRAFT_ON:
            if is_ground(atom):
                return self.leaf(atom, holds=False)
        if pred.startswith("v_"):
            return self._no_value(atom)
        text = self._pattern_text(atom)
        if pred in self.program.by_head:
            message = f"nothing establishes that {text}"
            if depth < MAX_WHY_NOT_DEPTH:
                reasons = tuple(n for n in (self._define_failure(rule_id, atom, depth + 1)
                                            for rule_id in self.program.by_head[pred]) if n is not None)
                return TraceNode("fact", message, atom=(pred, args_of(atom)), holds=False, children=reasons)
        else:
            message = f"the request does not say that {text}"
        if actual:
            message += "; it says " + "; ".join(actual)
        return TraceNode("fact", message, atom=(pred, args_of(atom)), holds=False,
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
                detail = period_detail(decl, effect_text(start, end), member)
                citations = tuple(self.rb.cite(c) for c in period.cites)
            else:
                text = f"the set {name} has no value on {show(self.date)} ({periods_text(decl)})"
        else:
            text = f"{name} has no value on {show(self.date)} ({periods_text(decl)})"
        return TraceNode("member" if isinstance(decl, S.SetDecl) else "fact", text, atom=(atom.predicate, args_of(atom)),
                         holds=False, location=self.rb.place(applies[0][0] if applies else decl),
                         citations=citations, detail=detail)

    def _pattern_text(self, atom: Atom) -> str:
        if is_ground(atom):
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


def _args(terms: tuple, env: dict) -> tuple:
    """A step's arguments under `env`: each constant's value, a bound variable's value, or FREE."""
    return tuple(value if is_const else env.get(value, FREE) for is_const, value in terms)


def _compared(terms: tuple, env: dict) -> bool | None:
    """Whether a comparison step holds under `env`; None when a side is unbound or the kinds differ (the
    engine's to answer)."""
    (left_const, left), op, (right_const, right) = terms
    left = left if left_const else env.get(left, FREE)
    right = right if right_const else env.get(right, FREE)
    if left is FREE or right is FREE or kind_of(left) != kind_of(right):
        return None
    return compare_values(left, op, right)


def _matched(terms: tuple, args: tuple, negated: bool, rows, keys, env: dict) -> bool | None:
    """Whether a fact step holds of `rows` (looked up in `keys` when every value is bound), binding its free
    variables into `env` when it holds; None when the rows alone cannot settle it: a negation with a free
    value, or more than one matching row (the engine's to answer, as a scan finds them)."""
    free = FREE in args
    if keys is not None:                     # every value bound: one lookup
        matches = [args] if tuple((type(v), v) for v in args) in keys else []
    else:
        matches = [row for row in rows if all(a is FREE or a == v and type(a) is type(v) for a, v in zip(args, row))]
    if negated and free or len(matches) > 1:
        return None
    holds = bool(matches) != negated
    if holds and not negated and free:
        found = {}
        for (_, name), a, v in zip(terms, args, matches[0]):
            if a is FREE and found.setdefault(name, v) != v:
                return False                 # a variable repeated with two values
        env.update(found)
    return holds


def _term(term) -> tuple:
    """(is a constant, its value or the variable's name): a term as `_steps_of` keeps it."""
    return (True, term.value) if type(term) is Const else (False, term.name)


# ---- words about periods (the prover's proofs use them too) ---------------------------------------


def period_words(policy) -> str:
    period = policy.period
    if period is None or (period.start is None and period.end is None):
        return "no end date"
    start = f"from {period.start}" if period.start else "from the start"
    end = f"until {period.end} inclusive" if period.end else "with no end date"
    return f"{start} {end}"


def period_detail(decl, period: str, value) -> tuple:
    """A dated set's member (or a named value) in one period, as trace data (see `trace.dated_period`)."""
    if isinstance(decl, S.SetDecl):
        return (("set", decl.name),) + ((("member", value),) if value is not None else ()) + (("period", period),)
    return (("value", decl.name), ("period", period))


def periods_text(decl) -> str:
    return "; ".join(f"{effect_text(start, end)}: {S.period_value_text(decl, period)}"
                     for period, start, end in in_effect(decl.periods))
