# attacks: patches the harness from the inside: json.dumps and the harness module's own
#          encode/dumps (reachable as __main__) to report the right answers whatever f returns,
#          then returns a wrong answer.
# expected: wrong_answer
import json
import sys

_main = sys.modules.get("__main__")
_real_dumps = json.dumps


def _liar(value, *args, **kwargs):
    return _real_dumps(value, *args, **kwargs)


json.dumps = _liar
if _main is not None:
    _main.encode = lambda value, *a, **k: 3
    _main.dumps = lambda value: "3"


def f(a, b):
    return -1
