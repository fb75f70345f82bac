"""What an executor is given and what it must do; see the package docstring."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from perfjudge.records.result import CheckResult
from perfjudge.records.task import Reference, Task


@dataclass(frozen=True)
class CheckRequest:
    """Judge ``code`` on ``task``; measure it with ``meter`` (None: correctness only),
    beside ``paired_with`` for time meters. ``tag`` is the caller's name for the request:
    results are matched back by it, so an executor may return copies (a remote one does)."""

    task: Task
    code: str
    meter: str | None = None
    paired_with: Reference | None = None
    tag: str = ""


class Executor(Protocol):
    workers: int

    def ready(self, meter: str) -> None:
        """Raise `perfjudge.errors.Unavailable` if no check with ``meter`` can work here, so
        that a run stops before judging anything instead of failing every sample alike."""

    def prepare(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, str | None]]:
        """Each task with None, or why its expected outputs or inputs could not be made."""

    def check(self, requests: Sequence[CheckRequest]
              ) -> Iterator[tuple[CheckRequest, CheckResult]]:
        """Each request with its result, as they finish. A failure of the executor itself
        (a worker that died) is a ``sandbox_error`` result, never an exception, so every
        other result is kept."""

    def close(self) -> None: ...


def worker_failed(request: CheckRequest, exc: BaseException) -> CheckResult:
    """The result of a request whose executor failed (never the sample's fault)."""
    return CheckResult(request.task.task_id, "sandbox_error",
                       detail=f"worker failed: {type(exc).__name__}: {exc}")
