"""The proof checker: verify a decision's trace without the evaluator that made it.

In: a rulebase (its compiled program), the request and switches, and the
`Decision`. Out: a list of problems (empty when every proof checks). It
verifies that every rule node is an instance of the rule it names with the
bindings it states (body literal by body literal, head included); every fact
leaf is a fact of the request or a set member declared in the rules; every
comparison holds on its values; every negation holds in the model computed
by the independent reference evaluator; the assumptions named are those the
rules use; each outcome agrees with the reference model; a permitted item
carries exactly its deciding permission's obligations whose conditions hold
in the reference model; a refusal's why-not lists every permission in force on that date; and when the request
leaves judgements open, the reference model decides every answer to them:
a settled item has its outcome under each, and an undetermined item's
branches cover each answer once, with the outcome and rule it gives.
"""
from __future__ import annotations

from warrant.pipeline.datalog import DUTY, FORBID, IN_FORCE, PERMIT, Atom, Compare, Const, Not
import itertools

from warrant.pipeline.grounding import request_atoms, settings_for
from warrant.pipeline.judgement import answering, open_questions
from warrant.checker.reference import compare, evaluate, evaluate_worlds
from warrant.pipeline.trace import Decision, TraceNode

_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _duties(obligations) -> list:
    """Obligations as the checker compares them: what, whose, on what authority (not the trace's words)."""
    return [(d.text, d.rule, d.citations, d.clause) for d in obligations]


class _Checker:
    def __init__(self, rulebase, facts: set, model: dict, problems: list[str]):
        self.rb = rulebase
        self.program = rulebase.program
        self.facts = facts
        self.model = model
        self.problems = problems

    def holds(self, predicate: str, args: tuple) -> bool:
        return args in self.model.get(predicate, ())

    def node(self, node: TraceNode, where: str) -> None:
        if node.kind == "rule":
            self.rule_node(node, where)
        elif node.kind in ("fact", "member"):
            predicate, args = node.atom
            if node.holds and (predicate, args) not in self.facts:
                self.problems.append(f"{where}: {predicate}{args} is not a fact of the request or the rules")
        elif node.kind == "assumption":
            predicate, args = node.atom
            detail = dict(node.detail)
            said = detail["taken"] if "taken" in detail else detail.get("on")     # a reading taken, or a switch on
            if said != ((predicate, args) in self.facts):
                self.problems.append(f"{where}: assumption leaf {args} does not match the switches in effect")
        elif node.kind == "absent":
            predicate, args = node.atom
            if self.holds(predicate, args):
                self.problems.append(f"{where}: negation fails: {predicate}{args} is derivable")
        elif node.kind == "comparison":
            detail = dict(node.detail)
            if not compare(detail["left"], _OPS[detail["op"]], detail["right"]):
                self.problems.append(f"{where}: comparison {node.conclusion} does not hold")

    def rule_node(self, node: TraceNode, where: str) -> None:
        rule = self.program.rules.get(node.rule)
        if rule is None:
            self.problems.append(f"{where}: names unknown rule {node.rule}")
            return
        env = dict(node.bindings)
        if set(env) != set(rule.variables):
            self.problems.append(f"{where}: bindings {sorted(env)} are not the variables of {rule.id}")
            return
        head = (rule.head.predicate, tuple(_value(a, env) for a in rule.head.args))
        if head != node.atom:
            self.problems.append(f"{where}: {rule.id} concludes {head}, not {node.atom}")
        if len(node.children) != len(rule.body):
            self.problems.append(f"{where}: {rule.id} has {len(rule.body)} conditions, the proof shows "
                                 f"{len(node.children)}")
            return
        expected = set(self.rb.rule_assumptions(rule.id))
        if set(node.assumptions) != expected:
            self.problems.append(f"{where}: assumptions {node.assumptions} are not those {rule.id} rests on")
        for index, (literal, child) in enumerate(zip(rule.body, node.children)):
            here = f"{where} > {rule.id}[{index}]"
            if isinstance(literal, Atom):
                ground = (literal.predicate, tuple(_value(a, env) for a in literal.args))
                if child.atom != ground or not child.holds:
                    self.problems.append(f"{here}: expected a proof of {ground}, found {child.atom}")
            elif isinstance(literal, Not):
                ground = (literal.atom.predicate, tuple(_value(a, env) for a in literal.atom.args))
                if child.atom != ground:
                    self.problems.append(f"{here}: expected the absence of {ground}, found {child.atom}")
                elif self.holds(*ground):
                    self.problems.append(f"{here}: negated {ground} is derivable")
            elif isinstance(literal, Compare):
                left, right = _value(literal.left, env), _value(literal.right, env)
                detail = dict(child.detail)
                if child.kind != "comparison" or detail.get("left") != left or detail.get("right") != right:
                    self.problems.append(f"{here}: comparison values differ from the bindings")
                elif not compare(left, literal.op, right):
                    self.problems.append(f"{here}: {left} {literal.op} {right} does not hold")
            self.node(child, here)


def _every_answer(rulebase, request, questions, at, switches, drafts, given) -> tuple[dict, dict]:
    """(the reference model of the request as given (its atoms: `given`), {answers (path, yes?) ...: {item:
    (outcome, permissions, prohibitions)}}): the request and every answer to its open judgements are worlds
    of one evaluation, which evaluates what they share once."""
    table = {}
    every = [tuple(zip(questions, values)) for values in itertools.product((False, True), repeat=len(questions))]
    worlds = [given] + [request_atoms(answering(request, pairs), at, switches, drafts)[0] for pairs in every]
    shared = set(worlds[0]).intersection(*worlds[1:])               # the facts no answer changes
    extras = [[a for a in atoms if a not in shared] for atoms in worlds]
    models = evaluate_worlds(rulebase.program, [a for a in worlds[0] if a in shared], extras)
    for pairs, model in zip(every, models[1:]):
        row = {}
        for item in request.items:
            permits = {r for i, r in model.get(PERMIT, ()) if i == item}
            forbids = {r for i, r in model.get(FORBID, ()) if i == item}
            row[item] = ("refused" if forbids or not permits else "permitted", permits, forbids)
        table[tuple((f.path, v) for f, v in pairs)] = row
    return models[0], table


def _check_open(item, answers: dict, where: str, problems: list[str]) -> None:
    """An item of a request with open judgements against the reference model's outcome under every answer."""
    outcomes = {row[item.item][0] for row in answers.values()}
    if item.outcome != "undetermined":
        if outcomes != {item.outcome}:
            problems.append(f"{where}: outcome {item.outcome}, but the reference model gives "
                            f"{' or '.join(sorted(outcomes))} as the open judgements are answered")
        return
    if len(outcomes) == 1:
        problems.append(f"{where}: undetermined, but the reference model gives {outcomes.pop()} for every answer")
    for answered, row in answers.items():
        matching = [b for b in item.branches if set(b.answers) <= set(answered)]
        if len(matching) != 1:
            problems.append(f"{where}: {len(matching)} branches cover the answers {dict(answered)}, not one")
            continue
        branch = matching[0]
        outcome, permits, forbids = row[item.item]
        deciding = forbids if forbids else permits
        if branch.outcome != outcome or (branch.rule is None) != (not deciding) or \
                (branch.rule is not None and branch.rule not in deciding):
            problems.append(f"{where}: with {dict(answered)} the branch says {branch.outcome} by {branch.rule}, "
                            f"the reference model {outcome} by {sorted(deciding) or 'no rule'}")


def _value(term, env):
    return term.value if isinstance(term, Const) else env[term.name]


def verify_decision(rulebase, request, decision: Decision, *, at=None, assume=None, drafts=()) -> list[str]:
    """Every problem found in the decision's proofs; [] when all check."""
    switches, drafts = settings_for(rulebase, request, assume, drafts)
    atoms, _ = request_atoms(request, at, switches, drafts)
    questions = open_questions(rulebase, request)
    model, answers = _every_answer(rulebase, request, questions, at, switches, drafts, atoms) if questions \
        else (evaluate(rulebase.program, atoms), {})
    facts = {(a.predicate, tuple(t.value for t in a.args)) for a in atoms}
    facts |= {(a.predicate, tuple(t.value for t in a.args)) for a in rulebase.program.set_facts}
    problems: list[str] = []
    checker = _Checker(rulebase, facts, model, problems)
    permitted_by = {row for row in model.get(PERMIT, ())}
    duties = frozenset(model.get(DUTY, ()))     # conditional obligations whose conditions hold, by the reference
    forbidden_by = {row for row in model.get(FORBID, ())}
    for item in decision.items:
        where = f"{decision.request}/{item.item}"
        forbids = sorted(r for i, r in forbidden_by if i == item.item)
        permits = sorted(r for i, r in permitted_by if i == item.item)
        expected = "refused" if forbids or not permits else "permitted"
        if answers:
            _check_open(item, answers, where, problems)
            if item.outcome == "undetermined":
                continue
        if item.outcome != expected:
            problems.append(f"{where}: outcome {item.outcome}, the reference model says {expected}")
        for proof in item.proofs:
            checker.node(proof, where)
            if proof.kind != "rule" or proof.atom[0] not in (PERMIT, FORBID) or proof.atom[1][0] != item.item:
                problems.append(f"{where}: a top-level proof must conclude a permission or prohibition of the item")
        if item.outcome == "permitted" and item.proofs and \
                _duties(item.obligations) != _duties(rulebase.item_obligations(item.proofs[0].rule, item.item,
                                                                               duties)):
            problems.append(f"{where}: obligations shown are not those of the deciding permission "
                            f"{item.proofs[0].rule} whose conditions hold")
        if item.outcome != "permitted" and item.obligations:
            problems.append(f"{where}: a {item.outcome} item carries no obligations")
        if item.reason == "prohibition" and sorted(p.atom[1][1] for p in item.proofs) != forbids:
            problems.append(f"{where}: prohibitions shown differ from those that apply: {forbids}")
        if item.reason == "no_permission":
            shown = {a.rule for a in item.attempts}
            for rule_id, rule in rulebase.program.rules.items():
                if rule.kind != "permit":
                    continue
                in_force = rule.policy is None or checker.holds(IN_FORCE, (rule.policy,))
                if in_force and rule_id not in shown:
                    problems.append(f"{where}: why-not omits permission {rule_id}, which is in force")
            for attempt in item.attempts:
                for held in attempt.held:
                    checker.node(held, f"{where} why-not {attempt.rule}")
                if attempt.failed is None:
                    problems.append(f"{where}: attempt {attempt.rule} names no failed condition")
    return problems
