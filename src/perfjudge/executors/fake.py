"""The scripted executor: no sandbox, results from a function. The fast fake that lets
pipeline tests check caching, resume, scoring and outputs in milliseconds."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from perfjudge.executors.protocol import CheckRequest, program_failed, worker_failed
from perfjudge.records.program import ProgramRequest, ProgramResult
from perfjudge.records.result import CheckResult
from perfjudge.records.task import Task


class ScriptedExecutor:
    """No sandbox: ``judge(request)`` gives each result. Records every request it saw."""

    def __init__(self, judge: Callable[[CheckRequest], CheckResult],
                 prepare: Callable[[Task], str | None] | None = None,
                 program: Callable[[ProgramRequest], ProgramResult] | None = None):
        self.judge = judge
        self._prepare = prepare or (lambda task: None)
        self._program = program
        self.requests: list[CheckRequest] = []
        self.workers = 1

    def ready(self, meter: str) -> None:
        from perfjudge import meters

        meters.get_meter(meter)  # any known meter: nothing is measured

    def prepare(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, str | None]]:
        for task in tasks:
            yield task, self._prepare(task)

    def check(self, requests: Sequence[CheckRequest]
              ) -> Iterator[tuple[CheckRequest, CheckResult]]:
        for request in requests:
            self.requests.append(request)
            try:
                yield request, self.judge(request)
            except Exception as exc:
                yield request, worker_failed(request, exc)

    def run_programs(self, requests: Sequence[ProgramRequest]
                     ) -> Iterator[tuple[ProgramRequest, ProgramResult]]:
        for request in requests:
            try:
                if self._program is None:
                    raise RuntimeError("this scripted executor runs no programs")
                yield request, self._program(request)
            except Exception as exc:
                yield request, program_failed(request, exc)

    def close(self, wait: bool = True) -> None:
        pass
