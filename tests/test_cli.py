"""The command line: exit codes, formats, overrides, and never a traceback."""
import json
import os

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = os.path.join(os.path.dirname(__file__), "..")
EXAMPLES = os.path.join(ROOT, "examples", "requests")
CASES = os.path.join(ROOT, "tests", "golden", "decisions")
runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def test_decide_permitted_exit_0():
    result = run("decide", os.path.join(CASES, "mou_first_day.yaml"))
    assert result.exit_code == 0, result.output
    assert "name: PERMITTED" in result.output


def test_decide_refused_exit_1_with_why_not():
    result = run("decide", os.path.join(CASES, "sentence_11_months.yaml"))
    assert result.exit_code == 1, result.output
    assert "11 months >= 12 months does not hold" in result.output


@pytest.mark.parametrize("fmt,marker", [("json", '"outcome"'), ("markdown", "# Decision:"), ("dot", "digraph")])
def test_formats(fmt, marker):
    result = run("decide", os.path.join(CASES, "clinical_alongside.yaml"), "--format", fmt)
    assert result.exit_code == 1 and marker in result.output


def test_json_trace_walks_to_request_facts():
    result = run("decide", os.path.join(CASES, "sentence_12_months.yaml"), "--format", "json")
    data = json.loads(result.output)

    def leaves(node):
        if node["kind"] == "rule":              # a rule by its id, a policy in force by its name and period
            assert (node.get("rule") or node["detail"]["policy"]) and node["citations"], node
            for child in node["children"]:
                yield from leaves(child)
        else:
            yield node

    item = data["items"][0]
    assert item["outcome"] == "permitted"
    kinds = {leaf["kind"] for leaf in leaves(item["proofs"][0])}
    assert {"fact", "comparison", "absent", "member"} <= kinds
    facts = [leaf for leaf in leaves(item["proofs"][0]) if leaf["kind"] == "fact"]
    assert any(leaf["location"] == "subject.convictions[0]" for leaf in facts)


def test_at_override_changes_regime():
    before = run("decide", os.path.join(CASES, "mou_last_day.yaml"), "--format", "json")
    after = run("decide", os.path.join(CASES, "mou_last_day.yaml"), "--at", "2018-05-09", "--format", "json")
    assert json.loads(before.output)["outcome"] == "permitted"
    data = json.loads(after.output)
    assert data["outcome"] == "refused" and {"setting": "--at", "value": "2018-05-09"} in data["settings"]


def test_set_assume_and_draft():
    path = os.path.join(CASES, "sentence_11_months.yaml")
    assert run("decide", path, "--set", "subject.convictions=[{offence: robbery, sentence_months: 12}]").exit_code == 0
    path = os.path.join(CASES, "investigated_only.yaml")
    assert run("decide", path).exit_code == 0
    assert run("decide", path, "--assume", "investigation_counts=off").exit_code == 1
    path = os.path.join(CASES, "withdrawal_first_day.yaml")
    assert run("decide", path).exit_code == 1
    assert run("decide", path, "--with-draft", "nhs_digital_replacement_draft").exit_code == 0


@pytest.mark.parametrize("args,code", [
    (["decide", "/no/such.yaml"], "R000"),
    (["decide", os.path.join(CASES, "mou_first_day.yaml"), "--at", "2018-02-30"], "O002"),
    (["decide", os.path.join(CASES, "mou_first_day.yaml"), "--assume", "nope=on"], "A001"),
    (["decide", os.path.join(CASES, "mou_first_day.yaml"), "--assume", "debt_threshold_inclusive=maybe"], "A003"),   # on/off, or a reading: this one has none
    (["decide", os.path.join(CASES, "mou_first_day.yaml"), "--with-draft", "nhs_digital_mou_2017"], "A002"),
    (["decide", os.path.join(CASES, "mou_first_day.yaml"), "--set", "subject.nope=1"], "O001"),
    (["decide", os.path.join(CASES, "mou_first_day.yaml"), "--rules", "/no/such/dir"], "W004"),
    (["show", "no_such_rule"], "B001"),
])
def test_bad_input_exit_2(args, code):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert f"[{code}]" in result.output


def test_broken_rule_folder_is_located(tmp_path):
    (tmp_path / "a.warrant").write_text('forbid f for Item "s" cites nobody when holdr(x)\n')
    result = run("decide", os.path.join(CASES, "mou_first_day.yaml"), "--rules", str(tmp_path))
    assert result.exit_code == 2
    assert "a.warrant:1:29: error[C105]" in result.output and "a.warrant:1:41: error[C101]" in result.output


def test_unstratified_rules_exit_2(tmp_path):
    (tmp_path / "a.warrant").write_text('source s { publisher "p" title "t" }\n'
                                        'define p as r1 "s" cites s when not q\n'
                                        'define q as r2 "s" cites s when not p\n'
                                        'forbid f for Item "s" cites s when p\n')
    result = run("check", str(tmp_path))
    assert result.exit_code == 1 and "C108" in result.output and "q -> p -> q" in result.output
    assert run("decide", os.path.join(CASES, "mou_first_day.yaml"), "--rules", str(tmp_path)).exit_code == 2


def test_check_shipped_rules_clean_and_json():
    assert run("check").exit_code == 0
    result = run("check", "--format", "json")
    data = json.loads(result.output)
    assert data["diagnostics"] == [] and all(r["holds"] for r in data["invariants"])


def test_verify_flag():
    result = run("decide", os.path.join(CASES, "debt_500_00.yaml"), "--verify")
    assert result.exit_code == 0


def test_browsing_commands(tmp_path):
    rules = run("rules", "--at", "2018-06-01")
    assert rules.exit_code == 0 and "restriction_serious_offender" in rules.output
    assert "mou_trace_suspected_offender" not in rules.output
    show = run("show", "convicted_serious_offence")
    assert "used by: replacement_serious_offending, restriction_serious_offender" in show.output
    svg = tmp_path / "t.svg"
    timeline = run("timeline", "--svg", str(svg))
    assert timeline.exit_code == 0 and "nhs_digital_mou_2017" in timeline.output
    assert svg.read_text().startswith("<svg")


def test_examples_all_decide():
    for name in sorted(os.listdir(EXAMPLES)):
        result = run("decide", os.path.join(EXAMPLES, name), "--verify")
        assert result.exit_code in (0, 1), (name, result.output)


def test_version_and_completion_options():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("warrant ")
    assert "--install-completion" in CliRunner().invoke(app, ["--help"]).output


def test_errors_are_json_when_json_is_asked_for(tmp_path):
    import json
    import subprocess
    import sys
    bad = tmp_path / "bad.yaml"
    bad.write_text("date: '2018-01-01'\nrequestr: home_office\n", encoding="utf-8")
    run = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "..", "cli.py"), "decide", str(bad),
                          "--format", "json"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    errors = json.loads(run.stdout)["errors"]
    unknown = next(e for e in errors if e["code"] == "R001")
    assert unknown["file"] == str(bad) and unknown["line"] == 2 and unknown["column"] == 1
    assert unknown["suggestion"] == "requester"


@pytest.mark.parametrize("args", [["rules"], ["rules", "--at", "2018-06-01"], ["show", "clinical_never"],
                                  ["timeline"], ["fmt", "--check"], ["schema"], ["check"], ["test"],
                                  ["diff", "--assume", "debt_threshold_inclusive=on"],
                                  ["impact", "examples/batches/synthetic_400.jsonl", "--at", "2018-05-09"],
                                  ["decide", "examples/requests/mou_tracing.json"]])
def test_every_printing_command_speaks_json(args, monkeypatch):
    import json
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert isinstance(json.loads(result.stdout), (dict, list))


def test_generate_is_json_lines_and_refuses_other_formats(monkeypatch):
    import json
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["generate", "3", "--format", "json"])
    assert result.exit_code == 0 and [json.loads(l)["id"] for l in result.stdout.splitlines()] == ["r0", "r1", "r2"]
    for command in (["generate", "3"], ["schema"], ["rules"], ["show", "clinical_never"], ["timeline"], ["fmt"],
                    ["decide", os.path.join(CASES, "mou_first_day.yaml")], ["compare", "x.yaml"], ["check"],
                    ["test"], ["impact", "x.jsonl"], ["diff"]):
        refused = runner.invoke(app, [*command, "--format", "xml"])     # a choice: refused before anything runs
        assert refused.exit_code == 2 and "Invalid value for '--format': 'xml' is not one of" in refused.output, \
            (command, refused.output)


@pytest.mark.parametrize("command", ["decide", "compare", "impact", "generate", "check", "fmt", "test", "schema",
                                     "init", "rules", "show", "timeline", "diff"])
def test_every_command_help_has_examples_and_named_values(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Examples:" in result.output
    assert "<str>" not in result.output                            # choices, dates and files say what they are


def test_options_a_mode_ignores_are_refused():
    """`decide --batch` writes JSON Lines: options it would ignore are a usage error, not silently dropped."""
    batch = os.path.join(ROOT, "examples", "batches", "synthetic_400.jsonl")
    request = os.path.join(ROOT, "examples", "requests", "mou_tracing.json")
    for extra in (["--set", "requester=police"], ["--verify"], ["--vary", "items"], ["--format", "html"], [request]):
        result = run("decide", "--batch", batch, *extra)
        assert result.exit_code == 2 and "error[O005]: --batch does not take" in result.output, (extra, result.output)
    result = run("decide", request, "--jobs", "2")
    assert result.exit_code == 2 and "--trace, --jobs and --resume go with --batch" in result.output
    for args in (["decide", request, "--trace", "all"], ["check", "--no-invariants", "--counterexamples", "cx"],
                 ["check", "--no-invariants", "--outcome-redundancy"], ["diff", "rules", "rules", "--rules", "rules"]):
        result = run(*args)
        assert result.exit_code == 2 and "error[O005]" in result.output, (args, result.output)
    assert not os.path.exists("cx")


def test_errors_are_json_under_format_json():
    import json
    result = run("decide", "/no/such.yaml", "--format", "json")
    assert result.exit_code == 2 and json.loads(result.stdout)["errors"][0]["code"] == "R000"
    result = run("generate", "-1")              # JSON Lines by nature: errors stay text
    assert result.exit_code == 2 and not result.stdout.startswith("{")


def test_a_batch_says_how_many_lines_had_each_outcome(tmp_path):
    """The batch's closing line counts its lines by what became of them, so exit 1, 4 or 2 is explained."""
    import re
    import warrant
    lines = [json.dumps(r) for r in warrant.load().generate(40, seed=9)] + ['{"not": "a request"}']
    batch = tmp_path / "b.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["decide", "--batch", str(batch), "--trace", "none",
                                      "--out", str(tmp_path / "o.jsonl")])
    said = re.search(r"decided 41 line\(s\) -> \S+ \((.*)\)", result.output)
    assert said and result.exit_code == 2, result.output
    counts = dict((word, int(n.replace(",", ""))) for n, word in
                  (part.split(" ", 1) for part in said.group(1).split(", ")))
    assert counts.get("bad") == 1 and sum(counts.values()) == 41, counts
    records = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert counts.get("permitted", 0) == sum(r.get("outcome") == "permitted" for r in records)
