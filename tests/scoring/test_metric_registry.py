"""The metric registry is the one table of metric facts, and it claims only what is wired:
`evaluate` computes exactly the metrics marked wired, each backed by real functions."""

from __future__ import annotations

import pytest

from perfjudge.errors import UnknownName
from perfjudge.scoring import Outcome, TaskSetup, aggregate, metrics, score_task


def _rich_task(task_id: str, sample_cost: float) -> object:
    refs = [Outcome(task_id, "passed", 300.0, (100.0, 200.0), "c", "canonical", 0),
            Outcome(task_id, "passed", 60.0, (20.0, 40.0), "m", "mid", 1),
            Outcome(task_id, "passed", 9.0, (3.0, 6.0), "f", "fast", 2)]
    samples = [Outcome(task_id, "passed", sample_cost, (sample_cost / 3, 2 * sample_cost / 3),
                       "s"), Outcome(task_id, "wrong_answer", None, (), "w")]
    return score_task(TaskSetup(task_id), samples, refs)


def test_evaluate_computes_exactly_the_wired_metrics():
    tasks = [_rich_task("a", 60.0), _rich_task("b", 150.0)]
    computed = set(aggregate(tasks, n_resamples=50))
    assert computed == {m.name for m in metrics.METRICS.values() if m.wired}


def test_every_entry_names_real_functions_a_citation_and_a_direction():
    for m in metrics.METRICS.values():
        for function in m.computed_by.replace("(its inverse)", "").split(","):
            assert callable(getattr(metrics, function.strip())), (m.name, function)
        assert any(ch.isdigit() for ch in m.citation), m.name
        assert m.aggregate in ("mean", "geomean", "ratio_of_totals")
    assert not metrics.higher_is_better("NET") and not metrics.higher_is_better("NET_total")
    assert metrics.higher_is_better("eff@1") and metrics.METRICS["speedup"].aggregate == "geomean"


def test_the_summary_describes_scores_from_the_registry():
    scores = aggregate([_rich_task("a", 60.0), _rich_task("b", 150.0)], n_resamples=50)
    assert scores["eff@1"].citation == metrics.METRICS["eff@1"].citation
    # speedup aggregates geometrically: canonical 300 over 60 and over 150 -> sqrt(5 x 2)
    assert scores["speedup"].value == pytest.approx((5.0 * 2.0) ** 0.5)
    # NET_total is the ratio of totals: (60 + 150) / (300 + 300)
    assert scores["NET_total"].value == pytest.approx(210 / 600)


def test_an_unknown_metric_names_the_closest():
    with pytest.raises(UnknownName, match="did you mean 'eff@k' or 'eff@1'"):
        metrics.metric("eff@2")
