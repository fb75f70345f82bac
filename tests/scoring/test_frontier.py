"""The Pareto front of runs, checked on cases worked by hand."""

from __future__ import annotations

import math

from perfjudge.scoring.frontier import RunPoint, pareto_front


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
