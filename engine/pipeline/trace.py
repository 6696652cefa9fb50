"""Trace data: what a decision rests on, as frozen dataclasses.

A `TraceNode` is one step of a proof: a rule instance (kind "rule"), or a
leaf: a request fact, a set membership, a comparison with its values, an
absence (a negation that holds), an assumption. `Attempt` records a permit
rule that did not apply and the first condition that failed. `Decision`
gathers one `ItemDecision` per requested item. Renderers (engine/pipeline/render/)
turn these into text, JSON, Markdown and DOT; the proof checker
(engine/checker/verify.py) walks them without the evaluator.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Cite:
    source: str
    locator: str | None
    label: str          # publisher, title, date: how a reader finds it


@dataclass(frozen=True, slots=True)
class Duty:
    """An obligation a permitted item carries: `requires "text" [when ...] cites ...` on the permission that
    decided it. A conditional one has its conditions as written (`condition`), its compiled clause, and, in a
    decision, what held of the item that day (`because`, a trace's words)."""

    text: str
    rule: str
    citations: tuple[Cite, ...] = ()
    condition: str | None = None
    clause: str | None = None
    because: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TraceNode:
    kind: str                                   # rule | fact | member | comparison | absent | assumption
    conclusion: str                             # plain text of what this node establishes
    atom: tuple = ()                            # (engine predicate, args) for rule and fact nodes
    rule: str | None = None                     # the rule that produced it
    statement: str | None = None                # the rule's plain-English statement
    bindings: tuple[tuple[str, object], ...] = ()
    citations: tuple[Cite, ...] = ()
    assumptions: tuple[str, ...] = ()           # assumptions this step rests on
    location: str | None = None                 # rule file:line, or request field path
    holds: bool = True
    children: tuple["TraceNode", ...] = ()
    detail: tuple[tuple[str, object], ...] = ()  # e.g. comparison operands, set name
    failed_at: int | None = None                # a rule that did not apply: its compiled body index that
                                                # failed (for coverage; not rendered)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A permission that did not apply to an item, and why."""

    rule: str
    statement: str
    policy: str | None
    in_force: bool
    failed: TraceNode | None            # the first condition that failed (holds=False)
    held: tuple[TraceNode, ...] = ()    # the conditions that held before it
    would_apply: bool = False           # not in force, but every other condition holds
    citations: tuple[Cite, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ItemDecision:
    item: str
    outcome: str                        # permitted | refused | undetermined
    reason: str                         # permission | prohibition | no_permission | unanswered
    proofs: tuple[TraceNode, ...] = ()  # permits (permitted) or prohibitions (refused by one)
    overridden: tuple[str, ...] = ()    # permits that fired but lost to a prohibition
    attempts: tuple[Attempt, ...] = ()  # why no permission applied
    counterfactuals: tuple = ()         # filled by engine/review/counterfactual.py
    branches: tuple = ()                # undetermined: what each answer to the open judgements gives
                                        # (engine/pipeline/judgement.py `Branch`)
    obligations: tuple[Duty, ...] = ()  # permitted: the duties of the deciding permission (proofs[0])


@dataclass(frozen=True, slots=True)
class Decision:
    request: str
    date: str
    outcome: str                         # permitted | partially_permitted | refused | undetermined
    items: tuple[ItemDecision, ...]
    assumptions: tuple[tuple[str, bool, str], ...] = ()   # (name, on?, position) this decision rests on
    settings: tuple[tuple[str, str], ...] = ()            # overrides applied (--at, --set, --assume, drafts)
    in_force: tuple[str, ...] = ()                        # policies in force on the date
    questions: tuple[tuple[str, str], ...] = ()           # open judgements the rules read: (field, its question)
    extra: dict = field(default_factory=dict, compare=False)


def dated_period(node: TraceNode) -> tuple[str, str, str] | None:
    """("set" or "value", name, period) when the node is a dated set's member or a named value in one
    period (a compiled clause: no rule the author wrote, so its id is never shown), else None."""
    detail = dict(node.detail)
    kind = "set" if "set" in detail else "value" if "value" in detail else None
    if "period" not in detail or kind is None:
        return None
    return kind, detail[kind], detail["period"]


def policy_period(node: TraceNode) -> tuple[str | None, str, str] | None:
    """(lineage or None, policy, period) when the node proves a policy, or a lineage through one of its
    versions, in force (a compiled clause: no rule the author wrote, so its id is never shown), else None."""
    detail = dict(node.detail)
    if "policy" not in detail or "period" not in detail:
        return None
    return detail.get("lineage"), detail["policy"], detail["period"]


def rule_label(node: TraceNode) -> str | None:
    """How a rule node names its rule to a reader: the rule's id; a dated set's or value's period as
    `set relevant_authorities from 2012-11-22` (its member and value are in the conclusion); a policy in
    force as `policy mou_2017`, a lineage's version as `lineage s115_power version
    s115_amended_2012` (the period is in the conclusion)."""
    period = dated_period(node)
    if period:
        return " ".join(period)
    in_force = policy_period(node)
    if in_force:
        lineage, policy, _ = in_force
        return f"lineage {lineage} version {policy}" if lineage else f"policy {policy}"
    return node.rule


def policy_statement_hidden(node: TraceNode) -> bool:
    """A policy in force shows no statement under it (its conclusion says it all); a lineage's version does."""
    in_force = policy_period(node)
    return in_force is not None and in_force[0] is None


def named_by_detail(node: TraceNode) -> bool:
    """A compiled clause named by its detail (a dated period, a policy in force), never by its id."""
    return dated_period(node) is not None or policy_period(node) is not None


def walk(node: TraceNode):
    """Every node of a proof, depth first."""
    yield node
    for child in node.children:
        yield from walk(child)
