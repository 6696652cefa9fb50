"""Decide: one request -> a `Decision`, with proofs, in a single engine session.

Precedence, per requested item (documented in README "Decisions"):
1. a prohibition in force that applies refuses the item, whatever permits it;
2. otherwise a permission in force that applies permits it;
3. otherwise the item is refused (default deny), and each permission is
   listed with the first condition that failed.
An item whose outcome turns on a judgement the request left open is
undetermined, with what each answer gives (engine/pipeline/judgement.py).
Overall: undetermined (any item), else permitted (every item),
partially_permitted, or refused (none).
"""
from __future__ import annotations

import dataclasses
import datetime as _dt

from warrant.pipeline.datalog import ASSUMED, DUTY, FORBID, PERMIT, Atom, Const, Var
from warrant.pipeline.judgement import answering, open_questions, questions_of, settle
from warrant.pipeline.outcome import Outcome, Reason, combine, overall
from warrant.pipeline.prove import Prover
from warrant.pipeline.request import Request
from warrant.pipeline.grounding import request_atoms, setting_of, settings_for  # noqa: F401 - part of this stage's API
from warrant.pipeline.trace import Decision, ItemDecision


def decide(rulebase, request: Request, *, at: _dt.date | None = None, assume: dict[str, bool] | None = None,
           drafts: tuple[str, ...] = (), settings: tuple[tuple[str, str], ...] = (), answers=None,
           outcomes_of=None, duties_of=None, concluded=None, live_reads=None) -> Decision:
    """Decide every requested item, with proofs; for a refused item, why not (each permission's failed condition).

    What would have to change is searched on top of this, by
    `warrant.review.counterfactual.explain_refusals`: the pipeline decides and
    proves, and never reaches up into the review tools.
    `answers`: what opens an evaluation of the request's facts, a function
    from the facts to a context manager giving an `Answers`
    (engine/pipeline/evaluate.py; default `rulebase.engine.session`).
    Batches pass one that records the engine's answers, or one that answers
    from a recorded request of the same shape (engine/batch/templates.py).
    `outcomes_of` and `duties_of`, given, answer a request with its open
    judgements answered (its outcomes; the conditional obligations that hold):
    a batch's class caches (default: an evaluation each). `concluded`, given,
    is the engine's (permissions, prohibitions) rows for these facts as
    `conclusions` gives them (a batch's per-rule caches), in place of asking
    the session again. `live_reads`, given, is `judgement.settle`'s.
    """
    overrides = dict(at=at, assume=assume, drafts=drafts)
    switches, drafts = settings_for(rulebase, request, assume, drafts)
    questions = open_questions(rulebase, request)
    date = at or request.date
    atoms, origins = request_atoms(request, at, switches, drafts)
    program = rulebase.program
    plain = outcomes_of or (lambda answered: decide_outcomes(rulebase, answered, **overrides))
    settled = None
    if questions and concluded is not None:
        # The caller's caches give this request's own conclusions, so its open judgements are settled before
        # its session opens (every answer is an evaluation of its own), and an item they leave undetermined,
        # shown by its branches, is neither proved nor explained as given.
        settled = settle(request, questions, plain, outcomes_from(request.items, *concluded), program=program,
                         live_reads=live_reads)
    with (answers or rulebase.engine.session)(atoms) as session:
        prover = Prover(rulebase, session, origins, date, request.data, facts=atoms)
        permits, forbids = concluded or (session.ask(Atom(PERMIT, (Var("I"), Var("R")))),
                                         session.ask(Atom(FORBID, (Var("I"), Var("R")))))
        prover.permitted = frozenset(permits)
        held = _duties(rulebase, session)
        items = []
        for item in request.items:
            if settled is not None and settled[item][0] == Outcome.UNDETERMINED:
                items.append(None)                         # its branches, below
                continue
            fired_permits = [r for i, r in permits if i == item]
            fired_forbids = [r for i, r in forbids if i == item]
            outcome, reason = (x.value for x in combine(fired_permits, fired_forbids))   # stored as plain text
            if reason == Reason.PROHIBITION:
                proofs = tuple(prover.prove_atom(Atom(FORBID, (Const(item), Const(r)))) for r in fired_forbids)
                items.append(ItemDecision(item, outcome, reason, proofs, tuple(fired_permits)))
            elif reason == Reason.PERMISSION:
                proofs = tuple(prover.prove_atom(Atom(PERMIT, (Const(item), Const(r)))) for r in fired_permits)
                items.append(ItemDecision(item, outcome, reason, proofs, obligations=rulebase.item_obligations(
                    fired_permits[0], item, held, lambda duty: prover.duty_because(item, duty.clause))))
            else:
                attempts = []
                for rule_id in program.permissions():
                    attempt = prover.attempt(rule_id, item)
                    if attempt is not None:
                        attempts.append(attempt)
                attempts.sort(key=lambda a: (not a.in_force, -len(a.held), a.rule))
                items.append(ItemDecision(item, outcome, reason, attempts=tuple(attempts)))
        in_force = tuple(sorted(p for p in rulebase.checked.policies if p in prover.in_force()))
    if questions:
        if settled is None:
            # every other answer to the open judgements is its own evaluation, after this one's session closed
            settled = settle(request, questions, plain, outcomes_from(request.items, permits, forbids),
                             program=program, live_reads=live_reads)
        duties_on = _branch_duties(rulebase, request, overrides, duties_of)
        items = [ItemDecision(item, Outcome.UNDETERMINED.value, Reason.UNANSWERED.value,
                              branches=_cited(rulebase, settled[item][2], item, duties_on))
                 if settled[item][0] == Outcome.UNDETERMINED else i for item, i in zip(request.items, items)]
        # the request's open questions are those some item turns on; one no answer can change is not named
        asked = {path for i in items for path in questions_of(i.branches)}
        questions = tuple(f for f in questions if f.path in asked)
    outcome = overall(i.outcome for i in items).value
    used = _assumptions_used(rulebase, items)
    settings_now = {name: setting_of(rulebase.checked, switches, name) for name in used}
    assumptions = tuple((name, settings_now[name], rulebase.checked.assumptions[name].position_when(settings_now[name]))
                        for name in used)
    from warrant.pipeline.record import decision_record
    return Decision(request.id, date.isoformat(), outcome, tuple(items), assumptions, settings, in_force,
                    tuple((f.path, f.doc) for f in questions),
                    {"changes_searched": False,
                     "record": decision_record(rulebase, request, date, switches, drafts)})


def decide_outcomes(rulebase, request: Request, *, at=None, assume=None, drafts=(), outcomes_of=None,
                    live_reads=None) -> tuple:
    """Only the outcomes, from the same two engine queries `decide` starts with (no proofs).

    Returns (overall, ((item, outcome, deciding rule or None), ...)): the
    deciding rule is the first prohibition that applies, else the first
    permission; an undetermined item has none. Used by batches and impact
    analysis that do not want traces. `outcomes_of`, given, answers the
    request with its open judgements answered (a batch's class cache);
    `live_reads`, given, is `judgement.settle`'s.
    """
    questions = open_questions(rulebase, request)
    if questions:
        plain = outcomes_of or (lambda answered: decide_outcomes(rulebase, answered, at=at, assume=assume,
                                                                 drafts=drafts))
        settled = settle(request, questions, plain, program=rulebase.program, branches=False,
                         live_reads=live_reads)
        items = tuple((item, settled[item][0], settled[item][1]) for item in request.items)
        return overall(o for _, o, _ in items).value, items
    return outcomes_from(request.items, *conclusions(rulebase, request, at=at, assume=assume, drafts=drafts))


def conclusions(rulebase, request: Request, *, at=None, assume=None, drafts=(), rules=None) -> tuple[list, ...]:
    """(permissions, prohibitions) the engine concludes for a request with no open judgements: the
    (item, rule) rows of its two queries, sorted. `rules`, given: ((PERMIT or FORBID, rule id), ...), and
    the (item, rule) rows of each of those rules alone, in that order."""
    switches, drafts = settings_for(rulebase, request, assume, drafts)
    atoms, _ = request_atoms(request, at, switches, drafts)
    with rulebase.engine.session(atoms) as session:
        if rules is not None:
            return tuple(session.ask(Atom(kind, (Var("I"), Const(rule)))) for kind, rule in rules)
        return (session.ask(Atom(PERMIT, (Var("I"), Var("R")))), session.ask(Atom(FORBID, (Var("I"), Var("R")))))


def outcomes_from(requested, permits, forbids) -> tuple:
    """(overall, ((item, outcome, deciding rule or None), ...)) from the engine's permits and prohibitions
    (rows sorted as the engine's answers are)."""
    first_permit, first_forbid = {}, {}
    for item, rule in permits:
        first_permit.setdefault(item, rule)
    for item, rule in forbids:
        first_forbid.setdefault(item, rule)
    items = []
    for item in requested:
        outcome, reason = combine(first_permit.get(item, ()) and (first_permit[item],),
                                  first_forbid.get(item, ()) and (first_forbid[item],))
        deciding = first_forbid[item] if reason == Reason.PROHIBITION else first_permit.get(item)
        items.append((item, outcome.value, deciding))
    return overall(o for _, o, _ in items).value, tuple(items)


def deciding_rules(decision: Decision) -> tuple:
    """(item, outcome, deciding rule or None) per item, as `decide_outcomes` gives them."""
    return tuple((i.item, i.outcome, i.proofs[0].rule if i.proofs else None) for i in decision.items)


def undetermined(decisions) -> bool:
    """Whether any decision turns on a judgement its request left open."""
    return any(d.outcome == Outcome.UNDETERMINED for d in decisions)


def _cited(rulebase, branches, item, duties_on) -> tuple:
    """Each branch with its deciding rule's statement and citations, as a proof names them, and a permitted
    branch's obligations: those that hold of the item with the branch's answers."""
    out = []
    for branch in branches:
        source = rulebase.source_rule(branch.rule) if branch.rule else None
        permitted = source is not None and branch.outcome == Outcome.PERMITTED
        out.append(dataclasses.replace(branch, statement=source.statement if source else None,
                                       citations=rulebase.rule_citations(branch.rule) if source else (),
                                       obligations=rulebase.item_obligations(branch.rule, item,
                                                                             duties_on(branch.answers))
                                       if permitted else ()))
    return tuple(out)


def _duties(rulebase, session) -> frozenset:
    """The (item, clause) pairs of every conditional obligation whose conditions hold (one engine question,
    asked only when some permission has one)."""
    if not rulebase.conditional_obligations():
        return frozenset()
    return frozenset(session.ask(Atom(DUTY, (Var("I"), Var("D")))))


def duties_held(rulebase, request: Request, *, at=None, assume=None, drafts=()) -> frozenset:
    """`_duties` for a request in an engine session of its own (batches, impact, a branch's answers)."""
    if not rulebase.conditional_obligations():
        return frozenset()
    switches, drafts = settings_for(rulebase, request, assume, drafts)
    atoms, _ = request_atoms(request, at, switches, drafts)
    with rulebase.engine.session(atoms) as session:
        return _duties(rulebase, session)


def _branch_duties(rulebase, request: Request, overrides: dict, duties_of=None):
    """A function from a branch's answers to the conditional obligations that hold with them (memoised)."""
    by_path = rulebase.vocabulary.by_path
    found: dict = {}
    held = duties_of or (lambda answered: duties_held(rulebase, answered, **overrides))

    def duties_on(answers) -> frozenset:
        if answers not in found:
            found[answers] = held(answering(request, [(by_path[path], yes) for path, yes in answers]))
        return found[answers]
    return duties_on


def _assumptions_used(rulebase, items) -> list[str]:
    """The assumptions the decision's proofs and why-nots rest on (a node the prover shares between them
    is read once)."""
    if not rulebase.checked.assumptions:
        return []                                   # a rulebase that declares none: no node names one
    names: set = set()
    seen: set = set()

    def read(node) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        names.update(node.assumptions)
        if node.kind == "assumption" or (node.kind == "absent" and node.atom and node.atom[0] == ASSUMED):
            names.update(v for k, v in node.detail if k == "assumption")
        for child in node.children:
            read(child)

    for item in items:
        for proof in item.proofs:
            read(proof)
        for attempt in item.attempts:
            if id(attempt.held) not in seen:         # why-nots with the same leading conditions share them
                seen.add(id(attempt.held))
                for held in attempt.held:
                    read(held)
            if attempt.failed is not None:
                read(attempt.failed)
            names.update(rulebase.rule_assumptions(attempt.rule))
    return sorted(names)


def exit_code(decisions) -> int:
    """0 when every requested item of every decision is permitted; 4 when any turns on an open judgement; else 1."""
    decisions = list(decisions)
    if all(d.outcome == Outcome.PERMITTED for d in decisions):
        return 0
    return 4 if undetermined(decisions) else 1


__all__ = ["decide", "exit_code", "settings_for", "request_atoms"]
