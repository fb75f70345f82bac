"""The judging core of `perfjudge serve`, free of HTTP: one request in, one answer out.

A request names a benchmark task and carries code; the answer is the engine's verdict, the
per-test costs under a deterministic meter, the efficiency scores against the task's own
references (the benchmark's metric functions, as `evaluate` computes them), and a reward
(`perfjudge.scoring.rewards`). Every check goes through an `Executor` (warm sandboxes in
worker processes, or a Ray cluster) and is filed in the results store under the key
`evaluate` would give it, so an identical request, or one `evaluate` already judged, is
answered from the store without running anything.

Load is bounded: `Admission` counts checks waiting or running and refuses a request that
would pass ``max_queue`` (`Overloaded`: the HTTP layer answers 429 with Retry-After), and
no request waits longer than ``request_timeout_s`` for its verdict (`NotJudgedInTime`: 504;
the check itself runs on, still counted in the queue until it ends, and its result is
stored for the next identical request).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfjudge import meters, scoring
from perfjudge.benchmarks import Benchmark, get_benchmark
from perfjudge.engine.sandbox import Limits
from perfjudge.errors import PerfjudgeError, UnknownName, UsageError
from perfjudge.executors import CheckRequest, Executor
from perfjudge.pipeline.evaluation import check_key, runtime_identity
from perfjudge.records.program import ProgramRequest, ProgramResult
from perfjudge.records.result import CheckResult
from perfjudge.records.task import Task, sha256_text
from perfjudge.samples.readers import code_from_output, fenced_blocks, task_prompt
from perfjudge.scoring import rewards
from perfjudge.scoring.metrics import cluster_references, matching_level
from perfjudge.store import Store

SAMPLE_ID = "request"


class Overloaded(PerfjudgeError):
    """The queue is full; ``retry_after`` is the service's estimate in whole seconds."""

    def __init__(self, message: str, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)


class NotJudgedInTime(PerfjudgeError):
    """The request's verdict was not ready within the service's request timeout."""


@dataclass(frozen=True)
class JudgeInput:
    """One judge request, validated by the HTTP layer. ``code`` is a whole module;
    ``completion`` is appended to the task's prompt (fenced blocks are extracted), as the
    samples reader does."""

    benchmark: str
    task_id: str
    code: str | None = None
    completion: str | None = None
    meter: str | None = None
    timeout_s: float | None = None
    memory_mb: int | None = None
    reward: str = "pass"
    reward_cap: float = 1.0


class Admission:
    """Requests waiting or running, bounded by ``limit``; thread-safe and cheap."""

    def __init__(self, limit: int, workers: int):
        self.limit = max(1, limit)
        self.workers = max(1, workers)
        self.depth = 0
        self._lock = threading.Lock()
        self._mean_seconds = 0.05

    def enter(self, n: int = 1) -> None:
        with self._lock:
            if n > self.limit:
                raise UsageError(f"a batch of {n} requests is larger than the service's queue "
                                 f"of {self.limit}: send at most {self.limit} at once")
            if self.depth + n > self.limit:
                raise Overloaded(f"the queue is full ({self.depth} of {self.limit} requests "
                                 "waiting or running); retry later",
                                 self.retry_after_locked(n))
            self.depth += n

    def leave(self, n: int = 1, seconds: float | None = None) -> None:
        with self._lock:
            self.depth -= n
            if seconds is not None:
                self._mean_seconds += 0.05 * (seconds - self._mean_seconds)

    def retry_after_locked(self, n: int) -> int:
        """Seconds until the queue has likely drained enough for ``n`` more: the requests
        ahead times the recent mean time of one, over the workers; at least 1."""
        return max(1, math.ceil((self.depth + n - self.limit + 1) * self._mean_seconds
                                / self.workers))


class JudgeService:
    """Everything a request needs, created once per server process.

    ``limits`` are the service's (the most a request may ask for: a request may lower the
    per-test time and the memory limit, never raise them)."""

    def __init__(self, executor: Executor, store: Store, *, data_dir: Path | None = None,
                 limits: Limits | None = None, max_queue: int = 64,
                 request_timeout_s: float = 300.0):
        self.executor = executor
        self.store = store
        self.data_dir = data_dir
        self.limits = limits or Limits()
        self.request_timeout_s = request_timeout_s
        self.admission = Admission(max_queue, executor.workers)
        self._threads = cf.ThreadPoolExecutor(max_workers=max_queue + 16,
                                              thread_name_prefix="perfjudge-serve")
        self._benchmarks: dict[str, tuple[Benchmark, dict[str, Task]]] = {}
        self._load_lock = threading.Lock()
        self._ready: dict[str, str] = {}
        self._ready_lock = threading.Lock()
        self._inflight: dict[str, asyncio.Future] = {}
        self._references: dict[str, asyncio.Future] = {}
        self.counts = {"judged": 0, "cached": 0}

    # ------------------------------------------------------------------ set-up

    def benchmark(self, name: str) -> tuple[Benchmark, dict[str, Task]]:
        """The benchmark and its tasks by id, loaded once (blocking; first use only)."""
        with self._load_lock:
            if name not in self._benchmarks:
                bench = get_benchmark(name)
                self._benchmarks[name] = (bench, {t.task_id: t for t in bench.load(self.data_dir)})
            return self._benchmarks[name]

    def task(self, benchmark: str, task_id: str) -> tuple[Benchmark, Task]:
        bench, tasks = self.benchmark(benchmark)
        if task_id not in tasks:
            raise UnknownName("task", task_id, tasks, where=bench.name)
        return bench, tasks[task_id]

    def meter_for(self, bench: Benchmark, name: str | None) -> str:
        """The request's meter, checked once per meter to work here. Time meters are refused:
        on a service that judges many requests at once, time measures the load."""
        meter = name or meters.default_meter(bench.native_metric)
        self._ready_meter(meter)
        return meter

    def _ready_meter(self, meter: str) -> None:
        """Refuse a time meter; check once per meter that it works on the executor, and
        keep the runtime identity its store keys carry."""
        m = meters.get_meter(meter)
        if m.measures and not m.deterministic:
            raise UsageError(f"meter {meter!r} measures time, which on a shared service "
                             "measures its load: use a deterministic meter (valgrind, "
                             "instructions) or none")
        with self._ready_lock:
            if meter not in self._ready:
                self.executor.ready(meter)
                self._ready[meter] = "|".join(runtime_identity(meter).values())

    def limits_for(self, timeout_s: float | None, memory_mb: int | None) -> Limits:
        limits = self.limits
        if timeout_s is not None:
            if timeout_s > limits.test_seconds:
                raise UsageError(f"limits.timeout_s may be at most the service's "
                                 f"{limits.test_seconds:g} s per test")
            limits = dataclasses.replace(limits, test_seconds=float(timeout_s))
        if memory_mb is not None:
            if memory_mb << 20 > limits.memory_bytes:
                raise UsageError(f"limits.memory_mb may be at most the service's "
                                 f"{limits.memory_bytes >> 20} MiB")
            limits = dataclasses.replace(limits, memory_bytes=int(memory_mb) << 20)
        return limits

    # ------------------------------------------------------------------ judging

    async def judge(self, request: JudgeInput) -> dict[str, Any]:
        answer = (await self.judge_many([request]))[0]
        if isinstance(answer, PerfjudgeError):
            raise answer
        return answer

    async def judge_many(self, requests: list[JudgeInput]
                         ) -> list[dict[str, Any] | PerfjudgeError]:
        """Each request's answer in order, or the error of a request that is wrong in
        itself (unknown task, a meter that cannot work, limits over the service's). The
        requests that need a check are admitted or refused together (`Overloaded`)."""
        prepared, cached = await self._run(lambda: self._lookup(requests))
        todo = [i for i, hit in cached.items() if hit is None]
        results: dict[int, tuple[CheckResult, bool]] = {
            i: (hit, True) for i, hit in cached.items() if hit is not None}
        if todo:
            self.admission.enter(len(todo))
            started = time.perf_counter()
            # the queue is left when the checks end, not when the request stops waiting: a
            # timed-out check still holds a worker
            checks = asyncio.gather(*(self._check_once(prepared[i]) for i in todo))
            checks.add_done_callback(lambda _: self.admission.leave(
                len(todo), (time.perf_counter() - started) / len(todo)))
            try:
                checked = await asyncio.wait_for(asyncio.shield(checks), self.request_timeout_s)
            except asyncio.TimeoutError:
                raise NotJudgedInTime(
                    f"not judged within the service's {self.request_timeout_s:g} s; the "
                    "check goes on and an identical request will be answered from the "
                    "store") from None
            for i, result in zip(todo, checked):
                results[i] = (result, False)
        answers: list[dict[str, Any] | PerfjudgeError] = []
        for i, p in enumerate(prepared):
            if isinstance(p, PerfjudgeError):
                answers.append(p)
                continue
            result, was_cached = results[i]
            self.counts["cached" if was_cached else "judged"] += 1
            answers.append(await self._answer(p, result, was_cached))
        return answers

    def _lookup(self, requests: list[JudgeInput]) -> tuple[list[Any], dict[int, Any]]:
        """Each request prepared (or its error), and the stored result of each valid one."""
        prepared = [_or_error(self._prepare, r) for r in requests]
        return prepared, {i: self.store.get(p["key"]) for i, p in enumerate(prepared)
                          if not isinstance(p, PerfjudgeError)}

    def _prepare(self, request: JudgeInput) -> dict[str, Any]:
        bench, task = self.task(request.benchmark, request.task_id)
        meter = self.meter_for(bench, request.meter)
        if request.reward not in rewards.REWARDS:
            raise UnknownName("reward", request.reward, rewards.REWARDS)
        if request.reward == "efficiency" and not meters.get_meter(meter).measures:
            raise UsageError("the efficiency reward compares costs: ask for a meter "
                             "(valgrind, instructions), not 'none'")
        limits = self.limits_for(request.timeout_s, request.memory_mb)
        code = _code_of(request, task)
        key = check_key(bench, task, code, meter, limits, runtime=self._ready[meter])
        return {"request": request, "bench": bench, "task": task, "meter": meter,
                "limits": limits, "code": code, "key": key}

    async def _check_once(self, p: dict[str, Any]) -> CheckResult:
        """The check of ``p``'s key: one run however many identical requests wait for it."""
        key = p["key"]
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._run(lambda: self._check(p)))
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(future)

    def _check(self, p: dict[str, Any]) -> CheckResult:
        request = CheckRequest(p["task"], p["code"], p["meter"], tag=p["key"],
                               limits=p["limits"])
        _, result = next(iter(self.executor.check([request])))
        if result.verdict != "sandbox_error":
            self.store.put(p["key"], result, code_sha256=sha256_text(p["code"]))
        return result

    async def _answer(self, p: dict[str, Any], result: CheckResult,
                      was_cached: bool) -> dict[str, Any]:
        request: JudgeInput = p["request"]
        scores: dict[str, Any] = {}
        if result.passed and result.total_cost is not None:
            refs = await self._reference_results(p)
            scores = _scores(p["task"], p["meter"], result, refs)
        total = result.tests_total if result.tests_total is not None else (
            len(p["task"].tests) or result.tests_run)
        reward = rewards.reward(request.reward, passed=result.passed,
                                tests_passed=min(result.tests_passed, total),
                                tests_total=total, speedup=scores.get("speedup"),
                                cap=request.reward_cap)
        return {
            "benchmark": p["bench"].name, "task_id": p["task"].task_id,
            "verdict": result.verdict, "detail": result.detail,
            "failure": dataclasses.asdict(result.failure) if result.failure else None,
            "tests_run": result.tests_run, "tests_passed": result.tests_passed,
            "tests_total": total,
            "meter": p["meter"], "unit": result.unit, "cost": result.total_cost,
            "measurements": [{"test_index": m.test_index, "level": m.level, "value": m.value,
                              "spread": m.spread, "repeats": m.repeats}
                             for m in result.measurements],
            "load_cost": result.load_cost, "scores": scores,
            "reward": {"name": request.reward, "value": reward},
            "warnings": result.warnings, "cached": was_cached, "key": p["key"],
            "wall_seconds": round(result.wall_seconds, 4),
        }

    async def _reference_results(self, p: dict[str, Any]) -> list[tuple[Any, CheckResult]]:
        """The task's references judged under the request's meter and limits, once per
        service (and once per store: they are keyed as `evaluate` keys them)."""
        task, bench, meter, limits = p["task"], p["bench"], p["meter"], p["limits"]
        rkey = "|".join([bench.name, task.task_id, task.fingerprint(), meter,
                         repr(dataclasses.astuple(limits))])
        future = self._references.get(rkey)
        if future is None or (future.done() and future.exception() is not None):
            future = asyncio.ensure_future(self._run(
                lambda: self._judge_references(bench, task, meter, limits)))
            self._references[rkey] = future
        return await asyncio.shield(future)

    def _judge_references(self, bench: Benchmark, task: Task, meter: str,
                          limits: Limits) -> list[tuple[Any, CheckResult]]:
        keys = {ref.name: check_key(bench, task, ref.code, meter, limits,
                                    runtime=self._ready[meter]) for ref in task.references}
        found = {name: self.store.get(key) for name, key in keys.items()}
        todo = [CheckRequest(task, ref.code, meter, tag=keys[ref.name], limits=limits)
                for ref in task.references if found[ref.name] is None]
        by_tag = {keys[ref.name]: ref.name for ref in task.references}
        for request, result in self.executor.check(todo):
            if result.verdict != "sandbox_error":
                self.store.put(request.tag, result, code_sha256=sha256_text(request.code))
            found[by_tag[request.tag]] = result
        return [(ref, found[ref.name]) for ref in task.references]

    # ------------------------------------------------------------------ programs

    async def run_program(self, request: ProgramRequest) -> ProgramResult:
        """One program run (SandboxFusion's /run_code), admitted like a judge request."""
        if request.meter is not None:
            self._ready_meter(request.meter)
        self.admission.enter(1)
        started = time.perf_counter()
        run = asyncio.ensure_future(self._run(
            lambda: next(iter(self.executor.run_programs([request])))[1]))
        run.add_done_callback(lambda _: self.admission.leave(1, time.perf_counter() - started))
        try:
            return await asyncio.wait_for(asyncio.shield(run), self.request_timeout_s)
        except asyncio.TimeoutError:
            raise NotJudgedInTime(f"not run within the service's {self.request_timeout_s:g} s")\
                from None

    # ------------------------------------------------------------------ plumbing

    async def _run(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._threads, fn)

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "workers": self.executor.workers,
                "queue": {"depth": self.admission.depth, "limit": self.admission.limit},
                "benchmarks_loaded": sorted(self._benchmarks), "meters_ready": sorted(self._ready),
                **self.counts}

    def close(self, executor: bool = True) -> None:
        """Stop the service's threads, and its executor unless ``executor`` is False (one
        the caller passed in and closes itself)."""
        self._threads.shutdown(wait=True, cancel_futures=True)
        if executor:
            self.executor.close()


def _or_error(fn: Callable[[Any], Any], arg: Any) -> Any:
    try:
        return fn(arg)
    except PerfjudgeError as exc:
        return exc


def _code_of(request: JudgeInput, task: Task) -> str:
    if (request.code is None) == (request.completion is None):
        raise UsageError("give exactly one of 'code' (a whole module) and 'completion' "
                         "(the text after the task's prompt)")
    if request.code is not None:
        return request.code
    completion = request.completion or ""
    if fenced_blocks(completion):
        return code_from_output(completion, task)[0]
    return task_prompt(task) + completion if task.kind == "function" else completion


def _scores(task: Task, meter: str, result: CheckResult,
            refs: list[tuple[Any, CheckResult]]) -> dict[str, Any]:
    """The sample's per-task scores as `evaluate` computes them (`scoring.score_task` over
    this one sample and the task's references), plus the reference level it reaches."""
    def outcome(r: CheckResult, sample_id: str, ref: Any = None) -> scoring.Outcome:
        measured = sorted(r.measurements, key=lambda m: m.test_index or 0)
        return scoring.Outcome(task.task_id, r.verdict, r.total_cost,
                               tuple(m.value for m in measured), sample_id,
                               ref.name if ref else None, ref.level if ref else None,
                               r.censored_level, None, tuple(m.level for m in measured))

    tie = meters.get_meter(meter).tie_band
    ref_outcomes = [outcome(r, f"ref:{ref.name}", ref) for ref, r in refs]
    ts = scoring.score_task(scoring.TaskSetup.of(task, tie), [outcome(result, SAMPLE_ID)],
                            ref_outcomes)
    scores: dict[str, Any] = dict(ts.sample_values.get(SAMPLE_ID, {}))
    costs = [o.cost for o in ref_outcomes if o.correct and o.cost]
    if len(costs) >= 2 and result.total_cost:
        levels = cluster_references(costs)
        tests = max(1, len(ref_outcomes[0].test_costs))
        j = matching_level(result.total_cost, levels, tie, tests)
        scores["level"] = {"reached": j + 1, "of": len(levels)}
    scores["references"] = {ref.name: {"verdict": r.verdict, "cost": r.total_cost}
                            for ref, r in refs}
    return scores
