"""Find a benchmark's published file: a local data dir, else the cache, else download it.

The data dir and the cache share one layout (``<source>/<published name>``, as in
``../shared/data``), so a cache folder can be passed as ``--data-dir`` and vice versa.
Downloads stream to a temporary file, are checked against the pinned sha256 and only then
renamed into place, so an interrupted or tampered download never looks like a cached file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import httpx

from perfjudge.benchmarks import DataFile
from perfjudge.errors import InputFileError, Unavailable
from perfjudge.records.task import Provenance

DATA_DIR_ENV = "PERFJUDGE_DATA_DIR"
CACHE_DIR_ENV = "PERFJUDGE_CACHE_DIR"
_CHUNK = 1 << 20


class DataUnavailable(Unavailable):
    """The file is neither in the data dir nor in the cache, and could not be downloaded."""


class ChecksumMismatch(InputFileError):
    """A file's sha256 differs from the pinned one (edited, truncated or a different release)."""


def resolve_data_dir(data_dir: Path | None) -> Path | None:
    """The explicit argument wins, then ``PERFJUDGE_DATA_DIR``; ``None`` means "use the cache"."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else None


def cache_dir() -> Path:
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else Path.home() / ".cache" / "perfjudge" / "data"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(file: DataFile, path: Path) -> None:
    if file.sha256 is None:
        return
    actual = sha256_file(path)
    if actual != file.sha256:
        raise ChecksumMismatch(
            f"{path}: sha256 {actual} does not match the pinned {file.sha256} for "
            f"{file.relpath} (published at {file.url}); the file was modified or is a "
            "different release. Replace it with the published file or delete it to re-download."
        )


def fetch(file: DataFile, data_dir: Path | None = None, *, timeout: float = 60.0) -> Path:
    """Local path of ``file``: from ``data_dir`` (or ``PERFJUDGE_DATA_DIR``), else the cache,
    else downloaded into the cache. Raises `DataUnavailable` or `ChecksumMismatch`."""
    local_root = resolve_data_dir(data_dir)
    if local_root is not None:
        local = local_root / file.relpath
        if local.is_file():
            _verify(file, local)
            return local
    cached = cache_dir() / file.relpath
    if cached.is_file():
        _verify(file, cached)
        return cached
    try:
        _download(file, cached, timeout=timeout)
    except (httpx.HTTPError, OSError) as exc:
        where = f" (not in {local_root})" if local_root is not None else ""
        raise DataUnavailable(
            f"{file.relpath}{where}: not cached in {cache_dir()} and the download from "
            f"{file.url} failed: {exc}. On a machine without internet, copy the file to "
            f"<dir>/{file.relpath} and pass --data-dir <dir> or set {DATA_DIR_ENV}=<dir>."
        ) from exc
    return cached


def _download(file: DataFile, target: Path, *, timeout: float) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, httpx.stream(
            "GET", file.url, follow_redirects=True, timeout=timeout
        ) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
        if file.sha256 is not None and digest.hexdigest() != file.sha256:
            raise ChecksumMismatch(
                f"{file.url}: downloaded sha256 {digest.hexdigest()} does not match the pinned "
                f"{file.sha256} for {file.relpath}; refusing to cache it."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# --- readers shared by the adapters -------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a ``.jsonl`` or ``.jsonl.gz`` file; a bad line names the file and line."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(f"{path}:{number}: not valid JSON: {exc}") from exc
            if not isinstance(row, dict):
                raise InputFileError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            yield row


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: not valid JSON: {exc}") from exc


def read_records(path: Path) -> list[dict[str, Any]]:
    """Rows of a published table: ``.parquet`` (needs pyarrow), ``.jsonl[.gz]`` or a JSON list."""
    name = path.name
    if name.endswith(".parquet"):
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise DataUnavailable(
                f"{path}: reading parquet needs pyarrow; install it with "
                "`pip install 'perfjudge[hub]'` (or `pip install pyarrow`)."
            ) from exc
        return pq.read_table(path).to_pylist()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return list(read_jsonl(path))
    data = read_json(path)
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InputFileError(f"{path}: expected a JSON list of objects")
    return data


def require_fields(path: Path, row: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    missing = [name for name in fields if name not in row]
    if missing:
        raise InputFileError(f"{path}: {where}: missing field(s) {', '.join(missing)}")


def provenance(benchmark: str, version: str, file: DataFile, path: Path) -> Provenance:
    """Where a task came from: the published URL and the sha256 of the exact file read."""
    return Provenance(
        benchmark=benchmark,
        version=version,
        source_url=file.url,
        sha256=file.sha256 or sha256_file(path),
        file=file.relpath,
    )
