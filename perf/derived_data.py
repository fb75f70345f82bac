"""Reading HumanEval+'s expected outputs back from the store, in the format the store keeps
them (marshal bytes, since this script's commit) against the tagged JSON text it kept before,
side by side in one process.

Every pool worker pays this once per task it judges, before the task's first check; for a
whole HumanEval+ run the two workers together pay it once for all 164 tasks. The expected
outputs come from running the canonical solutions (a fresh store computes them first, which
takes a minute; `--store` reuses one). Each round decodes all blobs in both formats, the
order alternating between rounds; the figure is each format's median over the rounds.

Usage: .venv/bin/python perf/derived_data.py [--store FILE] [--rounds 5] [--save]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA_DIR, RESULTS, Tee, machine_header, table  # noqa: E402

from perfjudge.benchmarks.evalplus import load_humaneval_plus  # noqa: E402
from perfjudge.engine import harness, judge  # noqa: E402
from perfjudge.store import Store  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args(argv)
    out = Tee(RESULTS / "derived_data.txt" if args.save else None)
    out(machine_header("perf/derived_data.py", argv))

    tasks = load_humaneval_plus(args.data_dir)
    path = args.store or Path(tempfile.mkdtemp(prefix="pj-derived-")) / "store.db"
    started = time.perf_counter()
    engine = judge.Engine(cache=Store(path))
    for task in tasks:
        engine.correctness_tests(task)
    out(f"# expected outputs of {len(tasks)} tasks ready in {time.perf_counter() - started:.1f} s")

    with sqlite3.connect(path) as conn:
        keys = [k for (k,) in conn.execute("SELECT key FROM blobs WHERE key LIKE 'reference-cpu-%'")]
    marshal_store, json_store = Store(path), Store(Path(tempfile.mkdtemp()) / "json.db")
    values = {k: judge.Engine(cache=marshal_store)._cached(k, None) for k in keys}
    for key, value in values.items():
        json_store.put_blob(key, harness.dumps(value))  # exactly what the store held before
    sizes = {}
    for name, store in (("marshal", marshal_store), ("tagged JSON", json_store)):
        with sqlite3.connect(store.path) as conn:
            sizes[name] = conn.execute("SELECT SUM(LENGTH(value)) FROM blobs WHERE key LIKE "
                                       "'reference-cpu-%'").fetchone()[0]

    def decode_all(store: Store) -> float:
        engine = judge.Engine(cache=store)  # a fresh worker's engine: nothing in memory
        start = time.perf_counter()
        for key in keys:
            engine._cached(key, None)
        return time.perf_counter() - start

    seconds: dict[str, list[float]] = {"marshal": [], "tagged JSON": []}
    for r in range(args.rounds):
        order = [("marshal", marshal_store), ("tagged JSON", json_store)][:: 1 if r % 2 else -1]
        for name, store in order:
            seconds[name].append(decode_all(store))
    check = judge.Engine(cache=json_store)
    same = all(harness.dumps(check._cached(k, None)) == harness.dumps(values[k]) for k in keys)

    rows = [[name, f"{statistics.median(s):.2f}", f"{min(s):.2f}-{max(s):.2f}",
             f"{sizes[name] / 2**20:.0f}"] for name, s in seconds.items()]
    out(f"\n{len(keys)} blobs of expected outputs and reference CPU times "
        f"({sum(len(t.tests) for t in tasks)} inputs), {args.rounds} rounds; decoded values "
        f"identical in both formats: {same}")
    out(table(["format", "decode all (s, median)", "range", "MB stored"], rows))
    ratio = statistics.median(seconds["tagged JSON"]) / statistics.median(seconds["marshal"])
    out(f"\ntagged JSON / marshal: {ratio:.2f}x")
    out(json.dumps({"seconds": seconds, "bytes": sizes}))
    out.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
