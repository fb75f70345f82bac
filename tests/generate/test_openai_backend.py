"""The openai backend against a real OpenAI-compatible server (``transformers serve`` with the
tiny model) on 127.0.0.1, and against that server behind a fault-injecting proxy."""

from __future__ import annotations

import time

import httpx
import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.errors import UnknownName
from perfjudge.generate.backends import (
    Generation,
    GenerationFailure,
    GenerationRequest,
    SamplingParams,
)
from perfjudge.generate.openai_compat import (
    BackendUnavailable,
    OpenAIBackend,
    RateLimiter,
    RetryPolicy,
    parse_retry_after,
)
from perfjudge.generate.prompts import build_prompt

FAST = RetryPolicy(attempts=3, base_s=0.01, max_wait_s=0.05, max_retry_after_s=5)


@pytest.fixture(scope="module")
def tasks(data_dir):
    return get_benchmark("humaneval").load(data_dir)[:4]


def requests_for(tasks, n=1, chat=True, max_tokens=24, seed=11, temperature=1.0):
    params = SamplingParams(temperature, None, max_tokens, seed)
    return [GenerationRequest(build_prompt(t, chat=chat), k, params) for t in tasks
            for k in range(n)]


def run(backend, requests):
    try:
        return {(r.task_id, r.sample_index): o for r, o in backend.generate(requests)}
    finally:
        backend.close()


def test_streamed_counts_are_the_servers_and_timings_are_consistent(model_server, tasks):
    # one at a time: the server seeds torch's global generator per request, so requests
    # sampled side by side would draw from each other's stream
    backend = OpenAIBackend(model_server.model, base_url=model_server.base_url, concurrency=1)
    backend.check()
    out = run(backend, requests_for(tasks[:2], n=2))
    assert len(out) == 4 and all(isinstance(o, Generation) for o in out.values())
    for (task_id, k), gen in out.items():
        # the same request without streaming, straight to the server: same seed, same answer
        task = next(t for t in tasks if t.task_id == task_id)
        body = {"model": model_server.model, "messages": list(build_prompt(task).messages),
                "max_tokens": 24, "temperature": 1.0, "seed": 11 + k}
        plain = httpx.post(f"{model_server.base_url}/chat/completions", json=body,
                           timeout=60).json()
        assert gen.text == plain["choices"][0]["message"]["content"]
        assert gen.prompt_tokens == plain["usage"]["prompt_tokens"]
        assert gen.completion_tokens == plain["usage"]["completion_tokens"]
        assert gen.finish_reason == plain["choices"][0]["finish_reason"]
        assert gen.usage_source == "server"
        if gen.text:
            assert 0 < gen.ttft_s <= gen.latency_s
        if gen.completion_tokens and gen.completion_tokens > 1 and gen.ttft_s is not None:
            assert gen.tpot_s == pytest.approx((gen.latency_s - gen.ttft_s)
                                               / (gen.completion_tokens - 1))
    assert out[(tasks[0].task_id, 0)].text != out[(tasks[0].task_id, 1)].text  # seeds differ


def test_max_tokens_cut_is_kept_with_finish_reason_length(model_server, tasks):
    backend = OpenAIBackend(model_server.model, base_url=model_server.base_url)
    out = run(backend, requests_for(tasks, max_tokens=2, seed=3))
    reasons = {o.finish_reason for o in out.values()}
    assert "length" in reasons
    for gen in out.values():
        assert gen.completion_tokens <= 2
        if gen.finish_reason == "length":
            assert gen.completion_tokens == 2


def test_completion_mode_and_no_stream(model_server, tasks):
    backend = OpenAIBackend(model_server.model, base_url=model_server.base_url, stream=False)
    out = run(backend, requests_for(tasks[:2], chat=False, max_tokens=8))
    for gen in out.values():
        assert isinstance(gen, Generation) and gen.ttft_s is None and gen.latency_s > 0
        assert gen.prompt_tokens > 0 and gen.usage_source == "server"


def test_retry_after_is_honoured(fault_proxy, model_server, tasks):
    proxy = fault_proxy(["429:1"])
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST)
    started = time.monotonic()
    out = run(backend, requests_for(tasks[:1]))
    assert isinstance(out[(tasks[0].task_id, 0)], Generation)
    assert time.monotonic() - started >= 1.0  # waited what the server asked
    assert proxy.posts() == 2


@pytest.mark.parametrize("fault", ["503", "drop", "cut", "502"])
def test_transient_faults_are_retried(fault_proxy, model_server, tasks, fault):
    proxy = fault_proxy([fault, fault])
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST)
    out = run(backend, requests_for(tasks[:1]))
    assert isinstance(out[(tasks[0].task_id, 0)], Generation)
    assert proxy.posts() == 3


def test_timeouts_are_retried(fault_proxy, model_server, tasks):
    proxy = fault_proxy(["slow:2"])
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST, timeout_s=0.5)
    out = run(backend, requests_for(tasks[:1]))
    assert isinstance(out[(tasks[0].task_id, 0)], Generation)
    assert proxy.seen[0][1] == "slow:2" and proxy.posts() == 2


def test_persistent_rate_limit_ends_bounded_and_the_rest_goes_on(fault_proxy, model_server,
                                                                 tasks):
    proxy = fault_proxy(["429:0"] * 3)
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST, concurrency=1)
    out = run(backend, requests_for(tasks[:2]))
    failed = out[(tasks[0].task_id, 0)]
    assert isinstance(failed, GenerationFailure)
    assert failed.kind == "rate_limited" and failed.attempts == 3 and failed.status == 429
    assert isinstance(out[(tasks[1].task_id, 0)], Generation)
    assert proxy.posts() == 4  # three tries of the first, one of the second: no endless loop


def test_a_retry_after_beyond_the_cap_is_not_waited_for(fault_proxy, model_server, tasks):
    proxy = fault_proxy(["503:3600"])
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST)
    started = time.monotonic()
    failed = run(backend, requests_for(tasks[:1]))[(tasks[0].task_id, 0)]
    assert time.monotonic() - started < 5
    assert failed.kind == "server_error" and "asked to wait 3600 s" in failed.message


def test_a_rejected_request_is_not_retried(model_server, tasks):
    backend = OpenAIBackend(model_server.model, base_url=model_server.base_url, retry=FAST,
                            extra_body={"model": "another-model"})
    failed = run(backend, requests_for(tasks[:1]))[(tasks[0].task_id, 0)]
    assert failed.kind == "rejected" and failed.status == 400 and failed.attempts == 1


def test_concurrency_bounds_requests_in_flight(fault_proxy, model_server, tasks):
    proxy = fault_proxy(["slow:0.3"] * 8)
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, concurrency=3)
    out = run(backend, requests_for(tasks, n=2, max_tokens=4))
    assert len(out) == 8 and all(isinstance(o, Generation) for o in out.values())
    assert proxy.max_in_flight == 3


def test_unreachable_server_and_refused_key_fail_fast(fault_proxy, model_server):
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="cannot reach the model server"):
        OpenAIBackend("m", base_url="http://127.0.0.1:9/v1").check()
    proxy = fault_proxy(["401"])
    with pytest.raises(BackendUnavailable, match=r"refused the API key \(HTTP 401\).*\$OPENAI"):
        OpenAIBackend(model_server.model, base_url=proxy.url).check()
    with pytest.raises(UnknownName, match="unknown model 'no-such-model'"):
        OpenAIBackend("no-such-model", base_url=model_server.base_url).check()
    assert time.monotonic() - started < 10
    assert BackendUnavailable("x").exit_code == 3


def test_retry_after_header_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff_is_bounded_and_jittered():
    policy = RetryPolicy(attempts=4, base_s=1.0, max_wait_s=3.0, max_retry_after_s=10)
    for attempt in range(6):
        assert 0 <= policy.wait_s(attempt, None) <= min(3.0, 2 ** attempt)
    assert policy.wait_s(0, 7.0) == 7.0 and policy.wait_s(0, 11.0) is None


def test_rate_limiter_holds_requests_and_tokens_per_window():
    limiter = RateLimiter(rpm=2, window_s=0.4)
    waits = [limiter.acquire(1) for _ in range(3)]
    assert waits[0] < 0.05 and waits[1] < 0.05 and waits[2] >= 0.35
    tokens = RateLimiter(tpm=100, window_s=0.4)
    assert tokens.acquire(60) < 0.05
    assert tokens.acquire(60) >= 0.35  # 120 > 100 in one window


def test_a_server_without_the_usage_option_is_asked_again_without_it(fault_proxy, model_server,
                                                                     tasks):
    proxy = fault_proxy([], reject_usage_option=True)
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST, concurrency=4)
    out = run(backend, requests_for(tasks, n=2, max_tokens=4))
    assert len(out) == 8 and all(isinstance(o, Generation) for o in out.values()), \
        [o for o in out.values() if not isinstance(o, Generation)]
    # each of the (at most 4) requests already in flight with the option was asked once more
    assert 8 < proxy.posts() <= 12


@pytest.mark.parametrize("fault", ["errchunk", "ping"])
def test_bad_events_in_a_stream_are_the_servers_and_retried(fault_proxy, model_server, tasks,
                                                            fault):
    proxy = fault_proxy([fault] * 3)
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST, concurrency=1)
    out = run(backend, requests_for(tasks[:2]))
    failed = out[(tasks[0].task_id, 0)]
    assert isinstance(failed, GenerationFailure) and failed.kind == "server_error"
    assert failed.attempts == 3 and "after 3 attempts" in failed.message
    assert isinstance(out[(tasks[1].task_id, 0)], Generation)  # the run goes on


def test_a_server_that_ignores_stream_true_is_read_whole(fault_proxy, model_server, tasks):
    proxy = fault_proxy(["json"])
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST)
    gen = run(backend, requests_for(tasks[:1]))[(tasks[0].task_id, 0)]
    assert isinstance(gen, Generation) and gen.ttft_s is None and proxy.posts() == 1


def test_every_transient_5xx_is_retried_but_501(fault_proxy, model_server, tasks):
    proxy = fault_proxy(["529", "520", "408"])
    backend = OpenAIBackend(model_server.model, base_url=proxy.url,
                            retry=RetryPolicy(attempts=4, base_s=0.01, max_wait_s=0.05))
    assert isinstance(run(backend, requests_for(tasks[:1]))[(tasks[0].task_id, 0)], Generation)
    proxy = fault_proxy(["501"])
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, retry=FAST)
    failed = run(backend, requests_for(tasks[:1]))[(tasks[0].task_id, 0)]
    assert failed.kind == "rejected" and failed.attempts == 1


def test_closing_the_iterator_returns_at_once_and_the_backend_still_works(fault_proxy,
                                                                         model_server, tasks):
    proxy = fault_proxy(["pass"] + ["slow:20"] * 2)
    backend = OpenAIBackend(model_server.model, base_url=proxy.url, concurrency=2, rpm=1)
    results = backend.generate(requests_for(tasks, max_tokens=4))
    first = next(results)
    assert isinstance(first[1], Generation)
    started = time.monotonic()
    results.close()  # what Ctrl-C does to the pipeline's loop
    assert time.monotonic() - started < 2  # neither the silent server nor --rpm is waited for
    again = run(OpenAIBackend(model_server.model, base_url=model_server.base_url),
                requests_for(tasks[:1]))
    assert isinstance(again[(tasks[0].task_id, 0)], Generation)


def test_the_rate_limiter_lets_a_stopped_run_go():
    import threading

    limiter = RateLimiter(rpm=1, window_s=60)
    limiter.acquire(1)
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert limiter.acquire(1, stop) < 1.0


def test_completion_stops_beyond_the_apis_four_are_cut_here():
    from perfjudge.generate.openai_compat import _cut

    assert _cut("    return x\nassert f(1)\n", ("\ndef ", "\nassert ")) == ("    return x", True)
    assert _cut("    return x\n", ("\ndef ",)) == ("    return x\n", False)
