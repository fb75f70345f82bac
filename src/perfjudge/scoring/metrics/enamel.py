"""ENAMEL's efficiency score and eff@k: Qiu et al. (2025, ICLR), "How Efficient is
LLM-Generated Code? A Rigorous & High-Standard Benchmark" (arXiv 2406.06647), following the
published evaluator q-rz/enamel, enam/evaluate.py (``calc_eff``, ``calc_eff_at_k``,
``Refs``, ``Evaluator.evaluate1``).

What the published code does, and this module follows:
- Per task there are test levels 0..L-1 (level 0 is the correctness level) with hardness
  weights h_l (published: 0, 3, 3, 4).
- The reference time of level l, t_ref_l, is the *slowest* reference time over that level's
  tests; the sample's level time t_l is likewise its slowest time over the level's tests.
- One timeout per task: T = alpha x max_l t_ref_l over the levels with h_l > 0 (alpha = 2,
  ENAMEL's ``timeout_factor``). Not a per-level timeout: the code uses ``refs.ref_max``.
- e_l = max(0, T - t_l) / (T - t_ref_l): 1 when the sample matches the reference, above 1
  when it beats it, 0 at or beyond the timeout. Right-censoring: a level on which the sample
  timed out (or ran out of memory) scores 0, and so do all later levels (the code stops
  there); a wrong answer or crash anywhere makes every level 0.
- The sample's score is the h-weighted mean of e_l.
- eff@k = E[max of k scores drawn without replacement from the n samples], estimated without
  bias by sorting the scores ascending and weighting the i-th (1-based) by C(i-1, k-1)/C(n, k)
  (the paper's Rao-Blackwellized estimator). The weights are computed in log space with
  ``gammaln`` so n = 1000, k = 100 neither overflows nor underflows to nan.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perfjudge.scoring.metrics._validate import array_1d, positive
from perfjudge.scoring.metrics.ties import EXACT, Resolution

ENAMEL_HARDNESS: tuple[float, ...] = (0.0, 3.0, 3.0, 4.0)
"""Published hardness weights of levels 0..3 (q-rz/enamel README, ``--hardness 0 3 3 4``)."""
ENAMEL_ALPHA: float = 2.0
"""Published timeout factor (``--timeout_factor 2``)."""


def expected_max_of_k(values: Sequence[float], k: int) -> float:
    """Unbiased estimate of E[max of k values drawn without replacement from ``values``].

    The estimator behind ENAMEL's eff@k (q-rz/enamel ``calc_eff_at_k``); the i-th smallest of
    n values is the maximum of exactly C(i-1, k-1) of the C(n, k) k-subsets."""
    from scipy.special import gammaln  # here: scipy costs every judging process ~1 s to import

    arr = np.sort(array_1d("values", values))
    n = arr.size
    if isinstance(k, bool) or int(k) != k or not 1 <= k <= n:
        raise ValueError(f"k must be an integer in [1, n={n}], got {k!r}")
    i = np.arange(k, n + 1, dtype=float)
    log_w = (gammaln(i) - gammaln(k) - gammaln(i - k + 1)) - (
        gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1))
    weights = np.exp(log_w)
    weights /= weights.sum()  # exactly 1 in theory (hockey-stick identity); removes rounding drift
    return float(np.clip(np.dot(weights, arr[k - 1:]), arr[0], arr[-1]))


def enamel_level_efficiency(sample_time: float | None, reference_time: float, timeout: float,
                            resolution: Resolution = EXACT) -> float:
    """e = max(0, T - t) / (T - t_ref); ``sample_time=None`` means censored (timed out) -> 0.
    A sample the meter cannot tell from the reference (``resolution``) scores exactly 1."""
    reference_time = positive("reference_time", reference_time)
    timeout = positive("timeout", timeout)
    if timeout <= reference_time:
        raise ValueError(f"timeout ({timeout!r}) must exceed reference_time ({reference_time!r})")
    if sample_time is None:
        return 0.0
    if not np.isfinite(sample_time) or sample_time < 0:
        raise ValueError(f"sample_time must be a finite number >= 0 or None, got {sample_time!r}")
    if resolution.same(float(sample_time), reference_time):
        return 1.0
    return max(0.0, timeout - float(sample_time)) / (timeout - reference_time)


def enamel_timeout(reference_level_times: Sequence[float], hardness: Sequence[float] = ENAMEL_HARDNESS,
                   alpha: float = ENAMEL_ALPHA) -> float:
    """T = alpha x the slowest reference level time over the levels that count (h_l > 0)."""
    refs = array_1d("reference_level_times", reference_level_times, lower=0.0, strict=True)
    weights = _hardness(hardness, refs.size)
    alpha = positive("alpha", alpha)
    if alpha <= 1:
        raise ValueError(f"alpha must be > 1 so the timeout exceeds every reference time, got {alpha!r}")
    return alpha * float(refs[weights > 0].max())


def enamel_sample_efficiency(
    level_times: Sequence[Sequence[float] | None],
    reference_times: Sequence[Sequence[float]],
    *,
    correct: bool,
    hardness: Sequence[float] = ENAMEL_HARDNESS,
    alpha: float = ENAMEL_ALPHA,
    resolution: Resolution = EXACT,
) -> float:
    """One sample's hardness-weighted efficiency score.

    ``level_times[l]`` are the sample's times on level l's tests, or None if it was censored
    (timeout / memory) on that level; ``reference_times[l]`` are the reference's times."""
    if len(level_times) != len(reference_times):
        raise ValueError(f"level_times has {len(level_times)} levels but reference_times has "
                         f"{len(reference_times)}")
    ref_level = np.array([array_1d(f"reference_times[{l}]", r, lower=0.0, strict=True).max()
                          for l, r in enumerate(reference_times)])
    weights = _hardness(hardness, ref_level.size)
    timeout = enamel_timeout(ref_level, weights, alpha)
    effs = np.zeros(ref_level.size)
    if correct:
        for l, times in enumerate(level_times):
            if times is None:
                break
            t = array_1d(f"level_times[{l}]", times, lower=0.0).max()
            if weights[l] > 0 and not resolution.at_most(t, timeout):
                break  # over the timeout: ENAMEL stops here, this level and later ones score 0
            effs[l] = enamel_level_efficiency(t, ref_level[l], timeout, resolution)
    return float(np.average(effs, weights=weights))


def eff_at_k(scores: Sequence[float], k: int) -> float:
    """eff@k of one task from its n samples' efficiency scores (incorrect samples score 0)."""
    arr = array_1d("scores", scores, lower=0.0)
    return expected_max_of_k(arr, k)


def mean_eff_at_k(scores_per_task: Sequence[Sequence[float]], k: int) -> float:
    """Benchmark eff@k: the mean over tasks, as ENAMEL's ``Evaluator.evaluate`` reports it."""
    if len(scores_per_task) == 0:
        raise ValueError("mean_eff_at_k needs at least one task")
    return float(np.mean([eff_at_k(s, k) for s in scores_per_task]))


def _hardness(hardness: Sequence[float], n_levels: int) -> np.ndarray:
    weights = array_1d("hardness", hardness, lower=0.0)
    if weights.size != n_levels:
        raise ValueError(f"hardness has {weights.size} weights but there are {n_levels} levels")
    if not (weights > 0).any():
        raise ValueError("hardness needs at least one level with a positive weight")
    return weights
