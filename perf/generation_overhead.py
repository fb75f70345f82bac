"""What perfjudge's generation client adds, against a bare `openai` client on the same server.

Serves the tiny model (`scripts/tiny_model.py`) with ``transformers serve`` on 127.0.0.1 and
drives it two ways, interleaved so drift of the machine hits both alike:

- **TTFT and end-to-end overhead**: N sequential streamed chat requests (same prompt, same
  seed, same ``max_tokens``), alternating a bare
  ``openai.OpenAI().chat.completions.create(stream=True)`` and perfjudge's `OpenAIBackend`;
  TTFT is the time from the call to the first content chunk (perfjudge: its own recorded
  ``ttft_s``), end to end the whole request timed outside each client.
  ``transformers serve`` reports no server-side timings (no TTFT in its responses or
  logs), so the references are clients, not the server's own clock: the differences of
  medians are what perfjudge's client adds. A third side, a raw ``http.client``
  request on one kept-alive connection that only looks for the first content line, is the
  floor: the server's own time to first token plus loopback.
- **Throughput at concurrency 1/8/32**: the same R requests (HumanEval prompts, fixed
  seeds), sent by a bare ``openai`` client loop in C threads, then by
  ``OpenAIBackend.generate`` with ``concurrency=C``, in alternating order per round;
  requests/s and completion tokens/s (server ``usage``) for each.

The tiny model makes generation itself cheap, so the client's share is as large as it can
be; a real model's figures would show a smaller relative overhead.

Usage: .venv/bin/python perf/generation_overhead.py [-n 60] [-r 64] [--save]
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_DATA_DIR, REPO, RESULTS, Stats, Tee, machine_header, table  # noqa: E402

from perfjudge.benchmarks import get_benchmark  # noqa: E402
from perfjudge.generate.backends import Generation, GenerationRequest, SamplingParams  # noqa: E402
from perfjudge.generate.openai_compat import OpenAIBackend  # noqa: E402
from perfjudge.generate.prompts import build_prompt  # noqa: E402


def _tiny():
    spec = importlib.util.spec_from_file_location("tiny_model", REPO / "scripts" / "tiny_model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiny_model"] = module
    spec.loader.exec_module(module)
    return module


def bare_ttft(client, model: str, messages: list, max_tokens: int,
              seed: int) -> tuple[float | None, float]:
    """(TTFT, end-to-end seconds), both timed outside the call."""
    started = time.perf_counter()
    first = None
    stream = client.chat.completions.create(model=model, messages=messages, stream=True,
                                            max_tokens=max_tokens, temperature=1.0, seed=seed,
                                            stream_options={"include_usage": True})
    for chunk in stream:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter()
    end = time.perf_counter()
    return (None if first is None else first - started), end - started


class Floor:
    """The least a client can do: ``http.client`` on one kept-alive loopback connection (as
    the other two keep theirs), raw lines read until the first that carries content, no
    SSE or JSON parsing of whole chunks: the server's own time to first token plus
    loopback."""

    def __init__(self, base_url: str):
        self.url = urllib.parse.urlsplit(base_url)
        self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port)

    def ttft(self, model: str, messages: list, max_tokens: int,
             seed: int) -> tuple[float | None, float]:
        body = json.dumps({"model": model, "messages": messages, "stream": True,
                           "max_tokens": max_tokens, "temperature": 1.0, "seed": seed})
        started = time.perf_counter()
        self.conn.request("POST", self.url.path + "/chat/completions", body,
                          {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        first = None
        while True:
            line = response.readline()
            if not line:
                break
            if first is None and b'"content":"' in line and b'"content":""' not in line:
                first = time.perf_counter()
        end = time.perf_counter()
        return (None if first is None else first - started), end - started


def bare_throughput(client, model: str, requests: list[GenerationRequest],
                    concurrency: int) -> tuple[float, int]:
    def one(r: GenerationRequest) -> int:
        out = client.chat.completions.create(
            model=model, messages=list(r.prompt.messages), stream=True,
            max_tokens=r.params.max_tokens, temperature=r.params.temperature, seed=r.seed,
            stream_options={"include_usage": True})
        tokens = 0
        for chunk in out:
            if chunk.usage:
                tokens = chunk.usage.completion_tokens
        return tokens

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        tokens = sum(pool.map(one, requests))
    return time.perf_counter() - started, tokens


def perfjudge_throughput(server, requests: list[GenerationRequest],
                         concurrency: int) -> tuple[float, int]:
    backend = OpenAIBackend(server.model, base_url=server.base_url, concurrency=concurrency)
    started = time.perf_counter()
    tokens = 0
    for _, outcome in backend.generate(requests):
        assert isinstance(outcome, Generation), outcome
        tokens += outcome.completion_tokens or 0
    elapsed = time.perf_counter() - started
    backend.close()
    return elapsed, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=60, help="TTFT pairs (default 60)")
    parser.add_argument("-r", type=int, default=64, help="requests per throughput round")
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds per side")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    import openai

    out = Tee(RESULTS / "generation_overhead.txt" if args.save else None)
    out(machine_header("generation_overhead.py", sys.argv[1:]))
    tiny = _tiny()
    tmp = Path(tempfile.mkdtemp(prefix="perfjudge-genperf-"))
    model = tiny.build(tmp / "model", args.data_dir)
    server = tiny.start_server(model, tmp / "serve.log")
    out(f"server: transformers serve (transformers {__import__('transformers').__version__}"
              f"), tiny model {model}, CPU; client: openai {openai.__version__}, httpx "
              f"{__import__('httpx').__version__}\n")
    try:
        tasks = get_benchmark("humaneval").load(args.data_dir)
        client = openai.OpenAI(base_url=server.base_url, api_key="none")  # its default 2 retries
        prompt = build_prompt(tasks[0])
        messages = list(prompt.messages)
        backend = OpenAIBackend(server.model, base_url=server.base_url, concurrency=1)
        for _ in range(3):  # warm both paths
            bare_ttft(client, server.model, messages, args.max_tokens, 1)
            list(backend.generate([GenerationRequest(prompt, 0, SamplingParams(
                1.0, None, args.max_tokens, 1))]))
        floor_client = Floor(server.base_url)
        ttft: dict[str, list[float]] = {"floor": [], "bare": [], "ours": []}
        e2e: dict[str, list[float]] = {"floor": [], "bare": [], "ours": []}
        skipped = 0
        for i in range(args.n):
            request = GenerationRequest(prompt, 0, SamplingParams(1.0, None, args.max_tokens, i))
            order = ("floor", "bare", "ours") if i % 2 == 0 else ("ours", "bare", "floor")
            triple: dict[str, tuple[float | None, float]] = {}
            for side in order:
                if side == "floor":
                    triple[side] = floor_client.ttft(server.model, messages, args.max_tokens, i)
                elif side == "bare":
                    triple[side] = bare_ttft(client, server.model, messages, args.max_tokens, i)
                else:
                    started = time.perf_counter()
                    [(_, gen)] = list(backend.generate([request]))
                    total = time.perf_counter() - started
                    assert isinstance(gen, Generation), gen
                    triple[side] = (gen.ttft_s, total)
            if any(first is None for first, _ in triple.values()):
                skipped += 1  # this seed ends at once: no content token to time
                continue
            for side, (first, total) in triple.items():
                ttft[side].append(first)
                e2e[side].append(total)
        backend.close()
        n = len(ttft["floor"])
        out(f"{n} streamed requests per side, interleaved, same seed per triple (max_tokens "
            f"{args.max_tokens}; {skipped} of {args.n} seeds end at once with no content "
            "token and are left out). TTFT: floor and bare openai timed outside the call, "
            "perfjudge's as it records it (ttft_s, its clock starting just before the HTTP "
            "request in its worker thread); end to end: every side timed outside the call "
            "(perfjudge: around backend.generate([request]), its thread and queue included):")
        rows = []
        for side, label in (("floor", "raw http.client (floor)"), ("bare", "bare openai"),
                            ("ours", "perfjudge")):
            t, e = Stats.of(ttft[side]), Stats.of(e2e[side])
            rows.append([label, f"{t.median * 1e3:.2f}", f"{t.p10 * 1e3:.2f}",
                         f"{t.p90 * 1e3:.2f}", f"{e.median * 1e3:.2f}", f"{e.p90 * 1e3:.2f}"])
        out(table(["client", "TTFT median ms", "p10", "p90", "end-to-end median ms", "p90"],
                  rows))
        med = {side: statistics.median(v) for side, v in e2e.items()}
        tmed = {side: statistics.median(v) for side, v in ttft.items()}
        out(f"perfjudge - floor: TTFT {(tmed['ours'] - tmed['floor']) * 1e3:+.2f} ms, end to "
            f"end {(med['ours'] - med['floor']) * 1e3:+.2f} ms; perfjudge - bare openai: "
            f"TTFT {(tmed['ours'] - tmed['bare']) * 1e3:+.2f} ms, end to end "
            f"{(med['ours'] - med['bare']) * 1e3:+.2f} ms\n")

        params = SamplingParams(1.0, None, args.max_tokens, 7)
        requests = [GenerationRequest(build_prompt(t), 0, params)
                    for t in (tasks * 2)[:args.r]]
        rows = []
        for concurrency in (1, 8, 32):
            runs: dict[str, list[tuple[float, int]]] = {"bare": [], "ours": []}
            for rnd in range(args.rounds):
                for side in (("bare", "ours") if rnd % 2 == 0 else ("ours", "bare")):
                    if side == "bare":
                        runs[side].append(bare_throughput(client, server.model, requests,
                                                          concurrency))
                    else:
                        runs[side].append(perfjudge_throughput(server, requests, concurrency))
            for side, label in (("bare", "bare openai"), ("ours", "perfjudge")):
                rps = statistics.median(args.r / s for s, _ in runs[side])
                tps = statistics.median(t / s for s, t in runs[side])
                rows.append([concurrency, label, f"{rps:.1f}", f"{tps:.0f}",
                             " ".join(f"{s:.2f}" for s, _ in runs[side])])
        out(f"throughput, {args.r} requests per round, {args.rounds} rounds per side "
                  f"(alternating order), median over rounds:")
        out(table(["concurrency", "client", "requests/s", "tokens/s", "round seconds"],
                        rows, align="rlrrr"))
    finally:
        server.stop()
        out.save()


if __name__ == "__main__":
    main()
