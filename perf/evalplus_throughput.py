"""Correctness throughput on HumanEval+ (v0.1.10): perfjudge against EvalPlus 0.3.1's evaluator.

Workload: the 164 canonical solutions (prompt + canonical_solution), every base and plus input,
no meter. Both tools run on this machine with 2 workers and the same interpreter (the one the
sandbox uses, ``sandbox.probe().python``; the EvalPlus venv is created from it).

perfjudge: ``check_solution(task, code, engine=Engine(cache=<fresh dir>))`` over a
``ThreadPoolExecutor(--workers)`` (each check is a sandboxed subprocess, so threads suffice).
To get EvalPlus's verdict granularity, each task is checked twice, once on its base inputs and
once on its plus inputs (two sandboxed runs per task, as EvalPlus runs two processes per
sample), in file order. Phases:
  cold   empty expected-output cache: each check first runs the canonical solution in the
         sandbox to derive expected outputs (as EvalPlus does), then the sample
  warm   the same checks again, expected outputs read from the cache
  warm-1 the natural perfjudge mode: one check per task on base+plus inputs (warm cache)

EvalPlus: ``python -m evalplus.evaluate --dataset humaneval --samples FILE --parallel W``
with ``HUMANEVAL_OVERRIDE_PATH`` = the .jsonl.gz (evalplus 0.3.1 reads it with gzip when the
name ends in .gz and then never downloads), its cache (``XDG_CACHE_HOME``) in a fresh temp
dir for the cold run and reused for the warm run, and proxies pointed at a closed port so any
network attempt would fail instead of leaving the machine. EvalPlus computes expected outputs
sequentially in its parent process (``get_groundtruth``, printed as "Expected outputs computed
in X s") and pickles them; the warm run loads the pickle. Its wall clock includes importing
evalplus (reported separately).

Verdicts are compared per task and part (base, plus): "pass" on both sides or "fail" on both.
Every task that differs or fails on either side is listed with both tools' details.

Usage: .venv/bin/python perf/evalplus_throughput.py [--workers 2] [--tasks N]
       [--skip-evalplus] [--skip-perfjudge] [--bench-venv .bench-venv] [--save]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA_DIR, REPO, RESULTS, Tee, load_average, machine_header, table  # noqa: E402

from perfjudge.engine import sandbox  # noqa: E402
from perfjudge.engine.judge import Engine, EngineError, check_solution  # noqa: E402
from perfjudge.records.result import CheckResult  # noqa: E402
from perfjudge.records.task import Task  # noqa: E402
from perfjudge.store import Store

DATA_FILE = "evalplus/HumanEvalPlus-v0.1.10.jsonl.gz"
EVALPLUS_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-evalplus.txt"
PARTS = ("base", "plus")


# ----------------------------------------------------------------------------- perfjudge


def load_tasks(data_dir: Path) -> tuple[list[Task], str]:
    """Tasks from the perfjudge adapter; a stopgap reader if the adapter is missing/broken."""
    try:
        from perfjudge.benchmarks import get_benchmark

        return list(get_benchmark("humaneval+").load(data_dir)), "perfjudge adapter 'humaneval+'"
    except Exception as exc:  # noqa: BLE001 - report and fall back
        print(f"WARNING: humaneval+ adapter failed ({exc!r}); using the stopgap reader",
              file=sys.stderr)
    from perfjudge.records.task import Comparison, Reference, TestCase

    tasks = []
    for row in read_rows(data_dir):
        tests = tuple(TestCase(list(a), level="base") for a in row["base_input"]) + tuple(
            TestCase(list(a), level="plus") for a in row["plus_input"])
        atol = float(row["atol"] or 0)
        tasks.append(Task("humaneval+", row["task_id"], row["prompt"], "function",
                          row["entry_point"], tests,
                          references=(Reference("canonical",
                                                row["prompt"] + row["canonical_solution"]),),
                          comparison=Comparison("atol", atol) if atol else Comparison()))
    return tasks, "STOPGAP reader in this script (adapter failed)"


def read_rows(data_dir: Path) -> list[dict]:
    with gzip.open(data_dir / DATA_FILE, "rt") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def split_task(task: Task, part: str) -> Task:
    return dataclasses.replace(task, tests=tuple(t for t in task.tests if t.level == part))


def run_perfjudge(jobs: list[tuple[str, str, Task, str]], engine: Engine, workers: int
                  ) -> tuple[float, dict[tuple[str, str], CheckResult]]:
    """Check every (task_id, part, task, code) job; returns wall seconds and results."""
    def one(job):
        task_id, part, task, code = job
        return (task_id, part), check_solution(task, code, engine=engine)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = dict(pool.map(one, jobs))
    return time.perf_counter() - start, results


# ----------------------------------------------------------------------------- EvalPlus


def ensure_bench_venv(venv: Path, python: str, install: bool) -> Path:
    py = venv / "bin" / "python"
    probe = subprocess.run([str(py), "-c", "import evalplus, sys; print(evalplus.__version__)"],
                           capture_output=True, text=True) if py.exists() else None
    if probe is not None and probe.returncode == 0:
        return py
    if not install:
        raise SystemExit(f"{venv} has no evalplus; create it with:\n  {python} -m venv {venv} && "
                         f"{venv}/bin/pip install -r {EVALPLUS_REQUIREMENTS}")
    print(f"creating {venv} with {python} and installing {EVALPLUS_REQUIREMENTS.name}",
          file=sys.stderr)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(EVALPLUS_REQUIREMENTS)],
                   check=True)
    return py


def evalplus_env(data_dir: Path, cache_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUMANEVAL_", "MBPP_"))}
    env.update({
        "HUMANEVAL_OVERRIDE_PATH": str(data_dir / DATA_FILE),
        "XDG_CACHE_HOME": str(cache_home),
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
    })
    return env


def run_evalplus(py: Path, samples: Path, env: dict[str, str], workers: int
                 ) -> tuple[float, float, float | None, dict, str]:
    """One ``evalplus.evaluate`` run: seconds until the CLI exits, seconds until its results
    file is written, its expected-output seconds (cold only), the results, its output."""
    result_path = samples.with_name(samples.stem + "_eval_results.json")
    result_path.unlink(missing_ok=True)
    cmd = [str(py), "-m", "evalplus.evaluate", "--dataset", "humaneval", "--samples",
           str(samples), "--parallel", str(workers)]
    start_epoch = time.time()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=samples.parent)
    wall = time.perf_counter() - start
    text = proc.stdout + proc.stderr
    if proc.returncode != 0 or not result_path.exists():
        raise SystemExit(f"evalplus failed ({proc.returncode}):\n{text[-3000:]}")
    # evalplus 0.3.1 starts a non-daemon "stucking_checker" thread that sleeps in 20 s steps,
    # so the CLI exits up to 20 s after the results file is written: report both.
    written = result_path.stat().st_mtime - start_epoch
    match = re.search(r"Expected outputs computed in ([0-9.]+)s", text)
    gt = float(match.group(1)) if match else None
    return wall, written, gt, json.loads(result_path.read_text()), text


def evalplus_import_seconds(py: Path, env: dict[str, str], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([str(py), "-c", "import evalplus.evaluate"], env=env, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


# ----------------------------------------------------------------------------- report


def pj_status(result: CheckResult | None) -> str:
    if result is None:
        return "-"
    return "pass" if result.passed else "fail"


def pj_reason(result: CheckResult) -> str:
    text = f"{result.verdict}: {result.detail}"
    if result.failure is not None:
        f = result.failure
        text += f" [test {f.index}: input {f.input_repr[:120]}"
        if f.expected_repr is not None:
            text += f", expected {f.expected_repr[:80]}, got {(f.output_repr or '')[:80]}"
        text += "]"
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--workers", type=int, default=2, help="parallel workers for both (2)")
    parser.add_argument("--tasks", type=int, default=0, help="only the first N tasks (all)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"benchmark data folder ({DEFAULT_DATA_DIR})")
    parser.add_argument("--bench-venv", type=Path, default=REPO / ".bench-venv",
                        help="venv holding evalplus==0.3.1 (.bench-venv)")
    parser.add_argument("--no-install", action="store_true",
                        help="fail instead of creating the EvalPlus venv when it is missing")
    parser.add_argument("--skip-evalplus", action="store_true")
    parser.add_argument("--skip-perfjudge", action="store_true")
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/evalplus_throughput.txt")
    args = parser.parse_args(argv)

    out = Tee(RESULTS / "evalplus_throughput.txt" if args.save else None)
    out(machine_header("perf/evalplus_throughput.py", argv))
    caps = sandbox.probe()
    rows = read_rows(args.data_dir)
    if args.tasks:
        rows = rows[: args.tasks]
    wanted = {r["task_id"] for r in rows}
    n_tests = {part: sum(len(r[f"{part}_input"]) for r in rows) for part in PARTS}
    total_tests = sum(n_tests.values())
    out(f"# workload: {len(rows)} tasks, {n_tests['base']} base + {n_tests['plus']} plus = "
        f"{total_tests} test inputs, canonical solutions (prompt + canonical_solution)")

    timings: list[list[str]] = []
    pj_results: dict[tuple[str, str], CheckResult] = {}
    ep_results: dict[str, dict] = {}

    def timing_row(tool: str, phase: str, seconds: float, counted: str, expected: str = "-"):
        timings.append([tool, phase, f"{seconds:.1f}", f"{total_tests / seconds:,.0f}",
                        expected, counted])

    tmp_root = Path(tempfile.mkdtemp(prefix="pj-evalplus-bench-"))
    try:
        if not args.skip_perfjudge:
            tasks, source = load_tasks(args.data_dir)
            tasks = [t for t in tasks if t.task_id in wanted]
            out(f"# perfjudge tasks from: {source}")
            engine = Engine(cache=Store(tmp_root / "pj-cache.db"))
            split_jobs = [(t.task_id, part, split_task(t, part), t.canonical.code)
                          for t in tasks for part in PARTS]
            out(f"# perfjudge cold phase starts (load average {load_average()})")
            cold, pj_results = run_perfjudge(split_jobs, engine, args.workers)
            out(f"# perfjudge warm phase starts (load average {load_average()})")
            warm, pj_warm = run_perfjudge(split_jobs, engine, args.workers)
            whole_jobs = [(t.task_id, "all", t, t.canonical.code) for t in tasks]
            # The combined tasks need their own expected outputs: fill them untimed.
            for t in tasks:
                try:
                    engine.correctness_tests(t)
                except EngineError:
                    pass  # check_solution reports it as a sandbox_error verdict

            out(f"# perfjudge warm-1 phase starts (load average {load_average()})")
            warm1, pj_whole = run_perfjudge(whole_jobs, engine, args.workers)
            timing_row("perfjudge", "cold (base, plus: 2 checks/task)", cold,
                       "reference runs + sample runs", f"~{cold - warm:.1f} (cold - warm)")
            timing_row("perfjudge", "warm (base, plus: 2 checks/task)", warm, "sample runs")
            timing_row("perfjudge", "warm-1 (1 check/task, base+plus)", warm1, "sample runs")
            flips = [k for k in pj_results if pj_results[k].passed != pj_warm[k].passed]
            if flips:
                out(f"# WARNING: cold and warm perfjudge verdicts differ on {sorted(flips)}")
            whole_fail = [tid for (tid, _), r in pj_whole.items() if not r.passed]
            out(f"# perfjudge warm-1 (combined) failures: {whole_fail or 'none'}")

        if not args.skip_evalplus:
            py = ensure_bench_venv(args.bench_venv, caps.python, not args.no_install)
            version = subprocess.run([str(py), "-c", "import evalplus;print(evalplus.__version__)"],
                                     capture_output=True, text=True).stdout.strip()
            out(f"# EvalPlus {version} from {args.bench_venv} ({py.resolve()})")
            samples = tmp_root / "ep" / "samples.jsonl"
            samples.parent.mkdir()
            with samples.open("w") as handle:
                for r in rows:
                    handle.write(json.dumps({"task_id": r["task_id"],
                                             "solution": r["prompt"] + r["canonical_solution"]}) + "\n")
            if args.tasks:
                # evalplus asserts that every task of the dataset has a sample.
                override = tmp_root / "ep" / "HumanEvalPlus-subset.jsonl"
                override.write_text("".join(json.dumps(r) + "\n" for r in rows))
            env = evalplus_env(args.data_dir, tmp_root / "ep-cache")
            if args.tasks:
                env["HUMANEVAL_OVERRIDE_PATH"] = str(override)
            imp = evalplus_import_seconds(py, env)
            out(f"# EvalPlus cold phase starts (load average {load_average()})")
            ep_cold_exit, ep_cold, ep_gt, ep_data, _ = run_evalplus(py, samples, env, args.workers)
            out(f"# EvalPlus warm phase starts (load average {load_average()})")
            ep_warm_exit, ep_warm, _, ep_data_warm, _ = run_evalplus(py, samples, env,
                                                                     args.workers)
            timing_row("EvalPlus", "cold (computes ground truth)", ep_cold,
                       f"CLI start -> results file written, incl. {imp:.1f} s import",
                       f"{ep_gt:.2f} (its own log)" if ep_gt is not None else "?")
            timing_row("EvalPlus", "warm (ground truth from pickle)", ep_warm,
                       f"CLI start -> results file written, incl. {imp:.1f} s import")
            timing_row("EvalPlus", "cold-exit (CLI exit)", ep_cold_exit,
                       "+ idle wait for its 20 s stucking_checker thread")
            timing_row("EvalPlus", "warm-exit (CLI exit)", ep_warm_exit,
                       "+ idle wait for its 20 s stucking_checker thread")
            ep_results = {tid: v[0] for tid, v in ep_data["eval"].items()}
            warm_res = {tid: v[0] for tid, v in ep_data_warm["eval"].items()}
            flips = [tid for tid in ep_results
                     if (ep_results[tid]["base_status"], ep_results[tid]["plus_status"])
                     != (warm_res[tid]["base_status"], warm_res[tid]["plus_status"])]
            if flips:
                out(f"# WARNING: EvalPlus cold and warm verdicts differ on {flips}")
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    out()
    out(f"Throughput, {len(rows)} tasks, {total_tests} tests, {args.workers} workers "
        "(wall clock of the whole phase)")
    out(table(["tool", "phase", "seconds", "tests/s", "expected-output s", "what the time covers"],
              timings, "llrrrl"))
    by = {(r[0], r[1].split()[0]): float(r[2]) for r in timings}
    if ("perfjudge", "warm") in by and ("EvalPlus", "warm") in by:
        out()
        out("Speed ratio (EvalPlus seconds until its results file is written / perfjudge "
            "seconds; > 1 means perfjudge is faster):")
        ratio_rows = [
            ["cold vs cold", f"{by[('EvalPlus', 'cold')] / by[('perfjudge', 'cold')]:.2f}x"],
            ["warm vs warm (2 checks/task)",
             f"{by[('EvalPlus', 'warm')] / by[('perfjudge', 'warm')]:.2f}x"],
            ["warm vs warm-1 (1 check/task)",
             f"{by[('EvalPlus', 'warm')] / by[('perfjudge', 'warm-1')]:.2f}x"],
        ]
        out(table(["comparison", "ratio"], ratio_rows, "lr"))

    if pj_results and ep_results:
        out()
        agree = {part: 0 for part in PARTS}
        listed = []
        for r in rows:
            tid = r["task_id"]
            line = {"task": tid}
            problem = False
            for part in PARTS:
                pj = pj_status(pj_results.get((tid, part)))
                ep = ep_results[tid][f"{part}_status"]
                ep = "pass" if ep == "pass" else (ep or "none")
                same = (pj == "pass") == (ep == "pass")
                agree[part] += same
                line[part] = (pj, ep)
                problem |= not same or pj != "pass" or ep != "pass"
            if problem:
                listed.append((tid, line))
        out("Verdict agreement (pass/fail per task and part):")
        out(table(["part", "agree", "of", "perfjudge pass", "EvalPlus pass"],
                  [[part, agree[part], len(rows),
                    sum(pj_results[(r['task_id'], part)].passed for r in rows),
                    sum(ep_results[r['task_id']][f'{part}_status'] == 'pass' for r in rows)]
                   for part in PARTS], "lrrrr"))
        out()
        if not listed:
            out("No task differs or fails on either side.")
        else:
            out(f"Tasks that differ or fail on either side ({len(listed)}):")
            for tid, line in listed:
                out(f"- {tid}: base perfjudge={line['base'][0]} EvalPlus={line['base'][1]}; "
                    f"plus perfjudge={line['plus'][0]} EvalPlus={line['plus'][1]}")
                for part in PARTS:
                    res = pj_results[(tid, part)]
                    if not res.passed:
                        out(f"    perfjudge {part}: {pj_reason(res)}")
                    ep = ep_results[tid]
                    if ep[f"{part}_status"] != "pass":
                        fails = json.dumps(ep.get(f"{part}_fail_tests"))[:200]
                        out(f"    EvalPlus {part}: {ep[f'{part}_status']}, failing input {fails}")
    elif pj_results:
        fails = [(k, r) for k, r in pj_results.items() if not r.passed]
        out()
        out(f"perfjudge failures: {len(fails)}")
        for (tid, part), res in fails:
            out(f"- {tid} {part}: {pj_reason(res)}")
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
