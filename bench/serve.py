"""Benchmark: the decision service over HTTP, beside the same ASGI stack calling the hand-written function.

    python bench/serve.py [--requests N] [--workers W] [--no-postgres]   (default N 2000 per row, W 2)

In one run, on this machine: throughput and p50/p99 latency at 1, 8 and
64 concurrent clients (keep-alive connections on asyncio streams, tests/servers.py, on loopback), for explain=none and
explain=refused, with the log on (SQLite; PostgreSQL, a server this script
starts in a temporary folder as the tests do), beside the floor: a
Starlette app on uvicorn with the same workers whose endpoint is the
hand-written Python function of the shipped rules (bench/bench.py) and no
log. The clients share the machine's two cores with the server, as a
reverse proxy would. Targets (issue "A decision service"): at least 1,000
logged decisions/s with refusal traces, p99 at most 25 ms at 8 clients,
and the service no more than 3x slower per decision than the floor.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import httpx  # noqa: E402

import warrant  # noqa: E402
from servers import Server, free_port, post_many  # noqa: E402

FLOOR = '''
import json, sys
sys.path.insert(0, {root!r})
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from bench.bench import hand_written

async def decide(request):
    body = json.loads(await request.body())
    items = hand_written(body)
    outcome = "permitted" if all(v == "permitted" for v in items.values()) else \\
        "refused" if all(v == "refused" for v in items.values()) else "partially_permitted"
    return Response(json.dumps({{"outcome": outcome, "items": items}}), media_type="application/json")

app = Starlette(routes=[Route("/v1/decide", decide, methods=["POST"]), Route("/health", lambda r: Response("{{}}"))])
'''


async def _load(port: int, bodies: list[bytes], clients: int, query: str) -> tuple[float, list[float], int]:
    started = time.perf_counter()
    results = await post_many(port, "/v1/decide" + query, bodies, clients)
    seconds = time.perf_counter() - started
    return seconds, [r[4] for r in results], sum(1 for r in results if r[1] != 200)


def _row(name: str, port: int, bodies: list[bytes], clients: int, query: str) -> str:
    asyncio.run(_load(port, bodies[:200], clients, query))                # warm the caches of every worker
    seconds, latencies, failures = asyncio.run(_load(port, bodies, clients, query))
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    rate = len(bodies) / seconds
    return f"{name:<44} {clients:>7} {rate:>10,.0f} {p50:>8.1f} {p99:>8.1f}{'  ' + str(failures) + ' failed' if failures else ''}", rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rulebase = warrant.load()
    bodies = [json.dumps(r).encode() for r in rulebase.generate(args.requests, seed=77)]
    folder = tempfile.mkdtemp(prefix="warrant-bench-serve-")
    servers, pg = [], None
    print(f"{'stack (' + format(args.requests, ',') + ' requests a row, ' + str(args.workers) + ' workers)':<44} "
          f"{'clients':>7} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    try:
        floor_file = os.path.join(folder, "floor_app.py")
        with open(floor_file, "w") as handle:
            handle.write(FLOOR.format(root=os.path.abspath(ROOT)))
        port = free_port()
        floor = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor_app:app", "--port", str(port),
                                  "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
                                 cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append(floor)
        floor_url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(floor_url + "/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        floors = {}
        for clients in (1, 8, 64):
            line, floors[clients] = _row("floor: hand-written function, no log", port, bodies, clients, "")
            print(line, flush=True)
        logs = [("SQLite", f"sqlite:///{folder}/decisions.db")]
        if not args.no_postgres:
            import pg as pgmodule
            if pgmodule.unavailable() is None:
                pg = pgmodule.Server()
                logs.append(("PostgreSQL", pg.url))
        for label, url in logs:
            server = Server("--log", url, "--workers", str(args.workers), env={"WARRANT_LOG_KEY": "bench"}).start()
            servers.append(server)
            for explain in ("none", "refused"):
                for clients in (1, 8, 64):
                    line, rate = _row(f"warrant, explain={explain}, {label} log", server.port, bodies, clients,
                                      f"?explain={explain}")
                    print(f"{line}  {floors[clients] / rate:4.1f}x the floor's time", flush=True)
            server.stop()
            verified = warrant.DecisionLog(url).verify()
            print(f"  {label} log: {verified.records:,} records, chain {'intact' if verified.ok else 'BROKEN'}")
    finally:
        for server in servers:
            if isinstance(server, Server):
                server.stop()
            else:
                server.terminate()
                server.wait(timeout=30)
        if pg is not None:
            pg.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
