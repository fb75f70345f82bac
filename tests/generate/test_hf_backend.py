"""The hf backend on the tiny model, on the CPU: counts are the tokenizer's, the chat template
is the tokenizer's with the assistant turn primed, seeds reproduce."""

from __future__ import annotations

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.generate.backends import Generation, GenerationRequest, SamplingParams
from perfjudge.generate.hf import HFBackend
from perfjudge.generate.prompts import build_prompt


@pytest.fixture(scope="module")
def backend(tiny_model):
    return HFBackend(str(tiny_model), device="cpu")


@pytest.fixture(scope="module")
def task(data_dir):
    return get_benchmark("humaneval").load(data_dir)[0]


def one(backend, prompt, **params):
    request = GenerationRequest(prompt, 0, SamplingParams(**params))
    [(got, gen)] = list(backend.generate([request]))
    assert got is request and isinstance(gen, Generation)
    return gen


def test_chat_uses_the_tokenizers_template_primed_with_the_response_prefix(backend, task):
    prompt = build_prompt(task)
    text, primed = backend.render(prompt)
    assert text.startswith("<s>user\nPlease provide a self-contained Python script")
    assert text.endswith("<s>assistant\n" + prompt.response_prefix)
    assert primed == prompt.response_prefix
    gen = one(backend, prompt, temperature=1.0, max_tokens=12, seed=5)
    assert gen.text.startswith(prompt.response_prefix)
    assert gen.prompt_tokens == len(backend.tokenizer(text, add_special_tokens=False)["input_ids"])
    assert 1 <= gen.completion_tokens <= 12 and gen.usage_source == "tokenizer"
    assert 0 < gen.ttft_s <= gen.latency_s and gen.device_s == gen.latency_s
    assert gen.finish_reason in ("stop", "length")
    assert backend.identity()["template"].startswith("tokenizer chat template sha256:")


def test_seeds_reproduce_and_differ(backend, task):
    prompt = build_prompt(task)
    a = one(backend, prompt, temperature=1.0, max_tokens=16, seed=1)
    b = one(backend, prompt, temperature=1.0, max_tokens=16, seed=1)
    c = one(backend, prompt, temperature=1.0, max_tokens=16, seed=2)
    assert a.text == b.text and a.completion_tokens == b.completion_tokens
    assert (a.text, a.completion_tokens) != (c.text, c.completion_tokens)


def test_length_cut_and_completion_mode(backend, task):
    cut = one(backend, build_prompt(task), temperature=0.0, max_tokens=3)
    assert cut.completion_tokens <= 3
    assert cut.finish_reason == ("length" if cut.completion_tokens == 3 else "stop")
    raw = one(backend, build_prompt(task, chat=False), temperature=1.0, max_tokens=20, seed=9)
    assert not any(stop in raw.text for stop in build_prompt(task, chat=False).stop)
