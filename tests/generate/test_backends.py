"""The model-backend seam with its scripted fake: replies become Samples whose code is
extracted as from a samples file and whose generation record reaches the pipeline."""

from __future__ import annotations

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.errors import UnknownName
from perfjudge.executors import ScriptedExecutor
from perfjudge.generate.backends import ScriptedBackend, generate_samples, get_backend
from perfjudge.pipeline import EvaluateOptions, evaluate, generation_totals
from perfjudge.records.result import CheckResult

TASK = get_benchmark("builtin").load()[0]
REPLY = ("Here you go:\n```python\ndef two_sum(nums, target):\n    return [0, 1]\n```\n"
         "It is fast.")


def test_replies_become_samples_with_code_and_a_generation_record():
    backend = get_backend("scripted", replies=[REPLY, "no code at all"])
    samples = generate_samples(backend, [TASK], n=3, temperature=0.2)
    assert [s.sample_id for s in samples] == [f"{TASK.task_id}#{k}" for k in range(3)]
    assert samples[0].code == "def two_sum(nums, target):\n    return [0, 1]\n"
    assert samples[2].code == samples[0].code  # the replies cycle
    assert samples[0].raw == REPLY and samples[0].model == "scripted"
    assert samples[0].generation == {"usage": {"prompt_tokens": len(TASK.prompt.split()),
                                               "completion_tokens": len(REPLY.split())},
                                     "latency_s": 0.0, "cost_usd": 0.0,
                                     "finish_reason": "stop", "temperature": 0.2}
    assert backend.prompts == [TASK.prompt]
    totals = generation_totals(samples)
    assert totals["totals"]["completion_tokens"]["sum"] == 2 * len(REPLY.split()) + 4


def test_unknown_backend_and_empty_script():
    with pytest.raises(UnknownName, match="unknown model backend 'scriptd'"):
        get_backend("scriptd")
    with pytest.raises(ValueError, match="at least one reply"):
        ScriptedBackend([])


def test_generated_samples_go_through_the_pipeline(tmp_path):
    import json

    samples = generate_samples(ScriptedBackend([REPLY, REPLY.replace("[0, 1]", "[1, 0]")]),
                               [TASK], n=2)
    path = tmp_path / "generated.jsonl"
    path.write_text("".join(json.dumps({"task_id": s.task_id, "solution": s.code,
                                        **s.generation}) + "\n" for s in samples))
    executor = ScriptedExecutor(lambda r: CheckResult(r.task.task_id, "wrong_answer"))
    report = evaluate(EvaluateOptions(benchmark="builtin", samples=path, meter="valgrind",
                                      tasks=(TASK.task_id,), references=False,
                                      output=tmp_path / "out", store=tmp_path / "s.db",
                                      executor=executor))
    assert report.summary["generation"]["samples"] == 2
    assert [r["generation"] for r in report.records] == [s.generation for s in samples]
