"""Golden files for the parse and check stages (decisions and compiled clauses have their own)."""
import os

import pytest
from helpers import vocabulary_file

from warrant.pipeline.check import check
from warrant.pipeline.errors import WarrantError, render_all
from warrant.pipeline.files import write_atomic
from warrant.pipeline.parse import parse_file
from warrant.pipeline.rulebase import DEFAULT_RULES, rule_files

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "golden", "check")


def _golden(path: str, actual: str, update: bool) -> None:
    if update or not os.path.exists(path):
        write_atomic(path, actual)
    assert open(path, encoding="utf-8").read() == actual


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(CHECK) if n.endswith(".warrant")))
def test_check_findings_golden(name, update_golden, monkeypatch):
    monkeypatch.chdir(CHECK)
    try:
        diagnostics = [d for d in check([parse_file(name), vocabulary_file()]).diagnostics
                       if d.span is None or d.span.file == name]
    except WarrantError as exc:
        diagnostics = list(exc.diagnostics)
    assert any(d.severity == "error" for d in diagnostics)
    _golden(os.path.join(CHECK, name.replace(".warrant", ".expected.txt")), render_all(diagnostics) + "\n",
            update_golden)


def test_parse_golden(update_golden):
    lines = []
    for path in rule_files([DEFAULT_RULES]):
        parsed = parse_file(path)
        lines.append(f"# {os.path.basename(path)}")
        lines += [repr(d) for d in parsed.declarations]
    _golden(os.path.join(HERE, "golden", "parse_shipped.txt"), "\n".join(lines) + "\n", update_golden)
