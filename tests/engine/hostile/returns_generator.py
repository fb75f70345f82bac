# attacks: returns a generator (not plain data; evaluating it lazily would run sample code in
#          the parent).
# expected: wrong_answer


def f(a, b):
    return (x for x in [a + b])
