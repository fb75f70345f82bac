"""What `import perfjudge` promises: the names in `__all__`, each the object its module
defines, loaded lazily (the documented `from perfjudge import evaluate` once recursed for
ever)."""

from __future__ import annotations

import subprocess
import sys

import perfjudge

EXPECTED = {
    "__version__", "evaluate", "EvaluateOptions", "RunReport", "load_run", "check_solution",
    "Engine", "compare_runs", "get_benchmark", "all_benchmarks", "Benchmark", "Task",
    "TestCase", "Reference", "load_samples", "Sample", "SampleSet", "CheckResult",
    "Measurement", "TestFailure", "VERDICTS", "Meter", "get_meter", "Limits",
    "PerfjudgeError", "UsageError", "UnknownName", "InputFileError", "InputNotFound",
    "IncomparableRuns", "Unavailable", "JudgeFault",
}


def test_all_lists_exactly_the_public_names():
    assert set(perfjudge.__all__) == EXPECTED
    assert len(perfjudge.__all__) == len(EXPECTED)


def test_every_exported_name_is_its_modules_own_object():
    from perfjudge import errors, pipeline, samples
    from perfjudge.engine import judge as execution

    assert perfjudge.evaluate is pipeline.evaluate and callable(perfjudge.evaluate)
    assert perfjudge.EvaluateOptions is pipeline.EvaluateOptions
    assert perfjudge.check_solution is execution.check_solution
    assert perfjudge.load_samples is samples.load_samples
    assert perfjudge.PerfjudgeError is errors.PerfjudgeError
    for name in EXPECTED - {"__version__"}:
        value = getattr(perfjudge, name)
        assert getattr(value, "__module__", None) or name == "VERDICTS", name


def test_star_import_and_import_order_give_the_same_objects():
    code = ("import perfjudge.pipeline\n"
            "from perfjudge import evaluate, check_solution\n"
            "assert callable(evaluate) and evaluate.__module__ == 'perfjudge.pipeline.evaluation'\n"
            "ns = {}\n"
            "exec('from perfjudge import *', ns)\n"
            "assert ns['evaluate'] is evaluate and ns['check_solution'] is check_solution\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_import_is_lazy():
    out = subprocess.run([sys.executable, "-c", "import sys, perfjudge; print("
                          "sorted(m for m in sys.modules if m.startswith('perfjudge')))"],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "['perfjudge']", out.stdout + out.stderr


def test_an_unknown_attribute_is_an_attribute_error():
    try:
        perfjudge.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_the_cli_app_is_the_typer_app_whatever_was_imported_first():
    """`perfjudge.cli` loads its commands lazily (a pool worker imports the script that
    imports it); ``app`` is still the Typer app, also after a command group was imported."""
    import subprocess
    import sys

    code = ("import perfjudge.cli.info, typer\n"
            "from perfjudge.cli import app\n"
            "assert isinstance(app, typer.Typer), type(app)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
