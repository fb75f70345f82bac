"""The hardware instruction counter (perf_event_open), opened by the parent on a measured
call's own process: it counts user-space instructions only, and the sample cannot reach it
(no perf syscalls and no PR_TASK_PERF_EVENTS_DISABLE inside the sandbox)."""

from __future__ import annotations

import ctypes
import functools
import os
import platform

_PERF_TYPE_HARDWARE = 0
_PERF_COUNT_HW_INSTRUCTIONS = 1
_SYS_PERF_EVENT_OPEN = {"x86_64": 298, "aarch64": 241}.get(platform.machine())


class _PerfEventAttr(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint32), ("size", ctypes.c_uint32),
                ("config", ctypes.c_uint64), ("sample_period", ctypes.c_uint64),
                ("sample_type", ctypes.c_uint64), ("read_format", ctypes.c_uint64),
                ("flags", ctypes.c_uint64), ("wakeup_events", ctypes.c_uint32),
                ("bp_type", ctypes.c_uint32), ("config1", ctypes.c_uint64),
                ("config2", ctypes.c_uint64)]


def open_instruction_counter(pid: int, inherit: bool = True) -> int:
    """A user-space instruction counter on ``pid`` (and, with inherit, its future children);
    returns an fd whose 8-byte read is the count. Raises OSError where the host has none."""
    if _SYS_PERF_EVENT_OPEN is None:
        raise OSError(95, f"perf_event_open syscall number unknown on {platform.machine()}")
    attr = _PerfEventAttr()
    attr.type = _PERF_TYPE_HARDWARE
    attr.size = ctypes.sizeof(_PerfEventAttr)
    attr.config = _PERF_COUNT_HW_INSTRUCTIONS
    attr.flags = (1 << 5) | (1 << 6) | ((1 << 1) if inherit else 0)  # exclude_kernel, _hv
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.syscall(_SYS_PERF_EVENT_OPEN, ctypes.byref(attr), pid, -1, -1, 0)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return fd


def read_counter(fd: int) -> int:
    return int.from_bytes(os.read(fd, 8), "little")


@functools.lru_cache(maxsize=1)
def perf_counter_available() -> tuple[bool, str]:
    try:
        fd = open_instruction_counter(0, inherit=False)
    except OSError as exc:
        return False, f"no hardware instruction counter on this host (perf_event_open: {exc.strerror})"
    os.close(fd)
    return True, "hardware instruction counter (perf_event_open)"
