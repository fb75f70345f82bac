"""Finished runs read back, from their output directory or from the store by run id, and two
of them compared (`scoring.compare` does the statistics)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from perfjudge.errors import InputFileError, InputNotFound, UnknownName
from perfjudge.records.run import check_summary
from perfjudge.scoring.compare import compare_summaries
from perfjudge.store import Store

RUN_ID = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{8}$")


def load_run(run: Path | str, store: Path | None = None) -> dict[str, Any]:
    """A run's summary: from its output directory (or the summary.json itself), or, given
    a run id (`RunReport.run_id`, ``perfjudge runs``), from the store."""
    return _load(run, store)[0]


def load_records(run: Path | str, store: Path | None = None) -> list[dict[str, Any]]:
    """A run's per-sample records (results.jsonl beside its summary, or the store's);
    [] if a directory has none."""
    return _load(run, store, records=True)[1]


def _load(run: Path | str, store: Path | None,
          records: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    path = Path(run)
    if not path.exists() and RUN_ID.match(str(run)):
        db = Store(store)
        found = db.run_summary(str(run))
        if found is None:
            listed = {r.run_id: r for r in db.list_runs()}
            info = listed.get(str(run))
            if info is not None:
                raise InputNotFound(
                    f"run {run} is in the store ({info.status}) but has no summary: it is "
                    "still going, was interrupted, or finished before the store kept "
                    "summaries; read its output directory instead"
                    + (f" ({info.options['output']})" if info.options.get("output") else ""))
            raise UnknownName("run", str(run), listed, where=str(db.path),
                              hint="(`perfjudge runs` lists them; a run still going or "
                                   "interrupted has no summary yet)")
        check_summary(found[0], f"run {run}")
        return found
    file = path / "summary.json" if path.is_dir() else path
    if not file.exists():
        raise InputNotFound(f"no run summary at {file} (run `perfjudge evaluate --output {path}`,"
                            " or name a run id from `perfjudge runs`)")
    try:
        data = json.loads(file.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{file} is not a perfjudge run summary: {exc}") from None
    check_summary(data, str(file))
    lines: list[dict[str, Any]] = []
    jsonl = file.parent / "results.jsonl"
    if records and jsonl.exists():
        lines = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    return data, lines


def compare_runs(run_a: Path | str, run_b: Path | str, metric: str | None = None,
                 n_resamples: int = 2000, store: Path | None = None) -> dict[str, Any]:
    """Each run is a directory, a summary.json or a run id in ``store``."""
    return compare_summaries(load_run(run_a, store), load_run(run_b, store), metric,
                             n_resamples, name_a=str(run_a), name_b=str(run_b))
