"""HumanEval+ correctness in the judge, two or more commits side by side.

Workload: the 164 canonical solutions of HumanEval+ (every base and plus input), one
``check_solution`` after another with no meter, in one process per round and commit, with
expected outputs already in that commit's own store (each commit fills a store of its own
once, untimed). Rounds alternate the commits (A B A B ...), so the machine's drift falls on
all of them. Figures per round: the wall clock of the 164 checks and the CPU time of the
judging process itself (what a change to the parent's poll loop moves), and how many did not
pass (0 expected).

Usage: .venv/bin/python perf/correctness_ab.py [--rounds 3] [--data-dir DIR] [--save] COMMIT...
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

from _common import (DEFAULT_DATA_DIR, RESULTS, Stats, Tee, load_average,  # noqa: E402
                     machine_header, table, worktrees)

ROUND = r"""
import json, sys, time
from pathlib import Path
from perfjudge.benchmarks import get_benchmark
from perfjudge.engine.judge import Engine, check_solution
from perfjudge.store import Store

tasks = list(get_benchmark("humaneval+").load(Path(sys.argv[1])))
engine = Engine(cache=Store(Path(sys.argv[2])))
for task in tasks[:3]:  # the warm slot's start
    check_solution(task, task.canonical.code, engine=engine)
cpu, wall = time.process_time(), time.perf_counter()
failed = sum(not check_solution(t, t.canonical.code, engine=engine).passed for t in tasks)
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "failed": failed}))
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commits", nargs="+", help="commits (or branches) to compare")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--save", action="store_true",
                        help="write perf/results/correctness_ab.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "correctness_ab.txt" if args.save else None)
    out(machine_header("perf/correctness_ab.py", argv))
    runs: dict[str, list[dict]] = {c: [] for c in args.commits}
    with tempfile.TemporaryDirectory() as tmp, worktrees(args.commits, Path(tmp)) as trees:
        for r in range(args.rounds + 1):
            out(f"# round {r} (load average {load_average()})" if r else
                "# round 0: each commit fills its store with expected outputs (not counted)")
            for n, commit in enumerate(args.commits):
                tree, _ = trees[commit]
                env = dict(os.environ, PYTHONPATH=str(tree / "src"))
                done = subprocess.run([sys.executable, "-c", ROUND, str(args.data_dir),
                                       str(Path(tmp) / f"store-{n}.db")], env=env, cwd=tmp,
                                      check=True, capture_output=True, text=True)
                data = json.loads(done.stdout.strip().splitlines()[-1])
                out(f"#   {commit}: wall {data['wall']:.2f} s, judge CPU {data['cpu']:.2f} s, "
                    f"not passed {data['failed']}")
                if r:
                    runs[commit].append(data)
    rows = []
    for commit in args.commits:
        wall, cpu = (Stats.of([d[k] for d in runs[commit]]) for k in ("wall", "cpu"))
        rows.append([commit, trees[commit][1], len(runs[commit]), f"{wall.median:.2f}",
                     f"{wall.p10:.2f}-{wall.p90:.2f}", f"{cpu.median:.2f}",
                     max(d["failed"] for d in runs[commit])])
    out()
    out("HumanEval+ correctness, 164 canonical solutions, one check after another, seconds")
    out(table(["commit", "sha", "rounds", "wall median", "wall p10-p90", "judge CPU median",
               "not passed (max)"], rows, "llrrrrr"))
    first = Stats.of([d["wall"] for d in runs[args.commits[0]]]).median
    for commit in args.commits[1:]:
        wall = Stats.of([d["wall"] for d in runs[commit]]).median
        out(f"{commit} / {args.commits[0]}: wall {wall / first:.2f}x")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
