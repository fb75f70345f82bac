"""The results store: one embedded SQLite file, content-addressed, safe for many workers.

A result is filed under `result_key` -- a hash of everything that decides it -- so a rerun,
a resumed run or another run over the same samples finds it instead of recomputing. A run
links its sample ids to keys (with each sample's generation record) and, once finished,
keeps its summary and records, so it can be read back by id. Derived data (expected outputs,
generated inputs, the machine's speed) is kept in ``blobs``. WAL mode lets readers and
several writer processes share the file; each write is one transaction, so a worker killed
mid-way leaves only whole rows.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from perfjudge.errors import JudgeFault
from perfjudge.records.result import CheckResult
from perfjudge.records.task import sha256_text

KEY_SCHEMA = 3  # 3: measurements carry their test's level
SCHEMA_VERSION = 2  # 2: runs.summary and runs.records, run_items.generation (1 is migrated)
# Meters whose numbers depend on the hardware (and its load): their keys carry the machine.
MACHINE_DEPENDENT_METERS = frozenset({"cpu_time", "wall_time", "peak_memory"})
BUSY_TIMEOUT_MS = 60_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    benchmark TEXT NOT NULL,
    meter TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    finished REAL,
    summary TEXT,
    records TEXT
);
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    code_sha256 TEXT NOT NULL,
    verdict TEXT NOT NULL,
    result TEXT NOT NULL,
    machine TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS results_task ON results (task_id);
CREATE TABLE IF NOT EXISTS run_items (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    sample_id TEXT NOT NULL,
    key TEXT NOT NULL REFERENCES results (key),
    generation TEXT,
    PRIMARY KEY (run_id, sample_id)
);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL);
"""


class StoreError(JudgeFault):
    """The results database cannot be opened or is inconsistent with this perfjudge."""


def result_key(
    benchmark: str,
    benchmark_version: str,
    task_fingerprint: str,
    code_sha256: str,
    meter: str,
    limits: dict[str, Any],
    machine_fingerprint: str | None,
    *,
    runtime: str | None = None,
) -> str:
    """sha256 of a canonical JSON of everything that decides a result.

    ``machine_fingerprint`` is part of the key only for time/memory meters
    (`MACHINE_DEPENDENT_METERS`): a CPU second on one machine is not one on another, so such
    a number must never be served to a run elsewhere. Instruction counts (valgrind, hardware
    counters) do not depend on the machine, so leaving it out lets every machine share them
    -- the point of deterministic meters. Pass None for those; a mismatch raises, because
    it would either leak timings across machines or split a shareable cache.

    ``runtime`` names the interpreter/toolchain (e.g. Python build, valgrind version) for
    callers whose counts depend on it; instruction counts change with the interpreter."""
    if meter in MACHINE_DEPENDENT_METERS and not machine_fingerprint:
        raise ValueError(f"meter {meter!r} measures time or memory: a machine_fingerprint is "
                         "required so its numbers are never reused on another machine")
    if meter not in MACHINE_DEPENDENT_METERS and machine_fingerprint is not None:
        raise ValueError(f"meter {meter!r} is deterministic: pass machine_fingerprint=None so "
                         "its results are shared across machines")
    payload = {
        "schema": KEY_SCHEMA,
        "benchmark": benchmark,
        "benchmark_version": benchmark_version,
        "task": task_fingerprint,
        "code": code_sha256,
        "meter": meter,
        "limits": limits,
        "machine": machine_fingerprint,
        "runtime": runtime,
    }
    try:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"limits must be plain JSON data (no NaN): {exc}") from exc
    return sha256_text(text)


@lru_cache(maxsize=1)
def machine_fingerprint() -> str:
    """Readable identity of what a time measurement depends on: CPU model, core count,
    kernel, architecture, Python version. Stable across runs on one machine (no load, no
    affinity, no hostname)."""
    parts = [
        f"cpu={_cpu_model()}",
        f"cores={os.cpu_count()}",
        f"kernel={platform.system()} {platform.release()}",
        f"arch={platform.machine()}",
        f"python={platform.python_implementation()} {platform.python_version()}",
    ]
    return "; ".join(parts)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip() in ("model name", "Hardware", "cpu model"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def default_store_path() -> Path:
    env = os.environ.get("PERFJUDGE_STORE")
    return Path(env) if env else Path.home() / ".cache" / "perfjudge" / "results.db"


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    created: float
    benchmark: str
    meter: str
    options: dict[str, Any]
    status: str
    finished: float | None
    items: int


class Store:
    """Handle on the results database. Cheap to create and to pickle (only the path travels);
    each thread and each process opens its own connection on first use."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._init_schema()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ----------------------------------------------------------------- connection handling

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():  # never reuse across fork
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=True)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: safe against process crashes
            self._local.conn, self._local.pid, self._local.depth = conn, os.getpid(), 0
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: all statements inside commit together or not at all. Nested
        uses join the outer transaction. BEGIN IMMEDIATE takes the write lock up front, so
        concurrent writers wait (busy timeout) instead of failing on lock upgrade."""
        conn = self._conn()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
        finally:
            self._local.depth = 0

    def _init_schema(self) -> None:
        conn = self._conn()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        for attempt in range(50):
            if str(mode).lower() == "wal":
                break
            # switching the journal mode does not wait for a busy database: another
            # process creating the same store at this moment holds it
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.02 * (attempt + 1))
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: could not enable WAL mode (got {mode!r}); "
                             "is it on a network filesystem?")
        with self.transaction():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if row is not None and int(row[0]) == 1:
                # 1 -> 2: each sample's generation record travels with its run item.
                conn.execute("ALTER TABLE run_items ADD COLUMN generation TEXT")
                conn.execute("ALTER TABLE runs ADD COLUMN summary TEXT")
                conn.execute("ALTER TABLE runs ADD COLUMN records TEXT")
                conn.execute("UPDATE meta SET value = ? WHERE name = 'schema'",
                             (str(SCHEMA_VERSION),))
            elif row is None:
                conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) != SCHEMA_VERSION:
                raise StoreError(f"{self.path}: schema version {row[0]}, this perfjudge "
                                 f"reads {SCHEMA_VERSION}")

    # ----------------------------------------------------------------- results

    def get(self, key: str) -> CheckResult | None:
        row = self._conn().execute("SELECT result FROM results WHERE key = ?", (key,)).fetchone()
        return CheckResult.from_dict(json.loads(row[0])) if row else None

    def put(
        self,
        key: str,
        result: CheckResult,
        *,
        code_sha256: str,
        machine: str | None = None,
        replace: bool = False,
    ) -> bool:
        """File a result under ``key``. Idempotent: the first result for a key stays (returns
        False when one was already there) unless ``replace``. ``machine`` is the fingerprint
        the result was measured on, kept for reports."""
        text = json.dumps(result.to_dict(), sort_keys=True, allow_nan=True)
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self.transaction() as conn:
            cursor = conn.execute(
                f"{verb} INTO results (key, task_id, code_sha256, verdict, result, machine,"
                " created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, result.task_id, code_sha256, result.verdict, text, machine, time.time()),
            )
        return cursor.rowcount == 1

    def count_results(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM results").fetchone()[0]

    # ----------------------------------------------------------------- runs

    def start_run(self, benchmark: str, meter: str, options: dict[str, Any] | None = None) -> str:
        """Open a run; its id sorts by creation time and is unique across processes."""
        options_text = json.dumps(options or {}, sort_keys=True)
        while True:
            now = time.time()
            run_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + "-" + secrets.token_hex(4)
            try:
                with self.transaction() as conn:
                    conn.execute(
                        "INSERT INTO runs (run_id, created, benchmark, meter, options, status)"
                        " VALUES (?, ?, ?, ?, ?, 'running')",
                        (run_id, now, benchmark, meter, options_text),
                    )
                return run_id
            except sqlite3.IntegrityError:
                continue  # id collision: draw again

    def link(self, run_id: str, sample_id: str, key: str,
             generation: dict[str, Any] | None = None) -> None:
        """Record that ``sample_id`` of this run has its result under ``key``, with what
        generating it cost (``Sample.generation``; relinking a sample, as a resumed run
        does, replaces both)."""
        text = json.dumps(generation, sort_keys=True, default=str) if generation else None
        try:
            with self.transaction() as conn:
                conn.execute(
                    "INSERT INTO run_items (run_id, sample_id, key, generation)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (run_id, sample_id) DO UPDATE"
                    " SET key = excluded.key, generation = excluded.generation",
                    (run_id, sample_id, key, text),
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"cannot link {sample_id!r} in run {run_id!r} to {key[:12]}...: "
                             "unknown run, or no result stored under that key") from exc

    def finish_run(self, run_id: str, status: str = "finished",
                   summary: dict[str, Any] | None = None,
                   records: list[dict[str, Any]] | None = None) -> None:
        """Close a run, with its summary and per-sample records (what ``summary.json`` and
        ``results.jsonl`` hold), so that `perfjudge report RUN_ID` can read it back."""
        dump = (lambda v: None if v is None else json.dumps(v, default=str))
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = ?, finished = ?, summary = ?, records = ?"
                " WHERE run_id = ?",
                (status, time.time(), dump(summary), dump(records), run_id))
        if cursor.rowcount != 1:
            raise StoreError(f"no run {run_id!r} in {self.path}")

    def run_results(self, run_id: str) -> list[tuple[str, CheckResult]]:
        """(sample_id, result) in the order the samples were first linked."""
        conn = self._conn()
        if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is None:
            raise StoreError(f"no run {run_id!r} in {self.path}")
        rows = conn.execute(
            "SELECT i.sample_id, r.result FROM run_items i JOIN results r ON r.key = i.key"
            " WHERE i.run_id = ? ORDER BY i.rowid",
            (run_id,),
        ).fetchall()
        return [(sample_id, CheckResult.from_dict(json.loads(text))) for sample_id, text in rows]

    def run_summary(self, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """A finished run's summary and records; None if the run is unknown or unfinished."""
        row = self._conn().execute("SELECT summary, records FROM runs WHERE run_id = ?",
                                   (run_id,)).fetchone()
        if row is None or row[0] is None:
            return None
        return json.loads(row[0]), json.loads(row[1] or "[]")

    def run_generation(self, run_id: str) -> dict[str, dict[str, Any]]:
        """sample_id -> its generation record, for the samples of this run that had one."""
        rows = self._conn().execute(
            "SELECT sample_id, generation FROM run_items WHERE run_id = ? AND generation"
            " IS NOT NULL ORDER BY rowid", (run_id,)).fetchall()
        return {sample_id: json.loads(text) for sample_id, text in rows}

    def run_keys(self, run_id: str) -> dict[str, str]:
        """sample_id -> key already linked: what a resumed run can skip."""
        rows = self._conn().execute(
            "SELECT sample_id, key FROM run_items WHERE run_id = ?", (run_id,)).fetchall()
        return dict(rows)

    def list_runs(self) -> list[RunInfo]:
        rows = self._conn().execute(
            "SELECT r.run_id, r.created, r.benchmark, r.meter, r.options, r.status, r.finished,"
            " (SELECT COUNT(*) FROM run_items i WHERE i.run_id = r.run_id)"
            " FROM runs r ORDER BY r.created, r.run_id"
        ).fetchall()
        return [RunInfo(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7]) for r in rows]

    # ----------------------------------------------------------------- derived data

    def get_blob(self, key: str) -> Any | None:
        """Cached derived data (expected outputs, generated inputs): bytes as they were
        put, anything else JSON-decoded."""
        row = self._conn().execute("SELECT value FROM blobs WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return row[0] if isinstance(row[0], bytes) else json.loads(row[0])

    def put_blob(self, key: str, value: Any) -> bool:
        """Cache derived data; the first value for a key stays (it is derived
        deterministically, so a second writer computed the same thing). ``None`` cannot be
        stored: `get_blob` uses it to say "absent". Bytes are kept as an SQLite BLOB, as
        they are; other values as JSON text."""
        if value is None:
            raise ValueError(f"blob {key!r}: None cannot be stored (it means absent)")
        text = value if isinstance(value, bytes) else json.dumps(value, sort_keys=True)
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO blobs (key, value, created) VALUES (?, ?, ?)",
                (key, text, time.time()),
            )
        return cursor.rowcount == 1
