"""The `perfjudge` command as a user and a script see it: real subprocesses, real data."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from perfjudge.records.result import VERDICTS


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfjudge.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def he0(data_dir: Path) -> dict:
    with gzip.open(data_dir / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz", "rt") as handle:
        return json.loads(handle.readline())


def test_check_json_passed_with_measurements(tmp_path, data_dir, he0):
    solution = tmp_path / "sol.py"
    solution.write_text(he0["prompt"] + he0["canonical_solution"])
    out = run("check", "-b", "humaneval+", "--data-dir", str(data_dir), "-t", "HumanEval/0",
              "-s", str(solution), "-m", "cpu_time", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["verdict"] == "passed" and result["meter"] == "cpu_time"
    assert len(result["measurements"]) == 10  # the 10 largest inputs (no performance tests)
    # HumanEval/0's calls take microseconds, about the resolution of a time meter on a
    # process per call: each figure is the call minus its do-nothing baseline, never negative.
    assert all(m["unit"] == "s" and m["repeats"] == 5 and m["value"] >= 0 and m["baseline"] > 0
               for m in result["measurements"])


def test_check_json_wrong_answer_names_the_failing_test(tmp_path, data_dir, he0):
    solution = tmp_path / "sol.py"
    solution.write_text(he0["prompt"] + "    return True\n")
    out = run("check", "-b", "humaneval+", "--data-dir", str(data_dir), "-t", "HumanEval/0",
              "-s", str(solution), "--json")
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["verdict"] == "wrong_answer" and result["verdict"] in VERDICTS
    assert result["failure"]["index"] == 1
    assert result["failure"]["input_repr"].startswith("[[1.0, 2.0, 3.9")
    assert result["failure"]["expected_repr"] == "False"


def test_check_runtime_error_carries_type_and_message(tmp_path, data_dir, he0):
    solution = tmp_path / "sol.py"
    solution.write_text(he0["prompt"] + "    raise KeyError('boom')\n")
    out = run("check", "-b", "humaneval+", "--data-dir", str(data_dir), "-t", "HumanEval/0",
              "-s", str(solution), "--json")
    result = json.loads(out.stdout)
    assert (out.returncode, result["verdict"]) == (1, "runtime_error")
    assert result["failure"]["error_type"] == "KeyError"
    assert "boom" in result["failure"]["error_message"]


def test_unknown_task_is_a_usage_error_with_suggestions(tmp_path, data_dir):
    solution = tmp_path / "sol.py"
    solution.write_text("pass\n")
    out = run("check", "-b", "humaneval+", "--data-dir", str(data_dir), "-t", "HumanEval/1000",
              "-s", str(solution))
    assert out.returncode == 2
    assert "unknown task 'HumanEval/1000'" in out.stderr and "did you mean" in out.stderr


def test_unknown_benchmark_lists_the_known_ones():
    out = run("benchmarks", "--json")
    names = {row["name"] for row in json.loads(out.stdout)}
    assert {"builtin", "humaneval", "humaneval+", "mbpp+", "enamel", "coffe-function",
            "coffe-file", "evalperf", "effibench", "mercury"} <= names
    bad = run("show", "nosuch", "x")
    assert bad.returncode == 2 and "unknown benchmark 'nosuch'" in bad.stderr


def test_meters_json_reports_what_works_here():
    out = run("meters", "--json")
    data = json.loads(out.stdout)
    assert set(data["meters"]) == {"valgrind", "instructions", "cpu_time", "wall_time",
                                   "peak_memory", "none"}
    assert data["meters"]["valgrind"]["available"] is True
    assert data["meters"]["valgrind"]["deterministic"] is True
    assert isinstance(data["meters"]["instructions"]["available"], bool)
    assert data["missing"] == []


def test_missing_data_offline_names_the_file_and_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFJUDGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # no route: stay offline
    out = subprocess.run([sys.executable, "-m", "perfjudge.cli", "show", "humaneval+",
                          "HumanEval/0", "--data-dir", str(tmp_path / "empty")],
                         capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ})
    assert out.returncode == 3, out.stderr
    assert "HumanEvalPlus-v0.1.10.jsonl.gz" in out.stderr
    assert "--data-dir" in out.stderr or "PERFJUDGE_DATA_DIR" in out.stderr


def test_show_prints_prompt_tests_and_references(data_dir):
    out = run("show", "builtin", "builtin/two_sum")
    assert out.returncode == 0
    assert "def two_sum(" in out.stdout and "reference" in out.stdout


def test_malformed_samples_file_is_reported_with_its_line(tmp_path, data_dir, he0):
    samples = tmp_path / "s.jsonl"
    good = json.dumps({"task_id": "HumanEval/0", "solution": he0["prompt"] + he0["canonical_solution"]})
    samples.write_text(good + "\n{not json\n" + json.dumps({"task_id": "HumanEval/99999",
                                                            "solution": "x"}) + "\n")
    out = run("evaluate", "-b", "humaneval+", "--data-dir", str(data_dir), "-s", str(samples),
              "-m", "cpu_time", "-t", "HumanEval/0", "-o", str(tmp_path / "out"),
              "--store", str(tmp_path / "s.db"))
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    kinds = {(i["kind"], i["line"]) for i in summary["issues"]}
    assert ("malformed", 2) in kinds and ("unknown_task", 3) in kinds
    assert summary["counts"]["verdicts"] == {"passed": 1}
    assert "malformed lines" in out.stdout


def test_meter_none_checks_without_measuring(tmp_path, data_dir, he0):
    solution = tmp_path / "s.py"
    solution.write_text(he0["prompt"] + he0["canonical_solution"])
    out = run("check", "-b", "humaneval+", "--data-dir", str(data_dir), "-t", "HumanEval/0",
              "-s", str(solution), "-m", "none", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["verdict"] == "passed" and result["measurements"] == []
    meters = json.loads(run("meters", "--json").stdout)["meters"]
    assert meters["none"]["available"] and meters["none"]["deterministic"]
