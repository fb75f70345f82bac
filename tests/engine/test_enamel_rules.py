"""ENAMEL's verdict rule on the real sandbox (q-rz/enamel, enam/evaluate.py, evaluate1): one
time limit for every test (alpha x the slowest reference over the counting levels, plus the
tolerance); a timeout on a later level censors that level and the later ones but passes; a
timeout on the first level fails; a wrong output before the stop fails; nothing after the
stop is run. And the scores that follow from it."""

from __future__ import annotations

import os

import pytest

from perfjudge.benchmarks.enamel import CENSORING
from perfjudge.engine import sandbox
from perfjudge.engine.judge import Engine, censored_limit, check_solution
from perfjudge.engine.sandbox import Limits
from perfjudge.records.task import LevelCensoring, Reference, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.scoring import Outcome, TaskSetup, score_task
from perfjudge.scoring.metrics import enamel_sample_efficiency
from perfjudge.store import Store

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="needs root, bubblewrap and a writable cgroup")

REFERENCE = "def f(n):\n    return n * (n - 1) // 2\n"
LEVELS = ("level0", "level1", "level2", "level3")
SIZES = {"level0": (1, 2), "level1": (1000, 1001), "level2": (2000, 2001), "level3": (3000, 3001)}
TASK = Task("enamel-like", "enamel-like/triangle", "", "function", "f",
            tests=tuple(Case([n], level=lvl) for lvl in LEVELS for n in SIZES[lvl]),
            references=(Reference("expert", REFERENCE),),
            censoring=LevelCensoring(LEVELS, (0.0, 3.0, 3.0, 4.0), alpha=2.0,
                                     tolerance_seconds=0.01))
SPIN = ("        import time\n        end = time.process_time() + 1.0\n"
        "        while time.process_time() < end:\n            pass\n")


def slow_from(size: int, wrong_from: int | None = None) -> str:
    """Right answers, but a second of CPU on every input >= size (and, optionally, wrong
    answers from ``wrong_from`` on)."""
    wrong = f"    if n >= {wrong_from}:\n        return -1\n" if wrong_from else ""
    return (f"def f(n):\n    if n >= {size}:\n{SPIN}{wrong}    return n * (n - 1) // 2\n")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    limits = Limits(test_seconds=10.0, wall_seconds=120.0, memory_bytes=512 << 20)
    return Engine(limits=limits, cache=Store(tmp_path_factory.mktemp("derived") / "derived.db"))


def test_the_published_rule_is_the_adapters():
    assert CENSORING.alpha == 2.0 and CENSORING.hardness == (0.0, 3.0, 3.0, 4.0)
    assert CENSORING.tolerance_seconds == 0.01 and CENSORING.levels[0] == "level0"


def test_one_limit_from_the_slowest_counting_reference(engine):
    tests = engine.correctness_tests(TASK)
    limit = censored_limit(TASK, tests)
    counting = [t.reference_seconds for t in tests if t.level != "level0"]
    assert limit == pytest.approx(2.0 * max(counting) + 0.01)
    assert limit < 0.5  # the reference takes microseconds: a 1 s spin is far over it


def test_a_timeout_on_a_later_level_censors_it_and_passes(engine):
    result = check_solution(TASK, slow_from(2000), engine=engine)
    assert result.verdict == "passed", result.detail
    assert result.censored_level == "level2" and result.censored_at == 4
    assert "censored" in result.detail and "ENAMEL" in result.detail


def test_nothing_after_the_stop_is_run(engine):
    # wrong on level 3, but level 2 already stopped the run: ENAMEL never sees level 3
    result = check_solution(TASK, slow_from(2000, wrong_from=3000), engine=engine)
    assert result.verdict == "passed" and result.censored_level == "level2", result.detail


def test_a_wrong_output_before_the_stop_fails(engine):
    result = check_solution(TASK, slow_from(3000, wrong_from=2000), engine=engine)
    assert result.verdict == "wrong_answer" and result.failure.index == 4, result.detail


def test_a_timeout_on_the_first_level_fails(engine):
    result = check_solution(TASK, slow_from(1), engine=engine)
    assert result.verdict == "timeout", result.detail
    assert "first level" in result.detail and result.failure.index == 0


def test_an_overflow_error_censors_like_a_timeout(engine):
    code = "def f(n):\n    if n >= 3000:\n        raise OverflowError('too big')\n    return n * (n - 1) // 2\n"
    result = check_solution(TASK, code, engine=engine)
    assert result.verdict == "passed" and result.censored_level == "level3", result.detail
    other = "def f(n):\n    if n >= 3000:\n        raise ValueError('no')\n    return n * (n - 1) // 2\n"
    assert check_solution(TASK, other, engine=engine).verdict == "runtime_error"


def test_measured_only_up_to_the_censored_level(engine):
    result = check_solution(TASK, slow_from(2000), engine=engine, meter="valgrind")
    assert result.verdict == "passed" and result.censored_level == "level2"
    assert [m.test_index for m in result.measurements] == [0, 1, 2, 3]  # levels 0 and 1
    assert [m.level for m in result.measurements] == ["level0", "level0", "level1", "level1"]


def test_censored_levels_score_zero():
    """Hand-built costs: reference 100 per test on every level (T = 200); a sample as fast as
    the reference on levels 0-1 and censored from level 2 scores (0*1 + 3*1 + 3*0 + 4*0)/10."""
    setup = TaskSetup("t", LEVELS, (0.0, 3.0, 3.0, 4.0), 2.0)
    levels = tuple(lvl for lvl in LEVELS for _ in (0, 1))
    ref = Outcome("t", "passed", 800.0, (100.0,) * 8, "ref", "expert", 1, test_levels=levels)
    censored = Outcome("t", "passed", 400.0, (100.0,) * 4, "s", censored_level="level2",
                       test_levels=levels[:4])
    full = Outcome("t", "passed", 800.0, (100.0,) * 8, "s2", test_levels=levels)
    scores = score_task(setup, [censored, full], [ref])
    assert scores.sample_values["s"]["eff"] == pytest.approx(0.3)
    assert scores.sample_values["s2"]["eff"] == pytest.approx(1.0)
    # over the timeout in the meter's units on level 1: it and every later level score 0
    assert enamel_sample_efficiency([[100], [250], [100], [100]], [[100]] * 4,
                                    correct=True) == pytest.approx(0.0)
