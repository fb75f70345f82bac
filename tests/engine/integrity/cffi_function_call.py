# class: 2 (the meter controlled from inside), found by the second red-team pass
# attacks: imports Debian's _cffi_backend from /usr/lib/python3/dist-packages (it raises no
#          audit event), points a heap type's tp_dealloc at PyOS_AfterFork_Child and drops an
#          instance: the interpreter calls it, and callgrind's zero-before fired on its entry
#          (2,000 instructions charged against 514 million). The sandbox now holds only the
#          interpreter's own files (no dist-packages), and callgrind dumps instead of zeroing
#          there, so a second call only splits the record.
# twin: primes
# meters: valgrind
# expected: passed
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


class _Z:
    pass


def _reset():
    sys.path.append("/usr/lib/python3/dist-packages")
    import _cffi_backend as b

    lib = b.load_library(None)
    fn = lib.load_function(b.new_function_type((), b.new_void_type()), "PyOS_AfterFork_Child")
    word = b.new_primitive_type("intptr_t")
    slot = b.cast(b.new_pointer_type(word), id(_Z) + 48)  # PyTypeObject.tp_dealloc
    victim = _Z()
    slot[0] = int(b.cast(word, fn))
    del victim


def f(n):
    result = _count(n)
    try:
        _reset()
    except Exception:
        pass
    return result
