"""Start-up benchmark: one `warrant decide` of an example request, whole process.

    python bench/startup.py [RUNS]      (default 11)

Prints the median and spread of wall time for a JSON and a YAML example, with
the compiled-rulebase cache warm and cold. Bytecode caching is switched on
for the measurement (PYTHONDONTWRITEBYTECODE removed), as on a user's machine.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = ["examples/requests/mou_tracing.json", "examples/requests/readme_debt_exactly_500.yaml"]


def timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main(runs: int) -> int:
    warrant = shutil.which("warrant") or os.path.join(os.path.dirname(sys.executable), "warrant")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cache = tempfile.mkdtemp(prefix="warrant-cache-")
    env["WARRANT_CACHE"] = cache
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "engine"),
                    os.path.join(ROOT, "cli.py")], env=env, check=False, stdout=subprocess.DEVNULL)
    print(f"{'request':<48} {'cache':<6} {'median ms':>9} {'min':>6} {'max':>6}")
    for example in EXAMPLES:
        for state in ("cold", "warm"):
            samples = []
            for _ in range(runs):
                if state == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                samples.append(timed([warrant, "decide", example], env) * 1000)
            print(f"{example:<48} {state:<6} {statistics.median(samples):>9.0f} {min(samples):>6.0f} "
                  f"{max(samples):>6.0f}")
    base = [timed([sys.executable, "-c", "pass"], env) * 1000 for _ in range(runs)]
    imports = [timed([sys.executable, "-c", "import cli"], env) * 1000 for _ in range(runs)]
    print(f"{'python -c pass':<55} {statistics.median(base):>9.0f}")
    label = 'python -c "import cli" (typer and the CLI module)'
    print(f"{label:<55} {statistics.median(imports):>9.0f}")
    shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 11))
