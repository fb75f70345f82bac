"""perfjudge: is the code a model writes correct, and how efficient is it next to an expert's?

Pipeline, one module each: tasks -> samples -> execution (sandbox, harness, runner, checking)
-> meters -> metrics/scoring -> store -> pipeline -> report. The public entry points:

    from perfjudge import EvaluateOptions, check_solution, evaluate, get_benchmark

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
    "check_solution": "perfjudge.execution",
    "Engine": "perfjudge.execution",
    "compare_runs": "perfjudge.compare",
    # benchmarks, tasks, samples
    "get_benchmark": "perfjudge.benchmarks",
    "all_benchmarks": "perfjudge.benchmarks",
    "Benchmark": "perfjudge.benchmarks",
    "Task": "perfjudge.tasks",
    "TestCase": "perfjudge.tasks",
    "Reference": "perfjudge.tasks",
    "load_samples": "perfjudge.samples",
    "Sample": "perfjudge.samples",
    "SampleSet": "perfjudge.samples",
    # results and meters
    "CheckResult": "perfjudge.results",
    "Measurement": "perfjudge.results",
    "TestFailure": "perfjudge.results",
    "VERDICTS": "perfjudge.results",
    "Meter": "perfjudge.meters",
    "get_meter": "perfjudge.meters",
    "Limits": "perfjudge.sandbox",
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
