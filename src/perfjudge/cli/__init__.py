"""The ``perfjudge`` command: argument parsing only; every command is a library call.

One module per command group: `generate` (generate, run, refine), `judge` (check,
evaluate, validate), `serve` (serve), `runs` (report, compare, runs), `info` (benchmarks,
show, meters, version);
`typer_app` holds the Typer app, the shared options and the error-to-exit-code mapping.
Importing a group registers its commands, in the order `--help` lists them.
Importing this package imports none of them: a pool worker spawned from the ``perfjudge``
script imports the script again, and with it this package (typer, rich and every command
cost each worker 0.3 s of CPU while the run starts). `main` and `app` load them.
"""

from typing import Any


def _app() -> Any:
    from perfjudge.cli.typer_app import app

    for group in ("generate", "judge", "serve", "runs", "info"):
        __import__(f"perfjudge.cli.{group}")
    globals()["app"] = app
    return app


def main() -> None:  # pragma: no cover
    _app()()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
