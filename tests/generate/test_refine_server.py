"""`perfjudge refine` against the real tiny model behind `transformers serve`: every round
is asked over HTTP, judged in the sandbox and recorded with its tokens."""

from __future__ import annotations

import json
import os

import pytest

from perfjudge.engine import sandbox
from perfjudge.generate.backends import SamplingParams
from perfjudge.pipeline.refine import RefineOptions, refine

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="refine judges in the sandbox: root, bubblewrap and cgroups")


def test_refine_rounds_against_a_real_model_server(tmp_path, model_server, data_dir):
    options = RefineOptions(
        benchmark="humaneval", backend="openai", model=model_server.model, rounds=1,
        feedback="tests", meter="none", limit=2, data_dir=data_dir,
        base_url=model_server.base_url, params=SamplingParams(0.0, None, 24, 1),
        output=tmp_path / "out", store=tmp_path / "store.db", workers=1)
    report = refine(options)
    attempts = [json.loads(line) for line in
                (tmp_path / "out" / "rounds.jsonl").read_text().splitlines()]
    # a random tiny model writes no correct HumanEval solution: both tasks get both rounds
    assert sorted((a["task_id"], a["round"]) for a in attempts) == [
        ("HumanEval/0", 0), ("HumanEval/0", 1), ("HumanEval/1", 0), ("HumanEval/1", 1)]
    assert all(a["verdict"] not in ("passed", "generation_failed") for a in attempts)
    by_key = {(a["task_id"], a["round"]): a for a in attempts}
    for task_id in ("HumanEval/0", "HumanEval/1"):
        first, second = by_key[(task_id, 0)], by_key[(task_id, 1)]
        assert first["feedback"] == "" and second["feedback"].startswith("Your solution")
        # the server counted the longer conversation: the first answer and its feedback
        assert second["prompt_tokens"] > first["prompt_tokens"] + first["completion_tokens"]
        assert 0 < second["completion_tokens"] <= 24
    assert [r["asked"] for r in report.summary["rounds"]] == [2, 2]
    assert {t["stopped"] for t in report.summary["tasks"]} == {"rounds"}
    assert (tmp_path / "out" / "best.jsonl").read_text() == ""
