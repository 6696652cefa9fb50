"""The PostgreSQL store (psycopg 3): the same schema and operations as SQLite's, for a log one file outgrows.

Writers serialise on a transaction-scoped advisory lock, so several
processes (service workers, replicas on other machines) append to one
chain; a record is answered only after its transaction commits.
"""
from __future__ import annotations

import re

from warrant.log.store import Store

_CHAIN_LOCK = 0x5741_5252        # "WARR": the advisory lock every writer of the chain takes


class PostgresStore(Store):
    dialect = "postgresql"
    types = {"SEQ": "BIGINT", "BLOB": "BYTEA"}
    _tables_sql = "SELECT 1 FROM pg_tables WHERE tablename = 'warrant_log_schema' AND schemaname = current_schema()"

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.where = _without_password(url)

    def _connect(self):
        try:
            import psycopg
        except ImportError as exc:          # pragma: no cover - installed with Warrant's postgresql extra
            raise RuntimeError("psycopg is not installed: pip install 'warrant[postgresql]'") from exc
        return psycopg.connect(self.url, autocommit=False, connect_timeout=10)

    def _begin_write(self, cursor) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_CHAIN_LOCK,))

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def _insert(self, cursor, table: str, columns: tuple, rows: list) -> None:
        """COPY, in the same transaction: a chunk of records goes to the server in one stream."""
        if rows:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def _without_password(url: str) -> str:
    """The URL as messages show it: a password never reaches a message or a log line."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
