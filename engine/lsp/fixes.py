"""Code actions that change rule text: an unknown name's did-you-mean, remove a condition the exact analysis
proved redundant (C131), add the `cites` a rule lacks (C110).

Each takes a file's text and the finding's span (Warrant's: 1-based,
inclusive) and returns the edits as `(start, end, new_text)`, where `start`
and `end` are 0-based (line, character) pairs, end exclusive, or None when
it cannot make a text that still parses. Every result is parsed again with
`warrant.format_text` before it is offered, so an action never leaves the
file broken. Those two are pure, tested without an editor; the functions
below them turn a finding the editor sends back into LSP code actions.

    >>> text = "define d as r \\"s\\" cites a\\n    when x\\n     and y\\n     and z\\n"
    >>> without_condition(text, Span("f", 3, 10, 3, 10))
    [((2, 0), (3, 0), '')]
    >>> without_condition(text, Span("f", 2, 10, 2, 10))
    [((1, 4), (2, 8), 'when')]
"""
from __future__ import annotations

import re

from lsprotocol import types

import warrant
from warrant import Span
from warrant.lsp.positions import path_of, point, position, span_range

_MENTIONED = re.compile(r"`([a-z][a-z0-9_]*)`")

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|\S')
_BEFORE = re.compile(r"\b(and|when)\s+$")

Edit = tuple[tuple[int, int], tuple[int, int], str]


def _tokens(lines: list[str], line: int, column: int):
    """(line, start, end, text) of each token from (line, column) on, 0-based, comments skipped."""
    for index in range(line, len(lines)):
        start = column if index == line else 0
        for found in _TOKEN.finditer(lines[index], start):
            if not found.group().startswith("#"):
                yield index, found.start(), found.end(), found.group()


def _parses(text: str, edits: list[Edit]) -> bool:
    try:
        warrant.format_text(apply(text, edits))
        return True
    except warrant.WarrantError:
        return False


def apply(text: str, edits: list[Edit]) -> str:
    """The text with the edits made (character columns)."""
    lines = text.split("\n")

    def offset(point):
        line, character = point
        return sum(len(l) + 1 for l in lines[:line]) + min(character, len(lines[line]) if line < len(lines) else 0)
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:offset(start)] + new + text[offset(end):]
    return text


def without_condition(text: str, span: Span) -> list[Edit] | None:
    """Edits that remove the condition at `span` from its rule: `and X` goes with its `and` (its whole line when
    it has one to itself); a first condition `when X` hands `when` to the next one."""
    lines = text.split("\n")
    line, first = span.line - 1, span.column - 1
    if not 0 <= line < len(lines) or span.end_line != span.line:
        return None
    last = span.end_column                      # exclusive
    found = _BEFORE.search(lines[line][:first])
    if found is None:
        return None
    word, keyword_at = found.group(1), found.start(1)
    after = lines[line][last:]
    if word == "and":
        if lines[line][:keyword_at].strip() == "":
            if after.strip() == "" or after.strip().startswith("#"):
                edits = [((line, 0), (line + 1, 0), "")] if line + 1 < len(lines) else [((line, 0), (line, len(lines[line])), "")]
            else:
                rest = len(after) - len(after.lstrip())
                edits = [((line, keyword_at), (line, last + rest), "")]
        else:
            spaces = len(lines[line][:keyword_at]) - len(lines[line][:keyword_at].rstrip())
            edits = [((line, keyword_at - spaces), (line, last), "")]
    else:
        following = next(_tokens(lines, line, last), None)
        if following is None or following[3] != "and":
            return None                         # the only condition: nothing to hand `when` to
        edits = [((line, keyword_at), (following[0], following[2]), "when")]
    return edits if _parses(text, edits) else None


def with_cites(text: str, span: Span, source: str) -> list[Edit] | None:
    """Edits that give the rule whose name is at `span` a `cites SOURCE`, after its statement: on a line of its
    own when the statement ends its line (indented as the statement), else right after it."""
    lines = text.split("\n")
    line = span.line - 1
    if not 0 <= line < len(lines):
        return None
    statement = next((t for t in _tokens(lines, line, span.end_column) if t[3].startswith('"')), None)
    if statement is None:
        return None
    at, start, end, _ = statement
    rest = lines[at][end:]
    if rest.strip() and not rest.strip().startswith("#"):
        edits = [((at, end), (at, end), f" cites {source}")]
    else:
        before = lines[at][:start]
        indent = before if before.strip() == "" else \
            lines[line][:len(lines[line]) - len(lines[line].lstrip())] + "    "
        edits = [((at, len(lines[at])), (at, len(lines[at])), f"\n{indent}cites {source}")]
    return edits if _parses(text, edits) else None


# ---- the code actions an editor is offered for a finding ------------------------------------------------


def did_you_mean(ls, uri: str, found: types.Diagnostic) -> list[types.CodeAction]:
    """The unknown name, inside the finding's range, replaced by the checker's suggestion."""
    path = path_of(uri)
    lines = ls.lines(path)
    suggestion = (found.data or {}).get("suggestion") if isinstance(found.data, dict) else None
    if not suggestion:
        return []
    wrong = next((w for w in _MENTIONED.findall(found.message) if w != suggestion), None)
    start, end = found.range.start, found.range.end
    if wrong is None or not 0 <= start.line < len(lines) or start.line != end.line:
        return []
    line = lines[start.line]
    first, last = point(lines, start.line, start.character, ls.encoding)[1] - 1, \
        point(lines, end.line, end.character, ls.encoding)[1] - 1
    at = line.rfind(wrong, first, max(last, first + len(wrong)))
    if at < 0:
        return []
    span = Span(path, start.line + 1, at + 1, start.line + 1, at + len(wrong))
    edit = types.TextEdit(span_range(span, lines, ls.encoding), suggestion)
    return [types.CodeAction(f"Change `{wrong}` to `{suggestion}`", types.CodeActionKind.QuickFix,
                             diagnostics=[found], is_preferred=True,
                             edit=types.WorkspaceEdit(changes={uri: [edit]}))]


def _span_of(ls, path: str, where: types.Range) -> warrant.Span:
    lines = ls.lines(path)
    line, column = point(lines, where.start.line, where.start.character, ls.encoding)
    end_line, end_column = point(lines, where.end.line, where.end.character, ls.encoding)
    return Span(path, line, column, end_line, max(end_column - 1, column))


def _text_edits(ls, path: str, edits) -> list[types.TextEdit]:
    lines = ls.lines(path)
    return [types.TextEdit(types.Range(position(lines, *start, ls.encoding), position(lines, *end, ls.encoding)), new)
            for start, end, new in edits]


def without_redundant_condition(ls, uri: str, found: types.Diagnostic) -> list[types.CodeAction]:
    """The condition the exact analysis proved redundant (C131), removed."""
    path = path_of(uri)
    span = _span_of(ls, path, found.range)
    edits = without_condition(ls.rulebases.of(path).text(path), span)
    if edits is None:
        return []
    words = ls.lines(path)[span.line - 1][span.column - 1:span.end_column] if span.end_line == span.line else ""
    return [types.CodeAction(f"Remove the redundant condition `{words.strip()}`", types.CodeActionKind.QuickFix,
                             diagnostics=[found], is_preferred=True,
                             edit=types.WorkspaceEdit(changes={uri: _text_edits(ls, path, edits)}))]


def with_a_source(ls, uri: str, found: types.Diagnostic) -> list[types.CodeAction]:
    """`cites SOURCE` for the sources this file cites most (three at most; the rulebase's when it cites none)."""
    path = path_of(uri)
    rulebase = ls.rulebases.of(path)
    index = rulebase.known_names()
    sources = sorted({n.name for n in index.names if n.kind == "source"})
    here = [u.name for u in index.uses if u.kind == "source" and u.span.file == path and not u.declaration]
    ranked = sorted(sources, key=lambda name: (-here.count(name), name))[:3]
    span, text, actions = _span_of(ls, path, found.range), rulebase.text(path), []
    for source in ranked:
        edits = with_cites(text, span, source)
        if edits is not None:
            actions.append(types.CodeAction(
                f"Add `cites {source}`", types.CodeActionKind.QuickFix, diagnostics=[found],
                is_preferred=not actions, edit=types.WorkspaceEdit(changes={uri: _text_edits(ls, path, edits)})))
    return actions
