"""What generating the samples cost, summarised: tokens, latencies, dollars, and dollars per
solved task. Pure functions over generation records.

An entry is either a samples-file line (generation fields at top level, `Generation.record`)
or a results record (``{"task_id", "generation": {...}, "verdict"}``); older files that put
token counts in an OpenAI-style ``usage`` object are read too.

Definitions (stated because the field has none agreed):

- ``median`` and ``p90`` are NumPy's ``percentile`` with its default ``linear`` method
  (Hyndman and Fan 1996, definition 7), over the samples that report the field.
- ``cost_usd.total`` sums the priced samples; the per-solved figures are given only when
  every sample is priced (a partial sum would flatter the model):
  ``per_correct_sample = total / correct samples`` (the expected spend per correct answer
  when sampling once per try) and ``per_solved_task = total / tasks with at least one
  correct sample`` (the spend per task the model can solve at all, at this n).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

TOKEN_FIELDS = {"prompt": "prompt_tokens", "completion": "completion_tokens",
                "reasoning": "reasoning_tokens"}
TIME_FIELDS = ("ttft_s", "tpot_s", "latency_s")


def fields_of(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The generation fields of an entry, ``usage`` flattened under them."""
    nested = isinstance(entry.get("generation"), Mapping)
    fields = dict(entry["generation"] if nested else entry)
    if nested and fields and isinstance(entry.get("model"), str):
        fields.setdefault("model", entry["model"])
    usage = fields.pop("usage", None)
    if isinstance(usage, Mapping):
        fields.update({k: v for k, v in usage.items() if k not in fields})
    return fields


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def distribution(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"median": None, "p90": None, "n": 0}
    arr = np.asarray(values, dtype=float)
    return {"median": float(np.percentile(arr, 50)), "p90": float(np.percentile(arr, 90)),
            "n": len(values)}


def generation_totals(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The sum of each numeric generation field over the entries that report it, with how
    many did; empty when no entry carries a generation record."""
    totals: dict[str, dict[str, float]] = {}
    reporting = 0
    for entry in entries:
        fields = fields_of(entry)
        if not fields:
            continue
        reporting += 1
        for name, value in fields.items():
            number = _number(value)
            if number is not None and name not in ("temperature", "seed", "top_p",
                                                   "max_tokens", "sample_index"):
                slot = totals.setdefault(name, {"sum": 0, "samples": 0})
                slot["sum"] += value
                slot["samples"] += 1
    if not reporting:
        return {}
    return {"samples": reporting, "of": len(entries), "totals": totals}


def generation_summary(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Tokens, TTFT/TPOT/latency distributions, finish reasons and dollars of ``entries``
    (see the module docstring); with verdicts, also $ per correct sample and per solved
    task. Empty when no entry has a generation record."""
    base = generation_totals(entries)
    if not base:
        return {}
    reporting = [(e, f) for e in entries if (f := fields_of(e))]
    tokens: dict[str, int | None] = {}
    for label, name in TOKEN_FIELDS.items():
        values = [_number(f.get(name)) for _, f in reporting]
        known = [v for v in values if v is not None]
        tokens[label] = int(sum(known)) if known else None
    times = {name: distribution([v for _, f in reporting
                                 if (v := _number(f.get(name))) is not None])
             for name in TIME_FIELDS}
    reasons: dict[str, int] = {}
    for _, f in reporting:
        reason = f.get("finish_reason")
        if isinstance(reason, str):
            reasons[reason] = reasons.get(reason, 0) + 1
    costs = [_number(f.get("cost_usd")) for _, f in reporting]
    priced = [c for c in costs if c is not None]
    all_priced = len(priced) == len(entries) and bool(priced)
    judged = [e for e in entries if "verdict" in e]
    correct = sum(1 for e in judged if e["verdict"] == "passed")
    solved = len({e.get("task_id") for e in judged if e["verdict"] == "passed"})
    total = sum(priced) if priced else None
    cost = {"total": total, "priced": len(priced),
            "per_correct_sample": total / correct if all_priced and correct else None,
            "per_solved_task": total / solved if all_priced and solved else None}
    models = sorted({f["model"] for _, f in reporting if isinstance(f.get("model"), str)})
    summary: dict[str, Any] = {**base, "models": models, "tokens": tokens, **times,
                               "finish_reasons": reasons, "cost_usd": cost}
    device = [v for _, f in reporting if (v := _number(f.get("device_s"))) is not None]
    if device:
        summary["device_s"] = sum(device)
    if judged:
        summary.update(correct_samples=correct, solved_tasks=solved)
    return summary


def per_task_generation(entries: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per task: token sums, $ and median latency of its samples (tasks with a record)."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for entry in entries:
        if fields_of(entry):
            grouped.setdefault(str(entry.get("task_id")), []).append(entry)
    out = {}
    for task_id, group in grouped.items():
        s = generation_summary(group)
        out[task_id] = {"samples": s["samples"], "prompt_tokens": s["tokens"]["prompt"],
                        "completion_tokens": s["tokens"]["completion"],
                        "cost_usd": s["cost_usd"]["total"],
                        "ttft_s": s["ttft_s"]["median"], "latency_s": s["latency_s"]["median"]}
    return out


__all__ = ["distribution", "fields_of", "generation_summary", "generation_totals",
           "per_task_generation"]
