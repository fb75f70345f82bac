"""From measured calls to per-test figures (`engine.judge._measurements`), on calls written
by hand: no sandbox, so the edge cases of the arithmetic are exact."""

from __future__ import annotations

import pytest

from perfjudge import meters
from perfjudge.engine.judge import _measurements
from perfjudge.engine.runner import HarnessRun, MeasuredCall
from perfjudge.records.result import CheckResult
from perfjudge.records.task import TestCase as Case


def run_of(sample_ns: list[int], null_ns: int = 1_000_000) -> HarnessRun:
    calls = []
    for r, ns in enumerate(sample_ns):
        calls.append(MeasuredCall(len(calls), "null", 0, r, cpu_ns=null_ns))
        calls.append(MeasuredCall(len(calls), "sample", 0, r, cpu_ns=ns))
    return HarnessRun("ok", calls=calls)


def test_a_median_below_the_resolution_does_not_divide_by_zero():
    """Seven paired rounds (1 warm-up + 6): the warm-up and three rounds cost nothing over
    the null call, three cost 0.5 ms. The six measured rounds' median is 0.25 ms, above
    5 x the 20 us resolution, while the median of all seven is 0: the dearest run (0.5 ms)
    is charged, as for any run far dearer than the rest. This divided by zero in the
    warning's text and failed the check as the worker's fault."""
    meter = meters.get_meter("cpu_time")
    result = CheckResult("t", "passed")
    _measurements(meter, run_of([1_000_000] * 4 + [1_500_000] * 3), [Case([1])], result)
    (m,) = result.measurements
    assert m.value == pytest.approx(0.0005)
    assert any("below the meter's resolution" in w for w in result.warnings)


def test_one_run_far_dearer_than_the_rest_is_charged_with_its_ratio():
    meter = meters.get_meter("cpu_time")
    result = CheckResult("t", "passed")
    # charged 1 ms in five rounds and 5 ms in one: the median is 1 ms, the dearest 5x it
    _measurements(meter, run_of([2_000_000] * 5 + [6_000_000]), [Case([1])], result)
    assert result.measurements[0].value == pytest.approx(0.005)
    assert any("5.0x the median of its repeats" in w for w in result.warnings)
