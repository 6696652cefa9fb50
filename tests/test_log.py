"""The decision log, against both stores (a SQLite file, a real PostgreSQL server): what a record holds, that
every way of deciding writes it before answering, the chain, the commands, replay and retention."""
from __future__ import annotations

import glob
import json
import os
import sqlite3
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import warrant
from batches import batch_file, decide_at_once
from cli import app

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REQUEST = os.path.join(ROOT, "examples", "requests", "readme_debt_exactly_500.yaml")
WARRANT = [sys.executable, "-c", "from warrant._cli import main; main()"]


def run(*argv, cwd=None):
    """The real command in a process of its own (its working folder, its exit code, nothing shared)."""
    return subprocess.run([*WARRANT, *argv], capture_output=True, text=True, cwd=cwd, timeout=120,
                          env={**os.environ, "WARRANT_CACHE": "off"})


@pytest.fixture(scope="module")
def shipped():
    return warrant.load()


def test_decide_then_every_log_command_from_another_folder(log_url, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    decided = run("decide", "--log", log_url, REQUEST, cwd=ROOT)
    assert decided.returncode == 1, decided.stderr          # partially permitted: one item refused
    assert decided.stderr.startswith("logged: ")
    log_id = decided.stderr.split("logged: ")[1].strip()

    listed = run("log", "list", "--log", log_url, "--format", "json", cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["decisions"]
    assert [r["id"] for r in rows] == [log_id]
    assert rows[0]["rules"] == ["clinical_never", "trust_debtor_data_for_enforcement"]
    assert rows[0]["rulebase"]["name"] == "rules" and rows[0]["decided_on"] == "2019-03-01"

    for fmt in ("text", "json", "markdown", "html", "dot"):
        shown = run("log", "show", log_id[:13], "--log", log_url, "--format", fmt, cwd=elsewhere)
        printed = run("decide", REQUEST, "--format", fmt, cwd=ROOT)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == printed.stdout, fmt          # as `warrant decide` printed it, from the log alone

    verified = run("log", "verify", "--log", log_url, cwd=elsewhere)
    assert verified.returncode == 0 and verified.stdout.startswith("verified: 1 record(s), chain intact")
    exported = run("log", "export", "--log", log_url, cwd=elsewhere)
    record = json.loads(exported.stdout)
    assert record["id"] == log_id and record["seq"] == 1 and record["prev_sha256"] == "0" * 64
    assert record["request"]["id"] == "readme-debt-500" and record["engine"] == warrant.__version__
    assert record["decision"]["items"][0]["proofs"]                   # the full trace, as --format json printed it
    stats = json.loads(run("log", "stats", "--log", log_url, "--format", "json", cwd=elsewhere).stdout)
    assert stats["decisions"] == 1 and stats["by_outcome"] == {"partially_permitted": 1}
    assert stats["items_by_policy"] == {"(general rules)": {"refused": 1}, "nhs_trust_debt_data": {"permitted": 1}}


def test_a_record_holds_what_rerunning_and_explaining_need(shipped, tmp_path):
    log = warrant.DecisionLog(f"sqlite:///{tmp_path}/d.db")
    decision = shipped.decide(REQUEST, log=log, assume={"debt_threshold_inclusive": False})
    record = log.record(decision.log_id)
    assert record["sha256"] == decision.log_sha256
    assert record["decided_on"] == "2019-03-01" and record["via"] == "api"
    assert record["settings"]["assumptions"]["debt_threshold_inclusive"] is False
    assert record["rulebase"] == {"name": "rules", "sha256": shipped.digest}
    by_item = {i["item"]: i for i in record["items"]}
    assert by_item["treatment"]["rules"] == ["clinical_never"]
    assert by_item["treatment"]["citations"]["clinical_never"][0]["source"] == "independent_2017"
    assert by_item["name"]["outcome"] == "refused" and by_item["name"]["rules"] == []
    assert record["id"][14] == "7"                                     # a UUIDv7
    again = shipped.decide(record["request"], assume=record["settings"]["assumptions"])
    assert again.to_json()["items"] == record["decision"]["items"]     # enough to re-run it


def test_uuid7_ids_are_time_ordered():
    from warrant.log.entry import uuid7
    ids = [uuid7() for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_batch_logs_every_line_and_replay_against_itself_changes_nothing(log_url, shipped, tmp_path):
    path = batch_file(tmp_path, shipped, 1200)
    out = tmp_path / "out.jsonl"
    decided = run("decide", "--batch", path, "--log", log_url, "--jobs", "2", "--out", str(out))
    assert decided.returncode in (0, 1), decided.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 1200
    log = warrant.DecisionLog(log_url)
    assert log.verify().records == 1200
    stats = log.stats().to_json()
    assert stats["decisions"] == 1200
    outcomes = {}
    for line in lines:
        outcomes[json.loads(line)["outcome"]] = outcomes.get(json.loads(line)["outcome"], 0) + 1
    assert stats["by_outcome"] == outcomes
    replayed = run("log", "replay", "--log", log_url, "--format", "json")
    assert replayed.returncode == 0, replayed.stderr
    report = json.loads(replayed.stdout)
    assert report["replayed"] == 1200 and report["changed"] == 0 and report["groups"] == []


def test_replay_at_the_restriction_counts_the_releases_it_would_refuse_by_rule(shipped, tmp_path):
    path = batch_file(tmp_path, shipped, 800, seed=11)
    url = f"sqlite:///{tmp_path}/early2018.db"
    assert run("decide", "--batch", path, "--log", url, "--at", "2018-03-01", "--trace", "none").returncode in (0, 1)
    found = warrant.DecisionLog(url).replay(shipped, at="2018-06-01")
    data = found.to_json()
    assert data["replayed"] == 800 and data["changed"] > 0 and found.exit_code == 1
    assert data["changed"] + data["unchanged"] == 800
    groups = {(g["change"], g["rule"], g["role"]): g for g in data["groups"]}
    lost = groups[("permitted -> refused", "mou_trace_suspected_offender", "no longer decides")]
    assert lost["count"] > 0 and len(lost["witnesses"]) <= 3
    witness = warrant.DecisionLog(url).record(lost["witnesses"][0])
    assert shipped.decide(witness["request"], at="2018-06-01").to_json()["items"][0]["outcome"] != "permitted" \
        or len(witness["items"]) > 1
    assert "mou_trace_suspected_offender (no longer decides)" in found.render("text")
    assert "| decisions | change | rule |" in found.render("markdown")
    assert found.render("html").startswith("<!doctype html>")


def test_tampering_is_found_by_verify(shipped, tmp_path):
    url = f"sqlite:///{tmp_path}/t.db"
    path = batch_file(tmp_path, shipped, 30)
    assert run("decide", "--batch", path, "--log", url, "--trace", "all").returncode in (0, 1)

    def tampered(sql, *args):
        copy = tmp_path / "copy.db"
        if copy.exists():
            copy.unlink()
        with sqlite3.connect(tmp_path / "t.db") as source, sqlite3.connect(copy) as target:
            source.backup(target)
        with sqlite3.connect(copy) as conn:
            for statement in sql.split(";"):
                conn.execute(statement, args)
        return warrant.DecisionLog(f"sqlite:///{copy}").verify()

    assert warrant.DecisionLog(url).verify().ok
    found = tampered("UPDATE warrant_decisions SET outcome = 'permitted' WHERE seq = 7 AND outcome != 'permitted'")
    assert found.ok or found.problem["seq"] == 7 and "outcome" in found.problem["problem"]
    import zlib
    row = sqlite3.connect(tmp_path / "t.db").execute("SELECT body FROM warrant_decisions WHERE seq = 5").fetchone()
    body = json.loads(zlib.decompress(row[0]))
    body["outcome"] = "permitted" if body["outcome"] != "permitted" else "refused"
    edited = zlib.compress(json.dumps(body).encode())
    found = tampered("UPDATE warrant_decisions SET body = ? WHERE seq = 5", edited)
    assert not found.ok and found.problem["seq"] == 5 and "edited" in found.problem["problem"]
    trace = sqlite3.connect(tmp_path / "t.db").execute("SELECT decision FROM warrant_decisions WHERE seq = 6").fetchone()
    document = json.loads(zlib.decompress(trace[0]))
    document["items"][0]["outcome"] = "permitted" if document["items"][0]["outcome"] != "permitted" else "refused"
    found = tampered("UPDATE warrant_decisions SET decision = ? WHERE seq = 6", zlib.compress(json.dumps(document).encode()))
    assert not found.ok and found.problem["seq"] == 6 and "decision document" in found.problem["problem"]
    found = tampered("DELETE FROM warrant_decisions WHERE seq = 9")
    assert not found.ok and found.problem["seq"] == 10 and "missing" in found.problem["problem"]
    found = tampered("UPDATE warrant_decisions SET seq = -3 WHERE seq = 3; UPDATE warrant_decisions SET seq = 3 WHERE "
                     "seq = 4; UPDATE warrant_decisions SET seq = 4 WHERE seq = -3")
    assert not found.ok and found.problem["seq"] == 3
    found = tampered("UPDATE warrant_decision_items SET rule = 'subject_access' WHERE seq = 12")
    assert not found.ok and found.problem["seq"] == 12
    cli = run("log", "verify", "--log", f"sqlite:///{tmp_path}/copy.db")
    assert cli.returncode == 1 and cli.stdout.startswith("broken: record 12")


def test_prune_leaves_a_checkpoint_and_a_chain_that_verifies(log_url, shipped, tmp_path):
    log = warrant.DecisionLog(log_url)
    for _ in range(3):
        shipped.decide(REQUEST, log=log, explain="none")
    import datetime as dt
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    pruned = log.prune(tomorrow, by="tester").to_json()
    assert pruned["pruned"]["count"] == 3 and pruned["by"] == "tester"
    assert pruned["pruned"]["ranges"] == [{"first_seq": 1, "last_seq": 3, "prev_sha256": "0" * 64,
                                           "last_sha256": pruned["pruned"]["last_sha256"]}]
    shipped.decide(REQUEST, log=log, explain="none")
    assert log.prune(tomorrow, by="tester").to_json()["pruned"]["count"] == 1     # a second prune, across the first
    shipped.decide(REQUEST, log=log, explain="none")
    found = log.verify()
    assert found.ok, found.problem
    assert found.pruned == 4 and found.records == 3              # two checkpoints and the newest decision
    assert log.stats().to_json()["decisions"] == 1
    assert log.prune("2000-01-01").render() == "nothing to prune\n"


def test_a_log_newer_than_the_engine_is_refused(tmp_path):
    path = tmp_path / "new.db"
    warrant.DecisionLog(f"sqlite:///{path}").open().close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO warrant_log_schema VALUES (99, 'later')")
    done = run("log", "list", "--log", str(path))
    assert done.returncode == 5 and "L002" in done.stderr and "schema version 99" in done.stderr


def test_bad_log_urls_and_ids_are_located_usage_errors(tmp_path):
    assert run("log", "list", "--log", "mysql://x").returncode == 2
    assert "L001" in run("log", "list", "--log", "mysql://x").stderr
    url = f"sqlite:///{tmp_path}/ids.db"
    warrant.DecisionLog(url).open().close()
    missing = run("log", "show", "0192ffff", "--log", url)
    assert missing.returncode == 2 and "L005" in missing.stderr
    assert run("log", "show", "x'; drop", "--log", url).returncode == 2
    assert run("log", "list", "--log", url, "--outcome", "maybe").returncode == 2
    assert run("log", "list", "--log", url, "--since", "yesterday").returncode == 2
    no_folder = run("decide", "--log", f"sqlite:///{tmp_path}/no/such/folder.db", REQUEST)
    assert no_folder.returncode == 5 and "L004" in no_folder.stderr and no_folder.stdout == ""


def test_list_pages_with_a_cursor_and_filters(shipped, tmp_path):
    log = warrant.DecisionLog(f"sqlite:///{tmp_path}/p.db")
    path = batch_file(tmp_path, shipped, 60, seed=2)
    list(shipped.decide_batch(path, log=log, trace="none"))
    seen, after = [], 0
    while True:
        page = log.list(after=after, limit=7)
        seen += [r["id"] for r in page.rows]
        if page.next is None:
            break
        after = page.next
    assert len(seen) == 60 and seen == sorted(seen)
    refused = log.list(limit=1000, outcome="refused").rows
    assert refused and all(r["outcome"] == "refused" for r in refused)
    ruled = log.list(limit=1000, rule="mou_withdrawn").rows
    assert ruled and all("mou_withdrawn" in r["rules"] for r in ruled)
    by_policy = log.list(limit=1000, policy="nhs_digital_withdrawn_2018").rows
    assert {r["id"] for r in by_policy} == {r["id"] for r in ruled}
    assert log.list(rulebase=shipped.digest[:10]).rows and not log.list(rulebase="ffff").rows
    assert not log.list(since="2999-01-01").rows and len(log.list(until="2999-01-01", limit=100).rows) == 60


def test_two_processes_appending_at_once_keep_one_chain(shipped, tmp_path):
    url = f"sqlite:///{tmp_path}/shared.db"
    warrant.DecisionLog(url).open().close()
    decide_at_once(url, [batch_file(tmp_path, shipped, 1000, seed=s) for s in (21, 22)])
    found = warrant.DecisionLog(url).verify()
    assert found.ok and found.records == 2000


def test_a_read_only_log_gives_no_decision(shipped, tmp_path):
    url = f"sqlite:///{tmp_path}/ro.db"
    warrant.DecisionLog(url).open().close()
    for name in glob.glob(str(tmp_path / "ro.db*")):
        os.chmod(name, 0o444)
    os.chmod(tmp_path, 0o555)
    try:
        if os.geteuid() == 0:
            pytest.skip("root writes read-only files; the read-only path is covered by the tmpfs test below")
        done = run("decide", "--log", url, REQUEST)
        assert done.returncode == 5 and "L003" in done.stderr and done.stdout == ""
    finally:
        os.chmod(tmp_path, 0o755)


def test_a_read_only_mount_and_a_full_disk_give_no_decision(shipped, small_tmpfs, tmp_path):
    url = f"sqlite:///{small_tmpfs}/full.db"
    log = warrant.DecisionLog(url)
    shipped.decide(REQUEST, log=log)
    log.close()
    path = batch_file(tmp_path, shipped, 2000, seed=3)
    done = run("decide", "--batch", path, "--log", url, "--trace", "all", "--jobs", "1")
    assert done.returncode == 5, done.stderr
    assert "L003" in done.stderr and "no decision was given that is not in the log" in done.stderr
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    kept = warrant.DecisionLog(url)
    assert kept.verify().ok
    assert kept.verify().records == 1 + len(printed)         # every printed decision is in the log, and no more
    kept.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    try:
        ro = run("decide", "--log", url, REQUEST)
        assert ro.returncode == 5 and ro.stdout == "" and ("L003" in ro.stderr or "L004" in ro.stderr)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_tmpfs)], check=True)


def test_resume_continues_a_batch_without_duplicates(shipped, tmp_path):
    url = f"sqlite:///{tmp_path}/r.db"
    path = batch_file(tmp_path, shipped, 1500, seed=8)
    with open(path) as source:
        lines = source.readlines()
    # the same file, logged for its first 1,000 lines by a run that was stopped
    log = warrant.DecisionLog(url)
    run_ = shipped.decide_batch(path, log=log, trace="none", jobs=1)
    blocks = iter(run_)
    next(blocks)
    next(blocks)                     # two chunks of 500 lines committed and printed
    blocks.close()
    assert log.verify().records == 1000
    resumed = run("decide", "--batch", path, "--log", url, "--resume", "--trace", "none")
    assert resumed.returncode in (0, 1), resumed.stderr
    assert "resumed: lines 1-1000" in resumed.stderr
    assert len(resumed.stdout.splitlines()) == 500 == len(lines) - 1000
    records = [json.loads(x) for x in log.export()]
    assert sorted(r["line"] for r in records) == list(range(1, 1501))
    assert run("decide", "--batch", path, "--log", url, "--resume", "--trace", "none").stdout == ""   # nothing left
    assert run("decide", "--batch", "-", "--log", url, "--resume").returncode == 2


MASKED_FIELDS = '''
field subject.name: symbol log hashed as subject_name "The subject's name (the log keeps a keyed hash of it)."
field subject.nhs_number: symbol log dropped "The subject's NHS number (the log never keeps it)."

forbid named_in_court_order for Item "A person named in a court order is never traced."
    cites independent_2017 "para 1"
    when requested(Item) and subject_name(jane_doe_smith)
'''
MASKED_REQUEST = {"id": "m1", "date": "2017-06-01", "requester": "home_office", "holder": "nhs_digital",
                  "purpose": "tracing", "items": ["name"],
                  "subject": {"name": "jane_doe_smith", "nhs_number": "n9434765919",
                              "suspected_offences": ["overstaying"], "in_contact_with_authorities": False,
                              "other_efforts_failed": True}, "public_interest_satisfied": True}


def test_masked_fields_never_reach_the_log_and_replay_says_what_it_needs(log_url, tmp_path, request):
    import shutil
    folder = tmp_path / "masked_rules"
    shutil.copytree(os.path.join(ROOT, "rules"), folder)
    with open(folder / "vocabulary.warrant", "a", encoding="utf-8") as handle:
        handle.write(MASKED_FIELDS)
    assert run("fmt", str(folder)).returncode == 0
    assert run("fmt", "--check", str(folder)).returncode == 0
    assert "symbol log hashed as subject_name" in (folder / "vocabulary.warrant").read_text()   # printed back
    masked = warrant.load(str(folder), cache=False)
    log = warrant.DecisionLog(log_url)
    decision = masked.decide(MASKED_REQUEST, log=log)
    assert decision.outcome.value == "refused"                         # the rule read the name
    other = dict(MASKED_REQUEST, id="m2", subject={**MASKED_REQUEST["subject"], "name": "someone_else"})
    masked.decide(other, log=log)
    masked.decide(dict(other, id="m3"), log=log)
    record = log.record(decision.log_id)
    assert record["masked"] == [{"field": "subject.name", "how": "hashed"},
                                {"field": "subject.nhs_number", "how": "dropped"}]
    assert "nhs_number" not in record["request"]["subject"]
    assert record["request"]["subject"]["name"].startswith("hmac-sha256:")
    names = [log.record(r["id"])["request"]["subject"]["name"] for r in log.list().rows]
    assert names[1] == names[2] != names[0]                             # equal values still group
    everything = "".join(log.export())
    log.close()
    if log_url.startswith("sqlite"):
        path = log_url[len("sqlite:///"):]
        stored = b"".join(open(p, "rb").read() for p in glob.glob(path + "*"))
        stored += "".join(sqlite3.connect(path).iterdump()).encode()
    else:
        stored = request.getfixturevalue("postgres").dump(log_url.rsplit("/", 1)[1]).encode()
        assert b"warrant_decisions" in stored
    for secret in (b"jane_doe_smith", b"n9434765919", b"someone_else"):
        assert secret not in stored and secret.decode() not in everything
    found = log.replay(masked).to_json()
    assert found["unreplayable"][0]["reason"] == "it needs subject.name (stored hashed)"
    assert found["unreplayable"][0]["count"] == 3 and found["changed"] == 0


def test_answers_decided_without_committing_are_committed_together_or_not_at_all(tmp_path):
    """`Prepared.decide(commit=False)` then `Answer.commit_all`: one transaction for all, each answer gets
    its own id; an answer with no record to commit is refused before anything is written."""
    rulebase = warrant.load()
    log = warrant.DecisionLog(f"sqlite:///{tmp_path}/d.db").open()
    prepared = rulebase.prepare(trace="refused")
    answers = [prepared.decide(request, log=log, commit=False) for request in rulebase.generate(5, seed=3)]
    assert all(a.log_id is None for a in answers)
    assert warrant.Answer.commit_all(answers, log) == answers
    ids = [a.log_id for a in answers]
    assert None not in ids and len(set(ids)) == 5
    assert [log.record(i)["id"] for i in ids] == ids and log.verify().ok
    with pytest.raises(warrant.WarrantError) as refused:
        warrant.Answer.commit_all([prepared.decide(next(iter(rulebase.generate(1, seed=4))))], log)
    assert refused.value.diagnostics[0].code == "O005" and log.verify().records == 5
    log.close()
