"""Browsing the rules: what is in force on a date, one rule in full, the timeline."""
from __future__ import annotations

import datetime as _dt

from warrant.pipeline import syntax as S
from warrant.pipeline.errors import WarrantError, did_you_mean
from warrant.pipeline.render.json import duty_to_json
from warrant.author.format import condition_text


def _in_force(policy: S.PolicyDecl, date: _dt.date | None) -> bool:
    if date is None:
        return True
    if policy.draft:
        return False
    return policy.covers(date)


def _period(policy: S.PolicyDecl) -> str:
    p = policy.period
    if p is None:
        return "always"
    return f"{p.start or '…'} to {p.end or 'no end'}"


def _cites(rulebase, cites) -> str:
    return "; ".join(rulebase.cite(c).label + (f", {c.locator}" if c.locator else "") for c in cites)


def in_force_gates(rule: S.Rule) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The policies or lineages a rule's conditions name: (those `in force(X)`, those `not in force(X)`)."""
    gates = [c for c in rule.body if isinstance(c, S.InForce)]
    return tuple(c.name for c in gates if not c.negated), tuple(c.name for c in gates if c.negated)


def _gate_policies(checked, name: str) -> list:
    """What `in force(NAME)` reads: the policy NAME, or every version of the lineage NAME."""
    return [checked.policies[name]] if name in checked.policies else checked.versions(name)


def arrangement(checked, rule: S.Rule | None) -> str:
    """The arrangement (policy lineage) a rule belongs to: its policy's; for a rule outside any policy, that of
    the first policy or lineage its `in force(...)` names (it holds only while that one is in force); else
    "general rules". `rules` lists it there, and `impact` counts its decisions there."""
    if rule is not None and rule.policy:
        return checked.policies[rule.policy].lineage
    gates = in_force_gates(rule)[0] if rule is not None else ()
    if gates:
        return checked.policies[gates[0]].lineage if gates[0] in checked.policies else gates[0]
    return "general rules"


def _placed(checked, date) -> tuple[list, dict, list]:
    """The rules outside any policy, placed: (always in force, {policy: [(rule, gate)]} for those gated by
    `in force(GATE)` (under each version of a lineage in force on `date`), [(rule, gates)] for those gated only
    by `not in force(...)`). On a date, a rule whose gates do not hold is not in force and is left out."""
    always, gated, unless = [], {}, []
    for rule in sorted((r for r in checked.rules.values() if r.policy is None), key=lambda r: r.id):
        positive, negated = in_force_gates(rule)
        holds = lambda name: any(_in_force(p, date) for p in _gate_policies(checked, name))   # noqa: E731
        if date is not None and (not all(holds(n) for n in positive) or any(holds(n) for n in negated)):
            continue
        if positive:
            for policy in _gate_policies(checked, positive[0]):
                if _in_force(policy, date):
                    gated.setdefault(policy.name, []).append((rule, positive[0]))
        elif negated:
            unless.append((rule, negated))
        else:
            always.append(rule)
    return always, gated, unless


def dated_decls(rulebase) -> list:
    """The dated sets and the named values, by name (what `rules` and `timeline` show beside the policies)."""
    checked = rulebase.checked
    return sorted([d for d in checked.sets.values() if d.dated] + list(checked.values.values()), key=lambda d: d.name)


def _applies(start, end, date) -> bool:
    return date is None or S.covers(start, end, date)


def _value_lines(rulebase, date, out: list[str]) -> None:
    """Each dated set and named value with the value in effect on `date` (all its values without one)."""
    decls = dated_decls(rulebase)
    if not decls:
        return
    out.append("")
    out.append(f"Sets and values on {date}:" if date else "Sets and values that change with the date:")
    for decl in decls:
        kind = "set" if isinstance(decl, S.SetDecl) else "value"
        periods = [(p, a, b) for p, a, b in S.in_effect(decl.periods) if _applies(a, b, date)]
        out.append(f"  {kind:7} {decl.name}: {decl.description or ''}".rstrip() +
                   ("" if periods else f" (no value{' on ' + str(date) if date else ''})"))
        for period, start, end in periods:
            cites = f" (cites {_cites(rulebase, period.cites)})" if period.cites else ""
            out.append(f"          {S.effect_text(start, end)}: {S.period_value_text(decl, period)}{cites}")


def render_rules(rulebase, date: _dt.date | None) -> str:
    checked = rulebase.checked
    out = [f"Rules in force on {date}" if date else "All rules"]
    always, gated, unless = _placed(checked, date)
    out.append("")
    out.append("Always in force:")
    for rule in always:
        _rule_lines(rulebase, rule, out)
    for policy in sorted(checked.policies.values(), key=lambda p: (p.period.start if p.period and p.period.start
                                                                     else _dt.date.min, p.name)):
        if not _in_force(policy, date):
            continue
        out.append("")
        out.append(f"{'Draft policy' if policy.draft else 'Policy'} {policy.name}: {policy.title} ({_period(policy)})")
        if policy.assumes:
            out.append(f"  assumes {', '.join(policy.assumes)}")
        for rule in policy.rules:
            _rule_lines(rulebase, rule, out)
        for rule, gate in gated.get(policy.name, ()):
            _rule_lines(rulebase, rule, out)
            out.append(f"          outside the policy: in force while in force({gate}) holds")
    if unless:
        out += ["", "In force while a policy is not:"]
        for rule, gates in unless:
            _rule_lines(rulebase, rule, out)
            out.append(f"          in force while {' and '.join(f'not in force({g})' for g in gates)} holds")
    _value_lines(rulebase, date, out)
    return "\n".join(out) + "\n"


def _rule_lines(rulebase, rule, out: list[str]) -> None:
    out.append(f"  {rule.kind:7} {rule.id}: {rule.statement}")
    out.append(f"          cites {_cites(rulebase, rule.cites)}")
    for obligation in rule.obligations:
        when = " when " + " and ".join(condition_text(c) for c in obligation.when) if obligation.when else ""
        out.append(f"          requires {obligation.text}{when} ({_cites(rulebase, obligation.cites)})")


def render_rule(rulebase, rule_id: str) -> str:
    checked = rulebase.checked
    rule = checked.rules.get(rule_id)
    if rule is None:
        raise WarrantError.at("B001", f"no rule `{rule_id}`", suggestion=did_you_mean(rule_id, checked.rules))
    head = rule.head.predicate if rule.head else None
    out = [f"{rule.kind} {rule.id}" + (f" (defines {head})" if head else ""),
           f"  at {rulebase.rule_location(rule.id)}",
           f"  says: {rule.statement}"]
    if rule.policy:
        policy = checked.policies[rule.policy]
        out.append(f"  policy: {policy.name}: {policy.title} ({_period(policy)}){' [draft]' if policy.draft else ''}")
    for cite in rule.cites:
        out.append(f"  cites: {rulebase.cite(cite).label}" + (f", {cite.locator}" if cite.locator else ""))
    for duty in rulebase.rule_obligations(rule.id):
        out.append(f"  requires: {duty.text}" + (f" (when {duty.condition})" if duty.condition else "") + "".join(f" (cites {c.label}" + (f", {c.locator}" if c.locator else "")
                                                       + ")" for c in duty.citations))
    for name in rulebase.rule_assumptions(rule.id):
        decl = checked.assumptions[name]
        if decl.has_readings:
            out.append(f"  assumes {name}, read one of {len(decl.readings)} ways:")
            out += [f"    {p.label}{' (default)' if p.label == decl.default_setting() else ''}: {p.value}"
                    for p in decl.readings]
            continue
        out.append(f"  assumes {name}: {decl.get('position')}"
                   + (f" (off: {decl.get('off')})" if decl.get("off") else ""))
    compiled = rulebase.program.rules[rule.id]
    out.append("  compiled: " + f"{compiled.fired} <= " + " & ".join(map(str, compiled.body)))
    users = sorted(r.id for r in checked.rules.values()
                   if head and any(isinstance(c, (S.Positive, S.Negative)) and c.atom.predicate == head for c in r.body))
    out.append(f"  used by: {', '.join(users) if users else 'no other rule'}")
    return "\n".join(out) + "\n"


def _timeline_span(rulebase):
    policies = sorted(rulebase.checked.policies.values(), key=lambda p: p.name)
    dates = [d for p in policies if p.period for d in (p.period.start, p.period.end) if d]
    dates += [d for decl in dated_decls(rulebase) for p in decl.periods for d in (p.start, p.end) if d]
    first = min(dates + [_dt.date(2016, 1, 1)])
    last = max(dates + [_dt.date(2026, 12, 31)])
    return policies, _dt.date(first.year, 1, 1), _dt.date(last.year, 12, 31)


def render_timeline(rulebase, width: int = 60) -> str:
    policies, first, last = _timeline_span(rulebase)
    days = (last - first).days

    def col(date):
        return round((date - first).days / days * (width - 1))

    decls = [d for d in dated_decls(rulebase) if d.dated]
    # one label column for policies and dated sets alike, so a date is the same column on every row
    name_width = max([len(p.name) for p in policies] + [len(d.name) for d in decls] + [10])
    axis = [" "] * width
    # Whole years, every `step` years, where a label and a space fit: labels
    # never run together, whatever the span (a 1998-2026 rulebase gets 5-year marks).
    per_year = (width - 1) / max(1, last.year - first.year + 1)
    step = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 250, 500, 1000) if s * per_year >= 5), 1000)
    free = 0
    for year in range(first.year, last.year + 1):
        if year % step:
            continue
        c, label = col(_dt.date(year, 1, 1)), str(year)
        if c < free or c + len(label) > width:
            continue
        axis[c:c + len(label)] = label
        free = c + len(label) + 1
    out = [f"{'':{name_width}}  {''.join(axis)}"]
    for policy in sorted(policies, key=lambda p: (p.period.start if p.period and p.period.start else first, p.name)):
        start = policy.period.start if policy.period and policy.period.start else first
        end = policy.period.end if policy.period and policy.period.end else last
        bar = [" "] * width
        for i in range(col(start), col(end) + 1):
            bar[i] = "░" if policy.draft else "█"
        out.append(f"{policy.name:{name_width}}  {''.join(bar)}  {_period(policy)}{' (draft)' if policy.draft else ''}")
    if decls:
        out.append("")
        out.append("Sets and values that change with the date (each period drawn with its own number, "
                   "1-9 then a-z, a new period starting at a '|'):")
        for decl in decls:
            bar = [" "] * width
            changes = []
            for index, (period, start, end) in enumerate(S.in_effect(decl.periods)):
                mark = _period_mark(index)
                for i in range(col(start or first), col(end or last) + 1):
                    bar[i] = mark
                if index and col(end or last) - col(start) >= 2:     # a boundary only where it hides no period
                    bar[col(start)] = "|"
                changes.append(f"{mark} {S.effect_text(start, end)}")
            out.append(f"{decl.name:{name_width}}  {''.join(bar)}")
            out += [f"{'':{name_width}}    {change}" for change in changes]
    return "\n".join(out) + "\n"


def _period_mark(index: int) -> str:
    """The character that draws a dated set's or value's period `index` (0-based): 1-9, then a-z, then again."""
    marks = "123456789abcdefghijklmnopqrstuvwxyz"
    return marks[index % len(marks)]


def period_colour(index: int) -> str:
    """A fill for period `index` that differs from its neighbours' for any number of periods (hues a golden
    angle apart, lightness alternating)."""
    return f"hsl({index * 137.508 % 360:.0f}, 60%, {40 if index % 2 == 0 else 62}%)"


def timeline_svg(rulebase) -> str:
    """The periods in force as an SVG picture that survives printing: titles and dates are drawn, not hovered.

    Built as an XML tree (every text escaped), versions of one arrangement
    on adjacent rows, drafts hatched and explained in a legend.
    """
    import xml.etree.ElementTree as ET
    policies, first, last = _timeline_span(rulebase)
    days = max(1, (last - first).days)
    left, width, row, right = 380, 560, 34, 190
    ordered = sorted(policies, key=lambda p: (p.lineage, p.period.start if p.period and p.period.start else first,
                                              p.name))
    decls = [d for d in dated_decls(rulebase) if d.dated]
    height = row * (len(ordered) + len(decls) + 3)

    def x(date):
        return left + (date - first).days / days * width

    svg = ET.Element("svg", xmlns="http://www.w3.org/2000/svg", width=str(left + width + right),
                     height=str(height), **{"font-family": "sans-serif", "font-size": "12"})
    defs = ET.SubElement(svg, "defs")
    hatch = ET.SubElement(defs, "pattern", id="draft", width="6", height="6", patternUnits="userSpaceOnUse",
                          patternTransform="rotate(45)")
    ET.SubElement(hatch, "rect", width="6", height="6", fill="#e2e8f0")
    ET.SubElement(hatch, "line", x1="0", y1="0", x2="0", y2="6", stroke="#718096", **{"stroke-width": "2"})
    for year in range(first.year, last.year + 1):
        px = x(_dt.date(year, 1, 1))
        if left <= px <= left + width:
            ET.SubElement(svg, "line", x1=f"{px:.1f}", y1="10", x2=f"{px:.1f}", y2=str(height - 40), stroke="#ddd")
            ET.SubElement(svg, "text", x=f"{px + 2:.1f}", y=str(height - 42), fill="#666").text = str(year)
    lineage = None
    for index, policy in enumerate(ordered):
        y = 20 + index * row
        if policy.lineage != lineage and index:
            ET.SubElement(svg, "line", x1="8", y1=str(y - 5), x2=str(left + width + right - 8), y2=str(y - 5),
                          stroke="#eee")
        lineage = policy.lineage
        start = policy.period.start if policy.period and policy.period.start else first
        end = policy.period.end if policy.period and policy.period.end else last
        ET.SubElement(svg, "text", x="8", y=str(y + 10), **{"font-weight": "bold"}).text = policy.name
        ET.SubElement(svg, "text", x="8", y=str(y + 24), fill="#444").text = _shorten(policy.title, 60)
        bar = ET.SubElement(svg, "rect", x=f"{x(start):.1f}", y=str(y + 4), width=f"{max(2.0, x(end) - x(start)):.1f}",
                            height="16", fill="url(#draft)" if policy.draft else "#2b6cb0")
        ET.SubElement(bar, "title").text = f"{policy.title}: {_period(policy)}"
        ET.SubElement(svg, "text", x=str(left + width + 8), y=str(y + 16), fill="#333").text = \
            _period(policy) + (" (draft)" if policy.draft else "")
    for index, decl in enumerate(decls):
        y = 20 + (len(ordered) + index) * row
        ET.SubElement(svg, "text", x="8", y=str(y + 10), **{"font-weight": "bold"}).text = \
            f"{'set' if isinstance(decl, S.SetDecl) else 'value'} {decl.name}"
        ET.SubElement(svg, "text", x="8", y=str(y + 24), fill="#444").text = _shorten(decl.description or "", 60)
        for shade, (period, start, end) in enumerate(S.in_effect(decl.periods)):
            a, b = start or first, end or last
            bar = ET.SubElement(svg, "rect", x=f"{x(a):.1f}", y=str(y + 4), width=f"{max(2.0, x(b) - x(a)):.1f}",
                                height="16", fill=period_colour(shade), stroke="#fff")
            ET.SubElement(bar, "title").text = f"{decl.name} {S.effect_text(start, end)}: {S.period_value_text(decl, period)}"
            if x(b) - x(a) >= 10:       # the period's number, where it fits: any number of periods told apart
                ET.SubElement(svg, "text", x=f"{(x(a) + x(b)) / 2:.1f}", y=str(y + 16), fill="#fff",
                              **{"text-anchor": "middle", "font-size": "10"}).text = _period_mark(shade)
        ET.SubElement(svg, "text", x=str(left + width + 8), y=str(y + 16), fill="#333").text = \
            "changes " + ", ".join(str(start) for _, start, _ in S.in_effect(decl.periods)[1:]) \
            if len(decl.periods) > 1 else S.effect_text(decl.periods[0].start, decl.periods[0].end)
    legend_y = height - 18
    ET.SubElement(svg, "rect", x="8", y=str(legend_y - 11), width="24", height="12", fill="#2b6cb0")
    ET.SubElement(svg, "text", x="38", y=str(legend_y)).text = "in force"
    ET.SubElement(svg, "rect", x="110", y=str(legend_y - 11), width="24", height="12", fill="url(#draft)")
    ET.SubElement(svg, "text", x="140", y=str(legend_y)).text = "draft: in force only when switched on (--with-draft)"
    ET.indent(svg)
    return ET.tostring(svg, encoding="unicode") + "\n"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---- the same, as JSON (`--format json`) -------------------------------------------


def _rule_json(rulebase, rule) -> dict:
    return {"id": rule.id, "kind": rule.kind, "statement": rule.statement, "policy": rule.policy,
            "location": rulebase.rule_location(rule.id),
            "cites": [{"source": c.source, "locator": c.locator, "label": rulebase.cite(c).label} for c in rule.cites],
            "assumes": list(rulebase.rule_assumptions(rule.id)),
            **({"obligations": [duty_to_json(d) for d in rulebase.rule_obligations(rule.id)]}
               if rule.obligations else {})}


def _policy_json(policy) -> dict:
    period = policy.period
    return {"name": policy.name, "title": policy.title, "draft": policy.draft, "arrangement": policy.lineage,
            "from": period.start.isoformat() if period and period.start else None,
            "until": period.end.isoformat() if period and period.end else None, "assumes": list(policy.assumes)}


def rules_json(rulebase, date: _dt.date | None) -> dict:
    """`warrant rules --format json`: the rules always in force, then each policy (in force on `date`) with its rules."""
    checked = rulebase.checked
    always, gated, unless = _placed(checked, date)
    policies = sorted(checked.policies.values(), key=lambda p: (p.period.start if p.period and p.period.start
                                                                else _dt.date.min, p.name))
    decls = dated_decls(rulebase)

    def policy_json(policy) -> dict:
        out = {**_policy_json(policy), "rules": [_rule_json(rulebase, r) for r in policy.rules]}
        if policy.name in gated:      # rules outside it, gated by `in force(...)` of it or its lineage
            out["gated_rules"] = [{**_rule_json(rulebase, r), "in_force": g} for r, g in gated[policy.name]]
        return out
    return {"date": date.isoformat() if date else None, "always": [_rule_json(rulebase, r) for r in always],
            "policies": [policy_json(p) for p in policies if _in_force(p, date)],
            **({"while_not_in_force": [{**_rule_json(rulebase, r), "not_in_force": list(g)} for r, g in unless]}
               if unless else {}),
            **({"values": [_values_json(rulebase, d, date) for d in decls]} if decls else {})}


def _values_json(rulebase, decl, date=None) -> dict:
    """A dated set or named value, with its periods (only the one in effect on `date`, when given)."""
    def shown(period):
        if isinstance(decl, S.SetDecl):
            return list(period.value)
        from warrant.pipeline.values import to_json
        return to_json(period.value.value)
    return {"name": decl.name, "kind": "set" if isinstance(decl, S.SetDecl) else "value",
            "description": decl.description, "location": rulebase.place(decl),
            "periods": [{"from": start.isoformat() if start else None, "until": end.isoformat() if end else None,
                         "value": shown(period),
                         "cites": [{"source": c.source, "locator": c.locator, "label": rulebase.cite(c).label}
                                   for c in period.cites]}
                        for period, start, end in S.in_effect(decl.periods) if _applies(start, end, date)]}


def rule_json(rulebase, rule_id: str) -> dict:
    """`warrant show --format json`: one rule, its compiled form and the rules that use it."""
    render_rule(rulebase, rule_id)                  # the same checks (B001 for an unknown rule)
    checked = rulebase.checked
    rule = checked.rules[rule_id]
    head = rule.head.predicate if rule.head else None
    compiled = rulebase.program.rules[rule.id]
    users = sorted(r.id for r in checked.rules.values()
                   if head and any(isinstance(c, (S.Positive, S.Negative)) and c.atom.predicate == head for c in r.body))
    out = _rule_json(rulebase, rule)
    out.update({"defines": head, "compiled": f"{compiled.fired} <= " + " & ".join(map(str, compiled.body)),
                "used_by": users,
                "policy_detail": _policy_json(checked.policies[rule.policy]) if rule.policy else None,
                "assumption_positions": {n: checked.assumptions[n].get("position")
                                         or {p.label: p.value for p in checked.assumptions[n].readings}
                                         for n in rulebase.rule_assumptions(rule.id)}})
    return out


def timeline_json(rulebase) -> dict:
    """`warrant timeline --format json`: every policy's period, in the chart's order."""
    policies, first, _ = _timeline_span(rulebase)
    ordered = sorted(policies, key=lambda p: (p.period.start if p.period and p.period.start else first, p.name))
    decls = [d for d in dated_decls(rulebase) if d.dated]
    return {"policies": [_policy_json(p) for p in ordered],
            **({"values": [_values_json(rulebase, d) for d in decls]} if decls else {})}
