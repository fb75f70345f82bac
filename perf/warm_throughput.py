"""Sustained check throughput through the local executor, warm slots against a fresh sandbox
per check, side by side in one run.

Workload: HumanEval+'s HumanEval/0 with its base tests only (the EvalPlus canonical solution,
expected outputs from the engine's cache), `--checks` checks per block, meter none, through
`LocalPoolExecutor` with `--workers` spawned workers, exactly as `perfjudge evaluate` runs
them. Blocks alternate (cold, warm, cold, warm, ...) so drift of the machine falls on both;
each block runs in a pool of its own, started and warmed up (10 checks per worker) before
the clock starts, and its rate is checks / wall seconds from the first submit to the last
result. Every check must pass.

Usage: .venv/bin/python perf/warm_throughput.py [--checks 600] [--blocks 3] [--workers 2]
       [--data-dir DIR] [--save]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA_DIR, RESULTS, Tee, load_average, machine_header, table  # noqa: E402

from perfjudge.benchmarks.evalplus import load_humaneval_plus  # noqa: E402
from perfjudge.executors.local import LocalPoolExecutor  # noqa: E402
from perfjudge.executors.protocol import CheckRequest  # noqa: E402


def block(executor: LocalPoolExecutor, request: CheckRequest, checks: int) -> float:
    requests = [dataclasses.replace(request, tag=str(i)) for i in range(checks)]
    start = time.perf_counter()
    verdicts = [result.verdict for _, result in executor.check(requests)]
    seconds = time.perf_counter() - start
    bad = [v for v in verdicts if v != "passed"]
    if bad or len(verdicts) != checks:
        raise SystemExit(f"{len(bad)} checks did not pass: {sorted(set(bad))}")
    return checks / seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--checks", type=int, default=600, help="checks per block (600)")
    parser.add_argument("--blocks", type=int, default=3, help="blocks per path (3)")
    parser.add_argument("--workers", type=int, default=2, help="executor workers (2)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/warm_throughput.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "warm_throughput.txt" if args.save else None)
    out(machine_header("perf/warm_throughput.py", argv))

    task = next(t for t in load_humaneval_plus(args.data_dir) if t.task_id == "HumanEval/0")
    base = tuple(t for t in task.tests if t.level == "base")
    task = dataclasses.replace(task, tests=base)
    request = CheckRequest(task, task.references[0].code)
    out(f"workload: {task.task_id}, {len(base)} base tests, canonical solution, meter none, "
        f"{args.checks} checks per block, {args.workers} workers")

    rates: dict[str, list[float]] = {"cold": [], "warm": []}
    rows = []
    with tempfile.TemporaryDirectory(prefix="pj-throughput-") as tmp:
        store = Path(tmp) / "store.db"
        for round_ in range(args.blocks):
            for path in ("cold", "warm"):
                # a pool per block: its workers are spawned now, with this block's setting
                os.environ["PERFJUDGE_WARM"] = "1" if path == "warm" else "0"
                with LocalPoolExecutor(args.workers, store=store) as pool:
                    for _, error in pool.prepare([task]):
                        if error:
                            raise SystemExit(f"could not prepare {task.task_id}: {error}")
                    block(pool, request, 10 * args.workers)  # every worker up, slots started
                    rate = block(pool, request, args.checks)
                rates[path].append(rate)
                rows.append([str(round_ + 1), path, f"{rate:.1f}"])
    out(table(["block", "path", "checks/s"], rows, "llr"))
    out()
    summary = {path: statistics.median(v) for path, v in rates.items()}
    out(f"median checks/s over {args.blocks} blocks: cold {summary['cold']:.1f}, warm "
        f"{summary['warm']:.1f} ({summary['warm'] / summary['cold']:.2f}x); "
        f"{args.workers} workers; load average at end: {load_average()}")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
