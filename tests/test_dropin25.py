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
    "(s > 0) + x": lambda m, s, x: (s > 0) + x,
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


_UFUNC_AT = {"segment_sum": (np.add, 0), "segment_prod": (np.multiply, 1),
             "segment_max": (np.maximum, -np.inf), "segment_min": (np.minimum, np.inf)}


def _segment_oracle(name, d, ids, n):
    """NumPy's ufunc.at on an identity-filled result, ids out of range left out."""
    ufunc, identity = _UFUNC_AT[name]
    if d.dtype.kind in "iu" and not np.isfinite(identity):
        identity = (np.iinfo(d.dtype).min if identity < 0 else np.iinfo(d.dtype).max)
    out = np.full((n,) + d.shape[1:], identity, d.dtype)
    keep = (ids >= 0) & (ids < n)
    ufunc.at(out, ids[keep], d[keep])
    return out


@pytest.mark.parametrize("name", list(_UFUNC_AT))
def test_segment_ops_values_and_gradients(name):
    """Values eagerly, under jit and vmap (ties, empty segments, ids out of range dropped,
    2-D and int data) against NumPy's ufunc.at; gradients: segment_sum's gathers the
    cotangent, segment_max/min's split it evenly among tied extremes (JAX's rule)."""
    rng = np.random.default_rng(0)
    data2 = rng.normal(size=(8, 3))
    data2[1] = data2[0]
    wf = getattr(wire.lax, name)
    ids = np.array([0, 0, 0, 1, 3, 3, 3, 9])
    for d in (SEG_DATA, data2, SEG_DATA.astype(np.float32), np.array([1, 5, 5, 2, 3, 3, 3, 4])):
        want = _segment_oracle(name, d, ids, 4)
        for g in (wf(d, ids, 4), wire.jit(lambda d, i: wf(d, i, 4))(d, ids),
                  wire.vmap(lambda d: wf(d, ids, 4))(np.stack([d, d]))[1]):
            assert g.dtype == want.dtype and np.array_equal(g, want), (d.dtype, g, want)
    assert wf(SEG_DATA, SEG_IDS).shape == (8,)  # (num_segments None: max id + 1)
    if name == "segment_prod":
        return
    ct = rng.normal(size=(4, 3))
    ct[~np.isfinite(_segment_oracle(name, data2, ids, 4))] = 0.0
    out = _segment_oracle(name, data2, ids, 4)
    if name == "segment_sum":
        want = np.where((ids < 4)[:, None], ct[np.minimum(ids, 3)], 0.0)
    else:
        hit = (ids < 4)[:, None] & (data2 == out[np.minimum(ids, 3)])
        ties = np.zeros((4, 3))
        np.add.at(ties, ids[ids < 4], hit[ids < 4])
        want = np.where(hit, ct[np.minimum(ids, 3)] / np.maximum(ties[np.minimum(ids, 3)], 1), 0)

    def loss(d):
        y = wf(d, ids, 4)
        return wnp.sum(wnp.where(wnp.isfinite(y), y, 0) * ct)

    np.testing.assert_allclose(wire.grad(loss)(data2), want, rtol=1e-12)
    np.testing.assert_allclose(wire.jit(wire.grad(loss))(data2), want, rtol=1e-12)


@pytest.mark.slow
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
        for n in (4, None):
            want = np.asarray(jf(d, SEG_IDS, n))
            got = [wf(d, SEG_IDS, n)]
            if n is not None:
                got.append(wire.jit(lambda d, i: wf(d, i, n))(d, SEG_IDS))
                got.append(wire.vmap(lambda d: wf(d, SEG_IDS, n))(np.stack([d, d]))[1])
            for g in got:
                assert g.dtype == want.dtype and np.array_equal(g, want), (d.dtype, n, g, want)
    if name == "segment_prod":
        return
    jnp = jax.numpy
    for d in (SEG_DATA, data2):  # (ties in both)
        w = rng.normal(size=(4,) + d.shape[1:])
        w[~np.isfinite(np.asarray(jf(d, SEG_IDS, 4)))] = 0.0
        gj = jax.grad(lambda d: jnp.sum(jnp.where(jnp.isfinite(jf(d, SEG_IDS, 4)),
                                                  jf(d, SEG_IDS, 4), 0) * w))(d)
        loss = lambda d: wnp.sum(wnp.where(wnp.isfinite(wf(d, SEG_IDS, 4)),  # noqa: E731
                                           wf(d, SEG_IDS, 4), 0) * w)
        np.testing.assert_allclose(wire.grad(loss)(d), np.asarray(gj), rtol=1e-12)
        np.testing.assert_allclose(wire.jit(wire.grad(loss))(d), np.asarray(gj), rtol=1e-12)
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
        block = wire.checkpoint(_named_block, policy=policy)
        lc = lambda w, x: wnp.sum(block(x, w) ** 2)  # noqa: E731
        np.testing.assert_allclose(wire.grad(lc)(w, x), want)
        np.testing.assert_allclose(wire.jit(wire.grad(lc))(w, x), want)
        np.testing.assert_allclose(wire.vmap(wire.grad(lc), in_axes=(None, 0))(
            w, np.stack([x, x]))[1], want)
    assert wire.checkpoint_name(x, "q") is x


# ---------------------------------------------------------------- 2. NumPy's bits under jit

def _bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_i0_under_jit_is_numpys(dtype):
    """The traced i0 was a power series (1 ulp off np.i0's Chebyshev expansion under jit:
    i0(-2.375) was 2.9924526 in float32, NumPy's 2.9924524); now np.i0 itself computes the
    value on every path, the series gives the derivatives."""
    x = np.linspace(-3, 7, 17).astype(dtype)
    want = np.i0(x)
    for got in (wire.jit(wnp.i0)(x), wire.vmap(wnp.i0)(x), wire.jit(wire.vmap(wnp.i0))(x)):
        assert _bits_equal(got, want)
    v, g = wire.jit(wire.value_and_grad(lambda u: wnp.sum(wnp.i0(u))))(x.astype(np.float64))
    assert v == np.sum(np.i0(x.astype(np.float64)))
    scipy_special = pytest.importorskip("scipy.special")
    np.testing.assert_allclose(g, scipy_special.i1(x.astype(np.float64)), rtol=1e-13)


REAL_FFTS = [("rfft", False, dict()), ("rfft", False, dict(n=7, axis=0, norm="ortho")),
             ("irfft", True, dict(n=9, axis=0)), ("hfft", True, dict(axis=0)),
             ("ihfft", False, dict(n=5, norm="ortho")), ("rfftn", False, dict(s=(4, 6),
                                                                              axes=(0, 1))),
             ("irfftn", True, dict(s=(5, 8), axes=(1, 0))), ("rfft2", False, dict()),
             ("irfft2", True, dict(norm="forward"))]


@pytest.mark.parametrize("name, complex_input, kw", REAL_FFTS)
def test_real_ffts_under_jit_are_numpys(name, complex_input, kw):
    """The traced real transforms were a complex transform cut in half (np.fft.rfft's last
    imaginary part 0.0 came out 1.8e-15, others 1 ulp off); now NumPy's own real transform
    computes the value under jit and vmap too, with the composition's derivative."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 10)) + (1j * rng.normal(size=(6, 10)) if complex_input else 0)
    f = lambda a: getattr(wnp.fft, name)(a, **kw)  # noqa: E731
    want = getattr(np.fft, name)(x, **kw)
    xs = np.stack([x, x])
    for got in (wire.jit(f)(x), wire.vmap(f)(xs)[1], wire.jit(wire.vmap(f))(xs)[0]):
        assert _bits_equal(got, want)
    w = rng.normal(size=want.shape)
    loss = lambda a: wnp.sum(wnp.real(f(a)) * w)  # noqa: E731
    g = wire.grad(loss)(x)
    np.testing.assert_allclose(wire.jit(wire.grad(loss))(x), g)
    e = np.zeros(x.shape)
    e[1, 3] = 1e-6
    fd = (loss(x + e) - loss(x - e)) / 2e-6
    np.testing.assert_allclose(np.real(g[1, 3]), fd, rtol=1e-5, atol=1e-7)


def test_nanquantile_zero_signs_are_numpys():
    """NumPy's nanquantile partitions each slice with its NaNs moved out: tied -0.0 and 0.0
    come out in that order (nanquantile([0., -0., nan, -0., 0.], 0.5) is 0.0; the traced
    sorted slice gave -0.0). Every sign pattern of zeros and NaN of length 4 and 5 (NaN once)."""
    import itertools

    qs = [0.0, 0.3, 0.5, 0.7, 1.0]
    f = wire.jit(lambda a: wnp.nanquantile(a, qs))
    g = wire.jit(lambda a: wnp.nanpercentile(a, 50.0))
    bad = []
    for n in (4, 5):
        for signs in itertools.product([0.0, -0.0, np.nan], repeat=n):
            a = np.array(signs)
            if np.isnan(a).sum() != 5 - n:
                continue
            for got, want in ((f(a), np.nanquantile(a, qs)), (g(a), np.nanpercentile(a, 50.0))):
                if not _bits_equal(got, want):
                    bad.append((signs, got, want))
    assert not bad, bad[:3]


def test_python_operators_on_a_weak_bool_are_pythons():
    """``-s``, ``s + s``, ``s // s``, ``abs(s)`` on a Python-bool argument compute on ints, as
    Python's (``-True`` is -1; under jit it raised, ``s + s`` was logical or); ``s & s`` and
    ``~s`` stay booleans (``~s`` as in NumPy and JAX, not Python's ``~True == -2``), and
    ``wnp.add(s, s)`` is NumPy's (a bool)."""
    x = np.ones(2, np.int8)
    cases = [lambda s, x: (-s) + x, lambda s, x: (s + s) + x,
             lambda s, x: (s // s) + x, lambda s, x: (s**s) + x, lambda s, x: abs(s) + x,
             lambda s, x: (True + s) + x, lambda s, x: (s & s) + x,
             lambda s, x: wnp.add(s, s) + x, lambda s, x: s * 2.5 + x]
    for f in cases:
        want = f(True, x)
        for got in (wire.jit(f)(True, x),
                    wire.vmap(f, in_axes=(None, 0))(True, np.stack([x, x]))[0]):
            assert got.dtype == want.dtype and np.array_equal(got, want), (got, want)
    inv = lambda s, x: (~s) + x  # noqa: E731
    for s in (True, False):  # NumPy's (and JAX's) ~ of a boolean
        assert np.array_equal(wire.jit(inv)(s, x), inv(np.bool_(s), x))


def test_nan_reductions_of_a_python_float_argument_under_jit():
    # ~isnan(s) inside nanvar of a weak -0.0 was Python's ~ on ints (-1): NaN, not 0.0
    for name in ("nanmean", "nanvar", "nanstd", "nansum", "nanmax", "nanmedian"):
        for s in (-0.0, 0.0, 1.5, float("nan"), 3, True):
            want = getattr(np, name)(s)
            got = wire.jit(lambda v: getattr(wnp, name)(v))(s)
            assert np.array_equal(got, want, equal_nan=True) and \
                np.signbit(got) == np.signbit(want), (name, s, got, want)


def test_checkpoint_name_saves_loads_and_transposes():
    f = lambda x: wnp.sum(wnp.sin(wire.checkpoint_name(x * 2, "h")) ** 2)  # noqa: E731
    x = np.array([0.3, -1.0, 2.0])
    g = wire.trace(wire.grad(f), x)
    back = wire.loads(wire.dumps(g))  # (its primitive is in wire.REGISTRY)
    np.testing.assert_array_equal(wire.evaluate(back, x), wire.grad(f)(x))
    t = wire.linear_transpose(lambda v: wire.checkpoint_name(2.0 * v, "a"), x)
    np.testing.assert_array_equal(t(np.ones(3))[0], [2.0, 2.0, 2.0])
