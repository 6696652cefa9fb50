"""A plain wheel works from any folder: the shipped rulebase and grammar travel inside the package."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EXAMPLE = os.path.join(ROOT, "examples", "requests", "nhs_digital_restriction_2018_permitted.yaml")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtualenv outside the checkout with the built wheel installed (needs the package registry)."""
    base = tmp_path_factory.mktemp("wheel")
    wheels = base / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", str(wheels)],
                           capture_output=True, text=True, timeout=600, cwd=base)
    shutil.rmtree(os.path.join(ROOT, "build"), ignore_errors=True)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here (no registry for the build backend?): {build.stderr[-300:]}")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    wheel = next(wheels.glob("warrant-*.whl"))
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True,
                             timeout=900)
    if install.returncode != 0:
        pytest.skip(f"cannot install the wheel's dependencies here: {install.stderr[-300:]}")
    return venv / "bin" / "warrant"


def test_wheel_decides_outside_the_checkout(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("WARRANT_RULES", "PYTHONPATH")}
    run = subprocess.run([str(installed), "decide", EXAMPLE], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PERMITTED" in run.stdout and "shipped_rules/nhs_digital.warrant" in run.stdout
    run = subprocess.run([str(installed), "check", "--no-invariants"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and "0 error(s)" in run.stdout, run.stdout + run.stderr


def test_wheel_checks_the_local_rules_folder(installed, tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "broken.warrant").write_text('permit p for Item "s" when\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("WARRANT_RULES", "PYTHONPATH")}
    run = subprocess.run([str(installed), "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "rules/broken.warrant" in run.stdout + run.stderr


def test_the_wheel_is_importable_as_warrant_and_installs_nothing_generic(installed, tmp_path):
    python = installed.parent / "python"
    code = ("import warrant; rb = warrant.load(); "
            f"print(rb.decide({os.path.join(ROOT, 'examples', 'requests', 'mou_tracing.json')!r}).outcome)")
    env = {k: v for k, v in os.environ.items() if k not in ("WARRANT_RULES", "PYTHONPATH")}
    run = subprocess.run([str(python), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "permitted", run.stdout + run.stderr
    shown = subprocess.run([str(installed.parent / "pip"), "show", "-f", "warrant"], capture_output=True, text=True,
                           timeout=120).stdout
    files = [line.strip() for line in shown.split("Files:", 1)[1].splitlines() if line.strip()]
    tops = {f.split("/")[0] for f in files if not f.startswith("..")}
    assert tops <= {"warrant", "warrant-0.2.0.dist-info"} | {t for t in tops if t.endswith(".dist-info")}, tops
    assert not [f for f in files if f.startswith(("engine/", "cli.py", "cli/"))], files
