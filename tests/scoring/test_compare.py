"""`perfjudge compare` on two runs of the built-in example samples: the tasks that differ are
named, and the significance verdict follows the paired tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

from perfjudge.pipeline import EXAMPLES, EvaluateOptions, evaluate, load_run
from perfjudge.pipeline.runs import compare_runs


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("compare")
    common = dict(benchmark="builtin", meter="valgrind", store=tmp / "store.db", workers=2)
    evaluate(EvaluateOptions(output=tmp / "a", **common))
    evaluate(EvaluateOptions(samples=EXAMPLES / "builtin_samples_model_b.jsonl",
                             output=tmp / "b", **common))
    return tmp / "a", tmp / "b"


@pytest.mark.slow
def test_compare_names_differing_tasks_and_judges_significance(two_runs):
    a, b = two_runs
    result = compare_runs(a, b, metric="eff@1")
    sa = {t["task_id"]: t["scores"]["eff@1"] for t in load_run(a)["tasks"]}
    sb = {t["task_id"]: t["scores"]["eff@1"] for t in load_run(b)["tasks"]}
    expected = sorted(k for k in sa if sa[k] != sb[k])
    assert expected, "the two example sample sets must differ somewhere"
    assert sorted(r["task_id"] for r in result["differing"]) == expected
    for row in result["differing"]:
        assert row["better"] == ("A" if sa[row["task_id"]] > sb[row["task_id"]] else "B")
    diffs = [sa[k] - sb[k] for k in sorted(sa)]
    p = stats.wilcoxon(diffs).pvalue
    assert result["wilcoxon_p"] == pytest.approx(p)
    assert result["significant"] == (p < 0.05)


@pytest.mark.slow
def test_compare_cli_prints_tasks_and_verdict(two_runs, tmp_path):
    a, b = two_runs
    html = tmp_path / "compare.html"
    out = subprocess.run([sys.executable, "-m", "perfjudge.cli", "compare", str(a), str(b),
                          "--metric", "eff@1", "--html", str(html)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = compare_runs(a, b, metric="eff@1")
    for row in result["differing"]:
        assert row["task_id"] in out.stdout
    assert ("not significant" in out.stdout) == (not result["significant"])
    assert html.exists() and "fig-differences" in html.read_text()


@pytest.mark.slow
def test_counts_from_another_interpreter_are_refused(two_runs, tmp_path):
    """Instruction counts depend on the interpreter build: a run counted under another one
    is not set beside this one (the summary names the build it counted under)."""
    a, b = two_runs
    summary = load_run(b)
    runtime = summary["meter"]["runtime"]
    assert runtime["interpreter"].startswith("CPython 3.") and "sha256:" in runtime["interpreter"]
    assert "same sandbox interpreter build" in summary["meter"]["portability"]
    other = tmp_path / "other"
    other.mkdir()
    summary["meter"]["runtime"] = dict(runtime, interpreter="CPython 3.12.0 (python3.12 "
                                                            "sha256:000000000000)")
    (other / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ValueError, match="different interpreters"):
        compare_runs(a, other, metric="eff@1")
    # another CPU model alone does not change valgrind's counts: compared, no warning
    summary["meter"]["runtime"] = runtime
    summary["machine"] = "cpu=Some Other CPU; cores=64"
    (other / "summary.json").write_text(json.dumps(summary))
    assert compare_runs(a, other, metric="eff@1")["warnings"] == []


def test_pass_at_k_compares_across_meters_costs_do_not():
    from perfjudge.errors import IncomparableRuns
    from perfjudge.scoring.compare import compare_summaries

    def run(meter, values):
        return {"benchmark": {"name": "humaneval+", "native_metric": "pass@1"},
                "meter": {"name": meter, "deterministic": True, "runtime": {}},
                "machine": "m",
                "tasks": [{"task_id": f"T{i}", "scores": {"pass@1": v, "speedup": 1.0 + v}}
                          for i, v in enumerate(values)]}

    old, new = run("instructions", [1, 0, 1, 1]), run("none", [1, 1, 1, 1])
    result = compare_summaries(old, new, n_resamples=200)
    assert result["metric"] == "pass@1" and result["b_better"] == 1
    with pytest.raises(IncomparableRuns, match="different meters"):
        compare_summaries(old, new, metric="speedup", n_resamples=200)
