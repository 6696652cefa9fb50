"""`warrant impact`: what a policy change does to a batch of requests.

Two scenarios (a baseline and a change: another date, an assumption
switched, a draft switched on) decide every request of a JSON Lines batch,
streaming, each through its own `BatchDecider` (so each keeps its exact
class cache). Each request is counted under the arrangement and the rule
that decided it in the baseline (or, when the baseline found no
permission, in the change), and under the transition of its overall
outcome. Ids of changed requests are kept for the report. A move into or
out of undetermined (a judgement the request left open decides it) is a
change counted apart: it is neither more restrictive nor more permissive.
Each obligation (`requires`) is counted over the permitted items whose
deciding permission carries it, in each scenario.
"""
from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from warrant.batch.decider import BatchDecider
from warrant.batch.intake import requests_of
from warrant.pipeline.errors import WarrantError

RANK = {"refused": 0, "partially_permitted": 1, "permitted": 2}   # undetermined is on no such scale


@dataclass(frozen=True)
class Scenario:
    label: str
    at: object = None
    assume: tuple = ()          # ((name, on/off or a reading's name), ...)
    drafts: tuple = ()


@dataclass
class Group:
    total: int = 0
    permitted_before: int = 0
    restricted: int = 0          # outcome moved towards refusal
    relaxed: int = 0             # outcome moved towards permission
    permitted_then_refused: int = 0
    unsettled: int = 0           # moved into or out of undetermined (an open judgement decides it)

    def row(self) -> dict:
        changed = self.restricted + self.relaxed + self.unsettled
        return {"requests": self.total, "changed": changed, "more_restrictive": self.restricted,
                "more_permissive": self.relaxed, "to_or_from_undetermined": self.unsettled,
                "changed_percent": _pct(changed, self.total),
                "permitted_before": self.permitted_before, "permitted_then_refused": self.permitted_then_refused,
                "permitted_then_refused_percent": _pct(self.permitted_then_refused, self.permitted_before)}


@dataclass
class ImpactReport:
    before: Scenario
    after: Scenario
    total: Group = field(default_factory=Group)
    transitions: Counter = field(default_factory=Counter)
    by_arrangement: dict = field(default_factory=lambda: defaultdict(Group))
    by_rule: dict = field(default_factory=lambda: defaultdict(Group))
    changed_ids: dict = field(default_factory=lambda: defaultdict(list))   # "a -> b" -> ids
    errors: list = field(default_factory=list)                             # (line, message)
    obligations: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # duty -> permitted items
                                                                                    # carrying it, before, after
    causes: dict = field(default_factory=dict)   # ((outcome, rule) before, after) -> [items, request ids]

    def cause_rows(self) -> list[dict]:
        """Each change an item went through, by the deciding rules on either side (the grouping `warrant
        diff` reports by): outcome changes first, then changes of legal basis, larger groups first."""
        rows = []
        for ((a, a_rule), (b, b_rule)), (items, ids) in self.causes.items():
            rows.append({"before": {"outcome": a, "rule": a_rule}, "after": {"outcome": b, "rule": b_rule},
                         "basis_only": a == b, "items": items, "requests": ids})
        return sorted(rows, key=lambda r: (r["basis_only"], -r["items"], r["before"]["outcome"],
                                           r["before"]["rule"] or "", r["after"]["outcome"], r["after"]["rule"] or ""))

    def to_json(self) -> dict:
        return {
            "before": self.before.label, "after": self.after.label,
            "total": self.total.row(),
            "transitions": [{"from": a, "to": b, "requests": n} for (a, b), n in sorted(self.transitions.items())],
            "by_arrangement": [{"arrangement": k, **g.row()} for k, g in sorted(self.by_arrangement.items())],
            "by_rule": [{"rule": k, **g.row()} for k, g in sorted(self.by_rule.items())],
            "changed_requests": {k: v for k, v in sorted(self.changed_ids.items())},
            "by_cause": self.cause_rows(),
            "errors": [{"line": n, "message": m} for n, m in self.errors],
            "obligations": [{"obligation": k, "before": a, "after": b} for k, (a, b) in sorted(self.obligations.items())],
        }


def scenarios(rulebase, dates: list, switches: dict, drafts: tuple) -> tuple[Scenario, Scenario]:
    """Baseline and change from `--at` (once or twice), `--assume` and `--with-draft`.

    Two dates: the first is the baseline, the second the change. One date with
    switches: both scenarios on that date, the change adds the switches. One
    date alone: the requests' own dates against that date.
    """
    if len(dates) > 2:
        raise WarrantError.at("O010", "--at is given once (the changed date) or twice (baseline, then changed)")
    switched = bool(switches or drafts)
    before_at = dates[0] if len(dates) == 2 or (dates and switched) else None
    after_at = dates[-1] if dates else None
    if after_at == before_at and not switched:
        raise WarrantError.at("O010", "nothing changes: give a second --at date, --assume or --with-draft")
    from warrant.pipeline.grounding import before_and_after, setting_text, settings_for
    start, switches = before_and_after(rulebase.checked, switches, opposite=False)   # a reading given twice
    settings_for(rulebase, None, switches, drafts)   # unknown assumption or draft names: say so before deciding
    settings_for(rulebase, None, start, ())
    before = Scenario(" ".join((["as requested"] if before_at is None and not start else []) +
                               ([f"--at {before_at}"] if before_at else []) +
                               [f"--assume {k}={setting_text(v)}" for k, v in sorted(start.items())]),
                      before_at, tuple(sorted(start.items())))
    label = " ".join(([f"--at {after_at}"] if after_at else []) +
                     [f"--assume {k}={setting_text(v)}" for k, v in sorted(switches.items())] +
                     [f"--with-draft {d}" for d in drafts])
    return before, Scenario(label, after_at, tuple(sorted(switches.items())), tuple(drafts))


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _deciding(items) -> str | None:
    """The rule that decided most items (ties: alphabetical), None when no rule decided any."""
    rules = Counter(rule for _, _, rule in items if rule)
    return min(rules, key=lambda r: (-rules[r], r)) if rules else None


def impact(rulebase, lines, before: Scenario, after: Scenario, progress=None, jobs: int = 1) -> ImpactReport:
    """Decide every line under both scenarios and tally the changes, in input order, on `jobs` processes
    (0: one per core; forked only when the batch is long enough to repay it, as a batch's are).
    `progress(count)`, given, is told of each block of lines done."""
    from warrant.batch.batch import blocks_in_order
    deciders = [BatchDecider(rulebase, trace="none", at=s.at, assume=dict(s.assume), drafts=s.drafts)
                for s in (before, after)]
    report = ImpactReport(before, after)
    arrangement_of = {rule_id: _arrangement(rulebase, rule_id) for rule_id in rulebase.program.rules}
    for rows in blocks_in_order(rulebase, lambda start, block: _outcomes(rulebase, deciders, start, block), lines,
                                jobs, progress, stopped="no report was written"):
        for row in rows:
            _tally(report, row, arrangement_of)
    return report


def _outcomes(rulebase, deciders, start: int, lines: list) -> list:
    """Per request of these lines, what the tally needs: (line, id, (overall, items) before and after, the
    obligations each permitted item carries on either side), or (line, the error) for a line that is no
    request. Worked out where the deciders are (a forked worker's own), tallied in order by the parent."""
    rows = []
    for number, request in requests_of(rulebase, lines, start, blank_is_error=False):
        try:
            if isinstance(request, WarrantError):
                raise request
            sides = [d.outcome(request) for d in deciders]
        except WarrantError as exc:
            rows.append((number, "; ".join(f"{d.code}: {d.message}" for d in exc.diagnostics)))
            continue
        duties = tuple(tuple(duty.text for item, outcome, deciding in items
                             if outcome == "permitted" and deciding is not None
                             for duty in decider.obligations(request, item, deciding))
                       for decider, (_, items) in zip(deciders, sides))
        rows.append((number, request.id, sides[0], sides[1], duties))
    return rows


def _tally(report: ImpactReport, row: tuple, arrangement_of: dict) -> None:
    """Count one request's row (`_outcomes`) into the report."""
    if len(row) == 2:
        report.errors.append(row)
        return
    _, request_id, (a, a_items), (b, b_items), duties = row
    for side, texts in enumerate(duties):
        for text in texts:
            report.obligations[text][side] += 1
    for (item, a_outcome, a_rule), (_, b_outcome, b_rule) in zip(a_items, b_items):
        if (a_outcome, a_rule) != (b_outcome, b_rule):
            found = report.causes.setdefault(((a_outcome, a_rule), (b_outcome, b_rule)), [0, []])
            found[0] += 1
            if not found[1] or found[1][-1] != request_id:
                found[1].append(request_id)
    rule = _deciding(a_items) or _deciding(b_items)
    groups = [report.total, report.by_arrangement[arrangement_of.get(rule, "no arrangement")],
              report.by_rule[rule or "no permission"]]
    report.transitions[(a, b)] += 1
    for group in groups:
        group.total += 1
        group.permitted_before += a == "permitted"
        group.permitted_then_refused += a == "permitted" and b == "refused"
        if a in RANK and b in RANK:
            group.restricted += RANK[b] < RANK[a]
            group.relaxed += RANK[b] > RANK[a]
        else:
            group.unsettled += a != b
    if a != b:
        report.changed_ids[f"{a} -> {b}"].append(request_id)


def _arrangement(rulebase, rule_id: str) -> str:
    """The arrangement a deciding rule's decisions are counted under (`browse.arrangement`: a rule outside any
    policy gated by `in force(X)` counts under X's lineage, not under general rules)."""
    from warrant.review.browse import arrangement
    rule = rulebase.checked.rules.get(rule_id)
    if rule is None:                          # a compiled clause (a policy's period, a dated value): never deciding
        policy = rulebase.checked.policies.get(rulebase.program.rules[rule_id].policy or "")
        return policy.lineage if policy else "general rules"
    return arrangement(rulebase.checked, rule)


def render_impact_text(report: ImpactReport, show_ids: int = 10) -> str:
    data = report.to_json()
    t = data["total"]
    out = [f"Impact: {report.before.label}  ->  {report.after.label}",
           f"  {t['requests']} request(s); {t['changed']} ({t['changed_percent']}%) change: "
           f"{t['more_restrictive']} more restrictive, {t['more_permissive']} more permissive"
           + (f", {t['to_or_from_undetermined']} to or from undetermined" if t['to_or_from_undetermined'] else ""),
           f"  of {t['permitted_before']} permitted before, {t['permitted_then_refused']} "
           f"({t['permitted_then_refused_percent']}%) are refused after", "", "  transitions:"]
    for row in data["transitions"]:
        out.append(f"    {row['from']:>19} -> {row['to']:<19} {row['requests']}")
    for title, key, name in (("by arrangement", "by_arrangement", "arrangement"), ("by deciding rule", "by_rule", "rule")):
        rows = data[key]
        width = max([len(r[name]) for r in rows] + [len(name)])
        out += ["", f"  {title}:",
                f"    {name:<{width}}  {'requests':>8}  {'changed':>7}  {'%':>5}  {'stricter':>8}  {'looser':>6}  "
                f"{'permitted':>9}  {'->refused':>9}  {'%':>5}"]
        for r in rows:
            out.append(f"    {r[name]:<{width}}  {r['requests']:>8}  {r['changed']:>7}  {r['changed_percent']:>5}  "
                       f"{r['more_restrictive']:>8}  {r['more_permissive']:>6}  {r['permitted_before']:>9}  "
                       f"{r['permitted_then_refused']:>9}  {r['permitted_then_refused_percent']:>5}")
    if data["changed_requests"]:
        out += ["", "  changed requests:"]
        for direction, ids in data["changed_requests"].items():
            more = f" ... and {len(ids) - show_ids} more (--format json lists all)" if len(ids) > show_ids else ""
            out.append(f"    {direction}: {', '.join(ids[:show_ids])}{more}")
    if data["by_cause"]:
        out += ["", "  changes by cause (items, by the deciding rule before and after):"]
        for row in data["by_cause"]:
            ids = row["requests"]
            more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
            out.append(f"    {_side(row['before'])} -> {_side(row['after'])}"
                       f"{' (same outcome, another basis)' if row['basis_only'] else ''}: {row['items']} item(s) "
                       f"in {len(ids)} request(s), e.g. {', '.join(ids[:3])}{more}")
    if data["obligations"]:
        out += ["", "  obligations carried by permitted items (before -> after):"]
        out += [f"    {row['before']:>6} -> {row['after']:<6} {row['obligation']}" for row in data["obligations"]]
    if report.errors:
        out += ["", f"  {len(report.errors)} line(s) could not be read:"]
        out += [f"    line {n}: {m}" for n, m in report.errors[:20]]
    return "\n".join(out) + "\n"


def _side(side: dict) -> str:
    outcome, rule = side["outcome"], side["rule"]
    if rule:
        return f"{outcome} by {rule}"
    return f"{outcome} (no permission)" if outcome == "refused" else outcome


def render_impact_csv(report: ImpactReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = ["requests", "changed", "changed_percent", "more_restrictive", "more_permissive",
               "permitted_before", "permitted_then_refused", "permitted_then_refused_percent", "to_or_from_undetermined"]
    writer.writerow(["group", "name"] + columns)
    data = report.to_json()
    writer.writerow(["total", "all"] + [data["total"][c] for c in columns])
    for r in data["by_arrangement"]:
        writer.writerow(["arrangement", r["arrangement"]] + [r[c] for c in columns])
    for r in data["by_rule"]:
        writer.writerow(["rule", r["rule"]] + [r[c] for c in columns])
    return buffer.getvalue()
