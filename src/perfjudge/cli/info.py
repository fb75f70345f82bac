"""Commands that describe: the `benchmarks`, one task (`show`), the `meters`, the `version`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from perfjudge import __version__
from perfjudge.cli.typer_app import DataDirOpt, app, console, load_task


@app.command()
def benchmarks(data_dir: Optional[Path] = DataDirOpt,
               as_json: bool = typer.Option(False, "--json")) -> None:
    """List the benchmarks, their task counts and whether their data is here."""
    from perfjudge.benchmarks import all_benchmarks
    from perfjudge.benchmarks.data import DataUnavailable, cache_dir, resolve_data_dir

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
    t = load_task(benchmark, task, data_dir)
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
    from perfjudge import meters
    from perfjudge.engine import sandbox

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


@app.command()
def version() -> None:
    """Print the version."""
    console.print(f"perfjudge {__version__}")
