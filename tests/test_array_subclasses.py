"""NumPy's ndarray subclasses whose operators mean something else: a masked array's
operations skip its masked entries and ``np.matrix``'s ``*`` is a matrix product. A trace sees
only their data, so wire refuses them (``WireTypeError`` saying what to pass instead) rather
than silently computing as if the mask or the matrix semantics were not there. Subclasses
with plain-array semantics (``np.memmap``) work as arrays."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

MASKED = np.ma.array([1.0, 2.0, 3.0], mask=[0, 1, 0])
MATRIX = np.matrix([[1.0, 2.0], [3.0, 4.0]])

TRANSFORMS = {
    "jit": lambda f, x: wire.jit(f)(x),
    "grad": lambda f, x: wire.grad(lambda x: wnp.sum(f(x)))(x),
    "vmap": lambda f, x: wire.vmap(f)(x),
    "trace": lambda f, x: wire.trace(f, x),
    "jvp": lambda f, x: wire.jvp(f, (x,), (np.ones_like(np.asarray(x)),)),
}


@pytest.mark.parametrize("how", sorted(TRANSFORMS))
@pytest.mark.parametrize("value,match", [(MASKED, "masked array"), (MATRIX, "np.matrix")],
                         ids=["masked", "matrix"])
def test_as_an_argument(how, value, match):
    with pytest.raises(wire.WireTypeError, match=match):
        TRANSFORMS[how](lambda x: x * x, value)


USES = {
    "mul": lambda x, c: x * c, "rmul": lambda x, c: c * x,
    "multiply": lambda x, c: wnp.multiply(c, x),
    "dot": lambda x, c: wnp.dot(c.ravel()[:3], x[:3].ravel()) * x,
    "where": lambda x, c: wnp.where(x > 0, x, c),
}


@pytest.mark.parametrize("how", ["jit", "grad"])
@pytest.mark.parametrize("use", sorted(USES))
@pytest.mark.parametrize("value,match", [(MASKED, "masked array"), (MATRIX, "np.matrix")],
                         ids=["masked", "matrix"])
def test_as_a_constant_a_traced_function_closes_over(how, use, value, match):
    x = np.ones(np.shape(value))
    if use == "rmul" and value is MASKED:
        # masked * tracer runs the masked array's own operator, which converts the tracer
        match = r"np\.asarray\(\)/np\.array\(\) of a"
    with pytest.raises(wire.WireTypeError, match=match):
        TRANSFORMS[how](lambda x: USES[use](x, value), x)


def test_eager_wire_numpy_refuses_what_it_would_compute_without_the_mask():
    assert np.sum(np.multiply(MASKED, np.ones(3))) == 4.0  # NumPy skips the masked entry
    with pytest.raises(wire.WireTypeError, match="masked array"):
        wnp.multiply(MASKED, np.ones(3))
    with pytest.raises(wire.WireTypeError, match="masked array"):
        wnp.exp(MASKED)
    assert wnp.sum(MASKED) == np.sum(MASKED) == 4.0  # (NumPy's own function runs here)
    np.testing.assert_array_equal(wire.jit(lambda x: x * 2.0)(MASKED.filled(0.0)), [2, 0, 6])


def test_memmap_is_an_array(tmp_path):
    m = np.memmap(tmp_path / "a.dat", dtype=np.float64, mode="w+", shape=(3,))
    m[:] = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(wire.jit(lambda x: x * m)(np.ones(3)), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(wire.grad(lambda x: wnp.sum(x * x))(m), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(wnp.exp(m), np.exp(np.asarray(m)))
