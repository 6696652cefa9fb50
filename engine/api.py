"""Warrant's public API: load a rulebase once, then decide, check and diff from Python.

    >>> import warrant
    >>> rb = warrant.load()                                    # the shipped rulebase
    >>> decision = rb.decide("examples/requests/mou_tracing.json")
    >>> decision.outcome
    <Outcome.PERMITTED: 'permitted'>
    >>> [(item.item, item.outcome.value) for item in decision.items]
    [('name', 'permitted')]

Everything here is what the `warrant` command itself uses; nothing else in
the package is promised to stay as it is. A `Rulebase` is loaded once
(`prepare`, like OPA's `PrepareForEval`) and asked many times; per-decision
options (`at`, `assume`, `drafts`) are arguments of `decide`, never state.

Threads: a `Rulebase` may be shared. Each thread gets its own pyDatalog
logic on its first decision (pyDatalog's state is per thread), so
decisions in different threads run side by side with no lock between
them; within one thread they run one after another. Python's GIL still
serialises the pure-Python work, so threads help a server stay responsive
rather than decide faster; for throughput use `decide_many(..., jobs=N)`,
which forks worker processes.

Errors: a fault in what the caller gave (a request, a rule file, an
option) raises `WarrantError`, whose `.diagnostics` carry a code, a message
and a span; a fault of Warrant's own raises `InternalError`.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from warrant.pipeline.errors import Diagnostic, InternalError, Span, WarrantError
from warrant.pipeline.outcome import Outcome, Reason, combine, overall

__all__ = ["load", "check", "Rulebase", "Decision", "ItemOutcome", "Report", "Outcome", "Reason", "combine", "overall",
           "render", "WarrantError", "InternalError", "Diagnostic", "Span", "FORMATS"]

FORMATS = ("text", "json", "markdown", "dot", "html")


def load(rules: str | os.PathLike | Iterable[str | os.PathLike] | None = None, *, cache: bool = True) -> "Rulebase":
    """Parse, check and compile a rulebase (a folder, files, or None for the default the CLI uses).

    Raises `WarrantError` with every error found when the rules do not check;
    use `check()` to get the diagnostics as data instead."""
    from warrant.pipeline.rulebase import load_rulebase, resolve_rules
    paths = _paths(rules)
    return Rulebase(load_rulebase(resolve_rules(paths) if paths else None, cache=cache))


def check(rules: str | os.PathLike | Iterable[str | os.PathLike] | None = None, *, invariants: bool = True,
          time_limit: float | None = None) -> "Report":
    """Every finding of `warrant check` on some rule files, as data: never raises for the author's errors."""
    from warrant.analysis.budget import DEFAULT_SECONDS
    from warrant.author.lint import lint
    from warrant.pipeline.rulebase import resolve_rules
    report = lint(resolve_rules(_paths(rules)), invariants, None, False, time_limit or DEFAULT_SECONDS)
    return Report(tuple(report.diagnostics), tuple(r.to_json() for r in report.invariants))


def _paths(rules) -> list[str]:
    if rules is None:
        return []
    if isinstance(rules, (str, os.PathLike)):
        return [os.fspath(rules)]
    return [os.fspath(r) for r in rules]


@dataclass(frozen=True)
class Report:
    """What `check` found: diagnostics (errors and warnings, located) and each invariant's result."""

    diagnostics: tuple[Diagnostic, ...]
    invariants: tuple[dict, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    def to_json(self) -> dict:
        return {"diagnostics": [d.to_json() for d in self.diagnostics], "invariants": list(self.invariants)}


@dataclass(frozen=True)
class ItemOutcome:
    """One requested item: its outcome, why, and the rules that decided it."""

    item: str
    outcome: Outcome
    reason: Reason
    rules: tuple[str, ...]


class Decision:
    """A decision with its evidence. `outcome`, `items`, `to_json()`, `render(format)`."""

    def __init__(self, decision):
        self._decision = decision

    @property
    def request_id(self) -> str:
        return self._decision.request

    @property
    def date(self) -> _dt.date:
        return _dt.date.fromisoformat(self._decision.date)

    @property
    def outcome(self) -> Outcome:
        return Outcome(self._decision.outcome)

    @property
    def items(self) -> tuple[ItemOutcome, ...]:
        out = []
        for item in self._decision.items:
            rules = tuple(sorted({p.rule for p in item.proofs if p.rule}))
            out.append(ItemOutcome(item.item, Outcome(item.outcome), Reason(item.reason), rules))
        return tuple(out)

    def to_json(self, stable: bool = False) -> dict:
        """The decision as the JSON `warrant decide --format json` prints (docs/TRACE_JSON.md)."""
        from warrant.pipeline.render.json import decision_to_json
        return decision_to_json(self._decision, stable=stable)

    def render(self, fmt: str = "text") -> str:
        return render(self, fmt)

    def __repr__(self) -> str:
        return f"<Decision {self.request_id!r} on {self._decision.date}: {self.outcome.value}>"


def render(decisions: "Decision | Iterable[Decision]", fmt: str = "text") -> str:
    """One or more decisions as text, json, markdown, dot or html (what `warrant decide --format` prints)."""
    from warrant.pipeline.render import RENDERERS
    if fmt not in RENDERERS:
        raise WarrantError.at("O004", f"the format is one of {', '.join(RENDERERS)}, not {fmt!r}")
    chosen = [decisions] if isinstance(decisions, Decision) else list(decisions)
    return RENDERERS[fmt]([d._decision for d in chosen])


class Rulebase:
    """A loaded rulebase: decide requests, check it, compare it with another.

    Made by `warrant.load()`; shareable by threads (see the module's docstring)."""

    def __init__(self, loaded):
        self._loaded = loaded

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self._loaded.files)

    @property
    def digest(self) -> str | None:
        """The sha256 of the rule files, as every decision record states it."""
        from warrant.pipeline.record import rulebase_digest
        return rulebase_digest(self._loaded)["sha256"]

    def request(self, request: Mapping[str, Any] | str | os.PathLike):
        """A request validated against this rulebase's vocabulary: from a mapping, or a YAML/JSON file."""
        from warrant.pipeline.facts import Request
        from warrant.pipeline.request import load_request, request_from_data
        if isinstance(request, Request):
            return request
        if isinstance(request, (str, os.PathLike)):
            return load_request(os.fspath(request), self._loaded.vocabulary)
        if isinstance(request, Mapping):
            return request_from_data(dict(request), vocabulary=self._loaded.vocabulary)
        raise WarrantError.at("R002", f"a request is a mapping or a file path, not {type(request).__name__}")

    def decide(self, request, *, at: _dt.date | str | None = None, assume: Mapping[str, bool] | None = None,
               drafts: Iterable[str] = (), explain: str = "refused", verify: bool = False) -> Decision:
        """Decide one request (a mapping, a file path, or `request()`'s result) with its evidence.

        `at`: decide as if on this date; `assume`: assumption switches; `drafts`:
        draft policies switched on; `explain="refused"` searches what would have
        to change for a refused item, `"none"` skips that search; `verify`
        checks every proof with the independent proof checker."""
        from warrant.pipeline.decide import decide
        if explain not in ("refused", "none"):
            raise WarrantError.at("O004", f"explain is 'refused' or 'none', not {explain!r}")
        when = _date(at)
        chosen = self.request(request)
        switches, drafted = dict(assume or {}), tuple(drafts)
        made = decide(self._loaded, chosen, at=when, assume=switches, drafts=drafted,
                      explain_changes=explain == "refused")
        if verify:
            from warrant.checker.verify import verify_decision
            problems = verify_decision(self._loaded, chosen, made, at=when, assume=switches, drafts=drafted)
            if problems:
                raise InternalError("proof check failed: " + "; ".join(problems))
        return Decision(made)

    def decide_many(self, requests: Iterable[Mapping[str, Any] | str], *, jobs: int = 1,
                    trace: str = "refused") -> Iterator[dict]:
        """Decide many requests (mappings, or JSON Lines text lines), in order: one record each.

        A record is what `warrant decide --batch` writes per line: the outcome,
        each item's outcome and deciding rules, the trace per `trace` (none,
        refused or all), or an error record for a line that is not a valid
        request. `jobs` > 1 forks worker processes."""
        from warrant.batch.batch import encoded_records
        if trace not in ("none", "refused", "all"):
            raise WarrantError.at("O004", f"trace is none, refused or all, not {trace!r}")
        lines = (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in requests)
        for _, line in encoded_records(self._loaded, lines, jobs, trace=trace):
            yield json.loads(line)

    def check(self, *, invariants: bool = True, time_limit: float | None = None) -> Report:
        """`warrant check` on this rulebase's files: diagnostics and invariant results as data."""
        return check(self.files, invariants=invariants, time_limit=time_limit)

    def diff(self, other: "Rulebase | None" = None, *, at: Iterable[_dt.date | str] = (),
             assume: Mapping[str, bool] | None = None, drafts: Iterable[str] = (),
             time_limit: float | None = None) -> dict:
        """Every region of requests decided differently (as `warrant diff --format json`)."""
        from warrant.analysis.budget import DEFAULT_SECONDS, Budget, bounded
        from warrant.analysis.diff import diff, scenarios
        mine, theirs = self._loaded, (other or self)._loaded
        left, right = scenarios(mine, theirs, "before", "after", [_date(d) for d in at], dict(assume or {}),
                                tuple(drafts))
        with bounded(Budget(time_limit or DEFAULT_SECONDS, "diff", show_progress=False)):
            return diff(left, right).to_json()

    def __repr__(self) -> str:
        return f"<Rulebase {len(self.files)} file(s), sha256 {(self.digest or 'none')[:12]}>"


def _date(value) -> _dt.date | None:
    if value is None or isinstance(value, _dt.date):
        return value
    from warrant.pipeline.values import parse_date
    try:
        return parse_date(str(value))
    except ValueError:
        raise WarrantError.at("O002", f"a date is written YYYY-MM-DD, not {value!r}") from None
