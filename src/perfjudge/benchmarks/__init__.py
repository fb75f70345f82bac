"""Benchmark registry: each adapter is one module that registers a `Benchmark`.

An adapter knows where its published files live (`DataFile`), how to read them in their
published schema, and which metric is native to it. `get_benchmark(name).load(data_dir)`
returns `Task` records; nothing else in perfjudge knows a benchmark's file format.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from perfjudge.errors import UnknownName
from perfjudge.records.task import Task


@dataclass(frozen=True)
class DataFile:
    """A published file: ``relpath`` under the data dir (``<source>/<published name>``),
    where it is downloaded from, its sha256 (``None`` if the publisher gives none and we
    have not pinned one), and whether the benchmark loads without it."""

    relpath: str
    url: str
    sha256: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class Benchmark:
    name: str
    version: str
    description: str
    files: tuple[DataFile, ...]
    loader: Callable[[Path | None], list[Task]] = field(repr=False)
    native_metric: str = "pass@1"
    homepage: str = ""

    def load(self, data_dir: Path | None = None) -> list[Task]:
        return self.loader(data_dir)


_REGISTRY: dict[str, Benchmark] = {}
_LOADED = False
_ADAPTER_MODULES = (
    "builtin",
    "humaneval",
    "evalplus",
    "enamel",
    "coffe",
    "evalperf",
    "effibench",
    "mercury",
)


def register(benchmark: Benchmark) -> Benchmark:
    _REGISTRY[benchmark.name] = benchmark
    return benchmark


def _load_adapters() -> None:
    global _LOADED
    _LOADED = True
    for module in _ADAPTER_MODULES:
        try:
            importlib.import_module(f"perfjudge.benchmarks.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"perfjudge.benchmarks.{module}":
                raise


def all_benchmarks() -> dict[str, Benchmark]:
    if not _LOADED:
        _load_adapters()
    return dict(_REGISTRY)


class UnknownBenchmark(UnknownName):
    def __init__(self, name: str):
        super().__init__("benchmark", name, all_benchmarks(),
                         hint="`perfjudge benchmarks` lists them with their data.")


def get_benchmark(name: str) -> Benchmark:
    benchmarks = all_benchmarks()
    if name not in benchmarks:
        raise UnknownBenchmark(name)
    return benchmarks[name]
