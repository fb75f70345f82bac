"""The results store on a real SQLite file: keys, round trips, concurrent writer processes,
and a writer killed with SIGKILL mid-transaction."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from perfjudge.records.result import CheckResult, Measurement
from perfjudge.records.result import TestFailure as Failure
from perfjudge.records.task import sha256_text
from perfjudge.store import (
    Store,
    StoreError,
    default_store_path,
    machine_fingerprint,
    result_key,
)

LIMITS = {"timeout_s": 10, "memory_mb": 1024}


def key_for(code: str, meter: str = "valgrind", machine: str | None = None) -> str:
    return result_key("humaneval+", "0.1.10", "task-fp", sha256_text(code), meter, LIMITS, machine)


def rich_result(task_id: str = "HumanEval/0") -> CheckResult:
    return CheckResult(
        task_id=task_id,
        verdict="wrong_answer",
        detail="test 3",
        failure=Failure(index=3, input_repr="[1, 2]", expected_repr="3", output_repr="4"),
        tests_run=4,
        tests_passed=3,
        measurements=[Measurement("valgrind", "instructions", 1.5e6, 1, 0.0, 0.0, (1.5e6,), 0)],
        total_cost=1.5e6,
        meter="valgrind",
        unit="instructions",
        isolation={"bwrap": True},
    )


def test_key_includes_machine_only_for_time_meters():
    for meter in ("cpu_time", "wall_time", "peak_memory"):
        assert key_for("x", meter, "machine-a") != key_for("x", meter, "machine-b")
        with pytest.raises(ValueError, match="machine_fingerprint is required"):
            key_for("x", meter, None)
    for meter in ("valgrind", "instructions"):
        assert key_for("x", meter) == key_for("x", meter)
        with pytest.raises(ValueError, match="deterministic"):
            key_for("x", meter, "machine-a")
    assert key_for("x") != key_for("y")
    assert key_for("x", "valgrind") != key_for("x", "instructions")


def test_key_is_canonical_over_limit_order_and_rejects_bad_limits():
    a = result_key("b", "1", "t", "c", "valgrind", {"a": 1, "b": [1, 2]}, None)
    b = result_key("b", "1", "t", "c", "valgrind", {"b": [1, 2], "a": 1}, None)
    assert a == b and len(a) == 64
    assert a != result_key("b", "1", "t", "c", "valgrind", {"a": 2, "b": [1, 2]}, None)
    assert a != result_key("b", "1", "t", "c", "valgrind", {"a": 1, "b": [1, 2]}, None,
                           runtime="CPython 3.12")
    with pytest.raises(ValueError, match="plain JSON"):
        result_key("b", "1", "t", "c", "valgrind", {"a": float("nan")}, None)
    with pytest.raises(ValueError, match="plain JSON"):
        result_key("b", "1", "t", "c", "valgrind", {"a": object()}, None)


def test_machine_fingerprint_is_stable_across_processes():
    here = machine_fingerprint()
    other = subprocess.run(
        [sys.executable, "-c", "from perfjudge.store import machine_fingerprint as m; print(m())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert other == here
    assert "cores=" in here and "python=" in here and "kernel=" in here


def test_round_trip_and_idempotent_put(tmp_path):
    store = Store(tmp_path / "r.db")
    key = key_for("code")
    assert store.get(key) is None
    result = rich_result()
    assert store.put(key, result, code_sha256=sha256_text("code")) is True
    assert store.get(key) == result
    other = CheckResult(task_id="HumanEval/0", verdict="passed")
    assert store.put(key, other, code_sha256=sha256_text("code")) is False
    assert store.get(key) == result  # first result stays
    store.put(key, other, code_sha256=sha256_text("code"), replace=True)
    assert store.get(key) == other
    assert store.count_results() == 1
    mode = sqlite3.connect(tmp_path / "r.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_runs_link_results_and_survive_reopen(tmp_path):
    path = tmp_path / "r.db"
    store = Store(path)
    run_id = store.start_run("humaneval+", "valgrind", {"k": 1})
    keys = [key_for(f"code{i}") for i in range(3)]
    for i, key in enumerate(keys):
        store.put(key, rich_result(f"HumanEval/{i}"), code_sha256=sha256_text(f"code{i}"))
    for i, key in reversed(list(enumerate(keys))):
        store.link(run_id, f"HumanEval/{i}#0", key)
    store.link(run_id, "HumanEval/2#0", keys[0])  # relink keeps position, replaces key
    store.finish_run(run_id)

    reopened = Store(path)
    results = reopened.run_results(run_id)
    assert [sid for sid, _ in results] == ["HumanEval/2#0", "HumanEval/1#0", "HumanEval/0#0"]
    assert results[0][1].task_id == "HumanEval/0"
    (info,) = reopened.list_runs()
    assert (info.run_id, info.status, info.items, info.options) == (run_id, "finished", 3,
                                                                    {"k": 1})
    assert reopened.run_keys(run_id)["HumanEval/1#0"] == keys[1]

    with pytest.raises(StoreError, match="no result stored"):
        reopened.link(run_id, "x#0", "0" * 64)
    with pytest.raises(StoreError, match="no run"):
        reopened.run_results("missing")
    with pytest.raises(StoreError, match="no run"):
        reopened.finish_run("missing")


def test_blobs(tmp_path):
    store = Store(tmp_path / "r.db")
    assert store.get_blob("expected:t1") is None
    assert store.put_blob("expected:t1", {"outputs": [1, [2, 3], "x"]}) is True
    assert store.put_blob("expected:t1", {"outputs": []}) is False
    assert store.get_blob("expected:t1") == {"outputs": [1, [2, 3], "x"]}
    with pytest.raises(ValueError, match="None"):
        store.put_blob("k", None)
    assert store.put_blob("raw", b"\x00{not json") is True
    assert Store(tmp_path / "r.db").get_blob("raw") == b"\x00{not json"


def test_default_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFJUDGE_STORE", str(tmp_path / "env" / "db.sqlite"))
    assert default_store_path() == tmp_path / "env" / "db.sqlite"
    store = Store()
    assert store.path == tmp_path / "env" / "db.sqlite" and store.path.exists()
    monkeypatch.delenv("PERFJUDGE_STORE")
    assert default_store_path() == Path.home() / ".cache" / "perfjudge" / "results.db"


SHARED, OWN = 300, 100


def _writer(store: Store, run_id: str, worker: int, barrier, queue) -> None:
    """Write SHARED keys every worker also writes, plus OWN keys of its own; link all.
    Reports (keys this worker inserted first, start, end)."""
    barrier.wait()  # all writers start together
    start, won = time.time(), 0
    codes = [f"shared{i}" for i in range(SHARED)] + [f"w{worker}-{i}" for i in range(OWN)]
    for n, code in enumerate(codes):
        key = key_for(code)
        won += store.put(key, CheckResult(task_id=code, verdict="passed"),
                         code_sha256=sha256_text(code))
        store.link(run_id, f"w{worker}#{n}", key)
    queue.put((won, start, time.time()))


def test_concurrent_writer_processes_lose_and_duplicate_nothing(tmp_path):
    store = Store(tmp_path / "r.db")
    run_id = store.start_run("humaneval+", "valgrind")
    workers = 4
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(store, run_id, w, barrier, queue))
             for w in range(workers)]
    for proc in procs:
        proc.start()
    outcomes = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    won, starts, ends = zip(*outcomes)
    assert max(starts) < min(ends)  # the writers really ran at the same time
    distinct = SHARED + workers * OWN
    assert sum(won) == distinct  # each key inserted by exactly one writer
    assert store.count_results() == distinct
    results = store.run_results(run_id)
    assert len(results) == workers * (SHARED + OWN)
    assert len({sid for sid, _ in results}) == len(results)


def test_threads_share_a_store_with_own_connections(tmp_path):
    store = Store(tmp_path / "r.db")
    codes = [f"t{i}" for i in range(200)]

    def put(code: str) -> bool:
        return store.put(key_for(code), CheckResult(task_id=code, verdict="passed"),
                         code_sha256=sha256_text(code))

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(put, codes + codes)) == 200
    assert store.count_results() == 200


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from perfjudge.records.result import CheckResult
    from perfjudge.store import Store, result_key
    store = Store(sys.argv[1])
    run_id = store.start_run("b", "valgrind")
    print("run", run_id, flush=True)
    for batch in range(10_000):
        with store.transaction():
            for i in range({batch}):
                key = result_key("b", "1", "t", f"{{batch}}-{{i}}", "valgrind", {{}}, None)
                store.put(key, CheckResult(task_id=f"t{{batch}}", verdict="passed",
                                           detail="x" * 2000), code_sha256="c")
                store.link(run_id, f"t{{batch}}#{{i}}", key)
                time.sleep(0.001)
        print("committed", batch + 1, flush=True)
""")


def test_sigkill_mid_write_leaves_a_consistent_database(tmp_path):
    batch = 40
    path = tmp_path / "r.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER.format(batch=batch), str(path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        run_line = proc.stdout.readline().split()
        assert run_line[0] == "run", run_line
        committed = 0
        while committed < 3:
            committed = int(proc.stdout.readline().split()[1])
        time.sleep(0.013)  # inside the next batch's transaction (each batch takes ~40 ms+)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    store = Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = store.count_results()
    assert rows >= committed * batch and rows % batch == 0  # whole batches only
    (info,) = store.list_runs()
    assert info.run_id == run_line[1] and info.status == "running" and info.items == rows
    for _, result in store.run_results(info.run_id):
        assert result.detail == "x" * 2000
    # a new writer continues where the killed one stopped
    store.put(key_for("after"), CheckResult(task_id="after", verdict="passed"),
              code_sha256=sha256_text("after"))
    store.finish_run(info.run_id, status="interrupted")
    assert store.count_results() == rows + 1
    assert json.loads(conn.execute("SELECT options FROM runs").fetchone()[0]) == {}


def test_generation_records_travel_with_run_items(tmp_path):
    store = Store(tmp_path / "g.db")
    run_id = store.start_run("builtin", "valgrind")
    key = key_for("code")
    store.put(key, rich_result(), code_sha256=sha256_text("code"))
    store.link(run_id, "HumanEval/0#0", key, {"completion_tokens": 12, "cost_usd": 0.001})
    store.link(run_id, "HumanEval/0#1", key)  # same code, no generation record
    assert Store(tmp_path / "g.db").run_generation(run_id) == {
        "HumanEval/0#0": {"completion_tokens": 12, "cost_usd": 0.001}}


def test_a_schema_1_store_is_migrated_and_keeps_its_results(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema', '1');
        CREATE TABLE runs (run_id TEXT PRIMARY KEY, created REAL NOT NULL, benchmark TEXT NOT
            NULL, meter TEXT NOT NULL, options TEXT NOT NULL, status TEXT NOT NULL,
            finished REAL);
        CREATE TABLE results (key TEXT PRIMARY KEY, task_id TEXT NOT NULL, code_sha256 TEXT
            NOT NULL, verdict TEXT NOT NULL, result TEXT NOT NULL, machine TEXT,
            created REAL NOT NULL);
        CREATE TABLE run_items (run_id TEXT NOT NULL REFERENCES runs (run_id), sample_id TEXT
            NOT NULL, key TEXT NOT NULL REFERENCES results (key),
            PRIMARY KEY (run_id, sample_id));
    """)
    key = key_for("old")
    conn.execute("INSERT INTO results VALUES (?, 'HumanEval/0', 'x', 'wrong_answer', ?, NULL, 0)",
                 (key, json.dumps(rich_result().to_dict())))
    conn.execute("INSERT INTO runs VALUES ('r1', 0, 'humaneval+', 'valgrind', '{}', 'finished', 1)")
    conn.execute("INSERT INTO run_items VALUES ('r1', 'HumanEval/0#0', ?)", (key,))
    conn.commit()
    conn.close()

    store = Store(path)
    assert store.get(key) == rich_result()
    assert [sid for sid, _ in store.run_results("r1")] == ["HumanEval/0#0"]
    store.link("r1", "HumanEval/0#1", key, {"tokens": 5})
    assert store.run_generation("r1") == {"HumanEval/0#1": {"tokens": 5}}
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone() == ("2",)


def test_finished_runs_are_read_back_by_id(tmp_path):
    from perfjudge.errors import UnknownName
    from perfjudge.pipeline import SCHEMA, load_records, load_run

    store = Store(tmp_path / "r.db")
    run_id = store.start_run("builtin", "valgrind")
    assert store.run_summary(run_id) is None  # still running: nothing to report yet
    summary = {"schema": SCHEMA, "run_id": run_id, "tasks": []}
    store.finish_run(run_id, summary=summary, records=[{"sample_id": "a#0"}])
    assert load_run(run_id, tmp_path / "r.db") == summary
    assert load_records(run_id, tmp_path / "r.db") == [{"sample_id": "a#0"}]
    wrong = run_id[:-1] + ("0" if run_id[-1] != "0" else "1")
    with pytest.raises(UnknownName, match=f"unknown run '{wrong}'.*did you mean '{run_id}'"):
        load_run(wrong, tmp_path / "r.db")
