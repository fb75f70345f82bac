"""EvalPerf's Differential Performance Score: Liu et al. (2024, COLM), "Evaluating Language
Models for Efficient Code Generation" (arXiv 2408.06450), following evalplus/evalplus
``evalplus/perf/select_pe_tasks.py`` (curation: ``adaptive_seg1d`` and the exported
``scores``) and ``evalplus/evalperf.py`` (``worker_on_one_task``: matching a sample to a level).

Reference solutions are clustered into efficiency levels, ordered slowest to fastest. Each
level is represented by its *slowest* member's cost and carries a score: the cumulative
percentage of all reference solutions that lie in it or in slower levels. A correct sample
matches the fastest level whose representative cost it matches or beats (cost <= level cost):
- DPS = that level's cumulative percentage (clusters weighted by their size);
- DPS_norm = 100 x (j + 1) / number of levels (levels weighted equally);
- slower than every level, or a failed/timed-out profile: 0.
Scores are percentages in [0, 100], as EvalPerf reports them. Incorrect samples are not
scored (the task-level mean runs over correct samples only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from perfjudge.scoring.metrics._validate import array_1d
from perfjudge.scoring.metrics.ties import EXACT, Resolution

EVALPERF_MIN_INSTRUCTIONS: float = 10_000.0
"""``MIN_REQUIRED_NUM_INSTRUCTION`` in evalplus/perf/config.py; also the gap-threshold weight."""


@dataclass(frozen=True)
class ReferenceLevel:
    """One efficiency level: a sample with cost <= ``cost`` reaches it.

    ``size`` is the number of reference solutions in the level; None when only the published
    cumulative ``score`` is known (EvalPerf's dataset keeps one representative per level)."""

    cost: float
    size: int | None
    score: float


def cluster_references(
    costs: Sequence[float],
    *,
    base_threshold: float = 0.10,
    weight: float = EVALPERF_MIN_INSTRUCTIONS,
) -> tuple[ReferenceLevel, ...]:
    """Cluster reference costs into levels, slowest first, as EvalPerf curates them.

    Follows ``adaptive_seg1d`` in evalplus/perf/select_pe_tasks.py: sort descending; split
    between neighbours a_i > a_{i+1} when the relative gap (a_i - a_{i+1}) / a_i exceeds
    ``base_threshold + sqrt(weight / a_i)`` (cheap solutions need a bigger gap, because their
    counts are noisier). The dataset export uses the default base threshold 0.10 (the 0.2 in
    ``filter_by_clustering`` only decides whether a task has enough levels to be kept) and
    weight = 10,000, a value meant for CPU instruction counts: rescale it for other units.
    A level's cost is its slowest member and its score the cumulative percentage."""
    arr = array_1d("costs", costs, lower=0.0, strict=True)
    if not math.isfinite(base_threshold) or base_threshold < 0:
        raise ValueError(f"base_threshold must be a finite number >= 0, got {base_threshold!r}")
    if not math.isfinite(weight) or weight < 0:
        raise ValueError(f"weight must be a finite number >= 0, got {weight!r}")
    desc = np.sort(arr)[::-1]
    gaps = (desc[:-1] - desc[1:]) / desc[:-1]
    limits = base_threshold + np.sqrt(weight / desc[:-1])
    splits = (np.nonzero(gaps > limits)[0] + 1).tolist()
    levels: list[ReferenceLevel] = []
    seen = 0
    for cluster in np.split(desc, splits):
        seen += cluster.size
        levels.append(ReferenceLevel(float(cluster[0]), int(cluster.size), 100.0 * seen / desc.size))
    return tuple(levels)


def levels_from_published(costs: Sequence[float], scores: Sequence[float]) -> tuple[ReferenceLevel, ...]:
    """Levels from an EvalPerf dataset row: its references' measured costs and ``scores``."""
    c = array_1d("costs", costs, lower=0.0, strict=True)
    s = array_1d("scores", scores, lower=0.0)
    if c.size != s.size:
        raise ValueError(f"{c.size} reference costs but {s.size} scores")
    if (np.diff(s) <= 0).any() or s[-1] > 100.0 + 1e-9:
        raise ValueError(f"scores must increase strictly up to at most 100, got {s.tolist()}")
    levels = tuple(ReferenceLevel(float(ci), None, float(sc)) for ci, sc in zip(c, s))
    _check_levels(levels)
    return levels


def matching_level(sample_cost: float | None, levels: Sequence[ReferenceLevel],
                   resolution: Resolution = EXACT, tests: int = 1) -> int:
    """Index of the fastest level the sample matches or beats; -1 if none (or no profile).

    "Matches" is within the meter's ``resolution`` (`perfjudge.scoring.metrics.ties`): a sample the
    meter cannot tell from a level's cost reaches that level, on every run (EvalPerf compares
    exactly, which flips levels on noise)."""
    _check_levels(levels)
    if sample_cost is None:
        return -1
    if not math.isfinite(sample_cost) or sample_cost < 0:
        raise ValueError(f"sample_cost must be a finite number >= 0 or None, got {sample_cost!r}")
    for j in range(len(levels) - 1, -1, -1):
        if resolution.at_most(sample_cost, levels[j].cost, tests):
            return j
    return -1


def dps(sample_cost: float | None, levels: Sequence[ReferenceLevel],
        resolution: Resolution = EXACT, tests: int = 1) -> float:
    """DPS of one correct sample, in percent; ``None`` cost (profiling failed) scores 0."""
    j = matching_level(sample_cost, levels, resolution, tests)
    return 0.0 if j < 0 else levels[j].score


def dps_norm(sample_cost: float | None, levels: Sequence[ReferenceLevel],
             resolution: Resolution = EXACT, tests: int = 1) -> float:
    """DPS_norm of one correct sample, in percent: levels weighted equally."""
    j = matching_level(sample_cost, levels, resolution, tests)
    return 0.0 if j < 0 else 100.0 * (j + 1) / len(levels)


def task_dps(correct_sample_costs: Sequence[float | None],
             levels: Sequence[ReferenceLevel], resolution: Resolution = EXACT,
             tests: int = 1) -> tuple[float, float]:
    """(mean DPS, mean DPS_norm) over a task's correct samples, as ``worker_on_one_task``."""
    if len(correct_sample_costs) == 0:
        raise ValueError("task_dps needs at least one correct sample; EvalPerf skips such tasks")
    return (float(np.mean([dps(c, levels, resolution, tests) for c in correct_sample_costs])),
            float(np.mean([dps_norm(c, levels, resolution, tests)
                           for c in correct_sample_costs])))


def _check_levels(levels: Sequence[ReferenceLevel]) -> None:
    if len(levels) == 0:
        raise ValueError("levels is empty: a task needs at least one reference level")
    for a, b in zip(levels, levels[1:]):
        if not (a.cost > b.cost and a.score < b.score):
            raise ValueError("levels must run slowest to fastest with strictly decreasing cost and "
                             f"increasing score; got {a} before {b}")
