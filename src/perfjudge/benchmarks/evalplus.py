"""HumanEval+ and MBPP+ (EvalPlus, Liu et al. 2023): differential testing against the
canonical solution on base + plus inputs.

Expected outputs are not published; as in EvalPlus they come from running the canonical
solution (``has_expected=False``). EvalPlus's evaluator special-cases some tasks
(``evalplus/eval/__init__.py`` and ``_special_oracle.py``); those become task-supplied checkers
here (`SPECIAL_CHECKS`), together with EvalPlus's rule that a float (or flat list of floats)
expected output is compared with ``atol=1e-6`` when the task's atol is 0. MBPP+ stores tuples,
sets and complex numbers as JSON lists/strings; `mbpp_deserialize_inputs` restores them the
way EvalPlus does before the inputs reach a solution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from perfjudge.benchmarks import Benchmark, DataFile, register
from perfjudge.benchmarks.data import fetch, provenance, read_jsonl, require_fields
from perfjudge.errors import InputFileError
from perfjudge.records.task import Comparison, LevelScoring, Reference, Task, TestCase

HUMANEVAL_PLUS = DataFile(
    relpath="evalplus/HumanEvalPlus-v0.1.10.jsonl.gz",
    url="https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus-v0.1.10.jsonl.gz",
    sha256="272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101",
)
HUMANEVAL_PLUS_MINI = DataFile(
    relpath="evalplus/HumanEvalPlus-Mini-v0.1.10.jsonl.gz",
    url="https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus-Mini-v0.1.10.jsonl.gz",
    sha256="91486741f1627101021fbe50523df08eebb5b0bf5e804b633dcd5ca3c14dbd2f",
)
MBPP_PLUS = DataFile(
    relpath="evalplus/MbppPlus-v0.2.0.jsonl.gz",
    url="https://github.com/evalplus/mbppplus_release/releases/download/v0.2.0/MbppPlus-v0.2.0.jsonl.gz",
    sha256="af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63",
)
FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "base_input", "plus_input", "atol")

# The tail every EvalPlus checker ends with: exact match, else allclose(rtol=1e-7, atol), where
# atol defaults to 1e-6 when the expected output is a float or a flat list of floats.
_CHECK_PRELUDE = '''
import math


def _is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def _close(a, b, atol, rtol=1e-07):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, atol, rtol) for x, y in zip(a, b))
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return False
    if a == b:
        return True
    return abs(a - b) <= atol + rtol * abs(b)


def _finish(exact, output, expected, atol):
    if atol == 0 and _is_floats(expected):
        atol = 1e-6
    if not exact and atol != 0:
        if type(output) != type(expected):
            return False
        if isinstance(expected, (list, tuple)) and len(output) != len(expected):
            return False
        return _close(output, expected, atol)
    return bool(exact)
'''

_POLY = '''
def _poly(xs, x):
    return sum(coeff * math.pow(x, i) for i, coeff in enumerate(xs))
'''

_SURFACE_AREA = '''
def _surface_area(base_edge, height):
    slant_height = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant_height) / 2)
'''

_DIGIT_DISTANCE = '''
def _digit_distance(num1, num2):
    a, b = str(num1), str(num2)
    width = max(len(a), len(b))
    return sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(width), b.zfill(width)))
'''


def _checker(body: str, *helpers: str, atol: float) -> str:
    return (
        _CHECK_PRELUDE
        + "".join(helpers)
        + f"\n\nATOL = {atol!r}\n\n\ndef check(input, expected, output):\n"
        + "    exact = output == expected\n"
        + body
        + "    return _finish(exact, output, expected, ATOL)\n"
    )


MBPP_SET_EQ = (
    "similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
    "larg_nnum", "intersection_array", "find_dissimilar", "Diff",
)
MBPP_NOT_NONE = ("check_str", "text_match_three", "text_starta_endb")

# (dataset, entry point) -> checker source factory (atol -> source). Mirrors EvalPlus
# `unsafe_execute`'s "special oracles" block; documented in the adapter's report.
SPECIAL_CHECKS: dict[tuple[str, str], Callable[[float], str]] = {
    ("humaneval", "find_zero"): lambda atol: (
        _CHECK_PRELUDE + _POLY + f"\n\nATOL = {atol!r}\n\n\ndef check(input, expected, output):\n"
        "    try:\n        return abs(_poly(*input, output)) <= ATOL\n"
        "    except Exception:\n        return False\n"
    ),
    ("mbpp", "are_equivalent"): lambda atol: _checker("    exact = True\n", atol=atol),
    ("mbpp", "sum_div"): lambda atol: _checker("    exact = exact or output == 0\n", atol=atol),
    ("mbpp", "surface_Area"): lambda atol: _checker(
        "    exact = exact or abs(output - _surface_area(*input)) <= ATOL\n", _SURFACE_AREA, atol=atol
    ),
    ("mbpp", "digit_distance_nums"): lambda atol: _checker(
        "    exact = exact or output == _digit_distance(*input)\n", _DIGIT_DISTANCE, atol=atol
    ),
    **{
        ("mbpp", name): (lambda atol: _checker("    exact = set(output) == set(expected)\n", atol=atol))
        for name in MBPP_SET_EQ
    },
    **{
        ("mbpp", name): (
            lambda atol: _checker(
                "    if isinstance(output, bool):\n        exact = output == expected\n"
                "    else:\n        exact = expected == (output is not None)\n",
                atol=atol,
            )
        )
        for name in MBPP_NOT_NONE
    },
}

# EvalPlus computes expected outputs of these as ``output is not None`` (a match object is not
# data); the canonical reference is wrapped so the engine derives the same booleans.
_NOT_NONE_WRAPPER = '''

_perfjudge_canonical_{name} = {name}


def {name}(*args):
    return _perfjudge_canonical_{name}(*args) is not None
'''


def _tuples(value: Any) -> Any:
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


def mbpp_deserialize_inputs(task_id: str, inputs: list[Any]) -> list[Any]:
    """Restore the argument types JSON cannot hold, task by task, as EvalPlus's
    ``evalplus/data/mbpp.py:mbpp_deserialize_inputs`` does (quirks included: task 115 turns
    an empty member into ``{}``)."""
    number = int(task_id.split("/")[-1])
    if number in {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596,
                  616, 630, 726, 740, 744, 809}:
        return [[tuple(arg) for arg in inp] for inp in inputs]
    if number in {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}:
        return [[[tuple(item) for item in arg] for arg in inp] for inp in inputs]
    if number in {75, 413, 444, 753}:
        return [[[tuple(item) for item in inp[0]], inp[1]] for inp in inputs]
    if number in {106, 750}:
        return [[inp[0], tuple(inp[1])] for inp in inputs]
    if number == 115:
        return [[[set(item) if isinstance(item, list) and item else {} for item in inp[0]]]
                for inp in inputs]
    if number == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if number in {250, 405, 446, 617, 720, 763, 808}:
        return [[tuple(inp[0]), inp[1]] for inp in inputs]
    if number in {259, 401, 445}:
        return [[tuple(tuple(item) for item in arg) for arg in inp] for inp in inputs]
    if number == 278:
        return [[tuple(tuple(item) if isinstance(item, list) else item for item in inp[0])]
                for inp in inputs]
    if number == 307:
        return [[tuple(inp[0]), inp[1], inp[2]] for inp in inputs]
    if number == 722:
        return [[{key: tuple(value) for key, value in inp[0].items()}, *inp[1:]] for inp in inputs]
    if number == 252:
        return [[complex(inp[0])] for inp in inputs]
    if number in {580, 615, 791}:
        return [_tuples(inp) for inp in inputs]
    return inputs


def _comparison(dataset: str, entry_point: str, atol: float) -> Comparison:
    special = SPECIAL_CHECKS.get((dataset, entry_point))
    if special is not None:
        return Comparison(kind="checker", atol=atol, checker=special(atol))
    if atol:
        return Comparison(kind="atol", atol=atol)
    return Comparison(kind="exact")


def _load(name: str, dataset: str, file: DataFile, data_dir: Path | None) -> list[Task]:
    path = fetch(file, data_dir)
    prov = provenance(name, file.relpath.rsplit("-", 1)[-1].removesuffix(".jsonl.gz"), file, path)
    tasks = []
    for index, row in enumerate(read_jsonl(path)):
        require_fields(path, row, FIELDS, f"row {index}")
        task_id, entry = row["task_id"], row["entry_point"]
        # Mbpp/793 publishes ``plus_input: {}``; EvalPlus reads it with list() as no inputs.
        base, plus = (row[k] if row[k] != {} else [] for k in ("base_input", "plus_input"))
        if dataset == "mbpp":
            base, plus = mbpp_deserialize_inputs(task_id, base), mbpp_deserialize_inputs(task_id, plus)
        for label, inputs in (("base_input", base), ("plus_input", plus)):
            if not isinstance(inputs, list) or not all(isinstance(i, (list, tuple)) for i in inputs):
                raise InputFileError(f"{path}: {task_id}: {label} must be a list of argument lists")
        atol = float(row["atol"] or 0)
        code = row["prompt"] + row["canonical_solution"] if dataset == "humaneval" else row["canonical_solution"]
        if dataset == "mbpp" and entry in MBPP_NOT_NONE:
            code += _NOT_NONE_WRAPPER.format(name=entry)
        tests = tuple(TestCase(input=list(args), level="base") for args in base) + tuple(
            TestCase(input=list(args), level="plus") for args in plus
        )
        tasks.append(
            Task(
                benchmark=name,
                task_id=task_id,
                prompt=row["prompt"],
                kind="function",
                entry_point=entry,
                tests=tests,
                references=(Reference("canonical", code),),
                comparison=_comparison(dataset, entry, atol),
                provenance=prov,
                level_scoring=LevelScoring(("base", "plus")),
                metadata={
                    "tests_per_level": {"base": len(base), "plus": len(plus)},
                    "contract": row.get("contract", ""),
                    "special_oracle": (dataset, entry) in SPECIAL_CHECKS,
                },
            )
        )
    return tasks


def load_humaneval_plus(data_dir: Path | None = None) -> list[Task]:
    return _load("humaneval+", "humaneval", HUMANEVAL_PLUS, data_dir)


def load_humaneval_plus_mini(data_dir: Path | None = None) -> list[Task]:
    return _load("humaneval+mini", "humaneval", HUMANEVAL_PLUS_MINI, data_dir)


def load_mbpp_plus(data_dir: Path | None = None) -> list[Task]:
    return _load("mbpp+", "mbpp", MBPP_PLUS, data_dir)


for _name, _desc, _file, _loader in (
    ("humaneval+", "HumanEval+ v0.1.10: 164 tasks, base + plus inputs", HUMANEVAL_PLUS, load_humaneval_plus),
    ("humaneval+mini", "HumanEval+ Mini v0.1.10: reduced plus inputs", HUMANEVAL_PLUS_MINI, load_humaneval_plus_mini),
    ("mbpp+", "MBPP+ v0.2.0: 378 tasks, base + plus inputs", MBPP_PLUS, load_mbpp_plus),
):
    register(
        Benchmark(
            name=_name,
            version=_file.relpath.rsplit("-", 1)[-1].removesuffix(".jsonl.gz"),
            description=_desc,
            files=(_file,),
            loader=_loader,
            native_metric="pass@1",
            homepage="https://github.com/evalplus/evalplus",
        )
    )
