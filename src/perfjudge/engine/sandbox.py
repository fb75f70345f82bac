"""Isolation layers for one run: namespaces (bubblewrap), an unprivileged uid, rlimits, and a
cgroup per run for processes, memory and CPU accounting.

Findings behind the choices (the project's design notes, re-measured here): root inside a user namespace still
owns root's files, so when perfjudge runs as root the child drops to uid 65534 *before*
bubblewrap creates its namespaces; RLIMIT_NPROC counts every process of that uid, so the
process cap that matters is the cgroup's ``pids.max``; RLIMIT_AS starves threads, so memory is
capped by the cgroup and RLIMIT_AS is only a generous backstop. `probe()` says at start which
layers this machine gives, and the engine reports the missing ones instead of pretending.

Inside that sandbox the harness is a zygote that never runs sample code: `sandbox_child.c`,
preloaded into it, gives each forked child its own user, mount and IPC namespaces, fresh
tmpfs directories, no capabilities and a seccomp filter (see that file). The host side keeps
a run directory only for valgrind's per-call records, which the parent creates itself.
"""

from __future__ import annotations

import functools
import hashlib
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from perfjudge.errors import Unavailable

SANDBOX_UID = 65534
SANDBOX_GID = 65534
MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run. Defaults suit interpreted benchmark code."""

    test_seconds: float = 10.0
    min_test_seconds: float = 1.0
    wall_seconds: float = 300.0
    cpu_seconds: int = 300
    memory_bytes: int = 4 * GiB
    address_space_bytes: int = 16 * GiB
    max_processes: int = 64
    max_open_files: int = 256
    max_file_bytes: int = 64 * MiB
    max_output_bytes: int = 8 * MiB
    max_result_bytes: int = 256 * MiB
    stack_bytes: int = 256 * MiB
    recursion_limit: int = 20_000
    scratch_bytes: int = 64 * MiB
    """Size of each child's private /tmp, /work and /dev/shm (tmpfs, charged to its memory)."""
    scratch_inodes: int = 4096

    def scaled(self, factor: float) -> "Limits":
        """The same limits with every time budget multiplied (valgrind runs 20-70x slower)."""
        return Limits(**{**asdict(self),
                         "test_seconds": self.test_seconds * factor,
                         "wall_seconds": self.wall_seconds * factor,
                         "cpu_seconds": int(self.cpu_seconds * factor)})


@dataclass(frozen=True)
class Capabilities:
    """What this machine lets the engine use; `missing` is shown to the user at start."""

    bwrap: str | None
    drop_uid: bool
    cgroup_v1: dict[str, str]
    cgroup_v2: str | None
    python: str
    python_prefix: str
    missing: tuple[str, ...] = field(default=())
    blocked: tuple[str, ...] = field(default=())
    """Interpreter files hidden in the sandbox (ctypes, the CPython test modules)."""
    root: str | None = None
    """A tmpfs copy of only the files the sandbox runs (`sandbox_root`), bound in place of the
    host's system directories; None: the host's are bound read-only."""

    @property
    def cgroups(self) -> bool:
        return bool(self.cgroup_v1) or self.cgroup_v2 is not None

    def layers(self) -> dict[str, bool]:
        return {
            "namespaces (bubblewrap: user, pid, net, mount, ipc)": self.bwrap is not None,
            f"unprivileged uid {SANDBOX_UID}": self.drop_uid,
            "cgroup pids/memory/cpu accounting": self.cgroups,
            "rlimits (cpu, address space, files, fds, processes)": True,
        }


def _world_traversable(path: str) -> bool:
    """True if uid 65534 can reach and execute ``path`` (every parent dir o+x)."""
    p = Path(path).resolve()
    for parent in [*reversed(p.parents), p]:
        try:
            mode = parent.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return bool(p.stat().st_mode & stat.S_IROTH)


def _sandbox_python(drop_uid: bool) -> str:
    """The real interpreter (never a pyenv shell shim, which bubblewrap cannot follow and which
    costs ~80 ms a launch), reachable by the sandbox uid."""
    override = os.environ.get("PERFJUDGE_PYTHON")
    if override:
        return override
    candidates = [os.path.realpath(sys.executable)]
    ver = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates += [f"/usr/bin/python{ver}", f"/usr/local/bin/python{ver}", "/usr/bin/python3"]
    for candidate in candidates:
        if os.path.exists(candidate) and (not drop_uid or _world_traversable(candidate)):
            return os.path.realpath(candidate)
    return os.path.realpath(sys.executable)


def _python_prefix(python: str) -> str:
    out = subprocess.run([python, "-I", "-S", "-c", "import sys;print(sys.base_prefix)"],
                         capture_output=True, text=True, timeout=30)
    return out.stdout.strip() or "/usr"


def _own_cgroup_v1() -> dict[str, str]:
    """Writable per-controller directories under this process's own cgroup (v1)."""
    found: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            if controller in ("memory", "pids", "cpuacct", "cpuset"):
                base = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
                if not base.is_dir():
                    base = Path("/sys/fs/cgroup") / controllers / path.lstrip("/")
                probe_dir = base / f"perfjudge-probe-{os.getpid()}"
                try:
                    probe_dir.mkdir()
                    probe_dir.rmdir()
                    found[controller] = str(base)
                except OSError:
                    pass
    return found if {"memory", "pids", "cpuacct"} <= found.keys() else {}


def _own_cgroup_v2() -> str | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            base = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
            controllers = base / "cgroup.subtree_control"
            try:
                enabled = controllers.read_text().split()
            except OSError:
                return None
            if {"memory", "pids", "cpu"} <= set(enabled) and os.access(base, os.W_OK):
                return str(base)
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_root() -> Path:
    """Where run directories and the harness files live: ``PERFJUDGE_RUN_DIR`` or the
    system temp dir. The sandbox uid must be able to traverse it."""
    return Path(os.environ.get("PERFJUDGE_RUN_DIR") or tempfile.gettempdir())


def remove_tree(path: Path | str) -> None:
    """Delete ``path`` without recursion and without following links; never raises.

    A sample can leave a directory chain thousands deep (``shutil.rmtree`` then raises
    RecursionError, and paths grow past PATH_MAX): every subdirectory is first renamed to the
    top of the tree, so each one is emptied at depth one."""
    top = str(path)
    try:
        if not stat.S_ISDIR(os.lstat(top).st_mode):
            os.unlink(top)
            return
    except OSError:
        return
    pending = [top]
    serial = 0
    while pending:
        current = pending.pop()
        try:
            os.chmod(current, 0o700)
            entries = list(os.scandir(current))
        except OSError:
            entries = []
        subdirs = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if current == top:
                        subdirs.append(entry.path)
                    else:
                        serial += 1
                        flat = os.path.join(top, f".pj-flat-{serial}")
                        os.rename(entry.path, flat)
                        subdirs.append(flat)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
        if subdirs:
            pending.append(current)
            pending.extend(subdirs)
            continue
        try:
            os.rmdir(current)
        except OSError:
            pass


def sweep_stale(caps: "Capabilities") -> list[str]:
    """Remove cgroups and run dirs left by perfjudge processes that were killed (kill -9
    leaves no chance to clean up); their names carry the owner's pid. Never raises: a
    leftover must not stop the next start. Returns what could not be removed."""
    stuck: list[str] = []
    bases = list(caps.cgroup_v1.values()) + ([caps.cgroup_v2] if caps.cgroup_v2 else [])
    for base in bases:
        try:
            paths = list(Path(base).glob("perfjudge-*-*"))
        except OSError:
            continue
        for path in paths:
            parts = path.name.split("-")
            if len(parts) >= 3 and parts[1].isdigit() and not _pid_alive(int(parts[1])):
                if not _remove_cgroup(path):
                    stuck.append(str(path))
    try:
        runs = list(run_root().glob("perfjudge-run-*-*"))
    except OSError:
        runs = []
    for path in runs:
        parts = path.name.split("-")
        if len(parts) >= 4 and parts[2].isdigit() and not _pid_alive(int(parts[2])):
            remove_tree(path)
            if os.path.lexists(path):
                stuck.append(str(path))
    return stuck


def _remove_cgroup(path: Path) -> bool:
    """Kill what is left in a dead run's cgroup and remove it with its per-call children."""
    groups = [path] + [child for child in path.glob("call-*") if child.is_dir()]
    for _ in range(50):
        alive = False
        for group in groups:
            try:
                pids = (group / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                alive = True
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        if not alive:
            break
        time.sleep(0.01)
    for group in reversed(groups):
        try:
            group.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            return False
    return True


BLOCKED_MODULES = ("_ctypes", "_ctypes_test", "_testcapi", "_testinternalcapi", "_testbuffer",
                   "_testclinic", "_testmultiphase", "_testimportmultiple", "_testsinglephase",
                   "_xxtestfuzz", "_xxsubinterpreters")
"""Extension modules hidden from samples: ctypes can call any function in the process and
write any memory (a way to reach a meter from inside), the CPython test modules can corrupt
memory on purpose. Benchmarks need none of them."""


def _blocked_files(python: str) -> tuple[str, ...]:
    script = ("import importlib.util as u\n"
              f"for n in {BLOCKED_MODULES!r}:\n"
              "    s = u.find_spec(n)\n"
              "    o = s and s.origin\n"
              "    if o and o.endswith('.so'): print(o)\n")
    try:
        out = subprocess.run([python, "-I", "-S", "-c", script], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(os.path.realpath(line) for line in out.stdout.split() if line)


@functools.lru_cache(maxsize=1)
def probe() -> Capabilities:
    drop_uid = os.geteuid() == 0
    bwrap = shutil.which("bwrap")
    missing: list[str] = []
    python = _sandbox_python(drop_uid)
    if bwrap and drop_uid and not _world_traversable(bwrap):
        bwrap = None
    if bwrap:
        test = subprocess.run(
            [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
            capture_output=True, preexec_fn=_drop_privileges if drop_uid else None, timeout=30)
        if test.returncode != 0:
            missing.append("namespaces: bwrap failed: " + test.stderr.decode(errors="replace").strip())
            bwrap = None
    else:
        missing.append("namespaces: bubblewrap (bwrap) not found; install Debian's 'bubblewrap'")
    if not drop_uid:
        missing.append(f"uid drop: not running as root, samples run as uid {os.geteuid()}")
    v1 = _own_cgroup_v1()
    v2 = None if v1 else _own_cgroup_v2()
    if not v1 and not v2:
        missing.append("cgroups: no writable cgroup; process/memory caps fall back to rlimits, "
                       "cpu_time and peak_memory meters are unavailable")
    blocked = _blocked_files(python) if bwrap else ()
    if not bwrap:
        missing.append("ctypes and the CPython test modules stay importable (they are hidden "
                       "only inside bubblewrap)")
    root = None
    if bwrap:
        try:
            root = str(sandbox_root(python, blocked))
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            missing.append(f"the sandbox sees the host's system directories (no tmpfs copy: "
                           f"{exc}); a sample could pass answers between calls through the "
                           "page cache")
    caps = Capabilities(bwrap=bwrap, drop_uid=drop_uid, cgroup_v1=v1, cgroup_v2=v2,
                        python=python, python_prefix=_python_prefix(python),
                        missing=tuple(missing), blocked=blocked, root=root)
    sweep_stale(caps)
    return caps


@functools.lru_cache(maxsize=4)
def interpreter_identity(python: str) -> str:
    """What instruction counts depend on besides the code: the sandbox interpreter's version
    and a digest of its binary (two builds of one version count differently)."""
    real = os.path.realpath(python)
    digest = hashlib.sha256()
    with open(real, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    version = subprocess.run([real, "-S", "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
    return f"CPython {version or '?'} ({os.path.basename(real)} sha256:{digest.hexdigest()[:12]})"


def _drop_privileges() -> None:
    os.setgroups([])
    os.setgid(SANDBOX_GID)
    os.setuid(SANDBOX_UID)


class RunGroup:
    """One cgroup (per controller on v1) holding every process of one run."""

    def __init__(self, caps: Capabilities, limits: Limits, cpu: int | None = None):
        self.dirs: dict[str, Path] = {}
        name = f"perfjudge-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if caps.cgroup_v1:
            for controller, base in caps.cgroup_v1.items():
                if controller == "cpuset" and cpu is None:
                    continue
                path = Path(base) / name
                path.mkdir()
                self.dirs[controller] = path
            self._write("memory", "memory.limit_in_bytes", limits.memory_bytes)
            try:
                self._write("memory", "memory.memsw.limit_in_bytes", limits.memory_bytes)
            except OSError:
                pass
            self._write("pids", "pids.max", limits.max_processes)
            if "cpuset" in self.dirs:
                parent = Path(caps.cgroup_v1["cpuset"])
                self._write("cpuset", "cpuset.mems", (parent / "cpuset.mems").read_text().strip())
                self._write("cpuset", "cpuset.cpus", cpu)
        elif caps.cgroup_v2:
            path = Path(caps.cgroup_v2) / name
            path.mkdir()
            self.dirs = {c: path for c in ("memory", "pids", "cpuacct", "cpuset")}
            self._write("memory", "memory.max", limits.memory_bytes)
            self._write("memory", "memory.swap.max", 0)
            self._write("pids", "pids.max", limits.max_processes)
            if cpu is not None:
                self._write("cpuset", "cpuset.cpus", cpu)
        self.v2 = bool(caps.cgroup_v2) and not caps.cgroup_v1

    def call_group(self, name: str) -> "RunGroup | None":
        """A child cgroup (v1: memory and cpuacct) for one measured call, so its counters
        start at zero and see nothing another process charged: neither memory charged by an
        earlier call (page cache it read) nor the zygote's CPU moves the call's figures. On
        cgroup v2 the run's own counters are used (processes may not sit beside children)."""
        if self.v2 or not {"memory", "cpuacct"} <= self.dirs.keys():
            return None
        child = object.__new__(RunGroup)
        child.v2 = False
        child.dirs = {}
        try:
            for controller in ("memory", "cpuacct"):
                path = self.dirs[controller] / name
                path.mkdir()
                child.dirs[controller] = path
        except OSError:
            child.close()
            return None
        return child

    def join(self, pid: int) -> None:
        for procs in self.procs_files():
            with open(procs, "w") as handle:
                handle.write(str(pid))

    def _write(self, controller: str, name: str, value: object) -> None:
        (self.dirs[controller] / name).write_text(str(value))

    def _read(self, controller: str, name: str) -> str:
        return (self.dirs[controller] / name).read_text()

    HOT = frozenset({"cpuacct.usage", "cpu.stat", "memory.usage_in_bytes", "memory.current",
                     "memory.max_usage_in_bytes", "memory.peak", "memory.events",
                     "memory.oom_control", "memory.failcnt", "memory.limit_in_bytes",
                     "pids.events"})
    """Counters read around every test, and the limit events read after every job: kept
    open and read with pread (0.6 us against 13 us for an open, read and close; a 1,000-test
    check reads them thousands of times, and a trivial warm check read the events four
    times)."""

    def _read_hot(self, controller: str, name: str) -> str:
        fds = self.__dict__.setdefault("_fds", {})
        fd = fds.get((controller, name))
        if fd is None:
            fd = fds[(controller, name)] = os.open(self.dirs[controller] / name,
                                                   os.O_RDONLY | os.O_CLOEXEC)
        return os.pread(fd, 4096, 0).decode()

    def _close_hot(self) -> None:
        for fd in self.__dict__.pop("_fds", {}).values():
            try:
                os.close(fd)
            except OSError:
                pass

    @property
    def active(self) -> bool:
        return bool(self.dirs)

    def procs_files(self) -> list[str]:
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    def cpu_ns(self) -> int:
        """CPU time of every process in the run, in ns, read from outside the sandbox."""
        if self.v2:
            for line in self._read_hot("cpuacct", "cpu.stat").splitlines():
                key, value = line.split()
                if key == "usage_usec":
                    return int(value) * 1000
        return int(self._read_hot("cpuacct", "cpuacct.usage"))

    def memory_now(self) -> int:
        return int(self._read_hot("memory", "memory.current" if self.v2
                                  else "memory.usage_in_bytes"))

    def reset_peak(self) -> bool:
        if self.v2:
            try:
                self._write("memory", "memory.peak", 0)
                return True
            except OSError:
                return False
        self._write("memory", "memory.max_usage_in_bytes", 0)
        return True

    def memory_peak(self) -> int:
        return int(self._read_hot("memory", "memory.peak" if self.v2
                                  else "memory.max_usage_in_bytes"))

    def oom_killed(self) -> bool:
        if self.v2:
            events = self._read_hot("memory", "memory.events")
            return any(line.split()[0] == "oom_kill" and int(line.split()[1]) > 0
                       for line in events.splitlines())
        for line in self._read_hot("memory", "memory.oom_control").splitlines():
            key, value = line.split()
            if key == "oom_kill" and int(value) > 0:
                return True
        return int(self._read_hot("memory", "memory.failcnt")) > 0 and self.memory_peak() >= int(
            self._read_hot("memory", "memory.limit_in_bytes")) - MiB

    def pids_hit_limit(self) -> bool:
        try:
            events = self._read_hot("pids", "pids.events")
        except OSError:
            return False
        return any(int(line.split()[1]) > 0 for line in events.splitlines() if line.startswith("max"))

    def pids(self, controllers: tuple[str, ...] | None = None) -> list[int]:
        found: set[int] = set()
        dirs = [self.dirs[c] for c in controllers if c in self.dirs] if controllers else []
        files = [str(d / "cgroup.procs") for d in dirs] or self.procs_files()
        # and the per-call child groups (`call_group`), whose processes are ours too
        files += [str(c / "cgroup.procs") for d in (dirs or self.dirs.values())
                  for c in d.glob("call-*") if c.is_dir()]
        for procs in files:
            try:
                found.update(int(p) for p in Path(procs).read_text().split())
            except OSError:
                pass
        return sorted(found)

    def kill_all(self, deadline: float = 5.0) -> None:
        """SIGKILL everything in the group until it is empty (fork bombs race the killer)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.002)

    def close(self) -> None:
        self._close_hot()
        self.kill_all()
        for top in set(self.dirs.values()):
            for child in top.glob("call-*"):
                if child.is_dir():
                    try:
                        child.rmdir()
                    except OSError:
                        pass
        for path in sorted(set(self.dirs.values()), reverse=True):
            for _ in range(200):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def _child_setup(limits: Limits, procs_files: list[str], drop_uid: bool, valgrind: bool,
                 keep_fds: tuple[int, ...]) -> None:
    """Runs in the forked child before exec: join the cgroup, set rlimits, drop root."""
    pid = str(os.getpid())
    for procs in procs_files:
        with open(procs, "w") as handle:
            handle.write(pid)
    cpu = max(1, int(limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    if not valgrind:
        resource.setrlimit(resource.RLIMIT_AS, (limits.address_space_bytes,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.max_open_files,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_STACK, (limits.stack_bytes,) * 2)
    if not procs_files:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes,) * 2)
    else:
        # The cgroup's pids.max is the real cap; this only stops a runaway uid-wide.
        resource.setrlimit(resource.RLIMIT_NPROC, (4096, 4096))
    if drop_uid:
        _drop_privileges()
    for fd in keep_fds:
        os.set_inheritable(fd, True)


@dataclass
class RunDir:
    """A host directory for one run, holding only what the parent itself creates there:
    valgrind's per-call record files (``cg/``). The sandbox sees ``cg`` as ``/cg``, which it
    may traverse but not list or write; only the record files the parent made for a call
    are writable, and the parent reads them without following links."""

    path: Path

    @classmethod
    def create(cls) -> "RunDir":
        path = Path(tempfile.mkdtemp(prefix=f"perfjudge-run-{os.getpid()}-", dir=run_root()))
        path.chmod(0o711)
        (path / "cg").mkdir(mode=0o711)
        (path / "cg").chmod(0o711)
        return cls(path)

    @property
    def records(self) -> Path:
        return self.path / "cg"

    def remove(self) -> None:
        remove_tree(self.path)


def child_environment(limits: Limits, namespaces: bool = True) -> dict[str, str]:
    """What the harness and `sandbox_child.c` read from the environment."""
    return {"PATH": "/usr/bin:/bin", "HOME": "/work", "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "PJ_CHILD_POLICY": "run", "PJ_TMPFS_BYTES": str(limits.scratch_bytes),
            "PJ_TMPFS_INODES": str(limits.scratch_inodes),
            "PJ_CHILD_NAMESPACES": "1" if namespaces else "0"}


def wrap_command(caps: Capabilities, inner: list[str], harness: Path, env: dict[str, str],
                 run_dir: RunDir | None = None, tmp_bytes: int = 64 * MiB) -> list[str]:
    """The bubblewrap command around ``inner``: a read-only system, private /tmp and /work,
    no network, no host environment, its own session, pid 1 of its own pid namespace (so
    signals a child sends it are ignored and it can reap everything a child leaves), dies
    with its parent; ctypes and the CPython test modules hidden."""
    if not caps.bwrap:
        return inner
    args = [caps.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
            "--as-pid-1"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    if caps.root:
        # only what the interpreter and valgrind need, from tmpfs: no site-packages (their
        # extension modules can call any function), no page a sample could cache on purpose
        for entry in sorted(os.listdir(caps.root)):
            path = os.path.join(caps.root, entry)
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), "/" + entry]
            else:
                args += ["--ro-bind", path, "/" + entry]
    else:
        for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        for extra in (caps.python_prefix, os.path.dirname(caps.python)):
            if extra and not extra.startswith(("/usr/", "/bin", "/lib")) and extra != "/usr":
                args += ["--ro-bind", extra, extra]
        for blocked in caps.blocked:
            args += ["--ro-bind", "/dev/null", blocked]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(tmp_bytes), "--tmpfs", "/tmp",
             "--size", str(tmp_bytes), "--tmpfs", "/work",
             "--size", str(tmp_bytes), "--tmpfs", "/dev/shm",
             "--ro-bind", str(harness), "/harness"]
    if run_dir is not None:
        args += ["--bind", str(run_dir.records), "/cg"]
    args += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", "/work", "--"]
    return args + inner


# --------------------------------------------------------------------- the sandbox's files

_LAYOUT_SCRIPT = """
import os, sys
print(os.path.realpath(sys.executable))
print(os.path.dirname(os.__file__))
"""
_SKIPPED_DIRS = frozenset({"site-packages", "dist-packages", "test", "tests", "idlelib",
                           "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data"})


def valgrind_launcher() -> str | None:
    """valgrind's launcher binary: Debian's ``valgrind`` is a shell script that sets two
    variables and execs ``valgrind.bin``; the sandbox has no shell, so it runs the binary."""
    found = shutil.which("valgrind")
    if found and os.path.isfile(found + ".bin"):
        return found + ".bin"
    return found


def _elf_dependencies(paths: list[str]) -> set[str]:
    """The shared libraries (and the loader) ``paths`` load, as ``ldd`` names them."""
    found: set[str] = set()
    for chunk in range(0, len(paths), 64):
        out = subprocess.run(["ldd", *paths[chunk:chunk + 64]], capture_output=True,
                             text=True, timeout=60)
        for line in out.stdout.splitlines():
            parts = line.split()
            for token in parts:
                if token.startswith("/") and "(" not in token and not token.endswith(":"):
                    found.add(token)
    return found


def _root_files(python: str, blocked: tuple[str, ...]) -> dict[str, str]:
    """Sandbox path -> host path of every file the sandboxed programs need: the interpreter,
    its standard library and extension modules (minus ``blocked``), their shared libraries,
    and valgrind's launcher, callgrind and its preload library."""
    out = subprocess.run([python, "-s", "-S", "-P", "-c", _LAYOUT_SCRIPT], capture_output=True,
                         text=True, timeout=60, check=True)
    interpreter, stdlib = out.stdout.split()[:2]
    files: dict[str, str] = {interpreter: interpreter}
    blocked_set = set(blocked)
    for top, dirs, names in os.walk(stdlib):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS]
        for name in names:
            path = os.path.join(top, name)
            if os.path.realpath(path) not in blocked_set and not os.path.islink(path):
                files[path] = path
    elves = [p for p in files if p.endswith(".so") or p == interpreter]
    valgrind = valgrind_launcher()
    if valgrind:
        real = os.path.realpath(valgrind)
        files[valgrind] = real
        libexec = next((d for d in ("/usr/libexec/valgrind", "/usr/lib/valgrind",
                                    "/usr/lib/x86_64-linux-gnu/valgrind")
                        if os.path.isfile(os.path.join(d, "default.supp"))), None)
        if libexec:
            for name in os.listdir(libexec):
                if name.startswith(("callgrind-", "vgpreload_core-")) or name == "default.supp":
                    files[os.path.join(libexec, name)] = os.path.join(libexec, name)
        elves.append(real)
    for dep in _elf_dependencies(elves):
        files[dep] = os.path.realpath(dep)
    # under the host's real directories (/lib -> usr/lib on merged-/usr systems: the copy
    # gets the same top-level links, so every name the loader tries resolves the same way)
    return {os.path.join(os.path.realpath(os.path.dirname(t)), os.path.basename(t)): src
            for t, src in files.items()}


def sandbox_root(python: str, blocked: tuple[str, ...] = ()) -> Path:
    """A read-only copy of the files the sandbox needs, on tmpfs (``/dev/shm``), shared by
    every perfjudge process of this uid and rebuilt when any file changes.

    Two reasons. A sample must not import what the host installed beside the interpreter
    (Debian's dist-packages hold ``_cffi_backend``, which calls any function: a way to reset
    valgrind's counts). And files on disk go through the page cache, which every sandbox on
    the host shares: by reading chosen cold pages one call can leave an answer that a later
    call reads back by timing its reads (500x cheaper under valgrind in the red-team pass).
    tmpfs pages are always resident, so reading them changes and reveals nothing."""
    files = _root_files(python, blocked)
    digest = hashlib.sha256()
    for target, source in sorted(files.items()):
        info = os.stat(source)
        digest.update(f"{target}\0{source}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    base = Path(os.environ.get("PERFJUDGE_ROOT_DIR") or "/dev/shm") / f"perfjudge-{os.geteuid()}"
    base.mkdir(mode=0o755, exist_ok=True)
    if base.stat().st_uid != os.geteuid() or base.stat().st_mode & 0o022:
        raise SandboxUnavailable(f"{base} is not owned by us or is writable by others "
                                 "(set PERFJUDGE_ROOT_DIR to a private directory)")
    root = base / f"root-{digest.hexdigest()[:16]}"
    if (root / ".complete").exists():
        _sweep_roots(base, root)
        return root
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=base))
    try:
        staging.chmod(0o755)
        for target, source in files.items():
            dest = staging / target.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
        for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            host = Path("/") / top
            if host.is_symlink() and not (staging / top).exists():
                (staging / top).symlink_to(os.readlink(host))
        for path in [staging, *staging.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        (staging / ".complete").touch()
        try:
            staging.rename(root)
        except OSError:  # another process got there first
            remove_tree(staging)
    except BaseException:
        remove_tree(staging)
        raise
    _sweep_roots(base, root)
    return root


STALE_ROOT_SECONDS = 86_400


def _sweep_roots(base: Path, root: Path) -> None:
    """Another perfjudge process may still run on a root made for other interpreter files;
    one that no process has started from for a day is stale (each start refreshes its mark)."""
    try:
        os.utime(root / ".complete")
    except OSError:
        pass
    for old in base.glob("root-*"):
        try:
            stale = time.time() - (old / ".complete").stat().st_mtime > STALE_ROOT_SECONDS
        except OSError:
            continue
        if old != root and stale:
            remove_tree(old)


# --------------------------------------------------------------------- harness files

PACKAGE_DIR = Path(__file__).resolve().parent


class SandboxUnavailable(Unavailable):
    """The harness files cannot be installed where the sandbox can read them."""


def _private_dir(name: str) -> Path:
    """A directory readable by the sandbox uid but writable only by us."""
    root = run_root() / f"perfjudge-{os.geteuid()}"
    root.mkdir(mode=0o755, exist_ok=True)
    if root.stat().st_uid != os.geteuid() or root.stat().st_mode & 0o022:
        raise SandboxUnavailable(f"{root} is not owned by us or is writable by others")
    path = root / name
    path.mkdir(mode=0o755, exist_ok=True)
    return path


def _unique_tmp(directory: Path, name: str) -> Path:
    """A temporary name no other process or thread uses, for write-then-rename."""
    return directory / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"


_SOURCES = ("harness.py", "sandbox_child.c")


@functools.lru_cache(maxsize=1)
def harness_dir() -> Path:
    """``harness.py`` and the compiled child library, in a directory named after their
    content (cache keys name it: a changed harness re-measures)."""
    digest = hashlib.sha256(b"".join((PACKAGE_DIR / n).read_bytes() for n in _SOURCES))
    path = _private_dir("harness-" + digest.hexdigest()[:16])
    target = path / "harness.py"
    source = (PACKAGE_DIR / "harness.py").read_bytes()
    if not target.exists() or target.read_bytes() != source:
        tmp = _unique_tmp(path, "harness.py")
        tmp.write_bytes(source)
        tmp.chmod(0o644)
        tmp.replace(target)
    library = path / "libpjsandbox.so"
    if not library.exists():
        compiler = shutil.which("cc") or shutil.which("gcc")
        if not compiler:
            raise SandboxUnavailable("no C compiler to build perfjudge's sandbox library "
                                     "(install Debian's 'gcc' and 'libc6-dev')")
        tmp = _unique_tmp(path, library.name)
        out = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(tmp),
                              str(PACKAGE_DIR / "sandbox_child.c"), "-lpthread", "-ldl"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SandboxUnavailable("could not build perfjudge's sandbox library: "
                                     + out.stderr.strip()[:400])
        tmp.chmod(0o755)
        tmp.replace(library)
    return path
