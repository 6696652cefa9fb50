"""The language server's own pieces, without an editor: positions, completion places, rulebase folders."""
import doctest
import os

import pytest

pytest.importorskip("lsprotocol", reason="the lsp extra is not installed (pip install -e '.[lsp]')")

from warrant import Span  # noqa: E402
from warrant.lsp import cases, completion, fixes, positions, rulebases  # noqa: E402
from warrant.lsp.completion import context  # noqa: E402
from warrant.lsp.positions import point, span_range, split_lines  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))


@pytest.mark.parametrize("module", [positions, completion, fixes, cases])
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


RULE = """permit p for Item
    "A statement."
    cites s "x"
    when requester(council)
     and Item in data  # why
     and consented
"""
HEAD = 'permit p for Item\n    "A statement."\n    cites s "x"\n'


@pytest.mark.parametrize("line,condition,expected", [
    (5, "Item in data", "    when requester(council)\n     and consented\n"),       # its own line, comment and all
    (6, "consented", "    when requester(council)\n     and Item in data  # why\n"),    # the last one
    (4, "requester(council)", "    when Item in data  # why\n     and consented\n"),  # the first hands on `when`
])
def test_a_redundant_condition_is_removed_with_its_and_or_hands_on_its_when(line, condition, expected):
    column = RULE.split("\n")[line - 1].index(condition) + 1
    edits = fixes.without_condition(RULE, Span("f", line, column, line, column + len(condition) - 1))
    assert edits is not None and fixes.apply(RULE, edits) == HEAD + expected


def test_conditions_on_one_line_and_a_lone_condition():
    text = 'define d as r "s" cites a when x and y and z\n'
    edits = fixes.without_condition(text, Span("f", 1, text.index(" y") + 2, 1, text.index(" y") + 2))
    assert fixes.apply(text, edits) == 'define d as r "s" cites a when x and z\n'
    lone = 'define d as r "s" cites a when x\n'
    assert fixes.without_condition(lone, Span("f", 1, lone.index("x") + 1, 1, lone.index("x") + 1)) is None


def test_cites_goes_on_a_line_of_its_own_after_the_statement_or_right_after_it():
    text = 'forbid f for Item\n    "Never."\n    when Item = x\n'
    assert fixes.apply(text, fixes.with_cites(text, Span("f", 1, 8, 1, 8), "act")) == \
        'forbid f for Item\n    "Never."\n    cites act\n    when Item = x\n'
    inline = 'forbid f for Item "Never." when Item = x\n'
    assert fixes.apply(inline, fixes.with_cites(inline, Span("f", 1, 8, 1, 8), "act")) == \
        'forbid f for Item "Never." cites act when Item = x\n'


def test_a_case_belongs_to_the_rulebase_above_its_folder_and_the_shipped_cases_to_rules(tmp_path):
    (tmp_path / "law" / "cases").mkdir(parents=True)
    (tmp_path / "law" / "a.warrant").write_text("")
    assert cases.case_rulebase(str(tmp_path / "law" / "cases" / "c.yaml")) == os.path.realpath(tmp_path / "law")
    shipped = os.path.join(ROOT, "tests", "golden", "decisions", "any.yaml")
    assert cases.case_rulebase(shipped) == os.path.join(ROOT, "rules")
    assert cases.is_case("c.yaml") and not cases.is_case("c.expected.json") and not cases.is_case("c.warrant")
