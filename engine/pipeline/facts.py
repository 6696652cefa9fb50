"""What a validated request is: its facts, each remembering the field it came from.

Made by engine/pipeline/request.py (the located checks) and
engine/pipeline/validator.py (the compiled common case); read by every later
stage.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact of a request: predicate(args), from the field at `origin`."""

    predicate: str
    args: tuple
    origin: str


@dataclass(frozen=True)
class Request:
    id: str
    date: _dt.date
    facts: tuple[Fact, ...]
    items: tuple[str, ...]
    assume: tuple[tuple[str, bool], ...] = ()
    drafts: tuple[str, ...] = ()
    data: dict = field(default_factory=dict, compare=False, repr=False)
    file: str | None = field(default=None, compare=False)

    def fact_set(self) -> frozenset:
        return frozenset((f.predicate, f.args) for f in self.facts)
