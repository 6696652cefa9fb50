"""`warrant compare`: one request under two or more variants, side by side.

Each variant is a full decision (same engine, same proofs). Where the
outcome of an item differs, the difference is explained from those
decisions: the rules that permitted or prohibited it in one variant, and in
the other what became of them (the condition that failed, or the policy not
in force), with their citations, plus the policies in force and the
assumptions that differ.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from warrant.pipeline.grounding import setting_text
from warrant.pipeline.judgement import answers_text, result_text
from warrant.pipeline.trace import Decision, ItemDecision, dated_period, policy_period, rule_label, walk

from warrant.pipeline.outcome import NOTHING_IN_FORCE, item_words, WORDS as _WORD  # noqa: E402 - the words, from one place


@dataclass(frozen=True)
class Variant:
    label: str                          # e.g. "--at 2018-05-08"
    decision: Decision


@dataclass
class ItemDifference:
    item: str
    outcomes: tuple[str, ...]           # one per variant
    lines: list[str] = field(default_factory=list)   # the explanation, plain text


@dataclass
class Comparison:
    request: str
    variants: tuple[Variant, ...]
    differences: list[ItemDifference]
    policies: list[str]                 # lines on policies in force that differ
    assumptions: list[str]              # lines on assumptions that differ

    def to_json(self) -> dict:
        from warrant.pipeline.render.json import decision_to_json
        return {"request": self.request,
                "variants": [{"label": v.label, "decision": decision_to_json(v.decision)} for v in self.variants],
                "differences": [{"item": d.item, "outcomes": dict(zip((v.label for v in self.variants), d.outcomes)),
                                 "explanation": d.lines} for d in self.differences],
                "policies": self.policies, "assumptions": self.assumptions}


def build_variants(rulebase, request, dates: list, sets: list[str], switches: dict, drafts: tuple) -> list[Variant]:
    """The variants `warrant compare` decides.

    Two or more dates: the request on each date (with any overrides applied to
    all). Otherwise the request as it is (on the one date, if given) against
    the request with the overrides; or, with one date only, the request's own
    date against that date.
    """
    from warrant.pipeline.decide import decide
    from warrant.review.counterfactual import explain_refusals
    from warrant.pipeline.errors import WarrantError
    from warrant.review.whatif import apply_overrides
    changed = bool(sets or switches or drafts)
    if len(dates) < 2 and not changed and not dates:
        raise WarrantError.at("O009", "name what to compare: two --at dates, or --set, --assume or --with-draft")
    overrides = [f"--set {x}" for x in sets] + [f"--assume {k}={setting_text(v)}"
                                                for k, v in sorted(switches.items())] + \
                [f"--with-draft {d}" for d in drafts]
    changed_request, _ = apply_overrides(request, sets, rulebase.vocabulary)

    def run(which, when, label: str, with_overrides: bool) -> Variant:
        assume, drafted = (switches, drafts) if with_overrides else ({}, ())
        made = decide(rulebase, which, at=when, assume=assume, drafts=drafted)
        return Variant(label, explain_refusals(rulebase, which, made, at=when, assume=assume, drafts=drafted))

    if len(dates) >= 2:
        suffix = (" with " + " ".join(overrides)) if changed else ""
        return [run(changed_request, d, f"--at {d}{suffix}", True) for d in dates]
    if changed:
        when = dates[0] if dates else None
        on = f" --at {when}" if when else ""
        return [run(request, when, f"as requested{on}", False),
                run(changed_request, when, " ".join(overrides) + on, True)]
    return [run(request, None, f"as requested ({request.date})", False),
            run(request, dates[0], f"--at {dates[0]}", False)]


def compare(variants: list[Variant]) -> Comparison:
    first = variants[0].decision
    differences = []
    for index, item in enumerate(first.items):
        rows = [v.decision.items[index] for v in variants]
        outcomes = tuple(r.outcome for r in rows)
        if len(set(outcomes)) > 1:
            difference = ItemDifference(item.item, outcomes)
            for variant, row in zip(variants, rows):
                difference.lines += _explain(variant, row)
            differences.append(difference)
    policies = []
    in_force = [set(v.decision.in_force) for v in variants]
    if len({frozenset(s) for s in in_force}) > 1:
        for variant, current in zip(variants, in_force):
            others = set().union(*(s for s in in_force if s is not current))
            only = sorted(current - others)
            policies.append(f"{variant.label}: in force {', '.join(sorted(current)) or 'none'}"
                            + (f" (only here: {', '.join(only)})" if only else ""))
    assumptions = []
    states = [{n: on for n, on, _ in v.decision.assumptions} for v in variants]
    for name in sorted(set().union(*states)):
        values = [s.get(name) for s in states]
        if len({v for v in values if v is not None}) > 1:
            assumptions.append(f"{name}: " + ", ".join(
                f"{v.label} {setting_text(x) if x is not None else 'not relied on'}"
                for v, x in zip(variants, values)))
    return Comparison(first.request, tuple(variants), differences, policies, assumptions)


def _explain(variant: Variant, row: ItemDecision) -> list[str]:
    """One variant's outcome of the item, in the words `decide` heads it with, then what decided it."""
    head = f"{variant.label}: {item_words(row.outcome, row.reason)}"
    if row.proofs:
        return [f"{head} by {_rules_with_sources(row.proofs)}"]
    if row.branches:
        return [head] + [f"    if {answers_text(b)}: {result_text(b)}" for b in row.branches]
    if not row.attempts:
        return [f"{head}; {NOTHING_IN_FORCE}"]
    lines = [head]
    for attempt in row.attempts:
        why = attempt.note if not attempt.in_force else (
            attempt.failed.conclusion if attempt.failed is not None else "did not apply")
        if attempt.in_force and attempt.failed is not None and attempt.failed.citations:
            why += f" (the set's value cites {_cites(attempt.failed.citations)})"
        cites = _cites(attempt.citations)
        lines.append(f"    {attempt.rule}: {why}" + (f" [{cites}]" if cites else ""))
    return lines


def _used(node) -> str:
    """A rule a proof used, by id; a dated set's member or a named value as the proof states it, with the
    period's sources."""
    if dated_period(node) is None:
        return rule_label(node)
    return node.conclusion + (f" [{_cites(node.citations)}]" if node.citations else "")


def _cites(citations) -> str:
    return "; ".join(f"{c.label}{', ' + c.locator if c.locator else ''}" for c in citations)


def _rules_with_sources(proofs) -> str:
    parts = []
    for proof in proofs:
        cites = _cites(proof.citations)
        deciding = list(dict.fromkeys(_used(n) for n in walk(proof) if n.kind == "rule" and n.rule != proof.rule
                                      and policy_period(n) is None))
        parts.append(f"{proof.rule}" + (f" (using {', '.join(deciding)})" if deciding else "")
                     + (f" [{cites}]" if cites else ""))
    return "; ".join(parts)


def render_comparison(comparison: Comparison) -> str:
    """A side-by-side table of outcomes, then what made each difference."""
    variants = comparison.variants
    names = [f"{chr(65 + i)}" for i in range(len(variants))]
    out = [f"Request {comparison.request} under {len(variants)} variants:"]
    out += [f"  {name}: {v.label}  ->  {_WORD[v.decision.outcome]} (date {v.decision.date})"
            for name, v in zip(names, variants)]
    width = max(len(i.item) for i in variants[0].decision.items)
    column = max(10, *(len(i.outcome) for v in variants for i in v.decision.items))    # UNDETERMINED fits
    out += ["", f"  {'item':<{width}}  " + "  ".join(f"{n:<{column}}" for n in names)]
    for index, item in enumerate(variants[0].decision.items):
        cells = [variants[k].decision.items[index].outcome.upper() for k in range(len(variants))]
        changed = "  <- differs" if len(set(cells)) > 1 else ""
        out.append(f"  {item.item:<{width}}  " + "  ".join(f"{c:<{column}}" for c in cells) + changed)
    if not comparison.differences:
        out += ["", "No item's outcome differs."]
    for difference in comparison.differences:
        out += ["", f"{difference.item}: " + ", ".join(f"{n} {o}" for n, o in zip(names, difference.outcomes))]
        out += [f"  {line}" for line in difference.lines]
    if comparison.policies:
        out += ["", "Policies in force:"] + [f"  {line}" for line in comparison.policies]
    if comparison.assumptions:
        out += ["", "Assumptions that differ:"] + [f"  {line}" for line in comparison.assumptions]
    return "\n".join(out) + "\n"
