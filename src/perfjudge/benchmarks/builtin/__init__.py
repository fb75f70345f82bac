"""perfjudge's own benchmark: small, offline, with references at graded efficiency levels.

Every task has hand-checked correctness cases, seeded performance inputs and three or more
reference solutions whose cost differs measurably, so the whole pipeline (verdicts, meters,
every metric) can be exercised without downloading anything. The task definitions live in
one module per algorithmic family; their source text is hashed into the provenance, so any
edit to a task changes every task's fingerprint and invalidates cached results.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from pathlib import Path

from perfjudge.benchmarks import Benchmark, register
from perfjudge.benchmarks.builtin._spec import Spec
from perfjudge.records.task import Provenance, Task

VERSION = "1.0"
FAMILY_MODULES = (
    "searching",
    "sorting",
    "strings",
    "dynamic",
    "graphs",
    "numerics",
    "structures",
)


def _modules() -> list:
    return [importlib.import_module(f"{__name__}.{name}") for name in FAMILY_MODULES]


def specs() -> list[Spec]:
    """All task specs, in family order."""
    return [spec for module in _modules() for spec in module.SPECS]


def source_sha256() -> str:
    """sha256 over the task definitions' source (the spec format plus every family module)."""
    digest = hashlib.sha256()
    for module in [importlib.import_module(f"{__name__}._spec"), *_modules()]:
        digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()


def load(data_dir: Path | None = None) -> list[Task]:
    """Build the tasks; ``data_dir`` is unused (everything is embedded)."""
    provenance = Provenance(
        benchmark="builtin", version=VERSION, source_url="perfjudge builtin", sha256=source_sha256()
    )
    return [spec.to_task(provenance) for spec in specs()]


BUILTIN = register(
    Benchmark(
        name="builtin",
        version=VERSION,
        description="perfjudge's embedded tasks: searching, sorting, strings, dynamic "
        "programming, graphs, numerics and data-structure choice, each with references at "
        "graded efficiency levels",
        files=(),
        loader=load,
        native_metric="speedup",
        homepage="",
    )
)
