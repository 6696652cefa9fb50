import json

import pytest

from helpers import load_request, request_from_data
from warrant.pipeline.values import Money, Months
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


def _mutations(document: dict, rng) -> list:
    """The document broken or bent in one place: a key dropped or unknown, a value of another type, an entry
    repeated, a mapping replaced; most must be refused, some are still valid."""
    import copy
    out = []
    paths = [(document, k) for k in document] + [(document["subject"], k) for k in document.get("subject", {})]
    for holder, key in rng.sample(paths, min(4, len(paths))):
        for value in (None, 3, -1, "x", "", [], {}, True, 1.5, "£1.234", "2018-02-30", [holder[key]] * 2):
            changed = copy.deepcopy(document)
            target = changed if holder is document else changed["subject"]
            target[key] = value
            out.append(changed)
        dropped = copy.deepcopy(document)
        (dropped if holder is document else dropped["subject"]).pop(key)
        out.append(dropped)
    for extra in ({"unknown": 1}, {"subject": []}, {"subject": None}, {"id": False}, {"assume": {"a": 1}},
                  {"drafts": "x"}, {"items": []}, {"items": ["name", "name"]}):
        changed = copy.deepcopy(document)
        changed.update(extra)
        out.append(changed)
    return out


@pytest.mark.parametrize("rules", ["rules", "examples/rulebases/uk_gdpr"])
def test_the_compiled_validator_builds_exactly_what_the_located_checks_build(rules):
    """validator.read takes the common valid document or declines; it never accepts what the located
    checks refuse, and what it accepts is the same Request, fact for fact and origin for origin."""
    import random
    from warrant.batch.synthetic import generate
    from warrant.pipeline import validator
    from warrant.pipeline.errors import WarrantError
    from warrant.pipeline.request import located_request
    from warrant.pipeline.rulebase import load_rulebase
    rulebase = load_rulebase([rules])
    vocabulary = rulebase.vocabulary
    rng = random.Random(5)
    documents = list(generate(rulebase, 150, seed=3))
    documents += [m for d in documents[:40] for m in _mutations(d, rng)]
    taken = declined = refused = 0
    for document in documents:
        try:
            located = located_request(document, vocabulary=vocabulary)
        except WarrantError:
            located = None
        quick = validator.read(vocabulary, document, None, "request")
        if located is None:
            refused += 1
            assert quick is None, document
            continue
        if quick is None:
            declined += 1
            continue
        taken += 1
        assert (quick.id, quick.date, quick.facts, quick.items, quick.assume, quick.drafts) == \
            (located.id, located.date, located.facts, located.items, located.assume, located.drafts), document
    assert taken >= 150 and refused > 100, (taken, declined, refused)
