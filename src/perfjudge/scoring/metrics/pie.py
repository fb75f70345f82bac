"""Speedup metrics of program-optimization benchmarks.

PIE: Shypula et al. (2024, ICLR), "Learning Performance-Improving Code Edits" (arXiv
2302.07867), repository madaan/pie-perf. Speedup = t_source / t_sample. For the reported
numbers a generated program that is incorrect or slower than the source gets speedup 1.0 (the
user would keep the source), best@k takes the best of k generations, and %Opt is the share of
problems whose (best) program is correct and at least 10% faster (speedup >= 1.1).

ECCO: Waghjale et al. (2024, EMNLP), "ECCO: Can We Improve Model-Generated Code Efficiency
Without Sacrificing Functional Correctness?", repository CodeEff/ECCO. The edit task's speedup
(src/evaluation/edit_eval.py ``calculate_speedup``) is a ratio of sums: the source's runtimes
summed over the tests the sample passed, divided by the sample's summed over the same tests.
The generation task's runtime percentile (src/evaluation/generate_eval.py
``calculate_percentile``) is the fraction of human submissions at least as slow as the sample.
ECCO's code sets a percentile of 0 to 1 (``if not time_percentile: time_percentile = 1``), so
a sample slower than every submission gets the best score; ``ecco_percentile`` returns 0 there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perfjudge.scoring.metrics._validate import array_1d, positive, same_length
from perfjudge.scoring.metrics.enamel import expected_max_of_k
from perfjudge.scoring.metrics.ties import EXACT, Resolution

PIE_OPT_THRESHOLD: float = 1.1


def speedup(source_time: float, sample_time: float, resolution: Resolution = EXACT,
            tests: int = 1) -> float:
    """Raw speedup t_source / t_sample (PIE, ECCO); below 1 means the sample is slower.
    Exactly 1 when the meter cannot tell the two apart (``resolution``)."""
    source_time = positive("source_time", source_time)
    sample_time = positive("sample_time", sample_time)
    if resolution.same(source_time, sample_time, tests):
        return 1.0
    return source_time / sample_time


def pie_speedup(source_time: float, sample_time: float | None, correct: bool,
                resolution: Resolution = EXACT, tests: int = 1) -> float:
    """PIE's reported speedup of one generation: floored at 1.0, and 1.0 if incorrect."""
    positive("source_time", source_time)
    if not correct or sample_time is None:
        return 1.0
    return max(1.0, speedup(source_time, sample_time, resolution, tests))


def pie_best_at_k(source_time: float, sample_times: Sequence[float | None],
                  correct: Sequence[bool], k: int | None = None) -> float:
    """best@k speedup of one problem.

    With ``k`` None (or k = n) this is PIE's best of the n given generations. With k < n it is
    the unbiased estimate of the expected best of k drawn from the n (ENAMEL's estimator,
    ``expected_max_of_k``), a perfjudge extension so n > k generations lower the variance."""
    same_length("sample_times", sample_times, "correct", correct)
    if len(sample_times) == 0:
        raise ValueError("pie_best_at_k needs at least one generation")
    floored = [pie_speedup(source_time, t, ok) for t, ok in zip(sample_times, correct)]
    if k is None or k == len(floored):
        return max(floored)
    return expected_max_of_k(floored, k)


def percent_optimized(speedups: Sequence[float], threshold: float = PIE_OPT_THRESHOLD) -> float:
    """PIE's %Opt: percent of problems with speedup >= ``threshold`` (1.1 = 10% faster).

    Pass PIE-floored speedups (``pie_speedup``/``pie_best_at_k``) so incorrect programs count
    as not optimized."""
    arr = array_1d("speedups", speedups, lower=0.0, strict=True)
    positive("threshold", threshold)
    return float(100.0 * np.mean(arr >= threshold))


def mean_speedup(speedups: Sequence[float]) -> float:
    """PIE's aggregate: the arithmetic mean of per-problem speedups."""
    return float(array_1d("speedups", speedups, lower=0.0, strict=True).mean())


def ecco_speedup(source_times: Sequence[float], sample_times: Sequence[float]) -> float:
    """ECCO's edit speedup: sum of source runtimes / sum of sample runtimes over the same tests.

    Pass only the tests the sample passed, as ECCO does; a ratio of sums weights long tests
    more than a mean of per-test ratios would."""
    src = array_1d("source_times", source_times, lower=0.0, strict=True)
    out = array_1d("sample_times", sample_times, lower=0.0, strict=True)
    if src.size != out.size:
        raise ValueError(f"source_times has {src.size} tests but sample_times has {out.size}")
    return float(src.sum() / out.sum())


def ecco_percentile(sample_runtime: float, submission_runtimes: Sequence[float]) -> float:
    """Fraction in [0, 1] of human submissions whose runtime is >= the sample's.

    Matches ECCO's descending scan (index of the first faster submission / count) except that
    a sample slower than every submission scores 0, not ECCO's 1."""
    t = positive("sample_runtime", sample_runtime)
    subs = array_1d("submission_runtimes", submission_runtimes, lower=0.0)
    return float(np.mean(subs >= t))
