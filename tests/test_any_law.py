"""Explanations that hold on any law (issue 34): a fresh `warrant init` law with a dated set, the
shipped rulebases, run from a working folder of their own with the cache off."""
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
    result = _invoke("test", "--coverage", "--rules", os.path.join(EXAMPLES, name))
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
