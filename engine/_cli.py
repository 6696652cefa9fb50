"""The `warrant` command: parse arguments, call the public API (`import warrant`), print, exit.

Thin by design: every command is one call into `warrant` (the API an
integrator uses), its report's `render(fmt)` on standard output and its
`exit_code`; tests/test_layout.py checks that this module imports nothing
else of Warrant's. Exit codes: 0 every requested item permitted (or no
findings), 1 anything refused (or findings of error severity), 4 undetermined
(`decide`: an item turns on a judgement the request left open), 2 bad input
or usage, 3 a bug in Warrant itself. No traceback ever reaches the user.
"""
from __future__ import annotations

import enum
import functools
import json
import sys
from typing import List, Optional

import typer

import warrant

app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None)

RULES_HELP = ("Rule folder or files. Default: $WARRANT_RULES, else ./rules when it holds rule files, "
              "else the shipped rulebase.")
EXIT_HELP = ("Exit codes: 0 every requested item permitted; 1 anything refused; 4 undetermined (an item turns "
             "on a judgement the request left open; a batch: any line, unless a line is bad); "
             "2 bad input or usage; 3 an internal error (a bug in Warrant); 5 the decision log (--log) could not "
             "be written: nothing was printed that is not in the log.")
LOG_HELP = ("The decision log: sqlite:///PATH (relative), sqlite:////PATH (absolute), a file path, or "
            "postgresql://USER@HOST/DB.")


def _choices(name: str, values: tuple[str, ...]) -> type[enum.Enum]:
    """A `--format` choice: typer lists the values in --help and refuses any other with a usage error."""
    return enum.Enum(name, {v: v for v in values}, type=str)


DecisionFormat = _choices("DecisionFormat", warrant.FORMATS)
TextOrJson = _choices("TextOrJson", ("text", "json"))
DiffFormat = _choices("DiffFormat", warrant.Differences.FORMATS)
ImpactFormat = _choices("ImpactFormat", warrant.Impact.FORMATS)
JsonOnly = _choices("JsonOnly", ("json",))
Trace = _choices("Trace", ("none", "refused", "all"))
RegionsShown = _choices("RegionsShown", ("cause", "all"))


def _format(help_text: str, choices, default: str):
    return typer.Option(choices(default), "--format", help=help_text, case_sensitive=False)


def _fail(exc, as_json: bool) -> None:
    """Say what went wrong, on standard error (as JSON on standard output under --format json), and exit."""
    if isinstance(exc, warrant.WarrantError):
        code, errors = 2, [d.to_json() for d in exc.diagnostics]
        if any(d.code in LOG_FAULTS for d in exc.diagnostics):
            code = 5                     # the decision log could not be written or read: nothing was decided
        text = exc.render()
    elif isinstance(exc, warrant.RunFault):
        code, errors = 3, [{"code": "run", "severity": "error", "message": str(exc)}]
        text = f"error: {exc}"
    else:
        code, errors = 3, [{"code": "internal", "severity": "error",
                            "message": f"this is a bug in Warrant, not in your input: {type(exc).__name__}: {exc}"}]
        text = f"internal error: this is a bug in Warrant, not in your input.\n  {type(exc).__name__}: {exc}"
    if as_json:
        _write(json.dumps({"errors": errors}, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    else:
        typer.echo(text, err=True)
    raise typer.Exit(code)


LOG_FAULTS = ("L002", "L003", "L004")


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush cannot fail again."""
    import os
    try:
        sys.stdout.flush()
    except OSError:
        pass
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _guard(function):
    """Run a command body, turning every error into a message and an exit code.

    Errors are JSON on standard output when the command was asked for `--format json` (its `fmt` or
    `output` choice); `generate` and `schema`, JSON by nature, report errors as text like the others."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        chosen = kwargs.get("fmt", kwargs.get("output"))
        as_json = getattr(chosen, "value", chosen) == "json"
        try:
            return function(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            typer.echo("interrupted; nothing half-written was kept", err=True)
            raise typer.Exit(130)
        except BrokenPipeError:            # `warrant generate 1000000 | head`: the reader has all it wanted
            _quiet_stdout()
            raise typer.Exit(141)
        except OSError as exc:
            import errno
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS):
                # writing standard output (a redirect to a full disk): the user's environment, not our bug
                _quiet_stdout()
                _fail(warrant.WarrantError.at("O007", f"cannot write the output: {exc.strerror or exc}"), False)
            _fail(exc, as_json)
        except Exception as exc:  # noqa: BLE001 - the one place every error is turned into a message
            _fail(exc, as_json)
        except warrant.Terminated:
            typer.echo("terminated; nothing half-written was kept", err=True)
            raise typer.Exit(143)
    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"warrant {warrant.__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                            help="Print Warrant's version and exit.")) -> None:
    """Warrant: is this release of data permitted, and why?

    Examples:

      warrant decide examples/requests/readme_debt_exactly_500.yaml

      warrant check --rules examples/rulebases/uk_gdpr

      warrant init my_law && warrant test --rules my_law
    """


def _assumptions(pairs: List[str]) -> dict:
    """`--assume NAME=on|off|READING` -> {NAME: True/False/READING}; a reading given twice is (before, after)."""
    out: dict = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not (name and equals and value):
            raise warrant.WarrantError.at("O003", f"--assume takes NAME=on, NAME=off or NAME=READING, got {pair!r}")
        setting = {"on": True, "off": False}.get(value, value)
        if name in out:
            if isinstance(out[name], (bool, tuple)) or isinstance(setting, bool):
                raise warrant.WarrantError.at("O003", f"--assume {name} is given twice; only a reading may be, "
                                                      "to compare two readings (before, then after)")
            setting = (out[name], setting)
        out[name] = setting
    return out


def _write(text: str) -> None:
    sys.stdout.write(text)


def _emit(text: str, out: Optional[str]) -> None:
    """The report on standard output, or into `out` atomically."""
    if out:
        warrant.write_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)
    else:
        _write(text)


def _stream(chunks, out: Optional[str], said) -> None:
    """Streamed output: into `out` atomically (then `said()` on standard error), or to standard output."""
    if out:
        warrant.write_atomic(out, chunks)
        typer.echo(said(), err=True)
    else:
        for chunk in chunks:
            _write(chunk)


def _refuse(ignored: list[str], why: str, notes: tuple[str, ...] = ()) -> None:
    """Options a mode would silently ignore are a usage error instead."""
    if ignored:
        raise warrant.WarrantError.at("O005", f"{why} does not take {', '.join(ignored)}", notes=notes)


def _load(rules: Optional[List[str]]) -> "warrant.Rulebase":
    """The one rulebase of a one-shot command (not `serve` or `lsp`, which load and reload their own).

    Such a command is one short process over one large, long-lived rulebase
    (its parse, its engine's clauses, its batch caches): full collections
    that rescanned all of it every 25% of growth cost a traced batch on a law
    of 60 rules a third of its time. So the rulebase is frozen out of the
    cyclic collector (it lives as long as the command) and collections are
    rarer; young garbage is still collected."""
    import gc
    rulebase = warrant.load(rules or None)
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return rulebase


@app.command(epilog=EXIT_HELP)
@_guard
def decide(
    requests: List[str] = typer.Argument(None, help="Request files (YAML or JSON)."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    at: Optional[str] = typer.Option(None, "--at", metavar="YYYY-MM-DD", help="Decide as if the request were made on this date."),
    fmt: DecisionFormat = _format("text, json, markdown, dot or html (a report to attach).", DecisionFormat, "text"),
    set_: List[str] = typer.Option([], "--set", metavar="FIELD=VALUE", help="Override a fact: FIELD=VALUE (dotted path)."),
    assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off|READING", help="Set an assumption: NAME=on|off, or NAME=READING for one with named readings."),
    with_draft: List[str] = typer.Option([], "--with-draft", metavar="POLICY", help="Switch a draft policy on."),
    verify: bool = typer.Option(False, "--verify", help="Check every proof with the independent proof checker."),
    batch: Optional[str] = typer.Option(None, "--batch", metavar="FILE.jsonl", help="A JSON Lines file of requests to decide in bulk."),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write the output to this file (atomically); with --batch, "
                                                          "the decisions as JSON Lines."),
    trace: Optional[Trace] = typer.Option(None, "--trace", help="With --batch: none, refused (the default) or all."),
    jobs: Optional[int] = typer.Option(None, "--jobs", metavar="N", help="With --batch: worker processes, 1 to 64 (0, the default: one per core)."),
    vary: List[str] = typer.Option([], "--vary", metavar="FIELD", help="Let what-would-have-to-change suggestions alter this "
                                                      "fixed field too (items, or a field declared `fixed`)."),
    log: Optional[str] = typer.Option(None, "--log", metavar="URL", help=LOG_HELP + " Every decision is committed to "
                                      "it before it is printed."),
    resume: bool = typer.Option(False, "--resume", help="With --batch and --log: skip the lines of this same batch "
                                                        "(file, rulebase, settings) the log already holds."),
) -> None:
    """Decide requests and explain each decision, with what would have to change for a refused item.

    Examples:

      warrant decide examples/requests/mou_tracing.json

      warrant decide examples/requests/readme_debt_exactly_500.yaml --format html --out report.html
    """
    fmt = fmt.value
    rulebase = _load(rules)
    switches = _assumptions(assume)
    if batch:
        _refuse([name for name, given in (("request files", bool(requests)), ("--set", bool(set_)),
                                          ("--verify", verify), ("--vary", bool(vary)),
                                          (f"--format {fmt}", fmt not in ("text", "json"))) if given],
                "--batch", ("a batch writes JSON Lines records (--trace none|refused|all); decide "
                            "request files without --batch for the other options",))
        run = rulebase.decide_batch(batch, trace=trace.value if trace else "refused", jobs=jobs or 0, at=at,
                                    assume=switches, drafts=with_draft, log=log, resume=resume)
        if run.skipped:
            typer.echo(f"resumed: lines 1-{run.skipped} are in the log already; deciding from line "
                       f"{run.skipped + 1}", err=True)
        _stream(run, out, lambda: f"decided {run.count} line(s) -> {out}" + (f" ({run.summary})" if run.count else ""))
        if log:
            typer.echo(f"logged: {run.count} decision(s) to {log}", err=True)
        raise typer.Exit(run.exit_code)
    if not requests:
        raise warrant.WarrantError.at("O005", "name at least one request file (or use --batch FILE)")
    _refuse([name for name, given in (("--trace", trace is not None), ("--jobs", jobs is not None),
                                      ("--resume", resume)) if given],
            "deciding request files", ("--trace, --jobs and --resume go with --batch FILE",))
    decisions = [rulebase.decide(path, at=at, assume=switches, drafts=with_draft, overrides=set_, vary=vary,
                                 verify=verify) for path in requests]
    if log:
        rulebase.log_decisions(decisions, log, via="decide")       # committed, or nothing is printed
        typer.echo("logged: " + ", ".join(d.log_id for d in decisions), err=True)
    _emit(warrant.render(decisions, fmt), out)
    if verify:
        typer.echo(f"verified: every proof of {len(decisions)} decision(s) checked", err=True)
    raise typer.Exit(warrant.exit_code(decisions))


@app.command(epilog="Exit codes: 0 the variants agree on every item; 1 they differ; 2 bad input or usage.")
@_guard
def compare(
    request: str = typer.Argument(..., help="A request file (YAML or JSON)."),
    at: List[str] = typer.Option([], "--at", metavar="YYYY-MM-DD", help="A date to decide on; give it twice to compare two dates."),
    set_: List[str] = typer.Option([], "--set", metavar="FIELD=VALUE", help="Override a fact in the second variant: FIELD=VALUE."),
    assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off|READING", help="Set an assumption in the second variant (on|off or a reading)."),
    with_draft: List[str] = typer.Option([], "--with-draft", metavar="POLICY", help="Switch a draft on in the second variant."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: TextOrJson = _format("text or json.", TextOrJson, "text"),
) -> None:
    """One request under two or more variants: outcomes side by side, and what made each difference.

    Examples:

      warrant compare examples/requests/mou_tracing.json --at 2018-05-08 --at 2018-05-09

      warrant compare examples/requests/readme_debt_exactly_500.yaml --assume debt_threshold_inclusive=off
    """
    comparison = _load(rules).compare(request, at=at, overrides=set_, assume=_assumptions(assume), drafts=with_draft)
    _write(comparison.render(fmt.value))
    raise typer.Exit(comparison.exit_code)


@app.command(epilog="Exit codes: 0 done; 2 bad input or usage (unreadable lines are reported, not fatal).")
@_guard
def impact(
    batch: str = typer.Argument(..., help="A JSON Lines file of requests (e.g. from `warrant generate`)."),
    at: List[str] = typer.Option([], "--at", metavar="YYYY-MM-DD", help="Twice: baseline date, then changed date. Once: the date of "
                                                  "both scenarios with --assume/--with-draft, else the changed date."),
    assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off|READING", help="Set an assumption in the changed scenario; a reading given twice: before, then after."),
    with_draft: List[str] = typer.Option([], "--with-draft", metavar="POLICY", help="Switch a draft on in the changed scenario."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: ImpactFormat = _format("text, json or csv.", ImpactFormat, "text"),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write the report to this file (atomically)."),
    jobs: int = typer.Option(0, "--jobs", metavar="N", help="Worker processes for a long batch, 1 to 64 (0: one per core)."),
) -> None:
    """A policy change's effect over a batch: decisions that change, by arrangement and by deciding rule.

    Examples:

      warrant impact examples/batches/synthetic_400.jsonl --at 2018-05-08 --at 2018-05-09

      warrant impact batch.jsonl --assume debt_threshold_inclusive=off --format csv --out impact.csv
    """
    report = _load(rules).impact(batch, at=at, assume=_assumptions(assume), drafts=with_draft, jobs=jobs)
    _emit(report.render(fmt.value), out)
    raise typer.Exit(report.exit_code)


@app.command(epilog="Exit codes: 0 equivalent for every request; 1 some requests are decided differently, or "
                    "the search stopped at a bound before it could say; 2 bad input or usage; 3 an internal error.")
@_guard
def diff(
    before: Optional[str] = typer.Argument(None, help="The rulebase before: a folder, or REV:FOLDER for a git "
                                                      "revision (e.g. HEAD~1:rules). Default: --rules."),
    after: Optional[str] = typer.Argument(None, help="The rulebase after (a folder or REV:FOLDER). Default: --rules."),
    at: List[str] = typer.Option([], "--at", metavar="YYYY-MM-DD", help="Once: the date of every request. Twice: before, then after."),
    assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off|READING", help="NAME=on|off: with one rulebase, compared with its "
                                                          "opposite; NAME=READING: with the default reading (twice: "
                                                          "before, then after); with two rulebases, fixed for both."),
    with_draft: List[str] = typer.Option([], "--with-draft", metavar="POLICY", help="A draft: with one rulebase, off before and on "
                                                                  "after; with two, on for both."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: DiffFormat = _format("text, json or markdown.", DiffFormat, "text"),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write the report to this file (atomically)."),
    time_limit: float = typer.Option(warrant.DEFAULT_TIME_LIMIT, "--time-limit", metavar="SECONDS", min=1,
                                     max=warrant.MAX_TIME_LIMIT,
                                     help="Bound on the search; a search it stops says so and is not "
                                          "called equivalent."),
    regions: RegionsShown = typer.Option(RegionsShown("cause"), "--regions",
                                         help="cause: each rule that starts or stops applying or deciding, "
                                              "with the items it changes; all: also every raw region of "
                                              "requests decided differently, field by field."),
) -> None:
    """What two rulebases, dates or settings decide differently, by cause, each with a witness.

    Examples:

      warrant diff --at 2018-05-08 --at 2018-05-09

      warrant diff --assume debt_threshold_inclusive=on

      warrant diff HEAD~1:rules rules
    """
    report = warrant.diff(before, after, rules=rules or None, at=at, assume=_assumptions(assume), drafts=with_draft,
                          time_limit=time_limit, regions=regions.value)
    _emit(report.render(fmt.value), out)
    raise typer.Exit(report.exit_code)


@app.command()
@_guard
def generate(
    count: int = typer.Argument(1000, min=0, help="How many requests."),
    seed: int = typer.Option(7, "--seed", metavar="N", help="The same seed gives the same requests."),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write to this file (atomically) instead of stdout."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    form: JsonOnly = _format("json (JSON Lines, one request a line): the only form.", JsonOnly, "json"),
) -> None:
    """Synthetic requests as JSON Lines, from the rulebase's distribution.yaml (or the documented default).

    Examples:

      warrant generate 1000 --seed 7 --out batch.jsonl

      warrant generate 50 --rules examples/rulebases/uk_gdpr
    """
    lines = (json.dumps(record) + "\n" for record in _load(rules).generate(count, seed))    # streamed: flat memory
    _stream(lines, out, lambda: f"wrote {count} request(s) to {out}")


@app.command(epilog="Exit codes: 0 no errors; 1 findings of error severity; 2 usage.")
@_guard
def check(
    paths: List[str] = typer.Argument(None, help="Rule files or folders (the same as --rules)."),
    fmt: TextOrJson = _format("text or json.", TextOrJson, "text"),
    invariants: bool = typer.Option(True, "--invariants/--no-invariants", help="Prove the invariants and run the exact findings (C129-C132)."),
    counterexamples: Optional[str] = typer.Option(None, "--counterexamples", metavar="DIR",
                                                  help="Write each violated invariant's counter-example as a request "
                                                       "file in this folder (nothing is written without it)."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    outcome_redundancy: bool = typer.Option(False, "--outcome-redundancy",
                                            help="Also report conditions other rules make irrelevant (C133)."),
    time_limit: float = typer.Option(warrant.DEFAULT_TIME_LIMIT, "--time-limit", metavar="SECONDS", min=1,
                                     max=warrant.MAX_TIME_LIMIT,
                                     help="Bound on the exact analysis (findings and invariants together); "
                                          "what it does not finish is reported as not proved."),
    jobs: int = typer.Option(0, "--jobs", metavar="N", help="Worker processes for a long exact analysis, "
                                                           "1 to 64 (0: one per core; the findings are the same)."),
) -> None:
    """Check rule files without deciding anything: every finding, with its code and place; then the invariants.

    Examples:

      warrant check

      warrant check --rules examples/rulebases/uk_gdpr --format json
    """
    report = warrant.check(list(paths or []) + list(rules or []), invariants=invariants,
                           counterexamples=counterexamples, outcome_redundancy=outcome_redundancy,
                           time_limit=time_limit, jobs=jobs)
    _write(report.render(fmt.value))
    raise typer.Exit(report.exit_code)


@app.command(epilog="Exit codes: 0 nothing to change; 1 with --check, a file would change; 2 a file does not parse.")
@_guard
def fmt(
    paths: List[str] = typer.Argument(None, help="Rule files or folders (the same as --rules)."),
    check_only: bool = typer.Option(False, "--check", help="Change nothing; exit 1 if a file would change."),
    diff: bool = typer.Option(False, "--diff", help="Show what would change, and change nothing (like --check)."),
    fix: bool = typer.Option(False, "--fix", help="Rewrite the files (what fmt does anyway; said outright, e.g. "
                                                  "as the warrant-fmt pre-commit hook's args, instead of --check)."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    output: TextOrJson = _format("text or json.", TextOrJson, "text"),
) -> None:
    """Rewrite rule files in the canonical layout (comments kept; atomic writes). `--check` and `--diff`
    write nothing.

    Examples:

      warrant fmt --check --diff

      warrant fmt rules/general.warrant
    """
    if fix and (check_only or diff):
        typer.echo("error: --fix rewrites the files; --check and --diff change nothing: give one or the other", err=True)
        raise typer.Exit(2)
    report = warrant.format_files(list(paths or []) + list(rules or []), write=not check_only, show_diff=diff)
    _write(report.render(output.value))
    if output.value == "text":
        typer.echo(report.summary(), err=True, nl=False)
    raise typer.Exit(report.exit_code)


@app.command(epilog="Exit codes: 0 the editor asked the server to exit; 2 pygls is not installed.")
def lsp(
    stdio: bool = typer.Option(True, "--stdio", help="Talk to the editor on standard input and output (the only "
                                                    "transport; editors pass it)."),
) -> None:
    """Serve the Language Server Protocol, for editors: check's findings as you type, hover, go to definition,
    references, rename, symbols, completion, formatting and quick fixes (README, "In your editor").
    """
    try:
        import warrant.lsp as editor
        import pygls  # noqa: F401 - said plainly when missing, before the editor waits on a silent process
    except ImportError as exc:
        typer.echo(f"error: the language server needs pygls: pip install 'warrant[lsp]' ({exc})", err=True)
        raise typer.Exit(2)
    editor.serve()


@app.command(epilog="Exit codes: 0 stopped (SIGINT or SIGTERM); 2 bad input or usage (the rules, the log, the token "
                    "file or the address, found before the port is bound); 5 the log cannot be opened.")
@_guard
def serve(
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    log: str = typer.Option("sqlite:///decisions.db", "--log", metavar="URL", envvar="WARRANT_LOG",
                            help=LOG_HELP + " Default: $WARRANT_LOG, else sqlite:///decisions.db."),
    host: str = typer.Option("127.0.0.1", "--host", help="The address to bind (loopback unless --tokens is given)."),
    port: int = typer.Option(8181, "--port", help="The port to bind."),
    workers: int = typer.Option(1, "--workers", metavar="N", help="Worker processes (1 to 64), sharing the log."),
    tokens: Optional[str] = typer.Option(None, "--tokens", metavar="FILE", help="Bearer tokens with roles "
                                         "(hashed; see `warrant token`). Without it only loopback is served."),
    replay_rules: List[str] = typer.Option([], "--replay-rules", metavar="NAME=DIR", help="A rulebase POST "
                                           "/v1/replay may replay the log against (repeatable)."),
    ssl_certfile: Optional[str] = typer.Option(None, "--ssl-certfile", metavar="FILE", help="TLS certificate."),
    ssl_keyfile: Optional[str] = typer.Option(None, "--ssl-keyfile", metavar="FILE", help="TLS private key."),
) -> None:
    """Serve decisions over HTTP (POST /v1/decide, /v1/decide/batch; the log, replay, metrics): every decision is
    in the log before it is answered (README, "Run it as a service").

    Example:

      warrant serve --rules rules --log sqlite:///decisions.db --port 8181
    """
    try:
        import warrant.serve as service
    except ImportError as exc:
        raise warrant.WarrantError.at("S002", f"the service needs its web parts: pip install 'warrant[serve]' "
                                              f"({exc})") from None
    known = {}
    for pair in replay_rules:
        name, equals, folder = pair.partition("=")
        if not (name and equals and folder):
            raise warrant.WarrantError.at("O003", f"--replay-rules takes NAME=DIR, not {pair!r}")
        known[name] = folder
    typer.echo(f"serving on {'https' if ssl_certfile else 'http'}://{host}:{port} (log {log})", err=True)
    service.serve(rules, log, host=host, port=port, workers=workers, tokens=tokens, replay_rules=known,
                  ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)


@app.command(epilog="Exit codes: 0 made; 2 an unknown role.")
@_guard
def token(
    name: str = typer.Argument(..., help="Who the token is for (a name shown in the server's log)."),
    role: List[str] = typer.Option(..., "--role", help="decide, read-log or admin (repeatable)."),
) -> None:
    """Make a bearer token for `warrant serve --tokens FILE`: the token is printed once on standard error, the
    entry to add to the token file (its sha256, never the token) on standard output."""
    import warrant.serve.auth as auth
    secret, entry = auth.new_token(name, list(role))
    typer.echo(f"token for {name} (shown once; the file keeps only its sha256): {secret}", err=True)
    _write(entry)


@app.command(name="test", epilog="Exit codes: 0 every case passed; 1 a case failed (or coverage under "
                                   "--fail-under); 2 a case file is bad.")
@_guard
def test_cases(
    paths: List[str] = typer.Argument(None, help="Case files or folders. Default: the rulebase's own cases, its "
                                                 "folder's cases/ (the shipped rulebase's: tests/golden/decisions)."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    update: bool = typer.Option(False, "--update", help="Rewrite the expected files of the cases run, and say "
                                                        "what changed in each."),
    outcomes_only: bool = typer.Option(False, "--outcomes-only", help="With --update: write expected files that "
                                                                      "assert outcomes and deciding rules only."),
    coverage: bool = typer.Option(False, "--coverage", help="Report which rules, conditions, assumptions and "
                                                            "policies the cases exercise."),
    fail_under: Optional[float] = typer.Option(None, "--fail-under", metavar="PCT", help="With --coverage: fail when under "
                                                                          "this percentage of rules fired."),
    fmt: TextOrJson = _format("text or json.", TextOrJson, "text"),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Proof-check every decision."),
    jobs: int = typer.Option(0, "--jobs", metavar="N", help="Worker processes for large suites, 1 to 64 (0: one per core)."),
) -> None:
    """Run golden cases: each request beside its expected decision and trace (NAME.expected.json).

    Without PATHS, the cases of the rulebase that answers (--rules DIR): the .yaml, .yml and .json requests in
    DIR/cases/, or tests/golden/decisions/ for the shipped rulebase.

    Examples:

      warrant test --coverage

      warrant test my_law/cases/new_case.yaml --rules my_law --update --outcomes-only
    """
    suite = _load(rules).test(paths or (), update=update, verify=verify, jobs=jobs, outcomes_only=outcomes_only,
                              coverage=coverage, fail_under=fail_under)
    _write(suite.render(fmt.value))
    if suite.under_coverage:
        typer.echo(f"coverage {suite.coverage.rule_percent}% of rules fired is under --fail-under {fail_under}%",
                   err=True)
    raise typer.Exit(suite.exit_code)


@app.command()
@_guard
def schema(rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
           form: JsonOnly = _format("json: the only form (a JSON Schema).", JsonOnly, "json")) -> None:
    """Print the JSON Schema of a request, generated from the rulebase's declared vocabulary.

    Examples:

      warrant schema > request.schema.json

      warrant schema --rules examples/rulebases/uk_gdpr
    """
    typer.echo(json.dumps(_load(rules).schema(), indent=2, ensure_ascii=False))


@app.command()
@_guard
def init(folder: str = typer.Argument(..., help="A new (or empty) folder for the rulebase.")) -> None:
    """Start a rulebase for another law: vocabulary, a source, a policy, an invariant and a golden case.

    Examples:

      warrant init my_law && warrant check --rules my_law && warrant test --rules my_law

    The folder passes `warrant check --rules FOLDER` and `warrant test --rules FOLDER` as created.
    """
    for path in warrant.init(folder):
        typer.echo(f"wrote {path}")
    typer.echo(f"next: warrant check --rules {folder} && warrant test --rules {folder}")


@app.command(name="rules")
@_guard
def list_rules(
    at: Optional[str] = typer.Option(None, "--at", metavar="YYYY-MM-DD", help="Only policies in force on this date."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: TextOrJson = _format("text or json.", TextOrJson, "text"),
) -> None:
    """The policies and rules (in force on a date), with statements and citations.

    Examples:

      warrant rules --at 2018-06-01

      warrant rules --format json
    """
    _write(_load(rules).rules(at).render(fmt.value))


@app.command()
@_guard
def show(name: str, rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
         fmt: TextOrJson = _format("text or json.", TextOrJson, "text")) -> None:
    """Any name: a rule, set or dated set (its periods), value, defined concept (its rules), field,
    enumeration, assumption (its readings), invariant, source or policy.

    Examples:

      warrant show restriction_serious_offender

      warrant show clinical_data

      warrant show clinical_never --format json
    """
    _write(_load(rules).show(name).render(fmt.value))


@app.command()
@_guard
def timeline(
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    svg: Optional[str] = typer.Option(None, "--svg", metavar="FILE", help="Also write the chart as an SVG image to this file."),
    fmt: TextOrJson = _format("text or json.", TextOrJson, "text"),
) -> None:
    """The periods in force of every policy, and each dated set's and value's values, as a chart.

    Examples:

      warrant timeline

      warrant timeline --svg timeline.svg
    """
    rulebase = _load(rules)
    chart = rulebase.timeline()
    if svg:
        warrant.write_atomic(svg, rulebase.timeline_svg())
    if fmt.value == "json":
        _write(json.dumps({**chart.to_json(), "svg": svg}, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        return
    _write(chart.render("text"))
    if svg:
        typer.echo(f"wrote {svg}")

# ---- warrant log: the decision log ---------------------------------------------------------------------------
log_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                      help="The decision log: show, list, count, export, verify, prune and replay logged decisions.")
app.add_typer(log_app, name="log")
LogShowFormat = _choices("LogShowFormat", ("text", "json", "markdown", "dot", "html", "record"))
ReplayFormat = _choices("ReplayFormat", ("text", "json", "markdown", "html"))


def _log_option():
    return typer.Option(..., "--log", metavar="URL", envvar="WARRANT_LOG", help=LOG_HELP + " Default: $WARRANT_LOG.")


def _filters(since, until, outcome, rule, policy, rulebase_digest) -> dict:
    return dict(since=since, until=until, outcome=outcome, rule=rule, policy=policy, rulebase=rulebase_digest)


_SINCE = typer.Option(None, "--since", metavar="DATE|TIME", help="Decisions made at or after this (UTC).")
_UNTIL = typer.Option(None, "--until", metavar="DATE|TIME", help="Decisions made before this (UTC).")
_OUTCOME = typer.Option(None, "--outcome", help="permitted, partially_permitted, refused or undetermined.")
_RULE = typer.Option(None, "--rule", metavar="RULE", help="Decisions an item of which this rule decided.")
_POLICY = typer.Option(None, "--policy", metavar="POLICY", help="Decisions an item of which a rule of this policy "
                                                                 "decided.")
_DIGEST = typer.Option(None, "--rulebase", metavar="SHA256", help="Decisions made by this rulebase (its sha256, or "
                                                                   "the start of it).")


@log_app.command("show", epilog="Exit codes: 0 shown; 2 no such decision or bad usage; 5 the log cannot be read.")
@_guard
def log_show(record_id: str = typer.Argument(..., metavar="ID", help="A decision id (or a unique start of it)."),
             log: str = _log_option(),
             fmt: LogShowFormat = _format("As warrant decide printed it (text, json, markdown, dot, html), or the whole "
                                          "stored record (record).", LogShowFormat, "text"),
             out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write to this file (atomically).")
             ) -> None:
    """One logged decision, as `warrant decide` printed it, from the log alone (no rulebase needed)."""
    with warrant.DecisionLog(log) as kept:
        _emit(kept.show(record_id).render(fmt.value), out)


@log_app.command("list", epilog="Exit codes: 0 listed; 2 bad usage; 5 the log cannot be read.")
@_guard
def log_list(log: str = _log_option(), since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL,
             outcome: Optional[str] = _OUTCOME, rule: Optional[str] = _RULE, policy: Optional[str] = _POLICY,
             rulebase_digest: Optional[str] = _DIGEST,
             after: int = typer.Option(0, "--after", metavar="CURSOR", help="The cursor a previous page printed."),
             limit: int = typer.Option(50, "--limit", metavar="N", help="Decisions per page (1 to 1,000)."),
             fmt: TextOrJson = _format("text or json.", TextOrJson, "text")) -> None:
    """Logged decisions, oldest first, a page at a time, with filters."""
    with warrant.DecisionLog(log) as kept:
        _write(kept.list(after=after, limit=limit, **_filters(since, until, outcome, rule, policy,
                                                              rulebase_digest)).render(fmt.value))


@log_app.command("stats", epilog="Exit codes: 0 counted; 2 bad usage; 5 the log cannot be read.")
@_guard
def log_stats(log: str = _log_option(), since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL,
              outcome: Optional[str] = _OUTCOME, rule: Optional[str] = _RULE, policy: Optional[str] = _POLICY,
              rulebase_digest: Optional[str] = _DIGEST,
              fmt: TextOrJson = _format("text or json.", TextOrJson, "text")) -> None:
    """Counts of logged decisions by outcome and month, and of their items by deciding rule and policy."""
    with warrant.DecisionLog(log) as kept:
        _write(kept.stats(**_filters(since, until, outcome, rule, policy, rulebase_digest)).render(fmt.value))


@log_app.command("export", epilog="Exit codes: 0 exported; 2 bad usage; 5 the log cannot be read.")
@_guard
def log_export(log: str = _log_option(), since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL,
               outcome: Optional[str] = _OUTCOME, rule: Optional[str] = _RULE, policy: Optional[str] = _POLICY,
               rulebase_digest: Optional[str] = _DIGEST,
               out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write to this file (atomically).")
               ) -> None:
    """Every matching record, whole (body, place in the chain, hashes), as JSON Lines, streamed."""
    with warrant.DecisionLog(log) as kept:
        lines = kept.export(**_filters(since, until, outcome, rule, policy, rulebase_digest))
        _stream(lines, out, lambda: f"exported -> {out}")


@log_app.command("verify", epilog="Exit codes: 0 the chain holds; 1 a link is broken; 5 the log cannot be read.")
@_guard
def log_verify(log: str = _log_option(), fmt: TextOrJson = _format("text or json.", TextOrJson, "text")) -> None:
    """Walk the whole chain: every record's content, its link to the one before, its columns and items."""
    with warrant.DecisionLog(log) as kept:
        found = kept.verify()
    _write(found.render(fmt.value))
    raise typer.Exit(found.exit_code)


@log_app.command("prune", epilog="Exit codes: 0 pruned (or nothing to prune); 2 bad usage; 5 the log cannot be "
                                 "written.")
@_guard
def log_prune(log: str = _log_option(),
              before: str = typer.Option(..., "--before", metavar="DATE", help="Remove decisions made before this "
                                                                               "day (UTC)."),
              fmt: TextOrJson = _format("text or json.", TextOrJson, "text")) -> None:
    """Remove old decisions, leaving a checkpoint record that vouches for what went (the chain still verifies)."""
    with warrant.DecisionLog(log) as kept:
        _write(kept.prune(before).render(fmt.value))


@log_app.command("replay", epilog="Exit codes: 0 no logged decision would change; 1 some would, or some could not "
                                  "be replayed; 2 bad input or usage; 5 the log cannot be read.")
@_guard
def log_replay(log: str = _log_option(),
               rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help="The corrected rulebase. "
                                                                                              + RULES_HELP),
               at: Optional[str] = typer.Option(None, "--at", metavar="YYYY-MM-DD", help="Decide every logged request "
                                                "as at this date (default: each as at its own)."),
               assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off|READING",
                                                help="Change an assumption for every replayed decision."),
               jobs: int = typer.Option(0, "--jobs", metavar="N", help="Worker processes, 1 to 64 (0: one per core)."),
               since: Optional[str] = _SINCE, until: Optional[str] = _UNTIL, outcome: Optional[str] = _OUTCOME,
               rule: Optional[str] = _RULE, policy: Optional[str] = _POLICY, rulebase_digest: Optional[str] = _DIGEST,
               fmt: ReplayFormat = _format("text, json, markdown or html.", ReplayFormat, "text"),
               out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write to this file (atomically).")
               ) -> None:
    """Which logged decisions another rulebase (or date, or assumption) would change, grouped by the rule that
    made the difference, with counts and example decision ids.

    Example:

      warrant log replay --log sqlite:///decisions.db --rules corrected_rules/
    """
    rulebase = _load(rules)
    with warrant.DecisionLog(log) as kept:
        found = kept.replay(rulebase, at=at, assume=_assumptions(assume), jobs=jobs,
                            **_filters(since, until, outcome, rule, policy, rulebase_digest))
    _emit(found.render(fmt.value), out)
    raise typer.Exit(found.exit_code)


def _on_sigterm(signum, frame):
    raise warrant.Terminated()


def main() -> None:
    import signal
    signal.signal(signal.SIGTERM, _on_sigterm)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a file-size limit is then an OSError we report, not a kill
    try:
        app()
    except SystemExit:
        raise
    except BaseException as exc:  # pragma: no cover - last line of defence
        _fail(exc, False)


if __name__ == "__main__":
    main()
