# class: judge, found by the red-team pass
# attacks: replaces the harness's output encoder so that its answer reaches the parent as a
#          set of 60,000 ints that all hash to 0 (k * (2**61 - 1)): building it cost the parent
#          66 s of CPU, the sample nothing. Sets and dicts with that many equal hashes are
#          refused as built to be slow.
# twin: primes
# meters:
# expected: wrong_answer
# detail: built to be slow
import marshal
import sys

_evil = bytearray(marshal.dumps([k * (2 ** 61 - 1) for k in range(60_000)], 2))
_evil[0] = ord("<")
_main = sys.modules.get("__main__")
if _main is not None:
    _main.encode_output = lambda value: bytes(_evil)


def f(n):
    return 0
