"""Batch decisions: JSON Lines in, JSON Lines out, streaming.

Speed comes from reusing work between requests that are alike for every
condition in the rules. Datalog without arithmetic cannot tell apart two
requests whose values relate the same way to every constant in the program
(same symbols where the rules name them, same side of every threshold and
date): an order-preserving renaming that fixes the program's constants maps
one model onto the other. `signature` computes that class; the outcome of
each item is cached per class. Traces carry the request's own values and
where each sits, so a trace is cached only per identical sequence of facts
with their origins. `tests/test_batch.py`
checks cached decisions against fresh ones on a generated batch.
"""
from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
import sys
from dataclasses import dataclass
from json.encoder import encode_basestring as _quote   # json.dumps of one string, ensure_ascii=False

from warrant.pipeline.datalog import FORBID, PERMIT, Compare, Const, Not, Var
from warrant.pipeline.outcome import overall
from warrant.pipeline.decide import decide, decide_outcomes, deciding_rules
from warrant.pipeline.errors import RunFault, WarrantError
from warrant import __version__
from warrant.pipeline.grounding import settings_for
from warrant.pipeline.record import request_digest, rulebase_digest
from warrant.batch import templates
from warrant.batch.templates import MappedSession, Shapes, Template, TemplateMiss
from warrant.pipeline.render.json import decision_to_json
from warrant.pipeline.request import parse_json_line, request_from_data
from warrant.pipeline.values import SYMBOL, kind_of


def order_key(value):
    kind = kind_of(value)
    if kind == "money":
        return value.pence
    if kind == "months":
        return value.count
    if kind == "date":
        return value.toordinal()
    return value


@dataclass
class Abstraction:
    symbols: frozenset
    thresholds: dict          # kind -> sorted constant keys
    relational: bool          # rules compare two request values with each other
    relevance: object = None  # engine/relevance.Relevance, or None: every fact counts
    live_cache: dict = None
    checked: frozenset = frozenset()   # compiled predicates of the fields that key the relevance classes

    @classmethod
    def of(cls, program) -> "Abstraction":
        symbols, thresholds, relational = set(), {}, False
        for atom in program.set_facts:
            symbols.update(a.value for a in atom.args)
        for rule in program.rules.values():
            for literal in rule.body + (rule.head,):
                atom = literal.atom if isinstance(literal, Not) else literal
                terms = (atom.left, atom.right) if isinstance(atom, Compare) else atom.args
                if isinstance(atom, Compare) and all(isinstance(t, Var) for t in terms):
                    relational = True
                for term in terms:
                    if isinstance(term, Const):
                        kind = kind_of(term.value)
                        if kind == SYMBOL:
                            symbols.add(term.value)
                        else:
                            thresholds.setdefault(kind, set()).add(order_key(term.value))
        from warrant.batch.relevance import Relevance
        return cls(frozenset(symbols), {k: sorted(v) for k, v in thresholds.items()}, relational,
                   Relevance.of(program), Bounded(100_000), program.vocabulary.checked)

    def _position(self, value) -> tuple:
        """Where an ordered value falls among the program's constants of its kind."""
        kind = kind_of(value)
        key = order_key(value)
        cuts = self.thresholds.get(kind, [])
        position = bisect.bisect_left(cuts, key)
        return kind, position, position < len(cuts) and cuts[position] == key

    def signature(self, request, date=None) -> tuple:
        """The request's class: equal classes get equal outcomes for every item."""
        renamed: dict = {}
        out = []
        live, relevant = None, None
        if self.relevance is not None:
            checked = tuple(sorted((("u_" + f.predicate), (date if date is not None and f.predicate == "request_date"
                                                            else f.args[0]))
                                   for f in request.facts if "u_" + f.predicate in self.checked))
            # values on the same side of every constant pass the same checks: key the cache by that
            cache_key = tuple((p, v if kind_of(v) == SYMBOL else self._position(v)) for p, v in checked)
            found = self.live_cache.get(cache_key)
            if found is None:
                found = self.live_cache[cache_key] = self.relevance.key(dict(checked))
            live, relevant = found
        for fact in request.facts:
            if relevant is not None and "u_" + fact.predicate not in relevant:
                continue
            args = (date,) if date is not None and fact.predicate == "request_date" else fact.args
            abstract = []
            for value in args:
                kind = kind_of(value)
                if kind == SYMBOL:
                    abstract.append(value if value in self.symbols else renamed.setdefault(value, f"#{len(renamed)}"))
                else:
                    key = order_key(value)
                    cuts = self.thresholds.get(kind, [])
                    position = bisect.bisect_left(cuts, key)
                    exact = position < len(cuts) and cuts[position] == key
                    abstract.append((kind, position, exact, key if self.relational else None))
            out.append((fact.predicate, tuple(abstract)))
        return (live, tuple(sorted(out, key=repr)), request.items, request.assume, request.drafts)

    def item_keys(self, request, date=None) -> list:
        """One key per requested item, when items are decided independently (see `items_independent`)."""
        live, facts, items, assume, drafts = self.signature(request, date)
        return [(live, facts, item, assume, drafts) for item in items]


def items_independent(program) -> bool:
    """True when no rule looks at the requested items other than its own `Item`.

    Then each item's outcome depends only on the other facts and the item
    itself, and can be cached per item.
    """
    for rule in program.rules.values():
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Not) else literal
            if isinstance(atom, Compare) or atom.predicate != "u_requested":
                continue
            if rule.kind not in ("permit", "forbid") or atom.args[0] != rule.head.args[0] or isinstance(literal, Not):
                return False
    return True


class Bounded(dict):
    """A dict that forgets its oldest half when full, so a cache never grows with the batch."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def __setitem__(self, key, value) -> None:
        if len(self) >= self.limit:
            for old in list(self)[: self.limit // 2]:
                del self[old]
        super().__setitem__(key, value)


class BatchDecider:
    """Decides many requests against one rulebase, reusing work where it is exact to do so."""

    def __init__(self, rulebase, trace: str = "refused", at=None, assume=None, drafts=()):
        if trace not in ("none", "refused", "all"):
            raise WarrantError.at("O006", f"--trace is none, refused or all, not {trace!r}")
        self.rulebase = rulebase
        self.trace = trace
        self.at, self.assume, self.drafts = at, dict(assume or {}), tuple(drafts)
        self.abstraction = Abstraction.of(rulebase.program)
        self.outcomes: dict = Bounded(200_000)
        self.item_outcomes: dict = Bounded(200_000)
        self.per_item = items_independent(rulebase.program)
        self.traces: dict = Bounded(2_000)      # whole traces are large; only exact repeats hit
        self.settings: dict = Bounded(10_000)    # (request's assume, drafts) -> settings in effect
        self.shapes = Shapes(rulebase.program, at)
        self.templates: dict = Bounded(2_000)    # (class, reads, shape) -> the engine's answers (batch/templates.py)
        self.read_sets: dict = Bounded(20_000)   # outcome class -> the `reads` its templates were keyed by
        self.template_hits = 0
        self.digest = rulebase_digest(rulebase)
        self.evaluations = 0

    def _traced(self, request, key):
        """A decision with its trace: from a template of the request's shape, else fresh (recording one).

        Templates are keyed by the request's outcome class `key` (which fixes
        the engine's answers about permissions and prohibitions) and by the
        shape of only the facts the recorded answers depend on
        (`templates.reads`), so requests that differ elsewhere share one.
        """
        options = dict(at=self.at, assume=self.assume, drafts=self.drafts)
        for reads in self.read_sets.get(key, ()):
            shape, free = self.shapes.of(request, reads)
            template = self.templates.get((key, reads, shape))
            if template is None:
                continue
            try:
                mapped = MappedSession(template, free)
                decision = decide(self.rulebase, request, session=lambda atoms: contextlib.nullcontext(mapped),
                                  **options)
                self.template_hits += 1
                return decision
            except TemplateMiss:
                break
        opened = []

        @contextlib.contextmanager
        def recording(atoms):
            with self.rulebase.engine.session(atoms) as session:
                opened.append(session)
                yield session

        self.evaluations += 1
        decision = decide(self.rulebase, request, session=recording, **options)
        answers = dict(opened[0]._answers)
        reads = templates.reads(self.rulebase.program, answers, (PERMIT, FORBID))
        known = self.read_sets.get(key, ())
        if reads not in known:
            self.read_sets[key] = (known + (reads,))[-8:]      # a class's few ways of being traced
        shape, free = self.shapes.of(request, reads)
        self.templates[(key, reads, shape)] = Template(free, answers)
        return decision

    def decide_record(self, request) -> dict:
        """One output record: id, outcome, item outcomes, the trace if asked for, and the decision record."""
        found = self._decide_record(request)
        found["record"] = self.record(request)
        return found

    def record(self, request) -> dict:
        """engine/pipeline/record.py for one request, the settings per request's own switches (cached)."""
        settings = self.settings.get((request.assume, request.drafts))
        if settings is None:
            switches, drafts = settings_for(self.rulebase, request, self.assume, self.drafts)
            settings = self.settings[(request.assume, request.drafts)] = (dict(sorted(switches.items())),
                                                                           sorted(drafts))
        return {"warrant": __version__, "rulebase": self.digest, "request_sha256": request_digest(request),
                "settings": {"date": (self.at or request.date).isoformat(), "assumptions": settings[0],
                             "drafts": settings[1]}}

    def _decide_record(self, request) -> dict:
        if self.trace == "none":
            return self._summary(request.id, self.outcome(request))
        key = self.abstraction.signature(request, self.at)
        cached = self.outcomes.get(key)
        wants_trace = self.trace == "all" or (self.trace == "refused" and (cached is None or cached[0] != "permitted"))
        if wants_trace:
            # A trace names each fact's origin (`subject.convictions[1]`), so it is reused only for a
            # request with the same facts at the same places: the ordered facts with their origins.
            exact = (request.facts, request.items, request.assume, request.drafts)
            data = self.traces.get(exact)
            if data is None:
                decision = self._traced(request, key)
                data = decision_to_json(decision)
                self.traces[exact] = data
                self.outcomes[key] = (decision.outcome, deciding_rules(decision))
            if self.trace == "refused" and data["outcome"] == "permitted":
                return _summary_of_trace(request.id, data)
            return {**data, "request": request.id}
        return self._summary(request.id, cached if cached is not None else self.outcome(request))

    def outcome(self, request) -> tuple:
        """(overall, ((item, outcome, deciding rule), ...)) for a request, from the class caches."""
        if self.per_item:
            keys = self.abstraction.item_keys(request, self.at)
            found = [self.item_outcomes.get(k) for k in keys]
            if None in found:
                self.evaluations += 1
                whole, items = decide_outcomes(self.rulebase, request, at=self.at, assume=self.assume,
                                               drafts=self.drafts)
                for key, row in zip(keys, items):
                    self.item_outcomes[key] = row
                return whole, items
            return overall(o for _, o, _ in found).value, tuple(found)
        key = self.abstraction.signature(request, self.at)
        cached = self.outcomes.get(key)
        if cached is None:
            self.evaluations += 1
            cached = self.outcomes[key] = decide_outcomes(self.rulebase, request, at=self.at, assume=self.assume,
                                                          drafts=self.drafts)
        return cached

    @staticmethod
    def _summary(request_id: str, cached) -> dict:
        outcome, items = cached
        return {"request": request_id, "outcome": outcome,
                "items": [{"item": item, "outcome": result} for item, result, _ in items]}


def _summary_of_trace(request_id: str, data: dict) -> dict:
    """The summary record of a decision already rendered as a trace (the trace is the evidence)."""
    return {"request": request_id, "outcome": data["outcome"],
            "items": [{"item": i["item"], "outcome": i["outcome"]} for i in data["items"]]}


def decide_lines(rulebase, lines, start: int = 1, **options):
    """Yield one output record per input line; a bad line yields an error record and the batch goes on.

    Records out equal lines in, always: an empty line, bytes that are not
    UTF-8 or a line past a limit each become that line's error record.
    """
    decider = options.pop("decider", None) or BatchDecider(rulebase, **options)
    for number, line in enumerate(lines, start):
        try:
            if not line.strip():
                raise WarrantError.at("R000", "an empty line; every line of a batch is one request")
            _utf8(line)
            request = request_from_data(parse_json_line(line), default_id=f"line-{number}",
                                        vocabulary=rulebase.program.vocabulary)
            yield decider.decide_record(request)
        except WarrantError as exc:
            yield {"line": number, "error": [d.to_json() for d in exc.diagnostics]}


def _utf8(line: str) -> None:
    """A line read with surrogateescape holds lone surrogates exactly where its bytes were not UTF-8."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise WarrantError.at("R000", f"not UTF-8 text (at character {exc.start + 1})") from None


def encode(record: dict) -> tuple[int, str]:
    """(severity, JSON line): 0 permitted, 1 refused in part or whole, 2 a bad line."""
    severity = 2 if "error" in record else 0 if record["outcome"] == "permitted" else 1
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


CHUNK = 500           # lines a worker takes at a time: small enough that two workers share a 3,000-line batch evenly
_WORKER: dict = {}    # per process: the rulebase and options inherited at fork, and the worker's own decider


def _decide_block(decider, rulebase, start: int, lines: list) -> tuple[bytes, str]:
    """(one severity byte per line, the lines' records as one text): what a chunk comes back as."""
    severities, out = bytearray(), []
    for record in decide_lines(rulebase, lines, start, decider=decider):
        severity, line = encode(record)
        severities.append(severity)
        out.append(line)
    return bytes(severities), "".join(out)


def _decide_chunk(task) -> tuple[bytes, str]:
    start, lines = task
    if "decider" not in _WORKER:
        _WORKER["decider"] = BatchDecider(_WORKER["rulebase"], **_WORKER["options"])
    return _decide_block(_WORKER["decider"], _WORKER["rulebase"], start, lines)


def _chunks(lines, size: int):
    chunk, start = [], 1
    for number, line in enumerate(lines, 1):
        chunk.append(line)
        if len(chunk) == size:
            yield start, chunk
            chunk, start = [], number + 1
    if chunk:
        yield start, chunk


def encoded_records(rulebase, lines, jobs: int = 1, tick=None, **options):
    """Decide a stream of lines, in order: (severity, JSON line) per line (see `encoded_blocks`)."""
    for severities, text in encoded_blocks(rulebase, lines, jobs, tick, **options):
        yield from zip(severities, (line + "\n" for line in text.split("\n")[:-1]))   # JSON escapes newlines


def encoded_blocks(rulebase, lines, jobs: int = 1, tick=None, **options):
    """Decide a stream of lines, in order, with `jobs` worker processes (0: one per core).

    Yields (severity byte per line, the records as one text) per chunk of
    lines: a worker sends a chunk back as one string, so the parent, which
    shares the cores with the workers, does not touch each line. Workers are
    forked after the rulebase is loaded, each keeps its own class caches,
    and at most two chunks per worker are in flight, so memory stays flat
    however long the input. Output order is input order.
    """
    jobs = jobs or os.cpu_count() or 1
    chunks = _chunks(lines, CHUNK)
    first = next(chunks, None)
    if first is None:
        return
    if jobs == 1 or len(first[1]) < CHUNK:          # small or serial: no processes
        decider = BatchDecider(rulebase, **options)
        for start, block in itertools.chain([first], chunks):   # lazily: the input is streamed
            yield _decide_block(decider, rulebase, start, block)
            if tick:
                tick(len(block))
        return
    from warrant.batch.pool import WorkerDied, WorkerFailed, ordered_map
    from warrant.pipeline.errors import InternalError
    BatchDecider(rulebase, **options)                 # validate options before forking
    rulebase.engine                                   # build it once, in the parent, before the fork
    _WORKER.clear()
    _WORKER.update(rulebase=rulebase, options=options)
    parent = os.getpid()
    try:
        for (start, block), result in ordered_map(_decide_chunk, itertools.chain([first], chunks), jobs,
                                                  start=lambda: _worker_start(parent)):
            if tick:
                tick(len(block))
            yield result
    except WorkerDied as died:
        start, block = died.task
        raise RunFault(f"a worker process died (killed, or out of memory) while deciding lines {start}-"
                       f"{start + len(block) - 1}; the batch was stopped and no output was kept") from None
    except WorkerFailed as failed:
        raise InternalError(f"a batch worker failed: {failed}") from None


def _worker_start(parent: int) -> None:
    """In each worker: die with the parent, and leave Ctrl-C and SIGTERM to the parent to handle."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)    # PR_SET_PDEATHSIG: the kernel ends us when the parent dies
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:                          # the parent died before the line above took effect
        os._exit(1)


def run_batch_cli(rulebase, path: str, out: str | None, trace: str, jobs: int, at, assume, drafts) -> int:
    """`warrant decide --batch`: stream decisions; exit 0 all permitted, 1 any refused, 2 any bad line."""
    import contextlib

    from warrant.pipeline.files import atomic_stream
    from warrant.batch.progress import progress_over
    worst = 0
    count = 0
    with (atomic_stream(out) if out else contextlib.nullcontext(sys.stdout)) as sink:
        with progress_over(path, "deciding") as (source, tick):
            for severities, text in encoded_blocks(rulebase, source, jobs, tick, trace=trace, at=at, assume=assume,
                                                   drafts=drafts):
                count += len(severities)
                worst = max(worst, max(severities))
                sink.write(text)
    if out:
        print(f"decided {count} line(s) -> {out}", file=sys.stderr)
    return worst
