"""A Markdown memo of a decision, for a reviewer's file."""
from __future__ import annotations

from warrant.pipeline.grounding import setting_text
from warrant.pipeline.judgement import answers_text, result_text
from warrant.pipeline.trace import Decision, TraceNode, dated_period, policy_period, policy_statement_hidden

from warrant.pipeline.outcome import TITLES as _WORD  # noqa: E402 - the words, from one place
_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*"})


def text(value) -> str:
    """Anything quoted from a request or a rule file, as text: never HTML, never Markdown markup.

    `&` and `<` become entities (a Markdown viewer shows them as typed, and
    no tag can open); backslash, backtick and `*` are escaped and `](` is
    broken, so a request id cannot open a code span, emphasis or a link."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").translate(_SPECIAL).replace("](", "]\\(")


def _node(node: TraceNode, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    shown = text(node.conclusion)
    if node.kind == "rule":
        period = dated_period(node)
        in_force = policy_period(node)
        if period:
            named = f"{period[0]} `{period[1]}` {period[2]}"
        elif in_force:
            named = (f"lineage `{in_force[0]}` version " if in_force[0] else "policy ") + f"`{in_force[1]}`"
        else:
            named = f"rule `{node.rule}`"
        out.append(f"{pad}- **{shown}** — {named}" + (f" ({text(node.location)})" if node.location else ""))
        if node.statement and not policy_statement_hidden(node):
            out.append(f"{pad}  > {text(node.statement)}")
        if node.citations:
            out.append(f"{pad}  Sources: " + "; ".join(text(c.label) + (f", {text(c.locator)}" if c.locator else "")
                                                        for c in node.citations))
        if node.assumptions:
            out.append(f"{pad}  Assumes: " + ", ".join(f"`{a}`" for a in node.assumptions))
    else:
        suffix = f" ({text(node.location)})" if node.location else ""
        out.append(f"{pad}- {'' if node.holds or node.kind == 'absent' else '✗ '}{shown}{suffix}")
        if node.citations:
            out.append(f"{pad}  Sources: " + _sources(node.citations))
    for child in node.children:
        _node(child, depth + 1, out)


def render_decision(decision: Decision) -> str:
    out = [f"# Decision: {text(decision.request)}", "",
           f"- **Date:** {decision.date}", f"- **Outcome:** {_WORD[decision.outcome]}",
           f"- **Policies in force:** {', '.join(f'`{p}`' for p in decision.in_force) or 'none'}"]
    for key, value in decision.settings:
        out.append(f"- **Override:** {text(key)} {text(value)}")
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
        if item.obligations:
            out.append("\n**Obligations** (what must still be done):\n")
        for duty in item.obligations:
            sources = "; ".join(text(c.label) + (f", {text(c.locator)}" if c.locator else "") for c in duty.citations)
            out.append(f"- {text(duty.text)} (`{duty.rule}`{'; ' + sources if sources else ''})"
                       + (f"; it applies because {text('; '.join(duty.because) or duty.condition)}"
                          if duty.condition else ""))
        if item.branches:
            out.append("It turns on judgements the request left open:\n")
        for branch in item.branches:
            out.append(f"- If {text(answers_text(branch))}: **{text(result_text(branch))}**")
            if branch.statement:
                out.append(f"  > {text(branch.statement)}")
            if branch.citations:
                out.append("  Sources: " + "; ".join(text(c.label) + (f", {text(c.locator)}" if c.locator else "")
                                                    for c in branch.citations))
            for duty in branch.obligations:
                out.append(f"  Requires: {text(duty.text)}" + (f" (when {text(duty.condition)})" if duty.condition else ""))
        if item.reason == "no_permission":
            out.append("No permission applies." if item.attempts else
                       "No permission applies: no arrangement in force on this date covers this request.")
            for attempt in item.attempts:
                state = "in force" if attempt.in_force else "would have applied" if attempt.would_apply else "not in force"
                out.append(f"\n- `{attempt.rule}` ({state}): {text(attempt.statement)}")
                if attempt.note:
                    out.append(f"  - {text(attempt.note)}")
                if attempt.failed is not None:
                    out.append(f"  - First failed condition: {text(attempt.failed.conclusion)}"
                               + (f" (sources: {_sources(attempt.failed.citations)})" if attempt.failed.citations else ""))
                if attempt.citations:
                    out.append("  - Sources: " + "; ".join(text(c.label) + (f", {text(c.locator)}" if c.locator else "")
                                                          for c in attempt.citations))
        if item.outcome == "refused" and decision.extra.get("changes_searched"):
            out.append("")
            for cf in item.counterfactuals:
                out.append(f"- **Would be permitted if:** {text(cf.describe())}")
            if not item.counterfactuals:
                out.append("- No change to the request's facts was found that would permit it on this date.")
    if decision.questions:
        out += ["", "## Judgements left open", "", "A missing answer is not a no.", ""]
        for path, doc in decision.questions:
            out.append(f"- `{path}`: {text(doc)}")
    if decision.assumptions:
        out += ["", "## Assumptions", ""]
        for name, on, position in decision.assumptions:
            out.append(f"- `{name}` ({setting_text(on)}): {text(position)}")
    return "\n".join(out) + "\n"


def _sources(citations) -> str:
    return "; ".join(text(c.label) + (f", {text(c.locator)}" if c.locator else "") for c in citations)


def render_markdown(decisions: list[Decision]) -> str:
    return "\n".join(render_decision(d) for d in decisions)
