"""The tie rule: costs within the meter's resolution are equal, on both sides of every
decision, and a difference of noise never flips a level or a win. Hand-built costs at the
boundary of the band."""

from __future__ import annotations

import pytest

from perfjudge.scoring import Outcome, TaskSetup, metrics, score_task
from perfjudge.scoring.metrics import Resolution

VALGRIND = Resolution(absolute=1000, relative=1e-5)


def test_band_is_the_larger_of_absolute_relative_and_spread():
    r = Resolution(absolute=1000, relative=1e-5)
    assert r.band(1_000, 2_000) == 1000
    assert r.band(1e9, 1e9) == pytest.approx(10_000)  # 1e-5 of a billion
    assert r.band(1_000, 2_000, tests=3) == 3000       # per measured test
    assert r.band(1_000, 2_000, spread=5000) == 5000


@pytest.mark.parametrize("a, b, same, less", [
    (40_000_000, 40_000_000 + 400, True, False),    # 0.1's 17-instruction flip, and more
    (40_000_000, 40_000_000 + 400.0, True, False),
    (40_000_000, 40_000_000 + 1000, True, False),   # exactly the band: equal
    (40_000_000, 40_000_000 + 1001, False, True),   # one past it: cheaper
    (1e9, 1e9 + 10_000, True, False),               # the relative part, 1e-5 of 1e9
    (1e9, 1e9 + 10_001, False, True),
])
def test_same_and_less_at_the_boundary(a, b, same, less):
    assert VALGRIND.same(a, b) is same and VALGRIND.same(b, a) is same
    assert VALGRIND.less(a, b) is less
    assert not VALGRIND.less(b, a)
    assert VALGRIND.at_most(a, b) and VALGRIND.at_most(b, a) is same


def test_exact_resolution_compares_exactly():
    assert metrics.EXACT.same(5, 5) and not metrics.EXACT.same(5, 5.0000001)
    assert metrics.EXACT.less(4.9, 5)


def test_dps_level_is_reached_within_the_band_from_either_side():
    levels = metrics.cluster_references([300_000_000, 40_000_000, 10_000_000])
    level1 = levels[1].cost
    # A sample 17 instructions above or below the level-1 reference: the same level.
    for cost in (level1 - 17, level1 + 17, level1 + 1000):
        assert metrics.matching_level(cost, levels, VALGRIND) == 1
    assert metrics.matching_level(level1 + 1001, levels, VALGRIND) == 0
    assert metrics.matching_level(level1 + 17, levels) == 0  # exact comparison: the old flip


def test_coffe_efficient_needs_to_beat_the_best_by_more_than_the_band():
    best = 5_000_000
    assert not metrics.coffe_is_efficient(True, best, best, VALGRIND)
    assert not metrics.coffe_is_efficient(True, best - 1000, best, VALGRIND)
    assert metrics.coffe_is_efficient(True, best - 1001, best, VALGRIND)
    assert not metrics.coffe_is_efficient(False, 1, best, VALGRIND)


def test_beyond_at_the_ends_of_the_range():
    hist = [1_000_000, 2_000_000, 3_000_000]
    assert metrics.beyond(1_000_500, hist, True, VALGRIND) == 1.0      # the fastest, in noise
    assert metrics.beyond(2_999_500, hist, True, VALGRIND) == 0.0      # the slowest, in noise
    assert metrics.beyond(2_000_000, hist, True, VALGRIND) == pytest.approx(0.5)
    assert metrics.beyond(1_000_500, hist) == pytest.approx(0.99975)   # exact: not quite 1
    point = [1_000_000, 1_000_400]                                     # narrower than the band
    assert metrics.beyond(1_000_900, point, True, VALGRIND) == 1.0
    assert metrics.beyond(1_001_500, point, True, VALGRIND) == 0.0


def test_enamel_level_efficiency_is_one_at_the_reference():
    assert metrics.enamel_level_efficiency(1_000_400, 1_000_000, 2_000_000, VALGRIND) == 1.0
    assert metrics.enamel_level_efficiency(1_000_400, 1_000_000, 2_000_000) == pytest.approx(0.9996)
    assert metrics.enamel_level_efficiency(1_500_000, 1_000_000, 2_000_000, VALGRIND) == 0.5


def test_pie_speedup_is_one_for_a_copy_of_the_source():
    assert metrics.speedup(1_000_000, 1_000_900, VALGRIND) == 1.0
    assert metrics.pie_speedup(1_000_000, 999_100, True, VALGRIND) == 1.0
    assert metrics.speedup(1_000_000, 500_000, VALGRIND) == 2.0
    assert metrics.speedup(1_000_000, 1_000_900) == pytest.approx(1_000_000 / 1_000_900)


def _task(sample_cost: float) -> dict[str, float]:
    refs = [Outcome("t", "passed", 300_000_000, (300_000_000,), "r0", "slow", 0),
            Outcome("t", "passed", 40_000_000, (40_000_000,), "r1", "mid", 1),
            Outcome("t", "passed", 10_000_000, (10_000_000,), "r2", "fast", 2)]
    samples = [Outcome("t", "passed", sample_cost, (sample_cost,), "s")]
    setup = TaskSetup("t", resolution=VALGRIND)
    return score_task(setup, samples, refs).values


def test_task_scores_do_not_flip_on_noise():
    """0.1 scored DPS 62.963 and 66.667 on two runs of the same samples: a sample 17
    instructions from its level's reference landed on either side. Within the band, every
    score is the same whichever side it lands on."""
    below, above = _task(40_000_000 - 17), _task(40_000_000 + 17)
    for name in ("DPS", "DPS_norm", "efficient@1"):
        assert below[name] == above[name], name
    assert below["DPS_norm"] == pytest.approx(100 * 2 / 3)
    assert below["efficient@1"] == 0.0  # the best reference (10 M) is far cheaper
    cheaper = _task(10_000_000 - 5_000)
    assert cheaper["efficient@1"] == 1.0 and _task(10_000_000 - 500)["efficient@1"] == 0.0
