"""Benchmark adapters on the real published files (../shared/data) and Hub-schema fixtures."""

from __future__ import annotations

import ast
import gzip
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.benchmarks.data import sha256_file
from perfjudge.benchmarks.enamel import EXCLUDED_ROWS, load_enamel_samples
from perfjudge.benchmarks.humaneval import literal_candidate_calls
from perfjudge.records.task import Task

# The registry auto-loads adapters only while it is empty, and the imports above fill it;
# import every adapter so get_benchmark sees them all (see the report on benchmarks/__init__).
for _adapter in ("humaneval", "evalplus", "enamel", "coffe", "evalperf", "effibench", "mercury"):
    importlib.import_module(f"perfjudge.benchmarks.{_adapter}")

EXPECTED_COUNTS = {
    "humaneval": 164,
    "humaneval+": 164,
    "humaneval+mini": 164,
    "mbpp+": 378,
    "enamel": 142,
    "coffe-function": 398,
    "coffe-file": 358,
}


@pytest.fixture(autouse=True)
def offline_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFJUDGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PERFJUDGE_DATA_DIR", raising=False)


_LOADED: dict[str, list[Task]] = {}


def load(name: str, data_dir: Path) -> list[Task]:
    if name not in _LOADED:
        _LOADED[name] = get_benchmark(name).load(data_dir)
    return _LOADED[name]


def top_level_names(code: str) -> set[str]:
    """Names a module binds at top level (functions, classes, assignments)."""
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def run_python(source: str, timeout: float = 60) -> object:
    """Run trusted benchmark code in a fresh interpreter; it prints one JSON value."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", source], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_real_file_loads_full_and_well_formed(name, data_dir):
    tasks = load(name, data_dir)
    assert len(tasks) == EXPECTED_COUNTS[name]
    assert len({t.task_id for t in tasks}) == len(tasks)
    bench = get_benchmark(name)
    by_relpath = {f.relpath: f for f in bench.files}
    for task in tasks:
        assert task.benchmark == name and task.prompt and task.references
        prov = task.provenance
        assert prov is not None and prov.file in by_relpath
        assert prov.sha256 == sha256_file(data_dir / prov.file)
        if task.kind == "function":
            assert task.entry_point in top_level_names(task.canonical.code), task.task_id
        else:
            assert task.entry_point is None and task.comparison.kind == "tokens"
        assert task.tests or task.performance_generator or task.comparison.kind == "replay" or task.metadata.get("correctness_tests")
        assert task.fingerprint() == task.fingerprint()


def test_humaneval_inputs_are_literal_candidate_calls(data_dir):
    tasks = {t.task_id: t for t in load("humaneval", data_dir)}
    first = tasks["HumanEval/0"]
    assert first.tests[0].input == [[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3]
    assert first.comparison.kind == "replay" and "def check(candidate)" in first.comparison.checker
    # find_zero's test calls candidate(copy.deepcopy(coeffs)): not literal, replay only.
    assert tasks["HumanEval/32"].tests == ()
    assert literal_candidate_calls("def check(candidate):\n    assert candidate(f(1)) == 2\n") == []
    assert literal_candidate_calls("def check(c):\n    assert candidate(1, 'a')\n    candidate(*x)\n") == [[1, "a"]]


def test_evalplus_levels_tolerances_and_special_oracles(data_dir):
    he = {t.task_id: t for t in load("humaneval+", data_dir)}
    mbpp = {t.task_id: t for t in load("mbpp+", data_dir)}
    t0 = he["HumanEval/0"]
    assert [t.level for t in t0.tests][:1] == ["base"] and t0.tests[-1].level == "plus"
    assert len(t0.tests) == t0.metadata["tests_per_level"]["base"] + t0.metadata["tests_per_level"]["plus"]
    assert t0.level_scoring.order == ("base", "plus") and t0.level_scoring.hardness is None
    assert not any(t.has_expected for t in t0.tests)
    assert he["HumanEval/2"].comparison.kind == "atol" and he["HumanEval/2"].comparison.atol == 1e-6
    assert he["HumanEval/32"].comparison.kind == "checker"
    assert {t.task_id for t in mbpp.values() if t.comparison.kind == "checker"} >= {"Mbpp/2", "Mbpp/581", "Mbpp/737"}
    assert mbpp["Mbpp/2"].tests[0].input == [(3, 4, 5, 6), (5, 7, 4, 10)]  # tuples restored
    assert mbpp["Mbpp/793"].metadata["tests_per_level"]["plus"] == 0  # published as plus_input: {}


def _checker_verdicts(task: Task, cases: list[tuple[object, object, object]]) -> list[bool]:
    source = task.comparison.checker + "\nimport json\nprint(json.dumps([check(i, e, o) for i, e, o in CASES]))\n"
    return run_python(f"CASES = {cases!r}\n" + source)  # type: ignore[return-value]


def test_find_zero_checker_runs_against_canonical_output(data_dir):
    task = {t.task_id: t for t in load("humaneval+", data_dir)}["HumanEval/32"]
    args = task.tests[0].input
    root = run_python(task.canonical.code + f"\nimport json\nprint(json.dumps({task.entry_point}(*{args!r})))")
    assert _checker_verdicts(task, [(args, None, root), (args, None, root + 1.0)]) == [True, False]


def test_mbpp_special_checkers_run(data_dir):
    mbpp = {t.task_id: t for t in load("mbpp+", data_dir)}
    assert _checker_verdicts(mbpp["Mbpp/2"], [([], (4, 5), (5, 4)), ([], (4, 5), (4, 6))]) == [True, False]
    # check_str: expected comes from the wrapped canonical (a bool); None means "no match".
    assert _checker_verdicts(mbpp["Mbpp/737"], [(["a"], True, "m"), (["b"], False, None), (["b"], True, None)]) == [True, True, False]
    wrapped = run_python(mbpp["Mbpp/737"].canonical.code + "\nimport json\nprint(json.dumps([check_str('annie'), check_str('dawood')]))")
    assert wrapped == [True, False]


def test_enamel_generator_reference_and_checker_agree(data_dir):
    tasks = load("enamel", data_dir)
    assert not {t.metadata["row"] for t in tasks} & EXCLUDED_ROWS
    task = tasks[0]
    gen = task.performance_generator
    assert gen is not None and [lvl for lvl, _ in gen.calls].count("level0") == 8 and len(gen.calls) == 20
    assert gen.calls[0][1] == (998244353 ^ 0 ^ 0, 20, 0, 0) and gen.calls[8][1] == (998244353 ^ 0 ^ 8, 100, 1, 0)
    scoring = task.level_scoring
    assert dict(zip(scoring.order, scoring.hardness)) == {"level0": 0.0, "level1": 3.0,
                                                          "level2": 3.0, "level3": 4.0}
    assert scoring.alpha == 2.0
    for task in (tasks[0], tasks[30], tasks[-1]):
        level0 = [args for lvl, args in task.performance_generator.calls if lvl == "level0"]
        program = (
            task.performance_generator.source
            + f"\nINPUTS = [_enamel_input(*a) for a in {level0!r}]\n"
            + f"_GEN = dict(globals())\n"
            + f"exec({task.canonical.code!r}, _GEN)\n"
            + f"OUT = [_GEN[{task.entry_point!r}](*__import__('copy').deepcopy(i)) for i in INPUTS]\n"
            + f"_CHK = {{}}\nexec({task.comparison.checker!r}, _CHK)\n"
            + "import json\nprint(json.dumps([repr(INPUTS), [_CHK['check'](i, o, o) for i, o in zip(INPUTS, OUT)]]))\n"
        )
        first, verdicts = run_python(program)
        again, _ = run_python(program)
        assert first == again, "regenerated inputs must be reproducible"
        assert verdicts == [True] * 8, task.task_id


def test_enamel_sample_files(data_dir):
    for name in ("humaneval-canonical.json", "humanevalplus-canonical.json", "enamel-references.json"):
        samples = load_enamel_samples(data_dir / "enamel" / name)
        assert len(samples) == 164 and all(isinstance(c, str) for v in samples.values() for c in v)
        assert "def has_close_elements(" in samples["HumanEval/0"][0]


def test_enamel_samples_bad_shape_is_named(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"zero": ["x"]}))
    with pytest.raises(ValueError, match="bad.json"):
        load_enamel_samples(bad)


def test_coffe_function_references_and_stress_inputs(data_dir):
    tasks = load("coffe-function", data_dir)
    assert sum(t.performance_generator is not None for t in tasks) > 0
    assert sum(bool(t.performance_tests) for t in tasks) > 0
    task = next(t for t in tasks if t.performance_generator is not None)
    assert task.task_id.startswith(("openai_humaneval/", "mbpp/")) and task.metadata["prompt_key"] == task.prompt
    assert all(c.has_expected for c in task.tests)
    gen = task.performance_generator
    program = (
        gen.source
        + f"\nINPUTS = [{gen.entry}(*a) for _, a in {gen.calls!r}]\n"
        + f"_NS = {{}}\nexec({task.canonical.code!r}, _NS)\n"
        + f"_CHK = {{}}\nexec({task.comparison.checker!r}, _CHK)\n"
        + f"TESTS = {[(c.input, c.expected) for c in task.tests]!r}\n"
        + f"OK = [_CHK['check'](i, e, _NS[{task.entry_point!r}](*i)) for i, e in TESTS]\n"
        + f"[_NS[{task.entry_point!r}](*i) for i in INPUTS]\n"
        + "import json\nprint(json.dumps([len(INPUTS), OK]))\n"
    )
    count, ok = run_python(program)
    assert count == len(gen.calls) and all(ok)


def test_coffe_file_generators_and_prompt_matching(data_dir):
    tasks = load("coffe-file", data_dir)
    gen = tasks[0].performance_generator
    text = run_python(gen.source + f"\nimport json, random\nrandom.seed(0)\nprint(json.dumps({gen.entry}(0)))")
    assert isinstance(text, str) and text.strip()
    from perfjudge.samples import import_coffe_examples

    samples = import_coffe_examples(data_dir / "coffe/examples/apps-GPT-4o.json", tasks)
    assert not [p for p in samples.problems if p.kind in ("unknown_task", "malformed")]
    assert len({s.task_id for s in samples}) == 300  # every example prompt is one task's


# --- Hub-only benchmarks: fixtures written in the published schema ----------------------


def _write_parquet(path: Path, rows: list[dict]) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


@pytest.fixture
def hub_dir(tmp_path, data_dir):
    root = tmp_path / "data"
    (root / "evalplus").mkdir(parents=True)
    for name in ("HumanEvalPlus-v0.1.10.jsonl.gz", "MbppPlus-v0.2.0.jsonl.gz"):
        os.symlink(data_dir / "evalplus" / name, root / "evalplus" / name)
    return root


def test_evalperf_fixture(hub_dir):
    slow = "def has_close_elements(numbers, threshold):\n    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n"
    fast = "def has_close_elements(numbers, threshold):\n    s = sorted(numbers)\n    return any(b - a < threshold for a, b in zip(s, s[1:]))\n"
    _write_parquet(hub_dir / "evalperf/test-00000-of-00002.parquet", [
        {"task_id": "HumanEval/0", "entry_point": "has_close_elements", "reference": [slow, fast],
         "scores": [40.0, 100.0], "pe_input": json.dumps([[[float(i) for i in range(50)], 0.5]])},
    ])
    _write_parquet(hub_dir / "evalperf/test-00001-of-00002.parquet", [
        {"task_id": "Mbpp/2", "entry_point": "similar_elements",
         "reference": ["def similar_elements(a, b):\n    return tuple(set(a) & set(b))\n"],
         "scores": [100.0], "pe_input": json.dumps([[list(range(100)), list(range(50, 150))]])},
    ])
    tasks = {t.task_id: t for t in get_benchmark("evalperf").load(hub_dir)}
    assert set(tasks) == {"HumanEval/0", "Mbpp/2"}
    he = tasks["HumanEval/0"]
    assert [r.level for r in he.references] == [None, 0, 1] and he.metadata["scores"] == [40.0, 100.0]
    assert len(he.tests) > 100 and he.performance_tests[0].input[1] == 0.5
    assert tasks["Mbpp/2"].performance_tests[0].input[0] == tuple(range(100))


def test_evalperf_bad_pe_input_names_file_and_task(hub_dir):
    for shard in range(2):
        _write_parquet(hub_dir / f"evalperf/test-0000{shard}-of-00002.parquet", [
            {"task_id": "HumanEval/0", "entry_point": "has_close_elements", "reference": ["x"],
             "scores": [1.0], "pe_input": "not json"},
        ][:1 - shard or 1])
    with pytest.raises(ValueError, match=r"test-00000-of-00002.parquet: HumanEval/0: pe_input"):
        get_benchmark("evalperf").load(hub_dir)


def test_mercury_fixture(tmp_path):
    solution = "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n"
    _write_parquet(tmp_path / "mercury/eval-00000-of-00001.parquet", [{
        "id": 1, "slug_name": "two-sum", "meta_info": "{}", "difficulty": "Easy",
        "pretty_content": ["Given an array..."], "prompt": "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        ",
        "entry_point": "twoSum",
        "solutions": [{"runtime": "52 ms", "solution": solution}, {"runtime": "60ms", "solution": solution}],
        "test_cases": json.dumps([{"input": [[2, 7, 11, 15], 9], "expected": [0, 1]}, {"input": [[3, 3], 6], "expected": [0, 1]}]),
        "generator_code": "def generate_test_case():\n    return [[1, 2], 3]\n",
        "convert_offline": "def convert_offline(case):\n    return case\n",
        "evaluate_offline": "def evaluate_offline(inputs, outputs, expected):\n    return outputs == expected\n",
    }])
    (task,) = get_benchmark("mercury").load(tmp_path)
    assert task.task_id == "two-sum" and task.metadata["runtimes_ms"] == [52.0, 60.0]
    assert task.tests[0].has_expected and task.tests[0].expected == [0, 1]
    program = (
        task.canonical.code + f"\n_CHK = {{}}\nexec({task.comparison.checker!r}, _CHK)\n"
        + f"import json\nprint(json.dumps([_CHK['check'](c[0], c[1], Solution().twoSum(*c[0])) for c in {[(t.input, t.expected) for t in task.tests]!r}]))"
    )
    assert run_python(program) == [True, True]


def test_effibench_fixture(tmp_path):
    canonical = "class Solution:\n    def addTwo(self, a: int, b: int) -> int:\n        return a + b\n"
    _write_parquet(tmp_path / "effibench/train-00000-of-00001.parquet", [{
        "problem_idx": 1, "task_name": "add-two", "markdown_description": "Add two integers.",
        "canonical_solution": canonical, "small_test_cases": "assert solution.addTwo(1, 2) == 3\n",
        "test_case": "for a in range(100):\n    assert solution.addTwo(a, 1) == a + 1\n",
    }])
    (task,) = get_benchmark("effibench").load(tmp_path)
    assert task.task_id == "1" and task.comparison.kind == "replay"
    run_python(task.canonical.code + "\n" + task.metadata["replay_prefix"] + task.comparison.checker + "\nprint('1')")
    _write_parquet(tmp_path / "effibench/train-00000-of-00001.parquet", [{"problem_idx": 2}])
    with pytest.raises(ValueError, match=r"train-00000-of-00001.parquet: row 0: missing field"):
        get_benchmark("effibench").load(tmp_path)


def test_malformed_jsonl_names_file_and_line(tmp_path):
    target = tmp_path / "humaneval" / "HumanEval.jsonl.gz"
    target.parent.mkdir()
    with gzip.open(target, "wt") as handle:
        handle.write('{"task_id": "x"}\nnot json\n')
    from dataclasses import replace

    from perfjudge.benchmarks.data import fetch, read_jsonl
    from perfjudge.benchmarks.humaneval import FILE

    path = fetch(replace(FILE, sha256=None), tmp_path)
    with pytest.raises(ValueError, match=r"HumanEval.jsonl.gz:2: not valid JSON"):
        list(read_jsonl(path))
