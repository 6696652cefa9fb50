"""The published JSON Schema and Warrant's own validation agree on every request of a generated corpus."""
import copy
import json
import os
import random

import pytest

from bench.generate import generate
from warrant.pipeline.errors import WarrantError
from helpers import request_from_data

jsonschema = pytest.importorskip("jsonschema")
GDPR = os.path.join(os.path.dirname(__file__), "..", "examples", "rulebases", "uk_gdpr")


def _mutations(document: dict, rng: random.Random):
    """The document itself and copies broken (or not) in the ways a person might get wrong."""
    yield document
    paths = [(document, k) for k in document] + [(document["subject"], k) for k in document.get("subject", {})]
    for _ in range(4):
        broken = copy.deepcopy(document)
        container, key = rng.choice(paths)
        target = broken if container is document else broken["subject"]
        choice = rng.randrange(9)
        if choice == 0:
            target.pop(key, None)
        elif choice == 1:
            target[key] = rng.choice([None, 7, "x", True, [], {}, "£500", "2018-02-30", -1])
        elif choice == 2:
            target[key + "s"] = target.get(key)
        elif choice == 3:
            broken["items"] = []
        elif choice == 4:
            broken["items"] = broken["items"] + broken["items"][:1]
        elif choice == 5:
            broken.setdefault("subject", {})["nhs_debt"] = rng.choice(["500.00", "£500.5", "£500.00", "£0", "£٥٠٠"])
        elif choice == 6:
            broken["date"] = rng.choice(["2018-13-01", "2018-1-1", "2019-02-29", "2020-02-29"])
        elif choice == 7:
            broken.setdefault("subject", {})["convictions"] = [{"offence": "theft", "sentence_months": rng.choice(
                [12, -1, 1201, "12", 12.5])}]
        else:
            broken["holder"] = rng.choice(["nhs_digital", "nhs_digitl", "NHS"])
        yield broken


def _agree(vocabulary, documents) -> int:
    validator = jsonschema.Draft202012Validator(vocabulary.json_schema(), format_checker=jsonschema.FormatChecker())
    checked = 0
    for document in documents:
        by_schema = validator.is_valid(document)
        try:
            request_from_data(document, vocabulary=vocabulary)
            by_warrant = True
        except WarrantError:
            by_warrant = False
        assert by_schema == by_warrant, (by_schema, by_warrant, json.dumps(document))
        checked += 1
    return checked


def test_schema_and_validator_agree_on_the_shipped_rulebase(rulebase):
    rng = random.Random(3)
    corpus = [m for d in generate(500, seed=17) for m in _mutations(d, rng)]
    assert _agree(rulebase.vocabulary, corpus) >= 2000


def test_schema_and_validator_agree_on_the_second_rulebase():
    from warrant.pipeline.rulebase import load_rulebase
    from warrant.batch.synthetic import generate as draw
    rulebase = load_rulebase([GDPR])
    rng = random.Random(4)
    corpus = [m for d in draw(rulebase, 300, seed=2) for m in _mutations({**d, "subject": d.get("subject", {})}, rng)]
    assert _agree(rulebase.vocabulary, corpus) >= 1000
