"""Samples: the code a model wrote, one record per attempt, with where it came from.

Loaders read the formats people actually have: EvalPlus JSONL (``solution`` = full code,
``completion`` = text appended to the task prompt), the EvalPlus directory layout
(``<dir>/<task_id with / as _>/<n>.py``), raw chat outputs with markdown fences, and COFFE's
example files. Every input record ends either as a `Sample` or as a `SampleIssue` that names
file, line and problem: a dropped record would silently change pass@k.
"""

from __future__ import annotations

import difflib
import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from perfjudge.errors import InputNotFound
from perfjudge.generate.extract import code_from_output, fenced_blocks, task_prompt
from perfjudge.records.sample import GENERATION_KEYS, Sample, SampleIssue, SamplesError, SampleSet
from perfjudge.records.task import Task, sha256_text

# Fields that hold a raw model output (prose + markdown fences) rather than code.
RAW_OUTPUT_KEYS = ("raw_output", "output", "response")
SAMPLE_FILE_SUFFIXES = {".py": "code", ".txt": "raw", ".md": "raw"}


# --------------------------------------------------------------------------- collection


class _Collector:
    """Turns candidate records into samples and issues: unknown ids, duplicates, numbering
    within a task, and tasks left without samples."""

    def __init__(self, tasks: Mapping[str, Task], keep_duplicates: bool):
        self.tasks = tasks
        self.keep_duplicates = keep_duplicates
        self.samples: list[Sample] = []
        self.problems: list[SampleIssue] = []
        self._seen: dict[tuple[str, str], str] = {}
        self._count: dict[str, int] = {}
        self._ids: set[str] = set()
        self.reserved: set[str] = set()
        """Ids that lines with their own ``sample_index`` will take; others skip them."""

    def issue(self, path: Path | str, line: int | None, task_id: str | None, message: str,
              kind: str) -> None:
        self.problems.append(SampleIssue(str(path), line, task_id, message, kind))

    def known_task(self, path: Path | str, line: int | None, task_id: str) -> Task | None:
        task = self.tasks.get(task_id)
        if task is None:
            close = difflib.get_close_matches(task_id, list(self.tasks), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            self.issue(path, line, task_id, f"unknown task id {task_id!r}{hint}", "unknown_task")
        return task

    def add(self, *, task_id: str, code: str, path: Path | str, line: int | None,
            source: str, model: str | None, raw: str | None,
            generation: dict[str, Any], index: int | None = None) -> Sample | None:
        """``index``: the line's own ``sample_index`` (a generated file): the sample keeps
        that id, and identical code under two indices is two draws of the model, both kept
        (pass@k counts them); the same index twice is a duplicate."""
        digest = sha256_text(code)
        first = self._seen.get((task_id, digest))
        if index is not None:
            if f"{task_id}#{index}" in self._ids:
                self.issue(path, line, task_id, f"sample_index {index} appears twice; the "
                           "first is kept", "duplicate")
                return None
        elif first is not None and not self.keep_duplicates:
            self.issue(path, line, task_id, f"duplicate of {first} (identical code); kept once",
                       "duplicate")
            return None
        if index is None:
            index = self._count.get(task_id, 0)
            while f"{task_id}#{index}" in self._ids or f"{task_id}#{index}" in self.reserved:
                index += 1
        self._count[task_id] = max(self._count.get(task_id, 0), index + 1)
        sample = Sample(f"{task_id}#{index}", task_id, code, source, model, raw, generation)
        self._ids.add(sample.sample_id)
        self._seen.setdefault((task_id, digest), sample.sample_id)
        self.samples.append(sample)
        return sample

    def finish(self, path: Path | str, strict: bool) -> SampleSet:
        for task_id in self.tasks:
            if task_id not in self._count:
                self.issue(path, None, task_id, "no samples for this task", "no_samples")
        result = SampleSet(self.samples, self.problems)
        if strict:
            result.raise_if_problems()
        return result


def _task_map(tasks: Mapping[str, Task] | Iterable[Task]) -> dict[str, Task]:
    if isinstance(tasks, Mapping):
        return dict(tasks)
    return {task.task_id: task for task in tasks}


# --------------------------------------------------------------------------- loaders


def load_samples(
    path: str | Path,
    tasks: Mapping[str, Task] | Iterable[Task],
    *,
    strict: bool = False,
    model: str | None = None,
    keep_duplicates: bool = False,
) -> SampleSet:
    """Load samples from a ``.jsonl``/``.jsonl.gz`` file, an EvalPlus-layout directory or a
    COFFE examples ``.json``. ``strict`` raises `SamplesError` listing every issue.

    ``keep_duplicates``: by default identical code for one task is run once and reported;
    pass True when the samples are independent draws for pass@k, where a repeated answer is
    a legitimate repeated success or failure."""
    path = Path(path)
    task_map = _task_map(tasks)
    if path.is_dir():
        collector = _Collector(task_map, keep_duplicates)
        _load_directory(path, collector, model)
        return collector.finish(path, strict)
    if not path.exists():
        raise InputNotFound(f"samples file not found: {path} (pass a JSONL file, a JSON file or "
                            "a directory of files per task)")
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SamplesError([SampleIssue(str(path), getattr(exc, "lineno", None), None,
                                            f"not a JSON samples file: {exc}",
                                            "malformed")]) from None
        if isinstance(data, list):
            collector = _Collector(task_map, keep_duplicates)
            _load_enamel_list(path, collector, model)
            return collector.finish(path, strict)
        return import_coffe_examples(path, task_map, strict=strict, model=model,
                                     keep_duplicates=keep_duplicates)
    collector = _Collector(task_map, keep_duplicates)
    _load_jsonl(path, collector, model)
    return collector.finish(path, strict)


def _load_enamel_list(path: Path, collector: "_Collector", model: str | None) -> None:
    """ENAMEL's sample format (q-rz/enamel ``samples/``), read by the ENAMEL adapter's own
    reader; each program becomes a record as if it came from a JSONL line."""
    from perfjudge.benchmarks.enamel import load_enamel_samples

    for task_id, codes in load_enamel_samples(path).items():
        row = int(task_id.rsplit("/", 1)[1])
        for code in codes:
            _add_record({"task_id": task_id, "solution": code}, path, row, collector, model)


def _read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        yield from enumerate(handle, start=1)


def _load_jsonl(path: Path, collector: _Collector, model: str | None) -> None:
    records: list[tuple[int, dict[str, Any]]] = []  # ids of indexed lines are theirs
    for number, raw_line in _read_lines(path):
        try:
            text = raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            collector.issue(path, number, None, f"not UTF-8: {exc}", "malformed")
            continue
        if not text.strip():
            continue  # blank lines carry no record
        try:
            record = json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            collector.issue(path, number, None,
                            f"malformed JSON at column {exc.colno}: {exc.msg}", "malformed")
            continue
        if not isinstance(record, dict):
            collector.issue(path, number, None,
                            f"expected a JSON object, got {type(record).__name__}", "malformed")
            continue
        records.append((number, record))
        index = _sample_index(record)
        if index is not None and isinstance(record.get("task_id"), str):
            collector.reserved.add(f"{record['task_id']}#{index}")
    for number, record in records:
        _add_record(record, path, number, collector, model)


def _add_record(record: dict[str, Any], path: Path, number: int, collector: _Collector,
                model: str | None) -> None:
    task_id = record.get("task_id")
    if not isinstance(task_id, str) or not task_id:
        problem = "missing task_id" if task_id in (None, "") else (
            f"task_id must be a string, got {type(task_id).__name__}")
        collector.issue(path, number, None, problem, "missing_task_id")
        return
    fields = [k for k in ("solution", "completion", *RAW_OUTPUT_KEYS) if k in record]
    if not fields:
        collector.issue(path, number, task_id,
                        "missing both 'solution' and 'completion'", "missing_code")
        return
    field_name = fields[0]
    value = record[field_name]
    if not isinstance(value, str):
        collector.issue(path, number, task_id,
                        f"{field_name!r} must be a string, got {type(value).__name__}",
                        "missing_code")
        return
    task = collector.known_task(path, number, task_id)
    if task is None:
        return
    raw: str | None = None
    if field_name == "solution":
        code = value
        if isinstance(record.get("raw_output"), str):
            raw = record["raw_output"]
    elif field_name == "completion" and not fenced_blocks(value):
        code = task_prompt(task) + value if task.kind == "function" else value
    else:
        raw = value
        code, found = code_from_output(value, task)
        if not found:
            collector.issue(path, number, task_id,
                            "output has fenced blocks but none holds python; kept as-is",
                            "no_code_block")
    generation = {k: record[k] for k in GENERATION_KEYS if k in record}
    record_model = record.get("model")
    collector.add(task_id=task_id, code=code, path=path, line=number,
                  source=f"{path}:{number}",
                  model=record_model if isinstance(record_model, str) else model,
                  raw=raw, generation=generation, index=_sample_index(record))


def _sample_index(record: dict[str, Any]) -> int | None:
    index = record.get("sample_index")
    return index if isinstance(index, int) and not isinstance(index, bool) and index >= 0 \
        else None


def _sample_order(path: Path) -> tuple[int, int, str]:
    return (0, int(path.stem), "") if path.stem.isdigit() else (1, 0, path.name)


def _load_directory(root: Path, collector: _Collector, model: str | None) -> None:
    """EvalPlus layout: one folder per task (``/`` in the id replaced by ``_``), one file per
    sample, numbered. ``.py`` files are full code; ``.txt``/``.md`` are raw outputs."""
    by_folder = {task_id.replace("/", "_"): task_id for task_id in collector.tasks}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name == "eval_results.json":
            continue
        if not entry.is_dir():
            collector.issue(entry, None, None, "not a task folder; ignored", "malformed")
            continue
        task_id = by_folder.get(entry.name)
        if task_id is None:
            collector.known_task(entry, None, entry.name)
            continue
        task = collector.tasks[task_id]
        for file in sorted((f for f in entry.iterdir() if f.is_file()), key=_sample_order):
            kind = SAMPLE_FILE_SUFFIXES.get(file.suffix)
            if kind is None:
                collector.issue(file, None, task_id,
                                f"unexpected file type {file.suffix!r}; expected "
                                f"{', '.join(SAMPLE_FILE_SUFFIXES)}", "malformed")
                continue
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                collector.issue(file, None, task_id, f"unreadable: {exc}", "unreadable")
                continue
            raw: str | None = None
            code = text
            if kind == "raw":
                raw = text
                code, found = code_from_output(text, task)
                if not found:
                    collector.issue(file, None, task_id,
                                    "output has fenced blocks but none holds python; kept "
                                    "as-is", "no_code_block")
            collector.add(task_id=task_id, code=code, path=file, line=None, source=str(file),
                          model=model, raw=raw, generation={})


# --------------------------------------------------------------------------- COFFE examples


def _normalize_prompt(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def model_from_filename(path: Path) -> str:
    """``apps-GPT-4o.json`` -> ``GPT-4o``: COFFE names files ``<dataset>-<model>``."""
    stem = path.name.removesuffix(".json")
    return stem.split("-", 1)[1] if "-" in stem else stem


def import_coffe_examples(
    path: str | Path,
    tasks: Mapping[str, Task] | Iterable[Task],
    *,
    strict: bool = False,
    model: str | None = None,
    keep_duplicates: bool = False,
) -> SampleSet:
    """COFFE's example outputs: ``{prompt: [[raw_output, ...], flag]}``. Entries are matched to
    tasks by prompt text (the task's ``prompt`` or ``metadata["prompt"]``, trailing whitespace
    ignored); code is taken from the markdown fences of each raw output. Only tasks whose
    benchmark appears among the matched ones are reported as missing."""
    path = Path(path)
    task_map = _task_map(tasks)
    model = model or model_from_filename(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SamplesError([SampleIssue(str(path), exc.lineno, None,
                                        f"malformed JSON: {exc}", "malformed")]) from exc
    if not isinstance(data, dict):
        raise SamplesError([SampleIssue(str(path), None, None,
                                        "expected an object {prompt: [[outputs], flag]}",
                                        "malformed")])
    by_prompt: dict[str, list[Task]] = {}
    for task in task_map.values():
        texts = {task.prompt, task.metadata.get("prompt")} - {None, ""}
        for text in {_normalize_prompt(str(t)) for t in texts}:
            by_prompt.setdefault(text, []).append(task)
    matched: dict[str, Task] = {}
    collector = _Collector(task_map, keep_duplicates)
    for number, (prompt, value) in enumerate(data.items()):
        where = f"entry {number}"
        outputs, flag = _coffe_entry(value)
        if outputs is None:
            collector.issue(path, None, None,
                            f"{where}: expected [[raw_output, ...], flag], got {value!r:.80}",
                            "malformed")
            continue
        candidates = by_prompt.get(_normalize_prompt(prompt), [])
        if len(candidates) != 1:
            problem = "matches no task prompt" if not candidates else (
                f"matches {len(candidates)} tasks: "
                f"{', '.join(t.task_id for t in candidates)}")
            collector.issue(path, None, None, f"{where}: prompt {prompt[:60]!r}... {problem}",
                            "unknown_task")
            continue
        task = candidates[0]
        matched[task.task_id] = task
        for k, raw in enumerate(outputs):
            code, found = code_from_output(raw, task)
            if not found:
                collector.issue(path, None, task.task_id,
                                f"{where} output {k}: fenced blocks but none holds python; "
                                "kept as-is", "no_code_block")
            collector.add(task_id=task.task_id, code=code, path=path, line=None,
                          source=f"{path}:{where}:{k}", model=model, raw=raw,
                          generation={"coffe_flag": flag})
    collector.tasks = {tid: t for tid, t in task_map.items()
                       if any(t.benchmark == m.benchmark for m in matched.values())}
    return collector.finish(path, strict)


def _coffe_entry(value: Any) -> tuple[list[str] | None, Any]:
    if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], list)
            and all(isinstance(x, str) for x in value[0])):
        return value[0], value[1]
    return None, None
