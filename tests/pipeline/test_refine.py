"""`perfjudge refine` with a scripted model whose answers improve round by round, judged in
the real sandbox under valgrind: best-so-far, the stop rule, the budget and the per-round
report are checked exactly. The same loop against a real model server is in
tests/generate/test_refine_server.py."""

from __future__ import annotations

import json
import os

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.engine import sandbox
from perfjudge.errors import UsageError
from perfjudge.executors import LocalPoolExecutor
from perfjudge.generate.backends import ScriptedBackend
from perfjudge.generate.prices import Price
from perfjudge.pipeline.refine import RefineOptions, refine

pytestmark = [pytest.mark.xdist_group("heavy"), pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="refine judges in the sandbox: root, bubblewrap and cgroups")]

TASK = get_benchmark("builtin").load()[0]
assert TASK.task_id == "builtin/two_sum"
FAST = TASK.references[0].code                       # the canonical, level 2 (linear)
SLOW = next(r.code for r in TASK.references if r.level == 0)  # quadratic
WRONG = "def two_sum(nums, target):\n    return []\n"


def fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}```\n"


@pytest.fixture(scope="module")
def executor(tmp_path_factory):
    store = tmp_path_factory.mktemp("refine") / "store.db"
    with LocalPoolExecutor(2, store=store) as pool:
        pool.store_path = store
        yield pool


def options(tmp_path, executor, replies, **kw) -> tuple[RefineOptions, ScriptedBackend]:
    backend = ScriptedBackend([fenced(r) if "def " in r else r for r in replies])
    return RefineOptions(benchmark="builtin", tasks=(TASK.task_id,), output=tmp_path / "out",
                         store=executor.store_path, backend_instance=backend,
                         executor=executor, **kw), backend


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_answers_that_improve_keep_the_best_and_stop_at_the_best_level(tmp_path, executor):
    opts, backend = options(tmp_path, executor, [WRONG, SLOW, FAST, SLOW], rounds=5,
                            feedback="cost", meter="valgrind")
    report = refine(opts)
    assert len(backend.requests) == 3  # the fourth reply is never asked for
    attempts = lines(opts.output / "rounds.jsonl")
    assert [(a["round"], a["verdict"]) for a in attempts] == [
        (0, "wrong_answer"), (1, "passed"), (2, "passed")]
    slow, fast = attempts[1], attempts[2]
    assert slow["code"] == SLOW and fast["code"] == FAST
    assert 0 < fast["cost"] < slow["cost"]
    assert fast["speedup"] == 1.0 and fast["level"] == {"reached": 3, "of": 3}
    assert slow["level"] == {"reached": 1, "of": 3}
    assert slow["speedup"] == pytest.approx(fast["cost"] / slow["cost"], rel=1e-9)
    rounds = report.summary["rounds"]
    assert [r["best_correct"] for r in rounds] == [0, 1, 1]
    assert [r["best_at_best_level"] for r in rounds] == [0, 0, 1]
    assert rounds[1]["best_mean_speedup"] == pytest.approx(slow["speedup"])
    assert rounds[2]["best_mean_speedup"] == 1.0
    assert report.summary["tasks"] == [{
        "task_id": TASK.task_id, "stopped": "best level reached", "attempts": 3,
        "best_round": 2, "best_cost": fast["cost"], "best_speedup": 1.0,
        "verdicts": ["wrong_answer", "passed", "passed"]}]
    assert lines(opts.output / "best.jsonl") == [{
        "task_id": TASK.task_id, "solution": FAST, "round": 2, "model": "scripted",
        "refine_feedback": "cost"}]
    # round 1 was asked with the failing test, round 2 with the cost against the references
    second, third = backend.requests[1].prompt.messages, backend.requests[2].prompt.messages
    assert second[-2] == {"role": "assistant", "content": f"```python\n{WRONG.rstrip()}\n```"}
    assert "failed test 0" in second[-1]["content"] and "expected:" in second[-1]["content"]
    assert attempts[1]["feedback"] == second[-1]["content"]
    assert "Your solution is correct" in third[-1]["content"]
    assert f"{slow['cost']:,.0f} instructions" in third[-1]["content"]
    assert "most expensive test: test " in third[-1]["content"]
    assert len(third) == len(second) + 2  # one conversation, growing by answer + feedback


def test_a_correct_answer_is_not_replaced_by_a_costlier_one(tmp_path, executor):
    opts, _ = options(tmp_path, executor, [SLOW.replace("two_sum", "two_sum") + "\n", WRONG,
                                           SLOW + "\n_pad = sum(range(100000))\n"],
                      rounds=2, feedback="cost", meter="valgrind")
    report = refine(opts)
    tasks = report.summary["tasks"][0]
    assert tasks["verdicts"] == ["passed", "wrong_answer", "passed"]
    assert tasks["best_round"] == 0 and tasks["stopped"] == "rounds"


def test_the_budget_stops_the_loop(tmp_path, executor):
    # $1 per completion token; the scripted backend counts words: WRONG fenced is 10 words
    words = len(fenced(WRONG).split())
    opts, backend = options(tmp_path, executor, [WRONG], rounds=5, meter="none",
                            budget_usd=words + 0.5, price=Price(0.0, 1e6, "test"))
    report = refine(opts)
    assert len(backend.requests) == 2
    assert report.summary["spent_usd"] == pytest.approx(2 * words)
    assert [r["cost_usd"] for r in report.summary["rounds"]] == [words, words]
    assert report.summary["tasks"][0]["stopped"] == "budget"


def test_without_a_meter_a_task_stops_when_correct(tmp_path, executor):
    opts, backend = options(tmp_path, executor, [WRONG, SLOW, FAST], rounds=4, meter="none")
    report = refine(opts)
    assert len(backend.requests) == 2
    assert report.summary["tasks"][0]["stopped"] == "correct"
    assert report.summary["rounds"][1]["best_mean_speedup"] is None


def test_hidden_inputs_name_the_test_but_not_its_data(tmp_path, executor):
    opts, backend = options(tmp_path, executor, [WRONG, FAST], rounds=1, meter="none",
                            hide_inputs=True)
    refine(opts)
    feedback = backend.requests[1].prompt.messages[-1]["content"]
    assert "hidden test 0" in feedback and "expected" not in feedback
    assert str(list(TASK.tests[0].input)[0]) not in feedback


def test_profile_feedback_counts_the_answers_own_lines(tmp_path, executor):
    opts, backend = options(tmp_path, executor, [SLOW, FAST], rounds=1, feedback="profile",
                            meter="valgrind")
    refine(opts)
    feedback = backend.requests[1].prompt.messages[-1]["content"]
    rows = [line for line in feedback.splitlines() if line.startswith("line ")]
    assert rows, feedback
    counts = [int(r.split(":")[1].split("executions")[0].replace(",", "")) for r in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] > 100
    assert any("for" in r for r in rows)  # the quadratic loop is the hot spot


def test_bad_options_say_why(tmp_path, executor):
    with pytest.raises(UsageError, match="needs a meter"):
        refine(options(tmp_path, executor, [FAST], feedback="cost", meter="none")[0])
    with pytest.raises(UsageError, match="price"):
        refine(RefineOptions(benchmark="builtin", backend_instance=ScriptedBackend(
            [FAST], model="no-such-model"), executor=executor, budget_usd=1.0,
            output=tmp_path / "x"))
