"""Metric library: pure functions from measured numbers to the published benchmarks' scores.

One module per source; each docstring cites the paper and the published code it follows and
says where perfjudge deliberately differs (a known bug in the original). ``METRICS`` lists
every metric with a one-line description and its citation, for reports and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfjudge.metrics.coffe import coffe_is_efficient, coffe_speedup, efficient_at_k, mean_coffe_speedup
from perfjudge.metrics.effibench import (
    EffiBenchSummary,
    effibench_summary,
    memory_time_integral,
    normalized_mean_of_ratios,
    normalized_ratio_of_totals,
)
from perfjudge.metrics.enamel import (
    ENAMEL_ALPHA,
    ENAMEL_HARDNESS,
    eff_at_k,
    enamel_level_efficiency,
    enamel_sample_efficiency,
    enamel_timeout,
    expected_max_of_k,
    mean_eff_at_k,
)
from perfjudge.metrics.evalperf import (
    ReferenceLevel,
    cluster_references,
    dps,
    dps_norm,
    levels_from_published,
    matching_level,
    task_dps,
)
from perfjudge.metrics.mercury import beyond, mean_beyond
from perfjudge.metrics.passk import mean_pass_at_k, pass_at_k, pass_at_k_per_task
from perfjudge.metrics.pie import (
    ecco_percentile,
    ecco_speedup,
    mean_speedup,
    percent_optimized,
    pie_best_at_k,
    pie_speedup,
    speedup,
)
from perfjudge.metrics.ties import EXACT, Resolution
from perfjudge.metrics.uncertainty import PairedComparison, bootstrap_ci, paired_comparison


@dataclass(frozen=True)
class MetricInfo:
    description: str
    citation: str


_CHEN = "Chen et al. 2021, Evaluating Large Language Models Trained on Code (openai/human-eval)"
_ENAMEL = "Qiu et al. 2025, How Efficient is LLM-Generated Code? (q-rz/enamel, enam/evaluate.py)"
_EVALPERF = ("Liu et al. 2024, Evaluating Language Models for Efficient Code Generation "
             "(evalplus/evalplus, evalplus/evalperf.py, evalplus/perf/select_pe_tasks.py)")
_COFFE = "Peng et al. 2025, COFFE: A Code Efficiency Benchmark for Code Generation (JohnnyPeng18/Coffe)"
_PIE = "Shypula et al. 2024, Learning Performance-Improving Code Edits (madaan/pie-perf)"
_ECCO = "Waghjale et al. 2024, ECCO (CodeEff/ECCO, src/evaluation/edit_eval.py, generate_eval.py)"
_EFFIBENCH = "Huang et al. 2024, EffiBench (huangd1999/EffiBench, src/report_overhead.py)"
_MERCURY = "Du et al. 2024, Mercury: A Code Efficiency Benchmark for Code Synthesis (Elfsong/Mercury)"

METRICS: dict[str, MetricInfo] = {
    "pass@k": MetricInfo("chance that at least one of k samples is correct (unbiased estimator)", _CHEN),
    "eff@k": MetricInfo("expected best hardness-weighted efficiency of k samples, censored at the timeout", _ENAMEL),
    "dps": MetricInfo("percent of reference solutions (by cluster size) the sample matches or beats", _EVALPERF),
    "dps_norm": MetricInfo("percent of reference efficiency levels the sample matches or beats", _EVALPERF),
    "efficient@k": MetricInfo("chance that one of k samples is correct and cheaper than the best reference", _COFFE),
    "coffe_speedup": MetricInfo("best reference cost / sample cost, averaged over correct samples", _COFFE),
    "speedup": MetricInfo("source time / sample time", _PIE),
    "pie_best@k": MetricInfo("best speedup of k generations, floored at 1.0 (incorrect = 1.0)", _PIE),
    "%opt": MetricInfo("percent of problems at least 10% faster (speedup >= 1.1) and correct", _PIE),
    "ecco_speedup": MetricInfo("sum of source runtimes / sum of sample runtimes over passed tests", _ECCO),
    "ecco_percentile": MetricInfo("fraction of human submissions at least as slow as the sample", _ECCO),
    "net": MetricInfo("execution time / the canonical solution's (ratio of totals or mean of ratios)", _EFFIBENCH),
    "nmu": MetricInfo("peak memory / the canonical solution's (ratio of totals or mean of ratios)", _EFFIBENCH),
    "ntmu": MetricInfo("memory-time integral normalized by the canonical solution's", _EFFIBENCH),
    "beyond": MetricInfo("position of the runtime within [min, max] of historical solutions, 1 = fastest", _MERCURY),
}

__all__ = [
    "ENAMEL_ALPHA", "ENAMEL_HARDNESS", "EXACT", "METRICS", "Resolution", "EffiBenchSummary", "MetricInfo", "PairedComparison",
    "ReferenceLevel", "beyond", "bootstrap_ci", "cluster_references", "coffe_is_efficient", "coffe_speedup",
    "dps", "dps_norm", "ecco_percentile", "ecco_speedup", "eff_at_k", "effibench_summary", "efficient_at_k",
    "enamel_level_efficiency", "enamel_sample_efficiency", "enamel_timeout", "expected_max_of_k",
    "levels_from_published", "matching_level", "mean_beyond", "mean_coffe_speedup", "mean_eff_at_k",
    "mean_pass_at_k", "mean_speedup", "memory_time_integral", "normalized_mean_of_ratios",
    "normalized_ratio_of_totals", "paired_comparison", "pass_at_k", "pass_at_k_per_task", "percent_optimized",
    "pie_best_at_k", "pie_speedup", "speedup", "task_dps",
]
