"""Hostile but fair inputs: each is a located user error (or the right answer), in bounded time and memory."""
import json
import os
import subprocess
import sys
import time

import pytest

from warrant.batch.batch import decide_lines
from helpers import assert_warrant_error, load_request

ROOT = os.path.join(os.path.dirname(__file__), "..")
GOOD = {"id": "r", "date": "2018-06-01", "requester": "home_office", "holder": "nhs_digital", "purpose": "tracing",
        "items": ["name"]}


def write(tmp_path, text: str, name: str = "r.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_50_mb_request_is_refused_at_once(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "w") as handle:
        handle.write('{"id": "' + "x" * (50 << 20) + '"}')
    start = time.perf_counter()
    found = assert_warrant_error(lambda: load_request(str(path)), "R007")
    assert time.perf_counter() - start < 1 and "at most" in found.message


def test_billion_laughs_is_refused(tmp_path):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    found = assert_warrant_error(lambda: load_request(write(tmp_path, "\n".join(lines) + "\n")), "R007", 1)
    assert "aliases" in found.message


@pytest.mark.parametrize("text,name,line,column", [
    ("date: '2018-06-01'\nrequester: home_office\nrequester: police\n", "r.yaml", 3, 1),
    ('{"date": "2018-06-01",\n "requester": "home_office",\n "requester": "police"}', "r.json", 3, 2),
])
def test_duplicate_keys_are_located(tmp_path, text, name, line, column):
    assert_warrant_error(lambda: load_request(write(tmp_path, text, name)), "R008", line, column)


def test_items_must_not_be_empty_or_repeat(tmp_path):
    assert_warrant_error(lambda: load_request(write(tmp_path, json.dumps({**GOOD, "items": []}), "r.json")), "R006")
    assert_warrant_error(lambda: load_request(write(tmp_path, json.dumps({**GOOD, "items": ["name", "name"]}),
                                                    "r.json")), "R005")


@pytest.mark.parametrize("amount", ["500.00", "£٥٠٠", "£５００", "£5e2"])
def test_money_needs_a_pound_sign_and_ascii_digits(tmp_path, amount):
    document = {**GOOD, "holder": "nhs_trust", "subject": {"nhs_debt": amount}}
    assert_warrant_error(lambda: load_request(write(tmp_path, json.dumps(document), "r.json")), "R003")


def test_huge_numbers_are_user_errors(tmp_path, rulebase):
    text = '{"date": "2018-06-01", "subject": {"x": ' + "9" * 5000 + "}}"
    assert_warrant_error(lambda: load_request(write(tmp_path, text, "r.json")), "R007")
    assert_warrant_error(lambda: load_request(write(tmp_path, "date: 2018-06-01\nn: " + "9" * 5000 + "\n")), "R007")
    records = list(decide_lines(rulebase, [text, json.dumps(GOOD)], trace="none"))
    assert records[0]["error"][0]["code"] == "R007" and records[1]["outcome"] in ("permitted", "refused")


def test_a_deep_bracket_inside_a_quoted_string_is_fine(tmp_path, rulebase):
    text = "\n".join(f"{k}: {json.dumps(v)}" for k, v in GOOD.items()) + "\ndescription: '" + "[" * 70 + "'\n"
    assert load_request(write(tmp_path, text)).id == "r"


def test_tab_indentation_gets_a_hint(tmp_path):
    found = assert_warrant_error(lambda: load_request(write(tmp_path, "date: '2018-06-01'\nsubject:\n\tx: 1\n")),
                                 "R000", 3)
    assert any("tab" in note for note in found.notes)


def test_a_fifo_is_not_read(tmp_path):
    fifo = tmp_path / "x.warrant"
    os.mkfifo(fifo)
    run = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "check", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "not a regular file" in run.stderr + run.stdout
    request = tmp_path / "r.yaml"
    os.mkfifo(request)
    assert_warrant_error(lambda: load_request(str(request)), "R000")


@pytest.mark.parametrize("args,code", [
    (["decide", "examples/requests/mou_tracing.json", "--set", "date=2018-02-30"], "R003"),
    (["decide", "--batch", "examples/batches/synthetic_400.jsonl", "--jobs", "-1"], "O013"),
    (["decide", "--batch", "examples/batches/synthetic_400.jsonl", "--jobs", "99999999999999999999"], ""),
    (["generate", "10", "--out", "/nonexistent-folder/x.jsonl"], "O007"),
    (["generate", "10", "--out", "/"], "O007"),
])
def test_bad_options_are_user_errors(args, code):
    run = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), *args], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert run.returncode == 2, run.stdout[-500:] + run.stderr[-500:]
    assert "Traceback" not in run.stderr and code in run.stderr


def test_file_too_large_leaves_nothing_behind(tmp_path):
    """Under `ulimit -f` a write fails with EFBIG: a located message, exit 2, no partial or temporary file."""
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    run = subprocess.run(["bash", "-c", f"ulimit -f 64; exec {sys.executable} {os.path.join(ROOT, 'cli.py')} "
                                        f"generate 5000 --out {out}"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "O007" in run.stderr and str(out) in run.stderr and "Traceback" not in run.stderr
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_read_only_folder_is_a_user_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only folder; the permission error cannot be provoked")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    run = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "generate", "5", "--out",
                          str(folder / "x.jsonl")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "O007" in run.stderr


@pytest.mark.parametrize("command", [["generate", "5000"],
                                     ["decide", "--batch", "examples/batches/synthetic_400.jsonl", "--trace", "all"],
                                     ["decide", "examples/requests/mou_tracing.json", "--format", "html"]])
def test_a_full_disk_is_a_user_error_and_the_previous_file_survives(small_tmpfs, command):
    """ENOSPC while writing: one message naming the path, exit 2, the old file intact, no temporary file left."""
    out = small_tmpfs / "out"
    out.write_text("previous\n", encoding="utf-8")
    ballast = small_tmpfs / "ballast"
    with open(ballast, "wb") as handle:            # fill the rest: not one more page can be written
        handle.write(b"\0" * (252 * 1024))
    run = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), *command, "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stdout[-500:] + run.stderr[-500:]
    assert "O007" in run.stderr and str(out) in run.stderr and "Traceback" not in run.stderr
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in small_tmpfs.iterdir()) == ["ballast", "out"]


def _nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


@pytest.mark.parametrize("text", [
    _nested(14), _nested(15), _nested(16), _nested(15, ""), _nested(16, ""),
    '{"a": ' + _nested(14) + "}", '{"a": ' + _nested(15) + "}",
    json.dumps({f"k{i}": i for i in range(255)}), json.dumps({f"k{i}": i for i in range(256)}),
    json.dumps({f"k{i}": i for i in range(257)}), json.dumps(list(range(1001))),
    '{"n": 123456789012345}', '{"n": 1234567890123456}', '{"n": -1234567890123456.5}', '{"n": 1e400}',
    '{"s": "' + "x" * 10_001 + '"}', '{"s": "' + "x" * 9_990 + '"}', '["' + "x" * 10_001 + '"]',
    '{"a": 1, "a": 2}', '{"b": {"c": 1, "c": 1}}', '{"n": NaN}', '[-Infinity]', '{"d": "1234567890123456"}',
    '{"a": [1, 2, {"b": [true, false, null]}]}', '{"a": "\\u00e9\\"[["}',
])
def test_the_fast_json_path_decides_exactly_as_the_bounded_one(text):
    """Small lines skip the per-value checks (request._small); they must accept and refuse the same."""
    from warrant.pipeline.request import _Refused, _json

    def outcome(fast):
        try:
            return "ok", _json(text, fast=fast)
        except _Refused as exc:
            return exc.code, exc.message
    assert outcome(True) == outcome(False)
