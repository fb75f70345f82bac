"""The model-backend seam with its scripted fake: replies become Samples whose code is
extracted as from a samples file and whose generation record reaches the pipeline."""

from __future__ import annotations

import json

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.errors import UnknownName
from perfjudge.executors import ScriptedExecutor
from perfjudge.generate.backends import (
    BACKENDS,
    Generation,
    ScriptedBackend,
    generate_samples,
    get_backend,
    to_sample,
)
from perfjudge.generate.extract import split_reasoning
from perfjudge.generate.prompts import build_prompt
from perfjudge.pipeline import EvaluateOptions, evaluate
from perfjudge.records.result import CheckResult

TASK = get_benchmark("builtin").load()[0]
PROMPTS = {TASK.task_id: build_prompt(TASK)}
REPLY = ("Here you go:\n```python\ndef two_sum(nums, target):\n    return [0, 1]\n```\n"
         "It is fast.")


def test_replies_become_samples_with_code_and_a_generation_record():
    backend = get_backend("scripted", replies=[REPLY, "no code at all"])
    samples = generate_samples(backend, [TASK], PROMPTS, n=3)
    assert [s.sample_id for s in samples] == [f"{TASK.task_id}#{k}" for k in range(3)]
    assert samples[0].code == "def two_sum(nums, target):\n    return [0, 1]\n"
    assert samples[2].code == samples[0].code  # the replies cycle
    assert samples[0].raw == REPLY and samples[0].model == "scripted"
    words = len(PROMPTS[TASK.task_id].messages[0]["content"].split())
    assert samples[0].generation == {"backend": "scripted", "model": "scripted",
                                     "prompt_tokens": words,
                                     "completion_tokens": len(REPLY.split()),
                                     "ttft_s": 0.0, "latency_s": 0.0, "tpot_s": 0.0,
                                     "finish_reason": "stop",
                                     "usage_source": "words"}
    assert [r.sample_index for r in backend.requests] == [0, 1, 2]


def test_unknown_backend_and_empty_script():
    with pytest.raises(UnknownName, match="unknown model backend 'scriptd'"):
        get_backend("scriptd")
    with pytest.raises(ValueError, match="at least one reply"):
        ScriptedBackend([])
    assert set(BACKENDS) == {"openai", "hf", "vllm", "scripted"}


def test_think_sections_are_reasoning_not_code():
    text = "<think>try a loop\n```python\ndef two_sum(a, b): pass\n```</think>\n" + REPLY
    visible, reasoning = split_reasoning(text)
    assert visible == REPLY and reasoning.startswith("try a loop")
    sample = to_sample(TASK, Generation(text, "m", "scripted"), 0)
    assert sample.code == "def two_sum(nums, target):\n    return [0, 1]\n"
    assert split_reasoning("<think>never closed") == ("", "never closed")
    assert split_reasoning("plain") == ("plain", None)
    # the template opened the section in the prompt (DeepSeek-R1 distills): only its end
    opened = "draft:\n```python\ndef two_sum(a, b): pass\n```\n</think>\n" + REPLY
    assert split_reasoning(opened) == (REPLY, "draft:\n```python\ndef two_sum(a, b): pass"
                                               "\n```")
    assert to_sample(TASK, Generation(opened, "m", "scripted"), 0).code == \
        "def two_sum(nums, target):\n    return [0, 1]\n"


def test_tpot_is_time_after_the_first_token_per_further_token():
    gen = Generation("x", "m", "b", completion_tokens=11, ttft_s=0.5, latency_s=1.5)
    assert gen.tpot_s == pytest.approx(0.1)  # (1.5 - 0.5) / (11 - 1)
    assert Generation("x", "m", "b", completion_tokens=1, ttft_s=0.5, latency_s=1).tpot_s \
        is None


def test_generated_samples_go_through_the_pipeline(tmp_path):
    samples = generate_samples(ScriptedBackend([REPLY, REPLY.replace("[0, 1]", "[1, 0]")]),
                               [TASK], PROMPTS, n=2)
    path = tmp_path / "generated.jsonl"
    path.write_text("".join(json.dumps({"task_id": s.task_id, "solution": s.code,
                                        **s.generation}) + "\n" for s in samples))
    executor = ScriptedExecutor(lambda r: CheckResult(r.task.task_id, "wrong_answer"))
    report = evaluate(EvaluateOptions(benchmark="builtin", samples=path, meter="valgrind",
                                      tasks=(TASK.task_id,), references=False,
                                      output=tmp_path / "out", store=tmp_path / "s.db",
                                      executor=executor))
    assert report.summary["generation"]["samples"] == 2
    expected = [{k: v for k, v in s.generation.items() if k != "model"} for s in samples]
    assert [r["generation"] for r in report.records] == expected
