"""How the engine's speed depends on the law's shape: generated laws beside the shipped one (issue 35, item 4).

    python bench/law_scaling.py [--sizes 1,2,3,4] [--requests 1000] [--traced 300] [--rounds 5] [--no-fourth]

Each size is a law written as rule files to a temporary folder, growing at
once in vocabulary width (yes/no fields), routes to release (permissions in
a policy of their own, beside a lineage of three versions of a struck-down
route), judgements (half the routes each read one; a request leaves each
open with probability 1/2), enumeration size (the places a request names),
dated periods (a dated set of places changed every year) and set sizes.
Every permission has an obligation, and two prohibitions are gated by
`in force(...)`; requests come from `warrant generate` (the documented
default distribution), 40 golden cases from `warrant test --update`.

For each law (and the shipped rules/ and the fourth rulebase,
examples/rulebases/ferpa_99_31, each with its own distribution, golden
cases and a changeover: 2018-05-09 and 2012-01-03) it prints, as whole `warrant` processes on this machine, the least
of --rounds runs (the run a busy shared machine disturbed least, as `timeit` advises) of: decisions/s of a plain batch (`--trace none`) with
`--jobs 1` and `--jobs 2`, of a refusal-traced batch (`--jobs 2`), the
cost per case of `warrant test`, `warrant check`, `check
--outcome-redundancy` (C133), a diff across one changeover of the dated
set, a `diff --assume` of the law's first two on/off assumptions turned
the other way ("-" for a law with none), and `impact` over 2,000 requests
across the changeover. The rounds go round the laws, so a slow spell of the
machine falls on every row alike; a second table gives each law's figures
against the shipped law's, as the targets of issue 35 are put, and a third
the same from the medians of the runs.
Every process writes and reads Python's bytecode, as on a user's machine (a
shell that sets PYTHONDONTWRITEBYTECODE, as this sandbox's does, would have
each one compile Warrant from source: about 0.18 s, the same for every law,
which pulls every ratio towards 1).
A figure past --cap seconds is cut and shown as ">cap". `--engine REV` runs
the engine of a git revision (checked out in a temporary worktree, put first
on PYTHONPATH) on the same laws and inputs: the "before" of a change.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARRANT = [sys.executable, "-c", "import sys; from warrant._cli import main; sys.exit(main())"]
ENGINE_PATH = ROOT          # what PYTHONPATH starts with: this tree, or a folder mapping `warrant` to REV's engine


def _env(**extra) -> dict:
    """The environment of a measured `warrant` process: this one's, with bytecode written and read."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": ENGINE_PATH, **extra}

#        width routes judgements places periods set
SIZES = {1: (4, 6, 1, 10, 2, 4),
         2: (8, 15, 3, 25, 5, 8),
         3: (16, 30, 6, 50, 10, 15),
         4: (30, 50, 10, 100, 20, 30)}
FIRST_YEAR = 2000


def law_files(size: int) -> dict[str, str]:
    """The rule files of a generated law of this size: {file name: text}."""
    width, routes, judgements, places, periods, set_size = SIZES[size]
    data = [f"d{i}" for i in range(max(6, routes // 3))]
    place = [f"p{i}" for i in range(places)]
    vocab = ['source act { publisher "Parliament" title "A Generated Act" date 1999-01-01 }',
             'enum datum "Data a request asks for" { ' + ", ".join(data) + " }",
             'enum place "Where the data would go" { ' + ", ".join(place) + " }",
             'field date: date required as request_date "The day of the disclosure."',
             'field items: many datum required as requested "The data to be disclosed."',
             'field destination: place required "Where the data would go."']
    vocab += [f'field flag{k}: boolean "Condition {k} holds."' for k in range(width)]
    vocab += [f'field judged{k}: boolean judgement "Judgement {k} is met (a judgement)."' for k in range(judgements)]
    groups = max(2, len(data) // 3)
    for g in range(groups):
        members = data[g::groups]
        vocab.append(f'set group{g} "Data group {g}" = {{ {", ".join(members)} }}')
    members = set(place[:set_size])
    lines = ['set zone "Approved destinations"', f'    from {FIRST_YEAR}-01-01 = {{ {", ".join(sorted(members))} }} '
             f'cites act "s.1"']
    for p in range(1, periods):
        joining = place[(set_size + p - 1) % places]
        leaving = sorted(members - {joining})[p % max(1, len(members) - 1)]
        members = (members | {joining}) - {leaving}
        lines.append(f'    from {FIRST_YEAR + p}-01-01 add {{{joining}}} remove {{{leaving}}} cites act "s.1({p})"')
    vocab.append("\n".join(lines))
    rules = []
    for r in range(routes):
        needs = [f"flag{(r + k) % width}" for k in range(min(2, width))]
        if judgements and r % 2 == 0:
            needs.append(f"judged{(r // 2) % judgements}")
        if r % 3 == 0:
            needs.append("destination(Where)\n     and Where in zone")
        body = "\n     and ".join([f"Item in group{r % groups}"] + needs)
        rules.append(f'    permit route{r} for Item\n        "Route {r} to release."\n        cites act "s.{10 + r}"\n'
                     f'        requires "Record the disclosure." cites act "s.9"\n        when {body}\n')
    release = ('policy release "Routes to release" cites act "s.2" {\n' + "\n".join(rules) + "}\n")
    versions = []
    for v, period in enumerate((f"in force until {FIRST_YEAR + 4}-12-31",
                                f"in force from {FIRST_YEAR + 5}-01-01 until {FIRST_YEAR + 8}-12-31",
                                f"in force from {FIRST_YEAR + 9}-01-01")):
        struck = "\n     and not flag0" if v == 1 else ""
        versions.append(f'policy struck_v{v} "The struck-down route, version {v}" version of struck_route\n'
                        f'    {period} cites act "s.3({v})"\n{{\n'
                        f'    permit struck_route_v{v} for Item\n        "Version {v} of the struck-down route."\n'
                        f'        cites act "s.3({v})"\n        requires "Tell the court." cites act "s.3"\n'
                        f'        when Item in group0\n     and flag{1 % width}{struck}\n}}\n')
    forbids = (f'forbid harmful for Item\n    "Nothing goes where the release route is in force and harm is likely."\n'
               f'    cites act "s.4"\n    when requested(Item)\n     and flag{width - 1}\n     and flag{width // 2}\n'
               f'     and in force(release)\n\n'
               f'forbid late_route for Item\n    "The last version of the struck-down route never covers group 1."\n'
               f'    cites act "s.5"\n    when Item in group1\n     and in force(struck_v2)\n')
    return {"vocabulary.warrant": "\n\n".join(vocab) + "\n", "release.warrant": release,
            "struck.warrant": "\n".join(versions), "prohibitions.warrant": forbids}


def shape(size: int) -> str:
    width, routes, judgements, places, periods, set_size = SIZES[size]
    return f"w{width} r{routes} j{judgements} e{places} p{periods} s{set_size}"


def run(args: list[str], cap: float, cwd: str) -> float | None:
    """Seconds one whole `warrant` process took, or None past the cap (it is killed). A command that fails
    stops the benchmark: a batch may exit 2 (some lines refused as bad input, such as R009), no other
    command may (a diff that stops on an error is no diff)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(WARRANT + args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=cap, env=_env(WARRANT_CACHE="off"))
    except subprocess.TimeoutExpired:
        return None
    if done.returncode not in ((0, 1, 2, 4) if args[0] == "decide" else (0, 1, 4)):
        raise SystemExit(f"warrant {' '.join(args)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    return time.perf_counter() - start


def prepare(folder: str, rules: str, requests: int, cases: str | None) -> tuple[str, str, str]:
    """The batch files and the case folder for one law (the cases made and their expected files written)."""
    batch, traced, impact = (os.path.join(folder, f"{n}.jsonl") for n in ("batch", "traced", "impact"))
    for path, count, seed in ((batch, requests, 7), (impact, 2000, 11)):
        subprocess.run(WARRANT + ["generate", str(count), "--seed", str(seed), "--rules", rules, "--out", path],
                       check=True, cwd=folder, capture_output=True, env=_env())
    if cases is None:
        cases = os.path.join(folder, "cases")
        os.makedirs(cases)
        with open(impact, encoding="utf-8") as handle:
            for n, line in zip(range(40), handle):
                with open(os.path.join(cases, f"case{n:02}.json"), "w", encoding="utf-8") as out:
                    out.write(json.dumps({**json.loads(line), "id": f"case{n:02}"}, indent=1))
        subprocess.run(WARRANT + ["test", cases, "--rules", rules, "--update", "--jobs", "1"], cwd=folder,
                       capture_output=True, env=_env(WARRANT_CACHE="off"),
                       check=False, timeout=600)
    return batch, impact, cases


def commands(folder: str, rules: str, changeover: tuple[str, str], args, cases: str | None = None) -> tuple:
    """(the timed commands of one law, in the table's column order, and its number of golden cases), its
    inputs prepared in `folder`."""
    batch, impact, cases = prepare(folder, rules, args.requests, cases)
    with open(batch, encoding="utf-8") as handle, open(os.path.join(folder, "traced.jsonl"), "w") as out:
        out.writelines(line for _, line in zip(range(args.traced), handle))
    traced = os.path.join(folder, "traced.jsonl")
    count = sum(1 for name_ in os.listdir(cases) if name_.endswith((".json", ".yaml")) and
                not name_.endswith(".expected.json"))
    at = ["--at", changeover[0], "--at", changeover[1]]
    flips = assumption_flips(rules)
    return [
        ["decide", "--rules", rules, "--batch", batch, "--trace", "none", "--jobs", "1", "--out", os.path.join(folder, "o1")],
        ["decide", "--rules", rules, "--batch", batch, "--trace", "none", "--jobs", "2", "--out", os.path.join(folder, "o2")],
        ["decide", "--rules", rules, "--batch", traced, "--trace", "refused", "--jobs", "2",
         "--out", os.path.join(folder, "o3")],
        ["test", cases, "--rules", rules],
        ["check", "--rules", rules],
        ["check", "--rules", rules, "--outcome-redundancy"],
        ["diff", "--rules", rules, *at],
        ["diff", "--rules", rules, *flips] if flips else NOT_ASKED,
        ["impact", impact, "--rules", rules, *at],
    ], count


def measured(laws: list, args) -> list:
    """Each law's times: --rounds runs of each of its commands. The rounds go round the laws (every command
    of every law once, then again), so a slower spell of a shared machine falls on all the laws alike, not
    on the rows measured during it: the ratios to the shipped law are the figures that count."""
    times = [[[] for _ in law[2]] for law in laws]
    for _ in range(args.rounds):
        for number, (name, folder, runs, count) in enumerate(laws):
            for column, command in enumerate(runs):
                found = times[number][column]
                if command == NOT_ASKED or None in found:
                    continue                           # nothing to ask, or past the cap once: not asked again
                found.append(run(command, args.cap, folder))
    return times


def rows_of(laws: list, times: list, args, pick) -> list:
    """Each law's row, each figure `pick` (min or median) of its runs."""
    rows = []
    for (name, _, runs, count), columns in zip(laws, times):
        figures = [NOT_ASKED if command == NOT_ASKED else None if None in found else pick(found)
                   for command, found in zip(runs, columns)]
        plain1, plain2, refused, test, check, redundancy, diff, assumed, impacted = figures
        rate = lambda n, s: None if s is None else n / s       # noqa: E731
        rows.append([name, rate(args.requests, plain1), rate(args.requests, plain2), rate(args.traced, refused),
                     None if test is None else test / count, check, redundancy, diff, assumed, impacted])
    return rows


NOT_ASKED = "-"      # a figure the law has nothing to measure with (a diff --assume of a law with no assumptions)


def assumption_flips(rules: str) -> list[str]:
    """`--assume NAME=on|off` against the default of the law's first two on/off assumptions (by name)."""
    sys.path.insert(0, ROOT)
    import warrant
    found = []
    for entry in warrant.load(rules, cache=False).about()["assumptions"]:
        if entry.get("default") in ("on", "off") and len(found) < 4:
            found += ["--assume", f"{entry['name']}={'off' if entry['default'] == 'on' else 'on'}"]
    return found


def cell(value, width: int, form: str, cap: float) -> str:
    if value == NOT_ASKED:
        return f"{NOT_ASKED:>{width}}"
    return f"{'>' + format(cap, '.0f') + ' s':>{width}}" if value is None else f"{value:>{width}{form}}"


def with_engine(args) -> int:
    """main() with `warrant` mapped to a revision's engine/ (and its grammar/) on PYTHONPATH."""
    global ENGINE_PATH
    work = tempfile.mkdtemp(prefix="law-scaling-")
    tree = os.path.join(work, "tree")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-f", tree, args.engine], check=True,
                   capture_output=True)
    try:
        ENGINE_PATH = os.path.join(work, "path")
        os.mkdir(ENGINE_PATH)
        for name, target in (("warrant", "engine"), ("grammar", "grammar")):
            os.symlink(os.path.join(tree, target), os.path.join(ENGINE_PATH, name))
        print(f"engine of {args.engine}")
        args.engine = None
        return main(args)
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], check=False, capture_output=True)


def main(args=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,2,3,4")
    parser.add_argument("--requests", type=int, default=1000, help="requests in the plain batch")
    parser.add_argument("--traced", type=int, default=300, help="requests in the refusal-traced batch")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each figure; the least is shown (and the medians' "
                        "ratios): runs of the same code on a shared 2-core machine differ by 20-40%%")
    parser.add_argument("--cap", type=float, default=30.0, help="seconds after which a figure is cut")
    parser.add_argument("--engine", metavar="REV", help="run the engine of this git revision instead")
    parser.add_argument("--no-fourth", action="store_true", help="leave out the fourth rulebase's row")
    if args is None:
        args = parser.parse_args()
        if args.engine:
            return with_engine(args)
    print(f"whole processes, the least of {args.rounds} runs (the medians' ratios below too); {args.requests} "
          f"plain and {args.traced} refusal-traced requests; impact over 2,000; {os.cpu_count()} cores")
    head = (f"{'law':<30} {'plain/s j1':>10} {'plain/s j2':>10} {'traced/s':>9} {'test ms/case':>12} "
            f"{'check s':>8} {'C133 s':>7} {'diff s':>7} {'assume s':>8} {'impact s':>8}")
    print(head)
    def show(row) -> None:
        name, p1, p2, tr, test, check, redundancy, diff, assumed, impacted = row
        c = args.cap
        print(f"{name:<30} {cell(p1, 10, ',.0f', c)} {cell(p2, 10, ',.0f', c)} {cell(tr, 9, ',.0f', c)} "
              f"{cell(None if test is None else test * 1000, 12, '.1f', c)} {cell(check, 8, '.2f', c)} "
              f"{cell(redundancy, 7, '.2f', c)} {cell(diff, 7, '.2f', c)} {cell(assumed, 8, '.2f', c)} "
              f"{cell(impacted, 8, '.2f', c)}", flush=True)

    with contextlib.ExitStack() as stack:
        def law(name: str, rules: str, changeover: tuple[str, str], cases: str | None = None) -> tuple:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            return (name, folder, *commands(folder, rules, changeover, args, cases))

        laws = [law("shipped (rules/)", os.path.join(ROOT, "rules"), ("2018-05-08", "2018-05-09"),
                    os.path.join(ROOT, "tests", "golden", "decisions"))]
        if not args.no_fourth:
            fourth = os.path.join(ROOT, "examples", "rulebases", "ferpa_99_31")
            laws.append(law("fourth rulebase (ferpa_99_31)", fourth, ("2012-01-02", "2012-01-03"),
                            os.path.join(fourth, "cases")))
        for size in (int(s) for s in args.sizes.split(",") if s):
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            for file, text in law_files(size).items():
                with open(os.path.join(folder, file), "w", encoding="utf-8") as handle:
                    handle.write(text)
            middle = FIRST_YEAR + SIZES[size][4] // 2
            laws.append(law(f"size {size}: {shape(size)}", folder, (f"{middle - 1}-12-31", f"{middle}-01-01")))
        times = measured(laws, args)
    rows = rows_of(laws, times, args, min)
    for row in rows:
        show(row)
    ratio = lambda a, b: "-" if a is None or b is None else f"{a / b:.2f}"     # noqa: E731
    for title, table in (("the least of the runs", rows), ("the medians", rows_of(laws, times, args, statistics.median))):
        print(f"\nagainst the shipped law, {title} (its rate or cost = 1.00; targets: rates >= 0.50, test and "
              f"check <= 3.00)")
        print(f"{'law':<30} {'plain j1':>9} {'plain j2':>9} {'j2/j1':>6} {'traced':>7} {'test':>6} {'check':>6}")
        shipped = table[0]
        for name, p1, p2, tr, test, check, *_ in table:
            print(f"{name:<30} {ratio(p1, shipped[1]):>9} {ratio(p2, shipped[2]):>9} {ratio(p2, p1):>6} "
                  f"{ratio(tr, shipped[3]):>7} {ratio(test, shipped[4]):>6} {ratio(check, shipped[5]):>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
