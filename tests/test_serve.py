"""The decision service, as a client meets it: a real uvicorn on a free loopback port, every answer checked
against the command line's, problems, tokens, reload, metrics, the OpenAPI document and replay jobs."""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest
import yaml

import warrant
from servers import WARRANT, serving

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
GOLDEN = os.path.join(ROOT, "tests", "golden", "decisions")
JSON = {"content-type": "application/json"}


def cases(limit: int | None = None) -> list[str]:
    found = sorted(glob.glob(os.path.join(GOLDEN, "*.yaml")) + glob.glob(os.path.join(GOLDEN, "*.json")))
    return [f for f in found if not f.endswith(".expected.json")][:limit]


def cli_json(path: str) -> str:
    """What `warrant decide PATH --format json` prints (the command itself, run in this process)."""
    from typer.testing import CliRunner

    from cli import app
    done = CliRunner().invoke(app, ["decide", path, "--format", "json"])
    return done.stdout if done.exit_code in (0, 1, 4) else ""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{folder}/decisions.db"
    with serving("--log", url, "--replay-rules", f"shipped={os.path.join(ROOT, 'rules')}") as running:
        running.log_url = url
        yield running


def test_decide_answers_the_bytes_the_command_line_prints_and_logs_them_first(server):
    paths = cases()
    assert len(paths) >= 20
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for path in paths:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
            answer = client.post("/v1/decide", content=json.dumps(data), headers=JSON)
            expected = cli_json(path)
            if not expected:                  # a case the command line refuses (exit 2) is a problem here too
                assert answer.status_code >= 400
                continue
            assert answer.status_code == 200, (path, answer.text)
            assert answer.text == expected, path
            record = client.get(f"/v1/decisions/{answer.headers['warrant-decision-id']}").json()
            assert record["sha256"] == answer.headers["warrant-record-sha256"]
            assert record["decision"] == json.loads(expected) and record["via"] == "service"
    assert warrant.DecisionLog(server.log_url).verify().ok


def test_options_batch_records_and_the_logged_decision_as_html(server):
    rulebase = warrant.load()
    requests = list(rulebase.generate(40, seed=9))
    expected = list(rulebase.decide_many(requests, trace="refused"))
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for request, record in zip(requests, expected):
            answer = client.post("/v1/decide?explain=refused", content=json.dumps(request), headers=JSON)
            assert answer.status_code == 200 and answer.json() == record
        lines = "".join(json.dumps(r) + "\n" for r in requests)
        batch = client.post("/v1/decide/batch?explain=refused", content=lines,
                            headers={"content-type": "application/x-ndjson"})
        assert [json.loads(x) for x in batch.text.splitlines()] == expected
        at = client.post("/v1/decide?explain=none&at=2018-06-01&assume=debt_threshold_inclusive=off",
                         content=json.dumps(requests[0]), headers=JSON).json()
        assert at["record"]["settings"]["date"] == "2018-06-01"
        assert at["record"]["settings"]["assumptions"]["debt_threshold_inclusive"] is False
        decision_id = client.post("/v1/decide", content=json.dumps(requests[1]), headers=JSON) \
            .headers["warrant-decision-id"]
        page = client.get(f"/v1/decisions/{decision_id}", headers={"accept": "text/html"})
        assert page.status_code == 200 and page.text.lower().startswith("<!doctype html>")
        listed = client.get("/v1/decisions", params={"limit": 5}).json()
        assert len(listed["decisions"]) == 5 and listed["next"] is not None
        assert client.get("/v1/decisions", params={"limit": 5, "after": listed["next"]}).json()["decisions"]


@pytest.mark.parametrize("body, headers, status, code, path", [
    ("{not json", JSON, 400, "R000", "$"),
    ('{"date": 5, "requester": "home_office"}', JSON, 422, "R002", "$.date"),
    ('{"date": "2018-01-01", "requester": "home_office", "holder": "nhs_digital", "purpose": "tracing", '
     '"items": ["nam"]}', JSON, 422, "R005", "$.items[0]"),
    ("[" * 10_000 + "]" * 10_000, JSON, 400, "R007", "$"),
    ("{}", {"content-type": "text/plain"}, 415, "S004", None),
    ("x" * (2 << 20), JSON, 413, "R007", None),
])
def test_bad_bodies_are_problem_documents(server, body, headers, status, code, path):
    answer = httpx.post(server.url + "/v1/decide", content=body, headers=headers, timeout=30)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status and problem["code"] == code and "Traceback" not in answer.text
    if path:
        assert problem["errors"][0]["path"] == path


def test_unknown_things_are_4xx(server):
    assert httpx.get(server.url + "/v1/decisions/0192ffff-0000").status_code == 404
    assert httpx.get(server.url + "/nowhere").status_code == 404
    assert httpx.post(server.url + "/v1/decide?explain=much", content="{}", headers=JSON).status_code == 400
    assert httpx.post(server.url + "/v1/decide?colour=red", content="{}", headers=JSON).status_code == 400
    assert httpx.get(server.url + "/v1/decide").status_code == 405


def test_rulebase_schema_health_ready_metrics_and_openapi(server):
    about = httpx.get(server.url + "/v1/rulebase").json()
    assert about["name"] == "rules" and about["sha256"] == warrant.load().digest
    assert any(a["name"] == "debt_threshold_inclusive" for a in about["assumptions"])
    assert httpx.get(server.url + "/v1/schema").json() == warrant.load().schema()
    assert httpx.get(server.url + "/health").json() == {"status": "alive"}
    assert httpx.get(server.url + "/ready").json()["status"] == "ready"
    request = next(iter(warrant.load().generate(1, seed=2)))
    assert httpx.post(server.url + "/v1/decide", content=json.dumps(request), headers=JSON).status_code == 200
    metrics = httpx.get(server.url + "/metrics").text      # a decision of its own: xdist may run this test first
    assert "warrant_decisions_total{" in metrics and "warrant_decide_seconds_bucket{" in metrics
    assert "warrant_log_seconds_bucket{" in metrics
    assert f'sha256="{about["sha256"]}"' in metrics
    document = httpx.get(server.url + "/openapi.json").json()
    from openapi_spec_validator import validate
    validate(document)
    with open(os.path.join(ROOT, "docs", "openapi.json"), encoding="utf-8") as handle:
        assert json.load(handle) == document, "docs/openapi.json is stale: curl /openapi.json > docs/openapi.json"


def test_replay_runs_as_a_job(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for request in warrant.load().generate(30, seed=4):
            client.post("/v1/decide?explain=none", content=json.dumps(request), headers=JSON)
        started = client.post("/v1/replay", json={"rules": "shipped", "at": "2018-06-01"})
        assert started.status_code == 202
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = client.get(started.headers["location"]).json()
            if job["status"] != "running":
                break
            time.sleep(0.1)
        assert job["status"] == "done" and job["result"]["replayed"] == job["done"] > 0
        assert client.post("/v1/replay", json={"rules": "elsewhere"}).status_code == 400


def test_tokens_roles_and_the_loopback_rule(tmp_path):
    made = subprocess.run([*WARRANT, "token", "records-team", "--role", "decide"], capture_output=True, text=True)
    decider = made.stderr.split(": ")[-1].strip()
    made_admin = subprocess.run([*WARRANT, "token", "ops", "--role", "admin", "--role", "read-log"],
                                capture_output=True, text=True)
    admin = made_admin.stderr.split(": ")[-1].strip()
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(made.stdout + made_admin.stdout)
    assert decider not in tokens.read_text()                          # hashed at rest
    refused = subprocess.run([*WARRANT, "serve", "--host", "0.0.0.0", "--log", f"sqlite:///{tmp_path}/x.db"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "S002" in refused.stderr and "loopback only" in refused.stderr
    request = json.dumps(next(iter(warrant.load().generate(1, seed=1))))
    with serving("--log", f"sqlite:///{tmp_path}/t.db", "--tokens", str(tokens)) as server:
        post = lambda token: httpx.post(server.url + "/v1/decide?explain=none", content=request,  # noqa: E731
                                        headers={**JSON, **({"authorization": f"Bearer {token}"} if token else {})})
        assert post(None).status_code == 401 and post("wrong").status_code == 401
        assert post(None).json() == {"detail": "a valid bearer token is needed", "status": 401,
                                     "title": "Unauthorized", "type": "about:blank"}
        assert post(admin).status_code == 403
        assert post(decider).status_code == 200
        read = httpx.get(server.url + "/v1/decisions", headers={"authorization": f"Bearer {decider}"})
        assert read.status_code == 403
        assert httpx.get(server.url + "/v1/decisions", headers={"authorization": f"Bearer {admin}"}).status_code == 200
        metrics = httpx.get(server.url + "/metrics", headers={"authorization": f"Bearer {admin}"}).text
        assert 'warrant_access_refused_total{reason="token"} 3.0' in metrics
        assert 'warrant_access_refused_total{reason="role"} 2.0' in metrics
        assert httpx.get(server.url + "/health").status_code == 200    # liveness needs no token


def test_reload_swaps_only_a_clean_rulebase(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(os.path.join(ROOT, "rules"), folder)
    request = json.dumps(next(iter(warrant.load().generate(1, seed=2))))
    with serving("--rules", str(folder), "--log", f"sqlite:///{tmp_path}/r.db") as server:
        before = httpx.get(server.url + "/v1/rulebase").json()["sha256"]
        general = folder / "general.warrant"
        good = general.read_text()
        general.write_text(good + "\npermit broken for Item \"x\" cites nowhere when requested(Item)\n")
        refused = httpx.post(server.url + "/v1/rulebase/reload", timeout=120)
        assert refused.status_code == 422 and refused.json()["reloaded"] is False
        assert any(e["code"] == "C105" for e in refused.json()["errors"])
        assert httpx.get(server.url + "/v1/rulebase").json()["sha256"] == before          # the old one serves
        assert httpx.post(server.url + "/v1/decide", content=request, headers=JSON).status_code == 200
        general.write_text(good + "\n# a comment changes the digest, not the law\n")
        done = httpx.post(server.url + "/v1/rulebase/reload", timeout=120).json()
        assert done["reloaded"] and done["serving"]["sha256"] != before
        answer = httpx.post(server.url + "/v1/decide?explain=none", content=request, headers=JSON)
        assert answer.json()["record"]["rulebase"]["sha256"] == done["serving"]["sha256"]
        general.write_text(good)
        server.proc.send_signal(signal.SIGHUP)                                          # SIGHUP reloads too
        deadline = time.monotonic() + 60
        while httpx.get(server.url + "/v1/rulebase").json()["sha256"] != before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert httpx.get(server.url + "/v1/rulebase").json()["sha256"] == before


def test_the_committer_commits_what_waits_together_and_tells_each_request_its_own_result():
    """Requests that arrive while a transaction is being written are committed in the next one, together;
    each waiting request gets its own result, and a fault reaches every request of its group (nothing is
    answered that was not committed)."""
    import asyncio
    import threading
    from warrant.serve.committer import Committer
    groups, release = [], threading.Event()

    def commit_group(group):
        groups.append(list(group))
        if len(groups) == 1:
            release.wait(5)                     # the first transaction is slow: the others queue behind it
        if any(made == "bad" for made in group):
            raise RuntimeError("the log is down")
        return [f"committed {made}" for made in group]

    committer = Committer(commit_group)

    async def run():
        first = asyncio.ensure_future(committer.commit("first"))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(committer.commit(n)) for n in range(20)]
        await asyncio.sleep(0.05)
        release.set()
        answers = await asyncio.gather(first, *rest)
        failed = await asyncio.gather(committer.commit("bad"), return_exceptions=True)
        return answers, failed

    answers, failed = asyncio.run(run())
    committer.close()
    assert answers == ["committed first"] + [f"committed {n}" for n in range(20)]
    assert groups[0] == ["first"] and groups[1] == list(range(20))          # 20 requests, one transaction
    assert isinstance(failed[0], RuntimeError)
