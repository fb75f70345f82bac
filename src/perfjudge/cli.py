"""The ``perfjudge`` command: argument parsing only; every command is a library call.

Exit codes scripts can rely on: 0 success (for ``check``: the sample passed), 1 the sample
failed (``check``), 2 bad usage or input (unknown benchmark/task, malformed file), 3 the
environment cannot do what was asked (meter unavailable, data missing offline). Each comes
from the class of the error (`perfjudge.errors`), never from a guess at a builtin exception.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from perfjudge import __version__
from perfjudge.errors import EXIT_ENVIRONMENT, EXIT_USAGE, PerfjudgeError

app = typer.Typer(
    help="Judge model-written code: is it correct, and how efficient is it next to an "
         "expert's? Start with `perfjudge evaluate` (built-in benchmark, example samples).",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich")
# Piped output (logs, scripts) gets wide tables instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

BenchmarkOpt = typer.Option("builtin", "--benchmark", "-b",
                            help="Benchmark name; `perfjudge benchmarks` lists them.")
DataDirOpt = typer.Option(None, "--data-dir", envvar="PERFJUDGE_DATA_DIR",
                          help="Folder with the benchmark files (one sub-folder per source); "
                               "default: download into the cache.")
MeterOpt = typer.Option(None, "--meter", "-m",
                        help="valgrind | instructions | cpu_time | wall_time | peak_memory; "
                             "`perfjudge meters` says which work here.")


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _fail_with(exc: PerfjudgeError) -> None:
    _fail(escape(str(exc)), exc.exit_code)


def _tasks(benchmark: str, data_dir: Optional[Path]):
    from perfjudge.benchmarks import get_benchmark

    try:
        return get_benchmark(benchmark).load(data_dir)
    except PerfjudgeError as exc:
        _fail_with(exc)


def _task(benchmark: str, task: str, data_dir: Optional[Path]):
    from perfjudge.errors import UnknownName

    tasks = {t.task_id: t for t in _tasks(benchmark, data_dir)}
    if task not in tasks:
        _fail_with(UnknownName("task", task, tasks, where=benchmark,
                               hint="Task ids are as the benchmark spells them, e.g. "
                                    f"{next(iter(tasks), '-')}."))
    return tasks[task]


def _warn_isolation() -> None:
    from perfjudge import sandbox

    for missing in sandbox.probe().missing:
        err.print(f"[yellow]warning:[/] isolation layer unavailable: {missing}")


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
    from perfjudge import meters, sandbox
    from perfjudge.execution import Engine, check_solution
    from perfjudge.report.terminal import print_check

    the_task = _task(benchmark, task, data_dir)
    if meter:
        try:
            ok, why = meters.get_meter(meter).availability()
        except PerfjudgeError as exc:
            _fail_with(exc)
        if not ok:
            _fail_with(meters.MeterUnavailable(f"meter {meter!r} is not available here: {why}"))
    if not as_json:
        _warn_isolation()
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
        from perfjudge import runner

        problem = runner.preflight(limits, valgrind=meter == "valgrind")
        if problem:
            _fail_with(sandbox.SandboxUnavailable(f"the sandbox does not work here: {problem}"))
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
    as_json: bool = typer.Option(False, "--json", help="Print the summary JSON to stdout."),
) -> None:
    """Evaluate every sample of a benchmark: verdicts, costs, scores with 95% intervals.

    Results are cached in the store: a second run reuses them, an interrupted run resumes.
    Writes OUTPUT/summary.json (schema perfjudge.run/2) and OUTPUT/results.jsonl."""
    from perfjudge.pipeline import EvaluateOptions
    from perfjudge.pipeline import evaluate as run_evaluate
    from perfjudge.report.terminal import print_summary

    if not as_json:
        _warn_isolation()
    options = EvaluateOptions(benchmark=benchmark, samples=samples, data_dir=data_dir,
                              meter=meter, workers=workers, limit=limit, tasks=tuple(task),
                              output=output, store=store, references=not no_references)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=False,
                  disable=as_json or not err.is_terminal) as progress:
        bars: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = progress.add_task(stage, total=total)
            progress.update(bars[stage], completed=done, total=total)

        try:
            report = run_evaluate(options, progress=update)
        except PerfjudgeError as exc:
            _fail_with(exc)
        except OSError as exc:  # the output directory or the store cannot be written
            _fail(escape(f"{exc} (check --output and --store)"), EXIT_ENVIRONMENT)
    if as_json:
        print(json.dumps(report.summary, default=str))
    else:
        print_summary(report.summary, console)
        console.print(f"wrote {report.output_dir}/summary.json and results.jsonl")


@app.command()
def benchmarks(data_dir: Optional[Path] = DataDirOpt,
               as_json: bool = typer.Option(False, "--json")) -> None:
    """List the benchmarks, their task counts and whether their data is here."""
    from perfjudge.benchmarks import all_benchmarks
    from perfjudge.data import DataUnavailable

    from perfjudge.data import cache_dir, resolve_data_dir

    roots = [r for r in (resolve_data_dir(data_dir), cache_dir()) if r is not None]
    rows = []
    for name, bench in sorted(all_benchmarks().items()):
        required = [f for f in bench.files if not f.optional]
        absent = [f.relpath for f in required if not any((r / f.relpath).exists() for r in roots)]
        tasks = None
        if absent:
            status = f"not downloaded ({absent[0]}); fetched on first use"
        else:
            try:
                tasks = len(bench.load(data_dir))
                status = "ready"
            except DataUnavailable as exc:
                status = "missing: " + str(exc).split("\n")[0][:80]
            except Exception as exc:  # a broken file must not hide the other benchmarks
                status = f"error: {type(exc).__name__}: {exc}"[:100]
        rows.append({"name": name, "version": bench.version, "tasks": tasks, "data": status,
                     "metric": bench.native_metric, "description": bench.description})
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title="benchmarks")
    for col in ("name", "version", "tasks", "native metric", "data"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["version"], str(r["tasks"] or "-"), r["metric"], r["data"])
    console.print(table)


@app.command()
def show(benchmark: str = typer.Argument(..., help="Benchmark name."),
         task: str = typer.Argument(..., help="Task id."),
         data_dir: Optional[Path] = DataDirOpt) -> None:
    """Print one task: prompt, tests, references and how outputs are compared."""
    t = _task(benchmark, task, data_dir)
    console.rule(f"{t.benchmark} {t.task_id}")
    console.print(t.prompt, markup=False, highlight=False)
    console.print(f"kind: {t.kind}  entry point: {t.entry_point}  comparison: "
                  f"{t.comparison.kind}" + (f" (atol {t.comparison.atol})" if t.comparison.atol else ""))
    console.print(f"correctness tests: {len(t.tests)}  performance tests: "
                  f"{len(t.performance_tests)}" + (f" + {len(t.performance_generator.calls)} generated"
                                                   if t.performance_generator else ""))
    for i, test in enumerate(t.tests[:3]):
        console.print(f"  test {i}: {str(test.input)[:200]}", markup=False)
    for ref in t.references:
        console.rule(f"reference {ref.name} (level {ref.level})")
        console.print(ref.code, markup=False, highlight=False)
    if t.provenance:
        p = t.provenance
        console.print(f"source: {p.source_url} ({p.file}, sha256 {p.sha256[:12]}...)")


@app.command(name="meters")
def meters_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """List the meters and whether each works on this machine (and the isolation layers)."""
    from perfjudge import meters, sandbox

    status = meters.available_meters()
    caps = sandbox.probe()
    if as_json:
        print(json.dumps({"meters": {k: {"available": ok, "detail": why, "unit":
                                         meters.METERS[k].unit, "deterministic":
                                         meters.METERS[k].deterministic}
                                     for k, (ok, why) in status.items()},
                          "isolation": caps.layers(), "missing": list(caps.missing)}))
        return
    table = Table(title="meters")
    for col in ("meter", "unit", "deterministic", "works here", "detail"):
        table.add_column(col)
    for name, (ok, why) in status.items():
        m = meters.METERS[name]
        table.add_row(name, m.unit, "yes" if m.deterministic else "no",
                      "[green]yes[/]" if ok else "[red]no[/]", why)
    console.print(table)
    layers = Table(title="isolation layers")
    layers.add_column("layer")
    layers.add_column("active")
    for name, ok in caps.layers().items():
        layers.add_row(name, "[green]yes[/]" if ok else "[red]no[/]")
    console.print(layers)
    console.print(f"sandbox interpreter: {caps.python}")


StoreOpt = typer.Option(None, envvar="PERFJUDGE_STORE",
                        help="Results database to read run ids from (default: the user cache).")


@app.command()
def report(run: str = typer.Argument(..., help="A run's output directory, its summary.json, "
                                               "or its run id in the store."),
           html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained "
                                                                    "HTML report here."),
           store: Optional[Path] = StoreOpt,
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Print a finished run's summary again, or write it as an HTML page."""
    from perfjudge.pipeline import load_run
    from perfjudge.report.terminal import print_summary

    try:
        summary = load_run(run, store)
    except PerfjudgeError as exc:
        _fail_with(exc)
    if html:
        from perfjudge.report.html import write_run_html

        write_run_html(run, html, store)
        console.print(f"wrote {html}")
    if as_json:
        print(json.dumps(summary))
    elif not html:
        print_summary(summary, console)


@app.command()
def compare(run_a: str = typer.Argument(..., help="First run: directory or run id."),
            run_b: str = typer.Argument(..., help="Second run: directory or run id."),
            metric: Optional[str] = typer.Option(None, help="Per-task metric to compare "
                                                           "(default: the native one)."),
            html: Optional[Path] = typer.Option(None, "--html"),
            store: Optional[Path] = StoreOpt,
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Paired comparison of two runs on their common tasks: which differ, and is it significant?"""
    from perfjudge.compare import compare_runs
    from perfjudge.report.terminal import print_comparison

    try:
        result = compare_runs(run_a, run_b, metric=metric, store=store)
    except PerfjudgeError as exc:
        _fail_with(exc)
    if html:
        from perfjudge.report.html import write_compare_html

        write_compare_html(run_a, run_b, html, metric=metric, store=store)
        console.print(f"wrote {html}")
    if as_json:
        print(json.dumps(result, default=str))
    else:
        print_comparison(result, console)


@app.command()
def runs(store: Optional[Path] = StoreOpt,
         as_json: bool = typer.Option(False, "--json")) -> None:
    """List the runs in the results store, oldest first: id, benchmark, meter, status, items.

    A finished run can be read back by id: `perfjudge report RUN_ID`."""
    from perfjudge.store import Store

    try:
        found = Store(store).list_runs()
    except PerfjudgeError as exc:
        _fail_with(exc)
    if as_json:
        print(json.dumps([dataclasses.asdict(r) for r in found]))
        return
    table = Table(title=f"runs in {Store(store).path}")
    for col in ("run id", "benchmark", "meter", "status", "items"):
        table.add_column(col)
    for r in found:
        table.add_row(r.run_id, r.benchmark, r.meter, r.status, str(r.items))
    console.print(table)


@app.command()
def validate(benchmark: str = BenchmarkOpt, data_dir: Optional[Path] = DataDirOpt,
             workers: Optional[int] = typer.Option(None, "--workers", "-j"),
             limit: Optional[int] = typer.Option(None, help="Only the first N tasks."),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Check that every reference solution of a benchmark passes its own tests.

    Exit code 0 if all pass, 1 if any does not (each is listed with the reason)."""
    from perfjudge.pipeline import validate_references

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, disable=as_json or not err.is_terminal) as bar:
        ids: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in ids:
                ids[stage] = bar.add_task(stage, total=total)
            bar.update(ids[stage], completed=done)

        try:
            rows = validate_references(benchmark, data_dir, workers, limit, progress=update)
        except PerfjudgeError as exc:
            _fail_with(exc)
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


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"perfjudge {__version__}")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
