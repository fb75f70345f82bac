"""One program on one stdin (`engine.program`, behind /run_code): what it printed and how it
ended, its CPU time from the cgroup, a deterministic cost, and hostile programs."""

from __future__ import annotations

import os

import pytest

from perfjudge.engine import sandbox
from perfjudge.engine.judge import Engine
from perfjudge.engine.program import run_program
from perfjudge.engine.sandbox import Limits
from perfjudge.records.program import ProgramRequest
from perfjudge.store import Store

pytestmark = [pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.probe().bwrap is None or not sandbox.probe().cgroups,
    reason="needs root, bubblewrap and a writable cgroup")]

LIMITS = Limits(test_seconds=1.0, wall_seconds=10.0, memory_bytes=256 << 20,
                max_processes=32, max_output_bytes=1 << 20)


@pytest.fixture(scope="module")
def engine(run_tmp, tmp_path_factory):
    return Engine(limits=LIMITS, cache=Store(tmp_path_factory.mktemp("program") / "s.db"))


def run(engine, code, stdin="", **kw):
    return run_program(ProgramRequest(code, stdin, **kw), engine)


def test_stdin_in_stdout_out(engine):
    result = run(engine, "a, b = map(int, input().split())\nprint(a + b)\n", "2 40\n")
    assert (result.status, result.exit_code, result.stdout) == ("finished", 0, "42\n")
    assert result.stderr == "" and 0 < result.cpu_seconds < 1


def test_exit_status_and_stderr(engine):
    result = run(engine, "import sys\nprint('partial')\nprint('why', file=sys.stderr)\n"
                         "sys.exit(3)\n")
    assert (result.status, result.exit_code) == ("finished", 3)
    assert result.stderr == "why\n" and result.detail == "the program exited with status 3"


def test_an_exception_shows_the_programs_own_traceback(engine):
    result = run(engine, "def f():\n    raise ValueError('boom')\nf()\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "Traceback (most recent call last):"
    assert 'File "solution.py", line 3, in <module>' in result.stderr
    assert result.stderr.endswith("ValueError: boom\n") and "harness" not in result.stderr


def test_a_syntax_error(engine):
    result = run(engine, "print(1\n")
    assert result.status == "compile_error" and "SyntaxError" in result.stderr


def test_cpu_and_memory_limits(engine):
    spin = run(engine, "while True:\n    pass\n")
    assert spin.status == "timeout" and "CPU time limit of 1 s" in spin.detail
    hog = run(engine, "x = bytearray(1 << 30)\nprint(len(x))\n")
    assert hog.status == "memory_limit" or (hog.exit_code == 1 and "MemoryError" in hog.stderr)


def test_output_over_the_cap_is_cut_and_said(engine):
    result = run(engine, "import sys\nsys.stdout.write('x' * (2 << 20))\n")
    assert result.stdout_truncated and len(result.stdout) <= LIMITS.max_output_bytes


@pytest.mark.parametrize("code", [
    "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('alive')\n",
    "import os\nos.kill(1, 9)\nprint('alive')\n",
    "import os\nfor _ in range(100):\n    os.fork()\nprint('x')\n",
])
def test_a_hostile_program_hurts_only_itself(engine, code):
    result = run(engine, code)
    assert result.status in ("finished", "timeout", "memory_limit")
    honest = run(engine, "print(input())", "still here")
    assert (honest.exit_code, honest.stdout) == (0, "still here\n")


def test_a_deterministic_cost_repeats_exactly(engine):
    code = "n = int(input())\nprint(sum(i * i for i in range(n)))\n"
    first = run(engine, code, "5000", meter="valgrind")
    second = run(engine, code, "5000", meter="valgrind")
    more = run(engine, code, "50000", meter="valgrind")
    assert first.unit == "instructions" and first.cost == second.cost > 0
    assert more.cost > 5 * first.cost
    assert first.stdout == str(sum(i * i for i in range(5000))) + "\n"


def test_no_cost_for_a_program_that_fails_or_differs_when_measured(engine):
    failed = run(engine, "import sys\nsys.exit(1)\n", meter="valgrind")
    assert failed.cost is None and "did not exit with status 0" in failed.cost_detail
    drifting = run(engine, "import os\nprint(os.urandom(8).hex())\n", meter="valgrind")
    assert drifting.exit_code == 0 and len(drifting.stdout) == 17
    assert drifting.cost is None and "under the meter it wrong_answer" in drifting.cost_detail
