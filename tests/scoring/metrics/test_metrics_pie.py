from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfjudge.scoring.metrics import (
    ecco_percentile,
    ecco_speedup,
    mean_speedup,
    percent_optimized,
    pie_best_at_k,
    pie_speedup,
    speedup,
)


def test_speedup_and_floor() -> None:
    assert speedup(2.0, 1.0) == 2.0
    assert speedup(1.0, 2.0) == 0.5                       # raw speedup can be < 1
    assert pie_speedup(1.0, 2.0, correct=True) == 1.0     # PIE floors slower programs at 1.0
    assert pie_speedup(3.0, 1.0, correct=False) == 1.0    # and incorrect ones
    assert pie_speedup(3.0, 1.0, correct=True) == 3.0


def test_best_at_k() -> None:
    # source 4 s; generations 2 s (ok), 1 s (wrong), 8 s (ok) -> floored 2, 1, 1
    times, ok = [2.0, 1.0, 8.0], [True, False, True]
    assert pie_best_at_k(4.0, times, ok) == 2.0
    # expected best of 2 of 3: subsets {2,1},{2,1},{1,1} -> (2 + 2 + 1) / 3
    assert pie_best_at_k(4.0, times, ok, k=2) == pytest.approx(5 / 3)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 10), st.booleans()), min_size=1, max_size=7).flatmap(
    lambda g: st.tuples(st.just(g), st.integers(1, len(g)))))
def test_best_at_k_brute_force(gk: tuple[list[tuple[float, bool]], int]) -> None:
    gens, k = gk
    floored = [pie_speedup(1.0, t, ok) for t, ok in gens]
    subsets = list(itertools.combinations(floored, k))
    expected = sum(max(s) for s in subsets) / len(subsets)
    got = pie_best_at_k(1.0, [t for t, _ in gens], [ok for _, ok in gens], k=k)
    assert got == pytest.approx(expected) and got >= 1.0


def test_percent_optimized_threshold_is_inclusive() -> None:
    # 1.1 counts (at least 10% faster), 1.09 does not: 2 of 4 -> 50%
    assert percent_optimized([1.0, 1.09, 1.1, 3.0]) == 50.0
    assert percent_optimized([1.0, 1.5], threshold=2.0) == 0.0
    assert mean_speedup([1.0, 3.0]) == 2.0


def test_ecco_speedup_is_ratio_of_sums() -> None:
    # (1 + 9) / (2 + 3) = 2, whereas the mean of per-test ratios would be (0.5 + 3) / 2 = 1.75
    assert ecco_speedup([1.0, 9.0], [2.0, 3.0]) == 2.0
    with pytest.raises(ValueError, match="tests"):
        ecco_speedup([1.0], [1.0, 2.0])


def test_ecco_percentile_slowest_scores_zero() -> None:
    subs = [5.0, 4.0, 3.0, 2.0]
    assert ecco_percentile(1.0, subs) == 1.0     # faster than all
    assert ecco_percentile(3.0, subs) == 0.75    # 5, 4, 3 are at least as slow
    assert ecco_percentile(9.0, subs) == 0.0     # ECCO's code would report 1 here


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="sample_time"):
        speedup(1.0, 0.0)
    with pytest.raises(ValueError, match="at least one"):
        pie_best_at_k(1.0, [], [])
    with pytest.raises(ValueError, match="pair up"):
        pie_best_at_k(1.0, [1.0], [True, False])
