"""`warrant test`: pass, a readable failure, --update rewriting only the cases run, coverage."""
import json
import os
import shutil

from typer.testing import CliRunner

from cli import app

ROOT = os.path.join(os.path.dirname(__file__), "..")
CASES = os.path.join(ROOT, "tests", "golden", "decisions")
runner = CliRunner()


def _copy(tmp_path, *names):
    for name in names:
        for suffix in (".yaml", ".expected.json"):
            shutil.copy(os.path.join(CASES, name + suffix), tmp_path / (name + suffix))


def test_failure_shows_the_outcome_change_and_update_rewrites_only_cases_run(tmp_path):
    _copy(tmp_path, "sentence_12_months", "sentence_11_months")
    expected = tmp_path / "sentence_12_months.expected.json"
    other = tmp_path / "sentence_11_months.expected.json"
    other_before = other.read_bytes()
    expected.write_text(expected.read_text().replace('"permitted"', '"refused"'))
    result = runner.invoke(app, ["test", str(tmp_path)])
    assert result.exit_code == 1
    assert f"FAILED {tmp_path / 'sentence_12_months.yaml'}" in result.output
    assert "outcome changed: name: refused -> permitted" in result.output
    assert '-  "outcome": "refused"' in result.output and '+  "outcome": "permitted"' in result.output
    result = runner.invoke(app, ["test", str(tmp_path / "sentence_12_months.yaml"), "--update"])
    assert result.exit_code == 0 and "1 updated" in result.output
    assert other.read_bytes() == other_before
    assert runner.invoke(app, ["test", str(tmp_path)]).exit_code == 0


def test_missing_expected_file_fails_until_updated(tmp_path):
    shutil.copy(os.path.join(CASES, "mou_first_day.yaml"), tmp_path / "new_case.yaml")
    result = runner.invoke(app, ["test", str(tmp_path)])
    assert result.exit_code == 1 and "MISSING" in result.output and "--update" in result.output
    assert runner.invoke(app, ["test", str(tmp_path), "--update"]).exit_code == 0
    assert (tmp_path / "new_case.expected.json").exists()


def test_bad_case_file_exits_2_with_its_location(tmp_path):
    (tmp_path / "bad.yaml").write_text("id: bad\ndate: 2018-13-01\n")
    result = runner.invoke(app, ["test", str(tmp_path)])
    assert result.exit_code == 2 and "bad.yaml:2:" in result.output and "Traceback" not in result.output


def test_coverage_of_the_shipped_suite():
    result = runner.invoke(app, ["test", "--coverage", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"]["failed"] == 0 and data["counts"]["passed"] >= 35
    rules = {r["rule"]: r["proofs"] for r in data["coverage"]["rules"]["by_rule"]}
    assert rules["restriction_serious_offender"] > 0 and rules["suspected_s24a_offence"] > 0
    deciding = [c for c in data["coverage"]["conditions"]["by_condition"] if c["held"] and c["failed"]]
    assert {"rule": "restriction_serious_offender", "condition": "serious_offender",
            "held": True, "failed": True} in deciding
    # a definition's condition that fails inside a why-not counts as failed too
    assert {"rule": "debt_over_500", "condition": "Debt > £500", "held": True, "failed": True} in deciding
    policies = {p["policy"]: p["cases_inside"] for p in data["coverage"]["policies"]}
    assert policies["nhs_digital_mou_2017"] > 0
    assert runner.invoke(app, ["test", "--coverage", "--fail-under", "100"]).exit_code == 1


def test_failed_update_leaves_the_expected_file_whole(tmp_path, monkeypatch):
    _copy(tmp_path, "sentence_12_months")
    expected = tmp_path / "sentence_12_months.expected.json"
    expected.write_text('{"stale": true}\n')

    def explode(*args, **kwargs):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(os, "replace", explode)
    result = runner.invoke(app, ["test", str(tmp_path), "--update"])
    assert result.exit_code == 2 and "O007" in result.output and "Traceback" not in result.output
    assert expected.read_text() == '{"stale": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sentence_12_months.expected.json",
                                                         "sentence_12_months.yaml"]


def test_parallel_suite_gives_the_same_report(tmp_path):
    names = sorted(n[:-5] for n in os.listdir(CASES) if n.endswith(".yaml"))
    for copy in range(2):
        for name in names:
            for suffix in (".yaml", ".expected.json"):
                shutil.copy(os.path.join(CASES, name + suffix), tmp_path / f"{name}_{copy}{suffix}")
    serial = runner.invoke(app, ["test", str(tmp_path), "--jobs", "1", "--coverage"])
    parallel = runner.invoke(app, ["test", str(tmp_path), "--jobs", "2", "--coverage"])
    assert serial.exit_code == parallel.exit_code == 0
    assert serial.output == parallel.output and f"{2 * len(names)} passed" in serial.output


def test_update_says_what_changed_outcome_flips_first(tmp_path):
    _copy(tmp_path, "sentence_12_months", "sentence_11_months")
    flipped = tmp_path / "sentence_12_months.expected.json"
    flipped.write_text(flipped.read_text().replace('"permitted"', '"refused"'))
    reworded = tmp_path / "sentence_11_months.expected.json"
    reworded.write_text(reworded.read_text().replace("NHS Digital", "NHS  Digital", 1))
    result = runner.invoke(app, ["test", str(tmp_path), "--update"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    first = lines.index(f"UPDATED {tmp_path / 'sentence_12_months.yaml'}")
    second = lines.index(f"UPDATED {tmp_path / 'sentence_11_months.yaml'}")
    assert first < second                                        # the flipped outcome is shown first
    assert "outcome changed: name: refused -> permitted" in lines[first + 1]
    assert "outcomes unchanged; the trace differs" in lines[second + 1]
    assert lines[-1] == "0 passed, 0 failed, 2 updated (1 with an outcome change)"


def test_outcomes_only_case_survives_a_reworded_statement(tmp_path):
    _copy(tmp_path, "sentence_12_months")
    case = tmp_path / "sentence_12_months.yaml"
    assert runner.invoke(app, ["test", str(case), "--outcomes-only"]).exit_code == 2      # O016: needs --update
    result = runner.invoke(app, ["test", str(case), "--update", "--outcomes-only"])
    assert result.exit_code == 0, result.output
    expected = json.loads((tmp_path / "sentence_12_months.expected.json").read_text())
    assert expected["check"] == "outcomes" and expected["items"][0]["deciding"] == ["restriction_serious_offender"]
    rules = tmp_path / "rules"
    shutil.copytree(os.path.join(ROOT, "rules"), rules)
    source = rules / "nhs_digital.warrant"
    source.write_text(source.read_text().replace("NHS Digital may give the Home Office a non-clinical detail to trace "
                                                 "a person being considered", "NHS Digital may pass on a non-clinical"
                                                 " detail to trace someone considered"))
    assert runner.invoke(app, ["test", str(case), "--rules", str(rules)]).exit_code == 0    # the wording is not asserted
    full = runner.invoke(app, ["test", os.path.join(CASES, "sentence_12_months.yaml"), "--rules", str(rules)])
    assert full.exit_code == 1                                   # the full trace case does see it
