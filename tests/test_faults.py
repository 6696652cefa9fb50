"""Faults during a batch: a dead worker, SIGTERM, Ctrl-C; and lines that are not clean JSON Lines."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from bench.generate import generate

ROOT = os.path.join(os.path.dirname(__file__), "..")
CLI = os.path.join(ROOT, "cli.py")


@pytest.fixture(scope="module")
def big_batch(tmp_path_factory):
    path = tmp_path_factory.mktemp("faults") / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in generate(30_000, seed=5)), encoding="utf-8")
    return path


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def _start(big_batch, out):
    process = subprocess.Popen([sys.executable, CLI, "decide", "--batch", str(big_batch), "--out", str(out),
                                "--trace", "all", "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT)
    deadline = time.time() + 60
    while len(_children(process.pid)) < 2 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    return process


def test_a_killed_worker_fails_the_batch_within_seconds(big_batch, tmp_path):
    out = tmp_path / "out.jsonl"
    process = _start(big_batch, out)
    workers = _children(process.pid)
    assert workers, "no worker processes started"
    os.kill(workers[0], signal.SIGKILL)
    start = time.time()
    _, err = process.communicate(timeout=60)
    assert time.time() - start < 20
    assert process.returncode == 3 and "worker process died" in err and "lines" in err, err
    assert "Traceback" not in err and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_sigint_stop_cleanly_and_keep_the_previous_file(big_batch, tmp_path, sig, code):
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    process = _start(big_batch, out)
    workers = _children(process.pid)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    time.sleep(1)
    assert not [w for w in workers if os.path.exists(f"/proc/{w}") and
                open(f"/proc/{w}/stat").read().split()[2] != "Z"], "workers outlived the batch"


def test_every_line_in_gives_one_record_out(tmp_path):
    good = json.dumps(next(generate(1)))
    with_cr = json.dumps({**json.loads(good), "description": "one\rtwo"})
    lines = [good.encode(), with_cr.encode(), b"", b'{"date": "2018-01-01", "id": "a\x00b"}', b"\xff\xfe not utf-8",
             ('{"date": "2018-06-01", "n": ' + "9" * 5000 + "}").encode(), good.encode()]
    batch = tmp_path / "b.jsonl"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    run = subprocess.run([sys.executable, CLI, "decide", "--batch", str(batch), "--trace", "none"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(records) == len(lines), run.stdout + run.stderr
    assert [("error" in r) for r in records] == [False, False, True, True, True, True, False]
    assert records[4]["error"][0]["code"] == "R000" and "UTF-8" in records[4]["error"][0]["message"]
    assert run.returncode == 2 and "Traceback" not in run.stderr


def test_out_to_a_pipe_writes_through_it_and_leaves_it_a_pipe(tmp_path):
    """`--out /dev/null` or a FIFO is written straight: renaming a temporary file over it (as root can) would
    replace the device itself."""
    import stat
    import threading

    from typer.testing import CliRunner

    from cli import app
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    result = CliRunner().invoke(app, ["decide", "examples/requests/mou_tracing.json", "--out", str(fifo)])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got and got[0].startswith(b"Request ")
