"""A real model behind a real server: the tiny model (`scripts/tiny_model.py`) built once per
test process, served by ``transformers serve`` on 127.0.0.1, and a fault-injecting proxy."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the tiny model is local; never ask the Hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # the tests fork after tokenizing


def _load_builder():
    spec = importlib.util.spec_from_file_location("tiny_model", ROOT / "scripts" / "tiny_model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiny_model"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


TINY = _load_builder()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, data_dir) -> Path:
    return TINY.build(tmp_path_factory.mktemp("tiny") / "model", data_dir)


@pytest.fixture(scope="session")
def model_server(tiny_model, tmp_path_factory):
    server = TINY.start_server(tiny_model, tmp_path_factory.mktemp("serve") / "serve.log")
    yield server
    server.stop()


@pytest.fixture
def fault_proxy(model_server):
    from fault_proxy import FaultProxy

    proxies = []

    def make(script, **options):
        proxy = FaultProxy(model_server.base_url, script, **options)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()
