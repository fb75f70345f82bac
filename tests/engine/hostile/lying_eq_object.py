# attacks: returns an object whose __eq__ always says yes (and __ne__ always no), so an
#          in-process `output == expected` check passes whatever the expected value is.
# expected: wrong_answer


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


def f(a, b):
    return Anything()
