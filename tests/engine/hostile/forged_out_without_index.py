# attacks: at import, before any call has started, writes one forged output event with no
#          test index ({"e": "out"} and a value) to every pipe it inherited. The parent used
#          to index the event by its missing "i" and crash the check (a sandbox_error, never
#          stored: the sample escaped a verdict).
# expected: runtime_error
import marshal
import os

_data = marshal.dumps({"e": "out", "plain": True, "value": marshal.dumps(3, 2)}, 2)
for _name in os.listdir("/proc/self/fd"):
    if int(_name) > 2:
        try:
            os.write(int(_name), len(_data).to_bytes(4, "big") + _data)
        except OSError:
            pass


def f(a, b):
    return a + b
