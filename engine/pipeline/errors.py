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


def source_lines(text: str) -> list[str]:
    """A file's lines as the parser numbers them: split at line feeds only (`str.splitlines` also breaks
    at a vertical tab, a form feed or a line separator, which would shift every line number after one)."""
    lines = text.split("\n")
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()                       # a final line feed ends the last line; it does not start another
    return [line[:-1] if line.endswith("\r") else line for line in lines]


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
    related: tuple[Span, ...] = ()   # the other places a finding names (the first of two declarations)

    def to_json(self) -> dict:
        out: dict = {"code": self.code, "severity": self.severity, "message": _capped(self.message)}
        if self.span is not None:
            s = self.span
            out["file"], out["line"], out["column"] = s.file, s.line, s.column
            out["end_line"], out["end_column"] = s.end_line, s.end_column
        if self.notes:
            out["notes"] = [_capped(n) for n in self.notes]
        if self.suggestion:
            out["suggestion"] = self.suggestion
        if self.related:
            out["related"] = [{"file": r.file, "line": r.line, "column": r.column, "end_line": r.end_line,
                               "end_column": r.end_column} for r in self.related]
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

    def render(self) -> str:
        """Every diagnostic as the command line prints it: code, message, file:line:column and a caret excerpt."""
        return render_all(self.diagnostics)


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


EXCERPT_WIDTH = 80          # characters of a source line quoted under a message, at most
MAX_MESSAGE = 400           # characters of one message or note shown, at most (they may quote input)
_LINE_READ = 64 << 10       # bytes of one line read to quote it, at most
_SCAN_LINES = 1 << 20       # lines skipped to reach the one to quote, at most


class SourceCache:
    """Source text by file name, to quote lines in excerpts.

    Texts the parser already holds are added whole (they passed the size
    limit); any other file is read only as far as the quoted line, and at
    most `_LINE_READ` bytes of any line, so quoting a line of a file far over
    its limit costs kilobytes, not the file."""

    def __init__(self) -> None:
        self._texts: dict[str, list[str]] = {}
        self._lines: dict[tuple[str, int], str | None] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = source_lines(text)

    def line(self, file: str, number: int) -> str | None:
        lines = self._texts.get(file)
        if lines is not None:
            return lines[number - 1] if 0 < number <= len(lines) else None
        key = (file, number)
        if key not in self._lines:
            self._lines[key] = _read_line(file, number)
        return self._lines[key]


def _read_line(file: str, number: int) -> str | None:
    if not 0 < number <= _SCAN_LINES:
        return None
    try:
        import stat as _stat
        import os as _os
        if not _stat.S_ISREG(_os.stat(file).st_mode):
            return None                              # never open a FIFO or device to quote it
        with open(file, "rb") as handle:
            for current in range(1, number + 1):
                chunk = handle.readline(_LINE_READ)
                if not chunk:
                    return None
                kept = chunk
                while chunk and not chunk.endswith(b"\n"):   # the rest of a long line: skipped, not kept
                    chunk = handle.readline(_LINE_READ)
                if current == number:
                    return kept.decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        return None
    return None


def _capped(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _window(text: str, column: int, width: int) -> tuple[str, int, int]:
    """At most EXCERPT_WIDTH characters of `text` around `column`: (shown, its caret column, caret width)."""
    if len(text) <= EXCERPT_WIDTH:
        return text, column, width
    start = max(0, min(column - 1 - 20, len(text) - EXCERPT_WIDTH))
    shown = text[start:start + EXCERPT_WIDTH]
    lead = "…" if start else ""
    tail = "…" if start + EXCERPT_WIDTH < len(text) else ""
    caret = column - start + len(lead)
    return lead + shown + tail, caret, max(1, min(width, EXCERPT_WIDTH - (column - 1 - start)))


SOURCES = SourceCache()


def render_diagnostic(diag: Diagnostic, sources: SourceCache = SOURCES) -> str:
    """`file:line:col: error[CODE]: message`, the source line and a caret line.

    Bounded whatever the input: a message or note is cut at MAX_MESSAGE
    characters, the quoted line at EXCERPT_WIDTH characters around the span."""
    where = f"{diag.span}: " if diag.span else ""
    lines = [f"{where}{diag.severity}[{diag.code}]: {_capped(diag.message)}"]
    span = diag.span
    if span is not None:
        text = sources.line(span.file, span.line)
        if text is not None:
            gutter = str(span.line)
            pad = " " * len(gutter)
            end = span.end_column if span.end_line == span.line else len(text) + 1
            width = max(1, end - span.column + (1 if span.end_line == span.line else 0))
            width = min(width, max(1, len(text) - span.column + 2))
            text, column, width = _window(text, span.column, width)
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text}")
            lines.append(f"{pad} | {' ' * (column - 1)}{'^' * width}")
    for note in diag.notes:
        lines.append(f"  = note: {_capped(note)}")
    if diag.suggestion:
        lines.append(f"  = help: did you mean `{_capped(diag.suggestion, 80)}`?")
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
