"""Benchmark: Warrant batch vs pyDatalog used naively vs a hand-written function.

    python bench/bench.py [N ...]        (default: 1000 2000)

Prints decisions per second, the ratio to the hand-written function, peak
memory, and whether all three agree on every item of every request.
Not part of the test suite's timing; tests/test_batch.py runs it on a tiny batch.
"""
from __future__ import annotations

import datetime
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bench.generate import generate  # noqa: E402
from engine.batch import BatchDecider  # noqa: E402
from engine.request import request_from_data  # noqa: E402
from engine.rulebase import load_rulebase  # noqa: E402

D = datetime.date
NON_CLINICAL = {"name", "date_of_birth", "last_known_address", "gp_practice"}
CLINICAL = {"clinical_record", "diagnosis", "treatment"}
S24 = {"overstaying", "illegal_entry", "breach_of_reporting_restrictions", "absconding", "escaping_detention",
       "deception_to_obtain_leave"}


def hand_written(r: dict) -> dict:
    """The shipped rulebase with its default assumptions, written by hand."""
    date = D.fromisoformat(r["date"])
    s = r.get("subject", {})
    holder, requester, purpose = r["holder"], r["requester"], r["purpose"]
    safeguards = (not s.get("in_contact_with_authorities") and s.get("other_efforts_failed")
                  and r.get("public_interest_satisfied"))
    serious = any(c["sentence_months"] >= 12 for c in s.get("convictions", ())) or \
        any(c["sentence_months"] >= 12 for c in s.get("investigations", ()))
    debt = s.get("nhs_debt")
    pence = None if debt is None else int(round(float(debt.lstrip("£")) * 100))
    out = {}
    for item in r["items"]:
        forbidden = item in CLINICAL or (holder in ("nhs_digital", "nhs_trust", "department_for_education")
                                         and requester != "home_office") \
            or (holder == "department_for_education" and item in ("nationality", "country_of_birth")) \
            or (holder == "nhs_digital" and requester == "home_office" and date >= D(2018, 11, 2)) \
            or (holder == "home_office" and requester == "data_subject" and date >= D(2018, 5, 10)
                and s.get("disclosure_prejudices_immigration_control"))
        nhs = holder == "nhs_digital" and requester == "home_office" and item in NON_CLINICAL
        permitted = (
            (nhs and D(2017, 1, 1) <= date <= D(2018, 5, 8) and purpose in ("tracing", "immigration_enforcement",
                                                                             "deportation")
             and any(k in S24 for k in s.get("suspected_offences", ())) and safeguards)
            or (nhs and D(2018, 5, 9) <= date <= D(2018, 11, 1) and s.get("considered_for_deportation")
                and serious and safeguards)
            or (holder == "nhs_trust" and requester == "home_office" and date >= D(2019, 1, 1)
                and item in ("name", "last_known_address", "age")
                and purpose in ("debt_recovery", "reporting_restrictions", "voluntary_departure", "detention",
                                "immigration_enforcement") and pence is not None and pence >= 50000)
            or (holder == "department_for_education" and requester == "home_office" and date >= D(2018, 5, 10)
                and item in ("pupil_name", "pupil_address") and purpose == "immigration_enforcement")
            or (holder == "home_office" and requester == "data_subject" and purpose == "subject_access"
                and date >= D(2018, 5, 10) and s.get("access_request")
                and item in ("immigration_record", "name", "date_of_birth", "last_known_address")))
        out[item] = "permitted" if permitted and not forbidden else "refused"
    return out


def naive_pydatalog(rulebase, requests) -> dict:
    """pyDatalog used naively: every fact of every request asserted, keyed by request id, then queried."""
    from pyDatalog import pyEngine as E
    from pyDatalog.Logic import Logic
    from engine.datalog import Atom, Const, Var
    from engine.decide import request_atoms, settings_for
    from engine.evaluate import _clause

    program = rulebase.program
    previous = getattr(Logic.tl, "logic", None)
    Logic()
    keyed = lambda a, rid: Atom("k" + a.predicate, (Const(rid),) + a.args)  # noqa: E731
    key_var = Var("Rid")

    def rekey(literal):
        from engine.datalog import Compare, Not
        if isinstance(literal, Not):
            return Not(keyed(literal.atom, key_var) if not literal.atom.predicate.startswith("s_") else literal.atom)
        if isinstance(literal, Compare) or literal.predicate.startswith("s_"):
            return literal
        return Atom("k" + literal.predicate, (key_var,) + literal.args)

    for pred, arity in program.predicates.items():
        dummy = E.Clause(E.Literal("k" + pred, [E.Const("__")] * (arity + 1)), [])
        E.assert_(dummy)
        E.retract(dummy)
    for fact in program.set_facts:
        E.assert_(_clause(fact, ()))
    for head, body in program.clauses():
        E.assert_(_clause(rekey(head), tuple(rekey(b) for b in body)))
    for request in requests:
        switches, drafts = settings_for(rulebase, request)
        atoms, _ = request_atoms(request, None, switches, drafts)
        for atom in atoms:
            E.assert_(_clause(keyed(atom, request.id), ()))
    permits, forbids = [], []
    for request in requests:   # one bound query per request over all the preloaded facts
        permits += E.Literal("kw_permit", [E.Const(request.id), E.Var("I"), E.Var("X")]).ask() or []
        forbids += E.Literal("kw_forbid", [E.Const(request.id), E.Var("I"), E.Var("X")]).ask() or []
    if previous is not None:
        Logic.tl.logic = previous
    ok = {(r, i) for r, i, _ in permits} - {(r, i) for r, i, _ in forbids}
    return {req.id: {item: "permitted" if (req.id, item) in ok else "refused" for item in req.items}
            for req in requests}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, rulebase) -> dict:
    raw = list(generate(n))
    start = time.perf_counter()
    hand = {r["id"]: hand_written(r) for r in raw}
    t_hand = time.perf_counter() - start

    start = time.perf_counter()
    decider = BatchDecider(rulebase, trace="none")
    warrant = {}
    for record in raw:
        out = decider.decide_record(request_from_data(record))
        warrant[out["request"]] = {i["item"]: i["outcome"] for i in out["items"]}
    t_warrant = time.perf_counter() - start

    start = time.perf_counter()
    naive = naive_pydatalog(rulebase, [request_from_data(r) for r in raw])
    t_naive = time.perf_counter() - start
    agree = warrant == hand
    naive_differs = sum(1 for k in hand if hand[k] != naive.get(k))
    return {"n": n, "hand": t_hand, "warrant": t_warrant, "naive": t_naive, "agree": agree,
            "disagreements": sum(1 for k in hand if hand[k] != warrant.get(k)), "naive_differs": naive_differs,
            "evaluations": decider.evaluations}


def main(sizes: list[int]) -> int:
    rulebase = load_rulebase()
    print(f"{'N':>8} {'engine':<22} {'seconds':>9} {'decisions/s':>12} {'x hand':>8}")
    ok = True
    for n in sizes:
        r = run(n, rulebase)
        for name, key in (("warrant batch", "warrant"), ("pyDatalog naive", "naive"), ("hand-written", "hand")):
            rate = n / r[key] if r[key] else float("inf")
            print(f"{n:>8} {name:<22} {r[key]:>9.3f} {rate:>12,.0f} {r[key] / r['hand']:>8.1f}")
        print(f"{n:>8} agreement warrant vs hand-written: {'every item agrees' if r['agree'] else 'DISAGREE'}"
              f" ({r['disagreements']} requests differ); naive baseline differs on {r['naive_differs']} "
              f"(known adapter fault, see README); engine evaluations {r['evaluations']}; "
              f"peak memory {peak_mb():.0f} MB")
        ok = ok and r["agree"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [1000, 2000]))
