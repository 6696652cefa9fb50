"""One rulebase shared by threads: each thread gets its own pyDatalog logic on first use, and every
decision equals the one-thread decision of the same request (records, traces, counterfactuals)."""
import json
import threading

from bench.generate import generate
from warrant.pipeline.decide import decide
from warrant.review.counterfactual import explain_refusals
from warrant.pipeline.render.json import decision_to_json
from warrant.pipeline.request import request_from_data
from warrant.pipeline.rulebase import load_rulebase


def _decided(rulebase, documents):
    out = []
    for document in documents:
        request = request_from_data(document, vocabulary=rulebase.vocabulary)
        decision = explain_refusals(rulebase, request, decide(rulebase, request))
        out.append(json.dumps(decision_to_json(decision, stable=True), sort_keys=True))
    return out


def test_eight_threads_share_one_rulebase_and_agree_with_one_thread():
    rulebase = load_rulebase(cache=False)
    documents = list(generate(64, seed=11))
    alone = _decided(rulebase, documents)
    results: dict = {}
    errors: list = []

    def work(index):
        try:
            mine = documents[index::8]
            results[index] = _decided(rulebase, mine + mine[:2])     # repeats: caches warm in this thread
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    for index in range(8):
        expected = alone[index::8]
        assert results[index] == expected + expected[:2]


def test_a_rulebase_loaded_in_one_thread_decides_in_another():
    rulebase = load_rulebase(cache=False)
    document = next(iter(generate(1, seed=3)))
    found = []
    thread = threading.Thread(target=lambda: found.append(_decided(rulebase, [document])))
    thread.start()
    thread.join(timeout=60)
    assert found == [_decided(rulebase, [document])]
