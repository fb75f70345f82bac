# attacks: returns a function object (code the parent would have to call or pickle).
# expected: wrong_answer


def f(a, b):
    return lambda: a + b
