"""A progress bar over the lines of a file, shown only on a terminal.

Batches are streamed; the bar needs a total, so the file's lines are counted
first (a cheap pass). On a pipe, in tests, or for a batch that takes only a
moment, nothing is drawn, so output stays byte-identical.
"""
from __future__ import annotations

import contextlib
import os
import sys

from warrant.pipeline.errors import WarrantError

SHOW_FROM = 2000   # lines; smaller batches finish in about a second


@contextlib.contextmanager
def progress_over(path: str, label: str):
    """Yield (lines, tick): the open file's lines and a function to call once per line."""
    import stat
    try:
        if path != "-" and not stat.S_ISREG(os.stat(path).st_mode):
            raise WarrantError.at("R000", f"{path} is not a regular file (a folder, pipe, device or socket)")
        handle = open(path, "rb") if path != "-" else sys.stdin.buffer
    except FileNotFoundError:
        raise WarrantError.at("R000", f"no such batch file: {path}") from None
    except OSError as exc:
        raise WarrantError.at("R000", f"cannot read {path}: {exc.strerror}") from None
    with handle:
        if path == "-" or not sys.stderr.isatty():
            yield lines_of(handle), None
            return
        total = sum(1 for _ in handle)
        handle.seek(0)
        with progress_bar(total, label) as tick:      # done in a moment: no bar
            yield lines_of(handle), tick


@contextlib.contextmanager
def progress_bar(total: int, label: str):
    """Yield a tick for `total` steps: a bar on a terminal for a long run, else a tick that draws nothing."""
    if total < SHOW_FROM or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(label, total=total)

        def tick(count: int = 1) -> None:
            bar.advance(task, count)
        yield tick


def lines_of(handle):
    """The lines of a binary stream, split at LF only (a CR inside a JSON string stays in its line).

    Each line is decoded as UTF-8; bytes that are not UTF-8 become lone
    surrogates, which the batch reports as an error record for that line alone.
    """
    for raw in handle:
        yield raw.decode("utf-8", errors="surrogateescape")


def _stderr_console():
    from rich.console import Console
    return Console(stderr=True)
