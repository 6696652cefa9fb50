"""Before and after: the speed issue's figures for an earlier revision and this tree, in one run.

    python bench/before_after.py REV [--rounds N]      (e.g. REV = a commit or tag)

A shared machine's speed drifts by a third within minutes, so figures taken
at different times do not compare. This checks REV out into a temporary
worktree and runs each figure for REV and for this tree in turn, `--rounds`
times (default 3), printing the median of each: whole-process runs of the
same generated inputs, so both revisions pay the same start-up and I/O.

  refusal traces    3,000 requests, `decide --batch --trace refused --jobs 2`
  decisions         100,000 requests, `decide --batch --trace none --jobs 2`
  start-up          one `decide` of the refused YAML example, warm cache (median of 7)
  golden suite      `warrant test` over 1,000 cases, proof-checked (each revision's own expected files)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.generate import generate  # noqa: E402

EXAMPLE = "examples/requests/readme_debt_exactly_500.yaml"


def _run(tree: str, args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(tree, "cli.py")] + args, cwd=tree, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="warrant-before-after-")
    before = os.path.join(work, "before")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-f", before, options.revision],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        trees = {"before": before, "after": ROOT}
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # each tree runs its own engine: an editable install maps `warrant` to one checkout, so each tree
        # gets a folder on PYTHONPATH (searched first) where `warrant` is its engine/, beside its grammar/
        paths = {}
        for label, tree in trees.items():
            paths[label] = os.path.join(work, f"path-{label}")
            os.mkdir(paths[label])
            for name, target in (("warrant", "engine"), ("grammar", "grammar"), ("rules", "rules")):
                os.symlink(os.path.join(tree, target), os.path.join(paths[label], name))
        inputs = {}
        for name, count in (("traces", 3000), ("decisions", 100_000)):
            inputs[name] = os.path.join(work, f"{name}.jsonl")
            with open(inputs[name], "w", encoding="utf-8") as handle:
                for record in generate(count):
                    handle.write(json.dumps(record) + "\n")
        cases = {}
        for label, tree in trees.items():
            cases[label] = os.path.join(work, f"cases-{label}")
            os.mkdir(cases[label])
            for record in generate(1000, seed=1000):
                with open(os.path.join(cases[label], record["id"] + ".json"), "w", encoding="utf-8") as handle:
                    json.dump(record, handle)
            own = dict(env, WARRANT_CACHE=os.path.join(work, f"cache-{label}"), PYTHONPATH=paths[label])
            _run(tree, ["test", cases[label], "--update"], own)
            _run(tree, ["decide", EXAMPLE], own)                 # warm its rulebase cache
        figures = {
            "refusal traces, 3,000 requests, --jobs 2 (decisions/s)":
                lambda tree, own: 3000 / _run(tree, ["decide", "--batch", inputs["traces"], "--trace", "refused",
                                                     "--jobs", "2", "--out", os.path.join(work, "o")], own),
            "decisions, 100,000 requests, --jobs 2 (decisions/s)":
                lambda tree, own: 100_000 / _run(tree, ["decide", "--batch", inputs["decisions"], "--trace", "none",
                                                        "--jobs", "2", "--out", os.path.join(work, "o")], own),
            "decide one refused request, warm cache (ms)":
                lambda tree, own: statistics.median(_run(tree, ["decide", EXAMPLE], own) * 1000 for _ in range(7)),
            "warrant test, 1,000 cases, proof-checked (s)":
                lambda tree, own: _run(tree, ["test", cases["before" if tree == before else "after"]], own),
        }
        results: dict = {(figure, label): [] for figure in figures for label in trees}
        for _ in range(options.rounds):
            for figure, measure in figures.items():
                for label, tree in trees.items():
                    own = dict(env, WARRANT_CACHE=os.path.join(work, f"cache-{label}"), PYTHONPATH=paths[label])
                    results[(figure, label)].append(measure(tree, own))
        print(f"{'figure':<58} {'before':>10} {'after':>10}   ({options.rounds} rounds, medians; before = "
              f"{options.revision})")
        for figure in figures:
            row = [statistics.median(results[(figure, label)]) for label in trees]
            print(f"{figure:<58} {row[0]:>10,.1f} {row[1]:>10,.1f}")
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", before], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
