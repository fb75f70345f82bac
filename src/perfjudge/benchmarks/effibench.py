"""EffiBench (Huang et al., NeurIPS 2024): 1,000 LeetCode problems, NET / NMU / NTMU of a
sample against the canonical (leaderboard-efficient) solution.

Hub copy ``DONG19/EffiBench`` (the GitHub repo ships the same records as ``dataset.jsonl``
through Git LFS). A record holds ``problem_idx``, ``task_name``, ``markdown_description``,
``canonical_solution`` (a ``class Solution``), ``small_test_cases`` (the few asserts shown in
the prompt) and ``test_case`` (the full test script). EffiBench runs
``completion + "\\nsolution=Solution()\\n" + test_case`` as one program; perfjudge replays the
script (`Comparison` ``replay``) with the call contract in ``metadata`` so the engine never
runs the asserts inside the sample's process.
"""

from __future__ import annotations

from pathlib import Path

from perfjudge.benchmarks import Benchmark, DataFile, register
from perfjudge.benchmarks.data import fetch, provenance, read_records, require_fields
from perfjudge.errors import InputFileError
from perfjudge.records.task import Comparison, Reference, Task

NAME = "effibench"
VERSION = "hf-main"
DATASET = DataFile(
    "effibench/train-00000-of-00001.parquet",
    "https://huggingface.co/datasets/DONG19/EffiBench/resolve/main/data/train-00000-of-00001.parquet",
)
FIELDS = ("problem_idx", "markdown_description", "canonical_solution", "test_case")


def load(data_dir: Path | None = None) -> list[Task]:
    path = fetch(DATASET, data_dir)
    prov = provenance(NAME, VERSION, DATASET, path)
    tasks = []
    for index, row in enumerate(read_records(path)):
        require_fields(path, row, FIELDS, f"row {index}")
        canonical = row["canonical_solution"]
        if "class Solution" not in canonical:
            raise InputFileError(f"{path}: problem {row['problem_idx']}: canonical_solution defines no class Solution")
        tasks.append(
            Task(
                benchmark=NAME,
                task_id=str(row["problem_idx"]),
                prompt=row["markdown_description"],
                kind="function",
                entry_point="Solution",
                tests=(),
                references=(Reference("canonical", canonical),),
                comparison=Comparison(kind="replay", checker=row["test_case"]),
                provenance=prov,
                metadata={
                    "task_name": row.get("task_name"),
                    "small_test_cases": row.get("small_test_cases"),
                    "replay_prefix": "solution = Solution()\n",
                    "call": "script",
                },
            )
        )
    return tasks


register(
    Benchmark(
        name=NAME,
        version=VERSION,
        description="EffiBench: 1,000 LeetCode problems, canonical solutions, NET/NMU/NTMU",
        files=(DATASET,),
        loader=load,
        native_metric="NET",
        homepage="https://github.com/huangd1999/EffiBench",
    )
)
