"""The built-in default run with the valgrind meter, two or more commits side by side.

Each round runs, for each commit in turn, the whole CLI as a user starts it (``python -m
perfjudge.cli evaluate -m valgrind -j W``, the commit's own ``src`` on ``PYTHONPATH``, a
fresh store, so every expected output, baseline, reference and sample is computed again).
Rounds alternate the commits, so the machine's drift falls on all of them. Per commit: the
wall clock of each run and whether its scores are the same in every round (they must be).

Usage: .venv/bin/python perf/default_run_ab.py [--rounds 2] [--workers 2] [--save] COMMIT...
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, Stats, Tee, load_average, machine_header, table, worktrees  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commits", nargs="+", help="commits (or branches) to compare")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", action="store_true",
                        help="write perf/results/default_run_ab.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "default_run_ab.txt" if args.save else None)
    out(machine_header("perf/default_run_ab.py", argv))
    seconds: dict[str, list[float]] = {c: [] for c in args.commits}
    scores: dict[str, list[dict]] = {c: [] for c in args.commits}
    with tempfile.TemporaryDirectory() as tmp, worktrees(args.commits, Path(tmp)) as trees:
        for r in range(args.rounds):
            out(f"# round {r + 1} (load average {load_average()})")
            for n, commit in enumerate(args.commits):
                tree, _ = trees[commit]
                run = Path(tmp) / f"run-{r}-{n}"
                env = dict(os.environ, PYTHONPATH=str(tree / "src"))
                env.pop("PERFJUDGE_STORE", None)
                start = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "perfjudge.cli", "evaluate", "-m",
                                       "valgrind", "-j", str(args.workers), "--store",
                                       str(run / "store.db"), "-o", str(run / "out"), "--json"],
                                      env=env, cwd=tmp, capture_output=True, text=True)
                elapsed = time.perf_counter() - start
                if proc.returncode not in (0, 1):  # 1: some samples failed, as the examples do
                    raise SystemExit(f"{commit}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
                got = {k: v.get("value") if isinstance(v, dict) else v
                       for k, v in json.loads(proc.stdout)["scores"].items()}
                seconds[commit].append(elapsed)
                scores[commit].append(got)
                out(f"#   {commit}: {elapsed:.1f} s; scores {json.dumps(got)}")
    rows = [[c, trees[c][1], len(seconds[c]), f"{Stats.of(seconds[c]).median:.1f}",
             " ".join(f"{s:.1f}" for s in seconds[c]),
             "yes" if all(s == scores[c][0] for s in scores[c]) else "NO"]
            for c in args.commits]
    out()
    out("built-in default run, valgrind, fresh store, seconds")
    out(table(["commit", "sha", "runs", "median", "each", "scores repeat"], rows, "llrrll"))
    first = Stats.of(seconds[args.commits[0]]).median
    for commit in args.commits[1:]:
        out(f"{commit} / {args.commits[0]}: {Stats.of(seconds[commit]).median / first:.2f}x")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
