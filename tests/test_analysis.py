"""The exact analysis: its formulas agree with the engine on concrete requests, and its proofs and witnesses hold."""
import datetime as dt
import os

import pytest
import z3

from helpers import law_folder
from warrant.analysis.encode import Side, Space
from warrant.batch.synthetic import generate
from warrant.pipeline.decide import decide_outcomes
from warrant.pipeline.request import request_from_data
from warrant.pipeline.rulebase import load_rulebase

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
        solver = z3.Solver(ctx=space.ctx)
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
    assert _agree(rulebase, list(generate(rulebase, 200, seed=setting)), at, assume, drafts) >= 160


def test_formulas_agree_with_the_engine_on_the_second_rulebase():
    rulebase = load_rulebase([GDPR])
    assert _agree(rulebase, list(generate(rulebase, 200, seed=3)), None, {}, ()) >= 160


def test_shipped_space_is_exact():
    """Convictions and investigations are compared with constants only: three slots each cover every list."""
    space = Space([load_rulebase()])
    assert space.exact() and space.exact_slots == {"subject.convictions": 3, "subject.investigations": 3}


FINDINGS = '''
policy findings_policy "Rules written to be found"
    in force from 2019-06-01
    cites independent_2019 "para 2"
{
    permit never_applies for Item
        "A permission whose date conditions contradict its holder's."
        cites independent_2019 "para 2"
        when holder(nhs_trust)
         and holder(nhs_digital)
         and Item in trust_debtor_data

    permit always_overridden for Item
        "A permission for clinical data, which the clinical prohibition always overrides."
        cites independent_2019 "para 2"
        when holder(nhs_trust)
         and requester(home_office)
         and Item in clinical_data

    permit with_implied_condition for Item
        "A debt of over £600 is a debt of £500 or more."
        cites independent_2019 "para 2"
        when holder(nhs_trust)
         and requester(home_office)
         and Item in trust_debtor_data
         and nhs_debt(Debt)
         and Debt > £600
         and Debt >= £500
}
'''


def test_exact_findings_dead_shadowed_and_redundant_are_located(tmp_path):
    import shutil
    from typer.testing import CliRunner
    from cli import app
    from warrant.pipeline.rulebase import DEFAULT_RULES
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    (rules / "findings.warrant").write_text(FINDINGS, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--rules", str(rules)])
    out = result.output
    assert "warning[C129]: permission `never_applies` can never apply" in out, out
    assert "warning[C130]: permission `always_overridden` is always overridden" in out
    assert "warning[C131]: condition 6 of `with_implied_condition` is implied by its other conditions" in out
    assert "findings.warrant:28:14: warning[C131]" in out           # the condition itself
    assert "C131]: condition 5" not in out                          # the stronger condition is not the redundant one
    assert result.exit_code == 0                                    # warnings, not errors


def test_shipped_and_second_rulebase_have_no_exact_findings():
    from warrant.analysis.findings import exact_findings
    assert exact_findings(load_rulebase()) == []
    assert exact_findings(load_rulebase([GDPR])) == []


FERPA = os.path.join(ROOT, "examples", "rulebases", "ferpa_99_31")


def test_exact_findings_shared_among_workers_are_the_same_findings(monkeypatch):
    """Forked at once (no warm-up), two workers find what one process finds, in the same order; a
    question cap reached by both is said once."""
    from warrant.analysis import findings
    rulebase = load_rulebase([FERPA])
    alone = findings.exact_findings(rulebase, outcome_redundancy=True)
    assert [d.code for d in alone].count("C133") == 5
    monkeypatch.setattr(findings, "FORK_AFTER", -1.0)
    monkeypatch.setattr(findings, "FORK_WORTH", -1.0)
    forked = os.getpid()
    monkeypatch.setattr(findings, "_examine_in_worker",
                        lambda rule_id: (os.getpid() != forked or pytest.fail("not forked"))
                        and findings._WORKER["findings"].examined(rule_id))
    shared = findings.exact_findings(rulebase, outcome_redundancy=True, jobs=2)
    assert [d.to_json() for d in shared] == [d.to_json() for d in alone]
    monkeypatch.setattr(findings, "MAX_QUESTIONS", 60)
    capped = findings.exact_findings(rulebase, jobs=2)
    assert [d.message.startswith(findings.CAPPED) for d in capped].count(True) == 1


def test_outcome_redundancy_is_confirmed_by_diffing_the_rules_without_the_condition(tmp_path):
    """C133 says removing `requester(home_office)` from a permission changes no decision: `warrant diff` agrees."""
    import shutil
    from typer.testing import CliRunner
    from cli import app
    from warrant.pipeline.rulebase import DEFAULT_RULES
    runner = CliRunner()
    result = runner.invoke(app, ["check", "--rules", DEFAULT_RULES, "--outcome-redundancy", "--format", "json"])
    found = [d for d in __import__("json").loads(result.output)["diagnostics"] if d["code"] == "C133"]
    target = next(d for d in found if "`restriction_serious_offender`" in d["message"])
    assert target["message"].startswith("condition 2 of") and target["line"]
    assert not runner.invoke(app, ["check", "--rules", DEFAULT_RULES]).output.count("C133")   # not by default
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    path = rules / "nhs_digital.warrant"
    lines = path.read_text().splitlines(keepends=True)
    assert lines[target["line"] - 1].strip() == "and requester(home_office)"
    del lines[target["line"] - 1]
    path.write_text("".join(lines))
    same = runner.invoke(app, ["diff", DEFAULT_RULES, str(rules)])
    assert same.exit_code == 0 and "equivalent" in same.output, same.output


JOINED = '''
define convicted_and_investigated as same_offence
    "A conviction and an investigation for the same offence."
    cites independent_2017 "para 4"
    when convicted(Offence, Sentence)
     and investigated(Offence, Minimum)
'''


def test_a_join_on_list_values_bounds_the_proof_and_says_so(tmp_path):
    """Rules that join two lists' values make the slots a bound: the result says exactly what was proved."""
    import shutil
    from typer.testing import CliRunner
    from cli import app
    from warrant.pipeline.rulebase import DEFAULT_RULES
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    (rules / "joined.warrant").write_text(JOINED, encoding="utf-8")
    space = Space([load_rulebase([str(rules)])])
    assert not space.exact() and set(space.bounds) == {"subject.convictions", "subject.investigations"}
    result = CliRunner().invoke(app, ["check", "--rules", str(rules)])
    assert "proved for every request with at most 3 entries in subject.convictions, 3 entries in " \
           "subject.investigations" in result.output, result.output
    assert "4 of 4 hold (0 proved for every request)" in result.output


def _sequential_model(space, solver, formulas):
    """The canonical model as first written: each variable's candidates asked one by one, in order."""
    from warrant.analysis.solve import _choices, _cuts
    solver.push()
    solver.add(*formulas)
    try:
        if solver.check() != z3.sat:
            return None
        first = solver.model()
        for variable, candidates in _choices(space, _cuts(space)):
            for value in list(candidates) + [None]:
                solver.push()
                solver.add(variable == (first.eval(variable, model_completion=True) if value is None else value))
                if solver.check() == z3.sat:
                    break
                solver.pop()
        assert solver.check() == z3.sat
        return solver.model()
    finally:
        while solver.num_scopes():
            solver.pop()


@pytest.mark.parametrize("law", ["ferpa_99_31", "generated"])
def test_canonical_witnesses_found_by_bisection_equal_the_one_by_one_search(law, tmp_path):
    """The canonical model finds each variable's first possible candidate by bisecting its candidates (an
    enumeration of 100 values costs ~7 questions, not up to 100): the witness must be exactly the one asking
    each candidate in turn gives, for every permission's "it applies" and "it does not" on laws with long
    enumerations and dated sets."""
    from warrant.analysis.solve import canonical_model
    folder = law_folder(law, tmp_path, 2)
    rulebase = load_rulebase([folder])
    space = Space([rulebase])
    side = Side(space, rulebase)
    compared = 0
    for rule_id in rulebase.program.permissions()[:12]:
        fires = side.fires(rule_id)
        for formula in (fires, z3.Not(fires)):
            solver = z3.Solver(ctx=space.ctx)
            solver.add(*space.domain)
            quick = canonical_model(space, solver, [formula])
            slow = _sequential_model(space, solver, [formula])
            assert (quick is None) == (slow is None), rule_id
            if quick is not None:
                assert space.document(quick) == space.document(slow), rule_id
                compared += 1
    assert compared >= 12
