"""Obligations a permission carries: `requires "..." cites ...` (issue 24, item 4)."""
import json
import shutil

import pytest

import warrant
from helpers import checks_and_formats, scaffolded_law
from warrant.checker.verify import verify_decision
from warrant.pipeline.decide import decide
from warrant.pipeline.request import request_from_data
from warrant.pipeline.rulebase import load_rulebase

LAW = '''
policy duties "Disclosures with duties" in force from 2024-01-01 cites example_act "s.1" {
    permit recorded_contact_details for Item
        "The council may receive contact details if it records the disclosure."
        cites example_act "s.2(4)"
        requires "record the disclosure in the register" cites example_act "s.5(1)"
        requires "tell the person within a month" cites example_act "s.5(2)"
        when Item = contact_details
         and requester(council)
         and not consented
}
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return scaffolded_law(tmp_path_factory.mktemp("obligations"), "duties.warrant", LAW)


def _request(**facts):
    return {"id": "r", "date": "2024-06-01", "requester": "council", "items": ["contact_details"],
            "sharing_necessary": True, **facts}     # the scaffold's own judgement, answered


def test_it_parses_formats_and_checks(folder):
    text = checks_and_formats(folder, "duties.warrant")
    assert '        requires "record the disclosure in the register" cites example_act "s.5(1)"\n' in text


@pytest.mark.parametrize("rule", [
    'forbid f for Item "s" cites example_act "s.1" requires "x" cites example_act "s.1" when Item = case_notes',
    'define d as r "s" cites example_act "s.1" requires "x" cites example_act "s.1" when consented',
])
def test_only_a_permission_carries_an_obligation(tmp_path, folder, rule):
    root = tmp_path / "law"
    shutil.copytree(folder, root)
    (root / "zz_bad.warrant").write_text(rule + "\n", encoding="utf-8")
    found = [d for d in warrant.check(root).to_json()["diagnostics"] if d["code"] == "C138"]
    assert len(found) == 1 and found[0]["line"] == 1 and found[0]["column"] == rule.index("requires") + 1


def test_an_unknown_source_of_an_obligation_is_located(tmp_path, folder):
    root = tmp_path / "law"
    shutil.copytree(folder, root)
    text = LAW.replace('cites example_act "s.5(2)"', 'cites example_ac "s.5(2)"')
    (root / "duties.warrant").write_text(text, encoding="utf-8")
    found = [d for d in warrant.check(root).to_json()["diagnostics"] if d["code"] == "C105"]
    assert len(found) == 1 and found[0]["line"] == 7, found


def test_a_permitted_item_carries_its_permissions_obligations_in_every_format(folder):
    rb = warrant.load(folder, cache=False)
    decision = rb.decide(_request())
    assert decision.outcome is warrant.Outcome.PERMITTED
    item = decision.to_json()["items"][0]
    assert [(o["obligation"], o["rule"], o["citations"][0]["locator"]) for o in item["obligations"]] == [
        ("record the disclosure in the register", "recorded_contact_details", "s.5(1)"),
        ("tell the person within a month", "recorded_contact_details", "s.5(2)")]
    assert "  requires: record the disclosure in the register [recorded_contact_details]" in decision.render("text")
    assert "- tell the person within a month (`recorded_contact_details`" in decision.render("markdown")
    assert "<li>record the disclosure in the register<sup>" in decision.render("html")
    other = rb.decide(_request(subject={"consented": True})).to_json()["items"][0]   # another permission decides
    assert other["proofs"][0]["rule"] == "consented_contact_details"
    assert [o["obligation"] for o in other["obligations"]] == [          # its own, not the other's
        "Tell the person which records were shared and with whom."]


def test_the_proof_checker_holds_the_obligations_to_the_deciding_permission(folder):
    loaded = load_rulebase([str(folder)], cache=False)
    request = request_from_data(_request(), vocabulary=loaded.vocabulary)
    decision = decide(loaded, request)
    assert verify_decision(loaded, request, decision) == []
    item = decision.items[0]
    dropped = decision.__class__(**{**{f: getattr(decision, f) for f in decision.__dataclass_fields__},
                                    "items": (item.__class__(item.item, item.outcome, item.reason, item.proofs,
                                                             obligations=item.obligations[:1]),)})
    assert any("obligations shown" in p for p in verify_decision(loaded, request, dropped))


def test_rules_show_batches_and_impact_list_them(folder, tmp_path):
    rb = warrant.load(folder, cache=False)
    assert "requires record the disclosure in the register" in rb.rules().render("text")
    shown = rb.show("recorded_contact_details")
    assert "  requires: tell the person within a month" in shown.render("text")
    assert shown.to_json()["obligations"][1]["obligation"] == "tell the person within a month"
    batch = tmp_path / "batch.jsonl"
    lines = [_request(id="a"), _request(id="b", date="2023-06-01")]
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    records = [json.loads(line) for line in "".join(rb.decide_batch(batch, trace="none")).splitlines()]
    assert records[0]["items"][0]["obligations"][0]["obligation"] == "record the disclosure in the register"
    assert "obligations" not in records[1]["items"][0]                     # before the Act: refused
    impact = rb.impact(batch, at=["2023-06-01", "2024-06-01"])
    assert impact.to_json()["obligations"] == [
        {"obligation": "record the disclosure in the register", "before": 0, "after": 2},
        {"obligation": "tell the person within a month", "before": 0, "after": 2}]
    assert "0 -> 2      record the disclosure in the register" in impact.render("text")
