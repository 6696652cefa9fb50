"""`warrant lsp`: the Language Server Protocol on stdio, on top of `warrant`'s public API.

Diagnostics are `warrant check`'s findings (without the exact analysis) on
the editor's unsaved texts, debounced: a run waits `debounce` seconds after
the last change of a rulebase and a newer change cancels a pending one. On
save, the exact analysis runs in the background (background.py) and its
findings join them. Hover, definition, references, rename, symbols,
completion and semantic tokens read `warrant.names()`, formatting is
`warrant.format_text()`; the quick fixes are the checker's own
did-you-mean, removing a condition the exact analysis proved redundant and
adding a missing `cites` (fixes.py); code lenses decide a golden case, run
it, or run a rulebase's cases (cases.py), with `warrant.load(texts=)`.
Every handler is guarded: a fault of the server's own is logged to the
editor and answered with nothing, never a crash.
"""
from __future__ import annotations

import asyncio
import difflib
import functools
import os
import re
import traceback

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

import warrant
import warrant.lsp.fixes as fixes
import warrant.lsp.lenses as lenses
from warrant.lsp.background import ExactAnalysis
from warrant.lsp.completion import candidates, context
from warrant.lsp.positions import UTF16, path_of, point, span_range, split_lines
from warrant.lsp.rulebases import SUFFIX, Rulebases

DEBOUNCE = 0.05          # seconds after the last keystroke before a check runs
ERRORS_DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(warrant.__file__)))),
                          "docs", "ERRORS.md")
SECTIONS = {"W": "parsing-rule-files-w", "C": "checking-rule-files-c", "R": "requests-r",
            "D": "synthetic-distributions-d", "O": "command-line-o-a-b", "A": "command-line-o-a-b",
            "B": "command-line-o-a-b"}
NAME = re.compile(r"[a-z][a-z0-9_]*\Z")

SYMBOL_KINDS = {
    "policy": types.SymbolKind.Namespace, "lineage": types.SymbolKind.Package, "rule": types.SymbolKind.Function,
    "definition": types.SymbolKind.Function, "set": types.SymbolKind.Array, "value": types.SymbolKind.Constant,
    "field": types.SymbolKind.Field, "enum": types.SymbolKind.Enum, "enum value": types.SymbolKind.EnumMember,
    "source": types.SymbolKind.File, "assumption": types.SymbolKind.Boolean,
    "reading": types.SymbolKind.EnumMember, "invariant": types.SymbolKind.Interface,
}
COMPLETION_KINDS = {
    "keyword": types.CompletionItemKind.Keyword, "field": types.CompletionItemKind.Field,
    "definition": types.CompletionItemKind.Function, "set": types.CompletionItemKind.Enum,
    "value": types.CompletionItemKind.Constant, "assumption": types.CompletionItemKind.Variable,
    "reading": types.CompletionItemKind.EnumMember, "enum value": types.CompletionItemKind.EnumMember,
    "source": types.CompletionItemKind.Reference, "policy": types.CompletionItemKind.Module,
    "lineage": types.CompletionItemKind.Module, "enum": types.CompletionItemKind.Enum,
}
TOKEN_TYPES = ["namespace", "function", "type", "variable", "property", "enum", "enumMember", "parameter",
               "decorator", "interface"]
TOKEN_OF = {"policy": 0, "lineage": 0, "rule": 1, "definition": 1, "set": 2, "value": 3, "field": 4, "enum": 5,
            "enum value": 6, "reading": 6, "assumption": 7, "source": 8, "invariant": 9}
TOKEN_MODIFIERS = ["declaration"]
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)


class WarrantServer(LanguageServer):
    def __init__(self):
        super().__init__("warrant", warrant.__version__)
        self.rulebases = Rulebases()
        self.debounce = DEBOUNCE
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.time_limit = float(warrant.DEFAULT_TIME_LIMIT)   # the exact analysis's bound, seconds
        self.analyse_on_save = True
        self.exact = ExactAnalysis(self)
        self.case_findings: set[str] = set()                  # case files last given diagnostics

    # ---- plumbing ---------------------------------------------------------------
    @property
    def encoding(self) -> str:
        try:
            found = self.workspace.position_encoding
        except Exception:  # noqa: BLE001 - before initialize: the protocol's default
            found = None
        return str(getattr(found, "value", found) or UTF16)

    def lines(self, path: str) -> list[str]:
        return split_lines(self.rulebases.of(path).text(os.path.realpath(path)))

    def range(self, span) -> types.Range:
        return span_range(span, self.lines(span.file) if span is not None else [""], self.encoding)

    def location(self, span) -> types.Location:
        return types.Location(from_fs_path(span.file), self.range(span))

    def log(self, message: str) -> None:
        try:
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, message))
        except Exception:  # noqa: BLE001 - the log itself is best effort
            pass

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        self.window_show_message(types.ShowMessageParams(kind, message))

    # ---- diagnostics ------------------------------------------------------------
    def schedule(self, path: str, delay: float) -> None:
        rulebase = self.rulebases.of(path)
        waiting = self.pending.pop(rulebase.folder, None)
        if waiting is not None:
            waiting.cancel()                    # the stale run never starts
        if delay <= 0:
            self.publish(rulebase)
            return
        loop = asyncio.get_running_loop()
        self.pending[rulebase.folder] = loop.call_later(delay, self.publish, rulebase)

    def publish(self, rulebase) -> None:
        self.pending.pop(rulebase.folder, None)
        try:
            self._publish(rulebase)
        except Exception as exc:  # noqa: BLE001 - say so, publish nothing
            self.log(f"warrant check failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")

    def _publish(self, rulebase) -> None:
        report = rulebase.exact if rulebase.exact is not None else rulebase.report()
        by_file: dict[str, list[types.Diagnostic]] = {}
        edited = sorted(rulebase.texts)
        for found in report.diagnostics:
            file = os.path.realpath(found.span.file) if found.span is not None else (edited[0] if edited else None)
            if file is None:
                continue
            by_file.setdefault(file, []).append(self.diagnostic(found, file))
        for file in set(by_file) | rulebase.published | set(rulebase.texts):
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                from_fs_path(file), by_file.get(file, []), rulebase.versions.get(file)))
        rulebase.published = set(by_file)

    def diagnostic(self, found, file: str) -> types.Diagnostic:
        severity = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}.get(
            found.severity, types.DiagnosticSeverity.Information)
        message = found.message + "".join(f"\n{note}" for note in found.notes)
        if found.suggestion:
            message += f"\ndid you mean `{found.suggestion}`?"
        related = [types.DiagnosticRelatedInformation(self.location(span), "declared here first")
                   for span in found.related]
        section = SECTIONS.get(found.code[:1])
        described = types.CodeDescription(from_fs_path(ERRORS_DOC) + f"#{section}") \
            if section and os.path.exists(ERRORS_DOC) else None
        span = found.span
        where = span_range(span, self.lines(file), self.encoding) if span is not None else \
            span_range(None, self.lines(file), self.encoding)
        return types.Diagnostic(where, message, severity, found.code, described, "warrant", related_information=related
                                or None, data={"suggestion": found.suggestion} if found.suggestion else None)


server = WarrantServer()


def guarded(function):
    """A handler's own fault is logged and answered with nothing; a refusal (JsonRpcException) is the answer."""
    @functools.wraps(function)
    def wrapper(ls, params):
        try:
            return function(ls, params)
        except JsonRpcException:
            raise
        except Exception as exc:  # noqa: BLE001 - never down
            ls.log(f"{function.__name__} failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            return None
    return wrapper


_path = path_of


def rule_files_only(function):
    """A handler that answers for rule files alone: a golden case's request file (YAML, JSON), which an
    editor sends for its code lenses, gets nothing from it."""
    @functools.wraps(function)
    def wrapper(ls, params):
        return function(ls, params) if _path(params.text_document.uri).endswith(SUFFIX) else None
    return wrapper


def _where(ls: WarrantServer, uri: str, at: types.Position):
    """(rulebase, file, 1-based line, 1-based column) of a position in a document."""
    path = _path(uri)
    line, column = point(ls.lines(path), at.line, at.character, ls.encoding)
    return ls.rulebases.of(path), path, line, column


@server.feature(types.INITIALIZED)
@guarded
def initialized(ls: WarrantServer, params):
    roots = [f.uri for f in (ls.workspace.folders or {}).values()] if ls.workspace.folders else []
    if not roots and ls.workspace.root_uri:
        roots = [ls.workspace.root_uri]
    ls.rulebases.roots = tuple(os.path.realpath(to_fs_path(r)) for r in roots if to_fs_path(r))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@guarded
@rule_files_only
def did_open(ls: WarrantServer, params: types.DidOpenTextDocumentParams):
    doc = params.text_document
    ls.rulebases.put(_path(doc.uri), doc.text, doc.version)
    ls.schedule(_path(doc.uri), 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@guarded
@rule_files_only
def did_change(ls: WarrantServer, params: types.DidChangeTextDocumentParams):
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)       # pygls has applied the changes
    ls.rulebases.put(_path(uri), document.source, params.text_document.version)
    ls.schedule(_path(uri), ls.debounce)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@guarded
@rule_files_only
def did_save(ls: WarrantServer, params: types.DidSaveTextDocumentParams):
    rulebase = ls.rulebases.of(_path(params.text_document.uri))
    rulebase.changed()                                               # other files on disk may have moved too
    ls.schedule(_path(params.text_document.uri), 0)
    if ls.analyse_on_save:
        ls.exact.start(rulebase)                                     # invariants, redundant conditions ...


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded
@rule_files_only
def did_close(ls: WarrantServer, params: types.DidCloseTextDocumentParams):
    ls.rulebases.put(_path(params.text_document.uri), None)
    ls.schedule(_path(params.text_document.uri), 0)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded
def did_change_configuration(ls: WarrantServer, params: types.DidChangeConfigurationParams):
    settings = params.settings if isinstance(params.settings, dict) else {}
    ours = settings.get("warrant") if isinstance(settings.get("warrant"), dict) else {}
    debounce, limit, on_save = ours.get("debounce"), ours.get("timeLimit"), ours.get("analyseOnSave")
    if isinstance(debounce, (int, float)) and 0 <= debounce <= 5:
        ls.debounce = float(debounce)
    if isinstance(limit, (int, float)) and 1 <= limit <= warrant.MAX_TIME_LIMIT:
        ls.time_limit = float(limit)
    if isinstance(on_save, bool):
        ls.analyse_on_save = on_save


# ---- names: hover, definition, references, rename ---------------------------------


def _use_at(ls, params):
    rulebase, path, line, column = _where(ls, params.text_document.uri, params.position)
    index = rulebase.index()
    return rulebase, index, index.at(path, line, column)


@server.feature(types.TEXT_DOCUMENT_HOVER)
@guarded
@rule_files_only
def hover(ls: WarrantServer, params: types.HoverParams):
    _, index, use = _use_at(ls, params)
    if use is None:
        return None
    declared = index.declared(use.kind, use.name, use.container)
    docs = list(dict.fromkeys(n.doc for n in declared if n.doc)) or [f"{use.kind} `{use.name}` (not declared)"]
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, "\n\n---\n\n".join(docs)), ls.range(use.span))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
@guarded
@rule_files_only
def definition(ls: WarrantServer, params: types.DefinitionParams):
    _, index, use = _use_at(ls, params)
    if use is None:
        return None
    return [ls.location(n.span) for n in index.declared(use.kind, use.name, use.container)] or None


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
@guarded
@rule_files_only
def references(ls: WarrantServer, params: types.ReferenceParams):
    _, index, use = _use_at(ls, params)
    if use is None:
        return None
    keep = params.context.include_declaration if params.context else True
    return [ls.location(u.span) for u in index.uses_of(use.kind, use.name, use.container) if keep or not u.declaration]


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
@guarded
@rule_files_only
def prepare_rename(ls: WarrantServer, params: types.PrepareRenameParams):
    _, index, use = _use_at(ls, params)
    if use is None or not index.declared(use.kind, use.name, use.container):
        return None
    return ls.range(use.span)


@server.feature(types.TEXT_DOCUMENT_RENAME)
@guarded
@rule_files_only
def rename(ls: WarrantServer, params: types.RenameParams):
    rulebase, index, use = _use_at(ls, params)
    new = params.new_name
    if use is None:
        raise JsonRpcInvalidParams("there is no name here to rename")
    if index.unparsed:
        raise JsonRpcInvalidParams(f"{os.path.basename(index.unparsed[0])} does not parse: a rename could miss "
                                   "the uses in it; fix it first")
    if not NAME.match(new) or new in warrant.NameIndex.KEYWORDS:
        raise JsonRpcInvalidParams(f"`{new}` is not a name: names are lower_case and not a keyword")
    if not index.declared(use.kind, use.name, use.container):
        raise JsonRpcInvalidParams(f"`{use.name}` is not declared in this rulebase")
    clash = [n for n in index.names if n.name == new and (n.kind != "reading" or n.container == use.container)]
    if clash:
        where = clash[0].span
        raise JsonRpcInvalidParams(f"`{new}` is already the name of a {clash[0].kind} "
                                   f"({os.path.basename(where.file)}:{where.line})")
    changes: dict[str, list[types.TextEdit]] = {}
    for found in index.uses_of(use.kind, use.name, use.container):
        changes.setdefault(from_fs_path(found.span.file), []).append(types.TextEdit(ls.range(found.span), new))
    return types.WorkspaceEdit(changes=changes)


# ---- symbols ------------------------------------------------------------------------

OUTLINE = ("policy", "rule", "set", "value", "field", "enum", "enum value", "source", "assumption", "reading",
           "invariant")


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@guarded
@rule_files_only
def document_symbol(ls: WarrantServer, params: types.DocumentSymbolParams):
    rulebase = ls.rulebases.of(_path(params.text_document.uri))
    names = [n for n in rulebase.index().in_file(_path(params.text_document.uri)) if n.kind in OUTLINE]
    parents: dict[tuple[str, str], types.DocumentSymbol] = {}
    top = []
    for name in names:
        symbol = types.DocumentSymbol(name.name, SYMBOL_KINDS[name.kind], ls.range(name.extent),
                                      ls.range(name.span), detail=name.detail[:100] or name.kind, children=[])
        parent_kind = {"rule": "policy", "enum value": "enum", "reading": "assumption"}.get(name.kind)
        parent = parents.get((parent_kind, name.container)) if parent_kind else None
        (parent.children if parent is not None else top).append(symbol)
        parents[(name.kind, name.name)] = symbol
    return top


@server.feature(types.WORKSPACE_SYMBOL)
@guarded
def workspace_symbol(ls: WarrantServer, params: types.WorkspaceSymbolParams):
    query = params.query.lower()
    found = []
    for rulebase in ls.rulebases.all():
        for name in rulebase.index().names:
            if query in name.name.lower() and name.kind != "definition":
                found.append(types.WorkspaceSymbol(name=name.name, kind=SYMBOL_KINDS[name.kind],
                                                   location=ls.location(name.span), container_name=name.container))
            if len(found) >= 500:
                return found
    return found


# ---- completion -----------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[" ", "(", "=", ","]))
@guarded
@rule_files_only
def completion(ls: WarrantServer, params: types.CompletionParams):
    rulebase, path, line, column = _where(ls, params.text_document.uri, params.position)
    lines = ls.lines(path)
    text = lines[line - 1][:column - 1] if 0 < line <= len(lines) else ""
    place, extra, typed = context(text)
    items = []
    for found in candidates(place, extra, rulebase.known_names()):
        if typed and not found.label.startswith(typed[:1]):
            continue
        items.append(types.CompletionItem(
            found.label, kind=COMPLETION_KINDS.get(found.kind, types.CompletionItemKind.Text),
            detail=f"{found.kind}: {found.detail}" if found.detail else found.kind,
            documentation=types.MarkupContent(types.MarkupKind.Markdown, found.documentation)
            if found.documentation else None, insert_text=found.insert))
    return types.CompletionList(is_incomplete=False, items=items)


# ---- formatting --------------------------------------------------------------------


def _formatted(ls: WarrantServer, uri: str):
    path = _path(uri)
    text = ls.rulebases.of(path).text(path)
    try:
        return path, text, warrant.format_text(text, path)
    except warrant.WarrantError as exc:
        first = exc.diagnostics[0]
        where = f" (line {first.span.line})" if first.span is not None else ""
        ls.tell(f"not formatted: {os.path.basename(path)} does not parse{where}: {first.message}")
        return path, text, None


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
@guarded
@rule_files_only
def formatting(ls: WarrantServer, params: types.DocumentFormattingParams):
    path, text, formatted = _formatted(ls, params.text_document.uri)
    if formatted is None or formatted == text:
        return None if formatted is None else []
    lines = split_lines(text)
    end = types.Position(len(lines), 0)
    return [types.TextEdit(types.Range(types.Position(0, 0), end), formatted)]


@server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
@guarded
@rule_files_only
def range_formatting(ls: WarrantServer, params: types.DocumentRangeFormattingParams):
    """The formatter's changes whose lines meet the range (the formatter works on the whole file)."""
    path, text, formatted = _formatted(ls, params.text_document.uri)
    if formatted is None:
        return None
    old, new = text.splitlines(keepends=True), formatted.splitlines(keepends=True)
    first, last = params.range.start.line, params.range.end.line
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal" and i1 <= last and max(i2 - 1, i1) >= first:
            edits.append(types.TextEdit(types.Range(types.Position(i1, 0), types.Position(i2, 0)),
                                        "".join(new[j1:j2])))
    return edits


# ---- code actions ----------------------------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
@guarded
@rule_files_only
def code_action(ls: WarrantServer, params: types.CodeActionParams):
    """Quick fixes for the findings in range: an unknown name's did-you-mean, a redundant condition (C131)
    removed, a missing `cites` (C110) added."""
    actions = []
    for found in params.context.diagnostics:
        if found.source != "warrant":
            continue
        if found.code == "C131":
            actions += fixes.without_redundant_condition(ls, params.text_document.uri, found)
        elif found.code == "C110":
            actions += fixes.with_a_source(ls, params.text_document.uri, found)
        else:
            actions += fixes.did_you_mean(ls, params.text_document.uri, found)
    return actions


# ---- code lenses: decide a case, run it, run a rulebase's cases (lenses.py) ----------------------------


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
@guarded
def code_lens(ls: WarrantServer, params: types.CodeLensParams):
    """On a rule file, "Run cases" at each policy; on a golden case's request file, "Decide" and "Run case"."""
    return lenses.code_lenses(ls, params.text_document.uri)


server.command(lenses.DECIDE)(lenses.decide_case)
server.command(lenses.RUN_CASE)(lenses.run_case)
server.command(lenses.RUN_CASES)(lenses.run_cases)


# ---- semantic tokens --------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
@guarded
@rule_files_only
def semantic_tokens(ls: WarrantServer, params: types.SemanticTokensParams):
    path = _path(params.text_document.uri)
    index = ls.rulebases.of(path).index()
    lines = ls.lines(path)
    data, last_line, last_start = [], 0, 0
    uses = sorted((u for u in index.uses if u.span.file == path and u.kind in TOKEN_OF),
                  key=lambda u: (u.span.line, u.span.column))
    for use in uses:
        where = span_range(use.span, lines, ls.encoding)
        if where.start.line != where.end.line:
            continue
        line, start = where.start.line, where.start.character
        data += [line - last_line, start - last_start if line == last_line else start,
                 where.end.character - start, TOKEN_OF[use.kind], 1 if use.declaration else 0]
        last_line, last_start = line, start
    return types.SemanticTokens(data=data)


def serve() -> None:
    """Serve on standard input and output until the editor says exit.

    pygls's own log (a malformed message, say) is kept off standard error, where an editor shows it raw:
    the server answers what it can and logs its own faults to the editor (`window/logMessage`)."""
    import logging
    quiet = logging.getLogger("pygls")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    server.start_io()
