"""A rulebase at a git revision: `REV:FOLDER` (e.g. `HEAD~1:rules`) for `warrant diff`.

The folder's files at that revision are written to a private temporary
folder with `git archive` (run without a shell, arguments as a list) and
loaded from there without the rulebase cache. Nothing in the working tree
is touched. A revision or folder git does not know is a located user error.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile

from engine.pipeline.errors import WarrantError

MAX_ARCHIVE_BYTES = 64 << 20       # a rulebase at one revision: 64 MiB of files, at most


def is_revision(spec: str) -> bool:
    """`REV:PATH` that is not itself an existing path."""
    return ":" in spec and not os.path.exists(spec) and not spec.startswith(":")


def checkout(spec: str) -> str:
    """The folder's files at the revision, in a new temporary folder (the caller removes it)."""
    revision, _, folder = spec.partition(":")
    folder = folder or "."
    try:
        top = subprocess.run(["git", "-C", os.path.abspath(folder if os.path.isdir(folder) else "."),
                              "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WarrantError.at("O015", f"cannot run git to read {spec}: {exc}") from None
    if top.returncode != 0:
        raise WarrantError.at("O015", f"{spec}: not inside a git repository")
    root = top.stdout.strip()
    inside = os.path.relpath(os.path.abspath(folder), root).replace(os.sep, "/")
    tree = f"{revision}:{'' if inside == '.' else inside}"
    try:
        archive = subprocess.run(["git", "-C", root, "archive", "--format=tar", tree],
                                 capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WarrantError.at("O015", f"cannot read {spec} from git: {exc}") from None
    if archive.returncode != 0:
        message = archive.stderr.decode("utf-8", "replace").strip().splitlines()
        raise WarrantError.at("O015", f"git has no {inside} at revision {revision}"
                                      + (f": {message[-1]}" if message else ""))
    if len(archive.stdout) > MAX_ARCHIVE_BYTES:
        raise WarrantError.at("O015", f"{spec} holds more than {MAX_ARCHIVE_BYTES:,} bytes of files")
    target = tempfile.mkdtemp(prefix="warrant-rev-")
    try:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise WarrantError.at("O015", f"cannot unpack {spec}: {exc}") from None
    return target
