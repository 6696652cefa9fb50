"""Worker processes for a batch, with nothing shared that a dying process could leave locked.

`concurrent.futures.ProcessPoolExecutor` shares queues whose locks live in
shared memory and whose feeder threads are joined at exit: a worker ended
while it held a lock (a full disk stops the batch, the workers are ended)
could leave the parent waiting on a futex for ever. Here each worker is
forked with two private pipes, one for its tasks and one for its results,
and the parent alone multiplexes them with `select`, non-blocking. Ending
the batch early is closing the pipes and killing the workers: nothing to
wait on but `waitpid`.

Each task goes to the worker owing fewest results, at most `depth` per
worker in flight; results are handed on in task order, so memory stays
bounded however long the input. A worker that dies (killed, out of
memory) shows as the end of its result pipe while it owes results: the
caller hears `WorkerDied` with the task it was on.
"""
from __future__ import annotations

import collections
import os
import pickle
import select
import signal
import struct

_HEADER = struct.Struct("<Q")
_READ = 1 << 20
PIPE_BYTES = 1 << 20     # a result pipe's buffer, where the system allows it (`_widen`)


class WorkerDied(Exception):
    """A worker ended while it owed results; `task` is the first one lost."""

    def __init__(self, task):
        super().__init__("a worker process died")
        self.task = task


class WorkerFailed(Exception):
    """The work function raised in a worker (a fault of Warrant's own): its message."""


class _Worker:
    def __init__(self, pid: int, tasks: int, results: int, index: int = 0):
        self.pid, self.tasks, self.results, self.index = pid, tasks, results, index
        self.outgoing = bytearray()
        self.header = bytearray(_HEADER.size)   # the next result's size, being read
        self.body: bytearray | None = None      # the result being read, its size known (`_exchange`)
        self.filled = 0                         # bytes of the header or the body read so far
        self.owed: collections.deque = collections.deque()     # task numbers sent, results not yet read
        self.closing = False                                    # close the task pipe once `outgoing` is written


def ordered_map(work, tasks, jobs: int, *, start=None, depth: int = 2):
    """`work(task)` for each task, in `jobs` forked workers; yields (task, result) in task order.

    `start()` runs once in each worker before its first task. Closing the
    generator early (an error downstream, an interrupt) kills the workers."""
    workers = _fork(work, jobs, start)
    pending = iter(tasks)
    sent: dict = {}                 # task number -> task, until its result is yielded
    done: dict = {}                 # task number -> result, read but not yet yielded
    dispatched = yielded = 0
    exhausted = False
    finished = False
    try:
        while True:
            while not exhausted and dispatched - yielded < depth * jobs:
                task = next(pending, _END)
                if task is _END:
                    exhausted = True
                    for worker in workers:
                        _close_tasks(worker)           # no more work: each worker ends after its last result
                    break
                # to the worker owing fewest results (round-robin among equals): a slow task does not hold
                # up the tasks queued behind it while another worker is idle
                worker = min(workers, key=lambda w: (len(w.owed), (w.index - dispatched) % jobs))
                payload = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
                worker.outgoing += _HEADER.pack(len(payload)) + payload
                worker.owed.append(dispatched)
                sent[dispatched] = task
                dispatched += 1
            handed = yielded
            while yielded in done:
                task, result = sent.pop(yielded), done.pop(yielded)
                yielded += 1
                yield task, result
            if exhausted and yielded == dispatched:
                finished = True
                return
            if yielded != handed:
                continue        # results handed on make room: send the next tasks before waiting on a pipe
            _exchange(workers, sent, done)
    finally:
        _end(workers, kill=not finished)


_END = object()


def _fork(work, jobs: int, start) -> list[_Worker]:
    workers: list[_Worker] = []
    try:
        for _ in range(jobs):
            task_read, task_write = os.pipe()
            result_read, result_write = os.pipe()
            _widen(result_read)
            pid = os.fork()
            if pid == 0:                                  # the worker: serve, then leave without cleanup
                code = 1
                try:
                    os.close(task_write)
                    os.close(result_read)
                    for other in workers:
                        for fd in (other.tasks, other.results):
                            if fd is not None:
                                os.close(fd)
                    if start is not None:
                        start()
                    _serve(work, task_read, result_write)
                    code = 0
                finally:
                    os._exit(code)
            os.close(task_read)
            os.close(result_write)
            os.set_blocking(task_write, False)
            os.set_blocking(result_read, False)
            workers.append(_Worker(pid, task_write, result_read, len(workers)))
    except BaseException:
        _end(workers, kill=True)
        raise
    return workers


def _widen(fd: int) -> None:
    """Give a result pipe PIPE_BYTES of buffer where the system allows (Linux; the default is 64 KiB): a
    traced chunk's result is megabytes, and each pipeful costs the parent a round of `select`."""
    try:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _serve(work, tasks: int, results: int) -> None:
    """In a worker: read a task, do it, write its result, until the task pipe ends."""
    while True:
        header = _read_exactly(tasks, _HEADER.size)
        if header is None:
            return
        task = pickle.loads(_read_exactly(tasks, _HEADER.unpack(header)[0]) or b"")
        try:
            reply = (True, work(task))
        except Exception as exc:  # noqa: BLE001 - reported to the parent as a fault, never swallowed
            reply = (False, f"{type(exc).__name__}: {exc}")
        payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        for part in (_HEADER.pack(len(payload)), payload):       # not joined: a result can be megabytes
            data = memoryview(part)
            while data:
                data = data[os.write(results, data):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, _READ))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _exchange(workers: list[_Worker], sent: dict, done: dict) -> None:
    """One round of writing tasks and reading results, waiting until some pipe is ready."""
    readable = [w.results for w in workers if w.owed and w.results is not None]
    writable = [w.tasks for w in workers if w.outgoing and w.tasks is not None]
    ready_read, ready_write, _ = select.select(readable, writable, [])
    by_fd = {w.results: w for w in workers} | {w.tasks: w for w in workers}
    for fd in ready_write:
        worker = by_fd[fd]
        try:
            written = os.write(fd, worker.outgoing[:_READ])
        except BlockingIOError:
            continue
        except BrokenPipeError:
            raise WorkerDied(sent[worker.owed[0]]) from None
        del worker.outgoing[:written]
        if not worker.outgoing and worker.closing:
            _close_tasks(worker)
    for fd in ready_read:
        worker = by_fd[fd]
        while worker.owed:                 # what the pipe holds now: a header, then its result read in place
            header = worker.body is None
            buffer = worker.header if header else worker.body
            try:
                read = os.readv(fd, [memoryview(buffer)[worker.filled:]])
            except BlockingIOError:
                break
            if not read:
                raise WorkerDied(sent[worker.owed[0]])
            worker.filled += read
            if worker.filled < len(buffer):
                continue
            worker.filled = 0
            if header:
                worker.body = bytearray(_HEADER.unpack(worker.header)[0])
                continue
            worker.body = None
            ok, value = pickle.loads(buffer)
            if not ok:
                raise WorkerFailed(value)
            done[worker.owed.popleft()] = value


def _close_tasks(worker: _Worker) -> None:
    """Close the worker's task pipe once what is queued for it has been written (then it sees the end)."""
    if worker.outgoing:
        worker.closing = True
    elif worker.tasks is not None:
        os.close(worker.tasks)
        worker.tasks = None


def _end(workers: list[_Worker], kill: bool) -> None:
    """Close every pipe; kill the workers when the batch ends early; reap them all."""
    for worker in workers:
        for name in ("tasks", "results"):
            fd = getattr(worker, name)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(worker, name, None)
        if kill:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for worker in workers:
        try:
            os.waitpid(worker.pid, 0)
        except ChildProcessError:
            pass

