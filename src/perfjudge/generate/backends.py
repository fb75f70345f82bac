"""The seam for model backends: something that turns a prompt into completions and says
what each cost (tokens, latency, money).

Only the scripted fake is here today; the generation issue adds the OpenAI-compatible,
Hugging Face and vLLM backends behind the same protocol, registered lazily in `BACKENDS` (as
lm-evaluation-harness maps model names to modules) so that importing perfjudge never
imports a model library. `to_sample` turns a completion into the `Sample` the pipeline
judges, with its generation record, exactly as a samples file would have given it.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from perfjudge.errors import UnknownName
from perfjudge.generate.extract import code_from_output
from perfjudge.records.task import Task
from perfjudge.samples import Sample


@dataclass(frozen=True)
class Generation:
    """One completion and what producing it cost."""

    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    cost_usd: float | None = None
    finish_reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def record(self) -> dict[str, Any]:
        """The generation record, in the field names samples files use
        (`samples.GENERATION_KEYS`)."""
        usage = {k: v for k, v in (("prompt_tokens", self.prompt_tokens),
                                   ("completion_tokens", self.completion_tokens))
                 if v is not None}
        fields = {"usage": usage or None, "latency_s": self.latency_s,
                  "cost_usd": self.cost_usd, "finish_reason": self.finish_reason,
                  **{k: self.params[k] for k in ("temperature", "seed") if k in self.params}}
        return {k: v for k, v in fields.items() if v is not None}


class ModelBackend(Protocol):
    name: str

    def generate(self, prompt: str, *, n: int = 1, **params: Any) -> list[Generation]:
        """``n`` completions of ``prompt``; ``params`` are sampling settings (temperature,
        max_tokens, seed) the backend honours or rejects, never silently drops."""


class ScriptedBackend:
    """Replies from a list, in turn (cycling): the fake for tests of everything downstream
    of a model. Token counts are whitespace-separated words, latency 0."""

    name = "scripted"

    def __init__(self, replies: Sequence[str], model: str = "scripted"):
        if not replies:
            raise ValueError("a scripted backend needs at least one reply")
        self.model = model
        self._replies = itertools.cycle(replies)
        self.prompts: list[str] = []

    def generate(self, prompt: str, *, n: int = 1, **params: Any) -> list[Generation]:
        self.prompts.append(prompt)
        out = []
        for _ in range(n):
            text = next(self._replies)
            out.append(Generation(text, self.model, len(prompt.split()), len(text.split()),
                                  0.0, 0.0, "stop", dict(params)))
        return out


BACKENDS = {"scripted": "perfjudge.generate.backends:ScriptedBackend"}


def get_backend(name: str, **options: Any) -> ModelBackend:
    """The backend registered as ``name``, its module imported only now."""
    if name not in BACKENDS:
        raise UnknownName("model backend", name, BACKENDS)
    module, _, cls = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module), cls)(**options)


def to_sample(task: Task, generation: Generation, index: int) -> Sample:
    code, _ = code_from_output(generation.text, task)
    return Sample(f"{task.task_id}#{index}", task.task_id, code,
                  source=f"{generation.model} via backend", model=generation.model,
                  raw=generation.text, generation=generation.record())


def generate_samples(backend: ModelBackend, tasks: Iterable[Task], n: int = 1,
                     **params: Any) -> list[Sample]:
    """``n`` samples per task from the task's prompt."""
    samples: list[Sample] = []
    for task in tasks:
        for k, generation in enumerate(backend.generate(task.prompt, n=n, **params)):
            samples.append(to_sample(task, generation, k))
    return samples


__all__ = ["BACKENDS", "Generation", "ModelBackend", "ScriptedBackend", "generate_samples",
           "get_backend", "to_sample"]
