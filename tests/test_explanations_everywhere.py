"""Every explanation feature over every shipped rulebase and over generated laws (issue 34, item 6).

Coverage, what-would-change (each suggestion verified by deciding the changed
request), why-not (every format), compare and impact (two dates), show (every
name the name index lists), rules and timeline: none may end in an internal
error, and no output, text or JSON, may show a compiled clause's id (a
policy's `__in_force`, a dated period's `__from_`, a conditional duty's
`__requires_`, or any `<set>__` clause).
"""
from __future__ import annotations

import copy
import datetime
import glob
import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import warrant
from helpers import vocabulary_text
from strategies import requests, rulebases
from warrant import WarrantError

ROOT = os.path.join(os.path.dirname(__file__), "..")
SHIPPED = ["rules"] + sorted(os.path.relpath(p, ROOT)
                             for p in glob.glob(os.path.join(ROOT, "examples", "rulebases", "*")) if os.path.isdir(p))
INTERNAL = ("__in_force", "__from_", "__requires_", "Traceback", "InternalError", "internal error")
FORMATS = ("text", "json", "markdown", "html", "dot")
REFUSED_SAMPLE = 3                 # refused golden cases per rulebase whose suggestions are verified
COVERAGE_SAMPLE = 8                # golden cases per rulebase (with the refused ones) that coverage measures


def _clean(output, where: str, sets=()) -> None:
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    for marker in INTERNAL + tuple(f"{s}__" for s in sets):
        assert marker not in text, f"{where}: {marker!r} in\n{text[:4000]}"


def _cases(rules: str) -> list[str]:
    shipped = os.path.join(ROOT, "tests", "golden", "decisions")
    folder = shipped if rules == "rules" else os.path.join(ROOT, rules, "cases")
    return sorted(glob.glob(os.path.join(folder, "*.yaml")))


def _refused(cases: list[str]) -> list[str]:
    refused = []
    for case in cases:
        expected = case[: -len(".yaml")] + ".expected.json"
        if os.path.exists(expected) and json.load(open(expected, encoding="utf-8")).get("outcome") == "refused":
            refused.append(case)
    return refused[:REFUSED_SAMPLE]


def _dates(rulebase) -> list[str]:
    """Two dates the law changes between: its first and last policy start (or a year on)."""
    starts = sorted({p["from"] for p in rulebase.timeline().to_json()["policies"] if p.get("from")})
    if len(starts) >= 2:
        return [starts[0], starts[-1]]
    first = datetime.date.fromisoformat(starts[0]) if starts else datetime.date(2020, 1, 1)
    return [first.isoformat(), (first + datetime.timedelta(days=366)).isoformat()]


def _set(document: dict, path: str, value) -> None:
    """Set a suggestion's field (`subject.consents[0].kind`) in a request document; None removes it."""
    parts = [p for part in path.split(".") for p in part.replace("]", "").split("[")]
    target = document
    for part, after in zip(parts, parts[1:]):
        key = int(part) if part.isdigit() else part
        if isinstance(target, dict):
            target = target.setdefault(key, [] if after.isdigit() else {})
        else:
            target = target[key]
    last = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
    if value is None and isinstance(target, dict):
        target.pop(last, None)
    else:
        target[last] = value


def _verify_suggestions(rulebase, request, decision, where: str) -> int:
    """Each suggestion (and each grouped value) permits its item when the changed request is decided."""
    base = rulebase.request(request).data
    checked = 0
    for item in decision.to_json()["items"]:
        for suggestion in item.get("counterfactuals", ()):
            assert suggestion["verified"] is True, (where, suggestion)
            for change in suggestion["changes"]:
                for value in [change["to"], *change.get("or", [])]:
                    changed = copy.deepcopy(base)
                    for other in suggestion["changes"]:
                        _set(changed, other["field"], value if other is change else other["to"])
                    again = rulebase.decide(changed, explain="none")
                    outcome = next(i.outcome for i in again.items if i.item == item["item"])
                    assert outcome == "permitted", (where, item["item"], suggestion, value)
                    checked += 1
    return checked


def _explain_everything(rulebase, rules_path: str, cases: list[str], refused: list[str], batch: str,
                         shown_in: str | None = None) -> None:
    """Every explanation feature over one rulebase, every output checked for internal errors and ids
    (`show` for every name, or for those declared in the file `shown_in`)."""
    index = warrant.names(rules_path)
    sets = {n.name for n in index.names if n.kind == "set"}
    where = os.path.basename(os.path.normpath(rules_path))
    first, last = _dates(rulebase)

    for request in refused or cases[:1]:              # why-not and what-would-change, every format
        decision = rulebase.decide(request)
        for fmt in FORMATS:
            _clean(decision.render(fmt), f"{where} decide {fmt} {request}", sets)
        _verify_suggestions(rulebase, request, decision, f"{where} {request}")

    for request in (refused or cases)[:1] + cases[:1]:  # compare: two dates
        compared = rulebase.compare(request, at=[first, last])
        _clean(compared.render("text"), f"{where} compare", sets)
        _clean(compared.to_json(), f"{where} compare json", sets)

    impact = rulebase.impact(batch, at=[first, last])
    for fmt in impact.FORMATS:
        _clean(impact.render(fmt), f"{where} impact {fmt}", sets)

    for name in sorted({n.name for n in index.names if shown_in is None or n.span.file.endswith(shown_in)}):
        shown = rulebase.show(name)
        _clean(shown.text, f"{where} show {name}", sets)
        _clean(shown.data, f"{where} show {name} json", sets)

    for day in (None, first, last):
        listed = rulebase.rules(day)
        _clean(listed.text, f"{where} rules --at {day}", sets)
        _clean(listed.data, f"{where} rules json --at {day}", sets)
    timeline = rulebase.timeline()
    _clean(timeline.text, f"{where} timeline", sets)
    _clean(timeline.data, f"{where} timeline json", sets)
    _clean(rulebase.timeline_svg(), f"{where} timeline svg", sets)


def _batch(rulebase, folder: str, count: int = 6) -> str:
    path = os.path.join(folder, "batch.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        for request in rulebase.generate(count, seed=3):
            handle.write(json.dumps(request, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("rules", SHIPPED)
def test_every_explanation_of_a_shipped_rulebase(rules, tmp_path):
    rules_path = os.path.join(ROOT, rules)
    rulebase = warrant.load(rules_path)
    cases = _cases(rules)
    assert cases, rules
    refused = _refused(cases)
    sample = sorted(set(cases[::max(1, len(cases) // COVERAGE_SAMPLE)] + refused))
    suite = rulebase.test(sample, coverage=True, verify=False, jobs=1)    # every decision is proof-checked
    assert suite.counts["error"] == 0 and suite.coverage is not None, suite.render("text")    # (conftest)
    sets = {n.name for n in warrant.names(rules_path).names if n.kind == "set"}
    _clean(suite.render("text"), f"{rules} coverage", sets)
    _clean(suite.to_json(), f"{rules} coverage json", sets)
    _explain_everything(rulebase, rules_path, cases, refused, _batch(rulebase, str(tmp_path)))


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=rulebases(), documents=st.lists(requests(), min_size=1, max_size=2))
def test_every_explanation_of_a_generated_law(text, documents):
    with tempfile.TemporaryDirectory() as folder:
        law = os.path.join(folder, "law")
        os.makedirs(os.path.join(law, "cases"))
        with open(os.path.join(law, "law.warrant"), "w", encoding="utf-8") as handle:
            handle.write(text)
        with open(os.path.join(law, "vocabulary.warrant"), "w", encoding="utf-8") as handle:
            handle.write(vocabulary_text())
        try:
            rulebase = warrant.load(law, cache=False)
        except WarrantError:
            assume(False)                                 # the checker rejected it (a contradiction)
            return
        cases = []
        for index, document in enumerate(documents):
            case = os.path.join(law, "cases", f"c{index}.yaml")
            with open(case, "w", encoding="utf-8") as handle:
                json.dump(document, handle)                # JSON is YAML
            cases.append(case)
        rulebase.test(update=True, jobs=1)
        suite = rulebase.test(coverage=True, verify=False, jobs=1)
        assert suite.counts["error"] == 0, suite.render("text")
        _clean(suite.render("text"), "coverage", ("sd", "vd"))
        _clean(suite.to_json(), "coverage json", ("sd", "vd"))
        batch = os.path.join(folder, "batch.jsonl")
        with open(batch, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(d) + "\n" for d in documents)
        refused = [c for c, d in zip(cases, documents) if rulebase.decide(d, explain="none").outcome.value == "refused"]
        _explain_everything(rulebase, law, cases, refused, batch, shown_in="law.warrant")
