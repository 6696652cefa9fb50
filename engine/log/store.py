"""Stores: where the decision log's rows live. One interface, two databases (SQLite, PostgreSQL).

A store knows SQL and transactions, nothing of decisions: it creates and
migrates the schema (engine/log/migrations/*.sql, applied in order, a log
newer than the engine refused), appends rows in one transaction under the
chain's lock (so two writers keep one chain), and reads rows back in chain
order in bounded pages. The chain itself, masking and replay are written
once above it (chain.py, entry.py, replay.py). Every database fault becomes
`LogFault` (L003 on write, L004 on read): the caller gives no decision
that was not logged.
"""
from __future__ import annotations

import os
import sqlite3
from importlib import resources

from warrant.pipeline.errors import WarrantError

GENESIS = "0" * 64           # the previous hash of the first record
PAGE = 1000                  # rows read at a time: memory stays flat however long the log
_COLUMNS = ("seq", "id", "kind", "made_at", "decided_on", "outcome", "request_id", "rulebase_name",
            "rulebase_sha256", "engine", "batch", "line", "body", "decision", "content_sha256", "prev_sha256",
            "sha256")
COLUMNS = _COLUMNS
ITEM_COLUMNS = ("seq", "item", "outcome", "rule", "policy")


class LogFault(WarrantError):
    """The log could not be written or read: no decision is given that is not in the log."""


def fault(code: str, what: str, exc: BaseException, where: str) -> LogFault:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return LogFault(WarrantError.at(code, f"{what} ({where}): {reason}",
                                    notes=("no decision was given that is not in the log",)
                                    if code == "L003" else ()).diagnostics)


def migrations() -> list[tuple[int, str]]:
    """(version, SQL with {SEQ} and {BLOB} to fill in) for every migration, in order."""
    folder = resources.files("warrant.log").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(v for v, _ in migrations())


class Store:
    """The operations the log needs of a database; subclasses supply the connection and dialect."""

    dialect = ""
    types = {"SEQ": "INTEGER", "BLOB": "BLOB"}
    where = ""              # how the store names itself in messages (a path, or a server without password)

    # ---- to be supplied ---------------------------------------------------------------------------------
    def _connect(self):
        raise NotImplementedError

    def _begin_write(self, cursor) -> None:
        """Start a transaction that holds the chain's lock until it commits."""
        raise NotImplementedError

    def _end_write(self) -> None:
        """After a write transaction ends (committed or not): release what `_begin_write` took beyond the
        database's own lock (nothing, unless a store says otherwise)."""

    def _sql(self, text: str) -> str:
        return text

    def _insert(self, cursor, table: str, columns: tuple, rows: list) -> None:
        """Insert rows in the open transaction (a store may have a faster way than INSERT per row)."""
        if rows:
            cursor.executemany(self._sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                         f"({', '.join('?' * len(columns))})"), rows)

    # ---- shared -------------------------------------------------------------------------------------------
    def __init__(self):
        self._conn = None

    @property
    def conn(self):
        if self._conn is None:
            try:
                self._conn = self._connect()
            except Exception as exc:  # noqa: BLE001 - any driver fault is the log's
                raise fault("L004", "the decision log cannot be opened", exc, self.where) from None
            self._migrate()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self._conn = None

    def _reset(self) -> None:
        """Drop a connection a fault may have left broken; the next use opens a fresh one."""
        self.close()

    def _migrate(self) -> None:
        """Bring the schema up to this engine's version: read first without the lock (a read-only log opens
        for reading), then, when a migration is due, apply it under the chain's lock."""
        conn = self._conn
        try:
            current = self._version(conn.cursor())
            conn.commit()
            if current == SCHEMA_VERSION:
                return
            self._refuse_newer(current)
            cur = conn.cursor()
            self._begin_write(cur)
            cur.execute("CREATE TABLE IF NOT EXISTS warrant_log_schema (version INTEGER NOT NULL, "
                        "applied_at TEXT NOT NULL)")
            current = self._version(cur)
            self._refuse_newer(current)
            import datetime as dt
            for version, sql in migrations():
                if version <= current:
                    continue
                for statement in _statements(sql.format(**self.types)):
                    cur.execute(statement)
                cur.execute(self._sql("INSERT INTO warrant_log_schema (version, applied_at) VALUES (?, ?)"),
                            (version, dt.datetime.now(dt.timezone.utc).isoformat()))
            conn.commit()
        except LogFault:
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001
            self._reset()
            raise fault("L003", "the decision log's schema cannot be created", exc, self.where) from None
        finally:
            self._end_write()

    def _version(self, cur) -> int:
        cur.execute(self._tables_sql)
        if not cur.fetchone():
            return 0
        cur.execute("SELECT MAX(version) FROM warrant_log_schema")
        return cur.fetchone()[0] or 0

    def _refuse_newer(self, current: int) -> None:
        if current > SCHEMA_VERSION:
            raise LogFault(WarrantError.at(
                "L002", f"the decision log ({self.where}) has schema version {current}; this Warrant knows "
                        f"versions up to {SCHEMA_VERSION}: use a newer Warrant").diagnostics)

    def _transaction(self, work):
        """Run `work(cursor)` in one write transaction under the chain's lock and commit; any fault rolls it
        all back and is `L003` (disk full, read-only, server gone: all the same to a caller)."""
        try:
            cur = self.conn.cursor()
            self._begin_write(cur)
            result = work(cur)
            self.conn.commit()
            return result
        except LogFault:
            raise
        except Exception as exc:  # noqa: BLE001 - any driver fault is the log's
            try:
                self._conn.rollback()
            except Exception:  # noqa: BLE001 - the connection may be gone already
                pass
            self._reset()
            raise fault("L003", "the decision log cannot be written", exc, self.where) from None
        finally:
            self._end_write()

    def _last(self, cur):
        cur.execute("SELECT seq, sha256 FROM warrant_decisions ORDER BY seq DESC LIMIT 1")
        last = cur.fetchone()
        return tuple(last) if last else None

    def append(self, make_rows) -> list[tuple]:
        """Append records in one transaction, under the chain's lock.

        `make_rows(last)` gets the chain's last (seq, sha256) (None for an
        empty log) and returns (record rows, item rows); the rows are
        committed together or not at all. Returns the record rows."""
        def work(cur):
            rows, items = make_rows(self._last(cur))
            self._insert(cur, "warrant_decisions", _COLUMNS, rows)
            self._insert(cur, "warrant_decision_items", ITEM_COLUMNS, items)
            return rows
        return self._transaction(work)

    def delete_and_append(self, seqs_where: str, args: tuple, make_rows) -> list[tuple]:
        """Delete the records matching a condition and append (in the same transaction) what `make_rows`
        makes of them: the pruning of a log and its checkpoint."""
        def work(cur):
            last = self._last(cur)
            cur.execute(self._sql(f"SELECT seq, prev_sha256, sha256 FROM warrant_decisions WHERE {seqs_where} "
                                  f"ORDER BY seq"), args)
            doomed = [tuple(r) for r in cur.fetchall()]
            rows, items = make_rows(last, doomed)
            if doomed:
                cur.execute(self._sql(f"DELETE FROM warrant_decision_items WHERE seq IN (SELECT seq FROM "
                                      f"warrant_decisions WHERE {seqs_where})"), args)
                cur.execute(self._sql(f"DELETE FROM warrant_decisions WHERE {seqs_where}"), args)
            self._insert(cur, "warrant_decisions", _COLUMNS, rows)
            self._insert(cur, "warrant_decision_items", ITEM_COLUMNS, items)
            return rows
        return self._transaction(work)

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Rows of one read (a small result: counts, one record, a page)."""
        try:
            cur = self.conn.cursor()
            cur.execute(self._sql(sql), args)
            rows = [tuple(r) for r in cur.fetchall()]
            self.conn.commit()        # end the read transaction: a long-lived reader must not pin old rows
            return rows
        except LogFault:
            raise
        except Exception as exc:  # noqa: BLE001
            self._reset()
            raise fault("L004", "the decision log cannot be read", exc, self.where) from None

    def pages(self, sql: str, args: tuple = (), key_index: int = 0):
        """Every row of `sql` (which must end `WHERE ... seq > ? ORDER BY seq`, the last argument the
        cursor), read PAGE rows at a time by keyset paging: bounded memory, any database."""
        after = args[-1] if args else 0
        while True:
            rows = self.query(sql + f" LIMIT {PAGE}", (*args[:-1], after))
            yield from rows
            if len(rows) < PAGE:
                return
            after = rows[-1][key_index]


def _statements(sql: str) -> list[str]:
    """The statements of a migration file (comments dropped; no statement holds a semicolon)."""
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


class SqliteStore(Store):
    """The embedded log: one file, WAL mode, synchronous=FULL (a committed record survives a power cut)."""

    dialect = "sqlite"
    _tables_sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'warrant_log_schema'"

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.where = path
        self._writers = None           # the descriptor of the writers' lock file (`_begin_write`)
        self._held = False

    def _connect(self):
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"no folder {folder}")
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 60000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"the log needs WAL journal mode, the file gave {mode!r}")
        conn.execute("PRAGMA synchronous = FULL")
        return _Autocommitted(conn)

    def _begin_write(self, cursor) -> None:
        # Writers in other processes (`serve --workers N`, a batch beside a server) queue on a lock file the
        # kernel hands over at once, not on SQLite's busy handler, which polls with sleeps of up to 100 ms:
        # at 64 clients on two workers those sleeps were p99s of 0.6-0.7 s. The kernel drops the lock of a
        # process that dies. Then the write lock itself: the chain's last row cannot move under us.
        import fcntl
        if self._writers is None:
            self._writers = os.open(self.path + ".writers", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writers, fcntl.LOCK_EX)
        self._held = True
        cursor.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        super().close()
        if self._writers is not None and not self._held:
            os.close(self._writers)
            self._writers = None

    def _end_write(self) -> None:
        if self._held:
            import fcntl
            self._held = False
            fcntl.flock(self._writers, fcntl.LOCK_UN)


class _Autocommitted:
    """sqlite3 in autocommit mode with explicit BEGIN, shaped like a DB-API connection (commit/rollback
    are no-ops outside a transaction), so the shared code reads the same for both stores."""

    def __init__(self, conn):
        self._conn = conn

    def cursor(self):
        return self._conn.cursor()

    def commit(self):
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def rollback(self):
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self):
        self._conn.close()
