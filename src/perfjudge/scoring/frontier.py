"""Which runs are worth their cost: the Pareto front over correctness, code efficiency and
generation cost.

A run dominates another when it is at least as good on every axis (correctness and
efficiency: higher is better; cost: lower is better) and strictly better on one; the front
is the runs no other run dominates (Pareto optimality as in multi-objective optimisation,
e.g. Deb, *Multi-Objective Optimization using Evolutionary Algorithms*, 2001, ch. 2). An
axis that some run lacks (no efficiency score, no price) is left out for all runs, so runs
are never ranked on a value one of them does not have; the axes used are returned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunPoint:
    label: str
    correctness: float
    efficiency: float | None = None
    cost: float | None = None
    """Lower is better (for example $ or tokens per solved task; inf when none solved)."""


def pareto_front(points: Sequence[RunPoint]) -> tuple[list[bool], tuple[str, ...]]:
    """(for each point, whether it is on the front; the axes compared)."""
    axes = ["correctness"]
    if points and all(p.efficiency is not None for p in points):
        axes.append("efficiency")
    if points and all(p.cost is not None for p in points):
        axes.append("cost")

    def key(p: RunPoint) -> tuple[float, ...]:
        values = [p.correctness]
        if "efficiency" in axes:
            values.append(float(p.efficiency))  # type: ignore[arg-type]
        if "cost" in axes:
            values.append(-float(p.cost))  # type: ignore[arg-type]
        return tuple(-math.inf if math.isnan(v) else v for v in values)

    keys = [key(p) for p in points]

    def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return all(x >= y for x, y in zip(a, b)) and any(x > y for x, y in zip(a, b))

    front = [not any(dominates(other, k) for j, other in enumerate(keys) if j != i)
             for i, k in enumerate(keys)]
    return front, tuple(axes)


def overview(summaries: Sequence[dict[str, Any]], labels: Sequence[str],
             efficiency_metrics: Sequence[str]) -> dict[str, Any]:
    """One row per run summary (`records.run`): pass@1, an efficiency score all runs have
    (the benchmark's native one unless that is pass@1, else the first of
    ``efficiency_metrics`` every run reports; a lower-is-better one such as NET is turned
    round for the front), generation cost, and whether it is on the front. The cost axis is
    $ per solved task when every sample of every run is priced, else completion tokens per
    solved task when every sample reports them (local models have tokens but no price),
    else none; a run that solved nothing costs infinity on it."""
    from perfjudge.scoring.metrics import higher_is_better

    natives = sorted({s["benchmark"]["native_metric"] for s in summaries})
    candidates = [n for n in natives if n != "pass@1"] + list(efficiency_metrics)
    eff = next((m for m in candidates if summaries and all(
        (s["scores"].get(m) or {}).get("value") is not None for s in summaries)), None)
    sign = 1.0 if eff is None or higher_is_better(eff) else -1.0  # NET: lower is better
    gens = [s.get("generation") or {} for s in summaries]

    def every(g: dict[str, Any], counted: int | None) -> bool:
        return bool(g) and counted is not None and counted == g.get("of")

    priced = bool(gens) and all(every(g, (g.get("cost_usd") or {}).get("priced"))
                                for g in gens)
    tokens = bool(gens) and all(every(g, ((g.get("totals") or {}).get("completion_tokens")
                                          or {}).get("samples")) for g in gens)
    axis = "$ per solved task" if priced else "completion tokens per solved task" \
        if tokens else None
    rows, points = [], []
    for label, s, g in zip(labels, summaries, gens):
        solved = g.get("solved_tasks") or 0
        spend = (g.get("cost_usd") or {}).get("total") if priced else \
            (g.get("tokens") or {}).get("completion") if tokens else None
        cost = None if axis is None else (spend / solved if solved else math.inf)
        pass1 = (s["scores"].get("pass@1") or {}).get("value") or 0.0
        value = (s["scores"].get(eff) or {}).get("value") if eff else None
        points.append(RunPoint(label, pass1, None if value is None else sign * value, cost))
        rows.append({"label": label, "run_id": s.get("run_id"),
                     "benchmark": s["benchmark"]["name"], "meter": s["meter"]["name"],
                     "models": g.get("models") or [], "pass@1": pass1, "efficiency": value,
                     "cost": cost, "usd_total": (g.get("cost_usd") or {}).get("total"),
                     "usd_per_solved_task": (g.get("cost_usd") or {}).get("per_solved_task"),
                     "completion_tokens": (g.get("tokens") or {}).get("completion"),
                     "ttft_s": (g.get("ttft_s") or {}).get("median"),
                     "solved_tasks": solved})
    front, axes = pareto_front(points)
    for row, on in zip(rows, front):
        row["on_front"] = on
    return {"efficiency_metric": eff, "cost_axis": axis, "axes": list(axes), "runs": rows}


__all__ = ["RunPoint", "overview", "pareto_front"]
