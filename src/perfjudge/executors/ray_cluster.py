"""Checks on a Ray cluster: every node judges in its own sandboxes, results come back to
the driver, which writes them to the one store (the pipeline does, as for any executor).

    RayExecutor(address="auto")     an existing cluster (`ray start`, `ray up`, KubeRay)
    RayExecutor()                   a Ray instance started in this process (one machine)

Work goes out in batches of requests of one task (the sample x its tests, as the engine
runs them), one Ray task per batch needing one CPU, at most twice the cluster's CPUs in
flight. A batch whose worker or node dies is run again by Ray (``max_retries``: checks are
pure functions of their request, so a retry gives the same result); a batch's ref yields
once, so a retried batch never duplicates a result. A batch still lost after its retries
is ``sandbox_error`` for its requests (the cluster's fault, never the sample's), and one
request that fails inside a batch is that request's ``sandbox_error`` only.

Only ``valgrind`` and ``none`` run here: a time meter's figure belongs to the machine that
measured it (the pipeline keys time results by the driver's machine), and hardware
instruction counts shift with the CPU model. Every node must judge under the driver's
interpreter, meter and harness builds and with at least its isolation layers: checked on
every live node before the run and on every batch's node after (the autoscaler may add
nodes).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from perfjudge.engine.sandbox import Limits
from perfjudge.errors import Unavailable, UsageError
from perfjudge.executors.protocol import CheckRequest, program_failed, worker_failed
from perfjudge.records.program import ProgramRequest, ProgramResult
from perfjudge.records.result import CheckResult
from perfjudge.records.task import Task

_ENGINE: Any = None
CLUSTER_METERS = ("valgrind", "none")
"""Meters whose figures do not depend on which node measured them."""


def _worker_engine(limits: Limits, store: str | None = None) -> Any:
    """One engine per Ray worker process, kept across batches (its caches stay warm); its
    derived data goes to ``store`` (the driver's ``--store`` path) or the node's default."""
    global _ENGINE
    if _ENGINE is None or _ENGINE.limits != limits or getattr(_ENGINE, "_store_path",
                                                               None) != store:
        from perfjudge.engine.judge import Engine
        from perfjudge.store import Store

        _ENGINE = Engine(limits=limits, cache=Store(Path(store) if store else None))
        _ENGINE._store_path = store
    return _ENGINE


_IDENTITIES: dict[str, dict[str, Any]] = {}


def _node_identity(meter: str) -> dict[str, Any]:
    """What a node's results depend on besides the code: the interpreter, meter and harness
    builds, and the isolation layers its sandbox lacks (once per worker process)."""
    from perfjudge.engine import sandbox
    from perfjudge.pipeline.evaluation import runtime_identity

    if meter not in _IDENTITIES:
        _IDENTITIES[meter] = {**runtime_identity(meter),
                              "missing": sorted(sandbox.probe().missing)}
    return _IDENTITIES[meter]


def _check_batch(requests: list[CheckRequest], limits: Limits, store: str | None = None,
                 meter: str = "none"
                 ) -> tuple[str, dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """(node id, the node's identity under the run's ``meter``, each request's result); one
    request's failure is that request's sandbox_error, never its neighbours'."""
    import ray

    from perfjudge.executors.local import run_check

    engine = _worker_engine(limits, store)
    out = []
    for request in requests:
        try:
            out.append((request.tag, run_check(request, engine)))
        except Exception as exc:
            out.append((request.tag, worker_failed(request, exc).to_dict()))
    return ray.get_runtime_context().get_node_id(), _node_identity(meter), out


def _run_programs(requests: list[ProgramRequest], limits: Limits, store: str | None = None
                  ) -> list[dict[str, Any]]:
    from perfjudge.executors.local import run_program

    engine = _worker_engine(limits, store)
    out = []
    for request in requests:
        try:
            out.append(run_program(request, engine))
        except Exception as exc:
            out.append(program_failed(request, exc).to_dict())
    return out


def _prepare(task: Task, limits: Limits, store: str | None = None) -> str | None:
    from perfjudge.executors.local import prepare_task

    return prepare_task(task, _worker_engine(limits, store))


def _ready(meter: str, limits: Limits) -> tuple[str | None, dict[str, Any]]:
    """(why this node cannot judge with ``meter``, or None; its identity)."""
    from perfjudge.errors import PerfjudgeError
    from perfjudge.executors.local import sandbox_ready

    try:
        sandbox_ready(meter, limits)
    except PerfjudgeError as exc:
        return str(exc), {}
    return None, _node_identity(meter)


def _unlike(node: dict[str, Any], here: dict[str, Any], meter: str) -> str | None:
    """Why a node's results may not join this run's, or None."""
    weaker = sorted(set(node.get("missing", [])) - set(here.get("missing", [])))
    if weaker:
        return (f"its sandbox lacks isolation layers the driver's has ({'; '.join(weaker)}): "
                "its verdicts would be less trustworthy than the run says")
    counts = {k: v for k, v in node.items() if k != "missing"}
    ours = {k: v for k, v in here.items() if k != "missing"}
    if meter != "none" and counts != ours:
        return (f"it counts under {counts}, the driver under {ours}: {meter} counts mix "
                "only across identical interpreter, meter and harness builds (install the "
                "same image on every node)")
    return None


def _reachable(address: str, timeout_s: float = 5.0) -> str | None:
    """Why a host:port cluster address cannot be reached, or None (ray.init would retry a
    dead address for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return None  # "auto" and the like: Ray resolves those itself
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        return f"nothing answers at {host}:{port} ({exc})"
    return None


class RayExecutor:
    def __init__(self, address: str | None = None, limits: Limits | None = None,
                 batch_size: int = 4, max_retries: int = 3, store: Path | None = None,
                 wait_s: float = 600.0, init_options: dict[str, Any] | None = None):
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
        self.store = str(store) if store else None
        self.wait_s = wait_s
        self.meter = "none"
        self._identity: dict[str, Any] = {}
        self._owns = False
        if not ray.is_initialized():
            problem = _reachable(address) if address else None
            if problem:
                raise Unavailable(f"cannot connect to the Ray cluster at {address}: {problem}")
            try:
                # no address: a new instance here, never whatever cluster a stale address
                # file in /tmp/ray names
                ray.init(address=address or "local", log_to_driver=False,
                         configure_logging=False, **(init_options or {}))
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a new local instance"
                raise Unavailable(f"cannot connect to the Ray cluster at {where}: {exc}") \
                    from None
            self._owns = True
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=False)
        self._check = remote(_check_batch)
        self._prepare = remote(_prepare)
        self._programs = remote(_run_programs)
        self._ready = ray.remote(num_cpus=0)(_ready)
        self.batches: list[tuple[str, int, float]] = []
        """(node, requests, seconds from submission to result) of every finished batch."""

    def nodes(self) -> list[dict[str, Any]]:
        return [n for n in self._ray.nodes() if n.get("Alive") and n["Resources"].get("CPU")]

    def ready(self, meter: str) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from perfjudge import meters

        meters.get_meter(meter)
        if meter not in CLUSTER_METERS:
            raise UsageError(f"meter {meter!r} cannot run on a cluster: "
                             + ("it measures time on the machine that runs it"
                                if not meters.get_meter(meter).deterministic else
                                "hardware counts shift with the CPU model, which nodes may "
                                "not share") + "; use -m valgrind or -m none, or --executor "
                             "local")
        nodes = self.nodes()
        if not nodes:
            raise Unavailable("the Ray cluster has no live node with a CPU to judge on")
        refs = {self._ready.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            n["NodeID"], soft=False)).remote(meter, self.limits): n for n in nodes}
        self.meter, self._identity = meter, _node_identity(meter)
        for ref, node in refs.items():
            problem, identity = self._ray.get(ref)
            where = f"Ray node {node.get('NodeManagerAddress')}"
            if problem:
                raise Unavailable(f"{where}: {problem}")
            unlike = _unlike(identity, self._identity, meter)
            if unlike:
                raise Unavailable(f"{where} cannot join this run: {unlike}")
        self.workers = max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def prepare(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, str | None]]:
        refs = {self._prepare.remote(t, self.limits, self.store): t for t in tasks}
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
        """Ray re-runs a batch whose worker or node died (``max_retries``); its ref still
        yields one result, so nothing is duplicated. A batch from a node unlike the one
        `ready` checked (a node the autoscaler added since) is sandbox_error, as is every
        batch still pending when no node with a CPU has been alive for ``wait_s``."""
        batches = _batches(requests, self.batch_size)
        by_tag = {r.tag: r for r in requests}
        if len(by_tag) != len(requests):
            raise ValueError("the ray executor matches results by tag: tags must be unique")
        queue = list(reversed(batches))
        pending: dict[Any, tuple[list[CheckRequest], float]] = {}
        limit = 2 * self.workers
        idle_since = None
        while queue or pending:
            while queue and len(pending) < limit:
                batch = queue.pop()
                ref = self._check.remote(batch, self.limits, self.store, self.meter)
                pending[ref] = (batch, time.perf_counter())
            done, _ = self._ray.wait(list(pending), num_returns=1, timeout=30.0)
            if not done:
                if self.nodes():
                    idle_since = None
                    continue
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since < self.wait_s:
                    continue
                lost = RuntimeError(f"no Ray node with a CPU has been alive for "
                                    f"{self.wait_s:.0f} s")
                for batch, _ in pending.values():
                    for request in batch:
                        yield request, worker_failed(request, lost)
                for batch in queue:
                    for request in batch:
                        yield request, worker_failed(request, lost)
                return
            for ref in done:
                batch, sent = pending.pop(ref)
                try:
                    node, identity, results = self._ray.get(ref)
                except Exception as exc:  # lost beyond its retries: the cluster's fault
                    for request in batch:
                        yield request, worker_failed(request, exc)
                    continue
                unlike = _unlike(identity, self._identity, self.meter) if self._identity \
                    else None
                if unlike:
                    for request in batch:
                        yield request, worker_failed(request, RuntimeError(
                            f"Ray node {node[:12]} cannot join this run: {unlike}"))
                    continue
                self.batches.append((node, len(batch), time.perf_counter() - sent))
                for tag, data in results:
                    yield by_tag[tag], CheckResult.from_dict(data)

    def run_programs(self, requests: Sequence[ProgramRequest]
                     ) -> Iterator[tuple[ProgramRequest, ProgramResult]]:
        """One Ray task per program (retried like a batch of checks when its worker dies)."""
        refs = {self._programs.remote([r], self.limits, self.store): r for r in requests}
        pending = list(refs)
        while pending:
            done, pending = self._ray.wait(pending, num_returns=1)
            for ref in done:
                request = refs[ref]
                try:
                    yield request, ProgramResult.from_dict(self._ray.get(ref)[0])
                except Exception as exc:  # lost beyond its retries: the cluster's fault
                    yield request, program_failed(request, exc)

    def close(self, wait: bool = True) -> None:
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
