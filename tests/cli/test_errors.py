"""The error tree: every deliberate error is a `PerfjudgeError` with the exit code the CLI
uses, keeps the builtin base callers caught before, and names what would be right."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from perfjudge import errors
from perfjudge.benchmarks import UnknownBenchmark, get_benchmark
from perfjudge.benchmarks.data import ChecksumMismatch, DataUnavailable
from perfjudge.engine.judge import EngineError
from perfjudge.engine.sandbox import SandboxUnavailable
from perfjudge.meters import MeterUnavailable, get_meter
from perfjudge.samples import SamplesError
from perfjudge.store import StoreError


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfjudge.cli", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("cls, code, builtin", [
    (UnknownBenchmark, 2, KeyError), (SamplesError, 2, ValueError),
    (ChecksumMismatch, 2, ValueError), (errors.InputNotFound, 2, FileNotFoundError),
    (errors.IncomparableRuns, 2, ValueError), (DataUnavailable, 3, RuntimeError),
    (MeterUnavailable, 3, RuntimeError), (SandboxUnavailable, 3, RuntimeError),
    (EngineError, 3, RuntimeError), (StoreError, 3, RuntimeError),
])
def test_each_error_has_its_exit_code_and_its_old_base(cls, code, builtin):
    assert issubclass(cls, errors.PerfjudgeError) and issubclass(cls, builtin)
    assert cls.exit_code == code


def test_unknown_name_suggests_the_closest_and_lists_few_names():
    message = errors.unknown_name_message("meter", "valgrnd",
                                          ["cpu_time", "valgrind", "wall_time"])
    assert message == ("unknown meter 'valgrnd'; did you mean 'valgrind'? "
                       "Known: cpu_time, valgrind, wall_time.")
    many = [f"HumanEval/{i}" for i in range(164)]
    long = errors.unknown_name_message("task", "HumanEval/1000", many, where="humaneval+")
    assert long.startswith("unknown task 'HumanEval/1000' in humaneval+; did you mean ")
    assert "Known:" not in long  # 164 names would bury the answer
    assert "did you mean" not in errors.unknown_name_message("task", "zzz", many)


def test_unknown_benchmark_and_meter_are_key_errors_with_prose():
    with pytest.raises(KeyError) as bench:
        get_benchmark("humanevl")
    assert str(bench.value).startswith("unknown benchmark 'humanevl'; did you mean 'humaneval'")
    with pytest.raises(errors.UnknownName) as meter:
        get_meter("cpu-time")
    assert "did you mean 'cpu_time'?" in str(meter.value)
    assert meter.value.kind == "meter" and "valgrind" in meter.value.known


def test_cli_unknown_benchmark_names_the_closest_one():
    out = run("evaluate", "-b", "humanevl")
    assert out.returncode == 2
    assert "unknown benchmark 'humanevl'; did you mean 'humaneval'" in out.stderr
    assert "perfjudge benchmarks" in out.stderr


def test_cli_unknown_meter_and_task_name_the_closest_ones(tmp_path):
    out = run("evaluate", "-m", "valgrnd", "-o", str(tmp_path / "o"),
              "--store", str(tmp_path / "s.db"))
    assert out.returncode == 2 and "did you mean 'valgrind'?" in out.stderr
    out = run("evaluate", "-t", "builtin/two_sun", "-o", str(tmp_path / "o"),
              "--store", str(tmp_path / "s.db"))
    assert out.returncode == 2
    assert "unknown task 'builtin/two_sun' in builtin; did you mean 'builtin/two_sum'" in out.stderr


def test_cli_missing_files_and_bad_runs_are_usage_errors(tmp_path, data_dir):
    out = run("report", str(tmp_path / "nowhere"))
    assert out.returncode == 2 and "no run summary at" in out.stderr
    (tmp_path / "bad.json").write_text("[1, 2")
    out = run("report", str(tmp_path / "bad.json"))
    assert out.returncode == 2 and "is not a perfjudge run summary" in out.stderr
    out = run("evaluate", "-b", "humaneval+", "--data-dir", str(data_dir))
    assert out.returncode == 2
    assert "no example samples ship for 'humaneval+' (only for builtin" in out.stderr
    assert "--samples FILE" in out.stderr


def test_cli_compare_unknown_metric(tmp_path):
    def summary(score: float) -> dict:
        return {"schema": "perfjudge.run/2",
                "meter": {"name": "valgrind", "deterministic": True,
                          "runtime": {"interpreter": "python 3.11.2"}},
                "machine": "m", "benchmark": {"native_metric": "speedup"},
                "tasks": [{"task_id": f"t{i}", "scores": {"speedup": score + i}}
                          for i in range(3)]}
    for name, score in (("a", 1.0), ("b", 2.0)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps(summary(score)))
    out = run("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--metric", "speedupp")
    assert out.returncode == 2
    assert "unknown metric 'speedupp'" in out.stderr and "did you mean 'speedup'?" in out.stderr


def test_errors_survive_a_trip_through_a_worker_process():
    import pickle

    from perfjudge.records import SampleIssue

    unknown = pickle.loads(pickle.dumps(errors.UnknownName("language", "pyhton", ["python"])))
    assert isinstance(unknown, KeyError) and unknown.kind == "language"
    assert str(unknown) == "unknown language 'pyhton'; did you mean 'python'? Known: python."
    samples = pickle.loads(pickle.dumps(SamplesError([SampleIssue("f", 2, None, "bad", "x")])))
    assert samples.issues[0].line == 2 and "1 problem(s) in samples" in str(samples)
    bench = pickle.loads(pickle.dumps(UnknownBenchmark("humanevl")))
    assert str(bench) == str(UnknownBenchmark("humanevl"))


def test_a_malformed_json_samples_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "s.json"
    bad.write_text("{not json")
    out = run("evaluate", "-s", str(bad), "-o", str(tmp_path / "o"), "--store",
              str(tmp_path / "s.db"))
    assert out.returncode == 2 and "not a JSON samples file" in out.stderr
