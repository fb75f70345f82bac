"""`perfjudge generate` and `perfjudge run` against the real server: the samples file, resume
after a kill, failures kept apart and retried, settings that may not be mixed, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.errors import InputFileError, UsageError
from perfjudge.generate.backends import SamplingParams, ScriptedBackend
from perfjudge.generate.openai_compat import OpenAIBackend, RetryPolicy
from perfjudge.generate.prices import Price
from perfjudge.pipeline import GenerateOptions, generate
from perfjudge.pipeline.generation import read_existing, side_file
from perfjudge.samples import load_samples

PERFJUDGE = [sys.executable, "-m", "perfjudge.cli"]


def options(tmp_path, server_url, model, data_dir, **kw):
    base = dict(benchmark="humaneval", backend="openai", model=model,
                output=tmp_path / "s.jsonl", n=2, params=SamplingParams(1.0, None, 16, 1),
                limit=3, data_dir=data_dir, base_url=server_url, concurrency=2)
    base.update(kw)
    return GenerateOptions(**base)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_generate_writes_evalplus_samples_with_their_cost_and_resumes(tmp_path, model_server,
                                                                      fault_proxy, data_dir):
    proxy = fault_proxy([])
    opts = options(tmp_path, proxy.url, model_server.model, data_dir, price=Price(1.0, 2.0))
    report = generate(opts)
    assert (report.requested, report.existing, report.generated, report.missing) == (6, 0, 6, 0)
    got = lines(opts.output)
    assert sorted((g["task_id"], g["sample_index"]) for g in got) == [
        (f"HumanEval/{t}", k) for t in range(3) for k in range(2)]
    for g in got:
        assert {"task_id", "solution", "raw_output", "backend", "model", "prompt_tokens",
                "completion_tokens", "latency_s", "finish_reason", "cost_usd", "prompt_sha256",
                "seed", "temperature", "max_tokens"} <= set(g)
        assert g["cost_usd"] == pytest.approx((g["prompt_tokens"] * 1.0
                                               + g["completion_tokens"] * 2.0) / 1e6)
        assert g["seed"] == 1 + g["sample_index"]
    meta = json.loads(side_file(opts.output, ".meta.json").read_text())
    assert meta["backend"]["model"] == model_server.model
    for g in got:
        assert meta["prompts"][g["task_id"]]["sha256"] == g["prompt_sha256"]
    assert report.summary["tokens"]["completion"] == sum(g["completion_tokens"] for g in got)
    # EvalPlus-compatible: the samples reader takes the file as is, ids from sample_index
    samples = load_samples(opts.output, get_benchmark("humaneval").load(data_dir)[:3])
    assert sorted(s.sample_id for s in samples) == sorted(
        f"{g['task_id']}#{g['sample_index']}" for g in got)
    assert not [p for p in samples.problems if p.kind == "duplicate"]

    posts = proxy.posts()
    again = generate(opts)
    assert (again.existing, again.generated) == (6, 0) and proxy.posts() == posts
    more = generate(options(tmp_path, proxy.url, model_server.model, data_dir, n=3,
                            price=opts.price))
    assert (more.existing, more.generated) == (6, 3) and proxy.posts() == posts + 3
    keys = [(g["task_id"], g["sample_index"]) for g in lines(opts.output)]
    assert len(keys) == len(set(keys)) == 9


def test_a_torn_last_line_is_dropped_and_asked_again(tmp_path, model_server, data_dir):
    opts = options(tmp_path, model_server.base_url, model_server.model, data_dir, n=1)
    generate(opts)
    text = opts.output.read_text().splitlines(keepends=True)
    opts.output.write_text("".join(text[:-1]) + text[-1][:25])  # killed mid-write
    report = generate(opts)
    assert report.dropped_partial_line and (report.existing, report.generated) == (2, 1)
    assert len(lines(opts.output)) == 3


def test_a_corrupt_line_in_the_middle_is_an_error_not_discarded(tmp_path, model_server,
                                                                data_dir):
    opts = options(tmp_path, model_server.base_url, model_server.model, data_dir, n=1)
    opts.output.write_text('{"task_id": "HumanEval/0", "sample_index": 0}\nnot json\n')
    with pytest.raises(InputFileError, match=r"s.jsonl:2: not a line perfjudge generated"):
        generate(opts)
    assert "not json" in opts.output.read_text()


def test_failures_are_kept_apart_reported_and_retried(tmp_path, model_server, fault_proxy,
                                                      data_dir):
    proxy = fault_proxy(["pass"] + ["503:0"] * 3)  # GET /models passes, then 3 x 503
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, concurrency=1,
                            retry=RetryPolicy(attempts=3, base_s=0.01, max_wait_s=0.02))
    opts = options(tmp_path, proxy.url, model_server.model, data_dir, n=1,
                   backend_instance=backend)
    report = generate(opts)
    assert report.generated == 2 and report.missing == 1
    [failure] = report.failures
    assert failure["task_id"] == "HumanEval/0" and failure["kind"] == "server_error"
    assert failure["attempts"] == 3
    assert lines(report.errors_path) == [failure]
    retried = generate(opts)
    assert (retried.existing, retried.generated, retried.missing) == (2, 1, 0)
    assert report.errors_path.read_text() == ""
    backend.close()


def test_other_settings_or_another_model_are_refused(tmp_path, model_server, data_dir):
    opts = options(tmp_path, model_server.base_url, model_server.model, data_dir, n=1,
                   limit=1)
    generate(opts)
    with pytest.raises(UsageError, match="other settings"):
        generate(options(tmp_path, model_server.base_url, model_server.model, data_dir, n=1,
                         limit=1, params=SamplingParams(0.5, None, 16, 1)))
    with pytest.raises(UsageError, match="holds samples of model"):
        generate(options(tmp_path, None, "other", data_dir, n=1, limit=1,
                         backend_instance=ScriptedBackend(["x"], model="other")))


def test_a_killed_run_resumes_without_loss_or_duplicates(tmp_path, model_server, fault_proxy,
                                                         data_dir):
    proxy = fault_proxy(["slow:0.15"] * 40)
    out = tmp_path / "k.jsonl"
    cmd = [*PERFJUDGE, "generate", "-b", "humaneval", "--model", model_server.model,
           "--base-url", proxy.url, "-n", "4", "--limit", "5", "--max-tokens", "8",
           "--temperature", "1", "--seed", "3", "-c", "2", "-o", str(out),
           "--data-dir", str(data_dir)]
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or
                                           len(out.read_text().splitlines()) < 4):
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    before, _ = read_existing(out)
    assert 4 <= len(before) < 20
    done = subprocess.run(cmd + ["--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["existing"] == len(before) and result["generated"] == 20 - len(before)
    keys = [(g["task_id"], g["sample_index"]) for g in lines(out)]
    assert len(keys) == len(set(keys)) == 20


def test_cli_exit_codes_for_an_unreachable_server_and_failures(tmp_path, model_server,
                                                               fault_proxy, data_dir):
    started = time.monotonic()
    down = subprocess.run([*PERFJUDGE, "generate", "-b", "humaneval", "--model", "m",
                           "--base-url", "http://127.0.0.1:9/v1", "-o", str(tmp_path / "x.jsonl"),
                           "--data-dir", str(data_dir)], capture_output=True, text=True,
                          timeout=60)
    assert down.returncode == 3 and "cannot reach the model server" in down.stderr
    assert time.monotonic() - started < 30 and not (tmp_path / "x.jsonl").exists()
    proxy = fault_proxy(["pass", "400"])
    bad = subprocess.run([*PERFJUDGE, "generate", "-b", "humaneval", "--model",
                          model_server.model, "--base-url", proxy.url, "--limit", "2",
                          "--max-tokens", "4", "-c", "1", "-o", str(tmp_path / "y.jsonl"),
                          "--data-dir", str(data_dir)], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 1, bad.stderr
    assert "1 requests failed after retries" in bad.stdout and "rejected" in bad.stdout
    assert len(lines(tmp_path / "y.jsonl")) == 1


def test_run_generates_then_evaluates_with_cost_in_the_summary(tmp_path, model_server,
                                                               data_dir):
    out = tmp_path / "run"
    cmd = [*PERFJUDGE, "run", "-b", "humaneval", "--model", model_server.model,
           "--base-url", model_server.base_url, "--limit", "2", "-n", "2",
           "--max-tokens", "8", "--temperature", "1", "--seed", "5", "--price-in", "0.5",
           "--price-out", "1.5", "--meter", "cpu_time", "--no-references", "-o", str(out),
           "--data-dir", str(data_dir), "--store", str(tmp_path / "store.db")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "generation cost" in done.stdout and "$ / solved task" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    gen = summary["generation"]
    samples = lines(out / "samples.jsonl")
    assert gen["samples"] == 4 and gen["tokens"]["completion"] == sum(
        s["completion_tokens"] for s in samples)
    assert gen["cost_usd"]["total"] == pytest.approx(sum(s["cost_usd"] for s in samples))
    assert gen["solved_tasks"] == 0 and gen["cost_usd"]["per_solved_task"] is None
    assert summary["tasks"][0]["generation"]["samples"] == 2
    records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert all(r["generation"]["backend"] == "openai" for r in records)
    again = subprocess.run(cmd + ["--json"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0
    result = json.loads(again.stdout)
    assert result["generation_run"]["generated"] == 0 and result["executed"] == 0


def test_hf_backend_through_the_generate_stage(tmp_path, tiny_model, data_dir):
    opts = GenerateOptions(benchmark="humaneval", backend="hf", model=str(tiny_model),
                           output=tmp_path / "hf.jsonl", n=2, limit=2, data_dir=data_dir,
                           params=SamplingParams(1.0, None, 12, 4),
                           backend_options={"device": "cpu"})
    report = generate(opts)
    assert report.generated == 4 and report.failures == []
    for g in lines(opts.output):
        assert g["backend"] == "hf" and g["usage_source"] == "tokenizer"
        assert g["device_s"] > 0 and 1 <= g["completion_tokens"] <= 12
        assert "cost_usd" not in g  # a local model has no price unless one is given
    meta = json.loads(side_file(opts.output, ".meta.json").read_text())
    assert meta["backend"]["template"].startswith("tokenizer chat template sha256:")


def test_counts_and_exit_codes_follow_the_pairs_asked_for(tmp_path, model_server, fault_proxy,
                                                         data_dir):
    out = tmp_path / "c.jsonl"
    base = [*PERFJUDGE, "generate", "-b", "humaneval", "--model", model_server.model,
            "--max-tokens", "4", "-c", "1", "-o", str(out), "--data-dir", str(data_dir),
            "--json"]
    first = subprocess.run(base + ["--base-url", model_server.base_url, "--limit", "3"],
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    smaller = subprocess.run(base + ["--base-url", model_server.base_url, "--limit", "1"],
                             capture_output=True, text=True, timeout=120)
    result = json.loads(smaller.stdout)
    assert smaller.returncode == 0 and (result["requested"], result["existing"],
                                        result["missing"]) == (1, 1, 0)
    proxy = fault_proxy(["pass", "400"])  # /models, then the first new request is refused
    mixed = subprocess.run(base + ["--base-url", proxy.url, "--limit", "5"],
                           capture_output=True, text=True, timeout=120)
    result = json.loads(mixed.stdout)
    assert (result["existing"], result["generated"], len(result["failures"])) == (3, 1, 1)
    assert mixed.returncode == 1  # a failure this run, whatever else the file holds


def test_bad_numbers_are_usage_errors(tmp_path, data_dir):
    for flags, message in ((["--limit", "0"], "--limit must be at least 1"),
                           (["--rpm", "-1"], "--rpm must be positive"),
                           (["-n", "0"], "-n must be at least 1")):
        out = subprocess.run([*PERFJUDGE, "generate", "-b", "humaneval", "--model", "m",
                              "--base-url", "http://127.0.0.1:9/v1", "-o",
                              str(tmp_path / "x.jsonl"), "--data-dir", str(data_dir), *flags],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and message in out.stderr, (flags, out.stderr)


def test_ctrl_c_keeps_every_finished_sample_and_exits_130(tmp_path, model_server, fault_proxy,
                                                          data_dir):
    proxy = fault_proxy(["pass", "pass", "pass"] + ["slow:60"] * 10)
    out = tmp_path / "i.jsonl"
    child = subprocess.Popen([*PERFJUDGE, "generate", "-b", "humaneval", "--model",
                              model_server.model, "--base-url", proxy.url, "--limit", "6",
                              "--max-tokens", "4", "-c", "1", "-o", str(out), "--data-dir",
                              str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or
                                           len(out.read_text().splitlines()) < 2):
        time.sleep(0.05)
    time.sleep(0.3)  # the third request is now held by the silent server
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode == 130, stderr
    assert time.monotonic() - started < 10  # the held request is not waited for
    assert "run the same command again" in stderr
    assert len(lines(out)) == 2


def test_a_refused_key_mid_run_stops_it_with_exit_3(tmp_path, model_server, fault_proxy,
                                                   data_dir):
    proxy = fault_proxy(["pass", "pass", "401", "401"])  # /models has no key check
    out = tmp_path / "k.jsonl"
    done = subprocess.run([*PERFJUDGE, "generate", "-b", "humaneval", "--model",
                           model_server.model, "--base-url", proxy.url, "--limit", "4",
                           "--max-tokens", "4", "-c", "1", "-o", str(out), "--data-dir",
                           str(data_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3 and "refused the API key" in done.stderr
    assert len(lines(out)) == 1  # the sample before the refusal is kept


def test_a_last_line_without_newline_is_kept_and_foreign_files_are_not_touched(
        tmp_path, model_server, data_dir):
    opts = options(tmp_path, model_server.base_url, model_server.model, data_dir, n=1)
    generate(opts)
    whole = opts.output.read_text()
    opts.output.write_text(whole.rstrip("\n"))  # a complete line, its newline missing
    report = generate(opts)
    assert not report.dropped_partial_line and (report.existing, report.generated) == (3, 0)
    assert opts.output.read_text() == whole
    foreign = tmp_path / "evalplus.jsonl"
    text = '{"task_id": "HumanEval/0", "solution": "x"}\n{"task_id": "HumanEval/1", ' \
           '"solution": "y"}'
    foreign.write_text(text)
    with pytest.raises(InputFileError, match="not a line perfjudge generated"):
        generate(options(tmp_path, model_server.base_url, model_server.model, data_dir, n=1,
                         output=foreign))
    assert foreign.read_text() == text
