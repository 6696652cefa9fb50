"""Counterfactuals: each one re-decided independently permits the item; smallest; fixed fields stay fixed."""
import copy
import os

import pytest
from typer.testing import CliRunner

from cli import app
from warrant.review.counterfactual import _set_path
from warrant.pipeline.decide import decide
from warrant.review.counterfactual import explain_refusals
from warrant.author.golden import find_cases
from helpers import load_request, request_from_data

ROOT = os.path.join(os.path.dirname(__file__), "..")
CASES = os.path.join(ROOT, "tests", "golden", "decisions")
runner = CliRunner()


def _all_counterfactuals(rulebase):
    for path in find_cases([CASES]):
        request = load_request(path)
        decision = explain_refusals(rulebase, request, decide(rulebase, request))
        for item in decision.items:
            for cf in item.counterfactuals:
                yield os.path.basename(path), request, item.item, cf


def test_every_counterfactual_really_permits_the_item(rulebase):
    seen = 0
    for name, request, item, cf in _all_counterfactuals(rulebase):
        document = copy.deepcopy(request.data)
        for change in cf.changes:
            _set_path(document, change.path, change.after)
            assert change.path.split(".")[0].split("[")[0] not in rulebase.vocabulary.fixed, (name, change)
        changed = request_from_data(document)
        again = decide(rulebase, changed)
        outcome = next(i for i in again.items if i.item == item)
        assert outcome.outcome == "permitted", (name, cf.describe())
        assert {p.rule for p in outcome.proofs} == set(cf.permitted_by)
        seen += 1
    assert seen >= 15


@pytest.mark.parametrize("case,expected", [
    ("sentence_11_months", "subject.convictions[0].sentence_months: 11 months -> 12 months"),
    ("debt_499_99", "subject.nhs_debt: £499.99 -> £500"),
    ("safeguard_in_contact", "subject.in_contact_with_authorities: yes -> no"),
    ("subject_access_exempt", "subject.disclosure_prejudices_immigration_control: yes -> no"),
])
def test_smallest_change_at_the_boundary(rulebase, case, expected):
    request = load_request(os.path.join(CASES, case + ".yaml"))
    decision = explain_refusals(rulebase, request, decide(rulebase, request))
    refused = next(i for i in decision.items if i.outcome == "refused")
    described = [" ; ".join(c.describe() for c in cf.changes) for cf in refused.counterfactuals]
    assert expected in described, described
    assert all(len(cf.changes) == 1 for cf in refused.counterfactuals)


def test_date_and_requester_stay_fixed_unless_asked():
    path = os.path.join(CASES, "requester_police.yaml")
    result = runner.invoke(app, ["decide", path])
    assert "no change to the request's facts was found" in result.output
    result = runner.invoke(app, ["decide", path, "--vary", "requester"])
    assert "would be permitted if: requester: police -> home_office" in result.output
    result = runner.invoke(app, ["decide", path, "--vary", "date"])
    assert result.exit_code == 2 and "O008" in result.output


def test_counterfactuals_in_json_and_markdown():
    path = os.path.join(CASES, "sentence_11_months.yaml")
    result = runner.invoke(app, ["decide", path, "--format", "json"])
    assert '"field": "subject.convictions[0].sentence_months"' in result.output and '"verified": true' in result.output
    result = runner.invoke(app, ["decide", path, "--format", "markdown"])
    assert "**Would be permitted if:** subject.convictions[0].sentence_months: 11 months -> 12 months" in result.output


def test_a_boolean_given_as_false_is_shown_as_given():
    """A suggestion names the value the request gave (`no`), not `absent`, for a boolean it set to false."""
    from typer.testing import CliRunner
    from cli import app
    case = os.path.join(os.path.dirname(__file__), "golden", "decisions", "safeguard_efforts_not_failed.yaml")
    result = CliRunner().invoke(app, ["decide", case])
    assert "subject.other_efforts_failed: no -> yes" in result.output, result.output
    assert "subject.other_efforts_failed: absent -> yes" not in result.output
