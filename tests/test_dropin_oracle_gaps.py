"""Places where wire gave another answer (or none) than NumPy, SciPy or JAX: integer primals
in forward mode, tie order of sorts under ``vmap``/``jit``, floating-point neighbours under
transforms, more pytree containers, complex products at overflow under ``jit``, masked
arrays named by their leaf, ``check_finite`` and stacked matrices in ``wire.scipy.linalg``.
Each case compares with the oracle's own answer (value, dtype, sign of zero, NaN bits) or
with its error."""

import collections

import numpy as np
import pytest

import wire
import wire.numpy as wnp

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf and NaN on purpose


def bits(x):
    """The bytes of ``x`` with its dtype and shape: equal bits, equal sign of zero, same NaN."""
    x = np.asarray(x)
    return x.dtype, x.shape, x.tobytes()


# --------------------------------------------------------------------------- integer primals


@pytest.mark.parametrize("primal", [np.int64(3), np.array([1, 2], np.int8), np.array(True)])
def test_jvp_refuses_a_nonzero_tangent_for_an_integer_primal(primal):
    # JAX: "int/bool primal dtype the tangent dtype must be float0"; a nonzero tangent was
    # dropped without a word (tangent output 0.0)
    f = lambda x: x * 2.0
    t = np.ones(np.shape(primal))
    with pytest.raises(wire.WireTypeError, match=r"tangent \[0\]"):
        wire.jvp(f, (primal,), (t,))
    y, lin = wire.linearize(f, primal)
    with pytest.raises(wire.WireTypeError, match=r"tangent \[0\]"):
        lin(t)
    # a zero tangent is the meaningful one, and is accepted
    out, tan = wire.jvp(f, (primal,), (np.zeros(np.shape(primal)),))
    np.testing.assert_array_equal(out, np.asarray(primal) * 2.0)
    np.testing.assert_array_equal(tan, np.zeros(np.shape(primal)))


def test_jvp_names_the_integer_leaf_in_a_pytree():
    f = lambda d: d["w"] * d["n"]
    primals = ({"w": np.ones(2), "n": np.array([1, 2])},)
    with pytest.raises(wire.WireTypeError, match=r"\[0\]\['n'\]"):
        wire.jvp(f, primals, ({"w": np.ones(2), "n": np.array([0.0, 1.0])},))
    _, tan = wire.jvp(f, primals, ({"w": np.ones(2), "n": np.zeros(2)},))
    np.testing.assert_array_equal(tan, [1.0, 2.0])


def test_jacrev_of_an_integer_valued_function_raises_as_jax_and_jacfwd_gives_int_zeros():
    # JAX: jacrev raises TypeError ("requires real-valued outputs"); jacfwd gives int64 zeros
    g = lambda x: (x * 2).astype(np.int64)
    with pytest.raises(wire.NonDifferentiableError, match="int64"):
        wire.jacrev(g)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError):
        wire.hessian(lambda x: g(x).sum())(np.array([1.0, 2.0]))
    jf = wire.jacfwd(g)(np.array([1.0, 2.0]))
    assert bits(jf) == bits(np.zeros((2, 2), np.int64))
