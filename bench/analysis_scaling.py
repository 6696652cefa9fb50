"""How the exact analysis and the what-would-change search grow with the law: generated rulebases.

    python bench/analysis_scaling.py [--sizes 1,2,4,8]

Each size S is a rulebase with S concepts, each provable 4 ways from 4 booleans, an enumeration of 4*S
items, two dated versions of one policy whose permissions need 3 concepts each (so 64 ways per
permission and S of them), S assumptions, S invariants and a prohibition. For each size it prints the time
of `check`'s analysis (exact findings and every invariant), `warrant diff` across the version changeover
and across one assumption, and the what-would-change search for a refused request, with the process's
peak memory so far. Written to temporary folders, in-process.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from warrant.analysis.diff import diff, scenarios  # noqa: E402
from warrant.analysis.findings import exact_findings  # noqa: E402
from warrant.author.invariants import check_invariants  # noqa: E402
from warrant.pipeline.decide import decide  # noqa: E402
from warrant.pipeline.request import request_from_data  # noqa: E402
from warrant.pipeline.rulebase import load_rulebase  # noqa: E402


def rulebase_text(size: int) -> str:
    items = [f"item{i}" for i in range(4 * size)]
    out = ['source act { publisher "P" title "An Act" }']
    out.append('enum thing "Things" { ' + ", ".join(items) + " }")
    out.append('field date: date required as request_date "Day."')
    out.append('field items: many thing required as requested "Items."')
    for c in range(size):
        out.append(f'assumption reading{c} {{ question "q" position "p" reason "r" default on }}')
        for w in range(4):
            out.append(f'field fact{c}_{w}: boolean "A fact."')
        for w in range(4):
            extra = f" and assuming reading{c}" if w == 3 else ""
            out.append(f'define concept{c} as concept{c}_way{w} "Way {w}." cites act "s.{c}" '
                       f'when fact{c}_{w}{extra}')
        out.append(f'set group{c} "Group {c}" = {{{", ".join(items[4 * c:4 * c + 4])}}}')
    for version, (start, end) in enumerate((("2000-01-01", "2018-05-24"), ("2018-05-25", None))):
        period = f"in force from {start}" + (f" until {end}" if end else "")
        out.append(f'policy regime{version} "Regime {version}" version of regime {period} cites act "s.1" {{')
        for c in range(size):
            needs = " and ".join(f"concept{(c + k + version) % size}" for k in range(min(3, size)))
            out.append(f'    permit permit{version}_{c} for Item "P." cites act "s.2" when Item in group{c} and {needs}')
        out.append("}")
    out.append('forbid never_first for Item "F." cites act "s.3" when Item = item0 and fact0_0 and fact0_1')
    for c in range(size):
        out.append(f'invariant inv{c} "I." cites act "s.4" never permit Item when Item in group{c} '
                   f'and not concept{c} and not concept{(c + 1) % size}')
    return "\n".join(out) + "\n"


def timed(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,2,4,8")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print(f"{'size':>4} {'rules':>5} {'items':>5} {'invs':>4}  {'check s':>8} {'diff@ s':>8} {'regions':>7} "
          f"{'diff-assume s':>13} {'whatif s':>8} {'peak MB':>8}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "law.warrant"), "w", encoding="utf-8") as handle:
                handle.write(rulebase_text(size))
            rb = load_rulebase([folder], cache=False)
            _, check_s = timed(lambda: (exact_findings(rb), check_invariants(rb)))
            report, diff_s = timed(lambda: diff(*scenarios(rb, rb, "a", "b", [dt.date(2018, 5, 24),
                                                                                  dt.date(2018, 5, 25)], {}, ())))
            _, assume_s = timed(lambda: diff(*scenarios(rb, rb, "a", "b", [], {"reading0": True}, ())))
            request = request_from_data({"date": "2019-01-01", "items": ["item1"]}, vocabulary=rb.program.vocabulary)
            _, whatif_s = timed(lambda: decide(rb, request, explain_changes=True))
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{size:>4} {len(rb.program.rules):>5} {4 * size:>5} {size:>4}  {check_s:>8.2f} {diff_s:>8.2f} "
                  f"{len(report.regions):>7} {assume_s:>13.2f} {whatif_s:>8.2f} {peak:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
