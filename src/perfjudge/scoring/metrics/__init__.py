"""Metric library: pure functions from measured numbers to the published benchmarks' scores.

One module per source; each docstring cites the paper and the published code it follows and
says where perfjudge deliberately differs (a known bug in the original). ``METRICS``
(`registry`) is the one table of metric facts: description, citation, direction,
aggregation, the function behind it, and whether `evaluate` computes it.
"""

from __future__ import annotations

from perfjudge.scoring.metrics.coffe import coffe_is_efficient, coffe_speedup, efficient_at_k, mean_coffe_speedup
from perfjudge.scoring.metrics.effibench import (
    EffiBenchSummary,
    effibench_summary,
    memory_time_integral,
    normalized_mean_of_ratios,
    normalized_ratio_of_totals,
)
from perfjudge.scoring.metrics.enamel import (
    ENAMEL_ALPHA,
    ENAMEL_HARDNESS,
    eff_at_k,
    enamel_level_efficiency,
    enamel_sample_efficiency,
    enamel_timeout,
    expected_max_of_k,
    mean_eff_at_k,
)
from perfjudge.scoring.metrics.evalperf import (
    ReferenceLevel,
    cluster_references,
    dps,
    dps_norm,
    levels_from_published,
    matching_level,
    task_dps,
)
from perfjudge.scoring.metrics.mercury import beyond, mean_beyond
from perfjudge.scoring.metrics.passk import mean_pass_at_k, pass_at_k, pass_at_k_per_task
from perfjudge.scoring.metrics.pie import (
    ecco_percentile,
    ecco_speedup,
    mean_speedup,
    percent_optimized,
    pie_best_at_k,
    pie_speedup,
    speedup,
)
from perfjudge.scoring.metrics.registry import METRICS, Metric, higher_is_better, metric
from perfjudge.scoring.metrics.ties import EXACT, Resolution
from perfjudge.scoring.metrics.uncertainty import PairedComparison, bootstrap_ci, paired_comparison


__all__ = [
    "ENAMEL_ALPHA", "ENAMEL_HARDNESS", "EXACT", "METRICS", "Metric", "Resolution", "EffiBenchSummary", "PairedComparison",
    "higher_is_better", "metric",
    "ReferenceLevel", "beyond", "bootstrap_ci", "cluster_references", "coffe_is_efficient", "coffe_speedup",
    "dps", "dps_norm", "ecco_percentile", "ecco_speedup", "eff_at_k", "effibench_summary", "efficient_at_k",
    "enamel_level_efficiency", "enamel_sample_efficiency", "enamel_timeout", "expected_max_of_k",
    "levels_from_published", "matching_level", "mean_beyond", "mean_coffe_speedup", "mean_eff_at_k",
    "mean_pass_at_k", "mean_speedup", "memory_time_integral", "normalized_mean_of_ratios",
    "normalized_ratio_of_totals", "paired_comparison", "pass_at_k", "pass_at_k_per_task", "percent_optimized",
    "pie_best_at_k", "pie_speedup", "speedup", "task_dps",
]
