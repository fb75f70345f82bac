"""Generation cost in the reports: the run page's cost section, the comparison's cost table,
and the overview of several runs with their Pareto front, rendered in a real headless
Chromium. The runs are judged by the scripted executor on costs chosen by hand (the same
pages from real sandboxed runs are in test_report_html.py; real generation in
tests/generate)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_report_html import Page, assert_offline, browser  # noqa: F401 (fixture)

from perfjudge.benchmarks import get_benchmark
from perfjudge.executors import CheckRequest, ScriptedExecutor
from perfjudge.pipeline import EvaluateOptions, evaluate, load_run
from perfjudge.pipeline.runs import compare_runs
from perfjudge.records.result import CheckResult, Measurement
from perfjudge.report.html import (
    runs_overview,
    write_compare_html,
    write_overview_html,
    write_run_html,
)

TASKS = get_benchmark("builtin").load()[:2]


def judge(request: CheckRequest) -> CheckResult:
    """References cost 1e8 x 10^(2 - level) per test; samples 1e8 (fast) or 1e9 (slow)."""
    code = request.code
    if "# wrong" in code:
        return CheckResult(request.task.task_id, "wrong_answer", detail="test 0")
    ref = next((r for r in request.task.references if r.code == code), None)
    cost = 1e8 * 10 ** (2 - ref.level) if ref else (1e9 if "# slow" in code else 1e8)
    ms = [Measurement("valgrind", "instructions", cost, 1, 0.0, 0.0, (cost,), i, level="perf")
          for i in range(2)]
    return CheckResult(request.task.task_id, "passed", measurements=ms, total_cost=2 * cost,
                       meter="valgrind", unit="instructions")


# model -> (marker of each of its two samples per task, $ per sample)
MODELS = {"model-a": (("fast", "fast"), 0.02),   # all correct, fast code, dearest
          "model-b": (("fast", "wrong"), 0.01),  # half correct, fast code, cheapest
          "model-c": (("slow", "wrong"), 0.03)}  # as correct as b, slower code, dearer


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gen-report")
    out = {}
    for model, (markers, usd) in MODELS.items():
        path = tmp / f"{model}.jsonl"
        lines = []
        for task in TASKS:
            for k, marker in enumerate(markers):
                lines.append({"task_id": task.task_id, "sample_index": k, "model": model,
                              "solution": task.canonical.code + f"\n# {marker}\n",
                              "backend": "openai", "prompt_tokens": 100,
                              "completion_tokens": 50 + k, "ttft_s": 0.1 * (k + 1),
                              "latency_s": 1.0 + k, "finish_reason": "stop",
                              "cost_usd": usd})
        path.write_text("".join(json.dumps(x) + "\n" for x in lines))
        evaluate(EvaluateOptions(benchmark="builtin", samples=path, meter="valgrind",
                                 tasks=tuple(t.task_id for t in TASKS),
                                 output=tmp / model, store=tmp / "s.db",
                                 executor=ScriptedExecutor(judge)))
        out[model] = tmp / model
    out["tmp"] = tmp
    return out


def test_summary_carries_cost_per_solved_task(runs):
    gen = load_run(runs["model-b"])["generation"]
    # 4 samples at $0.01; 2 correct (the fast ones), both tasks solved
    assert gen["cost_usd"]["total"] == pytest.approx(0.04)
    assert gen["cost_usd"]["per_correct_sample"] == pytest.approx(0.02)
    assert gen["cost_usd"]["per_solved_task"] == pytest.approx(0.02)
    assert gen["tokens"] == {"prompt": 400, "completion": 202, "reasoning": None}
    assert gen["models"] == ["model-b"] and gen["solved_tasks"] == 2


def test_overview_marks_the_pareto_front(runs):
    view = runs_overview([runs["model-a"], runs["model-b"], runs["model-c"]])
    rows = {r["label"].split(" ")[0]: r for r in view["runs"]}
    assert view["cost_axis"] == "$ per solved task"
    assert view["axes"] == ["correctness", "efficiency", "cost"]
    assert view["efficiency_metric"] == "speedup"
    # a: pass@1 1, $0.08 / 2 solved; b: 0.5, $0.04 / 2; c: 0.5, slower, $0.12 / 2
    assert rows["model-a"]["cost"] == pytest.approx(0.04)
    assert rows["model-b"]["cost"] == pytest.approx(0.02)
    assert rows["model-c"]["cost"] == pytest.approx(0.06)
    assert rows["model-a"]["efficiency"] > rows["model-c"]["efficiency"]
    assert [rows[m]["on_front"] for m in MODELS] == [True, True, False]


def test_compare_compares_generation_cost(runs):
    result = compare_runs(runs["model-a"], runs["model-b"])
    by = {row["figure"]: row for row in result["generation"]}
    assert by["$ per solved task"]["ratio"] == pytest.approx(0.5)  # b spends half per solve
    assert by["$ total"]["a"] == pytest.approx(0.08)


def test_pages_render_in_a_real_browser(runs, browser):  # noqa: F811
    tmp = runs["tmp"]
    overview = write_overview_html([runs[m] for m in MODELS], tmp / "overview.html")
    assert_offline(overview)
    page = Page(browser, overview)
    assert page.errors == [] and page.external == []
    on_front = page.page.eval_on_selector_all(
        "#overview-table tbody tr", "rows => rows.map(r => r.dataset.onFront)")
    assert on_front == ["true", "true", "false"]
    assert page.count("#fig-frontier .scatterlayer .point") == 3
    assert page.text("front-axes") == "correctness, efficiency, cost"

    run_page = Page(browser, write_run_html(runs["model-b"], tmp / "run.html"))
    assert run_page.errors == []
    assert float(run_page.page.get_attribute("#gen-usd-per-solved", "data-value")) == \
        pytest.approx(0.02)
    assert run_page.text("gen-completion-tokens") == "202"

    compare = Page(browser, write_compare_html(runs["model-a"], runs["model-b"],
                                               tmp / "compare.html"))
    assert compare.errors == []
    ratio = compare.page.get_attribute('#generation-table tr[data-figure="$ per solved task"] '
                                       'td[data-value]', "data-value")
    assert float(ratio) == pytest.approx(0.5)


def test_report_cli_prints_the_overview(runs):
    done = subprocess.run([sys.executable, "-m", "perfjudge.cli", "report",
                           *(str(runs[m]) for m in MODELS), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert [r["on_front"] for r in view["runs"]] == [True, True, False]
    table = subprocess.run([sys.executable, "-m", "perfjudge.cli", "report",
                            *(str(runs[m]) for m in MODELS)],
                           capture_output=True, text=True, timeout=120)
    assert table.returncode == 0, table.stderr
    assert "$ / solved task" in table.stdout
    rows = [line for line in table.stdout.splitlines() if "model-" in line]
    assert [("yes" in row) for row in rows] == [True, True, False]
