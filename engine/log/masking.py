"""Masking: the request fields a rulebase declares `log hashed` or `log dropped` never reach the log.

`dropped` removes the field from the stored request; `hashed` replaces its
value with a keyed hash (HMAC-SHA-256), so equal values still group and
count together but cannot be read back or guessed by hashing a list of
names without the key. The key is `WARRANT_LOG_KEY` when set (give every
writer of one log the same), else a random key kept in
`$XDG_CONFIG_HOME/warrant/log.key` (mode 0600), made on first use. The
record lists what it masked and how, so a replay that needs a masked field
says so rather than guessing.
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import secrets

HASHED, DROPPED = "hashed", "dropped"
_KEY: list = []


def masks_of(vocabulary) -> tuple[tuple[str, str], ...]:
    """(field path, hashed|dropped) for every field the rulebase masks in its log."""
    return tuple((f.path, f.mask) for f in vocabulary.fields if getattr(f, "mask", None))


def mask_request(data: dict, masks) -> tuple[dict, list, dict]:
    """(the request document with its masked fields masked, [{"field", "how"}] of those it held, and
    {value text: what replaces it} for scrubbing the decision's trace, which may quote a masked value)."""
    if not masks:
        return data, [], {}
    out, applied, replace = None, [], {}
    for path, how in masks:
        parts = path.split(".")
        node = data
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or parts[-1] not in node:
            continue
        if out is None:
            out = copy.deepcopy(data)
        target = out
        for part in parts[:-1]:
            target = target[part]
        value = target[parts[-1]]
        if how == DROPPED:
            del target[parts[-1]]
        else:
            target[parts[-1]] = keyed_hash(value)
        for scalar in _scalars(value):
            replace[scalar] = "[dropped]" if how == DROPPED else keyed_hash(scalar)
        applied.append({"field": path, "how": how})
    return (out if out is not None else data), applied, replace


def _scalars(value):
    """The texts of a value's scalars worth scrubbing (a name, a number; not a yes/no)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _scalars(v)
    elif isinstance(value, list):
        for v in value:
            yield from _scalars(v)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) >= 2:
        yield str(value)


def scrub(document, replace: dict):
    """The decision document with every quotation of a masked value replaced (a trace says "subject.name is
    jane_doe"): strings are rewritten where they contain one, and equal numbers are replaced whole. Longer
    values first, so a value inside another is not half-replaced."""
    if not replace:
        return document
    order = sorted(replace, key=len, reverse=True)

    def walk(node):
        if isinstance(node, dict):               # a record's digests are hex, never a quotation: left whole
            return {k: (v if k == "record" else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str):
            for text in order:
                if text in node:
                    node = node.replace(text, replace[text])
            return node
        if isinstance(node, (int, float)) and not isinstance(node, bool) and str(node) in replace:
            return replace[str(node)]
        return node
    return walk(document)


def keyed_hash(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "hmac-sha256:" + hmac.new(log_key(), text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def log_key() -> bytes:
    """The masking key: WARRANT_LOG_KEY, else this user's key file (made on first use)."""
    if _KEY:
        return _KEY[0]
    given = os.environ.get("WARRANT_LOG_KEY")
    if given:
        key = given.encode("utf-8")
    else:
        folder = os.path.join(os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "warrant")
        path = os.path.join(folder, "log.key")
        try:
            with open(path, "rb") as handle:
                key = handle.read()
        except FileNotFoundError:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            key = secrets.token_hex(32).encode("ascii")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(key)
            except FileExistsError:              # another process made it first: use theirs
                with open(path, "rb") as handle:
                    key = handle.read()
    _KEY.append(key)
    return key
