"""Completion: what may come at the cursor, read from the text before it on its line.

`context(prefix)` names the place (a condition, a set after `in`, a source
after `cites`, a reading after `assuming NAME =` ...) and `candidates`
turns it into (label, kind, detail, documentation) from the rulebase's
names index. Both are pure, so they are tested without an editor.

    >>> context("     and Item in trust_deb")
    ('set', {}, 'trust_deb')
    >>> context("     and assuming purpose_test = ")
    ('reading', {'assumption': 'purpose_test'}, '')
    >>> context('    cites ein_2018 "para 3", ')
    ('source', {}, '')
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DECLARATIONS = ("source", "assumption", "set", "value", "enum", "field", "policy", "draft", "invariant", "permit",
                "forbid", "define")
CONDITION_WORDS = ("not", "assuming", "in force(")
RULE_WORDS = ("cites", "assumes", "requires", "when", "and")
FIELD_WORDS = ("many", "required", "fixed", "judgement", "as", "records", "boolean", "date", "money", "months",
               "number", "symbol")

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_NAME = r"[a-z][a-z0-9_]*"
_PLACES = (                                                  # (pattern on the text before the word, place)
    (re.compile(rf"\bassuming\s+({_NAME})\s*=\s*$"), "reading"),
    (re.compile(r"\bassuming\s+$"), "assumption"),
    (re.compile(rf"\bassumes\s+(?:{_NAME}\s*,\s*)*$"), "assumption"),
    (re.compile(r'\bcites\s+(?:[a-z][a-z0-9_]*\s*(?:"(?:[^"\\]|\\.)*")?\s*,\s*)*$'), "source"),
    (re.compile(r"\bin\s+force\s*\(\s*$"), "policy"),
    (re.compile(r"\bversion\s+of\s+$"), "lineage"),
    (re.compile(r"\bin\s+$"), "set"),
    (re.compile(rf"({_NAME})\s*\((?:[^()]*,)?\s*$"), "argument"),
    (re.compile(r"(?:>=|<=|!=|=|<|>)\s*$"), "value"),
    (re.compile(r"(?:^|\bwhen|\band)\s+$"), "condition"),
    (re.compile(r"\bnot\s+$"), "negated"),
    (re.compile(r"^\s*field\s+[^:]*:\s*[a-z\s]*$"), "type"),
)


def context(prefix: str) -> tuple[str, dict, str]:
    """(place, what it depends on, the part of a word already typed) for the text before the cursor."""
    prefix = prefix[-400:]
    found = _WORD.search(prefix)
    typed = found.group() if found else ""
    before = prefix[:len(prefix) - len(typed)]
    if before.strip() == "" and not before:
        return "top", {}, typed
    if '"' in before and before.count('"') % 2 == 1 or "#" in _outside_strings(before):
        return "none", {}, typed                  # inside a string or a comment
    for pattern, place in _PLACES:
        match = pattern.search(before)
        if match:
            if place == "reading":
                return place, {"assumption": match.group(1)}, typed
            if place == "argument":
                return place, {"predicate": match.group(1)}, typed
            if place == "condition" and before.strip() == "":
                return ("condition" if before else "top"), {}, typed
            return place, {}, typed
    return "any", {}, typed


def _outside_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', "", text)


@dataclass(frozen=True)
class Candidate:
    label: str
    kind: str              # a name's kind, or "keyword"
    detail: str = ""
    documentation: str = ""
    insert: str | None = None


def _names(index, *kinds):
    seen = set()
    for name in index.names:
        if name.kind in kinds and (name.kind, name.name) not in seen:
            seen.add((name.kind, name.name))
            yield Candidate(name.name, name.kind, name.detail[:100], name.doc)


def _keywords(words):
    return [Candidate(w, "keyword", insert=w) for w in words]


def candidates(place: str, extra: dict, index) -> list[Candidate]:
    """What to offer at a place, from a names index (`warrant.NameIndex`)."""
    if place == "none":
        return []
    if place == "reading":
        return [Candidate(n.name, n.kind, n.detail[:100], n.doc) for n in index.names
                if n.kind == "reading" and n.container == extra["assumption"]]
    if place == "assumption":
        return list(_names(index, "assumption"))
    if place == "source":
        return list(_names(index, "source"))
    if place == "policy":
        return list(_names(index, "policy", "lineage"))
    if place == "lineage":
        return list(_names(index, "lineage"))
    if place == "set":
        return list(_names(index, "set")) + _keywords(["force("])
    if place == "argument":
        values = [v for n in index.names if n.kind == "field" and n.name == extra["predicate"] for v in n.values]
        return [c for c in _names(index, "enum value") if c.label in values] or list(_names(index, "enum value"))
    if place == "value":
        return list(_names(index, "value", "enum value"))
    if place in ("condition", "negated"):
        words = CONDITION_WORDS if place == "condition" else ("assuming", "in force(", "in")
        return list(_names(index, "field", "definition")) + _keywords(words)
    if place == "type":
        return list(_names(index, "enum")) + _keywords(FIELD_WORDS)
    if place == "top":
        return _keywords(DECLARATIONS)
    return (list(_names(index, "field", "definition", "set", "value", "assumption", "source"))
            + _keywords(DECLARATIONS + RULE_WORDS + CONDITION_WORDS))
