"""The service's OpenAPI 3.1 document, made from the code's own tables: the routes (engine/serve/routes.py), the
request schema `warrant schema` prints, the limits and the problem document. docs/openapi.json is this
document for the shipped rulebase; a test keeps it current and validates it."""
from __future__ import annotations

from warrant.serve import routes as served

PROBLEM = {"type": "object", "required": ["type", "title", "status", "detail"],
           "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                          "detail": {"type": "string"}, "code": {"type": "string"},
                          "fault_id": {"type": "string"},
                          "errors": {"type": "array", "items": {
                              "type": "object", "required": ["code", "message"],
                              "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                             "severity": {"type": "string"},
                                             "path": {"type": "string", "description": "JSON path of the fault"}}}}}}


def _problems(*statuses: int) -> dict:
    return {str(s): {"description": served.problems.TITLES.get(s, "Error"),
                     "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for s in statuses}


def _query(name: str, description: str, schema: dict, many: bool = False) -> dict:
    out = {"name": name, "in": "query", "required": False, "description": description,
           "schema": {"type": "array", "items": schema} if many else schema}
    if many:
        out["style"], out["explode"] = "form", True
    return out


DECIDE_OPTIONS = [
    _query("at", "Decide as if the request were made on this date.", {"type": "string", "format": "date"}),
    _query("assume", "An assumption setting, NAME=on, NAME=off or NAME=READING (repeatable).", {"type": "string"},
           True),
    _query("draft", "A draft policy switched on (repeatable).", {"type": "string"}, True),
    _query("explain", "all (the default: the decision as `warrant decide --format json` prints it), refused (the "
                      "trace of refused items only) or none (outcomes only): the batch record otherwise.",
           {"type": "string", "enum": list(served.EXPLAIN), "default": "all"}),
    _query("what_would_change", "Search what would have to change for a refused item (default: true with "
                                "explain=all).", {"type": "boolean"}),
]
FILTERS = [_query(n, d, {"type": "string"}) for n, d in (
    ("since", "Decisions made at or after this date or UTC time."), ("until", "Decisions made before this."),
    ("outcome", "permitted, partially_permitted, refused or undetermined."),
    ("rule", "A deciding rule of any item."), ("policy", "A policy whose rule decided any item."),
    ("rulebase", "The rulebase's sha256, or its start."))]
SECURED = [{"bearer": []}]


def document(request_schema: dict) -> dict:
    """The OpenAPI 3.1 document of the service serving a rulebase whose request schema is `request_schema`."""
    decided = {"description": "The decision, logged before it was answered.",
               "headers": {"Warrant-Decision-Id": {"schema": {"type": "string"}, "description": "Its log record."},
                           "Warrant-Record-Sha256": {"schema": {"type": "string"},
                                                     "description": "The record's chain hash."}},
               "content": {"application/json": {"schema": {"type": "object"}}}}
    json_object = {"application/json": {"schema": {"type": "object"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Warrant decision service", "version": "1",
                 "description": "Is this release of data permitted, and why? Every decision is kept in the "
                                "decision log before it is answered."},
        "components": {
            "schemas": {"Problem": PROBLEM, "Request": request_schema},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Tokens from the server's token file (roles decide, "
                                                          "read-log, admin); none needed when it has none (it "
                                                          "then serves loopback only)."}}},
        "security": SECURED,
        "paths": {
            "/v1/decide": {"post": {
                "summary": "Decide one request (the JSON document a request file holds).",
                "parameters": DECIDE_OPTIONS,
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Request"}}},
                    "description": f"At most {served.MAX_BODY:,} bytes, arriving within {served.BODY_SECONDS:g} s."},
                "responses": {"200": decided, **_problems(400, 401, 403, 408, 413, 415, 422, 500, 503)}}},
            "/v1/decide/batch": {"post": {
                "summary": "Decide JSON Lines, streamed back as JSON Lines (one batch record per line).",
                "parameters": [p for p in DECIDE_OPTIONS if p["name"] != "what_would_change"],
                "requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                                "description": f"At most {served.MAX_BATCH_LINES:,} lines and "
                                               f"{served.MAX_BATCH_BODY:,} bytes."},
                "responses": {"200": {"description": "One record per line, in order.",
                                      "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                              **_problems(400, 401, 403, 408, 413, 415, 503)}}},
            "/v1/decisions": {"get": {
                "summary": "Logged decisions, oldest first, a page at a time.",
                "parameters": [*FILTERS, _query("after", "The cursor of the previous page.", {"type": "integer"}),
                               _query("limit", "Decisions per page (1 to 1,000).", {"type": "integer"})],
                "responses": {"200": {"description": "A page and the next cursor (null: the last page).",
                                      "content": json_object}, **_problems(400, 401, 403, 503)}}},
            "/v1/decisions/{id}": {"get": {
                "summary": "One logged decision, whole, with its trace (Accept: text/html for the report).",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The record.",
                                      "content": {**json_object, "text/html": {"schema": {"type": "string"}}}},
                              **_problems(401, 403, 404, 503)}}},
            "/v1/replay": {"post": {
                "summary": "Replay the log against a rulebase the server is configured to know, as a job.",
                "requestBody": {"required": True, "content": json_object},
                "responses": {"202": {"description": "The job, running.", "content": json_object},
                              **_problems(400, 401, 403, 415, 422)}}},
            "/v1/replay/{id}": {"get": {
                "summary": "A replay job: its progress, and its report when done.",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The job.", "content": json_object},
                              **_problems(401, 403, 404)}}},
            "/v1/rulebase": {"get": {"summary": "The rulebase served: name, digest, policies in force today, "
                                                "assumptions and readings.", "security": [],
                                     "responses": {"200": {"description": "About it.", "content": json_object}}}},
            "/v1/rulebase/reload": {"post": {"summary": "Load and check the folder again; swap it in only if clean.",
                                             "responses": {"200": {"description": "Reloaded.", "content": json_object},
                                                           "422": {"description": "Refused; the old one serves.",
                                                                   "content": json_object},
                                                           **_problems(401, 403)}}},
            "/v1/schema": {"get": {"summary": "The JSON Schema of a request.", "security": [],
                                   "responses": {"200": {"description": "The schema", "content": json_object}}}},
            "/health": {"get": {"summary": "Alive.", "security": [],
                                "responses": {"200": {"description": "Alive.", "content": json_object}}}},
            "/ready": {"get": {"summary": "A rulebase is loaded and the log answers.", "security": [],
                               "responses": {"200": {"description": "Ready.", "content": json_object},
                                             **_problems(503)}}},
            "/metrics": {"get": {"summary": "Prometheus metrics.",
                                 "responses": {"200": {"description": "Prometheus text format.",
                                                       "content": {"text/plain": {"schema": {"type": "string"}}}},
                                               **_problems(401)}}},
            "/openapi.json": {"get": {"summary": "This document.", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1.", "content": json_object}}}},
        },
    }
