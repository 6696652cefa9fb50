"""Atomic file writes: a failed or interrupted write never leaves a half-written file."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile


MAX_FOLDER_DEPTH = 32     # folders inside a rules or cases folder, deepest (README, "Limits")


def walk_files(root: str, code: str = "W006", max_depth: int = MAX_FOLDER_DEPTH):
    """(folder, file names) under `root`, folders and names sorted, without recursion.

    `os.walk` recurses (Python 3.11), so a tree 1,100 folders deep ended in
    RecursionError; this walks with an explicit stack, never follows a link
    to a folder, and stops at `max_depth` with a located user error `code`."""
    from warrant.pipeline.errors import WarrantError
    pending = [(root, 0)]
    while pending:
        folder, depth = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise WarrantError.at("W004", f"cannot read the folder {folder}: {exc.strerror or exc}") from None
        folders = [e for e in entries if e.is_dir(follow_symlinks=False)]
        yield folder, [e.name for e in entries if not e.is_dir(follow_symlinks=False)]
        if folders and depth >= max_depth:
            raise WarrantError.at(code, f"{folders[0].path} is more than {max_depth} folders deep under {root}; "
                                        "it is not read")
        pending.extend((e.path, depth + 1) for e in reversed(folders))


def process_umask() -> int:
    """The process's umask, read without changing it where Linux allows (threads may be running)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)          # elsewhere: the classic read, restored at once
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode `open()` would give a new file: 0666 less the umask (a temporary file starts at 0600)."""
    return 0o666 & ~process_umask()


def new_folder_mode() -> int:
    return 0o777 & ~process_umask()


def write_atomic(path: str, text: str) -> None:
    """Write `text` to a temporary file beside `path`, fsync it, then rename it over `path`."""
    with atomic_stream(path) as stream:
        stream.write(text)


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


@contextlib.contextmanager
def atomic_stream(path: str):
    """A text stream that becomes `path` only when the `with` block ends without error.

    The temporary file has a unique name beside `path`, so two runs writing
    the same file never interleave: each renames its own complete file into
    place and the last to finish wins. On any error, or an interrupt, the
    temporary file is removed and `path` is left as it was.
    """
    from warrant.pipeline.errors import WarrantError
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise WarrantError.at("O007", f"cannot write {path}: it is a folder")
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        # a device or a pipe (`--out /dev/null`, `--out /dev/stdout`): written straight, never renamed over
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as stream:
                yield stream
        except OSError as exc:
            raise WarrantError.at("O007", f"cannot write {path}: {exc.strerror or exc}") from None
        return
    try:
        handle, temporary = tempfile.mkstemp(prefix=".warrant-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WarrantError.at("O007", f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, os.stat(path).st_mode & 0o777 if os.path.exists(path) else new_file_mode())
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise WarrantError.at("O007", f"cannot write {path}: {exc.strerror or exc}; "
                                          "the file was left as it was") from None
        raise
