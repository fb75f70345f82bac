"""What each cost attack of tests/engine/integrity/ achieves, now and on an earlier engine.

For every attacking sample and every meter its header names, the sample and its honest twin
are checked on the same task (count the primes below n; two performance tests), and the
table shows both costs and twin/attack: above 1 the attack was charged less than honest work
(it succeeded by that factor), at or below 1 it paid in full; or the verdict it got. The
"before" column runs the very same samples through the engine of an earlier commit (default:
the 0.1 release), checked out into a temporary git worktree.

The judge/host cases (class "judge") are left out: on the old engine a 5,000-deep directory
crashed the judge with RecursionError, so they are shown by the test suite, not here. On the
old engine `client_requests` waits 300 s on a vgdb FIFO and is skipped by default.

Usage: .venv/bin/python perf/cost_integrity.py [--before REF] [--save]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, RESULTS, Tee, machine_header, table  # noqa: E402

INTEGRITY = REPO / "tests" / "engine" / "integrity"
BEFORE = "6011975"  # perfjudge 0.1: the engine the attacks were found on

WORKER = r'''
import json, re, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
try:  # this layout
    from perfjudge.engine.judge import Engine, check_solution
    from perfjudge.engine.sandbox import Limits
    from perfjudge.records.task import Task, TestCase as Case, Reference, Comparison
except ImportError:  # the flat layout of 0.1 (the "before" column)
    from perfjudge.execution import Engine, check_solution
    from perfjudge.sandbox import Limits
    from perfjudge.tasks import Task, TestCase as Case, Reference, Comparison
HERE = Path(sys.argv[2]); TWINS = HERE / "twins"; skip = set(sys.argv[3].split(","))
prog = (TWINS / "primes_program.py").read_text()
primes = (TWINS / "primes.py").read_text()
SMALL = (10, 100, 1000, 2); PERF = (20_000, 30_000)
TASKS = {
    "primes": Task("integrity", "integrity/primes", "", "function", "f",
                   tests=tuple(Case([n]) for n in SMALL),
                   performance_tests=tuple(Case([n]) for n in PERF),
                   references=(Reference("ref", primes),)),
    "primes_program": Task("integrity", "integrity/primes_program", "", "program", None,
                           tests=tuple(Case(f"{n}\n") for n in SMALL),
                           performance_tests=tuple(Case(f"{n}\n") for n in PERF),
                           references=(Reference("ref", prog),), comparison=Comparison("tokens")),
}
limits = Limits(test_seconds=5.0, wall_seconds=120.0, memory_bytes=1 << 30, max_processes=32,
                max_output_bytes=1 << 20)
try:  # the engine of 0.1 (the "before" column) kept derived data in files
    from perfjudge.execution import DirectoryCache
    cache = DirectoryCache(Path(tempfile.mkdtemp()))
except ImportError:
    from perfjudge.store import Store
    cache = Store(Path(tempfile.mkdtemp()) / "derived.db")
engine = Engine(limits=limits, cache=cache)
twins = {}
for path in sorted(HERE.glob("*.py")):
    head = dict(re.findall(r"^# (\w+): ?(.*)$", path.read_text(), re.M))
    if head["class"].startswith("judge") or path.stem in skip:
        continue
    task = TASKS[head.get("task", "primes")]
    for meter in head["meters"].split():
        key = (head["twin"], task.task_id, meter)
        if key not in twins:
            twins[key] = check_solution(task, (TWINS / f"{head['twin']}.py").read_text(),
                                        meter=meter, engine=engine).total_cost
        try:
            r = check_solution(task, path.read_text(), meter=meter, engine=engine)
            row = {"verdict": r.verdict, "cost": r.total_cost, "detail": r.detail[:90]}
        except Exception as exc:
            row = {"verdict": "JUDGE CRASHED", "cost": None,
                   "detail": f"{type(exc).__name__}: {exc}"[:90]}
        row.update(attack=path.stem, meter=meter, twin=twins[key])
        print(json.dumps(row), flush=True)
'''


def run_tree(src: Path, skip: list[str]) -> list[dict]:
    out = subprocess.run([sys.executable, "-c", WORKER, str(src), str(INTEGRITY), ",".join(skip)],
                         capture_output=True, text=True, timeout=3600)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 and not rows:
        raise RuntimeError(out.stderr[-2000:])
    return rows


def cell(row: dict | None) -> str:
    if row is None:
        return "(not run)"
    if row["verdict"] != "passed" or not row["cost"]:
        return f"{row['verdict']}"
    return f"{row['twin'] / row['cost']:.2f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--before", default=BEFORE,
                        help=f"commit whose engine is the 'before' column ({BEFORE}, 0.1)")
    parser.add_argument("--no-before", action="store_true", help="only the current engine")
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/cost_integrity.txt")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "cost_integrity.txt" if args.save else None)
    out(machine_header("perf/cost_integrity.py", argv))
    now = {(r["attack"], r["meter"]): r for r in run_tree(REPO / "src", [])}
    before: dict = {}
    if not args.no_before:
        with tempfile.TemporaryDirectory(prefix="pj-before-") as tmp:
            tree = Path(tmp) / "tree"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree),
                            args.before], check=True, capture_output=True)
            try:
                before = {(r["attack"], r["meter"]): r
                          for r in run_tree(tree / "src", ["client_requests"])}
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                str(tree)], capture_output=True)
    rows = []
    for key in sorted(now):
        r = now[key]
        rows.append([key[0], key[1], cell(before.get(key)) if before else "-", cell(r),
                     f"{r['twin']:.6g}", f"{r['cost']:.6g}" if r["cost"] else "-",
                     r["detail"][:60]])
    out()
    out("twin/attack: the honest twin's cost over the attack's (above 1: the attack was charged "
        "less than honest work); else the attack's verdict")
    out(table(["attack", "meter", f"before ({args.before})", "now", "twin cost", "attack cost",
               "detail (now)"], rows, "llrrrrl"))
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
