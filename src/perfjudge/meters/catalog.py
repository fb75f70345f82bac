"""Meters: what one measured call costs, behind one interface.

Every meter measures one call's own process, from outside it: the process is forked from a
zygote that never ran sample code, holds the call's input from before its first sample
instruction, loads the sample's module, calls it, and exits; the same call of a do-nothing
module is measured alongside (valgrind: once per input, kept) and subtracted
(`perfjudge.engine.judge`). Which one to trust
depends on the machine: ``valgrind`` instruction counts repeat to a few instructions and
ignore load, so they are the default when scores must be compared across machines; time
meters need repeats and their spread, and are only comparable on one machine.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from perfjudge.engine import sandbox
from perfjudge.errors import Unavailable, UnknownName
from perfjudge.meters import counter

if TYPE_CHECKING:
    from perfjudge.scoring.metrics import Resolution


@dataclass(frozen=True)
class Meter:
    name: str
    unit: str
    deterministic: bool
    description: str
    warmup: int = 0
    repeats: int = 1
    valgrind: bool = False
    field: str = "cpu_ns"
    scale: float = 1.0
    resolution: float = 0.0
    """The smallest cost this meter tells apart from zero for one call (its process start
    and exit are in every window; the baseline's are subtracted). A charged cost below it
    is reported as this floor, so two costs under it compare as equal, never as a ratio of
    noise."""
    paired: bool = False
    """Measure each sample beside its task's canonical reference, round by round, and take
    the speedup from the pairs (time meters: drift of the machine falls on both)."""
    portability: str = ""
    """Where this meter's numbers may be compared: shown in every summary and enforced by
    `perfjudge compare`."""
    relative_resolution: float = 0.0
    """Costs closer than this fraction are equal too (`perfjudge.scoring.metrics.ties`); measured by
    ``perf/reproducibility.py``."""
    measures: bool = True
    """False for ``none``: correctness only, no measured call and no reference measured."""

    @property
    def tie_band(self) -> "Resolution":
        from perfjudge.scoring.metrics import Resolution  # scoring (numpy) is the parent's

        return Resolution(self.resolution, self.relative_resolution)

    def availability(self) -> tuple[bool, str]:
        return _AVAILABILITY[self.name]()


METERS: dict[str, Meter] = {
    m.name: m
    for m in (
        Meter("valgrind", "instructions", True,
              "instructions executed by the call's own process, from its fork to its exit, "
              "counted by valgrind's callgrind (deterministic, ~30x slower)",
              warmup=0, repeats=1, valgrind=True, field="instructions", resolution=1000,
              relative_resolution=1e-5,
              portability="any machine with the same sandbox interpreter build and valgrind "
                          "version (the CPU model does not enter the count)"),
        Meter("instructions", "instructions", True,
              "hardware instruction counter (perf_event_open), opened by the parent on the "
              "call's own process", warmup=1, repeats=3, field="instructions",
              resolution=10_000, relative_resolution=1e-3,
              portability="machines with the same interpreter build; another CPU model can "
                          "shift counts where the C library picks code by CPU features"),
        Meter("cpu_time", "s", False,
              "CPU time of the call's cgroup (its process and threads; on cgroup v2 the run's) "
              "during the call",
              warmup=1, repeats=5, field="cpu_ns", scale=1e-9, resolution=20e-6,
              relative_resolution=0.03, paired=True,
              portability="this machine only; speedups over the paired reference travel "
                          "further than seconds"),
        Meter("wall_time", "s", False,
              "elapsed time between the parent's go and the harness's done",
              warmup=1, repeats=5, field="wall_ns", scale=1e-9, resolution=50e-6,
              relative_resolution=0.05, paired=True,
              portability="this machine only, and only under the same load"),
        Meter("none", "", True,
              "no measurement: correctness only (pass@k); the default for benchmarks whose "
              "native metric is pass@k", measures=False,
              portability="anywhere: nothing is measured"),
        Meter("peak_memory", "bytes", False,
              "peak memory of the run's cgroup during the call, above the level before the "
              "call's process ran any sample code",
              warmup=0, repeats=1, field="peak_bytes", resolution=512 << 10,
              relative_resolution=0.02,
              portability="machines with the same interpreter build and kernel page "
                          "accounting"),
    )
}


def default_meter(native_metric: str | None = None) -> str:
    """``none`` for a benchmark scored by pass@k alone (EvalPlus and HumanEval measure
    nothing); otherwise deterministic instruction counts where the host allows (portable
    scores), else CPU."""
    if native_metric is not None and native_metric.startswith("pass@"):
        return "none"
    for name in ("instructions", "valgrind", "cpu_time", "wall_time"):
        if METERS[name].availability()[0]:
            return name
    return "wall_time"


class MeterUnavailable(Unavailable):
    """The meter exists but does not work on this machine (the message says why)."""


def get_meter(name: str) -> Meter:
    if name not in METERS:
        raise UnknownName("meter", name, METERS, hint="`perfjudge meters` says which work here.")
    return METERS[name]


def _cgroup_available() -> tuple[bool, str]:
    caps = sandbox.probe()
    if caps.cgroups:
        return True, "cgroup " + ("v1" if caps.cgroup_v1 else "v2") + " accounting"
    return False, "needs a writable cgroup (run as root or with a delegated cgroup v2 subtree)"


def _wall_available() -> tuple[bool, str]:
    return True, "parent's monotonic clock"


@functools.lru_cache(maxsize=1)
def _valgrind_available() -> tuple[bool, str]:
    if not shutil.which("valgrind"):
        return False, "valgrind not installed (Debian package 'valgrind')"
    try:
        sandbox.harness_dir()
    except sandbox.SandboxUnavailable as exc:
        return False, str(exc)
    return True, "valgrind " + subprocess.run(["valgrind", "--version"], capture_output=True,
                                              text=True).stdout.strip()


_AVAILABILITY = {
    "valgrind": _valgrind_available,
    "instructions": lambda: counter.perf_counter_available(),
    "cpu_time": _cgroup_available,
    "wall_time": _wall_available,
    "peak_memory": _cgroup_available,
    "none": lambda: (True, "nothing to measure"),
}


def available_meters() -> dict[str, tuple[bool, str]]:
    return {name: meter.availability() for name, meter in METERS.items()}
