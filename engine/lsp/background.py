"""Work that takes longer than a keystroke: the exact analysis on save, and cases run from a code lens.

It runs on a daemon thread (never a pool the interpreter waits for at
exit), so the server keeps answering hover and completion while z3 works,
and an editor that quits does not wait for a proof. The exact analysis
(`warrant.check(..., invariants=True)`: invariants proved, redundant
conditions, unreachable permissions ...) is bounded by the analysis's own
time limit, runs once per rulebase at a time (a save during a run asks for
one more run after it), reports `$/progress` when the editor shows it, and
its findings are published only if no text of the rulebase changed while it
ran: a finding is never shown against a text it was not made from.
"""
from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections import Counter

import warrant

EXACT = {"C121": "invariant violated", "C129": "permission no request triggers", "C130": "permission always overridden",
         "C131": "redundant condition", "C132": "policy version never in force", "C133": "condition irrelevant to "
         "outcomes", "C134": "invariant not proved"}


def in_thread(function):
    """A future of `function()`, run on a daemon thread."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result, error):
        if not future.done():
            future.set_exception(error) if error is not None else future.set_result(result)

    def run():
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)
    threading.Thread(target=run, name="warrant-background", daemon=True).start()
    return future


def summary(report) -> str:
    """What the exact analysis found, in a line: invariants proved and each kind of exact finding."""
    held = sum(1 for i in report.invariants if i.get("holds") and i.get("proved", True))
    counts = Counter(d.code for d in report.diagnostics if d.code in EXACT)
    parts = [f"{held} of {len(report.invariants)} invariant(s) proved"] if report.invariants else []
    parts += [f"{EXACT[code]} ({code}): {n}" for code, n in sorted(counts.items())]
    if any(d.severity == "error" and d.code not in EXACT for d in report.diagnostics) and not report.invariants:
        return "not run: the rulebase has errors to fix first"
    return "; ".join(parts) or "nothing found"


class Progress:
    """`$/progress` for one piece of work, when the client shows it; silent otherwise."""

    def __init__(self, server, title: str):
        self.server, self.title, self.token = server, title, None

    async def __aenter__(self):
        from lsprotocol import types
        window = getattr(self.server.client_capabilities, "window", None)
        if not getattr(window, "work_done_progress", False):
            return self
        token = f"warrant-{uuid.uuid4().hex[:12]}"
        try:
            await asyncio.wait_for(self.server.work_done_progress.create_async(token), 5)
        except Exception:  # noqa: BLE001 - no progress bar, the work goes on
            return self
        self.token = token
        self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(self.title, cancellable=False))
        return self

    def end(self, message: str) -> None:
        from lsprotocol import types
        if self.token is not None:
            self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.token = None

    async def __aexit__(self, *exc):
        self.end("stopped")
        return False


class ExactAnalysis:
    """The exact analysis of each rulebase, run on save in the background."""

    def __init__(self, server):
        self.server = server
        self.running: set[str] = set()
        self.again: set[str] = set()
        self.tasks: set[asyncio.Task] = set()

    def start(self, rulebase) -> None:
        if rulebase.folder in self.running:
            self.again.add(rulebase.folder)          # one more run once this one ends, on the texts then
            return
        self.running.add(rulebase.folder)
        task = asyncio.ensure_future(self._run(rulebase))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, rulebase) -> None:
        try:
            while True:
                self.again.discard(rulebase.folder)
                generation, texts = rulebase.generation, dict(rulebase.texts)
                limit = self.server.time_limit
                async with Progress(self.server, f"Warrant: exact analysis of {os.path.basename(rulebase.folder)}") \
                        as progress:
                    try:
                        report = await in_thread(lambda: warrant.check(
                            [rulebase.folder], invariants=True, texts=texts, time_limit=limit))
                    except Exception as exc:  # noqa: BLE001 - said to the editor's log, nothing published
                        self.server.log(f"exact analysis failed: {type(exc).__name__}: {exc}")
                        report = None
                    progress.end(summary(report) if report is not None else "failed (see the log)")
                if report is not None and rulebase.generation == generation:
                    rulebase.exact = report
                    self.server.publish(rulebase)
                if rulebase.folder not in self.again:
                    return
        finally:
            self.running.discard(rulebase.folder)
