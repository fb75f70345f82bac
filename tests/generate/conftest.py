"""A real model behind a real server: the tiny model (`scripts/tiny_model.py`) built once per
test process, served by ``transformers serve`` on 127.0.0.1, and a fault-injecting proxy."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_builder():
    spec = importlib.util.spec_from_file_location("tiny_model", ROOT / "scripts" / "tiny_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, data_dir) -> Path:
    return _load_builder().build(tmp_path_factory.mktemp("tiny") / "model", data_dir)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base_url: str
    model: str
    process: subprocess.Popen
    log: Path


def start_server(model: Path, log: Path, timeout_s: float = 180.0) -> Server:
    port = _free_port()
    exe = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "OMP_NUM_THREADS": "1"}
    handle = open(log, "wb")
    process = subprocess.Popen([str(exe), "serve", str(model), "--host", "127.0.0.1",
                                "--port", str(port), "--device", "cpu", "--log-level", "info"],
                               stdout=handle, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"transformers serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return Server(f"http://127.0.0.1:{port}/v1", str(model), process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"transformers serve did not answer in {timeout_s} s")


@pytest.fixture(scope="session")
def model_server(tiny_model, tmp_path_factory):
    server = start_server(tiny_model, tmp_path_factory.mktemp("serve") / "serve.log")
    yield server
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture
def fault_proxy(model_server):
    from tests.generate.fault_proxy import FaultProxy

    proxies = []

    def make(script):
        proxy = FaultProxy(model_server.base_url, script)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()
