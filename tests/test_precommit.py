"""The pre-commit hooks (.pre-commit-hooks.yaml) run by pre-commit itself, as an author's repository would.

A temporary git repository holds a rulebase (`warrant init rules`) with a
badly formatted rule file and a case whose expected decision is wrong;
`pre-commit try-repo` runs each hook there: it fails, and passes once the
file is formatted and the case mended. `args: [--fix]` (a config naming the
hooks' repository at a commit) rewrites the file itself.

The hooks' repository is a temporary one holding this checkout's
.pre-commit-hooks.yaml (try-repo would clone the whole checkout, with
whatever another person has left uncommitted in it). The hooks are
`language: system`: they run the `warrant` beside this Python.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
HOOKS = os.path.join(ROOT, ".pre-commit-hooks.yaml")
BIN = os.path.dirname(sys.executable)
PRE_COMMIT = shutil.which("pre-commit", path=BIN) or shutil.which("pre-commit")

pytestmark = [
    pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install -e '.[test]')"),
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(shutil.which("warrant", path=BIN) is None, reason=f"no `warrant` script in {BIN}"),
]


def _env(home):
    home.mkdir(parents=True, exist_ok=True)
    config = home / "gitconfig"          # a file of the test's own: git writes a global config by renaming a
    config.touch()                       # lock file over it, which would replace /dev/null itself
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), PRE_COMMIT_HOME=str(home),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_GLOBAL=str(config), GIT_CONFIG_NOSYSTEM="1",
               PRE_COMMIT_COLOR="never", NO_COLOR="1")
    for name in ("WARRANT_RULES", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(name, None)
    return env


def _run(args, cwd, env, timeout=60):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _git(cwd, env, *args):
    done = _run(["git", *args], cwd, env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def repos(tmp_path):
    """(the author's repository, the hooks' repository, its commit, env)."""
    env = _env(tmp_path / "pre-commit-home")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    shutil.copy(HOOKS, hooks / ".pre-commit-hooks.yaml")
    _git(hooks, env, "init", "-q", "-b", "main")
    _git(hooks, env, "add", ".pre-commit-hooks.yaml")
    _git(hooks, env, "commit", "-q", "-m", "hooks")
    rev = _git(hooks, env, "rev-parse", "HEAD")

    author = tmp_path / "law"
    author.mkdir()
    made = _run([os.path.join(BIN, "warrant"), "init", "rules"], author, env)
    assert made.returncode == 0, made.stderr
    _git(author, env, "init", "-q", "-b", "main")
    _git(author, env, "add", ".")
    return author, hooks, rev, env


def _break(author):
    """A rule file out of layout and a case expecting the wrong outcome; returns the originals."""
    policy = author / "rules" / "policy.warrant"
    good = policy.read_text(encoding="utf-8")
    messy = good.replace("\n    cites ", "  cites ", 1)
    assert messy != good
    policy.write_text(messy, encoding="utf-8")
    expected = next((author / "rules" / "cases").glob("*.expected.json"))
    right = expected.read_text(encoding="utf-8")
    flipped = right.replace('"permitted"', '"refused"')
    assert flipped != right, "the scaffold's case permits something"
    expected.write_text(flipped, encoding="utf-8")
    return {policy: good, expected: right}


def _try(author, hooks, env, hook):
    return _run([PRE_COMMIT, "try-repo", str(hooks), hook, "--all-files"], author, env)


def test_each_hook_fails_on_a_bad_rulebase_and_passes_once_it_is_fixed(repos):
    author, hooks, _, env = repos
    originals = _break(author)
    _git(author, env, "add", ".")
    assert _try(author, hooks, env, "warrant-check").returncode == 0          # a layout is not a finding
    said = {"warrant-test": _try(author, hooks, env, "warrant-test")}            # before check's error hides it
    policy = next(path for path in originals if path.name == "policy.warrant")
    policy.write_text(policy.read_text(encoding="utf-8").replace("cites ", "cites no_such_source, ", 1),
                      encoding="utf-8")
    _git(author, env, "add", ".")
    for hook in ("warrant-fmt", "warrant-check", "warrant-test"):
        before = said[hook] if hook in said else _try(author, hooks, env, hook)
        assert before.returncode == 1 and "Failed" in before.stdout, (hook, before.stdout, before.stderr)
        said[hook] = before.stdout
    assert "policy.warrant" in said["warrant-fmt"] and "+    cites" in said["warrant-fmt"]       # --diff
    assert "no_such_source" in said["warrant-check"]
    assert "council_with_consent" in said["warrant-test"]

    for path, text in originals.items():
        path.write_text(text, encoding="utf-8")
    _git(author, env, "add", ".")
    for hook in ("warrant-fmt", "warrant-check", "warrant-test"):
        after = _try(author, hooks, env, hook)
        assert after.returncode == 0 and "Passed" in after.stdout, (hook, after.stdout, after.stderr)


def test_fmt_with_fix_rewrites_the_file_and_passes_the_next_time(repos):
    author, hooks, rev, env = repos
    (author / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: warrant-fmt\n    args: [--fix]\n",
        encoding="utf-8")
    originals = _break(author)
    _git(author, env, "add", ".")
    first = _run([PRE_COMMIT, "run", "warrant-fmt", "--all-files"], author, env)
    assert first.returncode == 1 and "files were modified by this hook" in first.stdout, first.stdout
    policy = author / "rules" / "policy.warrant"
    assert policy.read_text(encoding="utf-8") == originals[policy]
    _git(author, env, "add", ".")
    again = _run([PRE_COMMIT, "run", "warrant-fmt", "--all-files"], author, env)
    assert again.returncode == 0, again.stdout
