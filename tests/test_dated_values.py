"""Sets and named values with values per period (issue 24, item 2)."""
import json
import shutil

import pytest
from typer.testing import CliRunner

import warrant
from cli import app
from helpers import checks_and_formats, law_with, scaffolded_law
from warrant.checker.verify import verify_decision
from warrant.pipeline.decide import decide
from warrant.pipeline.request import request_from_data
from warrant.pipeline.rulebase import load_rulebase

LAW = '''
field subject.age: number as subject_age "The person's age in whole years."

set allowed_bodies "Who may receive contact details"
    from 2024-01-01 until 2024-06-30 = {council} cites example_act "s.5"
    from 2024-07-01 = {council, other} cites example_act "s.5 as amended"

value notes_age "The age from which contact details may go out"
    from 2024-01-01 = 18 cites example_act "s.6"
    from 2025-01-01 = 16 cites example_act "s.6 as amended"

permit dated_case_notes for Item
    "Contact details go to an allowed body when the person is of the age."
    cites example_act "s.5"
    when Item = contact_details
     and requester(Body)
     and Body in allowed_bodies
     and subject_age(Age)
     and Age >= notes_age
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return scaffolded_law(tmp_path_factory.mktemp("dated"), "dated.warrant", LAW)


def _request(date, requester="other", age=17, **facts):
    return {"id": f"r{date}", "date": date, "requester": requester, "items": ["contact_details"],
            "subject": {"age": age}, **facts}


def test_it_parses_formats_and_checks(folder):
    text = checks_and_formats(folder, "dated.warrant", invariants=False)   # the scaffold's invariant: see below
    assert '    from 2024-07-01 = {council, other} cites example_act "s.5 as amended"\n' in text
    assert "     and Age >= notes_age\n" in text


@pytest.mark.parametrize("declaration, code, line, column", [
    ('set s "x"\n    from 2024-01-01 until 2024-08-01 = {council}\n    from 2024-07-01 = {other}', "C139", 3, 5),
    ('set s "x"\n    from 2024-01-01 = {council}\n    from 2024-01-01 = {other}', "C139", 3, 5),
    ('set s "x"\n    from 2024-01-01 until 2024-03-01 = {council}\n    from 2024-07-01 = {other}', "C140", 3, 5),
    ('value v "x" from 2024-05-01 until 2024-01-01 = 3', "C139", 1, 13),
    ('value v "x"\n    from 2024-01-01 = 18\n    from 2025-01-01 = £5', "C141", 1, 1),
    ('value council "x" = 3', "C141", 1, 1),
    ('value v "x" = X', "C141", 1, 15),
])
def test_periods_and_values_are_checked_with_located_errors(tmp_path, folder, declaration, code, line, column):
    root = law_with(folder, tmp_path, "zz_bad.warrant", declaration + "\n")
    found = [d for d in warrant.check(root, invariants=False).to_json()["diagnostics"] if d["code"] == code]
    assert len(found) == 1, warrant.check(root, invariants=False).render()
    assert found[0]["file"].endswith("zz_bad.warrant") and (found[0]["line"], found[0]["column"]) == (line, column)


def test_the_trace_shows_the_period_that_applied_with_its_citation(folder):
    rb = warrant.load(folder, cache=False)
    decision = rb.decide(_request("2025-02-01"))
    assert decision.items[0].outcome == "permitted"
    text = decision.render("text")
    assert "other is in the set allowed_bodies (its value from 2024-07-01)" in text
    assert "notes_age is 16 (its value from 2025-01-01)" in text and "17 >= notes_age (16)" in text
    assert "s.6 as amended" in text
    proof = decision.to_json()["items"][0]["proofs"][0]
    member = next(c for c in proof["children"] if c.get("detail", {}).get("set") == "allowed_bodies")
    assert "rule" not in member and member["detail"] == {"set": "allowed_bodies", "member": "other",
                                                         "period": "from 2024-07-01"}
    assert "[set allowed_bodies from 2024-07-01 @ " in text and "__from_" not in text
    line = (folder / "dated.warrant").read_text(encoding="utf-8").splitlines().index(
        '    from 2024-07-01 = {council, other} cites example_act "s.5 as amended"') + 1   # wherever fmt left it
    assert member["citations"][0]["locator"] == "s.5 as amended" and member["location"].endswith(f"dated.warrant:{line}")
    assert "its value from 2025-01-01" in decision.render("html")


@pytest.mark.parametrize("date, age, says", [
    ("2024-08-01", 17, "17 >= notes_age (18) does not hold"),
    ("2024-03-01", 19, "other is not in the set allowed_bodies on 2024-03-01 (its value from 2024-01-01 until "
                       "2024-06-30: council)"),
    ("2023-08-01", 19, "the set allowed_bodies has no value on 2023-08-01 (from 2024-01-01 until 2024-06-30: "
                       "{council}; from 2024-07-01: {council, other})"),
])
def test_a_why_not_says_what_the_value_was_that_day(folder, date, age, says):
    decision = warrant.load(folder, cache=False).decide(_request(date, age=age))
    assert decision.items[0].outcome == "refused" and says in decision.render("text")


def test_what_would_change_keeps_the_date_and_reads_the_value_of_the_day(folder):
    rb = warrant.load(folder, cache=False)
    before = rb.decide(_request("2024-08-01", age=17)).render("text")
    assert "would be permitted if: subject.age: 17 -> 18" in before
    after = rb.decide(_request("2025-02-01", age=15)).render("text")
    assert "would be permitted if: subject.age: 15 -> 16" in after


@pytest.mark.parametrize("date, age", [("2024-06-30", 18), ("2024-07-01", 18), ("2024-12-31", 17),
                                       ("2025-01-01", 16), ("2023-12-31", 30)])
def test_the_proof_checker_and_a_batch_agree_across_the_changeovers(folder, tmp_path, date, age):
    loaded = load_rulebase([str(folder)], cache=False)
    request = request_from_data(_request(date, age=age), vocabulary=loaded.vocabulary)
    decision = decide(loaded, request)
    assert verify_decision(loaded, request, decision) == []
    batch = tmp_path / "batch.jsonl"
    lines = [_request(d, age=a) for d, a in (("2024-06-30", 18), ("2024-07-01", 18), (date, age), ("2025-01-01", 16),
                                             ("2024-12-31", 17))]
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    records = [json.loads(line) for line in "".join(warrant.load(folder, cache=False).decide_batch(batch, trace="none"))
               .splitlines()]
    assert [r["outcome"] for r in records] == ["refused", "permitted", decision.outcome, "permitted", "refused"]


def test_diff_sees_a_moved_changeover_as_one_region(folder, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(folder, moved)
    text = (moved / "dated.warrant").read_text(encoding="utf-8")
    (moved / "dated.warrant").write_text(text.replace("until 2024-06-30", "until 2024-08-31")
                                         .replace("from 2024-07-01", "from 2024-09-01"), encoding="utf-8")
    found = warrant.diff(str(folder), str(moved), progress=False, regions="all").to_json()
    assert len(found["regions"]) == 1, found
    assert "date from 2024-07-01 to 2024-08-31" in json.dumps(found)
    causes = [d for d in found["differences"] if not d["basis_only"]]
    assert causes and all("2024-09-01" in " ".join(d["because"]) for d in causes), causes
    later = warrant.diff(str(folder), str(moved), at=["2025-03-01"], progress=False).to_json()
    assert later["differences"] == [] and later["equivalent"]


def test_an_invariant_is_checked_across_the_changeover(folder):
    report = warrant.check(folder).to_json()
    broken = [i for i in report["invariants"] if i["invariant"] == "only_the_council"]
    assert broken and broken[0]["holds"] is False
    found = broken[0]["counterexample"]           # `other` is allowed from 2024-07-01, at the age of that day
    assert found["requester"] == "other" and found["date"] >= "2024-07-01"
    assert found["subject"]["age"] >= (18 if found["date"] < "2025-01-01" else 16)
    loaded = warrant.load(folder, cache=False)
    assert loaded.decide(found).items[0].outcome == "permitted"      # the engine confirms it


def test_rules_and_timeline_show_the_values(folder):
    rb = warrant.load(folder, cache=False)
    listing = rb.rules(at="2024-08-01")
    assert "from 2024-07-01: {council, other}" in listing.render("text")
    assert "from 2024-01-01 until 2024-12-31: 18" in listing.render("text")
    values = {v["name"]: v for v in listing.to_json()["values"]}
    assert [p["value"] for p in values["allowed_bodies"]["periods"]] == [["council", "other"]]
    chart = rb.timeline()
    assert "allowed_bodies" in chart.render("text") and "2 from 2024-07-01" in chart.render("text")
    assert [p["until"] for p in {v["name"]: v for v in chart.to_json()["values"]}["notes_age"]["periods"]] == \
        ["2024-12-31", None]
    assert "notes_age from 2025-01-01: 16" in rb.timeline_svg()


def test_the_cli_lists_them(folder):
    result = CliRunner().invoke(app, ["rules", "--rules", str(folder), "--at", "2024-03-01"])
    assert result.exit_code == 0 and "from 2024-01-01 until 2024-06-30: {council}" in result.output


def test_the_clauses_dated_values_make_are_bounded(tmp_path, folder):
    from warrant.pipeline.limits import MAX_DATED_CLAUSES
    members = ", ".join(f"m{i}" for i in range(MAX_DATED_CLAUSES // 2 + 1))
    root = law_with(folder, tmp_path, "zz_big.warrant", f'set big "x"\n    from 2000-01-01 = {{{members}}}\n'
                                                        f'    from 2001-01-01 = {{{members}}}\n')
    found = [d for d in warrant.check(root, invariants=False).to_json()["diagnostics"] if d["code"] == "W006"]
    assert len(found) == 1 and found[0]["file"].endswith("zz_big.warrant") and found[0]["line"] == 1
