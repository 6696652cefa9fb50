"""Invariants: the shipped ones hold; a broken rulebase yields a ready-to-run counter-example."""
import os
import re
import shutil

import yaml
from typer.testing import CliRunner

from cli import app
from warrant.author.invariants import check_invariants
from warrant.pipeline.rulebase import DEFAULT_RULES, load_rulebase

runner = CliRunner()

LEAKY = '''
policy leaky "A leaky arrangement"
    in force from 2019-06-01
    cites independent_2019 "para 2"
{
    permit leaky_debt for Item
        "Anyone may have debtor details."
        cites independent_2019 "para 2"
        when holder(nhs_trust)
         and Item in trust_debtor_data
         and nhs_debt(Debt)
         and Debt >= £500
}
'''


def _broken_copy(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    general = (rules / "general.warrant").read_text()
    start = general.index("forbid only_home_office")
    end = general.index("forbid", start + 10)
    (rules / "general.warrant").write_text(general[:start] + general[end:])
    (rules / "leaky.warrant").write_text(LEAKY)
    return rules


def test_shipped_invariants_hold():
    results = check_invariants(load_rulebase())
    assert {r.name for r in results} == {"clinical_data_never_released", "only_the_home_office",
                                         "nhs_digital_stops_after_withdrawal", "no_pupil_nationality"}
    assert all(r.holds for r in results), [r.to_json() for r in results if not r.holds]
    assert all(r.method == "proof" and not r.bounds for r in results)
    assert {r.how for r in results} == {"proved for every request"}


def test_the_sampling_fallback_is_labelled_not_a_proof():
    """Recursive rules cannot be encoded exactly; the enumeration that replaces the proof says what it is."""
    from warrant.author.invariants import _Enumerator
    rulebase = load_rulebase()
    invariant = rulebase.checked.invariants["nhs_digital_stops_after_withdrawal"]
    result = _Enumerator(rulebase, invariant).run()
    assert result.holds and result.method == "enumeration" and result.tried > 100
    assert result.how == f"checked on {result.tried} request(s), not a proof"


def test_violation_gives_smallest_runnable_counterexample(tmp_path, monkeypatch):
    rules = _broken_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", str(rules), "--counterexamples", "found"])
    assert result.exit_code == 1, result.output
    assert "error[C121]: invariant `only_the_home_office` does not hold" in result.output
    path = tmp_path / "found" / "only_the_home_office.yaml"
    document = yaml.safe_load(path.read_text())
    assert document["requester"] != "home_office" and document["holder"] == "nhs_trust"
    assert document["subject"] == {"nhs_debt": "£500"}          # the boundary, and nothing more
    assert document["date"] == "2019-06-01"                     # the first day the policy is in force
    hint = re.search(r"run `warrant decide (.*?)`", result.output.replace("\n  ", " ")).group(1).split()
    assert hint == ["--rules", str(rules), "found/only_the_home_office.yaml"]   # the hint runs as written
    decided = runner.invoke(app, ["decide", *hint, "--format", "json"])
    assert decided.exit_code == 0, decided.output               # it really is permitted
    assert "leaky_debt" in decided.output
    # the other invariants still hold, and nothing else was written
    assert sorted(os.listdir(tmp_path / "found")) == ["only_the_home_office.yaml"]


def test_no_invariants_flag_skips_them():
    result = runner.invoke(app, ["check", "--no-invariants"])
    assert result.exit_code == 0 and "invariants:" not in result.output


def test_a_violation_writes_nothing_unless_asked(tmp_path, monkeypatch):
    rules = _broken_copy(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = runner.invoke(app, ["check", str(rules)])
    assert result.exit_code == 1 and "does not hold" in result.output
    assert "with --counterexamples DIR" in result.output
    assert os.listdir(work) == []
