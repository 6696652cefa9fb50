"""Committing decisions from the event loop: one thread commits whatever is waiting in one transaction.

A decision is answered only once its record is committed. The event loop
decides (CPU work, under one GIL anyway) and hands the record here: a
thread takes every record waiting, commits them together (group commit:
one disk flush for many decisions under load, one flush's wait alone) and
settles each request's future on its loop. Handing a record over costs the
loop a queue put and a wake-up; a pool thread per request (Starlette's
`run_in_threadpool`, used before) cost about 0.3 ms of server CPU a
decision on two cores, a fifth of a whole request (bench/serve.py).
"""
from __future__ import annotations

import asyncio
import os
import queue
import threading
import time

import warrant
from warrant.serve import problems

MAX_GROUP = 512        # records in one transaction, at most (the rest wait for the next)


class Committer:
    """`await committer.commit(made)` -> `commit_group`'s result for it (or its exception), once committed.

    `commit_group(list of made)` runs on the committer thread and gives one
    result or exception per item, in order. The thread starts on first use
    in each process (a worker forked after the service was built has none
    of its parent's threads)."""

    def __init__(self, commit_group):
        self._commit_group = commit_group
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread = None
        self._pid = None

    async def commit(self, made):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._start()
        self._queue.put((made, future, loop))
        return await future

    def _start(self) -> None:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._queue = queue.SimpleQueue()
                    self._thread = threading.Thread(target=self._run, args=(self._queue,), daemon=True,
                                                    name="warrant-committer")
                    self._thread.start()
                    self._pid = os.getpid()

    def _run(self, waiting: queue.SimpleQueue) -> None:
        while True:
            first = waiting.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = waiting.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    waiting.put(None)              # finish this group, then stop
                    break
                group.append(item)
            try:
                results = self._commit_group([made for made, _, _ in group])
            except BaseException as exc:  # noqa: BLE001 - every waiting request hears the fault
                results = [exc] * len(group)
            for (_, future, loop), result in zip(group, results):
                try:
                    loop.call_soon_threadsafe(_settle, future, result)
                except RuntimeError:                    # the loop has closed (shutdown): nobody is waiting
                    pass

    def close(self) -> None:
        """Commit what is waiting, then stop the thread."""
        if self._thread is not None and self._pid == os.getpid():
            self._queue.put(None)
            self._thread.join(timeout=30)


def _settle(future: asyncio.Future, result) -> None:
    if future.done():                  # the request was cancelled (its client left); its record is committed
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def committed(service, group: list) -> list:
    """On the committer thread (`Committer`): each made decision's (answer text, decision id,
    record sha256, outcome) once its record is committed, or the fault that stopped it. The answers made
    on the batch path are committed in one transaction; the full decisions of one rulebase in another.

    explain=all with what_would_change (the defaults) answers exactly what `warrant decide --format json`
    prints; otherwise the batch record `decide --batch --trace EXPLAIN` writes for the request."""
    metrics = service.metrics
    results: list = [None] * len(group)
    started = time.perf_counter()
    kinds: dict = {}
    for index, (rulebase, decided, _) in enumerate(group):
        key = ("decision", id(rulebase)) if isinstance(decided, warrant.Decision) else ("answer",)
        kinds.setdefault(key, []).append(index)
    for key, indices in kinds.items():
        try:
            if key[0] == "answer":
                warrant.Answer.commit_all([group[i][1] for i in indices], service.log)
            else:
                group[indices[0]][0].log_decisions([group[i][1] for i in indices], service.log, via="service")
        except warrant.WarrantError as exc:
            if exc.diagnostics[0].code in problems.LOG_FAULTS:
                metrics.log_errors.inc(len(indices))
            for i in indices:
                results[i] = exc
    took = time.perf_counter() - started
    for index, (_, decided, deciding) in enumerate(group):
        if results[index] is not None:
            continue
        full = isinstance(decided, warrant.Decision)
        text = warrant.render(decided, "json") if full else decided.text
        results[index] = (text, decided.log_id, decided.log_sha256, decided.outcome.value)
        metrics.of(metrics.deciding, "all" if full else "batch").observe(deciding)
        metrics.logging.observe(took)
        metrics.of(metrics.decisions, decided.outcome.value).inc()
        for _, item_outcome, _, policy in decided.log_items:
            metrics.of(metrics.items, item_outcome, policy or "(general rules)").inc()
    return results
