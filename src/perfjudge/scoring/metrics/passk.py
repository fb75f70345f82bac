"""pass@k: the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models
Trained on Code" (HumanEval), section 2.1 and the numerically stable form in its figure 3
(openai/human-eval, human_eval/evaluation.py ``estimate_pass_at_k``).

With n samples of which c are correct, pass@k = 1 - C(n-c, k) / C(n, k): the probability that
at least one of k samples drawn without replacement is correct. The product form
1 - prod_{i=n-c+1}^{n} (1 - k/i) never builds the huge binomials, so n = 10^4 is fine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perfjudge.scoring.metrics._validate import check_counts, same_length


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one task from n samples with c correct (Chen et al. 2021)."""
    check_counts(n, c, k)
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=float)))


def pass_at_k_per_task(n: int | Sequence[int], c: Sequence[int], k: int) -> np.ndarray:
    """pass@k for each task; ``n`` is one sample count for all tasks or one per task."""
    ns = [int(n)] * len(c) if isinstance(n, (int, np.integer)) else list(n)
    same_length("n", ns, "c", c)
    return np.array([pass_at_k(ni, ci, k) for ni, ci in zip(ns, c)], dtype=float)


def mean_pass_at_k(n: int | Sequence[int], c: Sequence[int], k: int) -> float:
    """Benchmark pass@k: the mean of the per-task estimates, as HumanEval reports it."""
    if len(c) == 0:
        raise ValueError("mean_pass_at_k needs at least one task")
    return float(pass_at_k_per_task(n, c, k).mean())
