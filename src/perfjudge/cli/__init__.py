"""The ``perfjudge`` command: argument parsing only; every command is a library call.

One module per command group: `generate` (generate, run, refine), `judge` (check,
evaluate, validate), `serve` (serve), `runs` (report, compare, runs), `info` (benchmarks,
show, meters, version);
`app` holds the Typer app, the shared options and the error-to-exit-code mapping.
Importing a group registers its commands, in the order `--help` lists them.
"""

from perfjudge.cli.app import app

for _group in ("generate", "judge", "serve", "runs", "info"):
    __import__(f"perfjudge.cli.{_group}")


def main() -> None:  # pragma: no cover
    app()


__all__ = ["app", "main"]
