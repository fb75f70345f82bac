"""Wires an executor, the store and the app into a uvicorn server (`perfjudge serve`)."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path

from perfjudge.engine.sandbox import Limits
from perfjudge.errors import Unavailable, UsageError

DEFAULT_PORT = 8080


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token_file: Path | None = None
    workers: int | None = None
    executor: str = "local"
    address: str | None = None
    max_queue: int = 64
    max_body_bytes: int = 8 << 20
    request_timeout_s: float = 300.0
    data_dir: Path | None = None
    store: Path | None = None
    limits: Limits = field(default_factory=Limits)
    preload: tuple[str, ...] = ()
    """Benchmarks to load, with every task's expected outputs, before the first request
    (others load on first use)."""
    graceful_s: float = 60.0
    """How long a stopping server waits for the requests in flight."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback
                       for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def read_token(options: ServeOptions) -> str | None:
    """The token, or None on loopback without one; a non-loopback address needs one."""
    if options.token_file is None:
        if not is_loopback(options.host):
            raise UsageError(f"refusing to listen on {options.host}, which is not a loopback "
                             "address, without a token: pass --token-file FILE")
        return None
    try:
        token = options.token_file.read_text().strip()
    except OSError as exc:
        raise UsageError(f"cannot read the token file {options.token_file}: {exc}") from None
    if len(token) < 16 or any(c.isspace() or c == "/" for c in token):
        raise UsageError(f"the token in {options.token_file} must be at least 16 characters, "
                         "without spaces or '/' (it may travel in a URL path)")
    return token


def build_app(options: ServeOptions):
    """The service's app and the service (not yet serving)."""
    from perfjudge.executors import LocalPoolExecutor
    from perfjudge.service.app import create_app
    from perfjudge.service.judging import JudgeService
    from perfjudge.store import Store

    token = read_token(options)
    if options.executor == "ray":
        from perfjudge.executors.ray_cluster import RayExecutor

        executor = RayExecutor(address=options.address, limits=options.limits,
                               store=options.store)
    elif options.executor == "local":
        if options.address:
            raise UsageError("--address goes with --executor ray")
        executor = LocalPoolExecutor(options.workers, options.limits, store=options.store)
    else:
        from perfjudge.errors import UnknownName

        raise UnknownName("executor", options.executor, ["local", "ray"])
    service = JudgeService(executor, Store(options.store), data_dir=options.data_dir,
                           limits=options.limits, max_queue=options.max_queue,
                           request_timeout_s=options.request_timeout_s)
    try:
        for name in options.preload:
            _, tasks = service.benchmark(name)
            for task, error in executor.prepare(list(tasks.values())):
                if error:
                    raise Unavailable(f"{name} {task.task_id}: {error}")
    except Exception:
        service.close()
        raise
    return create_app(service, token=token, max_body_bytes=options.max_body_bytes), service


def serve(options: ServeOptions) -> None:
    """Serve until SIGINT/SIGTERM; then finish the requests in flight, stop, return."""
    try:
        import uvicorn
    except ImportError:
        raise Unavailable("perfjudge serve needs its extra: pip install 'perfjudge[serve]'") \
            from None

    class _GracefulServer(uvicorn.Server):
        """uvicorn re-raises the stopping signal after a graceful shutdown, so the process
        would end "killed by SIGTERM"; a graceful stop is a success (exit 0)."""

        @contextlib.contextmanager
        def capture_signals(self):
            with super().capture_signals():
                yield
                getattr(self, "_captured_signals", []).clear()
    app, _ = build_app(options)
    config = uvicorn.Config(app, host=options.host, port=options.port, log_level="warning",
                            timeout_graceful_shutdown=int(options.graceful_s),
                            limit_concurrency=options.max_queue * 4 + 64, lifespan="on")
    _GracefulServer(config).run()
