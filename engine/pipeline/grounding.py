"""Grounding: a request and the settings in effect -> the engine facts one evaluation starts from.

In: a rulebase, a validated `Request`, the date override, assumption
switches and drafts. Out: the settings in effect (declaration defaults,
then the request, then the overrides) and the atoms to assert, each with the
request field it came from. Raises `WarrantError` (A001, A002) for an
unknown assumption or a name that is not a draft. Shared by decisions,
counterfactuals, invariants and batches, so none of them imports another.
"""
from __future__ import annotations

import datetime as _dt

from warrant.pipeline.datalog import ASSUMED, DRAFT_ON, Atom, Const, fact_predicate
from warrant.pipeline.errors import WarrantError, did_you_mean
from warrant.pipeline.request import Request, span_in_request


def settings_for(rulebase, request: Request | None, assume: dict[str, bool] | None = None,
                 drafts: tuple[str, ...] = ()) -> tuple[dict[str, bool], tuple[str, ...]]:
    """Assumption switches and drafts in effect: declaration defaults, then the request, then overrides.

    With no request, only the overrides are checked (a batch checks its options before any line).
    """
    checked = rulebase.checked
    switches = {name: checked.assumption_default(name) for name in checked.assumptions}
    given = [(name, value, True) for name, value in (request.assume if request else ())]
    for name, value, in_request in given + [(n, v, False) for n, v in sorted((assume or {}).items())]:
        if name not in switches:
            raise WarrantError.at("A001", f"unknown assumption `{name}`",
                                  span_in_request(request, f"assume.{name}") if in_request else None,
                                  suggestion=did_you_mean(name, switches))
        switches[name] = value
    chosen = tuple(sorted(set(request.drafts if request else ()) | set(drafts)))
    for name in chosen:
        policy = checked.policies.get(name)
        if policy is None or not policy.draft:
            drafts_known = [p for p, d in checked.policies.items() if d.draft]
            listed = list((request.data.get("drafts") or []) if request and isinstance(request.data, dict) else [])
            where = (span_in_request(request, f"drafts[{listed.index(name)}]", key=False)
                     if name in listed and name not in drafts else None)
            raise WarrantError.at("A002", f"`{name}` is not a draft policy", where,
                                  suggestion=did_you_mean(name, drafts_known),
                                  notes=(f"drafts: {', '.join(sorted(drafts_known)) or 'none'}",))
    return switches, chosen


def request_atoms(request: Request, at: _dt.date | None, switches: dict[str, bool], drafts) -> tuple[list, dict]:
    """The engine facts of a request, and where in the request each came from."""
    atoms, origins = [], {}
    for fact in request.facts:
        args = fact.args
        if fact.predicate == "request_date" and at is not None:
            args = (at,)
        pred = fact_predicate(fact.predicate)
        atoms.append(Atom(pred, tuple(Const(a) for a in args)))
        origins[(pred, args)] = "--at" if fact.predicate == "request_date" and at is not None else fact.origin
    for name, on in sorted(switches.items()):
        if on:
            atoms.append(Atom(ASSUMED, (Const(name),)))
    for name in drafts:
        atoms.append(Atom(DRAFT_ON, (Const(name),)))
    return atoms, origins
