"""The vllm backend needs vLLM and a CUDA GPU: these run on a GPU host and are skipped here."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_vllm_generates_with_its_own_counts(tiny_model, data_dir):
    pytest.importorskip("vllm")
    from perfjudge.benchmarks import get_benchmark
    from perfjudge.generate.backends import Generation, GenerationRequest, SamplingParams
    from perfjudge.generate.prompts import build_prompt
    from perfjudge.generate.vllm import VLLMBackend

    tasks = get_benchmark("humaneval").load(data_dir)[:3]
    backend = VLLMBackend(str(tiny_model), gpu_memory_utilization=0.2, enforce_eager=True)
    requests = [GenerationRequest(build_prompt(t), 0, SamplingParams(1.0, None, 16, 3))
                for t in tasks]
    out = list(backend.generate(requests))
    assert [r for r, _ in out] == requests
    for request, gen in out:
        assert isinstance(gen, Generation) and gen.backend == "vllm"
        text, _ = backend._render(request)
        assert gen.prompt_tokens == len(backend.tokenizer(text, add_special_tokens=False)
                                        ["input_ids"])
        assert 1 <= gen.completion_tokens <= 16
