"""`warrant fmt`: canonical, idempotent, comment-preserving, atomic, and never touches a broken file."""
import glob
import os

import pytest
from typer.testing import CliRunner

from cli import app
from warrant.author.format import format_text
from warrant.pipeline.parse import find_comments, parse_text

ROOT = os.path.join(os.path.dirname(__file__), "..")
FMT = os.path.join(ROOT, "tests", "golden", "fmt")
SHIPPED = sorted(glob.glob(os.path.join(ROOT, "rules", "*.warrant")))
runner = CliRunner()


@pytest.mark.parametrize("path", SHIPPED, ids=os.path.basename)
def test_shipped_rules_are_canonical(path):
    text = open(path, encoding="utf-8").read()
    assert format_text(text, path) == text


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(FMT) if not n.endswith(".expected.warrant")))
def test_layout_golden(name, update_golden):
    text = open(os.path.join(FMT, name), encoding="utf-8").read()
    formatted = format_text(text, name)
    expected_path = os.path.join(FMT, name.replace(".warrant", ".expected.warrant"))
    if update_golden or not os.path.exists(expected_path):
        open(expected_path, "w", encoding="utf-8").write(formatted)
    assert formatted == open(expected_path, encoding="utf-8").read()
    # idempotent, same AST, every comment kept
    assert format_text(formatted, name) == formatted
    assert parse_text(formatted, name).declarations == parse_text(text, name).declarations
    assert sorted(c[2] for c in find_comments(formatted)) == sorted(c[2] for c in find_comments(text))


def test_hash_inside_a_string_is_not_a_comment():
    text = 'source s {\n    title "Issue #4" # real\n}\n'
    assert [c[2] for c in find_comments(text)] == ["# real"]
    assert format_text(text) == 'source s {\n    title "Issue #4"  # real\n}\n'


def test_check_mode_lists_and_changes_nothing(tmp_path):
    messy = tmp_path / "a.warrant"
    messy.write_text('set x = { b,a }\n')
    before = messy.read_bytes()
    result = runner.invoke(app, ["fmt", str(tmp_path), "--check"])
    assert result.exit_code == 1 and f"would reformat {messy}" in result.output
    assert messy.read_bytes() == before
    result = runner.invoke(app, ["fmt", str(tmp_path)])
    assert result.exit_code == 0 and messy.read_text() == "set x = {\n    b, a\n}\n"
    assert runner.invoke(app, ["fmt", str(tmp_path), "--check"]).exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["a.warrant"]  # no temporary file left behind


def test_file_that_does_not_parse_is_left_untouched(tmp_path):
    broken = tmp_path / "broken.warrant"
    broken.write_text("permit p for Item when\n")
    fine = tmp_path / "fine.warrant"
    fine.write_text("set x = {a}\n")
    result = runner.invoke(app, ["fmt", str(tmp_path)])
    assert result.exit_code == 2 and "broken.warrant:1:" in result.output and "Traceback" not in result.output
    assert broken.read_text() == "permit p for Item when\n"
    assert fine.read_text() == "set x = {\n    a\n}\n"


def test_failed_write_leaves_the_original(tmp_path, monkeypatch):
    messy = tmp_path / "a.warrant"
    messy.write_text("set x = {a}\n")

    def explode(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", explode)
    result = runner.invoke(app, ["fmt", str(tmp_path)])
    assert result.exit_code == 2 and "O007" in result.output and "No space left" in result.output
    assert messy.read_text() == "set x = {a}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.warrant"]


from hypothesis import HealthCheck, given, settings  # noqa: E402

from strategies import rulebases  # noqa: E402


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=rulebases(recursion=True))
def test_formatting_random_rulebases_is_idempotent_and_keeps_meaning(text):
    formatted = format_text(text, "r.warrant")
    assert format_text(formatted, "r.warrant") == formatted
    assert parse_text(formatted, "r.warrant").declarations == parse_text(text, "r.warrant").declarations


def test_fmt_diff_and_check_never_write(tmp_path):
    """`--diff` shows what would change and, like `--check`, writes nothing (mtime and bytes unchanged)."""
    messy = 'source s { publisher "P"   title "T" }\n\n\n'
    target = tmp_path / "r.warrant"
    target.write_text(messy)
    before = os.stat(target).st_mtime_ns
    for args in (["--diff"], ["--check"], ["--check", "--diff"], ["--diff", "--format", "json"]):
        result = runner.invoke(app, ["fmt", str(tmp_path), *args])
        assert result.exit_code == 1, (args, result.output)
        assert target.read_text() == messy and os.stat(target).st_mtime_ns == before, args
    assert "+source s" in runner.invoke(app, ["fmt", str(tmp_path), "--diff"]).output
