"""README's worked example is the real output of the command it shows."""
import os
import re

from typer.testing import CliRunner

from cli import app

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def test_worked_example_is_current(monkeypatch):
    monkeypatch.chdir(ROOT)
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = re.search(r"\$ warrant decide examples/requests/readme_debt_exactly_500.yaml\n(.*?)\$ echo \$\?\n(\d)",
                      readme, re.S)
    assert block, "the worked example is missing from README.md"
    result = CliRunner().invoke(app, ["decide", "examples/requests/readme_debt_exactly_500.yaml"])
    assert result.output == block.group(1)
    assert str(result.exit_code) == block.group(2)
