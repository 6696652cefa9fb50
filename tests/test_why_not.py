"""A why-not is the engine's: the search's shortcuts give, byte for byte, what asking the engine alone gives.

The first failed condition of a permission is found from what the request
asserted, the program's static sets, the engine's rows of a derived concept
(asked once per request), plans made once per program for a failure on
static sets alone, and the policies in force kept by the request's date
class (engine/pipeline/whynot.py and prove.py). A prover given no facts
takes none of these: it asks the engine growing prefixes of the body, the
definition of a first failed condition. Every decision, on every rulebase
and on dates either side of each policy's bounds, must be the same both ways.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

import warrant
from helpers import law_folder
from warrant.pipeline import decide as deciding
from warrant.pipeline.decide import decide
from warrant.pipeline.prove import Prover
from warrant.pipeline.render.json import decision_to_json
from warrant.pipeline.request import request_from_data


class EngineOnly(Prover):
    """A prover that is not given the request's facts: every condition is the engine's answer."""

    def __init__(self, *args, facts=None, **options):
        super().__init__(*args, facts=None, **options)


def _requests(api, loaded, count: int, seed: int) -> list:
    """`count` generated requests, and one refused request moved to each day either side of every bound of
    every policy's period (the date classes the policies in force are kept by)."""
    requests = []
    for document in api.generate(count, seed=seed):
        try:
            requests.append(request_from_data(dict(document), vocabulary=loaded.program.vocabulary))
        except warrant.WarrantError:
            continue
    bounds = sorted({d for p in loaded.checked.policies.values() if p.period
                     for d in (p.period.start, p.period.end) if d is not None})
    refused = [r for r in requests if decide(loaded, r).outcome == "refused"][:2]
    for request in refused:
        for bound in bounds:
            for day in (bound - dt.timedelta(days=1), bound, bound + dt.timedelta(days=1)):
                data = {**request.data, "date": day.isoformat(), "id": f"{request.id}-{day}"}
                requests.append(request_from_data(data, vocabulary=loaded.program.vocabulary))
    return requests


def _texts(loaded, requests) -> list[str]:
    return [json.dumps(decision_to_json(decide(loaded, r)), sort_keys=True, ensure_ascii=False) for r in requests]


@pytest.mark.parametrize("law", ["shipped", "ferpa_99_31", "uk_gdpr", "crime_disorder_s115", "generated"])
def test_every_shortcut_of_the_why_not_search_gives_what_the_engine_alone_gives(law, tmp_path, monkeypatch):
    folder = law_folder(law, tmp_path, 3)
    api = warrant.load(folder, cache=False)
    loaded = api._loaded
    requests = _requests(api, loaded, 60, seed=41)
    fast = _texts(loaded, requests)
    memos = loaded.program._memo
    assert memos["in force by class"], "the policies in force were never kept by date class"
    monkeypatch.setattr(deciding, "Prover", EngineOnly)
    slow = _texts(loaded, requests)
    why_nots = sum(t.count('"would_apply"') for t in fast)
    assert why_nots > 40, why_nots
    for request, quick, reference in zip(requests, fast, slow):
        assert quick == reference, request.id
    if law == "generated":                  # its permissions test the item against a static set first
        assert any(plan is not None for plan in memos["static why-nots"].values())
