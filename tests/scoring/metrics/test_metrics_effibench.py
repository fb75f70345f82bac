from __future__ import annotations

import pytest

from perfjudge.scoring.metrics import (
    effibench_summary,
    memory_time_integral,
    normalized_mean_of_ratios,
    normalized_ratio_of_totals,
)


def test_memory_time_integral_trapezoid() -> None:
    # samples (t, MB): (0, 10), (1, 20), (3, 20): (10+20)/2*1 + (20+20)/2*2 = 15 + 40 = 55 MB*s
    assert memory_time_integral([0.0, 1.0, 3.0], [10.0, 20.0, 20.0]) == pytest.approx(55.0)
    assert memory_time_integral([2.0], [5.0]) == 0.0
    with pytest.raises(ValueError, match="non-decreasing"):
        memory_time_integral([1.0, 0.0], [1.0, 1.0])


def test_two_aggregations_differ() -> None:
    sample, canonical = [1.0, 9.0], [1.0, 3.0]
    # ratio of totals (published code): 10 / 4 = 2.5 ; mean of ratios (paper): (1 + 3) / 2 = 2
    assert normalized_ratio_of_totals(sample, canonical) == 2.5
    assert normalized_mean_of_ratios(sample, canonical) == 2.0


def test_summary() -> None:
    s = effibench_summary([2.0, 4.0], [1.0, 4.0], [10.0, 10.0], [5.0, 10.0], [8.0, 2.0], [4.0, 4.0])
    # NET: 6/5, (2 + 1)/2 ; NMU: 20/15, (2 + 1)/2 ; NTMU: 10/8, (2 + 0.5)/2
    assert (s.net_ratio_of_totals, s.net_mean_of_ratios) == pytest.approx((1.2, 1.5))
    assert (s.nmu_ratio_of_totals, s.nmu_mean_of_ratios) == pytest.approx((4 / 3, 1.5))
    assert (s.ntmu_ratio_of_totals, s.ntmu_mean_of_ratios) == pytest.approx((1.25, 1.25))
    assert s.n_tasks == 2


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="pair up"):
        normalized_mean_of_ratios([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="canonical"):
        normalized_ratio_of_totals([1.0], [0.0])
    with pytest.raises(ValueError, match="non-finite"):
        normalized_ratio_of_totals([float("nan")], [1.0])
