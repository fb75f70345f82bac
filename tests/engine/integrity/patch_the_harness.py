# class: 1 (inputs visible before the window)
# attacks: replaces what the harness would use next (the input decoder, fork, the result
#          writer, its module's functions) hoping the next measured call runs its code
#          first. Every call is a fresh fork of a zygote that never ran the sample, so the
#          patches die with this process.
# twin: primes
# meters: valgrind cpu_time
# expected: passed
import marshal
import os
import sys

_cache = {}
_main = sys.modules.get("__main__")


def _count(n):
    flags = [True] * n
    count = 0
    for i in range(2, n):
        if flags[i]:
            count += 1
            for j in range(i * i, n, i):
                flags[j] = False
    return count


_real_loads = marshal.loads


def _spy(data, *args):
    value = _real_loads(data, *args)
    if isinstance(value, list) and value and isinstance(value[0], int):
        _cache.setdefault(value[0], _count(value[0]))
    return value


marshal.loads = _spy
if _main is not None:
    for name in dir(_main):
        if name.startswith("_measure") or name in ("main", "_read_job", "_function_call"):
            try:
                setattr(_main, name, lambda *a, **k: None)
            except Exception:
                pass
os.fork = lambda: 0


def f(n):
    return _cache[n] if n in _cache else _count(n)
