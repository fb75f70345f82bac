"""The ``perfjudge`` command: argument parsing only; every command is a library call.

Exit codes scripts can rely on: 0 success (for ``check``: the sample passed), 1 the sample
failed (``check``), 2 bad usage or input (unknown benchmark/task, malformed file), 3 the
environment cannot do what was asked (meter unavailable, data missing offline). Each comes
from the class of the error (`perfjudge.errors`), never from a guess at a builtin exception.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from perfjudge.errors import EXIT_USAGE, PerfjudgeError

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
                        help="valgrind | instructions | cpu_time | wall_time | peak_memory | "
                             "none (correctness only: the default for pass@k benchmarks); "
                             "`perfjudge meters` says which work here.")


@contextmanager
def stage_progress(quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """Progress bars on stderr, one per pipeline stage (``update(stage, done, total)``, as
    the pipeline reports them); none when ``quiet`` or stderr is not a terminal."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err,
                  disable=quiet or not err.is_terminal) as progress:
        bars: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = progress.add_task(stage, total=total)
            progress.update(bars[stage], completed=done, total=total)

        yield update


def fail(message: str, code: int = EXIT_USAGE) -> None:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def fail_with(exc: PerfjudgeError) -> None:
    fail(escape(str(exc)), exc.exit_code)


def load_tasks(benchmark: str, data_dir: Optional[Path]):
    from perfjudge.benchmarks import get_benchmark

    try:
        return get_benchmark(benchmark).load(data_dir)
    except PerfjudgeError as exc:
        fail_with(exc)


def load_task(benchmark: str, task: str, data_dir: Optional[Path]):
    from perfjudge.errors import UnknownName

    tasks = {t.task_id: t for t in load_tasks(benchmark, data_dir)}
    if task not in tasks:
        fail_with(UnknownName("task", task, tasks, where=benchmark,
                               hint="Task ids are as the benchmark spells them, e.g. "
                                    f"{next(iter(tasks), '-')}."))
    return tasks[task]


def warn_isolation() -> None:
    from perfjudge.engine import sandbox

    for missing in sandbox.probe().missing:
        err.print(f"[yellow]warning:[/] isolation layer unavailable: {missing}")


ExecutorOpt = typer.Option("local", "--executor",
                           help="local (worker processes on this machine) | ray (a Ray "
                                "cluster: --address, or a local Ray instance).")
AddressOpt = typer.Option(None, "--address",
                          help="Ray cluster address for --executor ray (host:port, or auto); "
                               "default: $RAY_ADDRESS, else a new Ray instance here.")


def make_executor(name: str, address: Optional[str], store: Optional[Path] = None):
    """The executor ``--executor`` names; None for ``local`` (the pipeline builds its pool)."""
    import os

    from perfjudge.errors import UnknownName

    if name == "local":
        if address:
            fail("--address goes with --executor ray")
        return None
    if name != "ray":
        fail_with(UnknownName("executor", name, ["local", "ray"]))
    from perfjudge.executors.ray_cluster import RayExecutor

    try:
        return RayExecutor(address=address or os.environ.get("RAY_ADDRESS") or None,
                           store=store)
    except PerfjudgeError as exc:
        fail_with(exc)


StoreOpt = typer.Option(None, envvar="PERFJUDGE_STORE",
                        help="Results database to read run ids from (default: the user cache).")
