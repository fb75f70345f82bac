"""A warm valgrind check of a trivial task, two or more commits side by side.

The fixed cost of a valgrind check moves with the machine's speed, which on a shared VM
drifts by tens of percent between runs; an engine change is only judged by commits measured
in the same run. Each commit is checked out into a temporary git worktree; rounds alternate
the commits (A B A B ...), each round a fresh process that imports that commit's
``perfjudge`` (``PYTHONPATH``), makes two unmeasured checks (its warm slot's start and the
derived-data cache) and then times ``--checks`` checks with ``meter="valgrind"``. Each
round also records the sample's raw instruction counts, so a speed-up that changed the
counts would show.

Usage: .venv/bin/python perf/valgrind_ab.py [--rounds 4] [--checks 6] [--save] COMMIT...
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, Stats, Tee, load_average, machine_header, table, worktrees  # noqa: E402

ROUND = r"""
import json, sys, tempfile, time
from pathlib import Path
from perfjudge.engine.judge import Engine, check_solution
from perfjudge.engine.sandbox import Limits
from perfjudge.records.task import Reference, Task, TestCase
from perfjudge.store import Store

TRIVIAL = "def f(x):\n    return x\n"
task = Task("overhead", "trivial/timed", "", "function", "f",
            tests=(TestCase([1], 1, True),), performance_tests=(TestCase([2], 2, True),),
            references=(Reference("ref", TRIVIAL),))
engine = Engine(limits=Limits(), cache=Store(Path(tempfile.mkdtemp()) / "derived.db"))
times, counts = [], None
for i in range(2 + int(sys.argv[1])):
    start = time.perf_counter()
    result = check_solution(task, TRIVIAL, engine=engine, meter="valgrind")
    elapsed = time.perf_counter() - start
    if not result.passed:
        raise SystemExit(f"valgrind check: {result.verdict} {result.detail}")
    if i >= 2:
        times.append(elapsed)
    counts = [(m.samples, m.baseline) for m in result.measurements]
print(json.dumps({"times": times, "counts": counts}))
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commits", nargs="+", help="commits (or branches) to compare")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--checks", type=int, default=6, help="timed checks per round")
    parser.add_argument("--save", action="store_true",
                        help="write perf/results/valgrind_ab.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "valgrind_ab.txt" if args.save else None)
    out(machine_header("perf/valgrind_ab.py", argv))
    with tempfile.TemporaryDirectory() as tmp, worktrees(args.commits, Path(tmp)) as trees:
        times = {c: [] for c in args.commits}
        counts: dict[str, list] = {c: [] for c in args.commits}
        for r in range(args.rounds):
            out(f"# round {r + 1} (load average {load_average()})")
            for commit in args.commits:
                tree, _ = trees[commit]
                env = dict(os.environ, PYTHONPATH=str(tree / "src"))
                done = subprocess.run([sys.executable, "-c", ROUND, str(args.checks)],
                                      env=env, cwd=tmp, check=True, capture_output=True,
                                      text=True)
                data = json.loads(done.stdout.strip().splitlines()[-1])
                times[commit] += data["times"]
                counts[commit].append(data["counts"])
                out(f"#   {commit}: " + " ".join(f"{t * 1e3:.0f}" for t in data["times"])
                    + " ms")
    rows = []
    for commit in args.commits:
        st = Stats.of(times[commit])
        same = all(c == counts[commit][0] for c in counts[commit])
        rows.append([commit, trees[commit][1], st.n, f"{st.median * 1e3:.0f}",
                     f"{st.p10 * 1e3:.0f}", f"{st.p90 * 1e3:.0f}",
                     "yes" if same else "NO", json.dumps(counts[commit][0])])
    out()
    out("warm valgrind check of a trivial task (1 correctness + 1 performance test), ms")
    out(table(["commit", "sha", "checks", "median", "p10", "p90", "counts stable",
               "counts (sample, baseline) per test"], rows, "llrrrrll"))
    first = Stats.of(times[args.commits[0]]).median
    for commit in args.commits[1:]:
        out(f"{commit} / {args.commits[0]}: {Stats.of(times[commit]).median / first:.2f}x")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
