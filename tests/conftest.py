"""Collect golden decision cases as pytest items, one per request file.

`pytest --update-golden` rewrites the expected files of the cases run;
review the change with `git diff`.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN_DECISIONS = os.path.join(HERE, "golden", "decisions")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite expected golden files instead of comparing")


@pytest.fixture(scope="session")
def rulebase():
    from warrant.pipeline.rulebase import load_rulebase
    return load_rulebase()


@pytest.fixture
def update_golden(request):
    return request.config.getoption("--update-golden")


_RULEBASE = []


def _shared_rulebase():
    if not _RULEBASE:
        from warrant.pipeline.rulebase import load_rulebase
        _RULEBASE.append(load_rulebase())
    return _RULEBASE[0]


class DecisionCase(pytest.Item):
    funcargs: dict = {}      # pytest-lsp's call hook returns without yielding for an item without funcargs

    def runtest(self):
        from warrant.author.golden import run_case
        result = run_case(_shared_rulebase(), str(self.path), update=self.config.getoption("--update-golden"))
        if result.status in ("failed", "missing"):
            raise GoldenMismatch(result.diff)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, GoldenMismatch):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"golden decision: {self.name}"


class GoldenMismatch(Exception):
    pass


class CaseFile(pytest.File):
    def collect(self):
        yield DecisionCase.from_parent(self, name=self.path.stem)


def pytest_collect_file(parent, file_path):
    from warrant.author.golden import is_case
    if str(file_path).startswith(GOLDEN_DECISIONS) and is_case(file_path.name):
        return CaseFile.from_parent(parent, path=file_path)
    return None

import importlib.util  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(HERE))   # so tests can import bench/ (a script folder, not installed)

# Every decision any test makes in this process is proof-checked: `engine.pipeline.decide.decide`
# is wrapped before the test modules import it, so a wrong proof fails the test that made it.
import warrant.pipeline.decide as _decide_module  # noqa: E402

_DECIDE = _decide_module.decide
VERIFIED = {"decisions": 0}


def _checked_decide(rulebase, request, **options):
    decision = _DECIDE(rulebase, request, **options)
    from warrant.checker.verify import verify_decision
    problems = verify_decision(rulebase, request, decision, at=options.get("at"), assume=options.get("assume"),
                               drafts=options.get("drafts", ()))
    assert not problems, f"proof check failed for {request.id}: {problems}"
    VERIFIED["decisions"] += 1
    return decision


_decide_module.decide = _checked_decide


GENERATED: dict = {}      # test module -> {what: how many}, summed over the workers under pytest-xdist


def _generated_here() -> dict:
    return {name: dict(sys.modules[name].COUNTS) for name in ("test_differential", "test_fuzz")
            if name in sys.modules and any(getattr(sys.modules[name], "COUNTS", {}).values())}


def pytest_sessionfinish(session):
    """A worker (pytest-xdist) hands its counts to the controller, which prints the summary."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["warrant_counts"] = {"decisions": VERIFIED["decisions"],
                                                         "generated": _generated_here()}


def _add_worker_counts(node) -> None:
    counts = getattr(node, "workeroutput", {}).get("warrant_counts")
    if counts:
        VERIFIED["decisions"] += counts["decisions"]
        for name, numbers in counts["generated"].items():
            for key, value in numbers.items():
                GENERATED.setdefault(name, {})[key] = GENERATED.get(name, {}).get(key, 0) + value


if importlib.util.find_spec("xdist") is not None:
    def pytest_testnodedown(node, error):
        _add_worker_counts(node)


def pytest_terminal_summary(terminalreporter):
    """How many generated inputs the differential and fuzz tests tried (for the closing notes)."""
    lines = [f"proof-checked decisions made in this run: {VERIFIED['decisions']}"]
    generated = GENERATED or _generated_here()
    for name in sorted(generated):
        lines.append(f"{name}: " + ", ".join(f"{k} {v}" for k, v in generated[name].items()))
    if VERIFIED["decisions"]:
        terminalreporter.write_sep("-", "generated inputs and proof checks")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 256 KiB tmpfs, where the machine lets this process mount one (root in a container does)."""
    folder = tmp_path / "full"
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root; the disk-full path is then only reached through ulimit -f")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"this machine refuses a tmpfs mount: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server this test session starts and stops itself (tests/pg.py); skipped, saying why,
    only where the machine has no PostgreSQL (.ci/run installs Debian's)."""
    import pg
    why = pg.unavailable()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {why}")
        pytest.skip(why)
    server = pg.Server()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request, tmp_path):
    """A fresh, empty decision log: a SQLite file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/decisions.db"
    server = request.getfixturevalue("postgres")
    import re
    name = "log_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40] + f"_{os.getpid()}"
    return server.fresh(name)
