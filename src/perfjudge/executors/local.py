"""Executors on this machine: a pool of spawned worker processes, or the engine in this
process. Both run the real sandbox for every check."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from perfjudge.engine.sandbox import Limits
from perfjudge.executors.protocol import CheckRequest, program_failed, worker_failed
from perfjudge.records.program import ProgramRequest, ProgramResult
from perfjudge.records.result import CheckResult
from perfjudge.records.task import Task

_WORKER_ENGINE: Any = None


def _die_with_parent() -> None:
    """A worker must not outlive a killed evaluate (it would keep judging for nobody). It
    watches the parent *process*'s sentinel pipe: PR_SET_PDEATHSIG, used before, fires when
    the *thread* that spawned the worker ends, and workers spawned from a short-lived thread
    (a service's request, the background readiness check) were killed with it."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="perfjudge-parent-watch", daemon=True).start()


def _skip_teardown() -> None:
    """The last exit handler of a worker: its slots are closed and its results sent by
    then, and what is left is freeing every object it holds (a HumanEval+ run's expected
    outputs are millions), which took the pool 0.6 s to shut down."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(0)


def _init_worker(limits: Limits, cpus: Any, store: Path | None) -> None:
    import atexit

    from perfjudge.engine.judge import Engine
    from perfjudge.store import Store

    global _WORKER_ENGINE
    _die_with_parent()
    # registered now, it runs after the handlers registered later (the slots' close) and
    # skips those registered earlier (logging's; none of perfjudge's)
    atexit.register(_skip_teardown)
    cpu = None
    if cpus is not None:
        try:
            cpu = cpus.get_nowait()
        except Exception:
            cpu = None
    _WORKER_ENGINE = Engine(limits=limits, cpu=cpu, cache=Store(store))


def _warm_up() -> None:
    """A worker's first job (its initializer imported the engine): probe the sandbox, while
    the parent still loads the benchmark."""
    from perfjudge.engine import sandbox

    sandbox.probe()


def _engine() -> Any:
    from perfjudge.engine.judge import Engine

    return _WORKER_ENGINE or Engine()


def prepare_task(task: Task, engine: Any = None) -> str | None:
    """Expected outputs and generated inputs, computed once per task before the samples."""
    from perfjudge.engine.judge import EngineError

    engine = engine or _engine()
    try:
        engine.prepare(task)
    except EngineError as exc:
        return str(exc)
    return None


def run_check(request: CheckRequest, engine: Any = None) -> dict[str, Any]:
    from perfjudge.engine.judge import check_solution

    return check_solution(request.task, request.code, meter=request.meter,
                          engine=engine or _engine(), limits=request.limits,
                          paired_with=request.paired_with).to_dict()


def run_program(request: ProgramRequest, engine: Any = None) -> dict[str, Any]:
    from perfjudge.engine.program import run_program as run

    return run(request, engine or _engine()).to_dict()


def run_checks(requests: Sequence[CheckRequest]) -> list[dict[str, Any]]:
    """A chunk of requests in one worker round trip (each its own result or failure)."""
    out = []
    for request in requests:
        try:
            out.append(run_check(request))
        except Exception as exc:
            out.append(worker_failed(request, exc).to_dict())
    return out


MAX_CHUNK = 8


def chunks(requests: Sequence[CheckRequest], workers: int) -> list[list[CheckRequest]]:
    """Requests in chunks for the pool: a check through a warm slot takes ~5 ms, about what
    one pool round trip costs, so up to `MAX_CHUNK` consecutive requests *of one task* go
    together (samples of one task cost alike; tasks do not, and a chunk of heavy ones would
    leave the other workers idle at the end), fewer when there are few (every worker keeps
    at least four chunks to take). Measured checks (a meter) go one by one: they take tens of
    milliseconds or seconds, and seven valgrind checks of one task in one chunk made the
    built-in default run about a third slower (`perf/default_run.py`: 54.6 s against 41.4 s)."""
    size = max(1, min(MAX_CHUNK, len(requests) // (4 * max(1, workers))))
    out: list[list[CheckRequest]] = []
    for request in requests:
        last = out[-1] if out else None
        if last and len(last) < size and last[0].task.task_id == request.task.task_id \
                and request.meter in (None, "none"):
            last.append(request)
        else:
            out.append([request])
    return out


def sandbox_ready(meter: str, limits: Limits) -> None:
    """The meter works on this machine and a trivial check passes in the sandbox."""
    from perfjudge import meters
    from perfjudge.engine import runner
    from perfjudge.engine.sandbox import SandboxUnavailable

    ok, why = meters.get_meter(meter).availability()
    if not ok:
        raise meters.MeterUnavailable(f"meter {meter!r} is not available here: {why} "
                                      "(`perfjudge meters` lists those that work)")
    problem = runner.preflight(limits, valgrind=meters.get_meter(meter).valgrind)
    if problem:
        raise SandboxUnavailable(f"the sandbox does not work here, so every check would fail "
                                 f"the same way: {problem}")


class LocalPoolExecutor:
    """``workers`` spawned processes. ``pin_cpus`` gives each its own core (time meters:
    two measurements must not share one), which caps the workers at the core count.
    Derived data goes to the results store at ``store`` (None: the default one).

    A worker that dies (killed by the kernel's OOM killer or an operator, never by a sample:
    the sandbox stops that) breaks the whole process pool and every request in flight in
    it. The pool is then replaced and each lost chunk runs again once (checks are pure
    functions of their request); a chunk lost a second time is ``sandbox_error``."""

    def __init__(self, workers: int | None = None, limits: Limits | None = None,
                 pin_cpus: bool = False, store: Path | None = None):
        self._ctx = multiprocessing.get_context("spawn")
        self._cores = os.cpu_count() or 1
        self.workers = workers or self._cores
        self._pin = pin_cpus
        if pin_cpus:
            self.workers = min(self.workers, self._cores)
        self.limits = limits or Limits()
        self._store = store
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        self.replaced = 0
        """How many times a broken pool was replaced."""

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        cpus = None
        if self._pin:
            cpus = self._ctx.Queue()
            for cpu in range(self._cores):
                cpus.put(cpu)
        return cf.ProcessPoolExecutor(self.workers, mp_context=self._ctx,
                                      initializer=_init_worker,
                                      initargs=(self.limits, cpus, self._store))

    def _submit(self, fn: Any, *args: Any) -> cf.Future:
        """``fn(*args)`` in the pool, replacing the pool first if a dead worker broke it."""
        pool = self._pool
        try:
            return pool.submit(fn, *args)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new_pool()
                    self.replaced += 1
                pool = self._pool
            return pool.submit(fn, *args)

    def ready(self, meter: str) -> None:
        """Also starts the workers, which import the engine and probe the sandbox meanwhile."""
        for _ in range(self.workers):
            self._submit(_warm_up)
        sandbox_ready(meter, self.limits)

    def prepare(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, str | None]]:
        """Tasks the store says are prepared are not sent to a worker at all (sending
        HumanEval+'s tasks costs the pool ~0.5 s)."""
        here = self._store_view()
        todo = []
        for task in tasks:
            if here.prepared(task):
                yield task, None
            else:
                todo.append(task)
        for task, outcome in self._run_all([(prepare_task, t) for t in todo]):
            if isinstance(outcome, BaseException):  # a worker died: this task's only
                yield task, f"worker failed: {type(outcome).__name__}: {outcome}"
            else:
                yield task, outcome

    def check(self, requests: Sequence[CheckRequest]
              ) -> Iterator[tuple[CheckRequest, CheckResult]]:
        work = [(run_checks, chunk)
                for chunk in chunks(self._heaviest_first(requests), self.workers)]
        for chunk, outcome in self._run_all(work):
            if isinstance(outcome, BaseException):  # a worker died: this chunk's only
                for request in chunk:
                    yield request, worker_failed(request, outcome)
                continue
            for request, result in zip(chunk, outcome):
                yield request, CheckResult.from_dict(result)

    def _store_view(self) -> Any:
        """An engine in this process over the workers' store: what they derived is read here
        (markers, reference seconds); it runs nothing."""
        from perfjudge.engine.judge import Engine
        from perfjudge.store import Store

        return Engine(limits=self.limits, cache=Store(self._store))

    def _heaviest_first(self, requests: Sequence[CheckRequest]) -> list[CheckRequest]:
        """The requests of the tasks whose references took longest first (longest
        processing time first; ties and unprepared tasks keep their order): HumanEval+ in
        task order started its 3.5 s task near the end, and one worker finished alone."""
        if len(requests) <= self.workers:
            return list(requests)
        here = self._store_view()
        seconds: dict[str, float] = {}
        for request in requests:
            key = request.task.fingerprint()
            if key not in seconds:
                seconds[key] = here.estimated_seconds(request.task) or 0.0
        return sorted(requests, key=lambda r: -seconds[r.task.fingerprint()])

    def run_programs(self, requests: Sequence[ProgramRequest]
                     ) -> Iterator[tuple[ProgramRequest, ProgramResult]]:
        for request, outcome in self._run_all([(run_program, r) for r in requests]):
            if isinstance(outcome, BaseException):
                yield request, program_failed(request, outcome)
            else:
                yield request, ProgramResult.from_dict(outcome)

    def _run_all(self, work: list[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
        """Each ``(fn, arg)``'s argument with ``fn(arg)`` or the exception that lost it, as
        they finish; what a broken pool lost runs once more in its replacement."""
        pending = {self._submit(fn, arg): (fn, arg, 0) for fn, arg in work}
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in done:
                fn, arg, tries = pending.pop(future)
                try:
                    yield arg, future.result()
                except BrokenProcessPool as exc:
                    if tries == 0:
                        pending[self._submit(fn, arg)] = (fn, arg, 1)
                    else:
                        yield arg, RuntimeError(f"its worker died twice ({exc})")
                except Exception as exc:
                    yield arg, exc

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> "LocalPoolExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcessExecutor:
    """The real engine in this process, one job after another."""

    def __init__(self, engine: Any = None):
        from perfjudge.engine.judge import Engine

        self.engine = engine or Engine()
        self.workers = 1

    def ready(self, meter: str) -> None:
        sandbox_ready(meter, self.engine.limits)

    def prepare(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, str | None]]:
        for task in tasks:
            yield task, prepare_task(task, self.engine)

    def check(self, requests: Sequence[CheckRequest]
              ) -> Iterator[tuple[CheckRequest, CheckResult]]:
        for request in requests:
            try:
                yield request, CheckResult.from_dict(run_check(request, self.engine))
            except Exception as exc:
                yield request, worker_failed(request, exc)

    def run_programs(self, requests: Sequence[ProgramRequest]
                     ) -> Iterator[tuple[ProgramRequest, ProgramResult]]:
        for request in requests:
            try:
                yield request, ProgramResult.from_dict(run_program(request, self.engine))
            except Exception as exc:
                yield request, program_failed(request, exc)

    def close(self, wait: bool = True) -> None:
        pass
