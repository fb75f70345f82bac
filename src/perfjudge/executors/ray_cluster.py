"""Checks on a Ray cluster: every node judges in its own sandboxes, results come back to
the driver, which writes them to the one store (the pipeline does, as for any executor).

    RayExecutor(address="auto")     an existing cluster (`ray start`, `ray up`, KubeRay)
    RayExecutor()                   a Ray instance started in this process (one machine)

Work goes out in batches of requests of one task (the sample x its tests, as the engine
runs them), one Ray task per batch needing one CPU, at most twice the cluster's CPUs in
flight. A batch whose worker or node dies is run again by Ray (``max_retries``: checks are
pure functions of their request, so a retry gives the same result); each request's result
is yielded once, matched by its tag, so a retried batch never duplicates one. A batch that
still fails after its retries is ``sandbox_error`` for its requests (the cluster's fault,
never the sample's) and every other result is kept.

Only deterministic meters run here: a time meter's figure belongs to the machine that
measured it, and the pipeline keys time results by the driver's machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from perfjudge.engine.sandbox import Limits
from perfjudge.errors import Unavailable, UsageError
from perfjudge.executors.protocol import CheckRequest, worker_failed
from perfjudge.records.result import CheckResult
from perfjudge.records.task import Task

_ENGINE: Any = None


def _worker_engine(limits: Limits) -> Any:
    """One engine per Ray worker process, kept across batches (its caches stay warm)."""
    global _ENGINE
    if _ENGINE is None or _ENGINE.limits != limits:
        from perfjudge.engine.judge import Engine

        _ENGINE = Engine(limits=limits)
    return _ENGINE


def _check_batch(requests: list[CheckRequest], limits: Limits
                 ) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    import ray

    from perfjudge.executors.local import run_check

    engine = _worker_engine(limits)
    return (ray.get_runtime_context().get_node_id(),
            [(r.tag, run_check(r, engine)) for r in requests])


def _prepare(task: Task, limits: Limits) -> str | None:
    from perfjudge.executors.local import prepare_task

    return prepare_task(task, _worker_engine(limits))


def _ready(meter: str, limits: Limits) -> tuple[str | None, dict[str, str]]:
    """(why this node cannot judge with ``meter``, or None; what its counts depend on)."""
    from perfjudge.errors import PerfjudgeError
    from perfjudge.executors.local import sandbox_ready
    from perfjudge.pipeline.evaluation import runtime_identity

    try:
        sandbox_ready(meter, limits)
    except PerfjudgeError as exc:
        return str(exc), {}
    return None, runtime_identity(meter)


class RayExecutor:
    def __init__(self, address: str | None = None, limits: Limits | None = None,
                 batch_size: int = 4, max_retries: int = 3,
                 init_options: dict[str, Any] | None = None):
        try:
            import ray
        except ImportError:
            raise Unavailable("the ray executor needs Ray: pip install 'perfjudge[ray]'") \
                from None
        self._ray = ray
        self.address = address
        self.limits = limits or Limits()
        self.batch_size = max(1, batch_size)
        self.max_retries = max_retries
        self._owns = False
        if not ray.is_initialized():
            try:
                ray.init(address=address, log_to_driver=False, configure_logging=False,
                         **(init_options or {}))
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a new local instance"
                raise Unavailable(f"cannot connect to the Ray cluster at {where}: {exc}") \
                    from None
            self._owns = True
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=False)
        self._check = remote(_check_batch)
        self._prepare = remote(_prepare)
        self._ready = ray.remote(num_cpus=0)(_ready)
        self.batches: list[tuple[str, int, float]] = []
        """(node, requests, seconds from submission to result) of every finished batch."""

    def nodes(self) -> list[dict[str, Any]]:
        return [n for n in self._ray.nodes() if n.get("Alive") and n["Resources"].get("CPU")]

    def ready(self, meter: str) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from perfjudge import meters

        if not meters.get_meter(meter).deterministic:
            raise UsageError(f"meter {meter!r} measures time on the machine that runs it; "
                             "on a cluster use a deterministic meter (valgrind, "
                             "instructions, none) or --executor local")
        nodes = self.nodes()
        refs = {self._ready.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            n["NodeID"], soft=False)).remote(meter, self.limits): n for n in nodes}
        from perfjudge.pipeline.evaluation import runtime_identity

        here = runtime_identity(meter)
        for ref, node in refs.items():
            problem, identity = self._ray.get(ref)
            where = f"Ray node {node.get('NodeManagerAddress')}"
            if problem:
                raise Unavailable(f"{where}: {problem}")
            if identity != here:
                raise Unavailable(
                    f"{where} would count under {identity}, not under this machine's {here}:"
                    f" {meter} counts mix only across identical interpreter, meter and "
                    "harness builds (install the same image on every node)")
        self.workers = max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def prepare(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, str | None]]:
        refs = {self._prepare.remote(t, self.limits): t for t in tasks}
        pending = list(refs)
        while pending:
            done, pending = self._ray.wait(pending, num_returns=1)
            for ref in done:
                try:
                    yield refs[ref], self._ray.get(ref)
                except Exception as exc:  # the worker died beyond its retries
                    yield refs[ref], f"worker failed: {type(exc).__name__}: {exc}"

    def check(self, requests: Sequence[CheckRequest]
              ) -> Iterator[tuple[CheckRequest, CheckResult]]:
        batches = _batches(requests, self.batch_size)
        by_tag = {r.tag: r for r in requests}
        if len(by_tag) != len(requests):
            raise ValueError("the ray executor matches results by tag: tags must be unique")
        queue = list(reversed(batches))
        pending: dict[Any, tuple[list[CheckRequest], float]] = {}
        seen: set[str] = set()
        limit = 2 * self.workers
        while queue or pending:
            while queue and len(pending) < limit:
                batch = queue.pop()
                pending[self._check.remote(batch, self.limits)] = (batch, time.perf_counter())
            done, _ = self._ray.wait(list(pending), num_returns=1)
            for ref in done:
                batch, sent = pending.pop(ref)
                try:
                    node, results = self._ray.get(ref)
                except Exception as exc:  # lost beyond its retries: the cluster's fault
                    for request in batch:
                        if request.tag not in seen:
                            seen.add(request.tag)
                            yield request, worker_failed(request, exc)
                    continue
                self.batches.append((node, len(batch), time.perf_counter() - sent))
                for tag, data in results:
                    if tag in seen:
                        continue
                    seen.add(tag)
                    yield by_tag[tag], CheckResult.from_dict(data)

    def close(self) -> None:
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()

    def __enter__(self) -> "RayExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _batches(requests: Sequence[CheckRequest], size: int) -> list[list[CheckRequest]]:
    """Consecutive requests of one task, at most ``size`` to a batch (a worker's engine
    then reuses the task's expected outputs across the batch)."""
    out: list[list[CheckRequest]] = []
    for request in requests:
        if out and len(out[-1]) < size and out[-1][0].task.task_id == request.task.task_id:
            out[-1].append(request)
        else:
            out.append([request])
    return out


__all__ = ["RayExecutor"]
