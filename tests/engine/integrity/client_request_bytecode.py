# class: 2 (the meter controlled from inside), found by the red-team pass
# attacks: a valgrind client request from pure Python, with ctypes hidden: crafted bytecode
#          (code.replace with a LOAD_CONST index past co_consts) loads fake objects built in
#          a bytes buffer, reads the address of an executable anonymous mmap holding the
#          CALLGRIND_ZERO_STATS sequence, and calls it through a fake type's tp_call. Under
#          valgrind only, after doing the work: it was charged 2,000 instructions against
#          514 million. Building code objects, unmarshalling and mmap are refused once sample
#          code runs, and the process is ended.
# twin: primes
# meters: valgrind
# expected: tampering
# detail: code.__new__|mmap.__new__
import os


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


def _load_address(address):
    """The object whose PyObject* is stored at ``address`` (LOAD_CONST past co_consts)."""
    import dis

    op = dis.opmap
    code = (lambda: None).__code__.replace(co_consts=(None,))
    index = ((address - (id(code.co_consts) + 24)) // 8) & 0xFFFFFFFF
    body = bytes([op["RESUME"], 0, op["EXTENDED_ARG"], (index >> 24) & 255,
                  op["EXTENDED_ARG"], (index >> 16) & 255, op["EXTENDED_ARG"], (index >> 8) & 255,
                  op["LOAD_CONST"], index & 255, op["RETURN_VALUE"], 0])
    return type(lambda: None)(code.replace(co_code=body), {})()


def _zero_stats():
    import mmap
    import struct

    page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(struct.pack("<I", 0x43540001))  # the request; the rest is the same recipe
    holder = struct.pack("<QQ", 1 << 40, id(bytearray))
    return _load_address(id(struct.pack("<Q", id(holder) + 32)) + 32)


def f(n):
    result = _count(n)
    if _under_valgrind():
        try:
            _zero_stats()
        except Exception:
            pass
    return result
