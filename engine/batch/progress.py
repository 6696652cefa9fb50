"""A progress bar over the lines of a file, shown only on a terminal.

Batches are streamed; the bar needs a total, so the file's lines are counted
first (a cheap pass). On a pipe, in tests, or for a batch that takes only a
moment, nothing is drawn, so output stays byte-identical.
"""
from __future__ import annotations

import contextlib
import sys

from engine.pipeline.errors import WarrantError

SHOW_FROM = 2000   # lines; smaller batches finish in about a second


@contextlib.contextmanager
def progress_over(path: str, label: str):
    """Yield (lines, tick): the open file's lines and a function to call once per line."""
    try:
        handle = open(path, encoding="utf-8") if path != "-" else sys.stdin
    except OSError as exc:
        raise WarrantError.at("R000", f"cannot read {path}: {exc.strerror}") from None
    with handle:
        if path == "-" or not sys.stderr.isatty():
            yield handle, None
            return
        total = sum(1 for _ in handle)
        handle.seek(0)
        if total < SHOW_FROM:            # done in a moment: no bar
            yield handle, None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      transient=True, console=_stderr_console()) as bar:
            task = bar.add_task(label, total=total)

            def tick(count: int = 1) -> None:
                bar.advance(task, count)
            yield handle, tick


def _stderr_console():
    from rich.console import Console
    return Console(stderr=True)
