"""Code lenses: "Decide" and "Run case" on a golden case's request file, "Run cases" on a rulebase's policy.

A lens's command decides with the rulebase as the editor holds it
(`warrant.load(texts=)`: unsaved rule texts included; a rulebase that does
not check is said so, with its first error), on a background thread. The
result is a message (`window/showMessage`); a case's run also underlines
its files where the decision differs from the expected file (cases.py),
and clears them once it passes. The request file is decided as saved on
disk, and the message says so when the editor holds other text.
"""
from __future__ import annotations

import functools
import os
import traceback

from lsprotocol import types
from pygls.uris import from_fs_path

import warrant
import warrant.lsp.cases as golden
from warrant.lsp.background import Progress, in_thread
from warrant.lsp.positions import path_of, position, split_lines
from warrant.lsp.rulebases import SUFFIX

DECIDE, RUN_CASE, RUN_CASES = "warrant.decide", "warrant.runCase", "warrant.runCases"


def code_lenses(ls, uri: str) -> list[types.CodeLens] | None:
    """On a rule file, "Run cases" at each policy; on a golden case's request file, "Decide" and "Run case"."""
    path = path_of(uri)
    if path.endswith(SUFFIX):
        rulebase = ls.rulebases.of(path)
        folder = from_fs_path(rulebase.folder)
        return [types.CodeLens(ls.range(n.span), types.Command("Run cases", RUN_CASES, arguments=[folder]))
                for n in rulebase.index().in_file(path) if n.kind == "policy"]
    if golden.is_case(path) and golden.case_rulebase(path):
        top = types.Range(types.Position(0, 0), types.Position(0, 0))
        return [types.CodeLens(top, types.Command("Decide", DECIDE, arguments=[uri])),
                types.CodeLens(top, types.Command("Run case", RUN_CASE, arguments=[uri]))]
    return None


def _rulebase_texts(ls, folder: str) -> dict[str, str]:
    """The editor's unsaved texts of the rule files under a folder."""
    inside = folder.rstrip(os.sep) + os.sep
    return {path: text for rulebase in list(ls.rulebases.by_folder.values())
            for path, text in rulebase.texts.items() if path.startswith(inside)}


async def _load(ls, folder: str):
    """The rulebase as the editor has it, or None (said in a message) when it does not check."""
    texts = _rulebase_texts(ls, folder)
    try:
        return await in_thread(lambda: warrant.load(folder, texts=texts))
    except warrant.WarrantError as exc:
        first = exc.diagnostics[0]
        where = f"{os.path.basename(first.span.file)}:{first.span.line}: " if first.span is not None else ""
        ls.tell(f"the rulebase {os.path.basename(folder)} does not check ({where}{first.code} {first.message}); "
                "fix it first", types.MessageType.Error)
        return None


def _publish_cases(ls, findings, ran: set[str]) -> None:
    """Findings on case files; the files of the cases run that no longer have any are cleared."""
    by_file: dict[str, list[types.Diagnostic]] = {}
    for found in findings:
        path = os.path.realpath(found.path)
        lines = split_lines(_request_text(ls, path)[0])
        where = types.Range(position(lines, found.line, 0, ls.encoding),
                            position(lines, found.end_line, len(lines[min(found.end_line, len(lines) - 1)]),
                                     ls.encoding))
        severity = types.DiagnosticSeverity.Error if found.severity == "error" else types.DiagnosticSeverity.Warning
        by_file.setdefault(path, []).append(types.Diagnostic(where, found.message, severity, source="warrant test"))
    clear = (ls.case_findings & ran) - set(by_file)
    for path in set(by_file) | clear:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(from_fs_path(path),
                                                                            by_file.get(path, [])))
    ls.case_findings = (ls.case_findings - clear) | set(by_file)


def _request_text(ls, path: str) -> tuple[str, bool]:
    """A case file's text on disk, and whether the editor holds other, unsaved text."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            saved = handle.read(16 << 20)
    except OSError:
        saved = ""
    try:
        held = ls.workspace.get_text_document(from_fs_path(path)).source
    except Exception:  # noqa: BLE001 - not open in the editor
        held = saved
    return saved, held != saved


def _case_command(function):
    """A code lens command: its own fault is logged and said, never raised at the editor."""
    @functools.wraps(function)
    async def wrapper(ls, *args):
        try:
            return await function(ls, *args)
        except Exception as exc:  # noqa: BLE001 - never down
            ls.log(f"{function.__name__} failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            ls.tell(f"warrant: {function.__name__.replace('_', ' ')} failed: {exc}", types.MessageType.Error)
            return None
    return wrapper


@_case_command
async def decide_case(ls, *args):
    path = path_of(str(args[0])) if args else ""
    folder = golden.case_rulebase(path) if golden.is_case(path) else None
    if folder is None:
        raise ValueError(f"{os.path.basename(path) or 'nothing'} is not a golden case's request file")
    rulebase = await _load(ls, folder)
    if rulebase is None:
        return None
    _, unsaved = _request_text(ls, path)
    try:
        decision = await in_thread(lambda: rulebase.decide(path))
    except warrant.WarrantError as exc:
        ls.tell(f"{os.path.basename(path)} is not a valid request: {exc.diagnostics[0].message}",
                types.MessageType.Error)
        return None
    note = "\n(the request as saved: save the file to decide your edits)" if unsaved else ""
    ls.tell(golden.decision_words(decision) + note, types.MessageType.Info)
    return {"outcome": decision.outcome.value, "items": {i.item: i.outcome.value for i in decision.items}}


@_case_command
async def run_case(ls, *args):
    path = path_of(str(args[0])) if args else ""
    folder = golden.case_rulebase(path) if golden.is_case(path) else None
    if folder is None:
        raise ValueError(f"{os.path.basename(path) or 'nothing'} is not a golden case's request file")
    return await _run(ls, folder, [path])


@_case_command
async def run_cases(ls, *args):
    folder = path_of(str(args[0])) if args else ""
    if not os.path.isdir(folder):
        raise ValueError(f"{folder or 'nothing'} is not a rulebase folder")
    return await _run(ls, folder, [])


async def _run(ls, folder: str, chosen: list[str]):
    rulebase = await _load(ls, folder)
    if rulebase is None:
        return None
    async with Progress(ls, f"Warrant: cases of {os.path.basename(folder)}") as progress:
        suite = await in_thread(lambda: rulebase.test(chosen, jobs=1))
        progress.end(", ".join(f"{n} {status}" for status, n in suite.counts.items() if n) or "no cases")
    findings = [f for result in suite.cases for f in golden.case_findings(result, _request_text(ls, result.path)[0])]
    _publish_cases(ls, findings, {os.path.realpath(p) for r in suite.cases for p in (r.path, r.expected_path)})
    counts = {status: n for status, n in suite.counts.items() if n}
    failing = [os.path.basename(r.path) for r in suite.cases if r.status not in ("passed", "updated")]
    if not suite.cases:
        ls.tell(f"no golden cases for {os.path.basename(folder)} (a rulebase keeps them in its cases/ folder)",
                types.MessageType.Warning)
    elif len(suite.cases) == 1:
        result = suite.cases[0]
        words = "passed" if result.status == "passed" else result.status + (
            ": " + "; ".join(result.moved) if result.moved else "")
        ls.tell(f"case {os.path.basename(result.path)} {words}",
                types.MessageType.Info if result.status == "passed" else types.MessageType.Error)
    else:
        listed = ", ".join(failing[:5]) + (f" and {len(failing) - 5} more" if len(failing) > 5 else "")
        ls.tell(", ".join(f"{n} {status}" for status, n in counts.items()) + (f": {listed}" if failing else ""),
                types.MessageType.Error if failing else types.MessageType.Info)
    return {"counts": counts, "failing": failing}
