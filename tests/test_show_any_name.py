"""`warrant show` shows any name the language has (did-you-mean on a miss), and `timeline` draws dated sets on the
policies' axis with every period told apart (issue 34)."""
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()

EXTRA = '''
set guarded "Guarded records" = {contact_details}

define rule_binds as binds_when_flagged
    "The rule binds when flagged."
    cites example_act "s.5"
    when sharing_necessary

forbid guarded_when_binding for Item
    "Guarded records are not shared while the rule binds."
    cites example_act "s.6"
    when Item in guarded
     and rule_binds
'''


def _dated(periods: int) -> str:
    lines = ['set places "Places, changed often"']
    for index in range(periods):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=20 * index)
        members = "{case_notes}" if index % 2 == 0 else "{case_notes, contact_details}"
        lines.append(f'    from {day.isoformat()} = {members} cites example_act "s.{index + 1}"')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def law(tmp_path_factory):
    root = tmp_path_factory.mktemp("show") / "law"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    (root / "extra.warrant").write_text(EXTRA, encoding="utf-8")
    (root / "dated.warrant").write_text(_dated(18), encoding="utf-8")
    return root


def _show(law, name, *more):
    result = runner.invoke(app, ["show", name, "--rules", str(law), *more])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


@pytest.mark.parametrize("name,kind,expected", [
    ("guarded", "set guarded: Guarded records", "members: contact_details"),
    ("places", "dated set places: Places, changed often",
     "from 2024-01-01 until 2024-01-20: {case_notes} (cites Parliament, Example Act 2024, 2024-01-01, s.1)"),
    ("rule_binds", "definition rule_binds", "define binds_when_flagged (defines rule_binds)"),
    ("subject.consented", "field subject.consented", "boolean"),
    ("record_kind", "enum record_kind", "contact_details"),
    ("consent_is_enough", "assumption consent_is_enough", "agreement suffices"),
    ("only_the_council", "invariant only_the_council", "Nothing is shared with anyone but the council."),
    ("example_act", "source example_act: Example Act 2024", "Parliament"),
    ("example_sharing", "policy example_sharing: Sharing under the Example Act 2024", "rules: consented_contact_details"),
    ("guarded_when_binding", "forbid guarded_when_binding", "used by: no other rule"),
])
def test_show_any_name(law, name, kind, expected):
    result = _show(law, name)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(kind) and expected in result.output, result.output
    data = json.loads(_show(law, name, "--format", "json").output)
    assert name in {d["name"] for d in data["declarations"]}, data
    assert "__" not in result.output


def test_show_a_dated_set_as_data(law):
    data = json.loads(_show(law, "places", "--format", "json").output)
    periods = data["declarations"][0]["periods"]
    assert len(periods) == 18 and periods[0]["until"] == "2024-01-20" and periods[-1]["until"] is None
    assert periods[3]["cites"] == ["Parliament, Example Act 2024, 2024-01-01, s.4"]


def test_show_a_miss_says_what_it_looked_for_and_suggests(law):
    result = _show(law, "guardd")
    assert result.exit_code != 0 and "B001" in result.output and "did you mean `guarded`?" in result.output
    assert "nothing is named `guardd`" in result.output


def test_timeline_aligns_dated_sets_with_policies(law):
    text = runner.invoke(app, ["timeline", "--rules", str(law)]).output
    rows = {line.split()[0]: line for line in text.splitlines() if line[:1].strip() and not line.startswith(" ")}
    # example_sharing and places both start on 2024-01-01: the same column
    start = len("places") + len(rows["places"][len("places"):]) - len(rows["places"][len("places"):].lstrip())
    assert rows["example_sharing"].index("█") == start, text
    assert len(rows["places"].rstrip()) == rows["example_sharing"].rindex("█") + 1, text     # no end, both


def test_timeline_tells_apart_eighteen_periods(law, tmp_path):
    text = runner.invoke(app, ["timeline", "--rules", str(law)]).output
    for index, mark in enumerate("123456789abcdefghi"):
        start = dt.date(2024, 1, 1) + dt.timedelta(days=20 * index)
        assert re.search(rf"^\s+{mark} from {start.isoformat()}", text, re.M), text
    svg = tmp_path / "t.svg"
    assert runner.invoke(app, ["timeline", "--rules", str(law), "--svg", str(svg)]).exit_code == 0
    tree = ET.parse(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    bars = [r for r in tree.iterfind(".//s:rect", ns) if (r.findtext("s:title", "", ns) or "").startswith("places ")]
    assert len(bars) == 18
    fills = [b.get("fill") for b in bars]
    assert all(a != b for a, b in zip(fills, fills[1:])) and len(set(fills)) == 18
    policy = next(r for r in tree.iterfind(".//s:rect", ns)
                  if (r.findtext("s:title", "", ns) or "").startswith("Sharing under"))
    assert policy.get("x") == bars[0].get("x")          # one axis: the same date, the same x
