"""Replay: which logged decisions would another rulebase (or another date, or other assumptions) change?

Every logged decision is decided again from its record alone: its
request, as at its own date with its own settings (or all as at one
`at`, or with `assume` changed), on the batch path (class caches, forked
workers, pages of the log read in order, so memory stays flat). A
decision changes when any item's outcome, deciding rule or obligations
differ. Changes are grouped by the rule that made the difference: the new
deciding rule where there is one (a prohibition that now refuses, another
permission that now permits), else the old one (a permission that no
longer applies). A request that needed a field the log stored masked is
not guessed at: it is counted apart, with the field.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import os
from dataclasses import dataclass, field

from warrant.log.query import Filters
from warrant.pipeline.errors import WarrantError

CHUNK = 500           # records a worker takes at a time, as a batch's lines
SAMPLE = 3            # witnesses kept per group


def batch_key(path: str, digest: str | None, trace: str, at, assume: dict, drafts) -> str | None:
    """The key of a batch run: its input's bytes, the rulebase and the settings; None for standard input."""
    if path == "-":
        return None
    digest_ = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest_.update(chunk)
    except OSError:
        return None               # the batch itself reports an unreadable file
    digest_.update(json.dumps([digest, trace, at.isoformat() if at else None, sorted(map(list, assume.items())),
                               list(drafts)], default=str).encode())
    return digest_.hexdigest()


@dataclass
class Replay:
    """What `warrant log replay` found: how many decisions were replayed, changed, or could not be."""

    rulebase: dict
    replayed: int = 0
    changed: int = 0
    groups: dict = field(default_factory=dict)         # (change, rule, role) -> {"count", "witnesses"}
    unreplayable: dict = field(default_factory=dict)   # reason -> {"count", "witnesses"}
    at: str | None = None

    FORMATS = ("text", "json", "markdown", "html")

    @property
    def exit_code(self) -> int:
        """0 no decision would change; 1 some would, or some could not be replayed (no change is not known)."""
        return 1 if self.changed or self.unreplayable else 0

    def _groups(self) -> list[dict]:
        rows = [{"change": change, "rule": rule, "role": role, "count": g["count"], "witnesses": g["witnesses"]}
                for (change, rule, role), g in self.groups.items()]
        return sorted(rows, key=lambda r: (-r["count"], r["change"], r["rule"] or "", r["role"]))

    def to_json(self) -> dict:
        return {"rulebase": self.rulebase, "at": self.at, "replayed": self.replayed, "changed": self.changed,
                "unchanged": self.replayed - self.changed - sum(u["count"] for u in self.unreplayable.values()),
                "groups": self._groups(),
                "unreplayable": [{"reason": k, **v} for k, v in sorted(self.unreplayable.items())]}

    def render(self, fmt: str = "text") -> str:
        if fmt not in self.FORMATS:
            raise WarrantError.at("O004", f"the format is {', '.join(self.FORMATS)}, not {fmt!r}")
        data = self.to_json()
        if fmt == "json":
            return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        when = f" as at {self.at}" if self.at else " each as at its own date"
        head = (f"replayed {data['replayed']:,} logged decision(s) against {self.rulebase['name']} "
                f"(sha256 {(self.rulebase['sha256'] or 'none')[:12]}){when}: {data['changed']:,} would change, "
                f"{data['unchanged']:,} would not")
        if self.unreplayable:
            head += f", {sum(u['count'] for u in self.unreplayable.values()):,} could not be replayed"
        rows = [(g["count"], g["change"], _who(g), ", ".join(g["witnesses"])) for g in data["groups"]]
        missed = [(u["count"], u["reason"], ", ".join(u["witnesses"])) for u in data["unreplayable"]]
        if fmt == "markdown":
            out = [f"# Replay\n\n{head}.\n"]
            if rows:
                out.append("| decisions | change | rule | e.g. decisions |\n|---:|---|---|---|")
                out += [f"| {n:,} | {c} | {w} | {e} |" for n, c, w, e in rows]
            for n, reason, e in missed:
                out.append(f"\n{n:,} could not be replayed: {reason} (e.g. {e})")
            return "\n".join(out) + "\n"
        if fmt == "html":
            from html import escape
            body = "".join(f"<tr><td>{n:,}</td><td>{escape(c)}</td><td>{escape(w)}</td><td><code>{escape(e)}"
                           f"</code></td></tr>" for n, c, w, e in rows)
            extra = "".join(f"<p>{n:,} could not be replayed: {escape(reason)} (e.g. <code>{escape(e)}</code>)</p>"
                            for n, reason, e in missed)
            return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Replay</title>"
                    "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.2em .6em;"
                    "text-align:left;border-bottom:1px solid #ddd}</style></head><body>"
                    f"<h1>Replay</h1><p>{escape(head)}.</p>"
                    + (f"<table><tr><th>decisions</th><th>change</th><th>rule</th><th>e.g. decisions</th></tr>{body}"
                       f"</table>" if rows else "") + extra + "</body></html>\n")
        out = [head]
        for n, c, w, e in rows:
            out.append(f"  {n:>7,}  {c:<28} {w}\n           e.g. {e}")
        for n, reason, e in missed:
            out.append(f"  {n:>7,}  could not be replayed: {reason}\n           e.g. {e}")
        return "\n".join(out) + "\n"


def _who(group: dict) -> str:
    rule = group["rule"] or "(no rule)"
    return {"decides now": f"{rule} (now decides)", "no longer decides": f"{rule} (no longer decides)",
            "obligations": f"{rule} (its obligations)"}.get(group["role"], rule)


class Replayer:
    """Decides logged requests again under one rulebase, in a worker or in the parent."""

    def __init__(self, rulebase, at=None, assume=None):
        from warrant.pipeline.judgement import read_predicates
        self.rulebase = rulebase
        self.at, self.assume = at, dict(assume or {})
        self.deciders: dict = {}
        read = read_predicates(rulebase.program)
        self.read_fields = {f.path for f in rulebase.vocabulary.fields if "u_" + f.predicate in read}
        checked = rulebase.checked
        self.known = set(checked.assumptions)
        self.known_drafts = {name for name, p in checked.policies.items() if p.draft}

    def _decider(self, at, assume: dict, drafts: tuple):
        from warrant.batch.decider import BatchDecider
        key = (at, tuple(sorted(assume.items())), drafts)
        found = self.deciders.get(key)
        if found is None:
            if len(self.deciders) >= 64:          # bounded: a log has few distinct settings
                self.deciders.clear()
            found = self.deciders[key] = BatchDecider(self.rulebase, trace="none", at=at, assume=assume,
                                                      drafts=drafts)
        return found

    def one(self, packed: bytes) -> tuple:
        """(id, None) unchanged; (id, [(change, rule, role), ...]) changed; (id, "reason") not replayable."""
        record_id, data, decided_on, settings, masked, old = task_of(packed)
        needed = sorted(m["field"] for m in masked if m["field"] in self.read_fields)
        if needed:
            hows = {m["field"]: m["how"] for m in masked}
            return record_id, "it needs " + ", ".join(f"{f} (stored {hows[f]})" for f in needed)
        from warrant.pipeline.request import request_from_data
        from warrant.pipeline.values import parse_date
        try:
            request = request_from_data(data, vocabulary=self.rulebase.vocabulary)
        except WarrantError as exc:
            return record_id, f"its request is not valid under this rulebase ({exc.first.code}: " \
                              f"{exc.first.message})"
        at = self.at
        if at is None and decided_on and decided_on != request.date.isoformat():
            at = parse_date(decided_on)
        assume = {k: v for k, v in (settings.get("assumptions") or {}).items() if k in self.known}
        assume.update(self.assume)
        drafts = tuple(d for d in settings.get("drafts") or () if d in self.known_drafts)
        decider = self._decider(at, assume, drafts)
        try:
            _, items = decider.outcome(request)
        except WarrantError as exc:
            return record_id, f"it cannot be decided under this rulebase ({exc.first.code}: {exc.first.message})"
        new = {item: (outcome, rule) for item, outcome, rule in items}
        changes = []
        for item, (outcome, rule, duties) in old.items():
            now_outcome, now_rule = new.get(item, ("refused", None))
            now_duties = sorted(d.text for d in decider.obligations(request, item, now_rule)) \
                if now_outcome == "permitted" and now_rule else []      # conditional ones only where they hold
            if now_outcome != outcome or now_rule != rule:
                kind = f"{outcome} -> {now_outcome}" if now_outcome != outcome else f"{outcome}, another rule"
                if now_rule and now_rule != rule:
                    changes.append((kind, now_rule, "decides now"))
                else:
                    changes.append((kind, rule, "no longer decides"))
            elif now_duties != duties:
                changes.append((f"{outcome}, other obligations", rule, "obligations"))
        return record_id, (changes or None)


_WORKER: dict = {}


def _replay_chunk(tasks) -> list:
    return [_WORKER["replayer"].one(t) for t in tasks]


def _tasks(log, filters: Filters):
    """Each logged decision's body, compressed as stored, read from the log in pages (bounded memory)."""
    from warrant.log.query import bodies
    yield from bodies(log.store, filters)


def task_of(packed: bytes) -> tuple:
    """A replay task from a stored body: (id, request, decided on, settings, masked, old items)."""
    import zlib
    body = json.loads(zlib.decompress(packed))
    old = {}
    for item in body.get("items", ()):
        rules = item.get("rules") or [None]
        duties = sorted(d["obligation"] for d in item.get("obligations", ()))
        old[item["item"]] = (item["outcome"], rules[0], duties)
    return (body["id"], body.get("request") or {}, body.get("decided_on"), body.get("settings") or {},
            body.get("masked") or [], old)


def replay(log, rulebase, filters: Filters, *, at: _dt.date | None = None, assume: dict | None = None,
           jobs: int = 1, tick=None) -> Replay:
    """Replay every logged decision the filters select against `rulebase` (see the module docstring)."""
    from warrant.pipeline.record import rulebase_digest
    from warrant.pipeline.values import parse_date
    rulebase = getattr(rulebase, "_loaded", rulebase)            # a warrant.Rulebase, or the loaded one
    if isinstance(at, str):
        try:
            at = parse_date(at)
        except ValueError:
            raise WarrantError.at("O002", f"a date is written YYYY-MM-DD, not {at!r}") from None
    digest = rulebase_digest(rulebase)
    name = os.path.basename(os.path.abspath(rulebase.folder)) if rulebase.folder else digest.get("rules")
    report = Replay({"name": name, "sha256": digest.get("sha256")}, at=at.isoformat() if at else None)
    replayer = Replayer(rulebase, at, assume)
    for key in replayer.assume:
        if key.split("=")[0] not in replayer.known:
            raise WarrantError.at("A001", f"no assumption {key!r} in this rulebase")
    jobs = jobs or os.cpu_count() or 1
    chunks = _chunked(_tasks(log, filters), CHUNK)
    first = next(chunks, None)
    if first is None:
        return report
    if jobs == 1 or len(first) < CHUNK:
        results = (_replay_with(replayer, c) for c in itertools.chain([first], chunks))
    else:
        from warrant.batch.pool import ordered_map
        rulebase.engine                                   # built once, before the fork
        _WORKER["replayer"] = replayer
        from warrant.batch.batch import worker_start
        parent = os.getpid()
        results = (r for _, r in ordered_map(_replay_chunk, itertools.chain([first], chunks), jobs,
                                             start=lambda: worker_start(parent)))
    for block in results:
        for record_id, found in block:
            report.replayed += 1
            if isinstance(found, str):
                slot = report.unreplayable.setdefault(found, {"count": 0, "witnesses": []})
                slot["count"] += 1
                if len(slot["witnesses"]) < SAMPLE:
                    slot["witnesses"].append(record_id)
            elif found:
                report.changed += 1
                for key in dict.fromkeys(found):
                    slot = report.groups.setdefault(key, {"count": 0, "witnesses": []})
                    slot["count"] += 1
                    if len(slot["witnesses"]) < SAMPLE:
                        slot["witnesses"].append(record_id)
        if tick:
            tick(len(block))
    return report


def _replay_with(replayer, tasks) -> list:
    return [replayer.one(t) for t in tasks]


def _chunked(values, size: int):
    chunk = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
