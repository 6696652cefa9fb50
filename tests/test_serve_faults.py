"""The service under load and faults, on loopback only, bounded in count and time: 10,000 requests from 64
clients checked against the engine's own answers; kill -9 under load, 10 times; the log's database stopped
under load; 2,000 hostile bodies and a slow client while good requests keep being answered."""
from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import threading
import time

import httpx

import warrant
from servers import Server, post_many, serving

JSON = {"content-type": "application/json"}
MEMORY_BOUND_MB = 600          # a server's resident memory under the hostile bodies (README "Limits")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_ten_thousand_requests_from_64_clients_each_answered_as_the_engine_decides(tmp_path):
    rulebase = warrant.load()
    requests = list(rulebase.generate(10_000, seed=64))
    expected = list(rulebase.decide_many(requests, trace="none"))
    bodies = [json.dumps(r).encode() for r in requests]
    url = f"sqlite:///{tmp_path}/load.db"
    with serving("--log", url, "--workers", "2") as server:
        started = time.monotonic()
        results = asyncio.run(post_many(server.port, "/v1/decide?explain=none", bodies, 64))
        seconds = time.monotonic() - started
    assert len(results) == 10_000 and seconds < 240
    ids = set()
    for index, status, headers, data, _ in results:
        assert status == 200, (index, status, data[:200])
        assert json.loads(data) == expected[index], index
        ids.add(headers["warrant-decision-id"])
    log = warrant.DecisionLog(url)
    assert log.verify().records == 10_000 == len(ids)
    assert {json.loads(x)["id"] for x in log.export()} == ids


def test_kill_9_under_load_loses_no_answered_decision(tmp_path):
    rulebase = warrant.load()
    bodies = [json.dumps(r).encode() for r in rulebase.generate(3000, seed=99)]
    url = f"sqlite:///{tmp_path}/killed.db"
    chance = random.Random(10)
    answered: set = set()
    for _ in range(10):
        server = Server("--log", url).start()
        timer = threading.Timer(chance.uniform(0.2, 0.8), server.kill)
        timer.start()
        try:
            results = asyncio.run(post_many(server.port, "/v1/decide?explain=refused", bodies, 16))
        finally:
            timer.cancel()
            server.kill()
        answered |= {r[2]["warrant-decision-id"] for r in results if r[1] == 200}
    log = warrant.DecisionLog(url)
    assert log.verify().ok
    logged = {json.loads(x)["id"] for x in log.export()}
    assert answered and answered <= logged                   # every answer a client received is in the log
    with serving("--log", url) as server:                    # and it restarts and serves
        assert httpx.post(server.url + "/v1/decide", content=bodies[0], headers=JSON).status_code == 200
    assert warrant.DecisionLog(url).verify().ok


def test_the_log_database_stopped_under_load_answers_503_and_nothing_unlogged(postgres, tmp_path):
    rulebase = warrant.load()
    bodies = [json.dumps(r).encode() for r in rulebase.generate(400, seed=5)]
    url = postgres.fresh("serve_stopped")
    with serving("--log", url) as server:
        answered, statuses = [], []

        def load(rounds: int):
            results = asyncio.run(post_many(server.port, "/v1/decide?explain=none", bodies[:rounds], 8))
            for _, status, headers, data, _ in results:
                statuses.append(status)
                if status == 200:
                    answered.append(headers["warrant-decision-id"])
                elif status is not None:
                    problem = json.loads(data)
                    assert status == 503 and problem["code"] in ("L003", "L004"), problem
        load(100)
        postgres.stop("immediate")
        try:
            load(200)
            assert 503 in statuses
            ready = httpx.get(server.url + "/ready")
            assert ready.status_code == 503 and ready.headers["content-type"] == "application/problem+json"
        finally:
            postgres.start()
        deadline = time.monotonic() + 30
        while httpx.get(server.url + "/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        statuses.clear()
        load(100)
        assert statuses and set(statuses) == {200}                # back to 200 when it returns
    logged = {json.loads(x)["id"] for x in warrant.DecisionLog(url).export()}
    assert set(answered) <= logged and warrant.DecisionLog(url).verify().ok


def _hostile(n: int) -> list[tuple[bytes, str]]:
    chance = random.Random(2000)
    good = json.dumps(next(iter(warrant.load().generate(1, seed=1))))
    makers = [
        lambda: (good[:chance.randrange(1, len(good))].encode(), "application/json"),        # cut short
        lambda: (b"\xff\xfe" + os.urandom(chance.randrange(1, 200)), "application/json"),    # not UTF-8
        lambda: (json.dumps({"date": chance.randrange(10**6), "items": "name"}).encode(), "application/json"),
        lambda: (("[" * chance.randrange(17, 20_000)).encode(), "application/json"),          # deep nesting
        lambda: (json.dumps({"x" * 20: ["y" * 20_000]}).encode(), "application/json"),        # a long string
        lambda: (b"{}", "text/html"),                                                          # wrong media type
        lambda: (json.dumps([good]).encode(), "application/json"),                            # not an object
        lambda: (good.replace('"items"', '"items", "items"').encode(), "application/json"),   # broken keys
    ]
    return [chance.choice(makers)() for _ in range(n)]


def test_hostile_bodies_a_huge_one_and_a_slow_client_leave_good_requests_answered(tmp_path):
    rulebase = warrant.load()
    good = json.dumps(next(iter(rulebase.generate(1, seed=8)))).encode()
    with serving("--log", f"sqlite:///{tmp_path}/hostile.db") as server:
        stop = threading.Event()
        good_answers: list[int] = []

        def keep_asking():
            with httpx.Client(base_url=server.url, timeout=30) as client:
                while not stop.is_set():
                    good_answers.append(client.post("/v1/decide?explain=none", content=good,
                                                    headers=JSON).status_code)
                    time.sleep(0.02)
        asker = threading.Thread(target=keep_asking)
        asker.start()

        slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)   # a byte a second
        slow.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n")
        try:
            statuses = []
            with httpx.Client(base_url=server.url, timeout=30) as client:
                for body, kind in _hostile(2000):
                    try:
                        statuses.append(client.post("/v1/decide", content=body,
                                                    headers={"content-type": kind}).status_code)
                    except httpx.HTTPError:
                        statuses.append("closed")
                try:
                    huge = client.post("/v1/decide", content=b"{" + b" " * (100 << 20) + b"}", headers=JSON)
                    statuses.append(huge.status_code)
                    assert huge.status_code == 413
                except httpx.HTTPError:
                    statuses.append("closed")                # refused while it was still being sent
            assert all(s == "closed" or 400 <= s < 500 for s in statuses), sorted(set(map(str, statuses)))
            started = time.monotonic()
            answer = b""
            while time.monotonic() - started < 15 and not answer:
                try:
                    slow.sendall(b" ")
                except OSError:
                    break
                slow.settimeout(1)
                try:
                    answer = slow.recv(4096)
                except socket.timeout:
                    pass
            assert answer.startswith(b"HTTP/1.1 408") or answer == b"", answer[:100]
            assert _rss_mb(server.proc.pid) < MEMORY_BOUND_MB
        finally:
            slow.close()
            stop.set()
            asker.join(timeout=30)
        assert good_answers and set(good_answers) == {200}, set(good_answers)
        assert httpx.get(server.url + "/health").status_code == 200
