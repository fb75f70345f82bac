"""Mercury (Du et al., NeurIPS 2024): LeetCode tasks, Beyond = position of a sample's runtime
within the runtimes of historical solutions.

Hub-only (``Elfsong/Mercury``; the benchmark is the ``eval`` split, 256 tasks). A row holds
``slug_name``, ``difficulty``, ``prompt`` (a ``class Solution`` stub), ``entry_point`` (the
method name), ``solutions`` (``[{"runtime": "44 ms", "solution": code}]``), ``test_cases``
(a JSON string of ``[{"input": ..., "expected": ...}]``) and the Python sources
``convert_offline`` / ``evaluate_offline`` that turn stored data into call arguments (e.g.
linked lists) and judge an output. In Mercury's sandbox a test runs
``inputs, expected = convert_offline((inputs, expected))``,
``outputs = Solution().<entry_point>(*inputs)``, ``evaluate_offline(inputs, outputs, expected)``.
perfjudge keeps that contract in ``metadata`` (``call``, ``prelude``, converters) and judges
with a checker built from ``evaluate_offline``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from perfjudge.benchmarks import Benchmark, DataFile, register
from perfjudge.benchmarks.data import fetch, provenance, read_records, require_fields
from perfjudge.errors import InputFileError
from perfjudge.records.task import Comparison, Reference, Task, TestCase

NAME = "mercury"
VERSION = "hf-main"
EVAL_SPLIT = DataFile(
    "mercury/eval-00000-of-00001.parquet",
    "https://huggingface.co/datasets/Elfsong/Mercury/resolve/main/data/eval-00000-of-00001.parquet",
)
FIELDS = ("slug_name", "prompt", "entry_point", "solutions", "test_cases", "convert_offline", "evaluate_offline")

# The names Mercury's sandbox puts in scope before a solution runs.
PRELUDE = """import re, itertools, collections, heapq, bisect, string, sys, functools, math, copy
from math import floor, ceil, factorial, sqrt, inf
from sys import maxsize
from bisect import bisect_left, bisect_right
from itertools import permutations, zip_longest
from heapq import heappush, heappop, heapify
from collections import deque, defaultdict, OrderedDict
from typing import List, Optional, Tuple
from functools import lru_cache, cache


class ListNode(object):
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next


class TreeNode(object):
    def __init__(self, val=0, left=None, right=None):
        self.val = val
        self.left = left
        self.right = right
"""

_CHECK = """

def check(input, expected, output):
    inputs, expected = convert_offline((input, expected))
    return bool(evaluate_offline(inputs, output, expected))
"""


def parse_runtime_ms(text: Any) -> float | None:
    """``"44 ms"`` / ``"44ms"`` -> 44.0; anything else -> None (kept out of the distribution)."""
    match = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)\s*ms\s*$", str(text))
    return float(match.group(1)) if match else None


def load(data_dir: Path | None = None) -> list[Task]:
    path = fetch(EVAL_SPLIT, data_dir)
    prov = provenance(NAME, VERSION, EVAL_SPLIT, path)
    tasks = []
    for index, row in enumerate(read_records(path)):
        require_fields(path, row, FIELDS, f"row {index}")
        slug = row["slug_name"]
        try:
            cases = json.loads(row["test_cases"]) if isinstance(row["test_cases"], str) else row["test_cases"]
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{path}: {slug}: test_cases is not valid JSON: {exc}") from exc
        if not isinstance(cases, list) or not all(isinstance(c, dict) and {"input", "expected"} <= c.keys() for c in cases):
            raise InputFileError(f"{path}: {slug}: test_cases must be a list of {{input, expected}} objects")
        tests = tuple(TestCase(input=c["input"], expected=c["expected"], has_expected=True) for c in cases)
        solutions = row["solutions"] or []
        references = tuple(
            Reference(f"historical{number}", PRELUDE + "\n" + s["solution"]) for number, s in enumerate(solutions)
        )
        tasks.append(
            Task(
                benchmark=NAME,
                task_id=slug,
                prompt=row["prompt"],
                kind="function",
                entry_point=row["entry_point"],
                tests=tests,
                performance_tests=tests,
                references=references,
                comparison=Comparison(
                    kind="checker",
                    checker=PRELUDE + "\n" + row["convert_offline"] + "\n" + row["evaluate_offline"] + _CHECK,
                ),
                provenance=prov,
                metadata={
                    "difficulty": row.get("difficulty"),
                    "call": f"Solution().{row['entry_point']}",
                    "prelude": PRELUDE,
                    "convert_offline": row["convert_offline"],
                    "evaluate_offline": row["evaluate_offline"],
                    "runtimes_ms": [parse_runtime_ms(s.get("runtime")) for s in solutions],
                    "generator_code": row.get("generator_code"),
                    "id": row.get("id"),
                },
            )
        )
    return tasks


register(
    Benchmark(
        name=NAME,
        version=VERSION,
        description="Mercury eval split: 256 LeetCode tasks, Beyond over historical solution runtimes",
        files=(EVAL_SPLIT,),
        loader=load,
        native_metric="beyond@1",
        homepage="https://github.com/Elfsong/Mercury",
    )
)
