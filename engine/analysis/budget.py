"""The overall bound on one exact analysis (`warrant check`'s findings and
invariants, one `warrant diff`): time, and the work of encoding a rule.

A single solver question was always bounded (O017, `solve.TIMEOUT_MS`); a
whole analysis was not, so a rulebase with a join of ten records, or a
diff against a copy with a hundred extra thresholds, could run for minutes.
An analysis now runs inside a `Budget`:

- a deadline (`--time-limit`, default `DEFAULT_SECONDS`): every solver
  question gets at most the time left, and the encoder looks at the clock
  after each condition it joins;
- `MAX_BRANCHES` ways of satisfying one rule body while it is encoded (the
  shipped and example rulebases need under 100): a join that grows past it
  is a product of many list entries, which the exact encoding cannot afford.

Reaching either raises `Stopped`, which the analysis turns into an honest
partial answer ("proved 4 of 6 invariants; stopped at ..."), never into a
claim about what it did not examine. The budget also shows a progress line
on a terminal once the analysis runs past `PROGRESS_AFTER` seconds.

The budget in force is a context variable, so the solver and encoder find
it without every call passing it, and each thread has its own.
"""
from __future__ import annotations

import contextlib
import contextvars
import sys
import time

DEFAULT_SECONDS = 60.0   # one check's exact analysis, or one diff, at most (--time-limit)
MAX_SECONDS = 3600.0     # the largest --time-limit accepted
MAX_BRANCHES = 10_000    # ways of satisfying one rule body in the encoding, at most
PROGRESS_AFTER = 2.0     # seconds before a running analysis shows its progress (terminals only)


class Stopped(Exception):
    """The analysis reached its bound; `reason` says which, in words for the report."""

    def __init__(self, reason: str, *, time_bound: bool):
        super().__init__(reason)
        self.reason = reason
        self.time_bound = time_bound      # False: one rule's encoding was too large (the rest may go on)

    @property
    def hint(self) -> str:
        """What the author can do about it."""
        return ("raise the bound with --time-limit SECONDS" if self.time_bound else
                "split the rule, or join fewer list entries in one rule")


class Budget:
    """Time and work for one analysis, and its progress line."""

    def __init__(self, seconds: float = DEFAULT_SECONDS, label: str = "analysis", show_progress: bool = True):
        self.seconds = seconds
        self.label = label
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.show_progress = show_progress and sys.stderr.isatty()
        self.shown = 0.0
        self.status = ""

    # ---- bounds -----------------------------------------------------------------
    def left(self) -> float:
        return self.deadline - time.monotonic()

    def spent(self) -> bool:
        return self.left() <= 0

    def tick(self) -> None:
        """Raise `Stopped` once the deadline has passed; show progress now and then."""
        if self.spent():
            self.stop()
        self.progress()

    def stop(self) -> None:
        """Raise `Stopped`: the time bound is reached (a question given only the time left ran out of it)."""
        raise Stopped(f"the {self.label} time bound ({_seconds(self.seconds)}) was reached", time_bound=True)

    def timeout_ms(self, cap_ms: int) -> int:
        """A solver question's timeout: the per-question cap or the time left, whichever is less."""
        return max(1, min(cap_ms, int(self.left() * 1000)))

    # ---- progress ---------------------------------------------------------------
    def note(self, status: str) -> None:
        """What the analysis is doing now (shown on the next progress line)."""
        self.status = status
        self.progress()

    def progress(self) -> None:
        if not self.show_progress:
            return
        now = time.monotonic()
        if now - self.started < PROGRESS_AFTER or now - self.shown < 0.25:
            return
        self.shown = now
        sys.stderr.write(f"\r{self.label}: {self.status} ({now - self.started:.0f} s of "
                         f"{_seconds(self.seconds)})\033[K")
        sys.stderr.flush()

    def done(self) -> None:
        """Clear the progress line, if one was shown (pipes and files never see one)."""
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = 0.0


_CURRENT: contextvars.ContextVar = contextvars.ContextVar("warrant_budget", default=None)


def current() -> Budget | None:
    return _CURRENT.get()


@contextlib.contextmanager
def bounded(budget: Budget):
    """Run the enclosed analysis under `budget` (the progress line is cleared on the way out)."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)
        budget.done()


def tick() -> None:
    budget = _CURRENT.get()
    if budget is not None:
        budget.tick()


def check_branches(count: int, where: str) -> None:
    """One rule body's encoding has `count` ways so far: stop that rule past MAX_BRANCHES."""
    if count > MAX_BRANCHES:
        raise Stopped(f"{where} has more than {MAX_BRANCHES:,} ways to be satisfied (a join of many list "
                      "entries), more than the exact encoding takes", time_bound=False)


def note(status: str) -> None:
    budget = _CURRENT.get()
    if budget is not None:
        budget.note(status)


def timeout_ms(cap_ms: int) -> int:
    budget = _CURRENT.get()
    return cap_ms if budget is None else budget.timeout_ms(cap_ms)


def stop_if_bounded(timeout: int, cap_ms: int) -> None:
    """After a solver question gave up: `Stopped` when its timeout was the time left, not the cap."""
    budget = _CURRENT.get()
    if budget is not None and (timeout < cap_ms or budget.spent()):
        budget.stop()


def _seconds(value: float) -> str:
    return f"{value:g} s"
