"""The stable JSON form of a decision (documented in docs/TRACE_JSON.md).

Keys are fixed and sorted; empty fields are left out; values are written
as the rule language writes them (dates ISO, money "£500.00", months as
"12 months"). `decision_to_json` is also what golden files store.
"""
from __future__ import annotations

import json

from warrant.pipeline.cache import Bounded
from warrant.pipeline.trace import Attempt, Decision, ItemDecision, TraceNode, named_by_detail
from warrant.pipeline.values import to_json

FORMAT_VERSION = 1


def node_to_json(node: TraceNode, seen: dict | None = None) -> dict:
    """A proof node and its children; `seen` (node id -> its JSON) renders a node shared by several places
    of one decision once (the prover shares the proof of, say, a policy in force between permissions), and
    with `seen` a node shared between decisions is rendered once for them all (`_NODE_JSON`)."""
    if seen is not None:
        found = seen.get(id(node))
        if found is not None:
            return found
        kept = _NODE_JSON.get(id(node))
        if kept is not None and kept[0] is node:      # a node the prover shares between requests
            seen[id(node)] = kept[1]
            return kept[1]
    out: dict = {"kind": node.kind, "conclusion": node.conclusion, "holds": node.holds}
    if node.rule and not named_by_detail(node):      # a dated period's or a policy in force's clause: by its detail
        out["rule"] = node.rule
    if node.statement:
        out["statement"] = node.statement
    if node.location:
        out["location"] = node.location
    if node.atom:
        out["atom"] = {"predicate": node.atom[0], "args": [to_json(a) for a in node.atom[1]]}
    if node.bindings:
        out["bindings"] = {k: to_json(v) for k, v in node.bindings}
    if node.citations:
        out["citations"] = [{"source": c.source, "locator": c.locator, "label": c.label} for c in node.citations]
    if node.assumptions:
        out["assumptions"] = list(node.assumptions)
    if node.detail:
        out["detail"] = {k: (list(map(to_json, v)) if isinstance(v, tuple) else to_json(v)) for k, v in node.detail}
    if node.children:
        out["children"] = [node_to_json(c, seen) for c in node.children]
    if seen is not None:
        seen[id(node)] = out
        _NODE_JSON[id(node)] = (node, out)
    return out


# A node's JSON, kept across decisions by the node's identity (the entry holds the node, so the identity stays
# its own): the prover makes one node of a condition for every request that reads the same of it
# (engine/pipeline/whynot.py `_shared`), and its dict is then one dict in each decision (read-only).
_NODE_JSON = Bounded(5_000)


class AttemptJSON(dict):
    """`attempt_to_json`'s dict, which also carries the JSON text of its parts that are not proof nodes, in
    json.dumps's sorted order: `head` (its citations) before "failed" and "held", `tail` (from "in_force"
    on) after them. The text is made once per permission and setting (`_attempt_text`), and a batch's
    encoder (engine/batch/encoding.py) writes a why-not from it and its nodes' text: a refusal on a law
    of fifty routes lists fifty why-nots a line."""
    __slots__ = ("head", "tail")


_ATTEMPT_TEXT = Bounded(20_000)     # (an attempt's parts that are not nodes) -> (its citations, head, tail)


def attempt_to_json(attempt: Attempt, seen: dict | None = None) -> dict:
    out = AttemptJSON(rule=attempt.rule, statement=attempt.statement, policy=attempt.policy,
                      in_force=attempt.in_force, would_apply=attempt.would_apply,
                      citations=[{"source": c.source, "locator": c.locator, "label": c.label}
                                 for c in attempt.citations])
    if attempt.note:
        out["note"] = attempt.note
    if attempt.failed is not None:
        out["failed"] = node_to_json(attempt.failed, seen)
    if attempt.held:
        if seen is None:
            out["held"] = [node_to_json(n, seen) for n in attempt.held]
        else:                 # permissions with the same leading conditions share their held nodes: one list
            held = seen.get(("held", id(attempt.held)))
            if held is None or held[0] is not attempt.held:
                held = seen[("held", id(attempt.held))] = (attempt.held, [node_to_json(n, seen) for n in attempt.held])
            out["held"] = held[1]
    out.head, out.tail = _attempt_text(attempt, out)
    return out


def _attempt_text(attempt: Attempt, out: AttemptJSON) -> tuple[str, str]:
    """(head, tail) of `AttemptJSON`: json.dumps of the attempt's dict without its nodes, cut after its
    citations (the first key); kept by those parts (the citations by identity: a permission's are one tuple
    for the program's life, held here so the identity stays theirs)."""
    key = (attempt.rule, attempt.statement, attempt.policy, attempt.in_force, attempt.would_apply, attempt.note,
           id(attempt.citations))
    found = _ATTEMPT_TEXT.get(key)
    if found is None or found[0] is not attempt.citations:
        plain = {k: v for k, v in out.items() if k not in ("failed", "held")}
        text = json.dumps(plain, ensure_ascii=False, sort_keys=True)
        head = '{"citations": ' + json.dumps(plain["citations"], ensure_ascii=False, sort_keys=True)
        assert text.startswith(head + ", ")
        found = _ATTEMPT_TEXT[key] = (attempt.citations, head, text[len(head):])
    return found[1], found[2]


def item_to_json(item: ItemDecision, seen: dict | None = None) -> dict:
    out: dict = {"item": item.item, "outcome": item.outcome, "reason": item.reason}
    if item.proofs:
        out["proofs"] = [node_to_json(p, seen) for p in item.proofs]
    if item.overridden:
        out["overridden_permissions"] = list(item.overridden)
    if item.attempts or item.reason == "no_permission":
        out["why_not"] = [attempt_to_json(a, seen) for a in item.attempts]
    if item.counterfactuals:
        out["counterfactuals"] = [cf.to_json() for cf in item.counterfactuals]
    if getattr(item.counterfactuals, "more", 0):
        out["counterfactuals_more"] = item.counterfactuals.more
    if getattr(item.counterfactuals, "incomplete", None):
        out["counterfactuals_incomplete"] = item.counterfactuals.incomplete
    if item.obligations:
        out["obligations"] = [duty_to_json(d) for d in item.obligations]
    if item.branches:
        from warrant.pipeline.judgement import questions_of
        out["questions"] = list(questions_of(item.branches))
        out["branches"] = [branch_to_json(b) for b in item.branches]
    return out


def duty_to_json(duty) -> dict:
    """An obligation the permitted item carries, with the permission that imposes it and its sources."""
    out = {"obligation": duty.text, "rule": duty.rule,
           "citations": [{"source": c.source, "locator": c.locator, "label": c.label} for c in duty.citations]}
    if duty.condition:                 # a conditional obligation: its conditions, and what held of the item
        out["when"] = duty.condition
        if duty.because:
            out["because"] = list(duty.because)
    return out


def branch_to_json(branch) -> dict:
    """One way the open judgements may be answered: the answers, the outcome, the rule that decides it."""
    out: dict = {"answers": {path: yes for path, yes in branch.answers}, "outcome": branch.outcome}
    if branch.rule:
        out["rule"] = branch.rule
        out["statement"] = branch.statement
        out["citations"] = [{"source": c.source, "locator": c.locator, "label": c.label} for c in branch.citations]
    if branch.obligations:
        out["obligations"] = [duty_to_json(d) for d in branch.obligations]
    return out


def decision_to_json(decision: Decision, stable: bool = False) -> dict:
    """The decision as JSON; `stable`: its record without the version and rulebase digest (golden files).
    A node shared by several places of the decision is one dict in each (treat the result as read-only)."""
    seen: dict = {}
    out = {
        "format": FORMAT_VERSION,
        "request": decision.request,
        "date": decision.date,
        "outcome": decision.outcome,
        "settings": [{"setting": k, "value": v} for k, v in decision.settings],
        "policies_in_force": list(decision.in_force),
        "assumptions": [{"name": n, **({"reading": on} if isinstance(on, str) else {"on": on}), "position": p}
                        for n, on, p in decision.assumptions],
        "items": [item_to_json(i, seen) for i in decision.items],
    }
    if decision.questions:
        out["open_questions"] = [{"field": path, "question": doc} for path, doc in decision.questions]
    record = decision.extra.get("record")
    if record is not None:
        from warrant.pipeline.record import stable_record
        out["record"] = stable_record(record) if stable else record
    return out


def render_json(decisions: list[Decision], stable: bool = False) -> str:
    data = [decision_to_json(d, stable) for d in decisions]
    return json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
