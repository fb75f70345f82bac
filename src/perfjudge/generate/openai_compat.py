"""The ``openai`` backend: any OpenAI-compatible HTTP server, streamed so TTFT is real.

One request per sample (``n=1``: some servers ignore ``n``, and one request per sample is
what makes resume exact). Chat requests go to ``/chat/completions`` with the server's own
chat template, completion requests to ``/completions`` with the prompt's stop strings.
Streaming asks for ``stream_options.include_usage`` so token counts are the server's
(``usage`` in the last chunk); a server that rejects that option is asked again without it.
Reasoning arrives as ``delta.reasoning_content`` (vLLM, SGLang, DeepSeek) or
``delta.reasoning`` (Ollama, OpenRouter) and is kept apart from the answer; its token count
is ``usage.completion_tokens_details.reasoning_tokens`` where the server reports it.

Bad conditions, because a sweep runs for hours against servers that throttle and restart:
429, 500, 502, 503, 504, timeouts and dropped connections are retried with exponential
backoff and jitter that honours ``Retry-After`` (seconds or an HTTP date), a bounded number
of times (`RetryPolicy`: never an endless loop); what still fails is that request's
`GenerationFailure`, and every other request goes on. An unreachable server or a refused
key fails `check` before any request is spent (`BackendUnavailable`, exit 3).
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import httpx

from perfjudge.errors import Unavailable, UnknownName
from perfjudge.generate.backends import (
    Generation,
    GenerationFailure,
    GenerationRequest,
    Outcome,
)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class BackendUnavailable(Unavailable):
    """The model server cannot be reached, or refuses the key."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: at most ``attempts`` tries per request; the wait before try k+1 is
    the server's ``Retry-After`` when it sends one, else ``base_s * 2**k`` with full jitter,
    capped at ``max_wait_s``. A ``Retry-After`` longer than ``max_retry_after_s`` ends the
    request at once (a server that says "come back in an hour" is not waited for)."""

    attempts: int = 6
    base_s: float = 0.5
    max_wait_s: float = 30.0
    max_retry_after_s: float = 120.0

    def wait_s(self, attempt: int, retry_after: float | None) -> float | None:
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after_s else None
        return random.uniform(0, min(self.max_wait_s, self.base_s * 2 ** attempt))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110 10.2.3: delay-seconds or an
    HTTP-date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class RateLimiter:
    """Client-side requests-per-minute and tokens-per-minute limits over a sliding 60 s
    window, shared by all request threads. A request reserves its prompt estimate plus its
    ``max_tokens`` before it starts (a provider's TPM counts the cap too), so the window is
    never exceeded even when many requests start at once."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None,
                 window_s: float = 60.0):
        self.rpm, self.tpm, self.window = rpm, tpm, window_s
        self._starts: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()
        self._lock = threading.Condition()

    def acquire(self, tokens: int) -> float:
        """Block until a request of ``tokens`` may start; returns the seconds waited."""
        if not self.rpm and not self.tpm:
            return 0.0
        if self.tpm and tokens > self.tpm:
            tokens = int(self.tpm)  # one request larger than the budget: let it go alone
        started = time.monotonic()
        with self._lock:
            while True:
                now = time.monotonic()
                while self._starts and self._starts[0] <= now - self.window:
                    self._starts.popleft()
                while self._tokens and self._tokens[0][0] <= now - self.window:
                    self._tokens.popleft()
                waits = []
                if self.rpm and len(self._starts) >= self.rpm:
                    waits.append(self._starts[0] + self.window - now)
                used = sum(t for _, t in self._tokens)
                if self.tpm and used + tokens > self.tpm and self._tokens:
                    waits.append(self._tokens[0][0] + self.window - now)
                if not waits:
                    self._starts.append(now)
                    self._tokens.append((now, tokens))
                    return now - started
                self._lock.wait(timeout=max(0.001, min(waits)))


class OpenAIBackend:
    name = "openai"

    def __init__(self, model: str, base_url: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 4,
                 rpm: float | None = None, tpm: float | None = None, stream: bool = True,
                 timeout_s: float = 600.0, retry: RetryPolicy | None = None,
                 extra_body: dict[str, Any] | None = None):
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL")
                         or "https://api.openai.com/v1").rstrip("/")
        key = os.environ.get(api_key_env)
        self.api_key_env = api_key_env
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.concurrency = max(1, concurrency)
        self.limiter = RateLimiter(rpm, tpm)
        self.stream = stream
        self.retry = retry or RetryPolicy()
        self.extra_body = dict(extra_body or {})
        self._usage_option = True
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            limits=httpx.Limits(max_connections=self.concurrency,
                                max_keepalive_connections=self.concurrency))
        self._stop = threading.Event()

    # ----------------------------------------------------------------- the seam

    def check(self) -> None:
        try:
            response = self._client.get("/models", timeout=15.0)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(
                f"cannot reach the model server at {self.base_url}: {_why(exc)} (is it "
                "running? check --base-url)") from None
        if response.status_code in (401, 403):
            raise BackendUnavailable(
                f"the model server at {self.base_url} refused the API key (HTTP "
                f"{response.status_code}): set ${self.api_key_env} or --api-key-env") from None
        if response.status_code != 200:
            return  # some servers have no /models; the first request will tell
        try:
            served = [m["id"] for m in response.json().get("data", [])]
        except (ValueError, AttributeError, KeyError, TypeError):
            return
        if served and self.model not in served:
            raise UnknownName("model", self.model, served, where=self.base_url,
                              hint="`--model` must be one the server lists at /models.")

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "base_url": self.base_url,
                "template": "applied by the server"}

    def generate(self, requests: Sequence[GenerationRequest]
                 ) -> Iterator[tuple[GenerationRequest, Outcome]]:
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="perfjudge-gen")
        pending: dict[Future, GenerationRequest] = {}
        queue = list(reversed(requests))
        try:
            while queue or pending:
                while queue and len(pending) < self.concurrency:
                    request = queue.pop()
                    pending[pool.submit(self._one, request)] = request
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
        finally:
            self._stop.set()
            if pending:  # interrupted: end the requests in flight instead of waiting them out
                self._client.close()
            pool.shutdown(wait=True, cancel_futures=True)
            self._stop.clear()

    def close(self) -> None:
        self._client.close()

    # ----------------------------------------------------------------- one request

    def _one(self, request: GenerationRequest) -> Outcome:
        body = self._body(request)
        estimate = request.params.max_tokens + _estimate_tokens(request)
        failure: GenerationFailure | None = None
        for attempt in range(self.retry.attempts):
            if self._stop.is_set():
                return GenerationFailure("connection", "the run was stopped", attempt)
            self.limiter.acquire(estimate)
            outcome, retry_after = self._send(request, body, attempt + 1)
            if isinstance(outcome, Generation):
                return outcome
            failure = outcome
            if outcome.kind == "rejected":
                if self._usage_option and "stream_options" in outcome.message:
                    self._usage_option = False
                    body = self._body(request)
                    continue
                return outcome
            if attempt + 1 == self.retry.attempts:
                break
            delay = self.retry.wait_s(attempt, retry_after)
            if delay is None:
                return GenerationFailure(outcome.kind, f"{outcome.message}; the server asked "
                                         f"to wait {retry_after:.0f} s, more than the "
                                         f"{self.retry.max_retry_after_s:.0f} s allowed",
                                         attempt + 1, outcome.status)
            if self._stop.wait(delay):
                break
        assert failure is not None
        return GenerationFailure(failure.kind, failure.message + f" (after {failure.attempts}"
                                 " attempts)", failure.attempts, failure.status)

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        p, prompt = request.params, request.prompt
        body: dict[str, Any] = {"model": self.model, "max_tokens": p.max_tokens,
                                "temperature": p.temperature, "n": 1, "stream": self.stream}
        if p.top_p is not None:
            body["top_p"] = p.top_p
        if request.seed is not None:
            body["seed"] = request.seed
        if prompt.chat:
            body["messages"] = list(prompt.messages)
        else:
            body["prompt"] = prompt.text
            if prompt.stop:
                body["stop"] = list(prompt.stop)[:4]  # OpenAI's API takes at most 4
        if self.stream and self._usage_option:
            body["stream_options"] = {"include_usage": True}
        body.update(self.extra_body)
        return body

    def _send(self, request: GenerationRequest, body: dict[str, Any], attempt: int
              ) -> tuple[Outcome, float | None]:
        path = "/chat/completions" if request.prompt.chat else "/completions"
        started = time.perf_counter()
        try:
            if not self.stream:
                response = self._client.post(path, json=body)
                if response.status_code != 200:
                    return _http_failure(response, attempt)
                return self._whole(response.json(), started, request), None
            with self._client.stream("POST", path, json=body) as response:
                if response.status_code != 200:
                    response.read()
                    return _http_failure(response, attempt)
                return self._streamed(response, started, request), None
        except httpx.TimeoutException as exc:
            return GenerationFailure("timeout", f"{type(exc).__name__}: {exc}", attempt), None
        except (httpx.TransportError, httpx.StreamError) as exc:
            return GenerationFailure("connection", _why(exc), attempt), None
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            return GenerationFailure("server_error", f"unreadable response: {exc!r}",
                                     attempt), None

    def _streamed(self, response: httpx.Response, started: float,
                  request: GenerationRequest) -> Outcome:
        text: list[str] = []
        reasoning: list[str] = []
        first: float | None = None
        finish = None
        usage: dict[str, Any] = {}
        complete = False
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                complete = True
                break
            chunk = json.loads(data)
            if chunk.get("error"):
                return GenerationFailure("server_error", f"error in stream: {chunk['error']}")
            if chunk.get("usage"):
                usage = chunk["usage"]
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                piece = delta.get("content") if request.prompt.chat else choice.get("text")
                thought = delta.get("reasoning_content") or delta.get("reasoning")
                if (piece or thought) and first is None:
                    first = time.perf_counter()
                if piece:
                    text.append(piece)
                if thought:
                    reasoning.append(thought)
                finish = choice.get("finish_reason") or finish
        end = time.perf_counter()
        if not complete and finish is None:
            return GenerationFailure("connection", "the stream ended before the answer was "
                                     "complete (no finish_reason, no [DONE])")
        return self._generation("".join(text), "".join(reasoning) or None, usage, finish,
                                None if first is None else first - started, end - started)

    def _whole(self, data: dict[str, Any], started: float,
               request: GenerationRequest) -> Outcome:
        end = time.perf_counter()
        choice = data["choices"][0]
        if request.prompt.chat:
            message = choice.get("message") or {}
            text = message.get("content") or ""
            thought = message.get("reasoning_content") or message.get("reasoning")
        else:
            text, thought = choice.get("text") or "", None
        return self._generation(text, thought, data.get("usage") or {},
                                choice.get("finish_reason"), None, end - started)

    def _generation(self, text: str, reasoning: str | None, usage: dict[str, Any],
                    finish: str | None, ttft: float | None, latency: float) -> Generation:
        details = usage.get("completion_tokens_details") or {}
        return Generation(
            text, self.model, self.name,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            reasoning_tokens=details.get("reasoning_tokens"),
            reasoning=reasoning, ttft_s=ttft, latency_s=latency, finish_reason=finish,
            usage_source="server" if usage else None)


def _http_failure(response: httpx.Response, attempt: int) -> tuple[GenerationFailure,
                                                                   float | None]:
    status = response.status_code
    try:
        detail = response.text[:300]
    except (httpx.HTTPError, UnicodeDecodeError):
        detail = ""
    if status == 429:
        kind = "rate_limited"
    elif status in RETRY_STATUS:
        kind = "server_error"
    else:
        kind = "rejected"
    message = f"HTTP {status} from {response.request.url.path}: {detail}".rstrip(": ")
    return (GenerationFailure(kind, message, attempt, status),
            parse_retry_after(response.headers.get("retry-after")) if status in RETRY_STATUS
            else None)


def _estimate_tokens(request: GenerationRequest) -> int:
    """A prompt's token count before the server says: ~4 characters per token (OpenAI's
    rule of thumb for English), only for reserving rate-limit budget."""
    prompt = request.prompt
    chars = len(prompt.text or "") + sum(len(m["content"]) for m in prompt.messages)
    return chars // 4 + 1


def _why(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return f"{type(exc).__name__}: {exc}" + (f" ({cause})" if cause and str(cause) not in
                                             str(exc) else "")


__all__ = ["BackendUnavailable", "OpenAIBackend", "RateLimiter", "RetryPolicy",
           "parse_retry_after"]
