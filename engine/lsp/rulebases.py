"""The rulebases an editor has open: which folder a document belongs to, and its findings and names.

A rulebase is a folder of rule files (the one `warrant check` would read):
the nearest folder holding the document, extended upward while the folder
above holds rule files itself and is still inside the workspace. Its
findings and its names index come from `warrant`'s API over the files on
disk with the editor's unsaved texts put in their place, and are kept until
a text in that folder changes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import warrant

SUFFIX = ".warrant"


def _holds_rules(folder: str) -> bool:
    try:
        return any(name.endswith(SUFFIX) for name in os.listdir(folder))
    except OSError:
        return False


def rulebase_folder(path: str, roots: tuple[str, ...] = ()) -> str:
    """The folder of the rulebase a rule file belongs to (real paths)."""
    folder = os.path.dirname(os.path.realpath(path))
    inside = [os.path.realpath(r) for r in roots]
    while True:
        parent = os.path.dirname(folder)
        if parent == folder or not _holds_rules(parent):
            return folder
        if not any(parent == r or parent.startswith(r + os.sep) for r in inside):
            return folder
        folder = parent


@dataclass
class Rulebase:
    """One rulebase folder, the editor's texts of its files, and what was last worked out from them."""

    folder: str
    texts: dict[str, str] = field(default_factory=dict)       # path -> unsaved text of an open document
    versions: dict[str, int | None] = field(default_factory=dict)
    published: set[str] = field(default_factory=set)         # files last given diagnostics
    exact: object = None                                       # the exact analysis's report on these texts
    generation: int = 0                                        # one more at each change of a text
    _report: object = None
    _index: object = None
    _last_good: object = None                                  # the last index in which every file parsed

    def changed(self) -> None:
        self._report = self._index = self.exact = None
        self.generation += 1

    def report(self) -> "warrant.Report":
        """`warrant check` without the exact analysis, on the files as the editor has them."""
        if self._report is None:
            self._report = warrant.check([self.folder], invariants=False, texts=dict(self.texts))
        return self._report

    def index(self) -> "warrant.NameIndex":
        if self._index is None:
            self._index = warrant.names([self.folder], texts=dict(self.texts))
            if not self._index.unparsed:
                self._last_good = self._index
        return self._index

    def known_names(self) -> "warrant.NameIndex":
        """The names to offer while a file is half written: the last index in which every file parsed,
        when the present one is missing some."""
        index = self.index()
        return self._last_good if index.unparsed and self._last_good is not None else index

    def text(self, path: str) -> str:
        """A file's text as the editor has it, else as it is on disk ('' when unreadable)."""
        if path in self.texts:
            return self.texts[path]
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read(8 << 20)
        except OSError:
            return ""


class Rulebases:
    """Every rulebase with an open document, by folder."""

    def __init__(self) -> None:
        self.roots: tuple[str, ...] = ()
        self.by_folder: dict[str, Rulebase] = {}
        self._folder_of: dict[str, str] = {}

    def of(self, path: str) -> Rulebase:
        path = os.path.realpath(path)
        folder = self._folder_of.get(path)
        if folder is None:
            folder = self._folder_of[path] = rulebase_folder(path, self.roots)
        return self.by_folder.setdefault(folder, Rulebase(folder))

    def put(self, path: str, text: str | None, version: int | None = None) -> Rulebase:
        """The editor's text of a file (None: closed, read from disk again)."""
        path = os.path.realpath(path)
        rulebase = self.of(path)
        if text is None:
            rulebase.texts.pop(path, None)
            rulebase.versions.pop(path, None)
        else:
            rulebase.texts[path] = text
            rulebase.versions[path] = version
        rulebase.changed()
        return rulebase

    def all(self) -> list[Rulebase]:
        """The open rulebases and those found in the workspace folders (a bounded walk)."""
        for root in self.roots:
            for folder, dirs, names in _walk(root):
                if any(n.endswith(SUFFIX) for n in names):
                    first = next(n for n in names if n.endswith(SUFFIX))
                    self.of(os.path.join(folder, first))
        return list(self.by_folder.values())


_SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build", "dist"}


def _walk(root: str, depth: int = 5, limit: int = 2000):
    seen = 0
    base = root.rstrip(os.sep).count(os.sep)
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
        if folder.count(os.sep) - base >= depth:
            dirs[:] = []
        seen += 1
        if seen > limit:
            return
        yield folder, dirs, names
