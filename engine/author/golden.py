"""Golden decision cases: a request file beside its expected decision.

A case is `NAME.yaml` (or `.json`) with `NAME.expected.json` next to it,
holding the decision in the stable JSON form. `run_case` decides the request
and compares; `update=True` rewrites the expected file (atomically, and only
when it changed) and says what changed: the outcomes that moved, then a
short diff. Used by `warrant test` and by pytest (tests/conftest.py), so both
run exactly the same cases.

An expected file whose JSON has `"check": "outcomes"` asserts only the
overall outcome and each item's outcome and deciding rules, so rewording a
statement or a citation does not break it (`--outcomes-only` writes one).
"""
from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, replace

from warrant.pipeline.decide import decide
from warrant.review.counterfactual import explain_refusals
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.files import walk_files, write_atomic
from warrant.pipeline.render.json import decision_to_json, render_json
from warrant.pipeline.request import load_request

CASE_SUFFIXES = (".yaml", ".yml", ".json")
SHORT_DIFF = 12          # diff lines shown per updated case


@dataclass(frozen=True)
class CaseResult:
    path: str
    expected_path: str
    status: str          # passed | failed | updated | missing | error (the case file is bad)
    diff: str = ""
    decision: object = None
    moved: tuple = ()    # "item: before -> after" for each item whose outcome changed


def expected_path_for(path: str) -> str:
    return path.rsplit(".", 1)[0] + ".expected.json"


def is_case(path: str) -> bool:
    return path.endswith(CASE_SUFFIXES) and not path.endswith(".expected.json")


MAX_EXPECTED_BYTES = 16 << 20     # one expected file: 16 MiB (the largest shipped is under 100 KB)


def read_expected(path: str) -> str | None:
    """The expected file's text, or None when there is none; anything but a regular UTF-8 file of at most
    MAX_EXPECTED_BYTES is a located user error (O019), found before it is opened (a FIFO never blocks)."""
    from warrant.pipeline.errors import Span
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WarrantError.at("O019", f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise WarrantError.at("O019", f"{path} is not a regular file (a folder, pipe or device); an expected "
                                      "file must be one")
    if info.st_size > MAX_EXPECTED_BYTES:
        raise WarrantError.at("O019", f"{path} is {info.st_size:,} bytes; an expected file is at most "
                                      f"{MAX_EXPECTED_BYTES:,}", Span(path, 1, 1, 1, 1))
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_EXPECTED_BYTES + 1)
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WarrantError.at("O019", f"{path} is not UTF-8 (at byte {exc.start})") from None
    except OSError as exc:
        raise WarrantError.at("O019", f"cannot read {path}: {exc.strerror or exc}") from None


def find_cases(paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        if os.path.isdir(path):
            for folder, names in walk_files(path, code="O019"):
                found += [os.path.join(folder, n) for n in names if is_case(n)]
        else:
            found.append(path)
    return found


def outcomes_form(decision) -> dict:
    """What an outcomes-only case asserts: outcomes and deciding rules, no trace."""
    items = []
    for item in decision.items:
        rules = sorted({p.rule for p in item.proofs if p.rule})
        items.append({"item": item.item, "outcome": item.outcome, "deciding": rules})
    return {"check": "outcomes", "request": decision.request, "outcome": decision.outcome, "items": items}


def _outcomes_only(text: str | None) -> bool:
    import json
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("check") == "outcomes"


def run_case(rulebase, path: str, update: bool = False, verify: bool = True,
             outcomes_only: bool = False) -> CaseResult:
    try:
        request = load_request(path, rulebase.vocabulary)
    except WarrantError as exc:
        from warrant.pipeline.errors import render_all
        return CaseResult(path, expected_path_for(path), "error", render_all(exc.diagnostics))
    decision = explain_refusals(rulebase, request, decide(rulebase, request))
    if verify:
        from warrant.checker.verify import verify_decision
        problems = verify_decision(rulebase, request, decision)
        if problems:
            return CaseResult(path, expected_path_for(path), "failed",
                              "proof check failed:\n  " + "\n  ".join(problems), decision)
    import json
    expected_file = expected_path_for(path)
    try:
        expected = read_expected(expected_file)
    except WarrantError as exc:
        from warrant.pipeline.errors import render_all
        return CaseResult(path, expected_file, "error", render_all(exc.diagnostics))
    short = outcomes_only or _outcomes_only(expected)
    if expected is not None and not update:
        # Comparing the parsed expected file with the decision's JSON data is exact (the same keys and
        # values) and skips rendering the indented text, the slowest step; the text is made for a diff.
        try:
            if json.loads(expected) == (outcomes_form(decision) if short else decision_to_json(decision, stable=True)):
                return CaseResult(path, expected_file, "passed", decision=decision)
        except ValueError:
            pass
    if short:
        actual = json.dumps(outcomes_form(decision), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    else:
        actual = render_json([decision], stable=True)
    if expected == actual:
        return CaseResult(path, expected_file, "passed", decision=decision)
    moved = _moved(expected, decision)
    diff = "" if expected is None else "".join(difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True), fromfile=expected_file, tofile="actual", n=1))
    if update:
        write_atomic(expected_file, actual)
        summary = "new expected file" if expected is None else _headline(moved) + _short(diff)
        return CaseResult(path, expected_file, "updated", summary, decision, moved)
    if expected is None:
        return CaseResult(path, expected_file, "missing",
                          f"no expected file {expected_file}; run with --update to create it", decision)
    return CaseResult(path, expected_file, "failed", _headline(moved) + diff, decision, moved)


def _moved(expected_text: str | None, decision) -> tuple:
    """Each item whose outcome differs from the expected file's: "item: before -> after"."""
    import json
    try:
        expected = json.loads(expected_text) if expected_text else None
        expected = expected[0] if isinstance(expected, list) else expected
        before = {i["item"]: i["outcome"] for i in expected.get("items", [])}
    except (ValueError, AttributeError, KeyError, TypeError):
        return ()
    return tuple(f"{i.item}: {before[i.item]} -> {i.outcome}" for i in decision.items
                 if i.item in before and before[i.item] != i.outcome)


def _headline(moved: tuple) -> str:
    """One line saying how the outcome moved, above the diff, when it did."""
    if not moved:
        return "outcomes unchanged; the trace differs:\n"
    return "outcome changed: " + "; ".join(moved) + "\n"


def _short(diff: str) -> str:
    lines = [l for l in diff.splitlines(True) if not l.startswith(("---", "+++"))]
    if len(lines) <= SHORT_DIFF:
        return "".join(lines)
    return "".join(lines[:SHORT_DIFF]) + f"... ({len(lines) - SHORT_DIFF} more diff lines)\n"


_SUITE: dict = {}   # what forked workers inherit: the rulebase and the run's options


def _run_one(path: str) -> CaseResult:
    result = run_case(_SUITE["rulebase"], path, _SUITE["update"], _SUITE["verify"], _SUITE["outcomes_only"])
    return result if _SUITE["decisions"] else replace(result, decision=None)


def run_suite(rulebase, paths: list[str], update: bool = False, verify: bool = True,
              jobs: int = 1, outcomes_only: bool = False, decisions: bool = True) -> list[CaseResult]:
    """Every case under `paths`, in a stable order; on `jobs` processes (0: one per core) when there are many.

    `decisions=False`: a worker sends back each case's verdict without its
    decision (coverage needs them; the verdict alone is a tenth of the bytes).
    """
    cases = find_cases(paths)
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(cases) < 40:
        return [run_case(rulebase, path, update, verify, outcomes_only) for path in cases]
    from warrant.batch.pool import ordered_map
    rulebase.engine                      # built once, before the fork
    _SUITE.update(rulebase=rulebase, update=update, verify=verify, outcomes_only=outcomes_only, decisions=decisions)
    size = max(1, len(cases) // (jobs * 8))
    batches = [cases[i:i + size] for i in range(0, len(cases), size)]
    return [result for _, results in ordered_map(_run_many, batches, jobs) for result in results]


def _run_many(paths: list[str]) -> list[CaseResult]:
    return [_run_one(path) for path in paths]
