"""`warrant show NAME`: any name the language has, not only a rule.

A loaded rulebase and a name in; text or JSON out. The declarations come from
the name index editors use (engine/author/names.py: kind, place, one-line
detail, the hover text), so `show` and an editor's hover say the same thing;
what a declaration holds is added from the checked rulebase: a set's members
or a dated set's and value's periods (with their sources), a defined
concept's defining rules, a policy's rules, an assumption's readings. A rule
is shown as before (engine/review/browse.py `render_rule`).

Raises `WarrantError` B001 for a name nothing declares, with "did you mean".
"""
from __future__ import annotations

import re

from warrant.pipeline import syntax as S
from warrant.pipeline.errors import WarrantError, did_you_mean

_KINDS = ("rule", "definition", "policy", "set", "value", "field", "enum", "enum value", "assumption", "reading",
          "invariant", "source")


def _index(rulebase):
    """The name index of the rulebase's files (the files as loaded: each parses, they were checked)."""
    from warrant.author.names import build_index
    from warrant.pipeline.parse import parse_held
    parsed = []
    for path in rulebase.files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        parsed.append((parse_held(text, path), text))
    return build_index(parsed)


def _declarations(rulebase, name: str) -> list:
    index = _index(rulebase)
    by_path = {f.path: f.predicate for f in rulebase.vocabulary.fields}      # a field by its path too
    predicate = by_path.get(name, "").removeprefix("u_")
    found = [n for n in index.names if n.name == name or (n.kind == "field" and predicate and n.name == predicate)]
    if not found:
        everything = {n.name for n in index.names} | set(by_path)
        raise WarrantError.at("B001", f"nothing is named `{name}` (no rule, set, value, definition, field, "
                                      f"assumption, reading, invariant, source or policy)",
                              suggestion=did_you_mean(name, everything))
    return sorted(found, key=lambda n: (_KINDS.index(n.kind) if n.kind in _KINDS else len(_KINDS), n.container or ""))


def _field_path(rulebase, found) -> str:
    """A field by its path (`subject.consented`), as requests and README name it; any other name as it is."""
    if found.kind != "field":
        return found.name
    return next((f.path for f in rulebase.vocabulary.fields if f.predicate.removeprefix("u_") == found.name),
                found.name)


def _place(rulebase, found) -> str:
    """Where a declaration stands, as traces name it (`FOLDER/FILE:LINE`)."""
    return rulebase.place(found) or f"{found.span.file}:{found.span.line}"


def _plain(markdown: str) -> list[str]:
    """The hover text as lines of plain text (code marks dropped, blank lines closed up)."""
    return [re.sub(r"`([^`]*)`", r"\1", line).rstrip() for line in markdown.splitlines() if line.strip()]


def _cites(rulebase, cites) -> str:
    return "; ".join(rulebase.cite(c).label + (f", {c.locator}" if c.locator else "") for c in cites)


def _periods(rulebase, decl) -> list[dict]:
    return [{"period": S.effect_text(start, end), "from": start.isoformat() if start else None,
             "until": end.isoformat() if end else None, "value": S.period_value_text(decl, period),
             "cites": [_cites(rulebase, (c,)) for c in period.cites]}
            for period, start, end in S.in_effect(decl.periods)]


def _holds(rulebase, found) -> dict:
    """What a declaration holds, from the checked rulebase, as data."""
    checked = rulebase.checked
    out: dict = {}
    if found.kind == "set" and found.name in checked.sets:
        decl = checked.sets[found.name]
        if decl.dated:
            out["periods"] = _periods(rulebase, decl)
        else:
            out["members"] = sorted(decl.members)
    elif found.kind == "value" and found.name in checked.values:
        out["periods"] = _periods(rulebase, checked.values[found.name])
    elif found.kind == "definition":
        out["defined_by"] = sorted(r.id for r in checked.rules.values()
                                   if r.head is not None and r.head.predicate == found.name)
    elif found.kind == "policy" and found.name in checked.policies:
        out["rules"] = sorted(r.id for r in checked.rules.values() if r.policy == found.name)
    elif found.values:
        out["values"] = list(found.values)
    return out


def render_name(rulebase, name: str) -> str:
    """Every declaration of `name` as text (a rule as `render_rule` shows it)."""
    from warrant.review.browse import render_rule
    blocks = []
    for found in _declarations(rulebase, name):
        if found.kind == "rule":
            blocks.append(render_rule(rulebase, name).rstrip("\n"))
            continue
        kind = "dated set" if found.kind == "set" and rulebase.checked.sets.get(name) and \
            rulebase.checked.sets[name].dated else found.kind
        out = [f"{kind} {_field_path(rulebase, found)}" + (f" (of {found.container})" if found.container else "")
               + (f": {found.detail}" if found.detail else ""),
               f"  at {_place(rulebase, found)}"]
        holds = _holds(rulebase, found)
        if found.kind not in ("set", "value"):          # their members and periods are listed below
            lines = _plain(found.doc)[1 if found.kind == "policy" else 0:]     # a policy's first: the header
            out += ["  " + line for line in lines if line != found.detail and not line.startswith("declared at")]
        for period in holds.get("periods", ()):
            cites = f" (cites {'; '.join(period['cites'])})" if period["cites"] else ""
            out.append(f"  {period['period']}: {period['value']}{cites}")
        if "members" in holds:
            out.append("  members: " + (", ".join(holds["members"]) or "none"))
        if "values" in holds and found.kind == "field":
            out.append("  values: " + ", ".join(holds["values"]))
        if "rules" in holds:
            out.append("  rules: " + (", ".join(holds["rules"]) or "none"))
        blocks.append("\n".join(out))
        for rule_id in holds.get("defined_by", ()):
            blocks.append(render_rule(rulebase, rule_id).rstrip("\n"))
    return "\n\n".join(blocks) + "\n"


def name_json(rulebase, name: str) -> dict:
    """Every declaration of `name` as data; a rule as `rule_json` gives it (under `rule`, and at the top
    when the name is only a rule, as before)."""
    from warrant.review.browse import rule_json
    declarations = []
    for found in _declarations(rulebase, name):
        entry = {"kind": found.kind, "name": _field_path(rulebase, found), "container": found.container, "detail": found.detail,
                 "at": _place(rulebase, found), **_holds(rulebase, found)}
        if found.kind == "rule":
            entry["rule"] = rule_json(rulebase, name)
        if "defined_by" in entry:
            entry["defining_rules"] = [rule_json(rulebase, r) for r in entry["defined_by"]]
        declarations.append(entry)
    if [d["kind"] for d in declarations] == ["rule"]:
        return {**declarations[0]["rule"], "declarations": declarations}
    return {"name": name, "declarations": declarations}
