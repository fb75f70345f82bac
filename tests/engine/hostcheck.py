"""Host-side checks shared by the hostile and cost-integrity suites: no process a run started
may survive it, and no run directory may stay behind. A warm slot (`engine.slots`) is the
judge's own: its bubblewrap and pid 1 and its record directory may stay, nothing else."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from perfjudge.engine import sandbox, slots

SANDBOX_UID = sandbox.SANDBOX_UID


SENTINEL_MARK = "PJ_HOSTCHECK_SENTINEL"
"""In the environment of a test's own host process of the sandbox uid (the hostile suite's
sentinel): not a stray, whichever test looks while another one holds it."""


def _is_sentinel(pid: str) -> bool:
    try:
        return f"{SENTINEL_MARK}=1".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def sandbox_processes() -> list[tuple[int, int, str]]:
    """(pid, uid, perfjudge cgroup owner pid or '') of live processes that run as the sandbox
    uid or sit in a perfjudge run cgroup; a /proc scan, no psutil."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            cgroups = Path(f"/proc/{entry}/cgroup").read_text()
        except OSError:
            continue
        state = re.search(r"^State:\s+(\w)", status, re.M)
        if state and state.group(1) in "ZX":
            continue  # a zombie runs nothing
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        owner = re.search(r"/perfjudge-(\d+)-[0-9a-f]+", cgroups)
        if (uid == SANDBOX_UID or owner) and not _is_sentinel(entry):
            found.append((int(entry), uid, owner.group(1) if owner else ""))
    return found


def kept_slots() -> tuple[set[int], set[Path]]:
    """This process's warm slots: their own processes and run directories."""
    pids: set[int] = set()
    dirs: set[Path] = set()
    for slot in slots.POOL:
        pids |= slot.base_pids
        if slot.run_dir is not None:
            dirs.add(slot.run_dir.path)
    return pids, dirs


def stray_processes(baseline: set, owners: set[int], exclude: tuple[int, ...] = ()) -> list:
    """Processes left by *our* runs: in a cgroup made by one of ``owners`` (this process or
    our pool workers), or of the sandbox uid outside any perfjudge cgroup (an escapee)."""
    owner_ids = {str(o) for o in owners}
    strays = []
    slot_pids, _ = kept_slots()
    for proc in sandbox_processes():
        pid, uid, owner = proc
        if proc in baseline or pid in exclude or pid in slot_pids:
            continue
        if owner and owner not in owner_ids:
            continue  # another session's sandbox
        strays.append(proc)
    return strays


def assert_host_clean(baseline: set, run_tmp: Path, owners: set[int] | None = None,
                      exclude: tuple[int, ...] = ()) -> None:
    owners = owners or {os.getpid()}
    deadline = time.monotonic() + 3
    while True:
        strays = stray_processes(baseline, owners, exclude)
        if not strays or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not strays, f"processes left behind: {strays}"
    _, slot_dirs = kept_slots()
    leftovers = [p for p in run_tmp.glob("perfjudge-run-*") if p not in slot_dirs]
    assert not leftovers, f"run directories left behind: {leftovers}"
