"""The decision rule, in one place: how one item's permissions and prohibitions combine, and how the
items' outcomes make the request's.

A prohibition that applies overrides every permission; without one, any
permission that applies permits; with neither, the item is refused (the
default is refusal). An item whose outcome turns on a judgement the request
left open is undetermined (engine/pipeline/judgement.py). A request is
undetermined when any item is; else permitted when every item is, refused
when none is, and partially permitted otherwise. Decisions, batches,
counterfactuals, invariants and compare all call these two functions; the
exact analysis encodes the same rule as a formula (`Side.permitted` in
engine/analysis/encode.py), and tests pin the two together on generated
requests. Renderers take their words from `WORDS`.
"""
from __future__ import annotations

import enum
from typing import Iterable


class Outcome(enum.StrEnum):
    """A request's or an item's outcome; compares equal to its plain string ("permitted" ...)."""

    PERMITTED = "permitted"
    REFUSED = "refused"
    PARTIALLY_PERMITTED = "partially_permitted"
    UNDETERMINED = "undetermined"       # it turns on a judgement the request left open (pipeline/judgement.py)


class Reason(enum.StrEnum):
    """Why an item has its outcome."""

    PERMISSION = "permission"          # some permission applies and no prohibition does
    PROHIBITION = "prohibition"        # a prohibition applies (whatever permits it)
    NO_PERMISSION = "no_permission"    # nothing permits it
    UNANSWERED = "unanswered"          # the answers to open judgements give different outcomes


def combine(permits: Iterable, forbids: Iterable) -> tuple[Outcome, Reason]:
    """One item's outcome from the permissions and prohibitions that apply to it (rule ids, or any truthy)."""
    if any(True for _ in forbids):
        return Outcome.REFUSED, Reason.PROHIBITION
    if any(True for _ in permits):
        return Outcome.PERMITTED, Reason.PERMISSION
    return Outcome.REFUSED, Reason.NO_PERMISSION


def overall(outcomes: Iterable[str]) -> Outcome:
    """The request's outcome from its items' outcomes: undetermined when any item is."""
    outcomes = list(outcomes)
    if any(o == Outcome.UNDETERMINED for o in outcomes):
        return Outcome.UNDETERMINED
    permitted = sum(1 for o in outcomes if o == Outcome.PERMITTED)
    if permitted == len(outcomes):
        return Outcome.PERMITTED
    return Outcome.REFUSED if permitted == 0 else Outcome.PARTIALLY_PERMITTED


WORDS = {Outcome.PERMITTED: "PERMITTED", Outcome.REFUSED: "REFUSED",
         Outcome.PARTIALLY_PERMITTED: "PARTIALLY PERMITTED", Outcome.UNDETERMINED: "UNDETERMINED"}
REASONS = {Reason.PERMISSION: "", Reason.PROHIBITION: "prohibited", Reason.NO_PERMISSION: "no permission applies",
           Reason.UNANSWERED: "it turns on judgements the request left open"}
NOTHING_IN_FORCE = "no arrangement in force on this date covers this request"


def item_words(outcome: str, reason: str) -> str:
    """An item's outcome and why, as `decide` heads it and `compare` explains it: "REFUSED (prohibited)"."""
    why = REASONS[Reason(reason)]
    return f"{WORDS[Outcome(outcome)]}{f' ({why})' if why else ''}"


TITLES = {Outcome.PERMITTED: "Permitted", Outcome.REFUSED: "Refused",
          Outcome.PARTIALLY_PERMITTED: "Partially permitted", Outcome.UNDETERMINED: "Undetermined"}
