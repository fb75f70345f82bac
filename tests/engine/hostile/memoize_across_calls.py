# attacks: the meters call the sample more than once on the same input (warm-up, repeats) in
#          one process; this O(n^2) solution memoizes its answers at module level, so every
#          call after the first is nearly free and it measures like an O(n) one. The verdict is
#          "passed" (it is correct); test_hostile.py documents the measurement hole (xfail).
# expected: passed
_answers = {}


def _slow(a, b):
    total = 0
    for i in range(abs(a)):
        for j in range(abs(b)):
            total += 1
    return a + b + total - abs(a) * abs(b)


def f(a, b):
    key = (a, b)
    if key not in _answers:
        _answers[key] = _slow(a, b)
    return _answers[key]
