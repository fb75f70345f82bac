"""Ray executor: throughput of 2 nodes against 1 on a deterministic-meter workload, and what
one batch costs in Ray overhead.

Clusters are real (`scripts/local_ray_cluster.py`: `ray start --block` processes on
127.0.0.1, one CPU per node). Workload: every reference solution of the first N builtin
tasks under valgrind (each check runs valgrind in the node's own sandbox), one request per
batch so both nodes stay busy; each cluster first runs the workload once uncounted (worker
engines warm: expected outputs, machine speed), then R counted passes; throughput is checks
per second of wall time on the driver, median over the passes, and the counts of both
clusters are compared (valgrind: they must be equal).

Per-batch overhead, on the 2-node cluster: the round trip of an empty batch (a Ray task that
judges nothing), and one trivial correctness check (meter none) through Ray against the same
check through `InProcessExecutor` in the driver (median of K each).

Usage: .venv/bin/python perf/ray_scaling.py [--tasks 4] [--passes 2] [-k 20] [--save]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, RESULTS, Tee, machine_header, table  # noqa: E402

from perfjudge.benchmarks import get_benchmark  # noqa: E402
from perfjudge.executors import CheckRequest, InProcessExecutor  # noqa: E402


def _cluster_module():
    spec = importlib.util.spec_from_file_location("local_ray_cluster",
                                                  REPO / "scripts" / "local_ray_cluster.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_ray_cluster"] = module
    spec.loader.exec_module(module)
    return module


def workload(n_tasks: int) -> list[CheckRequest]:
    tasks = get_benchmark("builtin").load()[:n_tasks]
    return [CheckRequest(t, r.code, "valgrind", tag=f"{t.task_id}|{r.name}")
            for t in tasks for r in t.references]


def run_passes(address: str, work: list[CheckRequest], passes: int):
    import ray

    from perfjudge.executors.ray_cluster import RayExecutor

    executor = RayExecutor(address=address, batch_size=1)
    executor.ready("valgrind")
    counts = {r.tag: res.total_cost for r, res in executor.check(work)}  # warm-up
    rates = []
    for _ in range(passes):
        started = time.perf_counter()
        got = {r.tag: res.total_cost for r, res in executor.check(work)}
        rates.append(len(work) / (time.perf_counter() - started))
        assert got == counts, "valgrind counts changed between passes"
    nodes = len({node for node, _, _ in executor.batches})
    return executor, counts, rates, nodes, ray


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("-k", type=int, default=20, help="round trips per overhead figure")
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    out = Tee(RESULTS / "ray_scaling.txt" if args.save else None)
    out(machine_header("ray_scaling.py", sys.argv[1:]))
    import ray as ray_module

    out(f"ray {ray_module.__version__}; clusters on 127.0.0.1, 1 CPU per node\n")
    clusters = _cluster_module()
    work = workload(args.tasks)
    rows, counts_by = [], {}
    overhead = {}
    for nodes in (1, 2):
        cluster = clusters.start_cluster(nodes=nodes, cpus=1)
        try:
            executor, counts, rates, used, ray = run_passes(cluster.address, work, args.passes)
            counts_by[nodes] = counts
            rows.append([f"{nodes} x 1 CPU", used, len(work),
                         f"{statistics.median(rates):.3f}",
                         " ".join(f"{r:.3f}" for r in rates)])
            if nodes == 2:
                from perfjudge.executors.ray_cluster import _check_batch

                remote = ray.remote(num_cpus=1)(_check_batch)
                empty = []
                for _ in range(args.k):
                    started = time.perf_counter()
                    ray.get(remote.remote([], executor.limits, None, "valgrind"))
                    empty.append(time.perf_counter() - started)
                task = work[0].task
                trivial = CheckRequest(task, task.canonical.code, "none", tag="t")
                list(executor.check([trivial]))  # warm
                local = InProcessExecutor()
                list(local.check([trivial]))
                via_ray, in_process = [], []
                for _ in range(args.k):
                    started = time.perf_counter()
                    list(executor.check([trivial]))
                    via_ray.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    list(local.check([trivial]))
                    in_process.append(time.perf_counter() - started)
                overhead = {"empty": statistics.median(empty),
                            "ray": statistics.median(via_ray),
                            "local": statistics.median(in_process)}
            executor.close()
        finally:
            cluster.stop()
    out(f"workload: the {len(work)} reference solutions of the first {args.tasks} builtin tasks"
        f" under valgrind, one request per batch; {args.passes} counted passes after one "
        "warm-up pass")
    out(table(["cluster", "nodes used", "checks", "checks/s (median)", "per pass"], rows))
    r1 = float(rows[0][3])
    r2 = float(rows[1][3])
    out(f"2 nodes / 1 node: {r2 / r1:.2f}x")
    same = counts_by[1] == counts_by[2]
    out(f"valgrind counts equal on both clusters: {same}\n")
    out(f"per-batch Ray overhead (2-node cluster, median of {args.k}):")
    out(table(["what", "ms"],
              [["empty batch round trip", f"{overhead['empty'] * 1e3:.1f}"],
               ["1 trivial check (meter none) via Ray", f"{overhead['ray'] * 1e3:.1f}"],
               ["the same check in-process", f"{overhead['local'] * 1e3:.1f}"],
               ["difference", f"{(overhead['ray'] - overhead['local']) * 1e3:.1f}"]]))
    out.save()


if __name__ == "__main__":
    main()
