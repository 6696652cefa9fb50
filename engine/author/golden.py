"""Golden decision cases: a request file beside its expected decision.

A case is `NAME.yaml` (or `.json`) with `NAME.expected.json` next to it,
holding the decision in the stable JSON form. `run_case` decides the request
and compares; `update=True` rewrites the expected file (atomically, and only
when it changed). Used by `warrant test` and by pytest (tests/conftest.py),
so both run exactly the same cases.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass

from engine.pipeline.decide import decide
from engine.pipeline.errors import WarrantError
from engine.pipeline.files import write_atomic
from engine.pipeline.render.json import render_json
from engine.pipeline.request import load_request

CASE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class CaseResult:
    path: str
    expected_path: str
    status: str          # passed | failed | updated | missing | error (the case file is bad)
    diff: str = ""
    decision: object = None


def expected_path_for(path: str) -> str:
    return path.rsplit(".", 1)[0] + ".expected.json"


def is_case(path: str) -> bool:
    return path.endswith(CASE_SUFFIXES) and not path.endswith(".expected.json")


def find_cases(paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        if os.path.isdir(path):
            for folder, dirs, names in os.walk(path):
                dirs.sort()
                found += [os.path.join(folder, n) for n in sorted(names) if is_case(n)]
        else:
            found.append(path)
    return found


def run_case(rulebase, path: str, update: bool = False, verify: bool = True) -> CaseResult:
    try:
        request = load_request(path, rulebase.vocabulary)
    except WarrantError as exc:
        from engine.pipeline.errors import render_all
        return CaseResult(path, expected_path_for(path), "error", render_all(exc.diagnostics))
    decision = decide(rulebase, request)
    if verify:
        from engine.checker.verify import verify_decision
        problems = verify_decision(rulebase, request, decision)
        if problems:
            return CaseResult(path, expected_path_for(path), "failed",
                              "proof check failed:\n  " + "\n  ".join(problems), decision)
    actual = render_json([decision])
    expected_file = expected_path_for(path)
    expected = None
    if os.path.exists(expected_file):
        with open(expected_file, encoding="utf-8") as handle:
            expected = handle.read()
    if expected == actual:
        return CaseResult(path, expected_file, "passed", decision=decision)
    if update:
        write_atomic(expected_file, actual)
        return CaseResult(path, expected_file, "updated", decision=decision)
    if expected is None:
        return CaseResult(path, expected_file, "missing",
                          f"no expected file {expected_file}; run with --update to create it", decision)
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        fromfile=expected_file, tofile="actual", n=2))
    return CaseResult(path, expected_file, "failed", _headline(expected, decision) + diff, decision)


def _headline(expected_text: str, decision) -> str:
    """One line saying how the outcome moved, above the diff, when it did."""
    import json
    try:
        expected = json.loads(expected_text)
        expected = expected[0] if isinstance(expected, list) else expected
        before = {i["item"]: i["outcome"] for i in expected.get("items", [])}
    except (ValueError, AttributeError, KeyError, TypeError):
        return ""
    moved = [f"{i.item}: {before[i.item]} -> {i.outcome}" for i in decision.items
             if i.item in before and before[i.item] != i.outcome]
    if not moved:
        return "outcomes unchanged; the trace differs:\n"
    return "outcome changed: " + "; ".join(moved) + "\n"


_SUITE: dict = {}   # what forked workers inherit: the rulebase and the run's options


def _run_one(path: str) -> CaseResult:
    return run_case(_SUITE["rulebase"], path, _SUITE["update"], _SUITE["verify"])


def run_suite(rulebase, paths: list[str], update: bool = False, verify: bool = True,
              jobs: int = 1) -> list[CaseResult]:
    """Every case under `paths`, in a stable order; on `jobs` processes (0: one per core) when there are many."""
    cases = find_cases(paths)
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(cases) < 40:
        return [run_case(rulebase, path, update, verify) for path in cases]
    import multiprocessing
    rulebase.engine                      # built once, before the fork
    _SUITE.update(rulebase=rulebase, update=update, verify=verify)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.map(_run_one, cases, chunksize=max(1, len(cases) // (jobs * 8)))
