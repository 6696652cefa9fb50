"""Faults of the decision log, as they happen: a batch killed with SIGKILL at random moments, its PostgreSQL
server stopped in the middle of a batch. Each run is bounded in count and time and stops by itself."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

import warrant
from batches import batch_file, decide_at_once

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REQUEST = os.path.join(ROOT, "examples", "requests", "readme_debt_exactly_500.yaml")
WARRANT = [sys.executable, "-c", "from warrant._cli import main; main()"]
KILLS = 20


@pytest.fixture(scope="module")
def big_batch(tmp_path_factory):
    rulebase = warrant.load()
    return batch_file(tmp_path_factory.mktemp("faults"), rulebase, 20_000, seed=17)


def _logged_lines(url: str) -> list[int]:
    return [json.loads(line)["line"] for line in warrant.DecisionLog(url).export()]


def test_kill_9_at_random_moments_loses_no_printed_decision(big_batch, tmp_path):
    chance = random.Random(20261207)
    for attempt in range(KILLS):
        url = f"sqlite:///{tmp_path}/killed_{attempt}.db"
        out = tmp_path / f"out_{attempt}.jsonl"
        with open(out, "wb") as sink:
            proc = subprocess.Popen([*WARRANT, "decide", "--batch", big_batch, "--log", url, "--trace", "none",
                                     "--jobs", "1"], stdout=sink, stderr=subprocess.DEVNULL)
            time.sleep(chance.uniform(0.4, 1.3))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        printed = [line for line in out.read_bytes().split(b"\n")[:-1]]      # whole lines only
        logged = _logged_lines(url) if os.path.exists(url[len("sqlite:///"):]) else []
        assert set(range(1, len(printed) + 1)) <= set(logged), attempt         # every printed decision is logged
        assert len(logged) == len(set(logged))
        log = warrant.DecisionLog(url)
        assert log.verify().ok
        warrant.load().decide(REQUEST, log=log, explain="none")                # it opens and appends afterwards
        assert log.verify().records == len(logged) + 1
        log.close()


def test_postgres_stopped_mid_batch_stops_it_cleanly_and_resume_finishes_it(postgres, tmp_path):
    rulebase = warrant.load()
    total = 8000
    path = batch_file(tmp_path, rulebase, total, seed=29)
    url = postgres.fresh("stopped_mid_batch")
    import psycopg
    proc = subprocess.Popen([*WARRANT, "decide", "--batch", str(path), "--log", url, "--trace", "none",
                             "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(url, connect_timeout=5) as conn:
                    if conn.execute("SELECT COUNT(*) FROM warrant_decisions").fetchone()[0] >= 500:
                        break
            except psycopg.Error:
                pass                          # the schema is not there yet
            time.sleep(0.02)
        postgres.stop("immediate")
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        postgres.start()
    message = stderr.decode()
    printed = stdout.decode().splitlines()
    assert proc.returncode == 5, message
    assert "L003" in message and "run it again with --resume" in message
    assert 500 <= len(printed) < total
    logged = _logged_lines(url)
    assert sorted(logged) == list(range(1, len(printed) + 1))          # printed ones, and nothing half-written
    last = warrant.DecisionLog(url).record(message.split("the last decision logged is ")[1].split()[0])
    assert last["line"] == len(printed)
    resumed = subprocess.run([*WARRANT, "decide", "--batch", str(path), "--log", url, "--trace", "none",
                              "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode in (0, 1), resumed.stderr
    assert len(resumed.stdout.splitlines()) == total - len(printed)
    assert sorted(_logged_lines(url)) == list(range(1, total + 1))      # no line twice, none missing
    assert warrant.DecisionLog(url).verify().ok


def test_postgres_two_writers_keep_one_chain(postgres, tmp_path):
    rulebase = warrant.load()
    url = postgres.fresh("two_writers")
    warrant.DecisionLog(url).open().close()
    decide_at_once(url, [batch_file(tmp_path, rulebase, 1500, seed=s) for s in (3, 4)])
    found = warrant.DecisionLog(url).verify()
    assert found.ok and found.records == 3000
