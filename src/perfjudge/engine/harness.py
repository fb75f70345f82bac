"""The program that runs inside the sandbox. Standard library only.

It is a *zygote*: it reads its job, compiles the code, preloads the standard-library modules
the code imports, and never runs sample code while it holds the trusted channels. Sample
code runs in a process that `sandbox_child.c` (preloaded) has already put in its own
namespaces, fresh tmpfs directories and a seccomp filter before the first Python
instruction: a fork of the zygote, or, for a run-mode job in a warm slot, the job's zygote
itself, sandboxed in place after it reported ``sandboxed`` and before it dropped the report
and control channels (`_run_here`; the slot's pid 1, which forked it, reports how it
ended). So a sample cannot touch the process that reports on it, and whatever it does to
its own process is gone before the next call or job.

Two ways to run a job:

- **run** (correctness, reference outputs, generators, checkers, HumanEval replay): one
  sandboxed process runs every input in turn and reports on the *sample channel*, one event
  per step, while the parent enforces the protocol and per-test CPU limits (``run_*``
  below).
- **measure**: one fresh child per measured call. The zygote decodes the input, forks, and
  lets the child go only when the parent has taken its readings; the child then loads the
  sample's module, calls it, writes the encoded result into a memfd and exits; the zygote
  waits for it and reports its exit and result on the trusted *report channel*. The input
  exists only in that child, from before its first sample instruction to its exit: nothing
  the sample does at import time, in a thread, in a file or in shared memory happens outside
  the window the meters count. Each call is paired with the same call of a do-nothing module
  (the baseline), which the parent subtracts.

Wire format, both channels: frames of a 4-byte big-endian length and a marshal (version 2)
payload; the parent decodes them with its own strict reader (`perfjudge.engine.wire`), never
``marshal.loads``. The JSON codec at the bottom (`dumps`/`loads`) is the parent's format for
stored derived data.
"""

from __future__ import annotations

import gc
import marshal
import os
import sys
import resource  # loaded by pid 1 (not by each zygote, nor in a child's counted window)
import time

_os_write = os.write
_os_read = os.read
_os_exit = os._exit
_cpu_ns = time.process_time_ns
_type = type
_marshal_dumps = marshal.dumps

WIRE_VERSION = 2  # no back-references: shared objects are written twice, cycles refused
SETUP_FAILED = 121  # sandbox_child.c could not sandbox the child
CALL_OK = 0
CALL_ESCAPED = 120  # an exception left the measured call's own handling (a failed write)

# Standard-library modules a task's code may import that the zygote loads before forking, so
# that importing them costs a sample nothing (a reference pays the same): the cost charged is
# the sample's own work, not the interpreter's module loading.
PRELOADABLE = frozenset("""
abc array base64 binascii bisect calendar cmath collections collections.abc contextlib copy
dataclasses datetime decimal enum fractions functools glob hashlib heapq io itertools json
math numbers operator os os.path queue random re statistics string struct sys textwrap
threading time typing unicodedata zlib
""".split())


SLOT_PRELOAD = PRELOADABLE - {"random", "threading", "queue", "statistics"}
"""What a slot's pid 1 loads once (``PJ_SLOT_PRELOAD``), so that no job's zygote loads it
again (``typing`` alone costs ~3 ms a job). Left out: modules that register at-fork hooks
(random reseeds from urandom, threading rebuilds its state in every child), which would then
run in every measured child; a job that imports them still gets them preloaded. Not under
valgrind: every callgrind dump walks all code the process ever ran, and in a trace of one
job each measured call got dearer with the preload than without it."""


class NotPlainData(TypeError):
    """The value is not plain data (or is a subclass pretending to be)."""


class Opaque:
    """Stands in for an output that is not plain data (a regex match, a generator): equal to
    nothing, but not None, which is all some checkers ask (EvalPlus's MBPP ``is not None``
    tasks). Only the parent and checker processes create it."""

    __slots__ = ("description",)

    def __init__(self, description):
        self.description = str(description)

    def __eq__(self, other):
        return False

    def __hash__(self):
        return hash(self.description)

    def __repr__(self):
        return "<not plain data: %s>" % self.description


# ----------------------------------------------------------------------------- wire: child side


def _normalized(value, depth=0):
    """A copy with the stdlib dict types (whose == is dict's; MBPP+ Mbpp/88's reference returns
    a Counter) turned into dicts; anything else that marshal refused is not plain data."""
    import collections

    if depth > 2000:
        raise NotPlainData("nesting deeper than 2000")
    t = _type(value)
    if t in (collections.Counter, collections.OrderedDict, collections.defaultdict):
        t = dict
    if t is dict:
        return {_normalized(k, depth + 1): _normalized(v, depth + 1) for k, v in value.items()}
    if t in (list, tuple, set, frozenset):
        return t(_normalized(v, depth + 1) for v in value)
    if value is None or t in (bool, int, float, complex, str, bytes):
        return value
    raise NotPlainData("%s is not plain data" % t.__name__)


def encode_output(value):
    """marshal (C speed) for exact built-in types; subclasses, code, iterators and objects are
    refused by marshal itself. Buffer objects (bytearray, memoryview) travel as bytes, whose
    content cannot lie. Ellipsis and StopIteration are refused by the parent's reader."""
    try:
        return _marshal_dumps(value, WIRE_VERSION)
    except ValueError:
        pass
    try:
        return _marshal_dumps(_normalized(value), WIRE_VERSION)
    except ValueError as exc:  # still too deep, or a cycle
        raise NotPlainData(str(exc)) from None


def _frame(message):
    data = _marshal_dumps(message, WIRE_VERSION)
    return len(data).to_bytes(4, "big") + data


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[_os_write(fd, view):]


class _Channel:
    """Frames to the parent, go-bytes from it, on inherited fds."""

    def __init__(self, result_fd, control_fd, handshake=True):
        self.result_fd = result_fd
        self.control_fd = control_fd
        self.handshake = handshake

    def send(self, message):
        _write_all(self.result_fd, _frame(message))

    def wait(self):
        """Block until the parent has read its counters (only when it measures time)."""
        if not self.handshake:
            return
        if _os_read(self.control_fd, 1) != b"g":
            _os_exit(3)


def _read_exact(fd, n):
    chunks = bytearray()
    while len(chunks) < n:
        chunk = _os_read(fd, n - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _read_job(fd):
    header = _read_exact(fd, 4)
    if header is None:
        return None
    body = _read_exact(fd, int.from_bytes(header, "big"))
    return None if body is None else marshal.loads(body)  # from the parent: trusted


def _describe(exc):
    try:
        name = _type(exc).__name__
    except BaseException:
        name = "BaseException"
    try:
        message = str(exc)[:2000]
    except BaseException:
        message = "<unprintable exception>"
    return name, message


# ----------------------------------------------------------------------------- the zygote

_QUIET = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGIO",
          "SIGALRM", "SIGVTALRM", "SIGPROF", "SIGXFSZ")


def _set_signals(handler):
    import signal

    for name in _QUIET:
        try:
            signal.signal(getattr(signal, name), handler)
        except (AttributeError, OSError, ValueError):
            pass


def _preload(names):
    for name in names:
        if name in PRELOADABLE:
            try:
                __import__(name)
            except BaseException:
                pass


COMPILER_WARMUP = """
import math
from collections import deque


@staticmethod
def f(a, b=1, *args, c=None, **kwargs):
    \"\"\"A function that uses most of the compiler's paths.\"\"\"
    global g
    total, seen = 0, {a: b, **kwargs}
    items = [x * 2 for x in range(a) if x % 3] + list({y for y in args}) + [*args]
    for i, item in enumerate(items[1:-1:2]):
        if i > 3 and not item or c is None:
            total += item ** 2 // 3 - (i << 1) | 5 & ~i
        elif isinstance(item, str):
            total -= len(f"{item!r:>10}")
        else:
            continue
    while total > 0:
        total >>= 1
        break
    try:
        with open(b) as handle, open(a) as other:
            pass
    except (OSError, ValueError) as exc:
        raise RuntimeError("x") from exc
    finally:
        del seen
    square = lambda v: v * v
    gen = (square(z) for z in items)
    assert total >= 0, "negative"
    return sorted(items, key=lambda z: -z)[0] if items else max(gen, default=0.5j)


class C(dict):
    x: int = 0

    def __init__(self, *a):
        super().__init__()
        self.x, *rest = a or (1, 2)

    def method(self):
        nonlocal_check = [k for k, v in self.items() if v is not None]
        return {k: v for k, v in zip(nonlocal_check, range(10))}

    async def run(self):
        async for z in self:
            await z
        yield self.x


if __name__ == "__main__":
    print(f(3), C().method(), math.pi, deque([1, 2]), True and None or ...)
"""
"""Compiled (never run) by the slot's pid 1 and by a cold zygote before they freeze: under
valgrind, the first compile translates CPython's parser and compiler afresh, which a warm
slot would otherwise pay in every job's zygote (the job's hello to its first call took
~200 ms, of a 690 ms trivial check). Both paths compile it once, so their interpreter states
stay alike and warm counts equal cold ones."""


def _warm_compiler():
    compile(COMPILER_WARMUP, "warmup.py", "exec")


def _forget_sandbox_environment():
    """Programs a child might run must not load the sandbox library again."""
    for name in ("LD_PRELOAD", "PJ_CHILD_POLICY", "PJ_TMPFS_BYTES", "PJ_TMPFS_INODES",
                 "PJ_CHILD_NAMESPACES", "PJ_SANDBOX_ACTIVE", "PJ_SLOT", "PJ_SLOT_PRELOAD"):
        os.environ.pop(name, None)


def _child_common(close_fds, policy_signals=True):
    """Runs first in every child, before any sample code: drop the zygote's channels, give
    signals their default action, make randomness repeatable, and make imports compile from
    source (cached bytecode is read with marshal.loads, which is refused once armed)."""
    sys.pycache_prefix = "/nonexistent/perfjudge"
    sys.dont_write_bytecode = True
    for fd in close_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    if policy_signals:
        import signal

        _set_signals(signal.SIG_DFL)
    _forget_sandbox_environment()
    random = sys.modules.get("random")
    if random is not None:
        random.seed(0)  # the zygote's at-fork hook reseeded it from urandom


def _reap_others():
    """As pid 1 of the sandbox's pid namespace, or a warm slot's zygote (kill(-1) spares pid
    1 and the caller), kill whatever a child left (daemons)."""
    if os.getpid() != 1 and not _IN_SLOT:
        return  # no pid namespace: the parent kills the run's cgroup instead
    try:
        os.kill(-1, 9)
    except OSError:
        pass
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.0005)


def _wipe_shared_dirs():
    """Without per-child namespaces the zygote empties the writable directories itself."""
    for top in ("/tmp", "/work", "/dev/shm"):
        _remove_contents(top)


def _remove_contents(top):
    """Delete everything under ``top`` without recursion or following links: subdirectories
    are moved up to ``top`` (flattening any depth) and emptied there."""
    pending = [top]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if current != top:
                        flat = os.path.join(top, ".pj-del-%d" % len(pending) + entry.name[:40])
                        os.rename(entry.path, flat)
                        subdirs.append(flat)
                    else:
                        subdirs.append(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
        if subdirs:
            pending.append(current)
            pending.extend(subdirs)
        elif current != top:
            try:
                os.rmdir(current)
            except OSError:
                pass


def main(argv):
    report_fd, control_fd = int(argv[1]), int(argv[2])
    sample_fds = tuple(int(a) for a in argv[3:5])
    _set_signals(_ignore)
    report = _Channel(report_fd, control_fd)
    slot = os.environ.pop("PJ_SLOT", None) == "1"
    job = None
    if not slot:
        job = _read_job(control_fd)
        if job is None:
            _os_exit(2)
    if os.environ.get("PJ_CHILD_POLICY") and os.environ.get("PJ_SANDBOX_ACTIVE") != "1":
        report.send({"e": "harness_error", "type": "SandboxError",
                     "message": "the sandbox library is not active in this interpreter "
                                "(LD_PRELOAD ignored, or PySys_AddAuditHook missing)"})
        report.send({"e": "end"})
        _os_exit(0)
    _warm_compiler()
    if slot:
        _serve_slot(report, control_fd, sample_fds)
    else:
        _run_job(job, report, control_fd, sample_fds)
    _os_exit(0)


def _run_job(job, report, control_fd, sample_fds):
    sys.setrecursionlimit(int(job.get("recursion_limit", 100_000)))
    report.send({"e": "hello", "pid": os.getpid()})
    _preload(job.get("preload", ()))
    namespaces = os.environ.get("PJ_CHILD_NAMESPACES", "1") != "0"
    gc.collect()
    gc.freeze()  # the zygote's objects: children never need to walk them
    try:
        if job["mode"] == "measure":
            _measure(job, report, control_fd, sample_fds, namespaces)
        elif job.get("direct") and _IN_SLOT and namespaces:
            _run_here(job, report, control_fd, sample_fds)
        else:
            _run_in_child(job, report, control_fd, sample_fds, namespaces)
    except BaseException as exc:
        name, message = _describe(exc)
        report.send({"e": "harness_error", "type": name, "message": message})
    report.send({"e": "end"})


_IN_SLOT = False
"""True in a job's zygote forked by a warm slot (not pid 1, but the only process left in the
pid namespace besides pid 1 once its children are gone)."""


def _serve_slot(report, control_fd, sample_fds):
    """A warm slot: pid 1 of a long-lived sandbox that forks a fresh zygote per job. The loop
    is `sandbox_child.c`'s (``pj_serve_slot``), entered through an audit event, so this
    process runs no Python between jobs and every zygote starts from the same interpreter
    state. Returns only in a job's zygote, which then runs the job as a cold sandbox's
    zygote would (it is not a sample's child: no namespaces, no filter)."""
    global _IN_SLOT
    policy = os.environ.pop("PJ_CHILD_POLICY", None)
    if os.environ.pop("PJ_SLOT_PRELOAD", None) == "1":
        _preload(sorted(SLOT_PRELOAD))
    gc.collect()
    gc.freeze()
    sys.audit("perfjudge.slot", report.result_fd, control_fd, sample_fds[1])
    if os.getpid() == 1:
        report.send({"e": "harness_error", "type": "SandboxError",
                     "message": "the sandbox library could not start the warm slot"})
        report.send({"e": "end"})
        return
    _IN_SLOT = True
    if policy is not None:
        os.environ["PJ_CHILD_POLICY"] = policy
    job = _read_job(control_fd)
    if job is not None:
        _run_job(job, report, control_fd, sample_fds)


def _ignore(signum, frame):
    pass


def _wait(pid):
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            return status, int((usage.ru_utime + usage.ru_stime) * 1e9)
        except InterruptedError:
            continue


def _run_in_child(job, report, control_fd, sample_fds, namespaces):
    """One child runs the whole job on the sample channel (see ``MODES``)."""
    os.environ["PJ_CHILD_POLICY"] = "run"
    pid = os.fork()
    if pid == 0:
        _run_as_job_process(job, report, control_fd, sample_fds)
    for fd in sample_fds:
        os.close(fd)
    status, cpu_ns = _wait(pid)
    _reap_others()
    if not namespaces:
        _wipe_shared_dirs()
    report.send({"e": "exited", "status": status, "cpu_ns": cpu_ns})


def _run_here(job, report, control_fd, sample_fds):
    """A warm slot's run-mode job in this zygote itself, without the child's fork: the
    zygote sandboxes itself as a child would (the sandbox library does it on the audit event,
    and fails closed) and runs the job. Slot pid 1 reports the exit status and kills and
    reaps whatever it left, which the zygote did for its child. Two forked copies of the
    interpreter each paid ~380 copy-on-write page faults a job."""
    os.environ["PJ_CHILD_POLICY"] = "run"
    sys.audit("perfjudge.sandbox_self")
    report.send({"e": "sandboxed"})  # from here on an end is the job's, as a child's would be
    _run_as_job_process(job, report, control_fd, sample_fds)


def _run_as_job_process(job, report, control_fd, sample_fds):
    """The sandboxed process of a run-mode job: drop the zygote's channels, run the job on
    the sample channel, exit."""
    _child_common((report.result_fd, control_fd))
    channel = _Channel(*sample_fds, job.get("handshake", True))
    try:
        MODES[job["mode"]](job, channel)
    except BaseException as exc:
        name, message = _describe(exc)
        channel.send({"e": "harness_error", "type": name, "message": message})
    try:
        channel.send({"e": "end"})
    finally:
        _os_exit(0)


# ----------------------------------------------------------------------------- measure mode

NULL_PROGRAM = ""


def _null_function(entry_point):
    return "def %s(*args, **kwargs):\n    return None\n" % entry_point


def _measure(job, report, control_fd, sample_fds, namespaces):
    """Every measured call in a fresh child; see the module docstring."""
    for fd in sample_fds:
        os.close(fd)
    program = job["kind"] == "program"
    try:
        code = compile(job["code"], "solution.py", "exec")
    except BaseException as exc:
        name, message = _describe(exc)
        report.send({"e": "compile_error", "type": name, "message": message})
        return
    null = compile(NULL_PROGRAM if program else _null_function(job["entry_point"]),
                   "baseline.py", "exec")
    partner = compile(job["partner"], "partner.py", "exec") if job.get("partner") else null
    cap = int(job.get("max_result_bytes", 1 << 28))
    caps = job.get("output_caps") or {}
    announce = bool(job.get("announce_pid"))
    cpu_limits = job.get("cpu_limits") or {}
    for n, (kind, index, repeat) in enumerate(job["calls"]):
        # Each call's input arrives only now, after the previous child is gone: a child
        # holds no input but its own, and a load call none at all.
        message = _read_job(control_fd)
        if message is None:
            return
        raw = message.get("input")
        args = marshal.loads(raw) if raw is not None else None
        message = raw = None
        gc.collect()
        chosen = code if kind in ("sample", "load") else partner if kind == "partner" else null
        record = _measured_call(n, kind, args, chosen,
                                job["entry_point"], report, control_fd, program,
                                min(cap, caps.get(index, cap)),
                                cpu_limits.get(index, job.get("cpu_seconds", 300)), announce)
        args = None
        if not namespaces:
            _wipe_shared_dirs()
        report.send(record)


def _memfd(name, data=b""):
    fd = os.memfd_create(name, 0)
    if data:
        _write_all(fd, data)
        os.lseek(fd, 0, 0)
    return fd


def _read_memfd(fd, cap):
    size = os.fstat(fd).st_size
    if size > cap:
        return None, size
    os.lseek(fd, 0, 0)
    data = _read_exact(fd, size) or b""
    return data, size


def _next_pid():
    """The pid the next fork gets: pids in a fresh pid namespace are handed out in order, and
    only this single-threaded zygote forks (every earlier child is gone)."""
    with open("/proc/sys/kernel/ns_last_pid") as handle:
        return int(handle.read()) + 1


def _measured_call(n, kind, args, code, entry_point, report, control_fd, program, cap,
                   cpu_seconds, announce=False):
    go_r, go_w = os.pipe()
    ready_r, ready_w = os.pipe()
    out_fd = _memfd("perfjudge-out")
    in_fd = _memfd("perfjudge-in", args.encode("utf-8", "surrogatepass")) if program else -1
    err_fd = _memfd("perfjudge-err") if program else -1
    os.environ["PJ_CHILD_POLICY"] = "measure"
    expected_pid = None
    if announce:
        # valgrind writes the child's first record when the child starts: the parent must
        # create its files before the fork
        expected_pid = _next_pid()
        report.send({"e": "next_pid", "n": n, "pid": expected_pid})
        if _os_read(control_fd, 1) != b"g":
            _os_exit(2)
    pid = os.fork()
    if pid == 0:
        try:
            _child_common((report.result_fd, control_fd, go_w, ready_r))
            _limit_cpu(cpu_seconds)
            if program:
                os.dup2(in_fd, 0)
                os.dup2(out_fd, 1)
                os.dup2(err_fd, 2)
            # Set up and idle: the parent takes its readings now, so the child's set-up is
            # not in them, and lets it go. Whether the sample ran is decided by this byte,
            # which only code before the sample's can send.
            _os_write(ready_w, b"r")
            os.close(ready_w)
            go = _os_read(go_r, 1)
            os.close(go_r)
            if go != b"g":
                _os_exit(3)
            if program:
                _program_call(code)
            _function_call(code, entry_point, args, kind, out_fd)
        finally:
            _os_exit(CALL_ESCAPED)  # a child never returns into the zygote's loop
    os.close(ready_w)
    os.close(go_r)
    if expected_pid is not None and pid != expected_pid:
        os.kill(pid, 9)  # still idle: it never runs sample code
    # the parent moves the child into its call's cgroup while the child sets up: a cgroup
    # migration waits for an RCU grace period (5-15 ms here once migrations are rare)
    report.send({"e": "spawned", "n": n, "pid": pid})
    started = _os_read(ready_r, 1) == b"r"  # b"" if the child died in its set-up
    os.close(ready_r)
    report.send({"e": "forked", "n": n, "pid": pid})
    go = _os_read(control_fd, 1)
    if go == b"g":
        try:
            _os_write(go_w, b"g")
        except OSError:
            pass
    os.close(go_w)
    status, cpu_ns = _wait(pid)
    _reap_others()
    data, size = _read_memfd(out_fd, cap)
    err = b""
    if program:
        err = (_read_memfd(err_fd, 1 << 16)[0] or b"")[-4000:]
        os.close(in_fd)
        os.close(err_fd)
    os.close(out_fd)
    return {"e": "exited", "n": n, "status": status, "cpu_ns": cpu_ns, "out": data,
            "size": size, "stderr": err, "started": started}


def _limit_cpu(seconds):
    soft = max(1, int(seconds) + 1)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY and soft >= hard:
        return
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1 if hard == resource.RLIM_INFINITY
                                              else hard))


ARM = "perfjudge.arm"
"""Audit event that arms `sandbox_child.c`'s hook: from here on no code objects, unmarshalling
or mmap in this process. Raised just before the first sample instruction."""


def _function_call(code, entry_point, args, kind, out_fd):
    """In the measured child: load the module, call, write ``tag + payload``, exit."""
    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    sys.audit(ARM)
    try:
        exec(code, namespace)
        fn = namespace[entry_point]
    except BaseException as exc:
        name, message = _describe(exc)
        if isinstance(exc, KeyError) and entry_point not in namespace:
            name, message = "NameError", "the solution does not define %r" % entry_point
        _write_all(out_fd, b"L" + _marshal_dumps((name, message), WIRE_VERSION))
        _os_exit(CALL_OK)
    if kind in ("load", "load-null"):
        _os_exit(CALL_OK)
    try:
        result = fn(*args)
    except BaseException as exc:
        _write_all(out_fd, b"E" + _marshal_dumps(_describe(exc), WIRE_VERSION))
        _os_exit(CALL_OK)
    try:
        payload = b"O" + encode_output(result)
    except BaseException as exc:
        payload = b"N" + _marshal_dumps(_describe(exc), WIRE_VERSION)
    _write_all(out_fd, payload)
    _os_exit(CALL_OK)


def _program_call(code):
    status = 0
    sys.audit(ARM)
    try:
        exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:
        import traceback  # only on failure: importing it costs ~20 ms of every start-up

        # the program's frames only, as `python solution.py` prints them
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        status = status or 1
    _os_exit(status)


# ----------------------------------------------------------------------------- run modes


def _compile(job, channel):
    try:
        return compile(job["code"], "solution.py", "exec")
    except BaseException as exc:
        name, message = _describe(exc)
        channel.send({"e": "compile_error", "type": name, "message": message})
        return None


def run_function_tests(job, channel):
    """Call the entry point on every input; report ``done`` before encoding the output."""
    compiled = _compile(job, channel)
    if compiled is None:
        return
    inputs = [marshal.loads(encoded) for encoded in job["inputs"]]  # before the sample runs
    channel.send({"e": "loading"})
    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    sys.audit(ARM)
    started = _cpu_ns()
    try:
        exec(compiled, namespace)
        fn = namespace[job["entry_point"]]
    except BaseException as exc:
        name, message = _describe(exc)
        if isinstance(exc, KeyError) and job["entry_point"] not in namespace:
            name, message = "NameError", "the solution does not define %r" % job["entry_point"]
        channel.send({"e": "load_error", "type": name, "message": message})
        return
    channel.send({"e": "loaded", "self_cpu_ns": _cpu_ns() - started})
    for index, args in enumerate(inputs):
        channel.send({"e": "ready", "i": index, "call": 0})
        channel.wait()
        started = _cpu_ns()
        try:
            result = fn(*args)
        except BaseException as exc:
            name, message = _describe(exc)
            channel.send({"e": "done", "i": index, "call": 0, "ok": False,
                          "type": name, "message": message})
            channel.wait()
            return
        # The child's own CPU clock: trusted only for reference solutions (per-test time
        # limits); a sample's cost is always read by the parent from outside.
        channel.send({"e": "done", "i": index, "call": 0, "ok": True,
                      "self_cpu_ns": _cpu_ns() - started})
        channel.wait()
        try:
            payload = encode_output(result)
        except BaseException as exc:
            name, message = _describe(exc)
            channel.send({"e": "out", "i": index, "plain": False, "type": name,
                          "message": message})
            continue  # the parent decides: wrong answer, or an opaque value for a checker
        channel.send({"e": "out", "i": index, "plain": True, "value": payload})


def run_program_tests(job, channel):
    """Run a stdin/stdout program once per input, each in a forked child of this process."""
    compiled = _compile(job, channel)
    if compiled is None:
        return
    max_out = int(job.get("max_output_bytes", 1 << 24))
    stdins = [marshal.loads(encoded) for encoded in job["inputs"]]
    channel.send({"e": "loaded"})
    for index, stdin_text in enumerate(stdins):
        in_fd = _memfd("perfjudge-in", stdin_text.encode("utf-8", "surrogatepass"))
        out_fd = _memfd("perfjudge-out")
        err_fd = _memfd("perfjudge-err")
        channel.send({"e": "ready", "i": index, "call": 0})
        channel.wait()
        pid = os.fork()
        if pid == 0:
            os.close(channel.result_fd)
            os.close(channel.control_fd)
            os.dup2(in_fd, 0)
            os.dup2(out_fd, 1)
            os.dup2(err_fd, 2)
            _program_call(compiled)
        status, cpu_ns = _wait(pid)
        code_ = os.waitstatus_to_exitcode(status)
        channel.send({"e": "done", "i": index, "call": 0, "ok": code_ == 0, "exit": code_,
                      "self_cpu_ns": cpu_ns})
        channel.wait()
        out, size = _read_memfd(out_fd, max_out)
        err = (_read_memfd(err_fd, 1 << 16)[0] or b"")[-4000:]
        for fd in (in_fd, out_fd, err_fd):
            os.close(fd)
        if code_ != 0 or job.get("report_stderr"):
            channel.send({"e": "stderr", "i": index,
                          "text": err.decode("utf-8", "replace")})
        if code_ != 0:
            return
        if out is None:
            out = b""  # over the cap: the parent sees the size and decides
        channel.send({"e": "out", "i": index, "plain": True, "size": size,
                      "value": _marshal_dumps(out[:max_out].decode("utf-8", "replace"),
                                              WIRE_VERSION)})


def _load_module(code, filename, name):
    namespace = {"__name__": name, "__builtins__": __builtins__}
    exec(compile(code, filename, "exec"), namespace)
    return namespace


def run_generator(job, channel):
    """Benchmark-supplied input generators (ENAMEL, COFFE): seeded, outputs encoded."""
    import random

    namespace = _load_module(job["code"], "generator.py", "generator")
    fn = namespace[job["entry_point"]]
    random.seed(job["seed"])
    for index, args in enumerate(job["inputs"]):
        value = fn(*marshal.loads(args))
        channel.send({"e": "out", "i": index, "plain": True, "value": encode_output(value)})


def run_checker(job, channel):
    """A task's checker, in its own process: ``check(input, expected, output) -> bool``."""
    namespace = _load_module(job["code"], "checker.py", "checker")
    check = namespace[job["entry_point"]]
    for index, encoded in enumerate(job["inputs"]):
        args, expected, output = (loads(x) for x in marshal.loads(encoded))
        try:
            ok = bool(check(args, expected, output))
            channel.send({"e": "out", "i": index, "plain": True, "value": encode_output(ok)})
        except BaseException as exc:
            name, message = _describe(exc)
            channel.send({"e": "out", "i": index, "plain": True,
                          "value": encode_output(False), "type": name, "message": message})


def run_replay(job, channel):
    """Replay an assertion-style test (HumanEval ``check(candidate)``).

    In ``record`` mode the candidate is the reference: every call's arguments and result are
    sent, which yields the inputs and expected outputs. In ``replay`` mode the candidate
    answers from the outputs another process computed, so the sample never runs here."""
    import random

    # The test runs after the canonical solution, as HumanEval's harness runs prompt +
    # solution + test: helpers and direct calls of the entry point resolve to the reference.
    namespace = _load_module(job["reference"] + "\n\n" + job["code"], "test.py", "test")
    ref = namespace[job["entry_point"]]
    recorded = {}
    for key, output in job.get("replies", []):
        recorded[key] = output
    if job["mode"] == "record":
        def candidate(*args):
            encoded = encode_output(list(args))  # before the call: it may mutate them
            result = ref(*args)
            channel.send({"e": "call", "args": encoded, "value": encode_output(result)})
            return result
    else:
        def candidate(*args):
            key = dumps(list(args))
            if key not in recorded:
                raise LookupError("the test called the candidate with an unrecorded input")
            return loads(recorded[key])
    random.seed(0)  # a test that draws random inputs must draw the same ones when replayed
    try:
        namespace[job.get("check", "check")](candidate)
    except BaseException as exc:
        name, message = _describe(exc)
        channel.send({"e": "verdict", "ok": False, "type": name, "message": message})
        return
    channel.send({"e": "verdict", "ok": True})


MODES = {
    "function": run_function_tests,
    "program": run_program_tests,
    "generate": run_generator,
    "check": run_checker,
    "record": run_replay,
    "replay": run_replay,
}


# ----------------------------------------------------------------------------- JSON codec
# The parent's format for derived data in the store, and for values handed to checkers and
# replays (which need types marshal has no tag for: Opaque, and keys that sort stably).

MAX_DEPTH = 10_000
_BIG_INT_BITS = 10_000  # ~3000 decimal digits, safely under the 4300-digit default limit
_INF = float("inf")


def encode(value, _depth=0, _seen=None):
    """Turn plain data into JSON-able structure with tags; reject everything else.

    Exact type checks (``type(x) is int``) on purpose: a subclass can override ``__eq__``.
    JSON objects only ever appear as tags, so a tag cannot collide with user data."""
    import collections

    if _depth > MAX_DEPTH:
        raise NotPlainData("nesting deeper than %d" % MAX_DEPTH)
    t = _type(value)
    if t is int and value.bit_length() > _BIG_INT_BITS:
        return {"$i": format(value, "x")}
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        if value != value or value in (_INF, -_INF):
            return {"$f": repr(value)}
        return value
    if _seen is None:
        _seen = set()
    if t in (collections.Counter, collections.OrderedDict, collections.defaultdict):
        t, value = dict, dict(value)  # stdlib dict subclasses whose == is dict's own
    if t in (list, tuple, set, frozenset, dict):
        ident = id(value)
        if ident in _seen:
            raise NotPlainData("self-referencing container")
        _seen.add(ident)
        try:
            if t is list:
                return [encode(v, _depth + 1, _seen) for v in value]
            if t is tuple:
                return {"$t": [encode(v, _depth + 1, _seen) for v in value]}
            if t is dict:
                return {"$d": [[encode(k, _depth + 1, _seen), encode(v, _depth + 1, _seen)]
                               for k, v in value.items()]}
            items = [encode(v, _depth + 1, _seen) for v in value]
            return {"$s" if t is set else "$fs": items}
        finally:
            _seen.discard(ident)
    if t is bytes:
        import binascii

        return {"$b": binascii.b2a_base64(value, newline=False).decode("ascii")}
    if t is Opaque:
        return {"$o": value.description}
    if t is complex:
        return {"$c": [encode(value.real), encode(value.imag)]}
    raise NotPlainData("%s is not plain data" % t.__name__)


def decode(data):
    """Inverse of `encode`; strict, so malformed data raises."""
    t = _type(data)
    if data is None or t is bool or t is int or t is str or t is float:
        return data
    if t is list:
        return [decode(v) for v in data]
    if t is dict and len(data) == 1:
        (tag, body), = data.items()
        if tag == "$t" and _type(body) is list:
            return tuple(decode(v) for v in body)
        if tag == "$d" and _type(body) is list:
            out = {}
            for pair in body:
                if _type(pair) is not list or len(pair) != 2:
                    raise NotPlainData("malformed dict item")
                out[_hashable(decode(pair[0]))] = decode(pair[1])
            return out
        if tag in ("$s", "$fs") and _type(body) is list:
            items = [_hashable(decode(v)) for v in body]
            return set(items) if tag == "$s" else frozenset(items)
        if tag == "$f" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$o" and _type(body) is str:
            return Opaque(body)
        if tag == "$i" and _type(body) is str:
            return int(body, 16)
        if tag == "$b" and _type(body) is str:
            import binascii

            return binascii.a2b_base64(body.encode("ascii"), strict_mode=True)
        if tag == "$c" and _type(body) is list and len(body) == 2:
            return complex(decode(body[0]), decode(body[1]))
    raise NotPlainData("malformed encoded value")


def _hashable(value):
    hash(value)
    return value


def dumps(value) -> str:
    import json

    return json.dumps(encode(value), separators=(",", ":"), allow_nan=False, sort_keys=False)


def loads(text):
    """Inverse of `dumps`. JSON objects only ever appear as tags, so a text without a brace
    holds lists and scalars alone, which `decode` would return unchanged: json's C decoder
    gives the value at once; tags are undone by an object hook as json decodes them."""
    import json

    if "{" not in text:
        return json.loads(text)
    return json.loads(text, object_hook=_untag)


def _untag(obj):
    """`decode` for one JSON object, whose members json's C decoder has decoded already
    (innermost first): the same tags, the same refusals."""
    if len(obj) == 1:
        (tag, body), = obj.items()
        t = _type(body)
        if tag == "$t" and t is list:
            return tuple(body)
        if tag == "$d" and t is list:
            out = {}
            for pair in body:
                if _type(pair) is not list or len(pair) != 2:
                    raise NotPlainData("malformed dict item")
                out[_hashable(pair[0])] = pair[1]
            return out
        if tag in ("$s", "$fs") and t is list:
            items = [_hashable(v) for v in body]
            return set(items) if tag == "$s" else frozenset(items)
        if tag == "$c" and t is list and len(body) == 2 and \
                all(_type(v) in (int, float) for v in body):
            return complex(body[0], body[1])
        if tag in ("$f", "$o", "$i", "$b") and t is str:
            return decode(obj)
    raise NotPlainData("malformed encoded value")


if __name__ == "__main__":
    main(sys.argv)
