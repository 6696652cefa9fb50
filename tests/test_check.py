"""One case per checker finding code: a broken rule file and where the finding must point."""
import pytest

from warrant.pipeline.check import check
from warrant.pipeline.parse import parse_text
from helpers import HEADER, vocabulary_file

H = HEADER.count("\n")  # lines before each snippet

CASES = [
    ("C101", 'forbid f for Item "s" cites s when holdr(nhs_digital)', 1, 36),
    ("C102", 'forbid f for Item "s" cites s when holder(nhs_digital, x)', 1, 36),
    ("C103", 'define p as r "s" cites s when nhs_debt(D) and D >= 12 months', 1, 48),
    ("C104", 'forbid f for Item "s" cites s when Item in clinicl', 1, 36),
    ("C105", 'forbid f for Item "s" cites nobody when holder(nhs_digital)', 1, 29),
    ("C106", 'forbid f for Item "s" cites s when assuming nothing_here', 1, 36),
    ("C107", 'forbid f for Item "s" cites s when not convicted(O, S)', 1, 50),
    ("C108", 'define p as r1 "s" cites s when q and not p\ndefine q as r2 "s" cites s when p\n'
             'forbid f for Item "s" cites s when p', 1, 13),
    ("C109", 'forbid f for Item "s" cites s when holder(nhs_digital)\n'
             'forbid f for Item "s" cites s when holder(nhs_trust)', 2, 8),
    ("C110", 'forbid f for Item "s" when holder(nhs_digital)', 1, 8),
    ("C111", 'forbid f for Item "s" cites s when holder(nhs_digitl)', 1, 43),
    ("C112", 'forbid f for Item "s" cites s when holder(H) and H > nhs_trust', 1, 50),
    ("C113", 'source t {\n    publisher "P"\n    title "T"\n    colour "x"\n}\n'
             'forbid f for Item "s" cites s, t when holder(nhs_digital)', 4, 5),
    ("C114", 'policy p "t" in force from 2019-01-01 until 2018-01-01 {\n'
             'forbid f for Item "s" cites s when holder(nhs_digital) }', 1, 14),
    ("C115", 'forbid f for Item "s" cites s when convicted(O, S) and S >= 12 months and S < 12 months', 1, 8),
    ("C116", 'set unused_set = {a}\nforbid f for Item "s" cites s when holder(nhs_digital)', 1, 1),
    ("C117", 'policy a "t" version of fam in force from 2017-01-01 until 2018-01-01 {\n'
             'forbid f for Item "s" cites s when holder(nhs_digital) }\n'
             'policy b "t" version of fam in force from 2017-06-01 {\n'
             'forbid g for Item "s" cites s when holder(nhs_trust) }', 3, 29),
    ("C143", 'invariant i "s" never permit Item by f when holder(nhs_digital)\n'
             'forbid f for Item "s" cites s when holder(nhs_digital)', 1, 38),
    ("C144", 'set dated "d" from 2017-01-01 = {a} from 2018-01-01 remove {b}\n'
             'forbid f for Item "s" cites s when Item in dated', 1, 61),
    ("C119", 'define holder(X) as r "s" cites s when requester(X)', 1, 8),
    ("C122", 'define p(X) as r "s" cites s when suspected_offence(X)\n'
             'define p(X) as r2 "s" cites s when p(X) and holder(nhs_digital)\n'
             'forbid f for Item "s" cites s when p(overstaying)', 2, 16),
    ("C120", 'policy p "t" in force from 2018-05-09 {\n'
             'forbid f for Item "s" cites s when request_date(D) and D < 2018-01-01 }', 2, 8),
]


@pytest.mark.parametrize("code,snippet,line,column", CASES, ids=[c[0] for c in CASES])
def test_finding(code, snippet, line, column):
    checked = check([parse_text(HEADER + snippet, "bad.warrant"), vocabulary_file()])
    found = [d for d in checked.diagnostics if d.code == code]
    assert found, f"no {code} in {[(d.code, d.message) for d in checked.diagnostics]}"
    assert (found[0].span.line - H, found[0].span.column) == (line, column), found[0]


def test_every_code_is_documented():
    import os
    import re
    docs = open(os.path.join(os.path.dirname(__file__), "..", "docs", "ERRORS.md"), encoding="utf-8").read()
    source = ""
    for name in os.listdir(os.path.join(os.path.dirname(__file__), "..", "engine")):
        if name.endswith(".py"):
            source += open(os.path.join(os.path.dirname(__file__), "..", "engine", name), encoding="utf-8").read()
    codes = set(re.findall(r'"([CWRAOB]\d{3})"', source))
    missing = sorted(c for c in codes if f"`{c}`" not in docs)
    assert not missing, f"undocumented error codes: {missing}"


def test_all_findings_reported_together():
    text = HEADER + 'forbid f for Item "s" when holdr(x)\nforbid g for Item "s" cites s when Item in nope'
    codes = sorted(d.code for d in check([parse_text(text, "b.warrant"), vocabulary_file()]).diagnostics if d.severity == "error")
    assert codes == ["C101", "C104", "C110"]


def test_shipped_rules_are_clean():
    from warrant.pipeline.rulebase import load_rulebase
    rulebase = load_rulebase()
    assert rulebase.checked.diagnostics == []
    assert all(rule.cites for rule in rulebase.checked.rules.values())
