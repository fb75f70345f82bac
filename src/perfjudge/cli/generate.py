"""Commands that start from a model: `generate` a samples file, `run` = generate + evaluate."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from perfjudge.cli.typer_app import (
    AddressOpt,
    BenchmarkOpt,
    DataDirOpt,
    ExecutorOpt,
    MeterOpt,
    app,
    console,
    err,
    fail,
    fail_with,
    make_executor,
    warn_isolation,
)
from perfjudge.errors import EXIT_ENVIRONMENT, PerfjudgeError

EXIT_INTERRUPTED = 130

BackendOpt = typer.Option("openai", "--backend",
                          help="openai (any OpenAI-compatible server: vLLM, SGLang, TGI, "
                               "llama.cpp, Ollama, hosted APIs) | hf (local Hugging Face "
                               "model) | vllm (vLLM in-process, GPU)")
ModelOpt = typer.Option(..., "--model", help="Model name as the server lists it, or a Hugging "
                                             "Face id/path for hf and vllm.")
BaseUrlOpt = typer.Option(None, "--base-url", envvar="OPENAI_BASE_URL",
                          help="Server root, e.g. http://127.0.0.1:8000/v1 (openai backend).")
KeyEnvOpt = typer.Option("OPENAI_API_KEY", "--api-key-env",
                         help="Environment variable holding the API key (never the key "
                              "itself on the command line).")
NOpt = typer.Option(1, "-n", help="Samples per task.")
TempOpt = typer.Option(0.0, "--temperature", help="0 = greedy (EvalPlus's default for n=1).")
TopPOpt = typer.Option(None, "--top-p")
MaxTokOpt = typer.Option(768, "--max-tokens", help="Output cap per sample (EvalPlus: 768); a "
                                                   "cut output is kept, finish_reason: length.")
SeedOpt = typer.Option(None, "--seed", help="Base seed; sample k is asked with seed + k.")
ChatOpt = typer.Option(True, "--chat/--completion",
                       help="Chat (EvalPlus instruction + fenced prompt) or raw completion "
                            "(base models).")
StyleOpt = typer.Option("instruct", "--style",
                        help="instruct | perf-instruct | perf-cot (EvalPerf's prompts).")
SystemOpt = typer.Option(None, "--system", help="A system message for chat prompts.")
ConcOpt = typer.Option(4, "--concurrency", "-c", help="Requests in flight (openai backend).")
RpmOpt = typer.Option(None, "--rpm", help="Requests per minute cap (client side).")
TpmOpt = typer.Option(None, "--tpm", help="Tokens per minute cap (prompt + max_tokens "
                                          "reserved per request).")
LimitOpt = typer.Option(None, "--limit", help="Only the first N tasks.")
TaskOpt = typer.Option([], "--task", "-t", help="Only these task ids (repeatable).")
PricesOpt = typer.Option(None, "--prices", envvar="PERFJUDGE_PRICES",
                         help="JSON price table over the shipped one: {\"models\": {NAME: "
                              "{\"input\": $/1M, \"output\": $/1M}}}.")
PriceInOpt = typer.Option(None, "--price-in", help="$ per 1M prompt tokens for this model.")
PriceOutOpt = typer.Option(None, "--price-out", help="$ per 1M completion tokens.")
StreamOpt = typer.Option(True, "--stream/--no-stream",
                         help="Stream responses (real TTFT); --no-stream for servers "
                              "that cannot.")
DeviceOpt = typer.Option(None, "--device", help="hf backend: cpu, cuda, cuda:1 ...")


def _options(**a: Any):
    from perfjudge.generate.backends import SamplingParams
    from perfjudge.generate.prices import Price
    from perfjudge.pipeline import GenerateOptions

    if (a["price_in"] is None) != (a["price_out"] is None):
        fail("--price-in and --price-out go together")
    price = Price(a["price_in"], a["price_out"], "command line") \
        if a["price_in"] is not None else None
    backend_options = {"device": a["device"]} if a["backend"] == "hf" and a["device"] else {}
    return GenerateOptions(
        benchmark=a["benchmark"], backend=a["backend"], model=a["model"], output=a["output"],
        n=a["n"], params=SamplingParams(a["temperature"], a["top_p"], a["max_tokens"],
                                        a["seed"]),
        chat=a["chat"], style=a["style"], system=a["system"], tasks=tuple(a["task"]),
        limit=a["limit"], data_dir=a["data_dir"], base_url=a["base_url"],
        api_key_env=a["api_key_env"], concurrency=a["concurrency"], rpm=a["rpm"],
        tpm=a["tpm"], stream=a["stream"], prices=a["prices"], price=price,
        backend_options=backend_options)


def _run_generation(options, quiet: bool):
    from perfjudge.pipeline import generate as run_generate

    with Progress(TextColumn("generating"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=err,
                  disable=quiet or not err.is_terminal) as progress:
        bar = progress.add_task("generating", total=None, rate="")

        def update(done: int, total: int, stats: dict[str, float]) -> None:
            rate = (f"{stats['requests_per_s']:.2f} req/s, {stats['tokens_per_s']:.0f} tok/s, "
                    f"${stats['cost_usd']:.4f}"
                    + (f", {stats['failed']:.0f} failed" if stats["failed"] else ""))
            progress.update(bar, completed=done, total=total, rate=rate)

        try:
            return run_generate(options, progress=update)
        except PerfjudgeError as exc:
            fail_with(exc)
        except KeyboardInterrupt:
            err.print(f"interrupted: every finished sample is in {options.output}; run the "
                      "same command again to generate only the missing ones", soft_wrap=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except OSError as exc:
            fail(escape(f"{exc} (check --output)"), EXIT_ENVIRONMENT)


def print_generation(report, console_, cost_table: bool = True) -> None:
    from perfjudge.report.terminal import generation_table

    table = generation_table(report.summary) if cost_table else None
    if table is not None:
        console_.print(table)
    console_.print(f"{report.output}: {report.existing + report.generated} of "
                   f"{report.requested} samples ({report.generated} new, {report.existing} "
                   f"already there) in {report.wall_s:.1f} s")
    if report.dropped_partial_line:
        console_.print("[yellow]dropped a torn last line (a run killed mid-write); it was "
                       "asked again[/]")
    if report.failures:
        kinds: dict[str, int] = {}
        for f in report.failures:
            kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
        table = Table(title=f"{len(report.failures)} requests failed after retries "
                            f"(in {report.errors_path}; run again to retry them)",
                      title_justify="left")
        for col in ("kind", "requests", "example"):
            table.add_column(col)
        for kind, count in kinds.items():
            example = next(f for f in report.failures if f["kind"] == kind)
            table.add_row(kind, str(count), f"{example['task_id']}#{example['sample_index']}: "
                                            f"{example['message'][:120]}")
        console_.print(table)


def _report_json(report) -> dict[str, Any]:
    return {"output": str(report.output), "requested": report.requested,
            "existing": report.existing, "generated": report.generated,
            "missing": report.missing, "failures": report.failures,
            "dropped_partial_line": report.dropped_partial_line,
            "wall_s": round(report.wall_s, 3), "generation": report.summary}


@app.command()
def generate(
    benchmark: str = BenchmarkOpt, backend: str = BackendOpt, model: str = ModelOpt,
    output: Path = typer.Option(..., "--output", "-o", help="Samples file to write (JSONL); "
                                "an existing one is resumed."),
    base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt, n: int = NOpt,
    temperature: float = TempOpt, top_p: Optional[float] = TopPOpt,
    max_tokens: int = MaxTokOpt, seed: Optional[int] = SeedOpt, chat: bool = ChatOpt,
    style: str = StyleOpt, system: Optional[str] = SystemOpt, concurrency: int = ConcOpt,
    rpm: Optional[float] = RpmOpt, tpm: Optional[float] = TpmOpt,
    limit: Optional[int] = LimitOpt, task: list[str] = TaskOpt,
    data_dir: Optional[Path] = DataDirOpt, prices: Optional[Path] = PricesOpt,
    price_in: Optional[float] = PriceInOpt, price_out: Optional[float] = PriceOutOpt,
    stream: bool = StreamOpt, device: Optional[str] = DeviceOpt,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object at the end."),
) -> None:
    """Generate samples from a model into an EvalPlus-style JSONL file, recording what each
    cost: tokens, TTFT, time per output token, latency, $.

    Resumable: the same command again asks only for the missing (task, sample) pairs.
    Requests the server throttles or drops are retried with backoff (Retry-After honoured),
    boundedly; what still fails goes to FILE.errors.jsonl and is retried by the next run.

    Exit code 0 when every sample is there, 1 when some requests failed, 2 for bad input,
    3 when the server cannot be reached or refuses the key, 130 when interrupted."""
    options = _options(**locals())
    report = _run_generation(options, as_json)
    if as_json:
        print(json.dumps(_report_json(report), default=str))
    else:
        print_generation(report, console)
    raise typer.Exit(1 if report.missing or report.failures else 0)


@app.command()
def run(
    benchmark: str = BenchmarkOpt, backend: str = BackendOpt, model: str = ModelOpt,
    output: Path = typer.Option(Path("perfjudge-results"), "--output", "-o",
                                help="Directory for samples.jsonl, summary.json and "
                                     "results.jsonl."),
    base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt, n: int = NOpt,
    temperature: float = TempOpt, top_p: Optional[float] = TopPOpt,
    max_tokens: int = MaxTokOpt, seed: Optional[int] = SeedOpt, chat: bool = ChatOpt,
    style: str = StyleOpt, system: Optional[str] = SystemOpt, concurrency: int = ConcOpt,
    rpm: Optional[float] = RpmOpt, tpm: Optional[float] = TpmOpt,
    limit: Optional[int] = LimitOpt, task: list[str] = TaskOpt,
    data_dir: Optional[Path] = DataDirOpt, prices: Optional[Path] = PricesOpt,
    price_in: Optional[float] = PriceInOpt, price_out: Optional[float] = PriceOutOpt,
    stream: bool = StreamOpt, device: Optional[str] = DeviceOpt,
    meter: Optional[str] = MeterOpt,
    workers: Optional[int] = typer.Option(None, "--workers", "-j",
                                          help="Parallel sandboxes (default: one per core)."),
    store: Optional[Path] = typer.Option(None, envvar="PERFJUDGE_STORE",
                                         help="Results database (SQLite) used as cache."),
    no_references: bool = typer.Option(False, help="Skip measuring reference solutions."),
    executor: str = ExecutorOpt, address: Optional[str] = AddressOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the summary JSON to stdout."),
) -> None:
    """Generate samples from a model, then evaluate them: one command from a model to a
    scored run with its generation cost ($ per solved task included).

    Both stages resume: samples already in OUTPUT/samples.jsonl are not asked for again,
    checks already in the store are not run again. Exit code 0 on a complete run, 1 when
    some generation requests failed (the rest is evaluated), 2, 3 and 130 as `generate`."""
    from perfjudge.cli.judge import run_evaluation
    from perfjudge.pipeline import EvaluateOptions
    from perfjudge.report.terminal import print_summary

    args = dict(locals())
    args["output"] = output / "samples.jsonl"
    gen_options = _options(**args)
    pool = make_executor(executor, address, store)  # before any request is paid for
    gen = _run_generation(gen_options, as_json)
    if not as_json:
        print_generation(gen, err, cost_table=False)  # the summary shows it, judged
        warn_isolation()
    if gen.existing + gen.generated == 0:
        fail("no samples were generated; nothing to evaluate", 1)
    options = EvaluateOptions(benchmark=benchmark, samples=gen_options.output,
                              data_dir=data_dir, meter=meter, workers=workers,
                              tasks=tuple(t.task_id for t in _tasks(gen_options)),
                              output=output, store=store, references=not no_references,
                              executor=pool)
    report = run_evaluation(options, pool, as_json)
    if as_json:
        print(json.dumps({**report.summary, "generation_run": _report_json(gen)},
                         default=str))
    else:
        print_summary(report.summary, console)
        console.print(f"wrote {gen_options.output}, {output}/summary.json and results.jsonl")
    raise typer.Exit(1 if gen.missing or gen.failures else 0)


def _tasks(options):
    from perfjudge.pipeline.generation import select_tasks

    return select_tasks(options.benchmark, options.data_dir, options.tasks, options.limit)


__all__ = ["generate", "print_generation", "run"]


@app.command()
def refine(
    benchmark: str = BenchmarkOpt,
    backend: str = BackendOpt, model: str = ModelOpt,
    rounds: int = typer.Option(3, "--rounds", "-r", help="Rounds of feedback after the first "
                                                         "answer."),
    feedback: str = typer.Option("tests", "--feedback",
                                 help="tests (the failing test: input, expected, got) | cost "
                                      "(per-test cost against the reference, the slowest "
                                      "test named) | profile (per-line counts of the "
                                      "answer's code on its slowest test)."),
    hide_inputs: bool = typer.Option(False, "--hide-inputs",
                                     help="tests feedback names the failing test but not its "
                                          "input or outputs (ECCO's hidden-test setting)."),
    budget_usd: Optional[float] = typer.Option(None, "--budget-usd",
                                               help="Stop asking once this many $ are spent."),
    output: Path = typer.Option(Path("perfjudge-refine"), "--output", "-o",
                                help="Directory for summary.json, rounds.jsonl, best.jsonl."),
    meter: Optional[str] = MeterOpt,
    templates: Optional[Path] = typer.Option(None, "--templates", exists=True, file_okay=False,
                                             help="Folder of feedback templates (tests.txt, "
                                                  "tests_hidden.txt, cost.txt, profile.txt, "
                                                  "retry.txt) over the shipped ones."),
    data_dir: Optional[Path] = DataDirOpt,
    store: Optional[Path] = typer.Option(None, envvar="PERFJUDGE_STORE",
                                         help="Results database (SQLite) used as cache."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j"),
    base_url: Optional[str] = BaseUrlOpt, api_key_env: str = KeyEnvOpt,
    temperature: float = TempOpt, top_p: Optional[float] = TopPOpt,
    max_tokens: int = MaxTokOpt, seed: Optional[int] = SeedOpt,
    system: Optional[str] = SystemOpt, concurrency: int = ConcOpt,
    limit: Optional[int] = LimitOpt, task: list[str] = TaskOpt,
    prices: Optional[Path] = PricesOpt, price_in: Optional[float] = PriceInOpt,
    price_out: Optional[float] = PriceOutOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the summary JSON to stdout."),
) -> None:
    """Generate, judge, feed back, regenerate; keep each task's best correct answer.

    A task stops when its best answer reaches the best reference level (with meter none:
    when it is correct), or when the rounds or the budget end. Writes OUTPUT/rounds.jsonl
    (every attempt: code, verdict, cost, tokens, $), OUTPUT/best.jsonl (a samples file for
    `perfjudge evaluate -s`) and OUTPUT/summary.json (correctness and efficiency per round)."""
    from perfjudge.generate.backends import SamplingParams
    from perfjudge.generate.prices import Price
    from perfjudge.pipeline.refine import RefineOptions
    from perfjudge.pipeline.refine import refine as run_refine

    if (price_in is None) != (price_out is None):
        fail("--price-in and --price-out go together")
    options = RefineOptions(
        benchmark=benchmark, backend=backend, model=model, rounds=rounds, feedback=feedback,
        budget_usd=budget_usd, output=output, meter=meter, tasks=tuple(task), limit=limit,
        data_dir=data_dir, store=store, workers=workers, hide_inputs=hide_inputs,
        templates=templates, params=SamplingParams(temperature, top_p, max_tokens, seed),
        system=system, base_url=base_url, api_key_env=api_key_env, concurrency=concurrency,
        prices=prices, price=Price(price_in, price_out, "command line")
        if price_in is not None else None)
    if not as_json:
        warn_isolation()
    with Progress(TextColumn("round {task.fields[round]}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err,
                  disable=as_json or not err.is_terminal) as progress:
        bar = progress.add_task("refine", total=None, round=0)

        def update(round_: int, done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total, round=round_)

        try:
            report = run_refine(options, progress=update)
        except PerfjudgeError as exc:
            fail_with(exc)
        except OSError as exc:
            fail(escape(f"{exc} (check --output and --store)"), EXIT_ENVIRONMENT)
    if as_json:
        print(json.dumps(report.summary, default=str))
        return
    table = Table(title=f"perfjudge refine: {report.summary['benchmark']}, "
                        f"{report.summary['model']}, feedback {report.summary['feedback']}, "
                        f"meter {report.summary['meter']}")
    for column in ("round", "asked", "correct", "best correct", "at best level",
                   "mean speedup (best)", "tokens in/out", "$ (total)"):
        table.add_column(column, justify="right")
    for r in report.summary["rounds"]:
        speedup = r["best_mean_speedup"]
        table.add_row(str(r["round"]), str(r["asked"]), str(r["correct"]),
                      str(r["best_correct"]), str(r["best_at_best_level"]),
                      "-" if speedup is None else f"{speedup:.3f}",
                      f"{r['prompt_tokens']}/{r['completion_tokens']}",
                      f"{r['cost_usd']:.4f} ({r['spent_usd']:.4f})")
    console.print(table)
    stopped = Counter(t["stopped"] for t in report.summary["tasks"])
    console.print("tasks stopped: " + ", ".join(f"{k} {v}" for k, v in sorted(stopped.items())))
    console.print(f"wrote {report.output}/summary.json, rounds.jsonl and best.jsonl")
