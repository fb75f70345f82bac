from __future__ import annotations

import csv
import itertools
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfjudge.scoring.metrics import (
    ENAMEL_HARDNESS,
    eff_at_k,
    enamel_level_efficiency,
    enamel_sample_efficiency,
    enamel_timeout,
    expected_max_of_k,
    mean_eff_at_k,
)


def test_level_efficiency_hand_values() -> None:
    # T = 2, t_ref = 1: e = max(0, 2 - t) / (2 - 1)
    assert enamel_level_efficiency(1.0, 1.0, 2.0) == 1.0     # matches the reference
    assert enamel_level_efficiency(0.5, 1.0, 2.0) == 1.5     # beats it
    assert enamel_level_efficiency(1.5, 1.0, 2.0) == 0.5
    assert enamel_level_efficiency(3.0, 1.0, 2.0) == 0.0     # beyond the timeout
    assert enamel_level_efficiency(None, 1.0, 2.0) == 0.0    # censored


def test_timeout_uses_slowest_counted_level() -> None:
    # level 0 (weight 0) is ignored even though it is the slowest: T = 2 * 4
    assert enamel_timeout([9.0, 1.0, 4.0, 2.0], ENAMEL_HARDNESS, 2.0) == 8.0


def test_sample_efficiency_hand_value() -> None:
    refs = [[0.1, 0.2], [1.0, 0.5], [2.0], [4.0, 3.0]]
    # t_ref per level = 0.2, 1, 2, 4; T = 2 * 4 = 8
    times = [[0.1], [1.0, 0.2], [5.0], [4.0]]
    # e = [ (8-.1)/(8-.2), (8-1)/(8-1)=1, (8-5)/(8-2)=0.5, (8-4)/(8-4)=1 ]
    # weighted: (0*. + 3*1 + 3*0.5 + 4*1) / 10 = 8.5 / 10
    assert enamel_sample_efficiency(times, refs, correct=True) == pytest.approx(0.85)


def test_censoring_zeroes_the_rest() -> None:
    refs = [[0.2], [1.0], [2.0], [4.0]]
    # timed out on level 2: levels 2 and 3 score 0 -> (3 * (8-1)/(8-1)) / 10 = 0.3
    times = [[0.1], [1.0], None, [0.1]]
    assert enamel_sample_efficiency(times, refs, correct=True) == pytest.approx(0.3)
    assert enamel_sample_efficiency([[0.1]] * 4, refs, correct=False) == 0.0


def test_eff_at_k_hand_value() -> None:
    # scores 0, 0.5, 1 and k=2: subsets {0,.5},{0,1},{.5,1} -> maxes .5, 1, 1 -> 2.5/3
    assert eff_at_k([1.0, 0.0, 0.5], 2) == pytest.approx(2.5 / 3)
    assert eff_at_k([1.0, 0.0, 0.5], 1) == pytest.approx(0.5)
    assert mean_eff_at_k([[1.0, 0.0, 0.5], [0.0, 0.0, 0.0]], 3) == pytest.approx(0.5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 2, allow_nan=False), min_size=1, max_size=8).flatmap(
    lambda v: st.tuples(st.just(v), st.integers(1, len(v)))))
def test_equals_brute_force_over_all_k_subsets(vk: tuple[list[float], int]) -> None:
    values, k = vk
    subsets = list(itertools.combinations(values, k))
    expected = sum(Fraction(max(s)) for s in subsets) / len(subsets)
    assert eff_at_k(values, k) == pytest.approx(float(expected), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1.5, allow_nan=False), min_size=1, max_size=30).flatmap(
    lambda v: st.tuples(st.just(v), st.integers(1, len(v)))))
def test_eff_at_k_lies_between_mean_and_max(vk: tuple[list[float], int]) -> None:
    values, k = vk
    e = eff_at_k(values, k)
    assert np.mean(values) - 1e-9 <= e <= max(values) + 1e-9


def test_large_n_no_overflow() -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(0, 1, 1000)
    value = expected_max_of_k(scores, 100)
    srt = np.sort(scores)
    exact = sum(math.comb(i - 1, 99) * srt[i - 1] for i in range(100, 1001)) / math.comb(1000, 100)
    assert math.isfinite(value) and value == pytest.approx(exact, rel=1e-9)
    assert expected_max_of_k(scores, 1000) == pytest.approx(scores.max())


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="timeout"):
        enamel_level_efficiency(1.0, 2.0, 2.0)
    with pytest.raises(ValueError, match="k must be"):
        eff_at_k([0.1, 0.2], 3)
    with pytest.raises(ValueError, match=">= 0"):
        eff_at_k([-0.1, 0.2], 1)
    with pytest.raises(ValueError, match="levels"):
        enamel_sample_efficiency([[1.0]], [[1.0], [2.0]], correct=True)
    with pytest.raises(ValueError, match="alpha"):
        enamel_timeout([1.0, 1.0, 1.0, 1.0], alpha=1.0)


def test_default_hardness_matches_published_levels(data_dir: Path) -> None:
    csv.field_size_limit(10**9)
    with open(data_dir / "enamel" / "enamel.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 164
    assert {len(r["input_levels"].split()) for r in rows} == {len(ENAMEL_HARDNESS)}


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 5, allow_nan=False), st.integers(1, 1000).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(1, n))))
def test_constant_scores_give_the_constant(value: float, nk: tuple[int, int]) -> None:
    n, k = nk
    assert expected_max_of_k([value] * n, k) == value
