"""How `warrant fmt --check` scales with the size of a rule file (it should be linear).

    python bench/fmt_scaling.py [1000 2000 4000 8000]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(sizes: list[int]) -> None:
    print(f"{'rules':>7}  {'seconds':>8}  per 1,000 rules")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = os.path.join(folder, f"r{size}.warrant")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write('source s { publisher "p" title "t" }\n')
                handle.writelines(f'# rule {i}\nforbid f{i} for Item "s" cites s when flag  # tail\n'
                                  for i in range(size))
            start = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "fmt", "--check", path],
                           capture_output=True, check=False)
            took = time.perf_counter() - start
            print(f"{size:>7}  {took:>8.2f}  {1000 * took / size:.3f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 2000, 4000, 8000])
