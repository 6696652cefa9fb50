"""`in force(NAME)`: a rule conditioned on a policy, or a lineage, being in force (issue 24, item 1)."""
import shutil

import pytest

import warrant
from helpers import scaffolded_law

LAW = '''
policy act_as_enacted "The Act as enacted"
    version of the_act
    in force from 2000-01-01 until 2009-12-31
    cites example_act "s.1"
{
}

policy act_amended "The Act as amended"
    version of the_act
    in force from 2010-01-01
    cites example_act "s.1"
{
}

permit share_before_amendment for Item
    "Contact details may go to the council while the Act is in force and not yet amended."
    cites example_act "s.2"
    when requested(Item)
     and Item = contact_details
     and requester(council)
     and in force(the_act)
     and not in force(act_amended)
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return scaffolded_law(tmp_path_factory.mktemp("in_force"), "lineage.warrant", LAW)


def _request(date):
    return {"id": f"r{date}", "date": date, "requester": "council", "items": ["contact_details"]}


def test_it_checks_formats_and_decides_by_date(folder):
    report = warrant.check(folder)
    assert report.ok, report.render()
    warrant.format_files(folder)                                   # the canonical layout, then stable
    assert warrant.format_files(folder, write=False).changed == ()
    assert "     and not in force(act_amended)\n" in (folder / "lineage.warrant").read_text(encoding="utf-8")
    rb = warrant.load(folder, cache=False)
    before, during, after = (rb.decide(_request(d)) for d in ("1999-06-01", "2005-06-01", "2012-06-01"))
    assert [d.items[0].rules for d in (before, during, after)][1] == ("share_before_amendment",)
    assert "share_before_amendment" not in before.items[0].rules + after.items[0].rules
    text = during.render("text")
    assert "a version of the_act is in force on 2005-06-01 through act_as_enacted" in text, text
    refused = after.render("text")
    assert "policy act_amended is in force" in refused and "share_before_amendment" in refused
    early = before.render("json")
    assert "no version of the_act is in force on 1999-06-01" in early, early
    suggested = [c for i in before.to_json()["items"] for c in i.get("counterfactuals", [])]
    assert not any("date" in str(c) for c in suggested), suggested   # the date (so what is in force) is fixed


def test_the_exact_analysis_sees_the_changeover(folder):
    rb = warrant.load(folder, cache=False)
    changes = rb.diff(at=["2009-12-31", "2010-01-01"])
    assert not changes.equivalent and "permitted -> refused: contact_details" in changes.render("text")
    assert rb.check().ok


@pytest.mark.parametrize("body,code", [
    ("in force(the_axt)", "C135"),
    ("in force(the_act) and not in force(the_act)", "C115"),
])
def test_misuse_is_a_located_error(folder, tmp_path, body, code):
    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    text = LAW.replace("in force(the_act)\n     and not in force(act_amended)", body)
    (bad / "lineage.warrant").write_text(text, encoding="utf-8")
    report = warrant.check(bad, invariants=False)
    found = [d for d in report.diagnostics if d.code == code]
    assert found and found[0].span and found[0].span.file.endswith("lineage.warrant"), report.render()
    if code == "C135":
        assert found[0].suggestion == "the_act" and found[0].span.line == 22


def test_in_force_of_its_own_policy_is_flagged(folder, tmp_path):
    bad = tmp_path / "own"
    shutil.copytree(folder, bad)
    text = LAW.replace('''    cites example_act "s.1"
{
}

permit''', '''    cites example_act "s.1"
{
    permit inside for Item
        "Inside the amended Act."
        cites example_act "s.3"
        when requested(Item)
         and not in force(act_amended)
}

permit''', 1)
    (bad / "lineage.warrant").write_text(text, encoding="utf-8")
    found = [d for d in warrant.check(bad, invariants=False).diagnostics if d.code == "C136"]
    assert found and found[0].severity == "error" and "never" in found[0].notes[0], found
