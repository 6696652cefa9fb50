"""Batch decisions: JSON Lines in, JSON Lines out, streaming, in order, on one or more processes.

The parts, by idea: `intake.py` (a line -> a request), `classes.py`
(outcome classes), `decider.py` (decisions with class caches and trace
templates), `encoding.py` (a record -> its JSON line), `pool.py` (forked
workers, results in input order). This module runs them over a stream.
"""
from __future__ import annotations

import itertools
import os
import time

from warrant.batch.decider import BatchDecider
from warrant.batch.encoding import encode
from warrant.batch.intake import decide_lines
from warrant.pipeline.errors import RunFault, WarrantError

__all__ = ["BatchDecider", "decide_lines", "encoded_records", "encoded_blocks", "CHUNK"]


CHUNK = 500           # lines a worker takes at a time: small enough that two workers share a 3,000-line batch evenly
WARM_SECONDS = 0.01  # the parent decides lines itself at least this long (and 3 blocks) before forking: a
                      # law whose caches warm in a few lines (the shipped one) forks sooner, and one whose
                      # first lines are slow (cold traces) still warms for three blocks (0.03 s forked the
                      # shipped law's 1,000-line plain batch 250 lines later, 3-4% slower, others level)
FORK_REPAID = 0.06    # seconds of known remaining work past which a fork repays itself (a fork, its workers'
                      # first pages, and the caches each fills again; at 0.04 s, a 500-line plain batch of the
                      # shipped law forked and ran 3% slower than one process; below this the parent decides
                      # the rest itself)
SHARES = 4            # a batch known to be short is split into this many shares per worker
WARM_BLOCK = 10       # lines of the parent's first block while it warms up; later blocks are sized by the rate
_WORKER: dict = {}    # per process: the work of `blocks_in_order`, inherited at fork


def _decide_block(decider, rulebase, start: int, lines: list, recorder=None) -> tuple:
    """(one severity byte per line, the lines' records as one text[, their log entries]): what a chunk comes
    back as. With a recorder (engine/log/entry.py), each decided line's log entry is made here too, in the
    worker, so the parent only links and commits them."""
    if recorder is not None:
        return _logged_block(decider, rulebase, start, lines, recorder)
    severities, out = bytearray(), []
    for record in decide_lines(rulebase, lines, start, decider=decider):
        severity, line = encode(record)
        severities.append(severity)
        out.append(line)
    return bytes(severities), "".join(out)


def _logged_block(decider, rulebase, start: int, lines: list, recorder) -> tuple:
    from warrant.batch.intake import requests_of
    severities, out, entries = bytearray(), [], []
    for number, request in requests_of(rulebase, lines, start):
        if not isinstance(request, WarrantError):
            try:
                record = decider.decide_record(request)
            except WarrantError as exc:
                request = exc
            else:
                severity, line = encode(record)
                rows = None if any("proofs" in i or "branches" in i for i in record.get("items", ())) \
                    else decider.outcome(request)[1]
                entries.append(recorder.entry(record, request.data, trace=decider.trace, rows=rows,
                                              batch=recorder.batch, line=number, text=line))
                severities.append(severity)
                out.append(line)
                continue
        severity, line = encode({"line": number, "error": [d.to_json() for d in request.diagnostics]})
        severities.append(severity)
        out.append(line)
    return bytes(severities), "".join(out), entries


def _work_chunk(task):
    """In a worker: the `work` of `blocks_in_order`, inherited at fork, on one chunk of lines."""
    start, lines = task
    return _WORKER["work"](start, lines)


def _chunks(lines, size: int, first: int = 1):
    chunk, start = [], first
    for number, line in enumerate(lines, first):
        chunk.append(line)
        if len(chunk) == size:
            yield start, chunk
            chunk, start = [], number + 1
    if chunk:
        yield start, chunk


def encoded_records(rulebase, lines, jobs: int = 1, tick=None, **options):
    """Decide a stream of lines, in order: (severity, JSON line) per line (see `encoded_blocks`)."""
    for severities, text in encoded_blocks(rulebase, lines, jobs, tick, **options):
        yield from zip(severities, (line + "\n" for line in text.split("\n")[:-1]))   # JSON escapes newlines


def encoded_blocks(rulebase, lines, jobs: int = 1, tick=None, recorder=None, first_line: int = 1, **options):
    """Decide a stream of lines, in order, with `jobs` worker processes (0: one per core).

    Yields (severity byte per line, the records as one text) per chunk of
    lines, and with a `recorder` (engine/log/entry.py) the chunk's log
    entries as a third part: a worker sends a chunk back as one string, so the parent, which
    shares the cores with the workers, does not touch each line. Workers are
    forked after the rulebase is loaded, each keeps its own class caches,
    and at most two chunks per worker are in flight, so memory stays flat
    however long the input. Output order is input order.
    """
    decider = BatchDecider(rulebase, **options)       # validates the options; forked workers inherit it, warm
    yield from blocks_in_order(rulebase, lambda start, block: _decide_block(decider, rulebase, start, block, recorder),
                               lines, jobs, tick, first_line)


def blocks_in_order(rulebase, work, lines, jobs: int = 1, tick=None, first_line: int = 1,
                    stopped: str = "the batch was stopped and no output was kept"):
    """`work(first line number, lines)` over a stream of lines in blocks, results in input order, on `jobs`
    processes (0: one per core): what a batch and an impact analysis share.

    With more than one job, the parent works the first lines itself, as one
    process would, until that has taken WARM_SECONDS (and three blocks):
    input whose rest is known to be under FORK_REPAID of work never forks,
    and workers forked later start with the caches `work` has warmed (they
    inherit them). `stopped` says what became of the output if a worker dies.
    """
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1:
        for start, block in _chunks(lines, CHUNK, first_line):   # lazily: the input is streamed
            yield work(start, block)
            if tick:
                tick(len(block))
        return
    lines = iter(lines)
    number, spent, latest, blocks, size = first_line, 0.0, 0.0, 0, WARM_BLOCK
    while spent < WARM_SECONDS or blocks < 3:          # a first block pays for cold caches: never judge by it
        blocks += 1
        block = list(itertools.islice(lines, size))
        if not block:
            return
        began = time.perf_counter()
        yield work(number, block)
        took = time.perf_counter() - began
        spent += took
        latest = took / len(block)                    # the rate now the caches have warmed, not the average
        # the next block takes about a third of the warm-up: slow lines (traces of a law of many routes)
        # are not decided one process at a time for long, fast ones are not measured a few at a time
        size = max(5, min(200, round(WARM_SECONDS / 3 / max(latest, 1e-6))))
        if tick:
            tick(len(block))
        number += len(block)
    ahead = list(itertools.islice(lines, CHUNK * jobs))
    if len(ahead) < CHUNK * jobs:                     # the rest is known
        if latest * len(ahead) < FORK_REPAID:         # not worth a fork: the parent decides the rest
            for start, block in _chunks(ahead, CHUNK, number):
                yield work(start, block)
                if tick:
                    tick(len(block))
            return
        # shares of a few per worker, not one each: lines differ in cost (a refusal's trace is long), and a
        # worker that finishes early takes the next share instead of waiting on the other
        chunks = _chunks(ahead, -(-len(ahead) // (jobs * SHARES)), number)
    else:
        chunks = _chunks(itertools.chain(ahead, lines), CHUNK, number)
    from warrant.batch.pool import WorkerDied, WorkerFailed, ordered_map
    from warrant.pipeline.errors import InternalError
    rulebase.engine                                   # build it once, in the parent, before the fork
    _WORKER.clear()
    _WORKER["work"] = work
    parent = os.getpid()
    try:
        for (start, block), result in ordered_map(_work_chunk, chunks, jobs, start=lambda: worker_start(parent)):
            if tick:
                tick(len(block))
            yield result
    except WorkerDied as died:
        start, block = died.task
        raise RunFault(f"a worker process died (killed, or out of memory) while deciding lines {start}-"
                       f"{start + len(block) - 1}; {stopped}") from None
    except WorkerFailed as failed:
        raise InternalError(f"a worker failed: {failed}") from None


def worker_start(parent: int) -> None:
    """In each worker: die with the parent, and leave Ctrl-C and SIGTERM to the parent to handle."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)    # PR_SET_PDEATHSIG: the kernel ends us when the parent dies
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:                          # the parent died before the line above took effect
        os._exit(1)
