"""The exact analysis: its formulas agree with the engine on concrete requests, and its proofs and witnesses hold."""
import datetime as dt
import os

import pytest
import z3

from engine.analysis.encode import Side, Space
from engine.batch.synthetic import generate
from engine.pipeline.decide import decide_outcomes
from engine.pipeline.request import request_from_data
from engine.pipeline.rulebase import load_rulebase

ROOT = os.path.join(os.path.dirname(__file__), "..")
GDPR = os.path.join(ROOT, "examples", "rulebases", "uk_gdpr")
SETTINGS = [  # (date override, assumption overrides, drafts)
    (None, {}, ()),
    (dt.date(2018, 5, 9), {}, ()),
    (dt.date(2018, 11, 2), {"safeguards_continue": False, "investigation_counts": True}, ("nhs_digital_replacement_draft",)),
    (dt.date(2019, 6, 1), {"debt_threshold_inclusive": True}, ()),
]


def _agree(rulebase, documents, at, assume, drafts):
    """Each request pinned in the space: the formula for each item must equal the engine's outcome."""
    space = Space([rulebase])
    side = Side(space, rulebase, at=at, assume=assume, drafts=drafts)
    formulas = {code: side.permitted(code) for code in space.item_codes()}
    checked = 0
    for document in documents:
        request = request_from_data(document, vocabulary=rulebase.vocabulary)
        pinned = space.assignment(request)
        if pinned is None:
            continue
        _, items = decide_outcomes(rulebase, request, at=at, assume=assume, drafts=drafts)
        solver = z3.Solver()
        solver.add(*space.domain, *pinned)
        assert solver.check() == z3.sat, document           # a real request is inside the space
        model = solver.model()
        for item, outcome, _ in items:
            value = z3.is_true(model.eval(formulas[space.names.encode(item)], model_completion=True))
            assert value == (outcome == "permitted"), (document, item, outcome, at, assume, drafts)
        checked += 1
    return checked


@pytest.mark.parametrize("setting", range(len(SETTINGS)))
def test_formulas_agree_with_the_engine_on_generated_requests(setting):
    rulebase = load_rulebase()
    at, assume, drafts = SETTINGS[setting]
    assert _agree(rulebase, list(generate(rulebase, 300, seed=setting)), at, assume, drafts) >= 250


def test_formulas_agree_with_the_engine_on_the_second_rulebase():
    rulebase = load_rulebase([GDPR])
    assert _agree(rulebase, list(generate(rulebase, 300, seed=3)), None, {}, ()) >= 250


def test_shipped_space_is_exact():
    """Convictions and investigations are compared with constants only: three slots each cover every list."""
    space = Space([load_rulebase()])
    assert space.exact() and space.exact_slots == {"subject.convictions": 3, "subject.investigations": 3}
