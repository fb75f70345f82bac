"""EffiBench's normalized efficiency metrics: Huang et al. (2024, NeurIPS Datasets and
Benchmarks), "EffiBench: Benchmarking the Efficiency of Automatically Generated Code" (arXiv
2402.02037), repository huangd1999/EffiBench (src/report_overhead.py).

- ET / MU / TMU: execution time, maximum memory usage and total memory usage, the last being
  the memory-time integral (trapezoid rule over memory-profiler samples: ``memory_time_integral``
  follows report_overhead.py ``calculate_memory_usage``).
- NET / NMU / NTMU: the generated code's value normalized by the canonical solution's.

Two aggregations over tasks exist and give different numbers, so both are offered under names
that say which is which:
- ``ratio_of_totals``: sum over tasks of the sample's values / sum of the canonical values.
  This is what the published report_overhead.py prints.
- ``mean_of_ratios``: mean over tasks of sample / canonical, the paper's formula.
(EffiBench's runner treats every run as successful, since its shell script's exit status is
always 0; perfjudge decides correctness elsewhere, and these functions take only the tasks the
caller has already judged correct.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from perfjudge.scoring.metrics._validate import array_1d


def memory_time_integral(timestamps: Sequence[float], memory: Sequence[float]) -> float:
    """Total memory usage (e.g. MB x s) of a memory profile by the trapezoid rule."""
    t = array_1d("timestamps", timestamps, min_len=1)
    m = array_1d("memory", memory, min_len=1, lower=0.0)
    if t.size != m.size:
        raise ValueError(f"{t.size} timestamps but {m.size} memory samples")
    if (np.diff(t) < 0).any():
        raise ValueError("timestamps must be non-decreasing")
    return float(np.sum((m[1:] + m[:-1]) / 2.0 * np.diff(t)))


def normalized_ratio_of_totals(sample: Sequence[float], canonical: Sequence[float]) -> float:
    """sum(sample) / sum(canonical) over tasks: EffiBench's published code."""
    s, c = _pair(sample, canonical)
    return float(s.sum() / c.sum())


def normalized_mean_of_ratios(sample: Sequence[float], canonical: Sequence[float]) -> float:
    """mean(sample / canonical) over tasks: the EffiBench paper's definition."""
    s, c = _pair(sample, canonical)
    return float(np.mean(s / c))


@dataclass(frozen=True)
class EffiBenchSummary:
    """NET, NMU and NTMU under both aggregations; ``n_tasks`` is how many tasks went in."""

    net_ratio_of_totals: float
    nmu_ratio_of_totals: float
    ntmu_ratio_of_totals: float
    net_mean_of_ratios: float
    nmu_mean_of_ratios: float
    ntmu_mean_of_ratios: float
    n_tasks: int


def effibench_summary(
    execution_time: Sequence[float], canonical_execution_time: Sequence[float],
    max_memory: Sequence[float], canonical_max_memory: Sequence[float],
    total_memory: Sequence[float], canonical_total_memory: Sequence[float],
) -> EffiBenchSummary:
    """All six EffiBench numbers for tasks paired by position (sample i vs canonical i)."""
    return EffiBenchSummary(
        net_ratio_of_totals=normalized_ratio_of_totals(execution_time, canonical_execution_time),
        nmu_ratio_of_totals=normalized_ratio_of_totals(max_memory, canonical_max_memory),
        ntmu_ratio_of_totals=normalized_ratio_of_totals(total_memory, canonical_total_memory),
        net_mean_of_ratios=normalized_mean_of_ratios(execution_time, canonical_execution_time),
        nmu_mean_of_ratios=normalized_mean_of_ratios(max_memory, canonical_max_memory),
        ntmu_mean_of_ratios=normalized_mean_of_ratios(total_memory, canonical_total_memory),
        n_tasks=len(execution_time),
    )


def _pair(sample: Sequence[float], canonical: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    s = array_1d("sample", sample, lower=0.0)
    c = array_1d("canonical", canonical, lower=0.0, strict=True)
    if s.size != c.size:
        raise ValueError(f"sample has {s.size} tasks but canonical has {c.size}; they must pair up")
    return s, c
