"""Every bound Warrant puts on its input, in one place (README, "Limits").

A limit reached is the user's error, located where there is a place to
point at (code R007 for requests and batch lines, W006 for rule files, O013
for options), reached in bounded time and memory: sizes are checked before
anything is parsed, structure while it is walked, never by recursion that
could exhaust the stack.
"""
from __future__ import annotations

MAX_REQUEST_BYTES = 1 << 20        # a request file: 1 MiB (a real request is a few hundred bytes)
MAX_LINE_BYTES = 1 << 20           # one line of a JSON Lines batch: 1 MiB
MAX_DEPTH = 16                     # nesting of mappings and lists in a request
MAX_KEYS = 256                     # keys in one mapping of a request
MAX_STRING = 10_000                # characters in one string of a request
MAX_DIGITS = 15                    # digits in one number of a request
MAX_LIST = 1000                    # entries in one list (items, offences, convictions ...)
MAX_MONTHS = 1200                  # months in one sentence: 100 years is the longest accepted
MAX_RULE_FILE_BYTES = 4 << 20      # one rule file: 4 MiB
MAX_CONDITIONS = 256               # conditions in one rule body
MAX_DEFINITION_DEPTH = 64          # definitions built on definitions, deepest chain (proofs follow it)
MAX_JOBS = 64                      # worker processes for --jobs
MAX_GENERATE = 100_000_000         # requests `warrant generate` makes in one run (streamed)
MAX_DISTRIBUTION_BYTES = 1 << 20   # a distribution.yaml: 1 MiB
MAX_OPEN_QUESTIONS = 8             # judgements a request leaves open that rules read (2^n evaluations)
MAX_DATED_CLAUSES = 10_000         # dated sets' members and named values, summed over their periods (each a clause)
MAX_READINGS = 32                  # named readings of one assumption (one switch each; the analysis pairs them)

TABLE = (
    ("request file size", f"{MAX_REQUEST_BYTES:,} bytes", "R007"),
    ("batch line size", f"{MAX_LINE_BYTES:,} bytes", "R007 (an error record)"),
    ("YAML anchors and aliases", "refused", "R007"),
    ("nesting depth of a request", str(MAX_DEPTH), "R007"),
    ("keys in one mapping", str(MAX_KEYS), "R007"),
    ("characters in one string", f"{MAX_STRING:,}", "R007"),
    ("digits in one number", str(MAX_DIGITS), "R007"),
    ("entries in one list", f"{MAX_LIST:,}", "R004"),
    ("months in one sentence", f"{MAX_MONTHS:,}", "R004"),
    ("rule file size", f"{MAX_RULE_FILE_BYTES:,} bytes", "W006"),
    ("conditions in one rule", str(MAX_CONDITIONS), "W006"),
    ("depth of definitions built on definitions", str(MAX_DEFINITION_DEPTH), "W006"),
    ("--jobs", f"1 to {MAX_JOBS} (0: one per core)", "O013"),
    ("warrant generate COUNT", f"{MAX_GENERATE:,}", "O013"),
    ("distribution.yaml size", f"{MAX_DISTRIBUTION_BYTES:,} bytes", "D005"),
    ("judgements a request leaves open that the rules read", str(MAX_OPEN_QUESTIONS), "R009"),
    ("dated sets' members and named values, over all their periods", f"{MAX_DATED_CLAUSES:,}", "W006"),
    ("named readings of one assumption", str(MAX_READINGS), "W006"),
)
