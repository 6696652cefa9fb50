"""Reading the log: one record, filtered pages with a cursor, counts, and a streamed export.

Filters (`Filters`) are the same for `list`, `stats`, `export` and
`replay`: when made (`since`, `until`: a date or a UTC time, `until`
exclusive), the outcome, a deciding rule or policy (any item's), and the
rulebase digest (a prefix of it). A page's cursor is the last record's
place in the chain, so paging is stable while records are appended.
"""
from __future__ import annotations

import datetime as _dt
import json
import zlib
from dataclasses import dataclass

from warrant.log.chain import body_of
from warrant.log.store import COLUMNS
from warrant.pipeline.errors import WarrantError

OUTCOMES = ("permitted", "partially_permitted", "refused", "undetermined")
MAX_PAGE = 1000


@dataclass(frozen=True)
class Filters:
    since: str | None = None
    until: str | None = None
    outcome: str | None = None
    rule: str | None = None
    policy: str | None = None
    rulebase: str | None = None

    @classmethod
    def of(cls, since=None, until=None, outcome=None, rule=None, policy=None, rulebase=None) -> "Filters":
        if outcome is not None and outcome not in OUTCOMES:
            raise WarrantError.at("O004", f"--outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
        if rulebase is not None and not all(c in "0123456789abcdef" for c in rulebase.lower()):
            raise WarrantError.at("O004", f"--rulebase is a sha256 (or its first characters), not {rulebase!r}")
        return cls(instant(since, "--since"), instant(until, "--until"), outcome, rule, policy,
                   rulebase.lower() if rulebase else None)

    def where(self) -> tuple[str, tuple]:
        """(SQL condition, arguments) over `warrant_decisions d`: decisions only, never checkpoints."""
        clauses, args = ["d.kind = 'decision'"], []
        if self.since:
            clauses.append("d.made_at >= ?")
            args.append(self.since)
        if self.until:
            clauses.append("d.made_at < ?")
            args.append(self.until)
        if self.outcome:
            clauses.append("d.outcome = ?")
            args.append(self.outcome)
        if self.rulebase:
            clauses.append("d.rulebase_sha256 LIKE ?")
            args.append(self.rulebase + "%")
        for column, value in (("rule", self.rule), ("policy", self.policy)):
            if value:
                clauses.append(f"EXISTS (SELECT 1 FROM warrant_decision_items i WHERE i.seq = d.seq AND "
                               f"i.{column} = ?)")
                args.append(value)
        return " AND ".join(clauses), tuple(args)


def instant(value, option: str) -> str | None:
    """A date (YYYY-MM-DD, midnight UTC) or an ISO time, as the sortable text `made_at` is stored in."""
    if value is None:
        return None
    text = str(value)
    try:
        if len(text) == 10:
            return _dt.date.fromisoformat(text).isoformat() + "T00:00:00.000000Z"
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WarrantError.at("O002", f"{option} is a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ), "
                                      f"not {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(store, record_id: str) -> dict:
    """The whole record with this id (or a unique prefix of it), with its place and hashes."""
    key = record_id.strip().lower()
    if not key or not all(c in "0123456789abcdef-" for c in key):
        raise WarrantError.at("L005", f"a decision id is a UUID such as 0192f3a4-..., not {record_id!r}")
    rows = store.query(f"SELECT {', '.join(COLUMNS)} FROM warrant_decisions WHERE id LIKE ? ORDER BY seq LIMIT 2",
                       (key + "%",))
    if not rows:
        raise WarrantError.at("L005", f"no decision {record_id!r} in the log")
    if len(rows) > 1:
        raise WarrantError.at("L005", f"{record_id!r} is the start of more than one decision id: give more of it")
    return whole(rows[0])


def whole(row) -> dict:
    """A record as export and show give it: the body, with its place in the chain and its hashes."""
    got = dict(zip(COLUMNS, row))
    out = {**body_of(row), "seq": got["seq"], "content_sha256": got["content_sha256"],
           "prev_sha256": got["prev_sha256"], "sha256": got["sha256"]}
    if got["decision"] is not None:
        out["decision"] = json.loads(zlib.decompress(got["decision"]))
    return out


def page(store, filters: Filters, after: int = 0, limit: int = 50) -> tuple[list[dict], int | None]:
    """(summaries of up to `limit` decisions after the cursor, the next cursor or None at the end)."""
    if not 1 <= limit <= MAX_PAGE:
        raise WarrantError.at("O013", f"--limit is 1 to {MAX_PAGE:,}, not {limit:,}")
    where, args = filters.where()
    rows = store.query(f"SELECT d.seq, d.id, d.made_at, d.decided_on, d.request_id, d.outcome, d.rulebase_name, "
                       f"d.rulebase_sha256 FROM warrant_decisions d WHERE {where} AND d.seq > ? ORDER BY d.seq "
                       f"LIMIT {limit + 1}", (*args, after))
    more = len(rows) > limit
    rows = rows[:limit]
    rules = _rules_of(store, [r[0] for r in rows])
    out = [{"id": r[1], "made_at": r[2], "decided_on": r[3], "request": r[4], "outcome": r[5],
            "rulebase": {"name": r[6], "sha256": r[7]}, "rules": rules.get(r[0], [])} for r in rows]
    return out, (rows[-1][0] if more and rows else None)


def _rules_of(store, seqs: list[int]) -> dict:
    if not seqs:
        return {}
    marks = ", ".join("?" * len(seqs))
    found: dict = {}
    for seq, rule in store.query(f"SELECT DISTINCT seq, rule FROM warrant_decision_items WHERE seq IN ({marks}) "
                                 f"AND rule IS NOT NULL ORDER BY seq, rule", tuple(seqs)):
        found.setdefault(seq, []).append(rule)
    return found


def stats(store, filters: Filters) -> dict:
    """Counts of decisions by outcome, by month made, and of items by deciding rule and policy."""
    where, args = filters.where()
    total = store.query(f"SELECT COUNT(*) FROM warrant_decisions d WHERE {where}", args)[0][0]
    by_outcome = store.query(f"SELECT d.outcome, COUNT(*) FROM warrant_decisions d WHERE {where} GROUP BY d.outcome "
                             f"ORDER BY d.outcome", args)
    by_month = store.query(f"SELECT SUBSTR(d.made_at, 1, 7) AS m, d.outcome, COUNT(*) FROM warrant_decisions d "
                           f"WHERE {where} GROUP BY m, d.outcome ORDER BY m, d.outcome", args)
    joined = f"FROM warrant_decision_items i JOIN warrant_decisions d ON d.seq = i.seq WHERE {where}"
    by_rule = store.query(f"SELECT i.rule, i.outcome, COUNT(*) {joined} AND i.rule IS NOT NULL "
                          f"GROUP BY i.rule, i.outcome ORDER BY i.rule, i.outcome", args)
    by_policy = store.query(f"SELECT COALESCE(i.policy, ''), i.outcome, COUNT(*) {joined} AND i.rule IS NOT NULL "
                            f"GROUP BY COALESCE(i.policy, ''), i.outcome ORDER BY 1, 2", args)
    undecided = store.query(f"SELECT i.outcome, COUNT(*) {joined} AND i.rule IS NULL GROUP BY i.outcome "
                            f"ORDER BY i.outcome", args)
    months: dict = {}
    for month, outcome, n in by_month:
        months.setdefault(month, {})[outcome] = n
    return {"decisions": total, "by_outcome": dict(by_outcome), "by_month": months,
            "items_by_rule": _nested(by_rule), "items_by_policy": _nested(by_policy, "(general rules)"),
            "items_decided_by_no_rule": dict(undecided)}


def _nested(rows, blank: str = "") -> dict:
    out: dict = {}
    for key, outcome, n in rows:
        out.setdefault(key or blank, {})[outcome] = n
    return out


def bodies(store, filters: Filters):
    """Every matching record's body alone (no decision document), compressed as stored, in chain order, in
    pages: what replay reads (its workers unpack them)."""
    where, args = filters.where()
    for row in store.pages(f"SELECT d.seq, d.body FROM warrant_decisions d WHERE {where} AND d.seq > ? "
                           f"ORDER BY d.seq", (*args, 0)):
        yield bytes(row[1])


def export(store, filters: Filters):
    """Every matching record, whole, in chain order, read in pages (bounded memory)."""
    where, args = filters.where()
    sql = f"SELECT {', '.join('d.' + c for c in COLUMNS)} FROM warrant_decisions d WHERE {where} AND d.seq > ? " \
          f"ORDER BY d.seq"
    for row in store.pages(sql, (*args, 0)):
        yield json.dumps(whole(row), ensure_ascii=False, sort_keys=True) + "\n"
