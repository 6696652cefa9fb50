"""Positions: Warrant's spans (1-based, inclusive, in characters) <-> LSP ranges (0-based, end exclusive).

LSP counts columns in UTF-16 code units unless the client and server agree
on another encoding (`utf-8`, `utf-32`); a `£` is one unit either way, an
emoji in a statement two in UTF-16. Every range this module makes is
clamped inside the document, whatever span it is given, so a stale or odd
span can never send an editor outside its text.

    >>> lines = ['set s "£ 😀 x" = {a}']
    >>> str(span_range(Span("f", 1, 15, 1, 15), lines))    # the `=`, 15th character, after a two-unit emoji
    '0:15-0:16'
    >>> point(lines, 0, 15)
    (1, 15)
"""
from __future__ import annotations

import os

from lsprotocol import types
from pygls.uris import to_fs_path

from warrant import Span

UTF16, UTF8, UTF32 = "utf-16", "utf-8", "utf-32"


def split_lines(text: str) -> list[str]:
    """The document's lines as LSP counts them, without their line ends (at least one, maybe empty)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def units(text: str, encoding: str = UTF16) -> int:
    """The length of `text` in the encoding's code units."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def to_units(line: str, characters: int, encoding: str = UTF16) -> int:
    """A column counted in characters -> in code units, clamped to the line."""
    return units(line[:max(0, characters)], encoding)


def to_characters(line: str, offset: int, encoding: str = UTF16) -> int:
    """A column counted in code units -> in characters, clamped to the line."""
    if encoding == UTF32:
        return max(0, min(offset, len(line)))
    count = 0
    for index, char in enumerate(line):
        if count >= offset:
            return index
        count += units(char, encoding)
    return len(line)


def position(lines: list[str], line: int, character: int, encoding: str = UTF16) -> types.Position:
    """A 0-based line and a 0-based character column -> an LSP position inside the document."""
    if not lines:
        return types.Position(0, 0)
    line = max(0, min(line, len(lines) - 1))
    return types.Position(line, to_units(lines[line], min(character, len(lines[line])), encoding))


def span_range(span: Span | None, lines: list[str], encoding: str = UTF16) -> types.Range:
    """A Warrant span as an LSP range; no span is the document's first character."""
    if span is None:
        return types.Range(position(lines, 0, 0, encoding), position(lines, 0, 1, encoding))
    start = position(lines, span.line - 1, span.column - 1, encoding)
    if span.end_line < span.line or (span.end_line == span.line and span.end_column < span.column):
        end = start
    else:
        end = position(lines, span.end_line - 1, span.end_column, encoding)
    return types.Range(start, end)


def point(lines: list[str], line: int, offset: int, encoding: str = UTF16) -> tuple[int, int]:
    """An LSP position -> Warrant's (line, column), 1-based, in characters."""
    if not lines or line < 0 or line >= len(lines):
        return line + 1, offset + 1
    return line + 1, to_characters(lines[line], offset, encoding) + 1


def path_of(uri: str) -> str:
    """A document's URI -> the real path of its file."""
    return os.path.realpath(to_fs_path(uri) or uri)
