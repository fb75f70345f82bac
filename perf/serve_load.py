"""Load on `perfjudge serve`: 1, 8, 32 and 64 concurrent clients sending judge requests over
loopback, correct, wrong and hostile code mixed; throughput, latency, status counts and the
server's resident memory.

The server is a real `perfjudge serve` process (`--workers` workers, a fresh store, the
benchmark and its expected outputs loaded before the clock starts). Each client sends
requests one after another; every request's code is distinct (a numbered comment), so each
is judged, none comes from the store. Of every 10 requests, 6 carry the task's canonical
solution, 3 a wrong one and 1 a hostile one (in turn: kills its parent, fork bomb, an
infinite loop, 1 GiB of memory, 100 MB of output). Tasks cycle through the benchmark in
the same order at every level. A
request answered 429 is sent again after its Retry-After (as a trainer would); a request
without an answer (a connection error or no HTTP response in 600 s) counts as lost. The
throughput is answered judge requests / wall seconds from the first send to the last
answer; latency is from a request's first send to its answer, retries included.

The clients run on the same machine as the server and its workers (one process, asyncio,
httpx), so at high concurrency they take CPU the judge would use.

Usage: .venv/bin/python perf/serve_load.py [--benchmark humaneval+mini] [--meter none]
       [--requests 400] [--concurrency 1 8 32 64] [--workers 2] [--max-queue 64]
       [--no-hostile] [--task ID ...] [--data-dir DIR] [--save]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _common import DEFAULT_DATA_DIR, RESULTS, Tee, load_average, machine_header, table  # noqa: E402

from perfjudge.benchmarks import get_benchmark  # noqa: E402

HOSTILE = [
    "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
    "import os\nwhile True:\n    os.fork()\n",
    "while True:\n    pass\n",
    "x = bytearray(1 << 30)\n",
    "import sys\nsys.stdout.write('x' * 100_000_000)\n",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (VmRSS, /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of ``pid`` itself and of its descendants (live ones, plus
    what they reaped: the sandboxes), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, list[str]] = {}
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry))
    own = sum(int(x) for x in stats[pid][11:13]) / tick
    rest, todo = 0.0, list(children.get(pid, []))
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        f = stats.get(p)
        if f:
            rest += sum(int(x) for x in f[11:15]) / tick
    return own, rest


def bodies(benchmark: str, data_dir: Path, meter: str, n: int, offset: int,
           hostile: bool = True, only: tuple[str, ...] = ()) -> list[dict]:
    tasks = [t for t in get_benchmark(benchmark).load(data_dir)
             if not only or t.task_id in only]
    out = []
    for i in range(n):
        task = tasks[i % len(tasks)]  # every level the same tasks in the same order
        kind = i % 10
        if kind < 6 or (kind == 9 and not hostile):
            code = task.canonical.code
        elif kind < 9:
            code = task.prompt + "    return None\n"
        else:
            code = HOSTILE[(i // 10) % len(HOSTILE)]
        out.append({"benchmark": benchmark, "task_id": task.task_id, "meter": meter,
                    "code": code + f"\n# request {offset + i}\n"})
    return out


async def one(client: httpx.AsyncClient, url: str, body: dict, statuses: Counter,
              latencies: list[float], verdicts: Counter) -> None:
    started = time.perf_counter()
    while True:
        try:
            response = await client.post(url, json=body, timeout=600)
        except httpx.HTTPError as exc:
            statuses[f"lost ({type(exc).__name__})"] += 1
            return
        statuses[response.status_code] += 1
        if response.status_code == 429:
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            continue
        if response.status_code == 200:
            verdicts[response.json()["verdict"]] += 1
        latencies.append(time.perf_counter() - started)
        return


async def level(url: str, headers: dict, requests: list[dict], concurrency: int
                ) -> tuple[float, list[float], Counter, Counter]:
    statuses: Counter = Counter()
    verdicts: Counter = Counter()
    latencies: list[float] = []
    queue = list(reversed(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, limits=limits) as client:
        async def worker():
            while queue:
                await one(client, url, queue.pop(), statuses, latencies, verdicts)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return seconds, latencies, statuses, verdicts


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--benchmark", default="humaneval+mini")
    parser.add_argument("--meter", default="none")
    parser.add_argument("--requests", type=int, default=400, help="requests per level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-queue", type=int, default=64)
    parser.add_argument("--no-hostile", action="store_true",
                        help="7 correct and 3 wrong of every 10, no hostile request")
    parser.add_argument("--task", action="append", default=[],
                        help="only this task (repeatable; default: all, in turn)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--save", action="store_true",
                        help="append the output to perf/results/serve_load.txt")
    args = parser.parse_args(argv)
    out = Tee(None)
    out(machine_header("perf/serve_load.py", argv))
    tmp = Path(tempfile.mkdtemp(prefix="pj-serve-load-"))
    token = secrets.token_hex(16)
    (tmp / "token").write_text(token)
    port = free_port()
    cmd = [sys.executable, "-m", "perfjudge.cli", "serve", "--port", str(port),
           "--token-file", str(tmp / "token"), "--store", str(tmp / "store.db"),
           "--data-dir", str(args.data_dir), "-j", str(args.workers),
           "--max-queue", str(args.max_queue), "-b", args.benchmark]
    server = subprocess.Popen(cmd, stdout=open(tmp / "server.log", "wb"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 900
        while True:
            if server.poll() is not None:
                raise SystemExit("the server exited:\n" + (tmp / "server.log").read_text())
            try:
                if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        # warm every worker's slots and the meter before the clock starts
        warm = bodies(args.benchmark, args.data_dir, args.meter, 4 * args.workers, 10_000_000)
        asyncio.run(level(url + "/v1/judge", headers, warm, args.workers))
        rss_before = rss_bytes(server.pid)
        out(f"benchmark {args.benchmark}, meter {args.meter}, {args.workers} workers, "
            f"max queue {args.max_queue}, {args.requests} requests per level, "
            + ("correct 7 : wrong 3" if args.no_hostile else "correct 6 : wrong 3 : hostile 1")
            + (f", tasks {' '.join(args.task)}" if args.task else "") + f"; load "
            f"{load_average()}")
        rows, cpu_rows = [], []
        for i, concurrency in enumerate(args.concurrency):
            requests = bodies(args.benchmark, args.data_dir, args.meter, args.requests,
                              i * args.requests, hostile=not args.no_hostile,
                              only=tuple(args.task))
            cpu_before, client_before = cpu_seconds(server.pid), time.process_time()
            seconds, latencies, statuses, verdicts = asyncio.run(
                level(url + "/v1/judge", headers, requests, concurrency))
            cpu_after, client_after = cpu_seconds(server.pid), time.process_time()
            answered = len(latencies)
            per = 1000 / max(1, answered)
            cpu_rows.append([concurrency, f"{per * (cpu_after[0] - cpu_before[0]):.1f}",
                             f"{per * (cpu_after[1] - cpu_before[1]):.1f}",
                             f"{per * (client_after - client_before):.1f}"])
            rows.append([concurrency, answered, f"{seconds:.1f}",
                         f"{answered / seconds:.1f}",
                         f"{1000 * statistics.median(latencies):.0f}",
                         f"{1000 * percentile(latencies, 0.99):.0f}",
                         " ".join(f"{k}:{v}" for k, v in sorted(statuses.items(), key=str)),
                         " ".join(f"{k}:{v}" for k, v in sorted(verdicts.items()))])
        rss_after = rss_bytes(server.pid)
        out("CPU milliseconds per answered request (the workers' column counts the live "
            "workers and what they reaped):")
        out(table(["clients", "server process", "workers + sandboxes", "load client"],
                  cpu_rows))
        out(table(["clients", "answered", "s", "req/s", "p50 ms", "p99 ms", "HTTP statuses",
                   "verdicts"], rows, "rrrrrrll"))
        out(f"server + workers resident memory: {rss_before / 2**20:.0f} MiB before, "
            f"{rss_after / 2**20:.0f} MiB after; load {load_average()}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            code = "killed"
        out(f"server exit code after SIGTERM: {code}\n")
        if args.save:
            with open(RESULTS / "serve_load.txt", "a") as handle:
                handle.write("\n".join(out.parts) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
