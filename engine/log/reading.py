"""Reading a decision back from its JSON (docs/TRACE_JSON.md): the inverse of pipeline/render/json.py.

A logged decision is kept as the JSON `--format json` printed; `warrant log
show` reads it back into the trace dataclasses, so every renderer (text,
Markdown, HTML, DOT) prints it as `warrant decide` did, with no rulebase at
hand. Values stay as JSON wrote them (the renderers show them as text);
`decision_to_json(decision_from_json(doc)) == doc` (tests/test_log.py).
"""
from __future__ import annotations

from warrant.pipeline.trace import Attempt, Cite, Decision, Duty, ItemDecision, TraceNode


def decision_from_json(doc: dict, *, changes_searched: bool = False, units: dict | None = None) -> Decision:
    """The decision a JSON document describes; `changes_searched`: what-would-change ran (the text says so
    even when it found nothing); `units`: a counterfactual change's unit per field (months)."""
    extra: dict = {}
    if "record" in doc:
        extra["record"] = doc["record"]
    if changes_searched:
        extra["changes_searched"] = True
    assumptions = tuple((a["name"], a["reading"] if "reading" in a else a["on"], a["position"])
                        for a in doc.get("assumptions", ()))
    return Decision(doc["request"], doc["date"], doc["outcome"],
                    tuple(_item(i, units or {}) for i in doc.get("items", ())), assumptions,
                    tuple((s["setting"], s["value"]) for s in doc.get("settings", ())),
                    tuple(doc.get("policies_in_force", ())),
                    tuple((q["field"], q["question"]) for q in doc.get("open_questions", ())), extra)


def _cites(data) -> tuple:
    return tuple(Cite(c["source"], c.get("locator"), c["label"]) for c in data or ())


def _value(value):
    return tuple(value) if isinstance(value, list) else value


def node_from_json(data: dict) -> TraceNode:
    atom = data.get("atom")
    return TraceNode(
        data["kind"], data["conclusion"],
        (atom["predicate"], tuple(atom["args"])) if atom else (),
        data.get("rule"), data.get("statement"),
        tuple((k, v) for k, v in data.get("bindings", {}).items()),
        _cites(data.get("citations")), tuple(data.get("assumptions", ())), data.get("location"),
        data["holds"], tuple(node_from_json(c) for c in data.get("children", ())),
        tuple((k, _value(v)) for k, v in data.get("detail", {}).items()))


def _attempt(data: dict) -> Attempt:
    return Attempt(data["rule"], data["statement"], data.get("policy"), data["in_force"],
                   node_from_json(data["failed"]) if "failed" in data else None,
                   tuple(node_from_json(n) for n in data.get("held", ())), data.get("would_apply", False),
                   _cites(data.get("citations")), data.get("note"))


def _duty(data: dict) -> Duty:
    return Duty(data["obligation"], data["rule"], _cites(data.get("citations")))


def _item(data: dict, units: dict) -> ItemDecision:
    from warrant.pipeline.judgement import Branch
    from warrant.review.counterfactual import Change, Counterfactual, Suggestions
    found = [Counterfactual(tuple(Change(c["field"], c["from"], c["to"], units.get(c["field"], ""),
                                         tuple(c.get("or", ()))) for c in cf["changes"]), tuple(cf["permitted_by"]))
             for cf in data.get("counterfactuals", ())]
    counterfactuals = Suggestions.of(found, data.get("counterfactuals_incomplete"), data.get("counterfactuals_more", 0)) \
        if found or data.get("counterfactuals_incomplete") else ()
    branches = tuple(Branch(tuple(b["answers"].items()), b["outcome"], b.get("rule"), b.get("statement"),
                            _cites(b.get("citations")), tuple(_duty(d) for d in b.get("obligations", ())))
                     for b in data.get("branches", ()))
    return ItemDecision(data["item"], data["outcome"], data.get("reason", ""),
                        tuple(node_from_json(p) for p in data.get("proofs", ())),
                        tuple(data.get("overridden_permissions", ())),
                        tuple(_attempt(a) for a in data.get("why_not", ())), counterfactuals, branches,
                        tuple(_duty(d) for d in data.get("obligations", ())))
