"""Entries: a decision made into the record the log keeps, and records linked into the chain.

A record's body is canonical JSON (keys sorted, no spaces, UTF-8) holding
everything needed to re-run the decision and to show a person why, with
no rulebase at hand: the id (UUIDv7), when it was made, the date decided
as at, the request (masked as the rulebase declares), each item's outcome
with its deciding rules, their policies and citations, obligations and
open judgements, the rulebase's name and digest, the engine's version and
the settings. The decision document itself (what `--format json` or the
batch printed, traces included) is kept beside the body, compressed, and
the body holds its sha256: replay and the filters read the small body
alone, and the chain still covers every byte. The body's sha256 and the
previous record's chain hash make the record's own chain hash (`link`).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import threading
import time
import zlib
from dataclasses import dataclass

from warrant import __version__
from warrant.log.masking import mask_request, scrub
from warrant.log.store import GENESIS

_LOCK = threading.Lock()
_LAST = [0, 0]        # (ms, counter) of the last UUIDv7 made in this process: ids stay ordered within a ms


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a counter and random bits; sorts by time."""
    with _LOCK:
        ms = time.time_ns() // 1_000_000
        if ms <= _LAST[0]:
            ms, counter = _LAST[0], _LAST[1] + 1
            if counter >= 1 << 12:                 # 4,096 in one millisecond: borrow the next one
                ms, counter = ms + 1, 0
        else:
            counter = 0
        _LAST[:] = [ms, counter]
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8",
                                                                                              "surrogatepass")


@dataclass(frozen=True, slots=True)
class Entry:
    """One record before it has a place in the chain: its columns, item rows and body."""

    id: str
    kind: str
    made_at: str
    decided_on: str | None
    outcome: str | None
    request_id: str | None
    rulebase_name: str | None
    rulebase_sha256: str | None
    engine: str
    batch: str | None
    line: int | None
    body: bytes                      # canonical JSON, zlib-compressed (where it was made: a batch worker)
    decision: bytes | None           # the decision document as printed, zlib-compressed
    content_sha256: str
    items: tuple                     # (item, outcome, rule, policy) rows


def chain_hash(prev: str, content: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev) + bytes.fromhex(content)).hexdigest()


def link(entries, last) -> tuple[list, list]:
    """(record rows, item rows) of entries placed after `last` ((seq, sha256) or None), in order."""
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    rows, items = [], []
    for entry in entries:
        seq += 1
        sha = chain_hash(prev, entry.content_sha256)
        rows.append((seq, entry.id, entry.kind, entry.made_at, entry.decided_on, entry.outcome, entry.request_id,
                     entry.rulebase_name, entry.rulebase_sha256, entry.engine, entry.batch, entry.line,
                     entry.body, entry.decision, entry.content_sha256, prev, sha))
        items.extend((seq, *row) for row in entry.items)
        prev = sha
    return rows, items


def make_entry(body: dict, decision: bytes | None = None) -> Entry:
    """The entry of a finished body (a decision's or a checkpoint's) and its decision document's bytes:
    columns read from the body itself, so verification can read them back the same way (`columns_of`)."""
    data = canonical(body)
    return Entry(body["id"], body["kind"], body["made_at"], *columns_of(body), body.get("engine", __version__),
                 body.get("batch"), body.get("line"), zlib.compress(data, 1),
                 zlib.compress(decision, 1) if decision is not None else None, hashlib.sha256(data).hexdigest(),
                 item_rows(body))


def columns_of(body: dict) -> tuple:
    """(decided_on, outcome, request_id, rulebase name, rulebase sha256): the indexed columns of a body."""
    rulebase = body.get("rulebase") or {}
    return (body.get("decided_on"), body.get("outcome"), body.get("request_id"), rulebase.get("name"),
            rulebase.get("sha256"))


def item_rows(body: dict) -> tuple:
    """(item, outcome, rule, policy) per deciding rule of each item (one row with no rule when none)."""
    rows = []
    for item in body.get("items", ()):
        rules = item.get("rules") or [None]
        policies = item.get("policies") or {}
        for rule in rules:
            rows.append((item["item"], item["outcome"], rule, policies.get(rule) if rule else None))
    return tuple(rows)


class Recorder:
    """Makes log entries for one rulebase: its name, digest, masks and rule facts worked out once."""

    def __init__(self, rulebase, via: str, batch: str | None = None):
        from warrant.log.masking import masks_of
        from warrant.pipeline.record import rulebase_digest
        self.rulebase = rulebase
        self.via = via
        self.batch = batch             # the batch's key (its input and settings): what --resume looks for
        digest = rulebase_digest(rulebase)
        folder = rulebase.folder or (os.path.dirname(os.path.abspath(rulebase.files[0])) if rulebase.files else "")
        self.name = os.path.basename(os.path.abspath(folder)) if folder else ""
        self.sha256 = digest.get("sha256")
        self.masks = masks_of(rulebase.vocabulary)
        self._rules: dict = {}

    def rule_facts(self, rule: str) -> tuple:
        """(policy, citations as JSON) of a deciding rule, once per rule."""
        found = self._rules.get(rule)
        if found is None:
            source = self.rulebase.checked.rules.get(rule)
            policy = getattr(source, "policy", None)
            cites = [{"source": c.source, "locator": c.locator, "label": c.label}
                     for c in self.rulebase.rule_citations(rule)] if rule in self.rulebase.program.rules else []
            found = self._rules[rule] = (policy, cites)
        return found

    def entry(self, document: dict, request_data: dict, *, trace: str, rows=None, batch: str | None = None,
              line: int | None = None, extra: dict | None = None, text: str | None = None) -> Entry:
        """The entry of one decision: `document` as printed (a decision's JSON or a batch record), the
        request document as decided, and optionally its (item, outcome, deciding rule) rows when the
        document does not carry its proofs (a batch summary); `extra` goes into the body as it is (what a
        renderer needs to print the decision again: whether changes were searched, units); `text`, the
        document as already encoded (a batch's output line), is kept as it is rather than encoded again."""
        record = document.get("record") or {}
        settings = record.get("settings") or {}
        masked_request, masked, replace = mask_request(request_data, self.masks)
        if replace:
            document, text = scrub(document, replace), None
        if text is None:
            text = json.dumps(document, ensure_ascii=False, sort_keys=True)
        data = text.rstrip("\n").encode("utf-8", "surrogatepass")
        items = self._items(document, rows)
        body = {
            "kind": "decision", "id": uuid7(), "made_at": now(), "via": self.via,
            "decided_on": settings.get("date") or document.get("date"),
            "outcome": document.get("outcome"), "request_id": document.get("request"),
            "request": masked_request, "items": items, "decision_sha256": hashlib.sha256(data).hexdigest(),
            "trace": trace,
            "rulebase": {"name": self.name, "sha256": self.sha256}, "engine": __version__,
            "settings": settings, "overrides": [s for s in document.get("settings", ())
                                                if isinstance(s, dict) and s.get("setting") == "--set"],
        }
        if masked:
            body["masked"] = masked
        if document.get("open_questions"):
            body["open_judgements"] = document["open_questions"]
        if batch is not None:
            body["batch"], body["line"] = batch, line
        body.update(extra or {})
        return make_entry(body, data)

    def _items(self, document: dict, rows) -> list:
        by_rule = {}
        if rows is not None:
            by_rule = {item: rule for item, _, rule in rows}
        out = []
        for item in document.get("items", ()):
            rules = _deciding(item)
            if not rules and by_rule.get(item["item"]):
                rules = [by_rule[item["item"]]]
            entry = {"item": item["item"], "outcome": item["outcome"], "rules": rules}
            if item.get("reason"):
                entry["reason"] = item["reason"]
            if rules:
                facts = [self.rule_facts(r) for r in rules]
                entry["policies"] = {r: p for r, (p, _) in zip(rules, facts) if p}
                entry["citations"] = {r: c for r, (_, c) in zip(rules, facts)}
            if item.get("obligations"):
                entry["obligations"] = item["obligations"]
            out.append(entry)
        return out


def _deciding(item: dict) -> list:
    """The rule that decided an item, as the engine names it (`pipeline/decide.py` `deciding_rules`): the
    first proof's rule (the prohibition that refused it, or the permission that permitted it); none for an
    item refused for want of a permission or left undetermined."""
    proofs = item.get("proofs") or ()
    return [proofs[0]["rule"]] if proofs and proofs[0].get("rule") else []
