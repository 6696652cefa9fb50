"""The decision service: `warrant serve`, on the public API and the decision log.

    >>> from warrant.serve import app                       # an ASGI application to mount or run
    >>> application = app("rules", "sqlite:///decisions.db")  # doctest: +SKIP

The parts: `routes.py` (the application: routes, bounded bodies, the log line per request),
`service.py` (the rulebase served, reload, replay jobs), `auth.py`
(tokens), `problems.py` (RFC 9457), `metrics.py` (Prometheus),
`openapi.py` (the OpenAPI 3.1 document), `run.py` (uvicorn, workers,
SIGHUP).
"""
from __future__ import annotations

from warrant.serve.routes import app
from warrant.serve.run import serve

__all__ = ["app", "serve"]
