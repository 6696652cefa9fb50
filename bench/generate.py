"""Seeded synthetic requests: a script front for engine/synthetic.py (the distribution is documented there).

    python bench/generate.py COUNT [SEED] > requests.jsonl
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.synthetic import generate  # noqa: E402

__all__ = ["generate"]

if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    for record in generate(count, int(sys.argv[2]) if len(sys.argv) > 2 else 7):
        sys.stdout.write(json.dumps(record) + "\n")
