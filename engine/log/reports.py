"""What the `warrant log` commands return: reports with `to_json()`, `render(fmt)` and `exit_code`, like the
rest of the API's (engine/_reports.py); `Verification` is in chain.py, `Replay` in replay.py."""
from __future__ import annotations

import json
from dataclasses import dataclass

from warrant.pipeline.errors import WarrantError

SHOW_FORMATS = ("text", "json", "markdown", "dot", "html", "record")


def _dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@dataclass(frozen=True)
class LogRecord:
    """One logged decision: rendered as `warrant decide` printed it, or (`record`) the whole stored record."""

    record: dict
    FORMATS = SHOW_FORMATS
    exit_code = 0

    def to_json(self) -> dict:
        return self.record

    def decision_json(self) -> dict:
        """The decision document as it was printed (a batch summary: its items with their deciding rules)."""
        body = self.record
        doc = body.get("decision") or {}
        if "date" in doc:
            return doc
        items = []
        kept = {i["item"]: i for i in body.get("items", ())}
        for item in doc.get("items", ()):
            row = dict(item)
            found = kept.get(item["item"], {})
            if "reason" not in row and found.get("reason"):
                row["reason"] = found["reason"]
            rules = found.get("rules") or ()
            if rules and "proofs" not in row:
                rule = rules[0]
                kind = "prohibition" if row["outcome"] == "refused" else "permission"
                verb = "must not be released" if kind == "prohibition" else "may be released"
                row["proofs"] = [{"kind": "rule", "holds": True, "rule": rule,
                                  "conclusion": f"{row['item']} {verb} ({kind} {rule}; logged without its proof)",
                                  "citations": found.get("citations", {}).get(rule, [])}]
            row.setdefault("reason", "permission" if row["outcome"] == "permitted" else "no_permission")
            items.append(row)
        return {"format": 1, "request": doc.get("request") or body.get("request_id"), "date": body.get("decided_on"),
                "outcome": doc.get("outcome"), "settings": [], "policies_in_force": [], "assumptions": [],
                "items": items, **({"record": doc["record"]} if "record" in doc else {})}

    def render(self, fmt: str = "text") -> str:
        if fmt not in self.FORMATS:
            raise WarrantError.at("O004", f"the format is one of {', '.join(self.FORMATS)}, not {fmt!r}")
        if fmt == "record":
            return _dumps(self.record)
        doc = self.decision_json()
        if fmt == "json":
            return _dumps(doc)
        from warrant.log.reading import decision_from_json
        from warrant.pipeline.render import RENDERERS
        decision = decision_from_json(doc, changes_searched=bool(self.record.get("changes_searched")),
                                      units=self.record.get("units"))
        return RENDERERS[fmt]([decision])


@dataclass(frozen=True)
class LogPage:
    """A page of `warrant log list`: decision summaries and the cursor of the next page (None: the last)."""

    rows: tuple
    next: int | None
    FORMATS = ("text", "json")
    exit_code = 0

    def to_json(self) -> dict:
        return {"decisions": list(self.rows), "next": self.next}

    def render(self, fmt: str = "text") -> str:
        if fmt == "json":
            return _dumps(self.to_json())
        out = [f"{r['id']}  {r['made_at'][:19]}Z  on {r['decided_on']}  {r['outcome']:<19}  {r['request']}  "
               f"{', '.join(r['rules']) or '-'}" for r in self.rows]
        if not self.rows:
            out.append("no decisions")
        if self.next is not None:
            out.append(f"more: --after {self.next}")
        return "\n".join(out) + "\n"


@dataclass(frozen=True)
class LogStats:
    """Counts of `warrant log stats`."""

    counts: dict
    FORMATS = ("text", "json")
    exit_code = 0

    def to_json(self) -> dict:
        return self.counts

    def render(self, fmt: str = "text") -> str:
        if fmt == "json":
            return _dumps(self.counts)
        c = self.counts
        out = [f"{c['decisions']:,} decision(s)"]
        out += [f"  {k:<22} {v:>9,}" for k, v in sorted(c["by_outcome"].items())]
        for title, key in (("items by deciding rule", "items_by_rule"), ("items by policy", "items_by_policy")):
            if c[key]:
                out.append(title + ":")
                out += [f"  {name:<40} " + ", ".join(f"{o} {n:,}" for o, n in sorted(v.items()))
                        for name, v in sorted(c[key].items())]
        if c["items_decided_by_no_rule"]:
            out.append("items no rule decided: " + ", ".join(f"{o} {n:,}" for o, n in
                                                             sorted(c["items_decided_by_no_rule"].items())))
        if c["by_month"]:
            out.append("by month made:")
            out += [f"  {m}  " + ", ".join(f"{o} {n:,}" for o, n in sorted(v.items()))
                    for m, v in sorted(c["by_month"].items())]
        return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Pruned:
    """What `warrant log prune` removed, and the checkpoint that vouches for it."""

    checkpoint: dict
    FORMATS = ("text", "json")
    exit_code = 0

    def to_json(self) -> dict:
        return self.checkpoint

    def render(self, fmt: str = "text") -> str:
        if fmt == "json":
            return _dumps(self.checkpoint)
        if not self.checkpoint:
            return "nothing to prune\n"
        p = self.checkpoint["pruned"]
        return (f"pruned {p['count']:,} decision(s) made before {p['before'][:10]}; checkpoint "
                f"{self.checkpoint['id']} vouches for them (by {self.checkpoint['by']})\n")
