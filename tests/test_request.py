import json

import pytest

from helpers import load_request, request_from_data
from engine.pipeline.values import Money, Months
from helpers import assert_warrant_error

GOOD = {"date": "2018-07-01", "requester": "home_office", "holder": "nhs_digital", "purpose": "tracing",
        "items": ["name"], "subject": {"nhs_debt": "£500.00", "convictions": [{"offence": "robbery",
                                                                               "sentence_months": 12}]}}


def write(tmp_path, text, name="r.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_good_request_facts():
    request = request_from_data(GOOD)
    facts = {(f.predicate, f.args) for f in request.facts}
    assert ("nhs_debt", (Money(50000),)) in facts
    assert ("convicted", ("robbery", Months(12))) in facts


@pytest.mark.parametrize("change,code,field", [
    ({"subject": {"sentense": 3}}, "R001", "subject.sentense"),
    ({"requester": 3}, "R002", "requester"),
    ({"subject": {"nhs_debt": 499.99}}, "R002", "subject.nhs_debt"),
    ({"subject": {"nhs_debt": "£-5"}}, "R003", "subject.nhs_debt"),
    ({"subject": {"nhs_debt": "£5.001"}}, "R003", "subject.nhs_debt"),
    ({"date": "2018-02-30"}, "R003", "date"),
    ({"subject": {"convictions": [{"offence": "x", "sentence_months": -1}]}}, "R004", "subject.convictions[0]"),
    ({"holder": "nhs_digitl"}, "R005", "holder"),
    ({"subject": {"convictions": [{"offence": "x"}]}}, "R006", "subject.convictions[0]"),
])
def test_bad_field_named(change, code, field):
    data = {**GOOD, **change}
    found = assert_warrant_error(lambda: request_from_data(data), code)
    assert found.message.startswith(field)


def test_yaml_error_has_line_and_suggestion(tmp_path):
    path = write(tmp_path, "date: 2018-07-01\nrequester: home_office\nholder: nhs_digital\npurpose: tracing\n"
                           "items: [name]\nsubject:\n  in_contact_with_authoritys: true\n")
    found = assert_warrant_error(lambda: load_request(path), "R001", 7, 3)
    assert found.suggestion == "in_contact_with_authorities"


def test_malformed_yaml_and_json(tmp_path):
    assert_warrant_error(lambda: load_request(write(tmp_path, "date: [unclosed\n")), "R000", 2)
    assert_warrant_error(lambda: load_request(write(tmp_path, '{"date": }', "r.json")), "R000", 1)
    assert_warrant_error(lambda: load_request(str(tmp_path / "missing.yaml")), "R000")


def test_json_request_has_lines(tmp_path):
    data = {**GOOD, "holder": "nobody"}
    found = assert_warrant_error(lambda: load_request(write(tmp_path, json.dumps(data, indent=1), "r.json")), "R005")
    assert found.span.line > 1


def test_schema_file_matches_vocabulary(rulebase):
    import os
    json_schema = rulebase.vocabulary.json_schema
    path = os.path.join(os.path.dirname(__file__), "..", "schema", "request.schema.json")
    assert json.load(open(path, encoding="utf-8")) == json_schema(), "regenerate with `warrant schema`"
