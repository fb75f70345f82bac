"""EvalPerf (Liu et al., COLM 2024): Differential Performance Score against reference
solutions clustered into efficiency levels.

Hub-only (``evalplus/evalperf``, split ``test``, two parquet shards). A row holds ``task_id``
(a HumanEval+ or MBPP+ id), ``entry_point``, ``reference`` (solutions, slowest cluster first),
``scores`` (the DPS each cluster earns) and ``pe_input`` (a JSON string: a list whose first
item is the performance-exercising argument list). As in ``evalplus/evalperf.py``,
correctness is checked on the task's EvalPlus base + plus inputs against the EvalPlus
canonical solution, so the HumanEval+ / MBPP+ release files are loaded too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from perfjudge.benchmarks import Benchmark, DataFile, register
from perfjudge.benchmarks.data import fetch, provenance, read_records, require_fields
from perfjudge.benchmarks.evalplus import (
    HUMANEVAL_PLUS,
    MBPP_PLUS,
    load_humaneval_plus,
    load_mbpp_plus,
    mbpp_deserialize_inputs,
)
from perfjudge.errors import InputFileError
from perfjudge.records.task import Reference, Task, TestCase

NAME = "evalperf"
VERSION = "hf-main"
_HUB = "https://huggingface.co/datasets/evalplus/evalperf/resolve/main"
SHARDS = tuple(
    DataFile(f"evalperf/test-0000{i}-of-00002.parquet", f"{_HUB}/data/test-0000{i}-of-00002.parquet")
    for i in range(2)
)
FIELDS = ("task_id", "entry_point", "reference", "scores", "pe_input")


def read_rows(paths: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    return [(path, row) for path in paths for row in read_records(path)]


def _pe_input(path: Path, task_id: str, raw: Any) -> list[Any]:
    try:
        inputs = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: {task_id}: pe_input is not valid JSON: {exc}") from exc
    if not isinstance(inputs, list) or not inputs or not isinstance(inputs[0], list):
        raise InputFileError(f"{path}: {task_id}: pe_input must be a JSON list of argument lists")
    if task_id.startswith("Mbpp/"):
        inputs = mbpp_deserialize_inputs(task_id, inputs)
    return list(inputs[0])


def load(data_dir: Path | None = None) -> list[Task]:
    paths = [fetch(shard, data_dir) for shard in SHARDS]
    prov = provenance(NAME, VERSION, SHARDS[0], paths[0])
    plus = {t.task_id: t for t in load_humaneval_plus(data_dir) + load_mbpp_plus(data_dir)}
    tasks = []
    for path, row in read_rows(paths):
        require_fields(path, row, FIELDS, f"task {row.get('task_id', '?')}")
        task_id = row["task_id"]
        refs, scores = list(row["reference"]), [float(s) for s in row["scores"]]
        if len(refs) != len(scores) or not refs:
            raise InputFileError(f"{path}: {task_id}: {len(refs)} references but {len(scores)} scores")
        base = plus.get(task_id)
        if base is None:
            raise InputFileError(f"{path}: {task_id}: not a HumanEval+ / MBPP+ task id")
        references = (base.references[0],) + tuple(
            Reference(f"cluster{level}", code, level=level) for level, code in enumerate(refs)
        )
        tasks.append(
            Task(
                benchmark=NAME,
                task_id=task_id,
                prompt=base.prompt,
                kind="function",
                entry_point=row["entry_point"],
                tests=base.tests,
                performance_tests=(TestCase(input=_pe_input(path, task_id, row["pe_input"]), level="pe"),),
                references=references,
                comparison=base.comparison,
                provenance=prov,
                metadata={"scores": scores, "cluster_levels": len(refs), "correctness_from": base.benchmark},
            )
        )
    return tasks


register(
    Benchmark(
        name=NAME,
        version=VERSION,
        description="EvalPerf: 118 performance-exercising HumanEval+/MBPP+ tasks, DPS over reference clusters",
        files=SHARDS + (HUMANEVAL_PLUS, MBPP_PLUS),
        loader=load,
        native_metric="DPS",
        homepage="https://github.com/evalplus/evalplus",
    )
)
