"""`warrant diff` reports: text for the terminal, JSON for scripts, Markdown for a review document.

All three say the same things in the same order: the two scenarios, whether
they are equivalent for every request, then each difference by cause (the
change, its items, the rule that starts or stops applying or deciding, why
that rule changed, and a witness request confirmed by the engine), then,
with `--regions all`, each raw region (its items, the change, its
conditions, and its witness).
"""
from __future__ import annotations

import json


def _coverage(report, regions: bool = False) -> str:
    """What a header covers: the differences by cause (complete unless a bound stopped their search), or with
    `regions`, the raw region search (which may stop where the differences did not)."""
    if regions and report.stopped:
        return (f"stopped after {len(report.regions)} region(s): {report.stop_reason}; "
                + ("more regions may exist; the differences above are complete" if report.complete
                   else "more requests may differ"))
    if not report.complete and report.stopped:
        return (f"stopped after {len(report.differences)} difference(s): {report.stop_reason}; "
                "more requests may differ")
    if report.bounds:
        limits = ", ".join(f"{n} entries in {path}" for path, n in sorted(report.bounds.items()))
        return f"every request with at most {limits} is covered"
    return "every request is covered"


def _witness(document: dict) -> str:
    parts = []
    for key, value in document.items():
        if isinstance(value, dict):
            parts += [f"{key}.{k}={_show(v)}" for k, v in value.items()]
        else:
            parts.append(f"{key}={_show(value)}")
    return ", ".join(parts)


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _digest(scenario) -> str:
    from warrant.pipeline.record import rulebase_digest
    return (rulebase_digest(scenario.rulebase)["sha256"] or "none")[:12]


def _change(difference) -> str:
    """"permitted -> refused", or for a change of basis alone "permitted, on another basis"."""
    if difference.basis:
        return "still permitted, on another basis"
    return f"{difference.before} -> {difference.after}"


def _items(difference, every: list) -> str:
    """The items a difference holds for; "every item" (but a few) when that is shorter to read."""
    items = difference.items
    if len(every) > 3 and len(items) == len(every):
        return f"every item ({len(items)})"
    if len(every) > 6 and len(items) > len(every) * 2 // 3:
        left = [i for i in every if i not in items]
        return f"every item but {', '.join(left)} ({len(items)} of {len(every)})"
    return ", ".join(items)


def _wording(report) -> list[str]:
    """The rules whose words changed between two rulebases (whether or not any decision did)."""
    if not report.wording:
        return []
    return ["", "wording changed (statements, citations, obligations, conditions):"] + \
        [f"  - {w}" for w in report.wording]


def _cause(difference) -> str:
    kind = "permission" if difference.kind == "permit" else "prohibition"
    rules = difference.rules
    if len(rules) == 1:
        return f"{kind} {rules[0]} {difference.how}"
    how = {"stops applying": "stop applying", "starts applying": "start applying",
           "becomes the basis": "become the basis", "stops being the basis": "stop being the basis"}[difference.how]
    return f"{kind}s {', '.join(rules[:-1])} and {rules[-1]} {how} (on exactly the same requests)"


def _statements(difference) -> list[tuple[str, str, list]]:
    """(rule, statement, citations) of each rule the difference names that has a statement."""
    return [(r, st, c) for r, st, c in ((difference.rule, difference.statement, difference.citations),
                                        *difference.also) if st]


def _decided(difference, report=None) -> str:
    """How the engine decided the witness on each side, with each side's date when the diff fixes it (the
    witness's own date is then read by neither: `warrant compare WITNESS --at D1 --at D2` shows both)."""
    before, after = difference.deciding or (None, None)
    days = [f" on {s.at}" if report is not None and s.at else "" for s in ((report.before, report.after)
                                                                          if report is not None else ())] or ["", ""]
    def by(outcome, rule, day):
        return f"{outcome}{day} by {rule}" if rule else f"{outcome}{day}, no permission applying"
    return f"{by(difference.before, before, days[0])}, then {by(difference.after, after, days[1])}"


def render_text(report) -> str:
    lines = [f"before: {report.before.label} (sha256 {_digest(report.before)})",
             f"after:  {report.after.label} (sha256 {_digest(report.after)})"]
    if report.equivalent:
        lines.append(f"equivalent: no request is decided differently ({_coverage(report)}; "
                     f"{report.solver_calls} solver call(s))")
        return "\n".join(lines + _wording(report)) + "\n"
    if not report.regions and not report.differences:
        lines.append(f"not known to be equivalent: {_coverage(report)} ({report.solver_calls} solver call(s))")
        return "\n".join(lines) + "\n"
    if report.differences:
        lines.append(f"{len(report.differences)} difference(s) in the decisions, by the rule that causes each "
                     f"({_coverage(report)}; {report.solver_calls} solver call(s))")
        for number, difference in enumerate(report.differences, 1):
            lines.append("")
            lines.append(f"{number}. {_change(difference)}: {_items(difference, report.items)}")
            lines.append(f"   because {_cause(difference)}")
            for reason in difference.because:
                lines.append(f"     - {reason}")
            for rule, statement, citations in _statements(difference):
                cites = f" (cites {'; '.join(citations)})" if citations else ""
                lines.append(f"   {rule}: {statement}{cites}")
            lines.append(f"   witness (decided by the engine: {_decided(difference, report)}):")
            lines.append(f"     {_witness(difference.witness)}")
    lines += _wording(report)
    if not report.raw:
        return "\n".join(lines) + "\n"
    if report.differences:
        lines.append("")
    lines.append(f"{len(report.regions)} region(s) of requests decided differently ({_coverage(report, True)}; "
                 f"{report.solver_calls} solver call(s))")
    for number, region in enumerate(report.regions, 1):
        lines.append("")
        lines.append(f"{number}. {region.before} -> {region.after}: {', '.join(region.items)}")
        for index, condition in enumerate(region.text):
            lines.append(f"   {'when' if index == 0 else 'and '} {condition}")
        if not region.text:
            lines.append("   for every request that asks for it")
        lines.append(f"   witness (decided by the engine: {region.before}, then {region.after}):")
        lines.append(f"     {_witness(region.witness)}")
    return "\n".join(lines) + "\n"


def render_json(report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_markdown(report) -> str:
    from warrant.pipeline.render.markdown import text
    lines = ["# What changes", "", f"- **Before:** {text(report.before.label)} (sha256 {_digest(report.before)})",
             f"- **After:** {text(report.after.label)} (sha256 {_digest(report.after)})", ""]
    if report.equivalent:
        lines.append(f"The two are equivalent: no request is decided differently ({_coverage(report)}).")
        return "\n".join(lines + [text(w) for w in _wording(report)]) + "\n"
    if not report.regions and not report.differences:
        lines.append(f"Not known to be equivalent: {_coverage(report)}.")
        return "\n".join(lines) + "\n"
    if report.differences:
        lines.append(f"{len(report.differences)} difference(s) in the decisions, by the rule that causes each "
                     f"({_coverage(report)}).")
        for number, difference in enumerate(report.differences, 1):
            lines += ["", f"## {number}. {text(_change(difference))}: {text(_cause(difference))}", "",
                      f"Items: {text(_items(difference, report.items))}", ""]
            lines += [f"- {text(reason)}" for reason in difference.because]
            for number_, (rule, statement, citations) in enumerate(_statements(difference)):
                cites = f" (cites {'; '.join(citations)})" if citations else ""
                shown = f"{text(rule)}: {text(statement)}" if difference.also else text(statement)
                lines += ([""] if difference.because or number_ else []) + [f"> {shown}{text(cites)}"]
            lines += ["", f"Witness, decided by the engine ({text(_decided(difference, report))}): "
                          f"`{_witness(difference.witness)}`"]
    if not report.raw:
        return "\n".join(lines) + "\n"
    lines += ["", f"{len(report.regions)} region(s) of requests are decided differently ({_coverage(report, True)})."]
    for number, region in enumerate(report.regions, 1):
        lines += ["", f"## {number}. {region.before} → {region.after}", "",
                  f"Items: {', '.join(f'`{i}`' for i in region.items)}", ""]
        lines += [f"- {text(c)}" for c in region.text] or ["- every request that asks for them"]
        lines += ["", f"Witness, decided by the engine under both: `{_witness(region.witness)}`"]
    return "\n".join(lines) + "\n"
