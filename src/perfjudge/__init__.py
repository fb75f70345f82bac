"""perfjudge: is the code a model writes correct, and how efficient is it next to an expert's?

One package per stage, in pipeline order: records (the typed hand-offs) -> benchmarks ->
generate -> samples -> engine -> meters -> executors -> store -> scoring -> pipeline ->
report -> cli. The public entry points:

    from perfjudge import check_solution, evaluate, EvaluateOptions, get_benchmark

Everything in ``__all__`` loads on first use, so ``import perfjudge`` (and the CLI's
``--help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # the main job and one check
    "evaluate": "perfjudge.pipeline",
    "EvaluateOptions": "perfjudge.pipeline",
    "RunReport": "perfjudge.pipeline",
    "load_run": "perfjudge.pipeline",
    "check_solution": "perfjudge.engine.judge",
    "Engine": "perfjudge.engine.judge",
    "compare_runs": "perfjudge.pipeline",
    # benchmarks, tasks, samples
    "get_benchmark": "perfjudge.benchmarks",
    "all_benchmarks": "perfjudge.benchmarks",
    "Benchmark": "perfjudge.benchmarks",
    "Task": "perfjudge.records",
    "TestCase": "perfjudge.records",
    "Reference": "perfjudge.records",
    "load_samples": "perfjudge.samples",
    "Sample": "perfjudge.records",
    "SampleSet": "perfjudge.records",
    # results and meters
    "CheckResult": "perfjudge.records",
    "Measurement": "perfjudge.records",
    "TestFailure": "perfjudge.records",
    "VERDICTS": "perfjudge.records",
    "Meter": "perfjudge.meters",
    "get_meter": "perfjudge.meters",
    "Limits": "perfjudge.engine.sandbox",
    # the error tree
    "PerfjudgeError": "perfjudge.errors",
    "UsageError": "perfjudge.errors",
    "UnknownName": "perfjudge.errors",
    "InputFileError": "perfjudge.errors",
    "InputNotFound": "perfjudge.errors",
    "IncomparableRuns": "perfjudge.errors",
    "Unavailable": "perfjudge.errors",
    "JudgeFault": "perfjudge.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'perfjudge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
