"""The one cache shape batches use: bounded, so memory stays flat however long the input."""
from __future__ import annotations


class Bounded(dict):
    """A dict that forgets its oldest half when full, so a cache never grows with the batch."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def __setitem__(self, key, value) -> None:
        if len(self) >= self.limit:
            for old in list(self)[: self.limit // 2]:
                del self[old]
        super().__setitem__(key, value)
