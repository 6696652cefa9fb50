"""Batch files and concurrent logging writers, shared by the decision log's tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys

WARRANT = [sys.executable, "-c", "from warrant._cli import main; main()"]


def batch_file(folder, rulebase, count: int, seed: int = 5) -> str:
    """`count` generated requests of `rulebase` as a JSON Lines file in `folder`."""
    path = os.path.join(folder, f"batch_{count}_{seed}.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        for request in rulebase.generate(count, seed=seed):
            handle.write(json.dumps(request) + "\n")
    return path


def decide_at_once(url: str, paths) -> None:
    """One `warrant decide --batch --log URL` process per file, all running at the same time, each finished."""
    procs = [subprocess.Popen([*WARRANT, "decide", "--batch", str(p), "--log", url, "--jobs", "1", "--trace", "none"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in paths]
    for proc in procs:
        proc.wait(timeout=120)
        assert proc.returncode in (0, 1), proc.stderr.read()
