"""Sample loading against real files: HumanEval+ task ids, COFFE's real model outputs, and
JSONL/directory inputs written here with the defects people actually hit."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from perfjudge.generate.extract import code_from_output, fenced_blocks
from perfjudge.records.task import Task
from perfjudge.samples import SamplesError, import_coffe_examples, load_samples


@pytest.fixture(scope="module")
def humaneval_plus(data_dir: Path) -> dict[str, dict]:
    path = data_dir / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return {row["task_id"]: row for row in rows}


@pytest.fixture(scope="module")
def he_tasks(humaneval_plus: dict[str, dict]) -> dict[str, Task]:
    return {
        tid: Task(benchmark="humaneval+", task_id=tid, prompt=row["prompt"], kind="function",
                  entry_point=row["entry_point"], tests=())
        for tid, row in humaneval_plus.items()
    }


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_jsonl_every_line_is_a_sample_or_an_issue(tmp_path, he_tasks, humaneval_plus):
    canonical0 = humaneval_plus["HumanEval/0"]["canonical_solution"]
    full0 = humaneval_plus["HumanEval/0"]["prompt"] + canonical0
    lines = [
        json.dumps({"task_id": "HumanEval/0", "solution": full0}),             # 1 sample
        json.dumps({"task_id": "HumanEval/0", "completion": "    return False\n"}),  # 2 sample
        '{"task_id": "HumanEval/1", "solution": "x = 1"',                        # 3 malformed
        json.dumps({"solution": "def f(): pass"}),                              # 4 no task_id
        json.dumps({"task_id": "HumanEval/2"}),                                 # 5 no code
        json.dumps({"task_id": "HumanEvl/3", "solution": "pass"}),              # 6 unknown
        json.dumps({"task_id": "HumanEval/0", "solution": full0}),              # 7 duplicate
        "",                                                                     # 8 blank
        json.dumps(["HumanEval/4", "code"]),                                    # 9 not object
        json.dumps({"task_id": "HumanEval/0", "solution": "def x(): 1"}),       # 10 sample
        json.dumps({"task_id": 5, "solution": "pass"}),                         # 11 bad id type
    ]
    path = write_lines(tmp_path / "samples.jsonl", lines)
    loaded = load_samples(path, he_tasks)

    assert [s.sample_id for s in loaded] == ["HumanEval/0#0", "HumanEval/0#1", "HumanEval/0#2"]
    assert loaded.samples[0].code == full0
    assert loaded.samples[1].code == humaneval_plus["HumanEval/0"]["prompt"] + "    return False\n"
    assert loaded.samples[0].source == f"{path}:1"

    issues = {i.line: i for i in loaded.problems if i.kind != "no_samples"}
    assert issues[3].kind == "malformed" and "malformed JSON" in issues[3].message
    assert "column 47" in issues[3].message  # the JSON error position is kept
    assert issues[4].kind == "missing_task_id"
    assert issues[5].kind == "missing_code" and issues[5].task_id == "HumanEval/2"
    assert issues[6].kind == "unknown_task" and "'HumanEval/3'" in issues[6].message
    assert issues[7].kind == "duplicate" and "HumanEval/0#0" in issues[7].message
    assert issues[9].kind == "malformed" and "list" in issues[9].message
    assert issues[11].kind == "missing_task_id" and "int" in issues[11].message

    sample_lines = {int(s.source.rsplit(":", 1)[1]) for s in loaded}
    nonblank = {n for n, line in enumerate(lines, start=1) if line.strip()}
    assert sample_lines | set(issues) == nonblank and not sample_lines & set(issues)

    missing = {i.task_id for i in loaded.problems if i.kind == "no_samples"}
    assert missing == set(he_tasks) - {"HumanEval/0"}


def test_keep_duplicates_keeps_independent_draws(tmp_path, he_tasks):
    line = json.dumps({"task_id": "HumanEval/0", "completion": "    return True\n"})
    path = write_lines(tmp_path / "dups.jsonl", [line, line])
    kept = load_samples(path, {"HumanEval/0": he_tasks["HumanEval/0"]}, keep_duplicates=True)
    assert [s.sample_id for s in kept] == ["HumanEval/0#0", "HumanEval/0#1"]
    assert kept.problems == []


def test_gzip_and_plain_jsonl_load_identically(tmp_path, he_tasks):
    lines = [json.dumps({"task_id": f"HumanEval/{i}", "completion": "    pass\n"})
             for i in range(5)]
    plain = write_lines(tmp_path / "s.jsonl", lines)
    packed = tmp_path / "s.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = load_samples(plain, he_tasks), load_samples(packed, he_tasks)
    assert [(s.sample_id, s.code) for s in a] == [(s.sample_id, s.code) for s in b]
    assert len(a) == 5


def test_invalid_utf8_line_is_reported_not_fatal(tmp_path, he_tasks):
    path = tmp_path / "bytes.jsonl"
    good = json.dumps({"task_id": "HumanEval/0", "completion": "    pass\n"}).encode()
    path.write_bytes(b'{"task_id": "HumanEval/1", "solution": "\xff"}\n' + good + b"\n")
    loaded = load_samples(path, he_tasks)
    assert len(loaded) == 1
    assert [(i.line, i.kind) for i in loaded.problems if i.kind != "no_samples"] == [
        (1, "malformed")]


def test_strict_raises_with_every_issue(tmp_path, he_tasks):
    path = write_lines(tmp_path / "bad.jsonl", ["{oops", json.dumps({"task_id": "nope"})])
    subset = {k: he_tasks[k] for k in ("HumanEval/0", "HumanEval/1")}
    with pytest.raises(SamplesError) as err:
        load_samples(path, subset, strict=True)
    kinds = Counter(i.kind for i in err.value.issues)
    assert kinds == {"malformed": 1, "missing_code": 1, "no_samples": 2}
    assert f"{path}:1" in str(err.value) and f"{path}:2" in str(err.value)


def test_generation_metadata_and_model(tmp_path, he_tasks):
    record = {"task_id": "HumanEval/0", "completion": "    pass\n", "model": "m-7b",
              "completion_tokens": 12, "cost_usd": 0.001, "latency_s": 0.5, "other": 1}
    path = write_lines(tmp_path / "meta.jsonl", [json.dumps(record)])
    (sample,) = load_samples(path, he_tasks, model="fallback").samples
    assert sample.model == "m-7b"
    assert sample.generation == {"completion_tokens": 12, "cost_usd": 0.001, "latency_s": 0.5}


def test_prompt_plus_completion_runs_the_real_tests(tmp_path, he_tasks, humaneval_plus):
    """The composed program is a real, runnable solution: HumanEval's own check passes."""
    row = humaneval_plus["HumanEval/2"]
    path = write_lines(tmp_path / "c.jsonl", [json.dumps(
        {"task_id": "HumanEval/2", "completion": row["canonical_solution"]})])
    (sample,) = load_samples(path, he_tasks).samples
    program = sample.code + "\n" + row["test"] + f"\ncheck({row['entry_point']})\n"
    done = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_raw_chat_output_field_is_extracted(tmp_path, he_tasks):
    raw = ("Sure! Here it is:\n\n```python\ndef truncate_number(number: float) -> float:\n"
           "    return number % 1.0\n```\n\nExample:\n```python\nprint(truncate_number(3.5))\n```")
    path = write_lines(tmp_path / "raw.jsonl", [json.dumps({"task_id": "HumanEval/2",
                                                            "output": raw})])
    (sample,) = load_samples(path, he_tasks).samples
    assert sample.raw == raw
    assert sample.code == "def truncate_number(number: float) -> float:\n    return number % 1.0\n"


def test_fence_extraction_variants(he_tasks):
    task = he_tasks["HumanEval/0"]  # prompt imports List; entry has_close_elements
    defining = "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n" \
               "    return False\n"
    long_example = "\n".join(f"print({i})" for i in range(30))

    # ```py label, block defining the entry point wins over a longer example block;
    # the prompt's import the model left out is restored.
    code, found = code_from_output(f"```py\n{defining}```\n```python\n{long_example}\n```", task)
    assert found and code == "from typing import List\n" + defining
    # unlabeled fence and an unterminated final fence (token limit hit mid-block)
    code, _ = code_from_output(f"text\n```\n{defining}```", task)
    assert code.endswith(defining)
    code, _ = code_from_output(f"text\n```python\n{defining}    # cut off", task)
    assert "# cut off" in code and "def has_close_elements" in code
    # a fenced body only: appended to the prompt
    code, _ = code_from_output("```python\n    return True\n```", task)
    assert code == task.prompt + "    return True\n"
    # bare completion: prompt + text
    assert code_from_output("    return True\n", task) == (task.prompt + "    return True\n", True)
    # fences but none python: kept as-is and flagged
    text = "```text\n1 2 3\n```"
    assert code_from_output(text, task) == (text, False)
    # a fence indented inside a list item is dedented
    (block,) = fenced_blocks("1. Code:\n   ```python\n   x = 1\n   if x:\n       y = 2\n   ```")
    assert block.code == "x = 1\nif x:\n    y = 2\n" and block.terminated
    # program tasks: python-labelled blocks win over longer unlabeled example input
    program = Task(benchmark="t", task_id="p", prompt="read", kind="program",
                   entry_point=None, tests=())
    text = "```python\nprint(input())\n```\nInput:\n```\n" + "9 " * 100 + "\n```"
    assert code_from_output(text, program) == ("print(input())\n", True)


def test_directory_layout(tmp_path, he_tasks):
    root = tmp_path / "samples"
    task_dir = root / "HumanEval_0"
    task_dir.mkdir(parents=True)
    for n in (0, 1, 2, 10):
        (task_dir / f"{n}.py").write_text(f"# sample {n}\n", encoding="utf-8")
    (task_dir / "notes.json").write_text("{}", encoding="utf-8")
    raw_dir = root / "HumanEval_2"
    raw_dir.mkdir()
    (raw_dir / "0.md").write_text("```python\ndef truncate_number(x):\n    return x % 1\n```\n",
                                  encoding="utf-8")
    (root / "HumanEval_999").mkdir()
    (root / "eval_results.json").write_text("{}", encoding="utf-8")

    loaded = load_samples(root, he_tasks)
    assert [s.sample_id for s in loaded] == [
        "HumanEval/0#0", "HumanEval/0#1", "HumanEval/0#2", "HumanEval/0#3", "HumanEval/2#0"]
    assert [s.code for s in loaded][:4] == [f"# sample {n}\n" for n in (0, 1, 2, 10)]
    assert loaded.samples[4].code == "def truncate_number(x):\n    return x % 1\n"
    assert loaded.samples[3].source == str(task_dir / "10.py")
    problems = {(Path(i.path).name, i.kind) for i in loaded.problems if i.kind != "no_samples"}
    assert problems == {("notes.json", "malformed"), ("HumanEval_999", "unknown_task")}


@pytest.fixture(scope="module")
def coffe_file_tasks(data_dir: Path) -> list[Task]:
    """The coffe-file adapter's tasks when it exists; otherwise minimal records built from
    the published prompts file."""
    from perfjudge.benchmarks import UnknownBenchmark, get_benchmark

    try:
        return get_benchmark("coffe-file").load(data_dir)
    except UnknownBenchmark:
        prompts = json.loads((data_dir / "coffe" / "file" / "prompts.json").read_text("utf-8"))
        return [Task(benchmark="coffe-file", task_id=f"coffe-file/{i}", prompt=p,
                     kind="program", entry_point=None, tests=()) for i, p in enumerate(prompts)]


@pytest.mark.parametrize("name,model", [("apps-GPT-4o.json", "GPT-4o"),
                                        ("apps-Llama3.1_405B.json", "Llama3.1_405B")])
def test_coffe_examples_all_match(data_dir, coffe_file_tasks, name, model):
    path = data_dir / "coffe" / "examples" / name
    loaded = import_coffe_examples(path, coffe_file_tasks)
    assert len(loaded) == 300
    assert len({s.task_id for s in loaded}) == 300
    assert {s.model for s in loaded} == {model}
    kinds = Counter(i.kind for i in loaded.problems)
    assert kinds == {"no_samples": len(coffe_file_tasks) - 300}
    for sample in loaded:
        assert "```" not in sample.code and sample.raw and "```" in sample.raw
        compile(sample.code, sample.source, "exec")  # every extracted program parses
    assert load_samples(path, coffe_file_tasks).samples == loaded.samples


def test_coffe_entries_that_match_nothing_are_reported(tmp_path, data_dir, coffe_file_tasks):
    real = json.loads((data_dir / "coffe" / "examples" / "apps-GPT-4o.json").read_text("utf-8"))
    prompt, value = next(iter(real.items()))
    path = tmp_path / "apps-TinyModel.json"
    path.write_text(json.dumps({prompt + "  \n": value, "no such prompt": [["x"], True],
                                "bad shape": "x"}), encoding="utf-8")
    loaded = import_coffe_examples(path, coffe_file_tasks)
    assert len(loaded) == 1 and loaded.samples[0].model == "TinyModel"
    problems = [(i.kind, i.message.split(":")[0]) for i in loaded.problems
                if i.kind != "no_samples"]
    assert problems == [("unknown_task", "entry 1"), ("malformed", "entry 2")]


def test_lines_with_and_without_sample_index_keep_each_other(tmp_path):
    from perfjudge.benchmarks import get_benchmark
    from perfjudge.samples import load_samples

    task = get_benchmark("builtin").load()[0]
    path = tmp_path / "mixed.jsonl"
    code = task.canonical.code
    path.write_text("\n".join(json.dumps(r) for r in (
        {"task_id": task.task_id, "solution": code + "# plain\n"},
        {"task_id": task.task_id, "solution": code, "sample_index": 0},
        {"task_id": task.task_id, "solution": code, "sample_index": 1})) + "\n")
    samples = load_samples(path, [task])
    assert sorted(s.sample_id for s in samples) == [f"{task.task_id}#{k}" for k in range(3)]
    assert [p for p in samples.problems if p.kind == "duplicate"] == []
    by_id = {s.sample_id: s for s in samples}
    assert by_id[f"{task.task_id}#2"].code.endswith("# plain\n")  # the free number
