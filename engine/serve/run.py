"""Running the service: checks before binding, then uvicorn (one process, or N workers sharing the log).

Everything that can be wrong is found before the port is bound: the rule
folder (checked, invariants included), the log (opened and migrated), the
token file, and the address (without a token file only loopback is
served). SIGHUP reloads the rulebase in a one-process server; with
`--workers N` the workers share the log and a generation file through
which a reload (POST /v1/rulebase/reload) reaches every worker.
"""
from __future__ import annotations

import ipaddress
import json
import os
import signal
import tempfile
import threading

import warrant

ENVIRONMENT = "WARRANT_SERVE"          # the settings a worker process reads (workers are started by import)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(rules=None, log: str = "sqlite:///decisions.db", *, host: str = "127.0.0.1", port: int = 8181,
          workers: int = 1, tokens: str | None = None, replay_rules: dict | None = None,
          ssl_certfile: str | None = None, ssl_keyfile: str | None = None, access_log: bool = False) -> None:
    """Run the service until stopped (SIGINT or SIGTERM)."""
    import uvicorn
    from warrant.serve.routes import app
    if tokens is None and not _loopback(host):
        raise warrant.WarrantError.at("S002", f"without a token file (--tokens) the service serves loopback only, "
                                              f"not {host}", notes=("make one with `warrant token NAME --role "
                                                                    "decide`",))
    if not 1 <= workers <= 64:
        raise warrant.WarrantError.at("O013", f"--workers is 1 to 64, not {workers}")
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise warrant.WarrantError.at("S002", "TLS needs both --ssl-certfile and --ssl-keyfile")
    settings = {"rules": list(rules or []), "log": log, "tokens": tokens, "replay_rules": replay_rules or {}}
    tls = {"ssl_certfile": ssl_certfile, "ssl_keyfile": ssl_keyfile} if ssl_certfile else {}
    if workers == 1:
        application = app(settings["rules"], log, tokens=tokens, replay_rules=replay_rules)
        _reload_on_sighup(application.state.service)
        uvicorn.run(application, host=host, port=port, log_level="warning", access_log=access_log, **tls)
        return
    shared = tempfile.mkdtemp(prefix="warrant-serve-")
    metrics_dir = os.path.join(shared, "metrics")
    os.mkdir(metrics_dir)
    settings["generation_file"] = os.path.join(shared, "generation")
    app(settings["rules"], log, tokens=tokens, replay_rules=replay_rules).state.service.close()   # fail early
    os.environ[ENVIRONMENT] = json.dumps(settings)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run("warrant.serve.run:from_environment", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=access_log, **tls)
    finally:
        import shutil
        shutil.rmtree(shared, ignore_errors=True)


def from_environment():
    """A worker's application, from the settings `serve` left in the environment."""
    from warrant.serve.routes import app
    settings = json.loads(os.environ[ENVIRONMENT])
    return app(settings["rules"], settings["log"], tokens=settings["tokens"], replay_rules=settings["replay_rules"],
               check=False, generation_file=settings["generation_file"])


def _reload_on_sighup(service) -> None:
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return

    def reload(signum, frame):
        threading.Thread(target=service.reload, name="sighup-reload", daemon=True).start()
    signal.signal(signal.SIGHUP, reload)
