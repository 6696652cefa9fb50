"""Differential testing: the pyDatalog engine against the reference evaluator on random rulebases.

Each example is a random rulebase written as rule text (tests/strategies.py)
and random requests. For every request the whole model must agree: every
derived predicate and every rule-instance predicate, as the engine answers
it and as the naive stratified fixpoint in engine/checker/reference.py computes
it; and the decision with its proofs must pass the proof checker. The
programs may use `in force(q0)`, a dated set (sd), dated and fixed named values
(vd, vm), an assumption with named readings (a2) and judgements (j0, j1),
which the requests answer or leave open: an undetermined item's branches
are checked against the reference evaluator under every answer.

Examples per run: WARRANT_DIFFERENTIAL_EXAMPLES (default 400 programs, 1-3
requests each). Any disagreement found becomes a case in REGRESSIONS.
"""
import os
import signal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from warrant.pipeline.check import check
from warrant.pipeline.compile import compile_rulebase
from warrant.pipeline.datalog import Atom, Var
from warrant.pipeline.decide import decide, decide_outcomes, request_atoms, settings_for
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.parse import parse_text
from warrant.checker.reference import evaluate, evaluate_worlds
from helpers import request_from_data, vocabulary_file
from warrant.pipeline.rulebase import Rulebase
from warrant.checker.verify import verify_decision
from strategies import requests, rulebases

EXAMPLES = int(os.environ.get("WARRANT_DIFFERENTIAL_EXAMPLES", "400"))
COUNTS = {"programs": 0, "requests": 0, "rejected_by_checker": 0, "undetermined_items": 0}


def build(text: str) -> Rulebase | None:
    try:
        parsed = parse_text(text, "random.warrant")
    except WarrantError as exc:  # the generator writes only valid syntax
        raise AssertionError(f"generated text does not parse: {exc}\n{text}") from None
    checked = check([parsed, vocabulary_file()])
    if checked.errors:
        return None
    return Rulebase(checked, compile_rulebase(checked), ["random.warrant"])


def engine_model(rulebase, atoms) -> dict:
    program = rulebase.program
    derived = set(program.by_head) | {f"f_{r}" for r in program.rules}
    out = {}
    with rulebase.engine.session(atoms) as session:
        for predicate in sorted(derived):
            arity = program.predicates[predicate]
            out[predicate] = set(session.ask(Atom(predicate, tuple(Var(f"V{i}") for i in range(arity)))))
    return out


def agree(rulebase, document: dict, text: str) -> None:
    request = request_from_data(document, vocabulary=rulebase.vocabulary)
    switches, drafts = settings_for(rulebase, request)
    atoms, _ = request_atoms(request, None, switches, drafts)
    mine = engine_model(rulebase, atoms)
    reference = evaluate(rulebase.program, atoms)
    half = len(atoms) // 2               # the shared part evaluated once, each world's extra facts layered on it
    both, alone = evaluate_worlds(rulebase.program, atoms[:half], [atoms[half:], ()])
    assert {p: r for p, r in both.items() if r} == {p: r for p, r in reference.items() if r}, text
    assert {p: r for p, r in alone.items() if r} == \
        {p: r for p, r in evaluate(rulebase.program, atoms[:half]).items() if r}, text
    for predicate, rows in mine.items():
        assert rows == set(reference.get(predicate, set())), (
            f"{predicate}: engine {sorted(map(repr, rows))} != reference "
            f"{sorted(map(repr, reference.get(predicate, set())))}\n--- rules\n{text}\n--- request\n{document}")
    outcome = decide_outcomes(rulebase, request)
    decision = decide(rulebase, request)
    assert outcome == (decision.outcome, tuple((i.item, i.outcome, i.proofs[0].rule if i.proofs else None)
                                               for i in decision.items))
    problems = verify_decision(rulebase, request, decision)
    assert not problems, f"{problems}\n--- rules\n{text}\n--- request\n{document}"
    COUNTS["undetermined_items"] += sum(1 for i in decision.items if i.outcome == "undetermined")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])
@given(text=rulebases(), documents=st.lists(requests(judgements=True), min_size=1, max_size=3))
def test_engine_agrees_with_reference(text, documents):
    rulebase = build(text)
    if rulebase is None:
        COUNTS["rejected_by_checker"] += 1
    assume(rulebase is not None)
    COUNTS["programs"] += 1
    for document in documents:
        COUNTS["requests"] += 1
        agree(rulebase, document, text)


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=rulebases(), documents=st.lists(requests(judgements=True), min_size=4, max_size=10))
def test_batch_class_caches_agree_with_fresh_evaluations(text, documents):
    """The batch decider's class keys (relevance, per-item keys without the other items, dated sets tested on
    the request's date) never let one request's cached outcome answer another's differently."""
    from warrant.batch.decider import BatchDecider
    rulebase = build(text)
    assume(rulebase is not None)
    decider = BatchDecider(rulebase, trace="none")
    for document in documents + documents[:2]:
        request = request_from_data(document, vocabulary=rulebase.vocabulary)
        try:
            fresh = decide_outcomes(rulebase, request)
        except WarrantError:
            continue
        assert decider.outcome(request) == fresh, f"{document}\n--- rules\n{text}"


RECURSION = os.environ.get("WARRANT_DIFFERENTIAL_RECURSION", "") not in ("", "0")


@pytest.mark.skipif(not RECURSION, reason="opt-in: pyDatalog may not finish on some recursive programs "
                                          "(set WARRANT_DIFFERENTIAL_RECURSION=1)")
@settings(max_examples=max(EXAMPLES // 4, 20), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=rulebases(recursion=True), documents=st.lists(requests(judgements=True), min_size=1, max_size=2))
def test_recursive_programs_agree_and_terminate(text, documents):
    """Opt-in. A run with recursion once hung inside pyDatalog's compiled resolution, where no
    Python signal can interrupt it (PYDATALOG.md: right recursion on a cycle never finishes);
    the shipped rules have no recursion, and `warrant check` warns about it (C122)."""
    rulebase = build(text)
    assume(rulebase is not None)
    COUNTS["programs"] += 1
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(20)
    try:
        for document in documents:
            COUNTS["requests"] += 1
            agree(rulebase, document, text)
    except Timeout:
        pytest.fail(f"the engine did not finish within 20 s\n--- rules\n{text}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


REGRESSIONS: list[tuple[str, dict]] = []


@pytest.mark.parametrize("text,document", REGRESSIONS)
def test_regressions(text, document):
    rulebase = build(text)
    assert rulebase is not None
    agree(rulebase, document, text)
