"""A plain-text tree of a decision, for a reviewer at the terminal."""
from __future__ import annotations

from warrant.pipeline.grounding import setting_text
from warrant.pipeline.judgement import answers_text, result_text
from warrant.pipeline.trace import Attempt, Decision, TraceNode, policy_statement_hidden, rule_label

from warrant.pipeline.outcome import NOTHING_IN_FORCE, item_words, WORDS as _MARK  # noqa: E402 - the words, from one place


def _cites(citations) -> str:
    return "; ".join(f"{c.label}{', ' + c.locator if c.locator else ''}" for c in citations)


def _node_lines(node: TraceNode, prefix: str, last: bool, out: list[str], top: bool = False) -> None:
    branch = "" if top else ("└─ " if last else "├─ ")
    where = ""
    if node.kind == "rule":
        where = f"  [{rule_label(node)}{' @ ' + node.location if node.location else ''}]"
    elif node.location:
        where = f"  [{'request: ' if node.kind in ('fact', 'absent') else ''}{node.location}]"
    mark = "" if node.holds or node.kind in ("absent",) else "✗ "
    out.append(f"{prefix}{branch}{mark}{node.conclusion}{where}")
    inner = prefix + ("" if top else ("   " if last else "│  "))
    if node.kind == "rule":
        if node.statement and not policy_statement_hidden(node):
            out.append(f"{inner}│  “{node.statement}”")
    if node.citations:                               # a rule's, or the period of a dated set that applied
        out.append(f"{inner}│  cites: {_cites(node.citations)}")
    if node.kind == "rule" and node.assumptions:
        out.append(f"{inner}│  assumes: {', '.join(node.assumptions)}")
    for index, child in enumerate(node.children):
        _node_lines(child, inner, index == len(node.children) - 1, out)


def _attempt_lines(attempt: Attempt, out: list[str]) -> None:
    state = "in force" if attempt.in_force else ("would have applied" if attempt.would_apply else "not in force")
    out.append(f"    - {attempt.rule} ({state}{', policy ' + attempt.policy if attempt.policy else ''})")
    if attempt.statement:
        out.append(f"      “{attempt.statement}”")
    if attempt.note:
        out.append(f"      {attempt.note}")
    if attempt.failed is not None:
        out.append(f"      failed: {attempt.failed.conclusion}")
        if attempt.failed.citations:                 # a dated set's period that applied
            out.append(f"        cites: {_cites(attempt.failed.citations)}")
        for index, child in enumerate(attempt.failed.children):
            lines: list[str] = []
            _node_lines(child, "        ", index == len(attempt.failed.children) - 1, lines)
            out.extend(lines)
    if attempt.would_apply:
        out.append("      every other condition holds")
    if attempt.citations:
        out.append(f"      cites: {_cites(attempt.citations)}")


def render_decision(decision: Decision) -> str:
    out = [f"Request {decision.request} on {decision.date}: {_MARK[decision.outcome]}"]
    for key, value in decision.settings:
        out.append(f"  override: {key} {value}")
    out.append(f"  policies in force: {', '.join(decision.in_force) or 'none'}")
    record = decision.extra.get("record")
    if record:
        rules = record["rulebase"]
        out.append(f"  rulebase: {rules['rules'] or '.'} (sha256 {(rules['sha256'] or 'none')[:12]}), warrant {record['warrant']}")
    for item in decision.items:
        out.append("")
        out.append(f"{item.item}: {item_words(item.outcome, item.reason)}")
        for proof in item.proofs:
            lines: list[str] = []
            _node_lines(proof, "  ", True, lines, top=True)
            out.extend(lines)
        if item.overridden:
            out.append(f"  overrides permission: {', '.join(item.overridden)}")
        for duty in item.obligations:
            out.append(f"  requires: {duty.text} [{duty.rule}]")
            if duty.condition:
                out.append(f"      because: {'; '.join(duty.because) or duty.condition}")
            if duty.citations:
                out.append(f"      cites: {_cites(duty.citations)}")
        for branch in item.branches:
            out.append(f"  - if {answers_text(branch)}: {result_text(branch)}")
            if branch.statement:
                out.append(f"      “{branch.statement}”")
            if branch.citations:
                out.append(f"      cites: {_cites(branch.citations)}")
            for duty in branch.obligations:
                out.append(f"      requires: {duty.text}" + (f" (when {duty.condition})" if duty.condition else ""))
        if item.reason == "no_permission":
            if not item.attempts:
                out.append(f"  {NOTHING_IN_FORCE}")
            else:
                out.append("  why not:")
                for attempt in item.attempts:
                    _attempt_lines(attempt, out)
        if item.outcome == "refused" and decision.extra.get("changes_searched"):
            for cf in item.counterfactuals:
                out.append(f"  would be permitted if: {cf.describe()}")
            more = getattr(item.counterfactuals, "more", 0)
            if more:
                out.append(f"  ... and {more} more way(s) with as few changes, not shown")
            incomplete = getattr(item.counterfactuals, "incomplete", None)
            if incomplete:
                out.append(f"  the search for what would change stopped at a bound, so this answer is incomplete: "
                           f"{incomplete}")
            elif not item.counterfactuals:
                out.append("  no change to the request's facts was found that would permit it on this date")
    if decision.questions:
        out.append("")
        out.append("Judgements the request left open that the outcome turns on (a missing answer is not a no):")
        for path, doc in decision.questions:
            out.append(f"  - {path}: {doc}")
    if decision.assumptions:
        out.append("")
        out.append("Assumptions this decision rests on:")
        for name, on, position in decision.assumptions:
            out.append(f"  - {name} ({setting_text(on)}): {position}")
    return "\n".join(out) + "\n"


def render_text(decisions: list[Decision]) -> str:
    return "\n".join(render_decision(d) for d in decisions)
