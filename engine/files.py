"""Atomic file writes: a failed or interrupted write never leaves a half-written file."""
from __future__ import annotations

import os
import tempfile


def write_atomic(path: str, text: str) -> None:
    """Write `text` to a temporary file beside `path`, fsync it, then rename it over `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".warrant-", suffix=".tmp", dir=folder)
    except OSError as exc:
        from .errors import WarrantError
        raise WarrantError.at("O007", f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if os.path.exists(path):
            os.chmod(temporary, os.stat(path).st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            from .errors import WarrantError
            raise WarrantError.at("O007", f"cannot write {path}: {exc.strerror or exc}; "
                                          "the file was left as it was") from None
        raise


def write_atomic_bytes(path: str, data: bytes) -> None:
    """`write_atomic` for bytes (the rulebase cache); errors propagate as OSError."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".warrant-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
