"""The feedback loop: generate, judge, feed back, regenerate (`perfjudge refine`).

    refine(RefineOptions(benchmark="builtin", backend="openai", model="...", rounds=3))

Round 0 asks the model for every task with the benchmark's prompt (`generate.prompts`).
Each later round asks again for every task still open, in the same conversation: the
first prompt, the model's last answer, and feedback rendered from a template
(`pipeline/refine_templates/<mode>.txt`, or ``--templates DIR`` with files of the same
names). Every answer is judged by the service's core (`service.judging.JudgeService`: the
engine's sandbox, the store as cache, scores against the task's references), so a refine
loop and `perfjudge serve` judge alike.

Feedback modes, after the papers:

- ``tests``: the first failing test, its input, the expected and the actual output or the
  error (ECCO's exec-refine with test feedback, Waghjale et al. 2024); ``hide_inputs``
  withholds the input and outputs and says only which hidden test failed and how (ECCO's
  hidden-test setting). A correct answer is told its cost against the reference.
- ``cost``: the answer's cost per performance test against the canonical reference's, the
  slowest test named (PerfCodeGen, Peng et al. 2024, feeds back the slowest test case).
- ``profile``: per-line execution counts of the answer's own code on its slowest test
  (SOAP/EffiLearner, Huang et al. 2024, feed back line_profiler output). **Deliberate
  difference:** callgrind counts the interpreter's C functions, not Python lines (Python
  3.11 has no perf trampoline), so the counts come from a line tracer that runs with the
  answer in the sandbox. They are exact and repeatable, but the answer's own code runs
  beside the tracer, so they are feedback for the model, never a score.

A task's best answer is its correct one of least cost (the earliest among equals). A task
stops when its best answer reaches the best reference level (every level, or a speedup of
at least 1 against the canonical reference when the task has one; with meter ``none``, as
soon as it is correct), or when the rounds or the budget (``budget_usd``, counted from the
generations' prices) end. Every attempt is recorded (code, verdict, cost, tokens, $), in
``rounds.jsonl``; ``best.jsonl`` is a samples file of the best answers (`perfjudge
evaluate -s` reads it), ``summary.json`` the per-round report.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import json
import string
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from perfjudge import meters
from perfjudge.errors import UsageError
from perfjudge.executors import Executor, LocalPoolExecutor
from perfjudge.generate.backends import (Generation, GenerationFailure, GenerationRequest,
                                         ModelBackend, SamplingParams, get_backend)
from perfjudge.generate.extract import code_from_output, split_reasoning
from perfjudge.generate.prices import Price, PriceTable
from perfjudge.generate.prompts import Prompt, build_prompt
from perfjudge.records.task import Task
from perfjudge.service.judging import JudgeInput, JudgeService
from perfjudge.store import Store

FEEDBACK = ("tests", "cost", "profile")
TEMPLATES = Path(__file__).resolve().parent / "refine_templates"


@dataclass
class RefineOptions:
    benchmark: str = "builtin"
    backend: str = "openai"
    model: str = ""
    rounds: int = 3
    """Rounds after the first answer: a task is asked at most ``rounds + 1`` times."""
    feedback: str = "tests"
    budget_usd: float | None = None
    output: Path = Path("perfjudge-refine")
    meter: str | None = None
    """None: the benchmark's default for ``tests`` feedback, valgrind for cost and profile."""
    tasks: tuple[str, ...] = ()
    limit: int | None = None
    data_dir: Path | None = None
    store: Path | None = None
    workers: int | None = None
    hide_inputs: bool = False
    templates: Path | None = None
    params: SamplingParams = SamplingParams()
    system: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 4
    prices: Path | None = None
    price: Price | None = None
    backend_instance: ModelBackend | None = None
    executor: Executor | None = None


@dataclass
class Attempt:
    """One answer of the model to one task in one round, as judged."""

    task_id: str
    round: int
    code: str
    verdict: str
    detail: str = ""
    cost: float | None = None
    unit: str | None = None
    speedup: float | None = None
    level: dict[str, int] | None = None
    tests_passed: int = 0
    tests_total: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    feedback: str = ""
    """The feedback this answer was asked with (empty in round 0)."""
    raw: str = ""
    cached: bool = False

    @property
    def correct(self) -> bool:
        return self.verdict == "passed"


@dataclass
class TaskState:
    task: Task
    messages: list[dict[str, str]]
    history: list[Attempt] = field(default_factory=list)
    best: Attempt | None = None
    stopped: str | None = None
    """Why the task was asked no more: ``best level reached``, ``correct`` (meter none),
    ``budget``, ``rounds``."""
    answer: dict[str, Any] | None = None
    """The judge's last full answer (feedback is built from it)."""


@dataclass
class RefineReport:
    output: Path
    summary: dict[str, Any]
    attempts: list[Attempt]


Progress = Callable[[int, int, int], None]
"""``progress(round, done, total)`` as each answer of a round is judged."""


def refine(options: RefineOptions, progress: Progress | None = None) -> RefineReport:
    _validate(options)
    templates = _templates(options.templates)
    backend = options.backend_instance or get_backend(options.backend, **_backend_args(options))
    prices = PriceTable.load(options.prices)
    if options.budget_usd is not None and options.price is None and \
            prices.lookup(backend.model) is None:
        raise UsageError(f"--budget-usd needs the model's price: {backend.model!r} is not in "
                         "the price table; give --price-in/--price-out or --prices FILE")
    executor = options.executor or LocalPoolExecutor(options.workers, store=options.store)
    service = JudgeService(executor, Store(options.store), data_dir=options.data_dir,
                           max_queue=1 << 16, request_timeout_s=24 * 3600)
    try:
        backend.check()
        bench, by_id = service.benchmark(options.benchmark)
        tasks = _select(by_id, options)
        meter = options.meter or ("valgrind" if options.feedback != "tests"
                                  else meters.default_meter(bench.native_metric))
        if options.feedback != "tests" and not meters.get_meter(meter).measures:
            raise UsageError(f"--feedback {options.feedback} feeds back costs: it needs a "
                             "meter (valgrind, instructions), not 'none'")
        states = {t.task_id: TaskState(t, list(_first_messages(t, options))) for t in tasks}
        spent = 0.0
        rounds: list[dict[str, Any]] = []
        for round_ in range(options.rounds + 1):
            open_ = [s for s in states.values() if s.stopped is None]
            if not open_:
                break
            if options.budget_usd is not None and spent >= options.budget_usd:
                for s in open_:
                    s.stopped = "budget"
                break
            attempts = _round(round_, open_, backend, service, options, meter, prices,
                              templates, progress)
            spent += sum(a.cost_usd or 0.0 for a in attempts)
            for s in open_:
                _close_if_done(s, meter, round_ == options.rounds)
            rounds.append(_round_summary(round_, attempts, states, spent))
        for s in states.values():
            s.stopped = s.stopped or "rounds"
        summary = _summary(options, bench.name, backend, meter, rounds, states, spent)
        attempts = [a for s in states.values() for a in s.history]
        _write(options.output, summary, attempts, states)
        return RefineReport(options.output, summary, attempts)
    finally:
        service.close(executor=options.executor is None)
        if options.backend_instance is None:
            backend.close()


# ----------------------------------------------------------------------------- one round


def _round(round_: int, states: list[TaskState], backend: ModelBackend,
           service: JudgeService, options: RefineOptions, meter: str, prices: PriceTable,
           templates: dict[str, string.Template], progress: Progress | None) -> list[Attempt]:
    feedback = {}
    if round_ > 0:
        for s in states:
            feedback[s.task.task_id] = _feedback(s, options, templates, service, meter)
            s.messages += [{"role": "assistant", "content": _fenced(s.history[-1].code)},
                           {"role": "user", "content": feedback[s.task.task_id]}]
    requests = [GenerationRequest(Prompt(s.task.task_id, "refine", messages=tuple(s.messages)),
                                  round_, options.params) for s in states]
    by_id = {s.task.task_id: s for s in states}
    generated: dict[str, Generation | GenerationFailure] = {}
    for request, outcome in backend.generate(requests):
        generated[request.task_id] = outcome
    answers = _judge_all(service, options, meter, by_id, generated)
    attempts = []
    for done, s in enumerate(states, 1):
        outcome = generated.get(s.task.task_id) or GenerationFailure("backend_error",
                                                                      "no outcome")
        attempt = _attempt(s, round_, outcome, answers.get(s.task.task_id), prices, options,
                           feedback.get(s.task.task_id, ""))
        s.history.append(attempt)
        if attempt.correct and _better(attempt, s.best):
            s.best = attempt
        attempts.append(attempt)
        if progress:
            progress(round_, done, len(states))
    return attempts


def _judge_all(service: JudgeService, options: RefineOptions, meter: str,
               states: dict[str, TaskState],
               generated: dict[str, Generation | GenerationFailure]) -> dict[str, Any]:
    inputs, ids = [], []
    for task_id, outcome in generated.items():
        if isinstance(outcome, Generation):
            visible, _ = split_reasoning(outcome.text)
            code, _ = code_from_output(visible, states[task_id].task)
            inputs.append(JudgeInput(options.benchmark, task_id, code=code, meter=meter))
            ids.append(task_id)
    answers = asyncio.run(service.judge_many(inputs)) if inputs else []
    out = {}
    for task_id, answer, request in zip(ids, answers, inputs):
        if isinstance(answer, Exception):
            answer = {"verdict": "sandbox_error", "detail": str(answer)}
        out[task_id] = answer | {"code": request.code}
        states[task_id].answer = out[task_id]
    return out


def _attempt(s: TaskState, round_: int, outcome: Generation | GenerationFailure,
             answer: dict[str, Any] | None, prices: PriceTable, options: RefineOptions,
             feedback: str) -> Attempt:
    if isinstance(outcome, GenerationFailure) or answer is None:
        message = outcome.message if isinstance(outcome, GenerationFailure) else "not judged"
        return Attempt(s.task.task_id, round_, "", "generation_failed", detail=message,
                       feedback=feedback)
    price = options.price or prices.lookup(outcome.model)
    dollars = outcome.cost_usd
    if dollars is None and price is not None:
        dollars = price.cost(outcome.prompt_tokens, outcome.completion_tokens)
    scores = answer.get("scores") or {}
    return Attempt(s.task.task_id, round_, answer["code"], answer["verdict"],
                   detail=answer.get("detail", ""), cost=answer.get("cost"),
                   unit=answer.get("unit"), speedup=scores.get("speedup"),
                   level=scores.get("level"), tests_passed=answer.get("tests_passed", 0),
                   tests_total=answer.get("tests_total") or 0,
                   prompt_tokens=outcome.prompt_tokens,
                   completion_tokens=outcome.completion_tokens,
                   cost_usd=None if dollars is None else round(dollars, 8),
                   latency_s=outcome.latency_s, feedback=feedback, raw=outcome.text,
                   cached=bool(answer.get("cached")))


def _better(a: Attempt, best: Attempt | None) -> bool:
    if best is None:
        return True
    if a.cost is None or best.cost is None:
        return False
    return a.cost < best.cost


def _at_best_level(a: Attempt) -> bool:
    if a.level is not None:
        return a.level["reached"] == a.level["of"]
    return a.speedup is not None and a.speedup >= 1.0


def _close_if_done(s: TaskState, meter: str, last: bool) -> None:
    best = s.best
    if best is not None:
        if not meters.get_meter(meter).measures:
            s.stopped = "correct"
        elif _at_best_level(best):
            s.stopped = "best level reached"
    if s.stopped is None and last:
        s.stopped = "rounds"


# ----------------------------------------------------------------------------- feedback


def _feedback(s: TaskState, options: RefineOptions, templates: dict[str, string.Template],
              service: JudgeService, meter: str) -> str:
    last, answer = s.history[-1], s.answer or {}
    fields = {"verdict": last.verdict, "detail": last.detail or "-",
              "cost": _cost_text(last), "reference": _reference_text(answer),
              "slowest": "", "profile": ""}
    if last.verdict == "generation_failed":
        mode = "retry"
    elif not last.correct:
        mode = "tests_hidden" if options.hide_inputs else "tests"
        failure = answer.get("failure") or {}
        fields.update(test=failure.get("index", "?"), input=failure.get("input_repr") or "-",
                      expected=failure.get("expected_repr") or "-",
                      got=failure.get("output_repr") or (
                          f"{failure.get('error_type')}: {failure.get('error_message')}"
                          if failure.get("error_type") else last.detail))
    else:
        mode = {"tests": "cost", "cost": "cost", "profile": "profile"}[options.feedback]
        fields["slowest"] = _slowest_text(answer)
        if mode == "profile":
            fields["profile"] = _profile_text(s.task, last.code, answer, service)
    return templates[mode].safe_substitute(fields).strip()


def _cost_text(a: Attempt) -> str:
    if a.cost is None:
        return "not measured"
    return f"{a.cost:,.0f} {a.unit or ''}".strip()


def _reference_text(answer: dict[str, Any]) -> str:
    refs = (answer.get("scores") or {}).get("references") or {}
    costs = [f"{name}: {r['cost']:,.0f}" for name, r in refs.items() if r.get("cost")]
    speedup = (answer.get("scores") or {}).get("speedup")
    text = "; ".join(costs) if costs else "no reference cost"
    if speedup is not None:
        text += f" (the canonical reference is {1 / speedup:.2f}x yours)" if speedup < 1 \
            else " (you match or beat the canonical reference)"
    return text


def _slowest_text(answer: dict[str, Any]) -> str:
    ms = answer.get("measurements") or []
    if not ms:
        return "no per-test costs"
    slowest = max(ms, key=lambda m: m["value"])
    return (f"test {slowest['test_index']} costs {slowest['value']:,.0f} "
            f"{answer.get('unit') or ''} of the total {answer.get('cost') or 0:,.0f}").strip()


PROFILE_DRIVER = '''
import ast as _pj_ast, sys as _pj_sys
_pj_counts = {}
def _pj_trace(frame, event, arg):
    if frame.f_code.co_filename != "solution.py":
        return None
    if event == "line":
        _pj_counts[frame.f_lineno] = _pj_counts.get(frame.f_lineno, 0) + 1
    return _pj_trace
_pj_args = _pj_ast.literal_eval(_pj_sys.stdin.read())
_pj_sys.settrace(_pj_trace)
try:
    %(entry)s(*_pj_args)
finally:
    _pj_sys.settrace(None)
print(sorted(_pj_counts.items()))
'''


def _profile_text(task: Task, code: str, answer: dict[str, Any], service: JudgeService) -> str:
    """Line counts of ``code`` on its slowest performance test, run in the sandbox."""
    from perfjudge.engine.judge import Engine
    from perfjudge.records.program import ProgramRequest

    ms = answer.get("measurements") or []
    if task.kind != "function" or not ms:
        return "(no profile: only function tasks with measured tests are profiled)"
    slowest = max(ms, key=lambda m: m["value"])["test_index"]
    try:
        tests = Engine(limits=service.limits, cache=service.store).performance_tests(task)
        stdin = repr(list(tests[slowest].input))
    except Exception as exc:  # the inputs are the engine's; without them there is no profile
        return f"(no profile: {type(exc).__name__}: {exc})"
    program = code + "\n" + PROFILE_DRIVER % {"entry": task.entry_point}
    result = next(iter(service.executor.run_programs(
        [ProgramRequest(program, stdin, limits=service.limits)])))[1]
    if result.exit_code != 0:
        return f"(no profile: the profiled run {result.status}: {result.detail})"
    try:
        counts = dict(ast.literal_eval(result.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError, SyntaxError):
        return "(no profile: the profiled run printed no counts)"
    lines = code.splitlines()
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:8]
    return "\n".join(f"line {n:>4}: {c:>12,} executions  | "
                     f"{lines[n - 1].strip() if 0 < n <= len(lines) else ''}" for n, c in top)


def _fenced(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


# ----------------------------------------------------------------------------- set-up, files


def _validate(options: RefineOptions) -> None:
    if options.feedback not in FEEDBACK:
        from perfjudge.errors import UnknownName

        raise UnknownName("feedback mode", options.feedback, FEEDBACK)
    if options.rounds < 0:
        raise UsageError(f"--rounds must be at least 0 (got {options.rounds})")
    if options.budget_usd is not None and options.budget_usd <= 0:
        raise UsageError(f"--budget-usd must be positive (got {options.budget_usd})")
    if options.backend_instance is None and not options.model:
        raise UsageError("--model is required")


def _backend_args(options: RefineOptions) -> dict[str, Any]:
    extra: dict[str, Any] = {"model": options.model}
    if options.backend == "openai":
        extra.update(base_url=options.base_url, api_key_env=options.api_key_env,
                     concurrency=options.concurrency)
    return extra


def _templates(folder: Path | None) -> dict[str, string.Template]:
    names = ("tests", "tests_hidden", "cost", "profile", "retry")
    out = {}
    for name in names:
        path = folder / f"{name}.txt" if folder and (folder / f"{name}.txt").exists() \
            else TEMPLATES / f"{name}.txt"
        out[name] = string.Template(path.read_text())
    return out


def _select(by_id: dict[str, Task], options: RefineOptions) -> list[Task]:
    from perfjudge.errors import UnknownName

    for task_id in options.tasks:
        if task_id not in by_id:
            raise UnknownName("task", task_id, by_id, where=options.benchmark)
    tasks = [by_id[t] for t in options.tasks] if options.tasks else list(by_id.values())
    return tasks[:options.limit] if options.limit else tasks


def _first_messages(task: Task, options: RefineOptions) -> tuple[dict[str, str], ...]:
    prompt = build_prompt(task, chat=True, system=options.system)
    return prompt.messages


def _round_summary(round_: int, attempts: list[Attempt], states: dict[str, TaskState],
                   spent: float) -> dict[str, Any]:
    bests = [s.best for s in states.values() if s.best is not None]
    speedups = [b.speedup for b in bests if b.speedup is not None]
    return {
        "round": round_, "asked": len(attempts),
        "correct": sum(a.correct for a in attempts),
        "best_correct": len(bests),
        "best_at_best_level": sum(_at_best_level(b) for b in bests),
        "best_mean_speedup": sum(speedups) / len(speedups) if speedups else None,
        "prompt_tokens": sum(a.prompt_tokens or 0 for a in attempts),
        "completion_tokens": sum(a.completion_tokens or 0 for a in attempts),
        "cost_usd": round(sum(a.cost_usd or 0.0 for a in attempts), 8),
        "spent_usd": round(spent, 8),
        "verdicts": dict(Counter(a.verdict for a in attempts)),
    }


def _summary(options: RefineOptions, benchmark: str, backend: ModelBackend, meter: str,
             rounds: list[dict[str, Any]], states: dict[str, TaskState],
             spent: float) -> dict[str, Any]:
    return {
        "schema": "perfjudge.refine/1", "benchmark": benchmark, "model": backend.model,
        "backend": backend.name, "feedback": options.feedback, "meter": meter,
        "hide_inputs": options.hide_inputs, "rounds_asked": options.rounds,
        "budget_usd": options.budget_usd, "spent_usd": round(spent, 8),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rounds": rounds,
        "tasks": [{"task_id": s.task.task_id, "stopped": s.stopped,
                   "attempts": len(s.history),
                   "best_round": s.best.round if s.best else None,
                   "best_cost": s.best.cost if s.best else None,
                   "best_speedup": s.best.speedup if s.best else None,
                   "verdicts": [a.verdict for a in s.history]} for s in states.values()],
    }


def _write(out: Path, summary: dict[str, Any], attempts: list[Attempt],
           states: dict[str, TaskState]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    with open(out / "rounds.jsonl", "w") as handle:
        for a in attempts:
            handle.write(json.dumps(dataclasses.asdict(a)) + "\n")
    with open(out / "best.jsonl", "w") as handle:
        for s in states.values():
            if s.best is not None:
                handle.write(json.dumps({"task_id": s.task.task_id, "solution": s.best.code,
                                         "round": s.best.round, "model": summary["model"],
                                         "refine_feedback": summary["feedback"]}) + "\n")
