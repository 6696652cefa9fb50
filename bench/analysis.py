"""Exact analysis benchmark: invariant proofs, diffs and findings, with solver calls and time.

    python bench/analysis.py

In-process, after the rulebases are loaded (the start-up of `warrant check`
and `warrant diff` is in bench/startup.py's terms a few hundred ms more).
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from warrant.analysis.diff import diff, scenarios  # noqa: E402
from warrant.analysis.findings import exact_findings  # noqa: E402
from warrant.author.invariants import check_invariants  # noqa: E402
from warrant.pipeline.rulebase import load_rulebase  # noqa: E402

GDPR = os.path.join(ROOT, "examples", "rulebases", "uk_gdpr")
S115 = os.path.join(ROOT, "examples", "rulebases", "crime_disorder_s115")


def timed(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def main() -> int:
    shipped, gdpr, s115 = load_rulebase(), load_rulebase([GDPR]), load_rulebase([S115])
    bases = (("shipped", shipped), ("uk_gdpr", gdpr), ("s115", s115))
    print("warrant check's analysis (exact findings and every invariant), in one process")
    whole = {}
    for name, rulebase in bases:
        _, whole[name] = timed(lambda: (exact_findings(rulebase), check_invariants(rulebase)))
        print(f"  {name:8} {len(rulebase.program.rules):3} rules, {len(rulebase.checked.invariants)} invariants, "
              f"{whole[name]:.2f} s ({whole[name] / whole['shipped']:.1f}x the shipped rules)")
    print("invariants proved")
    for name, rulebase in bases:
        results, seconds = timed(lambda: check_invariants(rulebase))
        proved = sum(r.method == "proof" and r.holds for r in results)
        calls = sum(r.ways for r in results)
        print(f"  {name:8} {proved} of {len(results)} proved for every request, {calls} solver call(s), {seconds:.2f} s")
    print("exact findings (dead, shadowed, redundant, unreachable)")
    for name, rulebase in bases:
        found, seconds = timed(lambda: exact_findings(rulebase))
        print(f"  {name:8} {len(found)} finding(s), {seconds:.2f} s")
    print("warrant diff (shipped rulebase)")
    changes = [
        ("2017 memorandum -> 2018 restriction", [dt.date(2018, 5, 8), dt.date(2018, 5, 9)], {}, ()),
        ("2018 restriction -> withdrawal", [dt.date(2018, 11, 1), dt.date(2018, 11, 2)], {}, ()),
        ("debt_threshold_inclusive off -> on", [], {"debt_threshold_inclusive": True}, ()),
        ("replacement draft off -> on", [], {}, ("nhs_digital_replacement_draft",)),
    ]
    for label, dates, switches, drafts in changes:
        report, seconds = timed(lambda: diff(*scenarios(shipped, shipped, "rules", "rules", dates, switches, drafts)))
        print(f"  {label:38} {len(report.regions):3} region(s), {report.solver_calls:5} solver call(s), {seconds:.2f} s")
    print("warrant diff (s115 rulebase: a stranger's law)")
    changes = [
        ("DPA 1998 -> UK GDPR (2018-05-24/25)", [dt.date(2018, 5, 24), dt.date(2018, 5, 25)], {}, ()),
        ("s.115 as enacted -> amended (2012)", [dt.date(2012, 11, 21), dt.date(2012, 11, 22)], {}, ()),
        ("public interest assumption off -> on", [], {"public_interest_overrides_confidence": True}, ()),
    ]
    for label, dates, switches, drafts in changes:
        report, seconds = timed(lambda: diff(*scenarios(s115, s115, "s115", "s115", dates, switches, drafts)))
        print(f"  {label:38} {len(report.regions):3} region(s), {report.solver_calls:5} solver call(s), {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
