"""Prompts built the way the benchmarks' authors prompt.

Chat models get EvalPlus's instruction (``evalplus/codegen.py``: ``instruction_prefix`` and
``response_prefix``, with the ``perf-instruct`` and ``perf-CoT`` variants EvalPerf uses)
and the task prompt in a fence, as ``evalplus/provider/openai.py`` sends it. Where the
chat template is applied here (the ``hf`` and ``vllm`` backends), the assistant turn is
primed with the response prefix and an open ```` ```python ```` fence, as
``evalplus/provider/utility.py:make_raw_chat_prompt`` does. Base models get the raw prompt
(direct completion) and EvalPlus's stop strings (``EOS`` plus
``extra_eos_for_direct_completion('humaneval')``).

Deliberate difference: program tasks (stdin/stdout, COFFE's file level) say "program that
reads standard input" where EvalPlus, which has none, says "function".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

from perfjudge.errors import UnknownName
from perfjudge.records.task import Task

PromptStyle = Literal["instruct", "perf-instruct", "perf-cot"]

STYLES: dict[str, tuple[str, str]] = {
    "instruct": (
        "Please provide a self-contained Python script that solves the following problem "
        "in a markdown code block:",
        "Below is a Python script with a self-contained function that solves the problem "
        "and passes corresponding tests:"),
    "perf-instruct": (
        "Please provide an efficient and self-contained Python script that solves the "
        "following problem in a markdown code block:",
        "Below is a Python script with a self-contained function that efficiently solves "
        "the problem and passes corresponding tests:"),
    "perf-cot": (
        "Think step by step: please provide an efficient and self-contained Python script "
        "that solves the following problem in a markdown code block:",
        "Below is a Python script with a self-contained function that efficiently solves "
        "the problem and passes corresponding tests:"),
}

COMPLETION_STOP = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nimport ",
                   "\nfrom ", "\nassert ", "\ndef main(", "<|endoftext|>", "<|endofmask|>",
                   "</s>")
"""EvalPlus's stop strings for direct completion of HumanEval-style prompts (its ``EOS`` and
``extra_eos_for_direct_completion('humaneval')``), the four that end a function body first:
an OpenAI-compatible server is sent only four (the API's limit) and the client cuts at the
rest; the end-of-text tokens stop a server by themselves."""


@dataclass(frozen=True)
class Prompt:
    """What one request sends: chat ``messages`` or a raw completion ``text``."""

    task_id: str
    style: str
    messages: tuple[dict[str, str], ...] = ()
    text: str | None = None
    response_prefix: str | None = None
    """Primes the assistant turn where the template is applied here (``hf``, ``vllm``)."""
    stop: tuple[str, ...] = field(default=())

    @property
    def chat(self) -> bool:
        return self.text is None

    @property
    def sha256(self) -> str:
        """Identity of the prompt as sent (messages or text, prefix and stops)."""
        body = json.dumps([list(self.messages), self.text, self.response_prefix,
                           list(self.stop)], sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()

    def to_dict(self) -> dict:
        return {"task_id": self.task_id, "style": self.style, "messages": list(self.messages),
                "text": self.text, "response_prefix": self.response_prefix,
                "stop": list(self.stop), "sha256": self.sha256}


def build_prompt(task: Task, *, chat: bool = True, style: str = "instruct",
                 system: str | None = None) -> Prompt:
    """The prompt for ``task``: chat (instruction + fenced task prompt) or completion (raw)."""
    if style not in STYLES:
        raise UnknownName("prompt style", style, STYLES)
    body = task.prompt or str(task.metadata.get("prompt", ""))
    if not chat:
        stop = COMPLETION_STOP if task.kind == "function" else ()
        return Prompt(task.task_id, "completion", text=body, stop=stop)
    instruction, response = STYLES[style]
    if task.kind == "program":
        instruction = instruction.replace("Python script", "Python program that reads "
                                          "standard input and writes standard output and")
        response = response.replace("self-contained function", "self-contained program")
    messages: list[dict[str, str]] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": f"{instruction}\n```python\n{body.strip()}\n```"})
    return Prompt(task.task_id, style, messages=tuple(messages),
                  response_prefix=f"{response}\n```python\n")


__all__ = ["COMPLETION_STOP", "STYLES", "Prompt", "PromptStyle", "build_prompt"]
