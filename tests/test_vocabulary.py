"""Declared request vocabularies: bad declarations are located errors; rules are typed against them."""
import pytest

from warrant.pipeline.check import check
from warrant.pipeline.parse import parse_text
from warrant.pipeline.rulebase import load_rulebase
from helpers import assert_warrant_error, request_from_data

BASE = '''source s { publisher "P" title "T" }
enum thing "Things" { x "An x", y }
field date: date required as request_date "d"
field items: many thing required as requested "i"
field flag: boolean "f"
forbid f for Item "s" cites s when flag
'''
BASE_LINES = BASE.count("\n")

BAD = [
    ("C123", "field flag: boolean \"again\"", 1, 1),
    ("C123", "field other: boolean as flag \"same predicate\"", 1, 1),
    ("C123", "enum thing { z }", 1, 1),
    ("C123", "enum twice { a, a }", 1, 17),
    ("C124", "field size: numbr \"typo\"", 1, 13),
    ("C124", "field rows: records { when: boolean } \"bool column\"", 1, 23),
    ("C125", "field later: colour \"used early\"\nenum colour { red }", 1, 14),
    ("C126", "field flag.inner: boolean \"inside a boolean\"", 1, 1),
    ("C119", "define flag as clash \"a define over a field\" cites s when flag", 1, 8),
    ("C128", "field unused: boolean \"no rule reads it\"", 1, 1),
    ("C128", "enum spare { a }", 1, 1),
    ("C111", "forbid g for Item \"s\" cites s when Item = x and requested(z)", 1, 59),
]


@pytest.mark.parametrize("code,snippet,line,column", BAD, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD)])
def test_bad_declarations_are_located(code, snippet, line, column):
    checked = check([parse_text(BASE + snippet + "\n", "v.warrant")])
    found = [d for d in checked.diagnostics if d.code == code and d.span and d.span.line > BASE_LINES]
    assert found, [(d.code, d.message, d.span) for d in checked.diagnostics]
    assert (found[0].span.line - BASE_LINES, found[0].span.column) == (line, column), found[0]


def test_missing_date_or_items_field_is_an_error():
    text = 'source s { publisher "P" title "T" }\nfield flag: boolean "f"\n' \
           'forbid f for Item "s" cites s when flag\n'
    codes = [d.code for d in check([parse_text(text, "v.warrant")]).errors]
    assert codes.count("C127") == 2


def test_a_new_law_needs_only_rule_files(tmp_path):
    """A new holder value, a new boolean fact and a permission using them: .warrant edits only."""
    (tmp_path / "rules.warrant").write_text(BASE.replace("enum thing \"Things\" { x \"An x\", y }",
                                                         "enum thing \"Things\" { x \"An x\", y }\n"
                                                         "enum body { dwp, council }") +
                                            'field holder: body required "who holds it"\n'
                                            'field claim_open: boolean "a benefit claim is open"\n'
                                            'permit p for Item "s" cites s when holder(dwp) and claim_open\n',
                                            encoding="utf-8")
    rulebase = load_rulebase([str(tmp_path)], cache=False)
    request = request_from_data({"date": "2024-01-01", "items": ["x"], "holder": "dwp", "claim_open": True},
                                vocabulary=rulebase.vocabulary)
    from warrant.pipeline.decide import decide
    assert decide(rulebase, request).outcome == "permitted"
    found = assert_warrant_error(lambda: request_from_data({"date": "2024-01-01", "items": ["x"], "holder": "dwpp"},
                                                           vocabulary=rulebase.vocabulary), "R005")
    assert found.suggestion == "dwp"
    found = assert_warrant_error(lambda: request_from_data({"date": "2024-01-01", "items": ["x"], "holder": "dwp",
                                                            "claim_opn": True}, vocabulary=rulebase.vocabulary),
                                 "R001")
    assert found.suggestion == "claim_open"


def test_schema_follows_the_declarations(tmp_path):
    (tmp_path / "r.warrant").write_text(BASE + 'field case.count: number "n"\nfield case.when: date "w"\n'
                                        'forbid g for Item "s" cites s when count(N) and N > 3 and when(W) '
                                        'and W < 2020-01-01\n', encoding="utf-8")
    schema = load_rulebase([str(tmp_path)], cache=False).vocabulary.json_schema()
    assert schema["required"] == ["date", "items"]
    assert schema["properties"]["case"]["properties"]["count"]["type"] == "integer"
    assert schema["properties"]["items"]["items"]["enum"] == ["x", "y"]
