"""The shape of the generated code (wire.runtime.compiler): a chain of ufunc calls living in
one name nests into one line (``b = np.tanh(b := np.sin(a), b)``), and the ``del`` of dead
arrays waits for the next line that may allocate. Both keep every call, its order and its
buffers, so the results are the evaluator's bit for bit (the corpus in tests/test_jit.py
checks every example graph; these check the cases the rewriting has to get right)."""

import re

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.runtime import compiler
from wire.runtime.compiler import compile_graph


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.dtype, a.shape, a.tobytes()


def _check(f, *args):
    g = wire.trace(f, *args)
    c = compile_graph(g)
    want = wire.evaluate(g, *args)
    got = c(*args)
    for w, h in zip(wire.tree.flatten(want)[0], wire.tree.flatten(got)[0]):
        assert _bits(h) == _bits(w)
    return c


def _body(c):
    return [ln.split("  #")[0].strip() for ln in c.source.splitlines()[2:]]


def test_a_chain_in_one_buffer_nests_into_one_line():
    c = _check(lambda x: wnp.tanh(wnp.sin(x) * 1.5) + 0.5, np.linspace(-2, 2, 7))
    body = _body(c)
    assert body[0] == "b = np.tanh(b := np.multiply(b := np.sin(a), _1_5, b), b)"
    # the comment names the line's nodes in the order they run
    assert "# sin, mul, tanh f64[7]" in c.source.splitlines()[2]
    assert c.source.splitlines()[0] == "# wire.compile: 2 lines for 4 operation nodes"


def test_the_nested_value_read_twice_is_assigned_before_its_other_reads():
    # sin(x) is read twice by the product: the walrus is its first read, the others follow
    c = _check(lambda x: wnp.sin(x) * wnp.sin(x) + x, np.linspace(-3, 3, 5))
    assert any(":=" in ln for ln in _body(c))
    x = np.linspace(-3, 3, 5)
    np.testing.assert_array_equal(c(x), np.sin(x) * np.sin(x) + x)


def test_a_dying_value_not_taking_the_name_nests_and_is_released():
    # the running product of a reverse pass moves into each factor's buffer in turn
    def f(x):
        y = x
        for k in range(6):
            y = wnp.sin(y) * (1.0 + 0.1 * k)
        return wnp.sum(y)

    x = np.linspace(-1, 1, 9)
    c = _check(wire.grad(f), x)
    body = _body(c)
    nested_other = [(ln, m) for ln in body for m in re.findall(r"(\w+) :=", ln)
                    if m != ln.split(" = ")[0]]
    assert nested_other  # e.g. f = np.multiply(f, i := np.multiply(i, c, i), f)
    dels = " ".join(ln for ln in body if ln.startswith("del "))
    for _, name in nested_other:
        assert re.search(rf"\b{name}\b", dels)  # released with the other dead arrays


def test_a_line_nests_at_most_nest_max_nodes():
    def f(x):
        for _ in range(20):
            x = wnp.sin(x)
        return x

    c = _check(f, np.linspace(0, 1, 4))
    for ln in _body(c):
        assert ln.count(":=") <= compiler.NEST_MAX - 1


def test_dels_wait_for_the_next_allocation():
    # a reverse pass of in-place products: the saved activations die one per line, and are
    # released together before the next line that allocates
    def f(x):
        for _ in range(30):
            x = wnp.tanh(wnp.sin(x) * 1.01) + 0.5
        return wnp.sum(x)

    x = np.linspace(-1, 1, 50)
    c = _check(wire.grad(f), x)
    dels = [ln for ln in _body(c) if ln.startswith("del ")]
    assert 1 <= len(dels) <= 3
    assert max(len(ln.split(",")) for ln in dels) > 20
    # nothing is deleted before its last read: the code ran (a NameError otherwise), and
    # every deleted name is read somewhere before its del
    text = "\n".join(_body(c))
    for ln in dels:
        for name in ln[4:].split(", "):
            assert re.search(rf"\b{name}\b", text[: text.index(ln)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nesting_keeps_float32_and_special_values(dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 3.0], dtype=dtype)
    with np.errstate(all="ignore"):
        _check(lambda x: wnp.exp(wnp.log(wnp.abs(x) + 1.0) * 2.0) - x, x)
