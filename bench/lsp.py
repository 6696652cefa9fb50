"""The language server's latencies, measured as an editor sees them: `warrant lsp` over stdio.

    python bench/lsp.py [ROUNDS]        (default 30)

For every shipped rulebase (rules/ and examples/rulebases/*) and a
generated 60-rule law, it opens the rulebase's largest rule file, then per
round: a keystroke (didChange, alternately a misspelt set name and the
fix) and the time until the server publishes that version's diagnostics
(the server waits 50 ms after the last keystroke before it checks, so that
is in the figure); a hover on a name and a completion after `in `. Prints
median, 90th percentile and worst, in milliseconds; targets: diagnostics
200 ms, hover and completion 50 ms.
"""
from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import tempfile
import time

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = [sys.executable, "-c", "import sys; from warrant._cli import main; sys.argv[0] = 'warrant'; main()", "lsp"]
TARGETS = {"diagnostics": 200, "hover": 50, "completion": 50}


def generated_law(folder: str, concepts: int = 10) -> str:
    """A law of 4 definitions per concept, 2 permissions per concept and a prohibition: 61 rules for 10."""
    items = [f"item{i}" for i in range(4 * concepts)]
    out = ['source act { publisher "P" title "An Act" }',
           'enum thing "Things" { ' + ", ".join(items) + " }",
           'field date: date required as request_date "Day."',
           'field items: many thing required as requested "Items."']
    for c in range(concepts):
        out += [f'field fact{c}_{w}: boolean "A fact."' for w in range(4)]
        out += [f'define concept{c} as concept{c}_way{w}\n    "Way {w}."\n    cites act "s.{c}"\n    when fact{c}_{w}'
                for w in range(4)]
        out.append(f'set group{c} "Group {c}" = {{{", ".join(items[4 * c:4 * c + 4])}}}')
    out.append('policy regime "Regime" in force from 2000-01-01 cites act "s.1" {')
    for c in range(concepts):
        for k in range(2):
            out.append(f'    permit permit{c}_{k} for Item\n        "P."\n        cites act "s.2"\n'
                       f'        when Item in group{c}\n         and concept{(c + k) % concepts}')
    out.append("}")
    out.append('forbid never_first for Item\n    "F."\n    cites act "s.3"\n    when Item = item0\n     and fact0_0')
    path = os.path.join(folder, "law.warrant")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n\n".join(out) + "\n")
    return folder


class Timed:
    def __init__(self) -> None:
        self.client = LanguageClient("warrant-bench", "1")
        self.arrived: dict[tuple[str, int | None], float] = {}
        arrived = self.arrived

        def published(params: types.PublishDiagnosticsParams) -> None:
            arrived[(params.uri, params.version)] = time.perf_counter()

        def ignored(params) -> None:
            return None
        self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(published)
        self.client.feature(types.WINDOW_LOG_MESSAGE)(ignored)
        self.client.feature(types.WINDOW_SHOW_MESSAGE)(lambda params: None)

    async def until(self, uri: str, version: int, timeout: float = 10.0) -> float:
        start = time.perf_counter()
        while (uri, version) not in self.arrived:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"no diagnostics for {uri} version {version}")
            await asyncio.sleep(0.001)
        return self.arrived[(uri, version)]


def _position(text: str, needle: str, into: int = 1) -> types.Position:
    index = text.index(needle)
    return types.Position(text.count("\n", 0, index), index - (text.rfind("\n", 0, index) + 1) + into)


async def measure(bench: Timed, folder: str, rounds: int) -> dict[str, list[float]]:
    files = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".warrant")]
    path = max((p for p in files if re.search(r"\bin [a-z]", open(p, encoding="utf-8").read())),
               key=os.path.getsize)
    text = open(path, encoding="utf-8").read()
    uri, client = from_fs_path(os.path.realpath(path)), bench.client
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "warrant", 1, text)))
    await bench.until(uri, 1)
    member = re.search(r"\bin ([a-z][a-z0-9_]*)", text)
    misspelt = text[:member.start(1)] + member.group(1)[:-1] + text[member.end(1) - 1 + 1:]
    hover_at = _position(text, member.group(0), into=4)
    line_end = text.index("\n", member.end())
    completing = text[:line_end] + "\n     and Item in " + text[line_end:]
    complete_at = _position(completing, "\n     and Item in ", into=len("\n     and Item in ") - 1)
    complete_at = types.Position(complete_at.line + 1, len("     and Item in "))
    found: dict[str, list[float]] = {"diagnostics": [], "hover": [], "completion": []}
    version = 1
    for round_ in range(rounds):
        version += 1
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=misspelt if round_ % 2 == 0 else text)]))
        found["diagnostics"].append((await bench.until(uri, version)) - sent)
        if round_ % 2:
            start = time.perf_counter()
            await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), hover_at))
            found["hover"].append(time.perf_counter() - start)
    version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=completing)]))
    await bench.until(uri, version)
    for _ in range(rounds):
        start = time.perf_counter()
        await client.text_document_completion_async(types.CompletionParams(types.TextDocumentIdentifier(uri),
                                                                           complete_at))
        found["completion"].append(time.perf_counter() - start)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    return found


def _row(label: str, samples: list[float], target: float) -> str:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    flag = "ok" if p90 <= target else "OVER"
    return f"  {label:<12} median {statistics.median(ms):7.1f}  p90 {p90:7.1f}  worst {ms[-1]:7.1f}  " \
           f"(target {target} ms: {flag})"


async def main(rounds: int) -> int:
    folders = [os.path.join(ROOT, "rules")] + sorted(
        os.path.join(ROOT, "examples", "rulebases", n) for n in os.listdir(os.path.join(ROOT, "examples", "rulebases")))
    with tempfile.TemporaryDirectory(prefix="warrant-lsp-bench-") as scratch:
        folders.append(generated_law(scratch))
        bench = Timed()
        await bench.client.start_io(*SERVER)
        await bench.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=from_fs_path(ROOT)))
        bench.client.initialized(types.InitializedParams())
        worst = 0
        try:
            for folder in folders:
                name = os.path.relpath(folder, ROOT) if folder.startswith(ROOT) else "generated 61-rule law"
                found = await measure(bench, folder, rounds)
                print(name)
                for label, samples in found.items():
                    print(_row(label, samples, TARGETS[label]))
                    worst = max(worst, sorted(samples)[min(len(samples) - 1, int(0.9 * len(samples)))] * 1000
                                / TARGETS[label])
        finally:
            await bench.client.shutdown_async(None)
            bench.client.exit(None)
            await bench.client.stop()
    return 0 if worst <= 1 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)))
