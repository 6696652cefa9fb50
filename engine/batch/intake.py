"""Intake: JSON Lines text in, one request (or one located error) per line.

Records out equal lines in, always: an empty line, bytes that are not
UTF-8 or a line past a limit each become that line's error record. The
decide and impact paths read lines through `requests_of`, the one loop
that turns a line into a request.
"""
from __future__ import annotations

from warrant.batch.decider import BatchDecider
from warrant.pipeline.errors import WarrantError
from warrant.pipeline.request import parse_json_line, request_from_data


def requests_of(rulebase, lines, start: int = 1, blank_is_error: bool = True):
    """(line number, request or the WarrantError that line is) per line; a blank line is an error unless
    `blank_is_error` is False, when it is skipped."""
    vocabulary = rulebase.program.vocabulary
    for number, line in enumerate(lines, start):
        if not line.strip():
            if blank_is_error:
                yield number, WarrantError.at("R000", "an empty line; every line of a batch is one request")
            continue
        try:
            _utf8(line)
            yield number, request_from_data(parse_json_line(line), default_id=f"line-{number}", vocabulary=vocabulary)
        except WarrantError as exc:
            yield number, exc


def decide_lines(rulebase, lines, start: int = 1, **options):
    """Yield one output record per input line; a bad line yields an error record and the batch goes on.

    Records out equal lines in, always: an empty line, bytes that are not
    UTF-8 or a line past a limit each become that line's error record.
    """
    decider = options.pop("decider", None) or BatchDecider(rulebase, **options)
    for number, request in requests_of(rulebase, lines, start):
        if not isinstance(request, WarrantError):
            try:
                yield decider.decide_record(request)
                continue
            except WarrantError as exc:
                request = exc
        yield {"line": number, "error": [d.to_json() for d in request.diagnostics]}


def _utf8(line: str) -> None:
    """A line read with surrogateescape holds lone surrogates exactly where its bytes were not UTF-8."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise WarrantError.at("R000", f"not UTF-8 text (at character {exc.start + 1})") from None
