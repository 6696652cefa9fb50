import os
import pytest

from warrant.pipeline import syntax as S
from warrant.pipeline.errors import render_diagnostic
from warrant.pipeline.parse import SYNTAX_ERRORS, parse_text
from helpers import assert_warrant_error


@pytest.mark.parametrize("code,message,example", [(c, m, e) for c, m, examples in SYNTAX_ERRORS for e in examples])
def test_errors(code, message, example):
    """Every known mistake in the table gives its own message (lark's match_examples)."""
    found = assert_warrant_error(lambda: parse_text(example, "x.warrant"), code)
    assert found.message == message


def test_unexpected_character_is_located():
    found = assert_warrant_error(lambda: parse_text("set a = {x}\nset b = {y; z}\n", "f.warrant"), "W001", 2, 11)
    assert "f.warrant:2:11" in render_diagnostic(found)
    assert "^" in render_diagnostic(found)


def test_impossible_date_in_rule():
    assert_warrant_error(lambda: parse_text('policy p "t" in force from 2018-02-30 { }', "f.warrant"), "W003", 1)


def test_missing_file():
    from warrant.pipeline.parse import parse_file
    assert_warrant_error(lambda: parse_file("/no/such/file.warrant"), "W004")


def test_ast_spans_and_equality_ignore_layout():
    a = parse_text('forbid f for Item "s" cites s when Item in clinical', "a.warrant")
    b = parse_text('forbid   f for Item\n  "s"\n  cites s\n  when Item in clinical  # c', "b.warrant")
    assert a.declarations == b.declarations
    rule = b.declarations[0]
    assert isinstance(rule, S.Rule) and rule.kind == "forbid"
    assert rule.body[0].span.line == 4 and rule.span.file == "b.warrant"


def test_typed_literals():
    f = parse_text('define p as r "s" cites s when nhs_debt(D) and D >= £499.99 and convicted(O, M) '
                   'and M < 1 month and request_date(X) and X > 2018-05-09', "t.warrant")
    values = [c.right.value for c in f.declarations[0].body if isinstance(c, S.Comparison)]
    from warrant.pipeline.values import Money, Months
    import datetime
    assert values == [Money(49999), Months(1), datetime.date(2018, 5, 9)]


def test_string_escapes_and_control_characters():
    """Regression (found by byte fuzzing): a NUL byte in a string broke the old unescaping with a traceback."""
    from warrant.pipeline.parse import parse_text
    rule_file = parse_text('source s {\n    title "a \\"q\\" b\\\\c\\nd\x00e"\n}\n', "s.warrant")
    assert rule_file.declarations[0].properties[0].value == 'a "q" b\\c\nd\x00e'


def test_an_unclosed_brace_names_where_it_opened():
    found = assert_warrant_error(lambda: parse_text('set a = {x}\npolicy p "t" {\n', "f.warrant"), "W002", 2, 14)
    assert "opened on line 2" in found.message
    found = assert_warrant_error(lambda: parse_text('source s {\n    title "t"\n\npolicy p "t" {\n}\n', "f.warrant"),
                                 "W002", 4)
    assert any("opened on line 1" in note for note in found.notes)


def test_a_file_that_does_not_parse_stops_the_check_there(tmp_path):
    import shutil
    from warrant.author.lint import lint
    rules = tmp_path / "rules"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "rules"), rules)
    text = (rules / "schools.warrant").read_text(encoding="utf-8")
    (rules / "schools.warrant").write_text(text.replace("}", "", 1), encoding="utf-8")
    report = lint([str(rules)], invariants=False)
    assert [d.code for d in report.diagnostics] == ["W002"]


def test_a_vertical_tab_or_form_feed_does_not_shift_or_break_error_positions():
    """`str.splitlines` also breaks at \\x0b and \\x0c; the parser counts line feeds only. A capitalised word
    after one (found by the byte-mutation fuzzer) must be located on the parser's line, not crash."""
    from warrant.pipeline.errors import WarrantError
    from warrant.pipeline.parse import parse_text
    for odd in ("\x0b", "\x0c", "\u2028"):
        text = f'set places "Places{odd}" = {{ a }}\nset other "x"Non = {{ b }}\n'
        try:
            parse_text(text, "odd.warrant")
        except WarrantError as exc:
            assert exc.diagnostics[0].span.line == 2, (odd, exc.diagnostics[0])
        else:
            raise AssertionError("a syntax error was not reported")
