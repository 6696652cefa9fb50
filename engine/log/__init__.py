"""The decision log: every decision Warrant gives, kept durably, chained, masked as declared, and replayable.

    >>> import warrant
    >>> log = warrant.DecisionLog("sqlite:///tmp/decisions.db")      # or postgresql://user@host/db
    >>> rb = warrant.load()
    >>> decision = rb.decide("examples/requests/mou_tracing.json", log=log)   # returned once committed
    >>> log.record(decision.log_id)["outcome"]
    'permitted'

A URL names the store: `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`
(or a plain file path), or `postgresql://...` (psycopg 3). The parts, by
idea: `store.py` (SQL, transactions, migrations), `postgres.py`, `entry.py`
(a decision made into a record), `masking.py`, `chain.py` (verify and
prune), `query.py` (show, list, stats, export), `replay.py`.
"""
from __future__ import annotations

import os
import threading

from warrant.log.store import LogFault, SqliteStore
from warrant.pipeline.errors import WarrantError

__all__ = ["DecisionLog", "LogFault", "open_store"]


def open_store(url: str):
    """The store a log URL names (L001 when it names none)."""
    text = os.fspath(url).strip()
    if text.startswith(("postgresql://", "postgres://")):
        from warrant.log.postgres import PostgresStore
        return PostgresStore(text)
    if text.startswith("sqlite://"):
        path = text[len("sqlite://"):]
        if not path.startswith("/") or path == "/":
            raise WarrantError.at("L001", f"a SQLite log is sqlite:///relative/path.db or sqlite:////absolute/"
                                          f"path.db, not {text!r}")
        return SqliteStore(path[1:])
    if "://" in text or not text:
        raise WarrantError.at("L001", f"a log is sqlite:///PATH or postgresql://..., not {text!r}")
    return SqliteStore(text)


class DecisionLog:
    """One log, shared by every way of deciding (CLI, batch, API, service). Thread-safe: writers take a
    lock, and the store's own lock keeps one chain across processes."""

    def __init__(self, url: str):
        self.url = os.fspath(url)
        self.store = open_store(self.url)
        self._lock = threading.RLock()
        self._waiting: list = []            # group commit: tickets of callers waiting for a transaction
        self._turn = threading.Condition()
        self._leading = False

    @property
    def where(self) -> str:
        return self.store.where

    def open(self) -> "DecisionLog":
        """Open (and create or migrate) now rather than at the first use."""
        with self._lock:
            self.store.conn
        return self

    def close(self) -> None:
        with self._lock:
            self.store.close()

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    # ---- writing --------------------------------------------------------------------------------------------
    def append(self, entries) -> list[tuple[int, str, str]]:
        """Commit entries (entry.Entry) in one transaction; (seq, id, sha256) of each, in order. Raises
        `LogFault` (L003) and commits nothing when the log cannot be written."""
        from warrant.log.entry import link
        entries = list(entries)
        if not entries:
            return []
        with self._lock:
            rows = self.store.append(lambda last: link(entries, last))
        return [(r[0], r[1], r[-1]) for r in rows]

    def commit(self, entries) -> list[tuple[int, str, str]]:
        """`append`, with group commit: callers in different threads that arrive while a transaction is being
        written wait, and the next transaction commits all of theirs at once. Each caller returns only when
        its own entries are committed (or raises the fault that stopped them)."""
        ticket = {"entries": list(entries), "done": False, "result": None, "error": None}
        with self._turn:
            self._waiting.append(ticket)
            while not ticket["done"] and self._leading:
                self._turn.wait()
            if ticket["done"]:
                if ticket["error"] is not None:
                    raise ticket["error"]
                return ticket["result"]
            self._leading, group, self._waiting = True, self._waiting, []
        try:
            results = self.append([e for t in group for e in t["entries"]])
            at = 0
            for t in group:
                t["result"], at = results[at:at + len(t["entries"])], at + len(t["entries"])
        except BaseException as exc:  # noqa: BLE001 - every caller of the group hears the same fault
            for t in group:
                t["error"] = exc
        finally:
            with self._turn:
                for t in group:
                    t["done"] = True
                self._leading = False
                self._turn.notify_all()
        if ticket["error"] is not None:
            raise ticket["error"]
        return ticket["result"]

    def last_line(self, batch: str) -> tuple[int, str] | None:
        """(line, id) of the last line of a batch already in the log (for --resume)."""
        with self._lock:
            rows = self.store.query("SELECT line, id FROM warrant_decisions WHERE batch = ? ORDER BY line DESC "
                                    "LIMIT 1", (batch,))
        return (rows[0][0], rows[0][1]) if rows else None

    # ---- reading --------------------------------------------------------------------------------------------
    def record(self, record_id: str) -> dict:
        """The whole stored record (a unique prefix of its id will do)."""
        from warrant.log.query import record
        with self._lock:
            return record(self.store, record_id)

    def show(self, record_id: str):
        """`warrant log show`: the logged decision, rendered as `warrant decide` printed it."""
        from warrant.log.reports import LogRecord
        return LogRecord(self.record(record_id))

    def list(self, *, after: int = 0, limit: int = 50, **filters):
        """`warrant log list`: a page of decisions matching the filters (since, until, outcome, rule,
        policy, rulebase), after a cursor."""
        from warrant.log.query import Filters, page
        from warrant.log.reports import LogPage
        chosen = Filters.of(**filters)
        with self._lock:
            rows, cursor = page(self.store, chosen, after, limit)
        return LogPage(tuple(rows), cursor)

    def stats(self, **filters):
        """`warrant log stats`: counts by outcome, month, deciding rule and policy."""
        from warrant.log.query import Filters, stats
        from warrant.log.reports import LogStats
        chosen = Filters.of(**filters)
        with self._lock:
            return LogStats(stats(self.store, chosen))

    def export(self, **filters):
        """`warrant log export`: every matching record, whole, as JSON Lines text, streamed."""
        from warrant.log.query import Filters, export
        yield from export(self.store, Filters.of(**filters))

    def verify(self):
        """`warrant log verify`: walk the chain; the first broken link, if any."""
        from warrant.log.chain import verify
        with self._lock:
            return verify(self.store)

    def prune(self, before, by: str | None = None):
        """`warrant log prune --before DATE`: remove older decisions, leaving a checkpoint that vouches."""
        from warrant.log.chain import prune
        from warrant.log.query import instant
        from warrant.log.reports import Pruned
        with self._lock:
            return Pruned(prune(self.store, instant(before, "--before"), by))

    def replay(self, rules, /, *, at=None, assume=None, jobs: int = 1, progress: bool = True, on_progress=None,
               **filters):
        """`warrant log replay`: which logged decisions `rules` (a loaded `warrant.Rulebase`) would decide
        differently, each as at its own date (or `at`) with its own settings (and
        `assume`). `progress`: a bar on a terminal for a long replay; `on_progress(count)` is called as
        decisions are replayed (a service's job reports it)."""
        from warrant.batch.progress import progress_bar
        from warrant.log.query import Filters
        from warrant.log.replay import replay
        chosen = Filters.of(**filters)
        total = 0
        if progress:
            where, args = chosen.where()
            with self._lock:
                total = self.store.query(f"SELECT COUNT(*) FROM warrant_decisions d WHERE {where}", args)[0][0]
        with progress_bar(total, "replaying") as tick:
            return replay(self, rules, chosen, at=at, assume=assume, jobs=jobs, tick=on_progress or tick)

    def __repr__(self) -> str:
        return f"<DecisionLog {self.where}>"
