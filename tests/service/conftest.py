"""A real `perfjudge serve` process on loopback, driven over real HTTP."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from perfjudge.engine import sandbox

needs_sandbox = pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="the service runs samples in the sandbox: root, bubblewrap and cgroups")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``perfjudge serve`` in a subprocess, with its own store and token."""

    def __init__(self, tmp: Path, data_dir: Path, *args: str, store: Path | None = None,
                 token: bool = True):
        self.tmp = tmp
        self.data_dir = data_dir
        self.args = args
        self.store = store or tmp / "store.db"
        self.token = secrets.token_hex(16) if token else None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"serve-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, wait_s: float = 90.0) -> "Server":
        cmd = [sys.executable, "-m", "perfjudge.cli", "serve", "--port", str(self.port),
               "--store", str(self.store), "--data-dir", str(self.data_dir), *self.args]
        if self.token:
            token_file = self.tmp / f"token-{self.port}"
            token_file.write_text(self.token + "\n")
            cmd += ["--token-file", str(token_file)]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}:\n"
                                     + self.log.read_text())
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("the server did not answer /v1/health:\n" + self.log.read_text())

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def post(self, path: str, body, timeout: float = 300, **kw) -> httpx.Response:
        return httpx.post(self.url + path, json=body, headers=self.headers, timeout=timeout,
                          **kw)

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.url + path, headers=self.headers, timeout=30, **kw)

    def worker_pids(self) -> list[int]:
        """The pool's worker processes (spawned children running ``spawn_main``)."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid and b"spawn_main" in cmdline:
                pids.append(int(entry))
        return pids

    def stop(self, sig: int = signal.SIGTERM, wait_s: float = 60.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("the server did not stop on SIGTERM:\n" + self.log.read_text())

    def metric(self, name: str, **labels: str) -> float:
        """One sample's value from /metrics (0 if absent)."""
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in self.get("/metrics").text.splitlines():
            if line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            series, _, rest = key.partition("{")
            got = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
            if series == name and got == want:
                return float(value)
        return 0.0


@pytest.fixture
def make_server(tmp_path, data_dir):
    servers: list[Server] = []

    def make(*args: str, **kw) -> Server:
        server = Server(tmp_path, data_dir, *args, **kw)
        servers.append(server)
        return server

    yield make
    for server in servers:
        if server.proc is not None and server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
