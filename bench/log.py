"""Benchmark: what the decision log costs a batch, and how fast a log replays.

    python bench/log.py [N] [--jobs J] [--no-postgres]      (default N 100000, J 2)

In one run, on the shipped rulebase and N generated requests: decisions/s
of `decide --batch --trace refused` with no log, with a SQLite log and with
a PostgreSQL log (a server this script starts in a temporary folder, as the
tests do); the log's bytes per decision; and replay of the N logged
decisions against the same rulebase beside the plain batch (`--trace
none`). Targets (issue "A decision log"): the log costs at most 25% of the
batch rate with refusal traces stored; replay runs at no less than half
the plain batch rate.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests"))

import warrant  # noqa: E402


def _batch(rulebase, path, trace, jobs, log=None) -> float:
    started = time.perf_counter()
    run = rulebase.decide_batch(path, trace=trace, jobs=jobs, log=log)
    for _ in run:
        pass
    return time.perf_counter() - started


def _size(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rulebase = warrant.load()
    folder = tempfile.mkdtemp(prefix="warrant-bench-log-")
    server = None
    try:
        path = os.path.join(folder, "batch.jsonl")
        with open(path, "w", encoding="utf-8") as handle:
            for request in rulebase.generate(args.n, seed=2026):
                handle.write(json.dumps(request) + "\n")
        rows = []
        plain = _batch(rulebase, path, "refused", args.jobs)
        rows.append(("batch --trace refused, no log", args.n / plain, ""))
        sqlite_path = os.path.join(folder, "decisions.db")
        log = warrant.DecisionLog(sqlite_path)
        logged = _batch(rulebase, path, "refused", args.jobs, log)
        log.store.query("PRAGMA wal_checkpoint(TRUNCATE)")
        per = _size(sqlite_path) / args.n
        rows.append(("batch --trace refused, SQLite log", args.n / logged,
                     f"{(1 - plain / logged) * 100:4.1f}% cost, {per:,.0f} bytes/decision"))
        if not args.no_postgres:
            import pg
            why = pg.unavailable()
            if why:
                rows.append(("batch --trace refused, PostgreSQL log", 0.0, f"skipped: {why}"))
            else:
                server = pg.Server()
                pg_log = warrant.DecisionLog(server.url)
                pg_time = _batch(rulebase, path, "refused", args.jobs, pg_log)
                size = pg_log.store.query("SELECT pg_total_relation_size('warrant_decisions') + "
                                          "pg_total_relation_size('warrant_decision_items')")[0][0]
                rows.append(("batch --trace refused, PostgreSQL log", args.n / pg_time,
                             f"{(1 - plain / pg_time) * 100:4.1f}% cost, {size / args.n:,.0f} bytes/decision"))
                pg_log.close()
        summary = _batch(rulebase, path, "none", args.jobs)
        rows.append(("batch --trace none, no log", args.n / summary, ""))
        started = time.perf_counter()
        found = log.replay(rulebase, jobs=args.jobs)
        replayed = time.perf_counter() - started
        assert found.replayed == args.n and found.changed == 0, found.to_json()
        rows.append(("replay of the SQLite log, same rulebase", args.n / replayed,
                     f"{summary / replayed:.2f}x the plain batch rate; 0 changed"))
        started = time.perf_counter()
        verified = log.verify()
        rows.append(("verify of the SQLite log", args.n / (time.perf_counter() - started),
                     "chain intact" if verified.ok else "BROKEN"))
        log.close()
        print(f"{'what (' + format(args.n, ',') + ' requests, --jobs ' + str(args.jobs) + ')':<46} {'decisions/s':>12}")
        for name, rate, note in rows:
            print(f"{name:<46} {rate:>12,.0f}  {note}")
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
