"""A verdict must not depend on how fast or how busy the machine is: time limits are CPU time,
relative to the reference measured on the same machine, and the absolute floor is scaled by
the machine's measured speed; the wall clock only catches a sample that sleeps."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest

from perfjudge.engine import sandbox
from perfjudge.engine.judge import (
    NOMINAL_CALIBRATION_SECONDS,
    Engine,
    check_solution,
    per_test_limits,
)
from perfjudge.engine.sandbox import Limits
from perfjudge.records.task import Reference, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.store import Store

needs_sandbox = pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="needs root, bubblewrap and a writable cgroup")


def test_the_floor_scales_with_the_machine_and_says_which_rule_decided():
    tests = [Case([1], reference_seconds=0.001), Case([2], reference_seconds=0.4)]
    limits = Limits(min_test_seconds=1.0, test_seconds=10.0)
    fast, rules_fast = per_test_limits(tests, limits, 4.0, speed=0.5)
    slow, rules_slow = per_test_limits(tests, limits, 4.0, speed=2.0)
    assert fast == [0.5, pytest.approx(1.6)] and slow == [2.0, 2.0]
    assert "floor" in rules_fast[0] and "0.50" in rules_fast[0]
    assert "4 x the reference" in rules_fast[1] and "floor" in rules_slow[1]
    capped, rules = per_test_limits([Case([1], reference_seconds=5.0)], limits, 4.0)
    assert capped == [10.0] and "cap" in rules[0]


def test_coffe_limits_follow_its_harness(data_dir):
    """COFFE's code_execution.py: per test max(0.1 s, 10 x the ground truth's time), not
    EvalPlus's max(1 s, 4 x)."""
    from perfjudge.benchmarks import get_benchmark

    task = get_benchmark("coffe-function").load(data_dir)[0]
    assert (task.timeout_factor, task.time_floor_seconds) == (10.0, 0.1)
    tests = [Case([1], reference_seconds=0.002), Case([2], reference_seconds=0.05)]
    limits = Limits(min_test_seconds=1.0, test_seconds=10.0)
    found, rules = per_test_limits(tests, limits, task.timeout_factor, 1.0,
                                   task.time_floor_seconds)
    assert found == [pytest.approx(0.1), pytest.approx(0.5)]  # max(0.1, 0.02); max(0.1, 0.5)
    assert "0.1 s" in rules[0] and "10 x the reference" in rules[1]


@needs_sandbox
def test_machine_speed_is_measured_near_one_on_the_development_machine(tmp_path):
    engine = Engine(cache=Store(tmp_path / "derived.db"))
    speed = engine.machine_speed()
    assert 0.05 < speed < 20, speed
    assert engine.machine_speed() == speed  # cached per machine
    assert NOMINAL_CALIBRATION_SECONDS > 0


SPIN = """
import time


def f(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds
"""


@needs_sandbox
@pytest.mark.slow
@pytest.mark.xdist_group("heavy")  # never beside the Ray cluster's tests: load is its subject
def test_a_busy_core_does_not_turn_a_pass_into_a_timeout(tmp_path):
    """0.9 of the floor in CPU (1 s x this machine's speed factor): with four CPU burners on
    the same core the sample gets a fifth of it, 4.5x its CPU in wall time, over the 3x wall
    slack. The CPU limit decides, and the wall clock waits while the sample is runnable: the
    same verdict. Twice the floor is a timeout that names the floor."""
    limits = Limits(test_seconds=5.0, min_test_seconds=1.0, wall_seconds=120.0)
    engine = Engine(limits=limits, cache=Store(tmp_path / "derived.db"), cpu=0)
    spin = 0.9 * engine.machine_speed()
    task = Task("machine", "machine/spin", "", "function", "f",
                tests=(Case([spin], spin, True, reference_seconds=0.001),),
                references=(Reference("ref", "def f(seconds):\n    return seconds\n"),))
    idle = check_solution(task, SPIN, engine=engine)
    # each in its own session: with autogroup scheduling a session shares a core as one
    burners = [subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c",
                                 "while True:\n    pass\n"], start_new_session=True)
               for _ in range(4)]
    try:
        time.sleep(0.2)
        started = time.perf_counter()
        busy = check_solution(task, SPIN, engine=engine)
        elapsed = time.perf_counter() - started
    finally:
        for proc in burners:
            proc.kill()
            proc.wait()
    assert idle.verdict == busy.verdict == "passed", (idle.detail, busy.detail)
    assert elapsed > 4.0 * spin  # the neighbours really did slow it down, past the wall slack
    slow = check_solution(task, SPIN.replace("end = time.process_time() + seconds",
                                             "end = time.process_time() + 2 * seconds"),
                          engine=engine)
    assert slow.verdict == "timeout" and "floor" in slow.detail, slow.detail


@needs_sandbox
def test_reference_times_in_a_shared_store_stay_on_their_machine(tmp_path, monkeypatch):
    """The reference's CPU seconds set the time limits: a store copied to another machine
    gives it the expected outputs, never the first machine's seconds."""
    import perfjudge.store

    task = Task("t", "t/square", "", "function", "f", tests=(Case([3]), Case([4])),
                references=(Reference("ref", "def f(x):\n    return x * x\n"),))
    store = Store(tmp_path / "shared.db")
    first = Engine(cache=store).correctness_tests(task)
    assert [t.expected for t in first] == [9, 16]
    blobs = store._conn().execute("SELECT COUNT(*) FROM blobs").fetchone()[0]
    Engine(cache=store).correctness_tests(task)  # same machine: nothing new is measured
    assert store._conn().execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == blobs
    monkeypatch.setattr(perfjudge.store, "machine_fingerprint", lambda: "cpu=another machine")
    again = Engine(cache=store).correctness_tests(task)
    assert [t.expected for t in again] == [9, 16]
    assert store._conn().execute("SELECT COUNT(*) FROM blobs").fetchone()[0] > blobs


class _LatePoller:
    """A real poller whose next wait after the judge read the sample's ``late`` event starts
    6 s late (once per test), as when the judge is descheduled on a busy machine: the sample
    runs on unwatched, and its events, the zygote's too, are then read in one go."""

    late: str | None = None
    armed = False

    def __init__(self, poller) -> None:
        self._poller = poller

    def __getattr__(self, name):
        return getattr(self._poller, name)

    def poll(self, timeout=None):
        if _LatePoller.armed:
            _LatePoller.armed, _LatePoller.late = False, None
            time.sleep(6.0)
        return self._poller.poll(timeout)


def _spinner(extra_seconds: float) -> str:
    return SPIN.replace("end = time.process_time() + seconds",
                        f"end = time.process_time() + seconds + {extra_seconds}")


def _late_judge(tmp_path, monkeypatch, late: str):
    from perfjudge.engine import runner

    limits = Limits(test_seconds=5.0, min_test_seconds=0.5, wall_seconds=60.0)
    engine = Engine(limits=limits, cache=Store(tmp_path / "derived.db"))
    floor = 0.5 * engine.machine_speed()
    task = Task("machine", "machine/spin", "", "function", "f",
                tests=(Case([0.0], 0.0, True, reference_seconds=0.001),),
                references=(Reference("ref", "def f(seconds):\n    return seconds\n"),))
    check_solution(task, "def f(seconds):\n    return seconds\n", engine=engine)  # warm slot
    real_poll, real_event = select.poll, runner._Driver._sample_event

    def sample_event(driver, event):
        real_event(driver, event)
        if event.get("e") == _LatePoller.late:
            _LatePoller.armed = True

    _LatePoller.late, _LatePoller.armed = late, False
    monkeypatch.setattr(runner.select, "poll", lambda: _LatePoller(real_poll()))
    monkeypatch.setattr(runner._Driver, "_sample_event", sample_event)
    return engine, task, floor


@needs_sandbox
@pytest.mark.xdist_group("heavy")  # the sample must end while the judge sleeps: not beside load
@pytest.mark.parametrize("late", ["loaded", "ready"])
def test_a_judge_that_fell_behind_says_so_and_judges_again(tmp_path, monkeypatch, late,
                                                          harness_runs):
    """A test's CPU limit starts at its 'ready', which a late judge reads late (or together
    with its 'done', after the zygote's 'exited'): the sample's CPU before that reading is
    still the test's. A sample that spins 1.5x the limit and ends while the judge is away
    must not pass: the run says the judge fell behind, and the judge runs it again."""
    engine, task, floor = _late_judge(tmp_path, monkeypatch, late)
    del harness_runs[:]  # the warm-up check's
    result = check_solution(task, _spinner(1.5 * floor), engine=engine)
    runs = [run for _, run in harness_runs]
    assert result.verdict == "timeout" and "CPU time limit" in result.detail, result.detail
    assert [(r.status, r.behind) for r in runs] == [("sandbox_error", True), ("timeout", False)]
    assert "fell behind the sample on test 0" in runs[0].detail, runs[0].detail


@needs_sandbox
@pytest.mark.xdist_group("heavy")
def test_a_late_judge_still_passes_a_sample_within_its_limit(tmp_path, monkeypatch):
    """While the judge is away the sample's CPU, not the wall clock, is what counts."""
    engine, task, floor = _late_judge(tmp_path, monkeypatch, "ready")
    result = check_solution(task, _spinner(0.3 * floor), engine=engine)
    assert result.verdict == "passed", result.detail
