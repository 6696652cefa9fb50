"""Golden-suite benchmark: `warrant test` over N generated cases, whole process.

    python bench/golden_suite.py [N]      (default 1000)

Writes N synthetic requests as case files in a temporary folder, creates their
expected files with `warrant test --update` (not timed), then times
`warrant test` on them, with and without the proof checker.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from bench.generate import generate  # noqa: E402


def main(n: int) -> int:
    folder = tempfile.mkdtemp(prefix="warrant-golden-")
    for record in generate(n, seed=1000):
        with open(os.path.join(folder, record["id"] + ".json"), "w", encoding="utf-8") as handle:
            json.dump(record, handle)
    command = [sys.executable, os.path.join(ROOT, "cli.py"), "test", folder]
    subprocess.run(command + ["--update"], check=False, stdout=subprocess.DEVNULL)
    print(f"{'cases':>6}  {'run':<40} {'seconds':>8} {'cases/s':>8}")
    code = 0
    for label, extra in (("warrant test (proof-checked)", []), ("warrant test --no-verify", ["--no-verify"])):
        start = time.perf_counter()
        result = subprocess.run(command + extra, check=False, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        code = max(code, result.returncode)
        print(f"{n:>6}  {label:<40} {seconds:>8.2f} {n / seconds:>8.0f}   {result.stdout.strip().splitlines()[-1]}")
    shutil.rmtree(folder)
    return code


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
