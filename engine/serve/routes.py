"""The HTTP surface: a Starlette application over `Service` (engine/serve/service.py), calling `warrant`'s public
API and the decision log's, never pipeline internals (tests/test_layout.py holds it to that).

Every decision is committed to the log before it is answered (group
commit across concurrent requests); bodies are bounded like files (size,
nesting, keys, strings; batches by lines) and read against a deadline, so
a slow or huge body is refused without holding the server; errors are RFC
9457 problem documents (engine/serve/problems.py). One JSON line per
request goes to standard error.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time

from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import warrant
from warrant.serve import problems
from warrant.serve.service import Service

MAX_BODY = 1 << 20                 # one request: the request file limit (README "Limits")
MAX_BATCH_BODY = 64 << 20          # one batch body: 64 MiB
MAX_BATCH_LINES = 100_000          # lines in one batch body
BODY_SECONDS = 10.0                # a body must arrive within this (a slow client is refused, 408)
EXPLAIN = ("none", "refused", "all")
JSON_TYPES = ("application/json",)
LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines",
               "text/plain")


class Refused(Exception):
    """An answer other than 200, made before anything is decided."""

    def __init__(self, response: Response):
        self.response = response


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n", status_code=status,
                    media_type="application/json")


# ---- reading a request -------------------------------------------------------------------------------------
def _media(request: Request, allowed: tuple[str, ...]) -> None:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in allowed:
        raise Refused(problems.problem(415, f"the body is {allowed[0]}, not {kind or 'unstated'}", code="S004"))


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise Refused(problems.problem(413, f"a body of {int(declared):,} bytes; the limit is {limit:,}",
                                               code="R007"))
        except ValueError:
            raise Refused(problems.problem(400, "Content-Length is not a number", code="S004")) from None
    chunks, size = [], 0
    try:
        async with asyncio.timeout(BODY_SECONDS):      # the whole body, however it is split: one deadline
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Refused(problems.problem(413, f"the body is over the limit of {limit:,} bytes",
                                                   code="R007", headers={"Connection": "close"}))
                chunks.append(chunk)
    except TimeoutError:
        raise Refused(problems.problem(408, f"the body did not arrive within {BODY_SECONDS:g} s",
                                       code="S004", headers={"Connection": "close"})) from None
    return b"".join(chunks)


def _options(request: Request) -> dict:
    """The query's options: at, assume (NAME=VALUE, repeated), draft (repeated), explain, what_would_change."""
    query = request.query_params
    unknown = sorted(set(query) - {"at", "assume", "draft", "explain", "what_would_change"})
    if unknown:
        raise Refused(problems.problem(400, f"unknown query parameter {unknown[0]!r}", code="S004"))
    explain = query.get("explain", "all")
    if explain not in EXPLAIN:
        raise Refused(problems.problem(400, f"explain is none, refused or all, not {explain!r}", code="O006"))
    change = query.get("what_would_change", "true" if explain == "all" else "false").lower()
    if change not in ("true", "false", "1", "0"):
        raise Refused(problems.problem(400, f"what_would_change is true or false, not {change!r}", code="S004"))
    at = query.get("at")
    if at is not None:
        try:
            at = dt.date.fromisoformat(at)
        except ValueError:
            raise Refused(problems.problem(400, f"at is a date written YYYY-MM-DD, not {at!r}", code="O002")) from None
    assume = {}
    for pair in query.getlist("assume"):
        name, equals, value = pair.partition("=")
        if not (name and equals and value):
            raise Refused(problems.problem(400, f"assume takes NAME=on, NAME=off or NAME=READING, not {pair!r}",
                                           code="O003"))
        assume[name] = {"on": True, "off": False}.get(value, value)
    return {"at": at, "assume": assume, "drafts": tuple(query.getlist("draft")), "explain": explain,
            "what_would_change": change in ("true", "1")}


def _allowed(service: Service, request: Request, role: str) -> None:
    if service.tokens is None:
        return
    bearer = service.tokens.bearer(request.headers.get("authorization"))
    if bearer is None:
        service.metrics.refused.labels("token").inc()
        raise Refused(problems.problem(401, "a valid bearer token is needed", headers={"WWW-Authenticate": "Bearer"}))
    if role not in bearer.roles:
        service.metrics.refused.labels("role").inc()
        raise Refused(problems.problem(403, f"this token does not have the role {role!r}"))
    request.state.bearer = bearer.name


# ---- deciding ----------------------------------------------------------------------------------------------
def _decided(service: Service, body: bytes, options: dict):
    """On the event loop's thread (one per process, so the engine's per-thread caches stay warm; deciding is
    CPU work under one GIL anyway): the decision and the record to log, not yet committed."""
    served = service.served()
    rulebase = served.rulebase
    if options["explain"] == "all" and options["what_would_change"]:
        started = time.perf_counter()
        decision = rulebase.decide(rulebase.request_from_json(body), at=options["at"], assume=options["assume"],
                                   drafts=options["drafts"])
        return rulebase, decision, time.perf_counter() - started
    prepared = served.prepare(options["explain"], options["at"], options["assume"], options["drafts"])
    answer = prepared.decide(rulebase.request_from_json(body), log=service.log, via="service", commit=False)
    return rulebase, answer, answer.seconds[0]


async def decide(request: Request) -> Response:
    service: Service = request.app.state.service
    _allowed(service, request, "decide")
    _media(request, JSON_TYPES)
    options = _options(request)
    body = await _body(request, MAX_BODY)
    made = _decided(service, body, options)         # on the event loop: CPU-bound, and one GIL a process anyway
    text, log_id, sha, outcome = await service.committer.commit(made)
    request.state.decision = (log_id, outcome)
    return Response(text, media_type="application/json",
                    headers={"Warrant-Decision-Id": log_id, "Warrant-Record-Sha256": sha})


async def decide_batch(request: Request) -> Response:
    """JSON Lines in, JSON Lines out, streamed; each chunk of lines committed to the log before it is sent."""
    service: Service = request.app.state.service
    _allowed(service, request, "decide")
    _media(request, LINES_TYPES)
    options = _options(request)
    if options["what_would_change"]:
        raise Refused(problems.problem(400, "a batch answers batch records: what_would_change goes with "
                                            "POST /v1/decide", code="O005"))
    body = await _body(request, MAX_BATCH_BODY)
    lines = body.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) > MAX_BATCH_LINES:
        raise Refused(problems.problem(413, f"{len(lines):,} lines; a batch body holds at most "
                                            f"{MAX_BATCH_LINES:,}", code="R007"))
    rulebase = service.served().rulebase
    run = rulebase.decide_stream(lines, trace=options["explain"], jobs=1, at=options["at"],
                                 assume=options["assume"], drafts=options["drafts"], log=service.log,
                                 via="service")
    chunks = run.__iter__()
    try:
        first = await run_in_threadpool(next, chunks, None)     # the first chunk: a fault is still a problem
    except warrant.WarrantError as exc:
        if exc.diagnostics[0].code in problems.LOG_FAULTS:
            service.metrics.log_errors.inc()
        raise

    async def rest():
        if first is not None:
            yield first
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
    return StreamingResponse(rest(), media_type="application/x-ndjson")


async def decision(request: Request) -> Response:
    service: Service = request.app.state.service
    _allowed(service, request, "read-log")
    record_id = request.path_params["id"]
    if "text/html" in request.headers.get("accept", ""):
        shown = await run_in_threadpool(service.log.show, record_id)
        return Response(shown.render("html"), media_type="text/html; charset=utf-8")
    return _json(await run_in_threadpool(service.log.record, record_id))


async def decisions(request: Request) -> Response:
    service: Service = request.app.state.service
    _allowed(service, request, "read-log")
    query = request.query_params
    unknown = sorted(set(query) - {"since", "until", "outcome", "rule", "policy", "rulebase", "after", "limit"})
    if unknown:
        raise Refused(problems.problem(400, f"unknown query parameter {unknown[0]!r}", code="S004"))
    try:
        after, limit = int(query.get("after", 0)), int(query.get("limit", 50))
    except ValueError:
        raise Refused(problems.problem(400, "after and limit are whole numbers", code="O013")) from None
    filters = {k: query.get(k) for k in ("since", "until", "outcome", "rule", "policy", "rulebase")}
    page = await run_in_threadpool(lambda: service.log.list(after=after, limit=limit, **filters))
    return _json(page.to_json())


async def replay(request: Request) -> Response:
    service: Service = request.app.state.service
    _allowed(service, request, "admin")
    _media(request, JSON_TYPES)
    body = await _body(request, MAX_BODY)
    try:
        asked = json.loads(body)
    except (ValueError, RecursionError):
        raise Refused(problems.problem(400, "the body is a JSON object: {\"rules\": NAME, ...}", code="R000")) \
            from None
    allowed = {"rules", "at", "assume", "since", "until", "outcome", "rule", "policy", "rulebase"}
    if not isinstance(asked, dict) or "rules" not in asked or set(asked) - allowed:
        raise Refused(problems.problem(422, f"the body is an object with rules (a configured name) and any of "
                                            f"{', '.join(sorted(allowed - {'rules'}))}", code="S003"))
    options = {k: v for k, v in asked.items() if k != "rules"}
    job = await run_in_threadpool(service.start_replay, str(asked["rules"]), options)
    return JSONResponse({"job": job, "status": "running", "href": f"/v1/replay/{job}"}, status_code=202,
                        headers={"Location": f"/v1/replay/{job}"})


async def replay_job(request: Request) -> Response:
    service: Service = request.app.state.service
    _allowed(service, request, "admin")
    job = service.jobs.get(request.path_params["id"])
    if job is None:
        raise Refused(problems.problem(404, "no such replay job", code="S003"))
    return _json(job)


async def about(request: Request) -> Response:
    return _json(request.app.state.service.served().about)


async def schema(request: Request) -> Response:
    return _json(request.app.state.service.served().rulebase.schema())


async def reload(request: Request) -> Response:
    service: Service = request.app.state.service
    _allowed(service, request, "admin")
    result = await run_in_threadpool(service.reload)
    return _json(result, 200 if result["reloaded"] else 422)


async def health(request: Request) -> Response:
    return _json({"status": "alive"})


async def ready(request: Request) -> Response:
    ok, why = await run_in_threadpool(request.app.state.service.ready)
    if ok:
        return _json({"status": "ready", "rulebase": request.app.state.service.current.about["sha256"]})
    return problems.problem(503, f"not ready: {why}", code="L004", headers={"Retry-After": "1"})


async def metrics(request: Request) -> Response:
    service: Service = request.app.state.service
    if service.tokens is not None and service.tokens.bearer(request.headers.get("authorization")) is None:
        service.metrics.refused.labels("token").inc()
        return problems.problem(401, "a valid bearer token is needed", headers={"WWW-Authenticate": "Bearer"})
    body, kind = service.metrics.render()
    return Response(body, media_type=kind)


async def openapi(request: Request) -> Response:
    from warrant.serve.openapi import document
    return _json(document(request.app.state.service.served().rulebase.schema()))


ROUTES = [
    Route("/v1/decide", decide, methods=["POST"]),
    Route("/v1/decide/batch", decide_batch, methods=["POST"]),
    Route("/v1/decisions", decisions, methods=["GET"]),
    Route("/v1/decisions/{id}", decision, methods=["GET"]),
    Route("/v1/replay", replay, methods=["POST"]),
    Route("/v1/replay/{id}", replay_job, methods=["GET"]),
    Route("/v1/rulebase", about, methods=["GET"]),
    Route("/v1/rulebase/reload", reload, methods=["POST"]),
    Route("/v1/schema", schema, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/ready", ready, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]


class _Guard:
    """Pure ASGI middleware: turns every error into a problem document and writes one JSON log line per
    request to standard error (method, path, status, time, decision id, fault id; never a token)."""

    def __init__(self, app, service: Service):
        self.app, self.service = app, service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        state = {"status": 500, "sent": False}
        scope.setdefault("state", {})

        async def sending(message):
            if message["type"] == "http.response.start":
                state["status"], state["sent"] = message["status"], True
            await send(message)
        fault = None
        try:
            await self.app(scope, receive, sending)
        except Exception as exc:  # noqa: BLE001 - the one place a request's error becomes an answer
            response, fault = _answer(exc, self.service)
            if not state["sent"]:
                await response(scope, receive, sending)
        if state["status"] >= 400:
            self.service.metrics.of(self.service.metrics.problems, str(state["status"])).inc()
        line = {"time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "method": scope.get("method"), "path": scope.get("path"), "status": state["status"],
                "ms": round((time.perf_counter() - started) * 1000, 2)}
        decided = scope["state"].get("decision")
        if decided:
            line["decision_id"], line["outcome"] = decided
        fault = fault or scope["state"].get("fault")
        if fault:
            line["fault_id"] = fault
        if scope.get("client"):
            line["client"] = scope["client"][0]
        try:
            sys.stderr.write(json.dumps(line, sort_keys=True) + "\n")
        except (OSError, ValueError):
            pass


def _answer(exc: BaseException, service: Service) -> tuple[Response, str | None]:
    if isinstance(exc, Refused):
        return exc.response, None
    if isinstance(exc, warrant.WarrantError):
        code = exc.diagnostics[0].code
        status = 404 if code in ("L005",) else 400 if code[0] in "OAS" else 422
        return problems.from_warrant_error(exc, status), None
    from starlette.exceptions import HTTPException
    if isinstance(exc, HTTPException):
        return problems.problem(exc.status_code, str(exc.detail)), None
    response, fault = problems.internal(exc)
    import traceback
    sys.stderr.write(json.dumps({"fault_id": fault, "error": f"{type(exc).__name__}: {exc}",
                                 "traceback": traceback.format_exc()}) + "\n")
    return response, fault


def app(rules=None, log: str = "sqlite:///decisions.db", *, tokens: str | None = None,
        replay_rules: dict | None = None, check: bool = True, generation_file: str | None = None):
    """The ASGI application, to run with uvicorn or mount in another ASGI stack: it serves `rules` (a folder,
    files, or None for the default rulebase) and logs every decision to `log`."""
    if isinstance(rules, str):
        rules = [rules]
    service = Service(list(rules or []), log, tokens=tokens, replay_rules=replay_rules, check=check,
                      generation_file=generation_file)
    starlette = Starlette(routes=ROUTES, exception_handlers={404: _not_found, 405: _not_allowed,
                                                             Refused: _handled, warrant.WarrantError: _handled,
                                                             Exception: _handled})
    starlette.state.service = service
    guarded = _Guard(starlette, service)
    guarded.state = starlette.state          # embedding code reaches the service as app.state.service
    return guarded


async def _handled(request, exc):
    """Starlette's handler for every error an endpoint raises: the answer `_answer` makes of it (a fault of
    Warrant's own is logged with its id, which the request's log line carries too)."""
    response, fault = _answer(exc, request.app.state.service)
    if fault:
        request.state.fault = fault
    return response


async def _not_found(request, exc):
    return problems.problem(404, f"no such endpoint: {request.method} {request.url.path}")


async def _not_allowed(request, exc):
    return problems.problem(405, f"{request.method} is not allowed on {request.url.path}")
