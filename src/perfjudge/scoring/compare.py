"""Paired comparison of two runs on the tasks they share.

Per-task values of one metric (the benchmark's native one by default) are paired by task;
`metrics.paired_comparison` gives the bootstrap interval of the mean difference and the
Wilcoxon and sign tests, so "model A writes faster code than B" comes with its evidence.
"""

from __future__ import annotations

from typing import Any

from perfjudge.errors import IncomparableRuns, UnknownName
from perfjudge.scoring import metrics


def compare_summaries(a: dict[str, Any], b: dict[str, Any], metric: str | None = None,
                      n_resamples: int = 2000, name_a: str = "A",
                      name_b: str = "B") -> dict[str, Any]:
    """Two run summaries (`records.run`), side by side where their costs are comparable.
    A pass@k metric compares across meters (correctness does not depend on one)."""
    chosen = metric or a["benchmark"]["native_metric"]
    if chosen.startswith("pass@"):
        return _compare(a, b, metric, n_resamples, name_a, name_b, [])
    if a["meter"]["name"] != b["meter"]["name"]:
        raise IncomparableRuns(f"the runs used different meters ({a['meter']['name']} vs "
                               f"{b['meter']['name']}): their costs are not comparable")
    if not a["meter"]["deterministic"] and a["machine"] != b["machine"]:
        raise IncomparableRuns("time-meter runs from different machines are not comparable: "
                               f"{a['machine']} vs {b['machine']}")
    warnings = []
    ra, rb = a["meter"].get("runtime", {}), b["meter"].get("runtime", {})
    if a["meter"]["deterministic"] and a["meter"]["name"] != "none" \
            and ra.get("interpreter") != rb.get("interpreter"):
        raise IncomparableRuns("the runs counted instructions under different interpreters "
                               f"({ra.get('interpreter')} vs {rb.get('interpreter')}): counts "
                               "depend on the interpreter build, so they are not comparable")
    if a["meter"]["name"] == "instructions" and _cpu(a["machine"]) != _cpu(b["machine"]):
        warnings.append(f"hardware instruction counts from different CPUs ({_cpu(a['machine'])}"
                        f" vs {_cpu(b['machine'])}) can differ where the C library picks code "
                        "by CPU features; valgrind counts do not")
    return _compare(a, b, metric, n_resamples, name_a, name_b, warnings)


def _compare(a: dict[str, Any], b: dict[str, Any], metric: str | None, n_resamples: int,
             name_a: str, name_b: str, warnings: list[str]) -> dict[str, Any]:
    asked = metric
    metric = metric or a["benchmark"]["native_metric"]
    va = {t["task_id"]: t["scores"].get(metric) for t in a["tasks"]}
    vb = {t["task_id"]: t["scores"].get(metric) for t in b["tasks"]}
    names = {name for t in (*a["tasks"], *b["tasks"]) for name in t["scores"]}
    if asked and metric not in names:
        raise UnknownName("metric", metric, names, where="these runs' per-task scores")
    common = sorted(k for k in va.keys() & vb.keys() if va[k] is not None and vb[k] is not None)
    if len(common) < 2:
        raise IncomparableRuns(f"fewer than two tasks have {metric!r} in both runs "
                         f"({len(common)} in common); nothing to compare")
    higher = metrics.higher_is_better(metric)
    paired = metrics.paired_comparison([va[k] for k in common], [vb[k] for k in common],
                                       higher_is_better=higher, n_resamples=n_resamples,
                                       name_a=name_a, name_b=name_b)
    rows = []
    for k in common:
        diff = (va[k] - vb[k]) if higher else (vb[k] - va[k])
        rows.append({"task_id": k, "a": va[k], "b": vb[k], "difference": diff,
                     "better": "A" if diff > 0 else "B" if diff < 0 else "tie"})
    return {
        "metric": metric, "higher_is_better": higher, "run_a": name_a, "run_b": name_b,
        "n_tasks": len(common),
        "only_in_a": sorted(va.keys() - vb.keys()), "only_in_b": sorted(vb.keys() - va.keys()),
        "mean_difference": paired.mean_difference, "ci": [paired.ci_low, paired.ci_high],
        "wilcoxon_p": paired.wilcoxon_p, "sign_test_p": paired.sign_test_p,
        "a_better": paired.a_better, "b_better": paired.b_better, "ties": paired.ties,
        "significant": paired.significant, "summary": paired.summary,
        "tasks": rows, "differing": [r for r in rows if r["better"] != "tie"],
        "warnings": warnings,
        "generation": generation_side_by_side(a.get("generation") or {},
                                              b.get("generation") or {}),
    }


GENERATION_FIGURES = (("completion tokens", ("tokens", "completion")),
                      ("TTFT p50 (s)", ("ttft_s", "median")),
                      ("latency p50 (s)", ("latency_s", "median")),
                      ("$ total", ("cost_usd", "total")),
                      ("$ per correct sample", ("cost_usd", "per_correct_sample")),
                      ("$ per solved task", ("cost_usd", "per_solved_task")))


def generation_side_by_side(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """What generating each run's samples cost (`scoring.generation`), figure by figure, with
    B / A where both have it; empty when neither run carries generation records. Totals
    depend on how many samples each run has: per-solved figures are the comparable ones."""
    if not a and not b:
        return []
    rows = []
    for label, (group, name) in GENERATION_FIGURES:
        va, vb = (a.get(group) or {}).get(name), (b.get(group) or {}).get(name)
        rows.append({"figure": label, "a": va, "b": vb,
                     "ratio": vb / va if va and vb is not None else None})
    return rows


def _cpu(machine: str) -> str:
    return next((part[4:] for part in machine.split("; ") if part.startswith("cpu=")), machine)
