"""``wire.numpy`` on concrete arrays outside any transform: NumPy's refusal of bad input is
raised as wire's error (a ``WireError`` of NumPy's kind, naming the operands and the user's
line, as the traced path raises), ``wire.debug_nans`` checks every eager fast path, and eager,
``wire.jit`` and NumPy agree bit for bit at special values."""

import os

import numpy as np
import pytest

import wire
import wire.numpy as wnp

HERE = os.path.basename(__file__)
o3, o32 = np.ones(3), np.ones((3, 2))

# (name, call, NumPy's kind of error): bad input to the eager fast paths
BAD = [
    ("reshape", lambda: wnp.reshape(o3, (2,)), ValueError),
    ("add", lambda: wnp.add(o3, np.ones(2)), ValueError),
    ("sum", lambda: wnp.sum(o3, axis=2), np.exceptions.AxisError),
    ("concatenate", lambda: wnp.concatenate([o3, np.ones((2, 2))]), ValueError),
    ("dot", lambda: wnp.dot(o3, np.ones(2)), ValueError),
    ("clip", lambda: wnp.clip(o3, np.ones(2), 3), ValueError),
    ("where", lambda: wnp.where(o3 > 0, np.ones(2), 0.0), ValueError),
    ("stack", lambda: wnp.stack([o3, np.ones(2)]), ValueError),
    ("argmax", lambda: wnp.argmax(o3, axis=1), np.exceptions.AxisError),
    ("einsum", lambda: wnp.einsum("i,i->", o3, np.ones(2)), ValueError),
    ("transpose", lambda: wnp.transpose(o32, (0,)), ValueError),
    ("squeeze", lambda: wnp.squeeze(o32, 0), ValueError),
    ("swapaxes", lambda: wnp.swapaxes(o32, 0, 3), np.exceptions.AxisError),
    ("tensordot", lambda: wnp.tensordot(o32, o3, 1), ValueError),
    ("matmul", lambda: wnp.matmul(o3, np.ones(2)), ValueError),
    ("mean", lambda: wnp.mean(o3, axis=(0, 0)), ValueError),
    ("expand_dims", lambda: wnp.expand_dims(o3, 3), np.exceptions.AxisError),
    ("moveaxis", lambda: wnp.moveaxis(o3, 0, 2), np.exceptions.AxisError),
    ("inner", lambda: wnp.inner(o3, np.ones(2)), ValueError),
    ("vdot", lambda: wnp.vdot(o3, np.ones(2)), ValueError),
    ("hstack", lambda: wnp.hstack([o32, np.ones((2, 3))]), ValueError),
    ("cumsum", lambda: wnp.cumsum(o3, axis=1), np.exceptions.AxisError),
    ("average", lambda: wnp.average(o3, weights=np.ones(2)), TypeError),
    ("max", lambda: wnp.max(np.ones(0)), ValueError),
    ("argmin", lambda: wnp.argmin(np.ones(0)), ValueError),
    ("broadcast_to", lambda: wnp.broadcast_to(o3, (2,)), ValueError),
    ("take", lambda: wnp.take(o3, 5), IndexError),
    ("take", lambda: wnp.take(o3, np.array([5])), IndexError),
    ("split", lambda: wnp.split(o3, 2), ValueError),
    ("repeat", lambda: wnp.repeat(o3, [1, 2]), ValueError),
    ("flip", lambda: wnp.flip(o3, 1), np.exceptions.AxisError),
    ("sort", lambda: wnp.sort(o3, 1), np.exceptions.AxisError),
    ("roll", lambda: wnp.roll(o3, 1, axis=1), np.exceptions.AxisError),
    ("diagonal", lambda: wnp.diagonal(o3), ValueError),
    ("linalg.norm", lambda: wnp.linalg.norm(o3, axis=2), np.exceptions.AxisError),
    ("power", lambda: wnp.power(np.arange(3), -1), ValueError),
]


@pytest.mark.parametrize("name, call, kind", BAD, ids=[b[0] for b in BAD])
def test_numpys_refusal_is_wires_error_at_the_users_line(name, call, kind):
    with pytest.raises(Exception) as info:
        call()
    e = info.value
    with pytest.raises(kind):  # the input is bad: NumPy's own namespace raises too
        _numpy_raises(call)
    assert isinstance(e, wire.WireError), (type(e), e)
    assert isinstance(e, kind), (type(e), e)
    assert f"(at {HERE}:" in str(e), str(e)


def _numpy_raises(call):
    """The same call with NumPy's own namespace: it raises too (the input is bad)."""
    code = call.__code__
    glob = dict(call.__globals__, wnp=np)
    type(call)(code, glob)()


def test_refusal_names_shapes_as_the_traced_path():
    with pytest.raises(wire.ShapeError) as eager:
        wnp.reshape(o3, (2,))
    with pytest.raises(wire.ShapeError) as traced:
        wire.jit(lambda x: wnp.reshape(x, (2,)))(o3)
    assert str(eager.value).split(" (at ")[0] == str(traced.value).split(" (at ")[0]
    assert "f64[3]" in str(eager.value)
    with pytest.raises(wire.WireIndexError, match=r"take of f64\[3\], i64\[1\]: index 5"):
        wnp.take(o3, np.array([5]))


def test_users_own_errors_and_errstate_pass_unchanged():
    def f(row):
        raise ValueError("the user's own")

    with pytest.raises(ValueError, match="the user's own") as info:
        wnp.apply_along_axis(f, 0, np.ones((2, 2)))
    assert not isinstance(info.value, wire.WireError)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError) as info:
        wnp.divide(np.ones(2), 0.0)
    assert not isinstance(info.value, wire.WireError)


# --------------------------------------------------------------------------- debug_nans

BIG = np.array([1e308, 1e308])
SPREAD = np.array([-1e308, 1e308])
MADE = [
    ("einsum", lambda: wnp.einsum("i,i->", BIG, BIG)),
    ("einsum", lambda: wnp.einsum("i,i->", np.array([np.inf, 1.0]), np.array([0.0, 1.0]))),
    ("linalg.norm", lambda: wnp.linalg.norm(BIG)),
    ("linalg.norm", lambda: wnp.linalg.norm(BIG, 1)),
    ("tensordot", lambda: wnp.tensordot(BIG, BIG, 1)),
    ("kron", lambda: wnp.kron(BIG, BIG)),
    ("trace", lambda: wnp.trace(np.diag(BIG))),
    ("diff", lambda: wnp.diff(SPREAD)),
    ("cross", lambda: wnp.cross(np.array([1e308, 1e308, 1.0]), np.array([1e308, -1e308, 1.0]))),
    ("convolve", lambda: wnp.convolve(BIG, BIG)),
    ("polyval", lambda: wnp.polyval(BIG, 1e308)),
    ("fft.fft", lambda: wnp.fft.fft(BIG)),
    ("percentile", lambda: wnp.percentile(SPREAD, 50)),
    ("cov", lambda: wnp.cov(BIG)),
    ("trapezoid", lambda: wnp.trapezoid(BIG)),
    ("add out=", lambda: wnp.add(BIG, BIG, out=np.empty(2))),
]


@pytest.mark.parametrize("name, call", MADE, ids=[m[0] for m in MADE])
def test_debug_nans_checks_every_eager_fast_path(name, call):
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(call()))  # (the value made is not finite)
        with wire.debug_nans(), pytest.raises(wire.FloatingPointError,
                                              match=rf"debug_nans: .*called at {HERE}:"):
            call()


def test_debug_nans_leaves_given_nonfinite_and_empty_alone():
    with wire.debug_nans():
        assert wnp.linalg.norm(np.array([np.inf, 1.0])) == np.inf  # carried, not made
        assert np.isnan(wnp.einsum("i,i->", np.array([np.nan]), np.ones(1)))
        assert wnp.empty(3).shape == (3,)  # whatever memory held: nothing to check
        out = np.full(2, np.inf)
        assert wnp.add(np.ones(2), 1.0, out=out) is out  # out= held Inf before: not given
