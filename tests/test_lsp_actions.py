"""`warrant lsp` end to end (pytest-lsp): code lenses that decide and run golden cases, the exact analysis on
save with `$/progress`, and the quick fixes that remove a redundant condition and add a missing `cites`.

The rulebase is a fresh `warrant init` scaffold in a temporary folder (the
lenses' runs publish diagnostics on its case files, and a test mends its
expected file); rule texts are only ever the editor's unsaved texts.
"""
import asyncio
import os
import subprocess
import sys
import time

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp", reason="pytest-lsp is not installed (pip install -e '.[test]')")
from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from test_lsp import SERVER, apply, at, change, open_document, published  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def law(tmp_path_factory):
    """A scaffold rulebase: law/*.warrant and law/cases/council_with_consent.{yaml,expected.json}."""
    folder = tmp_path_factory.mktemp("editor") / "law"
    done = subprocess.run([sys.executable, "-c", "import sys; from warrant._cli import main; sys.argv[0] = 'warrant'; "
                           "main()", "init", str(folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return os.path.realpath(folder)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, law):
    root = os.path.dirname(law)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=from_fs_path(root),
        workspace_folders=[types.WorkspaceFolder(from_fs_path(root), "editor")]))
    lsp_client.versions = {}
    lsp_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        {"warrant": {"debounce": 0, "timeLimit": 30}}))
    yield
    await lsp_client.shutdown_session()


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def save(client, path):
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(from_fs_path(path))))


async def message(client, shown, holds=lambda m: True, timeout=20.0):
    """The first message shown after the `shown`-th that satisfies `holds`."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        for found in client.messages[shown:]:
            if holds(found):
                return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"no such message in {timeout}s: {[m.message for m in client.messages[shown:]]}")


async def lenses(client, path):
    return await client.text_document_code_lens_async(types.CodeLensParams(
        types.TextDocumentIdentifier(from_fs_path(path))))


async def run(client, lens):
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(
        lens.command.command, lens.command.arguments))


async def test_a_cases_lenses_decide_it_and_run_it_and_a_failure_is_underlined_where_it_differs(client, law):
    case = os.path.join(law, "cases", "council_with_consent.yaml")
    expected = os.path.join(law, "cases", "council_with_consent.expected.json")
    open_document(client, case, _read(case))
    decide, run_case = await lenses(client, case)
    assert (decide.command.title, run_case.command.title) == ("Decide", "Run case")

    shown = len(client.messages)
    result = await run(client, decide)
    assert result["items"] == {"contact_details": "permitted", "case_notes": "refused"}
    said = await message(client, shown, lambda m: "contact_details: permitted" in m.message)
    assert said.type == types.MessageType.Info and "case_notes: refused" in said.message

    right = _read(expected)
    with open(expected, "w", encoding="utf-8") as handle:        # the expected file now says otherwise
        handle.write(right.replace('"permitted"', '"refused"'))
    try:
        shown = len(client.messages)
        result = await run(client, run_case)
        assert result["failing"] == ["council_with_consent.yaml"]
        said = await message(client, shown, lambda m: "council_with_consent.yaml failed" in m.message)
        assert "contact_details: refused -> permitted" in said.message
        on_request, _ = await published(client, from_fs_path(case), lambda found: bool(found))
        (moved,) = on_request
        assert moved.severity == types.DiagnosticSeverity.Error and "contact_details" in moved.message
        assert _read(case).split("\n")[moved.range.start.line].strip() == "- contact_details"
        on_expected, _ = await published(client, from_fs_path(expected), lambda found: bool(found))
        lines = _read(expected).split("\n")
        assert any('"refused"' in lines[d.range.start.line] for d in on_expected)
        assert all(0 <= d.range.start.line <= d.range.end.line < len(lines) for d in on_expected)
    finally:
        with open(expected, "w", encoding="utf-8") as handle:
            handle.write(right)
    result = await run(client, run_case)
    assert result == {"counts": {"passed": 1}, "failing": []}
    await published(client, from_fs_path(case), lambda found: not found)
    await published(client, from_fs_path(expected), lambda found: not found)


async def test_a_policy_lens_runs_the_rulebases_cases_with_the_editors_unsaved_rules(client, law):
    policy = os.path.join(law, "policy.warrant")
    text = _read(policy)
    open_document(client, policy, text)
    (lens,) = await lenses(client, policy)
    assert lens.command.title == "Run cases" and lens.range.start.line == text.split("\n").index(
        next(l for l in text.split("\n") if l.startswith("policy ")))
    assert (await run(client, lens))["counts"] == {"passed": 1}
    change(client, policy, text.replace("and consented\n", "and not consented\n"))     # unsaved
    shown = len(client.messages)
    result = await run(client, lens)
    assert result == {"counts": {"failed": 1}, "failing": ["council_with_consent.yaml"]}
    said = await message(client, shown, lambda m: "failed" in m.message)
    assert said.type == types.MessageType.Error
    change(client, policy, text)
    assert (await run(client, lens))["counts"] == {"passed": 1}
    change(client, policy, text.replace("and consented\n", "and consented\n         and Item in no_such_set\n"))
    shown = len(client.messages)
    assert await run(client, lens) is None
    said = await message(client, shown, lambda m: "does not check" in m.message)
    assert "C104" in said.message and said.type == types.MessageType.Error
    change(client, policy, text)


async def test_on_save_the_exact_analysis_finds_a_redundant_condition_and_its_fix_removes_it(client, law):
    policy = os.path.join(law, "policy.warrant")
    text = _read(policy)
    redundant = text.replace("         and requester(council)\n",
                             "         and requester(council)\n         and not requester(other)\n")
    uri = open_document(client, policy, redundant)
    await published(client, uri, lambda found: not found)            # the fast check finds nothing
    before = set(client.progress_reports)
    save(client, policy)
    found, _ = await published(client, uri, lambda found: any(d.code == "C131" for d in found), timeout=30)
    (report,) = [client.progress_reports[t] for t in set(client.progress_reports) - before]
    assert isinstance(report[0], types.WorkDoneProgressBegin) and "exact analysis" in report[0].title
    # requester is fixed (one value a request): each of the two conditions on it implies the other
    assert isinstance(report[-1], types.WorkDoneProgressEnd) and "redundant condition (C131): 2" in report[-1].message
    (wrong,) = [d for d in found if d.code == "C131" and "not requester(other)" in
                redundant.split("\n")[d.range.start.line]]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), wrong.range, types.CodeActionContext([wrong])))
    (fix,) = actions
    assert fix.title == "Remove the redundant condition `not requester(other)`"
    fixed = apply(redundant, fix.edit.changes[uri])
    assert fixed == text
    change(client, policy, fixed)                        # an edit drops the analysis's findings at once
    await published(client, uri, lambda found: not found)
    save(client, policy)
    await asyncio.sleep(0.3)
    assert not client.diagnostics[uri]


async def test_a_rule_without_cites_gets_a_fix_adding_one(client, law):
    policy = os.path.join(law, "policy.warrant")
    text = _read(policy)
    start = text.index("forbid case_notes_never")
    line = text.index('    cites example_act "s.3"\n', start)
    bare = text[:line] + text[line + len('    cites example_act "s.3"\n'):]
    uri = open_document(client, policy, bare)
    found, _ = await published(client, uri, lambda found: any(d.code == "C110" for d in found))
    (missing,) = [d for d in found if d.code == "C110"]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), missing.range, types.CodeActionContext([missing])))
    assert actions[0].title == "Add `cites example_act`" and actions[0].is_preferred
    fixed = apply(bare, actions[0].edit.changes[uri])
    assert fixed == text.replace('    cites example_act "s.3"\n', "    cites example_act\n")
    change(client, policy, fixed)
    await published(client, uri, lambda found: not found)
    change(client, policy, text)


async def test_a_case_file_gets_no_answers_meant_for_rule_files(client, law):
    case = os.path.join(law, "cases", "council_with_consent.yaml")
    uri = open_document(client, case, _read(case))
    assert await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri),
                                                                    types.Position(2, 2))) is None
    assert await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri))) is None
    assert not [d for d in client.diagnostics.get(uri, ()) if d.source == "warrant"]      # no rule check's findings
