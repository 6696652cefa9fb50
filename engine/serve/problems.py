"""Errors as data: RFC 9457 problem details (`application/problem+json`) made from Warrant's own diagnostics.

A request the caller got wrong answers 4xx with the CLI's codes and messages
and the JSON path of the fault (`$.items[0]`); a fault of Warrant's own
answers 500 with an id that the server's log line carries too, never a
traceback; a log that cannot be written answers 503 and nothing is decided.
"""
from __future__ import annotations

import json
import re
import uuid

from starlette.responses import Response

import warrant

PROBLEM = "application/problem+json"
ERRORS_DOC = "docs/ERRORS.md"       # where every code is explained (the problem's `type` names the code)
_PATH = re.compile(r"^((?:[a-z_][a-z0-9_]*|\[\d+\])(?:\.[a-z_][a-z0-9_]*|\[\d+\])*): ")
_MISSING = re.compile(r"missing required field '([a-z0-9_.]+)'")
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 408: "Request timeout",
          413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable request",
          500: "Internal error", 503: "Service unavailable"}
LOG_FAULTS = ("L002", "L003", "L004")


def json_path(diagnostic) -> str:
    """Where in the request document a diagnostic points, as a JSON path ($ for the whole document)."""
    found = _PATH.match(diagnostic.message)
    if found:
        path = found.group(1)
        return "$" + ("" if path.startswith("[") else ".") + path
    missing = _MISSING.search(diagnostic.message)
    return f"$.{missing.group(1)}" if missing else "$"


def problem(status: int, detail: str, *, code: str | None = None, errors=(), headers=None, **extra) -> Response:
    body = {"type": f"urn:warrant:error:{code}" if code else "about:blank", "title": TITLES.get(status, "Error"),
            "status": status, "detail": detail}
    if code:
        body["code"], body["documentation"] = code, f"{ERRORS_DOC}#{code.lower()}"
    if errors:
        body["errors"] = list(errors)
    body.update(extra)
    return Response(json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n", status_code=status,
                    media_type=PROBLEM, headers=headers)


def from_warrant_error(exc: warrant.WarrantError, status: int = 422) -> Response:
    """A caller's fault: every diagnostic with its code, message and JSON path; a log fault is 503."""
    errors = [{**d.to_json(), "path": json_path(d)} for d in exc.diagnostics]
    first = exc.diagnostics[0]
    if first.code in LOG_FAULTS:
        return problem(503, first.message, code=first.code, errors=errors, headers={"Retry-After": "1"})
    if first.code in ("R000", "R007") and status == 422:
        status = 413 if first.code == "R007" and "characters" in first.message and "line" in first.message else 400
    return problem(status, first.message, code=first.code, errors=errors)


def internal(exc: BaseException) -> tuple[Response, str]:
    """(a 500 answer, its id) for a fault of Warrant's own: the id goes in the server's log line too."""
    fault = uuid.uuid4().hex[:16]
    return problem(500, "an internal error (a bug in Warrant, not in the request); the server's log has it "
                        f"under id {fault}", fault_id=fault), fault
