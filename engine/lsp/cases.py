"""Golden cases in the editor: which rulebase a case file belongs to, and a decision or a case's run as words
and as places in the case's files.

A case is a request file (`.yaml`, `.yml`, `.json`) beside its
`NAME.expected.json`, in a rulebase's `cases/` (the shipped rulebase's in
tests/golden/decisions/). `warrant.Rulebase.test()` runs it; a failed run's
unified diff of the expected file is read back here into the expected
file's lines that differ, and the items whose outcome moved are found in the
request file, so an editor can underline both. Pure, apart from reading
folder listings.

    >>> blocks(["@@ -3,2 +3,2 @@", '   "item": "name",', '-  "outcome": "permitted"', '+  "outcome": "refused"'])
    [(4, 4, ['  "outcome": "permitted"'], ['  "outcome": "refused"'])]
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

SUFFIXES = (".yaml", ".yml", ".json")
EXPECTED = ".expected.json"
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def is_case(path: str) -> bool:
    return path.endswith(SUFFIXES) and not path.endswith(EXPECTED)


def expected_of(path: str) -> str:
    return path.rsplit(".", 1)[0] + EXPECTED


def _holds_rules(folder: str) -> bool:
    try:
        return any(name.endswith(".warrant") for name in os.listdir(folder))
    except OSError:
        return False


def case_rulebase(path: str, depth: int = 5) -> str | None:
    """The rulebase folder a case file belongs to: the nearest folder above it holding rule files, or holding a
    `rules/` folder that does (the shipped rulebase for tests/golden/decisions/)."""
    folder = os.path.dirname(os.path.realpath(path))
    for _ in range(depth):
        if _holds_rules(folder):
            return folder
        if _holds_rules(os.path.join(folder, "rules")):
            return os.path.join(folder, "rules")
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return None


def decision_words(decision) -> str:
    """A decision in one line per item: its outcome, and the rules that decided it."""
    lines = [f"{decision.request_id}: {decision.outcome.value.replace('_', ' ')}"]
    for item in decision.items:
        rules = f" ({', '.join(item.rules)})" if item.rules else ""
        lines.append(f"{item.item}: {item.outcome.value.replace('_', ' ')}{rules}")
    return "\n".join(lines)


def blocks(diff_lines: list[str]) -> list[tuple[int, int, list[str], list[str]]]:
    """The expected file's changed places in a unified diff: (first line, last line, 1-based, inclusive;
    the expected file's lines there, the decision's lines instead). A pure addition is placed on the line it
    would come before."""
    found: list[tuple[int, int, list[str], list[str]]] = []
    line, current = 0, None
    for text in diff_lines:
        header = _HUNK.match(text)
        if header:
            line, current = int(header.group(1)) or 1, None
            continue
        if not line or text.startswith(("---", "+++")):
            continue
        if text.startswith("-"):
            if current is None:
                current = [line, line, [], []]
                found.append(current)
            current[1] = line
            current[2].append(text[1:])
            line += 1
        elif text.startswith("+"):
            if current is None:
                current = [line, line, [], []]
                found.append(current)
            current[3].append(text[1:])
        else:
            current = None
            line += 1
    return [tuple(block) for block in found]


@dataclass(frozen=True)
class Finding:
    """A place in a case's file to underline: its lines (0-based, inclusive), severity (error or warning), and
    the message."""

    path: str
    line: int
    end_line: int
    severity: str
    message: str


def _item_line(request_text: str, item: str) -> int:
    lines = request_text.split("\n")
    start = next((i for i, l in enumerate(lines) if re.match(r'\s*"?items"?\s*:', l)), 0)
    word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(item)}(?![A-Za-z0-9_])")
    return next((i for i in range(start, len(lines)) if word.search(lines[i])), start)


def _short(lines: list[str], limit: int = 3) -> str:
    shown = [l.strip() for l in lines[:limit]]
    more = f" (+{len(lines) - limit} lines)" if len(lines) > limit else ""
    return " / ".join(shown) + more


def case_findings(result, request_text: str) -> list[Finding]:
    """Where a case's run differs from its expected file: each moved item on its line of the request, the
    expected file's differing lines, or the case file's error. Nothing for a passed case."""
    path, expected = result.path, result.expected_path
    name = os.path.basename(expected)
    if result.status in ("passed", "updated"):
        return []
    if result.status == "error":
        first = result.diff.strip().splitlines()[0] if result.diff.strip() else "the case file is bad"
        return [Finding(path, 0, 0, "error", f"the case cannot be run: {first}")]
    if result.status == "missing":
        return [Finding(path, 0, 0, "warning", f"no expected file {name}: run `warrant test --update` on this case")]
    out = []
    for moved in result.moved:
        item, change = moved.split(": ", 1)
        before, after = change.split(" -> ", 1)
        line = _item_line(request_text, item)
        out.append(Finding(path, line, line, "error",
                           f"`{item}` is {after.replace('_', ' ')}, but {name} expects it "
                           f"{before.replace('_', ' ')}"))
    lines = result.diff.splitlines()
    if not result.moved:
        headline = lines[0] if lines and not lines[0].startswith(("---", "@@")) else "the decision differs"
        out.append(Finding(path, 0, 0, "warning", f"{headline.rstrip(':')} from {name}"))
    for first, last, removed, added in blocks(lines):
        if removed and added:
            message = f"the decision differs here: expected {_short(removed)}; decided {_short(added)}"
        elif removed:
            message = f"the decision lacks: {_short(removed)}"
        else:
            message = f"the decision also has: {_short(added)}"
        out.append(Finding(expected, first - 1, last - 1, "warning", message))
    return out
