"""Where Warrant's own files are: the shipped grammar and rulebase, and its cache folder.

The shipped folders sit beside the package in a checkout and inside it once
installed. Kept apart from the parser so that finding them imports nothing
heavy (a warm `warrant decide` never loads Lark).
"""
from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # engine/


def shipped(folder: str, installed: str) -> str:
    """A folder of the checkout (`grammar/`, `rules/`), or its copy inside the installed package."""
    beside = os.path.join(os.path.dirname(_HERE), folder)
    return beside if os.path.isdir(beside) else os.path.join(_HERE, installed)


GRAMMAR = os.path.join(shipped("grammar", "shipped_grammar"), "warrant.lark")
DEFAULT_RULES = shipped("rules", "shipped_rules")


def cache_folder() -> str | None:
    """Warrant's own cache folder, created owner-only; None when it is not safely ours.

    Lark's grammar cache and the compiled-rulebase cache are pickles: they are
    only ever read from a folder that belongs to this user and that nobody
    else can write, never from the shared temporary folder.
    """
    import stat
    setting = os.environ.get("WARRANT_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    folder = setting or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "warrant")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder
