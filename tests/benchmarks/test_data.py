"""data.fetch: local data dir, cache, download and the errors a user sees."""

from __future__ import annotations

import hashlib
import importlib
import shutil

import pytest

from perfjudge.benchmarks import DataFile, all_benchmarks
from perfjudge.benchmarks.data import (
    ChecksumMismatch,
    DataUnavailable,
    cache_dir,
    fetch,
    resolve_data_dir,
    sha256_file,
)
from perfjudge.benchmarks.humaneval import FILE as HUMANEVAL

ADAPTERS = ("humaneval", "evalplus", "enamel", "coffe", "evalperf", "effibench", "mercury")


def _benchmarks():
    """Import every adapter explicitly: the registry only auto-loads when it is empty."""
    for name in ADAPTERS:
        importlib.import_module(f"perfjudge.benchmarks.{name}")
    return all_benchmarks()


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFJUDGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PERFJUDGE_DATA_DIR", raising=False)


def test_resolve_data_dir_prefers_argument_then_env(tmp_path, monkeypatch):
    assert resolve_data_dir(None) is None
    monkeypatch.setenv("PERFJUDGE_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(None) == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_cache_dir_override(tmp_path):
    assert cache_dir() == tmp_path / "cache"


def test_fetch_returns_file_from_data_dir(data_dir):
    assert fetch(HUMANEVAL, data_dir) == data_dir / HUMANEVAL.relpath


def test_every_pinned_file_in_shared_data_matches(data_dir):
    checked = set()
    for bench in _benchmarks().values():
        for file in bench.files:
            local = data_dir / file.relpath
            if file.sha256 and local.is_file():
                assert sha256_file(local) == file.sha256, file.relpath
                checked.add(file.relpath)
    assert len(checked) == 20


def test_every_file_in_shared_data_is_pinned(data_dir):
    pinned = {f.relpath for b in _benchmarks().values() for f in b.files if f.sha256}
    published = {
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if p.is_file() and p.name not in {"README.md", "LICENSE"}
    }
    assert published <= pinned, published - pinned


def test_sha_mismatch_names_file_and_url(tmp_path, data_dir):
    target = tmp_path / "local" / HUMANEVAL.relpath
    target.parent.mkdir(parents=True)
    shutil.copy(data_dir / HUMANEVAL.relpath, target)
    with open(target, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ChecksumMismatch) as err:
        fetch(HUMANEVAL, tmp_path / "local")
    assert str(target) in str(err.value) and HUMANEVAL.url in str(err.value)


def test_cache_hit_is_used_and_verified(tmp_path, data_dir):
    cached = cache_dir() / HUMANEVAL.relpath
    cached.parent.mkdir(parents=True)
    shutil.copy(data_dir / HUMANEVAL.relpath, cached)
    assert fetch(HUMANEVAL, tmp_path / "empty") == cached
    cached.write_bytes(b"broken")
    with pytest.raises(ChecksumMismatch):
        fetch(HUMANEVAL, None)


def test_missing_file_offline_names_file_url_and_data_dir_hint(tmp_path):
    file = DataFile("nowhere/missing.json", "http://127.0.0.1:9/missing.json", None)
    with pytest.raises(DataUnavailable) as err:
        fetch(file, tmp_path)
    message = str(err.value)
    assert "nowhere/missing.json" in message
    assert "http://127.0.0.1:9/missing.json" in message
    assert "PERFJUDGE_DATA_DIR" in message and "--data-dir" in message
    assert not (cache_dir() / file.relpath).exists()


class _OneFileServer:
    """A real HTTP server on localhost serving one payload (the download path end to end)."""

    def __init__(self, payload: bytes):
        import http.server
        import threading

        body = payload

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/file"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_download_checks_sha_and_renames_atomically(tmp_path):
    payload = b'{"hello": 1}\n'
    server = _OneFileServer(payload)
    try:
        good = DataFile("src/good.json", server.url, hashlib.sha256(payload).hexdigest())
        path = fetch(good, None)
        assert path == cache_dir() / "src/good.json" and path.read_bytes() == payload
        bad = DataFile("src/bad.json", server.url, "0" * 64)
        with pytest.raises(ChecksumMismatch) as err:
            fetch(bad, None)
        assert server.url in str(err.value)
        assert not (cache_dir() / "src/bad.json").exists()
        assert list((cache_dir() / "src").iterdir()) == [path]
    finally:
        server.close()
