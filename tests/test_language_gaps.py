"""What four authors could not say (issue 34, item 5): conditional obligations, dated sets written as
changes, lineages with a gap, invariants that name the permission. Each through the pipeline: parse,
check (located errors), decide and prove, the proof checker, the formatter, the exact analysis."""
import json
import shutil

import pytest

import warrant
from helpers import checks_and_formats, scaffolded_law
from warrant.checker.verify import verify_decision
from warrant.pipeline.decide import decide
from warrant.pipeline.request import request_from_data
from warrant.pipeline.rulebase import load_rulebase

LAW = '''
enum area "Where the person lives" {
    north "The northern district",
    south "The southern district",
    east "The eastern district",
    west "The western district"
}

field subject.area: area "Where the person lives."
field subject.minor: boolean "The person is under 18."

set served_areas "Districts the council's scheme serves"
    from 2024-01-01 = {north, south} cites example_act "s.6"
    from 2024-07-01 add {east} cites example_act "s.6(2)"
    from 2024-10-01 add {west} remove {north} cites example_act "s.6(3)"

policy duties_v1 "Disclosures with duties (first scheme)"
    version of duties
    in force from 2024-01-01 until 2024-12-31
    cites example_act "s.5"
{
    permit recorded_contact_details for Item
        "The council may receive contact details of a person in a district it serves if it records the disclosure."
        cites example_act "s.2(4)"
        requires "record the disclosure in the register" cites example_act "s.5(1)"
        requires "tell the person's guardian within a month" when minor cites example_act "s.5(2)"
        when Item = contact_details
         and requester(council)
         and area(Area)
         and Area in served_areas
}

policy duties_v2 "Disclosures with duties (second scheme, after a year without one)"
    version of duties
    in force from 2026-01-01
    cites example_act "s.7"
{
    permit second_scheme for Item
        "The council may again receive contact details."
        cites example_act "s.7(1)"
        when Item = contact_details
         and requester(council)
}

define scheme_running as duties_running
    "The scheme is running on the day of the request."
    cites example_act "s.5"
    when in force(duties)

invariant nothing_by_the_first_scheme_after_it_ended
    "Nothing is released under the first scheme after it ended."
    cites example_act "s.5"
    never permit Item by duties_v1
    when request_date(Day)
     and Day > 2024-12-31
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return scaffolded_law(tmp_path_factory.mktemp("gaps"), "gaps.warrant", LAW)


def _request(date="2024-06-01", **subject):
    return {"id": "r", "date": date, "requester": "council", "items": ["contact_details"],
            "subject": {"area": "north", **subject}}


def _law(tmp_path, folder, text):
    root = tmp_path / "law"
    shutil.copytree(folder, root)
    (root / "gaps.warrant").write_text(text, encoding="utf-8")
    return root


def test_it_checks_and_formats_to_a_fixed_point(folder, tmp_path):
    text = checks_and_formats(folder, "gaps.warrant", invariants=False)
    assert '    from 2024-10-01 add {west} remove {north} cites example_act "s.6(3)"\n' in text
    assert '        requires "tell the person\'s guardian within a month" when minor cites example_act "s.5(2)"\n' in text
    assert "    never permit Item by duties_v1\n" in text


# ---- conditional obligations ----------------------------------------------------------


def test_an_obligation_holds_only_when_its_conditions_do(folder):
    rb = warrant.load(folder, cache=False)
    adult = rb.decide(_request()).to_json()["items"][0]
    assert [o["obligation"] for o in adult["obligations"]] == ["record the disclosure in the register"]
    minor = rb.decide(_request(minor=True))
    item = minor.to_json()["items"][0]
    assert [o["obligation"] for o in item["obligations"]] == [
        "record the disclosure in the register", "tell the person's guardian within a month"]
    assert item["obligations"][1]["when"] == "minor" and item["obligations"][1]["because"] == [
        "subject.minor is true"]
    text = minor.render("text")
    assert "  requires: tell the person's guardian within a month [recorded_contact_details]\n" \
           "      because: subject.minor is true" in text
    assert "it applies because subject.minor is true" in minor.render("markdown")
    assert "because subject.minor is true" in minor.render("html")


def test_the_proof_checker_holds_conditional_obligations_to_the_reference(folder):
    loaded = load_rulebase([str(folder)], cache=False)
    for facts in ({}, {"minor": True}):
        request = request_from_data(_request(**facts), vocabulary=loaded.vocabulary)
        decision = decide(loaded, request)
        assert verify_decision(loaded, request, decision) == []
    adult = request_from_data(_request(), vocabulary=loaded.vocabulary)
    minor = decide(loaded, request_from_data(_request(minor=True), vocabulary=loaded.vocabulary))
    wrong = minor.__class__(**{**{f: getattr(minor, f) for f in minor.__dataclass_fields__}, "request": "r"})
    assert any("obligations shown" in p for p in verify_decision(loaded, adult, wrong))


def test_batches_impact_and_listings_carry_only_the_obligations_that_hold(folder, tmp_path):
    rb = warrant.load(folder, cache=False)
    batch = tmp_path / "batch.jsonl"
    lines = [{**_request(), "id": "a"}, {**_request(minor=True), "id": "b"}]
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    records = [json.loads(line) for line in "".join(rb.decide_batch(batch, trace="none")).splitlines()]
    assert [len(r["items"][0]["obligations"]) for r in records] == [1, 2]
    impact = rb.impact(batch, at=["2023-06-01", "2024-06-01"]).to_json()["obligations"]
    assert impact == [{"obligation": "record the disclosure in the register", "before": 0, "after": 2},
                      {"obligation": "tell the person's guardian within a month", "before": 0, "after": 1}]
    assert "when minor" in rb.show("recorded_contact_details").render("text")


def test_an_obligations_conditions_are_checked_like_a_body(folder, tmp_path):
    root = _law(tmp_path, folder, LAW.replace("when minor cites", "when minr and Age > 3 cites"))
    found = {d["code"]: d for d in warrant.check(root, invariants=False).to_json()["diagnostics"]
             if d["severity"] == "error"}
    assert set(found) == {"C101", "C107"}
    assert found["C101"]["line"] == LAW.splitlines().index(
        next(line for line in LAW.splitlines() if "when minor cites" in line)) + 1


# ---- dated sets written as changes -------------------------------------------------------


def test_a_change_period_has_the_full_membership_in_traces(folder):
    rb = warrant.load(folder, cache=False)
    assert rb.decide(_request("2024-08-01", area="east")).outcome is warrant.Outcome.PERMITTED
    assert rb.decide(_request("2024-06-01", area="east")).outcome is warrant.Outcome.REFUSED
    late = rb.decide(_request("2024-11-01", area="north"))
    assert late.outcome is warrant.Outcome.REFUSED
    text = late.render("text")
    assert "north is not in the set served_areas on 2024-11-01 (its value from 2024-10-01: south, east, west)" \
        in text, text
    assert "Example Act 2024, 2024-01-01, s.6(3)" in text


@pytest.mark.parametrize("periods, message", [
    ("from 2024-01-01 add {north}", "is written as changes, but no period before it"),
    ("from 2024-01-01 = {north} from 2024-07-01 remove {east}", "removes `east`, which is not a member then ({north})"),
    ("from 2024-01-01 = {north} from 2024-07-01 add {north}", "adds `north`, which is a member already"),
])
def test_a_change_that_cannot_be_made_is_located(folder, tmp_path, periods, message):
    text = LAW.replace('''    from 2024-01-01 = {north, south} cites example_act "s.6"
    from 2024-07-01 add {east} cites example_act "s.6(2)"
    from 2024-10-01 add {west} remove {north} cites example_act "s.6(3)"''', f"    {periods}")
    root = _law(tmp_path, folder, text)
    found = [d for d in warrant.check(root, invariants=False).to_json()["diagnostics"] if d["code"] == "C144"]
    assert len(found) == 1 and message in found[0]["message"], found
    assert found[0]["line"] == text.splitlines().index(f"    {periods}") + 1


# ---- lineages with a gap ---------------------------------------------------------------------


def test_a_lineage_may_leave_a_gap_and_is_not_in_force_in_it(folder):
    loaded = load_rulebase([str(folder)], cache=False)
    assert not [d for d in loaded.checked.diagnostics if d.code in ("C117", "C118")]
    rb = warrant.load(folder, cache=False)
    gap = rb.decide(_request("2025-06-01", area="south"))
    assert gap.outcome is warrant.Outcome.REFUSED
    assert "duties_v1" not in gap.to_json()["policies_in_force"]
    note = "lineage duties is not in force on 2025-06-01: it falls between duties_v1 (until 2024-12-31) and " \
           "duties_v2 (from 2026-01-01), when no version is in force"
    assert note in gap.render("text")
    assert rb.decide(_request("2026-02-01", area="north")).outcome is warrant.Outcome.PERMITTED


def test_in_force_of_a_lineage_is_false_in_its_gap(folder, tmp_path):
    root = _law(tmp_path, folder, LAW + '''
forbid only_while_a_scheme_runs for Item
    "Contact details are not released while no scheme is in force."
    cites example_act "s.7(2)"
    when Item = contact_details
     and not in force(duties)
''')
    rb = warrant.load(root, cache=False)
    assert rb.decide(_request("2024-06-01")).outcome is warrant.Outcome.PERMITTED
    gap = rb.decide(_request("2025-06-01"))
    item = gap.to_json()["items"][0]
    assert item["reason"] == "prohibition" and item["proofs"][0]["rule"] == "only_while_a_scheme_runs"
    assert "lineage duties is not in force on 2025-06-01: it falls between duties_v1" in gap.render("text")
    loaded = load_rulebase([str(root)], cache=False)
    request = request_from_data(_request("2025-06-01"), vocabulary=loaded.vocabulary)
    assert verify_decision(loaded, request, decide(loaded, request)) == []


def test_versions_that_overlap_are_still_an_error(folder, tmp_path):
    root = _law(tmp_path, folder, LAW.replace("in force from 2026-01-01", "in force from 2024-06-01"))
    found = [d for d in warrant.check(root, invariants=False).to_json()["diagnostics"] if d["code"] == "C117"]
    assert len(found) == 1


# ---- invariants that name the permission -------------------------------------------------


def test_an_invariant_by_a_policy_is_proved(folder):
    report = warrant.check(folder).to_json()
    assert not [d for d in report["diagnostics"] if d["code"] == "C121"], report
    from warrant.author.invariants import check_invariants
    results = {r.name: r for r in check_invariants(load_rulebase([str(folder)], cache=False))}
    proved = results["nothing_by_the_first_scheme_after_it_ended"]
    assert proved.holds and proved.method == "proof"


def test_an_invariant_by_a_permission_has_a_counterexample_the_engine_confirms(folder, tmp_path):
    text = LAW.replace("never permit Item by duties_v1\n    when request_date(Day)\n     and Day > 2024-12-31",
                       "never permit Item by recorded_contact_details\n    when area(east)")
    root = _law(tmp_path, folder, text)
    report = warrant.check(root).to_json()
    found = [d for d in report["diagnostics"] if d["code"] == "C121"]
    assert len(found) == 1, report
    from warrant.author.invariants import check_invariants
    result = next(r for r in check_invariants(load_rulebase([str(root)], cache=False)) if r.violated)
    assert result.method == "proof" and "recorded_contact_details" in result.permitted_by
    decision = warrant.load(root, cache=False).decide(result.counterexample)
    assert decision.to_json()["items"][0]["proofs"][0]["rule"] == "recorded_contact_details"


@pytest.mark.parametrize("by, message", [
    ("nothing_here", "no permission, policy or lineage is called `nothing_here`"),
    ("case_notes_never", "names a forbid rule"),
])
def test_an_invariant_by_a_name_that_permits_nothing_is_located(folder, tmp_path, by, message):
    text = LAW.replace("never permit Item by duties_v1", f"never permit Item by {by}")
    root = _law(tmp_path, folder, text)
    found = [d for d in warrant.check(root, invariants=False).to_json()["diagnostics"] if d["code"] == "C143"]
    assert len(found) == 1 and message in found[0]["message"], found
    line = text.splitlines().index(f"    never permit Item by {by}") + 1
    assert found[0]["line"] == line and found[0]["column"] == len("    never permit Item by ") + 1
