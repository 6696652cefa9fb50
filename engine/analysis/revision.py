"""A rulebase at a git revision: `REV:FOLDER` (e.g. `HEAD~1:rules`) for `warrant diff`.

The revision and folder a user types are data, never options: both are
refused when they start with `-`, the revision is resolved with
`git rev-parse --verify --end-of-options REV:FOLDER^{tree}` to a tree id,
and only that hexadecimal id reaches `git ls-tree` and `git archive` (run
without a shell, arguments as a list). Nothing in the working tree is
touched, and nothing is written but a private temporary folder, removed by
the caller.

Reads are bounded before they happen: the tree's blob sizes are listed
first and a tree over `MAX_ARCHIVE_BYTES` (or a file over the rule-file
limit) is refused without reading it; the archive itself is read through a
capped pipe. Diagnostics about the revision's files name them as the user
wrote them, `REV:FOLDER/file.warrant:LINE:COL`, not by the temporary folder.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import replace

from warrant.pipeline.errors import SOURCES, WarrantError
from warrant.pipeline.files import walk_files
from warrant.pipeline.limits import MAX_RULE_FILE_BYTES

MAX_ARCHIVE_BYTES = 64 << 20       # a rulebase at one revision: 64 MiB of files, at most
GIT_SECONDS = 60                   # one git command, at most
_TREE_ID = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


def is_revision(spec: str) -> bool:
    """`REV:PATH` that is not itself an existing path."""
    return ":" in spec and not os.path.exists(spec) and not spec.startswith(":")


class Checkout:
    """The folder's files at a revision, in a temporary folder; `label` is how the user named it."""

    def __init__(self, spec: str):
        self.spec = spec
        self.revision, _, folder = spec.partition(":")
        self.folder = folder or "."
        for part, what in ((self.revision, "revision"), (folder, "folder")):
            if part.startswith("-"):
                raise WarrantError.at("O015", f"{spec}: a {what} cannot start with `-`",
                                      notes=("revisions and folders are names, never options to git",))
        self.path = _checkout(self.revision, self.folder, spec)
        self.label = f"{self.revision}:{self.folder.rstrip('/') or '/'}"
        self._remember_sources()

    def shown(self, file: str) -> str:
        """A file of the temporary folder as the user named it (`HEAD~1:rules/general.warrant`)."""
        inside = os.path.relpath(file, self.path).replace(os.sep, "/")
        if inside.startswith(".."):
            return file
        return f"{self.label.rstrip('/')}/{inside}"

    def relocated(self, exc: WarrantError) -> WarrantError:
        """The same error, its spans naming the revision's files rather than the temporary folder."""
        return WarrantError([replace(d, span=replace(d.span, file=self.shown(d.span.file)))
                             if d.span is not None else d for d in exc.diagnostics])

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def _remember_sources(self) -> None:
        """The files' text under their shown names, so excerpts still quote them once the folder is gone."""
        for base, names in walk_files(self.path):
            for name in names:
                file = os.path.join(base, name)
                try:
                    with open(file, encoding="utf-8", errors="replace") as handle:
                        SOURCES.add(self.shown(file), handle.read(MAX_RULE_FILE_BYTES + 1))
                except OSError:
                    continue


def checkout(spec: str) -> Checkout:
    return Checkout(spec)


def _git(args: list[str], spec: str, *, capture_limit: int | None = None) -> bytes:
    """Run git (no shell); its output, read up to `capture_limit` bytes (more is refused, unread)."""
    try:
        process = subprocess.Popen(["git", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise WarrantError.at("O015", f"cannot run git to read {spec}: {exc}") from None
    limit = capture_limit if capture_limit is not None else 16 << 20
    try:
        out = process.stdout.read(limit + 1)
        if len(out) > limit:
            process.kill()
            process.wait(timeout=GIT_SECONDS)
            raise WarrantError.at("O015", f"{spec} holds more than {limit:,} bytes of files")
        err = process.stderr.read(64 << 10)
        process.wait(timeout=GIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        raise WarrantError.at("O015", f"git took more than {GIT_SECONDS} s to read {spec}") from None
    finally:
        process.stdout.close()
        process.stderr.close()
    if process.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        raise _GitFailed(lines[-1][:200] if lines else f"git exited {process.returncode}")
    return out


class _GitFailed(Exception):
    pass


def _checkout(revision: str, folder: str, spec: str) -> str:
    try:
        return _archived(revision, folder, spec)
    except _GitFailed as exc:
        raise WarrantError.at("O015", f"cannot read {spec} from git: {exc}") from None


def _archived(revision: str, folder: str, spec: str) -> str:
    start = os.path.abspath(folder if os.path.isdir(folder) else ".")
    try:
        root = _git(["-C", start, "rev-parse", "--show-toplevel"], spec).decode("utf-8", "replace").strip()
    except _GitFailed:
        raise WarrantError.at("O015", f"{spec}: not inside a git repository") from None
    inside = os.path.relpath(os.path.abspath(folder), root).replace(os.sep, "/")
    if inside.startswith(".."):
        raise WarrantError.at("O015", f"{spec}: {folder} is outside the git repository at {root}")
    where = "" if inside == "." else inside
    try:
        top = _git(["-C", root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{tree}}"],
                   spec).decode("ascii", "replace").strip()
    except _GitFailed:
        top = ""
    if not _TREE_ID.fullmatch(top):
        raise WarrantError.at("O015", f"git has no revision {revision}")
    tree = top
    if where:
        try:
            tree = _git(["-C", root, "rev-parse", "--verify", "--quiet", f"{top}:{where}"],
                        spec).decode("ascii", "replace").strip()
            kind = _git(["-C", root, "cat-file", "-t", tree], spec).strip() if _TREE_ID.fullmatch(tree) else b""
        except _GitFailed:
            kind = b""
        if kind != b"tree":
            raise WarrantError.at("O015", f"git has no folder {where} at revision {revision}")
    sizes = _git(["-C", root, "ls-tree", "-r", "-l", "-z", tree], spec, capture_limit=16 << 20)
    total = 0
    for entry in sizes.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        fields = meta.split()
        size = int(fields[3]) if len(fields) == 4 and fields[3].isdigit() else 0
        if size > MAX_RULE_FILE_BYTES and name.endswith(b".warrant"):
            raise WarrantError.at("W006", f"{spec}/{name.decode('utf-8', 'replace')[:80]} is {size:,} bytes, "
                                          f"over the rule-file limit of {MAX_RULE_FILE_BYTES:,}")
        total += size
        if total > MAX_ARCHIVE_BYTES:
            raise WarrantError.at("O015", f"{spec} holds more than {MAX_ARCHIVE_BYTES:,} bytes of files")
    archive = _git(["-C", root, "archive", "--format=tar", tree], spec, capture_limit=MAX_ARCHIVE_BYTES + (1 << 20))
    target = tempfile.mkdtemp(prefix="warrant-rev-")
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise WarrantError.at("O015", f"cannot unpack {spec}: {exc}") from None
    return target
