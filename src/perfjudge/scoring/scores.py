"""From judged samples to benchmark scores with confidence intervals.

Pure: outcome records in, numbers out. Each task contributes one value per metric (the
metric functions in `perfjudge.scoring.metrics` say which paper each follows); aggregates are means
over tasks with a bootstrap interval over tasks (`metrics.uncertainty.bootstrap_ci`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from perfjudge.records.task import Task
from perfjudge.scoring import metrics


@dataclass(frozen=True)
class Outcome:
    """One judged solution, as scoring needs it: a sample or a reference."""

    task_id: str
    verdict: str
    cost: float | None = None
    test_costs: tuple[float, ...] = ()
    sample_id: str = ""
    reference: str | None = None
    level: int | None = None
    censored_level: str | None = None
    """ENAMEL's rule: the level from which this (passing) sample was censored; its
    ``test_costs`` cover the earlier levels only."""
    paired_speedup: float | None = None
    """Time meters: the canonical reference's cost over this sample's, measured round by
    round in the same sandbox (`CheckResult.paired`); preferred to the ratio of separate
    measurements, whose machine drift does not cancel."""
    test_levels: tuple[str | None, ...] = ()
    """The level of each of ``test_costs``, as the engine measured it (`Measurement.level`)."""

    @property
    def correct(self) -> bool:
        return self.verdict == "passed"


@dataclass(frozen=True)
class TaskSetup:
    """What scoring needs to know about a task beyond outcomes (`Task.level_scoring` and
    the meter's tie band)."""

    task_id: str
    level_order: tuple[str, ...] = ()
    hardness: tuple[float, ...] | None = None
    alpha: float = 2.0
    resolution: metrics.Resolution = metrics.EXACT
    """Costs closer than this are equal (the meter's tie band, `perfjudge.scoring.metrics.ties`)."""

    @classmethod
    def of(cls, task: Task, resolution: metrics.Resolution = metrics.EXACT) -> "TaskSetup":
        """The task's level scoring (`Task.level_scoring`) with the meter's tie band."""
        levels = task.level_scoring
        return cls(task.task_id, levels.order, levels.hardness, levels.alpha, resolution)


@dataclass
class Score:
    name: str
    value: float | None
    low: float | None
    high: float | None
    n_tasks: int
    description: str = ""
    citation: str = ""


@dataclass
class TaskScores:
    task_id: str
    n: int
    correct: int
    values: dict[str, float] = field(default_factory=dict)
    sample_values: dict[str, dict[str, float]] = field(default_factory=dict)
    cost_pair: tuple[float, float] | None = None


def _level_names(setup: TaskSetup, test_levels: Sequence[str | None]) -> list[str]:
    """The task's level order, else the measured levels sorted, else one level."""
    return list(setup.level_order) or sorted({str(l) for l in test_levels if l is not None}) \
        or ["all"]


def _level_times(outcome: Outcome, names: list[str]) -> tuple[list[str], list[list[float]]]:
    """``outcome``'s test costs grouped by their measured level, in ``names`` order (a cost
    without a level goes to the last); levels with no cost are left out."""
    grouped: dict[str, list[float]] = {name: [] for name in names}
    for i, cost in enumerate(outcome.test_costs):
        level = outcome.test_levels[i] if i < len(outcome.test_levels) else None
        grouped.setdefault(names[-1] if level is None else str(level), []).append(cost)
    present = [n for n in names if grouped.get(n)]
    return present, [grouped[n] for n in present]


def score_task(setup: TaskSetup, samples: Sequence[Outcome],
               references: Sequence[Outcome]) -> TaskScores:
    n = len(samples)
    c = sum(s.correct for s in samples)
    scores = TaskScores(setup.task_id, n, c)
    if n == 0:
        return scores
    scores.values["pass@1"] = metrics.pass_at_k(n, c, 1)
    good_refs = [r for r in references if r.correct and r.cost]
    if not good_refs:
        return scores
    canonical = good_refs[0]
    assert canonical.cost is not None
    per_sample: dict[str, dict[str, float]] = {s.sample_id: {} for s in samples}
    res = setup.resolution
    tests = max(1, len(canonical.test_costs))

    def sample_speedup(s: Outcome) -> float:
        if s.paired_speedup is not None:
            return 1.0 if abs(s.paired_speedup - 1.0) <= res.relative else s.paired_speedup
        return metrics.speedup(canonical.cost, s.cost, res, tests)

    speedups = [sample_speedup(s) for s in samples if s.correct and s.cost]
    for s in samples:
        if s.correct and s.cost:
            per_sample[s.sample_id]["speedup"] = sample_speedup(s)
    if speedups:
        scores.values["speedup"] = float(np.mean(speedups))

    if canonical.test_costs:
        all_names = _level_names(setup, canonical.test_levels)
        names, ref_times = _level_times(canonical, all_names)
        hardness = list(setup.hardness) if setup.hardness and len(setup.hardness) == len(names) \
            else [1.0] * len(names)
        if sum(hardness) > 0 and all(min(t) > 0 for t in ref_times):
            effs = []
            for s in samples:
                level_times: list | None = None
                if s.correct and s.censored_level is not None:
                    # measured up to the censored level; it and the later levels score 0
                    got_names, got = _level_times(s, all_names) if s.test_costs else ([], [])
                    stop = names.index(s.censored_level) if s.censored_level in names else 0
                    by_name = dict(zip(got_names, got))
                    level_times = [by_name.get(n) if k < stop else None
                                   for k, n in enumerate(names)]
                elif s.correct and len(s.test_costs) == len(canonical.test_costs):
                    _, level_times = _level_times(s, all_names)
                eff = metrics.enamel_sample_efficiency(
                    level_times or [None] * len(names), ref_times,
                    correct=level_times is not None, hardness=hardness, alpha=setup.alpha,
                    resolution=res)
                per_sample[s.sample_id]["eff"] = eff
                effs.append(eff)
            scores.values["eff@1"] = metrics.eff_at_k(effs, 1)

    best = min(r.cost for r in good_refs if r.cost)
    efficient = sum(metrics.coffe_is_efficient(s.correct, s.cost, best, res, tests)
                    for s in samples)
    scores.values["efficient@1"] = metrics.efficient_at_k(n, efficient, 1)

    ref_costs = [r.cost for r in good_refs if r.cost]
    correct_costs = [s.cost for s in samples if s.correct and s.cost]
    if len(ref_costs) >= 2 and correct_costs:
        levels = metrics.cluster_references(ref_costs)
        scores.values["DPS"], scores.values["DPS_norm"] = metrics.task_dps(
            correct_costs, levels, res, tests)
        for s in samples:
            if s.correct and s.cost:
                per_sample[s.sample_id]["DPS_norm"] = metrics.dps_norm(s.cost, levels, res, tests)
    if len(ref_costs) >= 2:
        scores.values["beyond@1"] = metrics.mean_beyond(
            [s.cost for s in samples], [s.correct and bool(s.cost) for s in samples], ref_costs,
            res, tests)
    if correct_costs:
        # EffiBench's ratio sample / canonical, 1.0 when the meter cannot tell them apart
        scores.values["NET"] = 1.0 / metrics.speedup(canonical.cost, float(np.mean(correct_costs)),
                                                     res, tests)
        scores.cost_pair = (float(np.mean(correct_costs)), canonical.cost)
    scores.sample_values = per_sample
    return scores


def _geomean(values: np.ndarray, axis: int | None = None) -> Any:
    return np.exp(np.mean(np.log(values), axis=axis))


def aggregate(task_scores: Sequence[TaskScores], n_resamples: int = 2000,
              seed: int = 0) -> dict[str, Score]:
    """Mean over tasks (geometric for speedup) with a 95% bootstrap interval over tasks."""
    names: list[str] = []
    for ts in task_scores:
        names += [k for k in ts.values if k not in names]
    out: dict[str, Score] = {}
    for name in names:
        values = [ts.values[name] for ts in task_scores if name in ts.values
                  and ts.values[name] is not None and math.isfinite(ts.values[name])]
        info = metrics.METRICS.get(name)
        desc, cite = (info.description, info.citation) if info else ("", "")
        if not values:
            out[name] = Score(name, None, None, None, 0, desc, cite)
            continue
        statistic = _geomean if info and info.aggregate == "geomean" else np.mean
        if len(values) == 1:
            point = float(statistic(np.array(values)))
            out[name] = Score(name, point, None, None, 1, desc, cite)
            continue
        point, low, high = metrics.bootstrap_ci(values, statistic=statistic,
                                                n_resamples=n_resamples, seed=seed)
        out[name] = Score(name, point, low, high, len(values), desc, cite)
    pairs = [ts.cost_pair for ts in task_scores if ts.cost_pair]
    if pairs:
        sample_costs, canonical_costs = zip(*pairs)
        info = metrics.METRICS["NET_total"]
        out["NET_total"] = Score("NET_total", metrics.normalized_ratio_of_totals(
            sample_costs, canonical_costs), None, None, len(pairs), info.description,
            info.citation)
    return out


def score_dict(score: Score) -> dict[str, Any]:
    return asdict(score)
