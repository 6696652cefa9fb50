"""`warrant lsp` on every shipped rulebase (rules/, examples/rulebases/*), every feature, as an editor uses it;
and 10,000 edits in a row without a hang.

For each rulebase: every file opens without a finding; the outline,
semantic tokens, formatting (already canonical: no edit) and code lenses
answer for every file; hover, definition, references, prepare-rename and
rename answer for the first declaration of every kind of name; completion
offers the rulebase's fields in a condition and its sources after `cites`;
workspace symbols find a name; a quick-fix request over a whole file answers
(nothing to fix); a save runs the exact analysis (its `$/progress` ends, and
no finding appears on a clean rulebase); a case's "Decide" and "Run case"
lenses answer, and the shipped rulebase's "Run cases" runs them all. Nothing
is written: rename's and formatting's edits are only looked at.
"""
import asyncio
import os
import time

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp", reason="pytest-lsp is not installed (pip install -e '.[test]')")
from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path, to_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

import warrant  # noqa: E402
from test_lsp import SERVER, apply, inside, open_document, published  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
EXAMPLES = os.path.join(ROOT, "examples", "rulebases")
RULEBASES = [os.path.join(ROOT, "rules")] + [os.path.join(EXAMPLES, n) for n in sorted(os.listdir(EXAMPLES))]
CASES = {os.path.join(ROOT, "rules"): os.path.join(ROOT, "tests", "golden", "decisions")}

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=from_fs_path(ROOT),
        workspace_folders=[types.WorkspaceFolder(from_fs_path(ROOT), "warrant")]))
    lsp_client.versions = {}
    yield
    await lsp_client.shutdown_session()


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _files(folder):
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".warrant"))


def _doc(path):
    return types.TextDocumentIdentifier(from_fs_path(path))


def _position(span):
    return types.Position(span.line - 1, span.column - 1)


@pytest.mark.parametrize("folder", RULEBASES, ids=os.path.basename)
async def test_every_feature_answers_on_every_file_of_a_shipped_rulebase(client: LanguageClient, folder):
    texts = {path: _read(path) for path in _files(folder)}
    for path, text in texts.items():
        open_document(client, path, text)
    for path in texts:
        await published(client, from_fs_path(path), lambda found: not found)
    index = warrant.names(folder)
    options = types.FormattingOptions(tab_size=4, insert_spaces=True)
    for path, text in texts.items():
        outline = await client.text_document_document_symbol_async(types.DocumentSymbolParams(_doc(path)))
        declared = [n for n in index.in_file(path) if n.kind in ("policy", "set", "field", "source", "assumption",
                                                                  "invariant", "enum", "value")
                    or (n.kind == "rule" and n.container is None)]
        assert len(outline or []) == len(declared), (path, [s.name for s in outline or []])
        tokens = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(_doc(path)))
        assert len(tokens.data) // 5 >= sum(1 for u in index.uses if u.span.file == path and "\n" not in u.name) \
            * 0.9, path
        edits = await client.text_document_formatting_async(types.DocumentFormattingParams(_doc(path), options))
        assert edits is not None and not edits, f"{path} is not in the canonical layout"
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(_doc(path)))
        assert [lens.command.title for lens in lenses or []] == \
            ["Run cases"] * sum(1 for n in index.in_file(path) if n.kind == "policy")
        lines = text.split("\n")
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            _doc(path), types.Range(types.Position(0, 0), types.Position(len(lines) - 1, 0)),
            types.CodeActionContext([])))
        assert actions is not None and not actions

    seen = set()
    for name in index.names:
        if name.kind in seen or name.span.file not in texts:
            continue
        seen.add(name.kind)
        uses = index.uses_of(name.kind, name.name, name.container)
        where = _position(name.span)
        shown = await client.text_document_hover_async(types.HoverParams(_doc(name.span.file), where))
        assert shown is not None and name.name in shown.contents.value, (name.kind, name.name)
        found = await client.text_document_definition_async(types.DefinitionParams(_doc(name.span.file), where))
        assert any(f.uri == from_fs_path(name.span.file) and f.range.start == where for f in found), name
        refs = await client.text_document_references_async(types.ReferenceParams(
            text_document=_doc(name.span.file), position=where,
            context=types.ReferenceContext(include_declaration=True)))
        assert len(refs) == len(uses) and all(inside(r.range, texts.get(os.path.realpath(
            to_fs_path(r.uri)), "")) for r in refs), name
        ready = await client.text_document_prepare_rename_async(types.PrepareRenameParams(_doc(name.span.file), where))
        assert ready is not None and ready.start == where, name
        edit = await client.text_document_rename_async(types.RenameParams(_doc(name.span.file), where,
                                                                          "renamed_by_the_test"))
        assert sum(len(edits) for edits in edit.changes.values()) == len(uses), name
        for uri, edits in edit.changes.items():
            renamed = apply(texts[os.path.realpath(to_fs_path(uri))], edits)
            assert renamed.count("renamed_by_the_test") == len(edits)
    assert {"rule", "field", "source", "set"} <= seen, seen

    rule_file = next(p for p, t in texts.items() if "\n     and " in t)
    lines = texts[rule_file].split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("     and "))
    offered = await client.text_document_completion_async(types.CompletionParams(_doc(rule_file),
                                                                                 types.Position(at, 9)))
    fields = {n.name for n in index.names if n.kind == "field"}
    assert fields & {item.label for item in offered.items}
    cites = next(i for i, line in enumerate(lines) if line.strip().startswith("cites "))
    offered = await client.text_document_completion_async(types.CompletionParams(
        _doc(rule_file), types.Position(cites, lines[cites].index("cites ") + 6)))
    assert {n.name for n in index.names if n.kind == "source"} <= {item.label for item in offered.items}
    some = next(n for n in index.names if n.kind == "set")
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=some.name))
    assert any(s.name == some.name for s in found)

    before = set(client.progress_reports)
    client.text_document_did_save(types.DidSaveTextDocumentParams(_doc(rule_file)))
    start = time.perf_counter()
    while not any(isinstance(r[-1], types.WorkDoneProgressEnd) for t, r in client.progress_reports.items()
                  if t not in before and r):
        assert time.perf_counter() - start < 60, "the exact analysis did not end"
        await asyncio.sleep(0.02)
    (report,) = [r for t, r in client.progress_reports.items() if t not in before]
    assert "proved" in report[-1].message or report[-1].message == "nothing found", report[-1].message
    for path in texts:
        await published(client, from_fs_path(path), lambda found: not found)


@pytest.mark.parametrize("folder", RULEBASES, ids=os.path.basename)
async def test_a_shipped_case_is_decided_and_run_from_its_lenses(client: LanguageClient, folder):
    cases = CASES.get(folder, os.path.join(folder, "cases"))
    case = sorted(os.path.join(cases, n) for n in os.listdir(cases) if n.endswith(".yaml"))[0]
    uri = open_document(client, case, _read(case))
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    assert [lens.command.title for lens in lenses] == ["Decide", "Run case"]
    decided = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        lenses[0].command.command, lenses[0].command.arguments))
    assert decided["items"] and decided["outcome"]
    ran = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        lenses[1].command.command, lenses[1].command.arguments))
    assert ran == {"counts": {"passed": 1}, "failing": []}
    if folder in CASES:
        everything = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            "warrant.runCases", [from_fs_path(folder)]))
        count = sum(1 for n in os.listdir(cases) if n.endswith(".yaml"))
        assert everything == {"counts": {"passed": count}, "failing": []}


async def test_ten_thousand_edits_in_a_row_end_in_one_check_of_the_last_text(client: LanguageClient):
    """Typing and undoing a character 9,999 times, then misspelling a set: the server keeps up, checks the
    last text (its version) and still answers, all well within a bound."""
    path = os.path.join(ROOT, "rules", "nhs_trusts.warrant")
    text = _read(path)
    uri = open_document(client, path, text)
    await published(client, uri, lambda found: not found)
    version = client.versions[uri]
    end = len(text.split("\n")[0])
    start = time.perf_counter()
    for step in range(9_999):
        version += 1
        where = types.Range(types.Position(0, end), types.Position(0, end + (step % 2)))
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangePartial(range=where, text="" if step % 2 else "x")]))
    line = text.split("\n").index("         and Item in trust_debtor_data")
    column = len("         and Item in trust_debt")
    version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangePartial(range=types.Range(types.Position(line, column),
                                                                  types.Position(line, column + 1)), text="")]))
    client.versions[uri] = version
    found, _ = await published(client, uri, lambda found: any(d.code == "C104" for d in found), timeout=60)
    took = time.perf_counter() - start
    assert took < 60, f"10,000 edits took {took:.1f}s"
    (wrong,) = [d for d in found if d.code == "C104"]
    assert wrong.range.start.line == line and "trust_debtr_data" in wrong.message
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(line, 28))), 5)
    assert hover is not None and "not declared" in hover.contents.value
    open_document(client, path, text)
    await published(client, uri, lambda found: not found)
    print(f"10,000 didChange: the last text's diagnostics {took:.2f}s after the first edit")
