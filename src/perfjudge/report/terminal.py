"""Rich tables for the terminal: the end-of-run summary, one checked sample, a comparison."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from perfjudge.records.result import CheckResult

VERDICT_STYLE = {"passed": "green", "wrong_answer": "red", "runtime_error": "red",
                 "timeout": "yellow", "memory_limit": "yellow", "output_limit": "yellow",
                 "compile_error": "magenta", "tampering": "bold magenta",
                 "sandbox_error": "bold red"}


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "instructions":
        return f"{value:,.0f}"
    if unit == "s":
        return f"{value * 1e3:.3f} ms"
    if unit == "bytes":
        return f"{value / (1 << 20):.2f} MiB"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}"


def summary_table(summary: dict[str, Any]) -> Table:
    bench = summary["benchmark"]
    meter = summary["meter"]
    measured = f"meter {meter['name']} ({meter['unit']})" if meter["name"] != "none" else \
        "correctness only (meter none)"
    table = Table(title=f"perfjudge: {bench['name']} {bench['version']}, {measured}",
                  title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("95% CI (bootstrap over tasks)", justify="right")
    table.add_column("tasks", justify="right")
    scores = summary["scores"]
    native = bench["native_metric"]
    order = ["pass@1", native] + [k for k in scores if k not in ("pass@1", native)]
    for name in dict.fromkeys(order):
        if name not in scores:
            continue
        s = scores[name]
        ci = "-" if s["low"] is None else f"[{fmt(s['low'])}, {fmt(s['high'])}]"
        label = f"{name} (native)" if name == native and name != "pass@1" else name
        table.add_row(label, fmt(s["value"]), ci, str(s["n_tasks"]))
    return table


def verdict_table(summary: dict[str, Any]) -> Table:
    table = Table(title="verdicts", title_justify="left")
    for v in summary["counts"]["verdicts"]:
        table.add_column(v, justify="right", style=VERDICT_STYLE.get(v, ""))
    table.add_row(*[str(n) for n in summary["counts"]["verdicts"].values()])
    return table


def usd(value: float | None) -> str:
    if value is None:
        return "-"
    return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value * 1e3:,.1f} ms" if value < 1 else f"{value:.2f} s"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def generation_table(gen: dict[str, Any]) -> Table | None:
    """What generating the samples cost (`scoring.generation`), or None if nothing said."""
    if not gen:
        return None
    said = (any(v is not None for v in (gen.get("tokens") or {}).values())
            or (gen.get("latency_s") or {}).get("n")
            or (gen.get("cost_usd") or {}).get("total") is not None)
    if not said:
        return None
    models = ", ".join(gen.get("models") or []) or "-"
    table = Table(title=f"generation cost ({gen['samples']} of {gen['of']} samples report it;"
                        f" {models})", title_justify="left")
    for col in ("prompt tok", "completion tok", "reasoning tok", "TTFT p50 / p90",
                "TPOT p50", "latency p50 / p90", "$ total", "$ / correct sample",
                "$ / solved task"):
        table.add_column(col, justify="right")
    tok = gen.get("tokens") or {}
    ttft, tpot, lat = (gen.get(k) or {} for k in ("ttft_s", "tpot_s", "latency_s"))
    cost = gen.get("cost_usd") or {}
    table.add_row(_count(tok.get("prompt")), _count(tok.get("completion")),
                  _count(tok.get("reasoning")),
                  f"{seconds(ttft.get('median'))} / {seconds(ttft.get('p90'))}",
                  seconds(tpot.get("median")),
                  f"{seconds(lat.get('median'))} / {seconds(lat.get('p90'))}",
                  usd(cost.get("total")), usd(cost.get("per_correct_sample")),
                  usd(cost.get("per_solved_task")))
    return table


def print_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(summary_table(summary))
    console.print(verdict_table(summary))
    gen = generation_table(summary.get("generation") or {})
    if gen is not None:
        console.print(gen)
        reasons = summary["generation"].get("finish_reasons") or {}
        if reasons.get("length"):
            console.print(f"[yellow]{reasons['length']} outputs were cut by --max-tokens "
                          "(finish_reason: length)[/]")
    counts = summary["counts"]
    console.print(f"{counts['samples']} samples on {counts['tasks']} tasks; "
                  f"executed {summary.get('executed', '?')}, reused from the store "
                  f"{summary.get('reused', '?')}; run {summary.get('run_id', '?')}")
    meter = summary["meter"]
    if meter.get("portability") and meter["name"] != "none":
        console.print(f"{meter['name']} costs compare across {meter['portability']}"
                      + (f"; counted under {meter['runtime']['interpreter']}"
                         if meter.get("runtime") else ""))
    print_issues(summary.get("issues", []), console)
    missing = summary.get("isolation", {}).get("missing")
    if missing:
        console.print("[yellow]isolation layers missing:[/] " + "; ".join(missing))


ISSUE_TITLES = {
    "no_samples": "tasks without samples (not evaluated)",
    "unknown_task": "samples for tasks this benchmark does not have",
    "duplicate": "duplicate samples (identical code for one task, judged once)",
    "malformed": "malformed lines",
    "missing_task_id": "records without task_id",
    "missing_code": "records without code",
    "no_code_block": "outputs whose fenced blocks hold no python",
    "unreadable": "unreadable input",
}


def print_issues(issues: list[dict[str, Any]], console: Console) -> None:
    """Sample issues grouped by kind, a few examples each; all of them are in summary.json."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for issue in issues:
        if isinstance(issue, str):
            issue = {"kind": "other", "path": issue, "line": None, "message": ""}
        groups.setdefault(issue.get("kind") or "other", []).append(issue)
    for kind, items in groups.items():
        console.print(f"[yellow]{len(items)} {ISSUE_TITLES.get(kind, kind)}[/]")
        if kind == "no_samples":
            continue
        for issue in items[:3]:
            where = f"{issue['path']}:{issue['line']}" if issue.get("line") is not None else issue["path"]
            console.print(f"  {where}: {issue['message']}", highlight=False, markup=False)
        if len(items) > 3:
            console.print(f"  ... {len(items) - 3} more in summary.json")


def print_check(result: CheckResult, console: Console | None = None) -> None:
    console = console or Console()
    style = VERDICT_STYLE.get(result.verdict, "")
    console.print(f"[{style}]{result.verdict}[/] {result.detail}".rstrip())
    if result.failure:
        f = result.failure
        console.print(f"  {f.phase} test {f.index}: input {f.input_repr}")
        if f.expected_repr is not None:
            console.print(f"  expected {f.expected_repr}\n  got      {f.output_repr}")
        if f.error_type:
            console.print(f"  {f.error_type}: {f.error_message}")
    if result.measurements:
        table = Table(title=f"{result.meter} per performance test", title_justify="left")
        for col in ("test", "median", "spread (MAD)", "CV", "repeats", "baseline (subtracted)"):
            table.add_column(col, justify="right")
        for m in result.measurements:
            floor = " (floor)" if m.resolution and m.value <= m.resolution else ""
            table.add_row(str(m.test_index), fmt(m.value, m.unit) + floor,
                          fmt(m.spread, m.unit), f"{m.cv:.2%}", str(m.repeats),
                          fmt(m.baseline, m.unit))
        console.print(table)
        unit = result.unit or ""
        line = f"total: {fmt(result.total_cost, unit)}"
        if result.load_cost is not None:
            line += f" (loading the module, included in each call: {fmt(result.load_cost, unit)})"
        console.print(line)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


def print_comparison(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"{result['metric']} per task (A = {result['run_a']}, "
                        f"B = {result['run_b']})", title_justify="left")
    for col in ("task", "A", "B", "better"):
        table.add_column(col, justify="right" if col in ("A", "B") else "left")
    for row in result["differing"]:
        table.add_row(row["task_id"], f"{row['a']:.3f}", f"{row['b']:.3f}", row["better"])
    console.print(table)
    console.print(f"{len(result['differing'])} of {result['n_tasks']} tasks differ; "
                  f"A better on {result['a_better']}, B better on {result['b_better']}, "
                  f"ties {result['ties']}")
    lo, hi = result["ci"]
    verdict = "[bold green]significant[/]" if result["significant"] else "[yellow]not significant[/]"
    console.print(f"mean difference {result['mean_difference']:+.4f} (95% CI [{lo:+.4f}, "
                  f"{hi:+.4f}]), Wilcoxon p = {result['wilcoxon_p']:.3g}, sign test p = "
                  f"{result['sign_test_p']:.3g}: {verdict} at alpha 0.05")
    console.print(result["summary"])
    if result.get("generation"):
        table = Table(title="generation cost", title_justify="left")
        for col in ("figure", "A", "B", "B / A"):
            table.add_column(col, justify="left" if col == "figure" else "right")
        for row in result["generation"]:
            show = usd if row["figure"].startswith("$") else (
                seconds if "(s)" in row["figure"] else _count)
            table.add_row(row["figure"], show(row["a"]), show(row["b"]),
                          "-" if row["ratio"] is None else f"{row['ratio']:.2f}x")
        console.print(table)
    for warning in result.get("warnings", []):
        console.print(f"[yellow]warning:[/] {warning}")


def print_overview(view: dict[str, Any], console: Console | None = None) -> None:
    """Runs side by side with the Pareto front marked (`scoring.frontier.overview`)."""
    console = console or Console()
    eff = view["efficiency_metric"] or "efficiency"
    table = Table(title=f"runs: correctness x {eff} x {view['cost_axis'] or 'no cost'} "
                        f"(front over {', '.join(view['axes'])})", title_justify="left")
    for col in ("run", "models", "pass@1", eff, "solved", "completion tok", "TTFT p50",
                "$ total", "$ / solved task", "front"):
        table.add_column(col, justify="left" if col in ("run", "models") else "right")
    for r in view["runs"]:
        tokens = r["completion_tokens"]
        table.add_row(r["label"], ", ".join(r["models"]) or "-", fmt(r["pass@1"]),
                      fmt(r["efficiency"]), str(r["solved_tasks"]),
                      "-" if tokens is None else f"{tokens:,}", seconds(r["ttft_s"]),
                      usd(r["usd_total"]), usd(r["usd_per_solved_task"]),
                      "[bold green]yes[/]" if r["on_front"] else "")
    console.print(table)
