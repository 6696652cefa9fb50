"""Batch decisions: cached outcomes equal fresh evaluation; bad lines become error records."""
import copy
import datetime
import json
import os
import subprocess
import sys

import pytest

from bench.generate import generate
from warrant.batch.batch import BatchDecider, decide_lines
from warrant.pipeline.decide import decide, decide_outcomes
from helpers import law_folder, request_from_data

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_cached_batch_equals_fresh_decisions(rulebase):
    decider = BatchDecider(rulebase, trace="none")
    raw = list(generate(400, seed=11)) * 2          # every class seen at least twice
    for record in raw:
        request = request_from_data(record)
        cached = decider.decide_record(request)
        fresh = decide(rulebase, request)
        assert cached["outcome"] == fresh.outcome
        assert [(i["item"], i["outcome"]) for i in cached["items"]] == [(i.item, i.outcome) for i in fresh.items]
    assert decider.evaluations < len(raw)


@pytest.mark.parametrize("at,assume,drafts", [
    ("2018-05-08", {}, ()), ("2018-05-09", {}, ()), ("2018-11-02", {}, ("nhs_digital_replacement_draft",)),
    ("2019-06-01", {"debt_threshold_inclusive": False}, ()), (None, {"risk_to_public_route": True}, ()),
])
def test_relevance_and_per_item_caches_are_exact(rulebase, at, assume, drafts):
    """Per-item, relevance-pruned class keys give exactly the outcomes and deciding rules of a fresh evaluation."""
    import datetime
    when = datetime.date.fromisoformat(at) if at else None
    decider = BatchDecider(rulebase, trace="none", at=when, assume=assume, drafts=drafts)
    assert decider.per_item and decider.abstraction.relevance is not None
    requests = [request_from_data(r) for r in generate(500, seed=5)]
    for request in requests:
        fresh = decide_outcomes(rulebase, request, at=when, assume=assume, drafts=drafts)
        assert decider.outcome(request) == fresh, request.id
    assert decider.evaluations < len(requests) / 2     # the caches did real work


def test_per_rule_conclusions_stay_exact_when_their_cache_forgets(rulebase):
    """A per-rule cache that forgets its oldest half while a request's missing rules are filled must not
    lose the entries that request had already found (a long batch fills the cache)."""
    from warrant.pipeline.cache import Bounded
    decider = BatchDecider(rulebase, trace="none")
    assert decider.per_rule
    decider.conclusions_of = Bounded(12)            # forgets on nearly every fill
    decider.answered = Bounded(1)
    for request in [request_from_data(r) for r in generate(300, seed=9)]:
        assert decider.outcome(request) == decide_outcomes(rulebase, request), request.id


def test_refused_traces_are_full_decisions(rulebase):
    records = list(decide_lines(rulebase, [json.dumps(r) for r in generate(60, seed=3)], trace="refused"))
    refused = [r for r in records if r["outcome"] != "permitted"]
    assert refused and all("items" in r and ("why_not" in r["items"][0] or "proofs" in r["items"][0])
                           for r in refused)


def test_bad_lines_become_error_records(rulebase):
    lines = ['{"date": "2018-01-01"', json.dumps({"date": "2018-01-01", "requester": "home_office"}),
             json.dumps(next(generate(1)))]
    records = list(decide_lines(rulebase, lines, trace="none"))
    assert records[0]["line"] == 1 and records[0]["error"][0]["code"] == "R000"
    assert records[1]["line"] == 2 and records[1]["error"][0]["code"] == "R006"
    assert "outcome" in records[2]


def test_benchmark_runs_on_a_small_batch():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "bench.py"), "60", "--trace-limit", "20"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agreement with the hand-written function on every item: yes" in result.stdout


def test_parallel_batch_equals_serial(rulebase, monkeypatch):
    """--jobs: forked workers, chunked input, output in input order and byte-identical to one process."""
    import warrant.batch.batch as batch
    lines = [json.dumps(r) + "\n" for r in generate(300, seed=8)] + ["{broken\n"] + \
            [json.dumps(r) + "\n" for r in generate(100, seed=9)]
    serial = list(batch.encoded_records(rulebase, lines, 1, trace="refused"))
    warmed = list(batch.encoded_records(rulebase, iter(lines), 2, trace="refused"))   # forks only if it pays
    monkeypatch.setattr(batch, "CHUNK", 37)
    monkeypatch.setattr(batch, "WARM_SECONDS", 0.0)          # fork at once, so the workers decide every line
    ticks = []
    parallel = list(batch.encoded_records(rulebase, iter(lines), 2, ticks.append, trace="refused"))
    assert parallel == serial == warmed and len(serial) == 401
    assert sum(ticks) == 401 and max(s for s, _ in serial) == 2


def test_parallel_impact_equals_serial(rulebase, monkeypatch):
    """impact --jobs: the workers decide both scenarios of their chunks, the parent tallies the rows in input
    order, so the report (ids listed in order, errors by line) is the one process's, to the byte."""
    import warrant.batch.batch as batch
    from warrant.review.impact import Scenario, impact
    lines = [json.dumps(r) for r in generate(240, seed=4)] + ["{broken", ""] + \
            [json.dumps(r) for r in generate(80, seed=5)]
    sides = (Scenario("--at 2018-05-08", datetime.date(2018, 5, 8)), Scenario("--at 2018-05-09", datetime.date(2018, 5, 9)))
    serial = impact(rulebase, lines, *sides)
    monkeypatch.setattr(batch, "CHUNK", 29)
    monkeypatch.setattr(batch, "WARM_SECONDS", 0.0)          # fork at once, so the workers decide every line
    ticks = []
    parallel = impact(rulebase, iter(lines), *sides, progress=ticks.append, jobs=2)
    assert json.dumps(parallel.to_json()) == json.dumps(serial.to_json())
    assert serial.total.total == 320 and serial.errors[0][0] == 241 and serial.changed_ids
    assert sum(ticks) == len(lines)


def _shuffled_variants(records, seed: int):
    """Each request, then copies with list entries reordered and one conviction or offence repeated."""
    import copy
    import random
    rng = random.Random(seed)
    for record in records:
        yield record
        for n in range(2):
            variant = copy.deepcopy(record)
            variant["id"] = f"{record['id']}-v{n}"
            variant["items"] = rng.sample(variant["items"], len(variant["items"]))
            subject = variant.setdefault("subject", {})
            subject["convictions"] = subject.get("convictions") or [
                {"offence": "burglary", "sentence_months": 12}, {"offence": "fraud", "sentence_months": 3},
                {"offence": "absconding", "sentence_months": 30}]
            for key in ("convictions", "suspected_offences", "investigations"):
                if subject.get(key):
                    entries = subject[key]
                    entries.reverse() if n == 0 else rng.shuffle(entries)
                    if n == 1 and key != "suspected_offences":
                        entries.append(copy.deepcopy(entries[0]))
            yield variant


@pytest.mark.parametrize("trace", ["none", "refused", "all"])
def test_batch_records_equal_one_request_decisions_when_lists_are_shuffled(rulebase, trace):
    """Fact order, repeated facts and positions cannot crash the trace cache or cite another request's facts."""
    from warrant.pipeline.render.json import decision_to_json
    restricted = {"id": "restricted", "date": "2018-06-01", "requester": "home_office", "holder": "nhs_digital",
                  "purpose": "tracing", "items": ["name", "gp_practice"], "public_interest_satisfied": True,
                  "subject": {"considered_for_deportation": True, "other_efforts_failed": True}}
    seeds = [restricted, {**restricted, "id": "restricted-late", "date": "2018-10-30"}] + list(generate(120, seed=21))
    raw = list(_shuffled_variants(seeds, seed=4))
    lines = [json.dumps(r) for r in raw] + [json.dumps(r) for r in reversed(raw)]
    records = list(decide_lines(rulebase, lines, trace=trace))
    assert len(records) == len(lines)
    for line, record in zip(lines, records):
        request = request_from_data(json.loads(line))
        full = decision_to_json(decide(rulebase, request))
        summary = {"request": full["request"], "outcome": full["outcome"], "record": full["record"],
                   "items": [{"item": i["item"], "outcome": i["outcome"]} for i in full["items"]]}
        wants_full = trace == "all" or (trace == "refused" and full["outcome"] != "permitted")
        assert record == (full if wants_full else summary), request.id


def test_concurrent_batches_to_one_out_never_tear_it(tmp_path):
    """Two runs writing one --out each rename their own complete file into place; no temporary file is left."""
    batch = tmp_path / "in.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in generate(300, seed=2)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    command = [sys.executable, os.path.join(ROOT, "cli.py"), "decide", "--batch", str(batch), "--out", str(out),
               "--trace", "all"]
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    for run in runs:
        run.communicate(timeout=300)
        assert run.returncode in (0, 1)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300 and all(json.loads(line) for line in lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def _nudged(document: dict, rng) -> dict:
    """The same request with its free values moved a little (a day, a penny, a month): often the same shape."""
    import datetime as dt
    out = copy.deepcopy(document)
    out["id"] = f"{document['id']}-nudged"
    day = dt.date.fromisoformat(out["date"]) + dt.timedelta(days=rng.choice((-1, 1)))
    out["date"] = day.isoformat()
    subject = out.get("subject", {})
    if "nhs_debt" in subject:
        pounds = float(subject["nhs_debt"].lstrip("£")) + rng.choice((-0.01, 0.01))
        subject["nhs_debt"] = f"£{max(pounds, 0):.2f}"
    for key in ("convictions", "investigations"):
        for entry in subject.get(key, []):
            entry["sentence_months"] = max(0, entry["sentence_months"] + rng.choice((-1, 1)))
    return out


@pytest.mark.parametrize("setting", [dict(), dict(at=datetime.date(2018, 6, 1)),
                                     dict(assume={"safeguards_continue": False, "investigation_counts": False}),
                                     dict(at=datetime.date(2019, 3, 1), drafts=("nhs_digital_replacement_draft",))])
def test_templated_traces_equal_fresh_ones(rulebase, setting):
    """A trace answered from another request of the same shape is byte-identical to the engine's fresh trace."""
    import random
    from warrant.batch.batch import BatchDecider
    from warrant.pipeline.render.json import decision_to_json
    rng = random.Random(9)
    seeds = list(generate(80, seed=31))
    documents = [d for seed in seeds for d in (seed, _nudged(seed, rng), _nudged(seed, rng))]
    decider = BatchDecider(rulebase, trace="all", **setting)
    records = list(decide_lines(rulebase, [json.dumps(d) for d in documents], decider=decider))
    assert decider.template_hits > 25                              # the templates are really used
    for document, record in zip(documents, records):
        request = request_from_data(document)
        fresh = decision_to_json(decide(rulebase, request, at=setting.get("at"),
                                        assume=setting.get("assume"), drafts=setting.get("drafts", ())))
        assert record == fresh, request.id


@pytest.mark.parametrize("setting", [dict(), dict(at=datetime.date(2018, 9, 1)),
                                     dict(assume={"debt_threshold_inclusive": False})])
def test_class_templates_serve_requests_that_differ_where_the_trace_does_not_look(rulebase, setting):
    """Generated requests rarely repeat a whole shape, but many share their class and the facts their trace
    reads (templates.reads): those are served from a template, and each equals a fresh derivation."""
    from warrant.batch.batch import BatchDecider
    from warrant.batch.templates import Shapes
    from warrant.pipeline.render.json import decision_to_json
    documents = list(generate(400, seed=77))
    requests = [request_from_data(d) for d in documents]
    decider = BatchDecider(rulebase, trace="all", **setting)
    records = list(decide_lines(rulebase, [json.dumps(d) for d in documents], decider=decider))
    whole_shapes = len({Shapes(rulebase.program, setting.get("at")).of(r)[0] for r in requests})
    assert decider.template_hits > 400 - whole_shapes + 50           # more than whole-shape templates could
    for request, record in zip(requests, records):
        fresh = decision_to_json(decide(rulebase, request, at=setting.get("at"),
                                        assume=setting.get("assume")))
        assert record == fresh, request.id


def test_a_conjunction_without_answers_depends_only_on_its_shortest_empty_prefix(rulebase):
    from warrant.batch.templates import reads
    from warrant.pipeline.datalog import Atom, Const, Var
    holder = Atom("u_holder", (Const("nhs_digital"),))
    purpose = Atom("u_purpose", (Var("P"),))
    debt = Atom("u_nhs_debt", (Var("D"),))
    answers = {((holder,), ()): [], ((holder, purpose, debt), ("P", "D")): []}
    assert reads(rulebase.program, answers) == {"u_holder"}
    answers[((holder,), ())] = [()]                                  # the prefix held: the rest was read
    assert reads(rulebase.program, answers) == {"u_holder", "u_purpose", "u_nhs_debt"}


@pytest.mark.parametrize("setting", [dict(), dict(assume={"debt_threshold_inclusive": False},
                                                  drafts=("nhs_digital_replacement_draft",))])
def test_summary_lines_are_the_bytes_json_dumps_writes(rulebase, setting):
    """The batch's summary lines are joined from cached parts; they must be exactly json.dumps's text."""
    from warrant.batch.batch import BatchDecider
    from warrant.batch.encoding import _summary_line
    decider = BatchDecider(rulebase, trace="none", **setting)
    documents = list(generate(300, seed=12))
    documents[0]["id"] = 'quote " backslash \\ é ☃ \u2028'
    records = list(decide_lines(rulebase, [json.dumps(d) for d in documents], decider=decider))
    for record in records:
        line = _summary_line(record)
        assert line == json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    assert _summary_line({**records[0], "items": "not a list"}) is None


@pytest.mark.parametrize("law", ["shipped", "ferpa_99_31", "generated"])
def test_traced_lines_are_the_bytes_json_dumps_writes(law, tmp_path):
    """A traced line is written with each shared proof node once (`encoding._Traced`); it must be exactly
    json.dumps's text, with every trace kind, on laws of other shapes than ours and awkward strings."""
    import warrant
    from warrant.batch.encoding import _Traced, encode
    folder = law_folder(law, tmp_path, 2)
    api = warrant.load(folder, cache=False)
    documents = [dict(d) for d in api.generate(120, seed=23)]
    documents[0]["id"] = 'quote " backslash \\ é ☃ \u2028'
    traced = 0
    for trace in ("all", "refused"):
        decider = BatchDecider(api._loaded, trace=trace)
        for record in decide_lines(api._loaded, [json.dumps(d) for d in documents], decider=decider):
            line = encode(record)[1]
            assert line == json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
            traced += "why_not" in line
    assert traced > 20
    odd = {"items": [{"why_not": [{3: [{"x": 1.5, "y": None}], 2: "non-text keys"}]}], "z": [[], {}, 10 ** 20]}
    assert _Traced().value(odd) == json.dumps(odd, ensure_ascii=False, sort_keys=True)


@pytest.mark.parametrize("law", ["ferpa_99_31", "uk_gdpr", "generated"])
def test_traces_with_nodes_shared_between_requests_equal_each_requests_own(law, tmp_path):
    """A batch's traces share why-not nodes between requests (whynot `_shared`: a node is kept by what it
    reads of its request), keep their JSON across decisions, and settle open judgements before the session
    (no why-not for an item left undetermined). Each record must equal the decision of a rulebase that
    made every node for that request alone, on laws with judgements and many routes."""
    import warrant
    from warrant.pipeline.render import json as rendered
    from warrant.pipeline.render.json import decision_to_json
    from warrant.pipeline.request import request_from_data as from_data
    folder = law_folder(law, tmp_path, 3)
    api = warrant.load(folder, cache=False)
    alone = warrant.load(folder, cache=False)._loaded           # a program of its own: nothing shared with the batch
    documents = [dict(d) for d in api.generate(120, seed=41)]
    compared = shared = undetermined = 0
    for trace in ("refused", "all"):
        decider = BatchDecider(api._loaded, trace=trace)
        records = decide_lines(api._loaded, [json.dumps(d) for d in documents], decider=decider)
        for document, record in zip(documents, records):
            if "error" in record or ("why_not" not in json.dumps(record) and trace == "refused"):
                continue
            request = from_data(document, vocabulary=alone.program.vocabulary)
            alone.program._memo.pop("why-not nodes", None)      # every node made afresh for this request
            rendered._NODE_JSON.clear()
            expected = decision_to_json(decide(alone, request))
            assert {k: v for k, v in record.items() if k != "request"} == \
                {k: v for k, v in expected.items() if k != "request"}, request.id
            compared += 1
            undetermined += any(i["outcome"] == "undetermined" for i in record["items"])
        shared += len(api._loaded.program.memo("why-not nodes", dict))
    assert compared > 100 and shared > 10
    if law != "uk_gdpr":
        assert undetermined > 0


@pytest.mark.parametrize("law", ["uk_gdpr", "ferpa_99_31", "generated"])
def test_each_rules_conclusions_cached_on_their_own_are_exact(law, tmp_path):
    """Conclusions cached per rule (`Abstraction.rule_keys`: a rule's live conjunctions named by what they
    leave to the facts, its facts placed among its own cut points) give exactly a fresh evaluation's
    outcomes and deciding rules, on laws of other shapes than ours, with open judgements and several
    dates; and where each rule reads a few facts, they spare most evaluations."""
    import warrant
    from warrant.pipeline.request import request_from_data as from_data
    folder = law_folder(law, tmp_path, 3)
    api = warrant.load(folder, cache=False)
    loaded = api._loaded
    documents = [dict(d) for d in api.generate(300, seed=17)]
    for at in (None, datetime.date(2012, 1, 3)):
        decider = BatchDecider(loaded, trace="none", at=at)
        assert decider.per_rule
        decided = 0
        for document in documents:
            request = from_data(document, vocabulary=loaded.program.vocabulary)
            try:
                fresh = decide_outcomes(loaded, request, at=at)
            except Exception as exc:             # a line refused as bad input (e.g. too many open judgements)
                assert getattr(exc, "diagnostics", None), exc
                continue
            assert decider.outcome(request) == fresh, request.id
            decided += 1
        assert decider.per_rule and decided > 200
        if law != "uk_gdpr":            # its rules each read many facts: keys per rule repeat less there
            assert decider.evaluations < decided / 2


def test_a_judgements_answer_keeps_the_keys_of_the_rules_that_do_not_read_it(tmp_path):
    """The answers to a request's open judgements are keyed from the last answer's keys: a rule that reads
    none of the facts in which they differ keeps its key (the same object, its conclusion not looked up
    again); a rule that reads the judgement gets a new one, equal to a fresh keying's."""
    import warrant
    from bench.law_scaling import law_files
    from warrant.batch.classes import Abstraction
    from warrant.pipeline.judgement import answering, open_questions
    from warrant.pipeline.request import request_from_data as from_data
    for name, text in law_files(3).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    api = warrant.load(str(tmp_path), cache=False)
    loaded = api._loaded
    tried = 0
    for document in api.generate(200, seed=5):
        request = from_data(dict(document), vocabulary=loaded.program.vocabulary)
        questions = open_questions(loaded, request)
        if not questions or len(request.items) != 1:
            continue
        no_world = answering(request, tuple((q, False) for q in questions))
        yes_world = answering(request, ((questions[0], True),) + tuple((q, False) for q in questions[1:]))
        abstraction = Abstraction.of(loaded.program)
        no, yes = abstraction.rule_keys(no_world), abstraction.rule_keys(yes_world)
        assert yes == Abstraction.of(loaded.program).rule_keys(yes_world)       # as a fresh keying has it
        live, _ = abstraction._live(yes_world, None)
        if live is not abstraction._live(no_world, None)[0]:
            continue                   # the answer changed which ways are live: every key is made afresh
        judgement = "u_" + questions[0].predicate
        reads = {head: r for head, _, r, _, _ in abstraction.relevance.for_item_rules(live, request.items[0])}
        kept = [(head, key is before) for (head, key), (_, before) in zip(yes[0], no[0])]
        assert [h for h, _ in yes[0]] == [h for h, _ in no[0]]
        assert all(same == (judgement not in reads[h]) for h, same in kept), kept
        tried += any(not same for _, same in kept) and any(same for _, same in kept)
    assert tried >= 5


def test_relevance_prunes_ways_that_cannot_hold_and_keeps_dated_sets_whole():
    """The relevance unfolding reads a one-valued field once (two reads are one value), drops a way whose
    comparisons of that value cannot all hold, and keeps a dated set as one check on the request's date."""
    from datetime import date
    from warrant.pipeline.datalog import Atom, Compare, Const, Var
    from warrant.pipeline.unfold import feasible
    day, other = Var("D"), Var("E")
    single = frozenset({"u_request_date"})
    first = (Atom("u_request_date", (day,)), Compare(day, "<=", Const(date(2018, 5, 24))))
    subst = feasible(Atom("u_request_date", (other,)), {}, first, single)
    assert subst == {other: day}
    assert feasible(Compare(other, ">=", Const(date(2018, 5, 25))), subst, first + (first[0],), single) is None
    assert feasible(Compare(other, ">=", Const(date(2018, 5, 24))), subst, first + (first[0],), single) == subst
    assert feasible(Compare(Const(date(2018, 5, 24)), "<", other), subst, first + (first[0],), single) is None
    from warrant.batch.relevance import Relevance
    from bench.law_scaling import law_files
    import tempfile, pathlib
    import warrant
    with tempfile.TemporaryDirectory() as folder:
        for name, text in law_files(4).items():
            pathlib.Path(folder, name).write_text(text, encoding="utf-8")
        relevance = Relevance._of(warrant.load(folder, cache=False)._loaded.program)
    assert relevance is not None and len(relevance.conjunctions) < 100     # was 10,238: one per member and period


@pytest.mark.parametrize("law", ["shipped", "ferpa_99_31", "uk_gdpr", "generated"])
def test_live_sets_kept_by_what_the_checks_can_tell_apart_equal_each_requests_own(law, tmp_path):
    """`Relevance.key` keeps each field's check results by the value's place among the constants its checks
    compare it with (`place`), and the live set by the checks passed. For values on each side of, and on,
    every constant and dated-set boundary, and every symbol the law names, it must equal testing every
    check of every pattern afresh; and values placed alike must pass the same checks."""
    import datetime as dt
    import itertools
    import random
    import warrant
    from warrant.batch.relevance import DATE_FACT, Relevance, _check
    from warrant.pipeline.values import SYMBOL, kind_of
    folder = law_folder(law, tmp_path, 4)
    relevance = Relevance._of(warrant.load(folder, cache=False)._loaded.program)
    assert relevance is not None

    def fresh(values):
        passed = {c: _check(c, values, relevance.sets, relevance.periods) for c in relevance.checks}
        live, relevant = [], set()
        for checks, indices, reads in relevance.patterns:
            if all(passed[c] for c in checks):
                live.extend(indices)
                relevant |= reads
        return frozenset(live), frozenset(relevant)

    candidates: dict = {}                  # field -> values on, and either side of, what its checks name
    for predicate, kind, payload in relevance.checks:
        found = candidates.setdefault(predicate, set())
        constants = [payload] if kind in ("is", "not") else \
            [t.value for l in payload[1] for t in getattr(l.atom if hasattr(l, "atom") else l, "args", ())
             if hasattr(t, "value")] + [t.value for l in payload[1] for t in (getattr(l, "left", None),
                                                                              getattr(l, "right", None))
                                        if hasattr(t, "value")]
        for value in constants:
            found.add(value)
            if isinstance(value, dt.date):
                found |= {value - dt.timedelta(days=1), value + dt.timedelta(days=1)}
        for spans in relevance.periods.values():
            for member, days in spans.items():
                found.add(member[1])
                for first, last in days:
                    for day in (first, last):
                        if day is not None:
                            candidates.setdefault(DATE_FACT, set()).update(
                                {day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)})
        found |= {s for members in relevance.sets.values() for s in members}
        found.add("a_symbol_no_rule_names")
    for predicate, found in candidates.items():          # a request's value has its field's one kind
        found.discard(None)
        kinds = {kind_of(v) for v in found} - {SYMBOL}
        if predicate == DATE_FACT or kinds:
            candidates[predicate] = {v for v in found if kind_of(v) == (kind_of(dt.date.today()) if predicate ==
                                                                       DATE_FACT else sorted(kinds)[0])}
    fields = sorted(candidates)
    rng = random.Random(5)
    compared = 0
    for _ in range(600):
        values = {f: rng.choice(sorted(candidates[f], key=repr)) for f in fields}
        assert relevance.key(values) == fresh(values), values
        compared += 1
    for predicate, checks, dated in relevance.fields:            # values placed alike pass the same checks
        for a, b in itertools.combinations(sorted(candidates.get(predicate, ()), key=repr)[:40], 2):
            if kind_of(a) != SYMBOL and relevance.place(predicate, a) == relevance.place(predicate, b):
                for _, check in checks:
                    day = {DATE_FACT: dt.date(2020, 1, 1)}
                    assert _check(check, {predicate: a, **day}, relevance.sets, relevance.periods) == \
                        _check(check, {predicate: b, **day}, relevance.sets, relevance.periods), (check, a, b)
    assert compared == 600


@pytest.mark.parametrize("law", ["ferpa_99_31", "generated"])
def test_a_rule_that_needs_facts_the_request_lacks_is_keyed_as_concluding_nothing(law, tmp_path):
    """A rule none of whose live ways can hold (each needs a request fact the request does not give: a
    designation of the item, an order that was not served) gets one key for "concludes nothing" instead of
    a key per way of not holding; the engine, asked about that rule alone, indeed concludes nothing; and an
    item never in a dated set, in any period, is not admitted by a way that needs it in the set."""
    import warrant
    from warrant.pipeline.decide import conclusions
    from warrant.pipeline.datalog import FORBID, PERMIT
    from warrant.pipeline.judgement import open_questions
    from warrant.pipeline.request import request_from_data as from_data
    folder = law_folder(law, tmp_path, 3)
    api = warrant.load(folder, cache=False)
    loaded = api._loaded
    decider = BatchDecider(loaded, trace="none")
    dead = alive = 0
    for document in api.generate(150, seed=23):
        request = from_data(dict(document), vocabulary=loaded.program.vocabulary)
        try:
            open_questions(loaded, request)
        except Exception:                          # too many open judgements: a line refused as bad input
            continue
        keyed = decider.abstraction.rule_keys(request)
        heads = sorted({head for rules in keyed for head, key in rules if key[1] is None})
        said = dict(zip(heads, conclusions(loaded, request, rules=heads))) if heads else {}
        for item, rules in zip(request.items, keyed):
            for head, key in rules:
                if key[1] is None:
                    dead += 1
                    assert item not in {i for i, _ in said[head]}, (request.id, item, head)
                else:
                    alive += 1
    assert dead > 50 and alive > 50
    if law == "ferpa_99_31":
        relevance = decider.abstraction.relevance
        live = relevance.key({"u_request_date": datetime.date(2012, 1, 3), "u_recipient": "anyone"})[0]
        heads = {head for head, *_ in relevance.for_item_rules(live, "test_scores")}
        assert (PERMIT, "directory_information_release") not in heads     # never directory information
        assert (FORBID, "no_exception_names_the_party") in heads
        assert (PERMIT, "directory_information_release") in \
            {head for head, *_ in relevance.for_item_rules(live, "email_address")}  # one since 2000
