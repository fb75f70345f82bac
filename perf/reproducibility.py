"""Do two runs of the same samples give the same costs and the same scores?

Runs the built-in default (`perfjudge evaluate`: 15 example samples and the 45 references of
their tasks) from an empty store, several times, per meter:

  A   2 workers                      (the default)
  B   2 workers, again               (a fresh run of the same thing)
  C   1 worker                       (serial: nothing runs beside a check)
  D   1 worker, both cores loaded    (a CPU burner per core for the whole run)

and compares every per-test cost of every sample and reference, every sample's speedup, and
every score, with A. For each meter it prints the largest relative and absolute difference
of a per-test cost, and whether every score is identical; the first figure is the resolution
the meter actually achieves across fresh processes, runs, parallelism and load (compare
`Meter.resolution` and `Meter.relative_resolution`, the tie band scores use). For time meters
the speedup is paired (sample and canonical reference measured round by round in one
sandbox); its spread across runs is set beside that of the ratio of the two costs measured
apart, and the coverage of its 95% interval is counted on each task's canonical reference
paired with itself (true speedup 1).

Usage: .venv/bin/python perf/reproducibility.py [--meters valgrind,cpu_time] [--save]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, Tee, machine_header, table  # noqa: E402

from perfjudge import meters  # noqa: E402
from perfjudge.pipeline import EvaluateOptions, evaluate  # noqa: E402

BURNER = "while True:\n    pass\n"


def one_run(meter: str, workers: int, tmp: Path, name: str) -> tuple[dict, dict, float]:
    """Costs {(sample_id, test): cost} and scores {metric: value} of one fresh run."""
    root = tmp / f"{meter}-{name}"
    root.mkdir()
    started = time.perf_counter()  # a fresh store: no results, no derived data, no speed
    report = evaluate(EvaluateOptions(benchmark="builtin", meter=meter, workers=workers,
                                      store=root / "store.db", output=root / "out"))
    seconds = time.perf_counter() - started
    costs = {}
    refs = {(r["task_id"], r["reference"]): r["cost"] for r in report.records
            if r["reference"] is not None}
    for record in report.records:
        for i, cost in enumerate(record["test_costs"]):
            costs[(record["sample_id"], i)] = cost
        costs[(record["sample_id"], "verdict")] = record["verdict"]
        if record["reference"] is None and record["paired"]:
            costs[(record["sample_id"], "paired")] = record["paired"]["speedup"]
            canonical = refs.get((record["task_id"], record["paired"]["reference"]))
            if canonical and record["cost"]:
                costs[(record["sample_id"], "apart")] = canonical / record["cost"]
    scores = {name: s["value"] for name, s in report.summary["scores"].items()}
    return costs, scores, seconds


def compare(base: tuple[dict, dict, float], other: tuple[dict, dict, float]) -> dict:
    costs_a, scores_a, _ = base
    costs_b, scores_b, _ = other
    rel = absolute = 0.0
    where = ""
    verdicts = 0
    speedup = {"paired": 0.0, "apart": 0.0}
    for key, a in costs_a.items():
        b = costs_b.get(key)
        if key[1] == "verdict":
            verdicts += a != b
            continue
        if key[1] in speedup:
            if b:
                speedup[key[1]] = max(speedup[key[1]], abs(a - b) / a)
            continue
        if b is None or not a:
            continue
        d = abs(a - b)
        if d / a > rel:
            rel, where = d / a, f"{key[0]} test {key[1]}"
        absolute = max(absolute, d)
    score_diff = max((abs((scores_a[k] or 0) - (scores_b.get(k) or 0)) for k in scores_a),
                     default=0.0)
    return {"rel": rel, "abs": absolute, "where": where, "verdicts": verdicts,
            "speedup_paired": speedup["paired"], "speedup_apart": speedup["apart"],
            "scores_identical": scores_a == scores_b, "score_diff": score_diff}


def self_pair_coverage(meter: str, tmp: Path, rounds: int) -> tuple[int, int, float]:
    """(intervals containing 1, intervals, widest relative half-width) of each builtin task's
    canonical reference paired with itself, ``rounds`` times over."""
    from perfjudge.benchmarks import get_benchmark
    from perfjudge.engine.judge import Engine, check_solution
    from perfjudge.store import Store

    engine = Engine(cache=Store(tmp / f"self-pair-{meter}.db"))
    hits = total = 0
    widest = 0.0
    for _ in range(rounds):
        for task in get_benchmark("builtin").load():
            result = check_solution(task, task.canonical.code, meter=meter, engine=engine,
                                    paired_with=task.canonical)
            if result.paired is None:
                continue
            total += 1
            hits += result.paired["low"] <= 1.0 <= result.paired["high"]
            widest = max(widest, (result.paired["high"] - result.paired["low"])
                         / (2 * result.paired["speedup"]))
    return hits, total, widest


def burners(count: int) -> list[subprocess.Popen]:
    procs = []
    for core in range(count):
        procs.append(subprocess.Popen(["taskset", "-c", str(core % (os.cpu_count() or 1)),
                                       sys.executable, "-c", BURNER]))
    return procs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--meters", default="valgrind,cpu_time",
                        help="meters to run (valgrind,cpu_time)")
    parser.add_argument("--save", action="store_true",
                        help="also write the output to perf/results/reproducibility.txt")
    parser.add_argument("--self-pair-rounds", type=int, default=2,
                        help="times each builtin task's canonical is paired with itself")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "reproducibility.txt" if args.save else None)
    out(machine_header("perf/reproducibility.py", argv))
    rows = []
    score_rows = []
    pair_rows = []
    with tempfile.TemporaryDirectory(prefix="pj-repro-") as tmp_name:
        tmp = Path(tmp_name)
        for meter in args.meters.split(","):
            if not meters.get_meter(meter).availability()[0]:
                out(f"{meter}: not available here, skipped")
                continue
            runs = {"A": one_run(meter, 2, tmp, "A"), "B": one_run(meter, 2, tmp, "B"),
                    "C": one_run(meter, 1, tmp, "C")}
            load = burners(os.cpu_count() or 1)
            try:
                runs["D"] = one_run(meter, 1, tmp, "D")
            finally:
                for proc in load:
                    proc.kill()
                    proc.wait()
            m = meters.get_meter(meter)
            for name, label in (("B", "fresh run, 2 workers"), ("C", "serial"),
                                ("D", "serial, all cores loaded")):
                c = compare(runs["A"], runs[name])
                rows.append([meter, f"A vs {name} ({label})", f"{c['rel']:.2e}",
                             f"{c['abs']:.6g}", c["where"] or "-", str(c["verdicts"]),
                             "yes" if c["scores_identical"] else f"no (max diff {c['score_diff']:.4g})",
                             f"{runs[name][2]:.0f} s"])
                if not m.deterministic:
                    pair_rows.append([meter, f"A vs {name} ({label})",
                                      f"{c['speedup_paired']:.1%}", f"{c['speedup_apart']:.1%}"])
            if not m.deterministic:
                hits, total, widest = self_pair_coverage(meter, tmp, args.self_pair_rounds)
                pair_rows.append([meter, f"canonical paired with itself: 95% interval holds 1 "
                                  f"in {hits} of {total}", f"widest half-width {widest:.1%}", ""])
            score_rows.append([meter, f"{runs['A'][2]:.0f} s",
                               ", ".join(f"{k} {v:.3f}" for k, v in runs["A"][1].items()
                                         if v is not None),
                               f"{m.resolution:g} + {m.relative_resolution:g} rel"])
    out()
    out("Largest difference of a per-test cost (every sample and reference of the default run) "
        "against run A, and whether every score is identical")
    out(table(["meter", "runs", "max rel diff", "max abs diff", "where", "verdicts differ",
               "scores identical", "run took"], rows, "llrrlrll"))
    if pair_rows:
        out()
        out("Time meters: largest relative difference of a sample's speedup against run A, "
            "paired (measured beside the canonical) and apart (canonical's cost from its own "
            "check over the sample's)")
        out(table(["meter", "runs", "paired speedup", "speedup apart"], pair_rows, "llrr"))
    out()
    out(table(["meter", "run A took", "scores of run A", "tie band (Meter)"], score_rows, "lrll"))
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
