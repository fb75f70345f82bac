"""HumanEval+ correctness as a user runs it: `perfjudge evaluate -b humaneval+` (meter none,
the default for pass@k benchmarks) against EvalPlus 0.3.1's `evalplus.evaluate`, side by side.

Workload: the 164 canonical solutions (prompt + canonical_solution), every base and plus
input, 2 workers on both sides. Each tool runs twice, interleaved (perfjudge cold, EvalPlus
cold, perfjudge warm, EvalPlus warm):
  cold  empty caches: both first compute expected outputs by running the canonical solutions
  warm  expected outputs cached (perfjudge: the same store with its results deleted, so every
        sample runs again; EvalPlus: its ground-truth pickle)
perfjudge's time is the whole CLI (start to exit); EvalPlus's is until its results file is
written (its CLI then idles up to 20 s in a checker thread; `evalplus_throughput.py` reports
both). The EvalPlus venv and its setup are `evalplus_throughput.py`'s.

Usage: .venv/bin/python perf/evaluate_vs_evalplus.py [--workers 2] [--save]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA_DIR, REPO, RESULTS, Tee, load_average, machine_header, table  # noqa: E402
from evalplus_throughput import (DATA_FILE, ensure_bench_venv, evalplus_env,  # noqa: E402
                                 run_evalplus)

from perfjudge.engine import sandbox  # noqa: E402


def perfjudge_run(samples: Path, data_dir: Path, store: Path, out: Path,
                  workers: int) -> tuple[float, dict]:
    cmd = [str(REPO / ".venv" / "bin" / "perfjudge"), "evaluate", "-b", "humaneval+",
           "--data-dir", str(data_dir), "-s", str(samples), "-j", str(workers), "-o", str(out),
           "--store", str(store), "--json"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"perfjudge evaluate failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, json.loads(proc.stdout)


def forget_results(store: Path, copy: Path) -> None:
    """A copy of the store with every result and run gone, its derived data (expected
    outputs, machine speed) kept."""
    shutil.copy(store, copy)
    with sqlite3.connect(copy) as conn:
        for name in ("results", "run_items", "runs"):
            conn.execute(f"DELETE FROM {name}")


def evalplus_passes(results: dict) -> int:
    """Tasks whose canonical solution passes both base and plus in EvalPlus's results."""
    passed = 0
    for rows in results["eval"].values():
        row = rows[0]
        if row.get("base_status") == "pass" and row.get("plus_status") == "pass":
            passed += 1
    return passed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--bench-venv", type=Path, default=REPO / ".bench-venv")
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "evaluate_vs_evalplus.txt" if args.save else None)
    out(machine_header("perf/evaluate_vs_evalplus.py", argv))
    py = ensure_bench_venv(args.bench_venv, sandbox.probe().python, install=True)
    with gzip.open(args.data_dir / DATA_FILE, "rt") as handle:
        rows = [json.loads(line) for line in handle]
    tmp = Path(tempfile.mkdtemp(prefix="pj-evaluate-vs-evalplus-"))
    try:
        samples = tmp / "samples.jsonl"
        samples.write_text("".join(json.dumps({"task_id": r["task_id"], "solution":
                                               r["prompt"] + r["canonical_solution"]}) + "\n"
                                   for r in rows))
        env = evalplus_env(args.data_dir, tmp / "evalplus-cache")
        os.environ.pop("PERFJUDGE_STORE", None)
        timings = []
        out(f"# perfjudge cold starts (load average {load_average()})")
        pj_cold, cold_summary = perfjudge_run(samples, args.data_dir, tmp / "cold.db",
                                              tmp / "pj-cold", args.workers)
        out(f"# EvalPlus cold starts (load average {load_average()})")
        _, ep_cold, gt, ep_results, _ = run_evalplus(py, samples, env, args.workers)
        forget_results(tmp / "cold.db", tmp / "warm.db")
        out(f"# perfjudge warm starts (load average {load_average()})")
        pj_warm, warm_summary = perfjudge_run(samples, args.data_dir, tmp / "warm.db",
                                              tmp / "pj-warm", args.workers)
        out(f"# EvalPlus warm starts (load average {load_average()})")
        _, ep_warm, _, ep_warm_results, _ = run_evalplus(py, samples, env, args.workers)
        assert warm_summary["executed"] == len(rows), warm_summary["executed"]
        pj_pass = warm_summary["counts"]["verdicts"].get("passed", 0)
        for tool, phase, seconds, passed in (
                ("perfjudge", "cold", pj_cold, cold_summary["counts"]["verdicts"].get("passed")),
                ("EvalPlus", "cold", ep_cold, evalplus_passes(ep_results)),
                ("perfjudge", "warm", pj_warm, pj_pass),
                ("EvalPlus", "warm", ep_warm, evalplus_passes(ep_warm_results))):
            timings.append([tool, phase, f"{seconds:.1f}", f"{passed} of {len(rows)}"])
        out(f"\n{len(rows)} canonical solutions, every base and plus input, {args.workers} "
            f"workers; perfjudge meter: {warm_summary['meter']['name']}; EvalPlus cold "
            f"computed expected outputs in {gt} s (its log)")
        out(table(["tool", "phase", "seconds", "pass (base and plus)"], timings))
        out(f"\nEvalPlus / perfjudge (> 1: perfjudge is faster): cold {ep_cold / pj_cold:.2f}x, "
            f"warm {ep_warm / pj_warm:.2f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
