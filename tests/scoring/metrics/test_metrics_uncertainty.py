from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from perfjudge.scoring.metrics import bootstrap_ci, paired_comparison


def test_bootstrap_is_seeded_and_brackets_the_point() -> None:
    values = np.random.default_rng(3).normal(0.5, 0.2, 60)
    point, low, high = bootstrap_ci(values)
    assert point == pytest.approx(values.mean())
    assert low < point < high
    assert bootstrap_ci(values) == (point, low, high)
    assert bootstrap_ci(values, seed=1) != (point, low, high)
    # the percentile interval's width is close to 2 * 1.96 standard errors for a mean
    se = values.std(ddof=1) / np.sqrt(values.size)
    assert high - low == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_bootstrap_constant_and_custom_statistic() -> None:
    assert bootstrap_ci([2.0] * 10) == (2.0, 2.0, 2.0)
    point, low, high = bootstrap_ci([1.0, 2.0, 3.0, 100.0], statistic=lambda v: float(np.median(v)),
                                    n_resamples=300)
    assert point == 2.5 and low <= point <= high
    point, low, high = bootstrap_ci([1.0, 2.0, 3.0, 100.0], statistic=np.median, n_resamples=300)
    assert point == 2.5 and low <= point <= high


def test_paired_clear_win() -> None:
    a = np.linspace(0.5, 0.9, 30)
    b = a - 0.1 - np.linspace(0, 0.05, 30)
    result = paired_comparison(a, b)
    assert result.significant and result.a_better == 30 and result.b_better == 0 and result.ties == 0
    assert result.mean_difference == pytest.approx(float(np.mean(a - b)))
    assert result.ci_low <= result.mean_difference <= result.ci_high
    assert result.wilcoxon_p == pytest.approx(stats.wilcoxon(a - b).pvalue)
    assert result.sign_test_p == pytest.approx(2 * 0.5**30)
    assert result.summary.startswith("A is better")


def test_lower_is_better_flips_orientation() -> None:
    # runtimes: A is faster on every task
    a, b = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [2.0, 3.5, 4.0, 6.0, 6.5, 8.0, 9.0]
    result = paired_comparison(a, b, higher_is_better=False, name_a="model-x", name_b="model-y")
    assert result.a_better == 7 and result.mean_difference > 0 and result.significant
    assert "model-x is better" in result.summary


def test_all_ties_fall_back_to_sign_test() -> None:
    result = paired_comparison([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert result.ties == 3 and result.wilcoxon_p == 1.0 and result.sign_test_p == 1.0
    assert not result.significant and result.mean_difference == 0.0
    assert "no significant difference" in result.summary


def test_mixed_with_zeros() -> None:
    result = paired_comparison([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 4.0, 3.0])
    assert (result.a_better, result.b_better, result.ties) == (2, 1, 1)
    assert not result.significant
    assert 0.0 <= result.wilcoxon_p <= 1.0


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same tasks"):
        paired_comparison([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([1.0, 2.0], confidence=1.5)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci([1.0, 2.0], n_resamples=0)
    with pytest.raises(ValueError, match="at least 1"):
        bootstrap_ci([])
