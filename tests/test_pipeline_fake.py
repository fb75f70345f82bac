"""The pipeline on the scripted executor: no sandbox, so caching, partial re-runs, a failing
executor, scores and outputs are checked in a second, on costs chosen by hand. The same
paths on the real sandbox are in test_evaluate.py."""

from __future__ import annotations

import json

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.executors import CheckRequest, ScriptedExecutor
from perfjudge.pipeline import EvaluateOptions, evaluate
from perfjudge.results import CheckResult, Measurement

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
