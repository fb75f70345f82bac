"""SandboxFusion's ``/run_code`` on perfjudge's sandbox: the request and answer shapes of
bytedance/SandboxFusion (``sandbox/server/sandbox_api.py``: RunCodeRequest, RunCodeResponse,
CommandRunResult), so its clients work unchanged; verl's sandbox-fusion reward
(``verl/utils/reward_score/sandbox_fusion/utils.py``) reads ``status``, ``run_result``'s
``status``, ``return_code`` and ``stdout``.

How a run maps onto that shape (SandboxFusion's python runner has no compile step):

- exited: run_result ``Finished`` with its return code; ``Success`` if 0, else ``Failed``;
- a syntax error: ``Finished``, return code 1, the error in stderr (what ``python`` does);
- over its time: ``TimeLimitExceeded``, ``Failed``;
- over its memory: ``Finished``, return code -9 (killed), ``Failed``;
- the judge or the machine failed: ``SandboxError`` (the client's "not the code's fault").

Deliberate differences: ``run_timeout`` is the program's CPU-time limit, and its wall time
may run 1 s longer (SandboxFusion's is wall time alone, which a loaded machine turns into
false timeouts); ``execution_time`` is the program's own wall time; only ``python`` runs,
and ``files``/``fetch_files`` must be empty. Added: ``perfjudge`` holds the CPU time read
from the cgroup and, with ``meter``, the deterministic cost.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from perfjudge.engine.sandbox import Limits
from perfjudge.records.program import ProgramResult

WALL_ALLOWANCE_S = 1.0


def unsupported(language: str, files: dict[str, Any], fetch_files: list[str]) -> str | None:
    if language not in ("python", "python3"):
        return f"language {language!r} is not supported by perfjudge's /run_code (python only)"
    if files or fetch_files:
        return "perfjudge's /run_code takes no files: 'files' and 'fetch_files' must be empty"
    return None


def limits_for(service: Limits, run_timeout: float, memory_limit_mb: int) -> Limits:
    """The program's limits: ``run_timeout`` CPU seconds (at most the service's per-test
    limit), its memory limit when given (at most the service's)."""
    seconds = min(float(run_timeout), service.test_seconds)
    memory = service.memory_bytes
    if memory_limit_mb and memory_limit_mb > 0:
        memory = min(memory, int(memory_limit_mb) << 20)
    return dataclasses.replace(service, test_seconds=seconds,
                               wall_seconds=seconds + WALL_ALLOWANCE_S, memory_bytes=memory)


def sandbox_error(message: str) -> dict[str, Any]:
    return {"status": "SandboxError", "message": message, "compile_result": None,
            "run_result": None, "executor_pod_name": None, "files": {}}


def response(result: ProgramResult) -> dict[str, Any]:
    if result.status == "sandbox_error":
        return sandbox_error(result.detail or "the sandbox failed")
    run: dict[str, Any] = {"status": "Finished", "execution_time": result.wall_seconds,
                           "return_code": result.exit_code, "stdout": result.stdout,
                           "stderr": result.stderr}
    message = ""
    if result.status == "timeout":
        run["status"], run["return_code"] = "TimeLimitExceeded", None
        message = result.detail
    elif result.status == "memory_limit":
        run["return_code"] = -9
        run["stderr"] = (result.stderr + "\n" if result.stderr else "") + \
            f"perfjudge: {result.detail or 'memory limit exceeded'}"
        message = result.detail
    elif result.status == "compile_error":
        run["return_code"] = 1
    if result.stdout_truncated:
        message = (message + "; " if message else "") + "stdout was cut at the output limit"
    ok = run["status"] == "Finished" and run["return_code"] == 0
    return {"status": "Success" if ok else "Failed", "message": message,
            "compile_result": None, "run_result": run, "executor_pod_name": None, "files": {},
            "perfjudge": {"cpu_seconds": result.cpu_seconds, "meter": result.meter,
                          "cost": result.cost, "unit": result.unit,
                          "cost_detail": result.cost_detail,
                          "peak_memory_bytes": result.peak_memory_bytes}}
