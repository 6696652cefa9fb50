"""What the API's commands return: reports as data, each with `to_json()`, `render(fmt)` and `exit_code`.

One report per question (check, compare, impact, diff, golden cases,
browsing); the `warrant` command prints `render(fmt)` and exits with
`exit_code`, and a caller in Python reads the fields. Every rendering here
is the one the command line has always printed, byte for byte.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from warrant.pipeline.errors import Diagnostic, WarrantError


def _choose(fmt: str, allowed: tuple[str, ...]) -> str:
    if fmt not in allowed:
        raise WarrantError.at("O004", f"the format is {' or '.join(allowed)}, not {fmt!r}")
    return fmt


def _dumps(data, sort_keys: bool = False) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n"


@dataclass(frozen=True)
class Report:
    """What `check` found: diagnostics (errors and warnings, located) and each invariant's result."""

    diagnostics: tuple[Diagnostic, ...]
    invariants: tuple[dict, ...] = ()
    rulebase: dict = field(default_factory=dict)       # the files' digest, as every report states it
    _lint: Any = field(default=None, repr=False, compare=False)

    FORMATS = ("text", "json")

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def exit_code(self) -> int:
        """0 no errors, 1 findings of error severity."""
        return 0 if self.ok else 1

    def to_json(self) -> dict:
        if self._lint is not None:
            return {"rulebase": self.rulebase, **self._lint.to_json()}
        return {"diagnostics": [d.to_json() for d in self.diagnostics], "invariants": list(self.invariants)}

    def render(self, fmt: str = "text") -> str:
        from warrant.pipeline.errors import render_all
        from warrant.pipeline.record import header
        if _choose(fmt, self.FORMATS) == "json":
            return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        summary = self._lint.summary() if self._lint is not None else ""
        return header(self.rulebase) + "\n" + render_all(self.diagnostics) + "\n" + (summary + "\n" if summary else "")


@dataclass(frozen=True)
class Comparison:
    """One request under two or more variants: each variant's decision and what made each difference."""

    _comparison: Any

    FORMATS = ("text", "json")

    @property
    def differences(self) -> tuple:
        return tuple(self._comparison.differences)

    @property
    def exit_code(self) -> int:
        """0 the variants agree on every item, 1 they differ."""
        return 1 if self._comparison.differences else 0

    def to_json(self) -> dict:
        return self._comparison.to_json()

    def render(self, fmt: str = "text") -> str:
        from warrant.review.compare import render_comparison
        if _choose(fmt, self.FORMATS) == "json":
            return _dumps(self.to_json(), sort_keys=True)
        return render_comparison(self._comparison)


@dataclass(frozen=True)
class Impact:
    """A policy change's effect over a batch: transitions, by arrangement and by deciding rule."""

    _report: Any
    rulebase: dict

    FORMATS = ("text", "json", "csv")
    exit_code = 0

    def to_json(self) -> dict:
        return {"rulebase": self.rulebase, **self._report.to_json()}

    def render(self, fmt: str = "text") -> str:
        from warrant.pipeline.record import header
        from warrant.review.impact import render_impact_csv, render_impact_text
        fmt = _choose(fmt, self.FORMATS)
        if fmt == "json":
            return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        if fmt == "csv":
            return render_impact_csv(self._report)
        return header(self.rulebase) + "\n" + render_impact_text(self._report)


@dataclass(frozen=True)
class Differences:
    """Every region of requests two rulebases (or dates, or settings) decide differently, each with a witness."""

    _report: Any

    FORMATS = ("text", "json", "markdown")

    @property
    def equivalent(self) -> bool:
        """True only when the search finished and found no difference."""
        return bool(self._report.equivalent)

    @property
    def exit_code(self) -> int:
        return 0 if self.equivalent else 1

    def to_json(self) -> dict:
        return self._report.to_json()

    def render(self, fmt: str = "text") -> str:
        from warrant.analysis.render import render_json, render_markdown, render_text
        return {"json": render_json, "markdown": render_markdown}.get(_choose(fmt, self.FORMATS),
                                                                      render_text)(self._report)


@dataclass(frozen=True)
class Suite:
    """Golden cases run: each case's status (passed, failed, missing, updated, error), and coverage if asked."""

    cases: tuple
    rulebase: dict
    coverage: Any = None
    fail_under: float | None = None

    FORMATS = ("text", "json")
    STATUSES = ("passed", "failed", "missing", "updated", "error")

    @property
    def counts(self) -> dict:
        return {s: sum(1 for r in self.cases if r.status == s) for s in self.STATUSES}

    @property
    def under_coverage(self) -> bool:
        return (self.fail_under is not None and self.coverage is not None
                and self.coverage.rule_percent < self.fail_under)

    @property
    def exit_code(self) -> int:
        """2 a case file is bad, 1 a case failed or is missing (or coverage under `fail_under`), else 0."""
        counts = self.counts
        code = 2 if counts["error"] else 1 if counts["failed"] or counts["missing"] else 0
        return max(code, 1) if self.under_coverage else code

    def to_json(self) -> dict:
        data = {"rulebase": self.rulebase,
                "cases": [{"case": r.path, "status": r.status, "outcome_changes": list(r.moved), "diff": r.diff}
                          for r in self.cases], "counts": self.counts}
        if self.coverage is not None:
            data["coverage"] = self.coverage.to_json()
        return data

    def render(self, fmt: str = "text") -> str:
        from warrant.author.coverage import render_coverage
        from warrant.pipeline.record import header
        if _choose(fmt, self.FORMATS) == "json":
            return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        out = [header(self.rulebase)]
        shown = sorted((r for r in self.cases if r.status != "passed"), key=lambda r: (not r.moved, r.path))
        for r in shown:                      # outcome changes first: they are what a reviewer must look at
            out.append(f"{r.status.upper()} {r.path}")
            if r.diff:
                out.append("  " + r.diff.rstrip("\n").replace("\n", "\n  "))
        text = "\n".join(out) + "\n"
        if self.coverage is not None:
            text += render_coverage(self.coverage)
        flipped = sum(1 for r in self.cases if r.moved)
        text += (", ".join(f"{n} {s}" for s, n in self.counts.items() if n or s in ("passed", "failed"))
                 + (f" ({flipped} with an outcome change)" if flipped else "") + "\n")
        return text


@dataclass(frozen=True)
class Formatting:
    """What `fmt` changed (or would change): (file, unified diff) pairs, the unchanged count, parse errors."""

    changed: tuple[tuple[str, str], ...]
    unchanged: int
    errors: tuple[Diagnostic, ...]
    checked_only: bool
    with_diff: bool

    FORMATS = ("text", "json")

    @property
    def exit_code(self) -> int:
        """2 a file does not parse; 1 when only checking and a file would change; else 0."""
        return 2 if self.errors else 1 if self.checked_only and self.changed else 0

    def to_json(self) -> dict:
        return {"check": self.checked_only,
                "changed": [{"file": p, "diff": patch if self.with_diff else None} for p, patch in self.changed],
                "unchanged": self.unchanged, "errors": [d.to_json() for d in self.errors]}

    def render(self, fmt: str = "text") -> str:
        """The report proper (standard output); `summary()` is the line for standard error."""
        if _choose(fmt, self.FORMATS) == "json":
            return _dumps(self.to_json(), sort_keys=True)
        out = ""
        for path, patch in self.changed:
            out += f"{'would reformat' if self.checked_only else 'reformatted'} {path}\n"
            if self.with_diff:
                out += patch
        return out

    def summary(self) -> str:
        from warrant.pipeline.errors import render_all
        errors = render_all(self.errors) + "\n" if self.errors else ""
        return errors + (f"{len(self.changed)} file(s) {'would change' if self.checked_only else 'reformatted'}, "
                         f"{self.unchanged} unchanged, {len(self.errors)} not parsed\n")


@dataclass(frozen=True)
class Listing:
    """A view of the rulebase for a reader (the rules in force, one rule, the timeline): text or JSON."""

    text: str
    data: dict

    FORMATS = ("text", "json")
    exit_code = 0

    def to_json(self) -> dict:
        return self.data

    def render(self, fmt: str = "text") -> str:
        if _choose(fmt, self.FORMATS) == "json":
            return _dumps(self.data, sort_keys=True)
        return self.text
