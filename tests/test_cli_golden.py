"""Whole commands as data: tests/golden/cli/NAME.args (one argument a line) -> NAME.expected.

The expected file holds the exit code and everything the command printed,
so a change in wording, order or figures shows up as a diff. Run with
`--update-golden` to accept a change, then review it with `git diff`. A
missing expected file is written on a developer's machine and fails under
`CI=true`, so a forgotten golden file never passes unseen.
"""
import os

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CLI = os.path.join(ROOT, "tests", "golden", "cli")


@pytest.mark.parametrize("name", sorted(n[:-5] for n in os.listdir(CLI) if n.endswith(".args")))
def test_command_output(name, update_golden, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = open(os.path.join(CLI, name + ".args"), encoding="utf-8").read().splitlines()
    result = CliRunner().invoke(app, args)
    actual = f"exit {result.exit_code}\n{result.output}"
    assert "Traceback" not in actual and result.exit_code != 3, actual   # never accept an internal error as golden
    expected_path = os.path.join(CLI, name + ".expected")
    if not os.path.exists(expected_path) and os.environ.get("CI") == "true" and not update_golden:
        pytest.fail(f"{expected_path} is missing: under CI=true it is not written (run --update-golden locally)")
    if update_golden or not os.path.exists(expected_path):
        from warrant.pipeline.files import write_atomic
        write_atomic(expected_path, actual)
    assert actual == open(expected_path, encoding="utf-8").read()
