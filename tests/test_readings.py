"""Assumptions with named readings (issue 24, item 3)."""
import json

import pytest
from typer.testing import CliRunner

import warrant
from cli import app
from helpers import checks_and_formats, law_with, scaffolded_law
from warrant.checker.verify import verify_decision
from warrant.pipeline.decide import decide
from warrant.pipeline.request import request_from_data
from warrant.pipeline.rulebase import load_rulebase

LAW = '''
assumption agreement_form {
    question "What form must the person's agreement take?"
    reason "Section 2 says agreement; section 5 asks for writing, and guidance reads it as witnessed writing."
    reading any_form "Any clear agreement suffices." cites example_act "s.2(1)"
    reading written "The agreement must be in writing." cites example_act "s.5"
    reading witnessed "The agreement must be written and witnessed." cites example_act "s.5(2)"
    default any_form
}

field subject.agreement_written: boolean as agreement_written "The agreement is in writing."
field subject.agreement_witnessed: boolean as agreement_witnessed "The written agreement was witnessed."

policy agreements "Sharing on the person's agreement" in force from 2024-01-01 cites example_act "s.5" {
    permit agreed_contact_details for Item
        "Contact details go to the council on any clear agreement."
        cites example_act "s.2(1)"
        when Item = contact_details
         and requester(council)
         and consented
         and assuming agreement_form = any_form

    permit written_contact_details for Item
        "Under the written reading, a written agreement."
        cites example_act "s.5"
        when Item = contact_details
         and requester(council)
         and agreement_written
         and assuming agreement_form = written

    permit witnessed_contact_details for Item
        "Under the witnessed reading, a written and witnessed agreement."
        cites example_act "s.5(2)"
        when Item = contact_details
         and requester(council)
         and agreement_written
         and agreement_witnessed
         and assuming agreement_form = witnessed
}
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return scaffolded_law(tmp_path_factory.mktemp("readings"), "readings.warrant", LAW)


def _request(**facts):
    subject = {"consented": True, **facts.pop("subject", {})}
    return {"id": "r", "date": "2024-06-01", "requester": "council", "items": ["contact_details"],
            "subject": subject, "sharing_necessary": False, **facts}     # the scaffold's judgement, answered


def test_it_parses_formats_and_checks(folder):
    text = checks_and_formats(folder, "readings.warrant")
    assert '    reading written "The agreement must be in writing." cites example_act "s.5"\n' in text
    assert "         and assuming agreement_form = witnessed\n" in text


@pytest.mark.parametrize("text, line, column, says", [
    ('permit p for Item "x" cites example_act "s" when Item = case_notes and assuming agreement_form', 1, 72,
     "say which"),
    ('permit p for Item "x" cites example_act "s" when Item = case_notes and assuming consent_is_enough = yes', 1, 72,
     "is on or off"),
    ('permit p for Item "x" cites example_act "s" when Item = case_notes and assuming agreement_form = writen', 1, 72,
     "no reading `writen`"),
    ('assumption a {\n question "q"\n reason "r"\n reading only "x"\n default only\n}', 4, 2, "names one reading"),
    ('assumption a {\n question "q"\n reason "r"\n reading x "x"\n reading "y"\n reading z "z"\n default x\n}', 5, 2,
     "name this one too"),
    ('assumption a {\n question "q"\n reason "r"\n reading x "x"\n reading y "y"\n default z\n}', 6, 2,
     "names no reading"),
    ('assumption a {\n question "q"\n reason "r"\n reading x "x"\n reading y "y"\n off "n"\n default x\n}', 6, 2,
     "never `off`"),
])
def test_misused_readings_are_located_errors(tmp_path, folder, text, line, column, says):
    root = law_with(folder, tmp_path, "zz_bad.warrant", text + "\n")
    found = [d for d in warrant.check(root, invariants=False).to_json()["diagnostics"] if d["code"] == "C142"]
    assert len(found) == 1, warrant.check(root, invariants=False).render()
    assert (found[0]["line"], found[0]["column"]) == (line, column) and says in found[0]["message"]


def test_two_readings_at_once_can_never_fire(tmp_path, folder):
    root = law_with(folder, tmp_path, "zz_bad.warrant",
                    'permit p for Item "x" cites example_act "s" when Item = case_notes and assuming '
                    'agreement_form = written and assuming agreement_form = witnessed\n')
    found = [d for d in warrant.check(root, invariants=False).to_json()["diagnostics"] if d["code"] == "C115"]
    assert found and "two readings of one assumption" in found[0]["message"]


def test_the_default_reading_decides_and_the_trace_names_it(folder):
    decision = warrant.load(folder, cache=False).decide(_request())
    assert decision.items[0].outcome == "permitted"
    text = decision.render("text")
    assert "assumption agreement_form is read as any_form" in text
    assert "  - agreement_form (any_form): Any clear agreement suffices." in text
    data = decision.to_json()
    assert {"name": "agreement_form", "reading": "any_form", "position": "Any clear agreement suffices."} in \
        data["assumptions"]
    assert data["record"]["settings"]["assumptions"]["agreement_form"] == "any_form"
    assert "<td>any_form</td>" in decision.render("html")


def test_another_reading_from_the_request_or_the_command_line(folder, tmp_path):
    rb = warrant.load(folder, cache=False)
    written = _request(subject={"agreement_written": True})
    assert rb.decide(written).items[0].outcome == "permitted"            # by the default reading
    by_request = rb.decide({**written, "assume": {"agreement_form": "witnessed"}})
    assert by_request.items[0].outcome == "refused"
    assert "assumption agreement_form is not read as any_form" in by_request.render("text")
    by_option = rb.decide(written, assume={"agreement_form": "written"})
    assert by_option.items[0].rules == ("written_contact_details",) or \
        by_option.to_json()["items"][0]["proofs"][0]["rule"] == "written_contact_details"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(written), encoding="utf-8")
    result = CliRunner().invoke(app, ["decide", str(path), "--rules", str(folder), "--assume",
                                      "agreement_form=witnessed"])
    assert result.exit_code == 1 and "agreement_form (witnessed)" in result.output


@pytest.mark.parametrize("assume, says", [
    ({"agreement_form": "oral"}, "name one: any_form, written, witnessed"),
    ({"agreement_form": True}, "name one"),
    ({"consent_is_enough": "written"}, "is on or off"),
])
def test_a_setting_the_assumption_does_not_take_is_a_located_request_error(folder, tmp_path, assume, says):
    path = tmp_path / "r.yaml"
    path.write_text(json.dumps({**_request(), "assume": assume}), encoding="utf-8")
    result = CliRunner().invoke(app, ["decide", str(path), "--rules", str(folder)])
    assert result.exit_code == 2 and "A003" in result.output and says in result.output, result.output
    assert "r.yaml:1:" in result.output and "Traceback" not in result.output


def test_the_proof_checker_follows_every_reading(folder):
    loaded = load_rulebase([str(folder)], cache=False)
    for reading in ("any_form", "written", "witnessed"):
        data = {**_request(subject={"agreement_written": True, "agreement_witnessed": True}),
                "assume": {"agreement_form": reading}}
        request = request_from_data(data, vocabulary=loaded.vocabulary)
        decision = decide(loaded, request)
        assert decision.items[0].outcome == "permitted" and verify_decision(loaded, request, decision) == []


def test_compare_impact_and_diff_treat_readings_as_settings(folder, tmp_path):
    rb = warrant.load(folder, cache=False)
    written = _request(subject={"agreement_written": True, "consented": False})
    comparison = rb.compare(written, assume={"agreement_form": "written"}).render("text")
    assert "--assume agreement_form=written" in comparison and "agreement_form: as requested any_form" in comparison
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({**written, "id": "a"}) + "\n" + json.dumps({**_request(), "id": "b"}) + "\n",
                     encoding="utf-8")
    report = rb.impact(batch, assume={"agreement_form": ("written", "witnessed")}).to_json()
    assert (report["before"], report["after"]) == ("--assume agreement_form=written",
                                                   "--assume agreement_form=witnessed")
    assert report["total"]["changed"] == 1
    found = rb.diff(assume={"agreement_form": "witnessed"}).to_json()
    assert found["before"]["assume"] == {"agreement_form": "any_form"} and found["differences"]
    texts = json.dumps(found)
    assert "agreement_witnessed" in texts
    result = CliRunner().invoke(app, ["diff", "--rules", str(folder), "--assume", "agreement_form=written",
                                      "--assume", "agreement_form=witnessed", "--format", "json"])
    assert result.exit_code in (0, 1) and json.loads(result.output)["after"]["assume"] == {"agreement_form": "witnessed"}
    same = CliRunner().invoke(app, ["diff", "--rules", str(folder), "--assume", "agreement_form=any_form"])
    assert same.exit_code == 2 and "O010" in same.output


def test_an_invariant_is_proved_over_every_reading(folder, tmp_path):
    root = law_with(folder, tmp_path, "zz_invariant.warrant",
                    'invariant agreement_needed "Nothing goes out without some agreement." cites example_act "s.2"\n'
                    '    never permit Item when not consented\n')
    report = warrant.check(root).to_json()
    broken = next(i for i in report["invariants"] if i["invariant"] == "agreement_needed")
    assert broken["holds"] is False
    assert broken["counterexample"]["assume"]["agreement_form"] in ("written", "witnessed")
    found = broken["counterexample"]
    assert warrant.load(root, cache=False).decide(found).items[0].outcome == "permitted"


def test_the_readings_of_one_assumption_are_bounded(tmp_path, folder):
    from warrant.pipeline.limits import MAX_READINGS
    readings = "".join(f' reading r{i} "t"\n' for i in range(MAX_READINGS + 1))
    root = law_with(folder, tmp_path, "zz_many.warrant",
                    f'assumption many {{\n question "q"\n reason "r"\n{readings} default r0\n}}\n')
    found = [d for d in warrant.check(root, invariants=False).to_json()["diagnostics"] if d["code"] == "W006"]
    assert len(found) == 1 and found[0]["line"] == 4 + MAX_READINGS


def test_a_batch_decides_each_line_under_its_own_reading(folder, tmp_path):
    rb = warrant.load(folder, cache=False)
    lines = []
    for index, reading in enumerate([None, "written", "witnessed", "written", None, "any_form"]):
        line = {**_request(subject={"agreement_written": True, "consented": index % 2 == 0}), "id": f"r{index}"}
        if reading:
            line["assume"] = {"agreement_form": reading}
        lines.append(line)
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    alone = [rb.decide(line).outcome.value for line in lines]
    for trace in ("none", "refused", "all"):
        records = [json.loads(x) for x in "".join(rb.decide_batch(batch, trace=trace)).splitlines()]
        assert [r["outcome"] for r in records] == alone, trace
        assert [r["record"]["settings"]["assumptions"]["agreement_form"] for r in records] == \
            ["any_form", "written", "witnessed", "written", "any_form", "any_form"]
