"""One user-facing error type, one internal one, and how both are shown.

`WarrantError` carries a stable code (documented in docs/ERRORS.md), a
message, an optional `Span`, notes and a suggestion. `Diagnostics` collects
many of them (the checker reports every problem, not the first). Anything
else that escapes is our bug: the CLI wraps it in `InternalError` and says so.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Span:
    """A source region: 1-based, inclusive line and column numbers."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def span_field():
    """A dataclass field for a span: kept, but not part of equality."""
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: error or warning, with where and what to do about it."""

    code: str
    message: str
    span: Span | None = None
    severity: str = "error"
    notes: tuple[str, ...] = ()
    suggestion: str | None = None

    def to_json(self) -> dict:
        out: dict = {"code": self.code, "severity": self.severity, "message": self.message}
        if self.span is not None:
            s = self.span
            out["file"], out["line"], out["column"] = s.file, s.line, s.column
            out["end_line"], out["end_column"] = s.end_line, s.end_column
        if self.notes:
            out["notes"] = list(self.notes)
        if self.suggestion:
            out["suggestion"] = self.suggestion
        return out


class WarrantError(Exception):
    """Bad input from the user: a rule file, a request, a command line."""

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("; ".join(f"{d.code}: {d.message}" for d in self.diagnostics))

    @classmethod
    def at(cls, code: str, message: str, span: Span | None = None, *,
           notes: Iterable[str] = (), suggestion: str | None = None) -> "WarrantError":
        return cls(Diagnostic(code, message, span, "error", tuple(notes), suggestion))

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]


class InternalError(Exception):
    """A bug in Warrant itself, never the user's input."""


class RunFault(Exception):
    """The run failed through no fault of the input: a worker process died (killed, out of memory).

    Exit 3, like an internal error, but the message says what happened instead of blaming a bug.
    """


class Terminated(BaseException):
    """SIGTERM arrived: stop like an interrupt (exit 143), writing nothing half-done."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt word, if one is close enough.

    >>> did_you_mean("sentense_months", ["sentence_months", "date"])
    'sentence_months'
    """
    found = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.7)
    return found[0] if found else None


class SourceCache:
    """Source text by file name, to quote lines in excerpts."""

    def __init__(self) -> None:
        self._texts: dict[str, list[str]] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = text.splitlines()

    def line(self, file: str, number: int) -> str | None:
        lines = self._texts.get(file)
        if lines is None:
            try:
                with open(file, encoding="utf-8", errors="replace") as handle:
                    lines = handle.read().splitlines()
            except OSError:
                lines = []
            self._texts[file] = lines
        return lines[number - 1] if 0 < number <= len(lines) else None


SOURCES = SourceCache()


def render_diagnostic(diag: Diagnostic, sources: SourceCache = SOURCES) -> str:
    """`file:line:col: error[CODE]: message`, the source line and a caret line."""
    where = f"{diag.span}: " if diag.span else ""
    lines = [f"{where}{diag.severity}[{diag.code}]: {diag.message}"]
    span = diag.span
    if span is not None:
        text = sources.line(span.file, span.line)
        if text is not None:
            gutter = str(span.line)
            pad = " " * len(gutter)
            end = span.end_column if span.end_line == span.line else len(text) + 1
            width = max(1, end - span.column + (1 if span.end_line == span.line else 0))
            width = min(width, max(1, len(text) - span.column + 2))
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text}")
            lines.append(f"{pad} | {' ' * (span.column - 1)}{'^' * width}")
    for note in diag.notes:
        lines.append(f"  = note: {note}")
    if diag.suggestion:
        lines.append(f"  = help: did you mean `{diag.suggestion}`?")
    return "\n".join(lines)


def render_all(diags: Iterable[Diagnostic], limit: int = 50) -> str:
    diags = list(diags)
    shown = [render_diagnostic(d) for d in diags[:limit]]
    if len(diags) > limit:
        shown.append(f"... and {len(diags) - limit} more")
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = len(diags) - errors
    shown.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n\n".join(shown[:-1]) + ("\n\n" if len(shown) > 1 else "") + shown[-1]
