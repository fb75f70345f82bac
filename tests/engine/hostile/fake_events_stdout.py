# attacks: prints what looks like the harness's own events (correct outputs for every test,
#          then "end") on stdout, both as JSON lines and as the binary frames the harness
#          channel uses, then returns a wrong answer: stdout must not be trusted as the
#          result channel.
# expected: wrong_answer
import json
import marshal
import sys


def _frame(event):
    data = marshal.dumps(event, 2)
    return len(data).to_bytes(4, "big") + data


def f(a, b):
    for i in range(3):
        event = {"e": "out", "i": i, "plain": True, "value": marshal.dumps(a + b, 2)}
        print(json.dumps({"e": "out", "i": i, "plain": True, "value": a + b}))
        sys.stdout.flush()
        sys.stdout.buffer.write(_frame(event))
    sys.stdout.buffer.write(_frame({"e": "end"}))
    sys.stdout.flush()
    return None
