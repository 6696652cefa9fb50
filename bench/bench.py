"""Benchmark: Warrant batch vs pyDatalog used naively vs a hand-written function.

    python bench/bench.py [N ...] [--naive-limit N] [--trace-limit N] [--stream N ...]
                                         (default sizes: 10000 100000; --stream 1000000 streams a million
                                          requests through `warrant decide --batch` in a child process)

Prints decisions per second, the ratio to the hand-written function, peak
memory, and whether all three agree on every item of every request.
Not part of the test suite's timing; tests/test_batch.py runs it on a tiny batch.
"""
from __future__ import annotations

import datetime
import json
import os
import resource
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from bench.generate import generate  # noqa: E402
from warrant.batch.batch import encoded_records  # noqa: E402
from warrant.pipeline.request import request_from_data  # noqa: E402
from warrant.pipeline.rulebase import load_rulebase  # noqa: E402

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
    from warrant.pipeline.datalog import Atom, Const, Var
    from warrant.pipeline.decide import request_atoms, settings_for
    from warrant.pipeline.evaluate import _clause

    program = rulebase.program
    previous = getattr(Logic.tl, "logic", None)
    Logic()
    keyed = lambda a, rid: Atom("k" + a.predicate, (Const(rid),) + a.args)  # noqa: E731
    key_var = Var("Rid")

    def rekey(literal):
        from warrant.pipeline.datalog import Compare, Not
        if isinstance(literal, Not):   # the key is a variable here, not a constant
            atom = literal.atom
            return Not(atom if atom.predicate.startswith("s_") else Atom("k" + atom.predicate, (key_var,) + atom.args))
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


def _warrant(rulebase, lines, jobs: int, trace: str) -> tuple[dict, float, int]:
    """Decisions through the same path as `warrant decide --batch` (parse, validate, decide, encode)."""
    start = time.perf_counter()
    out, refused_traces = {}, 0
    for severity, line in encoded_records(rulebase, lines, jobs, trace=trace):
        record = json.loads(line)
        out[record["request"]] = {i["item"]: i["outcome"] for i in record["items"]}
        refused_traces += "why_not" in line or "proofs" in line
    return out, time.perf_counter() - start, refused_traces


def _similar(seeds: list[dict], copies: int) -> list[dict]:
    """Each request again with its date moved a day and its debt a penny, `copies` times (many keep their shape)."""
    import copy
    out = []
    for seed in seeds:
        for n in range(copies):
            r = copy.deepcopy(seed)
            r["id"] = f"{seed['id']}-{n}"
            r["date"] = (D.fromisoformat(seed["date"]) + datetime.timedelta(days=n % 3)).isoformat()
            subject = r.get("subject", {})
            if "nhs_debt" in subject:
                subject["nhs_debt"] = f"£{float(subject['nhs_debt'].lstrip('£')) + n / 100:.2f}"
            out.append(r)
    return out


def run(n: int, rulebase, naive_limit: int, trace_limit: int) -> dict:
    raw = list(generate(n))
    lines = [json.dumps(r) + "\n" for r in raw]
    start = time.perf_counter()
    hand = {r["id"]: hand_written(r) for r in raw}
    t_hand = time.perf_counter() - start
    rows = [("hand-written function", t_hand, n, True)]
    agree = True
    for label, jobs in (("warrant batch, 1 process", 1), ("warrant batch, --jobs 2", 2)):
        got, seconds, _ = _warrant(rulebase, lines, jobs, "none")
        rows.append((label, seconds, n, got == hand))
        agree = agree and got == hand
    m = min(n, trace_limit)
    got, seconds, traces = _warrant(rulebase, lines[:m], 2, "refused")
    same = got == {k: hand[k] for k in got}
    rows.append((f"warrant batch + refusal traces, --jobs 2 ({traces} traces)", seconds, m, same))
    agree = agree and same
    similar = _similar(raw[: max(1, m // 10)], 10)     # the same shapes again: what trace templates are for
    expected = {r["id"]: hand_written(r) for r in similar}
    got, seconds, traces = _warrant(rulebase, [json.dumps(r) + "\n" for r in similar], 2, "refused")
    rows.append((f"  same, {len(similar) // 10} shapes x 10 nudged values ({traces} traces)", seconds, len(similar),
                 got == expected))
    agree = agree and got == expected
    if n <= naive_limit:
        start = time.perf_counter()
        naive = naive_pydatalog(rulebase, [request_from_data(r, vocabulary=rulebase.vocabulary) for r in raw])
        rows.append(("pyDatalog used naively", time.perf_counter() - start, n, naive == hand))
        agree = agree and naive == hand
    return {"n": n, "rows": rows, "agree": agree, "hand": t_hand}


def stream(n: int, jobs: int = 2) -> dict:
    """N requests through `warrant decide --batch` in a child process: time, peak memory, agreement."""
    import subprocess
    import tempfile
    folder = tempfile.mkdtemp(prefix="warrant-bench-")
    source, target = os.path.join(folder, "in.jsonl"), os.path.join(folder, "out.jsonl")
    with open(source, "w", encoding="utf-8") as handle:
        for record in generate(n):
            handle.write(json.dumps(record) + "\n")
    # GNU time reports the peak resident memory of the command and the workers it waits for; measuring
    # from here would count the pages a fork of this (large) benchmark process briefly shares.
    measure = os.path.join(folder, "rss")
    prefix = ["/usr/bin/time", "-f", "%M", "-o", measure] if os.path.exists("/usr/bin/time") else []
    start = time.perf_counter()
    subprocess.run(prefix + [sys.executable, os.path.join(ROOT, "cli.py"), "decide", "--batch", source, "--trace",
                             "none", "--jobs", str(jobs), "--out", target], check=False, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = float("nan")
    if prefix:
        with open(measure, encoding="utf-8") as handle:
            peak = int(handle.read().split()[-1]) / 1024
        os.unlink(measure)
    start = time.perf_counter()
    agree = True
    with open(source, encoding="utf-8") as left, open(target, encoding="utf-8") as right:
        for line, out in zip(left, right):
            record = json.loads(out)
            agree = agree and hand_written(json.loads(line)) == {i["item"]: i["outcome"] for i in record["items"]}
    hand = time.perf_counter() - start
    for path in (source, target):
        os.unlink(path)
    os.rmdir(folder)
    return {"n": n, "seconds": seconds, "peak_mb": peak, "agree": agree, "hand_with_io": hand}


def main(argv: list[str]) -> int:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--naive-limit", type=int, default=20_000, help="skip naive pyDatalog above this size")
    parser.add_argument("--trace-limit", type=int, default=5_000, help="requests decided with refusal traces")
    parser.add_argument("--stream", type=int, nargs="*", default=[],
                        help="also stream these many requests through `warrant decide --batch --jobs 2` "
                             "in a child process (e.g. 100000 1000000): time, peak memory, agreement")
    args = parser.parse_args(argv)
    rulebase = load_rulebase()
    print(f"{'N':>8}  {'engine':<58} {'seconds':>8} {'decisions/s':>12} {'x hand':>7}  agrees")
    ok = True
    for n in args.sizes:
        r = run(n, rulebase, args.naive_limit, args.trace_limit)
        hand_rate = n / r["hand"]
        for label, seconds, count, same in r["rows"]:
            rate = count / seconds if seconds else float("inf")
            print(f"{count:>8}  {label:<58} {seconds:>8.2f} {rate:>12,.0f} {hand_rate / rate:>7.1f}  "
                  f"{'yes' if same else 'NO'}")
        if n > args.naive_limit:
            print(f"{n:>8}  {'pyDatalog used naively':<58} {'skipped (quadratic; see --naive-limit)':>30}")
        print(f"{n:>8}  agreement with the hand-written function on every item: "
              f"{'yes' if r['agree'] else 'NO'}; peak memory so far {peak_mb():.0f} MB")
        ok = ok and r["agree"]
    for n in args.stream:
        r = stream(n)
        print(f"{n:>8}  {'streamed: warrant decide --batch --jobs 2 (whole process)':<58} {r['seconds']:>8.2f} "
              f"{n / r['seconds']:>12,.0f}  peak memory {r['peak_mb']:.0f} MB  agrees "
              f"{'yes' if r['agree'] else 'NO'}")
        ok = ok and r["agree"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
