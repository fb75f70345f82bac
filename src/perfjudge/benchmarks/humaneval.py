"""HumanEval (Chen et al. 2021): 164 function tasks judged by an assertion-style test.

The published test is ``check(candidate)`` full of ``assert candidate(...) == ...``. Running it
inside the sample's process would let a sample fake a pass, so the engine replays it in its own
process against outputs the sample computed (`Comparison` ``replay``). The engine learns the
inputs by recording every ``candidate(...)`` call the test makes with the canonical solution;
the literal argument lists read here by AST are only what `perfjudge show` prints. The test
runs after the canonical solution, as in HumanEval's own harness (prompt + solution + test), so
helpers the prompt defines (``poly``) and direct calls of the entry point are in scope -- bound
to the canonical solution, never to the sample.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from perfjudge.benchmarks import Benchmark, DataFile, register
from perfjudge.benchmarks.data import fetch, provenance, read_jsonl, require_fields
from perfjudge.errors import InputFileError
from perfjudge.records.task import Comparison, Reference, Task, TestCase

NAME = "humaneval"
VERSION = "1.0"
FILE = DataFile(
    relpath="humaneval/HumanEval.jsonl.gz",
    url="https://raw.githubusercontent.com/openai/human-eval/master/data/HumanEval.jsonl.gz",
    sha256="b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
)
FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "test")


def literal_candidate_calls(test_source: str, callee: str = "candidate") -> list[list[Any]]:
    """Argument lists of every ``callee(...)`` call whose arguments are all literals, in source
    order (duplicates kept: each assert is one test)."""
    found: list[tuple[int, int, list[Any]]] = []
    for node in ast.walk(ast.parse(test_source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id != callee or node.keywords:
            continue
        try:
            args = [ast.literal_eval(arg) for arg in node.args]
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        found.append((node.lineno, node.col_offset, args))
    found.sort(key=lambda item: (item[0], item[1]))
    return [args for _, _, args in found]


def load(data_dir: Path | None = None) -> list[Task]:
    path = fetch(FILE, data_dir)
    prov = provenance(NAME, VERSION, FILE, path)
    tasks = []
    for index, row in enumerate(read_jsonl(path)):
        require_fields(path, row, FIELDS, f"row {index}")
        try:
            inputs = literal_candidate_calls(row["test"])
        except SyntaxError as exc:
            raise InputFileError(f"{path}: {row['task_id']}: test does not parse: {exc}") from exc
        tasks.append(
            Task(
                benchmark=NAME,
                task_id=row["task_id"],
                prompt=row["prompt"],
                kind="function",
                entry_point=row["entry_point"],
                tests=tuple(TestCase(input=args) for args in inputs),
                references=(Reference("canonical", row["prompt"] + row["canonical_solution"]),),
                comparison=Comparison(kind="replay", checker=row["test"]),
                provenance=prov,
            )
        )
    return tasks


BENCHMARK = register(
    Benchmark(
        name=NAME,
        version=VERSION,
        description="HumanEval: 164 Python functions, assertion tests (correctness only)",
        files=(FILE,),
        loader=load,
        native_metric="pass@1",
        homepage="https://github.com/openai/human-eval",
    )
)
