"""Every reference solution of a benchmark against its own tests: a benchmark whose
references fail cannot judge anyone else's code on those tasks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from perfjudge.benchmarks import get_benchmark
from perfjudge.engine.sandbox import Limits
from perfjudge.executors import CheckRequest, Executor, LocalPoolExecutor
from perfjudge.records import CheckResult, Task


def _reference_row(task: Task, name: str, result: CheckResult) -> tuple[str, str, str, str]:
    detail = result.detail
    if result.failure is not None:
        detail += f" (test {result.failure.index}: input {result.failure.input_repr[:120]}"
        if result.failure.expected_repr is not None:
            detail += f", expected {result.failure.expected_repr[:80]}, got {result.failure.output_repr[:80]}"
        detail += ")"
    return task.task_id, name, result.verdict, detail


def validate_references(benchmark: str, data_dir: Path | None = None, workers: int | None = None,
                        limit: int | None = None,
                        progress: Callable[[str, int, int], None] | None = None,
                        executor: Executor | None = None) -> list[tuple[str, str, str, str]]:
    """Run every reference solution of a benchmark against its own correctness tests.

    Returns (task_id, reference, verdict, detail) for each; a benchmark whose references do
    not pass cannot judge anyone else's code on those tasks."""
    tasks = get_benchmark(benchmark).load(data_dir)[:limit]
    requests = [CheckRequest(task, ref.code, tag=ref.name) for task in tasks
                for ref in task.references]
    out: list[tuple[str, str, str, str]] = []
    own = executor is None
    executor = executor or LocalPoolExecutor(workers, Limits())
    try:
        for done, (request, result) in enumerate(executor.check(requests), 1):
            out.append(_reference_row(request.task, request.tag, result))
            if progress:
                progress(f"checking {benchmark} references", done, len(requests))
    finally:
        if own:
            executor.close()
    return sorted(out)
