"""The HTTP face of the service: routes, request models, the status of each failure.

    POST /v1/judge          one judge request -> verdict, costs, scores, reward
    POST /v1/judge/batch    a list of them -> a list of answers, in order
    POST /run_code          SandboxFusion's /run_code, for clients such as verl's reward
    GET  /v1/health         liveness and queue (no token needed)
    GET  /metrics           Prometheus text

Every route but health also answers under ``/t/<token>/...``, for clients that cannot send
an ``Authorization`` header (verl's sandbox-fusion client sends none). Status codes:

    401 no token, 403 wrong token, 404 unknown benchmark or task, 413 body over the limit,
    422 a request that cannot be judged as asked, 429 queue full (Retry-After),
    503 the judge or the machine failed (never the sample's doing), 504 not judged in time.

On ``/run_code`` a full queue is 504 instead of 429: that client retries on 504 alone.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from perfjudge import __version__
from perfjudge.errors import JudgeFault, PerfjudgeError, Unavailable, UnknownName, UsageError
from perfjudge.records.program import ProgramRequest
from perfjudge.service import run_code as sandbox_fusion
from perfjudge.service.judging import JudgeInput, JudgeService, NotJudgedInTime, Overloaded
from perfjudge.service.metrics import ServiceMetrics

PUBLIC = ("/v1/health",)
DEFAULT_MAX_BODY = 8 << 20


class LimitsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeout_s: float | None = Field(None, gt=0, description="CPU seconds per test (at most "
                                    "the service's)")
    memory_mb: int | None = Field(None, gt=0, description="memory limit in MiB (at most the "
                                  "service's)")


class JudgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    benchmark: str = Field(..., examples=["humaneval+"])
    task_id: str = Field(..., examples=["HumanEval/0"])
    code: str | None = Field(None, description="the whole solution module")
    completion: str | None = Field(None, description="text that follows the task's prompt")
    meter: str | None = Field(None, description="valgrind | instructions | none; default: "
                              "the benchmark's (none for pass@k benchmarks)")
    limits: LimitsIn | None = None
    reward: Literal["pass", "pass_rate", "efficiency"] = "pass"
    reward_cap: float = Field(1.0, gt=0, description="efficiency reward: speedups up to "
                              "this earn more (1: ACECode's)")

    @model_validator(mode="after")
    def _one_code(self) -> "JudgeIn":
        if (self.code is None) == (self.completion is None):
            raise ValueError("give exactly one of 'code' and 'completion'")
        return self

    def to_input(self) -> JudgeInput:
        limits = self.limits or LimitsIn()
        return JudgeInput(self.benchmark, self.task_id, self.code, self.completion, self.meter,
                          limits.timeout_s, limits.memory_mb, self.reward, self.reward_cap)


class RunCodeIn(BaseModel):
    """SandboxFusion's RunCodeRequest (sandbox/server/sandbox_api.py), plus ``meter``."""

    model_config = ConfigDict(extra="ignore")
    compile_timeout: float = 10
    run_timeout: float = Field(10, gt=0)
    memory_limit_MB: int = -1
    code: str
    stdin: str | None = None
    language: str
    files: dict[str, str | None] = {}
    fetch_files: list[str] = []
    meter: str | None = None


def status_of(exc: PerfjudgeError) -> int:
    if isinstance(exc, Overloaded):
        return 429
    if isinstance(exc, NotJudgedInTime):
        return 504
    if isinstance(exc, UnknownName):
        return 404
    if isinstance(exc, UsageError):
        return 422
    if isinstance(exc, (Unavailable, JudgeFault)):
        return 503
    return 500


def error_body(exc: PerfjudgeError) -> dict[str, Any]:
    return {"error": type(exc).__name__, "message": str(exc), "status": status_of(exc)}


def error_response(exc: PerfjudgeError, run_code: bool = False) -> JSONResponse:
    status = status_of(exc)
    headers = {}
    if isinstance(exc, Overloaded):
        headers["Retry-After"] = str(exc.retry_after)
        if run_code:
            status = 504
    return JSONResponse(error_body(exc) | {"status": status}, status_code=status,
                        headers=headers)


def create_app(service: JudgeService, *, token: str | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY) -> Any:
    """The ASGI app: the routes behind the `Gate` (token, body limit, metrics)."""
    metrics = ServiceMetrics(lambda: service.admission.depth)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await asyncio.get_running_loop().run_in_executor(None, service.close)

    api = FastAPI(title="perfjudge", version=__version__, lifespan=lifespan,
                  description="Is this code correct, and what does it cost? Verdicts, "
                              "deterministic costs and rewards from perfjudge's sandbox.")

    @api.exception_handler(PerfjudgeError)
    async def _perfjudge_error(request: Request, exc: PerfjudgeError) -> JSONResponse:
        return error_response(exc, run_code=request.url.path.endswith("/run_code"))

    @api.post("/v1/judge")
    async def judge(body: JudgeIn) -> JSONResponse:
        answer = await service.judge(body.to_input())
        _count(metrics, answer)
        status = 503 if answer["verdict"] == "sandbox_error" else 200
        return JSONResponse(answer, status_code=status,
                            headers={"Retry-After": "1"} if status == 503 else None)

    @api.post("/v1/judge/batch")
    async def judge_batch(body: list[JudgeIn]) -> list[dict[str, Any]]:
        answers = await service.judge_many([b.to_input() for b in body])
        out = []
        for answer in answers:
            if isinstance(answer, PerfjudgeError):
                out.append(error_body(answer))
            else:
                _count(metrics, answer)
                out.append(answer | {"status": 503 if answer["verdict"] == "sandbox_error"
                                     else 200})
        return out

    @api.post("/run_code")
    async def run_code(body: RunCodeIn) -> dict[str, Any]:
        problem = sandbox_fusion.unsupported(body.language, body.files, body.fetch_files)
        if problem:
            return sandbox_fusion.sandbox_error(problem)
        limits = sandbox_fusion.limits_for(service.limits, body.run_timeout,
                                           body.memory_limit_MB)
        result = await service.run_program(ProgramRequest(
            body.code, body.stdin or "", "python", body.meter, limits))
        return sandbox_fusion.response(result)

    @api.get("/v1/health")
    async def health() -> dict[str, Any]:
        return service.health() | {"version": __version__}

    @api.get("/metrics")
    async def prometheus() -> Response:
        text, content_type = metrics.text()
        return Response(text, media_type=content_type)

    return Gate(api, token=token, max_body_bytes=max_body_bytes, metrics=metrics)


def _count(metrics: ServiceMetrics, answer: dict[str, Any]) -> None:
    metrics.verdict(answer["verdict"], answer["cached"])


class Gate:
    """Pure ASGI, in front of the routes: takes a token from ``/t/<token>/`` or the
    ``Authorization: Bearer`` header and checks it, refuses a body over the limit before
    the app reads it, and records each answer's status and latency."""

    def __init__(self, app: Any, *, token: str | None, max_body_bytes: int,
                 metrics: ServiceMetrics):
        self.app = app
        self.token = token
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        given = None
        if path.startswith("/t/"):
            given, _, rest = path[3:].partition("/")
            path = "/" + rest
            scope = dict(scope, path=path, raw_path=path.encode())
        else:
            header = dict(scope.get("headers") or []).get(b"authorization", b"").decode(
                "latin-1")
            if header.lower().startswith("bearer "):
                given = header[7:].strip()
        status = {"code": 500}

        async def send_counted(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            refusal = self._refusal(path, given)
            if refusal is None and scope["method"] in ("POST", "PUT", "PATCH"):
                refusal, receive = await self._read_body(scope, receive)
            if refusal is not None:
                await refusal(scope, receive, send_counted)
            else:
                await self.app(scope, receive, send_counted)
        finally:
            self.metrics.observe(path, status["code"], time.perf_counter() - started)

    def _refusal(self, path: str, given: str | None) -> JSONResponse | None:
        if self.token is None or path in PUBLIC:
            return None
        if not given:
            return JSONResponse({"error": "Unauthorized", "status": 401, "message":
                                 "this service needs its token: 'Authorization: Bearer "
                                 "TOKEN', or the path prefix /t/TOKEN/"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return JSONResponse({"error": "Forbidden", "status": 403,
                                 "message": "wrong token"}, status_code=403)
        return None

    async def _read_body(self, scope: dict, receive: Any) -> tuple[JSONResponse | None, Any]:
        """The whole body (at most the limit), and a ``receive`` that replays it."""
        too_big = JSONResponse({"error": "PayloadTooLarge", "status": 413, "message":
                                f"the body is larger than the service's limit of "
                                f"{self.max_body_bytes} bytes"}, status_code=413)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return too_big, receive
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return Response(status_code=400), receive
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return too_big, receive
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return None, replay
