"""COFFE's efficient@k and speedup: Peng et al. (2025, FSE), "COFFE: A Code Efficiency
Benchmark for Code Generation" (arXiv 2502.02827), repository JohnnyPeng18/Coffe.

COFFE measures cost as CPU instruction count on its stressful test cases (hardware counters;
perfjudge may supply a valgrind count instead, which is the same quantity). A sample is
*efficient* when it is correct and its cost is strictly lower than the best ground-truth
solution's (``best_solutions.json``). efficient@k is then the pass@k estimator of Chen et al.
(2021) with c = the number of efficient samples of n; COFFE publishes k = 1. Speedup is the
best ground truth's cost divided by the sample's, averaged over correct samples.

The evaluation code of JohnnyPeng18/Coffe was not in the source index used while writing this
module, so the definitions follow the paper; how per-test counts are combined into one cost
(COFFE sums them over the stressful tests) is the caller's choice and must be the same for the
sample and the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perfjudge.scoring.metrics._validate import positive
from perfjudge.scoring.metrics.passk import pass_at_k
from perfjudge.scoring.metrics.ties import EXACT, Resolution


def coffe_is_efficient(correct: bool, sample_cost: float | None, best_reference_cost: float,
                       resolution: Resolution = EXACT, tests: int = 1) -> bool:
    """True if the sample is correct and strictly cheaper than the best reference: by more
    than the meter's ``resolution``, so a copy of the best reference is never "efficient"."""
    best_reference_cost = positive("best_reference_cost", best_reference_cost)
    if not correct or sample_cost is None:
        return False
    return resolution.less(positive("sample_cost", sample_cost), best_reference_cost, tests)


def efficient_at_k(n: int, c_efficient: int, k: int = 1) -> float:
    """Unbiased efficient@k of one task: pass@k's estimator over the efficient samples."""
    return pass_at_k(n, c_efficient, k)


def coffe_speedup(best_reference_cost: float, sample_cost: float) -> float:
    """Speedup of one correct sample: reference cost / sample cost (> 1 means faster)."""
    return positive("best_reference_cost", best_reference_cost) / positive("sample_cost", sample_cost)


def mean_coffe_speedup(best_reference_cost: float, correct_sample_costs: Sequence[float]) -> float:
    """Mean speedup over a task's correct samples; an empty list is an error, not a 0."""
    if len(correct_sample_costs) == 0:
        raise ValueError("mean_coffe_speedup needs at least one correct sample")
    return float(np.mean([coffe_speedup(best_reference_cost, c) for c in correct_sample_costs]))
