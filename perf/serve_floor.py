"""The execution floor of `perf/serve_load.py`'s workload: what the samples' own code costs,
with no sandbox, no judge and no HTTP, and so the most judged requests per second that many
cores could give even if everything else cost nothing.

Each task's canonical solution (the load's "correct" requests) runs on all of the task's
tests in one plain interpreter, the sandbox's (`sandbox.probe().python`), inputs decoded
before the clock starts, one call after another; the CPU time of the calls alone is summed
per task. The load's "wrong" requests (`return None`) fail at their first test and cost ~0
here. With the load's mix of 7 correct to 3 wrong and tasks taken in turn, a request costs
at least 0.7 x the mean over tasks, and `--cores` cores judge at most
cores / (0.7 x mean) requests per second. Rounds are repeated (`--rounds`) and the median
of each task's rounds is used.

Usage: .venv/bin/python perf/serve_floor.py [--benchmark humaneval+mini] [--rounds 3]
       [--cores 2] [--data-dir DIR] [--save]
"""

from __future__ import annotations

import argparse
import marshal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA_DIR, RESULTS, Tee, machine_header, table  # noqa: E402

from perfjudge.benchmarks import get_benchmark  # noqa: E402
from perfjudge.engine import sandbox  # noqa: E402

RUNNER = r"""
import marshal, sys, time
jobs = marshal.load(open(sys.argv[1], "rb"))
rounds = int(sys.argv[2])
out = []
for code, entry, inputs in jobs:
    namespace = {"__name__": "solution"}
    exec(compile(code, "solution.py", "exec"), namespace)
    fn = namespace[entry]
    seconds = []
    for _ in range(rounds):
        args = [marshal.loads(raw) for raw in inputs]
        start = time.process_time()
        for a in args:
            try:
                fn(*a)
            except Exception:
                pass
        seconds.append(time.process_time() - start)
    out.append(seconds)
sys.stdout.buffer.write(marshal.dumps(out))
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--benchmark", default="humaneval+mini")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/serve_floor.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "serve_floor.txt" if args.save else None)
    out(machine_header("perf/serve_floor.py", argv))
    tasks = [t for t in get_benchmark(args.benchmark).load(args.data_dir)
             if t.kind == "function" and t.canonical is not None]
    jobs = [(t.canonical.code, t.entry_point, [marshal.dumps(list(c.input), 2) for c in t.tests])
            for t in tasks]
    with tempfile.NamedTemporaryFile(suffix=".marshal") as handle:
        handle.write(marshal.dumps(jobs, 2))
        handle.flush()
        done = subprocess.run([sandbox.probe().python, "-s", "-S", "-c", RUNNER, handle.name,
                               str(args.rounds)], capture_output=True, check=True)
    per_task = [statistics.median(s) for s in marshal.loads(done.stdout)]
    mean = statistics.mean(per_task)
    ranked = sorted(zip(per_task, (t.task_id for t in tasks)), reverse=True)
    out(f"workload: {args.benchmark}, {len(tasks)} tasks, canonical solutions on all "
        f"{sum(len(t.tests) for t in tasks)} tests, median of {args.rounds} rounds per task, "
        f"interpreter {sandbox.probe().python}")
    out(table(["task", "calls CPU ms"], [[tid, f"{s * 1e3:.1f}"] for s, tid in ranked[:8]],
              "lr"))
    heavy = sum(s for s, _ in ranked[:8])
    out(f"\nmean per task {mean * 1e3:.2f} ms, median {statistics.median(per_task) * 1e3:.3f} ms; "
        f"the 8 dearest tasks hold {heavy / sum(per_task):.0%} of the total")
    floor = 0.7 * mean
    out(f"a request of the 7 correct : 3 wrong mix costs at least {floor * 1e3:.2f} ms of CPU: "
        f"{args.cores} cores judge at most {args.cores / floor:.0f} requests/s")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
