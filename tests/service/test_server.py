"""`perfjudge serve` as a client sees it: a real server process on loopback, real HTTP, the
real sandbox and real HumanEval+ tasks; SandboxFusion's /run_code driven by verl's own
client (installed by `scripts/setup.sh --test`)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import Server, needs_sandbox

from perfjudge.benchmarks import get_benchmark

# "heavy": its servers fill both cores, so it never runs beside the load-sensitive tests
pytestmark = [needs_sandbox, pytest.mark.xdist_group("heavy")]

BUSY = ("import time\nstart = time.process_time()\n"
        "while time.process_time() - start < {seconds}:\n    pass\nprint('done')\n")
WRONG_0 = "def has_close_elements(numbers, threshold):\n    return False\n"


@pytest.fixture(scope="module")
def humaneval_plus(data_dir):
    return {t.task_id: t for t in get_benchmark("humaneval+").load(data_dir)}


@pytest.fixture(scope="module")
def server(tmp_path_factory, data_dir):
    tmp = tmp_path_factory.mktemp("serve")
    s = Server(tmp, data_dir, "-j", "2", "--max-queue", "16", "--max-body-bytes", "65536",
               "--timeout", "3", "--memory-mb", "512").start()
    yield s
    assert s.stop() == 0, s.log.read_text()


def verl_client():
    """verl's SandboxFusion client module, loaded from its file: the rest of the verl
    package (torch, tensordict) is not installed and not needed."""
    path = importlib.metadata.distribution("verl").locate_file(
        "verl/utils/reward_score/sandbox_fusion/utils.py")
    spec = importlib.util.spec_from_file_location("verl_sandbox_fusion_utils", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- auth, limits


def test_health_needs_no_token(server):
    answer = httpx.get(server.url + "/v1/health").json()
    assert answer["status"] == "ok" and answer["workers"] == 2
    assert answer["queue"] == {"depth": 0, "limit": 16}


@pytest.mark.parametrize("method, path", [("post", "/v1/judge"), ("post", "/v1/judge/batch"),
                                          ("post", "/run_code"), ("get", "/metrics")])
def test_no_token_is_401_and_a_wrong_one_403(server, method, path):
    call = getattr(httpx, method)
    kw = {"json": {}} if method == "post" else {}
    missing = call(server.url + path, **kw)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = call(server.url + path, headers={"Authorization": "Bearer " + "x" * 32}, **kw)
    assert wrong.status_code == 403
    in_path = call(f"{server.url}/t/{'y' * 32}{path}", **kw)
    assert in_path.status_code == 403


def test_the_token_works_in_the_header_and_in_the_path(server, humaneval_plus):
    body = {"benchmark": "humaneval+", "task_id": "HumanEval/0",
            "code": humaneval_plus["HumanEval/0"].canonical.code}
    assert server.post("/v1/judge", body).status_code == 200
    via_path = httpx.post(f"{server.url}/t/{server.token}/v1/judge", json=body, timeout=60)
    assert via_path.status_code == 200 and via_path.json()["verdict"] == "passed"


def test_a_body_over_the_limit_is_413_declared_or_streamed(server):
    code = "x = 1\n" * 12_000  # 72 kB > 64 KiB
    body = {"benchmark": "humaneval+", "task_id": "HumanEval/0", "code": code}
    assert server.post("/v1/judge", body).status_code == 413

    def chunks():
        data = json.dumps(body).encode()
        for i in range(0, len(data), 8192):
            yield data[i:i + 8192]

    streamed = httpx.post(server.url + "/v1/judge", content=chunks(), timeout=30,
                          headers=server.headers | {"content-type": "application/json"})
    assert streamed.status_code == 413
    assert "65536" in streamed.json()["message"]


def test_malformed_and_unknown_requests_say_what_is_wrong(server):
    assert server.post("/v1/judge", {"benchmark": "humaneval+"}).status_code == 422
    both = server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": "HumanEval/0",
                                     "code": "x", "completion": "y"})
    assert both.status_code == 422 and "exactly one" in both.text
    unknown = server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": "HumanEval/999",
                                        "code": "x"})
    assert unknown.status_code == 404 and "HumanEval/999" in unknown.json()["message"]
    timed = server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": "HumanEval/0",
                                      "code": "x", "meter": "cpu_time"})
    assert timed.status_code == 422 and "measures time" in timed.json()["message"]
    over = server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": "HumanEval/0",
                                     "code": "x", "limits": {"timeout_s": 30}})
    assert over.status_code == 422 and "at most the service's 3 s" in over.json()["message"]


# ----------------------------------------------------------------------------- judging


def test_correct_and_wrong_samples_get_their_verdicts_and_rewards(server, humaneval_plus):
    task = humaneval_plus["HumanEval/0"]
    right = server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": task.task_id,
                                      "code": task.canonical.code, "reward": "pass_rate"}).json()
    assert right["verdict"] == "passed" and right["reward"]["value"] == 1.0
    total = right["tests_total"]
    assert total == right["tests_run"] > 1000  # the base and the plus inputs
    # `return False` fails at the first input whose answer is True: computed here with the
    # canonical solution, outside the sandbox (trusted code)
    namespace: dict = {}
    exec(task.canonical.code, namespace)
    first_true = next(i for i, t in enumerate(task.tests)
                      if namespace["has_close_elements"](*t.input))
    wrong = server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": task.task_id,
                                      "code": WRONG_0, "reward": "pass_rate"}).json()
    assert wrong["verdict"] == "wrong_answer"
    assert wrong["failure"]["index"] == first_true
    assert wrong["reward"]["value"] == pytest.approx(first_true / total)


def test_a_completion_and_an_identical_request_from_the_store(server, humaneval_plus):
    task = humaneval_plus["HumanEval/2"]
    body = {"benchmark": "humaneval+", "task_id": task.task_id,
            "completion": "    return number % 1.0\n"}
    first = server.post("/v1/judge", body).json()
    again = server.post("/v1/judge", body).json()
    assert first["verdict"] == again["verdict"] == "passed"
    assert not first["cached"] and again["cached"] and first["key"] == again["key"]


def test_a_batch_answers_in_order(server, humaneval_plus):
    task = humaneval_plus["HumanEval/0"]
    answers = server.post("/v1/judge/batch", [
        {"benchmark": "humaneval+", "task_id": task.task_id, "code": task.canonical.code},
        {"benchmark": "humaneval+", "task_id": "HumanEval/999", "code": "x"},
        {"benchmark": "humaneval+", "task_id": task.task_id, "code": WRONG_0},
        {"benchmark": "humaneval+", "task_id": task.task_id, "code": "import os\nos._exit(0)\n"},
    ]).json()
    assert [a["status"] for a in answers] == [200, 404, 200, 200]
    assert [a.get("verdict") for a in answers] == ["passed", None, "wrong_answer",
                                                    "runtime_error"]


def test_a_valgrind_cost_is_deterministic_and_scored_against_the_reference(server, data_dir):
    task = get_benchmark("enamel").load(data_dir)[0]
    body = {"benchmark": "enamel", "task_id": task.task_id, "code": task.canonical.code,
            "meter": "valgrind", "reward": "efficiency"}
    answer = server.post("/v1/judge", body).json()
    assert answer["verdict"] == "passed" and answer["unit"] == "instructions"
    # the sample is the reference: the same count, speedup 1, the full reward
    ref = answer["scores"]["references"][task.canonical.name]
    assert ref["cost"] == answer["cost"] > 0
    assert answer["scores"]["speedup"] == 1.0 and answer["reward"]["value"] == 1.0
    slower = server.post("/v1/judge", body | {"code": task.canonical.code
                                              + "\n_ = sum(range(200000))\n"}).json()
    assert slower["verdict"] == "passed" and slower["load_cost"] > answer["load_cost"]
    assert slower["scores"]["speedup"] < 1.0
    assert slower["reward"]["value"] == pytest.approx(0.5 + 0.5 * slower["scores"]["speedup"])


# ----------------------------------------------------------------------------- /run_code


def test_run_code_answers_in_sandbox_fusions_shape(server):
    ok = server.post("/run_code", {"code": "print(int(input()) * 2)", "stdin": "21",
                                   "language": "python"}).json()
    assert ok["status"] == "Success" and ok["run_result"]["status"] == "Finished"
    assert ok["run_result"]["stdout"] == "42\n" and ok["run_result"]["return_code"] == 0
    assert ok["compile_result"] is None and ok["perfjudge"]["cpu_seconds"] > 0
    failed = server.post("/run_code", {"code": "raise ValueError('boom')",
                                       "language": "python"}).json()
    assert failed["status"] == "Failed" and failed["run_result"]["return_code"] == 1
    assert failed["run_result"]["stderr"].endswith("ValueError: boom\n")
    assert "perfjudge" not in failed["run_result"]["stderr"]  # the program's frames only
    slow = server.post("/run_code", {"code": "while True: pass", "language": "python",
                                     "run_timeout": 1}).json()
    assert slow["status"] == "Failed" and slow["run_result"]["status"] == "TimeLimitExceeded"
    other = server.post("/run_code", {"code": "int main(){}", "language": "cpp"}).json()
    assert other["status"] == "SandboxError" and "python only" in other["message"]
    counted = server.post("/run_code", {"code": "print(sum(range(int(input()))))",
                                        "stdin": "1000", "language": "python",
                                        "meter": "valgrind"}).json()
    again = server.post("/run_code", {"code": "print(sum(range(int(input()))))",
                                      "stdin": "1000", "language": "python",
                                      "meter": "valgrind"}).json()
    assert counted["perfjudge"]["unit"] == "instructions"
    assert counted["perfjudge"]["cost"] == again["perfjudge"]["cost"] > 0


def test_verls_sandbox_fusion_client_scores_through_the_path_token(server):
    verl = verl_client()
    url = f"{server.url}/t/{server.token}/run_code"
    in_outs = {"inputs": ["1 2\n", "10 -3\n", "4 4\n"], "outputs": ["3\n", "7\n", "9\n"]}
    code = "a, b = map(int, input().split())\nprint(a + b)\n"
    results, metadata = verl.check_correctness(url, in_outs, code, timeout=5)
    assert results == [True, True, False], metadata
    assert metadata[2]["status"] == "wrong_answer"
    crash, _ = verl.check_correctness(url, {"inputs": ["1\n"], "outputs": ["1\n"]},
                                      "raise SystemExit(3)", timeout=5)
    assert crash == [-2]  # verl's runtime error
    hang, _ = verl.check_correctness(url, {"inputs": ["1\n"], "outputs": ["1\n"]},
                                     "while True: pass", timeout=1)
    assert hang == [-3]  # verl's timeout


def test_metrics_count_requests_verdicts_and_latency(server, humaneval_plus):
    def counts():
        return [server.metric("perfjudge_verdicts_total", verdict="wrong_answer", cached=c)
                for c in ("false", "true")]

    before = counts()
    code = WRONG_0 + "# metrics\n"  # judged by this test only, whatever ran before it
    for _ in range(2):
        server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": "HumanEval/0",
                                  "code": code})
    assert counts() == [before[0] + 1, before[1] + 1]  # judged once, then from the store
    assert server.metric("perfjudge_requests_total", route="/v1/judge", status="200") >= 2
    assert server.metric("perfjudge_request_seconds_count", route="/v1/judge") >= 2
    assert server.metric("perfjudge_queue_depth") == 0


# ----------------------------------------------------------------------------- hostile code


HOSTILE_DIR = Path(__file__).parents[1] / "engine" / "hostile"


def _plain_hostile() -> list[str]:
    """The hostile suite's samples that need no placeholder, limit or time meter of their
    own (a time meter is refused by the service; hidden_child_work burns 0.3 s per call)."""
    names = []
    for path in sorted(HOSTILE_DIR.glob("*.py")):
        if path.stem in ("patched_timers", "hidden_child_work"):
            continue
        text = path.read_text()
        if "# limits:" in text or "__" in text.replace("__name__", "").replace(
                "__main__", "").replace("__class__", "").replace("__builtins__", ""):
            continue
        names.append(path.stem)
    return names


@pytest.mark.slow
def test_the_hostile_suite_through_http_gets_the_engines_verdicts(server, data_dir, tmp_path):
    """Each hostile sample, as HumanEval+ /53 (``add(x, y)``, its mini input set), judged
    through the service and directly by the engine with the same limits: the same verdict,
    and the service still answers an honest sample afterwards."""
    sys.path.insert(0, str(HOSTILE_DIR.parent))
    from hostcheck import sandbox_processes

    from perfjudge.engine.judge import Engine, check_solution
    from perfjudge.engine.sandbox import Limits
    from perfjudge.store import Store

    task = {t.task_id: t for t in get_benchmark("humaneval+mini").load(data_dir)}["HumanEval/53"]
    engine = Engine(limits=Limits(test_seconds=3.0, memory_bytes=512 << 20),
                    cache=Store(tmp_path / "direct.db"))
    names = _plain_hostile()
    assert len(names) >= 20
    escaped_before = {p for p in sandbox_processes() if not p[2]}
    for name in names:
        code = (HOSTILE_DIR / f"{name}.py").read_text() + "\n\nadd = f\n"
        via_http = server.post("/v1/judge", {"benchmark": "humaneval+mini",
                                             "task_id": task.task_id, "code": code})
        assert via_http.status_code == 200, (name, via_http.text)
        direct = check_solution(task, code, engine=engine)
        assert via_http.json()["verdict"] == direct.verdict, (name, via_http.json()["detail"],
                                                              direct.detail)
        honest = server.post("/v1/judge", {"benchmark": "humaneval+mini",
                                           "task_id": task.task_id, "code": task.canonical.code})
        assert honest.json()["verdict"] == "passed", name
    escaped = {p for p in sandbox_processes() if not p[2]} - escaped_before
    assert not escaped, f"sandbox-uid processes outside any cgroup: {escaped}"


# ----------------------------------------------------------------------------- load, faults


def _in_thread(fn, *args):
    out: dict = {}

    def run():
        try:
            out["value"] = fn(*args)
        except Exception as exc:  # surfaced by the caller
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def _wait_depth(server: Server, depth: int, wait_s: float = 30.0) -> None:
    deadline = time.monotonic() + wait_s
    while httpx.get(server.url + "/v1/health").json()["queue"]["depth"] < depth:
        assert time.monotonic() < deadline, "the busy request never entered the queue"
        time.sleep(0.05)


def test_a_full_queue_is_429_with_retry_after_and_504_for_sandbox_fusion_clients(
        make_server, humaneval_plus):
    server = make_server("-j", "1", "--max-queue", "1", "--timeout", "10").start()
    busy, out = _in_thread(server.post, "/run_code", {"code": BUSY.format(seconds=2.5),
                                                      "language": "python",
                                                      "run_timeout": 10})
    _wait_depth(server, 1)
    refused = server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": "HumanEval/0",
                                        "code": WRONG_0})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "queue is full" in refused.json()["message"]
    fusion = server.post("/run_code", {"code": "print(1)", "language": "python"})
    assert fusion.status_code == 504 and int(fusion.headers["retry-after"]) >= 1
    # verl's client retries a 504 after 1 s, then 2 s: it gets through once the queue drains
    verl = verl_client()
    answer, error = verl.call_sandbox_api(f"{server.url}/t/{server.token}/run_code",
                                          "print(6 * 7)", None, 10, 10, 1024)
    assert error is None and answer["run_result"]["stdout"] == "42\n"
    busy.join(60)
    assert out["value"].status_code == 200 and out["value"].json()["status"] == "Success"
    assert server.metric("perfjudge_requests_total", route="/run_code", status="504") >= 2
    assert server.metric("perfjudge_requests_total", route="/v1/judge", status="429") == 1


def test_a_worker_that_keeps_dying_is_503_and_the_service_goes_on(make_server, humaneval_plus):
    server = make_server("-j", "1").start()
    task = humaneval_plus["HumanEval/0"]
    judged, out = _in_thread(server.post, "/v1/judge", {
        "benchmark": "humaneval+", "task_id": task.task_id, "code": task.canonical.code,
        "meter": "valgrind"})
    killed = 0
    while judged.is_alive():  # kill every worker the pool starts, until the answer comes
        for pid in server.worker_pids():
            try:
                import os

                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    assert "error" not in out, out
    answer = out["value"]
    assert answer.status_code == 503, answer.text
    assert answer.json()["verdict"] == "sandbox_error"
    assert "worker" in answer.json()["detail"] and killed >= 2
    honest = server.post("/v1/judge", {"benchmark": "humaneval+", "task_id": task.task_id,
                                       "code": task.canonical.code})
    assert honest.status_code == 200 and honest.json()["verdict"] == "passed"


def test_sigterm_lets_the_request_in_flight_finish(make_server):
    server = make_server("-j", "1", "--timeout", "10").start()
    busy, out = _in_thread(server.post, "/run_code", {"code": BUSY.format(seconds=2),
                                                      "language": "python",
                                                      "run_timeout": 10})
    _wait_depth(server, 1)
    server.proc.send_signal(signal.SIGTERM)
    busy.join(60)
    assert out["value"].status_code == 200
    assert out["value"].json()["run_result"]["stdout"] == "done\n"
    assert server.proc.wait(60) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/v1/health", timeout=2)


def test_a_restarted_server_answers_from_its_store(make_server, humaneval_plus, tmp_path):
    store = tmp_path / "kept.db"
    body = {"benchmark": "humaneval+", "task_id": "HumanEval/4",
            "code": humaneval_plus["HumanEval/4"].canonical.code}
    first = make_server("-j", "1", store=store).start()
    assert first.post("/v1/judge", body).json()["cached"] is False
    assert first.stop() == 0
    second = make_server("-j", "1", store=store).start()
    again = second.post("/v1/judge", body).json()
    assert again["cached"] is True and again["verdict"] == "passed"
    assert second.get("/v1/health").json()["judged"] == 0


def test_a_public_address_needs_a_token(data_dir):
    done = subprocess.run([sys.executable, "-m", "perfjudge.cli", "serve", "--host", "0.0.0.0",
                           "--data-dir", str(data_dir)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "without a token" in done.stderr and "--token-file" in done.stderr
