"""Generation cost summaries, every figure computed by hand."""

from __future__ import annotations

import pytest

from perfjudge.scoring.generation import (
    distribution,
    generation_summary,
    generation_totals,
    per_task_generation,
)


def record(task, verdict, prompt, completion, cost, ttft, latency, finish="stop"):
    return {"task_id": task, "verdict": verdict, "model": "m",
            "generation": {"prompt_tokens": prompt, "completion_tokens": completion,
                           "cost_usd": cost, "ttft_s": ttft, "latency_s": latency,
                           "finish_reason": finish}}


RECORDS = [
    record("A", "passed", 100, 10, 0.010, 0.1, 1.0),
    record("A", "wrong_answer", 100, 20, 0.020, 0.2, 2.0, "length"),
    record("B", "passed", 50, 30, 0.030, 0.3, 3.0),
    record("C", "timeout", 50, 40, 0.040, 0.4, 4.0),
]


def test_distribution_is_numpy_linear_percentiles():
    # values 1..4: median (2+3)/2 = 2.5; p90 at rank 0.9*3 = 2.7 -> 3 + 0.7*(4-3) = 3.7
    assert distribution([4.0, 1.0, 3.0, 2.0]) == {"median": 2.5, "p90": pytest.approx(3.7),
                                                  "n": 4}
    assert distribution([]) == {"median": None, "p90": None, "n": 0}


def test_summary_tokens_times_and_dollars_per_solved():
    s = generation_summary(RECORDS)
    assert s["samples"] == 4 and s["of"] == 4 and s["models"] == ["m"]
    assert s["tokens"] == {"prompt": 300, "completion": 100, "reasoning": None}
    assert s["latency_s"]["median"] == 2.5 and s["ttft_s"]["p90"] == pytest.approx(0.37)
    assert s["finish_reasons"] == {"stop": 3, "length": 1}
    assert s["correct_samples"] == 2 and s["solved_tasks"] == 2
    # total 0.10; 2 correct samples -> 0.05 each; 2 solved tasks (A, B) -> 0.05 each
    assert s["cost_usd"]["total"] == pytest.approx(0.10)
    assert s["cost_usd"]["per_correct_sample"] == pytest.approx(0.05)
    assert s["cost_usd"]["per_solved_task"] == pytest.approx(0.05)


def test_per_solved_task_differs_from_per_correct_sample():
    records = RECORDS + [record("A", "passed", 100, 10, 0.10, 0.1, 1.0)]
    cost = generation_summary(records)["cost_usd"]
    # total 0.20; correct samples 3 -> 0.0667; solved tasks still 2 (A, B) -> 0.10
    assert cost["per_correct_sample"] == pytest.approx(0.2 / 3)
    assert cost["per_solved_task"] == pytest.approx(0.10)


def test_partly_priced_runs_give_no_per_solved_figure():
    records = RECORDS[:3] + [record("C", "timeout", 50, 40, None, 0.4, 4.0)]
    cost = generation_summary(records)["cost_usd"]
    assert cost["total"] == pytest.approx(0.06) and cost["priced"] == 3
    assert cost["per_correct_sample"] is None and cost["per_solved_task"] is None


def test_old_usage_objects_and_samples_lines_are_read():
    lines = [{"task_id": "A", "usage": {"prompt_tokens": 7, "completion_tokens": 3}},
             {"task_id": "A", "prompt_tokens": 1, "completion_tokens": 2, "sample_index": 1}]
    s = generation_summary(lines)
    assert s["tokens"]["prompt"] == 8 and s["tokens"]["completion"] == 5
    assert "correct_samples" not in s  # no verdicts: nothing solved or not
    assert generation_totals(lines)["totals"]["prompt_tokens"] == {"sum": 8, "samples": 2}
    assert generation_summary([{"task_id": "A", "generation": {}}]) == {}


def test_per_task_figures():
    per = per_task_generation(RECORDS)
    assert per["A"] == {"samples": 2, "prompt_tokens": 200, "completion_tokens": 30,
                        "cost_usd": pytest.approx(0.03), "ttft_s": pytest.approx(0.15),
                        "latency_s": 1.5}
    assert set(per) == {"A", "B", "C"}
