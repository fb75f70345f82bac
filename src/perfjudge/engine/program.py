"""Run one program on one stdin in the sandbox and say what it did: the execution service's
primitive (SandboxFusion's ``/run_code``), where no task says what the right output is.

    run_program(ProgramRequest(code, stdin="1 2\\n")) -> ProgramResult

The program runs as a program task's sample does (a fresh child of the sandbox's zygote, its
own cgroup, stdin/stdout in memory files). Its CPU time is read from outside (the cgroup),
never from the program. With a meter (``valgrind``, ``instructions``) the program is then
measured like any program sample, the output of the first run standing as the expected
output: a program whose output differs when measured gets no cost, and says so.
"""

from __future__ import annotations

import marshal
from typing import Any

from perfjudge import meters
from perfjudge.engine import harness, runner, wire
from perfjudge.engine.runner import exit_description
from perfjudge.engine.sandbox import Limits
from perfjudge.records.program import ProgramRequest, ProgramResult
from perfjudge.records.task import Comparison, Task, TestCase

MAX_STDERR_CHARS = 4000
"""The harness keeps the last 4,000 characters of a program's stderr."""


def run_program(request: ProgramRequest, engine: Any = None) -> ProgramResult:
    from perfjudge.engine.judge import check_solution, default_engine

    engine = engine or default_engine()
    limits = request.limits or engine.limits
    if request.language != "python":
        return ProgramResult("sandbox_error", tag=request.tag,
                             detail=f"language {request.language!r} is not supported here "
                                    "(python only)")
    job = {"mode": "program", "code": request.code, "language": request.language,
           "inputs": [marshal.dumps(request.stdin, harness.WIRE_VERSION)], "report_stderr": True,
           "max_output_bytes": limits.max_output_bytes}
    run = runner.run_harness(job, limits=limits, measure=True, cpu=engine.cpu,
                             deadlines=[limits.test_seconds])
    result = _result_of(run, limits, request.tag)
    if request.meter and meters.get_meter(request.meter).measures:
        result.meter = request.meter
        if result.status != "finished" or result.exit_code != 0:
            result.cost_detail = "not measured: the program did not exit with status 0"
        elif result.stdout_truncated:
            result.cost_detail = "not measured: its output was over the limit"
        else:
            task = Task("run_code", "run_code", "", "program", None,
                        (TestCase(request.stdin, result.stdout, has_expected=True),),
                        comparison=Comparison("exact"))
            measured = check_solution(task, request.code, meter=request.meter, engine=engine,
                                      limits=limits)
            if measured.verdict == "passed":
                result.cost, result.unit = measured.total_cost, measured.unit
            else:
                result.cost_detail = f"not measured: under the meter it {measured.verdict}" \
                    + (f" ({measured.detail})" if measured.detail else "")
    return result


def _result_of(run: runner.HarnessRun, limits: Limits, tag: str) -> ProgramResult:
    result = ProgramResult("finished", tag=tag, wall_seconds=round(run.wall_seconds, 6),
                           peak_memory_bytes=run.peak_bytes)
    cost = next((c for c in run.costs if c.index == 0), None)
    if cost is not None and cost.cpu_ns is not None:
        result.cpu_seconds = cost.cpu_ns / 1e9
    if cost is not None and cost.wall_ns:
        result.wall_seconds = cost.wall_ns / 1e9
    for event in run.events:
        kind = event.get("e")
        if kind == "compile_error":
            result.status, result.exit_code = "compile_error", 1
            result.stderr = f"{event.get('type')}: {event.get('message')}"
            return result
        if kind == "done" and isinstance(event.get("exit"), int):
            result.exit_code = event["exit"]
        elif kind == "stderr" and isinstance(event.get("text"), str):
            result.stderr = event["text"][-MAX_STDERR_CHARS:]
        elif kind == "out":
            size = event.get("size")
            try:
                out = wire.loads(event.get("value", b""), 1000)
            except wire.WireError as exc:
                return ProgramResult("sandbox_error", tag=tag,
                                     detail=f"the harness sent a malformed output: {exc}")
            result.stdout = out if isinstance(out, str) else ""
            result.stdout_truncated = isinstance(size, int) and size > limits.max_output_bytes
    if run.status == "ok" and result.exit_code is not None:
        if result.exit_code == -24:
            result.status, result.detail = "timeout", "killed by its CPU-time limit (SIGXCPU)"
        elif result.exit_code != 0:
            result.detail = f"the program {exit_description(result.exit_code)}"
        return result
    if run.status in ("timeout", "memory_limit"):
        result.status, result.detail = run.status, run.detail
        return result
    if run.status == "output_limit":
        result.stdout_truncated, result.detail = True, run.detail
        return result
    if run.status == "crashed" and run.exit_code == runner.FORBIDDEN:
        result.exit_code = runner.FORBIDDEN
        result.detail = "the program used an interpreter feature that is refused in the sandbox"
        return result
    if run.status == "sandbox_error":
        return ProgramResult("sandbox_error", tag=tag, detail=run.detail)
    result.detail = run.detail or f"the program {exit_description(run.exit_code)}"
    if result.exit_code is None:
        result.exit_code = run.exit_code
    return result
