"""One helper for every bad input: it must raise our error, with the right code and a real span."""
from __future__ import annotations

from engine.errors import WarrantError

HEADER = '''source s {
    publisher "P"
    title "T"
}
'''


def assert_warrant_error(function, code: str, line: int | None = None, column: int | None = None):
    try:
        function()
    except WarrantError as exc:
        codes = [d.code for d in exc.diagnostics]
        assert code in codes, f"expected {code}, got {codes}: {exc}"
        found = next(d for d in exc.diagnostics if d.code == code)
        if line is not None:
            assert found.span is not None and found.span.line == line, f"{found.span} != line {line}"
        if column is not None:
            assert found.span.column == column, f"{found.span} != column {column}"
        if found.span is not None:
            assert found.span.line >= 1 and found.span.column >= 1
            assert (found.span.end_line, found.span.end_column) >= (found.span.line, found.span.column)
        return found
    raise AssertionError(f"expected WarrantError {code}, nothing was raised")
