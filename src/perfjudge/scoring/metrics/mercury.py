"""Mercury's Beyond score: Du et al. (2024, NeurIPS Datasets and Benchmarks), "Mercury: A Code
Efficiency Benchmark for Code Synthesis" (arXiv 2402.07844), repository Elfsong/Mercury.

Beyond places a correct sample's runtime within the range of the task's historical (human)
solutions' runtimes: (max - t) / (max - min), clamped to [0, 1]; 1 = as fast as the fastest
solution, 0 = as slow as the slowest (or slower); an incorrect sample scores 0. The task score
averages over samples and the benchmark score over tasks (Mercury reports it in percent).

Deviation from the published code, on purpose: Mercury clamps a raw difference in seconds to
1 before normalizing, which makes the score depend on the time unit and the machine's speed.
Here the clamp applies to the normalized position only. When every historical runtime is the
same (max == min) the range is a point: a sample at or below it scores 1, above it 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perfjudge.scoring.metrics._validate import array_1d, nonnegative
from perfjudge.scoring.metrics.ties import EXACT, Resolution


def beyond(runtime: float | None, historical_runtimes: Sequence[float], correct: bool = True,
           resolution: Resolution = EXACT, tests: int = 1) -> float:
    """Beyond of one sample in [0, 1]; ``runtime`` None or ``correct`` False scores 0.

    At the ends of the range the meter's ``resolution`` decides: a sample the meter cannot
    tell from the fastest solution scores 1, from the slowest 0, and a range narrower than
    the resolution is a point."""
    hist = array_1d("historical_runtimes", historical_runtimes, lower=0.0)
    if not correct or runtime is None:
        return 0.0
    t = nonnegative("runtime", runtime)
    lo, hi = float(hist.min()), float(hist.max())
    if resolution.same(hi, lo, tests):
        return 1.0 if resolution.at_most(t, lo, tests) else 0.0
    if resolution.at_most(t, lo, tests):
        return 1.0
    if not resolution.less(t, hi, tests):
        return 0.0
    return float(np.clip((hi - t) / (hi - lo), 0.0, 1.0))


def mean_beyond(runtimes: Sequence[float | None], correct: Sequence[bool],
                historical_runtimes: Sequence[float], resolution: Resolution = EXACT,
                tests: int = 1) -> float:
    """Mean Beyond over a task's samples (incorrect ones count as 0)."""
    if len(runtimes) != len(correct):
        raise ValueError(f"{len(runtimes)} runtimes but {len(correct)} correctness flags")
    if len(runtimes) == 0:
        raise ValueError("mean_beyond needs at least one sample")
    return float(np.mean([beyond(t, historical_runtimes, ok, resolution, tests)
                          for t, ok in zip(runtimes, correct)]))
