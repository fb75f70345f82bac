"""The builtin benchmark: well-formed tasks, references that agree, levels that are ordered,
and demo samples that show every kind of verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.benchmarks.builtin import source_sha256
from perfjudge.benchmarks.builtin.calibrate import measure_all, valgrind_available
from perfjudge.records.task import Task

SAMPLES = Path(__file__).resolve().parents[2] / "src/perfjudge/examples/builtin_samples.jsonl"
TASKS: list[Task] = get_benchmark("builtin").load()
BY_ID = {task.task_id: task for task in TASKS}
MIN_LEVEL_RATIO = 1.5


def _samples() -> list[dict]:
    return [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]


def _slow_if(condition: bool) -> list:
    return [pytest.mark.slow] if condition else []


def test_registered_offline_with_speedup_metric():
    bench = get_benchmark("builtin")
    assert (bench.name, bench.version, bench.files, bench.native_metric) == (
        "builtin", "1.0", (), "speedup")


def test_at_least_25_well_formed_function_tasks():
    assert len(TASKS) >= 25
    assert len(BY_ID) == len(TASKS), "task ids must be unique"
    assert len({task.metadata["family"] for task in TASKS}) >= 6
    for task in TASKS:
        assert task.task_id.startswith("builtin/") and task.kind == "function"
        assert f"def {task.entry_point}(" in task.prompt and '"""' in task.prompt
        assert len(task.tests) >= 8 and all(t.has_expected for t in task.tests)
        assert 2 <= len(task.performance_tests) <= 4
        assert len(task.references) >= 3
        levels = [ref.level for ref in task.references]
        assert levels == sorted(range(len(levels)), reverse=True), "fastest (canonical) first"
        assert all(f"def {task.entry_point}(" in ref.code for ref in task.references)
        assert task.provenance is not None and task.provenance.benchmark == "builtin"
        assert task.provenance.sha256 == source_sha256() and len(source_sha256()) == 64


def test_loading_is_deterministic():
    again = get_benchmark("builtin").load()
    for first, second in zip(TASKS, again):
        assert first.fingerprint() == second.fingerprint()
        inputs = [t.input for t in first.performance_tests]
        assert inputs == [t.input for t in second.performance_tests]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task_id)
def test_inputs_are_small_plain_data(task: Task):
    """JSON round-trips unchanged (no tuples, no non-str keys) and stays under ~1 MB."""
    for test in (*task.tests, *task.performance_tests):
        assert json.loads(json.dumps(test.input)) == test.input
    for test in task.tests:
        assert json.loads(json.dumps(test.expected)) == test.expected
    assert len(json.dumps([t.input for t in task.performance_tests])) < 1_000_000


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task_id)
def test_every_reference_passes_in_the_sandbox_engine(task: Task):
    from perfjudge.engine.judge import check_solution

    for ref in task.references:
        result = check_solution(task, ref.code)
        assert result.verdict == "passed", (ref.name, result.detail)


def test_samples_cover_every_verdict_kind():
    samples = _samples()
    assert 12 <= len({s["task_id"] for s in samples}) <= 15
    assert all(s["task_id"] in BY_ID for s in samples)
    kinds = {s["note"].split(":")[0] for s in samples}
    assert kinds == {"passed", "wrong_answer", "runtime_error", "timeout"}
    notes = " ".join(s["note"] for s in samples if s["note"].startswith("passed"))
    assert "fast" in notes and "slow" in notes


@pytest.mark.parametrize(
    "sample",
    [
        pytest.param(s, id=s["task_id"], marks=_slow_if(s["note"].startswith("timeout")))
        for s in _samples()
    ],
)
def test_sample_gets_the_verdict_its_note_announces(sample: dict):
    from perfjudge.engine.judge import check_solution

    result = check_solution(BY_ID[sample["task_id"]], sample["solution"])
    assert result.verdict == sample["note"].split(":")[0], result.detail


@pytest.mark.slow
@pytest.mark.xdist_group("heavy")  # not beside the Ray cluster's tests (see their module)
def test_reference_levels_are_ordered_by_instruction_count():
    """Each level costs >= 1.5x the next faster one under the engine's valgrind meter,
    instructions summed over the performance tests (deterministic, so a fixed margin is
    safe); every reference also agrees with the canonical one on the performance inputs."""
    assert valgrind_available(), "the valgrind meter is needed (scripts/setup.sh installs it)"
    problems = []
    for costs in measure_all(TASKS):
        task = BY_ID[costs.task_id]
        problems += costs.problems
        for ratio, level in zip(costs.adjacent_ratios(), range(len(costs.levels))):
            if ratio < MIN_LEVEL_RATIO:
                problems.append(f"{task.task_id}: level {level} / level {level + 1} = {ratio:.2f}")
    assert not problems, "\n".join(problems)
