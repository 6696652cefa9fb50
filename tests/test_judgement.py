"""Judgements a request may leave open, and undetermined outcomes (issue 24, item 5)."""
import json
import shutil

import pytest
from typer.testing import CliRunner

import warrant
from cli import app
from helpers import law_folder, scaffolded_law
from warrant.checker.verify import verify_decision
from warrant.pipeline.decide import decide
from warrant.pipeline.judgement import Branch
from warrant.pipeline.rulebase import load_rulebase
from warrant.pipeline.request import request_from_data

LAW = '''
field necessary: boolean judgement "Sharing is necessary for the council's function (a judgement)."
field urgent: boolean judgement "The matter is urgent (a judgement)."
field harmful: boolean judgement "Sharing would harm the person (a judgement)."

permit necessary_contact_details for Item
    "Contact details may go to the council when sharing is necessary."
    cites example_act "s.2(2)"
    when Item = contact_details
     and requester(council)
     and necessary

permit urgent_contact_details for Item
    "In an urgent matter contact details may go to the council."
    cites example_act "s.2(3)"
    when Item = contact_details
     and requester(council)
     and urgent

forbid harmful_sharing for Item
    "Nothing is shared where sharing would harm the person."
    cites example_act "s.4"
    when requested(Item)
     and harmful
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return scaffolded_law(tmp_path_factory.mktemp("judgement"), "judgements.warrant", LAW)


def _request(**answers):
    return {"id": "r", "date": "2024-06-01", "requester": "council", "items": ["contact_details", "case_notes"],
            "sharing_necessary": True, **answers}     # the scaffold's own judgement, answered


def test_it_parses_formats_and_checks(folder):
    assert warrant.check(folder).ok, warrant.check(folder).render()
    warrant.format_files(folder)
    assert warrant.format_files(folder, write=False).changed == ()
    text = (folder / "judgements.warrant").read_text(encoding="utf-8")
    assert 'field necessary: boolean judgement "Sharing' in text
    schema = warrant.load(folder, cache=False).schema()
    assert "A judgement: leave it out" in schema["properties"]["necessary"]["description"]


@pytest.mark.parametrize("declaration, column", [
    ('field when_shared: date judgement "When."', 20),
    ('field many_kinds: many record_kind judgement "Kinds."', 24),
    ('field asked: boolean required judgement "Asked."', 1),
])
def test_a_judgement_must_be_an_optional_boolean(tmp_path, folder, declaration, column):
    root = tmp_path / "law"
    shutil.copytree(folder, root)
    (root / "zz_bad.warrant").write_text(declaration + "\n", encoding="utf-8")
    report = warrant.check(root)
    found = [d for d in report.to_json()["diagnostics"] if d["code"] == "C137"]
    assert len(found) == 1, report.render()
    assert found[0]["file"].endswith("zz_bad.warrant") and found[0]["line"] == 1 and found[0]["column"] == column


def test_an_open_judgement_leaves_the_item_undetermined(folder):
    rb = warrant.load(folder, cache=False)
    decision = rb.decide(_request(harmful=False))
    assert decision.outcome is warrant.Outcome.UNDETERMINED
    contact, notes = decision.items
    assert contact.outcome == "undetermined" and contact.reason == "unanswered"
    assert notes.outcome == "refused"                 # no answer permits case notes: settled
    data = decision.to_json()
    assert [q["field"] for q in data["open_questions"]] == ["necessary", "urgent"]
    item = data["items"][0]
    assert item["questions"] == ["necessary", "urgent"]
    assert [(b["answers"], b["outcome"], b.get("rule")) for b in item["branches"]] == [
        ({"necessary": True}, "permitted", "necessary_contact_details"),
        ({"necessary": False, "urgent": True}, "permitted", "urgent_contact_details"),
        ({"necessary": False, "urgent": False}, "refused", None)]
    assert item["branches"][0]["citations"][0]["locator"] == "s.2(2)"
    assert "proofs" not in item and "why_not" not in item
    text = decision.render("text")
    assert "contact_details: UNDETERMINED (it turns on judgements the request left open)" in text
    assert "  - if necessary is no and urgent is yes: permitted by urgent_contact_details" in text
    assert "Judgements the request left open that the outcome turns on (a missing answer is not a no):" in text
    assert "If necessary is no and urgent is no: **refused (no permission applies)**" in decision.render("markdown")
    html = decision.render("html")
    assert 'class="outcome undetermined">Undetermined' in html and "If necessary is yes" in html
    assert 'label="if necessary is yes"' in decision.render("dot")
    assert warrant.exit_code([decision]) == 4


def test_an_answer_settles_it_and_a_prohibition_can_settle_it_alone(folder):
    rb = warrant.load(folder, cache=False)
    assert rb.decide(_request(necessary=True, harmful=False)).items[0].outcome == "permitted"
    no = rb.decide(_request(necessary=False, urgent=False, harmful=False))
    assert no.items[0].outcome == "refused" and "open_questions" not in no.to_json()
    harmful = rb.decide(_request(harmful=True))          # harm forbids whatever the other answers are
    assert [i.outcome for i in harmful.items] == ["refused", "refused"]
    assert "open_questions" not in harmful.to_json()      # no answer could change it: none is named
    assert "left open" not in harmful.render("text")
    assert harmful.items[0].reason == "prohibition" and harmful.items[0].rules == ("harmful_sharing",)
    open_harm = rb.decide(_request(necessary=True)).to_json()["items"][0]
    assert [(b["answers"], b["outcome"], b.get("rule")) for b in open_harm["branches"]] == [
        ({"harmful": True}, "refused", "harmful_sharing"),
        ({"harmful": False}, "permitted", "necessary_contact_details")]


def test_the_reference_checker_decides_every_answer_and_catches_a_wrong_branch(folder):
    loaded = load_rulebase([str(folder)], cache=False)
    for answers in ({}, {"necessary": True}, {"harmful": False}, {"urgent": False, "necessary": False}):
        request = request_from_data(_request(**answers), vocabulary=loaded.vocabulary)
        decision = decide(loaded, request)
        assert verify_decision(loaded, request, decision) == [], answers
    request = request_from_data(_request(harmful=False), vocabulary=loaded.vocabulary)
    decision = decide(loaded, request)
    item = decision.items[0]
    wrong = item.branches[:2] + (Branch((("necessary", False), ("urgent", False)), "permitted",
                                        "urgent_contact_details"),)
    tampered = decision.__class__(**{**{f: getattr(decision, f) for f in decision.__dataclass_fields__},
                                     "items": (item.__class__(item.item, item.outcome, item.reason,
                                                              branches=wrong),) + decision.items[1:]})
    problems = verify_decision(loaded, request, tampered)
    assert any("the branch says permitted" in p for p in problems), problems
    settled = decision.__class__(**{**{f: getattr(decision, f) for f in decision.__dataclass_fields__},
                                    "items": (item.__class__(item.item, "refused", "no_permission"),)
                                    + decision.items[1:]})
    assert any("as the open judgements are answered" in p for p in verify_decision(loaded, request, settled))


def test_batches_tell_an_open_judgement_from_an_answered_no(folder, tmp_path):
    lines = [_request(harmful=False, id="open"), _request(harmful=False, necessary=False, urgent=False, id="no"),
             _request(harmful=False, id="open again"), _request(harmful=False, necessary=True, id="yes")]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    rb = warrant.load(folder, cache=False)
    for trace in ("none", "refused", "all"):
        run = rb.decide_batch(batch, trace=trace)
        records = [json.loads(line) for line in "".join(run).splitlines()]
        assert [r["outcome"] for r in records] == ["undetermined", "refused", "undetermined",
                                                   "partially_permitted"], trace
        assert run.exit_code == 4
    result = CliRunner().invoke(app, ["decide", "--batch", str(batch), "--rules", str(folder), "--trace", "none"])
    assert result.exit_code == 4, result.output


def test_the_cli_exit_code_and_json_say_undetermined(folder, tmp_path):
    request = tmp_path / "open.json"
    request.write_text(json.dumps(_request(harmful=False)), encoding="utf-8")
    result = CliRunner().invoke(app, ["decide", str(request), "--rules", str(folder), "--format", "json"])
    assert result.exit_code == 4, result.output
    assert json.loads(result.output)["outcome"] == "undetermined"


def test_too_many_open_judgements_is_a_located_request_error(tmp_path, folder):
    root = tmp_path / "law"
    shutil.copytree(folder, root)
    names = [f"q{i}" for i in range(9)]
    fields = "".join(f'field {n}: boolean judgement "Question {n}."\n' for n in names)
    body = "\n     and ".join(names)
    (root / "many.warrant").write_text(fields + f'''
permit all_answered for Item
    "Contact details may go when every question is answered yes."
    cites example_act "s.9"
    when Item = contact_details
     and {body}
''', encoding="utf-8")
    request = tmp_path / "open.yaml"
    request.write_text("id: r\ndate: 2024-06-01\nrequester: council\nitems: [contact_details]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["decide", str(request), "--rules", str(root)])
    assert result.exit_code == 2, result.output
    assert "R009" in result.output and "open.yaml:1:1" in result.output and "Traceback" not in result.output
    answered = tmp_path / "answered.yaml"
    answered.write_text(request.read_text() + "q0: true\nq1: true\nnecessary: false\nurgent: false\nharmful: false\n",
                        encoding="utf-8")                  # 7 left open: 128 answers, each evaluated
    assert CliRunner().invoke(app, ["decide", str(answered), "--rules", str(root)]).exit_code == 4


def _with_open_judgements(api, count: int, seed: int):
    """(request, its open judgements) for each of `count` generated requests that leaves some open."""
    from warrant.pipeline.judgement import open_questions
    loaded = api._loaded
    for document in api.generate(count, seed=seed):
        request = request_from_data(dict(document), vocabulary=loaded.program.vocabulary)
        try:
            questions = open_questions(loaded, request)
        except warrant.WarrantError:
            continue
        if questions:
            yield request, questions


@pytest.mark.parametrize("law", ["ferpa_99_31", "generated"])
def test_an_item_permitted_on_its_least_permissive_answers_is_settled_without_the_others(law, tmp_path):
    """Outcomes only rise from the least permissive answers to the most: an item already permitted at the
    least end (often the request as given) is settled without evaluating the most, and one still refused
    at the most end without the least; every item's outcome and deciding rule equal those of evaluating
    every answer."""
    from warrant.pipeline.decide import decide_outcomes
    from warrant.pipeline.judgement import settle
    folder = law_folder(law, tmp_path, 3)
    api = warrant.load(folder, cache=False)
    loaded = api._loaded
    evaluated, spared, compared = [], 0, 0
    for request, questions in _with_open_judgements(api, 150, seed=29):

        def outcomes_of(answered):
            evaluated.append(answered)
            return decide_outcomes(loaded, answered)
        evaluated.clear()
        quick = settle(request, questions, outcomes_of, program=loaded.program, branches=False)
        count = len(evaluated)
        every = settle(request, questions, lambda answered: decide_outcomes(loaded, answered), branches=False)
        for item in request.items:
            if every[item][0] != "undetermined":
                assert quick[item][:2] == every[item][:2], (request.id, item)
            else:
                assert quick[item][0] == "undetermined", (request.id, item)
        compared += 1
        given = decide_outcomes(loaded, request)[1]
        spared += count == 1 and all(outcome == "permitted" for _, outcome, _ in given)
    assert compared > 50 and spared > 5


@pytest.mark.parametrize("law", ["ferpa_99_31", "generated"])
def test_a_judgement_no_rule_that_can_still_hold_reads_is_not_asked_of_an_item(law, tmp_path):
    """A batch settles a request's open judgements item by item over only those that the item's rules still
    able to hold on this request read (`BatchDecider.live_reads`): outcomes, deciding rules and branches
    equal those of settling over every judgement the item's rules read anywhere, with fewer answers
    evaluated."""
    from warrant.batch.decider import BatchDecider
    from warrant.pipeline.decide import decide_outcomes
    from warrant.pipeline.judgement import settle
    folder = law_folder(law, tmp_path, 3)
    api = warrant.load(folder, cache=False)
    loaded = api._loaded
    decider = BatchDecider(loaded, trace="none")
    counts = {"live": 0, "every": 0}
    undetermined = 0
    for request, questions in _with_open_judgements(api, 120, seed=31):
        live_reads = decider.live_reads(request)
        assert live_reads is not None

        def counted(name):
            def outcomes_of(answered):
                counts[name] += 1
                return decide_outcomes(loaded, answered)
            return outcomes_of
        narrow = settle(request, questions, counted("live"), program=loaded.program, live_reads=live_reads)
        wide = settle(request, questions, counted("every"), program=loaded.program)
        assert narrow == wide, request.id
        undetermined += sum(1 for outcome, _, _ in wide.values() if outcome == "undetermined")
    assert undetermined > 5 and counts["live"] < counts["every"], counts
