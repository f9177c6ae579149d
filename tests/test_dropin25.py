"""Drop-in gaps closed: weak types through ``wire.numpy`` functions (a function's result is
strongly typed, as NumPy's; Python's operators on Python-scalar values stay weak), on every
path (eager, ``jit``, ``vmap``, ``grad``) — each against NumPy on the same Python scalars."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

# ---------------------------------------------------------------- 1. weak types

SCALARS = [3, 1.5, 1.5 + 0.5j, True]
ARRAYS = [np.ones(3, np.float16), np.ones(3, np.float32), np.ones(3, np.int8)]

WEAK_CASES = {  # name: f(m, s, x) with m numpy or wire.numpy, s a Python scalar
    "sin(s) + x": lambda m, s, x: m.sin(s) + x,
    "abs(s) + x": lambda m, s, x: m.abs(s) + x,
    "add(s, 1) + x": lambda m, s, x: m.add(s, 1) + x,
    "square(s) + x": lambda m, s, x: m.square(s) + x,
    "sum(s) + x": lambda m, s, x: m.sum(s) + x,
    "maximum(s, 0) + x": lambda m, s, x: m.maximum(s, 0) + x,
    "real(s) + x": lambda m, s, x: m.real(s) + x,
    "imag(s) + x": lambda m, s, x: m.imag(s) + x,
    "s * 2 + x": lambda m, s, x: s * 2 + x,
    "s ** 2 + x": lambda m, s, x: s**2 + x,
    "s / 2 + x": lambda m, s, x: s / 2 + x,
    "(s > 0) + x": lambda m, s, x: (s > 0) + x if not isinstance(s, complex) else x,
}


def _dtype_or_error(f):
    try:
        return np.asarray(f()).dtype
    except (TypeError, ValueError, OverflowError) as e:
        return type(e).__mro__[-2 if isinstance(e, wire.WireError) else 0]


@pytest.mark.parametrize("name", list(WEAK_CASES))
def test_weak_scalars_give_numpys_dtype_on_every_path(name):
    """``wire.jit(lambda s, x: wnp.sin(s) + x)(1.0, float32_array)`` was float32 (the sine of
    a weak argument stayed weak), ``s * 2 + x`` float64 (the 2 became a strong array): NumPy's
    are float64 (``np.sin(1.0)`` is a strong ``np.float64``) and float32 (``1.0 * 2`` is a
    Python float). Eager, jit, vmap and jit of vmap agree with NumPy."""
    case = WEAK_CASES[name]
    f = lambda s, x: case(wnp, s, x)  # noqa: E731
    bad = []
    for s in SCALARS:
        for x in ARRAYS:
            want = _dtype_or_error(lambda: case(np, s, x))
            if not isinstance(want, np.dtype):
                continue  # (NumPy refuses it: not a weak-type question)
            xs = np.stack([x, x])
            got = {
                "eager": _dtype_or_error(lambda: f(s, x)),
                "jit": _dtype_or_error(lambda: wire.jit(f)(s, x)),
                "vmap": _dtype_or_error(lambda: wire.vmap(f, in_axes=(None, 0))(s, xs)[0]),
                "jit(vmap)": _dtype_or_error(
                    lambda: wire.jit(wire.vmap(f, in_axes=(None, 0)))(s, xs)[0]),
            }
            bad += [(name, s, x.dtype, path, g, want) for path, g in got.items() if g != want]
    assert not bad, bad[:5]


def test_weak_scalar_values_under_jit_are_numpys():
    """The values too: ``sin(1.0)`` in float64 then added (not sin in float32)."""
    x = np.array([0.1, 2.0, -3.0], np.float32)
    f = lambda s, x: wnp.sin(s) + x  # noqa: E731
    want = np.sin(1.0) + x
    for got in (f(1.0, x), wire.jit(f)(1.0, x)):
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_weak_scalars_through_grad():
    """``value_and_grad`` under jit and eagerly: NumPy's value dtype, the argument's gradient
    dtype."""
    x = np.ones(3, np.float32)
    f = lambda x, s: wnp.sum(wnp.sin(s) * x)  # noqa: E731
    for s in (1.0, 2):
        want = np.sum(np.sin(s) * x)
        for vg in (wire.value_and_grad(f), wire.jit(wire.value_and_grad(f))):
            v, g = vg(x, s)
            assert np.asarray(v).dtype == want.dtype and g.dtype == np.float32
            assert np.asarray(v) == want and np.array_equal(g, np.full(3, np.sin(s), np.float32))


def test_python_operators_on_weak_values_stay_weak():
    """``s * 2`` on a Python-float argument is a Python float, so float16 data stays float16;
    a function of it (``wnp.multiply``) is a NumPy float64."""
    x = np.ones(2, np.float16)
    assert wire.jit(lambda s, x: s * 2 + x)(1.5, x).dtype == np.float16
    assert wire.jit(lambda s, x: (-s) ** 2 / 3 + x)(1.5, x).dtype == np.float16
    assert wire.jit(lambda s, x: wnp.multiply(s, 2) + x)(1.5, x).dtype == np.float64
    assert wire.jit(lambda s, x: wnp.abs(s) + x)(2, np.ones(2, np.int8)).dtype == np.int64


# ---------------------------------------------------------------- 4. jax.ops segments

SEG_DATA = np.array([1.0, 3.0, 3.0, -2.0, 5.0, 5.0, 5.0, 0.5])
SEG_IDS = np.array([0, 0, 0, 1, 3, 3, 3, 7])


@pytest.fixture
def jax():
    """JAX with 64-bit types (the oracle)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.mark.parametrize("name", ["segment_sum", "segment_max", "segment_min", "segment_prod"])
def test_segment_ops_are_jaxs(jax, name):
    """Values (ties, empty segments, ids out of range dropped, rows of a 2-D ``data``, int
    data) eagerly, under jit and vmap; gradients (ties split as JAX's) eagerly and under
    jit."""
    rng = np.random.default_rng(0)
    data2 = rng.normal(size=(8, 3))
    data2[1] = data2[0]
    jf, wf = getattr(jax.ops, name), getattr(wire.lax, name)
    for d in (SEG_DATA, data2, SEG_DATA.astype(np.float32), np.array([1, 5, 5, 2, 3, 3, 3, 4])):
        for n in (4, 8, None):
            want = np.asarray(jf(d, SEG_IDS, n))
            got = [wf(d, SEG_IDS, n)]
            if n is not None:
                got.append(wire.jit(lambda d, i: wf(d, i, n))(d, SEG_IDS))
                got.append(wire.vmap(lambda d: wf(d, SEG_IDS, n))(np.stack([d, d]))[1])
            for g in got:
                assert g.dtype == want.dtype and np.array_equal(g, want), (d.dtype, n, g, want)
            if d.dtype.kind != "f" or name == "segment_prod":
                continue
            w = rng.normal(size=want.shape)
            w[~np.isfinite(want)] = 0.0
            jnp = jax.numpy
            gj = jax.grad(lambda d: jnp.sum(jnp.where(jnp.isfinite(jf(d, SEG_IDS, n)),
                                                      jf(d, SEG_IDS, n), 0) * w))(d)
            loss = lambda d: wnp.sum(wnp.where(wnp.isfinite(wf(d, SEG_IDS, n)),  # noqa: E731
                                               wf(d, SEG_IDS, n), 0) * w)
            np.testing.assert_allclose(wire.grad(loss)(d), np.asarray(gj), rtol=1e-6)
            if n is not None:
                np.testing.assert_allclose(wire.jit(wire.grad(loss))(d), np.asarray(gj),
                                           rtol=1e-6)
    ids = np.array([-1, 0, 1, 2, 3, 4, 9, 1])
    np.testing.assert_array_equal(wf(SEG_DATA, ids, 3), np.asarray(jf(SEG_DATA, ids, 3)))


def test_segment_prod_gradient_with_repeats_and_zeros():
    """Exact (JAX refuses it without unique_indices): d/dd of prod over each segment."""
    d, ids = np.array([2.0, 0.0, 3.0, 4.0]), np.array([0, 0, 1, 1])
    g = wire.grad(lambda d: wnp.sum(wire.lax.segment_prod(d, ids, 2)))(d)
    np.testing.assert_array_equal(g, [0.0, 2.0, 4.0, 3.0])


def test_segment_num_segments_must_be_static_under_jit():
    with pytest.raises(wire.WireTypeError, match="num_segments"):
        wire.jit(lambda d, n: wire.lax.segment_sum(d, SEG_IDS, n))(SEG_DATA, 4)
    with pytest.raises(wire.WireTypeError, match="num_segments"):
        wire.jit(lambda d, i: wire.lax.segment_sum(d, i))(SEG_DATA, SEG_IDS)


# ---------------------------------------------------------------- 4. checkpoint_name

def _named_block(x, w):
    h = wire.checkpoint_name(wnp.tanh(x @ w), "h")
    a = wire.checkpoint_name(wnp.sin(h) @ w, "a")
    return wnp.sin(a)


def test_checkpoint_name_policies_save_the_named_values():
    """The backward pass reads the named values; a policy naming them keeps them (JAX's
    save_only_these_names / save_any_names_but_these), a policy naming none keeps nothing."""
    import sys

    ckpt = sys.modules["wire.api.checkpoint"]
    P = wire.checkpoint_policies
    x, w = np.ones((2, 3)) * 0.3, np.eye(3) * 0.7
    g = wire.trace(_named_block, x, w)
    names = lambda policy: {ckpt.name_of(n) for n in ckpt.saved_nodes(g, policy)}  # noqa: E731
    assert names(P.save_only_these_names("h")) == {"h", None}  # (None: tanh, h's own value)
    assert names(P.save_only_these_names("a", "h")) == {"a", "h", None}
    assert names(P.save_any_names_but_these("h")) == {"a"}
    assert names(P.save_only_these_names()) == set()
    assert names(P.dots_saveable) == {None}


def test_checkpoint_name_keeps_values_and_gradients():
    P = wire.checkpoint_policies
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3)), rng.normal(size=(3, 3))
    loss = lambda w, x: wnp.sum(_named_block(x, w) ** 2)  # noqa: E731
    want = wire.grad(loss)(w, x)
    for policy in (P.save_only_these_names("h"), P.save_any_names_but_these("h")):
        lc = lambda w, x: wnp.sum(wire.checkpoint(_named_block, policy=policy)(x, w) ** 2)  # noqa: E731
        np.testing.assert_allclose(wire.grad(lc)(w, x), want)
        np.testing.assert_allclose(wire.jit(wire.grad(lc))(w, x), want)
        np.testing.assert_allclose(wire.vmap(wire.grad(lc), in_axes=(None, 0))(
            w, np.stack([x, x]))[1], want)
    assert wire.checkpoint_name(x, "q") is x
