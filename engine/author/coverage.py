"""Coverage of a golden suite, read from the decisions the suite made.

Nothing is re-evaluated: every figure comes from the proofs and why-nots of
the decisions themselves.

- a rule is *fired* when some proof contains an instance of it;
- a condition is *deciding* when it was seen to hold in one case and to
  fail in another. It is seen to hold in every proof of its rule, and to
  fail where a why-not names it as the first condition that failed, for a
  permission or for a definition expanded inside the why-not;
- an assumption is *exercised* when some decision rests on it (per value);
- a policy is *dated* when some case's date falls inside its period, and so
  is each period of a dated set or named value (its members and values are
  compiled clauses, not rules: they count here, never as rules fired).

`--fail-under` applies to the share of rules fired.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from warrant.pipeline.syntax import covers, effect_text, in_effect
from warrant.pipeline.trace import walk


@dataclass
class Coverage:
    cases: int = 0
    fired: dict[str, int] = field(default_factory=dict)               # rule id -> proofs it appears in
    seen: dict[tuple[str, int], set] = field(default_factory=dict)    # (rule, source index) -> {True, False}
    conditions: dict[tuple[str, int], str] = field(default_factory=dict)  # -> condition text
    assumptions: dict[str, set] = field(default_factory=dict)          # name -> {on, off} values seen
    policies: dict[str, int] = field(default_factory=dict)             # policy -> cases dated inside it
    periods: dict[str, str] = field(default_factory=dict)
    dated: dict[tuple[str, str], int] = field(default_factory=dict)    # (set or value, period) -> cases inside

    # ---- figures ------------------------------------------------------------
    @staticmethod
    def _percent(part: int, whole: int) -> float:
        return round(100.0 * part / whole, 1) if whole else 100.0

    @property
    def rule_percent(self) -> float:
        return self._percent(sum(1 for n in self.fired.values() if n), len(self.fired))

    @property
    def deciding(self) -> list[tuple[str, int]]:
        return [key for key, values in self.seen.items() if values == {True, False}]

    def to_json(self) -> dict:
        return {
            "cases": self.cases,
            "rules": {"fired": sum(1 for n in self.fired.values() if n), "total": len(self.fired),
                      "percent": self.rule_percent,
                      "by_rule": [{"rule": r, "proofs": n} for r, n in sorted(self.fired.items())]},
            "conditions": {"deciding": len(self.deciding), "total": len(self.seen),
                           "percent": self._percent(len(self.deciding), len(self.seen)),
                           "by_condition": [{"rule": r, "condition": self.conditions[(r, i)],
                                             "held": True in v, "failed": False in v}
                                            for (r, i), v in sorted(self.seen.items())]},
            "assumptions": [{"assumption": a, "on": True in v, "off": False in v,
                             **({"readings": sorted(x for x in v if isinstance(x, str))}
                                if any(isinstance(x, str) for x in v) else {})}
                            for a, v in sorted(self.assumptions.items())],
            "policies": [{"policy": p, "period": self.periods[p], "cases_inside": n}
                         for p, n in sorted(self.policies.items())],
            "dated": [{"name": name, "period": period, "cases_inside": n}
                      for (name, period), n in self.dated.items()],
        }


def measure(rulebase, decisions) -> Coverage:
    """Coverage of `decisions` (made against `rulebase`)."""
    from warrant.author.format import condition_text

    program, checked = rulebase.program, rulebase.checked
    cov = Coverage(cases=len(decisions))
    for rule_id, rule in sorted(program.rules.items()):
        if rule_id not in checked.rules:      # a policy's or lineage's period, a dated set's or value's clause
            continue
        cov.fired[rule_id] = 0
        source = checked.rules[rule_id]
        for body_index, source_index in enumerate(rule.source_order):
            if source_index >= 0:
                cov.seen[(rule_id, source_index)] = set()
                cov.conditions[(rule_id, source_index)] = condition_text(source.body[source_index])
    cov.assumptions = {name: set() for name in checked.assumptions}
    for name, policy in checked.policies.items():
        cov.policies[name] = 0
        cov.periods[name] = _period(policy)
    dated = _dated_periods(checked)
    cov.dated = {key: 0 for key, _, _ in dated}
    for decision in decisions:
        day = _dt.date.fromisoformat(decision.date)
        for name, policy in checked.policies.items():
            cov.policies[name] += policy.covers(day)
        for key, start, end in dated:
            cov.dated[key] += covers(start, end, day)
        for name, on, _ in decision.assumptions:
            cov.assumptions.setdefault(name, set()).add(on)
        for item in decision.items:
            roots = list(item.proofs)
            for attempt in item.attempts:
                roots += list(attempt.held)
                _mark_attempt(cov, program, attempt)
                if attempt.failed is not None:
                    roots.append(attempt.failed)
            for root in roots:
                for node in walk(root):
                    if node.kind == "rule" and node.holds and node.rule in cov.fired:
                        cov.fired[node.rule] += 1
                        _mark_proof(cov, program, node)
                    elif node.kind == "rule" and node.failed_at is not None and node.rule in cov.fired:
                        _mark_failure(cov, program, node.rule, node.failed_at)
    return cov


def _mark_proof(cov: Coverage, program, node) -> None:
    """Every source condition of a proven rule instance held."""
    for source_index in program.rules[node.rule].source_order:
        if source_index >= 0:
            cov.seen[(node.rule, source_index)].add(True)


def _mark_attempt(cov: Coverage, program, attempt) -> None:
    """A permission's why-not: the conditions before the failed one held; the failed one failed."""
    if program.rules.get(attempt.rule) is not None and attempt.failed is not None:
        _mark_failure(cov, program, attempt.rule, len(attempt.held))


def _mark_failure(cov: Coverage, program, rule_id: str, failed_at: int) -> None:
    """A rule instance that did not apply (a permission, or a definition inside
    a why-not): the conditions before compiled index `failed_at` held, it failed."""
    for body_index, source_index in enumerate(program.rules[rule_id].source_order[:failed_at + 1]):
        if source_index >= 0:
            cov.seen[(rule_id, source_index)].add(body_index < failed_at)


def _dated_periods(checked) -> list[tuple[tuple[str, str], object, object]]:
    """((name, period text), first day, last day) of every period of every dated set and named value."""
    decls = [d for _, d in sorted(checked.sets.items()) if d.dated] + [d for _, d in sorted(checked.values.items())]
    return [((decl.name, effect_text(start, end)), start, end)
            for decl in decls for _, start, end in in_effect(decl.periods)]


def _period(policy) -> str:
    if policy.period is None:
        return "always"
    start = policy.period.start.isoformat() if policy.period.start else "..."
    end = policy.period.end.isoformat() if policy.period.end else "..."
    return f"{start} to {end}"


def render_coverage(cov: Coverage) -> str:
    """The coverage report as text tables (stable: sorted, no timings)."""
    data = cov.to_json()
    rules, conds = data["rules"], data["conditions"]
    lines = [f"coverage of {cov.cases} case(s)", "",
             f"rules fired: {rules['fired']}/{rules['total']} ({rules['percent']}%)"]
    width = max((len(r["rule"]) for r in rules["by_rule"]), default=4)
    lines += [f"  {r['rule']:<{width}}  {'never fired' if not r['proofs'] else str(r['proofs']) + ' proof(s)'}"
              for r in rules["by_rule"]]
    lines += ["", f"conditions deciding (held in one case, failed in another): "
                  f"{conds['deciding']}/{conds['total']} ({conds['percent']}%)"]
    for c in conds["by_condition"]:
        state = "deciding" if c["held"] and c["failed"] else "only held" if c["held"] else \
            "only failed" if c["failed"] else "never reached"
        lines.append(f"  {state:<13} {c['rule']}: {c['condition']}")
    lines += ["", "assumptions exercised:"]
    for a in data["assumptions"]:
        seen = [v for v, ok in (("on", a["on"]), ("off", a["off"])) if ok] + a.get("readings", [])
        lines.append(f"  {a['assumption']}: {', '.join(seen) if seen else 'never'}")
    lines += ["", "policies tested on a date inside their period:"]
    for p in data["policies"]:
        lines.append(f"  {p['policy']} ({p['period']}): "
                     f"{p['cases_inside']} case(s)" + ("  <- never tested" if not p["cases_inside"] else ""))
    if data["dated"]:
        lines += ["", "dated sets and values, each period tested on a date inside it:"]
        for d in data["dated"]:
            lines.append(f"  {d['name']} ({d['period']}): {d['cases_inside']} case(s)"
                         + ("  <- never tested" if not d["cases_inside"] else ""))
    return "\n".join(lines) + "\n"
