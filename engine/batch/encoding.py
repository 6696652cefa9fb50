"""Encoding: a batch record as its JSON line, byte for byte `json.dumps(record, ensure_ascii=False,
sort_keys=True)`, with the parts that repeat across lines written once (test_batch checks the bytes)."""
from __future__ import annotations

import json
from json.encoder import encode_basestring as _quote   # json.dumps of one string, ensure_ascii=False

from warrant.batch.cache import Bounded


def encode(record: dict) -> tuple[int, str]:
    """(severity, JSON line): 0 permitted, 1 refused in part or whole, 4 undetermined, 2 a bad line."""
    severity = 2 if "error" in record else 0 if record["outcome"] == "permitted" else \
        4 if record["outcome"] == "undetermined" else 1
    if record.keys() == _SUMMARY_KEYS:
        line = _summary_line(record)
        if line is not None:
            return severity, line
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
