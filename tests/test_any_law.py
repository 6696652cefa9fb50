"""Explanations that hold on any law (issue 34): a fresh `warrant init` law with a dated set, the
shipped rulebases, run from a working folder of their own with the cache off."""
import glob
import json
import os

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EXAMPLES = os.path.join(ROOT, "examples", "rulebases")
runner = CliRunner()

DATED_SET = '''
set sensitive_records "Records treated as sensitive"
    from 2024-01-01 = {case_notes} cites example_act "s.3"
    from 2025-01-01 = {case_notes, contact_details} cites example_act "s.5"

forbid sensitive_never for Item
    "Sensitive records are never shared."
    cites example_act "s.3"
    when Item in sensitive_records
'''


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A working folder that is not the repository's, with the rulebase cache off."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("WARRANT_CACHE", "off")
    return folder


@pytest.fixture
def dated_law(tmp_path):
    """A fresh `warrant init` law (its golden case kept) with one dated set and one forbid that uses it."""
    root = tmp_path / "law"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    (root / "dated.warrant").write_text(DATED_SET, encoding="utf-8")
    assert runner.invoke(app, ["test", "--rules", str(root), "--update"]).exit_code == 0   # one more prohibition
    return root


def _invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def test_coverage_with_a_dated_set(dated_law, elsewhere):
    result = _invoke("test", "--coverage", "--rules", dated_law)
    assert result.exit_code == 0, result.output
    assert "sensitive_records (from 2024-01-01 until 2024-12-31): 1 case(s)" in result.output
    assert "sensitive_records (from 2025-01-01): 0 case(s)  <- never tested" in result.output
    assert "__from_" not in result.output
    data = json.loads(_invoke("test", "--coverage", "--format", "json", "--rules", dated_law).output)
    assert {"name": "sensitive_records", "period": "from 2025-01-01", "cases_inside": 0} in data["coverage"]["dated"]
    assert "sensitive_never" in {r["rule"] for r in data["coverage"]["rules"]["by_rule"]}
    assert _invoke("test", "--rules", dated_law, "--coverage", "--fail-under", "1").exit_code == 0


@pytest.mark.parametrize("name", sorted(os.listdir(EXAMPLES)))
def test_coverage_of_the_example_rulebases(name, elsewhere):
    folder = os.path.join(EXAMPLES, name)
    cases = sorted(glob.glob(os.path.join(folder, "cases", "*.yaml")))
    chosen = cases[::max(1, len(cases) // 8)] if len(cases) > 40 else []    # a large suite: a spread of 8 cases
    result = _invoke("test", "--coverage", "--rules", folder, *chosen)
    assert result.exit_code == 0, result.output
    assert "dated sets and values" in result.output and "__from_" not in result.output


def test_coverage_from_the_api(dated_law, elsewhere):
    import warrant
    suite = warrant.load(dated_law).test(coverage=True)
    assert suite.exit_code == 0 and suite.coverage.dated[("sensitive_records", "from 2025-01-01")] == 0


def _case(root, name: str, **fields) -> str:
    """A request file for the init law: the council asks for contact details, with these fields."""
    import yaml
    data = {"id": name, "date": "2024-06-01", "requester": "council", "items": ["contact_details"],
            "sharing_necessary": True, **fields}
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_a_why_not_states_a_false_the_request_gave(dated_law, elsewhere):
    stated = _case(elsewhere, "stated_false", subject={"consented": False})
    result = _invoke("decide", "--rules", dated_law, stated)
    assert result.exit_code == 1
    assert ("failed: the request does not say that subject.consented is true; it says subject.consented is false"
            in result.output), result.output
    failed = json.loads(_invoke("decide", "--rules", dated_law, "--format", "json", stated).output)
    failed = failed["items"][0]["why_not"][0]["failed"]
    assert failed["detail"]["actual"] == ["subject.consented is false"]
    left_out = _invoke("decide", "--rules", dated_law, _case(elsewhere, "left_out"))
    assert "it says nothing about subject.consented" in left_out.output


LEAVING_SET = '''
set allowed_records "Records the council may have"
    from 2024-01-01 until 2024-03-31 = {contact_details} cites example_act "s.6"
    from 2024-04-01 = {case_notes} cites example_act "s.7"

policy extra_sharing "More sharing" in force from 2024-01-01 cites example_act "s.1"
{
    permit allowed_sharing for Item
        "The council may have allowed records."
        cites example_act "s.6"
        when Item in allowed_records
         and requester(council)
}
'''


@pytest.fixture
def leaving_law(tmp_path):
    """The init law with a dated set its one member leaves on 2024-04-01, under s.7."""
    root = tmp_path / "leaving" / "law"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    (root / "extra.warrant").write_text(LEAVING_SET, encoding="utf-8")
    return root


def test_no_clause_id_reaches_a_user(dated_law, leaving_law, elsewhere):
    """Traces, why-nots, compare and every format name a dated member by its set, member and period."""
    asked = _case(elsewhere, "asked", subject={"consented": False})
    outputs = [_invoke("decide", "--rules", leaving_law, asked, "--at", day, "--format", fmt).output
               for day in ("2024-02-01", "2024-05-01") for fmt in ("text", "json", "markdown", "html", "dot")]
    outputs.append(_invoke("compare", "--rules", leaving_law, asked, "--at", "2024-02-01", "--at", "2024-05-01").output)
    outputs.append(_invoke("compare", "--rules", leaving_law, asked, "--at", "2024-02-01", "--at", "2024-05-01",
                           "--format", "json").output)
    both = _case(elsewhere, "both", items=["contact_details", "case_notes"])
    outputs.append(_invoke("decide", "--rules", dated_law, both, "--at", "2025-02-01").output)
    outputs.append(_invoke("impact", "--rules", leaving_law, _batch(elsewhere), "--at", "2024-02-01",
                           "--at", "2024-05-01").output)
    for output in outputs:
        assert "__from_" not in output, output
    text = outputs[0]
    assert "[set allowed_records from 2024-01-01 until 2024-03-31 @ law/extra.warrant:" in text, text
    proof = json.loads(outputs[1])["items"][0]["proofs"][0]["children"][2]
    assert "rule" not in proof and proof["detail"] == {"set": "allowed_records", "member": "contact_details",
                                                        "period": "from 2024-01-01 until 2024-03-31"}
    assert "contact_details is in the set allowed_records (its value from 2024-01-01 until 2024-03-31) " \
           "[Parliament, Example Act 2024, 2024-01-01, s.6]" in outputs[10]


def _batch(folder) -> str:
    path = folder / "batch.jsonl"
    path.write_text(json.dumps({"id": "b1", "date": "2024-02-01", "requester": "council",
                                "items": ["contact_details"], "sharing_necessary": False}) + "\n", encoding="utf-8")
    return str(path)


def test_a_member_that_left_a_dated_set_cites_the_period(leaving_law, elsewhere):
    asked = _case(elsewhere, "asked", subject={"consented": False})
    text = _invoke("decide", "--rules", leaving_law, asked, "--at", "2024-05-01").output
    assert ("failed: contact_details is not in the set allowed_records on 2024-05-01 (its value from 2024-04-01: "
            "case_notes)\n        cites: Parliament, Example Act 2024, 2024-01-01, s.7") in text, text
    data = json.loads(_invoke("decide", "--rules", leaving_law, asked, "--at", "2024-05-01", "--format", "json").output)
    failed = next(a for a in data["items"][0]["why_not"] if a["rule"] == "allowed_sharing")["failed"]
    assert [c["locator"] for c in failed["citations"]] == ["s.7"]
    assert failed["detail"]["period"] == "from 2024-04-01"
    for fmt in ("markdown", "html"):
        assert "s.7" in _invoke("decide", "--rules", leaving_law, asked, "--at", "2024-05-01", "--format", fmt).output
    compared = _invoke("compare", "--rules", leaving_law, asked, "--at", "2024-02-01", "--at", "2024-05-01").output
    assert "allowed_sharing: contact_details is not in the set allowed_records on 2024-05-01" in compared
    assert "(the set's value cites Parliament, Example Act 2024, 2024-01-01, s.7)" in compared


def test_compare_explains_an_undetermined_variant_as_decide_does(dated_law, elsewhere):
    left_open = _case(elsewhere, "left_open", subject={"consented": True})
    (elsewhere / "left_open.yaml").write_text(
        (elsewhere / "left_open.yaml").read_text().replace("sharing_necessary: true\n", ""), encoding="utf-8")
    decided = _invoke("decide", "--rules", dated_law, left_open).output
    assert "contact_details: UNDETERMINED (it turns on judgements the request left open)" in decided
    result = _invoke("compare", "--rules", dated_law, left_open, "--set", "sharing_necessary=true")
    assert "as requested: UNDETERMINED (it turns on judgements the request left open)" in result.output
    assert "if sharing_necessary is yes: permitted by consented_contact_details" in result.output
    assert "no arrangement" not in result.output
    assert "UNDETERMINED  PERMITTED" in result.output                      # the table's columns hold the word


@pytest.mark.parametrize("cache", ["off", "on"])
def test_a_rulebase_is_named_alike_from_any_working_folder(dated_law, tmp_path, monkeypatch, cache):
    """decide (text, JSON, Markdown, HTML record), check, test, diff and impact name the rulebase by its folder's
    name and digest, the same from three working folders."""
    monkeypatch.setenv("WARRANT_CACHE", "off" if cache == "off" else str(tmp_path / "cache"))
    case = dated_law / "cases" / "council_with_consent.yaml"
    commands = [["decide", "--rules", dated_law, case, "--format", fmt] for fmt in ("text", "json", "markdown", "html")]
    commands += [["check", "--rules", dated_law], ["test", "--rules", dated_law],
                 ["diff", "--rules", dated_law, "--at", "2024-06-01", "--at", "2025-02-01"],
                 ["impact", "--rules", dated_law, _batch(tmp_path), "--at", "2024-06-01", "--at", "2025-02-01"]]
    folders = [tmp_path / "one", tmp_path / "two" / "deeper" / "still", dated_law / "cases"]
    seen = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.chdir(folder)
        seen.append([_invoke(*command).output for command in commands])
    assert seen[0] == seen[1] == seen[2]
    text, data, markdown, html, checked, tested, diffed, impact = seen[0]
    digest = json.loads(data)["record"]["rulebase"]
    assert digest["rules"] == "law"
    line = f"rulebase: law (sha256 {digest['sha256'][:12]})"
    for output in (text, checked, tested, impact):
        assert line in output, output
    assert f"before: law --at 2024-06-01 (sha256 {digest['sha256'][:12]})" in diffed
    assert "**Rulebase:** `law`" in markdown and "<th>rulebase</th><td><code>law</code></td>" in html
    for output in seen[0]:
        assert "../" not in output and str(tmp_path) not in output.replace(str(case), "")


@pytest.mark.parametrize("head, word, column", [("permit A_judicial_process", "A_judicial_process", 8),
                                                ("permit judicialProcess", "judicialProcess", 8)])
def test_a_capitalised_name_says_names_are_lower_case(tmp_path, head, word, column):
    from helpers import assert_warrant_error
    from warrant.pipeline.parse import parse_text
    text = f'{head} for Item\n    "s" cites example_act "s.1"\n    when Item = case_notes\n'
    found = assert_warrant_error(lambda: parse_text(text, "x.warrant"), "W002", 1, column)
    assert found.message.startswith("names are lower case")
    assert found.suggestion == word.lower() and found.span.end_column == column + len(word) - 1


def test_help_lists_every_exit_code_a_command_can_give():
    decided = runner.invoke(app, ["decide", "--help"]).output
    assert "4 undetermined" in " ".join(decided.split())
    tested = " ".join(runner.invoke(app, ["test", "--help"]).output.split())
    assert "cases/" in tested and "tests/golden/decisions" in tested and "--rules DIR" in tested


def test_files_the_docs_point_to_exist():
    import re
    for name in ("README.md", os.path.join("rules", "distribution.yaml")):
        text = open(os.path.join(ROOT, name), encoding="utf-8").read()
        for path in set(re.findall(r"engine/[a-z_/]+\.py", text)):
            assert os.path.exists(os.path.join(ROOT, path)), (name, path)
    assert "The distribution format" in open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()


def test_c131_on_requested_item_says_for_item_binds_it(tmp_path):
    import warrant
    from helpers import scaffolded_law
    root = scaffolded_law(tmp_path, "again.warrant", '''
forbid notes_never_again for Item
    "Case notes again."
    cites example_act "s.3"
    when requested(Item)
     and Item = case_notes
''')
    found = [d for d in warrant.check(root).to_json()["diagnostics"] if d["code"] == "C131"]
    assert len(found) == 1 and found[0]["line"] == 5
    assert found[0]["notes"] == ["`for Item` already binds Item to each requested item in turn: "
                                 "remove `requested(Item)`"]


def test_an_empty_policy_body_is_accepted(tmp_path):
    import warrant
    from helpers import scaffolded_law
    root = scaffolded_law(tmp_path, "empty.warrant", 'policy empty_one "Nothing yet" in force from 2024-01-01 '
                                                     'until 2024-12-31 cites example_act "s.9"\n{\n}\n')
    assert warrant.check(root, invariants=False).ok


GATED = '''
policy scheme_first "The scheme as first made"
    version of scheme
    in force from 2024-01-01 until 2024-06-30
    cites example_act "s.7"
{
}

policy scheme_amended "The scheme as amended"
    version of scheme
    in force from 2024-07-01 until 2024-12-31
    cites example_act "s.7A"
{
}

permit scheme_contact for Item
    "Under the scheme the council may have contact details."
    cites example_act "s.7"
    when Item = contact_details
     and requester(council)
     and in force(scheme)

forbid outside_scheme_notes for Item
    "Case notes never leave while the scheme is not in force."
    cites example_act "s.8"
    when Item = case_notes
     and not in force(scheme)
'''


def test_rules_gated_by_in_force_are_attributed_to_what_they_depend_on(tmp_path, elsewhere):
    import warrant
    from helpers import scaffolded_law
    root = scaffolded_law(tmp_path, "scheme.warrant", GATED)
    rb = warrant.load(root)
    on = rb.rules(at="2024-03-01")
    text = on.render("text")
    always = text.split("Always in force:")[1].split("\nPolicy ")[0]
    assert "scheme_contact" not in always and "outside_scheme_notes" not in always, text
    first = text.split("Policy scheme_first")[1].split("\nPolicy ")[0]
    assert "scheme_contact" in first and "in force while in force(scheme) holds" in first
    data = on.to_json()
    assert [r["id"] for r in data["always"]] == ["case_notes_never"]
    gated = next(p for p in data["policies"] if p["name"] == "scheme_first")["gated_rules"]
    assert [(r["id"], r["in_force"]) for r in gated] == [("scheme_contact", "scheme")]
    after = rb.rules(at="2025-02-01").render("text")
    assert "scheme_contact" not in after
    assert "In force while a policy is not:" in after and "outside_scheme_notes" in after
    every = rb.rules().render("text")
    assert every.count("in force while in force(scheme) holds") == 2       # under each version
    batch = elsewhere / "scheme.jsonl"
    batch.write_text(json.dumps({"id": "s1", "date": "2024-03-01", "requester": "council",
                                 "items": ["contact_details"]}) + "\n", encoding="utf-8")
    impact = _invoke("impact", "--rules", root, batch, "--at", "2024-03-01", "--at", "2025-02-01",
                     "--format", "json")
    rows = {r["arrangement"]: r for r in json.loads(impact.output)["by_arrangement"]}
    assert "general rules" not in rows and rows["scheme"]["changed"] == 1, rows
