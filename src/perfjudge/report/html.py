"""Self-contained HTML reports: one file per run or per comparison, no network requests.

    write_run_html(run_dir, out)                    -> out
    write_compare_html(run_a, run_b, out, metric)   -> out
    write_overview_html([run, run, ...], out)       -> out  (runs side by side, Pareto front)

Charts use plotly, already a dependency: hover, zoom and log axes for free, and its JS bundle
(~4.8 MB) is inlined once per page, so the file opens offline, from a CI artifact or an e-mail.
Hand-drawn SVG would be smaller but would need its own axis and log-scale code; Vega-Lite would
need three JS bundles we do not ship. Key numbers carry stable ids and `data-*` attributes
(`id="score-pass@1"`, `data-metric`, `data-task-id`) so tests and scrapers can find them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.offline
from markupsafe import Markup

from perfjudge.pipeline import load_records, load_run
from perfjudge.pipeline.runs import compare_runs
from perfjudge.report.terminal import fmt, seconds, usd
from perfjudge.scoring import metrics
from perfjudge.scoring.frontier import overview

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_CHART_TASKS = 60
# What the page plots per task when the native metric is pass@1: the first of these a run has.
EFFICIENCY_METRICS = tuple(m.name for m in metrics.METRICS.values()
                           if m.wired and m.efficiency and m.higher_is_better)
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
COLORS = {"sample": "#4c78a8", "a": "#2a9d8f", "b": "#e76f51", "tie": "#9e9e9e"}
LEVEL_COLORS = ("#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


# ----------------------------------------------------------------------------- public API


def write_run_html(run: Path | str, out: Path, store: Path | None = None) -> Path:
    """Write the report of a run (its directory, summary.json or run id) to `out`."""
    return _write(out, render_run_html(run, store))


def write_compare_html(run_a: Path | str, run_b: Path | str, out: Path,
                       metric: str | None = None, store: Path | None = None) -> Path:
    """Write the paired comparison of two runs (see `perfjudge.scoring.compare`) to `out`."""
    return _write(out, render_compare_html(run_a, run_b, metric, store))


def write_overview_html(runs: list[Path | str], out: Path, store: Path | None = None) -> Path:
    """Write one page with several runs side by side: correctness x code efficiency x
    generation cost, one point per run, the Pareto front marked."""
    return _write(out, render_overview_html(runs, store))


def runs_overview(runs: list[Path | str], store: Path | None = None) -> dict[str, Any]:
    summaries = [load_run(r, store) for r in runs]
    labels = [_run_label(r, s) for r, s in zip(runs, summaries)]
    return overview(summaries, labels, EFFICIENCY_METRICS)


def render_overview_html(runs: list[Path | str], store: Path | None = None) -> str:
    view = runs_overview(runs, store)
    figures = {"fig-frontier": frontier_figure(view)}
    return _render("overview.html.j2", v=view, figs=_divs(figures),
                   title=f"perfjudge: {len(view['runs'])} runs side by side")


def render_run_html(run: Path | str, store: Path | None = None) -> str:
    summary = load_run(run, store)
    records = load_records(run, store)
    unit = summary["meter"]["unit"]
    eff = efficiency_metric(summary)
    shown = summary["tasks"][:MAX_CHART_TASKS]
    figures = {
        "fig-task-costs": task_cost_figure(shown, records, unit),
        "fig-speedups": speedup_figure(records),
        "fig-correct-vs-eff": correctness_efficiency_figure(summary["tasks"], eff),
    }
    return _render("run.html.j2", s=summary, title=_run_title(summary),
                   gen=summary.get("generation") or {},
                   scores=ordered_scores(summary), eff_metric=eff,
                   task_rows=task_rows(summary, records), figs=_divs(figures),
                   chart_note=_chart_note(len(shown), len(summary["tasks"])),
                   n_speedups=len(_sample_values(records, "speedup")))


def render_compare_html(run_a: Path | str, run_b: Path | str, metric: str | None = None,
                        store: Path | None = None) -> str:
    result = compare_runs(run_a, run_b, metric, store=store)
    a, b = load_run(run_a, store), load_run(run_b, store)
    figures = {"fig-differences": difference_figure(result)}
    return _render("compare.html.j2", r=result, a=a, b=b, figs=_divs(figures),
                   title=f"perfjudge comparison: {result['metric']} on {a['benchmark']['name']}",
                   verdict=significance_sentence(result),
                   low_power=result["a_better"] + result["b_better"] < 6)


# ----------------------------------------------------------------------------- data



def ordered_scores(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Scores with pass@1 first, then the benchmark's native metric, then the rest."""
    scores = summary["scores"]
    native = summary["benchmark"]["native_metric"]
    order = dict.fromkeys(["pass@1", native, *scores])
    return [dict(scores[k], native=(k == native)) for k in order if k in scores]


def efficiency_metric(summary: dict[str, Any]) -> str | None:
    """The per-task efficiency metric to plot: the native one unless that is pass@1."""
    native = summary["benchmark"]["native_metric"]
    candidates = ([native] if native != "pass@1" else []) + list(EFFICIENCY_METRICS)
    for name in candidates:
        if any(t["scores"].get(name) is not None for t in summary["tasks"]):
            return name
    return None


def task_rows(summary: dict[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per task: counts, key metrics and costs (display text + sort key)."""
    unit = summary["meter"]["unit"]
    native = summary["benchmark"]["native_metric"]
    eff = efficiency_metric(summary)
    by_task = _group(r for r in records if r["reference"] is None)
    rows = []
    for t in summary["tasks"]:
        costs = [r["cost"] for r in by_task.get(t["task_id"], []) if r["cost"] is not None]
        ref_costs = [r["cost"] for r in t["references"] if r["cost"] is not None]
        cells = {"n": (t["n"], str(t["n"])), "correct": (t["correct"], str(t["correct"]))}
        for name in dict.fromkeys(["pass@1", native, eff, "speedup"]):
            if name:
                cells[name] = _num_cell(t["scores"].get(name))
        cells["best reference cost"] = _num_cell(min(ref_costs, default=None), unit)
        cells["median sample cost"] = _num_cell(statistics.median(costs) if costs else None, unit)
        rows.append({"task_id": t["task_id"], "cells": cells, "error": t.get("error")})
    return rows


def significance_sentence(result: dict[str, Any]) -> str:
    """One sentence: which run is better on the metric, or that the data cannot tell."""
    m, p, alpha = result["metric"], result["wilcoxon_p"], 0.05
    lo, hi = result["ci"]
    ci = f"mean difference {result['mean_difference']:+.4g} (95% CI [{lo:+.4g}, {hi:+.4g}])"
    if result["significant"]:
        winner = "A" if result["mean_difference"] > 0 else "B"
        return (f"Run {winner} is significantly better on {m}: {ci}, "
                f"Wilcoxon p = {p:.3g} < {alpha:g}.")
    return f"No significant difference on {m}: {ci}, Wilcoxon p = {p:.3g} \u2265 {alpha:g}."


# ----------------------------------------------------------------------------- figures


def task_cost_figure(tasks: list[dict[str, Any]], records: list[dict[str, Any]],
                     unit: str) -> go.Figure:
    """Per task: correct samples' costs (box + points) and one mark per reference level."""
    ids = [t["task_id"] for t in tasks]
    wanted = set(ids)
    samples = [r for r in records if r["reference"] is None and r["task_id"] in wanted
               and r["cost"] is not None]
    fig = go.Figure(go.Box(
        x=[r["task_id"] for r in samples], y=[r["cost"] for r in samples],
        text=[r["sample_id"] for r in samples], name="correct samples", boxpoints="all",
        jitter=0.4, pointpos=0, marker={"color": COLORS["sample"], "size": 7},
        line={"width": 1}, hovertemplate="%{text}<br>%{y:.4s}" + unit + "<extra></extra>"))
    refs: dict[str, list[tuple[str, float]]] = {}
    for t in tasks:
        for ref in t["references"]:
            if ref["cost"] is not None:
                label = (f"reference level {ref['level']}" if ref["level"] is not None
                         else f"reference {ref['name']}")
                refs.setdefault(label, []).append((t["task_id"], ref["cost"]))
    for i, (label, points) in enumerate(sorted(refs.items())):
        fig.add_trace(go.Scatter(
            x=[p[0] for p in points], y=[p[1] for p in points], mode="markers", name=label,
            marker={"symbol": "line-ew", "size": 34, "line": {"width": 3,
                    "color": LEVEL_COLORS[i % len(LEVEL_COLORS)]}},
            hovertemplate=label + "<br>%{y:.4s}" + unit + "<extra></extra>"))
    fig.update_layout(yaxis={"type": "log", "title": f"cost ({unit}, log scale)"},
                      xaxis={"title": "task", "categoryorder": "array", "categoryarray": ids})
    return _style(fig, height=460)


def speedup_figure(records: list[dict[str, Any]]) -> go.Figure:
    """Histogram of per-sample speedups over the canonical reference on a log2 axis."""
    speedups = [v for v in _sample_values(records, "speedup") if v > 0]
    logs = [math.log2(v) for v in speedups]
    lo = math.floor(min(logs, default=-1)) - 1
    hi = math.ceil(max(logs, default=1)) + 1
    fig = go.Figure(go.Histogram(  # bins of a quarter octave, one centred on 1x
        x=logs, marker={"color": COLORS["sample"]}, name="samples",
        xbins={"start": lo - 0.125, "end": hi + 0.125, "size": 0.25},
        hovertemplate="%{y} samples<extra></extra>"))
    ticks = list(range(lo, hi + 1))
    fig.add_vline(x=0, line={"dash": "dash", "color": "#444"},
                  annotation_text="as fast as the reference")
    fig.update_layout(xaxis={"title": "speedup = reference cost / sample cost (log scale)",
                             "tickvals": ticks, "ticktext": [_times(2.0 ** k) for k in ticks],
                             "range": [lo, hi]},
                      yaxis={"title": "correct samples"}, showlegend=False)
    return _style(fig, height=360)


def correctness_efficiency_figure(tasks: list[dict[str, Any]], eff: str | None) -> go.Figure:
    """One point per task: pass@1 against the efficiency metric."""
    pts = [(t["task_id"], t["scores"].get("pass@1"), t["scores"].get(eff or ""))
           for t in tasks]
    pts = [p for p in pts if p[1] is not None and p[2] is not None]
    fig = go.Figure(go.Scatter(
        x=[p[1] for p in pts], y=[p[2] for p in pts], text=[p[0] for p in pts], mode="markers",
        marker={"size": 11, "color": COLORS["sample"], "opacity": 0.75},
        hovertemplate="%{text}<br>pass@1 %{x:.3f}<br>" + str(eff) + " %{y:.3f}<extra></extra>"))
    fig.update_layout(xaxis={"title": "pass@1 (per task)", "range": [-0.05, 1.05]},
                      yaxis={"title": f"{eff} (per task)"})
    return _style(fig, height=400)


def frontier_figure(view: dict[str, Any]) -> go.Figure:
    """One point per run: generation cost (x, log) against pass@1 (y), coloured by the
    efficiency score; runs on the Pareto front are diamonds joined by a line."""
    rows = view["runs"]
    finite = [r for r in rows if r["cost"] is not None and math.isfinite(r["cost"])]
    use_cost = bool(finite)
    x = [r["cost"] if use_cost else i for i, r in enumerate(rows)]
    fig = go.Figure()
    front = sorted((r for r in rows if r["on_front"] and (not use_cost or r in finite)),
                   key=lambda r: r["cost"] if use_cost else 0)
    if use_cost and len(front) > 1:
        fig.add_trace(go.Scatter(x=[r["cost"] for r in front], y=[r["pass@1"] for r in front],
                                 mode="lines", line={"dash": "dot", "color": "#555"},
                                 name="Pareto front", hoverinfo="skip"))
    effs = [r["efficiency"] for r in rows]
    shown = [(xi, r, e) for xi, r, e in zip(x, rows, effs)
             if not use_cost or (r["cost"] is not None and math.isfinite(r["cost"]))]
    fig.add_trace(go.Scatter(
        x=[p[0] for p in shown], y=[p[1]["pass@1"] for p in shown],
        text=[p[1]["label"] for p in shown], mode="markers+text", textposition="top center",
        marker={"size": 16, "symbol": ["diamond" if p[1]["on_front"] else "circle"
                                       for p in shown],
                "color": [p[2] if p[2] is not None else 0 for p in shown],
                "colorscale": "Viridis", "showscale": view["efficiency_metric"] is not None,
                "colorbar": {"title": view["efficiency_metric"] or ""},
                "line": {"width": 2, "color": "#000"}},
        customdata=[[p[1]["efficiency"] if p[1]["efficiency"] is not None else float("nan"),
                     "yes" if p[1]["on_front"] else "no"] for p in shown],
        hovertemplate="%{text}<br>pass@1 %{y:.3f}<br>" + str(view["efficiency_metric"])
                      + " %{customdata[0]:.3f}<br>cost %{x:.4g}<br>on the front: "
                        "%{customdata[1]}<extra></extra>", name="runs"))
    fig.update_layout(xaxis={"title": view["cost_axis"] or "run", "type": "log" if use_cost
                             else "linear"},
                      yaxis={"title": "pass@1", "range": [-0.05, 1.12]})
    return _style(fig, height=440)


def difference_figure(result: dict[str, Any]) -> go.Figure:
    """Per-task differences A - B (positive: A better), sorted, with the mean and its CI."""
    rows = sorted(result["tasks"], key=lambda r: r["difference"], reverse=True)
    colors = [COLORS[{"A": "a", "B": "b"}.get(r["better"], "tie")] for r in rows]
    fig = go.Figure(go.Bar(
        x=[r["task_id"] for r in rows], y=[r["difference"] for r in rows],
        marker={"color": colors}, customdata=[[r["a"], r["b"]] for r in rows],
        hovertemplate="%{x}<br>difference %{y:+.4g}<br>A %{customdata[0]:.4g}, "
                      "B %{customdata[1]:.4g}<extra></extra>", name="A - B"))
    lo, hi = result["ci"]
    fig.add_hrect(y0=lo, y1=hi, fillcolor="#ffd166", opacity=0.35, line_width=0, layer="below",
                  annotation_text="95% CI of the mean", annotation_position="top left")
    fig.add_hline(y=result["mean_difference"], line={"dash": "dash", "color": "#333"},
                  annotation_text=f"mean {result['mean_difference']:+.4g}",
                  annotation_position="bottom right")
    fig.add_hline(y=0, line={"color": "#000", "width": 1})
    better = "higher" if result["higher_is_better"] else "lower"
    fig.update_layout(xaxis={"title": "task (sorted by difference)", "type": "category"},
                      yaxis={"title": f"advantage of A in {result['metric']} ({better} is better)"},
                      showlegend=False)
    return _style(fig, height=420)


# ----------------------------------------------------------------------------- helpers


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(template="plotly_white", height=height,
                      margin={"l": 60, "r": 20, "t": 30, "b": 60},
                      legend={"orientation": "h", "y": 1.08})
    return fig


def _divs(figures: dict[str, go.Figure]) -> dict[str, Markup]:
    return {div_id: Markup(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                                       config=PLOT_CONFIG))
            for div_id, fig in figures.items()}


def _sample_values(records: list[dict[str, Any]], name: str) -> list[float]:
    return [r["scores"][name] for r in records if r["reference"] is None
            and (r.get("scores") or {}).get(name) is not None]


def _group(records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault(r["task_id"], []).append(r)
    return out


def _num_cell(value: float | None, unit: str = "") -> tuple[float | None, str]:
    return value, fmt(value, unit)


def _times(x: float) -> str:
    return f"{x:g}\u00d7" if x >= 1 else f"1/{1 / x:g}\u00d7"


def _chart_note(shown: int, total: int) -> str:
    if shown == total:
        return ""
    return f"Showing the first {shown} of {total} tasks; the table lists all."


def _run_label(run: Path | str, summary: dict[str, Any]) -> str:
    models = (summary.get("generation") or {}).get("models") or []
    name = Path(str(run)).name if Path(str(run)).exists() else str(run)
    return f"{name} ({', '.join(models)})" if models else name


def _run_title(summary: dict[str, Any]) -> str:
    b = summary["benchmark"]
    return f"perfjudge: {b['name']} {b['version']} ({summary['meter']['name']})"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["fmt"] = fmt
    env.filters["usd"] = usd
    env.filters["seconds"] = seconds
    env.filters["p"] = lambda v: "-" if v is None else f"{v:.3g}"
    env.filters["signed"] = lambda v: "-" if v is None else f"{v:+.4g}"
    return env


def _render(template: str, **context: Any) -> str:
    context["plotly_js"] = Markup(plotly.offline.get_plotlyjs())
    return _environment().get_template(template).render(**context)


def _write(out: Path, text: str) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
