"""Uncertainty of benchmark scores: a task-level bootstrap and a paired comparison of two
systems on the same tasks.

Tasks, not samples, are the unit of resampling: a benchmark score is a mean over tasks and the
tasks are the thing a different benchmark draw would change (Efron & Tibshirani 1993, "An
Introduction to the Bootstrap", ch. 13 for the percentile interval used here). The paired test
is Wilcoxon's signed-rank test (scipy.stats.wilcoxon, zeros dropped as in Wilcoxon 1945) with
the exact sign test (binomial, scipy.stats.binomtest) beside it, as in Dror et al. (2018, ACL),
"The Hitchhiker's Guide to Testing Statistical Significance in NLP".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from perfjudge.scoring.metrics._validate import array_1d

Statistic = Callable[..., float]


def bootstrap_ci(
    per_task_values: Sequence[float],
    statistic: Statistic = np.mean,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(point, low, high): ``statistic`` on the tasks and its percentile bootstrap interval.

    Resamples tasks with replacement ``n_resamples`` times (seeded, so reruns agree)."""
    values = array_1d("per_task_values", per_task_values)
    if isinstance(n_resamples, bool) or int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be an integer >= 1, got {n_resamples!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    point = float(statistic(values))
    rng = np.random.default_rng(seed)
    resamples = values[rng.integers(0, values.size, size=(int(n_resamples), values.size))]
    try:
        dist = np.asarray(statistic(resamples, axis=1), dtype=float)
    except TypeError:
        dist = np.array([statistic(r) for r in resamples], dtype=float)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(dist, [tail, 1.0 - tail])
    return point, float(low), float(high)


@dataclass(frozen=True)
class PairedComparison:
    """A vs B on the same tasks; differences are oriented so > 0 means A is better."""

    differences: tuple[float, ...]
    mean_difference: float
    ci_low: float
    ci_high: float
    confidence: float
    wilcoxon_p: float
    sign_test_p: float
    a_better: int
    b_better: int
    ties: int
    alpha: float
    significant: bool
    summary: str


def paired_comparison(
    a: Sequence[float],
    b: Sequence[float],
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    name_a: str = "A",
    name_b: str = "B",
) -> PairedComparison:
    """Compare per-task values of two systems (same tasks, same order).

    ``significant`` is Wilcoxon p < ``alpha``. When every difference is zero Wilcoxon is
    undefined and the exact sign test's p (= 1) stands in for it."""
    va, vb = array_1d("a", a), array_1d("b", b)
    if va.size != vb.size:
        raise ValueError(f"a has {va.size} tasks but b has {vb.size}; a paired comparison needs the same tasks")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    from scipy import stats  # here: scipy costs every judging process ~1 s to import

    diff = va - vb if higher_is_better else vb - va
    a_better, b_better = int((diff > 0).sum()), int((diff < 0).sum())
    ties = int(diff.size - a_better - b_better)
    mean_diff, low, high = bootstrap_ci(diff, np.mean, n_resamples, confidence, seed)
    nonzero = a_better + b_better
    sign_p = float(stats.binomtest(a_better, nonzero, 0.5).pvalue) if nonzero else 1.0
    wilcoxon_p = float(stats.wilcoxon(diff, zero_method="wilcox").pvalue) if nonzero else sign_p
    if math.isnan(wilcoxon_p):
        wilcoxon_p = sign_p
    significant = wilcoxon_p < alpha
    if significant:
        winner = name_a if mean_diff > 0 else name_b
        verdict = f"{winner} is better (Wilcoxon p = {wilcoxon_p:.3g} < {alpha:g})"
    else:
        verdict = f"no significant difference (Wilcoxon p = {wilcoxon_p:.3g} >= {alpha:g})"
    summary = (f"{verdict}: mean advantage of {name_a} over {name_b} = {mean_diff:.4g} "
               f"[{100 * confidence:g}% CI {low:.4g}, {high:.4g}] over {diff.size} tasks; "
               f"{name_a} better on {a_better}, {name_b} better on {b_better}, {ties} tied.")
    return PairedComparison(tuple(float(d) for d in diff), mean_diff, low, high, confidence,
                            wilcoxon_p, sign_p, a_better, b_better, ties, alpha, significant, summary)
