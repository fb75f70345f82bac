"""What perfjudge's generation client adds, against a bare `openai` client on the same server.

Serves the tiny model (`scripts/tiny_model.py`) with ``transformers serve`` on 127.0.0.1 and
drives it two ways, interleaved so drift of the machine hits both alike:

- **TTFT overhead**: N sequential streamed chat requests (same prompt, same seed, same
  ``max_tokens``), alternating a bare ``openai.OpenAI().chat.completions.create(stream=True)``
  and perfjudge's `OpenAIBackend`; TTFT is the time from the call to the first content chunk
  on each side. ``transformers serve`` reports no server-side timings (no TTFT in its
  responses or logs), so the reference is the bare client, not the server's own clock: the
  difference of medians is what perfjudge's client adds. A third side, a raw ``http.client``
  request on a fresh socket that only looks for the first content line, is the floor: the
  server's own time to first token plus loopback.
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


def bare_ttft(client, model: str, messages: list, max_tokens: int, seed: int) -> float | None:
    started = time.perf_counter()
    first = None
    stream = client.chat.completions.create(model=model, messages=messages, stream=True,
                                            max_tokens=max_tokens, temperature=1.0, seed=seed,
                                            stream_options={"include_usage": True})
    for chunk in stream:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter()
    return None if first is None else first - started


def floor_ttft(base_url: str, model: str, messages: list, max_tokens: int,
               seed: int) -> float | None:
    """The least a client can do: one ``http.client`` request on a fresh loopback socket,
    reading raw lines until the first one that carries content (no SSE or JSON parsing of
    whole chunks): the server's own time to first token, plus loopback."""
    url = urllib.parse.urlsplit(base_url)
    body = json.dumps({"model": model, "messages": messages, "stream": True,
                       "max_tokens": max_tokens, "temperature": 1.0, "seed": seed})
    conn = http.client.HTTPConnection(url.hostname, url.port)
    started = time.perf_counter()
    conn.request("POST", url.path + "/chat/completions", body,
                 {"Content-Type": "application/json"})
    response = conn.getresponse()
    first = None
    for line in response:
        if first is None and b'"content":"' in line and b'"content":""' not in line:
            first = time.perf_counter()
    conn.close()
    return None if first is None else first - started


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
        bare, ours, floor = [], [], []
        skipped = 0
        for i in range(args.n):
            request = GenerationRequest(prompt, 0, SamplingParams(1.0, None, args.max_tokens, i))
            order = ("floor", "bare", "ours") if i % 2 == 0 else ("ours", "bare", "floor")
            pair: dict[str, float | None] = {}
            for side in order:
                if side == "floor":
                    pair[side] = floor_ttft(server.base_url, server.model, messages,
                                            args.max_tokens, i)
                elif side == "bare":
                    pair[side] = bare_ttft(client, server.model, messages, args.max_tokens, i)
                else:
                    [(_, gen)] = list(backend.generate([request]))
                    assert isinstance(gen, Generation), gen
                    pair[side] = gen.ttft_s
            if None in pair.values():
                skipped += 1  # this seed ends at once: no content token to time
                continue
            floor.append(pair["floor"])
            bare.append(pair["bare"])
            ours.append(pair["ours"])
        backend.close()
        f, b, o = Stats.of(floor), Stats.of(bare), Stats.of(ours)
        out(f"TTFT, {len(bare)} sequential streamed requests per side, interleaved, same seed "
            f"per pair (max_tokens {args.max_tokens}; {skipped} of {args.n} seeds end at once "
            "with no content token and are left out):")
        out(table(["client", "median ms", "p10 ms", "p90 ms", "MAD ms"],
                        [["raw http.client (floor)", f"{f.median * 1e3:.2f}",
                          f"{f.p10 * 1e3:.2f}", f"{f.p90 * 1e3:.2f}", f"{f.mad * 1e3:.2f}"],
                         ["bare openai", f"{b.median * 1e3:.2f}", f"{b.p10 * 1e3:.2f}",
                          f"{b.p90 * 1e3:.2f}", f"{b.mad * 1e3:.2f}"],
                         ["perfjudge", f"{o.median * 1e3:.2f}", f"{o.p10 * 1e3:.2f}",
                          f"{o.p90 * 1e3:.2f}", f"{o.mad * 1e3:.2f}"]]))
        out(f"perfjudge - raw floor (difference of medians): {(o.median - f.median) * 1e3:+.2f}"
            f" ms; perfjudge - bare openai: {(o.median - b.median) * 1e3:+.2f} ms\n")

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
