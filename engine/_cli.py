"""The `warrant` command: parse arguments, call the engine, render, exit.

Exit codes: 0 every requested item permitted (or no findings), 1 anything
refused (or findings of error severity), 2 bad input or usage, 3 a bug in
Warrant itself. No traceback ever reaches the user.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from warrant.analysis.budget import DEFAULT_SECONDS, MAX_SECONDS

app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None)

RULES_HELP = ("Rule folder or files. Default: $WARRANT_RULES, else ./rules when it holds rule files, "
              "else the shipped rulebase.")
EXIT_HELP = ("Exit codes: 0 every requested item permitted; 1 anything refused; "
             "2 bad input or usage; 3 an internal error (a bug in Warrant).")


def _wants_json() -> bool:
    """Whether this command was asked for JSON (`--format json`): then errors are JSON too."""
    args = sys.argv[1:]
    return "--format=json" in args or any(a == "--format" and b == "json" for a, b in zip(args, args[1:]))


def _fail(exc) -> None:
    from warrant.pipeline.errors import RunFault, WarrantError, render_all
    if isinstance(exc, WarrantError) and _wants_json():
        import json as _json
        errors = [{"code": d.code, "message": d.message, "severity": d.severity,
                   "file": d.span.file if d.span else None, "line": d.span.line if d.span else None,
                   "column": d.span.column if d.span else None, "suggestion": d.suggestion, "notes": list(d.notes)}
                  for d in exc.diagnostics]
        typer.echo(_json.dumps({"errors": errors}, indent=2, ensure_ascii=False, sort_keys=True))
        raise typer.Exit(2)
    if isinstance(exc, WarrantError):
        typer.echo(render_all(exc.diagnostics), err=True)
        raise typer.Exit(2)
    if isinstance(exc, RunFault):
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(3)
    typer.echo(f"internal error: this is a bug in Warrant, not in your input.\n  {type(exc).__name__}: {exc}",
               err=True)
    raise typer.Exit(3)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush cannot fail again."""
    import os
    try:
        sys.stdout.flush()
    except OSError:
        pass
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _guard(function):
    """Run a command body, turning our errors into messages and exit codes."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
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
                from warrant.pipeline.errors import WarrantError
                _fail(WarrantError.at("O007", f"cannot write the output: {exc.strerror or exc}"))
            _fail(exc)
        except Exception as exc:  # noqa: BLE001 - the one place every error is turned into a message
            _fail(exc)
        except BaseException as exc:
            from warrant.pipeline.errors import Terminated
            if isinstance(exc, Terminated):
                typer.echo("terminated; nothing half-written was kept", err=True)
                raise typer.Exit(143)
            raise
    return wrapper


def _version(value: bool) -> None:
    if value:
        from warrant import __version__
        typer.echo(f"warrant {__version__}")
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


def _date(text: Optional[str], option: str = "--at"):
    if text is None:
        return None
    from warrant.pipeline.errors import WarrantError
    from warrant.pipeline.values import parse_date
    try:
        return parse_date(text)
    except ValueError:
        raise WarrantError.at("O002", f"{option} takes a date written YYYY-MM-DD, got {text!r}") from None


def _assumptions(pairs: List[str]) -> dict:
    from warrant.pipeline.errors import WarrantError
    out = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if value not in ("on", "off"):
            raise WarrantError.at("O003", f"--assume takes NAME=on or NAME=off, got {pair!r}")
        out[name] = value == "on"
    return out


def _jobs(jobs: int) -> int:
    """--jobs within the documented bound: 0 (one per core) or 1 to MAX_JOBS."""
    from warrant.pipeline.errors import WarrantError
    from warrant.pipeline.limits import MAX_JOBS
    if not 0 <= jobs <= MAX_JOBS:
        raise WarrantError.at("O013", f"--jobs is 0 (one per core) or 1 to {MAX_JOBS}, not {jobs}")
    return jobs


def _formats(fmt: str, allowed: tuple) -> None:
    if fmt not in allowed:
        from warrant.pipeline.errors import WarrantError
        raise WarrantError.at("O004", f"--format is {' or '.join(allowed)}, not {fmt!r}")


def _print_json(data) -> None:
    import json as _json
    sys.stdout.write(_json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def _rules(rules: Optional[List[str]]):
    from warrant.pipeline.rulebase import load_rulebase
    return load_rulebase(rules or None)


@app.command(epilog=EXIT_HELP)
@_guard
def decide(
    requests: List[str] = typer.Argument(None, help="Request files (YAML or JSON)."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    at: Optional[str] = typer.Option(None, "--at", metavar="YYYY-MM-DD", help="Decide as if the request were made on this date."),
    fmt: str = typer.Option("text", "--format", metavar="[text|json|markdown|dot|html]", help="text, json, markdown, dot or html (a report to attach)."),
    set_: List[str] = typer.Option([], "--set", metavar="FIELD=VALUE", help="Override a fact: FIELD=VALUE (dotted path)."),
    assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off", help="Switch an assumption: NAME=on|off."),
    with_draft: List[str] = typer.Option([], "--with-draft", metavar="POLICY", help="Switch a draft policy on."),
    verify: bool = typer.Option(False, "--verify", help="Check every proof with the independent proof checker."),
    batch: Optional[str] = typer.Option(None, "--batch", metavar="FILE.jsonl", help="A JSON Lines file of requests to decide in bulk."),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write the output to this file (atomically); with --batch, "
                                                          "the decisions as JSON Lines."),
    trace: str = typer.Option("refused", "--trace", metavar="[none|refused|all]", help="With --batch: none, refused or all."),
    jobs: int = typer.Option(0, "--jobs", metavar="N", help="With --batch: worker processes (0: one per core)."),
    vary: List[str] = typer.Option([], "--vary", metavar="FIELD", help="Let what-would-have-to-change suggestions alter this "
                                                      "fixed field too (items, or a field declared `fixed`)."),
) -> None:
    """Decide requests and explain each decision, with what would have to change for a refused item.

    Examples:

      warrant decide examples/requests/mou_tracing.json

      warrant decide examples/requests/readme_debt_exactly_500.yaml --format html --out report.html
    """
    from warrant.pipeline.errors import WarrantError
    from warrant.pipeline.render import RENDERERS
    if fmt not in RENDERERS:
        raise WarrantError.at("O004", f"--format is one of {', '.join(RENDERERS)}, not {fmt!r}")
    rulebase = _rules(rules)
    fixed = rulebase.vocabulary.fixed[1:]
    for name in vary:
        if name not in fixed:
            raise WarrantError.at("O008", f"--vary takes one of {', '.join(fixed)}, not {name!r}",
                                  notes=("every other fact a request holds may already change",))
    when = _date(at)
    switches = _assumptions(assume)
    if batch:
        ignored = [name for name, given in (("request files", bool(requests)), ("--set", bool(set_)),
                                            ("--verify", verify), ("--vary", bool(vary)),
                                            (f"--format {fmt}", fmt not in ("text", "json"))) if given]
        if ignored:
            raise WarrantError.at("O005", f"--batch does not take {', '.join(ignored)}",
                                  notes=("a batch writes JSON Lines records (--trace none|refused|all); decide "
                                         "request files without --batch for the other options",))
        from warrant.batch.batch import run_batch_cli
        raise typer.Exit(run_batch_cli(rulebase, batch, out, trace, _jobs(jobs), when, switches, tuple(with_draft)))
    if not requests:
        raise WarrantError.at("O005", "name at least one request file (or use --batch FILE)")
    if trace != "refused" or jobs:
        raise WarrantError.at("O005", "--trace and --jobs go with --batch FILE")
    from warrant.pipeline.decide import decide as decide_request, exit_code
    from warrant.pipeline.request import load_request
    from warrant.review.whatif import apply_overrides
    decisions = []
    for path in requests:
        request, settings = apply_overrides(load_request(path, rulebase.vocabulary), set_, rulebase.vocabulary)
        if when:
            settings.insert(0, ("--at", when.isoformat()))
        settings += [("--assume", f"{k}={'on' if v else 'off'}") for k, v in sorted(switches.items())]
        settings += [("--with-draft", d) for d in with_draft]
        decision = decide_request(rulebase, request, at=when, assume=switches, drafts=tuple(with_draft),
                                  settings=tuple(settings), vary=tuple(vary))
        if verify:
            from warrant.checker.verify import verify_decision
            problems = verify_decision(rulebase, request, decision, at=when, assume=switches,
                                       drafts=tuple(with_draft))
            if problems:
                raise RuntimeError("proof check failed: " + "; ".join(problems))
        decisions.append(decision)
    text = RENDERERS[fmt](decisions)
    if out:
        from warrant.pipeline.files import write_atomic
        write_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)
    else:
        sys.stdout.write(text)
    if verify:
        typer.echo(f"verified: every proof of {len(decisions)} decision(s) checked", err=True)
    raise typer.Exit(exit_code(decisions))


@app.command(epilog="Exit codes: 0 the variants agree on every item; 1 they differ; 2 bad input or usage.")
@_guard
def compare(
    request: str = typer.Argument(..., help="A request file (YAML or JSON)."),
    at: List[str] = typer.Option([], "--at", metavar="YYYY-MM-DD", help="A date to decide on; give it twice to compare two dates."),
    set_: List[str] = typer.Option([], "--set", metavar="FIELD=VALUE", help="Override a fact in the second variant: FIELD=VALUE."),
    assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off", help="Switch an assumption in the second variant."),
    with_draft: List[str] = typer.Option([], "--with-draft", metavar="POLICY", help="Switch a draft on in the second variant."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: str = typer.Option("text", "--format", metavar="[text|json]", help="text or json."),
) -> None:
    """One request under two or more variants: outcomes side by side, and what made each difference.

    Examples:

      warrant compare examples/requests/mou_tracing.json --at 2018-05-08 --at 2018-05-09

      warrant compare examples/requests/readme_debt_exactly_500.yaml --assume debt_threshold_inclusive=off
    """
    import json as _json
    from warrant.review.compare import build_variants, compare as compare_variants, render_comparison
    from warrant.pipeline.request import load_request
    rulebase = _rules(rules)
    variants = build_variants(rulebase, load_request(request, rulebase.vocabulary), [_date(d) for d in at], set_,
                              _assumptions(assume), tuple(with_draft))
    comparison = compare_variants(variants)
    if fmt == "json":
        typer.echo(_json.dumps(comparison.to_json(), indent=2, ensure_ascii=False, sort_keys=True))
    else:
        typer.echo(render_comparison(comparison), nl=False)
    raise typer.Exit(1 if comparison.differences else 0)


@app.command(epilog="Exit codes: 0 done; 2 bad input or usage (unreadable lines are reported, not fatal).")
@_guard
def impact(
    batch: str = typer.Argument(..., help="A JSON Lines file of requests (e.g. from `warrant generate`)."),
    at: List[str] = typer.Option([], "--at", metavar="YYYY-MM-DD", help="Twice: baseline date, then changed date. Once: the date of "
                                                  "both scenarios with --assume/--with-draft, else the changed date."),
    assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off", help="Switch an assumption in the changed scenario."),
    with_draft: List[str] = typer.Option([], "--with-draft", metavar="POLICY", help="Switch a draft on in the changed scenario."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: str = typer.Option("text", "--format", metavar="[text|json|csv]", help="text, json or csv."),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write the report to this file (atomically)."),
) -> None:
    """A policy change's effect over a batch: decisions that change, by arrangement and by deciding rule.

    Examples:

      warrant impact examples/batches/synthetic_400.jsonl --at 2018-05-08 --at 2018-05-09

      warrant impact batch.jsonl --assume debt_threshold_inclusive=off --format csv --out impact.csv
    """
    import json as _json
    from warrant.pipeline.errors import WarrantError
    from warrant.review.impact import impact as run_impact, render_impact_csv, render_impact_text, scenarios
    from warrant.batch.progress import progress_over
    if fmt not in ("text", "json", "csv"):
        raise WarrantError.at("O004", f"--format is text, json or csv, not {fmt!r}")
    rulebase = _rules(rules)
    before, after = scenarios(rulebase, [_date(d) for d in at], _assumptions(assume), tuple(with_draft))
    with progress_over(batch, "deciding") as (lines, tick):
        report = run_impact(rulebase, lines, before, after, tick)
    from warrant.pipeline.record import header, rulebase_digest
    text = (_json.dumps({"rulebase": rulebase_digest(rulebase), **report.to_json()}, indent=2, ensure_ascii=False)
            + "\n" if fmt == "json" else render_impact_csv(report) if fmt == "csv" else
            header(rulebase_digest(rulebase)) + "\n" + render_impact_text(report))
    if out:
        from warrant.pipeline.files import write_atomic
        write_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)
    else:
        sys.stdout.write(text)
    raise typer.Exit(0)


@app.command(epilog="Exit codes: 0 equivalent for every request; 1 some requests are decided differently, or "
                    "the search stopped at a bound before it could say; 2 bad input or usage; 3 an internal error.")
@_guard
def diff(
    before: Optional[str] = typer.Argument(None, help="The rulebase before: a folder, or REV:FOLDER for a git "
                                                      "revision (e.g. HEAD~1:rules). Default: --rules."),
    after: Optional[str] = typer.Argument(None, help="The rulebase after (a folder or REV:FOLDER). Default: --rules."),
    at: List[str] = typer.Option([], "--at", metavar="YYYY-MM-DD", help="Once: the date of every request. Twice: before, then after."),
    assume: List[str] = typer.Option([], "--assume", metavar="NAME=on|off", help="NAME=on|off: with one rulebase, compared with its "
                                                          "opposite; with two, fixed for both."),
    with_draft: List[str] = typer.Option([], "--with-draft", metavar="POLICY", help="A draft: with one rulebase, off before and on "
                                                                  "after; with two, on for both."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: str = typer.Option("text", "--format", metavar="[text|json|markdown]", help="text, json or markdown."),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write the report to this file (atomically)."),
    time_limit: float = typer.Option(DEFAULT_SECONDS, "--time-limit", metavar="SECONDS", min=1, max=MAX_SECONDS,
                                     help="Bound on the search; a search it stops says so and is not "
                                          "called equivalent."),
) -> None:
    """Every region of requests decided differently by two rulebases, dates or settings, each with a witness.

    Examples:

      warrant diff --at 2018-05-08 --at 2018-05-09

      warrant diff --assume debt_threshold_inclusive=on

      warrant diff HEAD~1:rules rules
    """
    from warrant.analysis.budget import Budget, bounded
    from warrant.analysis.diff import diff as run_diff, scenarios
    from warrant.analysis.render import render_json, render_markdown, render_text
    from warrant.analysis.revision import checkout, is_revision
    from warrant.pipeline.errors import WarrantError
    from warrant.pipeline.record import files_digest
    from warrant.pipeline.rulebase import load_rulebase, resolve_rules
    if fmt not in ("text", "json", "markdown"):
        raise WarrantError.at("O004", f"--format is text, json or markdown, not {fmt!r}")
    temporary = []
    try:
        def side(spec):
            if spec is None:
                paths = resolve_rules(list(rules or []))
                return load_rulebase(paths), " ".join(paths)
            if is_revision(spec):
                temporary.append(checkout(spec))
                try:
                    loaded = load_rulebase([temporary[-1].path], cache=False)
                except WarrantError as exc:
                    raise temporary[-1].relocated(exc) from None
                digest = files_digest(loaded.files, temporary[-1].path)     # read now: the folder goes below
                loaded.__dict__["_record_digest"] = {**digest, "rules": spec}
                return loaded, spec
            return load_rulebase([spec]), spec
        old, old_label = side(before)
        new, new_label = side(after) if (after or before) else (old, old_label)
        left, right = scenarios(old, new, old_label, new_label, [_date(d) for d in at], _assumptions(assume),
                                tuple(with_draft))
        with bounded(Budget(time_limit, "diff")):
            report = run_diff(left, right)
    finally:
        for revision in temporary:
            revision.remove()
    text = {"json": render_json, "markdown": render_markdown}.get(fmt, render_text)(report)
    if out:
        from warrant.pipeline.files import write_atomic
        write_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)
    else:
        sys.stdout.write(text)
    raise typer.Exit(0 if report.equivalent else 1)


@app.command()
@_guard
def generate(
    count: int = typer.Argument(1000, min=0, help="How many requests."),
    seed: int = typer.Option(7, "--seed", metavar="N", help="The same seed gives the same requests."),
    out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write to this file (atomically) instead of stdout."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: str = typer.Option("json", "--format", metavar="[json]", help="json (JSON Lines, one request a line): the only form."),
) -> None:
    """Synthetic requests as JSON Lines, from the rulebase's distribution.yaml (or the documented default).

    Examples:

      warrant generate 1000 --seed 7 --out batch.jsonl

      warrant generate 50 --rules examples/rulebases/uk_gdpr
    """
    import contextlib
    import json as _json
    from warrant.pipeline.files import atomic_stream
    from warrant.batch.synthetic import generate as make
    from warrant.pipeline.errors import WarrantError
    from warrant.pipeline.limits import MAX_GENERATE
    _formats(fmt, ("json",))
    if count > MAX_GENERATE:
        raise WarrantError.at("O013", f"warrant generate makes at most {MAX_GENERATE:,} requests in one run")
    records = make(_rules(rules), count, seed)
    with (atomic_stream(out) if out else contextlib.nullcontext(sys.stdout)) as sink:   # streamed: flat memory
        for record in records:
            sink.write(_json.dumps(record) + "\n")
    if out:
        typer.echo(f"wrote {count} request(s) to {out}", err=True)


@app.command(epilog="Exit codes: 0 no errors; 1 findings of error severity; 2 usage.")
@_guard
def check(
    paths: List[str] = typer.Argument(None, help="Rule files or folders (the same as --rules)."),
    fmt: str = typer.Option("text", "--format", metavar="[text|json]", help="text or json."),
    invariants: bool = typer.Option(True, "--invariants/--no-invariants", help="Prove the invariants and run the exact findings (C129-C132)."),
    counterexamples: Optional[str] = typer.Option(None, "--counterexamples", metavar="DIR",
                                                  help="Write each violated invariant's counter-example as a request "
                                                       "file in this folder (nothing is written without it)."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    outcome_redundancy: bool = typer.Option(False, "--outcome-redundancy",
                                            help="Also report conditions other rules make irrelevant (C133)."),
    time_limit: float = typer.Option(DEFAULT_SECONDS, "--time-limit", metavar="SECONDS", min=1, max=MAX_SECONDS,
                                     help="Bound on the exact analysis (findings and invariants together); "
                                          "what it does not finish is reported as not proved."),
) -> None:
    """Check rule files without deciding anything: every finding, with its code and place; then the invariants.

    Examples:

      warrant check

      warrant check --rules examples/rulebases/uk_gdpr --format json
    """
    import json as _json
    from warrant.pipeline.errors import render_all
    from warrant.author.lint import lint
    from warrant.pipeline.rulebase import resolve_rules
    from warrant.pipeline.record import files_digest, header
    from warrant.pipeline.rulebase import rule_files
    chosen = resolve_rules(list(paths or []) + list(rules or []))
    report = lint(chosen, invariants, counterexamples, outcome_redundancy, time_limit)
    digest = files_digest(rule_files(chosen), chosen[0] if len(chosen) == 1 and os.path.isdir(chosen[0]) else None)
    if fmt == "json":
        typer.echo(_json.dumps({"rulebase": digest, **report.to_json()}, indent=2, ensure_ascii=False))
    else:
        typer.echo(header(digest))
        typer.echo(render_all(report.diagnostics))
        if report.summary():
            typer.echo(report.summary())
    raise typer.Exit(1 if report.failed else 0)


@app.command(epilog="Exit codes: 0 nothing to change; 1 with --check, a file would change; 2 a file does not parse.")
@_guard
def fmt(
    paths: List[str] = typer.Argument(None, help="Rule files or folders (the same as --rules)."),
    check_only: bool = typer.Option(False, "--check", help="Change nothing; exit 1 if a file would change."),
    diff: bool = typer.Option(False, "--diff", help="Show what would change, and change nothing (like --check)."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    output: str = typer.Option("text", "--format", metavar="[text|json]", help="text or json."),
) -> None:
    """Rewrite rule files in the canonical layout (comments kept; atomic writes). `--check` and `--diff`
    write nothing.

    Examples:

      warrant fmt --check --diff

      warrant fmt rules/general.warrant
    """
    from warrant.pipeline.errors import render_all
    from warrant.author.format import format_paths
    from warrant.pipeline.rulebase import resolve_rules
    _formats(output, ("text", "json"))
    check_only = check_only or diff          # showing what would change never changes it
    report = format_paths(resolve_rules(list(paths or []) + list(rules or [])), write=not check_only, diff=diff)
    code = 2 if report.errors else 1 if check_only and report.changed else 0
    if output == "json":
        _print_json({"check": check_only, "changed": [{"file": p, "diff": patch if diff else None}
                                                      for p, patch in report.changed],
                     "unchanged": report.unchanged, "errors": [d.to_json() for d in report.errors]})
        raise typer.Exit(code)
    for path, patch in report.changed:
        typer.echo(f"{'would reformat' if check_only else 'reformatted'} {path}")
        if diff:
            typer.echo(patch, nl=False)
    if report.errors:
        typer.echo(render_all(report.errors), err=True)
    typer.echo(f"{len(report.changed)} file(s) {'would change' if check_only else 'reformatted'}, "
               f"{report.unchanged} unchanged, {len(report.errors)} not parsed", err=True)
    raise typer.Exit(2 if report.errors else 1 if check_only and report.changed else 0)


@app.command(name="test", epilog="Exit codes: 0 every case passed; 1 a case failed (or coverage under "
                                   "--fail-under); 2 a case file is bad.")
@_guard
def test_cases(
    paths: List[str] = typer.Argument(None, help="Case files or folders (default: tests/golden/decisions)."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    update: bool = typer.Option(False, "--update", help="Rewrite the expected files of the cases run, and say "
                                                        "what changed in each."),
    outcomes_only: bool = typer.Option(False, "--outcomes-only", help="With --update: write expected files that "
                                                                      "assert outcomes and deciding rules only."),
    coverage: bool = typer.Option(False, "--coverage", help="Report which rules, conditions, assumptions and "
                                                            "policies the cases exercise."),
    fail_under: Optional[float] = typer.Option(None, "--fail-under", metavar="PCT", help="With --coverage: fail when under "
                                                                          "this percentage of rules fired."),
    fmt: str = typer.Option("text", "--format", metavar="[text|json]", help="text or json."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Proof-check every decision."),
    jobs: int = typer.Option(0, "--jobs", metavar="N", help="Worker processes for large suites (0: one per core)."),
) -> None:
    """Run golden cases: each request beside its expected decision and trace (NAME.expected.json).

    Examples:

      warrant test --coverage

      warrant test my_law/cases/new_case.yaml --rules my_law --update --outcomes-only
    """
    import json as _json
    from warrant.author.golden import run_suite
    from warrant.pipeline.rulebase import default_cases, resolve_rules
    rulebase = _rules(rules)
    if outcomes_only and not update:
        from warrant.pipeline.errors import WarrantError
        raise WarrantError.at("O016", "--outcomes-only writes expected files: use it with --update")
    results = run_suite(rulebase, paths or [default_cases(resolve_rules(rules))], update=update, verify=verify,
                        jobs=_jobs(jobs), outcomes_only=outcomes_only,
                        decisions=coverage or fail_under is not None)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("passed", "failed", "missing", "updated", "error")}
    report = None
    if coverage or fail_under is not None:
        from warrant.author.coverage import measure, render_coverage
        report = measure(rulebase, [r.decision for r in results if r.decision is not None])
    from warrant.pipeline.record import header, rulebase_digest
    if fmt == "json":
        data = {"rulebase": rulebase_digest(rulebase),
                "cases": [{"case": r.path, "status": r.status, "outcome_changes": list(r.moved), "diff": r.diff}
                          for r in results], "counts": counts}
        if report is not None:
            data["coverage"] = report.to_json()
        typer.echo(_json.dumps(data, indent=2, ensure_ascii=False))
    else:
        typer.echo(header(rulebase_digest(rulebase)))
        shown = sorted((r for r in results if r.status != "passed"), key=lambda r: (not r.moved, r.path))
        for r in shown:                      # outcome changes first: they are what a reviewer must look at
            typer.echo(f"{r.status.upper()} {r.path}")
            if r.diff:
                typer.echo("  " + r.diff.rstrip("\n").replace("\n", "\n  "))
        if report is not None:
            typer.echo(render_coverage(report), nl=False)
        flipped = sum(1 for r in results if r.moved)
        typer.echo(", ".join(f"{n} {s}" for s, n in counts.items() if n or s in ("passed", "failed"))
                   + (f" ({flipped} with an outcome change)" if flipped else ""))
    code = 2 if counts["error"] else 1 if counts["failed"] or counts["missing"] else 0
    if fail_under is not None and report is not None and report.rule_percent < fail_under:
        typer.echo(f"coverage {report.rule_percent}% of rules fired is under --fail-under {fail_under}%", err=True)
        code = max(code, 1)
    raise typer.Exit(code)


@app.command()
@_guard
def schema(rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
           fmt: str = typer.Option("json", "--format", metavar="[json]", help="json: the only form (a JSON Schema).")) -> None:
    """Print the JSON Schema of a request, generated from the rulebase's declared vocabulary.

    Examples:

      warrant schema > request.schema.json

      warrant schema --rules examples/rulebases/uk_gdpr
    """
    import json as _json
    _formats(fmt, ("json",))
    typer.echo(_json.dumps(_rules(rules).vocabulary.json_schema(), indent=2, ensure_ascii=False))


@app.command()
@_guard
def init(folder: str = typer.Argument(..., help="A new (or empty) folder for the rulebase.")) -> None:
    """Start a rulebase for another law: vocabulary, a source, a policy, an invariant and a golden case.

    Examples:

      warrant init my_law && warrant check --rules my_law && warrant test --rules my_law

    The folder passes `warrant check --rules FOLDER` and `warrant test --rules FOLDER` as created.
    """
    from warrant.author.scaffold import scaffold
    for path in scaffold(folder):
        typer.echo(f"wrote {path}")
    typer.echo(f"next: warrant check --rules {folder} && warrant test --rules {folder}")


@app.command(name="rules")
@_guard
def list_rules(
    at: Optional[str] = typer.Option(None, "--at", metavar="YYYY-MM-DD", help="Only policies in force on this date."),
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    fmt: str = typer.Option("text", "--format", metavar="[text|json]", help="text or json."),
) -> None:
    """The policies and rules (in force on a date), with statements and citations.

    Examples:

      warrant rules --at 2018-06-01

      warrant rules --format json
    """
    from warrant.review.browse import render_rules, rules_json
    _formats(fmt, ("text", "json"))
    if fmt == "json":
        _print_json(rules_json(_rules(rules), _date(at)))
        return
    typer.echo(render_rules(_rules(rules), _date(at)), nl=False)


@app.command()
@_guard
def show(rule_id: str, rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
         fmt: str = typer.Option("text", "--format", metavar="[text|json]", help="text or json.")) -> None:
    """One rule: where it is, what it says, its sources, assumptions, and the rules that use it.

    Examples:

      warrant show restriction_serious_offender

      warrant show clinical_never --format json
    """
    from warrant.review.browse import render_rule, rule_json
    _formats(fmt, ("text", "json"))
    if fmt == "json":
        _print_json(rule_json(_rules(rules), rule_id))
        return
    typer.echo(render_rule(_rules(rules), rule_id), nl=False)


@app.command()
@_guard
def timeline(
    rules: Optional[List[str]] = typer.Option(None, "--rules", metavar="DIR", help=RULES_HELP),
    svg: Optional[str] = typer.Option(None, "--svg", metavar="FILE", help="Also write the chart as an SVG image to this file."),
    fmt: str = typer.Option("text", "--format", metavar="[text|json]", help="text or json."),
) -> None:
    """The periods in force of every policy, as a chart.

    Examples:

      warrant timeline

      warrant timeline --svg timeline.svg
    """
    from warrant.review.browse import render_timeline, timeline_json, timeline_svg
    from warrant.pipeline.files import write_atomic
    _formats(fmt, ("text", "json"))
    rulebase = _rules(rules)
    if svg:
        write_atomic(svg, timeline_svg(rulebase))
    if fmt == "json":
        _print_json({**timeline_json(rulebase), "svg": svg})
        return
    typer.echo(render_timeline(rulebase), nl=False)
    if svg:
        typer.echo(f"wrote {svg}")


def _on_sigterm(signum, frame):
    from warrant.pipeline.errors import Terminated
    raise Terminated()


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
        _fail(exc)


if __name__ == "__main__":
    main()
