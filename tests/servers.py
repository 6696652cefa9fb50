"""A real `warrant serve` for the tests: a uvicorn process on a free 127.0.0.1 port, stopped by the test."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import httpx

WARRANT = [sys.executable, "-c", "from warrant._cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args: str, env: dict | None = None, stderr=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = args
        self.env = {**os.environ, "WARRANT_CACHE": os.environ.get("WARRANT_CACHE", ""), **(env or {})}
        self.stderr = stderr
        self.proc = None

    def start(self, timeout: float = 60) -> "Server":
        self.proc = subprocess.Popen([*WARRANT, "serve", "--port", str(self.port), *self.args],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr or subprocess.DEVNULL, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"warrant serve exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("warrant serve did not answer /health in time")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def serving(*args: str, **kwargs):
    server = Server(*args, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


class Loopback:
    """A lean HTTP/1.1 client for load: one keep-alive connection per simulated client, written on asyncio's
    streams (httpx's own cost would otherwise be most of what a load test measures on two cores).
    Loopback only: it refuses any other host."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        assert host in ("127.0.0.1", "localhost", "::1"), "load goes to loopback only"
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self):
        import asyncio
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def post(self, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict, bytes]:
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {content_type}\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        else:                                              # chunked
            parts = []
            while True:
                size = int((await self.reader.readline()).strip() or b"0", 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            data = b"".join(parts)
        return status, headers, data


async def post_many(port: int, path: str, bodies: list[bytes], clients: int, on_answer=None) -> list:
    """POST every body with `clients` concurrent keep-alive connections; (index, status, headers, body,
    seconds) per body, or (index, None, error, b"", seconds) where the connection failed."""
    import asyncio
    import time as _time
    results = []
    queue = list(range(len(bodies) - 1, -1, -1))

    async def one():
        client = None
        while queue:
            index = queue.pop()
            started = _time.perf_counter()
            try:
                if client is None:
                    client = await Loopback(port).open()
                status, headers, data = await client.post(path, bodies[index])
                results.append((index, status, headers, data, _time.perf_counter() - started))
            except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                results.append((index, None, repr(exc), b"", _time.perf_counter() - started))
                if client is not None:
                    await client.close()
                client = None
            if on_answer is not None:
                on_answer(len(results))
        if client is not None:
            await client.close()
    await asyncio.gather(*(one() for _ in range(clients)))
    return results
