"""The external `datalog-conformance` suite (pinned in the test extra) through `warrant.evaluate_datalog`, the
public seam over Warrant's compiled Datalog layer (engine/pipeline/standalone.py)."""
import os

import pytest

if os.environ.get("CI"):        # the test extra installs it: under CI a missing suite fails, never skips
    import datalog_conformance as conformance
else:
    conformance = pytest.importorskip("datalog_conformance", reason="pip install -e '.[test]' installs it")

from conformance.warrant_evaluator import Unsupported, WarrantEvaluator  # noqa: E402

LARGE = 1 << 20     # bytes: a case file past this is read only with WARRANT_CONFORMANCE_ALL=1 (four are 3-17 MB;
#                     reading them costs about 20 s of CPU; the cases of theirs that hold a program are outside the layer: W007)


def _discover():
    """The suite's cases, read as `discover_yaml_tests` does but with libyaml; (path, None) for a file too large."""
    import yaml
    from datalog_conformance import plugin
    found = []
    for path in sorted(plugin.get_tests_dir().rglob("*.yaml")):
        if path.stat().st_size > LARGE and not os.environ.get("WARRANT_CONFORMANCE_ALL"):
            found.append((path, None))
            continue
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if isinstance(raw, dict) and "tests" in raw:
            found += [(path, case) for case in plugin._load_multi_case_file(raw, path)]
        elif raw is not None:
            found.append((path, plugin.TestCase.from_dict(raw)))
    return [(path, case) for path, case in found if case is None or case.program is not None]


CASES = _discover()
CASE_SECONDS = 20.0     # one case's bound: pyDatalog, pure Python, is interrupted by SIGALRM in the main thread


class CaseTimeout(BaseException):
    """Raised by the alarm: a BaseException, so no `except Exception` inside the engine swallows it."""
#: Cases outside Warrant's reading of the suite's text, with the reason (README, "Trust").
SKIPPED: dict[str, str] = {
    "unsafe_negation_variable_only_in_negative_literal":
        "contradicts the suite's nemo_negation cases, which accept a variable that only a negation mentions "
        "(read as 'no such value exists'); the adapter follows those",
    **{name: "written with lower-case variables (Souffle's convention); the suite's syntax, and Warrant's reading "
             "of it, take a lower-case name as a constant"
       for name in ("souffle_minmax_minimum", "souffle_minmax_maximum", "souffle_dfa_live_vars_live_vars_in",
                    "souffle_prime_count_third")},
    **{name: "pyDatalog does not finish: state/4 recurses through a cycle of states (../shared/PYDATALOG.md, "
             "right recursion); Warrant's checker warns of such rules (C122)"
       for name in ("souffle_puzzle_safe", "souffle_puzzle_opp")},
}
@pytest.mark.parametrize("path,case", CASES, ids=[c.name if c else p.stem for p, c in CASES])
def test_conformance_case(path, case):
    if case is None:
        pytest.skip(f"{path.name} is {path.stat().st_size >> 20} MB: read only with WARRANT_CONFORMANCE_ALL=1")
    if case.skip:
        pytest.skip(f"the suite skips it: {case.skip}")
    if case.name in SKIPPED:
        pytest.skip(SKIPPED[case.name])
    runner = conformance.YamlTestRunner(WarrantEvaluator())
    import signal

    def too_long(signum, frame):
        raise CaseTimeout()
    previous = signal.signal(signal.SIGALRM, too_long)
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        runner.run_test_case(case)
    except CaseTimeout:
        pytest.skip(f"pyDatalog did not finish it within {CASE_SECONDS:g} s (a bound of this test, not of the suite)")
    except Unsupported as exc:
        pytest.skip(f"W007 {exc}")
    except conformance.ConformanceFailure as exc:
        if isinstance(exc.__cause__, Unsupported):
            pytest.skip(f"W007 {exc.__cause__}")
        if isinstance(exc.__cause__, CaseTimeout):
            pytest.skip(f"pyDatalog did not finish it within {CASE_SECONDS:g} s (a bound of this test)")
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_the_seam_is_public_and_refuses_what_it_cannot_read():
    import warrant
    assert "evaluate_datalog" in warrant.__all__
    model = warrant.evaluate_datalog(["reach(X, Y) :- edge(X, Y).", "reach(X, Z) :- reach(X, Y), edge(Y, Z).",
                                      "unreached(X) :- node(X), not reach(a, X)."],
                                     {"edge": [("a", "b"), ("b", "c"), ("c", "a")], "node": [("a",), ("d",)]})
    assert model["reach"] >= {("a", "a"), ("a", "c")} and model["unreached"] == {("d",)}
    for rules, code in ((["p(X) :- q(X, _)."], "W007"), (["p(X) :- q(X), not p(X)."], "C108"), (["p(X, Y) :- q(X)."], "C107"),
                        (["p(X) :- q(X).", "p(X, Y) :- q(X), q(Y)."], "C102"), (["p(X) :- q(X + 1)."], "W007")):
        with pytest.raises(warrant.WarrantError) as caught:
            warrant.evaluate_datalog(rules)
        assert caught.value.diagnostics[0].code == code
