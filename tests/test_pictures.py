"""Pictures a reviewer can keep: the derivation graph parses and renders, with hostile text kept as text."""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pydot
import pytest
from typer.testing import CliRunner

from cli import app
from warrant.pipeline.rulebase import DEFAULT_RULES

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # pydot on a newer pyparsing
REQUESTS = ["examples/requests/mou_tracing.json", "examples/requests/readme_debt_exactly_500.yaml"]
ROOT = os.path.join(os.path.dirname(__file__), "..")


def _dot(*args) -> str:
    result = runner.invoke(app, ["decide", *args, "--format", "dot"])
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_derivation_graph_parses_with_labels_that_hold_no_escapes(monkeypatch):
    monkeypatch.chdir(ROOT)
    text = _dot(*REQUESTS)
    graphs = pydot.graph_from_dot_data(text)
    assert graphs and len(graphs) == 1
    nodes = [n for g in [graphs[0]] + graphs[0].get_subgraphs() for n in g.get_nodes() if n.get_name()[1:].isdigit()]
    assert len(nodes) > 20
    labels = [n.get("label") for n in nodes]
    assert all(label.startswith("<") and "\\n" not in label for label in labels)
    assert any('fillcolor="#e8f5e9"' in n.to_string() for n in nodes)        # permitted item, green
    assert any('fillcolor="#ffebee"' in n.to_string() for n in nodes)        # refused item, red
    assert any("NHS Digital may give the Home Office" in label for label in labels)   # statements shown
    assert any("para" in (n.get("tooltip") or "") for n in nodes)          # citations in the tooltip
    assert _dot(*REQUESTS) == text                                          # deterministic


def test_hostile_statement_is_text_in_the_rendered_svg(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, rules)
    path = rules / "general.warrant"
    source = path.read_text()
    path.write_text(source.replace('"Clinical information is never released',
                                   '"<script>alert(1)</script> & \\"quoted\\" <b>Clinical information is never released'))
    monkeypatch.chdir(ROOT)
    text = _dot("--rules", str(rules), REQUESTS[1])
    assert "<script>" not in text and "&lt;script&gt;" in text
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (Debian: apt-get install graphviz); DOT parsed only")
    svg = subprocess.run(["dot", "-Tsvg"], input=text.encode(), capture_output=True, check=True).stdout
    tree = ET.fromstring(svg)                                               # well-formed XML
    words = " ".join(t.text or "" for t in tree.iter("{http://www.w3.org/2000/svg}text"))
    assert "<script>alert(1)</script>" in words and "\\n" not in words
    assert tree.find(".//{http://www.w3.org/2000/svg}script") is None
