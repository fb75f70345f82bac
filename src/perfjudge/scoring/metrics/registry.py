"""Every metric perfjudge knows, in one table: what it means, where it comes from, which way
is better, how per-task values aggregate, which function computes it, and whether
`evaluate` computes it today (``wired``) or it is only a library function.

Reports, `compare`, the HTML page and the summary's score descriptions all read this table;
nothing else keeps metric facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CHEN = "Chen et al. 2021, Evaluating Large Language Models Trained on Code (openai/human-eval)"
ENAMEL = "Qiu et al. 2025, How Efficient is LLM-Generated Code? (q-rz/enamel, enam/evaluate.py)"
EVALPERF = ("Liu et al. 2024, Evaluating Language Models for Efficient Code Generation "
            "(evalplus/evalplus, evalplus/evalperf.py, evalplus/perf/select_pe_tasks.py)")
COFFE = "Peng et al. 2025, COFFE: A Code Efficiency Benchmark for Code Generation (JohnnyPeng18/Coffe)"
PIE = "Shypula et al. 2024, Learning Performance-Improving Code Edits (madaan/pie-perf)"
ECCO = "Waghjale et al. 2024, ECCO (CodeEff/ECCO, src/evaluation/edit_eval.py, generate_eval.py)"
EFFIBENCH = "Huang et al. 2024, EffiBench (huangd1999/EffiBench, src/report_overhead.py)"
MERCURY = "Du et al. 2024, Mercury: A Code Efficiency Benchmark for Code Synthesis (Elfsong/Mercury)"

Aggregate = Literal["mean", "geomean", "ratio_of_totals"]


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    citation: str
    higher_is_better: bool
    aggregate: Aggregate
    """How per-task values become the benchmark's figure (with a bootstrap interval over
    tasks, except for a ratio of totals)."""
    computed_by: str
    """The function(s) in `perfjudge.scoring.metrics` behind the per-task value."""
    efficiency: bool = True
    """A cost metric (False: correctness)."""
    wired: bool = True
    """`evaluate` computes it per task; False: a library function only."""


_METRICS = (
    Metric("pass@1", "share of samples that pass every correctness test (unbiased pass@k, "
           "k=1)", CHEN, True, "mean", "pass_at_k", efficiency=False),
    Metric("eff@1", "ENAMEL efficiency: right-censored, hardness-weighted per-level score vs "
           "the canonical reference, timeout = alpha x slowest reference level; 0 if "
           "incorrect", ENAMEL, True, "mean", "enamel_sample_efficiency, eff_at_k"),
    Metric("DPS_norm", "EvalPerf DPS_norm: the reference level a correct sample reaches, "
           "levels weighted equally, in percent", EVALPERF, True, "mean",
           "cluster_references, task_dps, dps_norm"),
    Metric("DPS", "EvalPerf DPS: share of reference solutions a correct sample matches or "
           "beats, in percent", EVALPERF, True, "mean", "cluster_references, task_dps"),
    Metric("beyond@1", "Mercury Beyond: where a correct sample's cost falls between the "
           "slowest (0) and fastest (1) reference; 0 if incorrect", MERCURY, True, "mean",
           "mean_beyond"),
    Metric("NET", "EffiBench normalized execution time, mean of per-task ratios "
           "sample/canonical over correct samples (<1: faster)", EFFIBENCH, False, "mean",
           "speedup (its inverse)"),
    Metric("NET_total", "EffiBench normalized execution time as the published code computes "
           "it: ratio of total costs over tasks", EFFIBENCH, False, "ratio_of_totals",
           "normalized_ratio_of_totals"),
    Metric("efficient@1", "COFFE efficient@1: share of samples that are correct and cheaper "
           "than the best reference", COFFE, True, "mean", "coffe_is_efficient, efficient_at_k"),
    Metric("speedup", "canonical reference cost / sample cost over correct samples; geometric "
           "mean over tasks (>1: faster than the reference)", PIE, True, "geomean", "speedup"),
    # library functions that evaluate does not compute per task today
    Metric("pass@k", "chance that at least one of k samples is correct (unbiased estimator)",
           CHEN, True, "mean", "pass_at_k", efficiency=False, wired=False),
    Metric("eff@k", "expected best hardness-weighted efficiency of k samples, censored at the "
           "timeout", ENAMEL, True, "mean", "eff_at_k", wired=False),
    Metric("efficient@k", "chance that one of k samples is correct and cheaper than the best "
           "reference", COFFE, True, "mean", "efficient_at_k", wired=False),
    Metric("coffe_speedup", "best reference cost / sample cost, averaged over correct samples",
           COFFE, True, "mean", "coffe_speedup, mean_coffe_speedup", wired=False),
    Metric("pie_best@k", "best speedup of k generations, floored at 1.0 (incorrect = 1.0)",
           PIE, True, "mean", "pie_best_at_k", wired=False),
    Metric("%opt", "percent of problems at least 10% faster (speedup >= 1.1) and correct", PIE,
           True, "mean", "percent_optimized", wired=False),
    Metric("ecco_speedup", "sum of source runtimes / sum of sample runtimes over passed tests",
           ECCO, True, "mean", "ecco_speedup", wired=False),
    Metric("ecco_percentile", "fraction of human submissions at least as slow as the sample",
           ECCO, True, "mean", "ecco_percentile", wired=False),
    Metric("NMU", "peak memory / the canonical solution's (ratio of totals or mean of ratios)",
           EFFIBENCH, False, "mean", "effibench_summary", wired=False),
    Metric("NTMU", "memory-time integral normalized by the canonical solution's", EFFIBENCH,
           False, "mean", "effibench_summary, memory_time_integral", wired=False),
)

METRICS: dict[str, Metric] = {m.name: m for m in _METRICS}


def metric(name: str) -> Metric:
    """The registry entry; an unknown name gets the closest known ones."""
    if name not in METRICS:
        from perfjudge.errors import UnknownName

        raise UnknownName("metric", name, METRICS)
    return METRICS[name]


def higher_is_better(name: str) -> bool:
    return METRICS[name].higher_is_better if name in METRICS else True


def wired() -> list[Metric]:
    return [m for m in _METRICS if m.wired]


__all__ = ["METRICS", "Metric", "higher_is_better", "metric", "wired"]
