# attacks: returns a subclass of list whose __eq__ lies, wrapping the answer in a one-element
#          list-like object that claims to equal anything.
# expected: wrong_answer


class Liar(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def f(a, b):
    return Liar([0])
