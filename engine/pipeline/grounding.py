"""Grounding: a request and the settings in effect -> the engine facts one evaluation starts from.

In: a rulebase, a validated `Request`, the date override, assumption
switches and drafts. Out: the settings in effect (declaration defaults,
then the request, then the overrides) and the atoms to assert, each with the
request field it came from. Raises `WarrantError` (A001, A002, A003) for an
unknown assumption, a name that is not a draft, or a setting the assumption
does not take (on/off, or one of its named readings). Settings are per
assumption; the engine holds them as switches (`syntax.switch_name`): one
per on/off assumption, one per named reading with exactly one on. Shared by decisions,
counterfactuals, invariants and batches, so none of them imports another.
"""
from __future__ import annotations

import datetime as _dt

from warrant.pipeline.datalog import ASSUMED, DRAFT_ON, Atom, Const, fact_predicate
from warrant.pipeline.errors import WarrantError, did_you_mean
from warrant.pipeline.request import Request, span_in_request
from warrant.pipeline.syntax import split_switch, switch_name


def settings_for(rulebase, request: Request | None, assume: dict[str, bool] | None = None,
                 drafts: tuple[str, ...] = ()) -> tuple[dict[str, bool], tuple[str, ...]]:
    """Assumption switches and drafts in effect: declaration defaults, then the request, then overrides.

    With no request, only the overrides are checked (a batch checks its options before any line).
    """
    checked = rulebase.checked
    switches = switch_defaults(checked)
    given = [(name, value, True) for name, value in (request.assume if request else ())]
    for name, value, in_request in given + [(n, v, False) for n, v in sorted((assume or {}).items())]:
        where = span_in_request(request, f"assume.{name}") if in_request else None
        decl = checked.assumptions.get(name)
        if isinstance(value, tuple):
            raise WarrantError.at("O003", f"--assume {name} is given twice: only `diff` and `impact` compare "
                                          "two readings (before, then after)")
        if decl is None:
            raise WarrantError.at("A001", f"unknown assumption `{name}`", where,
                                  suggestion=did_you_mean(name, checked.assumptions))
        labels = [p.label for p in decl.readings]
        if labels and value not in labels:
            raise WarrantError.at("A003", f"assumption `{name}` is read one of {len(labels)} ways; "
                                          f"name one: {', '.join(labels)}", where,
                                  suggestion=did_you_mean(value, labels) if isinstance(value, str) else None,
                                  notes=(f"for example `{name}: {labels[0]}`" if in_request
                                         else f"for example --assume {name}={labels[0]}",))
        if not labels and not isinstance(value, bool):
            raise WarrantError.at("A003", f"assumption `{name}` is on or off, not {value!r}", where,
                                  notes=("on/off: --assume NAME=on; in a request, `NAME: true`",))
        switches.update(expand_setting(decl, value))
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


def switch_defaults(checked) -> dict[str, bool]:
    """Every switch (see `syntax.switch_name`) as the declarations set it: an on/off assumption's default,
    and, for one with named readings, only its default reading on. Worked out once per rulebase (every
    decision starts from it); the caller gets its own copy."""
    found = checked.__dict__.get("_switch_defaults")
    if found is None:
        found = {}
        for decl in checked.assumptions.values():
            found.update(expand_setting(decl, decl.default_setting()))
        checked.__dict__["_switch_defaults"] = found
    return dict(found)


def expand_setting(decl, value) -> dict[str, bool]:
    """One assumption's setting (on/off, or a reading's name) as its switches."""
    if decl.has_readings:
        return {switch_name(decl.name, p.label): p.label == value for p in decl.readings}
    return {decl.name: bool(value)}


def expand_settings(checked, settings) -> dict[str, bool]:
    """Settings per assumption (`{NAME: on/off or READING}`, as requests and `--assume` give them) as switches;
    names the rulebase does not declare are left out (the caller has checked what it must)."""
    out = {}
    for name, value in dict(settings or {}).items():
        if name in checked.assumptions:
            out.update(expand_setting(checked.assumptions[name], value))
    return out


def setting_of(checked, switches: dict, name: str):
    """One assumption's setting in `switches`: on/off (a bool), or the name of the reading taken."""
    decl = checked.assumptions[name]
    if decl.has_readings:
        return next((p.label for p in decl.readings if switches.get(switch_name(name, p.label))),
                    decl.default_setting())
    return bool(switches.get(name, decl.default_setting()))


def settings_view(checked, switches: dict) -> dict:
    """Switches as settings per assumption, by name (what records and reports show)."""
    return {name: setting_of(checked, switches, name) for name in sorted(checked.assumptions)}


def collapse_settings(switches: dict) -> dict:
    """Switches (some of them) back to settings per assumption: a reading's switch that is on names its
    reading; readings switched off say nothing (the one switched on does)."""
    out = {}
    for switch, on in switches.items():
        name, reading = split_switch(switch)
        if reading:
            if on:
                out[name] = reading
        else:
            out[name] = on
    return out


def before_and_after(checked, changes: dict, opposite: bool) -> tuple[dict, dict]:
    """The settings a comparison starts from and changes to, from `--assume` given once or twice.

    A reading given twice (a tuple) is (before, after). Given once, the
    change is to it from, when `opposite`, the other side of an on/off
    switch or the assumption's default reading (`diff` with one rulebase);
    otherwise from whatever the requests say (`impact`).
    """
    before, after = {}, {}
    for name, value in changes.items():
        if isinstance(value, tuple):
            before[name], after[name] = value
            continue
        after[name] = value
        if opposite:
            decl = checked.assumptions.get(name)
            before[name] = (not value) if isinstance(value, bool) else decl.default_setting() if decl else value
            if before[name] == value:
                raise WarrantError.at("O010", f"nothing changes: `{value}` is already the default reading of "
                                              f"`{name}`; give --assume {name}=READING twice (before, then after)")
    return before, after


def setting_text(value) -> str:
    """A setting as `--assume` writes it: on, off, or the reading's name."""
    return value if isinstance(value, str) else "on" if value else "off"


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
