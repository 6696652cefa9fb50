"""Seeded synthetic requests of the shipped rulebase: a script front for engine/batch/synthetic.py.

The distribution is the rulebase's own (rules/distribution.yaml); the format is documented in engine/batch/synthetic.py.

    python bench/generate.py COUNT [SEED] > requests.jsonl
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from warrant.batch.synthetic import generate as _generate  # noqa: E402

__all__ = ["generate"]
_RULEBASE: list = []


def generate(count: int, seed: int = 7):
    """`count` synthetic requests of the shipped rulebase from `seed`, lazily."""
    if not _RULEBASE:
        from warrant.pipeline.rulebase import DEFAULT_RULES, load_rulebase
        _RULEBASE.append(load_rulebase([DEFAULT_RULES]))
    return _generate(_RULEBASE[0], count, seed)

if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    for record in generate(count, int(sys.argv[2]) if len(sys.argv) > 2 else 7):
        sys.stdout.write(json.dumps(record) + "\n")
