"""ENAMEL (Qiu et al., ICLR 2025): eff@k against expert references on generated inputs.

ENAMEL publishes no test inputs, only generators. Its evaluator (``enam/evaluate.py``,
``Evaluator.make_tests``) runs, for problem row ``i``, level ``j`` (size from ``input_levels``)
and case ``k``, ``random.seed(seed ^ i ^ (offset_j + k))`` then
``generate_input(size=size, lid=j, cid=k)`` in a fresh scope holding ``time``, ``random``,
``string`` and the helpers of ``enam/datautils.py``; ``offset_j`` counts the cases of earlier
levels. Every case is re-seeded, so the generator source here wraps ``generate_input`` in
``_enamel_input(seed, size, lid, cid)`` and each `InputGenerator` call carries its own seed
(``InputGenerator.seed`` is unused by these calls). Level 0 (hardness 0) only checks
correctness; all levels must be correct. Rows excluded from the published problem set
(``enam/__init__.py: PROBLEMSET``) are skipped.
"""

from __future__ import annotations

import csv
from pathlib import Path

from perfjudge.benchmarks import Benchmark, DataFile, register
from perfjudge.benchmarks.data import fetch, provenance, read_json, require_fields
from perfjudge.errors import InputFileError
from perfjudge.records.task import (
    Comparison,
    InputGenerator,
    LevelCensoring,
    LevelScoring,
    Reference,
    Task,
)

NAME = "enamel"
VERSION = "2024.06"
_RAW = "https://raw.githubusercontent.com/q-rz/enamel/main"
DATASET = DataFile(
    "enamel/enamel.csv", f"{_RAW}/dataset/enamel.csv",
    "1b77dba08bd3dedec199abce593c86a4f611c288475c318e1775bd56d1419b14",
)
REFERENCES = DataFile(
    "enamel/enamel-references.json", f"{_RAW}/samples/enamel-references.json",
    "039af367c681d4437aec4249e216931bab9041f0f5fff80b9ec7ca48fb0c19a2",
)
HUMANEVAL_CANONICAL = DataFile(
    "enamel/humaneval-canonical.json", f"{_RAW}/samples/humaneval-canonical.json",
    "e7d6b0af682d681c2f7869e1f7a56ccf03f9cdb1e1794f2748b0a7753f179681",
)
HUMANEVALPLUS_CANONICAL = DataFile(
    "enamel/humanevalplus-canonical.json", f"{_RAW}/samples/humanevalplus-canonical.json",
    "7f1e1387d9f428bedc7def6b106d404f9d8a7f5bf51dc99dc7b0a08bb4837834",
)
FIELDS = ("task_id", "prompt", "input_generator", "input_levels", "reference_solution", "checker", "entry_point")

SEED = 998244353
TESTS_PER_LEVEL = (8, 4, 4, 4)
HARDNESS = (0.0, 3.0, 3.0, 4.0)
TIMEOUT_FACTOR = 2.0
TOLERANCE_SECONDS = 0.01  # demo.py --tolerence_sec
LEVEL_NAMES = tuple(f"level{j}" for j in range(len(TESTS_PER_LEVEL)))
CENSORING = LevelCensoring(levels=LEVEL_NAMES, hardness=HARDNESS, alpha=TIMEOUT_FACTOR,
                           tolerance_seconds=TOLERANCE_SECONDS)
EXCLUDED_ROWS = frozenset(
    {2, 23, 41, 45, 53, 60, 71, 92, 97, 99, 102, 123, 124, 135, 137, 138, 144, 148, 156, 157, 159, 160}
)

# The helpers ENAMEL's generators may call (enam/datautils.py). They must draw from `random`
# in exactly the same order as the originals, or the regenerated inputs differ.
GENERATOR_HELPERS = '''
import random
import string
import time


def rand_parens(size, valid=True, par="()", sep=""):
    if not valid:
        assert sep == ""
        half = (size + 1) // 2 - 1
        left = rand_parens(size=half, valid=True, par=par)
        return left + par[1] + par[0] + rand_parens(size=half, valid=True, par=par)
    size += size % 2
    groups = []
    depth = 0
    for i in range(size):
        if depth == 0 or (depth < size - i and random.randint(0, 1)):
            if depth == 0:
                groups.append([])
            groups[-1].append(par[0])
            depth += 1
        else:
            groups[-1].append(par[1])
            depth -= 1
    groups = ["".join(group) for group in groups]
    return groups if sep is None else sep.join(groups)


def miller_rabin(n, k=5):
    if n == 2 or n == 3:
        return True
    if n == 1 or n % 2 == 0:
        return False
    r, d = 0, n - 1
    while d % 2 == 0:
        r += 1
        d //= 2
    for _ in range(k):
        x = pow(random.randint(2, n - 2), d, n)
        if x == 1 or x == n - 1:
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def rand_probably_prime(lb, ub=None):
    if ub is None:
        lb = max(lb, 3)
        lb, ub = lb // 2, lb
    else:
        lb = max(lb, 0)
        ub = max(lb * 2, ub, 3)
    p = random.randint(lb, ub)
    while not miller_rabin(p):
        p = random.randint(lb, ub)
    return p


def rand_primality(size, lid, cid):
    size = max(size, 4)
    fixed = {0: 2 * 3 * 5 * 7 * 11 * 13 + 1, 1: 561, 2: 2, 3: 125}
    if lid == 0 and cid in fixed:
        return fixed[cid]
    if cid % 3 == 0:
        return rand_probably_prime(size)
    m = int(size ** 0.5 + 1)
    if cid % 3 == 1:
        return rand_probably_prime(m) ** 2
    return rand_probably_prime(m) * rand_probably_prime(m)
'''

_WRAPPER = '''

def _enamel_input(seed, size, lid, cid):
    random.seed(seed)
    return list(generate_input(size=size, lid=lid, cid=cid))
'''


def generator_calls(row_index: int, sizes: list[int]) -> tuple[tuple[str, tuple[int, int, int, int]], ...]:
    """The exact (level, (seed, size, lid, cid)) sequence of ENAMEL's ``make_tests``."""
    calls = []
    offset = 0
    for lid, (size, count) in enumerate(zip(sizes, TESTS_PER_LEVEL)):
        for cid in range(count):
            calls.append((LEVEL_NAMES[lid], (SEED ^ row_index ^ (offset + cid), size, lid, cid)))
        offset += count
    return tuple(calls)


def adapt_checker(prompt: str, checker: str) -> str:
    """ENAMEL runs ``prompt + '\\n    pass\\n' + checker`` then ``__check(input, answer,
    output)``; expose it as perfjudge's ``check(input, expected, output)``."""
    return (
        "import math\nimport random\nimport string\nimport time\n"
        f"{prompt}\n    pass\n{checker}\n\n"
        "def check(input, expected, output):\n    return __check(input, expected, output)\n"
    )


def load(data_dir: Path | None = None) -> list[Task]:
    path = fetch(DATASET, data_dir)
    prov = provenance(NAME, VERSION, DATASET, path)
    csv.field_size_limit(1 << 30)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    tasks = []
    for index, row in enumerate(rows):
        require_fields(path, row, FIELDS, f"row {index}")
        if index in EXCLUDED_ROWS:
            continue
        try:
            sizes = [int(size) for size in row["input_levels"].split()]
        except ValueError as exc:
            raise InputFileError(f"{path}: {row['task_id']}: input_levels {row['input_levels']!r}: {exc}") from exc
        if len(sizes) != len(TESTS_PER_LEVEL):
            raise InputFileError(
                f"{path}: {row['task_id']}: input_levels has {len(sizes)} levels, expected {len(TESTS_PER_LEVEL)}"
            )
        source = GENERATOR_HELPERS + "\n" + row["prompt"] + "\n\n" + row["input_generator"] + _WRAPPER
        tasks.append(
            Task(
                benchmark=NAME,
                task_id=row["task_id"],
                prompt=row["prompt"],
                kind="function",
                entry_point=row["entry_point"],
                tests=(),
                performance_generator=InputGenerator(
                    source=source, entry="_enamel_input", seed=SEED, calls=generator_calls(index, sizes)
                ),
                references=(Reference("enamel-expert", row["prompt"] + "\n" + row["reference_solution"], level=1),),
                comparison=Comparison(kind="checker", checker=adapt_checker(row["prompt"], row["checker"])),
                provenance=prov,
                timeout_factor=TIMEOUT_FACTOR,
                censoring=CENSORING,
                level_scoring=LevelScoring(LEVEL_NAMES, HARDNESS, TIMEOUT_FACTOR),
                metadata={
                    "row": index,
                    "level_sizes": dict(zip(LEVEL_NAMES, sizes)),
                    "tests_per_level": dict(zip(LEVEL_NAMES, TESTS_PER_LEVEL)),
                    "correctness_levels": list(LEVEL_NAMES),
                    "generator_returns": "argument list",
                },
            )
        )
    return tasks


def load_enamel_samples(path: Path) -> dict[str, list[str]]:
    """Read a solution file in ENAMEL's sample format (a JSON list indexed by problem row, or
    a dict keyed by row number, each a list of complete programs) keyed by task id."""
    data = read_json(Path(path))
    if isinstance(data, dict):
        try:
            items = [(int(key), value) for key, value in data.items()]
        except ValueError as exc:
            raise InputFileError(f"{path}: keys must be problem row numbers: {exc}") from exc
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        raise InputFileError(f"{path}: expected a JSON list or object, got {type(data).__name__}")
    samples: dict[str, list[str]] = {}
    for row, codes in items:
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise InputFileError(f"{path}: problem {row}: expected a list of code strings")
        samples[f"HumanEval/{row}"] = codes
    return samples


BENCHMARK = register(
    Benchmark(
        name=NAME,
        version=VERSION,
        description="ENAMEL: 142 HumanEval problems, generated inputs in 4 levels, expert references",
        files=(DATASET, REFERENCES, HUMANEVAL_CANONICAL, HUMANEVALPLUS_CANONICAL),
        loader=load,
        native_metric="eff@1",
        homepage="https://github.com/q-rz/enamel",
    )
)
