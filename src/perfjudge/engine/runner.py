"""Runs the harness in the sandbox and speaks its protocol from the parent's side.

The parent owns the clock and the counters. In *run* mode (correctness) a child of the
harness reports each test on the sample channel and the parent enforces that protocol and
the per-test CPU limits. In *measure* mode every measured call is a fresh child: the zygote
reports ``forked``, the parent takes its readings (cgroup CPU and memory, its own clock, a
hardware counter on the child, an empty valgrind record file for the child's pid) and says
go; when the zygote reports ``exited`` the parent reads them again. Nothing the sample's
process says about itself enters a cost.

Host-side rules, because a sample may try to hurt the judge: frames are read in linear time
with a cap (`wire.FrameReader`); output pipes are read with a cap; the only host files read
are the valgrind records the parent created itself, opened without following links and
checked to be regular files it owns, with a bounded read; every run ends by killing the
whole cgroup.
"""

from __future__ import annotations

import array
import ctypes
import errno
import fcntl
import marshal
import os
import select
import shutil
import signal
import stat
import struct
import subprocess
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from perfjudge import meters
from perfjudge.engine import sandbox, slots, wire
from perfjudge.engine.languages import get_language
from perfjudge.engine.sandbox import Capabilities, Limits, RunDir, RunGroup

WALL_SLACK = 3.0
"""Wall-clock allowance of a test, as a multiple of its CPU-time limit."""

SETUP_FAILED = 121
"""Exit status of a child that `sandbox_child.c` could not sandbox (before any sample code)."""
FORBIDDEN = 122
"""Exit status of a child that `sandbox_child.c`'s audit hook ended (code objects, marshal,
mmap after the harness armed it)."""

MAX_RECORD_BYTES = 64 << 20
"""A valgrind record larger than this is not one valgrind wrote for a single call."""
RECORD_PARTS = 4
"""Record files the parent creates per measured child: the inherited part (``.1``, the
zygote's counts, dumped when the child starts), the final part, and room for two more."""

RunStatus = Literal["ok", "timeout", "memory_limit", "output_limit", "crashed",
                    "sandbox_error", "protocol_error"]


@dataclass
class CallCost:
    """Cost of one call of the sample in run mode (correctness timing), from outside."""

    index: int
    call: int
    wall_ns: int
    cpu_ns: int | None
    peak_bytes: int | None
    instructions: int | None = None
    self_cpu_ns: int | None = None
    """What the child's own clock says: trusted only for reference solutions."""


@dataclass
class MeasuredCall:
    """One fresh child of the zygote in measure mode, and what the meters saw of it."""

    n: int
    kind: str
    """``sample``, ``null`` (the baseline module on the same input), ``partner`` (the
    reference measured beside the sample), ``load``, ``load-null``."""
    index: int
    repeat: int
    exit_code: int | None = None
    started: bool = True
    """False when the child died before the sample could run (a sandbox fault)."""
    output: bytes | None = None
    output_size: int = 0
    stderr: bytes = b""
    wall_ns: int | None = None
    cpu_ns: int | None = None
    peak_bytes: int | None = None
    instructions: int | None = None
    record_error: str | None = None
    """Why the valgrind record of this call could not be used."""
    self_cpu_ns: int | None = None
    oom_killed: bool = False
    """Killed by the kernel for the run's memory limit (not by a signal of its own)."""


@dataclass
class HarnessRun:
    status: RunStatus
    detail: str = ""
    events: list[dict] = field(default_factory=list)
    costs: list[CallCost] = field(default_factory=list)
    calls: list[MeasuredCall] = field(default_factory=list)
    pending: int | None = None
    exit_code: int | None = None
    """The run-mode child's exit code, or the sandbox's when that never reported."""
    stdout: bytes = b""
    stderr: bytes = b""
    output_bytes: int = 0
    wall_seconds: float = 0.0
    peak_bytes: int | None = None
    behind: bool = False
    """The judge read a test's events too late to tell whether it kept its CPU limit (a
    ``sandbox_error``, the machine's fault: judge it again)."""

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e.get("e") == kind]


class _Tail:
    """Keeps the first and last bytes of a stream and counts all of them."""

    def __init__(self, keep: int = 4096):
        self.keep = keep
        self.head = b""
        self.tail = b""
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if len(self.head) < self.keep:
            room = self.keep - len(self.head)
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail = (self.tail + chunk[-self.keep:])[-self.keep:]

    def value(self) -> bytes:
        return self.head + (b"\n...\n" if self.tail and self.total > 2 * self.keep else b"") + self.tail


def _threads_running(pids: list[int]) -> bool:
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat", "rb") as handle:
                    stat_line = handle.read()
            except OSError:
                continue
            state = stat_line[stat_line.rfind(b")") + 2:stat_line.rfind(b")") + 3]
            if state == b"R":
                return True
    return False


def _settle(group: RunGroup, budget_s: float = 0.005) -> None:
    """Wait (briefly) until every process of the run is blocked, so cgroup CPU counters are
    up to date: the kernel charges a running task's time at context switches and ticks."""
    end = time.perf_counter() + budget_s
    while _threads_running(group.pids(("cpuacct",))) and time.perf_counter() < end:
        pass


def _frame(message: dict) -> bytes:
    data = marshal.dumps(message, 2)
    return len(data).to_bytes(4, "big") + data


def job_frame(job: dict) -> bytes:
    """What the zygote reads first. A measured job's inputs go to it one call at a time
    (`_Driver._next_input`)."""
    measure = job["mode"] == "measure"
    return _frame({k: v for k, v in job.items() if not (measure and k == "inputs")})


class _Launch:
    """The pipes and process of one sandbox launch."""

    def __init__(self, caps: Capabilities, limits: Limits, job: dict | None, *, valgrind: bool,
                 run_dir: RunDir | None, group: RunGroup, namespaces: bool,
                 language: str = "python"):
        """``job`` None: a warm slot (`Slot`) for ``language``, which takes its jobs later."""
        hdir = sandbox.harness_dir()
        in_sandbox = caps.bwrap is not None
        inside = "/harness" if in_sandbox else str(hdir)
        self.report_r, report_w = os.pipe()
        control_r, self.control_w = os.pipe()
        measure = job is not None and job["mode"] == "measure"
        fds = [report_w, control_r]
        self.sample_r = self.sample_ctl_w = None
        if not measure:
            self.sample_r, sample_w = os.pipe()
            _widen_pipe(self.sample_r)
            sample_ctl_r, self.sample_ctl_w = os.pipe()
            fds += [sample_w, sample_ctl_r]
        runtime = get_language(job.get("language", "python") if job is not None else language)
        inner = runtime.harness_command(caps.python, f"{inside}/harness.py", fds)
        if valgrind:
            assert run_dir is not None
            records = "/cg" if in_sandbox else str(run_dir.records)
            inner = [sandbox.valgrind_launcher() or "valgrind", "--tool=callgrind", "--vgdb=no",
                     "--dump-before=PyOS_AfterFork_Child", "--zero-before=pj_judge_forks",
                     "--skip-plt=no",
                     "--dump-line=no",
                     f"--callgrind-out-file={records}/cg.out.%p", "--log-file=/dev/null",
                     *inner]
        env = sandbox.child_environment(limits, namespaces)
        env["LD_PRELOAD"] = f"{inside}/libpjsandbox.so"
        if job is None:
            env["PJ_SLOT"] = "1"
            if not valgrind:
                env["PJ_SLOT_PRELOAD"] = "1"
        cmd = sandbox.wrap_command(caps, inner, hdir, env, run_dir, tmp_bytes=limits.scratch_bytes)
        self.job_bytes = job_frame(job) if job is not None else b""
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=tuple(fds), env={"PATH": "/usr/bin:/bin"} if in_sandbox else env,
            cwd="/",
            preexec_fn=lambda: sandbox._child_setup(limits, group.procs_files(), caps.drop_uid,
                                                    valgrind, tuple(fds)))
        for fd in fds:
            os.close(fd)
        os.set_blocking(self.control_w, False)
        if self.sample_ctl_w is not None:
            os.set_blocking(self.sample_ctl_w, False)

    def close(self) -> None:
        for fd in (self.report_r, self.control_w, self.sample_r, self.sample_ctl_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


class RecordWatch:
    """Kernel events on the record directory (inotify), to tell valgrind's writes from a
    sample's. A measured process can write its own record files (valgrind runs in it), and
    one that forces an extra dump could rewrite that part afterwards. valgrind opens, fills
    and closes each part file once; the kernel reports every write and every close of a file
    opened for writing, so any write to a part after its first close is someone else's."""

    MASK = 0x00000002 | 0x00000008  # IN_MODIFY | IN_CLOSE_WRITE
    OVERFLOW = 0x00004000

    def __init__(self, directory: Path):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, str(directory).encode(), self.MASK) < 0:
            err = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(err, "inotify_add_watch")

    def events(self) -> list[tuple[str, int]]:
        """(file name, mask) of every event since the last call, in order."""
        out: list[tuple[str, int]] = []
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return out
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            offset = 0
            while offset + 16 <= len(data):
                _, mask, _, size = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16:offset + 16 + size].split(b"\0", 1)[0]
                out.append((name.decode("utf-8", "replace"), mask))
                offset += 16 + size

    def rewritten(self, names: set[str]) -> str | None:
        """Why the records ``names`` cannot be trusted: one was written after valgrind closed
        it, or the event queue overflowed (only a flood of writes does that); None if
        neither."""
        closed: set[str] = set()
        for name, mask in self.events():
            if mask & self.OVERFLOW:
                return "the record directory's event queue overflowed (a flood of writes)"
            if name not in names:
                continue
            if name in closed:
                return f"valgrind record {name} was written again after valgrind had closed it"
            if mask & 0x00000008:
                closed.add(name)
        return None

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def run_harness(job: dict, *, limits: Limits, caps: Capabilities | None = None,
                valgrind: bool = False, measure: bool = False, counter: bool = False,
                cpu: int | None = None, deadlines: list[float] | None = None,
                namespaces: bool = True, warm: bool | None = None) -> HarnessRun:
    """Run the harness on ``job`` in a sandbox and collect its events and costs.

    Where bubblewrap and cgroups are there and no hardware counter is asked for, the sandbox
    is a `Slot`: this process's warm one when ``warm`` (default: `slots.enabled()`) and this
    is its main thread, else a fresh one for this job alone (the cold path). Both give the same isolation and the same
    figures (tests/engine compare them). Elsewhere the harness runs the job as the
    sandbox's pid 1 directly.

    ``valgrind`` wraps the harness in callgrind: each measured child's instructions, from
    the moment it is forked (``--dump-before=PyOS_AfterFork_Child``) to its exit, land in
    record files the parent created for it (`read_records`, watched by `RecordWatch`).
    ``measure`` takes cgroup CPU and memory windows,
    ``counter`` a hardware instruction counter; ``deadlines`` are per-test CPU limits."""
    caps = caps or sandbox.probe()
    started = time.perf_counter()
    job = dict(job)
    job["recursion_limit"] = limits.recursion_limit
    job["handshake"] = bool(measure or counter)
    job["max_result_bytes"] = limits.max_result_bytes
    job["announce_pid"] = valgrind  # valgrind writes a child's first record at its start
    if caps.bwrap and caps.cgroups and not counter:
        keep = (slots.enabled() if warm is None else warm) and slots.usable()
        slot = _slot_for(caps, limits, valgrind=valgrind, namespaces=namespaces, cpu=cpu,
                         language=job.get("language", "python"), keep=keep)
        if slot is not None:
            return _run_in_slot(slot, job, limits, measure=measure, deadlines=deadlines,
                                started=started, keep=keep)
    try:
        run_dir = RunDir.create() if valgrind else None
        if run_dir is not None:
            if caps.bwrap:
                _create_record(run_dir, 1)  # callgrind opens the zygote's (pid 1) at start-up
            else:
                run_dir.records.chmod(0o733)  # no pid namespace: its pid is not known ahead
        watch = RecordWatch(run_dir.records) if run_dir is not None else None
    except OSError as exc:
        if run_dir is not None:
            run_dir.remove()
        return HarnessRun("sandbox_error", f"could not create a run directory in "
                          f"{sandbox.run_root()}: {exc}")
    group = None
    launch = None
    run = HarnessRun(status="ok")
    try:
        group = RunGroup(caps, limits, cpu=cpu)
        launch = _Launch(caps, limits, job, valgrind=valgrind, run_dir=run_dir, group=group,
                         namespaces=namespaces)
    except (OSError, sandbox.SandboxUnavailable) as exc:
        if group is not None:
            group.close()
        if watch is not None:
            watch.close()
        if run_dir is not None:
            run_dir.remove()
        return HarnessRun("sandbox_error", f"could not start the sandbox: {exc}")
    driver = _Driver(launch, run, group, limits, job, run_dir=run_dir, measure=measure,
                     counter=counter, deadlines=deadlines, started=started, watch=watch)
    try:
        driver.drive()
    finally:
        _reap(launch.proc, group)
        driver.close_counters()
        launch.close()
        run.wall_seconds = time.perf_counter() - started
        if run.exit_code is None:
            run.exit_code = _signal_code(launch.proc.returncode)
        if group.active:
            _finish_memory(run, group, limits)
        group.close()
        if watch is not None:
            watch.close()
        if run_dir is not None:
            run_dir.remove()
    return run


def _finish_memory(run: HarnessRun, group: RunGroup, limits: Limits) -> None:
    """Whether the run died of its memory or process limit, and its peak memory."""
    try:
        if run.status in ("crashed", "ok", "protocol_error", "sandbox_error") \
                and group.oom_killed():
            run.status, run.detail = "memory_limit", (
                f"memory limit of {limits.memory_bytes >> 20} MiB exceeded")
        run.peak_bytes = group.memory_peak()
        if run.status in ("crashed", "protocol_error") and group.pids_hit_limit():
            run.detail += f" (process limit of {limits.max_processes} reached)"
    except OSError:
        pass


# ----------------------------------------------------------------------------- warm slots


class SlotError(OSError):
    """A warm slot did not start; the job then starts the harness as the sandbox's pid 1
    itself (`run_harness`), whose failure, if it fails too, names the cause."""


class Slot:
    """One warm sandbox: bubblewrap, its cgroup and (valgrind) its record directory, with
    `harness._serve_slot` as pid 1. A job is sent as ``j`` plus its frame; the slot forks a
    zygote for it, and answers ``slot_ready`` when that zygote and everything it left are
    gone. The parent keeps a slot only after a job that ended cleanly (`_run_in_slot`)."""

    def __init__(self, caps: Capabilities, limits: Limits, *, valgrind: bool, namespaces: bool,
                 cpu: int | None, language: str = "python"):
        self.valgrind = valgrind
        self.namespaces = namespaces
        self.jobs = 0
        self.base_pids: frozenset[int] = frozenset()
        self.next_pid: int | None = None
        self.zygote_records: list[Path] = []
        self.run_dir: RunDir | None = None
        self.watch: RecordWatch | None = None
        self.group: RunGroup | None = None
        self.launch: _Launch | None = None
        try:
            if valgrind:
                self.run_dir = RunDir.create()
                _create_record(self.run_dir, 1)
                self.watch = RecordWatch(self.run_dir.records)
            self.group = RunGroup(caps, limits, cpu=cpu)
            self.launch = _Launch(caps, limits, None, valgrind=valgrind, run_dir=self.run_dir,
                                  group=self.group, namespaces=namespaces, language=language)
            for fd in self.read_fds:
                os.set_blocking(fd, False)
            self._await_ready(limits.test_seconds + 10.0)
            self.base_pids = frozenset(self.group.pids())
        except BaseException:
            self.close()
            raise

    @property
    def read_fds(self) -> list[int]:
        launch = self.launch
        assert launch is not None and launch.sample_r is not None
        return [launch.report_r, launch.proc.stdout.fileno(), launch.proc.stderr.fileno(),
                launch.sample_r]

    def _await_ready(self, timeout: float) -> None:
        launch = self.launch
        assert launch is not None
        reader = wire.FrameReader(1 << 20)
        stderr = _Tail()
        end = time.perf_counter() + timeout
        poller = select.poll()
        for fd in self.read_fds[:3]:
            poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while time.perf_counter() < end:
            for fd, _ in poller.poll(max(1, int((end - time.perf_counter()) * 1000))):
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise SlotError("the warm sandbox ended at start-up: "
                                    + (launch_failure(stderr.value()) or "no message"))
                if fd != launch.report_r:
                    stderr.add(chunk)
                    continue
                frames = reader.feed(chunk)
                if not frames:
                    continue
                event = wire.load_event(frames[0])
                if event.get("e") != "slot_ready" or not isinstance(event.get("pid"), int) \
                        or reader.pending or len(frames) > 1:
                    raise SlotError(f"the warm sandbox did not start: {event.get('type', '')} "
                                    f"{event.get('message', event.get('e'))}")
                self.next_pid = event["pid"]
                if self.run_dir is not None:
                    # callgrind has opened pid 1's record: from now on nobody in the sandbox
                    # may write it (it would outlive every job: a channel)
                    (self.run_dir.records / "cg.out.1").chmod(0o644)
                return
        raise SlotError(f"the warm sandbox did not start within {timeout:.3g} s")

    def begin_job(self) -> bytes:
        """Ready the slot for a job; the bytes that start it. Under valgrind the job's
        zygote needs record files for its pid (callgrind writes its first one at the
        fork); they are deleted when it says hello (`forget_zygote_records`)."""
        assert self.group is not None and self.next_pid is not None
        self.jobs += 1
        if self.run_dir is not None:
            self.zygote_records = [_create_record(self.run_dir, self.next_pid, part)
                                   for part in range(RECORD_PARTS)]
        self.group.reset_peak()
        return b"j"

    def forget_zygote_records(self) -> None:
        for path in self.zygote_records:
            try:
                os.unlink(path)
            except OSError:
                pass
        self.zygote_records = []

    @property
    def alive(self) -> bool:
        return self.launch is not None and self.launch.proc.poll() is None

    def close(self) -> None:
        launch, self.launch = self.launch, None
        if launch is not None:
            # the slot's pid 1 reads EOF and ends (each fd is closed once: another thread may
            # get the same number next)
            control, launch.control_w = launch.control_w, None
            try:
                os.close(control)
            except OSError:
                pass
            if self.group is not None:
                _reap(launch.proc, self.group)
            launch.close()
        if self.group is not None:
            self.group.close()
            self.group = None
        if self.watch is not None:
            self.watch.close()
            self.watch = None
        if self.run_dir is not None:
            self.run_dir.remove()
            self.run_dir = None


def _slot_for(caps: Capabilities, limits: Limits, *, valgrind: bool, namespaces: bool,
              cpu: int | None, language: str, keep: bool) -> Slot | None:
    """This process's warm slot for the sandbox these settings make, or (not ``keep``) a
    fresh one; None when none could be started (the caller then starts the harness as pid 1
    itself, whose failure says why). Only the limits the sandbox itself enforces tell slots
    apart; per-test and wall limits are the parent's, per job."""
    def start() -> Slot:
        return Slot(caps, limits, valgrind=valgrind, namespaces=namespaces, cpu=cpu,
                    language=language)

    if not keep:
        try:
            return start()
        except (OSError, sandbox.SandboxUnavailable, wire.WireError):
            return None
    try:
        key = (str(sandbox.harness_dir()), str(sandbox.run_root()), language, caps.python,
               caps.root, valgrind, namespaces, cpu, limits.memory_bytes,
               limits.address_space_bytes, limits.max_processes, limits.max_open_files,
               limits.max_file_bytes, limits.stack_bytes, limits.cpu_seconds,
               limits.scratch_bytes, limits.scratch_inodes)
        slot = slots.POOL.get(key, start)
    except (OSError, sandbox.SandboxUnavailable, wire.WireError):
        return None
    if not slot.alive:
        slots.POOL.discard(slot)
        return None
    return slot  # type: ignore[return-value]


def _run_in_slot(slot: Slot, job: dict, limits: Limits, *, measure: bool,
                 deadlines: list[float] | None, started: float, keep: bool) -> HarnessRun:
    run = HarnessRun(status="ok")
    assert slot.launch is not None and slot.group is not None
    if job["mode"] != "measure" and slot.namespaces and not slot.valgrind:
        job = {**job, "direct": True}  # the zygote runs it itself (`harness._run_here`)
    try:
        start = slot.begin_job()
    except OSError as exc:
        slots.POOL.discard(slot) if keep else slot.close()
        return HarnessRun("sandbox_error", f"could not prepare the warm sandbox: {exc}")
    driver = _Driver(slot.launch, run, slot.group, limits, job, run_dir=slot.run_dir,
                     measure=measure, counter=False, deadlines=deadlines, started=started,
                     watch=slot.watch, slot=slot, start=start)
    clean = False
    try:
        driver.drive()
        clean = driver.slot_done and run.status == "ok"
    finally:
        driver.close_counters()
        slot.forget_zygote_records()
        if run.exit_code is None and driver.zygote_status is not None:
            run.exit_code = os.waitstatus_to_exitcode(driver.zygote_status)
        _finish_memory(run, slot.group, limits)
        try:
            worn = slot.group.oom_killed() or slot.group.pids_hit_limit()
        except OSError:
            worn = True
        if not keep or not clean or worn or any(c.record_error or c.oom_killed
                                                for c in run.calls):
            proc = slot.launch.proc
            slots.POOL.discard(slot) if keep else slot.close()
            if run.exit_code is None:
                run.exit_code = _signal_code(proc.returncode)
        run.wall_seconds = time.perf_counter() - started
    return run


_ONCE = frozenset({"loading", "loaded", "compile_error", "load_error", "harness_error", "end"})


class _Driver:
    """The poll loop of one launch: job out, frames and output in, deadlines enforced."""

    def __init__(self, launch: _Launch, run: HarnessRun, group: RunGroup, limits: Limits,
                 job: dict, *, run_dir: RunDir | None, measure: bool, counter: bool,
                 deadlines: list[float] | None, started: float,
                 watch: RecordWatch | None = None, slot: "Slot | None" = None,
                 start: bytes = b""):
        self.launch, self.run, self.group, self.limits = launch, run, group, limits
        self.slot = slot
        self.slot_done = False
        self.zygote_status: int | None = None
        self.job = job
        self.run_dir = run_dir
        self.watch = watch
        self.measure, self.counter, self.deadlines = measure, counter, deadlines
        self.measure_mode = job["mode"] == "measure"
        self.direct = bool(job.get("direct"))
        self.sandboxed = False  # a direct job's process sandboxed itself (`_direct_ended`)
        self.calls = list(job.get("calls", ()))
        self.started = started
        self.run_deadline = started + limits.wall_seconds
        self.step_default = limits.test_seconds + 10.0  # + start-up of the sandbox
        self.step_limit = self.step_default
        self.step_deadline = started + self.step_limit
        self.cpu_budget: tuple[int, float] | None = None
        # Without a handshake the child runs test after test unchecked, so the parent may read
        # a test's 'ready' (even its 'done') late; ``quiet_cpu`` is the group's CPU reading
        # taken before the sample channel was last seen empty: whatever arrives later was
        # sent after it. A test's CPU lies between two such bounds (see `_bound_cpu`).
        self.bounds_cpu = bool(deadlines) and not job.get("handshake") and \
            job["mode"] != "measure" and group.active and launch.sample_r is not None
        # the job is not sent yet, so every event of it comes after this reading
        self.quiet_cpu = group.cpu_ns() if self.bounds_cpu else 0
        self.ready_quiet_cpu = self.quiet_cpu
        self.counters: list[int] = []
        # Bytes for the sandbox's pipes, written only as the pipes take them: a sample that
        # never reads its go bytes must not block the parent (it used to, forever).
        first = job_frame(job) if slot is not None else launch.job_bytes
        self.outbox: dict[int, bytearray] = {launch.control_w: bytearray(start + first)}
        if launch.sample_ctl_w is not None:
            self.outbox[launch.sample_ctl_w] = bytearray()
        self.next_call = 0
        proc = launch.proc
        self.outputs = {proc.stdout.fileno(): _Tail(), proc.stderr.fileno(): _Tail()}
        self.report = wire.FrameReader(limits.max_result_bytes + (1 << 16))
        self.sample = wire.FrameReader(limits.max_result_bytes + (1 << 16))
        self.result_bytes = 0
        # run-mode protocol state
        self.window: dict | None = None
        self.sample_ended = False
        self.last_done: object = None
        self.once: set[str] = set()
        # measure-mode state
        self.current: dict | None = None
        self.spawned: dict | None = None
        self.announced: int | None = None
        self.records: list[Path] = []
        self.harness_ended = False
        self.hello = False

    # ------------------------------------------------------------------ plumbing

    def close_counters(self) -> None:
        for fd in self.counters:
            try:
                os.close(fd)
            except OSError:
                pass
        self.counters = []

    def _fail(self, status: RunStatus, detail: str) -> None:
        if self.run.status == "ok":
            self.run.status, self.run.detail = status, detail

    MAX_UNREAD = 64

    def _go(self, fd: int | None) -> None:
        if fd is not None:
            self._send(fd, b"g")

    def _send(self, fd: int, data: bytes) -> None:
        box = self.outbox[fd]
        box += data
        self._flush(fd)
        if fd == self.launch.sample_ctl_w and (len(box) + _unread(fd)) > self.MAX_UNREAD:
            # the harness takes each go byte before its next event: a backlog means the
            # sample writes events itself and never reads the answers
            self._fail("protocol_error", "the harness protocol was broken: the sample sent "
                       "events without waiting for the parent's replies")

    def _flush(self, fd: int) -> None:
        box = self.outbox[fd]
        while box:
            try:
                written = os.write(fd, box)
            except BlockingIOError:
                return
            except OSError:
                box.clear()
                return
            del box[:written]

    def _next_input(self) -> None:
        """Send the zygote the input of the next measured call (none for a load call)."""
        if self.next_call >= len(self.calls):
            return
        _, index, _ = self.calls[self.next_call]
        self.next_call += 1
        inputs = self.job.get("inputs", [])
        raw = inputs[index] if 0 <= index < len(inputs) else None
        self._send(self.launch.control_w, _frame({"input": raw}))

    def drive(self) -> None:
        launch = self.launch
        poller = select.poll()
        open_fds = {launch.report_r, *self.outputs}
        if launch.sample_r is not None:
            open_fds.add(launch.sample_r)
        for fd in open_fds:
            poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        watching: set[int] = set()
        while open_fds and self.run.status == "ok" and not self.slot_done:
            for fd, box in self.outbox.items():
                if box and fd not in watching:
                    poller.register(fd, select.POLLOUT)
                    watching.add(fd)
                elif not box and fd in watching:
                    poller.unregister(fd)
                    watching.discard(fd)
            now = time.perf_counter()
            deadline = min(self.run_deadline, self.step_deadline)
            if now >= self.step_deadline and now < self.run_deadline and \
                    self.cpu_budget is not None and _threads_running(self.group.pids()):
                # Runnable but not given the CPU (a loaded or throttled machine): the CPU
                # limit decides, the wall clock only catches a sample that sleeps.
                self.step_deadline = now + self.step_limit
                continue
            if now >= deadline:
                if self.harness_ended:
                    break  # done; something outside the sandbox's pid namespace held a pipe
                which = ("wall-clock limit of the run" if self.run_deadline <= self.step_deadline
                         else f"time limit of {self.step_limit:.3g} s for this step")
                self._timeout(f"killed after exceeding the {which}")
                return
            if self.cpu_budget is not None and \
                    self.group.cpu_ns() - self.cpu_budget[0] > self.cpu_budget[1] * 1e9:
                self._timeout("killed after exceeding the CPU time limit of "
                              f"{self.cpu_budget[1]:.3g} s for this test")
                return
            wait = deadline - now if self.cpu_budget is None else min(deadline - now, 0.02)
            mark = self.group.cpu_ns() if self.bounds_cpu else 0
            for fd, mask in poller.poll(max(1, int(wait * 1000))):
                if fd in self.outbox:
                    if mask & (select.POLLERR | select.POLLHUP):
                        self.outbox[fd].clear()
                    self._flush(fd)
                    continue
                if not self._read(fd):
                    poller.unregister(fd)
                    open_fds.discard(fd)
                if self.run.status != "ok":
                    return
                if self.slot_done:
                    break
            if self.bounds_cpu and not self.sample.pending and \
                    _unread(self.launch.sample_r) == 0:
                self.quiet_cpu = mark
        if self.slot_done:
            # Every process of the job is gone: what they wrote is all in the pipes.
            for fd in sorted(open_fds):
                while self.run.status == "ok" and self._read(fd, drain=True):
                    pass
        if self.run.status != "ok":
            return
        if self.direct and self.slot_done and self.hello and not self.harness_ended:
            self._direct_ended()
        if not self.harness_ended:
            detail = launch_failure(self.run.stderr)
            if self.zygote_status is not None:  # warm: the slot saw how the job's process ended
                try:
                    ended = exit_description(os.waitstatus_to_exitcode(self.zygote_status))
                except ValueError:
                    ended = f"ended with wait status {self.zygote_status}"
                detail = "; ".join(filter(None, [f"its process {ended}",
                                                 _cgroup_limits_hit(self.group), detail]))
            elif self.slot is not None:
                detail = "; ".join(filter(None, [self._slot_end(),
                                                 _cgroup_limits_hit(self.group), detail]))
            self._fail("sandbox_error", "the harness ended without finishing the job"
                       + (f": {detail}" if detail else ""))
            return
        if not self.measure_mode and self.sample.pending:
            self._fail("protocol_error", f"the harness channel ended inside a frame "
                       f"({self.sample.pending} bytes of it)")
            return
        if not self.measure_mode and not self.sample_ended:
            if self.run.exit_code == SETUP_FAILED and not self.run.events:
                self._fail("sandbox_error", "could not sandbox the child: "
                           + (launch_failure(self.run.stderr) or "no message"))
            else:
                self.run.status = "crashed"

    def _direct_ended(self) -> None:
        """A direct job (the zygote ran it itself) has ended once slot pid 1 reported its
        wait status: that report, not the job's own process, says how it ended. Until the
        process said it was sandboxed it ran the judge's code alone (as a zygote before its
        child's fork), so an end there is the judge's fault."""
        try:
            code = os.waitstatus_to_exitcode(self.zygote_status)
        except ValueError:
            self._fail("sandbox_error", f"the warm sandbox sent wait status {self.zygote_status}")
            return
        self.run.exit_code = code
        if not self.sandboxed:
            detail = launch_failure(self.run.stderr) or "no message"
            self._fail("sandbox_error", "could not sandbox the job's process: " + detail
                       if code == SETUP_FAILED else
                       f"the job's process {exit_description(code)} before it was "
                       f"sandboxed: {detail}")
            return
        self.harness_ended = True

    def _slot_end(self) -> str:
        """How a warm sandbox that closed its channels before ``slot_ready`` ended: the
        sandbox itself, not the job's process, so the fault is the judge's or the host's."""
        proc = self.launch.proc
        try:
            code = proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return ("the warm sandbox closed its channels but is still running "
                    f"({'after' if self.hello else 'before'} the job's zygote said hello)")
        return (f"the warm sandbox itself {exit_description(code)} "
                f"({'after' if self.hello else 'before'} the job's zygote said hello)")

    def _read(self, fd: int, drain: bool = False) -> bool:
        """Read and handle one chunk from ``fd``; False at its end (or, when draining, when
        nothing is left)."""
        try:
            chunk = os.read(fd, SAMPLE_PIPE_BYTES if fd == self.launch.sample_r else 1 << 16)
        except BlockingIOError:
            return not drain
        if not chunk:
            return False
        if fd in self.outputs:
            self._output(fd, chunk)
        elif fd == self.launch.report_r:
            if drain:
                self._fail("sandbox_error", "the warm sandbox reported after 'slot_ready'")
                return False
            self._frames(self.report, chunk, self._report_event)
        else:
            self._frames(self.sample, chunk, self._sample_event, sample=True)
        return True

    def _timeout(self, detail: str) -> None:
        self._fail("timeout", detail)
        if self.current is not None:
            self.run.pending = self.current["call"].index

    def _output(self, fd: int, chunk: bytes) -> None:
        self.outputs[fd].add(chunk)
        proc = self.launch.proc
        self.run.output_bytes = sum(t.total for t in self.outputs.values())
        self.run.stdout = self.outputs[proc.stdout.fileno()].value()
        self.run.stderr = self.outputs[proc.stderr.fileno()].value()
        if self.run.output_bytes > self.limits.max_output_bytes:
            self._fail("output_limit", f"printed more than {self.limits.max_output_bytes >> 20} "
                       "MiB to stdout/stderr")

    def _frames(self, reader: wire.FrameReader, chunk: bytes, handle, sample: bool = False) -> None:
        if sample:
            self.result_bytes += len(chunk)
            if self.result_bytes > self.limits.max_result_bytes + (1 << 20):
                self._fail("output_limit", "returned more than "
                           f"{self.limits.max_result_bytes >> 20} MiB of outputs")
                return
        try:
            frames = reader.feed(chunk)
        except wire.WireError as exc:
            if sample:
                self._fail("protocol_error", f"the harness channel carried data that is not a "
                           f"harness event ({exc})")
            else:
                self._fail("sandbox_error", f"the harness's report channel is corrupt ({exc})")
            return
        for data in frames:
            try:
                event = wire.load_event(data)
            except wire.WireError as exc:
                if sample:
                    self._fail("protocol_error", "the harness channel carried data that is not "
                               f"a harness event ({exc})")
                else:
                    self._fail("sandbox_error", f"the harness's report channel is corrupt ({exc})")
                return
            handle(event)
            if self.run.status != "ok":
                return

    def _bound_cpu(self, event: dict) -> bool:
        """At a test's 'done' when the child runs unchecked: its CPU time is at least the
        last quiet reading less the reading at its 'ready' (both bounds the parent took
        when late lie inside the test), and at most now less the quiet reading before its
        'ready'. Over the limit for sure: a timeout; surely under it, or within the
        judge's own resolution: go on; otherwise the judge fell behind (a busy machine),
        and it says so instead of passing or failing the sample. False when it ended the run."""
        base, limit = self.cpu_budget  # type: ignore[misc]
        lower = (self.quiet_cpu - base) / 1e9
        upper = (self.group.cpu_ns() - self.ready_quiet_cpu) / 1e9
        if lower > limit:
            self._timeout("killed after exceeding the CPU time limit of "
                          f"{limit:.3g} s for this test")
            return False
        if upper <= limit or upper - max(lower, 0.0) <= max(BEHIND_SLACK * limit, 0.05):
            return True
        self.run.behind = True
        self._fail("sandbox_error", f"the judge fell behind the sample on test "
                   f"{event.get('i')}: it used between {max(lower, 0.0):.3g} and {upper:.3g} s "
                   f"of CPU against a limit of {limit:.3g} s, and the machine was too busy for "
                   "the judge to read which (judge it again)")
        return False

    def _reset_step(self) -> None:
        self.step_limit = self.step_default
        self.step_deadline = time.perf_counter() + self.step_limit
        self.cpu_budget = None

    # ------------------------------------------------------------------ report channel

    def _report_event(self, event: dict) -> None:
        kind = event["e"]
        if self.measure_mode or self.window is None:
            # a run-mode test's limit stands until its own 'done', whatever the zygote says
            # meanwhile (its 'exited' is read first when the judge was late)
            self._reset_step()
        if kind == "slot_ready" and self.slot is not None:
            pid, status = event.get("pid"), event.get("status")
            if not isinstance(pid, int) or not isinstance(status, int):
                self._fail("sandbox_error", "the warm sandbox sent a malformed 'slot_ready'")
                return
            self.slot.next_pid, self.zygote_status = pid, status
            self.slot_done = True
            return
        if self.harness_ended:
            self._fail("sandbox_error", f"the harness sent {kind!r} after 'end'")
            return
        if kind == "hello" and self.slot is not None:
            self.hello = True
            if event.get("pid") != self.slot.next_pid:
                self._fail("sandbox_error", f"the job's zygote got pid {event.get('pid')}, "
                           f"not the announced {self.slot.next_pid}")
                return
            self.slot.forget_zygote_records()
            if self.measure_mode:
                self._next_input()
        elif kind == "hello":
            self.hello = True
            if self.run_dir is not None:
                # callgrind checked at start-up that it can write the zygote's record; from
                # now on nobody in the sandbox may (it would outlive every call: a channel)
                try:
                    (self.run_dir.records / "cg.out.1").chmod(0o644)
                except OSError:
                    pass
            if self.measure_mode:
                self._next_input()
        elif kind == "next_pid" and self.measure_mode and self.run_dir is not None:
            pid = event.get("pid")
            if not isinstance(pid, int) or pid < 2:
                self._fail("sandbox_error", "the harness announced no usable pid")
                return
            try:
                self.records = [_create_record(self.run_dir, pid, part)
                                for part in range(RECORD_PARTS)]
            except OSError as exc:
                self._fail("sandbox_error", f"could not create the valgrind record files: {exc}")
                return
            if self.watch is not None:
                self.watch.events()  # the parent's own creation of the files
            self.announced = pid
            self._go(self.launch.control_w)
        elif kind == "spawned" and self.measure_mode:
            self._spawned(event)
        elif kind == "forked" and self.measure_mode:
            self._forked(event)
        elif kind == "exited" and self.measure_mode:
            self._exited(event)
        elif kind == "exited":
            status = event.get("status")
            if isinstance(status, int):
                self.run.exit_code = os.waitstatus_to_exitcode(status)
        elif kind == "sandboxed" and self.direct and not self.sandboxed:
            self.sandboxed = True
        elif kind == "compile_error":
            self.run.events.append(event)
        elif kind == "harness_error":
            self._fail("sandbox_error", f"the harness failed: {event.get('type')}: "
                       f"{event.get('message')}")
        elif kind == "end":
            self.harness_ended = True
            # whatever still holds the output pipes (nothing, in a pid namespace) gets a moment
            self.run_deadline = min(self.run_deadline, time.perf_counter() + 2.0)
        else:
            self._fail("sandbox_error", f"unexpected report {kind!r} from the harness")

    def _spawned(self, event: dict) -> None:
        """A call's child exists and is setting up: move it into the call's own cgroup now,
        so the migration's wait overlaps the set-up instead of delaying the call."""
        n, pid = event.get("n"), event.get("pid")
        if not isinstance(n, int) or not 0 <= n < len(self.calls) or not isinstance(pid, int) \
                or self.current is not None or self.spawned is not None:
            self._fail("sandbox_error", "the harness reported a call it was not given")
            return
        if self.run_dir is not None and pid != self.announced:
            self._fail("sandbox_error", f"the child got pid {pid}, not the announced "
                       f"{self.announced}: its valgrind record would be lost")
            return
        child = None
        if self.group.active:
            child = self.group.call_group(f"call-{n}")
            if child is not None:
                try:
                    child.join(_host_pid(self.group, pid))
                except OSError:
                    child.close()
                    child = None
        self.spawned = {"n": n, "pid": pid, "group": child}

    def _forked(self, event: dict) -> None:
        n, pid = event.get("n"), event.get("pid")
        spawned, self.spawned = self.spawned, None
        if spawned is None or (n, pid) != (spawned["n"], spawned["pid"]):
            if spawned is not None and spawned["group"] is not None:
                spawned["group"].close()
            self._fail("sandbox_error", "the harness reported a call it was not given")
            return
        kind, index, repeat = self.calls[n]
        call = MeasuredCall(n, kind, index, repeat)
        current = {"call": call, "pid": pid}
        if self.run_dir is not None:
            current["record"] = self.records[0]
        if self.counter:
            host = _host_pid(self.group, pid)
            try:
                current["counter"] = meters.open_instruction_counter(host, inherit=True)
                self.counters.append(current["counter"])
            except (OSError, TypeError) as exc:
                self._fail("sandbox_error", f"could not open the instruction counter: {exc}")
                return
        if self.group.active:
            child = spawned["group"]
            meter = child if child is not None else self.group
            current["group"] = child
            _settle(meter)
            current["base"] = meter.memory_now()
            meter.reset_peak()
            current["cpu"] = meter.cpu_ns()
            current["meter"] = meter
            budget = (self.deadlines[index] if self.deadlines and 0 <= index < len(self.deadlines)
                      else self.limits.test_seconds)
            self.cpu_budget = (self.group.cpu_ns(), budget)
            self.step_limit = WALL_SLACK * budget + 1.0
            self.step_deadline = time.perf_counter() + self.step_limit
        self.current = current
        current["wall"] = time.perf_counter_ns()
        self._go(self.launch.control_w)

    def _exited(self, event: dict) -> None:
        wall_end = time.perf_counter_ns()
        current = self.current
        if current is None or event.get("n") != current["call"].n:
            self._fail("sandbox_error", "the harness reported the end of a call that was not "
                       "running")
            return
        self.current = None
        call = current["call"]
        call.wall_ns = wall_end - current["wall"]
        if "cpu" in current:
            meter = current["meter"]
            _settle(meter)
            call.cpu_ns = meter.cpu_ns() - current["cpu"]
            call.peak_bytes = max(0, meter.memory_peak() - current["base"])
            if current["group"] is not None:
                current["group"].close()
        if "counter" in current:
            call.instructions = meters.read_counter(current["counter"])
            os.close(current["counter"])
            self.counters.remove(current["counter"])
        status = event.get("status")
        call.exit_code = os.waitstatus_to_exitcode(status) if isinstance(status, int) else None
        if call.exit_code == -signal.SIGKILL and self.group.active:
            try:
                call.oom_killed = self.group.oom_killed()
            except OSError:
                pass
        call.started = event.get("started", True) is True
        out = event.get("out")
        call.output = out if isinstance(out, bytes) else None
        call.output_size = event.get("size") if isinstance(event.get("size"), int) else 0
        err = event.get("stderr")
        call.stderr = err if isinstance(err, bytes) else b""
        cpu = event.get("cpu_ns")
        call.self_cpu_ns = cpu if isinstance(cpu, int) else None
        if "record" in current:
            # the parts only: valgrind truncates the final record when the child starts and
            # writes it when it exits, after which nothing of the child runs
            rewritten = self.watch.rewritten({p.name for p in self.records[1:]}) \
                if self.watch is not None else None
            if rewritten:
                call.record_error = rewritten
            else:
                call.instructions, call.record_error = read_records(self.run_dir,
                                                                    current["pid"])
        self.run.calls.append(call)
        self._next_input()

    # ------------------------------------------------------------------ sample channel

    def _sample_event(self, event: dict) -> None:
        """The sample runs in the process that writes here, so the protocol is enforced:
        while a call is under way (``go`` sent) the only valid event is that call's
        ``done``; an output must follow the ``done`` of its test; one-shot events come once
        and nothing follows ``end``. Anything else is a ``protocol_error``."""
        kind = event["e"]
        violation = _protocol_violation(event, kind, self.window, self.sample_ended, self.once,
                                        self.last_done,
                                        calls=self.job.get("mode") in ("function", "program"))
        if violation:
            self._fail("protocol_error", f"the harness protocol was broken: {violation}")
            return
        if kind in _ONCE:
            self.once.add(kind)
        if kind == "done":
            self.last_done = event.get("i")
            if self.bounds_cpu and self.cpu_budget is not None and not self._bound_cpu(event):
                return
        self._reset_step()
        run, group = self.run, self.group
        if kind == "loaded" and group.active and self.counter:
            self.counters.extend(meters.open_instruction_counter(pid) for pid in group.pids())
        if kind == "ready":
            i = event.get("i")
            deadlines = self.deadlines
            if deadlines and isinstance(i, int) and 0 <= i < len(deadlines):
                # The limit is CPU time (what the sample spends, whatever the load); wall
                # time gets slack for a loaded machine and catches sleepers.
                if group.active:
                    self.cpu_budget = (group.cpu_ns(), deadlines[i])
                    self.ready_quiet_cpu = self.quiet_cpu
                    self.step_limit = WALL_SLACK * deadlines[i] + 1.0
                else:
                    self.step_limit = deadlines[i]
                self.step_deadline = time.perf_counter() + self.step_limit
            window: dict = {}
            if self.measure and group.active:
                _settle(group)
                base = group.memory_now()
                group.reset_peak()
                window = {"cpu": group.cpu_ns(), "base": base}
            window["i"], window["call"] = event.get("i"), event.get("call", 0)
            run.pending = event.get("i")
            if self.counters:
                window["instr"] = sum(meters.read_counter(fd) for fd in self.counters)
            window["wall"] = time.perf_counter_ns()
            self.window = window
            if self.job["handshake"]:
                self._go(self.launch.sample_ctl_w)
        elif kind == "done":
            wall_end = time.perf_counter_ns()
            window = self.window
            if window is not None:
                cpu = peak = None
                if "cpu" in window:
                    _settle(group)
                    cpu = group.cpu_ns() - window["cpu"]
                    peak = max(0, group.memory_peak() - window["base"])
                instructions = (sum(meters.read_counter(fd) for fd in self.counters)
                                - window["instr"] if "instr" in window else None)
                self_cpu = event.get("self_cpu_ns")
                run.costs.append(CallCost(event.get("i", -1), event.get("call", 0),
                                          wall_end - window["wall"], cpu, peak, instructions,
                                          self_cpu if isinstance(self_cpu, int) else None))
            self.window = None
            if self.job["handshake"]:
                self._go(self.launch.sample_ctl_w)
        elif kind == "out":
            run.pending = None
        elif kind == "end":
            self.sample_ended = True
        run.events.append(event)


BEHIND_SLACK = 0.10
"""How wide (as a fraction of a test's CPU limit, at least 50 ms) the judge's uncertainty
about a test's CPU time may be before it declines to decide whether the test kept its limit."""


SAMPLE_PIPE_BYTES = 1 << 20
"""The sample channel's pipe buffer (Linux's default is 64 KiB, and 1 MiB the default most an
unprivileged process may ask for): HumanEval/130 sends 90 MB of outputs, which through 64 KiB
cost the parent a poll, a read and the CPU-limit bookkeeping per 64 KiB."""


def _widen_pipe(fd: int) -> None:
    """Ask for a `SAMPLE_PIPE_BYTES` pipe buffer, as root only: an unprivileged user's pipes
    share 64 MiB (pipe-user-pages-soft), and 64 slots' widened pipes would leave every new
    pipe of that user, perfjudge's or not, 8 KiB. Root is exempt from that limit."""
    if os.geteuid() != 0:
        return
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), SAMPLE_PIPE_BYTES)
    except OSError:
        pass


def _unread(fd: int) -> int:
    """Bytes waiting in a pipe (FIONREAD answers on either end)."""
    buf = array.array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, buf, True)
    except OSError:
        return 0
    return buf[0]


def _protocol_violation(event: dict, kind: str, window: dict | None, ended: bool,
                        once: set[str], last_done: object, calls: bool) -> str | None:
    if ended:
        return f"{kind!r} after 'end'"
    if window is not None:
        if kind != "done":
            return f"{kind!r} while test {window.get('i')} was running"
        if (event.get("i"), event.get("call", 0)) != (window.get("i"), window.get("call")):
            return "'done' for a call that was not running"
    elif kind == "done":
        return "'done' with no call running"
    if kind in _ONCE and kind in once:
        return f"a second {kind!r}"
    if calls and kind == "out" and (last_done is None or event.get("i") != last_done):
        return f"output {event.get('i')!r} before its call ended"
    return None


# ----------------------------------------------------------------------------- preflight

_PREFLIGHT: dict[tuple, str | None] = {}


def preflight(limits: Limits | None = None, valgrind: bool = False) -> str | None:
    """None if a trivial job runs through the whole engine here (sandbox start, a sandboxed
    run child, a sandboxed measured child; under valgrind when asked), else what failed.

    Run before a batch: when the sandbox cannot start (the sandbox uid cannot reach the
    harness files, namespaces are refused), every check would fail the same way, and that
    is the machine's fault, not the samples'."""
    limits = limits or Limits()
    key = (valgrind, sandbox.run_root())
    if key not in _PREFLIGHT:
        code = "def f(x):\n    return x + 1\n"
        inputs = [marshal.dumps([1], 2)]
        problem = None
        run = run_harness({"mode": "function", "code": code, "entry_point": "f",
                           "inputs": inputs}, limits=limits)
        outs = run.of("out")
        if run.status != "ok" or len(outs) != 1:
            problem = run.detail or f"the sandbox {exit_description(run.exit_code)}"
        else:
            calls = [("null", 0, 0), ("sample", 0, 0)]
            job = {"mode": "measure", "kind": "function", "code": code, "entry_point": "f",
                   "inputs": inputs, "calls": calls}
            run = run_harness(job, limits=limits.scaled(60) if valgrind else limits,
                              valgrind=valgrind, measure=not valgrind)
            bad = [c for c in run.calls if c.exit_code != 0 or not c.started or c.record_error]
            if run.status != "ok" or len(run.calls) != 2 or bad:
                problem = run.detail or (bad[0].record_error if bad and bad[0].record_error
                                         else "a measured child failed: " + (
                                             launch_failure(bad[0].stderr or run.stderr)
                                             if bad else "no calls"))
        if problem:
            problem += (f" (sandbox uid {sandbox.SANDBOX_UID} must be able to reach "
                        f"{sandbox.run_root()}; set PERFJUDGE_RUN_DIR to a directory it can "
                        "traverse, and see `perfjudge meters` for the isolation layers)")
        _PREFLIGHT[key] = problem
    return _PREFLIGHT[key]


# ----------------------------------------------------------------------------- host side


def _create_record(run_dir: RunDir, pid: int, part: int = 0) -> Path:
    """An empty record file for the child ``pid`` (``part`` > 0: callgrind's ``.part`` file):
    owned by the parent, writable by the sandbox uid (valgrind in the child truncates and
    fills it), in a directory the sandbox can neither list nor write, so a sample can plant
    nothing there."""
    path = run_dir.records / (f"cg.out.{pid}" + (f".{part}" if part else ""))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o666)
    try:
        os.fchmod(fd, 0o666)
    finally:
        os.close(fd)
    return path


def read_records(run_dir: RunDir, pid: int) -> tuple[int | None, str | None]:
    """The instructions a measured child executed from its start to its exit.

    callgrind dumps a record on entry to ``PyOS_AfterFork_Child`` (``--dump-before``): the
    child's first part (``.1``) is what it inherited from the zygote and is left out; every
    later part counts. A sample that calls that function again to reset its counts only
    splits its record in more parts, and they are all added."""
    final, error = read_record(run_dir.records / f"cg.out.{pid}", pid)
    if error:
        return None, error
    total, last = final
    for part in range(2, last):
        value, error = read_record(run_dir.records / f"cg.out.{pid}.{part}", pid)
        if error:
            return None, f"part {part}: {error}"
        total += value[0]
    for part in range(RECORD_PARTS):
        try:
            os.unlink(run_dir.records / (f"cg.out.{pid}" + (f".{part}" if part else "")))
        except OSError:
            pass
    return total, None


def read_record(path: Path, pid: int) -> tuple[tuple[int, int] | None, str | None]:
    """The instruction total and part number of one valgrind record file, or why there are
    none.

    Opened without following links and without blocking, checked to be a regular file the
    parent owns, read with a bound. The sample could write into its own record while it ran,
    but valgrind truncates it when it writes the real one at exit."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return None, f"valgrind record missing ({exc.strerror})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_nlink != 1:
            return None, "valgrind record replaced by something else"
        if info.st_size > MAX_RECORD_BYTES:
            return None, f"valgrind record of {info.st_size} bytes is not one valgrind wrote"
        chunks = []
        left = info.st_size
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    total = seen_pid = None
    part = 1
    for line in data.splitlines():
        if line.startswith(b"pid: "):
            seen_pid = line[5:].strip()
        elif line.startswith(b"part: "):
            try:
                part = int(line.split()[1])
            except (IndexError, ValueError):
                return None, "valgrind record damaged"
        elif line.startswith(b"totals: "):
            try:
                total = int(line.split()[1])
            except (IndexError, ValueError):
                return None, "valgrind record damaged"
    if total is None:
        if _low_disk(path.parent):
            return None, MACHINE_FAULT + "valgrind could not write the record: the disk " \
                f"holding {path.parent} is (nearly) full"
        return None, "valgrind record incomplete (no totals): valgrind could not write it " \
                     "(the sample lowered its file-size limit, or closed or filled what it " \
                     "needs)"
    if seen_pid != str(pid).encode():
        return None, "valgrind record belongs to another process"
    if part > RECORD_PARTS:
        return None, f"valgrind record in {part} parts (the sample reset its counts)"
    return (total, part), None


MACHINE_FAULT = "machine fault: "
"""Prefix of a record error that is the host's doing, not the sample's."""


def _low_disk(path: Path, need: int = 64 << 20) -> bool:
    try:
        return shutil.disk_usage(path).free < need
    except OSError:
        return True


def _host_pid(group: RunGroup, ns_pid: int) -> int:
    """The host pid of the sandboxed process whose innermost pid is ``ns_pid``.

    Only processes in the group's deepest pid namespace can match: bubblewrap's own
    process sits in the host's, where its pid is a number like any other. With a 32,768 pid
    space a call's pid inside a long-lived slot reaches bubblewrap's host pid now and then,
    and the call's cgroup then took bubblewrap, and killed the slot with it."""
    found: list[tuple[int, int]] = []
    deepest = 0
    for pid in group.pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("NSpid:"):
                levels = line.split()[1:]
                deepest = max(deepest, len(levels))
                if levels and levels[-1] == str(ns_pid):
                    found.append((len(levels), pid))
                break
    for depth, pid in found:
        if depth == deepest:
            return pid
    raise OSError(3, f"no sandboxed process with pid {ns_pid}")


def _cgroup_limits_hit(group: RunGroup) -> str:
    try:
        hit = [name for name, hit in (("memory", group.oom_killed()),
                                      ("processes", group.pids_hit_limit())) if hit]
    except OSError:
        return ""
    return f"the cgroup's {' and '.join(hit)} limit was hit" if hit else ""


def launch_failure(stderr: bytes) -> str:
    """The last line of what the sandbox printed before the harness started (bwrap's own
    messages name the problem: a path the sandbox uid cannot reach, a missing namespace)."""
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _reap(proc: subprocess.Popen, group: RunGroup) -> None:
    """Kill the sandbox and everything left in its cgroup (daemons, forks)."""
    try:
        proc.wait(timeout=0.5 if proc.poll() is None else 0)
    except subprocess.TimeoutExpired:
        pass
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if group.active:
        group.kill_all()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()


def _signal_code(code: int | None) -> int | None:
    """bubblewrap reports a child killed by signal N as exit status 128 + N."""
    if code is not None and 128 < code < 128 + 65:
        return -(code - 128)
    return code


def exit_description(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"
