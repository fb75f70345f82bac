# class: 2 (the meter controlled from inside)
# attacks: tries every way to reach valgrind from inside: ctypes (to call a client-request
#          helper or emit CALLGRIND_ZERO_STATS), loading a shared library by hand, an
#          executable anonymous mapping with the magic instruction sequence, valgrind's
#          gdbserver pipes (vgdb). Then does the work, and tries again to zero the counts.
#          ctypes is hidden, and the mmap module is refused once sample code runs: the
#          process ends in its correctness run already.
# twin: primes
# meters: valgrind
# expected: runtime_error
# detail: mmap.__new__
import glob
import mmap
import os

# x86-64 client-request preamble (rol $3,$13,$61,$51 %rdi; xchg %rbx,%rbx) for ZERO_STATS
MAGIC = bytes.fromhex("48c1c70348c1c70d48c1c73d48c1c7334887db")


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


def _try_to_zero():
    tried = []
    try:
        import ctypes  # noqa: F401
        tried.append("ctypes imported")
    except Exception as exc:
        tried.append(f"ctypes: {type(exc).__name__}")
    try:
        import importlib.machinery
        for path in glob.glob("/usr/lib/python3*/lib-dynload/_ctypes*.so"):
            importlib.machinery.ExtensionFileLoader("_ctypes", path).load_module()
            tried.append("loaded " + path)
    except Exception as exc:
        tried.append(f"loader: {type(exc).__name__}")
    try:
        page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(MAGIC)
        tried.append("exec page mapped (nothing can jump to it)")
    except Exception as exc:
        tried.append(f"mmap: {type(exc).__name__}")
    for pipe in glob.glob("/tmp/vgdb-pipe*"):
        try:
            with open(pipe, "wb", buffering=0) as handle:
                handle.write(b"$qRcmd,7a65726f#00")  # "monitor zero"
            tried.append("wrote " + pipe)
        except OSError as exc:
            tried.append(f"vgdb: {exc}")
    return tried


_try_to_zero()


def f(n):
    result = _count(n)
    _try_to_zero()
    return result
