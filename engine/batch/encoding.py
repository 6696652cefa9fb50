"""Encoding: a batch record as its JSON line, byte for byte `json.dumps(record, ensure_ascii=False,
sort_keys=True)`, with the parts that repeat written once: across lines, a summary's items and settings;
within a traced line, the proof nodes its why-nots share (test_batch checks the bytes)."""
from __future__ import annotations

import json
from json.encoder import encode_basestring as _quote   # json.dumps of one string, ensure_ascii=False

from warrant.pipeline.cache import Bounded
from warrant.pipeline.render.json import AttemptJSON


def encode(record: dict) -> tuple[int, str]:
    """(severity, JSON line): 0 permitted, 1 refused in part or whole, 4 undetermined, 2 a bad line."""
    severity = 2 if "error" in record else 0 if record["outcome"] == "permitted" else \
        4 if record["outcome"] == "undetermined" else 1
    if record.keys() == _SUMMARY_KEYS:
        line = _summary_line(record)
        if line is not None:
            return severity, line
    elif type(record.get("items")) is list and any(type(i) is dict and "why_not" in i for i in record["items"]):
        return severity, _Traced().value(record) + "\n"
    return severity, json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


_SUMMARY_KEYS = {"items", "outcome", "record", "request"}
_RECORD_KEYS = {"request_sha256", "rulebase", "settings", "warrant"}
_FRAGMENTS = Bounded(10_000)     # a part of many lines (items and outcomes, settings) -> its JSON text


def _fragment(key, value) -> str:
    text = _FRAGMENTS.get(key)
    if text is None:
        text = _FRAGMENTS[key] = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text


def _summary_line(record: dict) -> str | None:
    """`json.dumps(record, ensure_ascii=False, sort_keys=True)` of a summary record, from cached parts.

    A batch without traces writes one such line per request, and its parts
    repeat: the items and their outcomes within a class, the settings and the
    rulebase across the batch. Writing them once and joining the rest is
    about 4x faster than encoding each line whole; test_batch checks the
    bytes against json.dumps. None: not the summary shape, encode it whole.
    """
    inner, items = record["record"], record["items"]
    if inner.keys() != _RECORD_KEYS or type(items) is not list:
        return None
    settings = inner["settings"]
    if settings.keys() != {"assumptions", "date", "drafts"}:
        return None
    try:
        items_key = tuple((i["item"], i["outcome"]) for i in items if len(i) == 2)
        assumptions, drafts = tuple(settings["assumptions"].items()), tuple(settings["drafts"])
    except (KeyError, TypeError, AttributeError):
        return None
    if len(items_key) != len(items):
        return None
    dumps = _quote
    if type(record["request"]) is not str or type(record["outcome"]) is not str or \
            type(inner["request_sha256"]) is not str or type(settings["date"]) is not str or \
            type(inner["warrant"]) is not str:
        return None
    return "".join((
        '{"items": ', _fragment(("items", items_key), items), ', "outcome": ', dumps(record["outcome"]),
        ', "record": {"request_sha256": ', dumps(inner["request_sha256"]),
        ', "rulebase": ', _fragment(("rulebase", tuple(inner["rulebase"].items())), inner["rulebase"]),
        ', "settings": {"assumptions": ', _fragment(("assumptions", assumptions), settings["assumptions"]),
        ', "date": ', dumps(settings["date"]), ', "drafts": ', _fragment(("drafts", drafts), settings["drafts"]),
        '}, "warrant": ', dumps(inner["warrant"]), '}, "request": ', dumps(record["request"]),
        "}\n"))


_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode   # json.dumps with these options


class _Traced:
    """`json.dumps(record, ensure_ascii=False, sort_keys=True)` of a traced record, each shared node once.

    A refusal lists every permission with its failed condition and the
    conditions that held before it, and the renderer gives a node the
    permissions share (the item requested, the policy in force) as one dict
    (engine/pipeline/render/json.py): on a law of fifty routes, three
    quarters of a traced line is such repeats. The outer levels (record,
    items, why-nots, attempts) are written key by key, in sorted order,
    with json's own separators and string quoting; a dict below them (a
    node) is one json.dumps call, made once per line and its text spliced
    wherever the same dict recurs. The bytes are json.dumps's.
    """

    OUTER = 5     # dicts nested this deep or deeper are nodes: written whole

    def __init__(self):
        self.texts: dict = {}        # id(a dict or list of this record), or ("held", id(a why-nots' shared
                                     # held list)) -> its text (the record keeps it alive)

    def value(self, value, depth: int = 0) -> str:
        kind = type(value)
        if kind is str:
            return _quote(value)
        if kind is AttemptJSON:                  # a why-not: its text but for its nodes is made (render/json.py)
            parts = [value.head]
            if "failed" in value:
                parts += (', "failed": ', self.value(value["failed"], depth + 1))
            if "held" in value:              # json.dumps of a list is its items' texts, joined (a list why-nots
                held = value["held"]         # share is joined once)
                text = self.texts.get(("held", id(held)))
                if text is None:
                    text = self.texts[("held", id(held))] = ", ".join([self.value(n, depth + 2) for n in held])
                parts += (', "held": [', text, "]")
            parts.append(value.tail)
            return "".join(parts)
        if kind is dict or kind is list:
            found = self.texts.get(id(value))
            if found is None:
                found = self.texts[id(value)] = self._container(value, depth)
            return found
        if value is True:
            return "true"
        if value is False:
            return "false"
        if value is None:
            return "null"
        return _dumps(value)

    def _container(self, value, depth: int) -> str:
        if type(value) is list:
            if not any(type(v) is list or type(v) is AttemptJSON or type(v) is dict and _nested(v) for v in value):
                return _dumps(value)                 # scalars or flat dicts (citations): one call
            return "[" + ", ".join([self.value(v, depth + 1) for v in value]) + "]"
        if depth >= self.OUTER:                  # a node: one json.dumps, kept across lines by the dict's identity
            kept = _NODE_TEXT.get(id(value))     # (render/json.py shares a node's dict between decisions)
            if kept is None or kept[0] is not value:
                kept = _NODE_TEXT[id(value)] = (value, _dumps(value))
            return kept[1]
        if not all(type(k) is str for k in value):
            return _dumps(value)                 # keys json.dumps itself must convert and order
        keys, value_of = _KEYS, self.value
        parts = []
        for key in sorted(value):
            v = value[key]
            kind = type(v)
            quoted = keys.get(key)
            if quoted is None:
                quoted = keys[key] = _quote(key) + ": "
            parts.append(quoted + (_quote(v) if kind is str else value_of(v, depth + 1)))
        return "{" + ", ".join(parts) + "}"


_NODE_TEXT = Bounded(5_000)   # id(a node's dict) -> (it, its JSON text); the entry holds the dict, so the id stays its own
_KEYS = Bounded(10_000)          # a key -> its quoted text and separator (the format's keys, assumption names)


def _nested(value: dict) -> bool:
    return any(type(v) is dict or type(v) is list for v in value.values())
