"""Warrant's public API: load a rulebase once, then decide, check and diff from Python.

    >>> import warrant
    >>> rb = warrant.load()                                    # the shipped rulebase
    >>> decision = rb.decide("examples/requests/mou_tracing.json")
    >>> decision.outcome
    <Outcome.PERMITTED: 'permitted'>
    >>> [(item.item, item.outcome.value) for item in decision.items]
    [('name', 'permitted')]

Everything here is what the `warrant` command itself uses; nothing else in
the package is promised to stay as it is. A `Rulebase` is loaded once
(`prepare`, like OPA's `PrepareForEval`) and asked many times; per-decision
options (`at`, `assume`, `drafts`) are arguments of `decide`, never state.

Threads: a `Rulebase` may be shared. Each thread gets its own pyDatalog
logic on its first decision (pyDatalog's state is per thread), so
decisions in different threads run side by side with no lock between
them; within one thread they run one after another. Python's GIL still
serialises the pure-Python work, so threads help a server stay responsive
rather than decide faster; for throughput use `decide_many(..., jobs=N)`,
which forks worker processes.

Errors: a fault in what the caller gave (a request, a rule file, an
option) raises `WarrantError`, whose `.diagnostics` carry a code, a message
and a span; a fault of Warrant's own raises `InternalError`.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from warrant._reports import Comparison, Differences, Formatting, Impact, Listing, Report, Suite
from warrant.author.names import Name, NameIndex, NameUse
from warrant.log import DecisionLog
from warrant.pipeline.errors import Diagnostic, InternalError, RunFault, Span, Terminated, WarrantError
from warrant.pipeline.outcome import Outcome, Reason, combine, overall

__all__ = ["load", "check", "diff", "format_files", "format_text", "names", "init", "write_atomic", "Rulebase",
           "Decision", "ItemOutcome", "NameIndex", "Name", "NameUse",
           "Report", "Comparison", "Impact", "Differences", "Suite", "Formatting", "Listing", "Batch", "Outcome",
           "Reason", "combine", "overall", "render", "exit_code", "WarrantError", "InternalError", "RunFault",
           "Terminated", "Diagnostic", "Span", "FORMATS", "DEFAULT_TIME_LIMIT", "MAX_TIME_LIMIT", "DecisionLog",
           "Prepared", "Answer"]

FORMATS = ("text", "json", "markdown", "dot", "html")


def _limits():
    from warrant.analysis.budget import DEFAULT_SECONDS, MAX_SECONDS
    return DEFAULT_SECONDS, MAX_SECONDS


DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT = _limits()      # seconds: the bound on one check or diff (README "Limits")

_YOURS = (WarrantError, InternalError, RunFault, OSError, MemoryError)   # raised as they are: not our bug


def _internal(exc: Exception) -> InternalError:
    return InternalError(f"{type(exc).__name__}: {exc}")


def _public(function):
    """Every fault of Warrant's own leaves the API as `InternalError` (a stray KeyError is a bug in Warrant,
    not something a caller should catch by type); the caller's faults stay `WarrantError`. A generator
    is guarded while it is iterated."""
    import functools
    import inspect

    if inspect.isgeneratorfunction(function):
        @functools.wraps(function)
        def generator(*args, **kwargs):
            try:
                yield from function(*args, **kwargs)
            except _YOURS:
                raise
            except Exception as exc:  # noqa: BLE001 - the API boundary
                raise _internal(exc) from exc
        return generator

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except _YOURS:
            raise
        except Exception as exc:  # noqa: BLE001 - the API boundary
            raise _internal(exc) from exc
    return wrapper


@_public
def load(rules: str | os.PathLike | Iterable[str | os.PathLike] | None = None, *, cache: bool = True,
         texts: Mapping[str, str] | None = None) -> "Rulebase":
    """Parse, check and compile a rulebase (a folder, files, or None for the default the CLI uses).

    `texts` maps a rule file's path to its text as an editor holds it,
    unsaved, as `check(texts=)` does (such a rulebase is not cached). Raises
    `WarrantError` with every error found when the rules do not check; use
    `check()` to get the diagnostics as data instead."""
    from warrant.pipeline.rulebase import load_rulebase, resolve_rules
    paths = resolve_rules(_paths(rules))
    return Rulebase(load_rulebase(paths, cache=cache, texts=_texts(texts)), paths)


@_public
def check(rules: str | os.PathLike | Iterable[str | os.PathLike] | None = None, *, invariants: bool = True,
          time_limit: float | None = None, counterexamples: str | os.PathLike | None = None,
          outcome_redundancy: bool = False, texts: Mapping[str, str] | None = None, jobs: int = 1) -> Report:
    """Every finding of `warrant check` on some rule files, as data: never raises for the author's errors.

    `invariants=False` skips the exact analysis (proofs and findings C129-C132);
    `counterexamples` names a folder to write each violated invariant's
    counter-example into (nothing is written without it); `outcome_redundancy`
    adds C133; `time_limit` bounds the exact analysis (seconds). `texts` maps
    a rule file's path to its text as an editor holds it, unsaved: read
    instead of the disk (a path not on disk is added to the rulebase). A
    diagnostic's `related` spans are the other places it names. `jobs` > 1
    (0: one per core) lets a long exact analysis fork worker processes: only
    from a program with no other threads (as the CLI is); the default keeps
    to this one."""
    from warrant.author.lint import lint
    from warrant.pipeline.record import files_digest
    from warrant.pipeline.rulebase import resolve_rules, rule_files
    if counterexamples is not None and not invariants:
        raise WarrantError.at("O005", "counter-examples come from the invariants: drop --no-invariants")
    if outcome_redundancy and not invariants:
        raise WarrantError.at("O005", "outcome redundancy (C133) is an exact finding: drop --no-invariants")
    chosen = resolve_rules(_paths(rules))
    report = lint(chosen, invariants, os.fspath(counterexamples) if counterexamples is not None else None,
                  outcome_redundancy, _time_limit(time_limit), _texts(texts), _jobs(jobs) or os.cpu_count() or 1)
    digest = files_digest(rule_files(chosen), chosen[0] if len(chosen) == 1 and os.path.isdir(chosen[0]) else None)
    return Report(tuple(report.diagnostics), tuple(r.to_json() for r in report.invariants), digest, report)


@_public
def diff(before: "Rulebase | str | None" = None, after: "Rulebase | str | None" = None, *,
         rules: str | os.PathLike | Iterable[str | os.PathLike] | None = None, at: Iterable[_dt.date | str] = (),
         assume: Mapping[str, bool | str] | None = None, drafts: Iterable[str] = (),
         time_limit: float | None = None, progress: bool = True, regions: str = "cause") -> Differences:
    """Every difference in the decisions of two rulebases, dates or settings (`warrant diff`), by cause.

    Each difference is a rule that starts or stops applying (or deciding)
    and the items whose outcome (or legal basis) that changes, with a
    witness the engine confirms. `regions="all"` also searches the raw
    regions: every class of requests decided differently, field by field.

    `before`/`after`: a loaded `Rulebase`, a folder, or `REV:FOLDER` for a git
    revision (read into a private folder and removed after); either omitted
    is `rules` (default: the rulebase `load()` picks). With one rulebase the
    options are the change: two `at` dates, or `assume` compared with its
    opposite (a reading: with the default reading, or a `(before, after)`
    pair of readings), or `drafts` off against on."""
    from warrant.analysis.budget import Budget, bounded
    from warrant.analysis.diff import diff as run_diff, scenarios
    from warrant.analysis.revision import checkout, is_revision
    from warrant.pipeline.record import files_digest, rulebase_digest
    from warrant.pipeline.rulebase import load_rulebase, resolve_rules
    if before is not None and after is not None and rules is not None:
        raise WarrantError.at("O005", "name two rulebases or --rules, not both: --rules would be ignored")
    temporary = []
    try:
        def side(spec):             # a rulebase is named as every record names it (a revision: as given)
            if isinstance(spec, Rulebase):
                return spec._loaded, rulebase_digest(spec._loaded)["rules"]
            if spec is None:
                loaded = load_rulebase(resolve_rules(_paths(rules)))
                return loaded, rulebase_digest(loaded)["rules"]
            spec = os.fspath(spec)
            if is_revision(spec):
                temporary.append(checkout(spec))
                try:
                    loaded = load_rulebase([temporary[-1].path], cache=False)
                except WarrantError as exc:
                    raise temporary[-1].relocated(exc) from None
                digest = files_digest(loaded.files, temporary[-1].path)     # read now: the folder goes below
                return loaded.with_digest({**digest, "rules": spec}), spec
            loaded = load_rulebase([spec])
            return loaded, rulebase_digest(loaded)["rules"]
        old, old_label = side(before)
        new, new_label = side(after) if (after is not None or before is not None) else (old, old_label)
        left, right = scenarios(old, new, old_label, new_label, [_date(d) for d in at], dict(assume or {}),
                                tuple(drafts))
        with bounded(Budget(_time_limit(time_limit), "diff", show_progress=progress)):
            if regions not in ("cause", "all"):
                raise WarrantError.at("O010", f"--regions is cause or all, not {regions!r}")
            return Differences(run_diff(left, right, regions))
    finally:
        for revision in temporary:
            revision.remove()


@_public
def format_files(paths: str | os.PathLike | Iterable[str | os.PathLike] | None = None, *, write: bool = True,
                 show_diff: bool = False) -> Formatting:
    """Rewrite rule files in the canonical layout (`warrant fmt`), atomically and only those that change.

    `write=False` changes nothing and reports what would change; `show_diff`
    keeps each change as a unified diff (and implies `write=False`)."""
    from warrant.author.format import format_paths
    from warrant.pipeline.rulebase import resolve_rules
    write = write and not show_diff          # showing what would change never changes it
    report = format_paths(resolve_rules(_paths(paths)), write=write, diff=show_diff)
    return Formatting(tuple(report.changed), report.unchanged, tuple(report.errors), not write, show_diff)


@_public
def format_text(text: str, file: str = "<text>") -> str:
    """One rule file's text in the canonical layout (`warrant fmt` on text), comments kept.

    Raises `WarrantError` (located in `file`) when the text does not parse."""
    from warrant.author.format import format_text as canonical
    from warrant.pipeline.parse import parse_held
    parse_held(text, file)                  # bounded like a file, and the syntax error located
    return canonical(text, file)


@_public
def names(rules: str | os.PathLike | Iterable[str | os.PathLike] | None = None, *,
          texts: Mapping[str, str] | None = None) -> NameIndex:
    """Every name of a rulebase: where each is declared and used, with the exact span of each occurrence.

    The index an editor needs for hover, go to definition, references,
    rename, symbols and completion (`NameIndex`: `names`, `uses`, `at(file,
    line, column)`, `declared(kind, name)`, `uses_of(kind, name)`). `texts` as
    for `check`. A file that does not parse is listed in `unparsed` and
    contributes no names; never raises for the author's errors."""
    from warrant.author.names import build_index
    from warrant.pipeline.parse import parse_held
    from warrant.pipeline.rulebase import resolve_rules, rule_files
    held = _texts(texts) or {}
    chosen = resolve_rules(_paths(rules))
    try:
        files = rule_files(chosen)
    except WarrantError:
        files = []
    files += [path for path in held if path not in files]
    parsed, unparsed = [], []
    for path in files:
        try:
            text = held[path] if path in held else _read_rule_file(path)
            parsed.append((parse_held(text, path), text))
        except (WarrantError, OSError, UnicodeDecodeError):
            unparsed.append(path)
    return build_index(parsed, tuple(unparsed))


def _read_rule_file(path: str) -> str:
    from warrant.pipeline.limits import MAX_RULE_FILE_BYTES
    with open(path, encoding="utf-8") as handle:
        text = handle.read(MAX_RULE_FILE_BYTES + 1)
    if len(text) > MAX_RULE_FILE_BYTES:
        raise WarrantError.at("W006", f"{path} is over {MAX_RULE_FILE_BYTES:,} bytes")
    return text


def _texts(texts: Mapping[str, str] | None) -> dict[str, str] | None:
    if texts is None:
        return None
    out = {}
    for path, text in texts.items():
        if not isinstance(text, str):
            raise WarrantError.at("O004", f"the text of {path} is a string, not {type(text).__name__}")
        out[os.fspath(path)] = text
    return out


@_public
def init(folder: str | os.PathLike) -> list[str]:
    """Start a rulebase for another law in a new (or empty) folder; the paths written, in order.

    Refused before anything is written when the folder is not new or empty."""
    from warrant.author.scaffold import scaffold
    return scaffold(os.fspath(folder))


@_public
def write_atomic(path: str | os.PathLike, text: str | Iterable[str]) -> None:
    """Write text (or chunks of text, streamed) to `path` atomically: a reader sees the old file or the
    whole new one, and a failed write leaves the old file as it was."""
    from warrant.pipeline.files import atomic_stream, write_atomic as write
    if isinstance(text, str):
        write(os.fspath(path), text)
        return
    with atomic_stream(os.fspath(path)) as sink:
        for chunk in text:
            sink.write(chunk)


@_public
def exit_code(decisions: "Iterable[Decision]") -> int:
    """The `warrant decide` exit code: 0 when every requested item of every decision is permitted, 4 when
    any decision is undetermined (it turns on a judgement its request left open), else 1."""
    from warrant.pipeline.decide import exit_code as decided
    return decided(d._decision for d in decisions)


def _time_limit(seconds: float | None) -> float:
    low, high = 1, MAX_TIME_LIMIT
    if seconds is None:
        return DEFAULT_TIME_LIMIT
    if not low <= seconds <= high:
        raise WarrantError.at("O013", f"the time limit is {low} to {high:,} seconds, not {seconds}")
    return float(seconds)


def _paths(rules) -> list[str]:
    if rules is None:
        return []
    if isinstance(rules, (str, os.PathLike)):
        return [os.fspath(rules)]
    return [os.fspath(r) for r in rules]


@dataclass(frozen=True)
class ItemOutcome:
    """One requested item: its outcome, why, and the rules that decided it."""

    item: str
    outcome: Outcome
    reason: Reason
    rules: tuple[str, ...]


class Decision:
    """A decision with its evidence. `outcome`, `items`, `to_json()`, `render(format)`; once logged,
    `log_id` and `log_sha256` name its record in the decision log."""

    def __init__(self, decision, request=None):
        self._decision = decision
        self._request = request
        self.log_id: str | None = None
        self.log_sha256: str | None = None
        self.log_items: tuple = ()          # once logged: (item, outcome, deciding rule, its policy) rows

    @property
    def request_id(self) -> str:
        return self._decision.request

    @property
    def date(self) -> _dt.date:
        return _dt.date.fromisoformat(self._decision.date)

    @property
    def outcome(self) -> Outcome:
        return Outcome(self._decision.outcome)

    @property
    def items(self) -> tuple[ItemOutcome, ...]:
        out = []
        for item in self._decision.items:
            rules = tuple(sorted({p.rule for p in item.proofs if p.rule}))
            out.append(ItemOutcome(item.item, Outcome(item.outcome), Reason(item.reason), rules))
        return tuple(out)

    @_public
    def to_json(self, stable: bool = False) -> dict:
        """The decision as the JSON `warrant decide --format json` prints (docs/TRACE_JSON.md)."""
        from warrant.pipeline.render.json import decision_to_json
        return decision_to_json(self._decision, stable=stable)

    @_public
    def render(self, fmt: str = "text") -> str:
        return render(self, fmt)

    def __repr__(self) -> str:
        return f"<Decision {self.request_id!r} on {self._decision.date}: {self.outcome.value}>"


@_public
def render(decisions: "Decision | Iterable[Decision]", fmt: str = "text") -> str:
    """One or more decisions as text, json, markdown, dot or html (what `warrant decide --format` prints)."""
    from warrant.pipeline.render import RENDERERS
    if fmt not in RENDERERS:
        raise WarrantError.at("O004", f"the format is one of {', '.join(RENDERERS)}, not {fmt!r}")
    chosen = [decisions] if isinstance(decisions, Decision) else list(decisions)
    return RENDERERS[fmt]([d._decision for d in chosen])


_WORST = (0, 1, 4, 2)       # exit codes of a batch, from best to worst


class Batch:
    """Decisions of a JSON Lines file, streamed: iterate for the output text (JSON Lines records, in order).

    After the iteration, `count` is the lines decided, `exit_code` the
    worst: 0 all permitted, 1 any refused, 4 any undetermined (an open
    judgement), 2 any line not a valid request; and `summary` says how
    many lines had each."""

    def __init__(self, blocks):
        import collections
        self._blocks = blocks
        self.count = 0
        self.exit_code = 0
        self.tally: collections.Counter = collections.Counter()     # exit code of a line -> lines

    def __iter__(self) -> Iterator[str]:
        for severities, text in self._blocks:
            self.count += len(severities)
            self.tally.update(severities)
            self.exit_code = max((self.exit_code, *severities), key=_WORST.index)
            yield text

    @property
    def summary(self) -> str:
        """The lines by what became of them, e.g. "1,200 permitted, 750 refused in part or whole, 50
        undetermined" (a kind no line had is left out)."""
        words = ((0, "permitted"), (1, "refused in part or whole"), (4, "undetermined"), (2, "bad"))
        return ", ".join(f"{self.tally[code]:,} {word}" for code, word in words if self.tally[code])


class Rulebase:
    """A loaded rulebase: decide requests, check it, compare it with another.

    Made by `warrant.load()`; shareable by threads (see the module's docstring)."""

    def __init__(self, loaded, paths: Iterable[str] = ()):
        self._loaded = loaded
        self._paths = tuple(paths) or tuple(loaded.files)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self._loaded.files)

    @property
    def digest(self) -> str | None:
        """The sha256 of the rule files, as every decision record states it."""
        return self._digest()["sha256"]

    def _digest(self) -> dict:
        from warrant.pipeline.record import rulebase_digest
        return rulebase_digest(self._loaded)

    @_public
    def request(self, request: Mapping[str, Any] | str | os.PathLike):
        """A request validated against this rulebase's vocabulary: from a mapping, or a YAML/JSON file."""
        from warrant.pipeline.facts import Request
        from warrant.pipeline.request import load_request, request_from_data
        if isinstance(request, Request):
            return request
        if isinstance(request, (str, os.PathLike)):
            return load_request(os.fspath(request), self._loaded.vocabulary)
        if isinstance(request, Mapping):
            return request_from_data(dict(request), vocabulary=self._loaded.vocabulary)
        raise WarrantError.at("R002", f"a request is a mapping or a file path, not {type(request).__name__}")

    @_public
    def request_from_json(self, text: str | bytes):
        """A request from JSON text (a service's body, a batch line), checked against the limits of a batch
        line (size, nesting, keys, strings, numbers) before and while it is parsed, then validated."""
        from warrant.pipeline.request import parse_json_line, request_from_data
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise WarrantError.at("R000", f"not UTF-8 text (at byte {exc.start + 1})") from None
        return request_from_data(parse_json_line(text), vocabulary=self._loaded.vocabulary)

    @_public
    def about(self, at: _dt.date | str | None = None) -> dict:
        """What a service says of the rulebase it serves: name, digest, Warrant's version, the policies in
        force on `at` (default today), the drafts, and each assumption with its default and readings."""
        from warrant.pipeline.record import rulebase_digest
        when = _date(at) or _dt.date.today()
        checked = self._loaded.checked
        digest = rulebase_digest(self._loaded)
        assumptions = []
        for name in sorted(checked.assumptions):
            decl = checked.assumptions[name]
            readings = [{"name": r.label, "text": str(r.value)} for r in decl.readings]
            entry = {"name": name, "question": decl.get("question"), "default": decl.get("default")}
            if readings:
                entry["readings"] = readings
            else:
                entry["position"] = decl.get("position")
            assumptions.append({k: (str(v) if v is not None and not isinstance(v, (list, bool)) else v)
                                for k, v in entry.items()})
        listed = self.rules(when).to_json()
        return {"name": digest["rules"], "sha256": digest["sha256"], "warrant": _version(), "date": when.isoformat(),
                "policies_in_force": [p["name"] for p in listed["policies"]],
                "drafts": sorted(n for n, p in checked.policies.items() if p.draft), "assumptions": assumptions}

    @_public
    def decide(self, request, *, at: _dt.date | str | None = None, assume: Mapping[str, bool | str] | None = None,
               drafts: Iterable[str] = (), overrides: Iterable[str] = (), explain: str = "refused",
               vary: Iterable[str] = (), verify: bool = False, log: "DecisionLog | str | None" = None) -> Decision:
        """Decide one request (a mapping, a file path, or `request()`'s result) with its evidence.

        `at`: decide as if on this date; `assume`: assumption settings (`True`/`False`,
        or a reading's name for an assumption with named readings); `drafts`:
        draft policies switched on; `overrides`: facts changed first, each
        `FIELD=VALUE` on a dotted path (as `--set`); `explain="refused"` searches
        what would have to change for a refused item, `"none"` skips that
        search; `vary` lets that search change a `fixed` field too; `verify`
        checks every proof with the independent proof checker; `log` (a
        `DecisionLog` or its URL) keeps the decision, and it is returned only
        once its record is committed. The decision states every setting it
        was made under."""
        from warrant.pipeline.decide import decide
        from warrant.review.whatif import apply_overrides
        if explain not in ("refused", "none"):
            raise WarrantError.at("O004", f"explain is 'refused' or 'none', not {explain!r}")
        fixed = self._loaded.vocabulary.fixed[1:]
        for name in vary:
            if name not in fixed:
                raise WarrantError.at("O008", f"--vary takes one of {', '.join(fixed)}, not {name!r}",
                                      notes=("every other fact a request holds may already change",))
        when = _date(at)
        switches, drafted = dict(assume or {}), tuple(drafts)
        chosen, settings = apply_overrides(self.request(request), list(overrides), self._loaded.vocabulary)
        if when:
            settings.insert(0, ("--at", when.isoformat()))
        from warrant.pipeline.grounding import setting_text
        settings += [("--assume", f"{k}={setting_text(v)}") for k, v in sorted(switches.items())]
        settings += [("--with-draft", d) for d in drafted]
        made = decide(self._loaded, chosen, at=when, assume=switches, drafts=drafted, settings=tuple(settings))
        if explain == "refused":
            from warrant.review.counterfactual import explain_refusals
            made = explain_refusals(self._loaded, chosen, made, at=when, assume=switches, drafts=drafted,
                                    vary=tuple(vary))
        if verify:
            from warrant.checker.verify import verify_decision
            problems = verify_decision(self._loaded, chosen, made, at=when, assume=switches, drafts=drafted)
            if problems:
                raise InternalError("proof check failed: " + "; ".join(problems))
        decision = Decision(made, chosen)
        if log is not None:
            self.log_decisions([decision], log)
        return decision

    @_public
    def log_decisions(self, decisions: "Iterable[Decision]", log: "DecisionLog | str", via: str = "api") -> None:
        """Keep decisions in a decision log, in one transaction (all or none), and set each one's `log_id`
        and `log_sha256`. Raises `WarrantError` L003 when the log cannot be written: give no decision then."""
        from warrant.log.entry import Recorder
        from warrant.pipeline.render.json import decision_to_json
        chosen = list(decisions)
        recorder = Recorder(self._loaded, via)
        entries = [recorder.entry(decision_to_json(d._decision), d._request.data if d._request else {},
                                  trace="all", extra=_shown(d._decision)) for d in chosen]
        for decision, entry, (_, log_id, sha) in zip(chosen, entries, _log(log).commit(entries)):
            decision.log_id, decision.log_sha256, decision.log_items = log_id, sha, entry.items

    @_public
    def decide_many(self, requests: Iterable[Mapping[str, Any] | str], *, jobs: int = 1,
                    trace: str = "refused") -> Iterator[dict]:
        """Decide many requests (mappings, or JSON Lines text lines), in order: one record each.

        A record is what `warrant decide --batch` writes per line: the outcome,
        each item's outcome and deciding rules, the trace per `trace` (none,
        refused or all), or an error record for a line that is not a valid
        request. `jobs` > 1 forks worker processes."""
        from warrant.batch.batch import encoded_records
        lines = (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in requests)
        records = encoded_records(self._loaded, lines, _jobs(jobs), trace=_trace(trace))
        return _iterate(json.loads(line) for _, line in records)

    @_public
    def decide_batch(self, path: str | os.PathLike, *, trace: str = "refused", jobs: int = 0,
                     at: _dt.date | str | None = None, assume: Mapping[str, bool | str] | None = None,
                     drafts: Iterable[str] = (), log: "DecisionLog | str | None" = None,
                     resume: bool = False) -> Batch:
        """Decide a JSON Lines file (`-` for standard input), streamed in order (`warrant decide --batch`).

        A progress bar shows on a terminal for a large file; `jobs` worker
        processes (0: one per core). With `log`, each chunk of lines is
        committed to the log (one transaction) before its records are
        yielded; `resume` skips the lines of this same batch (same file,
        rulebase and settings) that the log already holds."""
        from warrant.batch.batch import encoded_blocks
        from warrant.batch.progress import progress_over
        when, switches, drafted = _date(at), dict(assume or {}), tuple(drafts)
        trace, jobs = _trace(trace), _jobs(jobs)
        if resume and log is None:
            raise WarrantError.at("O005", "--resume continues a logged batch: name its --log")
        kept = _log(log) if log is not None else None
        recorder, skip = None, 0
        if kept is not None:
            from warrant.log.entry import Recorder
            from warrant.log.replay import batch_key
            key = batch_key(os.fspath(path), self.digest, trace, when, switches, drafted)
            if resume:
                if key is None:
                    raise WarrantError.at("O005", "--resume needs a batch file it can read again, not standard input")
                done = kept.last_line(key)
                skip = done[0] if done else 0
            recorder = Recorder(self._loaded, "batch", key)

        def lines():
            with progress_over(os.fspath(path), "deciding") as (source, tick):
                yield (_after(source, skip) if skip else source), tick
        batch = self._stream(lines(), trace, jobs, when, switches, drafted, kept, recorder, skip)
        batch.skipped = skip
        return batch

    @_public
    def decide_stream(self, lines: Iterable[str], *, trace: str = "refused", jobs: int = 1,
                      at: _dt.date | str | None = None, assume: Mapping[str, bool | str] | None = None,
                      drafts: Iterable[str] = (), log: "DecisionLog | str | None" = None, via: str = "batch") -> Batch:
        """Decide JSON Lines text lines (an iterable, streamed in order) as `decide_batch` decides a file: one
        record per line, each chunk committed to `log` (if given) before its records are yielded."""
        from warrant.log.entry import Recorder
        kept = _log(log) if log is not None else None
        recorder = Recorder(self._loaded, via) if kept is not None else None
        source = iter([(iter(lines), None)])
        return self._stream(source, _trace(trace), _jobs(jobs), _date(at), dict(assume or {}), tuple(drafts), kept,
                            recorder, 0)

    def _stream(self, opened, trace, jobs, when, switches, drafted, kept, recorder, skip) -> Batch:
        from warrant.batch.batch import encoded_blocks
        logged: list = []                   # (line, id) of the last decision committed, for the fault message

        def blocks():
            for source, tick in opened:
                for block in encoded_blocks(self._loaded, source, jobs, tick, recorder=recorder, first_line=skip + 1,
                                            trace=trace, at=when, assume=switches, drafts=drafted):
                    if kept is not None:
                        _commit_block(kept, block[2], logged)
                        block = block[:2]
                    yield block
        return Batch(_iterate(blocks()))

    @_public
    def prepare(self, *, trace: str = "refused", at: _dt.date | str | None = None,
                assume: Mapping[str, bool | str] | None = None, drafts: Iterable[str] = ()) -> "Prepared":
        """Options fixed once for many single decisions on the batch path (class caches, trace templates):
        what a service calls per request. The answer of `Prepared.decide` is the batch record of the request
        (`trace`: none, refused or all), byte for byte the line `decide --batch` writes."""
        from warrant.batch.decider import BatchDecider
        options = dict(trace=_trace(trace), at=_date(at), assume=dict(assume or {}), drafts=tuple(drafts))
        BatchDecider(self._loaded, **options)              # options checked now, not at the first request
        return Prepared(self, options)

    @_public
    def compare(self, request, *, at: Iterable[_dt.date | str] = (), overrides: Iterable[str] = (),
                assume: Mapping[str, bool | str] | None = None, drafts: Iterable[str] = ()) -> Comparison:
        """One request under two or more variants (`warrant compare`): two or more `at` dates, or the request
        as it is against the request with `overrides`, `assume` and `drafts`."""
        from warrant.review.compare import build_variants, compare
        variants = build_variants(self._loaded, self.request(request), [_date(d) for d in at], list(overrides),
                                  dict(assume or {}), tuple(drafts))
        return Comparison(compare(variants))

    @_public
    def impact(self, batch: str | os.PathLike, *, at: Iterable[_dt.date | str] = (),
               assume: Mapping[str, bool | str] | None = None, drafts: Iterable[str] = (), jobs: int = 1) -> Impact:
        """A change's effect over a JSON Lines file of requests (`warrant impact`): two `at` dates (baseline,
        changed), or the requests with `assume`/`drafts` against without. `jobs` worker processes (0: one per
        core) are forked once the file proves long enough to repay them; keep 1 in a program with threads."""
        from warrant.batch.progress import progress_over
        from warrant.review.impact import impact, scenarios
        before, after = scenarios(self._loaded, [_date(d) for d in at], dict(assume or {}), tuple(drafts))
        with progress_over(os.fspath(batch), "deciding") as (lines, tick):
            report = impact(self._loaded, lines, before, after, tick, _jobs(jobs))
        return Impact(report, self._digest())

    @_public
    def generate(self, count: int = 1000, seed: int = 7) -> Iterator[dict]:
        """Synthetic requests from the rulebase's distribution.yaml (or the documented default), streamed;
        the same seed gives the same requests."""
        from warrant.batch.synthetic import generate
        from warrant.pipeline.limits import MAX_GENERATE
        if not 0 <= count <= MAX_GENERATE:
            raise WarrantError.at("O013", f"warrant generate makes 0 to {MAX_GENERATE:,} requests in one run, "
                                          f"not {count:,}")
        return _iterate(generate(self._loaded, count, seed))

    @_public
    def test(self, cases: Iterable[str | os.PathLike] = (), *, update: bool = False, verify: bool = True,
             jobs: int = 0, outcomes_only: bool = False, coverage: bool = False,
             fail_under: float | None = None) -> Suite:
        """Run golden cases (`warrant test`): each request beside its NAME.expected.json.

        `cases`: files or folders (default: the rulebase's own cases); `update`
        rewrites the expected files (`outcomes_only` to assert outcomes and
        deciding rules only); `coverage` (or `fail_under`, a percentage of
        rules fired) measures what the cases exercise."""
        from warrant.author.golden import run_suite
        from warrant.pipeline.rulebase import default_cases
        if outcomes_only and not update:
            raise WarrantError.at("O016", "--outcomes-only writes expected files: use it with --update")
        measure = coverage or fail_under is not None
        chosen = [os.fspath(c) for c in cases] or [default_cases(list(self._paths))]
        results = run_suite(self._loaded, chosen, update=update, verify=verify, jobs=_jobs(jobs),
                            outcomes_only=outcomes_only, decisions=measure)
        report = None
        if measure:
            from warrant.author.coverage import measure as cover
            report = cover(self._loaded, [r.decision for r in results if r.decision is not None])
        return Suite(tuple(results), self._digest(), report, fail_under)

    @_public
    def schema(self) -> dict:
        """The JSON Schema of a request, generated from the declared vocabulary."""
        return self._loaded.vocabulary.json_schema()

    @_public
    def rules(self, at: _dt.date | str | None = None) -> Listing:
        """The policies and rules (in force on `at`), with statements and citations."""
        from warrant.review.browse import render_rules, rules_json
        when = _date(at)
        return Listing(render_rules(self._loaded, when), rules_json(self._loaded, when))

    @_public
    def show(self, name: str) -> Listing:
        """Any name the rulebase declares: a rule (where it is, what it says, its sources, assumptions, and
        the rules that use it), a set or dated set with its periods, a named value, a defined concept with
        its defining rules, a field, an enumeration, an assumption and its readings, an invariant, a source,
        a policy. B001 with "did you mean" when nothing has the name."""
        from warrant.review.show import name_json, render_name
        return Listing(render_name(self._loaded, name), name_json(self._loaded, name))

    @_public
    def timeline(self) -> Listing:
        """The periods in force of every policy, and the values of the dated sets and values, as a chart (text)
        or data (JSON)."""
        from warrant.review.browse import render_timeline, timeline_json
        return Listing(render_timeline(self._loaded), timeline_json(self._loaded))

    @_public
    def timeline_svg(self) -> str:
        """The timeline as an SVG image."""
        from warrant.review.browse import timeline_svg
        return timeline_svg(self._loaded)

    @_public
    def check(self, *, invariants: bool = True, time_limit: float | None = None) -> Report:
        """`warrant check` on this rulebase's files: diagnostics and invariant results as data."""
        return check(self.files, invariants=invariants, time_limit=time_limit)

    @_public
    def diff(self, other: "Rulebase | None" = None, *, at: Iterable[_dt.date | str] = (),
             assume: Mapping[str, bool | str] | None = None, drafts: Iterable[str] = (),
             time_limit: float | None = None, regions: str = "cause") -> Differences:
        """Every difference in the decisions of this rulebase and `other` (or of this one under two dates or
        settings), by cause, as `warrant.diff` (`regions="all"`: the raw regions too)."""
        return diff(self, other if other is not None else self, at=at, assume=assume, drafts=drafts,
                    time_limit=time_limit, progress=False, regions=regions)

    def __repr__(self) -> str:
        return f"<Rulebase {len(self.files)} file(s), sha256 {(self.digest or 'none')[:12]}>"


class Answer:
    """One decision on the batch path: its record (a dict), the record as its JSON line (`text`), the exit
    severity, and, once logged, `log_id` and `log_sha256`."""

    __slots__ = ("record", "text", "severity", "log_id", "log_sha256", "log_items", "seconds", "_entry")

    def __init__(self, record: dict, text: str, severity: int):
        self.record, self.text, self.severity = record, text, severity
        self.log_id = self.log_sha256 = None
        self.log_items: tuple = ()          # once logged: (item, outcome, deciding rule, its policy) rows
        self.seconds = (0.0, 0.0)           # (deciding, logging)
        self._entry = None

    @_public
    def commit(self, log: "DecisionLog | str") -> "Answer":
        """Commit the record `Prepared.decide(..., commit=False)` made (group commit with other threads'), so
        a service can decide on one thread and wait for the log on others; returns itself, logged."""
        if self._entry is None:
            raise WarrantError.at("O005", "this answer has no record to commit: decide it with a log and "
                                          "commit=False")
        Answer.commit_all([self], log)
        return self

    @staticmethod
    @_public
    def commit_all(answers: "Iterable[Answer]", log: "DecisionLog | str") -> list["Answer"]:
        """Commit the records of several answers (each from `Prepared.decide(..., commit=False)`) in one
        transaction, all or none (group commit with other threads' too); returns them, logged. Raises
        `WarrantError` (L003) and logs none of them when the log cannot be written."""
        import time
        chosen = list(answers)
        for answer in chosen:
            if answer._entry is None:
                raise WarrantError.at("O005", "an answer has no record to commit: decide it with a log and "
                                              "commit=False")
        started = time.perf_counter()
        rows = _log(log).commit([a._entry for a in chosen]) if chosen else []
        took = time.perf_counter() - started
        for answer, (_, log_id, sha) in zip(chosen, rows):
            answer.log_id, answer.log_sha256 = log_id, sha
            answer.log_items, answer._entry = answer._entry.items, None
            answer.seconds = (answer.seconds[0], took)
        return chosen

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.record["outcome"])


class Prepared:
    """Single decisions with options fixed once (`Rulebase.prepare`). Thread-safe: each thread keeps its own
    caches (pyDatalog's state is per thread)."""

    def __init__(self, rulebase: "Rulebase", options: dict):
        import threading
        self.rulebase = rulebase
        self.options = options
        self._local = threading.local()

    def _decider(self):
        found = getattr(self._local, "decider", None)
        if found is None:
            from warrant.batch.decider import BatchDecider
            found = self._local.decider = BatchDecider(self.rulebase._loaded, **self.options)
        return found

    @_public
    def decide(self, request, *, log: "DecisionLog | str | None" = None, via: str = "api",
               commit: bool = True) -> Answer:
        """Decide one request (a mapping); with `log`, the answer is returned once its record is committed
        (concurrent callers share one transaction: group commit). `commit=False` makes the record and leaves
        committing it to `Answer.commit(log)`, which must happen before the answer is given to anyone."""
        import time
        from warrant.batch.encoding import encode
        started = time.perf_counter()
        chosen = self.rulebase.request(request)
        decider = self._decider()
        record = decider.decide_record(chosen)
        severity, text = encode(record)
        answer = Answer(record, text, severity)
        decided = time.perf_counter()
        if log is not None:
            recorder = getattr(self._local, "recorder", None)
            if recorder is None or recorder.via != via:
                from warrant.log.entry import Recorder
                recorder = self._local.recorder = Recorder(self.rulebase._loaded, via)
            rows = None if any("proofs" in i or "branches" in i for i in record.get("items", ())) \
                else decider.outcome(chosen)[1]
            answer._entry = recorder.entry(record, chosen.data, trace=self.options["trace"], rows=rows, text=text)
        answer.seconds = (decided - started, 0.0)
        if log is not None and commit:
            answer.commit(log)
        return answer


def _shown(decision) -> dict:
    """What a renderer needs besides the JSON to print a logged decision as it was printed."""
    out: dict = {}
    if decision.extra.get("changes_searched"):
        out["changes_searched"] = True
    units = {c.path: c.unit for i in decision.items for cf in i.counterfactuals for c in cf.changes if c.unit}
    if units:
        out["units"] = units
    return out


def _commit_block(log, entries, logged: list) -> None:
    """Commit a batch chunk's entries before its records are printed; when the log fails, say which decision
    was the last one logged, so the batch can be resumed after it."""
    from warrant.log import LogFault
    if not entries:
        return
    try:
        log.commit(entries)
    except LogFault as fault:
        first = fault.diagnostics[0]
        where = (f"the last decision logged is {logged[-1][1]} (line {logged[-1][0]})" if logged
                 else "no decision of this run was logged")
        raise LogFault(Diagnostic(first.code, f"{first.message}; {where}", first.span, "error",
                                  (*first.notes, "run it again with --resume to decide the rest"))) from None
    logged[:] = [(entries[-1].line, entries[-1].id)]


def _version() -> str:
    from warrant import __version__
    return __version__


def _log(log) -> "DecisionLog":
    from warrant.log import DecisionLog
    return log if isinstance(log, DecisionLog) else DecisionLog(os.fspath(log))


def _after(lines, skip: int):
    """The lines after the first `skip`, counted as the batch counts them (from 1), for --resume."""
    import itertools
    return itertools.islice(lines, skip, None)


@_public
def _iterate(values):
    """Iterate `values` behind the API boundary (see `_public`)."""
    yield from values


def _trace(trace: str) -> str:
    if trace not in ("none", "refused", "all"):
        raise WarrantError.at("O004", f"trace is none, refused or all, not {trace!r}")
    return trace


def _jobs(jobs: int) -> int:
    """Worker processes within the documented bound: 0 (one per core) or 1 to MAX_JOBS."""
    from warrant.pipeline.limits import MAX_JOBS
    if not 0 <= jobs <= MAX_JOBS:
        raise WarrantError.at("O013", f"--jobs is 0 (one per core) or 1 to {MAX_JOBS}, not {jobs}")
    return jobs


def _date(value) -> _dt.date | None:
    if value is None or isinstance(value, _dt.date):
        return value
    from warrant.pipeline.values import parse_date
    try:
        return parse_date(str(value))
    except ValueError:
        raise WarrantError.at("O002", f"a date is written YYYY-MM-DD, not {value!r}") from None
