"""The one cache shape the engine keeps across requests (a program's memos, a batch's classes and
traces): bounded, so memory stays flat however long the input."""
from __future__ import annotations


class Bounded(dict):
    """A dict that forgets its oldest half when full, so a cache never grows with the input.

    Threads may share one (a program's memos are shared by the threads
    deciding with it): an entry another thread forgot first is skipped."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def __setitem__(self, key, value) -> None:
        if len(self) >= self.limit:
            for old in list(self)[: self.limit // 2]:
                self.pop(old, None)
        super().__setitem__(key, value)
