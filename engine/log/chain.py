"""The chain: every record's sha256 covers its content and the record before it, so an edit, a deletion or
a reordering anywhere is found by walking it (`verify`), and retention (`prune`) removes old records only
by leaving a checkpoint that vouches for exactly what went.

A record's content hash is the sha256 of its uncompressed body; its chain
hash is sha256(previous chain hash + content hash), the first record's
previous hash 64 zeros. The indexed columns and item rows are read back
from the body and must agree with it, so a filter cannot be fooled by an
edited column either. Truncating the newest records leaves a shorter
valid chain: keep the head hash `verify` prints somewhere else (a ticket,
another system) to detect that too.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import zlib
from dataclasses import dataclass

from warrant.log.entry import chain_hash, columns_of, item_rows, make_entry, now, uuid7
from warrant.log.store import COLUMNS, GENESIS

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM warrant_decisions WHERE seq > ? ORDER BY seq"


@dataclass(frozen=True)
class Verification:
    """What `warrant log verify` found: the records walked, the head, and the first broken link."""

    records: int
    head: str
    problem: dict | None = None           # {"seq", "id", "problem"}; None: the chain holds
    pruned: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict:
        out = {"ok": self.ok, "records": self.records, "head_sha256": self.head, "pruned": self.pruned}
        if self.problem:
            out["problem"] = self.problem
        return out

    def render(self, fmt: str = "text") -> str:
        if fmt == "json":
            return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"
        if self.ok:
            pruned = f" ({self.pruned:,} pruned, vouched for by checkpoints)" if self.pruned else ""
            return f"verified: {self.records:,} record(s), chain intact{pruned}; head sha256 {self.head}\n"
        p = self.problem
        return (f"broken: record {p['seq']} (id {p['id']}): {p['problem']}\n"
                f"  {self.records:,} record(s) before it verified\n")


def body_of(row) -> dict:
    return json.loads(zlib.decompress(row[COLUMNS.index("body")]))


def verify(store) -> Verification:
    """Walk the whole chain in order, in pages; stop at the first broken link."""
    gaps = _pruned_ranges(store)
    prev_seq, prev_sha, count, pruned = 0, GENESIS, 0, 0
    items = _item_rows(store)
    next_items = next(items, None)
    for row in _records(store):
        seq, rid = row[0], row[1]
        problem = None
        while seq != prev_seq + 1:         # a gap: pruned ranges (of one or more prunes) must cover it exactly
            gap = gaps.get(prev_seq + 1)
            if gap is None or gap["last_seq"] >= seq or gap["prev_sha256"] != prev_sha:
                return Verification(count, prev_sha, {"seq": seq, "id": rid, "problem":
                    f"records {prev_seq + 1} to {seq - 1} are missing and no checkpoint vouches for their pruning "
                    f"(deleted)"}, pruned)
            pruned += gap["last_seq"] - prev_seq
            prev_seq, prev_sha = gap["last_seq"], gap["last_sha256"]
        try:
            raw = zlib.decompress(row[COLUMNS.index("body")])
            body = json.loads(raw)
        except (zlib.error, ValueError, TypeError):
            return Verification(count, prev_sha, {"seq": seq, "id": rid, "problem": "its body cannot be read "
                                                  "(edited or damaged)"}, pruned)
        content = hashlib.sha256(raw).hexdigest()
        got = dict(zip(COLUMNS, row))
        if content != got["content_sha256"]:
            problem = "its content does not match its content_sha256 (edited)"
        elif got["prev_sha256"] != prev_sha:
            problem = "it does not follow the record before it (records reordered, or one removed)"
        elif chain_hash(prev_sha, content) != got["sha256"]:
            problem = "its sha256 is not the hash of the previous record's and its content"
        elif _decision_sha(got["decision"]) != body.get("decision_sha256"):
            problem = "its decision document does not match the decision_sha256 its content holds (edited)"
        else:
            expected = make_entry(body)
            wanted = {"id": expected.id, "kind": expected.kind, "made_at": expected.made_at,
                      "engine": expected.engine, "batch": expected.batch, "line": expected.line,
                      **dict(zip(("decided_on", "outcome", "request_id", "rulebase_name", "rulebase_sha256"),
                                 columns_of(body)))}
            wrong = sorted(k for k, v in wanted.items() if got[k] != v)
            if wrong:
                problem = f"its column(s) {', '.join(wrong)} do not match its content (edited)"
        stored = []
        while next_items is not None and next_items[0] <= seq:
            if next_items[0] < seq:
                return Verification(count, prev_sha, {"seq": next_items[0], "id": "", "problem":
                                    "item rows belong to no record (a record was deleted)"}, pruned)
            stored.append(tuple(next_items[1:]))
            next_items = next(items, None)
        if problem is None and sorted(stored, key=_order) != sorted(item_rows(body), key=_order):
            problem = "its item rows do not match its content (edited)"
        if problem:
            return Verification(count, prev_sha, {"seq": seq, "id": rid, "problem": problem}, pruned)
        count += 1
        prev_seq, prev_sha = seq, got["sha256"]
    if next_items is not None:
        return Verification(count, prev_sha, {"seq": next_items[0], "id": "", "problem":
                            "item rows belong to no record (a record was deleted)"}, pruned)
    return Verification(count, prev_sha, None, pruned)


def _decision_sha(packed) -> str | None:
    if packed is None:
        return None
    try:
        return hashlib.sha256(zlib.decompress(packed)).hexdigest()
    except zlib.error:
        return "unreadable"


def _order(row):
    return tuple("" if v is None else str(v) for v in row)


def _records(store):
    yield from store.pages(_SELECT, (0,))


def _item_rows(store):
    """Every item row in seq order, read a range of records at a time (a record has several item rows, so
    the pages are ranges of seq, never cut inside one record's rows)."""
    after = -1
    while True:
        top = store.query("SELECT MAX(seq) FROM (SELECT seq FROM warrant_decisions WHERE seq > ? ORDER BY seq "
                          "LIMIT 1000) AS page", (after,))[0][0]
        if top is None:
            top = store.query("SELECT MAX(seq) FROM warrant_decision_items")[0][0]
            if top is None or top <= after:
                return
        yield from store.query("SELECT seq, item, outcome, rule, policy FROM warrant_decision_items WHERE seq > ? "
                               "AND seq <= ? ORDER BY seq", (after, top))
        after = top


def _pruned_ranges(store) -> dict:
    """first pruned seq -> the range a checkpoint vouches for (checked again as the walk reaches it)."""
    gaps = {}
    for (raw,) in store.query("SELECT body FROM warrant_decisions WHERE kind = 'checkpoint' ORDER BY seq"):
        try:
            body = json.loads(zlib.decompress(raw))
        except (zlib.error, ValueError, TypeError):
            continue
        for gap in body.get("pruned", {}).get("ranges", ()):
            gaps[gap["first_seq"]] = gap
    return gaps


def prune(store, before: str, by: str | None = None) -> dict:
    """Remove the decisions made before `before` (a date, UTC) and append a checkpoint that vouches for
    them: how many, each removed range's first and last seq with the hashes that join the chain across
    it, when and by whom. Checkpoints themselves are never removed."""
    made = {}

    def rows(last, doomed):
        if not doomed:
            return [], []
        ranges, start = [], None
        for seq, prev, sha in doomed:
            if start is None or seq != end + 1:
                if start is not None:
                    ranges.append(current)
                start = seq
                current = {"first_seq": seq, "prev_sha256": prev}
            current.update(last_seq=seq, last_sha256=sha)
            end = seq
        ranges.append(current)
        body = {"kind": "checkpoint", "id": uuid7(), "made_at": now(), "by": by or _user(),
                "pruned": {"count": len(doomed), "before": before, "ranges": ranges,
                           "first_sha256": doomed[0][2], "last_sha256": doomed[-1][2]}}
        made.update(body)
        from warrant.log.entry import link
        return link([make_entry(body)], last)

    store.delete_and_append("kind = 'decision' AND made_at < ?", (before,), rows)
    return made


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "unknown"
