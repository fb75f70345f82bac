"""Time meters measure a sample beside its task's canonical reference, round by round in one
sandbox, so the speedup is a ratio of costs taken side by side (drift of the machine falls on
both) and comes with a Student-t interval over the rounds."""

from __future__ import annotations

import os

import pytest

from perfjudge.engine import sandbox
from perfjudge.engine.judge import Engine, check_solution
from perfjudge.engine.sandbox import Limits
from perfjudge.records.task import Reference, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.store import Store

pytestmark = [
    pytest.mark.xdist_group("heavy"),  # time is measured: never beside the load-making tests
    pytest.mark.skipif(os.geteuid() != 0 or sandbox.probe().bwrap is None
                       or not sandbox.probe().cgroups,
                       reason="needs root, bubblewrap and a writable cgroup"),
    pytest.mark.slow,
]

SLOW = """
def f(n):
    total = 0
    for i in range(n):
        for j in range(8):
            total += (i * j) % 7
    return total
"""

FAST = """
def f(n):
    full, rest = divmod(n, 7)
    per_i = [sum((i * j) % 7 for j in range(8)) for i in range(7)]
    return full * sum(per_i) + sum(per_i[:rest])
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine(limits=Limits(test_seconds=20.0), cache=Store(tmp_path_factory.mktemp("derived") / "derived.db"))


@pytest.fixture(scope="module")
def task() -> Task:
    return Task("paired", "paired/f", "", "function", "f",
                tests=(Case([10]), Case([100])),
                performance_tests=(Case([60_000]), Case([90_000])),
                references=(Reference("canonical", SLOW),))


def test_a_sample_paired_with_itself_is_as_fast(task, engine):
    result = check_solution(task, SLOW, meter="cpu_time", engine=engine,
                            paired_with=task.canonical)
    assert result.verdict == "passed", result.detail
    paired = result.paired
    assert paired["reference"] == "canonical" and paired["tests"] == 2
    # cpu_time: 1 warm-up + 5 rounds, one more so each side goes first 3 times; warm-up dropped
    assert paired["rounds"] == 6 and not paired["dearest_charged"]
    # How close to 1 and how narrow the interval is depends on the machine's load, so that
    # is measured by perf/reproducibility.py, not asserted here (house rule 4): under the
    # full suite a self-pair once gave 0.84 [0.72, 0.98]. What holds on any machine:
    assert 0 < paired["low"] <= paired["speedup"] <= paired["high"], paired
    assert 0.5 < paired["speedup"] < 2, paired  # the same code, not a 3x difference (below)


def test_a_faster_sample_is_faster_by_an_interval_above_one(task, engine):
    result = check_solution(task, FAST, meter="cpu_time", engine=engine,
                            paired_with=task.canonical)
    assert result.verdict == "passed", result.detail
    assert result.paired["low"] > 3, result.paired
    # the unpaired costs point the same way
    slow = check_solution(task, SLOW, meter="cpu_time", engine=engine)
    assert slow.paired is None and slow.total_cost > 3 * result.total_cost


@pytest.mark.parametrize("meter", ["valgrind", "peak_memory"])
def test_only_time_meters_are_paired(task, engine, meter):
    result = check_solution(task, FAST, meter=meter, engine=engine, paired_with=task.canonical)
    assert result.verdict == "passed" and result.paired is None


IMPORTS = """
import fractions
import heapq
import re
import statistics
""" + SLOW


def test_the_partner_pays_no_imports_the_sample_does_not(task, engine, harness_runs):
    """Modules only the reference imports are loaded before the fork, as for the sample's own:
    otherwise the reference would pay for them in every round and look slower. That is read
    off the measured job itself; the speedup, a timing, is only held to the self-pair's loose
    bounds (under the full suite a 0.9-1.1 bound failed once at 0.89 [0.77, 1.03])."""
    result = check_solution(task, SLOW, meter="cpu_time", engine=engine,
                            paired_with=Reference("canonical", IMPORTS))
    assert result.verdict == "passed", result.detail
    (measured,) = [job for job, _ in harness_runs if job["mode"] == "measure"]
    assert {"fractions", "heapq", "re", "statistics"} <= set(measured["preload"])
    assert 0.5 < result.paired["speedup"] < 2, result.paired
