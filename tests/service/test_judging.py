"""The service's judging core on the scripted executor (no HTTP, no sandbox): caching,
single flight, the bounded queue, limits, scores and rewards on costs chosen by hand. The
same paths through a real server and the real sandbox are in test_server.py."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.engine.sandbox import Limits
from perfjudge.errors import UnknownName, UsageError
from perfjudge.executors import CheckRequest, ScriptedExecutor
from perfjudge.pipeline import check_key
from perfjudge.records.result import CheckResult, Measurement
from perfjudge.service.judging import Admission, JudgeInput, JudgeService, Overloaded
from perfjudge.store import Store

BENCH = get_benchmark("builtin")
TASK = BENCH.load()[0]
assert TASK.task_id == "builtin/two_sum"
REFS = {r.code: r for r in TASK.references}  # levels 2 (the canonical, linear), 1, 0
PER_TEST = {2: 1e8, 1: 1e9, 0: 1e10}
"""Instructions per performance test (two per task) of each reference level."""
MIDDLE = "def two_sum(nums, target):\n    return middle(nums, target)\n"
WRONG = "def two_sum(nums, target):\n    return []\n"
SLEEPY = "def two_sum(nums, target):\n    return 'sleepy'\n"


def scripted(request: CheckRequest) -> CheckResult:
    if request.code == WRONG:
        return CheckResult(request.task.task_id, "wrong_answer", detail="wrong output on "
                           "correctness test 3", tests_run=4, tests_passed=3, tests_total=10)
    if request.code.startswith(SLEEPY):
        time.sleep(0.5)
    ref = REFS.get(request.code)
    cost = PER_TEST[ref.level] if ref else PER_TEST[1]
    if request.meter in (None, "none"):
        return CheckResult(request.task.task_id, "passed", tests_run=10, tests_passed=10,
                           tests_total=10)
    ms = [Measurement("valgrind", "instructions", cost, 1, 0.0, 0.0, (cost,), i, level="perf")
          for i in range(2)]
    return CheckResult(request.task.task_id, "passed", measurements=ms, total_cost=2 * cost,
                       meter="valgrind", unit="instructions", tests_run=10, tests_passed=10,
                       tests_total=10)


@pytest.fixture
def service(tmp_path):
    executor = ScriptedExecutor(scripted)
    svc = JudgeService(executor, Store(tmp_path / "store.db"), max_queue=4,
                       limits=Limits(test_seconds=5.0, memory_bytes=512 << 20))
    yield svc
    svc.close()


def run(coro):
    return asyncio.run(coro)


def test_a_middling_sample_scores_against_the_three_references(service):
    answer = run(service.judge(JudgeInput("builtin", TASK.task_id, code=MIDDLE,
                                          meter="valgrind", reward="efficiency")))
    assert answer["verdict"] == "passed" and answer["cost"] == 2e9
    # the canonical reference (level 2) costs 2e8: speedup 2e8 / 2e9
    assert answer["scores"]["speedup"] == pytest.approx(0.1)
    # levels 2e10 < 2e9 < 2e8 (slowest first): it reaches the middle one, 2 of 3
    assert answer["scores"]["level"] == {"reached": 2, "of": 3}
    assert answer["scores"]["DPS_norm"] == pytest.approx(100 * 2 / 3)
    assert answer["reward"] == {"name": "efficiency", "value": pytest.approx(0.5 + 0.5 * 0.1)}
    assert set(answer["scores"]["references"]) == {r.name for r in TASK.references}
    assert [m["value"] for m in answer["measurements"]] == [1e9, 1e9]


def test_the_reward_cap_rewards_beating_the_reference(service):
    fastest = TASK.references[0].code  # the canonical itself: speedup 1
    answer = run(service.judge(JudgeInput("builtin", TASK.task_id, code=fastest,
                                          meter="valgrind", reward="efficiency",
                                          reward_cap=4.0)))
    assert answer["scores"]["speedup"] == 1.0
    assert answer["reward"]["value"] == pytest.approx(0.5 + 0.5 * 1 / 4)


def test_pass_rate_of_a_wrong_sample(service):
    answer = run(service.judge(JudgeInput("builtin", TASK.task_id, code=WRONG, meter="none",
                                          reward="pass_rate")))
    assert answer["verdict"] == "wrong_answer"
    assert (answer["tests_passed"], answer["tests_total"]) == (3, 10)
    assert answer["reward"]["value"] == pytest.approx(0.3)
    assert answer["scores"] == {}


def test_identical_requests_run_once_and_then_come_from_the_store(service):
    request = JudgeInput("builtin", TASK.task_id, code=SLEEPY, meter="none")

    async def two_at_once():
        return await asyncio.gather(service.judge(request), service.judge(request))

    first, second = run(two_at_once())
    assert [r.code for r in service.executor.requests] == [SLEEPY]
    assert first["key"] == second["key"] and not first["cached"] and not second["cached"]
    again = run(service.judge(request))
    assert again["cached"] and again["verdict"] == "passed"
    assert len(service.executor.requests) == 1
    assert service.counts == {"judged": 2, "cached": 1}


def test_the_key_is_the_one_evaluate_gives(service):
    answer = run(service.judge(JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="none")))
    assert answer["key"] == check_key(BENCH, TASK, MIDDLE, "none", service.limits)


def test_a_completion_is_appended_to_the_prompt(service):
    body = "    return []\n"
    run(service.judge(JudgeInput("builtin", TASK.task_id, completion=body, meter="none")))
    code = service.executor.requests[-1].code
    assert code.endswith(body) and code.startswith(TASK.prompt.rstrip()[:20])


def test_limits_may_be_lowered_never_raised(service):
    run(service.judge(JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="none",
                                 timeout_s=1.5, memory_mb=128)))
    sent = service.executor.requests[-1].limits
    assert (sent.test_seconds, sent.memory_bytes) == (1.5, 128 << 20)
    for too_much in ({"timeout_s": 6.0}, {"memory_mb": 1024}):
        with pytest.raises(UsageError, match="at most the service's"):
            run(service.judge(JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="none",
                                         **too_much)))


@pytest.mark.parametrize("request_, error, match", [
    (JudgeInput("builtin", "builtin/nope", code=MIDDLE), UnknownName, "builtin/nope"),
    (JudgeInput("nobench", "x", code=MIDDLE), UnknownName, "nobench"),
    (JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="cpu_time"), UsageError,
     "measures time"),
    (JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="none", reward="efficiency"),
     UsageError, "ask for a meter"),
    (JudgeInput("builtin", TASK.task_id, code=MIDDLE, completion="x"), UsageError,
     "exactly one"),
])
def test_requests_that_cannot_be_judged_say_why(service, request_, error, match):
    with pytest.raises(error, match=match):
        run(service.judge(request_))
    assert service.executor.requests == []


def test_a_batch_answers_in_order_with_errors_in_place(service):
    answers = run(service.judge_many([
        JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="none"),
        JudgeInput("builtin", "builtin/nope", code=MIDDLE),
        JudgeInput("builtin", TASK.task_id, code=WRONG, meter="none")]))
    assert answers[0]["verdict"] == "passed"
    assert isinstance(answers[1], UnknownName)
    assert answers[2]["verdict"] == "wrong_answer"


def test_a_full_queue_refuses_and_says_when_to_retry(service):
    slow = [JudgeInput("builtin", TASK.task_id, code=SLEEPY + f"# {i}\n", meter="none")
            for i in range(4)]

    async def overfill():
        first = asyncio.ensure_future(service.judge_many(slow))
        deadline = time.monotonic() + 5
        while service.admission.depth < 4:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        with pytest.raises(Overloaded) as refused:
            await service.judge(JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="none"))
        assert refused.value.retry_after >= 1
        done = await first
        assert service.admission.depth == 0
        return done

    assert [a["verdict"] for a in run(overfill())] == ["passed"] * 4
    with pytest.raises(UsageError, match="larger than the service's queue"):
        run(service.judge_many([dataclasses.replace(r, code=r.code + "# again\n")
                                for r in slow + slow[:1]]))


def test_a_request_already_stored_is_answered_even_when_the_queue_is_full(service):
    done = JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="none")
    run(service.judge(done))
    service.admission.depth = service.admission.limit  # as if full
    assert run(service.judge(done))["cached"]


def test_admission_estimates_the_wait_from_recent_requests():
    queue = Admission(limit=4, workers=2)
    for _ in range(4):
        queue.enter()
    queue._mean_seconds = 3.0
    with pytest.raises(Overloaded) as refused:
        queue.enter()
    # 4 ahead + 1 - 4 + 1 = 2 requests must finish, 3 s each, 2 workers: 3 s
    assert refused.value.retry_after == 3
    queue.leave(4)
    assert queue.depth == 0


def test_a_timed_out_request_is_504_its_check_stays_queued_and_lands_in_the_store(tmp_path):
    from perfjudge.service.judging import NotJudgedInTime

    svc = JudgeService(ScriptedExecutor(scripted), Store(tmp_path / "s.db"),
                       request_timeout_s=0.1)
    request = JudgeInput("builtin", TASK.task_id, code=SLEEPY, meter="none")

    async def scenario():
        with pytest.raises(NotJudgedInTime):
            await svc.judge(request)
        assert svc.admission.depth == 1  # the check still holds its worker (0.5 s)
        deadline = time.monotonic() + 5
        while svc.admission.depth:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        return await svc.judge(request)

    try:
        again = run(scenario())
        assert again["cached"] and again["verdict"] == "passed"
        assert svc.store.get(check_key(BENCH, TASK, SLEEPY, "none", svc.limits)) is not None
    finally:
        svc.close()


def test_a_sandbox_error_is_not_stored(tmp_path):
    calls = []

    def broken(request):
        calls.append(request)
        return CheckResult(request.task.task_id, "sandbox_error", detail="worker failed")

    svc = JudgeService(ScriptedExecutor(broken), Store(tmp_path / "s.db"))
    try:
        request = JudgeInput("builtin", TASK.task_id, code=MIDDLE, meter="none")
        assert run(svc.judge(request))["verdict"] == "sandbox_error"
        assert run(svc.judge(request))["cached"] is False
        assert len(calls) == 2
    finally:
        svc.close()


def test_the_service_is_safe_to_call_from_many_threads(service):
    codes = [MIDDLE + f"# {i}\n" for i in range(3)]
    out: list = []

    def client(code):
        out.append(asyncio.run(service.judge(JudgeInput("builtin", TASK.task_id, code=code,
                                                        meter="none")))["verdict"])

    threads = [threading.Thread(target=client, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["passed"] * 3
    assert dataclasses.asdict(service.limits)["test_seconds"] == 5.0
