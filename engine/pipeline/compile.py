"""Compile stage: checked AST -> `datalog.Program`.

In: a `check.Checked` with no errors. Out: a Program whose rules keep their
source ids. Bodies are put in an order pyDatalog evaluates correctly (it
checks none of this itself): positive atoms in the author's order (atoms of
the rule's own recursive component first, so recursion is left recursion),
each comparison and negation as soon as all its variables are bound.
Permit and forbid rules get `requested(Item)` and, inside a policy, the
policy's `in force` condition in front. Raises nothing the checker let by.
"""
from __future__ import annotations

from dataclasses import dataclass

from warrant.pipeline import syntax as S
from warrant.pipeline.check import Checked
from warrant.pipeline.datalog import (ASSUMED, DRAFT_ON, DUTY, FORBID, IN_FORCE, PERMIT, Atom, Compare, CompiledRule,
                      Const, Not, Program, Var, duty_id, fact_predicate, fired_predicate, set_predicate, value_predicate)

_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _term(term: S.Term):
    return Var(term.name) if isinstance(term, S.Variable) else Const(term.value)


def _atom(atom: S.Atom) -> Atom:
    return Atom(fact_predicate(atom.predicate), tuple(_term(a) for a in atom.args))


def compile_condition(cond: S.Condition):
    """One source condition -> one engine literal (dispatch by class name)."""
    return _COMPILERS[type(cond).__name__](cond)


def compile_positive(cond: S.Positive):
    return _atom(cond.atom)


def compile_negative(cond: S.Negative):
    return Not(_atom(cond.atom))


def compile_comparison(cond: S.Comparison):
    return Compare(_term(cond.left), _OPS[cond.op], _term(cond.right))


def compile_member(cond: S.Member):
    atom = Atom((value_predicate if cond.dated else set_predicate)(cond.set_name), (_term(cond.term),))
    return Not(atom) if cond.negated else atom


def compile_value_of(cond: S.ValueOf):
    return Atom(value_predicate(cond.name), (Var(cond.var.name),))


def compile_assuming(cond: S.Assuming):
    atom = Atom(ASSUMED, (Const(cond.switch),))
    return Not(atom) if cond.negated else atom


def compile_in_force(cond: S.InForce):
    """`in force(NAME)`: the engine's in-force fact of a policy, or of a lineage (`_compile_lineages`)."""
    atom = Atom(IN_FORCE, (Const(cond.name),))
    return Not(atom) if cond.negated else atom


_COMPILERS = {"Positive": compile_positive, "Negative": compile_negative, "Comparison": compile_comparison,
              "Member": compile_member, "Assuming": compile_assuming, "InForce": compile_in_force,
              "ValueOf": compile_value_of}


def _vars(literal) -> list[str]:
    if isinstance(literal, Not):
        literal = literal.atom
    if isinstance(literal, Atom):
        return [a.name for a in literal.args if isinstance(a, Var)]
    return [t.name for t in (literal.left, literal.right) if isinstance(t, Var)]


def order_body(literals: list, recursive_preds: set[str]) -> tuple[tuple, tuple[int, ...]]:
    """Evaluation order: see the module docstring. Returns (body, original indexes)."""
    indexed = list(enumerate(literals))
    positives = [(i, l) for i, l in indexed if isinstance(l, Atom)]
    positives.sort(key=lambda p: (0 if p[1].predicate in recursive_preds else 1, p[0]))
    waiting = [(i, l) for i, l in indexed if not isinstance(l, Atom)]
    bound: set[str] = set()
    ordered: list[tuple[int, object]] = []

    def release():
        for entry in list(waiting):
            if set(_vars(entry[1])) <= bound:
                ordered.append(entry)
                waiting.remove(entry)

    release()
    for entry in positives:
        ordered.append(entry)
        bound.update(_vars(entry[1]))
        release()
    ordered.extend(waiting)  # unsafe leftovers are rejected by the checker
    return tuple(l for _, l in ordered), tuple(i for i, _ in ordered)


def compile_rulebase(checked: Checked) -> Program:
    program = Program(vocabulary=checked.vocabulary)
    for name, decl in sorted(checked.sets.items()):
        for member in decl.members:
            program.set_facts.append(Atom(set_predicate(name), (Const(member),)))
    for clause in value_clauses(checked):
        program.rules[clause.rule_id] = clause.compiled()
    recursive = _recursive_predicates(checked)
    for policy in sorted(checked.policies.values(), key=lambda p: p.name):
        _compile_in_force(program, policy)
    _compile_lineages(program, checked)
    for rule_id in sorted(checked.rules):
        _compile_rule(program, checked.rules[rule_id], recursive)
        _compile_duties(program, checked.rules[rule_id])
    # declare every predicate the engine may be asked about, so a negation of
    # something with no facts is simply false (pyDatalog raises otherwise)
    for spec in checked.vocabulary.fields:
        program.predicates[fact_predicate(spec.predicate)] = spec.arity
    program.predicates[fact_predicate("requested")] = 1
    for name, decl in checked.sets.items():
        program.predicates[(value_predicate if decl.dated else set_predicate)(name)] = 1
    for name in checked.values:
        program.predicates[value_predicate(name)] = 1
    for name, kinds in checked.derived.items():
        program.predicates[fact_predicate(name)] = len(kinds)
    for pred, arity in ((PERMIT, 2), (FORBID, 2), (IN_FORCE, 1), (ASSUMED, 1), (DRAFT_ON, 1), (DUTY, 2)):
        program.predicates[pred] = arity
    for rule in program.rules.values():
        program.predicates[fired_predicate(rule.id)] = len(rule.variables)
        program.by_head.setdefault(rule.head.predicate, []).append(rule.id)
    return program


@dataclass(frozen=True)
class ValueClause:
    """One member of a dated set, or one value of a named value, in one period: a clause guarded by the date.

    `NAME__from_1998_09_30__MEMBER` (a set's member) or `NAME__from_2018_05_25`
    (a value): `v_NAME(VALUE) <= request_date(Date) & Date >= start & Date <= end`.
    The prover, the proof checker and the exact analysis read these clauses as
    they read any rule, so a dated value is followed wherever a rule is.
    """

    rule_id: str
    decl: object            # S.SetDecl | S.ValueDecl
    period: S.Dated
    start: object
    end: object
    value: object           # the member, or the value's constant

    def compiled(self) -> CompiledRule:
        date = Var("Date")
        body = [Atom(fact_predicate("request_date"), (date,))]
        if self.start:
            body.append(Compare(date, ">=", Const(self.start)))
        if self.end:
            body.append(Compare(date, "<=", Const(self.end)))
        return CompiledRule(self.rule_id, "value", Atom(value_predicate(self.decl.name), (Const(self.value),)),
                            tuple(body), ("Date",), None, (-1,) * len(body))


def value_clauses(checked: Checked) -> list[ValueClause]:
    """Every dated set's and named value's clauses, in a stable order (see `ValueClause`)."""
    out = []
    decls = [d for _, d in sorted(checked.sets.items()) if d.dated] + [d for _, d in sorted(checked.values.items())]
    for decl in decls:
        for period, start, end in S.in_effect(decl.periods):
            when = f"from_{start.isoformat().replace('-', '_')}" if start else "always"
            if isinstance(decl, S.SetDecl):
                out += [ValueClause(f"{decl.name}__{when}__{m}", decl, period, start, end, m) for m in period.value]
            elif isinstance(period.value, S.Constant):
                out.append(ValueClause(f"{decl.name}__{when}", decl, period, start, end, period.value.value))
    return out


def _compile_in_force(program: Program, policy: S.PolicyDecl) -> None:
    body: list = []
    date = Var("Date")
    if policy.draft:
        body.append(Atom(DRAFT_ON, (Const(policy.name),)))
    body.append(Atom(fact_predicate("request_date"), (date,)))
    if policy.period and policy.period.start:
        body.append(Compare(date, ">=", Const(policy.period.start)))
    if policy.period and policy.period.end:
        body.append(Compare(date, "<=", Const(policy.period.end)))
    rule_id = f"{policy.name}__in_force"
    program.rules[rule_id] = CompiledRule(rule_id, "in_force", Atom(IN_FORCE, (Const(policy.name),)),
                                          tuple(body), ("Date",), policy.name, tuple(range(len(body))))


def _compile_lineages(program: Program, checked: Checked) -> None:
    """`in force(LINEAGE)`: in force when any of its versions is, one clause per version. Only lineages a
    rule names get clauses, so a rulebase that never asks compiles as before."""
    named = sorted({c.name for rule in list(checked.rules.values()) + [i.as_rule() for i in checked.invariants.values()]
                    for c in rule.body if isinstance(c, S.InForce) and c.name not in checked.policies})
    for lineage in named:
        for policy in checked.versions(lineage):
            # the version's own period, not "that version is in force": the in-force facts never depend
            # on each other, so the exact analysis sees no recursion
            version = program.rules[f"{policy.name}__in_force"]
            rule_id = f"{lineage}__in_force__{policy.name}"
            program.rules[rule_id] = CompiledRule(rule_id, "in_force", Atom(IN_FORCE, (Const(lineage),)),
                                                  version.body, version.variables, policy.name,
                                                  version.source_order)


def _compile_rule(program: Program, rule: S.Rule, recursive: dict[str, set[str]]) -> None:
    prefix: list = []
    if rule.kind in ("permit", "forbid"):
        prefix.append(Atom(fact_predicate("requested"), (Var(rule.item_var),)))
        head = Atom(PERMIT if rule.kind == "permit" else FORBID, (Var(rule.item_var), Const(rule.id)))
    else:
        head = _atom(rule.head)
    if rule.policy:
        prefix.append(Atom(IN_FORCE, (Const(rule.policy),)))
    literals = [compile_condition(c) for c in rule.body]
    own = recursive.get(rule.head.predicate, set()) if rule.head else set()
    ordered, order = order_body(literals, {fact_predicate(p) for p in own})
    body = tuple(prefix) + ordered
    source_order = (-1,) * len(prefix) + order
    variables: list[str] = []
    for literal in body:
        for name in _vars(literal):
            if name not in variables and not isinstance(literal, Not):
                variables.append(name)
    program.rules[rule.id] = CompiledRule(rule.id, rule.kind, head, body, tuple(variables), rule.policy,
                                          source_order)


def _compile_duties(program: Program, rule: S.Rule) -> None:
    """A permission's obligation with `when` conditions: `w_duty(Item, "RULE__requires_N") <= requested(Item) &
    CONDITIONS`, so the engine says of each item whether the duty holds (a trace proves it like a rule)."""
    if rule.kind != "permit":
        return
    for index, obligation in enumerate(rule.obligations, 1):
        if not obligation.when:
            continue
        clause = duty_id(rule.id, index)
        item = Var(rule.item_var)
        ordered, order = order_body([compile_condition(c) for c in obligation.when], set())
        body = (Atom(fact_predicate("requested"), (item,)),) + ordered
        variables = list(dict.fromkeys(name for literal in body if not isinstance(literal, Not)
                                       for name in _vars(literal)))
        program.rules[clause] = CompiledRule(clause, "duty", Atom(DUTY, (item, Const(clause))), body,
                                             tuple(variables), rule.policy, (-1,) + order)


def _recursive_predicates(checked: Checked) -> dict[str, set[str]]:
    """For each derived predicate, the predicates in its recursive component."""
    from warrant.pipeline.check import strongly_connected
    graph: dict[str, set[str]] = {}
    for rule in checked.rules.values():
        if rule.kind == "define":
            graph.setdefault(rule.head.predicate, set()).update(
                c.atom.predicate for c in rule.body if isinstance(c, S.Positive) and c.atom.predicate in checked.derived)
    result: dict[str, set[str]] = {}
    for component in strongly_connected(graph):
        looped = len(component) > 1 or any(p in graph.get(p, ()) for p in component)
        for pred in component:
            result[pred] = component if looped else set()
    return result
