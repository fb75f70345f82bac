"""Commands over finished runs: `report` one again, `compare` two, list the store's `runs`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from perfjudge.cli.app import StoreOpt, app, console, fail_with
from perfjudge.errors import PerfjudgeError


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
        fail_with(exc)
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
    from perfjudge.pipeline.runs import compare_runs
    from perfjudge.report.terminal import print_comparison

    try:
        result = compare_runs(run_a, run_b, metric=metric, store=store)
    except PerfjudgeError as exc:
        fail_with(exc)
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
        fail_with(exc)
    if as_json:
        print(json.dumps([dataclasses.asdict(r) for r in found]))
        return
    table = Table(title=f"runs in {Store(store).path}")
    for col in ("run id", "benchmark", "meter", "status", "items"):
        table.add_column(col)
    for r in found:
        table.add_row(r.run_id, r.benchmark, r.meter, r.status, str(r.items))
    console.print(table)
