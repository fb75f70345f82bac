"""`evaluate` end to end on real HumanEval+ tasks: caching, resume after kill -9, re-running
only what changed, and the JSON it writes."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from perfjudge.errors import InputNotFound
from perfjudge.executors import ScriptedExecutor
from perfjudge.pipeline import EvaluateOptions, evaluate, load_run

N_TASKS = 8


def _records(data_dir: Path) -> list[dict]:
    path = data_dir / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz"
    with gzip.open(path, "rt") as handle:
        return [json.loads(line) for line in handle][:N_TASKS]


def _write_samples(path: Path, data_dir: Path, wrong_for: set[str] = frozenset()) -> Path:
    with open(path, "w") as handle:
        for r in _records(data_dir):
            code = r["prompt"] + r["canonical_solution"]
            if r["task_id"] in wrong_for:
                code = r["prompt"] + "    return None\n"
            handle.write(json.dumps({"task_id": r["task_id"], "solution": code}) + "\n")
            handle.write(json.dumps({"task_id": r["task_id"], "completion": "    raise ValueError('no')\n"}) + "\n")
    return path


def _options(tmp_path: Path, data_dir: Path, samples: Path, **kw) -> EvaluateOptions:
    return EvaluateOptions(benchmark="humaneval+", samples=samples, data_dir=data_dir,
                           meter="cpu_time", workers=2, output=tmp_path / "out",
                           store=tmp_path / "store.db", **kw)


def test_second_run_executes_nothing_and_gives_same_scores(tmp_path, data_dir):
    samples = _write_samples(tmp_path / "s.jsonl", data_dir)
    first = evaluate(_options(tmp_path, data_dir, samples))
    # A time meter measures each sample paired with its task's canonical reference, so the
    # canonical sample (paired with itself) and the reference alone are two jobs.
    assert first.executed == 3 * N_TASKS
    sample_records = [r for r in first.records if r["reference"] is None]
    for record in sample_records:
        if record["verdict"] == "passed":
            # the canonical solution, measured beside itself; how close to 1 its speedup
            # comes is test_paired_time's subject (on a quiet core), not this test's
            paired = record["paired"]
            assert paired["rounds"] == 6 and paired["tests"] >= 1
            assert 0 < paired["low"] <= paired["speedup"] <= paired["high"], paired
        else:
            assert record["paired"] is None
    assert first.summary["counts"]["verdicts"] == {"passed": N_TASKS, "runtime_error": N_TASKS}, [
        (r["task_id"], r["reference"], r["verdict"], r.get("detail")) for r in first.records]
    assert first.scores["pass@1"]["value"] == pytest.approx(0.5)
    second = evaluate(_options(tmp_path, data_dir, samples))
    assert second.executed == 0, [  # only a judge's fault (never stored) is run again
        (r["task_id"], r["reference"], r["verdict"], r.get("detail")) for r in first.records
        if r["verdict"] == "sandbox_error"]
    assert second.reused == first.executed
    assert second.scores["pass@1"] == first.scores["pass@1"]
    summary = load_run(tmp_path / "out")
    assert summary["schema"] == "perfjudge.run/2"
    lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    assert len(lines) == 3 * N_TASKS
    assert {json.loads(l)["verdict"] for l in lines} == {"passed", "runtime_error"}


def test_changing_one_sample_reruns_only_that_sample(tmp_path, data_dir):
    samples = _write_samples(tmp_path / "s.jsonl", data_dir)
    first = evaluate(_options(tmp_path, data_dir, samples))
    changed = _write_samples(tmp_path / "s2.jsonl", data_dir, wrong_for={"HumanEval/3"})
    again = evaluate(_options(tmp_path, data_dir, changed))
    assert again.executed == 1, [  # only a judge's fault (never stored) is run again
        (r["task_id"], r["reference"], r["verdict"], r.get("detail")) for r in first.records
        if r["verdict"] == "sandbox_error"]
    record = next(r for r in again.records
                  if r["task_id"] == "HumanEval/3" and r["reference"] is None
                  and r["verdict"] != "runtime_error")
    assert record["verdict"] == "wrong_answer"


def test_time_meter_results_are_not_reused_on_another_machine(tmp_path, data_dir, monkeypatch):
    samples = _write_samples(tmp_path / "s.jsonl", data_dir)
    first = evaluate(_options(tmp_path, data_dir, samples, tasks=("HumanEval/0",)))
    assert first.executed == 3  # two samples (paired with the canonical) and the reference
    from perfjudge.pipeline import evaluation as evaluate_module

    monkeypatch.setattr(evaluate_module, "machine_fingerprint", lambda: "cpu=other machine")
    again = evaluate(_options(tmp_path, data_dir, samples, tasks=("HumanEval/0",)))
    assert again.executed == 3


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_kill_minus_9_midway_then_resume_loses_and_duplicates_nothing(tmp_path, data_dir):
    samples = _write_samples(tmp_path / "s.jsonl", data_dir)
    db = tmp_path / "store.db"
    cmd = [sys.executable, "-m", "perfjudge.cli", "evaluate", "-b", "humaneval+",
           "--data-dir", str(data_dir), "-s", str(samples), "-m", "cpu_time", "-j", "1",
           "-o", str(tmp_path / "out"), "--store", str(db)]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while _count(db) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = _count(db)
    total = 3 * N_TASKS  # samples paired with the canonical, and the canonical alone
    assert 0 < stored < total, f"the kill came too late or too early ({stored} of {total})"
    resumed = evaluate(_options(tmp_path, data_dir, samples))
    assert resumed.reused == stored
    assert resumed.executed == total - stored
    failed = [(r["sample_id"], r["verdict"], r["detail"]) for r in resumed.records
              if r["verdict"] == "sandbox_error"]
    assert _count(db) == total, (resumed.summary["counts"], failed)
    with sqlite3.connect(db) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM results")]
    assert len(keys) == len(set(keys))
    assert resumed.summary["counts"]["verdicts"] == {"passed": N_TASKS, "runtime_error": N_TASKS}


def test_generation_records_reach_results_summary_and_store(tmp_path):
    from perfjudge.pipeline import EXAMPLES
    from perfjudge.store import Store

    first = json.loads((EXAMPLES / "builtin_samples.jsonl").read_text().splitlines()[0])
    samples = tmp_path / "gen.jsonl"
    samples.write_text("\n".join(json.dumps(r) for r in [
        {"task_id": first["task_id"], "solution": first["solution"], "model": "m",
         "usage": {"prompt_tokens": 100, "completion_tokens": 40}, "cost_usd": 0.002,
         "latency_s": 1.5},
        {"task_id": first["task_id"], "solution": first["solution"] + "\n# again\n",
         "completion_tokens": 60, "cost_usd": 0.003, "temperature": 0.8},
        {"task_id": first["task_id"], "solution": "def two_sum(nums, target):\n    return []\n"},
    ]) + "\n")
    report = evaluate(EvaluateOptions(benchmark="builtin", samples=samples, meter="cpu_time",
                                      tasks=(first["task_id"],), references=False, workers=1,
                                      output=tmp_path / "out", store=tmp_path / "s.db"))
    records = [json.loads(line) for line in
               (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["generation"] for r in records] == [
        {"usage": {"prompt_tokens": 100, "completion_tokens": 40}, "cost_usd": 0.002,
         "latency_s": 1.5},
        {"completion_tokens": 60, "cost_usd": 0.003, "temperature": 0.8}, {}]
    totals = report.summary["generation"]
    assert (totals["samples"], totals["of"]) == (2, 3)
    assert totals["totals"]["completion_tokens"] == {"sum": 100, "samples": 2}
    assert totals["totals"]["prompt_tokens"] == {"sum": 100, "samples": 1}
    assert totals["totals"]["cost_usd"]["sum"] == pytest.approx(0.005)
    assert "temperature" not in totals["totals"]
    assert load_run(tmp_path / "out")["generation"] == totals
    generation = Store(tmp_path / "s.db").run_generation(report.run_id)
    assert generation == {f"{first['task_id']}#0": records[0]["generation"],
                          f"{first['task_id']}#1": records[1]["generation"]}


def test_pass_at_k_benchmarks_default_to_correctness_only(tmp_path, data_dir):
    """HumanEval+ is scored by pass@1 alone: with no meter asked for, nothing is measured
    and no reference runs as a job (their expected outputs come from the engine's cache)."""
    samples = _write_samples(tmp_path / "s.jsonl", data_dir)
    report = evaluate(EvaluateOptions(benchmark="humaneval+", samples=samples,
                                      data_dir=data_dir, workers=2, output=tmp_path / "out",
                                      store=tmp_path / "store.db"))
    summary = report.summary
    assert summary["meter"]["name"] == "none" and summary["meter"]["unit"] == ""
    assert report.executed == 2 * N_TASKS  # the samples only
    assert all(r["reference"] is None and r["cost"] is None and r["test_costs"] == []
               for r in report.records)
    assert summary["counts"]["verdicts"] == {"passed": N_TASKS, "runtime_error": N_TASKS}
    assert summary["scores"]["pass@1"]["value"] == 0.5
    assert all(t["references"] == [] for t in summary["tasks"])
    again = evaluate(EvaluateOptions(benchmark="humaneval+", samples=samples,
                                     data_dir=data_dir, meter="none", workers=2,
                                     output=tmp_path / "out2", store=tmp_path / "store.db"))
    assert again.executed == 0 and again.reused == 2 * N_TASKS


def test_a_bad_samples_file_is_reported_without_waiting_for_the_sandbox_check(tmp_path):
    """The sandbox check runs while the benchmark loads; when loading fails, the error is
    raised at once, not after a check that may take seconds (or hang on a cluster)."""
    release = threading.Event()

    class SlowToBeReady(ScriptedExecutor):
        def ready(self, meter: str) -> None:
            release.wait(60)

    executor = SlowToBeReady(lambda request: pytest.fail("nothing is judged"))
    raised: list[BaseException] = []

    def run() -> None:
        try:
            evaluate(EvaluateOptions(benchmark="builtin", samples=tmp_path / "missing.jsonl",
                                     output=tmp_path / "out", store=tmp_path / "s.db",
                                     executor=executor))
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    alive = thread.is_alive()
    release.set()
    thread.join(60)
    assert not alive and len(raised) == 1 and isinstance(raised[0], InputNotFound), raised
    assert "missing.jsonl" in str(raised[0])
