"""The `datalog-conformance` suite run through Warrant's compiled Datalog layer.

The adapter only hands each case's rules and facts to `warrant.evaluate_datalog`,
the public seam (engine/pipeline/standalone.py): Warrant reads the Datalog text
into its IR, checks it as the rule checker does (arity, safety, stratified
negation), orders each body as the compiler does and evaluates it with the
engine every rulebase runs on. Its error codes are mapped to the suite's;
cases outside the layer (W007: arithmetic, aggregates, anonymous variables)
are skipped by tests/test_conformance.py with the reason.
"""
from __future__ import annotations

import warrant

#: Warrant's codes (docs/ERRORS.md) -> the suite's error codes.
CODES = {"C102": "arity_mismatch", "C107": "unbound_variable", "C108": "cyclic_negation"}


class ConformanceError(Exception):
    """An error the suite expects by code (`arity_mismatch`, `unbound_variable`, `cyclic_negation` ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class SafetyViolationError(ConformanceError):
    """An unsafe rule: a head or comparison variable no positive condition binds (Warrant's C107)."""


class Unsupported(Exception):
    """A construct outside Warrant's Datalog layer (W007: arithmetic, aggregates)."""


class WarrantEvaluator:
    """`evaluate(Program) -> Model`, the suite's protocol."""

    def evaluate(self, case_program):
        from datalog_conformance.schema import Model
        try:
            model = warrant.evaluate_datalog(list(case_program.rules), case_program.facts)
        except warrant.WarrantError as exc:
            code = exc.diagnostics[0].code
            if code == "W007":
                raise Unsupported(exc.diagnostics[0].message) from exc
            error = SafetyViolationError if code == "C107" else ConformanceError
            raise error(CODES.get(code, code), exc.diagnostics[0].message) from exc
        return Model(facts=model)
