"""The language server's own pieces, without an editor: positions, completion places, rulebase folders."""
import doctest
import os

import pytest

pytest.importorskip("lsprotocol", reason="the lsp extra is not installed (pip install -e '.[lsp]')")

from warrant import Span  # noqa: E402
from warrant.lsp import completion, positions, rulebases  # noqa: E402
from warrant.lsp.completion import context  # noqa: E402
from warrant.lsp.positions import point, span_range, split_lines  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))


@pytest.mark.parametrize("module", [positions, completion])
def test_docstring_examples(module):
    failed, attempted = doctest.testmod(module)
    assert failed == 0 and attempted > 0


def test_ranges_are_clamped_inside_the_document_whatever_the_span():
    lines = split_lines("ab\r\n😀x\n")
    assert lines == ["ab", "😀x", ""]
    assert str(span_range(Span("f", 2, 2, 2, 2), lines)) == "1:2-1:3"          # x, after a two-unit emoji
    assert str(span_range(Span("f", 9, 9, 12, 40), lines)) == "2:0-2:0"        # past the end: the last line
    assert str(span_range(Span("f", 1, 5, 1, 1), lines)) == "0:2-0:2"          # backwards: empty, in the line
    assert str(span_range(None, lines)) == "0:0-0:1"
    assert str(span_range(Span("f", 2, 1, 2, 2), lines, "utf-8")) == "1:0-1:5"
    assert point(lines, 1, 2) == (2, 2) and point(lines, 7, 3) == (8, 4)


@pytest.mark.parametrize("prefix,place", [
    ("", "top"), ("    ", "condition"), ("    when ", "condition"), ("     and not ", "negated"),
    ("     and Item in ", "set"), ("     and not in force(", "policy"), ("    version of ", "lineage"),
    ("     and requester(", "argument"), ("     and Age >= ", "value"), ("    assumes a, ", "assumption"),
    ('    cites a "x", b "y", ', "source"), ('    "a statement with in ', "none"), ("# a comment and ", "none"),
    ("field holder: many ", "type"),
])
def test_completion_places(prefix, place):
    assert context(prefix)[0] == place


def test_a_rulebase_is_the_nearest_folder_extended_while_the_one_above_holds_rule_files(tmp_path):
    (tmp_path / "law" / "part").mkdir(parents=True)
    (tmp_path / "law" / "a.warrant").write_text("")
    (tmp_path / "law" / "part" / "b.warrant").write_text("")
    inside = str(tmp_path / "law" / "part" / "b.warrant")
    assert rulebases.rulebase_folder(inside, (str(tmp_path),)) == os.path.realpath(tmp_path / "law")
    assert rulebases.rulebase_folder(inside, (str(tmp_path / "law" / "part"),)) == \
        os.path.realpath(tmp_path / "law" / "part")
    assert rulebases.rulebase_folder(os.path.join(ROOT, "rules", "general.warrant"), (ROOT,)) == \
        os.path.join(ROOT, "rules")
