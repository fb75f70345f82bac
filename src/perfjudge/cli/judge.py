"""Commands that judge code: `check` one solution, `evaluate` a samples file, `validate` a
benchmark's references."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from perfjudge.cli.typer_app import (
    AddressOpt,
    BenchmarkOpt,
    DataDirOpt,
    ExecutorOpt,
    MeterOpt,
    app,
    console,
    fail,
    fail_with,
    load_task,
    make_executor,
    stage_progress,
    warn_isolation,
)
from perfjudge.errors import EXIT_ENVIRONMENT, PerfjudgeError


@app.command()
def check(
    solution: Path = typer.Option(..., "--solution", "-s", exists=True, dir_okay=False,
                                  help="File with the solution code (a full program/module)."),
    task: str = typer.Option(..., "--task", "-t", help="Task id, e.g. HumanEval/0."),
    benchmark: str = BenchmarkOpt,
    data_dir: Optional[Path] = DataDirOpt,
    meter: Optional[str] = MeterOpt,
    timeout: Optional[float] = typer.Option(None, help="Seconds allowed per test call."),
    memory_mb: Optional[int] = typer.Option(None, help="Memory limit of the run in MiB."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
) -> None:
    """Run one solution against one task's tests in the sandbox; with --meter, measure it.

    Exit code 0 if it passed, 1 if not, 2 for bad input, 3 if the meter is unavailable."""
    from perfjudge import meters
    from perfjudge.engine import sandbox
    from perfjudge.engine.judge import Engine, check_solution
    from perfjudge.report.terminal import print_check

    the_task = load_task(benchmark, task, data_dir)
    if meter:
        try:
            ok, why = meters.get_meter(meter).availability()
        except PerfjudgeError as exc:
            fail_with(exc)
        if not ok:
            fail_with(meters.MeterUnavailable(f"meter {meter!r} is not available here: {why}"))
    if not as_json:
        warn_isolation()
    limits = sandbox.Limits()
    if timeout:
        limits = dataclasses.replace(limits, test_seconds=timeout)
    if memory_mb:
        limits = dataclasses.replace(limits, memory_bytes=memory_mb << 20)
    code = solution.read_text()
    result = check_solution(the_task, code, meter=meter, engine=Engine(limits=limits))
    if as_json:
        print(json.dumps(result.to_dict(), default=str))
    else:
        print_check(result, console)
    if result.verdict == "sandbox_error":
        from perfjudge.engine import runner

        problem = runner.preflight(limits, valgrind=meter == "valgrind")
        if problem:
            fail_with(sandbox.SandboxUnavailable(f"the sandbox does not work here: {problem}"))
    raise typer.Exit(0 if result.passed else 1)


@app.command()
def evaluate(
    benchmark: str = BenchmarkOpt,
    samples: Optional[Path] = typer.Option(
        None, "--samples", "-s", exists=True,
        help="Samples: EvalPlus-style JSONL (task_id + solution|completion), a directory of "
             "files per task, or raw model outputs. Default: the examples shipped for "
             "`builtin`."),
    data_dir: Optional[Path] = DataDirOpt,
    meter: Optional[str] = MeterOpt,
    workers: Optional[int] = typer.Option(None, "--workers", "-j",
                                          help="Parallel sandboxes (default: one per core)."),
    limit: Optional[int] = typer.Option(None, help="Only the first N tasks that have samples."),
    task: list[str] = typer.Option([], "--task", "-t", help="Only these task ids (repeatable)."),
    output: Path = typer.Option(Path("perfjudge-results"), "--output", "-o",
                                help="Directory for summary.json and results.jsonl."),
    store: Optional[Path] = typer.Option(None, envvar="PERFJUDGE_STORE",
                                         help="Results database (SQLite) used as cache."),
    no_references: bool = typer.Option(False, help="Skip measuring reference solutions "
                                                   "(no efficiency scores)."),
    executor: str = ExecutorOpt, address: Optional[str] = AddressOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the summary JSON to stdout."),
) -> None:
    """Evaluate every sample of a benchmark: verdicts, costs, scores with 95% intervals.

    Results are cached in the store: a second run reuses them, an interrupted run resumes.
    Writes OUTPUT/summary.json (schema perfjudge.run/2) and OUTPUT/results.jsonl."""
    from perfjudge.pipeline import EvaluateOptions
    from perfjudge.report.terminal import print_summary

    if not as_json:
        warn_isolation()
    pool = make_executor(executor, address, store)
    options = EvaluateOptions(benchmark=benchmark, samples=samples, data_dir=data_dir,
                              meter=meter, workers=workers, limit=limit, tasks=tuple(task),
                              output=output, store=store, references=not no_references,
                              executor=pool)
    report = run_evaluation(options, pool, as_json)
    if as_json:
        print(json.dumps(report.summary, default=str))
    else:
        print_summary(report.summary, console)
        console.print(f"wrote {report.output_dir}/summary.json and results.jsonl")


def run_evaluation(options, pool, quiet: bool):
    """`pipeline.evaluate` with progress bars and the CLI's error mapping; closes ``pool``
    (an executor `make_executor` built) whatever happens. Shared by `evaluate` and `run`."""
    from perfjudge.pipeline import evaluate as run_evaluate

    with stage_progress(quiet) as update:
        try:
            return run_evaluate(options, progress=update)
        except PerfjudgeError as exc:
            fail_with(exc)
        except OSError as exc:  # the output directory or the store cannot be written
            fail(escape(f"{exc} (check --output and --store)"), EXIT_ENVIRONMENT)
        finally:
            if pool is not None:
                pool.close()


@app.command()
def validate(benchmark: str = BenchmarkOpt, data_dir: Optional[Path] = DataDirOpt,
             workers: Optional[int] = typer.Option(None, "--workers", "-j"),
             limit: Optional[int] = typer.Option(None, help="Only the first N tasks."),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Check that every reference solution of a benchmark passes its own tests.

    Exit code 0 if all pass, 1 if any does not (each is listed with the reason)."""
    from perfjudge.pipeline import validate_references

    with stage_progress(as_json) as update:
        try:
            rows = validate_references(benchmark, data_dir, workers, limit, progress=update)
        except PerfjudgeError as exc:
            fail_with(exc)
    failing = [r for r in rows if r[2] != "passed"]
    if as_json:
        print(json.dumps([dict(zip(("task_id", "reference", "verdict", "detail"), r))
                          for r in rows]))
    else:
        for task_id, ref, verdict, detail in failing:
            console.print(f"[red]{verdict}[/] {task_id} ({ref}): {detail}", markup=True,
                          highlight=False)
        console.print(f"{len(rows) - len(failing)} of {len(rows)} references pass their "
                      f"own tests in {benchmark}")
    raise typer.Exit(1 if failing else 0)
