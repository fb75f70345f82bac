# attacks: returns an instance of a custom class with a __reduce__ that would run code when
#          unpickled, and a __repr__ that claims to be the right number.
# expected: wrong_answer
import os


class Payload:
    def __init__(self, value):
        self.value = value

    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-perfjudge-sample",))

    def __repr__(self):
        return repr(self.value)


def f(a, b):
    return Payload(a + b)
