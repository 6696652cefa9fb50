"""The service's state: the rulebase being served (swapped whole on reload), the decision log, the token file,
prepared options per kind of request, replay jobs and metrics. Built on `warrant`'s public API alone.

Reload loads and checks the folder (invariants included) and swaps only a
clean rulebase in; a request holds the rulebase it started on to the end,
and every log record names the digest that decided it. With several
worker processes a reload is announced through a generation file the
workers share: each sees it on its next request and loads the folder too.
"""
from __future__ import annotations

import datetime as dt
import threading
import uuid

import warrant
from warrant.serve.auth import Tokens
from warrant.serve.committer import Committer, committed
from warrant.serve.metrics import Metrics

MAX_PREPARED = 64           # distinct option sets (explain, at, assume, drafts) kept prepared per rulebase
MAX_JOBS = 16               # replay jobs remembered (finished ones are dropped oldest first)


class Served:
    """One loaded, checked rulebase and its prepared option sets."""

    def __init__(self, rulebase: "warrant.Rulebase"):
        self.rulebase = rulebase
        self.about = rulebase.about()
        self.prepared: dict = {}
        self._lock = threading.Lock()

    def prepare(self, explain: str, at, assume: dict, drafts: tuple):
        key = (explain, at, tuple(sorted(assume.items())), drafts)
        found = self.prepared.get(key)
        if found is None:
            with self._lock:
                found = self.prepared.get(key)
                if found is None:
                    if len(self.prepared) >= MAX_PREPARED:
                        self.prepared.clear()
                    found = self.prepared[key] = self.rulebase.prepare(trace=explain, at=at, assume=assume,
                                                                       drafts=drafts)
        return found


class Service:
    def __init__(self, rules: list[str], log_url: str, *, tokens: str | None = None,
                 replay_rules: dict | None = None, check: bool = True, generation_file: str | None = None):
        self.rules = list(rules)
        self.log = warrant.DecisionLog(log_url).open()
        self.tokens_path = tokens
        self.tokens = Tokens.read(tokens) if tokens else None
        self.replay_rules = dict(replay_rules or {})
        self.check = check
        self.metrics = Metrics()
        self.committer = Committer(lambda group: committed(self, group))
        self.generation_file = generation_file
        self._generation = self._read_generation()
        self._reload_lock = threading.Lock()
        self.current = Served(self._load_checked())
        self.metrics.serving(self.current.about["name"], self.current.about["sha256"], None)
        self.jobs: dict = {}
        _settle_memory()

    # ---- the rulebase ------------------------------------------------------------------------------------
    def _load_checked(self) -> "warrant.Rulebase":
        rulebase = warrant.load(self.rules or None, cache=True)
        if self.check:
            report = rulebase.check(invariants=True)
            if not report.ok:
                raise warrant.WarrantError(report.diagnostics)
        return rulebase

    def served(self) -> Served:
        """The rulebase to decide a request with; a reload another worker announced is picked up here."""
        if self.generation_file is not None:
            seen = self._read_generation()
            if seen != self._generation:
                self._generation = seen
                self._follow(seen)
        return self.current

    def reload(self) -> dict:
        """Load and check the folder again; swap it in only if it is clean. The answer says which."""
        with self._reload_lock:
            old = self.current.about
            try:
                fresh = Served(self._load_checked())
            except warrant.WarrantError as exc:
                self.metrics.reloads.labels("refused").inc()
                return {"reloaded": False, "serving": {"name": old["name"], "sha256": old["sha256"]},
                        "errors": [d.to_json() for d in exc.diagnostics]}
            if self.tokens_path:
                self.tokens = Tokens.read(self.tokens_path)
            self.current = fresh
            self.metrics.serving(fresh.about["name"], fresh.about["sha256"], (old["name"], old["sha256"] or "none"))
            self.metrics.reloads.labels("done").inc()
            _settle_memory(reloaded=True)
            self._announce(fresh.about["sha256"])
            return {"reloaded": True, "serving": {"name": fresh.about["name"], "sha256": fresh.about["sha256"]},
                    "previous": {"name": old["name"], "sha256": old["sha256"]}}

    def _follow(self, announced: str | None) -> None:
        with self._reload_lock:
            if announced and announced.split()[-1] != self.current.about["sha256"]:
                try:
                    fresh = Served(warrant.load(self.rules or None, cache=True))
                except warrant.WarrantError:
                    return                                  # changed again since it was checked: keep serving
                if fresh.about["sha256"] == announced.split()[-1]:
                    old = self.current.about
                    self.current = fresh
                    _settle_memory(reloaded=True)
                    self.metrics.serving(fresh.about["name"], fresh.about["sha256"],
                                         (old["name"], old["sha256"] or "none"))

    def _read_generation(self) -> str | None:
        if self.generation_file is None:
            return None
        try:
            with open(self.generation_file, encoding="utf-8") as handle:
                return handle.read().strip() or None
        except OSError:
            return None

    def _announce(self, sha256: str | None) -> None:
        if self.generation_file is None:
            return
        text = f"{uuid.uuid4().hex} {sha256}"
        warrant.write_atomic(self.generation_file, text + "\n")
        self._generation = text

    # ---- readiness and replay jobs --------------------------------------------------------------------------
    def ready(self) -> tuple[bool, str]:
        """Ready: a rulebase is loaded and the log answers (its chain's head can be read)."""
        try:
            self.log.list(limit=1)
        except warrant.WarrantError as exc:
            return False, exc.diagnostics[0].message
        return True, "ready"

    def start_replay(self, rules_name: str, options: dict) -> str:
        folder = self.replay_rules.get(rules_name)
        if folder is None:
            known = ", ".join(sorted(self.replay_rules)) or "none (start the server with --replay-rules NAME=DIR)"
            raise warrant.WarrantError.at("S003", f"no rulebase {rules_name!r} is configured for replay; known: "
                                                  f"{known}")
        rulebase = warrant.load(folder)
        job = uuid.uuid4().hex[:16]
        state = {"id": job, "status": "running", "rules": rules_name, "done": 0,
                 "started": dt.datetime.now(dt.timezone.utc).isoformat()}
        if len(self.jobs) >= MAX_JOBS:
            for old in [k for k, v in self.jobs.items() if v["status"] != "running"][:len(self.jobs) - MAX_JOBS + 1]:
                del self.jobs[old]
        self.jobs[job] = state

        def tick(count: int = 1) -> None:
            state["done"] += count

        def run() -> None:
            try:
                log = warrant.DecisionLog(self.log.url)
                found = log.replay(rulebase, progress=False, on_progress=tick, jobs=1, **options)
                state.update(status="done", result=found.to_json())
                log.close()
            except warrant.WarrantError as exc:
                state.update(status="failed", errors=[d.to_json() for d in exc.diagnostics])
            except Exception as exc:  # noqa: BLE001 - a job's fault is reported in the job, not lost
                state.update(status="failed", errors=[{"code": "internal", "message": f"{type(exc).__name__}: "
                                                                                       f"{exc}"}])
        threading.Thread(target=run, name=f"replay-{job}", daemon=True).start()
        return job

    def close(self) -> None:
        self.committer.close()
        self.log.close()


def _settle_memory(reloaded: bool = False) -> None:
    """Keep the loaded rulebase out of Python's cyclic garbage collector: collected once, then frozen (it
    lives as long as it is served), so a full collection scans what serving made, not the rulebase too.
    Full collections were the spikes of a server's latency (at 8 clients, one worker's worst of 2,000
    decisions was 100-230 ms; with collection off, 17 ms). A reload thaws everything first, so the
    rulebase it replaced is collected, then freezes what is served now."""
    import gc
    if reloaded:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
