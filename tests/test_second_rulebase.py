"""The second rulebase (UK GDPR disclosure) is rule files only: it checks, proves its invariants and passes its cases."""
import json
import os
import re
import subprocess
import sys

from typer.testing import CliRunner

from cli import app

ROOT = os.path.join(os.path.dirname(__file__), "..")
GDPR = os.path.join(ROOT, "examples", "rulebases", "uk_gdpr")
runner = CliRunner()


def test_second_rulebase_is_written_without_python():
    names = [n for _, _, files in os.walk(GDPR) for n in files]
    assert names and not [n for n in names if n.endswith(".py")]
    assert len([n for n in names if n.endswith(".yaml")]) >= 20


def test_second_rulebase_checks_clean_and_its_invariants_hold():
    from helpers import assert_checks_clean
    assert_checks_clean(GDPR, 4)


def test_second_rulebase_golden_cases_pass():
    result = runner.invoke(app, ["test", "--rules", GDPR])
    assert result.exit_code == 0, result.output
    assert int(re.search(r"(\d+) passed, 0 failed", result.output).group(1)) >= 20


def test_schema_is_the_rulebase_in_use():
    mine = json.loads(runner.invoke(app, ["schema", "--rules", GDPR]).output)
    shipped = json.loads(runner.invoke(app, ["schema", "--rules", os.path.join(ROOT, "rules")]).output)
    assert "controller" in mine["properties"] and "controller" not in shipped["properties"]
    assert mine["properties"]["subject"]["properties"]["age"]["type"] == "integer"


def test_environment_variable_and_local_rules_folder_choose_the_rulebase(tmp_path):
    env = {**os.environ, "WARRANT_RULES": GDPR}
    case = os.path.join(GDPR, "cases", "child_13_online_service.yaml")
    run = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "decide", case], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "PERMITTED" in run.stdout, run.stdout + run.stderr
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "broken.warrant").write_text("permit p for Item when\n", encoding="utf-8")
    env.pop("WARRANT_RULES")
    run = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "check"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "broken.warrant" in run.stdout + run.stderr


def test_engine_holds_no_word_of_the_shipped_law():
    words = re.compile(r"nhs|home_office|pupil|deport|immigration|holder", re.IGNORECASE)
    for folder, _, names in os.walk(os.path.join(ROOT, "engine")):
        for name in names:
            if name.endswith(".py"):
                text = open(os.path.join(folder, name), encoding="utf-8").read()
                assert not words.search(text), (name, words.search(text).group(0))
    assert not words.search(open(os.path.join(ROOT, "cli.py"), encoding="utf-8").read())


def test_init_scaffolds_a_rulebase_that_checks_and_passes(tmp_path):
    folder = str(tmp_path / "new_law")
    result = runner.invoke(app, ["init", folder])
    assert result.exit_code == 0, result.output
    for command in (["check", "--rules", folder], ["test", "--rules", folder], ["fmt", "--check", "--rules", folder]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command, result.output)
    assert "1 passed, 0 failed" in runner.invoke(app, ["test", "--rules", folder]).output
    expected = json.load(open(os.path.join(folder, "cases", "council_with_consent.expected.json"), encoding="utf-8"))
    assert [o["rule"] for o in expected["items"][0]["obligations"]] == ["consented_contact_details"]
    open_request = os.path.join(folder, "open.yaml")
    with open(open_request, "w", encoding="utf-8") as out:
        out.write("date: '2024-06-01'\nrequester: council\nitems: [contact_details]\nsubject: {consented: true}\n")
    shown = runner.invoke(app, ["decide", open_request, "--rules", folder])
    assert shown.exit_code == 4 and "if sharing_necessary is yes: permitted" in shown.output, shown.output
    again = runner.invoke(app, ["init", folder])
    assert again.exit_code == 2 and "O011" in again.output


def test_a_bad_distribution_is_a_located_error(tmp_path):
    import shutil
    rules = tmp_path / "law"
    shutil.copytree(GDPR, rules)
    (rules / "distribution.yaml").write_text("fields:\n  date: {from: 2020-01-01, until: 2020-12-31}\n"
                                            "  subject.agee: 3\n", encoding="utf-8")
    result = runner.invoke(app, ["generate", "3", "--rules", str(rules)])
    assert result.exit_code == 2 and "distribution.yaml:3:3" in result.output and "subject.age" in result.output
    (rules / "distribution.yaml").write_text("fields:\n  subject.age: {from: x, until: 3}\n", encoding="utf-8")
    result = runner.invoke(app, ["generate", "3", "--rules", str(rules)])
    assert result.exit_code == 2 and "error[D004]" in result.output and "distribution.yaml:2:" in result.output
    assert "Traceback" not in result.output


def test_the_second_rulebase_generates_valid_requests_without_a_distribution():
    from warrant.batch.synthetic import generate
    from warrant.pipeline.rulebase import load_rulebase
    rulebase = load_rulebase([GDPR])
    documents = list(generate(rulebase, 200, seed=1))
    assert len({json.dumps(d, sort_keys=True) for d in documents}) > 150
    assert all(d["controller"]["type"] in ("company", "public_authority", "charity") for d in documents)


def test_why_not_expands_a_failed_definition_whose_arguments_are_open():
    """`consent_recorded(Item, Kind)` fails with Kind open ("any"): its definition is still shown."""
    result = runner.invoke(app, ["decide", "--rules", GDPR, "--format", "json",
                                 os.path.join(GDPR, "cases", "consent_for_another_category.yaml")])
    found = []

    def walk(node):
        if isinstance(node, dict):
            if str(node.get("conclusion", "")).startswith("nothing establishes that consent_recorded("):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(json.loads(result.output))
    assert found, result.output[:2000]
    assert all(any(c.get("rule") == "consent_on_record" for c in n["children"]) for n in found)
