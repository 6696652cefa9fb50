"""Fuzzing: every input gives a clean result or our located error; never another exception, never a hang.

Rule files: grammar-aware text (random rulebases, then token mutations) and
byte-level mutations of the shipped rules. Requests: arbitrary JSON-like
data, valid requests with one field broken (wrong types, huge or negative
numbers, impossible dates, confusable names), and mutated request text.
Examples per test: WARRANT_FUZZ_EXAMPLES (default 300).
"""
import datetime
import glob
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warrant.pipeline.check import check
from warrant.pipeline.decide import decide
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.parse import parse_file, parse_text
from warrant.pipeline.request import parse_document
from helpers import load_request, request_from_data, vocabulary_file
from strategies import CONFUSABLES, JSONISH, requests, rulebases

ROOT = os.path.join(os.path.dirname(__file__), "..")
SHIPPED = {os.path.basename(p): open(p, encoding="utf-8").read()
           for p in sorted(glob.glob(os.path.join(ROOT, "rules", "*.warrant")))}
EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", "300"))
COUNTS = {"rule_texts": 0, "rule_bytes": 0, "request_data": 0, "request_fields": 0, "request_texts": 0,
          "parsed": 0, "located_errors": 0}
FUZZ = settings(max_examples=EXAMPLES, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def _spans_ok(exc: WarrantError, text: str) -> None:
    lines = text.splitlines() or [""]
    for d in exc.diagnostics:
        assert d.code and d.message
        if d.span is not None and d.span.line:
            assert 1 <= d.span.line <= len(lines) + 1, (d, len(lines))
            assert d.span.column >= 1
    COUNTS["located_errors"] += 1


def _rules_property(text: str, name: str = "fuzz.warrant") -> None:
    try:
        parsed = parse_text(text, name)
    except WarrantError as exc:
        _spans_ok(exc, text)
        return
    COUNTS["parsed"] += 1
    check([parsed, vocabulary_file()])     # must not raise either


TOKENS = ["permit", "forbid", "define", "policy", "draft", "when", "and", "not", "in", "assuming", "cites",
          "assumes", "{", "}", "(", ")", ",", "=", ">=", "<", "\"", "£500", "12 months", "2018-02-30", "X", "#",
          "invariant", "never", "version", "of", "\n", "\\", "£", "99999999999999999999", "é", "\x00"]


@FUZZ
@given(text=rulebases(), edits=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["drop", "dup", "insert"]),
                                                  st.sampled_from(TOKENS)), max_size=4))
def test_grammar_aware_rule_mutations(text, edits):
    words = text.split(" ")
    for position, operation, token in edits:
        index = position % len(words)
        if operation == "drop":
            del words[index]
        elif operation == "dup":
            words.insert(index, words[index])
        else:
            words.insert(index, token)
        if not words:
            words = [""]
    COUNTS["rule_texts"] += 1
    _rules_property(" ".join(words))


@FUZZ
@given(name=st.sampled_from(sorted(SHIPPED)), position=st.integers(0, 100_000), length=st.integers(0, 40),
       insert=st.binary(max_size=12))
def test_byte_mutations_of_shipped_rules(tmp_path_factory, name, position, length, insert):
    data = SHIPPED[name].encode("utf-8")
    position %= len(data) + 1
    mutated = data[:position] + insert + data[position + length:]
    path = tmp_path_factory.mktemp("rules") / name
    path.write_bytes(mutated)
    COUNTS["rule_bytes"] += 1
    try:
        parsed = parse_file(str(path))
    except WarrantError as exc:
        _spans_ok(exc, mutated.decode("utf-8", "replace"))
        return
    COUNTS["parsed"] += 1
    check([parsed, vocabulary_file()])


def _decide_ok(rulebase, request) -> None:
    """Deciding a valid request gives a decision, or our error (e.g. an unknown assumption it switches)."""
    try:
        decide(rulebase, request)
    except WarrantError as exc:
        assert all(d.code.startswith(("A", "R")) for d in exc.diagnostics), exc


def _request_property(rulebase, data, text=None, file=None) -> None:
    try:
        request = request_from_data(data, file, text)
    except WarrantError as exc:
        _spans_ok(exc, text or "")
        return
    _decide_ok(rulebase, request)


@FUZZ
@given(data=JSONISH)
def test_arbitrary_request_data(rulebase, data):
    COUNTS["request_data"] += 1
    _request_property(rulebase, data)


FIELD_PATHS = ["date", "requester", "holder", "purpose", "items", "public_interest_satisfied", "id", "assume",
               "drafts", "subject", "subject.nhs_debt", "subject.convictions", "subject.suspected_offences",
               "subject.in_contact_with_authorities", "subject.investigations", "nonsense", "subject.nonsense"]
BAD_VALUES = st.one_of(JSONISH, st.sampled_from(CONFUSABLES), st.integers(min_value=-10**30, max_value=10**30),
                       st.sampled_from(["2018-02-30", "2018-13-01", "0000-01-01", "9999-12-31", "18-05-09",
                                        "£-5", "£1e9", "£0.001", "£99999999999999999999.99", "-£5", "£5,00"]),
                       st.lists(st.fixed_dictionaries({"offence": st.sampled_from(CONFUSABLES),
                                                       "sentence_months": st.integers(-5, 10**12)}), max_size=3))


@FUZZ
@given(document=requests(), path=st.sampled_from(FIELD_PATHS), value=BAD_VALUES)
def test_one_broken_field_is_named(rulebase, document, path, value):
    head, _, rest = path.partition(".")
    if rest:
        if not isinstance(document.get(head), dict):
            document[head] = {}
        document[head][rest] = value
    else:
        document[head] = value
    COUNTS["request_fields"] += 1
    text = json.dumps(document, indent=1)
    try:
        request = request_from_data(json.loads(text), "r.json", text)
    except WarrantError as exc:
        _spans_ok(exc, text)
        named = " ".join(f"{d.message} {d.span}" for d in exc.diagnostics)
        assert any(part in named for part in (rest or head, "r.json:")), named
        return
    _decide_ok(rulebase, request)


@FUZZ
@given(document=requests(), position=st.integers(0, 5000), cut=st.integers(0, 8), insert=st.text(max_size=6),
       suffix=st.sampled_from([".yaml", ".json"]))
def test_mutated_request_text(rulebase, tmp_path_factory, document, position, cut, insert, suffix):
    import yaml
    text = json.dumps(document) if suffix == ".json" else yaml.safe_dump(document)
    position %= len(text) + 1
    text = text[:position] + insert + text[position + cut:]
    path = tmp_path_factory.mktemp("req") / ("r" + suffix)
    path.write_text(text, encoding="utf-8")
    COUNTS["request_texts"] += 1
    try:
        request = load_request(str(path))
    except WarrantError as exc:
        _spans_ok(exc, text)
        return
    _decide_ok(rulebase, request)


def test_deeply_nested_and_very_large_requests(rulebase, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    for path in (deep,):
        try:
            load_request(str(path))
        except WarrantError as exc:
            assert exc.diagnostics[0].code in ("R000", "R002", "R007")
    deep_yaml = tmp_path / "deep.yaml"
    deep_yaml.write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    try:
        load_request(str(deep_yaml))
    except WarrantError as exc:
        assert exc.diagnostics[0].code in ("R000", "R001", "R002", "R006", "R007")
    big = {"id": "big", "date": "2018-06-01", "requester": "home_office", "holder": "nhs_digital",
           "purpose": "tracing", "items": ["name"],
           "subject": {"convictions": [{"offence": f"o{i}", "sentence_months": i % 40} for i in range(20_000)]}}
    large = tmp_path / "large.json"
    large.write_text(json.dumps(big))
    try:
        load_request(str(large))
        raise AssertionError("20,000 convictions should be refused as input")
    except WarrantError as exc:
        assert exc.diagnostics[0].code == "R004" and "subject.convictions" in exc.diagnostics[0].message
    big["subject"]["convictions"] = big["subject"]["convictions"][:1000]
    large.write_text(json.dumps(big))
    decision = decide(rulebase, load_request(str(large)))
    assert decision.outcome in ("permitted", "refused")
    start = datetime.datetime.now()
    assert parse_document('{"a": 1}', "x.json") == {"a": 1}
    assert (datetime.datetime.now() - start).total_seconds() < 1
