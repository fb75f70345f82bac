"""The pipeline on the scripted executor: no sandbox, so caching, partial re-runs, a failing
executor, scores and outputs are checked in a second, on costs chosen by hand. The same
paths on the real sandbox are in test_evaluate.py."""

from __future__ import annotations

import json

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.executors import CheckRequest, ScriptedExecutor
from perfjudge.pipeline import EvaluateOptions, evaluate
from perfjudge.records.result import CheckResult, Measurement

TASK = get_benchmark("builtin").load()[0]
assert TASK.task_id == "builtin/two_sum"
REFS = {r.code: r for r in TASK.references}  # levels 2 (linear), 1, 0
# Per performance test (two, both level "perf"): the references 1e8, 1e9, 1e10 instructions
# (far apart next to valgrind's tie band).
PER_TEST = {2: 1e8, 1: 1e9, 0: 1e10}
FAST = "def two_sum(nums, target):\n    seen = {}\n    for j, x in enumerate(nums):\n" \
       "        if target - x in seen:\n            return [seen[target - x], j]\n" \
       "        seen[x] = j\n    return []\n"
SLOW = FAST + "# slow\n"
WRONG = "def two_sum(nums, target):\n    return []\n"


def judge(request: CheckRequest) -> CheckResult:
    if request.code == WRONG:
        return CheckResult(request.task.task_id, "wrong_answer", detail="test 0")
    if "boom" in request.code:
        raise RuntimeError("the executor broke")
    ref = REFS.get(request.code)
    cost = PER_TEST[ref.level] if ref else (1e8 if request.code == FAST else 1e9)
    ms = [Measurement("valgrind", "instructions", cost, 1, 0.0, 0.0, (cost,), i, level="perf")
          for i in range(2)]
    return CheckResult(request.task.task_id, "passed", measurements=ms, total_cost=2 * cost,
                       meter="valgrind", unit="instructions")


def _samples(tmp_path, *codes):
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps({"task_id": TASK.task_id, "solution": c}) + "\n"
                            for c in codes))
    return path


def _run(tmp_path, samples, executor):
    return evaluate(EvaluateOptions(benchmark="builtin", samples=samples, meter="valgrind",
                                    tasks=(TASK.task_id,), output=tmp_path / "out",
                                    store=tmp_path / "s.db", executor=executor))


def test_scores_from_hand_chosen_costs(tmp_path):
    """In units of 1e8 instructions: canonical (linear) 2 in total; FAST 2, SLOW 20, one
    wrong. pass@1 2/3; speedup over the correct ones (2/2 + 2/20) / 2 = 0.55; NET =
    mean(2, 20) / 2 = 5.5; eff@1: T = 2 x 1 per test, FAST (1) scores 1, SLOW (10 > T) 0,
    the wrong one 0: 1/3; efficient@1 0 (a copy of the best is not cheaper)."""
    executor = ScriptedExecutor(judge)
    report = _run(tmp_path, _samples(tmp_path, FAST, SLOW, WRONG), executor)
    scores = {k: v["value"] for k, v in report.summary["scores"].items()}
    assert scores["pass@1"] == pytest.approx(2 / 3)
    assert scores["speedup"] == pytest.approx(0.55)
    assert scores["NET"] == pytest.approx(5.5) and scores["NET_total"] == pytest.approx(5.5)
    assert scores["eff@1"] == pytest.approx(1 / 3)
    assert scores["efficient@1"] == 0.0
    assert report.summary["counts"]["verdicts"] == {"passed": 2, "wrong_answer": 1}
    assert len(executor.requests) == 3 + 3  # three samples, three references
    assert all(r.meter == "valgrind" and r.paired_with is None for r in executor.requests)


def test_second_run_executes_nothing_and_a_changed_sample_alone_reruns(tmp_path):
    first = _run(tmp_path, _samples(tmp_path, FAST, SLOW, WRONG), ScriptedExecutor(judge))
    again = ScriptedExecutor(judge)
    second = _run(tmp_path, _samples(tmp_path, FAST, SLOW, WRONG), again)
    assert again.requests == [] and (second.executed, second.reused) == (0, 6)
    assert second.summary["scores"] == first.summary["scores"]
    changed = ScriptedExecutor(judge)
    third = _run(tmp_path, _samples(tmp_path, FAST, SLOW + "# edited\n", WRONG), changed)
    assert [r.code for r in changed.requests] == [SLOW + "# edited\n"]
    assert third.executed == 1


def test_an_executor_failure_costs_one_result_and_is_not_stored(tmp_path):
    report = _run(tmp_path, _samples(tmp_path, FAST, FAST + "# boom\n"), ScriptedExecutor(judge))
    verdicts = {r["sample_id"]: (r["verdict"], r["detail"]) for r in report.records
                if r["reference"] is None}
    assert verdicts[f"{TASK.task_id}#0"][0] == "passed"
    assert verdicts[f"{TASK.task_id}#1"] == ("sandbox_error",
                                            "worker failed: RuntimeError: the executor broke")
    retry = ScriptedExecutor(judge)
    _run(tmp_path, _samples(tmp_path, FAST, FAST + "# boom\n"), retry)
    assert [r.code for r in retry.requests] == [FAST + "# boom\n"]  # only the failed one


CONCURRENT = r'''
import json, sys, time
from pathlib import Path
from perfjudge.executors import ScriptedExecutor
from perfjudge.pipeline import EvaluateOptions, evaluate
from perfjudge.records.result import CheckResult, Measurement

def judge(request):
    time.sleep(0.02)  # long enough for the two processes' writes to interleave
    cost = 1e8 + len(request.code)
    m = [Measurement("valgrind", "instructions", cost, 1, 0.0, 0.0, (cost,), 0, level="perf")]
    return CheckResult(request.task.task_id, "passed", measurements=m, total_cost=cost)

out, samples, store = map(Path, sys.argv[1:4])
report = evaluate(EvaluateOptions(benchmark="builtin", samples=samples, meter="valgrind",
                                  output=out, store=store, executor=ScriptedExecutor(judge)))
print(json.dumps({"run_id": report.run_id, "executed": report.executed}))
'''


def test_two_evaluate_processes_share_one_store_and_lose_nothing(tmp_path):
    import subprocess
    import sys

    from perfjudge.pipeline import EXAMPLES, load_records, load_run
    from perfjudge.store import Store

    lines = (EXAMPLES / "builtin_samples.jsonl").read_text().splitlines()
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:40]) + "\n")
    (tmp_path / "b.jsonl").write_text("\n".join(lines[20:]) + "\n")  # 20 samples shared
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(tmp_path / f"out-{n}"),
                               str(tmp_path / f"{n}.jsonl"), str(tmp_path / "s.db")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in ("a", "b")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    runs = [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]
    store = Store(tmp_path / "s.db")
    records = {n: [json.loads(x) for x in
                   (tmp_path / f"out-{n}" / "results.jsonl").read_text().splitlines()]
               for n in ("a", "b")}
    for n, run in zip(("a", "b"), runs):
        # the store holds the whole run: summary, records and one linked result per record
        assert load_run(run["run_id"], tmp_path / "s.db") == load_run(tmp_path / f"out-{n}")
        assert load_records(run["run_id"], tmp_path / "s.db") == records[n]
        assert len(store.run_results(run["run_id"])) == len(records[n])
    # every distinct result was stored exactly once, whichever process ran it
    assert store.count_results() == len({r["key"] for n in records for r in records[n]})
    assert {r.status for r in store.list_runs()} == {"finished"}


def test_report_and_runs_read_the_store_by_run_id(tmp_path):
    import subprocess
    import sys

    report = _run(tmp_path, _samples(tmp_path, FAST, SLOW, WRONG), ScriptedExecutor(judge))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "perfjudge.cli", *args,
                               "--store", str(tmp_path / "s.db")], capture_output=True,
                              text=True, timeout=120)

    listed = json.loads(cli("runs", "--json").stdout)
    assert [r["run_id"] for r in listed] == [report.run_id]
    assert listed[0]["status"] == "finished" and listed[0]["items"] == 6
    shown = cli("report", report.run_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["scores"] == report.summary["scores"]
    html = cli("report", report.run_id, "--html", str(tmp_path / "r.html"))
    assert html.returncode == 0 and "two_sum" in (tmp_path / "r.html").read_text()
    missing = cli("report", "20260101T000000-deadbeef")
    assert missing.returncode == 2 and "unknown run '20260101T000000-deadbeef'" in missing.stderr
