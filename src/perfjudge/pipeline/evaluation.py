"""The main job: every sample of a benchmark through the engine, scored, stored, reported.

    evaluate(EvaluateOptions(benchmark="builtin")) -> RunReport

Each (task, code, meter, limits[, machine]) is content-addressed in the results store
(`store.result_key`), so a repeated run executes nothing, a killed run resumes where it
stopped, and a changed sample re-runs alone. References are judged like samples (same meter,
same cache) because every efficiency score compares against them.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from perfjudge import __version__, meters, scoring
from perfjudge.benchmarks import Benchmark, get_benchmark
from perfjudge.engine import sandbox
from perfjudge.engine.languages import get_language
from perfjudge.errors import InputNotFound, UnknownName
from perfjudge.executors import CheckRequest, Executor, LocalPoolExecutor
from perfjudge.records.result import VERDICTS, CheckResult
from perfjudge.records.run import SCHEMA
from perfjudge.records.task import Task, sha256_text
from perfjudge.samples import Sample, SampleSet, load_samples
from perfjudge.scoring.generation import generation_summary, per_task_generation
from perfjudge.store import Store, machine_fingerprint, result_key

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@dataclass
class EvaluateOptions:
    benchmark: str = "builtin"
    samples: Path | None = None
    data_dir: Path | None = None
    meter: str | None = None
    workers: int | None = None
    limit: int | None = None
    tasks: tuple[str, ...] = ()
    output: Path = Path("perfjudge-results")
    store: Path | None = None
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    references: bool = True
    keep_duplicates: bool = False
    executor: Executor | None = None
    """Where the checks run; None: a `LocalPoolExecutor` of ``workers`` processes (pinned
    to one core each for time meters). The pipeline does not close one passed in."""


@dataclass
class Job:
    """One sample, or one reference judged like a sample, under its result key."""

    key: str
    sample: Sample
    reference: str | None = None
    level: int | None = None

    @property
    def task_id(self) -> str:
        return self.sample.task_id

    @property
    def code(self) -> str:
        return self.sample.code

    @property
    def sample_id(self) -> str:
        return self.sample.sample_id


@dataclass
class RunReport:
    """Everything `evaluate` learned; `to_json` is the documented run schema."""

    run_id: str
    summary: dict[str, Any]
    records: list[dict[str, Any]]
    output_dir: Path
    executed: int
    """Distinct (task, code, meter, limits) results computed in this run."""
    reused: int
    """Distinct results taken from the store instead."""

    @property
    def scores(self) -> dict[str, Any]:
        return self.summary["scores"]


def default_samples(benchmark: str) -> Path:
    path = EXAMPLES / f"{benchmark}_samples.jsonl"
    if not path.exists():
        shipped = sorted(p.name.removesuffix("_samples.jsonl")
                         for p in EXAMPLES.glob("*_samples.jsonl"))
        raise InputNotFound(f"no example samples ship for {benchmark!r} (only for "
                            f"{', '.join(shipped)}); pass your own with --samples FILE")
    return path


# ----------------------------------------------------------------------------- main job


def evaluate(options: EvaluateOptions, progress: Callable[[str, int, int], None] | None = None
             ) -> RunReport:
    bench = get_benchmark(options.benchmark)
    meter = options.meter or meters.default_meter(bench.native_metric)
    deterministic = meters.get_meter(meter).deterministic
    executor = options.executor or LocalPoolExecutor(options.workers, options.limits,
                                                     pin_cpus=not deterministic,
                                                     store=options.store)
    # The sandbox's check and the workers' start-up (~1 s) overlap loading the benchmark
    # (HumanEval+'s 124,253 inputs, ~1 s). A bad file is still the error reported, at once:
    # what was started for nothing ends on its own.
    background = cf.ThreadPoolExecutor(1, thread_name_prefix="perfjudge-ready")
    readiness = background.submit(executor.ready, meter)
    try:
        sampled, tasks, samples, sample_set, samples_path = _load(options, bench)
    except BaseException:
        background.shutdown(wait=False, cancel_futures=True)
        if options.executor is None:
            executor.close(wait=False)
        raise
    try:
        readiness.result()
        return _evaluate(options, bench, tasks, sampled, samples, sample_set, samples_path,
                         meter, executor, progress)
    finally:
        background.shutdown(wait=True)
        if options.executor is None:
            executor.close()


def _load(options: EvaluateOptions, bench: Benchmark
          ) -> tuple[list[Task], list[Task], list[Sample], SampleSet, Path]:
    """The tasks that have samples, all tasks, the samples, and where they came from."""
    tasks = bench.load(options.data_dir)
    if options.tasks:
        wanted = set(options.tasks)
        unknown = sorted(wanted - {t.task_id for t in tasks})
        if unknown:
            more = (f"(and {len(unknown) - 1} more unknown: {', '.join(unknown[1:6])})"
                    if len(unknown) > 1 else "")
            raise UnknownName("task", unknown[0], [t.task_id for t in tasks], where=bench.name,
                              hint=more + (" " if more else "")
                              + f"`perfjudge show {bench.name} TASK` prints a task.")
        tasks = [t for t in tasks if t.task_id in wanted]
    samples_path = options.samples or default_samples(bench.name)
    sample_set = load_samples(samples_path, tasks, keep_duplicates=options.keep_duplicates)
    sampled = [t for t in tasks if t.task_id in {s.task_id for s in sample_set.samples}]
    if options.limit is not None:
        sampled = sampled[: options.limit]
    keep = {t.task_id for t in sampled}
    samples = [s for s in sample_set.samples if s.task_id in keep]
    for task in sampled:
        get_language(task.language)  # an unknown one is the request's error, not a worker's
    return sampled, tasks, samples, sample_set, samples_path


def _evaluate(options: EvaluateOptions, bench: Benchmark, tasks: list[Task],
              sampled: list[Task], samples: list[Sample], sample_set: SampleSet,
              samples_path: Path, meter: str, executor: Executor,
              progress: Callable[[str, int, int], None] | None) -> RunReport:
    by_id = {t.task_id: t for t in tasks}
    deterministic = meters.get_meter(meter).deterministic
    workers = executor.workers
    machine = None if deterministic else machine_fingerprint()
    limits_dict = dataclasses.asdict(options.limits)
    runtime = "|".join(runtime_identity(meter).values())

    # Time meters measure every sample beside its task's canonical reference, round by
    # round in one sandbox (drift of the machine cancels in the ratio): part of its key.
    measures = meters.get_meter(meter).measures
    references = options.references and measures  # meter none: pass@k needs no reference
    paired = meters.get_meter(meter).paired and references
    jobs: list[Job] = []
    for s in samples:
        task = by_id[s.task_id]
        partner = f"|paired:{sha256_text(task.canonical.code)}" if paired and task.canonical \
            else ""
        jobs.append(Job(_key(bench, task, s.code, meter, limits_dict, machine, runtime + partner),
                        s))
    if references:
        for t in sampled:
            for ref in t.references:
                jobs.append(Job(_key(bench, t, ref.code, meter, limits_dict, machine, runtime),
                                Sample(f"{t.task_id}#ref:{ref.name}", t.task_id, ref.code,
                                       source=f"{bench.name} reference {ref.name}"),
                                reference=ref.name, level=ref.level))

    store = Store(options.store)
    run_id = store.start_run(bench.name, meter, {
        "samples": str(samples_path), "workers": workers, "limit": options.limit,
        "limits": limits_dict, "output": str(options.output)})
    results: dict[str, CheckResult] = {}
    cached = {job.key: store.get(job.key) for job in jobs}
    todo = list({job.key: job for job in jobs if cached[job.key] is None}.values())
    for job in jobs:
        if cached[job.key] is not None:
            results[job.key] = cached[job.key]  # type: ignore[assignment]
            store.link(run_id, job.sample_id, job.key, job.sample.generation)
    same_key: dict[str, list[Job]] = {}
    for job in jobs:
        same_key.setdefault(job.key, []).append(job)

    task_errors: dict[str, str] = {}
    if todo:
        need = [by_id[t] for t in sorted({job.task_id for job in todo})]
        _report(progress, "preparing tasks", 0, len(need))
        for done, (task, error) in enumerate(executor.prepare(need), 1):
            if error:
                task_errors[task.task_id] = error
            _report(progress, "preparing tasks", done, len(need))
        requests = [CheckRequest(by_id[job.task_id], job.code, meter,
                                 by_id[job.task_id].canonical
                                 if paired and job.reference is None else None, tag=job.key)
                    for job in todo]
        job_of = {job.key: job for job in todo}  # todo holds one job per key
        _report(progress, "running samples", 0, len(todo))
        for done, (request, result) in enumerate(executor.check(requests), 1):
            job = job_of[request.tag]
            results[job.key] = result
            if result.verdict != "sandbox_error":
                store.put(job.key, result, code_sha256=sha256_text(job.code), machine=machine)
                for twin in same_key[job.key]:
                    store.link(run_id, twin.sample_id, job.key, twin.sample.generation)
            _report(progress, "running samples", done, len(todo))
    summary, records = summarize(bench, sampled, jobs, results, meter, sample_set, task_errors)
    reused = len({job.key for job in jobs}) - len(todo)
    summary.update(run_id=run_id, samples_file=str(samples_path), workers=workers,
                   executed=len(todo), reused=reused)
    store.finish_run(run_id, summary=summary, records=records)
    out = options.output
    write_outputs(out, summary, records)
    return RunReport(run_id, summary, records, out, len(todo), reused)


def check_key(bench: Benchmark, task: Task, code: str, meter: str, limits: sandbox.Limits,
              partner: str | None = None, runtime: str | None = None) -> str:
    """The store key `evaluate` gives this check (``partner``: the code of the reference a
    time meter measures beside it), so that the service and `evaluate` find each other's
    results. ``runtime``: `runtime_identity` joined, when the caller already has it."""
    machine = None if meters.get_meter(meter).deterministic else machine_fingerprint()
    runtime = runtime if runtime is not None else "|".join(runtime_identity(meter).values())
    if partner is not None:
        runtime += f"|paired:{sha256_text(partner)}"
    return _key(bench, task, code, meter, dataclasses.asdict(limits), machine, runtime)


def _key(bench: Benchmark, task: Task, code: str, meter: str, limits: dict, machine: str | None,
         runtime: str) -> str:
    return result_key(bench.name, bench.version, task.fingerprint(), sha256_text(code), meter,
                      limits, machine, runtime=runtime)


def _report(progress: Callable[[str, int, int], None] | None, stage: str, done: int,
            total: int) -> None:
    if progress:
        progress(stage, done, total)


def _outcome(job: Job, result: CheckResult) -> scoring.Outcome:
    measured = sorted(result.measurements, key=lambda m: m.test_index or 0)
    paired = result.paired.get("speedup") if result.paired else None
    return scoring.Outcome(job.task_id, result.verdict, result.total_cost,
                           tuple(m.value for m in measured), job.sample_id, job.reference,
                           job.level, result.censored_level, paired,
                           tuple(m.level for m in measured))


def summarize(bench: Benchmark, tasks: list[Task], jobs: list[Job],
              results: dict[str, CheckResult], meter: str, sample_set: SampleSet,
              task_errors: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run summary (schema `SCHEMA`) and one record per judged sample or reference."""
    per_task: list[dict[str, Any]] = []
    task_scores: list[scoring.TaskScores] = []
    records: list[dict[str, Any]] = []
    verdicts = {v: 0 for v in VERDICTS}
    for task in tasks:
        task_jobs = [j for j in jobs if j.task_id == task.task_id]
        sample_jobs = [j for j in task_jobs if j.reference is None]
        ref_jobs = [j for j in task_jobs if j.reference is not None]
        samples = [_outcome(j, results[j.key]) for j in sample_jobs]
        refs = [_outcome(j, results[j.key]) for j in ref_jobs]
        ts = scoring.score_task(scoring.TaskSetup.of(task, meters.get_meter(meter).tie_band),
                                samples, refs)
        task_scores.append(ts)
        task_records: list[dict[str, Any]] = []
        for j in task_jobs:
            r = results[j.key]
            if j.reference is None:
                verdicts[r.verdict] += 1
            task_records.append({
                "sample_id": j.sample_id, "task_id": j.task_id, "model": j.sample.model,
                "generation": j.sample.generation,
                "reference": j.reference, "level": j.level, "verdict": r.verdict,
                "detail": r.detail, "cost": r.total_cost, "unit": r.unit,
                "test_costs": [m.value for m in r.measurements],
                "load_cost": r.load_cost,
                "paired": r.paired,
                "cv": max((m.cv for m in r.measurements), default=None),
                "warnings": r.warnings,
                "failure": dataclasses.asdict(r.failure) if r.failure else None,
                "wall_seconds": round(r.wall_seconds, 4), "key": j.key,
                "scores": ts.sample_values.get(j.sample_id, {}),
            })
        records += task_records
        per_task.append({
            "task_id": task.task_id, "n": ts.n, "correct": ts.correct, "scores": ts.values,
            "generation": per_task_generation(
                [r for r in task_records if r["reference"] is None]).get(task.task_id),
            "references": [{"name": j.reference, "level": j.level,
                            "verdict": results[j.key].verdict, "cost": results[j.key].total_cost}
                           for j in ref_jobs],
            "error": task_errors.get(task.task_id),
        })
    scores = scoring.aggregate([t for t in task_scores if t.n > 0])
    native = bench.native_metric if bench.native_metric in scores else "pass@1"
    m = meters.get_meter(meter)
    summary = {
        "schema": SCHEMA,
        "perfjudge_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "benchmark": {"name": bench.name, "version": bench.version,
                      "native_metric": native},
        "meter": {"name": m.name, "unit": m.unit, "deterministic": m.deterministic,
                  "portability": m.portability, "runtime": runtime_identity(meter)},
        "machine": machine_fingerprint(),
        "isolation": {"missing": list(sandbox.probe().missing)},
        "counts": {"tasks": len(tasks), "samples": sum(t.n for t in task_scores),
                   "verdicts": {k: v for k, v in verdicts.items() if v}},
        "issues": [dataclasses.asdict(i) for i in sample_set.problems],
        "generation": generation_summary([r for r in records if r["reference"] is None]),
        "scores": {name: scoring.score_dict(s) for name, s in scores.items()},
        "tasks": per_task,
    }
    return summary, records


def runtime_identity(meter: str) -> dict[str, str]:
    """What this run's counts depend on besides the code, so `compare` can refuse to set
    counts from different interpreters side by side."""
    caps = sandbox.probe()
    return {"interpreter": sandbox.interpreter_identity(caps.python),
            "meter": meters.get_meter(meter).availability()[1],
            "harness": sandbox.harness_dir().name}


def write_outputs(out: Path, summary: dict[str, Any], records: list[dict[str, Any]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    with open(out / "results.jsonl", "w") as handle:
        for record in records:
            handle.write(json.dumps(record, default=str) + "\n")
