"""Keyword arguments of ``wire.numpy`` are honoured or refused, never ignored.

``out=``: every function that takes it writes into it on concrete input exactly as NumPy
does, and refuses it (``WireError``) on traced input, rather than ignoring it and leaving the
user's buffer unwritten. ``einsum``'s ``dtype``/``casting`` follow NumPy's casting rule."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

X = np.array([[3.0, 1.0, 4.0, 1.0], [5.0, 9.0, 2.0, 6.0]])
CASES = {  # name: (positional args after the array, out's shape)
    "quantile": (lambda f, x, **kw: f(x, 0.3, axis=1, **kw), (2,)),
    "percentile": (lambda f, x, **kw: f(x, 30.0, axis=1, **kw), (2,)),
    "median": (lambda f, x, **kw: f(x, axis=1, **kw), (2,)),
    "nanquantile": (lambda f, x, **kw: f(x, 0.3, axis=1, **kw), (2,)),
    "nanpercentile": (lambda f, x, **kw: f(x, 30.0, axis=1, **kw), (2,)),
    "compress": (lambda f, x, **kw: f([True, False, True, True], x, axis=1, **kw), (2, 3)),
    "choose": (lambda f, x, **kw: f(np.array([0, 1, 1, 0]), x, **kw), (4,)),
    "einsum": (lambda f, x, **kw: f("ij->j", x, **kw), (4,)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_concrete_input_writes_out_as_numpy_does(name):
    call, shape = CASES[name]
    ours, theirs = np.zeros(shape), np.zeros(shape)
    got = call(getattr(wnp, name), X, out=ours)
    ref = call(getattr(np, name), X, out=theirs)
    assert (got is ours) == (ref is theirs)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("name", sorted(CASES))
def test_traced_input_refuses_out(name):
    call, shape = CASES[name]
    with pytest.raises(wire.WireError, match="out="):
        wire.jit(lambda x: call(getattr(wnp, name), x, out=np.zeros(shape)))(X)


@pytest.mark.parametrize("kwargs", [
    {"dtype": np.float32},                       # float64 -> float32 is not a 'safe' cast
    {"dtype": np.int64, "casting": "same_kind"},
    {"bogus": 1},
], ids=str)
def test_einsum_refuses_what_numpy_refuses(kwargs):
    x = np.arange(4.0)
    with pytest.raises(TypeError):
        np.einsum("i->", x, **kwargs)
    with pytest.raises(wire.WireTypeError):
        wire.jit(lambda x: wnp.einsum("i->", x, **kwargs))(x)


@pytest.mark.parametrize("kwargs", [
    {"dtype": np.float32, "casting": "same_kind"}, {"dtype": np.complex128}, {"casting": "no"},
    {"order": "F"},
], ids=str)
def test_einsum_keywords_numpy_accepts(kwargs):
    x = np.arange(4.0)
    ref = np.einsum("i->", x, **kwargs)
    got = wire.jit(lambda x: wnp.einsum("i->", x, **kwargs))(x)
    assert got.dtype == ref.dtype and got == ref
