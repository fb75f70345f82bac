"""The Pareto front of runs, checked on cases worked by hand."""

from __future__ import annotations

import math

from perfjudge.scoring.frontier import RunPoint, overview, pareto_front


def test_three_axes():
    points = [RunPoint("A", 0.8, 1.2, 0.05),   # best correctness
              RunPoint("B", 0.7, 1.5, 0.02),   # cheaper and faster code than A: on the front
              RunPoint("C", 0.7, 1.4, 0.03),   # B is at least as good everywhere: dominated
              RunPoint("D", 0.5, 2.0, 0.10)]   # fastest code: on the front
    front, axes = pareto_front(points)
    assert axes == ("correctness", "efficiency", "cost")
    assert front == [True, True, False, True]


def test_equal_points_do_not_dominate_each_other():
    front, _ = pareto_front([RunPoint("A", 0.5, 1.0, 1.0), RunPoint("B", 0.5, 1.0, 1.0)])
    assert front == [True, True]


def test_an_axis_one_run_lacks_is_left_out():
    points = [RunPoint("A", 0.8, 1.0, None), RunPoint("B", 0.6, 2.0, 0.01)]
    front, axes = pareto_front(points)
    assert axes == ("correctness", "efficiency") and front == [True, True]
    front, axes = pareto_front([RunPoint("A", 0.8), RunPoint("B", 0.6, None, 0.01)])
    assert axes == ("correctness",) and front == [True, False]


def test_nothing_solved_costs_infinity():
    points = [RunPoint("A", 0.0, None, math.inf), RunPoint("B", 0.2, None, 3.0)]
    assert pareto_front(points) == ([False, True], ("correctness", "cost"))
    assert pareto_front([]) == ([], ("correctness",))


def summary(native, value, *, pass1=0.5, total=None, priced=None, of=2, solved=1,
            completion=None, counted=None):
    gen = {"of": of, "models": ["m"], "solved_tasks": solved,
           "cost_usd": {"total": total, "priced": priced, "per_solved_task": None},
           "tokens": {"completion": completion},
           "totals": {"completion_tokens": {"sum": completion, "samples": counted}}
           if counted else {}}
    return {"benchmark": {"name": "b", "native_metric": native}, "meter": {"name": "valgrind"},
            "scores": {"pass@1": {"value": pass1}, native: {"value": value}},
            "generation": gen}


def test_overview_turns_a_lower_is_better_native_metric_round():
    # EffiBench's NET: lower is better; the NET 0.5 run has the better code
    view = overview([summary("NET", 2.0), summary("NET", 0.5)], ["slow", "fast"], [])
    assert view["efficiency_metric"] == "NET"
    assert [r["on_front"] for r in view["runs"]] == [False, True]
    assert [r["efficiency"] for r in view["runs"]] == [2.0, 0.5]  # shown as reported


def test_overview_cost_axis_needs_every_sample_priced():
    partly = [summary("eff@1", 0.5, total=0.01, priced=1), summary("eff@1", 0.5, total=1.0,
                                                                    priced=2)]
    view = overview(partly, ["a", "b"], [])
    assert view["cost_axis"] is None and view["axes"] == ["correctness", "efficiency"]
    fully = [summary("eff@1", 0.5, total=0.5, priced=2, solved=0),
             summary("eff@1", 0.4, total=1.0, priced=2, solved=2)]
    view = overview(fully, ["a", "b"], [])
    assert view["cost_axis"] == "$ per solved task"
    assert [r["cost"] for r in view["runs"]] == [math.inf, 0.5]
    # a: better code, solves nothing; b: cheaper per solve, worse code: both on the front
    assert [r["on_front"] for r in view["runs"]] == [True, True]
    tokens = [summary("eff@1", 0.5, completion=100, counted=2, solved=2),
              summary("eff@1", 0.5, completion=300, counted=2, solved=2)]
    view = overview(tokens, ["a", "b"], [])
    assert view["cost_axis"] == "completion tokens per solved task"
    assert [r["cost"] for r in view["runs"]] == [50.0, 150.0]
    assert [r["on_front"] for r in view["runs"]] == [True, False]
