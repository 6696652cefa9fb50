"""Hostile and careless authors: each class of fault ends in a located user error or an honest
partial answer, never an internal error, a hang, unbounded work or a file written unasked.

One section per class (issue #22): analysis bounds; paths and revisions;
bounded reads; deep input; distribution.yaml; golden discovery; locations;
escaping and file modes. Each case runs under a wall-clock limit.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RULES = os.path.join(ROOT, "rules")
S115 = os.path.join(ROOT, "examples", "rulebases", "crime_disorder_s115")
FERPA = os.path.join(ROOT, "examples", "rulebases", "ferpa_99_31")
runner = CliRunner()


def _run(*args, cwd=None, timeout=60, env=None):
    """The real command in a subprocess (exit codes, stderr and files as a user sees them)."""
    return subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "WARRANT_CACHE": "off", **(env or {})})


def _assert_user_error(result, code=None, exits=(1, 2)):
    output = result.stdout + result.stderr if hasattr(result, "stderr") and result.stderr is not None \
        else result.output
    assert "Traceback" not in output and "internal error" not in output, output[-3000:]
    assert result.returncode in exits if hasattr(result, "returncode") else result.exit_code in exits, output[-2000:]
    if code:
        assert code in output, output[-2000:]
    return output


# ---- analysis bounds ---------------------------------------------------------------------


def _ten_convictions(tmp_path):
    folder = tmp_path / "ten"
    shutil.copytree(RULES, folder)
    joins = " and ".join(f"convicted(O{i}, S{i})" for i in range(10))
    order = " and ".join(f"S{i} > S{i + 1}" for i in range(9))
    (folder / "ten.warrant").write_text(
        'permit ten_convictions for Item\n    "Ten convictions, each shorter than the last."\n'
        '    cites ein_2018 "para 3"\n    when holder(nhs_digital)\n     and requester(home_office)\n'
        f'     and Item in nhs_non_clinical\n     and {joins}\n     and {order}\n', encoding="utf-8")
    return folder


def test_a_join_of_ten_records_stops_check_at_the_rule_and_claims_nothing(tmp_path):
    folder = _ten_convictions(tmp_path)
    started = time.monotonic()
    result = _run("check", str(folder), timeout=120)
    assert time.monotonic() - started < 60
    output = _assert_user_error(result, "C134", exits=(1,))
    assert "ten.warrant:1:8: warning[C134]: exact findings stopped at `ten_convictions`" in output
    assert "4 not proved" in output and "proved for every request\n" not in output


def test_check_time_bound_is_a_partial_answer(tmp_path):
    result = _run("check", FERPA, "--outcome-redundancy", "--time-limit", "1", timeout=120)    # about 2.5 s unbounded
    output = _assert_user_error(result, "C134", exits=(1,))
    assert "time bound (1 s) was reached" in output and "UNPROVED" in output


def test_diff_time_bound_is_never_called_equivalent():
    result = runner.invoke(app, ["diff", "--rules", S115, "--assume", "purpose_test=necessary_only", "--time-limit", "1",
                                 "--format", "json", "--regions", "all"])
    assert result.exit_code == 1, result.output
    import json
    report = json.loads(result.output)
    assert report["equivalent"] is False and report["stopped_at_limit"] is True
    assert "time bound (1 s)" in report["stop_reason"]


def test_diff_of_a_join_too_large_to_encode_stops_honestly(tmp_path):
    result = _run("diff", RULES, str(_ten_convictions(tmp_path)), timeout=120)
    output = _assert_user_error(result, exits=(1,))
    assert "not known to be equivalent" in output and "more than 10,000 ways" in output


def _scaffold(tmp_path, name="law"):
    folder = tmp_path / name
    result = runner.invoke(app, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def test_an_item_enumeration_of_300_values_is_proved_and_diffed(tmp_path):
    folder = _scaffold(tmp_path)
    vocabulary = folder / "vocabulary.warrant"
    many = ",\n".join(f'    record_{i} "Record {i}"' for i in range(300))
    text = vocabulary.read_text()
    vocabulary.write_text(text.replace('    contact_details "', many + ',\n    contact_details "', 1))
    checked = runner.invoke(app, ["check", str(folder)])
    assert checked.exit_code == 0 and "1 of 1 proved for every request" in checked.output, checked.output
    diffed = runner.invoke(app, ["diff", "--rules", str(folder), "--at", "2020-01-01", "--at", "2025-01-01"])
    assert diffed.exit_code == 1 and "refused -> permitted: contact_details" in diffed.output, diffed.output


def test_recursive_rules_are_never_claimed_proved_or_diffed(tmp_path):
    folder = _scaffold(tmp_path)
    policy = folder / "policy.warrant"
    text = policy.read_text().replace("         and consented\n", "         and agreed\n")
    policy.write_text(text + '\ndefine agreed as by_consent\n    "Agreement holds when the person consented."\n'
                      '    cites example_act "s.2(2)"\n    when consented\n\n'
                      'define agreed as stays\n    "Agreement, once given, holds."\n'
                      '    cites example_act "s.2(3)"\n    when agreed\n')
    checked = runner.invoke(app, ["check", str(folder)])
    assert checked.exit_code == 1 and "UNPROVED only_the_council" in checked.output, checked.output
    assert "error[C134]" in checked.output and "proved for every request\n" not in checked.output
    diffed = runner.invoke(app, ["diff", "--rules", str(folder), "--at", "2020-01-01", "--at", "2025-01-01"])
    assert diffed.exit_code == 2 and "error[O018]" in diffed.output and "Traceback" not in diffed.output


# ---- paths and revisions -------------------------------------------------------------------


GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}


def _repository(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    shutil.copytree(RULES, repo / "rules")
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "rules"], check=True, env=env)
    return repo, env


@pytest.mark.parametrize("spec", ["--output=../victim:rules", "-o../victim:rules", "HEAD:-orules",
                                  "--exec=touch pwned:rules"])
def test_a_revision_is_never_an_option(tmp_path, spec):
    repo, _ = _repository(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    result = _run("diff", "--", spec, "rules", cwd=repo)
    _assert_user_error(result, "O015", exits=(2,))
    assert victim.read_text() == "precious\n" and not (repo / "pwned").exists()
    assert subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True,
                          text=True).stdout == ""


def test_errors_in_a_revision_name_its_files_as_rev_path(tmp_path):
    repo, env = _repository(tmp_path)
    path = repo / "rules" / "general.warrant"
    path.write_text(path.read_text() + "\npermit broken for Item Item\n")
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "broken"], check=True, env=env)
    result = _run("diff", "HEAD:rules", "HEAD~1:rules", cwd=repo)
    output = _assert_user_error(result, "W002", exits=(2,))
    assert "HEAD:rules/general.warrant:" in output and "warrant-rev-" not in output
    assert "permit broken for Item Item" in output                 # the excerpt, quoted after cleanup


def test_a_huge_blob_in_a_revision_is_refused_before_it_is_read(tmp_path):
    repo, env = _repository(tmp_path)
    with open(repo / "rules" / "big.warrant", "wb") as handle:
        handle.truncate(5 << 20)                                      # over the 4 MiB rule-file limit
    with open(repo / "rules" / "blob.bin", "wb") as handle:
        handle.truncate(70 << 20)                                     # over the 64 MiB archive limit
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "big"], check=True, env=env)
    result = _run("diff", "HEAD:rules", "rules", cwd=repo)
    output = _assert_user_error(result, exits=(2,))
    assert "W006" in output or "O015" in output
    os.remove(repo / "rules" / "big.warrant")
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "no big rule file"], check=True, env=env)
    result = _run("diff", "HEAD:rules", "rules", cwd=repo)
    assert "more than 67,108,864 bytes" in _assert_user_error(result, "O015", exits=(2,))


@pytest.mark.parametrize("name", ["", " ", "."])
def test_init_refuses_before_writing_anything(tmp_path, name):
    (tmp_path / "vocabulary.warrant").write_text("mine\n")
    result = _run("init", name, cwd=tmp_path)
    _assert_user_error(result, "O011", exits=(2,))
    assert sorted(os.listdir(tmp_path)) == ["vocabulary.warrant"]
    assert (tmp_path / "vocabulary.warrant").read_text() == "mine\n"


def test_a_failed_init_leaves_nothing_and_a_retry_works(tmp_path):
    import resource

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
    failed = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "init", "law"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, preexec_fn=small_files,
                            env={**os.environ, "WARRANT_CACHE": "off"})
    assert failed.returncode != 0 and "Traceback" not in failed.stderr + failed.stdout
    assert os.listdir(tmp_path) == []
    retry = _run("init", "law", cwd=tmp_path)
    assert retry.returncode == 0, retry.stderr
    assert _run("test", "--rules", "law", cwd=tmp_path).returncode == 0


def test_init_into_the_empty_working_folder_keeps_it(tmp_path):
    assert _run("init", ".", cwd=tmp_path).returncode == 0
    assert "vocabulary.warrant" in os.listdir(tmp_path) and not [n for n in os.listdir(tmp_path) if n.startswith(".")]


def test_created_files_honour_the_umask(tmp_path):
    def umask_027():
        os.umask(0o027)
    made = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "init", "law"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, preexec_fn=umask_027)
    assert made.returncode == 0, made.stderr
    assert os.stat(tmp_path / "law").st_mode & 0o777 == 0o750
    assert os.stat(tmp_path / "law" / "policy.warrant").st_mode & 0o777 == 0o640
    out = subprocess.run([sys.executable, os.path.join(ROOT, "cli.py"), "decide",
                          os.path.join(ROOT, "examples", "requests", "mou_tracing.json"), "--out", "decision.txt"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60, preexec_fn=umask_027)
    assert out.returncode in (0, 1), out.stderr
    assert os.stat(tmp_path / "decision.txt").st_mode & 0o777 == 0o640


# ---- distribution.yaml ---------------------------------------------------------------------


def _shipped_with_distribution(tmp_path, text: bytes | str):
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    target = folder / "distribution.yaml"
    target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return folder


HOLDER = "      holder: nhs_digital\n"
BAD_DISTRIBUTIONS = {
    "all weights 0": ("cases:\n  - weight: 0\n    fields:\n" + HOLDER + "  - weight: 0\n    fields:\n" + HOLDER,
                      "D002", 1),
    "weight inf": ("cases:\n  - weight: .inf\n    fields:\n" + HOLDER, "D002", 2),
    "weight nan": ("cases:\n  - weight: .nan\n    fields:\n" + HOLDER, "D002", 2),
    "1e308 twice": ("cases:\n  - weight: 1.0e+308\n    fields:\n" + HOLDER + "  - weight: 1.0e+308\n    fields:\n"
                    + HOLDER, "D002", 1),
    "negative weight": ("cases:\n  - weight: -1\n    fields:\n" + HOLDER + "  - weight: 2\n    fields:\n" + HOLDER,
                        "D002", 2),
    "weight abc": ("cases:\n  - weight: abc\n    fields:\n" + HOLDER, "D004", 2),
    "weight list": ("cases:\n  - weight: [1]\n    fields:\n" + HOLDER, "D004", 2),
    "cases 5": ("cases: 5\n", "D004", 1),
    "value weights 0": ("fields:\n  requester: {home_office: 0, police: 0}\n", "D002", 2),
    "count huge": ("fields:\n  subject.convictions: {count: 100000000}\n", "D003", 2),
    "count negative": ("fields:\n  subject.convictions: {count: -5}\n", "D003", 2),
    "count range upside down": ("fields:\n  subject.convictions: {count: [3, 1]}\n", "D003", 2),
    "pick max huge": ("fields:\n  items: {pick: [name], min: 1, max: 5000000}\n", "D003", 2),
    "probability 2": ("fields:\n  public_interest_satisfied: 2\n", "D002", 2),
    "unknown value": ("fields:\n  requester: [home_office, nobody]\n", "D001", 2),
    "range upside down": ("fields:\n  date: {from: 2020-01-01, until: 2019-01-01}\n", "D003", 2),
    "not a date": ("fields:\n  date: {from: soon, until: 2019-01-01}\n", "D004", 2),
}


@pytest.mark.parametrize("name", sorted(BAD_DISTRIBUTIONS))
def test_a_bad_distribution_is_a_located_d_code(tmp_path, name):
    text, code, line = BAD_DISTRIBUTIONS[name]
    folder = _shipped_with_distribution(tmp_path, text)
    result = runner.invoke(app, ["generate", "5", "--rules", str(folder)])
    assert result.exit_code == 2 and f"error[{code}]" in result.output, result.output
    assert f"distribution.yaml:{line}:" in result.output, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_a_distribution_that_is_not_utf8_or_not_a_file(tmp_path):
    folder = _shipped_with_distribution(tmp_path, b"fields:\n  holder: nhs_\xff\n")
    result = runner.invoke(app, ["generate", "5", "--rules", str(folder)])
    assert result.exit_code == 2 and "distribution.yaml:2:" in result.output and "D005" in result.output
    os.remove(folder / "distribution.yaml")
    os.mkfifo(folder / "distribution.yaml")
    result = _run("generate", "5", "--rules", str(folder), timeout=30)
    _assert_user_error(result, "D005", exits=(2,))
    os.remove(folder / "distribution.yaml")
    with open(folder / "distribution.yaml", "wb") as handle:
        handle.truncate(3 << 20)
    result = _run("generate", "5", "--rules", str(folder), timeout=30)
    _assert_user_error(result, "D005", exits=(2,))


# ---- deep input ---------------------------------------------------------------------------


def test_a_chain_of_a_thousand_definitions_is_w006(tmp_path):
    folder = _scaffold(tmp_path)
    steps = [f'define d{i} as step_{i}\n    "Step {i}."\n    cites example_act "s.2"\n'
             f'    when {"consented" if i == 999 else f"d{i + 1}"}\n' for i in range(1000)]
    (folder / "chain.warrant").write_text("\n".join(steps))
    policy = folder / "policy.warrant"
    policy.write_text(policy.read_text().replace("         and consented\n", "         and d0\n"))
    result = _run("check", str(folder), timeout=60)
    assert "error[W006]: `d0` is built on a chain of more than 64 definitions" in _assert_user_error(result)


def test_folders_nested_1100_deep_are_a_located_limit(tmp_path):
    folder = _scaffold(tmp_path)
    deep = folder
    for _ in range(1100):                 # one level at a time (os.makedirs recurses)
        deep = deep / "d"
        os.mkdir(deep)
    (deep / "x.warrant").write_text("")
    try:
        for command in (["check", str(folder)], ["test", "--rules", str(folder), str(folder)]):
            result = _run(*command, timeout=60)
            output = _assert_user_error(result)
            assert "more than 32 folders deep" in output, output[-2000:]
    finally:                              # bottom up (shutil.rmtree, and pytest's cleanup, recurse)
        os.remove(deep / "x.warrant")
        while deep != folder:
            os.rmdir(deep)
            deep = deep.parent


def test_golden_discovery_takes_regular_files_only(tmp_path):
    folder = _scaffold(tmp_path)
    cases = folder / "cases"
    shutil.copy(cases / "council_with_consent.yaml", cases / "as_folder.yaml")
    os.mkdir(cases / "as_folder.expected.json")
    shutil.copy(cases / "council_with_consent.yaml", cases / "as_fifo.yaml")
    os.mkfifo(cases / "as_fifo.expected.json")
    started = time.monotonic()
    result = _run("test", "--rules", str(folder), str(cases), timeout=60)
    assert time.monotonic() - started < 30
    output = _assert_user_error(result)
    assert output.count("error[O019]") == 2 and "as_fifo.expected.json is not a regular file" in output
    update = _run("test", "--rules", str(folder), str(cases), "--update", timeout=60)
    _assert_user_error(update)
    assert (cases / "as_folder.expected.json").is_dir()          # nothing replaced what the author had


# ---- locations ----------------------------------------------------------------------------


REQUEST = "id: {id}\ndate: 2018-01-01\nitems: [name]\nrequester: home_office\nholder: nhs_digital\npurpose: tracing\n"


def test_unknown_assumptions_and_drafts_in_request_files_are_located(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(REQUEST.format(id="good"))
    bad_assume = tmp_path / "bad_assume.yaml"
    bad_assume.write_text(REQUEST.format(id="a") + "assume:\n  safeguards_continue: true\n  no_such_thing: false\n")
    bad_draft = tmp_path / "bad_draft.yaml"
    bad_draft.write_text(REQUEST.format(id="d") + "drafts: [nhs_digital_replacement_draft, nope]\n")
    result = runner.invoke(app, ["decide", str(good), str(bad_assume)])
    assert result.exit_code == 2 and f"{bad_assume}:9:3: error[A001]" in result.output, result.output
    result = runner.invoke(app, ["decide", str(good), str(bad_draft)])
    assert result.exit_code == 2 and f"{bad_draft}:7:41: error[A002]" in result.output, result.output
    result = runner.invoke(app, ["decide", str(good), "--assume", "nope=on"])
    assert result.exit_code == 2 and "error[A001]: unknown assumption `nope`" in result.output


# ---- output escaping ------------------------------------------------------------------------


def test_dot_and_markdown_quote_hostile_text_as_text(tmp_path):
    import json
    request = tmp_path / "hostile.json"
    request.write_text(json.dumps({"id": "<img src=x onerror=alert(1)> `x` *y* [a](b) \\", "date": "2018-01-01",
                                   "items": ["name"], "requester": "home_office", "holder": "nhs_digital",
                                   "purpose": "tracing"}))
    dot = runner.invoke(app, ["decide", str(request), "--format", "dot"])
    assert dot.exit_code in (0, 1), dot.output
    import graphviz
    assert "\\\\" in dot.output
    try:
        graphviz.Source(dot.output).pipe(format="svg")            # graphviz parses it
    except graphviz.ExecutableNotFound:
        pass
    cited = tmp_path / "rules"
    shutil.copytree(RULES, cited)
    sources = cited / "sources.warrant"
    sources.write_text(sources.read_text().replace('title "', 'title "ends in a backslash \\\\ '))
    dot = runner.invoke(app, ["decide", str(request), "--rules", str(cited), "--format", "dot"])
    assert 'backslash \\\\ ' in dot.output and dot.exit_code in (0, 1), dot.output
    markdown = runner.invoke(app, ["decide", str(request), "--format", "markdown"])
    assert "<img" not in markdown.output and "&lt;img src=x onerror=alert(1)>" in markdown.output
    assert "\\`x\\` \\*y\\* [a]\\(b)" in markdown.output


# ---- a full disk under parallel workers ------------------------------------------------------


def test_a_parallel_batch_on_a_full_disk_ends_in_o007_every_time(tmp_path, small_tmpfs):
    full_disk = small_tmpfs
    batch = tmp_path / "batch.jsonl"
    assert _run("generate", "1000", "--out", str(batch)).returncode == 0      # two chunks: both workers busy
    for attempt in range(2):
        for name in os.listdir(full_disk):
            os.remove(full_disk / name)
        (full_disk / "out").write_text("previous\n")
        with open(full_disk / "ballast", "wb") as handle:
            handle.write(b"\0" * (240 * 1024))
        for target in (["--out", str(full_disk / "out")], []):
            command = [sys.executable, os.path.join(ROOT, "cli.py"), "decide", "--batch", str(batch), "--jobs", "2",
                       "--trace", "all", *target]
            with open(full_disk / "stdout", "wb") if not target else open(os.devnull, "wb") as sink:
                run = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, text=True, timeout=60)
            assert run.returncode == 2 and "O007" in run.stderr and "Traceback" not in run.stderr, \
                (attempt, target, run.stderr[-800:])
        assert (full_disk / "out").read_text() == "previous\n"
        assert not [n for n in os.listdir(full_disk) if n.startswith(".warrant-")]
