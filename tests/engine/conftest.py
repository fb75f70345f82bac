"""Fixtures the engine's suites share."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from perfjudge.engine import sandbox, slots


@pytest.fixture(scope="module")
def run_tmp(request, tmp_path_factory):
    """A private temp dir for the engine's run directories, so leftovers are this module's
    alone (other sessions on this machine create perfjudge-run-* in /tmp too)."""
    # Both are derived from tempfile.gettempdir() once and must outlive this module.
    sandbox.harness_dir()
    tmp_path_factory.getbasetemp()
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    path = Path(tempfile.mkdtemp(prefix=f"pj-{name}-runs-"))
    path.chmod(0o755)
    saved = tempfile.tempdir
    tempfile.tempdir = str(path)
    try:
        yield path
    finally:
        tempfile.tempdir = saved
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=["warm", "cold"])
def sandbox_path(request, monkeypatch):
    """Run a test on both sandbox paths: this process's warm slots (`engine.slots`), and a
    fresh sandbox per job. Pool workers forked or spawned by the test inherit the choice."""
    monkeypatch.setenv("PERFJUDGE_WARM", "1" if request.param == "warm" else "0")
    before = {id(s): s.jobs for s in slots.POOL}
    yield request.param
    if request.param == "cold":
        after = {id(s): s.jobs for s in slots.POOL}
        assert all(before.get(k) == v for k, v in after.items()), "a cold test used a warm slot"


@pytest.fixture
def harness_runs(monkeypatch):
    """Every ``runner.run_harness`` call the judge makes in this test, as ``(job, run)``
    pairs, each still run for real: for tests that read which jobs a check sent."""
    from perfjudge.engine import runner

    calls: list[tuple[dict, runner.HarnessRun]] = []
    real_run = runner.run_harness

    def recording(job, **kwargs):
        calls.append((job, real_run(job, **kwargs)))
        return calls[-1][1]

    monkeypatch.setattr(runner, "run_harness", recording)
    return calls
