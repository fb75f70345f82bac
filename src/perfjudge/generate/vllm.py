"""The ``vllm`` backend: vLLM's offline engine in this process, on a GPU (the ``vllm`` extra).

Requests go to ``LLM.generate`` in chunks (64 by default), which it schedules with
continuous batching; each chunk's results are written before the next starts. Prompts are
rendered as in the ``hf`` backend (the tokenizer's chat template, assistant turn primed)
and sent as token ids, so vLLM adds no second BOS. Token counts are vLLM's (``prompt_token_ids``,
``token_ids``); TTFT and latency come from each request's ``RequestOutput.metrics`` where the
installed vLLM fills them (``first_token_time``, ``arrival_time``, ``finished_time``), else
they are None: inside one batched call the client has no per-request clock of its own.
``device_s`` is the chunk's wall time divided by its requests. Tests run on a GPU host only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from perfjudge.errors import Unavailable
from perfjudge.generate.backends import (
    Generation,
    GenerationFailure,
    GenerationRequest,
    Outcome,
)
from perfjudge.generate.hf import render_prompt


class VLLMBackend:
    name = "vllm"

    def __init__(self, model: str, chunk: int = 64, **engine_options: Any):
        try:
            import vllm
        except ImportError as exc:
            raise Unavailable(f"the vllm backend needs vllm and a GPU ({exc}); install "
                              "perfjudge[vllm] on a GPU host") from None
        self.model = model
        self.chunk = max(1, chunk)
        self._vllm = vllm
        try:
            self.llm = vllm.LLM(model=model, **engine_options)
        except Exception as exc:  # vLLM raises many kinds when there is no usable device
            raise Unavailable(f"vLLM could not start {model!r}: {exc}") from None
        self.tokenizer = self.llm.get_tokenizer()

    def check(self) -> None:
        return None

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model,
                "template": "tokenizer chat template", "vllm": self._vllm.__version__}

    def _render(self, request: GenerationRequest) -> tuple[str, str]:
        return render_prompt(self.tokenizer, request.prompt)

    def generate(self, requests: Sequence[GenerationRequest]
                 ) -> Iterator[tuple[GenerationRequest, Outcome]]:
        """In chunks of ``chunk`` requests, so results are written as each chunk ends (a
        killed run loses at most one chunk)."""
        for start in range(0, len(requests), self.chunk):
            yield from self._chunk(list(requests[start:start + self.chunk]))

    def _chunk(self, requests: list[GenerationRequest]
               ) -> Iterator[tuple[GenerationRequest, Outcome]]:
        if not requests:
            return
        rendered = [self._render(r) for r in requests]
        params = []
        for r in requests:
            p = r.params
            params.append(self._vllm.SamplingParams(
                n=1, temperature=p.temperature, top_p=p.top_p or 1.0, max_tokens=p.max_tokens,
                seed=r.seed, stop=list(r.prompt.stop) or None))
        # token ids of the rendered text, so vLLM adds no second BOS to the template's own
        prompts = [{"prompt_token_ids": self.tokenizer(text, add_special_tokens=False)
                    ["input_ids"]} for text, _ in rendered]
        started = time.perf_counter()
        try:
            outputs = self.llm.generate(prompts, params, use_tqdm=False)
        except Exception as exc:  # CUDA OOM, an engine error: these requests fail, not the run
            for request in requests:
                yield request, GenerationFailure("backend_error",
                                                 f"{type(exc).__name__}: {exc}"[:300])
            return
        wall = time.perf_counter() - started
        for request, (_, primed), out in zip(requests, rendered, outputs):
            completion = out.outputs[0]
            metrics = getattr(out, "metrics", None)
            arrival = getattr(metrics, "arrival_time", None)
            first = getattr(metrics, "first_token_time", None)
            finished = getattr(metrics, "finished_time", None) or getattr(
                metrics, "last_token_time", None)
            yield request, Generation(
                primed + completion.text, self.model, self.name,
                prompt_tokens=len(out.prompt_token_ids or []),
                completion_tokens=len(completion.token_ids),
                ttft_s=first - arrival if first and arrival else None,
                latency_s=finished - arrival if finished and arrival else None,
                device_s=wall / len(requests), finish_reason=completion.finish_reason,
                usage_source="tokenizer")

    def close(self) -> None:
        return None


__all__ = ["VLLMBackend"]
