"""What an executor is given and what it must do; see the package docstring."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from perfjudge.engine.sandbox import Limits
from perfjudge.records.program import ProgramRequest, ProgramResult
from perfjudge.records.result import CheckResult
from perfjudge.records.task import Reference, Task


@dataclass(frozen=True)
class CheckRequest:
    """Judge ``code`` on ``task``; measure it with ``meter`` (None: correctness only),
    beside ``paired_with`` for time meters, under ``limits`` (None: the executor's). ``tag``
    is the caller's name for the request: results are matched back by it, so an executor may
    return copies (a remote one does)."""

    task: Task
    code: str
    meter: str | None = None
    paired_with: Reference | None = None
    tag: str = ""
    limits: Limits | None = None


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

    def run_programs(self, requests: Sequence[ProgramRequest]
                     ) -> Iterator[tuple[ProgramRequest, ProgramResult]]:
        """Each program run (`perfjudge.engine.program`) with its result, as they finish; an
        executor failure is that request's ``sandbox_error``, as for `check`."""

    def close(self, wait: bool = True) -> None:
        """Release the workers; ``wait=False`` returns at once, leaving work in flight to
        end on its own (a run that failed before it judged anything)."""


def worker_failed(request: CheckRequest, exc: BaseException) -> CheckResult:
    """The result of a request whose executor failed (never the sample's fault)."""
    return CheckResult(request.task.task_id, "sandbox_error",
                       detail=f"worker failed: {type(exc).__name__}: {exc}")


def program_failed(request: ProgramRequest, exc: BaseException) -> ProgramResult:
    """The result of a program run whose executor failed (never the program's fault)."""
    return ProgramResult("sandbox_error", tag=request.tag,
                         detail=f"worker failed: {type(exc).__name__}: {exc}")
