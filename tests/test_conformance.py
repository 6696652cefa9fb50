"""The external `datalog-conformance` suite (optional: `pip install datalog-conformance`) through Warrant's Datalog layer."""
import pytest

conformance = pytest.importorskip("datalog_conformance")

from conformance.warrant_evaluator import Unsupported, WarrantEvaluator  # noqa: E402

CASES = [(path, case) for path, case in conformance.discover_yaml_tests() if case.program is not None]
#: Cases outside Warrant's layer or past pyDatalog's limits (../shared/PYDATALOG.md), with the reason.
SKIPPED: dict[str, str] = {
    "unsafe_negation_variable_only_in_negative_literal":
        "contradicts the suite's nemo_negation cases, which accept a variable that only a negation mentions "
        "(read as 'no such value exists'); the adapter follows those",
}


@pytest.mark.parametrize("path,case", CASES, ids=[c.name for _, c in CASES])
def test_conformance_case(path, case):
    if case.skip:
        pytest.skip(f"the suite skips it: {case.skip}")
    if case.name in SKIPPED:
        pytest.skip(SKIPPED[case.name])
    if "recursion" in case.tags or "recursion" in str(path):
        pytest.skip("recursive programs: pyDatalog can fail to finish on right recursion (../shared/PYDATALOG.md)")
    runner = conformance.YamlTestRunner(WarrantEvaluator())
    try:
        runner.run_test_case(case)
    except Unsupported as exc:
        pytest.skip(f"outside Warrant's Datalog layer: {exc}")
    except conformance.ConformanceFailure as exc:
        if isinstance(exc.__cause__, Unsupported):
            pytest.skip(f"outside Warrant's Datalog layer: {exc.__cause__}")
        raise
