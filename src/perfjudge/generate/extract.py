"""From a model's raw output to a runnable program: markdown fences, the block that defines
the entry point, and the prompt's imports a full solution left out.

Apart from `samples` because generation and refinement need it before any samples file
exists (a model's reply is turned into code the moment it arrives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perfjudge.records.task import Task

_FENCE_OPEN = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*\{?(?P<label>[\w.+#-]*)\}?.*$"
)
_PYTHON_LABELS = {"python", "py", "python3", "py3", "pycon", "ipython"}


@dataclass(frozen=True)
class CodeBlock:
    label: str
    code: str
    terminated: bool


def fenced_blocks(text: str) -> list[CodeBlock]:
    """Markdown fenced blocks in order; an unterminated final fence runs to the end of the
    text (models that hit the token limit stop mid-block)."""
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE_OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        fence, label = match["fence"], match["label"].lower()
        indent = len(match["indent"])  # fences nested in list items: strip their indent
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        i += 1
        while i < len(lines) and not close.match(lines[i]):
            line = lines[i]
            strip = len(line) - len(line.lstrip(" \t"))
            body.append(line[min(indent, strip):])
            i += 1
        terminated = i < len(lines)
        blocks.append(CodeBlock(label, "\n".join(body) + "\n", terminated))
        i += 1
    return blocks


def defines(code: str, name: str) -> bool:
    return re.search(rf"^\s*(async\s+)?def\s+{re.escape(name)}\s*\(", code, re.M) is not None


def pick_block(blocks: list[CodeBlock], entry_point: str | None) -> CodeBlock | None:
    """The python block that defines the entry point, else the longest (ties: the last).
    Python-labelled blocks win over unlabelled ones, which are often example input/output."""
    python = [b for b in blocks if b.label in _PYTHON_LABELS]
    candidates = python or [b for b in blocks if b.label == ""]
    if entry_point:
        defining = [b for b in candidates if defines(b.code, entry_point)]
        candidates = defining or candidates
    best: CodeBlock | None = None
    for block in candidates:
        if not block.code.strip():
            continue
        if best is None or len(block.code.strip()) >= len(best.code.strip()):
            best = block
    return best


def _prompt_imports(code: str, prompt: str) -> str:
    """Prepend the prompt's top-level imports a full solution left out (``from typing import
    List`` is the classic): the task gave them, the model assumed them."""
    present = set(code.splitlines())
    missing = [
        line
        for line in prompt.splitlines()
        if re.match(r"^(import\s+\w|from\s+\S+\s+import\s)", line) and line not in present
    ]
    return "\n".join(missing) + "\n" + code if missing else code


def code_from_output(text: str, task: Task | None) -> tuple[str, bool]:
    """Turn a model output into a runnable program; returns ``(code, found)``.

    Fenced output: the chosen block (for a function task, completed with the prompt's imports,
    or appended to the prompt when the block is only a body). Bare output: prompt + output
    for a function task (EvalPlus completion), the text itself for a program task.
    ``found`` is False when fences exist but none holds python: the text is kept as code so
    the attempt still counts (and fails), and the caller reports it."""
    prompt = task_prompt(task) if task else ""
    entry = task.entry_point if task and task.kind == "function" else None
    blocks = fenced_blocks(text)
    if not blocks:
        if entry and prompt:
            return prompt + text, True
        return text, True
    block = pick_block(blocks, entry)
    if block is None:
        return text, False
    if entry and prompt:
        if defines(block.code, entry) or not defines(prompt, entry):
            return _prompt_imports(block.code, prompt), True
        return prompt + block.code, True
    return block.code, True


_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.S)


def split_reasoning(text: str) -> tuple[str, str | None]:
    """``(visible, reasoning)``: ``<think>`` sections (reasoning models such as DeepSeek-R1
    and Qwen3 emit them inline) taken out, an unclosed one running to the end of the text,
    and a ``</think>`` with no opening tag ending one that the prompt's template opened.
    Code is extracted from the visible part only."""
    close = text.find("</think>")
    if close >= 0 and "<think>" not in text[:close]:
        # the template opened the section in the prompt (DeepSeek-R1 distills): only its
        # end is in the output
        before, text = text[:close], text[close + len("</think>"):]
        visible, more = split_reasoning(text)
        return visible.lstrip("\n"), "\n".join(p for p in (before.strip("\n"), more) if p)
    parts = [m.group(1) for m in _THINK.finditer(text)]
    if not parts:
        return text, None
    return _THINK.sub("", text).lstrip("\n"), "\n".join(p.strip("\n") for p in parts)


def task_prompt(task: Task) -> str:
    return task.prompt or str(task.metadata.get("prompt", ""))


__all__ = ["CodeBlock", "code_from_output", "defines", "fenced_blocks", "pick_block",
           "split_reasoning", "task_prompt"]
