"""Prompts as the benchmarks' authors build them (EvalPlus codegen.py / provider/openai.py)."""

from __future__ import annotations

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.errors import UnknownName
from perfjudge.generate.prompts import COMPLETION_STOP, build_prompt


@pytest.fixture(scope="module")
def humaneval0(data_dir):
    return next(t for t in get_benchmark("humaneval").load(data_dir)
                if t.task_id == "HumanEval/0")


def test_chat_prompt_is_evalplus_instruction_and_fenced_prompt(humaneval0):
    p = build_prompt(humaneval0)
    assert p.chat and len(p.messages) == 1 and p.messages[0]["role"] == "user"
    # evalplus/provider/openai.py: instruction_prefix + f"\n```python\n{prompt.strip()}\n```"
    assert p.messages[0]["content"] == (
        "Please provide a self-contained Python script that solves the following problem in a"
        " markdown code block:\n```python\n" + humaneval0.prompt.strip() + "\n```")
    assert p.response_prefix == ("Below is a Python script with a self-contained function "
                                 "that solves the problem and passes corresponding tests:\n"
                                 "```python\n")


def test_perf_styles_and_system_message(humaneval0):
    p = build_prompt(humaneval0, style="perf-instruct", system="Be brief.")
    assert p.messages[0] == {"role": "system", "content": "Be brief."}
    assert p.messages[1]["content"].startswith("Please provide an efficient and self-contained")
    assert build_prompt(humaneval0, style="perf-cot").messages[0]["content"].startswith(
        "Think step by step: please provide an efficient")
    with pytest.raises(UnknownName, match="unknown prompt style 'perf'"):
        build_prompt(humaneval0, style="perf")


def test_completion_prompt_is_raw_with_evalplus_stops(humaneval0):
    p = build_prompt(humaneval0, chat=False)
    assert not p.chat and p.text == humaneval0.prompt and p.stop == COMPLETION_STOP
    assert "\ndef " in p.stop and "\nif __name__" in p.stop


def test_prompt_identity_changes_with_what_is_sent(humaneval0):
    a, b = build_prompt(humaneval0), build_prompt(humaneval0, style="perf-instruct")
    assert a.sha256 == build_prompt(humaneval0).sha256 and a.sha256 != b.sha256
    assert a.to_dict()["sha256"] == a.sha256


def test_program_tasks_ask_for_a_program(data_dir):
    task = next(t for t in get_benchmark("coffe-file").load(data_dir) if t.kind == "program")
    content = build_prompt(task).messages[0]["content"]
    assert "Python program that reads standard input" in content
    assert build_prompt(task, chat=False).stop == ()
