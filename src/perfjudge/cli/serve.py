"""`perfjudge serve`: the judge as an HTTP service (the ``serve`` extra)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from perfjudge.cli.typer_app import AddressOpt, DataDirOpt, ExecutorOpt, app, err, fail, fail_with
from perfjudge.errors import EXIT_ENVIRONMENT, PerfjudgeError


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Anything but loopback "
                             "needs --token-file."),
    port: int = typer.Option(8080, help="TCP port."),
    token_file: Optional[Path] = typer.Option(
        None, "--token-file", exists=True, dir_okay=False,
        help="File holding the token clients must send (Authorization: Bearer TOKEN, or the "
             "path prefix /t/TOKEN/ for clients that send no headers)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j",
                                          help="Worker processes (default: one per core)."),
    executor: str = ExecutorOpt, address: Optional[str] = AddressOpt,
    max_queue: int = typer.Option(64, help="Checks waiting or running at once; beyond it a "
                                  "request is answered 429 with Retry-After (504 on /run_code)."),
    max_body_bytes: int = typer.Option(8 << 20, help="Largest request body (413 beyond)."),
    request_timeout: float = typer.Option(300.0, help="Seconds a request may wait for its "
                                          "verdict (504 beyond; the check still completes "
                                          "and is stored)."),
    timeout: Optional[float] = typer.Option(None, help="Most CPU seconds per test a request "
                                            "may use (requests may ask for less)."),
    memory_mb: Optional[int] = typer.Option(None, help="Most memory per run in MiB."),
    data_dir: Optional[Path] = DataDirOpt,
    store: Optional[Path] = typer.Option(None, envvar="PERFJUDGE_STORE",
                                         help="Results database: identical requests, and "
                                              "checks `evaluate` already made, are answered "
                                              "from it."),
    preload: list[str] = typer.Option([], "--benchmark", "-b",
                                      help="Load this benchmark and its expected outputs "
                                           "before serving (repeatable)."),
) -> None:
    """Serve verdicts, deterministic costs and rewards over HTTP until Ctrl-C / SIGTERM.

    Routes: POST /v1/judge {benchmark, task_id, code|completion, meter?, limits?, reward?},
    POST /v1/judge/batch [...], POST /run_code (SandboxFusion's shape, for verl's client:
    use http://HOST:PORT/t/TOKEN/run_code), GET /v1/health, GET /metrics (Prometheus).

    On SIGTERM the requests in flight finish, then it exits 0. Exit code 2 for bad options
    (a public address without a token), 3 if the sandbox, a meter or the data cannot work
    here."""
    from perfjudge.engine.sandbox import Limits
    from perfjudge.service.server import ServeOptions
    from perfjudge.service.server import serve as run_server

    limits = Limits()
    if timeout:
        limits = dataclasses.replace(limits, test_seconds=timeout)
    if memory_mb:
        limits = dataclasses.replace(limits, memory_bytes=memory_mb << 20)
    options = ServeOptions(host=host, port=port, token_file=token_file, workers=workers,
                           executor=executor, address=address, max_queue=max_queue,
                           max_body_bytes=max_body_bytes, request_timeout_s=request_timeout,
                           data_dir=data_dir, store=store, limits=limits,
                           preload=tuple(preload))
    err.print(f"perfjudge serve: http://{host}:{port} ({executor} executor"
              + (", token required" if token_file else ", no token: loopback only") + ")")
    try:
        run_server(options)
    except PerfjudgeError as exc:
        fail_with(exc)
    except OSError as exc:  # the port is taken, say
        fail(escape(f"cannot serve on {host}:{port}: {exc}"), EXIT_ENVIRONMENT)
