"""The ``hf`` backend: a Hugging Face causal LM in this process (`transformers`, the ``hf``
extra).

Chat prompts go through the tokenizer's own chat template, with the assistant turn primed
by the response prefix, as ``evalplus/provider/utility.py:make_raw_chat_prompt`` does; a
tokenizer with no chat template gets the raw task prompt, as EvalPlus does. Completion
prompts stop at the prompt's stop strings (``stop_strings``) and are cut there, as EvalPlus
cuts at its EOS strings. Token counts are the tokenizer's (a ``<think>`` section's tokens are
the reasoning tokens); TTFT is the time from the call to
the first new token reaching a streamer; ``device_s`` is the wall time of ``generate`` (the
device is busy with nothing else: requests run one at a time, so ``concurrency`` does not
apply and batching is left to the ``vllm`` backend).
"""

from __future__ import annotations

import hashlib
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
from perfjudge.generate.extract import split_reasoning
from perfjudge.generate.prompts import Prompt

_SPLITTER = "-[[]]-perfjudge-response-starts-here-[[]]-"


class _FirstToken:
    """A streamer that only notes when the first new token arrives (``put`` is called once
    with the prompt, then once per generated step)."""

    def __init__(self) -> None:
        self.calls = 0
        self.first: float | None = None

    def put(self, value: Any) -> None:
        self.calls += 1
        if self.calls == 2 and self.first is None:
            self.first = time.perf_counter()

    def end(self) -> None:
        return None


def render_prompt(tokenizer: Any, prompt: Prompt) -> tuple[str, str]:
    """(the text fed to a local model, the primed part of its answer): the tokenizer's chat
    template with the assistant turn begun by the response prefix (EvalPlus's
    ``make_raw_chat_prompt``), the raw task prompt when the tokenizer has no template, the
    text itself for a completion prompt. Shared by the ``hf`` and ``vllm`` backends."""
    if not prompt.chat:
        return prompt.text or "", ""
    if not getattr(tokenizer, "chat_template", None):
        return prompt.messages[-1]["content"], ""
    primed = prompt.response_prefix or ""
    messages = [*prompt.messages, {"role": "assistant", "content": primed + _SPLITTER}]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    return text.split(_SPLITTER)[0], primed


class HFBackend:
    name = "hf"

    def __init__(self, model: str, device: str | None = None, dtype: str = "auto",
                 **_: Any):
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise Unavailable(f"the hf backend needs torch and transformers ({exc}); "
                              "install perfjudge[hf]") from None
        self.model = model
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(model)
            self.lm = transformers.AutoModelForCausalLM.from_pretrained(
                model, dtype=dtype).to(self.device)
        except (OSError, ValueError) as exc:
            raise Unavailable(f"cannot load Hugging Face model {model!r}: {exc}") from None
        self.lm.eval()
        template = self.tokenizer.chat_template or ""
        self.template_sha256 = hashlib.sha256(template.encode()).hexdigest() if template \
            else None

    def check(self) -> None:
        return None

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "device": self.device,
                "template": f"tokenizer chat template sha256:{self.template_sha256}"
                if self.template_sha256 else "none (raw prompt)",
                "transformers": __import__("transformers").__version__}

    def render(self, prompt: Prompt) -> tuple[str, str]:
        """(the text fed to the model, the primed part of the answer)."""
        return render_prompt(self.tokenizer, prompt)

    def generate(self, requests: Sequence[GenerationRequest]
                 ) -> Iterator[tuple[GenerationRequest, Outcome]]:
        for request in requests:
            try:
                yield request, self._one(request)
            except (RuntimeError, ValueError) as exc:  # CUDA OOM is a RuntimeError
                yield request, GenerationFailure("backend_error", f"{type(exc).__name__}: "
                                                 f"{exc}")

    def _one(self, request: GenerationRequest) -> Generation:
        torch = self._torch
        text, primed = self.render(request.prompt)
        inputs = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        p = request.params
        options: dict[str, Any] = {"max_new_tokens": p.max_tokens,
                                   "pad_token_id": self.tokenizer.pad_token_id
                                   or self.tokenizer.eos_token_id}
        if p.temperature > 0:
            options.update(do_sample=True, temperature=p.temperature)
            if p.top_p is not None:
                options["top_p"] = p.top_p
        else:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if request.prompt.stop:
            options.update(stop_strings=list(request.prompt.stop), tokenizer=self.tokenizer)
        if request.seed is not None:
            torch.manual_seed(request.seed)
        streamer = _FirstToken()
        started = time.perf_counter()
        with torch.inference_mode():
            output = self.lm.generate(**inputs, streamer=streamer, **options)
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
        end = time.perf_counter()
        prompt_len = inputs["input_ids"].shape[1]
        new = output[0][prompt_len:].tolist()
        eos = self.tokenizer.eos_token_id
        finish = "stop" if eos is not None and eos in new else "length"
        completion = self.tokenizer.decode(new, skip_special_tokens=True)
        for stop in request.prompt.stop:
            if stop in completion:
                completion, finish = completion[:completion.index(stop)], "stop"
        if finish == "length" and len(new) < p.max_tokens:
            finish = "stop"  # a stop string ended it
        _, reasoning = split_reasoning(completion)
        reasoning_tokens = len(self.tokenizer(reasoning, add_special_tokens=False)
                               ["input_ids"]) if reasoning else None
        return Generation(primed + completion, self.model, self.name,
                          prompt_tokens=prompt_len, completion_tokens=len(new),
                          reasoning_tokens=reasoning_tokens, reasoning=reasoning,
                          ttft_s=None if streamer.first is None else streamer.first - started,
                          latency_s=end - started, device_s=end - started,
                          finish_reason=finish, usage_source="tokenizer")

    def close(self) -> None:
        return None


__all__ = ["HFBackend", "render_prompt"]
