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
429, 408, every 5xx but 501/505, timeouts and dropped or cut streams are retried with exponential
backoff and jitter that honours ``Retry-After`` (seconds or an HTTP date), a bounded number
of times (`RetryPolicy`: never an endless loop); what still fails is that request's
`GenerationFailure`, and every other request goes on. An unreachable server or a refused
key fails `check` before any request is spent (`BackendUnavailable`, exit 3).
"""

from __future__ import annotations

import email.utils
import json
import os
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from perfjudge.errors import UnknownName
from perfjudge.generate.backends import (
    BackendUnavailable,
    Generation,
    GenerationFailure,
    GenerationRequest,
    Outcome,
)

NOT_RETRIED_5XX = frozenset({501, 505})
"""Not implemented / HTTP version not supported: asking again cannot help."""


def _retried(status: int) -> bool:
    """429, 408 and every 5xx but 501 and 505 (529 "overloaded", 520-524 from proxies)."""
    return status in (408, 429) or (500 <= status < 600 and status not in NOT_RETRIED_5XX)


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

    def acquire(self, tokens: int, stop: threading.Event | None = None) -> float:
        """Block until a request of ``tokens`` may start (or ``stop`` is set); returns the
        seconds waited."""
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
                if not waits or (stop is not None and stop.is_set()):
                    self._starts.append(now)
                    self._tokens.append((now, tokens))
                    return now - started
                self._lock.wait(timeout=min(0.1, max(0.001, min(waits))))


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
        """``concurrency`` daemon threads take requests in order and put outcomes on a
        queue. Closing the iterator early (Ctrl-C) sets this call's stop event and returns at
        once: no thread is waited for (a request blocked on a silent server would hold the
        run for its whole read timeout); a thread still in flight ends at its next chunk,
        retry or rate-limit wait, its outcome unread."""
        stop = threading.Event()
        todo: queue.SimpleQueue = queue.SimpleQueue()
        done: queue.SimpleQueue = queue.SimpleQueue()
        for request in requests:
            todo.put(request)

        def work() -> None:
            while not stop.is_set():
                try:
                    request = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcome = self._one(request, stop)
                except Exception as exc:  # a bug here must not lose the other requests
                    outcome = GenerationFailure("backend_error", f"{type(exc).__name__}: "
                                                f"{exc}")
                done.put((request, outcome))

        threads = [threading.Thread(target=work, daemon=True, name=f"perfjudge-gen-{k}")
                   for k in range(min(self.concurrency, len(requests)))]
        for thread in threads:
            thread.start()
        try:
            for _ in range(len(requests)):
                yield done.get()
        finally:
            stop.set()

    def close(self) -> None:
        self._client.close()

    # ----------------------------------------------------------------- one request

    def _one(self, request: GenerationRequest, stop: threading.Event) -> Outcome:
        usage_option = self._usage_option
        body = self._body(request, usage_option)
        estimate = request.params.max_tokens + _estimate_tokens(request)
        failure: GenerationFailure | None = None
        attempt = 0
        while attempt < self.retry.attempts:
            if stop.is_set():
                return GenerationFailure("connection", "the run was stopped", attempt)
            self.limiter.acquire(estimate, stop)
            attempt += 1
            outcome, retry_after = self._send(request, body, attempt, stop)
            if isinstance(outcome, Generation):
                return outcome
            failure = outcome
            if outcome.kind in ("rejected", "unauthorized"):
                if usage_option and "stream_options" in outcome.message:
                    # this server refuses the usage option: ask again without it (not a try)
                    self._usage_option = usage_option = False
                    body = self._body(request, usage_option)
                    attempt -= 1
                    continue
                return outcome
            if attempt == self.retry.attempts:
                break
            delay = self.retry.wait_s(attempt - 1, retry_after)
            if delay is None:
                return GenerationFailure(outcome.kind, f"{outcome.message}; the server asked "
                                         f"to wait {retry_after:.0f} s, more than the "
                                         f"{self.retry.max_retry_after_s:.0f} s allowed",
                                         attempt, outcome.status)
            if stop.wait(delay):
                break
        assert failure is not None
        return GenerationFailure(failure.kind, failure.message + f" (after {failure.attempts}"
                                 " attempts)", failure.attempts, failure.status)

    def _body(self, request: GenerationRequest, usage_option: bool) -> dict[str, Any]:
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
                # OpenAI's API takes at most 4; the rest are cut here (`_cut`)
                body["stop"] = list(prompt.stop)[:4]
        if self.stream and usage_option:
            body["stream_options"] = {"include_usage": True}
        body.update(self.extra_body)
        return body

    def _send(self, request: GenerationRequest, body: dict[str, Any], attempt: int,
              stop: threading.Event) -> tuple[Outcome, float | None]:
        path = "/chat/completions" if request.prompt.chat else "/completions"
        started = time.perf_counter()
        try:
            if not self.stream:
                response = self._client.post(path, json=body)
                if response.status_code != 200:
                    return _http_failure(response, attempt)
                return self._whole(response.json(), started, request, attempt), None
            with self._client.stream("POST", path, json=body) as response:
                if response.status_code != 200:
                    response.read()
                    return _http_failure(response, attempt)
                if "event-stream" not in response.headers.get("content-type", ""):
                    # a server that ignores stream=true answers with one JSON object
                    return self._whole(json.loads(response.read()), started, request,
                                       attempt), None
                return self._streamed(response, started, request, attempt, stop), None
        except httpx.TimeoutException as exc:
            return GenerationFailure("timeout", f"{type(exc).__name__}: {exc}", attempt), None
        except (httpx.TransportError, httpx.StreamError) as exc:
            return GenerationFailure("connection", _why(exc), attempt), None
        except Exception as exc:  # anything unreadable in an answer is the server's
            return GenerationFailure("server_error", f"unreadable response: {exc!r}"[:300],
                                     attempt), None

    def _streamed(self, response: httpx.Response, started: float,
                  request: GenerationRequest, attempt: int, stop: threading.Event) -> Outcome:
        text: list[str] = []
        reasoning: list[str] = []
        first: float | None = None
        finish = None
        usage: dict[str, Any] = {}
        complete = False
        for line in response.iter_lines():
            if stop.is_set():
                return GenerationFailure("connection", "the run was stopped", attempt)
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                complete = True
                break
            chunk = json.loads(data)
            if chunk.get("error"):
                return GenerationFailure("server_error", f"error in stream: {chunk['error']}",
                                         attempt)
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
                                     "complete (no finish_reason, no [DONE])", attempt)
        return self._generation(request, "".join(text), "".join(reasoning) or None, usage,
                                finish, None if first is None else first - started,
                                end - started)

    def _whole(self, data: dict[str, Any], started: float,
               request: GenerationRequest, attempt: int) -> Outcome:
        end = time.perf_counter()
        if not isinstance(data, dict) or not data.get("choices"):
            return GenerationFailure("server_error", f"an answer without choices: "
                                     f"{str(data)[:200]}", attempt)
        choice = data["choices"][0]
        if request.prompt.chat:
            message = choice.get("message") or {}
            text = message.get("content") or ""
            thought = message.get("reasoning_content") or message.get("reasoning")
        else:
            text, thought = choice.get("text") or "", None
        return self._generation(request, text, thought, data.get("usage") or {},
                                choice.get("finish_reason"), None, end - started)

    def _generation(self, request: GenerationRequest, text: str, reasoning: str | None,
                    usage: Any, finish: str | None, ttft: float | None,
                    latency: float) -> Generation:
        usage = usage if isinstance(usage, dict) else {}
        details = usage.get("completion_tokens_details") or {}
        details = details if isinstance(details, dict) else {}
        text, cut = _cut(text, request.prompt.stop)
        if cut:
            finish = "stop"
        return Generation(
            text, self.model, self.name,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            reasoning_tokens=details.get("reasoning_tokens"),
            reasoning=reasoning, ttft_s=ttft, latency_s=latency, finish_reason=finish,
            usage_source="server" if usage else None)


def _cut(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the first stop string (the server was sent at most 4 of them)."""
    ends = [text.index(s) for s in stops if s in text]
    return (text[:min(ends)], True) if ends else (text, False)


def _http_failure(response: httpx.Response, attempt: int) -> tuple[GenerationFailure,
                                                                   float | None]:
    status = response.status_code
    try:
        detail = response.text[:300]
    except (httpx.HTTPError, UnicodeDecodeError):
        detail = ""
    if status in (401, 403):
        kind = "unauthorized"  # the pipeline stops the run: every request would fail alike
    elif status == 429:
        kind = "rate_limited"
    elif _retried(status):
        kind = "server_error" if status >= 500 else "timeout"
    else:
        kind = "rejected"
    message = f"HTTP {status} from {response.request.url.path}: {detail}".rstrip(": ")
    return (GenerationFailure(kind, message, attempt, status),
            parse_retry_after(response.headers.get("retry-after")) if _retried(status)
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
