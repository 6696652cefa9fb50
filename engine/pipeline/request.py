"""Requests: YAML or JSON files -> validated `Request` with its facts.

In: a file (or a dict). Out: a `Request` whose facts are typed values, each
remembering the request field it came from. Raises `WarrantError` (codes
R001-R006) naming the field, with the line for YAML and JSON files and a
"did you mean" where a known field is close. Validation is hand-written from
the rulebase's declared vocabulary (engine/pipeline/vocabulary.py: the same
declarations the JSON Schema is generated from), so a batch of a million
lines does not pay for a general schema validator.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import os
from typing import Any

from warrant.pipeline.errors import Diagnostic, Span, WarrantError, did_you_mean
from warrant.pipeline.values import BOOL, DATE, MONEY, MONTHS, NUMBER, SYMBOL, Months, parse_date, parse_money
from warrant.pipeline.vocabulary import DATE_PREDICATE, ITEMS_PREDICATE, MAX_NUMBER, META_KEYS, Field, Vocabulary

from warrant.pipeline.limits import (MAX_DEPTH, MAX_DIGITS, MAX_KEYS, MAX_LINE_BYTES, MAX_LIST,  # noqa: E402
                                    MAX_MONTHS, MAX_REQUEST_BYTES, MAX_STRING)
from warrant.pipeline.facts import Fact, Request  # noqa: F401 - the types this stage makes
from warrant.pipeline.validator import read as _read_quickly


class Locator:
    """Line and column of each dotted path in a YAML/JSON document, when known."""

    def __init__(self, file: str | None, text: str | None):
        self.file = file
        self.text = text
        self._marks: dict[str, tuple[int, int, int]] | None = None

    @property
    def marks(self) -> dict[str, tuple[int, int, int]]:
        """Positions, read only when an error needs one (a valid request never pays for this)."""
        if self._marks is None:
            self._marks = {}
            self._read_marks(self.text)
        return self._marks

    def _read_marks(self, text: str | None) -> None:
        if text is not None and self.file is not None:
            try:
                import yaml
                node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
                if node is not None:
                    self._walk(node, "")
            except Exception:  # positions are a courtesy; the data itself was already parsed
                pass

    def _walk(self, node, path: str) -> None:
        import yaml
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = f"{path}.{key.value}" if path else str(key.value)
                self.marks[sub] = (key.start_mark.line + 1, key.start_mark.column + 1,
                                   key.end_mark.column)
                self.marks.setdefault(sub + "=", (value.start_mark.line + 1, value.start_mark.column + 1,
                                                  value.end_mark.column if value.end_mark.line == value.start_mark.line
                                                  else value.start_mark.column + 1))
                self._walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                sub = f"{path}[{index}]"
                self.marks[sub] = self.marks[sub + "="] = (
                    value.start_mark.line + 1, value.start_mark.column + 1,
                    value.end_mark.column if value.end_mark.line == value.start_mark.line else value.start_mark.column + 1)
                self._walk(value, sub)

    def span(self, path: str, key: bool = False) -> Span | None:
        if self.file is None:
            return None
        mark = self.marks.get(path if key else path + "=") or self.marks.get(path)
        if mark is None:
            return Span(self.file, 1, 1, 1, 1)
        line, column, end = mark
        return Span(self.file, line, column, line, max(column, end))


class _Problems:
    def __init__(self, locator: Locator):
        self.locator = locator
        self.found: list[Diagnostic] = []

    def add(self, code: str, path: str, message: str, *, key: bool = False,
            suggestion: str | None = None, notes: tuple[str, ...] = ()) -> None:
        self.found.append(Diagnostic(code, f"{path}: {message}" if path else message,
                                     self.locator.span(path, key), "error", notes, suggestion))


def _kind_error(kind: str) -> str:
    return {BOOL: "true or false", DATE: "a date written YYYY-MM-DD",
            MONEY: "an amount written as a string like \"£500.00\"", MONTHS: "a whole number of months",
            NUMBER: "a whole number",
            SYMBOL: "a name"}.get(kind, kind)


def _convert(kind: str, value: Any, path: str, problems: _Problems, allowed: tuple[str, ...] = ()):
    if kind == BOOL:
        if isinstance(value, bool):
            return value
    elif kind == DATE:
        if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return parse_date(value)
            except ValueError:
                problems.add("R003", path, f"{value!r} is not a real date (write YYYY-MM-DD)")
                return None
    elif kind == MONEY:
        if isinstance(value, str):
            try:
                return parse_money(value)
            except ValueError:
                problems.add("R003", path, f"{value!r} is not an amount of money; write it like \"£500.00\"",
                             notes=("amounts are exact pence: at most two decimal places, no sign",))
                return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            problems.add("R002", path, f"write money as a string like \"£{value}\", not a bare number",
                         notes=("money is exact: a number such as 499.99 could be rounded",))
            return None
    elif kind == MONTHS:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                problems.add("R004", path, f"a sentence cannot be negative ({value} months)")
                return None
            if value > MAX_MONTHS:
                problems.add("R004", path, f"{value} months is longer than any sentence ({MAX_MONTHS} at most)")
                return None
            return Months(value)
    elif kind == NUMBER:
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= MAX_NUMBER:
                problems.add("R004", path, f"{value if abs(value) < 10**20 else 'a huge number'} is out of range "
                                           f"(0 to {MAX_NUMBER})")
                return None
            return value
    elif kind == SYMBOL:
        if isinstance(value, str):
            if allowed and value not in allowed:
                problems.add("R005", path, f"unknown value {value!r}",
                             suggestion=did_you_mean(value, allowed),
                             notes=(f"allowed: {', '.join(allowed)}",))
                return None
            if not allowed and not (value and value[0].isalpha() and value.replace("_", "a").isalnum()
                                    and value.isascii() and value == value.lower()):
                problems.add("R005", path, f"{value!r} must be a lower_case name")
                return None
            return value
    problems.add("R002", path, f"expected {_kind_error(kind)}, got {_describe(value)}")
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"{type(value).__name__} {value!r}"


def _facts_for(spec: Field, value: Any, problems: _Problems) -> list[Fact]:
    path = spec.path
    if spec.kind == BOOL:
        converted = _convert(BOOL, value, path, problems)
        return [Fact(spec.predicate, (), path)] if converted else []
    if spec.kind == "records":
        if not isinstance(value, list):
            problems.add("R002", path, f"expected a list, got {_describe(value)}")
            return []
        facts = []
        for index, record in enumerate(value[:MAX_LIST]):
            where = f"{path}[{index}]"
            if not isinstance(record, dict):
                problems.add("R002", where, f"expected a mapping with {', '.join(k for k, _ in spec.columns)}, "
                                            f"got {_describe(record)}")
                continue
            args = []
            for (key, kind), allowed in zip(spec.columns, spec.column_values):
                if key not in record:
                    problems.add("R006", where, f"missing {key!r}")
                    continue
                args.append(_convert(kind, record[key], f"{where}.{key}", problems, allowed))
            for key in record:
                if key not in spec.column_names:
                    problems.add("R001", f"{where}.{key}", "unknown field", key=True,
                                  suggestion=did_you_mean(str(key), [k for k, _ in spec.columns]))
            if len(args) == len(spec.columns) and None not in args:
                facts.append(Fact(spec.predicate, tuple(args), where))
        if len(value) > MAX_LIST:
            problems.add("R004", path, f"{len(value)} entries; at most {MAX_LIST} are accepted")
        return facts
    if spec.many:
        if not isinstance(value, list):
            problems.add("R002", path, f"expected a list, got {_describe(value)}")
            return []
        if len(value) > MAX_LIST:
            problems.add("R004", path, f"{len(value)} entries; at most {MAX_LIST} are accepted")
            return []
        if not value and spec.required:
            problems.add("R006", path, "must list at least one value")
            return []
        facts, seen = [], {}
        for index, element in enumerate(value):
            converted = _convert(spec.kind, element, f"{path}[{index}]", problems, spec.values)
            if converted is None:
                continue
            if converted in seen:
                problems.add("R005", f"{path}[{index}]", f"{element!r} is listed twice",
                             notes=(f"first at {path}[{seen[converted]}]",))
                continue
            seen[converted] = index
            facts.append(Fact(spec.predicate, (converted,), f"{path}[{index}]"))
        return facts
    converted = _convert(spec.kind, value, path, problems, spec.values)
    return [] if converted is None else [Fact(spec.predicate, (converted,), path)]


def _walk(node: dict, data: dict, prefix: str, problems: _Problems, facts: list, top: bool) -> None:
    """Check one mapping level against the declared tree; collect the facts of its fields."""
    known = set(node) | (set(META_KEYS) if top else set())
    for key in data:
        if key not in known:
            where = f"{prefix}{key}"
            problems.add("R001", where, "unknown field", key=True,
                         suggestion=did_you_mean(str(key), sorted(known) + ([] if prefix else [
                             p for p in _leaf_paths(node)])))
    for name, child in node.items():
        path = f"{prefix}{name}"
        if isinstance(child, Field):
            if name not in data:
                if child.required:
                    problems.add("R006", "", f"missing required field {path!r}")
                continue
            facts.extend(_facts_for(child, data[name], problems))
            continue
        inner = data.get(name, {})
        if inner is None:
            inner = {}
        if not isinstance(inner, dict):
            problems.add("R002", path, f"expected a mapping, got {_describe(inner)}")
            inner = {}
        _walk(child, inner, path + ".", problems, facts, False)


def _leaf_paths(node: dict, prefix: str = "") -> list[str]:
    out = []
    for name, child in node.items():
        out.extend([prefix + name] if isinstance(child, Field) else _leaf_paths(child, f"{prefix}{name}."))
    return out


def request_from_data(data: Any, file: str | None = None, text: str | None = None,
                      default_id: str = "request", *, vocabulary: Vocabulary) -> Request:
    """Validate a parsed document against the rulebase's vocabulary and turn it into a Request.

    Reports every problem found, each at the field it concerns. A valid
    document in the common form is read by the validator compiled for the
    vocabulary (engine/pipeline/validator.py), which builds the same Request.
    """
    quick = _read_quickly(vocabulary, data, file, default_id)
    return quick if quick is not None else located_request(data, file, text, default_id, vocabulary=vocabulary)


def span_in_request(request, path: str, key: bool = True) -> Span | None:
    """Where `path` (e.g. `assume.name`, `drafts[0]`) is in the request's file, when it came from one.

    For the settings checked after validation (an unknown assumption or draft
    named in the file): the file is read again, bounded like the first read."""
    file = getattr(request, "file", None)
    if not file:
        return None
    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_REQUEST_BYTES + 1)
        text = raw.decode("utf-8") if len(raw) <= MAX_REQUEST_BYTES else None
    except (OSError, UnicodeDecodeError):
        text = None
    return Locator(file, text).span(path, key=key) if text is not None else Span(file, 1, 1, 1, 1)


def located_request(data: Any, file: str | None = None, text: str | None = None,
                    default_id: str = "request", *, vocabulary: Vocabulary) -> Request:
    """`request_from_data` by the located checks alone: every field walked, every problem at its place."""
    locator = Locator(file, text)
    problems = _Problems(locator)
    if not isinstance(data, dict):
        raise WarrantError.at("R002", f"a request is a mapping of fields, got {_describe(data)}",
                              Span(file, 1, 1, 1, 1) if file else None)
    facts: list[Fact] = []
    _walk(vocabulary.tree, data, "", problems, facts, True)
    request_id = data.get("id", default_id)
    if not isinstance(request_id, (str, int)) or isinstance(request_id, bool):
        problems.add("R002", "id", f"expected text, got {_describe(request_id)}")
        request_id = default_id
    assume = data.get("assume") or {}
    if not isinstance(assume, dict) or not all(isinstance(v, (bool, str)) for v in assume.values()):
        problems.add("R002", "assume", "expected a mapping of assumption names to true/false, or to a "
                                       "reading's name")
        assume = {}
    drafts = data.get("drafts") or []
    if not isinstance(drafts, list) or not all(isinstance(d, str) for d in drafts):
        problems.add("R002", "drafts", "expected a list of draft policy names")
        drafts = []
    if problems.found:
        raise WarrantError(problems.found)
    date = next(f.args[0] for f in facts if f.predicate == DATE_PREDICATE)
    items = tuple(f.args[0] for f in facts if f.predicate == ITEMS_PREDICATE)
    return Request(str(request_id), date, tuple(facts), items,
                   tuple(sorted((str(k), v) for k, v in assume.items())), tuple(sorted(set(drafts))),
                   data, file)


def load_request(path: str, vocabulary: Vocabulary) -> Request:
    """Read a YAML (.yaml/.yml) or JSON request file and validate it against `vocabulary`."""
    import stat
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise WarrantError.at("R000", f"{path} is not a regular file (a folder, pipe, device or socket)")
        if info.st_size > MAX_REQUEST_BYTES:
            raise WarrantError.at("R007", f"{path} is {info.st_size:,} bytes; a request file is at most "
                                          f"{MAX_REQUEST_BYTES:,}", Span(path, 1, 1, 1, 1))
        with open(path, "rb") as handle:
            raw = handle.read(MAX_REQUEST_BYTES + 1)
    except FileNotFoundError:
        raise WarrantError.at("R000", f"no such request file: {path}") from None
    except OSError as exc:
        raise WarrantError.at("R000", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WarrantError.at("R000", f"{path} is not UTF-8 text (byte {exc.start})") from None
    data = parse_document(text, path)
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return request_from_data(data, path, text, default_id=stem, vocabulary=vocabulary)


class _Refused(Exception):
    """A document broke a limit or repeated a key; carries the message and where."""

    def __init__(self, code: str, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.code, self.message, self.line, self.column = code, message, line, column


def _number(text: str):
    if len(text.lstrip("-").split(".")[0].split("e")[0].split("E")[0]) > MAX_DIGITS:
        raise _Refused("R007", f"a number of more than {MAX_DIGITS} digits ({text[:20]}...)")
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _pairs(pairs):
    if len(pairs) > MAX_KEYS:
        raise _Refused("R007", f"a mapping with {len(pairs):,} keys; at most {MAX_KEYS} are accepted")
    out = {}
    for key, value in pairs:
        if key in out:
            raise _Refused("R008", f"the key {key!r} appears twice in one mapping; each field is stated once")
        if isinstance(value, str) and len(value) > MAX_STRING:
            raise _Refused("R007", f"{key}: a string of {len(value):,} characters; at most {MAX_STRING:,}")
        out[key] = value
    return out


def _check_json(value) -> None:
    """Depth, list length and string size of decoded JSON, walked without recursion.

    A node's path is kept as its parent and key, and spelt out only for the message of a node that breaks a
    limit, so a good request costs no string building.
    """
    stack = [(value, 1, None, None)]
    while stack:
        node, depth, parent, key = stack.pop()
        if depth > MAX_DEPTH:
            raise _Refused("R007", f"the document is nested more than {MAX_DEPTH} levels deep")
        if type(node) is dict:
            here = (parent, key)
            stack.extend((v, depth + 1, here, k) for k, v in node.items())
        elif type(node) is list:
            if len(node) > MAX_LIST:
                raise _Refused("R004", f"{_where(parent, key)}{len(node):,} entries; at most {MAX_LIST:,} are accepted")
            here = (parent, key)
            stack.extend((v, depth + 1, here, i) for i, v in enumerate(node))
        elif type(node) is str and len(node) > MAX_STRING:
            raise _Refused("R007", f"{_where(parent, key)}a string of {len(node):,} characters; "
                                   f"at most {MAX_STRING:,}")


def _where(parent, key) -> str:
    """`subject.convictions[1]: ` from the chain of (parent, key) pairs."""
    parts = []
    while key is not None:
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        parent, key = parent
    path = "".join(reversed(parts)).lstrip(".")
    return f"{path}: " if path else ""


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


_LONG_NUMBER = re.compile(r"\d{%d}" % (MAX_DIGITS + 1))


def _unique_pairs(pairs):
    """A mapping of a small document: only a repeated key can be wrong in it."""
    out = dict(pairs)
    if len(out) != len(pairs):
        _pairs(pairs)
    return out


def _small(text: str) -> bool:
    """True when no limit but a repeated key can be broken anywhere in `text`, by its counts alone.

    Nesting is at most the number of opening brackets, a list's entries and a
    mapping's keys at most the commas plus one, a string at most the text, a
    number at most the longest run of digits. Most batch lines pass, and are
    decoded by the C scanner with no per-value Python call (about 3x faster).
    """
    return (len(text) <= MAX_STRING and text.count("[") + text.count("{") < MAX_DEPTH
            and text.count(",") < min(MAX_LIST, MAX_KEYS) and _LONG_NUMBER.search(text) is None)


def _json(text: str, fast: bool = True):
    """JSON with duplicate keys refused and numbers, keys, strings and depth bounded."""
    if fast and _small(text):
        return json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_reject_constant)
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):     # bound the depth before the decoder recurses
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused("R007", f"the document is nested more than {MAX_DEPTH} levels deep")
        else:
            depth -= 1
    data = json.loads(text, object_pairs_hook=_pairs, parse_int=_number, parse_float=_number,
                      parse_constant=_reject_constant)
    _check_json(data)
    return data


def _reject_constant(name: str):
    raise _Refused("R002", f"{name} is not a value a request can hold")


def yaml_loader():
    """A safe YAML loader that leaves dates as text, for our own located checks."""
    import yaml
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class RequestLoader(base):  # type: ignore[misc, valid-type]
        pass

    RequestLoader.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in base.yaml_implicit_resolvers.items()}
    return RequestLoader


_LOADER = None

MAX_RAW_NESTING = 1000   # brackets counted without regard to quotes: far below where libyaml's composer fails


def _nesting(text: str) -> tuple[int, int]:
    """(bracket depth outside quoted strings, raw bracket depth), both upper bounds with indentation."""
    depth = deepest = raw = raw_deepest = 0
    quote = None
    previous = "\n"
    for char in text:
        if quote:
            if char == quote and (quote == "'" or previous != "\\"):
                quote = None
        elif char == '"' or (char == "'" and previous in " \t\n[{,:"):
            quote = char
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
        if char in "[{":
            raw += 1
            raw_deepest = max(raw_deepest, raw)
        elif char in "]}":
            raw -= 1
        previous = char
    indent = max((len(line) - len(line.lstrip(" ")) for line in text.splitlines()), default=0)
    return max(deepest, indent // 2), raw_deepest


def _check_yaml(node, path: str) -> None:
    """Walk the composed YAML without recursion: aliases, duplicate keys, depth, keys, strings, lists."""
    import yaml
    seen: set[int] = set()
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        mark = current.start_mark
        where = (mark.line + 1, mark.column + 1)
        if id(current) in seen:
            raise _Refused("R007", "YAML anchors and aliases are not accepted in a request", *where)
        seen.add(id(current))
        if getattr(current, "anchor", None):
            raise _Refused("R007", "YAML anchors and aliases are not accepted in a request", *where)
        if depth > MAX_DEPTH:
            raise _Refused("R007", f"the document is nested more than {MAX_DEPTH} levels deep", *where)
        if isinstance(current, yaml.MappingNode):
            if len(current.value) > MAX_KEYS:
                raise _Refused("R007", f"a mapping with {len(current.value):,} keys; at most {MAX_KEYS} are "
                                       "accepted", *where)
            keys: dict = {}
            for key, value in current.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name in keys:
                    k = key.start_mark
                    raise _Refused("R008", f"the key {name!r} appears twice in one mapping (first on line "
                                           f"{keys[name]}); each field is stated once", k.line + 1, k.column + 1)
                keys[name] = key.start_mark.line + 1
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(current, yaml.SequenceNode):
            if len(current.value) > MAX_LIST:
                raise _Refused("R004", f"a list of {len(current.value):,} entries; at most {MAX_LIST:,} are "
                                       "accepted", *where)
            stack.extend((v, depth + 1) for v in current.value)
        elif isinstance(current.value, str):
            if len(current.value) > MAX_STRING:
                raise _Refused("R007", f"a string of {len(current.value):,} characters; at most {MAX_STRING:,}",
                               *where)
            if current.tag.endswith(":int") and len(current.value.lstrip("+-")) > MAX_DIGITS:
                raise _Refused("R007", f"a number of more than {MAX_DIGITS} digits", *where)


def parse_json_line(line: str) -> Any:
    """One JSON Lines record; a bad or oversized line is an error for that record alone."""
    if len(line) > MAX_LINE_BYTES:
        raise WarrantError.at("R007", f"a line of {len(line):,} characters; a batch line is at most "
                                      f"{MAX_LINE_BYTES:,}")
    try:
        return _json(line)
    except _Refused as exc:
        raise WarrantError.at(exc.code, exc.message) from None
    except json.JSONDecodeError as exc:
        raise WarrantError.at("R000", f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except (RecursionError, ValueError) as exc:
        raise WarrantError.at("R000", f"not valid JSON: {exc}") from None


def parse_document(text: str, path: str) -> Any:
    """YAML or JSON text -> Python data, with a located error when malformed or past a limit."""
    if len(text) > MAX_REQUEST_BYTES:
        raise WarrantError.at("R007", f"{path} is {len(text):,} characters; a request is at most "
                                      f"{MAX_REQUEST_BYTES:,}", Span(path, 1, 1, 1, 1))
    if path.endswith(".json"):
        try:
            return _json(text)
        except _Refused as exc:
            line, column = exc.line or 1, exc.column or 1
            if exc.code == "R008":
                line, column = _json_key_position(text, exc.message)
            raise WarrantError.at(exc.code, exc.message, Span(path, line, column, line, column)) from None
        except json.JSONDecodeError as exc:
            raise WarrantError.at("R000", f"not valid JSON: {exc.msg}",
                                  Span(path, exc.lineno, exc.colno, exc.lineno, exc.colno)) from None
        except (RecursionError, ValueError) as exc:
            raise WarrantError.at("R000", f"not valid JSON: {exc}", Span(path, 1, 1, 1, 1)) from None
    import yaml
    quoted_aware, raw = _nesting(text)
    if quoted_aware > MAX_DEPTH * 4 or raw > MAX_RAW_NESTING:
        raise WarrantError.at("R007", f"the document is nested more than {MAX_DEPTH} levels deep",
                              Span(path, 1, 1, 1, 1))
    tab = next((n for n, line in enumerate(text.splitlines(), 1) if line[:len(line) - len(line.lstrip())].count("\t")),
               None)
    global _LOADER
    if _LOADER is None:
        _LOADER = yaml_loader()
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_yaml(node, path)
        return loader.construct_document(node)
    except _Refused as exc:
        line, column = exc.line or 1, exc.column or 1
        raise WarrantError.at(exc.code, exc.message, Span(path, line, column, line, column)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        span = Span(path, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 1) if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        notes = ()
        if tab is not None and (mark is None or abs(mark.line + 1 - tab) <= 1 or "tab" in problem):
            notes = (f"line {tab} is indented with a tab; YAML indents with spaces only",)
            if span is None or "tab" in problem:
                span = Span(path, tab, 1, tab, 1)
        raise WarrantError.at("R000", f"not valid YAML: {problem}", span, notes=notes) from None
    except (RecursionError, MemoryError):
        raise WarrantError.at("R007", "the document is nested too deeply or too large") from None
    except ValueError as exc:  # a scalar YAML itself could not build
        raise WarrantError.at("R000", f"not valid YAML: {exc}", Span(path, 1, 1, 1, 1)) from None
    finally:
        loader.dispose()


def _json_key_position(text: str, message: str) -> tuple[int, int]:
    """Where a repeated key stands the second time (JSON's decoder does not say)."""
    import re
    key = re.search(r"the key '(.*?)' appears twice", message)
    if key:
        hits = [m.start() for m in re.finditer(re.escape(json.dumps(key.group(1))) + r"\s*:", text)]
        if len(hits) >= 2:
            before = text[:hits[1]]
            return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
    return 1, 1
