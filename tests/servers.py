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
