"""The seam for model backends: requests in, completions and what each cost out.

A backend takes a batch of `GenerationRequest`s (one prompt, one sample index each) and
yields each request with its `Generation` or its `GenerationFailure` as it finishes, in any
order, the way an `Executor` yields checks: the caller writes every result the moment it
arrives, so a killed run loses only the requests in flight. Backends are registered lazily
in `BACKENDS` (as lm-evaluation-harness maps model names to modules), so importing
perfjudge never imports a model library:

- ``openai``: any OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp, Ollama, hosted
  APIs), streamed, with retries and rate limits (`generate.openai_compat`);
- ``hf``: a Hugging Face model in this process (`generate.hf`);
- ``vllm``: vLLM in this process, on a GPU (`generate.vllm`);
- ``scripted``: replies from a list, the fake for everything downstream of a model.
"""

from __future__ import annotations

import importlib
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from perfjudge.errors import Unavailable, UnknownName
from perfjudge.generate.extract import code_from_output, split_reasoning
from perfjudge.generate.prompts import Prompt
from perfjudge.records.task import Task
from perfjudge.samples import Sample


class BackendUnavailable(Unavailable):
    """The model cannot be reached, or its server refuses the key (exit code 3)."""


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.0
    top_p: float | None = None
    max_tokens: int = 768
    seed: int | None = None
    """Base seed: sample ``k`` of a task is asked with ``seed + k``, so samples differ and
    each one can be asked for again."""


@dataclass(frozen=True)
class GenerationRequest:
    prompt: Prompt
    sample_index: int
    params: SamplingParams

    @property
    def task_id(self) -> str:
        return self.prompt.task_id

    @property
    def seed(self) -> int | None:
        return None if self.params.seed is None else self.params.seed + self.sample_index


UsageSource = Literal["server", "tokenizer", "words"]


@dataclass(frozen=True)
class Generation:
    """One completion and what producing it cost, measured by the client.

    ``text`` is the model's visible answer (with the primed response prefix where the
    backend primed one); ``reasoning`` what it reported or wrapped in ``<think>`` apart.
    ``ttft_s`` is the time from sending the request to the first generated token (of any
    kind, reasoning included), ``latency_s`` to the last byte, ``tpot_s`` the time per
    output token after the first; ``device_s`` the seconds a local backend's device spent
    on it. Token counts come from the server's ``usage`` or the local tokenizer
    (``usage_source``); ``cost_usd`` is set from the price table, None if unpriced."""

    text: str
    model: str
    backend: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    reasoning: str | None = None
    ttft_s: float | None = None
    latency_s: float | None = None
    device_s: float | None = None
    finish_reason: str | None = None
    usage_source: UsageSource | None = None
    cost_usd: float | None = None

    @property
    def tpot_s(self) -> float | None:
        if self.ttft_s is None or self.latency_s is None or not self.completion_tokens \
                or self.completion_tokens < 2:
            return None
        return max(0.0, self.latency_s - self.ttft_s) / (self.completion_tokens - 1)

    def record(self) -> dict[str, Any]:
        """The generation fields of a samples line (`samples.GENERATION_KEYS`)."""
        fields = {"backend": self.backend, "model": self.model,
                  "prompt_tokens": self.prompt_tokens,
                  "completion_tokens": self.completion_tokens,
                  "reasoning_tokens": self.reasoning_tokens,
                  "ttft_s": _round(self.ttft_s), "latency_s": _round(self.latency_s),
                  "tpot_s": _round(self.tpot_s), "device_s": _round(self.device_s),
                  "finish_reason": self.finish_reason, "cost_usd": self.cost_usd,
                  "usage_source": self.usage_source}
        return {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True)
class GenerationFailure:
    """A request that did not produce a completion after the backend's retries.

    ``kind``: ``rate_limited`` (429 to the end), ``server_error`` (5xx), ``timeout``,
    ``connection`` (the server went away), ``rejected`` (4xx other than 429: the request
    itself is wrong for this server), ``unauthorized`` (401/403: the key is refused; the
    pipeline stops the run, every request would fail alike), ``backend_error`` (a local
    backend raised)."""

    kind: str
    message: str
    attempts: int = 1
    status: int | None = None

    def record(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "attempts": self.attempts,
                "status": self.status}


Outcome = Generation | GenerationFailure


class ModelBackend(Protocol):
    name: str
    model: str

    def check(self) -> None:
        """Fail fast (`errors.Unavailable`, exit 3) when the model cannot be reached or the
        key is refused, before any request is spent."""

    def identity(self) -> dict[str, Any]:
        """What the outputs depend on besides the prompt: backend, model, template."""

    def generate(self, requests: Sequence[GenerationRequest]
                 ) -> Iterator[tuple[GenerationRequest, Outcome]]:
        """Each request with its outcome, as each finishes (any order)."""

    def close(self) -> None: ...


class ScriptedBackend:
    """Replies from a list, in turn (cycling): the fake for tests of everything downstream
    of a model. Token counts are whitespace-separated words; a reply that is a
    `GenerationFailure` is that request's outcome."""

    name = "scripted"

    def __init__(self, replies: Sequence[str | GenerationFailure], model: str = "scripted",
                 latency_s: float = 0.0):
        if not replies:
            raise ValueError("a scripted backend needs at least one reply")
        self.model = model
        self.latency_s = latency_s
        self._replies = itertools.cycle(replies)
        self.requests: list[GenerationRequest] = []

    def check(self) -> None:
        return None

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "template": "none"}

    def generate(self, requests: Sequence[GenerationRequest]
                 ) -> Iterator[tuple[GenerationRequest, Outcome]]:
        for request in requests:
            self.requests.append(request)
            reply = next(self._replies)
            if self.latency_s:
                time.sleep(self.latency_s)
            if isinstance(reply, GenerationFailure):
                yield request, reply
                continue
            prompt = request.prompt.text or " ".join(m["content"] for m in request.prompt.messages)
            yield request, Generation(reply, self.model, self.name, len(prompt.split()),
                                      len(reply.split()), ttft_s=0.0,
                                      latency_s=self.latency_s, finish_reason="stop",
                                      usage_source="words")

    def close(self) -> None:
        return None


BACKENDS = {
    "openai": "perfjudge.generate.openai_compat:OpenAIBackend",
    "hf": "perfjudge.generate.hf:HFBackend",
    "vllm": "perfjudge.generate.vllm:VLLMBackend",
    "scripted": "perfjudge.generate.backends:ScriptedBackend",
}


def get_backend(name: str, **options: Any) -> ModelBackend:
    """The backend registered as ``name``, its module imported only now."""
    if name not in BACKENDS:
        raise UnknownName("model backend", name, BACKENDS)
    module, _, cls = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module), cls)(**options)


def to_sample(task: Task, generation: Generation, index: int) -> Sample:
    """The sample a samples file with this generation's line would give."""
    visible, reasoning = split_reasoning(generation.text)
    if reasoning and not generation.reasoning:
        generation = replace(generation, reasoning=reasoning)
    code, _ = code_from_output(visible, task)
    return Sample(f"{task.task_id}#{index}", task.task_id, code,
                  source=f"{generation.model} via {generation.backend}",
                  model=generation.model, raw=generation.text, generation=generation.record())


def generate_samples(backend: ModelBackend, tasks: Sequence[Task], prompts: dict[str, Prompt],
                     n: int = 1, params: SamplingParams | None = None) -> list[Sample]:
    """``n`` samples per task, in memory (no file, no resume): for library use and tests;
    `pipeline.generation.generate` is the resumable, file-backed path."""
    params = params or SamplingParams()
    by_id = {t.task_id: t for t in tasks}
    requests = [GenerationRequest(prompts[t.task_id], k, params) for t in tasks
                for k in range(n)]
    samples = []
    for request, outcome in backend.generate(requests):
        if isinstance(outcome, Generation):
            samples.append(to_sample(by_id[request.task_id], outcome, request.sample_index))
    return sorted(samples, key=lambda s: (s.task_id, int(s.sample_id.rsplit("#", 1)[1])))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


__all__ = ["BACKENDS", "BackendUnavailable", "Generation", "GenerationFailure",
           "GenerationRequest", "ModelBackend", "Outcome", "SamplingParams", "ScriptedBackend",
           "generate_samples", "get_backend", "to_sample"]
