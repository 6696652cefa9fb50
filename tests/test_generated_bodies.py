"""Every analysis holds on rule bodies we did not write: generated definitions with arguments, sets,
negated sets and comparisons, in any order (issue: a finding once dropped a binder and crashed `check`).

Each example writes a small rulebase as text, then runs `check` (static checks, the exact findings, the
invariant proof), `decide` with its what-would-change search, and `diff` across an assumption. None may
end in an internal error (exit 3) or a traceback; the minimal form of the original crash is pinned too.
"""
import os

from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
EXAMPLES = int(os.environ.get("WARRANT_BODY_EXAMPLES", "25"))

HEADER = '''source s { publisher "P" title "T" }
assumption lenient { question "q" position "p" reason "r" default on }
enum thing "Things" { a, b, c, d }
field date: date required as request_date "Day."
field items: many thing required as requested "Items."
field flag: boolean "A flag."
field level: number "A number."
set everything "All" = {a, b, c, d}
set notes "Notes" = {c}
set pair "Two" = {a, b}
'''
MINIMAL = HEADER + '''define shareable(Item) as share_def "Shareable." cites s "1"
    when requested(Item) and Item in everything and Item not in notes
permit p for Item "P." cites s "1" when shareable(Item)
invariant never_c "No c." cites s "1" never permit Item when Item = c
'''
REQUEST = "date: '2020-01-01'\nitems: [a, b, c, d]\nlevel: 3\n"

ITEM_TESTS = ("requested(Item)", "Item in everything", "Item in pair", "Item not in notes", "Item not in pair",
              "Item != d", "Item = a")
GROUND_TESTS = ("flag", "not flag", "level(N) and N >= 2", "level(N) and N < 5", "assuming lenient",
                "not assuming lenient", "request_date(Day) and Day >= 2019-01-01")


@st.composite
def rulebases(draw):
    """A definition with an argument (and one without), used by a permission and an invariant."""
    binder = draw(st.sampled_from(("requested(Item)", "Item in everything", "Item in pair")))
    tests = draw(st.lists(st.sampled_from(ITEM_TESTS + GROUND_TESTS), min_size=1, max_size=5, unique=True))
    body = draw(st.permutations([binder] + [t for t in tests if t != binder]))
    ground = draw(st.lists(st.sampled_from(GROUND_TESTS), min_size=1, max_size=3, unique=True))
    extra = draw(st.lists(st.sampled_from(("ok", "not ok", "Item in pair", "Item not in notes")), max_size=2,
                          unique=True))
    text = HEADER + f'''define shareable(Item) as share_def "Shareable." cites s "1"
    when {" and ".join(body)}
define ok as ok_def "Ok." cites s "1"
    when {" and ".join(ground)}
define ok as ok_other "Ok too." cites s "1"
    when flag
permit p for Item "P." cites s "1" when {" and ".join(["shareable(Item)"] + extra)}
forbid f for Item "F." cites s "1" when Item = d and not ok
invariant never_c "No c." cites s "1" never permit Item when Item in notes and not shareable(Item)
'''
    return text


def _run(tmp_path, text):
    folder = tmp_path / "rb"
    folder.mkdir(exist_ok=True)
    (folder / "r.warrant").write_text(text)
    request = tmp_path / "q.yaml"
    request.write_text(REQUEST)
    for args in (["check", "--rules", str(folder)],
                 ["decide", "--rules", str(folder), str(request)],
                 ["decide", "--rules", str(folder), str(request), "--format", "json"],
                 ["diff", "--rules", str(folder), "--assume", "lenient=on"]):
        result = runner.invoke(app, args)
        assert "Traceback" not in result.output, (args, text, result.output)
        assert "internal error" not in result.output, (args, text, result.output)
        assert result.exit_code in (0, 1, 2), (args, text, result.exit_code, result.output)


def test_minimal_crash_form_checks(tmp_path):
    folder = tmp_path / "rb"
    folder.mkdir()
    (folder / "r.warrant").write_text(MINIMAL)
    result = runner.invoke(app, ["check", "--rules", str(folder)])
    assert result.exit_code == 0, result.output
    assert "1 of 1 proved for every request" in result.output


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=rulebases())
def test_every_analysis_runs_on_generated_bodies(tmp_path, text):
    _run(tmp_path, text)
