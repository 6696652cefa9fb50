"""What-would-change on any law (issue 34): a prohibition lifted is a way to permit (its negated conditions
included), the values of one field are one suggestion so other fields get their place, and every
suggestion is verified by deciding the changed request."""
import json

import pytest
import yaml
from typer.testing import CliRunner

from cli import app

runner = CliRunner()

VOCABULARY = '''
enum tool_kind "Tools" {
    none "No tool",
    a "Tool a",
    b "Tool b",
    c "Tool c"
}
field tool: tool_kind "The tool used."
field subject.informed: boolean "The person was told."
field attestation_obtained: boolean "An attestation was obtained."
field binding_rule: boolean "The rule binds."
'''

RULES = '''
set guarded "Guarded records" = {contact_details}
set good_tools "Tools that permit" = {a, b, c}

define rule_binds as binds_when_flagged
    "The rule binds when flagged."
    cites example_act "s.5"
    when binding_rule

permit with_tool for Item
    "Contact details with a good tool."
    cites example_act "s.5"
    when Item = contact_details
     and tool(T)
     and T in good_tools

permit when_informed for Item
    "Contact details when the person was told."
    cites example_act "s.5"
    when Item = contact_details
     and informed

forbid guarded_unless_attested for Item
    "Guarded records need an attestation while the rule binds."
    cites example_act "s.6"
    when Item in guarded
     and rule_binds
     and not attestation_obtained
'''


@pytest.fixture(scope="module")
def law(tmp_path_factory):
    root = tmp_path_factory.mktemp("wwc") / "law"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    with open(root / "vocabulary.warrant", "a", encoding="utf-8") as f:
        f.write(VOCABULARY)
    (root / "extra.warrant").write_text(RULES, encoding="utf-8")
    return root


def _request(law, name: str, **fields) -> str:
    path = law.parent / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"date": "2024-06-01", "items": ["contact_details"], "requester": "council",
                                    **fields}), encoding="utf-8")
    return str(path)


def _decide(law, request: str):
    text = runner.invoke(app, ["decide", "--rules", str(law), request])
    data = runner.invoke(app, ["decide", "--rules", str(law), "--format", "json", request])
    assert "Traceback" not in text.output + data.output and "internal error" not in text.output, text.output
    return text.output, json.loads(data.output)["items"][0]


def _verified(law, request: str, item: dict) -> None:
    """Every suggestion (and every grouped value) permits the item when the changed request is decided."""
    import warrant
    rulebase = warrant.load(str(law))
    base = yaml.safe_load(open(request, encoding="utf-8"))
    for cf in item["counterfactuals"]:
        assert cf["verified"] is True
        choices = [[(c["field"], v) for v in [c["to"], *c.get("or", [])]] for c in cf["changes"]]
        import itertools
        for combination in itertools.product(*choices):
            changed = json.loads(json.dumps(base))
            for path, value in combination:
                target = changed
                *parents, last = path.split(".")
                for part in parents:
                    target = target.setdefault(part, {})
                target[last] = value
            assert rulebase.decide(changed).items[0].outcome == "permitted", combination


def test_a_negated_condition_of_a_prohibition_is_a_way_to_permit(law):
    request = _request(law, "tool_a", tool="a", binding_rule=True)
    text, item = _decide(law, request)
    assert "REFUSED (prohibited)" in text
    assert "would be permitted if: attestation_obtained: absent -> yes (permitted by with_tool)" in text
    assert "would be permitted if: binding_rule: yes -> no (permitted by with_tool)" in text
    assert "no change to the request's facts was found" not in text
    assert {"field": "attestation_obtained", "from": None, "to": True} in \
        [c for cf in item["counterfactuals"] for c in cf["changes"]]
    _verified(law, request, item)


def test_a_false_the_request_gave_is_shown_as_given(law):
    request = _request(law, "attestation_false", tool="a", binding_rule=True, attestation_obtained=False)
    text, item = _decide(law, request)
    assert "attestation_obtained: no -> yes" in text
    _verified(law, request, item)


def test_the_values_of_one_field_are_one_suggestion(law):
    request = _request(law, "no_tool", tool="none")
    text, item = _decide(law, request)
    assert "would be permitted if: tool: none -> a | b | c (permitted by with_tool)" in text
    assert "would be permitted if: subject.informed: absent -> yes (permitted by when_informed)" in text
    tool = next(c for cf in item["counterfactuals"] for c in cf["changes"] if c["field"] == "tool")
    assert (tool["to"], tool["or"]) == ("a", ["b", "c"])
    _verified(law, request, item)


def test_a_permission_met_and_a_prohibition_lifted_together(law):
    request = _request(law, "both", tool="none", binding_rule=True)
    text, item = _decide(law, request)
    assert "attestation_obtained: absent -> yes; tool: none -> a | b | c (permitted by with_tool)" in text
    assert "attestation_obtained: absent -> yes; subject.informed: absent -> yes (permitted by when_informed)" in text
    assert "... and 1 more way(s) with as few changes, not shown" in text and item["counterfactuals_more"] == 1
    assert len(item["counterfactuals"]) == 3
    _verified(law, request, item)
