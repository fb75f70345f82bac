# attacks: returns a subclass of int whose __eq__ lies (it is an int to isinstance checks and
#          to json.dumps, which would serialise it as a plain number).
# expected: wrong_answer


class Liar(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


def f(a, b):
    return Liar(0)
