"""`warrant check`: every finding in a set of rule files, then the invariants.

Parse each file (a file that does not parse contributes its syntax error
and is left out), check them together, and, when there are no errors,
compile the rulebase, add the findings only an exact analysis gives (dead,
shadowed and redundant rules: engine/analysis/findings.py) and prove its
invariants (engine/author/invariants.py). A
violated invariant is a C121 error whose counter-example is written as a
ready-to-run request file.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

from warrant.analysis.budget import DEFAULT_SECONDS, Budget, bounded
from warrant.pipeline.compile import compile_rulebase
from warrant.pipeline.errors import Diagnostic, WarrantError
from warrant.pipeline.files import write_atomic
from warrant.pipeline.rulebase import Rulebase, front_half, rule_files


@dataclass
class LintReport:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    invariants: list = field(default_factory=list)   # InvariantResult
    written: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def to_json(self) -> dict:
        return {"diagnostics": [d.to_json() for d in self.diagnostics],
                "invariants": [r.to_json() for r in self.invariants],
                "counterexample_files": self.written}

    def summary(self) -> str:
        if not self.invariants:
            return ""
        held = [r for r in self.invariants if r.holds]
        proved = [r for r in held if r.method == "proof" and not r.bounds]
        stopped = [r for r in self.invariants if r.method == "stopped"]
        if len(proved) == len(self.invariants):
            head = f"invariants: {len(held)} of {len(self.invariants)} proved for every request"
        else:
            head = f"invariants: {len(held)} of {len(self.invariants)} hold ({len(proved)} proved for every request)"
        if stopped:
            head += f"; {len(stopped)} not proved"
        lines = [head]
        for r in self.invariants:
            state = "UNPROVED" if r.method == "stopped" else \
                ("proved" if r.method == "proof" else "holds") if r.holds else "VIOLATED"
            lines.append(f"  {state:8} {r.name}: {r.how}")
        return "\n".join(lines)


def lint(paths: list[str], invariants: bool = True, counterexamples: str | None = None,
         outcome_redundancy: bool = False, time_limit: float = DEFAULT_SECONDS,
         texts: dict[str, str] | None = None, jobs: int = 1) -> LintReport:
    front = front_half(rule_files(paths), texts)  # the pipeline's own front half, its diagnostics kept
    report = LintReport(list(front.diagnostics))
    if front.checked is None or report.failed or not invariants:
        return report
    from warrant.author.invariants import check_invariants, counterexample_yaml
    rulebase = Rulebase(front.checked, compile_rulebase(front.checked), list(front.files))
    from warrant.analysis.findings import exact_findings
    with bounded(Budget(time_limit, "check")):
        report.diagnostics.extend(exact_findings(rulebase, outcome_redundancy, jobs))
        report.invariants = check_invariants(rulebase)
    for result in report.invariants:
        if result.method == "stopped":
            report.diagnostics.append(Diagnostic(
                "C134", f"invariant `{result.name}` was not proved: {result.reason}", result.span, "error",
                ("nothing is claimed about it", result.hint)))
            continue
        if result.holds:
            continue
        notes = [f"the smallest request found: {_describe(result.counterexample)}"]
        if counterexamples:
            target = os.path.join(counterexamples, f"{result.name}.yaml")
            try:
                os.makedirs(counterexamples, exist_ok=True)
            except OSError as exc:
                raise WarrantError.at("O007", f"cannot write counter-examples to {counterexamples}: "
                                              f"{exc.strerror or exc}") from None
            write_atomic(target, counterexample_yaml(result))
            report.written.append(target)
            rules = " ".join(shlex.quote(p) for p in paths)
            notes.append(f"written to {target}; run `warrant decide --rules {rules} {shlex.quote(target)}`")
        else:
            notes.append("write it as a request file with --counterexamples DIR")
        report.diagnostics.append(Diagnostic(
            "C121", f"invariant `{result.name}` does not hold: `{result.item}` is permitted by "
                    f"{', '.join(result.permitted_by)}", result.span, "error", tuple(notes)))
    return report


def _describe(document: dict) -> str:
    parts = []
    for key, value in document.items():
        if key == "id":
            continue
        if isinstance(value, dict):
            parts += [f"{key}.{k}={v}" for k, v in value.items()]
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts)
