"""A Markdown memo of a decision, for a reviewer's file."""
from __future__ import annotations

from engine.pipeline.trace import Decision, TraceNode

_WORD = {"permitted": "Permitted", "refused": "Refused", "partially_permitted": "Partially permitted"}


def _node(node: TraceNode, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    text = node.conclusion.replace("*", "\\*")
    if node.kind == "rule":
        out.append(f"{pad}- **{text}** — rule `{node.rule}`" + (f" ({node.location})" if node.location else ""))
        if node.statement and not node.rule.endswith("__in_force"):
            out.append(f"{pad}  > {node.statement}")
        if node.citations:
            out.append(f"{pad}  Sources: " + "; ".join(f"{c.label}" + (f", {c.locator}" if c.locator else "")
                                                        for c in node.citations))
        if node.assumptions:
            out.append(f"{pad}  Assumes: " + ", ".join(f"`{a}`" for a in node.assumptions))
    else:
        suffix = f" (`{node.location}`)" if node.location else ""
        out.append(f"{pad}- {'' if node.holds or node.kind == 'absent' else '✗ '}{text}{suffix}")
    for child in node.children:
        _node(child, depth + 1, out)


def render_decision(decision: Decision) -> str:
    out = [f"# Decision: {decision.request}", "",
           f"- **Date:** {decision.date}", f"- **Outcome:** {_WORD[decision.outcome]}",
           f"- **Policies in force:** {', '.join(f'`{p}`' for p in decision.in_force) or 'none'}"]
    for key, value in decision.settings:
        out.append(f"- **Override:** {key} {value}")
    record = decision.extra.get("record")
    if record:
        out.append(f"- **Rulebase:** `{record['rulebase']['rules'] or '.'}` (sha256 `{record['rulebase']['sha256']}`), "
                   f"Warrant {record['warrant']}; request sha256 `{record['request_sha256']}`")
    for item in decision.items:
        out += ["", f"## `{item.item}`: {_WORD[item.outcome]}", ""]
        for proof in item.proofs:
            _node(proof, 0, out)
        if item.overridden:
            out.append(f"\nThe prohibition overrides: {', '.join(f'`{r}`' for r in item.overridden)}.")
        if item.reason == "no_permission":
            out.append("No permission applies." if item.attempts else
                       "No permission applies: no arrangement in force on this date covers this request.")
            for attempt in item.attempts:
                state = "in force" if attempt.in_force else "would have applied" if attempt.would_apply else "not in force"
                out.append(f"\n- `{attempt.rule}` ({state}): {attempt.statement}")
                if attempt.note:
                    out.append(f"  - {attempt.note}")
                if attempt.failed is not None:
                    out.append(f"  - First failed condition: {attempt.failed.conclusion}")
                if attempt.citations:
                    out.append("  - Sources: " + "; ".join(c.label + (f", {c.locator}" if c.locator else "")
                                                          for c in attempt.citations))
        if item.outcome == "refused" and decision.extra.get("changes_searched"):
            out.append("")
            for cf in item.counterfactuals:
                out.append(f"- **Would be permitted if:** {cf.describe()}")
            if not item.counterfactuals:
                out.append("- No change to the request's facts was found that would permit it on this date.")
    if decision.assumptions:
        out += ["", "## Assumptions", ""]
        for name, on, position in decision.assumptions:
            out.append(f"- `{name}` ({'on' if on else 'off'}): {position}")
    return "\n".join(out) + "\n"


def render_markdown(decisions: list[Decision]) -> str:
    return "\n".join(render_decision(d) for d in decisions)
