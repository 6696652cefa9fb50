"""`warrant lsp` end to end: a real client (pytest-lsp) talking to the server over stdio, on the shipped rulebase.

Nothing here writes a rule file: every edit is the editor's unsaved text
(didOpen, didChange), and edits the server proposes (rename, formatting,
quick fixes) are applied to that text by the test, as an editor would.
"""
import asyncio
import os
import sys
import time

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp", reason="pytest-lsp is not installed (pip install -e '.[test]')")
from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
RULES = os.path.join(ROOT, "rules")
TRUSTS = os.path.join(RULES, "nhs_trusts.warrant")
VOCABULARY = os.path.join(RULES, "vocabulary.warrant")
SERVER = [sys.executable, "-c", "import sys; from warrant._cli import main; sys.argv[0] = 'warrant'; main()", "lsp"]

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=from_fs_path(ROOT),
        workspace_folders=[types.WorkspaceFolder(from_fs_path(ROOT), "warrant")]))
    lsp_client.versions = {}
    yield
    await lsp_client.shutdown_session()


def open_document(client, path, text=None):
    uri = from_fs_path(path)
    text = _read(path) if text is None else text
    if uri in client.versions:
        return change(client, path, text)
    client.versions[uri] = 1
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri, "warrant", 1, text)))
    return uri


def change(client, path, text):
    uri = from_fs_path(path)
    client.versions[uri] += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=client.versions[uri]),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))
    return uri


async def published(client, uri, holds, timeout=5.0):
    """Wait until the diagnostics published for `uri` satisfy `holds`; return them and the time it took."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        found = client.diagnostics.get(uri)
        if found is not None and holds(found):
            return found, time.perf_counter() - start
        await asyncio.sleep(0.005)
    raise AssertionError(f"no diagnostics as expected for {uri} in {timeout}s: {client.diagnostics.get(uri)}")


def apply(text, edits):
    """Apply LSP text edits to a text (UTF-16 columns; the rule files here are in the BMP)."""
    lines = text.split("\n")

    def offset(position):
        return sum(len(line) + 1 for line in lines[:position.line]) + position.character
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


def at(text, needle, nth=0, into=1):
    """The LSP position `into` characters inside the nth occurrence of `needle`."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index)
    return types.Position(line, index - (text.rfind("\n", 0, index) + 1) + into)


async def test_a_misspelt_set_gets_a_diagnostic_and_its_quick_fix_clears_it(client: LanguageClient):
    text = _read(TRUSTS)
    uri = open_document(client, TRUSTS)
    await published(client, uri, lambda found: not found)
    broken = text.replace("Item in trust_debtor_data", "Item in trust_debtr_data")
    change(client, TRUSTS, broken)
    found, took = await published(client, uri, lambda found: any(d.code == "C104" for d in found))
    assert took < 2.0
    (wrong,) = [d for d in found if d.code == "C104"]
    assert wrong.severity == types.DiagnosticSeverity.Error and wrong.source == "warrant"
    assert wrong.range.start.line == 26 and "trust_debtr_data" in wrong.message
    assert wrong.code_description is None or "ERRORS.md" in wrong.code_description.href
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), wrong.range, types.CodeActionContext([wrong])))
    (fix,) = actions
    assert fix.kind == types.CodeActionKind.QuickFix and "trust_debtor_data" in fix.title
    fixed = apply(broken, fix.edit.changes[uri])
    assert fixed == text
    change(client, TRUSTS, fixed)
    await published(client, uri, lambda found: not found)


async def test_a_duplicate_declaration_points_at_the_first(client: LanguageClient):
    text = _read(TRUSTS)
    uri = open_document(client, TRUSTS, text + '\nset clinical_data "again" = {name}\n')
    # nhs_trusts.warrant comes first in file order, so vocabulary.warrant's set is the second declaration
    found, _ = await published(client, from_fs_path(VOCABULARY), lambda found: any(d.code == "C109" for d in found))
    twice = next(d for d in found if d.code == "C109")
    assert twice.related_information[0].location.uri == uri
    assert twice.related_information[0].location.range.start.line == len(text.split("\n"))
    change(client, TRUSTS, text)
    await published(client, from_fs_path(VOCABULARY), lambda found: not found)


async def test_hover_definition_and_references(client: LanguageClient):
    text = _read(TRUSTS)
    uri = open_document(client, TRUSTS, text)
    where = at(text, "trust_debtor_data\n")
    document = types.TextDocumentIdentifier(uri)
    shown = await client.text_document_hover_async(types.HoverParams(document, where))
    assert "set `trust_debtor_data`" in shown.contents.value and "last_known_address" in shown.contents.value
    rule = await client.text_document_hover_async(types.HoverParams(document, at(text, "debt_over_500")))
    assert "cites `independent_2019` paras 2, 7" in rule.contents.value
    (found,) = await client.text_document_definition_async(types.DefinitionParams(document, where))
    assert found.uri == from_fs_path(VOCABULARY)
    assert _read(VOCABULARY).split("\n")[found.range.start.line][found.range.start.character:found.range.end.character] \
        == "trust_debtor_data"
    uses = await client.text_document_references_async(types.ReferenceParams(
        text_document=document, position=at(text, "independent_2019"),
        context=types.ReferenceContext(include_declaration=True)))
    assert len(uses) > 5 and {u.uri for u in uses} >= {uri, from_fs_path(os.path.join(RULES, "sources.warrant"))}


async def test_rename_edits_every_file_at_once_and_refuses_a_clash(client: LanguageClient):
    text = _read(TRUSTS)
    uri = open_document(client, TRUSTS, text)
    document = types.TextDocumentIdentifier(uri)
    edit = await client.text_document_rename_async(types.RenameParams(
        document, at(text, "trust_debtor_data\n"), "hospital_debtor_data"))
    assert set(edit.changes) == {uri, from_fs_path(VOCABULARY)}
    assert "Item in hospital_debtor_data" in apply(text, edit.changes[uri])
    assert "set hospital_debtor_data" in apply(_read(VOCABULARY), edit.changes[from_fs_path(VOCABULARY)])
    with pytest.raises(Exception, match="already the name of a set"):
        await client.text_document_rename_async(types.RenameParams(
            document, at(text, "trust_debtor_data\n"), "clinical_data"))
    with pytest.raises(Exception, match="not a name"):
        await client.text_document_rename_async(types.RenameParams(document, at(text, "trust_debtor_data\n"), "when"))


@pytest.mark.parametrize("before,expected,absent", [
    ("         and Item in ", {"trust_debtor_data", "clinical_data"}, {"holder"}),
    ("         and assuming ", {"debt_threshold_inclusive"}, {"clinical_data"}),
    ("         and holder(", {"nhs_trust", "nhs_digital"}, {"clinical_data"}),
    ('        cites ', {"independent_2019", "ein_2018"}, {"holder"}),
    ("         and ", {"holder", "debt_threshold_met", "not", "assuming"}, {"clinical_data"}),
])
async def test_completion_offers_what_may_come_there(client: LanguageClient, before, expected, absent):
    text = _read(TRUSTS)
    line = text.split("\n").index("         and debt_threshold_met")
    lines = text.split("\n")
    lines.insert(line, before)
    uri = open_document(client, TRUSTS, "\n".join(lines))
    found = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), types.Position(line, len(before))))
    labels = {item.label for item in found.items}
    assert expected <= labels and not absent & labels, labels
    assert all(item.kind is not None for item in found.items)
    open_document(client, TRUSTS, text)


async def test_completion_offers_an_assumptions_readings(client: LanguageClient):
    folder = os.path.join(ROOT, "examples", "rulebases", "crime_disorder_s115")
    path = os.path.join(folder, "power.warrant")
    text = _read(path)
    marker = "assuming purpose_test = "
    index = text.index(marker) + len(marker)
    uri = open_document(client, path, text[:index] + text[text.index("\n", index):])
    position = at(text, marker, into=len(marker))
    found = await client.text_document_completion_async(types.CompletionParams(types.TextDocumentIdentifier(uri),
                                                                               position))
    assert {"either", "necessary_only", "expedient_for_ordinary_data"} == {i.label for i in found.items}
    assert found.items[0].kind == types.CompletionItemKind.EnumMember and found.items[0].documentation
    open_document(client, path, text)


async def test_formatting_gives_the_canonical_text_and_refuses_what_does_not_parse(client: LanguageClient):
    text = _read(TRUSTS)
    messy = text.replace("\n    cites independent_2019 \"para 2\"", "  cites independent_2019 \"para 2\"")
    uri = open_document(client, TRUSTS, messy)
    options = types.FormattingOptions(tab_size=4, insert_spaces=True)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        types.TextDocumentIdentifier(uri), options))
    assert apply(messy, edits) == text
    ranged = await client.text_document_range_formatting_async(types.DocumentRangeFormattingParams(
        types.TextDocumentIdentifier(uri), types.Range(types.Position(9, 0), types.Position(12, 0)), options))
    assert apply(messy, ranged) == text
    change(client, TRUSTS, "policy {")
    shown = len(client.messages)
    assert await client.text_document_formatting_async(types.DocumentFormattingParams(
        types.TextDocumentIdentifier(uri), options)) is None
    await asyncio.sleep(0.05)
    assert "does not parse" in client.messages[shown].message
    open_document(client, TRUSTS, text)


async def test_symbols_outline_the_document_and_search_the_workspace(client: LanguageClient):
    uri = open_document(client, TRUSTS)
    outline = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri)))
    names = [s.name for s in outline]
    assert names == ["debt_over_500", "debt_exactly_500", "nhs_trust_debt_data"]
    assert [c.name for c in outline[2].children] == ["trust_debtor_data_for_enforcement"]
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="clinical_data"))
    assert any(s.name == "clinical_data" and s.location.uri == from_fs_path(VOCABULARY) for s in found)


async def test_semantic_tokens_colour_names_by_kind(client: LanguageClient):
    uri = open_document(client, TRUSTS)
    tokens = await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(
        types.TextDocumentIdentifier(uri)))
    assert len(tokens.data) % 5 == 0 and len(tokens.data) // 5 >= 20


async def test_half_written_and_binary_text_gets_diagnostics_not_a_crash(client: LanguageClient):
    text = _read(TRUSTS)
    uri = open_document(client, TRUSTS, text + "\npermit half_written for Item \"")
    found, _ = await published(client, uri, lambda found: any(d.code.startswith("W") for d in found))
    change(client, TRUSTS, "\x00\xff\ufffd" * 1000 + "😀")
    await published(client, uri, lambda found: any(d.code == "W001" for d in found))
    change(client, TRUSTS, "# big\n" * (1 << 20))
    await published(client, uri, lambda found: any(d.code == "W006" for d in found))
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                     types.Position(0, 2)))
    assert hover is None
    open_document(client, TRUSTS, text)
    await published(client, uri, lambda found: not found)


# ---- never down: mutated shipped rule files as didChange (hypothesis) -----------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

SHIPPED = sorted(os.path.join(folder, name) for folder in
                 [RULES] + [os.path.join(ROOT, "examples", "rulebases", n)
                            for n in sorted(os.listdir(os.path.join(ROOT, "examples", "rulebases")))]
                 for name in os.listdir(folder) if name.endswith(".warrant"))
PIECES = st.sampled_from(["permit ", "forbid ", "define ", "when ", " and ", "not ", "assuming ", "in force(", "{",
                          "}", "(", ")", '"', "\\", "#", "\n", "cites ", "= ", "£500", "2018-13-45", "Item", "x",
                          "set s = {a, a}", "policy p \"t\" in force from 2020-01-01 {", "\x00", "😀", "\r\n"])
EDIT = st.tuples(st.sampled_from(["delete", "insert", "duplicate"]), st.floats(0, 1), st.floats(0, 1),
                 st.one_of(PIECES, st.text(max_size=12)))


def mutate(text, edits):
    for kind, where, size, piece in edits:
        start = int(where * len(text))
        end = min(len(text), start + int(size * 40))
        if kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "insert":
            text = text[:start] + piece + text[start:]
        else:
            text = text[:end] + text[start:end] + text[end:]
    return text


def _utf16(line):
    return len(line) + sum(1 for c in line if ord(c) > 0xFFFF)


def inside(range_, text):
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start, end = range_.start, range_.end
    return (0 <= start.line <= end.line < len(lines) and 0 <= start.character <= _utf16(lines[start.line])
            and 0 <= end.character <= _utf16(lines[end.line]) and (start.line, start.character) <= (end.line, end.character))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(path=st.sampled_from(SHIPPED), edits=st.lists(EDIT, min_size=1, max_size=4), column=st.integers(0, 60))
async def test_mutated_rule_files_get_ranges_inside_the_document_and_the_server_still_answers(
        client: LanguageClient, path, edits, column):
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams({"warrant": {"debounce": 0}}))
    texts = getattr(client, "texts", None) or {}
    client.texts = texts
    original = _read(path)
    text = mutate(original, edits)
    uri = open_document(client, path, text)
    texts[uri] = text
    line = min(len(text.split("\n")) - 1, column // 3)
    await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                             types.Position(line, column)))
    await client.text_document_completion_async(types.CompletionParams(types.TextDocumentIdentifier(uri),
                                                                       types.Position(line, column)))
    for published_uri, found in client.diagnostics.items():
        shown = texts.get(published_uri)
        if shown is None:
            from pygls.uris import to_fs_path
            shown = _read(to_fs_path(published_uri))
        for diagnostic in found:
            assert inside(diagnostic.range, shown), (published_uri, diagnostic)
    assert client.diagnostics.get(uri) is not None
    open_document(client, path, original)
    texts[uri] = original
    outline = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri)))
    assert outline, "the server answers for the restored file"
