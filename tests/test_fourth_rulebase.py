"""A fourth rulebase, of a shape the engine was not tuned for: the exceptions to prior consent of US
education-records law, 34 CFR 99.31 (FERPA), in `examples/rulebases/ferpa_99_31`, rule files only.

It is written at the size issue 35 asks for (ten or more routes to release, five or more judgements, an
obligation on every permission, a lineage of three versions, a dated set of ten periods over an enumeration
of 50+ values, prohibitions gated by `in force(...)`, 30+ golden cases, 5+ invariants); it checks clean with
its invariants proved, and its golden cases pass, from another working folder with the cache off.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FERPA = os.path.join(ROOT, "examples", "rulebases", "ferpa_99_31")
CLI = os.path.join(ROOT, "cli.py")

# A few goldens of every kind of outcome (the whole suite takes about a second a case; see README "Write a
# rulebase for another law"): permitted, refused by a prohibition on a dated set's period, refused for want of
# a permission, undetermined, partially permitted, a lineage changeover and a conditional obligation.
SAMPLE = ["contractor_first_day_2009", "workforce_agency_2011", "juvenile_statute_of_19_november_1974",
          "emergency_threat_open_2010", "directory_to_marketer_1980", "transfer_seeks_enrollment_1990"]


def _text(name):
    with open(os.path.join(FERPA, name), encoding="utf-8") as handle:
        return handle.read()


def _run(*args, cwd):
    env = {**os.environ, "WARRANT_CACHE": "off"}
    return subprocess.run([sys.executable, CLI, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_written_as_rule_files_only_at_the_asked_size():
    names = [n for _, _, files in os.walk(FERPA) for n in files]
    assert not [n for n in names if n.endswith(".py")]
    assert len([n for n in names if n.endswith(".expected.json")]) >= 30
    rules = "".join(_text(n) for n in sorted(os.listdir(FERPA)) if n.endswith(".warrant"))
    permits = re.findall(r"^\s*permit (\w+) for Item", rules, re.M)
    assert len(permits) >= 10
    # every permission carries an obligation before its conditions
    for body in re.split(r"^\s*permit ", rules, flags=re.M)[1:]:
        assert "requires " in body.split("\n        when ")[0], body[:80]
    assert len(re.findall(r"boolean judgement", rules)) >= 5
    assert len(re.findall(r"version of studies_and_audits", rules)) == 3
    vocabulary = _text("vocabulary.warrant")
    party = vocabulary.split('enum party "')[1].split("}")[0]
    assert len(re.findall(r"^\s+\w+ \"", party, re.M)) >= 50
    named = vocabulary.split('set recipients_named "')[1].split("\nset ")[0]
    assert len(re.findall(r"^\s+from \d{4}-\d\d-\d\d", named, re.M)) >= 10
    assert len(re.findall(r"^invariant ", rules, re.M)) >= 5
    assert all("in force(" in body.split("\n\n")[0] for body in re.split(r"^forbid ", rules, flags=re.M)[1:])


def test_checks_clean_with_every_invariant_proved_from_another_folder(tmp_path):
    run = _run("check", "--rules", FERPA, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 error(s), 0 warning(s)" in run.stdout, run.stdout[-3000:]
    assert re.search(r"invariants: (\d+) of \1 proved for every request", run.stdout), run.stdout[-3000:]
    assert "not proved" not in run.stdout and "checked on" not in run.stdout


def test_goldens_pass_from_another_folder_with_the_cache_off(tmp_path):
    cases = [os.path.join(FERPA, "cases", name + ".yaml") for name in SAMPLE]
    if os.environ.get("WARRANT_FOURTH_ALL_GOLDENS"):
        cases = [os.path.join(FERPA, "cases")]
    run = _run("test", "--rules", FERPA, *cases, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert re.search(r"\d+ passed, 0 failed", run.stdout + run.stderr), run.stdout + run.stderr


def test_formatted():
    run = _run("fmt", "--check", "--rules", FERPA, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("trace", ["all"])
def test_batch_traces_with_open_judgements_equal_fresh_decisions(trace):
    """A request leaving judgements open is traced from its class's template and its answers from the class
    caches: the record must be the fresh decision's, byte for byte, whatever ran before it in the batch."""
    import json

    import warrant
    from warrant.batch.decider import BatchDecider
    from warrant.pipeline.decide import decide
    from warrant.pipeline.judgement import open_questions
    from warrant.pipeline.render.json import decision_to_json
    from warrant.pipeline.request import request_from_data
    loaded = warrant.load(FERPA, cache=False)._loaded
    decider = BatchDecider(loaded, trace=trace)
    documents = [dict(d) for d in warrant.load(FERPA, cache=False).generate(50, seed=3)]
    documents += documents[:15]                  # repeats: the second time from the caches
    opened = 0
    for document in documents:
        request = request_from_data(document, vocabulary=loaded.program.vocabulary)
        opened += bool(open_questions(loaded, request))
        got = decider._decide_record(request)
        fresh = decision_to_json(decide(loaded, request))
        if trace == "refused" and fresh["outcome"] == "permitted":
            assert got["outcome"] == "permitted" and "items" in got
            continue
        assert json.dumps(got, sort_keys=True, default=str) == \
            json.dumps({**fresh, "request": request.id}, sort_keys=True, default=str), request.id
    assert opened > 20


def test_class_caches_are_exact_on_a_law_with_dated_sets_and_judgements():
    """Per-item class keys (the other requested items left out, a dated set tested on the request's date) give
    exactly the outcomes and deciding rules of a fresh evaluation, for this law's own distribution."""
    import warrant
    from warrant.batch.decider import BatchDecider
    from warrant.pipeline.decide import decide_outcomes
    from warrant.pipeline.request import request_from_data
    loaded = warrant.load(FERPA, cache=False)._loaded
    decider = BatchDecider(loaded, trace="none")
    assert decider.per_item and decider.abstraction.relevance is not None
    documents = [dict(d) for d in warrant.load(FERPA, cache=False).generate(400, seed=21)]
    for document in documents:
        request = request_from_data(document, vocabulary=loaded.program.vocabulary)
        assert decider.outcome(request) == decide_outcomes(loaded, request), request.id
    assert decider.per_rule                    # no conclusion came from a rule the relevance did not expect
    assert decider.evaluations < len(documents) / 2
