"""Commands over finished runs: `report` one again, `compare` two, list the store's `runs`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from perfjudge.cli.typer_app import StoreOpt, app, console, fail_with
from perfjudge.errors import PerfjudgeError


@app.command()
def report(runs: list[str] = typer.Argument(..., help="A run's output directory, its "
                                                     "summary.json, or its run id in the "
                                                     "store; several for an overview."),
           html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained "
                                                                    "HTML report here."),
           store: Optional[Path] = StoreOpt,
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Print a finished run's summary again, or write it as an HTML page.

    With several runs: one table (and with --html one page) of correctness x code
    efficiency x generation cost, one row or point per run, the Pareto front marked."""
    from perfjudge.pipeline import load_run
    from perfjudge.report.terminal import print_overview, print_summary

    try:
        summaries = [load_run(run, store) for run in runs]
        if len(runs) > 1:
            from perfjudge.report.html import runs_overview

            view = runs_overview(list(runs), store)
    except PerfjudgeError as exc:
        fail_with(exc)
    if html:
        from perfjudge.report.html import write_overview_html, write_run_html

        if len(runs) > 1:
            write_overview_html(list(runs), html, store)
        else:
            write_run_html(runs[0], html, store)
        console.print(f"wrote {html}")
    if as_json:
        print(json.dumps(view if len(runs) > 1 else summaries[0], default=str))
    elif not html:
        if len(runs) > 1:
            print_overview(view, console)
        else:
            print_summary(summaries[0], console)


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
