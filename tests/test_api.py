"""The public API (`import warrant`): what an integrator uses, and the one decision rule."""
import json
import os
import re

import pytest

import warrant
from warrant.pipeline.outcome import Outcome, Reason

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REQUEST = os.path.join(ROOT, "examples", "requests", "mou_tracing.json")


@pytest.fixture(scope="module")
def rb():
    return warrant.load()


def test_combine_is_the_precedence_rule():
    assert warrant.combine(["p"], []) == (Outcome.PERMITTED, Reason.PERMISSION)
    assert warrant.combine(["p"], ["f"]) == (Outcome.REFUSED, Reason.PROHIBITION)
    assert warrant.combine([], ["f"]) == (Outcome.REFUSED, Reason.PROHIBITION)
    assert warrant.combine([], []) == (Outcome.REFUSED, Reason.NO_PERMISSION)
    assert warrant.overall(["permitted", "refused"]) == Outcome.PARTIALLY_PERMITTED
    assert warrant.overall(["refused"]) == "refused" and warrant.overall(["permitted"]) == "permitted"


def test_the_overall_rule_is_written_once():
    """No module but the outcome module spells out how items make a request's outcome."""
    engine = os.path.join(ROOT, "engine")
    for folder, _, names in os.walk(engine):
        for name in names:
            if name.endswith(".py") and name != "outcome.py":
                text = open(os.path.join(folder, name), encoding="utf-8").read()
                assert not re.search(r'else "partially_permitted"', text), name


def test_decide_from_a_path_a_mapping_and_options(rb):
    decision = rb.decide(REQUEST)
    assert decision.outcome is Outcome.PERMITTED and all(i.outcome == "permitted" for i in decision.items)
    assert decision.items[0].rules and decision.to_json()["outcome"] == "permitted"
    data = {"id": "api", "date": "2019-01-01", "items": ["name"], "requester": "home_office",
            "holder": "nhs_digital", "purpose": "tracing"}
    refused = rb.decide(data, explain="none")
    assert refused.outcome is Outcome.REFUSED and refused.items[0].reason is Reason.PROHIBITION
    assert refused.items[0].rules == ("mou_withdrawn",)
    assert rb.decide(data, at="2017-06-01").date.isoformat() == "2017-06-01"
    assert "REFUSED" in warrant.render(refused, "text") and refused.render("json").startswith("{")


def test_errors_are_warrant_errors_with_diagnostics(rb):
    with pytest.raises(warrant.WarrantError) as caught:
        rb.decide({"id": "x", "date": "2019-13-01", "items": ["name"]})
    assert caught.value.diagnostics and caught.value.diagnostics[0].code.startswith("R")
    with pytest.raises(warrant.WarrantError):
        rb.decide(REQUEST, assume={"no_such_assumption": True})
    with pytest.raises(warrant.WarrantError):
        warrant.render(rb.decide(REQUEST), "xml")


def test_decide_many_and_check_and_diff(rb):
    lines = ['{"id": "a", "date": "2017-06-01", "items": ["name"], "requester": "home_office", '
             '"holder": "nhs_digital", "purpose": "tracing", "subject": {"suspected_offences": ["overstaying"], '
             '"other_efforts_failed": true}, "public_interest_satisfied": true}', "not json"]
    records = list(rb.decide_many(lines, trace="none"))
    assert len(records) == 2 and "error" in records[1]
    report = rb.check(invariants=False)
    assert report.ok and isinstance(report.diagnostics, tuple)
    broken = warrant.check([os.path.join(ROOT, "README.md")])
    assert not broken.ok
    changes = rb.diff(at=["2018-05-08", "2018-05-09"])
    assert changes.equivalent is False and changes.exit_code == 1 and changes.to_json()["differences"]
    assert changes.render("markdown").startswith("#")


def test_a_fault_of_warrants_own_is_an_internal_error_at_the_api_and_the_cli(rb, monkeypatch):
    """A bug inside (here a KeyError planted in the prover) leaves the API as InternalError, and the command
    line says so: exit 3, and JSON on standard output under --format json."""
    import json

    from typer.testing import CliRunner

    from cli import app
    from warrant.pipeline import prove

    def broken(*args, **kwargs):
        raise KeyError("planted")
    monkeypatch.setattr(prove.Prover, "prove_atom", broken)
    with pytest.raises(warrant.InternalError, match="KeyError: 'planted'"):
        rb.decide(REQUEST)
    result = CliRunner().invoke(app, ["decide", REQUEST, "--format", "json"])
    assert result.exit_code == 3, result.output
    error = json.loads(result.stdout)["errors"][0]
    assert error["code"] == "internal" and "KeyError: 'planted'" in error["message"]
    result = CliRunner().invoke(app, ["decide", REQUEST])
    assert result.exit_code == 3 and "internal error: this is a bug in Warrant" in result.output


def test_every_command_has_its_api_call(rb, tmp_path):
    """What each command returns, called from Python: reports with to_json, render and exit_code."""
    batch = tmp_path / "b.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in rb.generate(30, seed=3)), encoding="utf-8")
    run = rb.decide_batch(batch, trace="none", jobs=1)
    lines = list(run)
    assert run.count == 30 and len(lines) >= 1 and run.exit_code in (0, 1)
    impact = rb.impact(batch, at=["2018-05-08", "2018-05-09"])
    assert impact.to_json()["total"]["requests"] == 30 and impact.render("csv").startswith("group")
    suite = rb.test(coverage=True)
    assert suite.exit_code == 0 and suite.counts["passed"] > 20 and suite.coverage is not None
    assert rb.rules().render("json").startswith("{") and "restriction_serious_offender" in rb.show(
        "restriction_serious_offender").render()
    assert rb.timeline().to_json() and rb.timeline_svg().startswith("<svg")
    assert rb.schema()["type"] == "object"
    formatting = warrant.format_files(rb.files, write=False)
    assert formatting.exit_code == 0 and formatting.unchanged == len(rb.files)
    with pytest.raises(warrant.WarrantError, match="O005"):
        warrant.check(invariants=False, counterexamples=tmp_path / "cx")
    with pytest.raises(warrant.WarrantError, match="O005"):
        warrant.diff("rules", "rules", rules="rules")
    with pytest.raises(warrant.WarrantError, match="O013"):
        rb.generate(-1)
