"""A stranger's law: s.115 Crime and Disorder Act 1998 with two data protection regimes and the duty of
confidence (`examples/rulebases/crime_disorder_s115`), rule files only, at a stranger's size.

It checks clean with its seven invariants proved; its golden cases (full traces) pass from other working
folders with the cache off and warm, so a trace's rule location never depends on where Warrant runs; and a
refused item whose permission needs one more fact gets that one-change suggestion.
"""
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
S115 = os.path.join(ROOT, "examples", "rulebases", "crime_disorder_s115")
GDPR = os.path.join(ROOT, "examples", "rulebases", "uk_gdpr")
runner = CliRunner()


def test_a_strangers_size_written_without_python():
    names = [n for _, _, files in os.walk(S115) for n in files]
    assert not [n for n in names if n.endswith(".py")]
    assert len([n for n in names if n.endswith(".expected.json")]) >= 30
    result = runner.invoke(app, ["rules", "--rules", S115, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.output.count('"id"') >= 40


def test_checks_clean_with_seven_invariants_proved():
    from helpers import assert_checks_clean
    assert_checks_clean(S115, 7)


def test_an_open_judgement_is_undetermined_and_an_answered_no_gets_one_more_fact(tmp_path):
    case = os.path.join(S115, "cases", "necessity_not_answered.yaml")
    result = runner.invoke(app, ["decide", "--rules", S115, case])
    assert result.exit_code == 4, result.output              # nobody has judged necessity or expediency
    assert "  - if disclosure_necessary is no and disclosure_expedient is yes: permitted by dpa_1998_ordinary_data" \
        in result.output
    answered = tmp_path / "answered_no.yaml"
    with open(case, encoding="utf-8") as handle:
        answered.write_text(handle.read() + "disclosure_necessary: false\ndisclosure_expedient: false\n",
                            encoding="utf-8")
    result = runner.invoke(app, ["decide", "--rules", S115, str(answered)])
    assert result.exit_code == 1, result.output
    assert "would be permitted if: disclosure_necessary: no -> yes (permitted by dpa_1998_ordinary_data)" \
        in result.output
    assert "no change to the request's facts was found" not in result.output


@pytest.mark.parametrize("rulebase,runs", [(S115, ("tmp-cold", "parent-warm")), (GDPR, ("tmp-off",))])
def test_goldens_pass_from_other_folders_cold_and_warm(tmp_path, rulebase, runs):
    cache = tmp_path / "cache"
    cases = os.path.join(rulebase, "cases")
    where = {"tmp-off": (tmp_path, "off"), "tmp-cold": (tmp_path, str(cache)),
             "parent-warm": (os.path.dirname(rulebase), str(cache))}
    runs = [where[r] for r in runs]
    for index, (cwd, setting) in enumerate(runs):
        env = {**os.environ, "WARRANT_CACHE": setting}
        # the first run decides every case; a later (warm-cache) run needs only a few to show the same locations
        chosen = [cases] if index == 0 else sorted(os.path.join(cases, n) for n in os.listdir(cases)
                                                   if n.endswith(".yaml"))[:4]
        run = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "test", "--rules", rulebase, *chosen],
                             env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, (cwd, setting, run.stdout[-2000:], run.stderr[-2000:])
        assert re.search(r"\d+ passed, 0 failed", run.stdout + run.stderr), run.stdout + run.stderr


@pytest.mark.parametrize("rulebase", [S115, GDPR, os.path.join(ROOT, "rules")])
def test_timeline_axis_labels_are_whole_years_apart(rulebase):
    axis = CliRunner().invoke(app, ["timeline", "--rules", rulebase]).output.splitlines()[0]
    labels = axis.split()
    assert len(labels) >= 3 and all(re.fullmatch(r"(19|20)\d\d", label) for label in labels), axis
    assert labels == sorted(labels) and len(set(labels)) == len(labels)
