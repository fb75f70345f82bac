"""From a model to a samples file, resumably: the ``generate`` stage.

    generate(GenerateOptions(benchmark="humaneval+", backend="openai", model="m",
                             output=Path("m.jsonl")))  -> GenerationReport

The output is an EvalPlus-compatible JSONL file (``task_id``, ``solution``) whose lines
also carry the raw output and what producing it cost (`Generation.record`). Each line is
appended, whole, in one write the moment its request finishes, so a killed run loses at
most the requests in flight; running the same command again asks only for the missing
(task, sample_index) pairs, and a torn last line (a kill mid-write) is dropped and asked
again. Beside it: ``FILE.meta.json`` (settings, backend identity, every prompt as sent; a
resume with other settings is refused rather than mixing two models in one file) and
``FILE.errors.jsonl`` (the requests that failed after their retries in the latest run:
kept apart from the samples, reported, and retried by the next run).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfjudge.benchmarks import get_benchmark
from perfjudge.errors import InputFileError, UnknownName, UsageError
from perfjudge.generate.backends import (
    BackendUnavailable,
    Generation,
    GenerationRequest,
    ModelBackend,
    SamplingParams,
    get_backend,
)
from perfjudge.generate.extract import code_from_output, split_reasoning
from perfjudge.generate.prices import Price, PriceTable
from perfjudge.generate.prompts import Prompt, build_prompt
from perfjudge.records.task import Task
from perfjudge.scoring.generation import generation_summary

META_SCHEMA = "perfjudge.generation/1"



@dataclass(frozen=True)
class GenerateOptions:
    benchmark: str = "builtin"
    backend: str = "openai"
    model: str = ""
    output: Path = Path("samples.jsonl")
    n: int = 1
    params: SamplingParams = SamplingParams()
    chat: bool = True
    style: str = "instruct"
    system: str | None = None
    tasks: tuple[str, ...] = ()
    limit: int | None = None
    data_dir: Path | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 4
    rpm: float | None = None
    tpm: float | None = None
    stream: bool = True
    prices: Path | None = None
    price: Price | None = None
    """$ per 1M tokens for this model, over the price table (``--price-in/--price-out``)."""
    backend_options: dict[str, Any] = field(default_factory=dict)
    backend_instance: ModelBackend | None = None
    """A ready backend (a scripted fake, a loaded model) instead of building ``backend``."""


@dataclass
class GenerationReport:
    output: Path
    requested: int
    existing: int
    generated: int
    failures: list[dict[str, Any]]
    dropped_partial_line: bool
    summary: dict[str, Any]
    wall_s: float

    @property
    def missing(self) -> int:
        return self.requested - self.existing - self.generated

    @property
    def errors_path(self) -> Path:
        return side_file(self.output, ".errors.jsonl")


Progress = Callable[[int, int, dict[str, float]], None]


def side_file(output: Path, suffix: str) -> Path:
    name = output.name[:-6] if output.name.endswith(".jsonl") else output.name
    return output.with_name(name + suffix)


def select_tasks(benchmark: str, data_dir: Path | None, task_ids: Iterable[str] = (),
                 limit: int | None = None) -> list[Task]:
    tasks = get_benchmark(benchmark).load(data_dir)
    by_id = {t.task_id: t for t in tasks}
    wanted = list(task_ids)
    for task_id in wanted:
        if task_id not in by_id:
            raise UnknownName("task", task_id, by_id, where=benchmark)
    chosen = [by_id[t] for t in wanted] if wanted else tasks
    return chosen[:limit] if limit else chosen


def _validate(options: GenerateOptions) -> None:
    checks = [("-n", options.n, 1), ("--limit", options.limit, 1),
              ("--concurrency", options.concurrency, 1),
              ("--max-tokens", options.params.max_tokens, 1)]
    for flag, value, least in checks:
        if value is not None and value < least:
            raise UsageError(f"{flag} must be at least {least} (got {value})")
    for flag, value in (("--rpm", options.rpm), ("--tpm", options.tpm)):
        if value is not None and value <= 0:
            raise UsageError(f"{flag} must be positive (got {value})")
    if options.params.temperature < 0:
        raise UsageError(f"--temperature must not be negative (got "
                         f"{options.params.temperature})")


def generate(options: GenerateOptions, progress: Progress | None = None) -> GenerationReport:
    _validate(options)
    started = time.perf_counter()
    tasks = select_tasks(options.benchmark, options.data_dir, options.tasks, options.limit)
    prompts = {t.task_id: build_prompt(t, chat=options.chat, style=options.style,
                                       system=options.system) for t in tasks}
    backend = options.backend_instance or _build_backend(options)
    output = options.output
    try:
        meta = _meta(options, backend, prompts)
        old_meta = _check_settings(output, meta)
        existing, dropped = read_existing(output, backend.model)
        backend.check()
        wanted = [(t.task_id, k) for t in tasks for k in range(options.n)]
        there = sum(1 for pair in wanted if pair in existing)
        todo = [GenerationRequest(prompts[task_id], k, options.params)
                for task_id, k in wanted if (task_id, k) not in existing]
        output.parent.mkdir(parents=True, exist_ok=True)
        # keep the prompts of tasks an earlier run asked for
        meta["prompts"] = {**old_meta.get("prompts", {}), **meta["prompts"]}
        side_file(output, ".meta.json").write_text(json.dumps(meta, indent=2))
        errors_path = side_file(output, ".errors.jsonl")
        errors_path.write_text("")
        prices = PriceTable.load(options.prices)
        by_id = {t.task_id: t for t in tasks}
        failures: list[dict[str, Any]] = []
        generated = 0
        stats = _Stats()
        _report(progress, 0, len(todo), stats.view(started))
        fd = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            for request, outcome in backend.generate(todo):
                if isinstance(outcome, Generation):
                    outcome = _priced(outcome, prices, options.price)
                    line = sample_line(by_id[request.task_id], request, outcome)
                    os.write(fd, (json.dumps(line) + "\n").encode())
                    existing.setdefault((request.task_id, request.sample_index), line)
                    generated += 1
                    stats.add(outcome)
                elif outcome.kind == "unauthorized":
                    raise BackendUnavailable(
                        f"the model server refused the API key ({outcome.message}); every "
                        f"sample generated so far is in {output}: fix the key and run the same"
                        " command again")
                else:
                    failure = {"task_id": request.task_id,
                               "sample_index": request.sample_index, **outcome.record()}
                    failures.append(failure)
                    with open(errors_path, "a") as handle:
                        handle.write(json.dumps(failure) + "\n")
                    stats.failed += 1
                _report(progress, generated + len(failures), len(todo), stats.view(started))
        finally:
            os.close(fd)
    finally:
        if options.backend_instance is None:
            backend.close()
    chosen = [existing[pair] for pair in wanted if pair in existing]
    return GenerationReport(output, len(wanted), there, generated, failures, dropped,
                            generation_summary(chosen), time.perf_counter() - started)


def sample_line(task: Task, request: GenerationRequest, generation: Generation
                ) -> dict[str, Any]:
    """One samples-file line: EvalPlus's ``task_id`` and ``solution``, the raw output, and
    the generation record."""
    visible, inline_reasoning = split_reasoning(generation.text)
    code, found = code_from_output(visible, task)
    line: dict[str, Any] = {"task_id": task.task_id, "solution": code,
                            "raw_output": generation.text,
                            "sample_index": request.sample_index}
    if not found:
        line["extracted"] = False
    line.update(generation.record())
    reasoning = generation.reasoning or inline_reasoning
    if reasoning:
        line["reasoning"] = reasoning
    p = request.params
    line.update({"prompt_sha256": request.prompt.sha256, "prompt_style": request.prompt.style,
                 "temperature": p.temperature, "max_tokens": p.max_tokens})
    if p.top_p is not None:
        line["top_p"] = p.top_p
    if request.seed is not None:
        line["seed"] = request.seed
    line["created"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return line


def read_existing(path: Path, model: str | None = None
                  ) -> tuple[dict[tuple[str, int], dict[str, Any]], bool]:
    """The lines already generated, by (task_id, sample_index), and whether a torn last line
    (no newline: the run was killed mid-write) was dropped from the file. Any other
    unreadable line is an error: it is the user's data, never silently discarded."""
    if not path.exists():
        return {}, False
    data = path.read_bytes()
    torn = None
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        try:
            json.loads(data[cut:])
        except ValueError:
            torn = cut  # a fragment of a line (a kill mid-write), dropped once all else reads
    body = data if torn is None else data[:torn]
    lines: dict[tuple[str, int], dict[str, Any]] = {}
    for number, raw in enumerate(body.decode("utf-8", "replace").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            key = (str(record["task_id"]), int(record["sample_index"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputFileError(f"{path}:{number}: not a line perfjudge generated "
                                 f"({exc!r}); write to another --output") from None
        if model is not None and record.get("model") not in (None, model):
            raise UsageError(f"{path}:{number} holds samples of model {record.get('model')!r},"
                             f" not {model!r}: write to another --output")
        lines.setdefault(key, record)
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as handle:
            if torn is not None:
                handle.truncate(torn)
            else:  # a whole last line without its newline: keep it, end it
                handle.seek(0, os.SEEK_END)
                handle.write(b"\n")
    return lines, torn is not None


def _meta(options: GenerateOptions, backend: ModelBackend, prompts: dict[str, Prompt]
          ) -> dict[str, Any]:
    return {"schema": META_SCHEMA, "benchmark": options.benchmark,
            "backend": backend.identity(),
            "settings": {"chat": options.chat, "style": options.style,
                         "system": options.system,
                         "params": dataclasses.asdict(options.params)},
            "prompts": {task_id: p.to_dict() for task_id, p in prompts.items()}}


def _check_settings(output: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The meta file an earlier run left ({} if none or unreadable), once it is known to
    have the same settings as this run's ``meta``."""
    path = side_file(output, ".meta.json")
    if not path.exists():
        return {}
    try:
        old = json.loads(path.read_text())
    except ValueError:
        return {}
    for what in ("benchmark", "settings"):
        if old.get(what) != meta[what]:
            raise UsageError(f"{output} was generated with other settings ({what}: "
                             f"{old.get(what)} now {meta[what]}); resuming would mix them: "
                             "write to another --output")
    for what in ("model", "backend"):
        if old.get("backend", {}).get(what) != meta["backend"].get(what):
            raise UsageError(f"{output} holds samples of {what} "
                             f"{old['backend'].get(what)!r}, not {meta['backend'].get(what)!r}:"
                             " write to another --output")
    changed = sorted(t for t, p in meta["prompts"].items()
                     if t in old.get("prompts", {}) and old["prompts"][t].get("sha256")
                     != p["sha256"])
    if changed:
        raise UsageError(f"{output} was generated from other prompts for {len(changed)} "
                         f"task(s) ({', '.join(changed[:3])}): this perfjudge or benchmark "
                         "version builds them differently; write to another --output")
    return old


def _build_backend(options: GenerateOptions) -> ModelBackend:
    if not options.model:
        raise UsageError("--model is required")
    extra: dict[str, Any] = dict(options.backend_options)
    if options.backend == "openai":
        extra.update(base_url=options.base_url, api_key_env=options.api_key_env,
                     concurrency=options.concurrency, rpm=options.rpm, tpm=options.tpm,
                     stream=options.stream)
    return get_backend(options.backend, model=options.model, **extra)


def _priced(generation: Generation, prices: PriceTable, price: Price | None) -> Generation:
    if price is not None:
        cost = price.cost(generation.prompt_tokens, generation.completion_tokens)
    else:
        cost = prices.cost(generation.model, generation.prompt_tokens,
                           generation.completion_tokens)
    return dataclasses.replace(generation, cost_usd=None if cost is None else round(cost, 8))


class _Stats:
    def __init__(self) -> None:
        self.done = self.failed = 0
        self.tokens = 0
        self.cost = 0.0

    def add(self, generation: Generation) -> None:
        self.done += 1
        self.tokens += generation.completion_tokens or 0
        self.cost += generation.cost_usd or 0.0

    def view(self, started: float) -> dict[str, float]:
        elapsed = max(1e-9, time.perf_counter() - started)
        return {"requests_per_s": self.done / elapsed, "tokens_per_s": self.tokens / elapsed,
                "cost_usd": self.cost, "failed": self.failed}


def _report(progress: Progress | None, done: int, total: int, stats: dict[str, float]) -> None:
    if progress:
        progress(done, total, stats)


__all__ = ["GenerateOptions", "GenerationReport", "generate", "read_existing", "sample_line",
           "select_tasks", "side_file"]
