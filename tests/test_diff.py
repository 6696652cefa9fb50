"""`warrant diff` against the engine: on generated batches, a request's item changes exactly when a difference
by cause (and, with `--regions all`, a raw region) holds it."""
import datetime as dt
import os
import subprocess

import pytest
from typer.testing import CliRunner

from cli import app
from warrant.analysis.diff import diff, scenarios
from warrant.batch.synthetic import generate
from warrant.pipeline.decide import decide_outcomes
from warrant.pipeline.request import request_from_data
from warrant.pipeline.rulebase import DEFAULT_RULES, load_rulebase

runner = CliRunner()
RULEBASE = load_rulebase()
BATCH = int(os.environ.get("WARRANT_DIFF_BATCH", "400"))   # generated requests per cross-check (more for a long run)
CHANGES = {
    "memorandum_to_restriction": ([dt.date(2018, 5, 8), dt.date(2018, 5, 9)], {}, ()),
    "restriction_to_withdrawal": ([dt.date(2018, 11, 1), dt.date(2018, 11, 2)], {}, ()),
    "draft_replacement": ([], {}, ("nhs_digital_replacement_draft",)),
    **{f"assume_{name}": ([], {name: not RULEBASE.checked.assumption_default(name)}, ())
       for name in sorted(RULEBASE.checked.assumptions)},
}


def _outcomes(scenario, request) -> dict:
    _, items = decide_outcomes(scenario.rulebase, request, at=scenario.at, assume=dict(scenario.assume),
                               drafts=scenario.drafts)
    return {item: outcome for item, outcome, _ in items}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_regions_hold_exactly_the_requests_the_engine_decides_differently(change):
    dates, switches, drafts = CHANGES[change]
    before, after = scenarios(RULEBASE, RULEBASE, "rules", "rules", dates, switches, drafts)
    report = diff(before, after, "all")
    differing = 0
    for document in generate(RULEBASE, BATCH if dates else max(BATCH // 4, 50), seed=11):
        document = dict(document)
        if before.no_drafts:
            document.pop("drafts", None)         # "draft off" is a request that does not name it
        request = request_from_data(document, vocabulary=RULEBASE.vocabulary)
        old, new = _outcomes(before, request), _outcomes(after, request)
        regions = report.containing(request)
        for item in request.items:
            holding = regions[item]
            if old[item] != new[item]:
                differing += 1
                assert [(r.before, r.after) for r in holding] and \
                    all((r.before, r.after) == (old[item], new[item]) for r in holding), (document, item)
            else:
                assert not holding, (document, item, [r.text for r in holding])
    if change in ("memorandum_to_restriction", "restriction_to_withdrawal"):
        assert differing > 0 and not report.equivalent      # the batch reaches the change it checks


def _decided(scenario, request) -> dict:
    _, items = decide_outcomes(scenario.rulebase, request, at=scenario.at, assume=dict(scenario.assume),
                               drafts=scenario.drafts)
    return {item: (outcome, rule) for item, outcome, rule in items}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_differences_by_cause_hold_exactly_the_requests_decided_differently(change):
    """Each item whose outcome changes is held by a difference of that change, and only by such; each item
    still permitted but on another permission is held by a change of basis, and only such items are."""
    dates, switches, drafts = CHANGES[change]
    before, after = scenarios(RULEBASE, RULEBASE, "rules", "rules", dates, switches, drafts)
    report = diff(before, after)
    assert not report.raw and not report.regions
    seen = {"outcome": 0, "basis": 0}
    for document in generate(RULEBASE, BATCH if dates else max(BATCH // 4, 50), seed=11):
        document = dict(document)
        if before.no_drafts:
            document.pop("drafts", None)
        request = request_from_data(document, vocabulary=RULEBASE.vocabulary)
        old, new = _decided(before, request), _decided(after, request)
        held = report.causes_containing(request)
        for item in request.items:
            outcomes = [d for d in held[item] if not d.basis]
            bases = [d for d in held[item] if d.basis]
            if old[item][0] != new[item][0]:
                seen["outcome"] += 1
                assert outcomes and all((d.before, d.after) == (old[item][0], new[item][0]) for d in outcomes), \
                    (document, item)
            else:
                assert not outcomes, (document, item, [(d.rule, d.how) for d in outcomes])
            if old[item][0] == new[item][0] == "permitted" and old[item][1] != new[item][1]:
                seen["basis"] += 1
                assert bases and all(d.rule in (old[item][1], new[item][1]) for d in bases), (document, item)
            else:
                assert not bases, (document, item, [(d.rule, d.how) for d in bases])
    if change in ("memorandum_to_restriction", "restriction_to_withdrawal"):
        assert seen["outcome"] > 0 and not report.equivalent


def test_a_changeover_reads_as_a_few_causes_with_witnesses_on_the_asked_day():
    before, after = scenarios(RULEBASE, RULEBASE, "rules", "rules", [dt.date(2018, 5, 8), dt.date(2018, 5, 9)], {}, ())
    report = diff(before, after)
    assert 2 <= len(report.differences) <= 8
    assert {(d.rule, d.how) for d in report.differences if not d.basis} == {
        ("mou_trace_suspected_offender", "stops applying"), ("restriction_risk_to_public", "starts applying"),
        ("restriction_serious_offender", "starts applying")}
    for difference in report.differences:
        assert difference.witness["date"] == "2018-05-09"
        request = request_from_data({"id": "w", **difference.witness}, vocabulary=RULEBASE.vocabulary)
        item = request.items[0]
        assert difference in report.causes_containing(request)[item]
        assert _decided(before, request)[item] == (difference.before, difference.deciding[0])
        assert _decided(after, request)[item] == (difference.after, difference.deciding[1])
    ended = next(d for d in report.differences if d.rule == "mou_trace_suspected_offender" and not d.basis)
    assert any("nhs_digital_mou_2017 is in force on 2018-05-08 and not in force on 2018-05-09" in b
               for b in ended.because)
    text = runner.invoke(app, ["diff", "--at", "2018-05-08", "--at", "2018-05-09"]).output
    assert "because permission mou_trace_suspected_offender stops applying" in text and "region" not in text
    raw = runner.invoke(app, ["diff", "--at", "2018-05-08", "--at", "2018-05-09", "--regions", "all"]).output
    assert "region(s) of requests decided differently" in raw and "because permission" in raw


def test_the_fourth_rulebases_changeover_reads_as_a_handful_of_causes_with_witnesses_on_the_asked_day():
    """Issue 35's second "done when": ferpa's 2012-01-03 changeover (the 2011 final rule) is a handful of
    differences, each tied to a rule and the change of a policy or a dated set, each witness dated on the
    asked day and decided by the engine as the difference says."""
    ferpa = load_rulebase([os.path.join(os.path.dirname(__file__), "..", "examples", "rulebases", "ferpa_99_31")])
    before, after = scenarios(ferpa, ferpa, "ferpa", "ferpa", [dt.date(2012, 1, 2), dt.date(2012, 1, 3)], {}, ())
    report = diff(before, after)
    outcomes = [d for d in report.differences if not d.basis]
    assert 2 <= len(outcomes) <= 8 and len(report.differences) <= 16
    assert {(d.rule, d.how) for d in outcomes} >= {("audit_2012", "starts applying"),
                                                    ("representative_2009", "stops applying")}
    for difference in report.differences:
        assert difference.rule and difference.because
        assert difference.witness["date"] == "2012-01-03"
        request = request_from_data({"id": "w", **difference.witness}, vocabulary=ferpa.vocabulary)
        item = request.items[0]
        assert _decided(before, request)[item] == (difference.before, difference.deciding[0])
        assert _decided(after, request)[item] == (difference.after, difference.deciding[1])


def test_every_witness_is_inside_its_region_and_decides_as_reported():
    before, after = scenarios(RULEBASE, RULEBASE, "rules", "rules", [dt.date(2018, 5, 8), dt.date(2018, 5, 9)], {}, ())
    report = diff(before, after, "all")
    for region in report.regions:
        request = request_from_data({"id": "w", **region.witness}, vocabulary=RULEBASE.vocabulary)
        item = request.items[0]
        assert region in report.containing(request)[item]
        assert (_outcomes(before, request)[item], _outcomes(after, request)[item]) == (region.before, region.after)
        assert region.witness["date"] == "2018-05-09"                 # dated on the asked day


def test_a_rulebase_is_equivalent_to_itself_and_the_debt_threshold_is_one_region():
    twin = load_rulebase([DEFAULT_RULES], cache=False)
    same = diff(*scenarios(RULEBASE, twin, "a", "b", [], {}, ()))
    assert same.equivalent and same.solver_calls == 0           # every rule applies by the same formula on both
    searched = diff(*scenarios(RULEBASE, twin, "a", "b", [], {}, ()), "all")
    assert searched.equivalent and searched.solver_calls > 0
    report = diff(*scenarios(RULEBASE, RULEBASE, "rules", "rules", [], {"debt_threshold_inclusive": True}, ()), "all")
    assert len(report.regions) == 1
    assert [(d.rule, d.how, d.before, d.after) for d in report.differences if not d.basis] == \
        [("trust_debtor_data_for_enforcement", "starts applying", "refused", "permitted")]
    region = report.regions[0]
    assert (region.before, region.after) == ("refused", "permitted")
    assert "subject.nhs_debt £500" in region.text and "holder nhs_trust" in region.text


def test_diff_between_git_revisions(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    import shutil
    shutil.copytree(DEFAULT_RULES, repo / "rules")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "rules"], check=True, env=env)
    path = repo / "rules" / "nhs_trusts.warrant"
    text = path.read_text()
    assert "£500" in text
    path.write_text(text.replace("£500", "£400"))
    monkeypatch.chdir(repo)
    result = runner.invoke(app, ["diff", "HEAD:rules", "rules"])
    assert result.exit_code == 1, result.output
    assert "before: HEAD:rules (sha256 " in result.output and "refused -> permitted" in result.output
    assert "(sha256 none)" not in result.output                    # the revision's files were read before cleanup
    assert "£400" in result.output
    same = runner.invoke(app, ["diff", "HEAD:rules", "HEAD:rules"])
    assert same.exit_code == 0 and "equivalent" in same.output, same.output
    missing = runner.invoke(app, ["diff", "nosuch:rules", "rules"])
    assert missing.exit_code == 2 and "O015" in missing.output and "Traceback" not in missing.output


def test_usage_errors_are_located_and_not_tracebacks():
    result = runner.invoke(app, ["diff"])
    assert result.exit_code == 2 and "O010" in result.output
    result = runner.invoke(app, ["diff", "rules", "examples/rulebases/uk_gdpr"])
    assert result.exit_code == 2 and "O014" in result.output
    result = runner.invoke(app, ["diff", "--assume", "nosuch=on"])
    assert result.exit_code == 2 and "A001" in result.output


def test_regions_and_witnesses_do_not_depend_on_what_ran_before():
    """Models are chosen by yes-or-no questions only, so solver history cannot change a byte of the report."""
    import gc
    from warrant.analysis.render import render_text
    from warrant.author.invariants import check_invariants
    change = (RULEBASE, RULEBASE, "rules", "rules", [dt.date(2018, 11, 1), dt.date(2018, 11, 2)], {}, ())
    first = render_text(diff(*scenarios(*change)))
    check_invariants(RULEBASE)                                     # other solver work, other garbage
    diff(*scenarios(RULEBASE, RULEBASE, "rules", "rules", [], {"debt_threshold_inclusive": True}, ()))
    gc.collect()
    junk = [diff(*scenarios(RULEBASE, RULEBASE, "rules", "rules", [], {}, ("nhs_digital_replacement_draft",)))
            for _ in range(2)]
    del junk
    assert render_text(diff(*scenarios(*change))) == first


@pytest.mark.parametrize("change", ["memorandum_to_restriction", "restriction_to_withdrawal", "draft_replacement",
                                    "assume_debt_threshold_inclusive"])
def test_every_difference_warrant_impact_finds_lies_in_a_reported_region(change):
    """`warrant impact` over a generated batch, under the diff's own two scenarios: each changed request is in a region."""
    import json
    from warrant.review.impact import Scenario as ImpactScenario, impact
    dates, switches, drafts = CHANGES[change]
    before, after = scenarios(RULEBASE, RULEBASE, "rules", "rules", dates, switches, drafts)
    report = diff(before, after, "all")
    documents = []
    for document in generate(RULEBASE, max(BATCH, 600), seed=5):
        document = dict(document)
        document.pop("drafts", None)
        documents.append(document)
    sides = [ImpactScenario(s.label, s.at, s.assume, s.drafts) for s in (before, after)]
    result = impact(RULEBASE, [json.dumps(d) for d in documents], *sides)
    changed = {i for ids in result.changed_ids.values() for i in ids}
    by_id = {d["id"]: d for d in documents}
    for request_id in sorted(changed):
        request = request_from_data(by_id[request_id], vocabulary=RULEBASE.vocabulary)
        assert any(report.containing(request).values()), request_id
        assert any(report.causes_containing(request).values()), request_id
    causes = {d.rule for d in report.differences}
    for row in result.cause_rows():          # impact groups by the same causes: a rule diff names is on one side
        assert {row["before"]["rule"], row["after"]["rule"]} & causes, row
        assert row["basis_only"] == (row["before"]["outcome"] == row["after"]["outcome"])
    if change in ("memorandum_to_restriction", "restriction_to_withdrawal"):
        assert changed                                              # the batch does reach the change
        assert any(not row["basis_only"] for row in result.cause_rows())


RELATIONAL = '''
policy longer_sentence_policy "Rules comparing two values of one request"
    in force from 2019-06-01
    cites independent_2019 "para 2"
{
    permit longer_conviction for Item
        "A trust may pass on a debtor's details when a conviction outlasts an investigation."
        cites independent_2019 "para 2"
        when holder(nhs_trust)
         and requester(home_office)
         and Item in trust_debtor_data
         and convicted(Offence, Sentence)
         and investigated(Other, Minimum)
         and Sentence > Minimum
}
'''


def test_rules_comparing_two_request_values_give_regions_that_hold_only_what_differs(tmp_path, monkeypatch):
    """Classes are not uniform when rules compare request values with each other: a region is then one request."""
    import shutil
    import warrant.analysis.diff as diff_module
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    (rules / "relational.warrant").write_text(RELATIONAL, encoding="utf-8")
    changed = load_rulebase([str(rules)])
    monkeypatch.setattr(diff_module, "MAX_REGIONS", 4)
    before, after = scenarios(RULEBASE, changed, "rules", "relational", [], {}, ())
    report = diff(before, after, "all")
    assert [(d.rule, d.how) for d in report.differences if not d.basis] == [("longer_conviction", "starts applying")]
    assert report.differences[0].because == ["rule longer_conviction is new in relational"]
    assert report.regions and all((r.before, r.after) == ("refused", "permitted") for r in report.regions)
    for region in report.regions:                                  # each witness is in its region, as reported
        request = request_from_data({"id": "w", **region.witness}, vocabulary=RULEBASE.vocabulary)
        item = request.items[0]
        assert region in report.containing(request)[item]
        assert (_outcomes(before, request)[item], _outcomes(after, request)[item]) == ("refused", "permitted")
    for document in generate(RULEBASE, 150, seed=8):               # no region holds a request that does not differ
        request = request_from_data(document, vocabulary=RULEBASE.vocabulary)
        old, new = _outcomes(before, request), _outcomes(after, request)
        for item, holding in report.containing(request).items():
            assert not holding or old[item] != new[item], (document, item)


def test_causes_name_the_settings_they_need_date_tests_in_concepts_and_changed_wording(tmp_path):
    """A difference only a non-default assumption reaches says so; a changeover made by a date test inside a
    concept names it; between two folders a reworded rule is listed even though no decision changes."""
    import shutil
    import warrant
    changeover = warrant.diff(at=["2018-05-08", "2018-05-09"], progress=False).to_json()
    wider = next(d for d in changeover["differences"] if d["rule"] == "restriction_risk_to_public"
                 and not d["basis_only"])
    assert any(b.startswith("only for requests that set an assumption") and "risk_to_public_route=on" in b
               for b in wider["because"]), wider["because"]
    ended = next(d for d in changeover["differences"] if d["rule"] == "mou_trace_suspected_offender")
    assert not any("only for requests" in b for b in ended["because"])
    s115 = os.path.join(os.path.dirname(DEFAULT_RULES), "examples", "rulebases", "crime_disorder_s115")
    spent = warrant.diff(rules=s115, at=["2014-03-09", "2014-03-10"], progress=False)
    assert any("compares the date with 2014-03-10" in b for d in spent.to_json()["differences"] for b in d["because"])
    assert "witness (decided by the engine: permitted on 2014-03-09" in spent.render("text")
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(DEFAULT_RULES, old)
    shutil.copytree(DEFAULT_RULES, new)
    path = new / "nhs_trusts.warrant"
    path.write_text(path.read_text(encoding="utf-8").replace("An NHS trust's record", "A trust's record"),
                    encoding="utf-8")
    reworded = warrant.diff(str(old), str(new), progress=False)
    assert reworded.equivalent and reworded.to_json()["wording_changed"] == [
        "rule trust_debtor_data_for_enforcement: its statement changed"]
    assert "wording changed" in reworded.render("text")
    path.write_text(path.read_text(encoding="utf-8").replace("         and requester(home_office)\n", "", 1),
                    encoding="utf-8")
    loosened = warrant.diff(str(old), str(new), progress=False).to_json()      # C133: no decision changes
    assert loosened["equivalent"] and "rule trust_debtor_data_for_enforcement no longer has the condition " \
        "`requester(home_office)` (no decision changes with it)" in loosened["wording_changed"]
    path.write_text(path.read_text(encoding="utf-8").replace(
        "         and debt_threshold_met", "         and debt_threshold_met\n         and considered_for_deportation"),
        encoding="utf-8")
    tightened = warrant.diff(str(old), str(new), progress=False).to_json()
    assert any("now has the condition `considered_for_deportation`" in b
               for d in tightened["differences"] for b in d["because"])


def test_a_law_of_ten_judgements_diffs_with_witnesses_that_answer_them(tmp_path):
    """Leaving a witness's "no" judgements open would leave ten open (more than a request may, R009): the
    witness keeps them answered, and the diff is made rather than stopped on the error."""
    import warrant
    from bench.law_scaling import law_files
    for name, text in law_files(4).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = warrant.diff(rules=str(tmp_path), at=["2009-12-31", "2010-01-01"], progress=False)
    differences = report.to_json()["differences"]
    assert differences
    witness = differences[0]["witness"]
    assert witness["date"] == "2010-01-01" and sum(k.startswith("judged") for k in witness) == 10
    # routes 15 and 45 read the same flags and the same set: they stop (and start) applying on exactly the
    # same requests, so each direction is one difference naming both, not two differences with one witness
    merged = [d for d in differences if d["rule"] == "route15" and not d["basis_only"]]
    assert len(merged) == 2 and all([a["rule"] for a in d["also"]] == ["route45"] for d in merged)
    assert not any(d["rule"] == "route45" and not d["basis_only"] for d in differences)
    assert all(a["statement"] == "Route 45 to release." for d in merged for a in d["also"])
    assert "because permissions route15 and route45 stop applying (on exactly the same requests)" in \
        report.render("text")


def test_a_permission_is_not_named_as_the_cause_where_another_stands_in_for_it():
    """ferpa's 2009-01-08: audit_1974 goes out of force and audit_2009 comes in, and a prohibition starts
    applying. Where audit_2009 applies after, audit_1974's going did not refuse the item (the prohibition
    did): no difference blames it there, nor audit_2009's coming for an item a prohibition refused before."""
    import warrant
    report = warrant.diff(rules=os.path.join(os.path.dirname(__file__), "..", "examples", "rulebases", "ferpa_99_31"),
                          at=["2009-01-07", "2009-01-08"], progress=False).to_json()
    outcomes = [d for d in report["differences"] if not d["basis_only"]]
    assert outcomes
    for d in outcomes:
        if d["kind"] == "permission" and d["change"] == "stops applying":
            assert d["deciding"]["after"] is None or d["rule"] != "audit_1974", d
        if d["kind"] == "permission" and d["change"] == "starts applying":
            assert d["deciding"]["before"] is None or d["rule"] != "audit_2009", d
    assert any(d["rule"] == "identified_by_non_directory" and d["change"] == "starts applying" for d in outcomes)
    # a prohibition that reads `Recipient not in recipients_named` cannot start applying because names join
    # the set: that change is not given as its reason
    prohibition = next(d for d in outcomes if d["rule"] == "identified_by_non_directory")
    assert not any(b.startswith("set recipients_named gains") for b in prohibition["because"]), prohibition


def test_a_dated_sets_change_is_told_in_the_direction_that_has_the_effect(tmp_path):
    """A route that reads `destination in zone` stops applying because members leave the set, and starts
    because members join: each difference says only the half of the change that can do what it says."""
    import warrant
    from bench.law_scaling import law_files
    for name, text in law_files(2).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = warrant.diff(rules=str(tmp_path), at=["2001-12-31", "2002-01-01"], progress=False).to_json()
    told = {(d["change"], b.split(" between ")[0]) for d in report["differences"] if not d["basis_only"]
            for b in d["because"] if b.startswith("set zone")}
    assert told and all((change == "stops applying") == (" loses " in text) and " and " not in text
                        for change, text in told), told


def test_a_rule_added_without_changing_any_decision_is_still_said(tmp_path):
    """A folder diff names a new rule that decides nothing differently (a copy of a permission under a later
    id never becomes the basis), rather than leaving it out of the report."""
    import shutil
    import warrant
    from warrant.pipeline.rulebase import DEFAULT_RULES
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    path = rules / "immigration_exemption.warrant"
    text = path.read_text(encoding="utf-8")
    copy = text[text.index("    permit subject_access"):text.index("    forbid immigration_exemption_applies")]
    path.write_text(text.replace(copy, copy + copy.replace("subject_access for", "subject_access_zz_copy for")),
                    encoding="utf-8")
    report = warrant.diff(DEFAULT_RULES, str(rules), progress=False).to_json()
    assert "rule subject_access_zz_copy is new (no decision changes with it)" in report["wording_changed"], report
