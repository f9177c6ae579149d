"""wire.nn's functions with jax.nn's names: celu, glu, hard_sigmoid, hard_silu/hard_swish,
hard_tanh, log1mexp, logmeanexp, mish, one_hot, soft_sign, sparse_plus, sparse_sigmoid,
squareplus, standardize and dot_product_attention. Values against jax.nn (x64) on ordinary
and special inputs (±0, ±inf, NaN, kinks, huge and tiny magnitudes), against mpmath where
JAX's formula loses accuracy (squareplus's tail, mish and hard_silu at -inf, soft_sign at
±inf), derivatives of first and second order against finite differences and against JAX,
float32 kept, jit and vmap."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import nn
from wire.testing import check_grads

from selection import slow_selected

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnn = jax.nn
jnp = jax.numpy
mpmath = pytest.importorskip("mpmath")

# away from kinks, overflow and the saturations where wire and JAX differ on purpose
ORDINARY = np.array([-7.5, -3.1, -2.0, -1.3, -0.999, -0.5, -1e-3, 1e-8, 0.25, 0.7, 0.999,
                     1.7, 2.9, 5.0, 12.0])
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 1e-300, -1e-300, 1e10, -1e10,
                    1e200, -1e200, 1.7e308, -1.7e308, np.inf, -np.inf, np.nan])

mp = mpmath


def _mp_celu(alpha):
    return lambda x: x if x > 0 else alpha * mp.expm1(x / alpha)


def _mp_hard_sigmoid(x):
    return min(max(x + 3, 0), 6) / 6


def _mp_squareplus(b):
    return lambda x: (x + mp.sqrt(x * x + b)) / 2


MP = {  # the definitions, evaluated in mpmath: the oracle for values and derivatives
    "celu": _mp_celu(1), "celu alpha": _mp_celu(mp.mpf(0.5)),
    "hard_sigmoid": _mp_hard_sigmoid,
    "hard_silu": lambda x: x * _mp_hard_sigmoid(x),
    "hard_swish": lambda x: x * _mp_hard_sigmoid(x),
    "hard_tanh": lambda x: min(max(x, -1), 1),
    "mish": lambda x: x * mp.tanh(mp.log1p(mp.exp(x))),
    "soft_sign": lambda x: x / (abs(x) + 1),
    "sparse_plus": lambda x: 0 if x <= -1 else (x if x >= 1 else (x + 1) ** 2 / 4),
    "sparse_sigmoid": lambda x: 0 if x <= -1 else (1 if x >= 1 else (x + 1) / 2),
    "squareplus": _mp_squareplus(4), "squareplus b": _mp_squareplus(mp.mpf(0.3)),
}

ELEMENTWISE = [
    ("celu", nn.celu, jnn.celu),
    ("celu alpha", lambda x: nn.celu(x, 0.5), lambda x: jnn.celu(x, 0.5)),
    ("hard_sigmoid", nn.hard_sigmoid, jnn.hard_sigmoid),
    ("hard_silu", nn.hard_silu, jnn.hard_silu),
    ("hard_swish", nn.hard_swish, jnn.hard_swish),
    ("hard_tanh", nn.hard_tanh, jnn.hard_tanh),
    ("mish", nn.mish, jnn.mish),
    ("soft_sign", nn.soft_sign, jnn.soft_sign),
    ("sparse_plus", nn.sparse_plus, jnn.sparse_plus),
    ("sparse_sigmoid", nn.sparse_sigmoid, jnn.sparse_sigmoid),
    ("squareplus", nn.squareplus, jnn.squareplus),
    ("squareplus b", lambda x: nn.squareplus(x, 0.3), lambda x: jnn.squareplus(x, 0.3)),
]
IDS = [e[0] for e in ELEMENTWISE]


def _same_bits(got, want):
    """Equal values (NaN where NaN), and equal signs of zero."""
    got, want = np.asarray(got), np.asarray(want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=2e-15, atol=0)
    z = want == 0
    np.testing.assert_array_equal(np.signbit(got[z]), np.signbit(want[z]))


def _mp_derivative(name, x, order):
    with mp.workdps(60):
        return float(mp.diff(MP[name], mp.mpf(x), order))


@pytest.mark.parametrize("name,f,jf", ELEMENTWISE, ids=IDS)
def test_values_and_derivatives_on_ordinary_inputs(name, f, jf):
    with mp.workdps(60):
        want = [float(MP[name](mp.mpf(x))) for x in ORDINARY]
    np.testing.assert_allclose(f(ORDINARY), want, rtol=2e-15, atol=1e-300)
    np.testing.assert_allclose(wire.jit(f)(ORDINARY), want, rtol=2e-15, atol=1e-300)
    # JAX's squareplus cancels for negative x (x + sqrt(x² + b)): 2e-14 off at -7.5
    np.testing.assert_allclose(f(ORDINARY), jf(ORDINARY), rtol=1e-12, atol=1e-300)
    g = wire.vmap(wire.grad(f))(ORDINARY)
    gg = wire.vmap(wire.grad(wire.grad(f)))(ORDINARY)
    # (mpmath's numerical derivative of a piecewise linear function has 1e-74 noise)
    np.testing.assert_allclose(g, [_mp_derivative(name, x, 1) for x in ORDINARY], rtol=2e-15,
                               atol=1e-60)
    np.testing.assert_allclose(gg, [_mp_derivative(name, x, 2) for x in ORDINARY], rtol=4e-15,
                               atol=1e-60)
    # JAX's agree to 1e-9 (its expm1 rule is expm1(x) + 1, which loses digits of celu' in
    # the tail; its mish'' at 12 has four correct digits)
    np.testing.assert_allclose(g, jax.vmap(jax.grad(jf))(ORDINARY), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(gg, jax.vmap(jax.grad(jax.grad(jf)))(ORDINARY), rtol=1e-5,
                               atol=1e-300)


@pytest.mark.parametrize("name,f,jf", ELEMENTWISE, ids=IDS)
def test_subnormal_inputs(name, f, jf):
    # JAX flushes subnormals to zero on CPU; the mpmath value rounded to a double is the oracle
    x = np.array([5e-324, -5e-324, 2.2e-308, -1e-310])
    with mp.workdps(60):
        want = [float(MP[name](mp.mpf(v))) for v in x]
    np.testing.assert_allclose(f(x), want, rtol=4e-16, atol=0)


# where wire keeps the true value and JAX's formula does not: the mpmath value
def _mp(f, x):
    with mpmath.workdps(50):
        return float(f(mpmath.mpf(x)))


TRUE_SPECIAL = {
    # celu(-0.0) = expm1(-0.0) = -0.0, as elu's (JAX's max(x, 0) + … gives +0.0)
    "celu": {-0.0: -0.0}, "celu alpha": {-0.0: -0.0},
    "hard_silu": {-np.inf: -0.0},
    "hard_swish": {-np.inf: -0.0},
    "mish": {-np.inf: -0.0},
    "soft_sign": {np.inf: 1.0, -np.inf: -1.0},
    # (x + sqrt(x² + b)) / 2 = b / (2 (sqrt(x² + b) - x)): no cancellation, no overflow
    "squareplus": {x: _mp(lambda v: 4 / (2 * (mpmath.sqrt(v * v + 4) - v)), x)
                   for x in (-1e10, -1e200, -1.7e308)} | {1e200: 1e200, 1.7e308: 1.7e308,
                                                          -np.inf: 0.0},
    "squareplus b": {x: _mp(lambda v: mpmath.mpf(0.3) / (2 * (mpmath.sqrt(v * v + mpmath.mpf(0.3)) - v)), x)
                     for x in (-1e10, -1e200, -1.7e308)} | {1e200: 1e200, 1.7e308: 1.7e308,
                                                            -np.inf: 0.0},
}


@pytest.mark.parametrize("name,f,jf", ELEMENTWISE, ids=IDS)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_values_on_special_inputs(name, f, jf):
    want = np.asarray(jf(SPECIAL)).copy()
    finite = np.isfinite(SPECIAL) & (SPECIAL != 0)  # (mpmath has no -0.0)
    with mp.workdps(60):  # (JAX's squareplus cancels or overflows at some of these)
        exact = np.array([float(MP[name](mp.mpf(x))) for x in SPECIAL[finite]])
    # where the value is 0 keep JAX's sign of zero (mpmath has no -0.0)
    want[finite] = np.where(exact == 0, want[finite], exact)
    for x, v in TRUE_SPECIAL.get(name, {}).items():
        want[(SPECIAL == x) & (np.signbit(SPECIAL) == np.signbit(x))] = v
    for got in (f(SPECIAL), wire.jit(f)(SPECIAL)):
        _same_bits(got, want)


def test_jax_formulas_are_wrong_where_wire_differs():
    # the cases TRUE_SPECIAL overrides: JAX's values there are NaN, 0 or inf, not the limits
    with np.errstate(all="ignore"):
        assert np.isnan(jnn.mish(-np.inf)) and np.isnan(jnn.hard_silu(-np.inf))
        assert np.isnan(jnn.soft_sign(np.inf))
        assert float(jnn.squareplus(-1e10)) == 0.0 and float(jnn.squareplus(1e200)) == np.inf
    assert float(nn.squareplus(-1e10)) == 1e-10


@pytest.mark.parametrize("name,f,jf", ELEMENTWISE, ids=IDS)
def test_derivatives_against_finite_differences(name, f, jf):
    # the finite differences stay off the kinks at 0 and ±1
    x = ORDINARY[(np.abs(np.abs(ORDINARY) - 1) > 0.01) & (np.abs(ORDINARY) > 0.01)]
    check_grads(lambda x: f(x), (x,), order=2, rtol=1e-5, atol=1e-6)


DERIVATIVES_AT_KINKS = [  # (function, x, first derivative, JAX's)
    (nn.celu, 0.0, 1.0, 1.0),
    (nn.hard_sigmoid, -3.0, 0.0, 0.0), (nn.hard_sigmoid, 3.0, 0.0, 0.0),
    (nn.hard_silu, -3.0, 0.0, 0.0), (nn.hard_silu, 3.0, 1.0, 1.0),
    (nn.hard_tanh, -1.0, 1.0, 1.0), (nn.hard_tanh, 1.0, 1.0, 1.0),
    (nn.sparse_plus, -1.0, 0.0, 0.0), (nn.sparse_plus, 1.0, 1.0, 1.0),
    (nn.sparse_sigmoid, -1.0, 0.0, 0.25), (nn.sparse_sigmoid, 1.0, 0.0, 0.25),
    (nn.soft_sign, 0.0, 1.0, 1.0), (nn.soft_sign, np.inf, 0.0, np.nan),
    (nn.mish, np.inf, 1.0, np.nan), (nn.mish, -np.inf, 0.0, np.nan),
    (nn.mish, -1e300, 0.0, np.nan), (nn.hard_silu, -np.inf, 0.0, np.nan),
    (nn.squareplus, 0.0, 0.5, 0.5), (nn.squareplus, -np.inf, 0.0, np.nan),
    (nn.squareplus, 1e200, 1.0, np.nan),
]


@pytest.mark.parametrize("f,x,want,jax_value", DERIVATIVES_AT_KINKS)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_derivatives_at_kinks_and_limits(f, x, want, jax_value):
    assert float(wire.grad(f)(x)) == want
    assert float(wire.jit(wire.grad(f))(x)) == want
    # forward mode agrees with reverse mode
    assert float(wire.jvp(f, (x,), (1.0,))[1]) == want


def test_sparse_sigmoid_is_sparse_plus_derivative():
    x = np.concatenate([ORDINARY, [-1.0, 1.0]])
    np.testing.assert_array_equal(wire.vmap(wire.grad(nn.sparse_plus))(x), nn.sparse_sigmoid(x))
    np.testing.assert_array_equal(wire.vmap(wire.grad(wire.grad(nn.sparse_plus)))(x),
                                  wire.vmap(wire.grad(nn.sparse_sigmoid))(x))


def test_squareplus_accuracy_against_mpmath():
    xs = [-1e300, -1e100, -3e7, -50.0, -1.0, 0.0, 1e-300, 2.0, 1e160, 1e300]
    for b in (4.0, 0.01, 1e-20):
        for x in xs:
            # (b / (2 (sqrt(x² + b) - x)) for x < 0: 50 digits cannot resolve the difference)
            want = _mp(lambda v: (v + mpmath.sqrt(v * v + mpmath.mpf(b))) / 2 if v >= 0 else
                       mpmath.mpf(b) / (2 * (mpmath.sqrt(v * v + mpmath.mpf(b)) - v)), x)
            got = float(nn.squareplus(x, b))
            assert got == pytest.approx(want, rel=4e-16, abs=0), (x, b)
        # derivative (1 + x / sqrt(x² + b)) / 2
        for x in xs[1:-1]:
            # squareplus(x) / sqrt(x² + b), with the stable squareplus
            want = _mp(lambda v: (v + mpmath.sqrt(v * v + mpmath.mpf(b))) / 2
                       / mpmath.sqrt(v * v + mpmath.mpf(b)) if v >= 0 else mpmath.mpf(b)
                       / (2 * (mpmath.sqrt(v * v + mpmath.mpf(b)) - v))
                       / mpmath.sqrt(v * v + mpmath.mpf(b)), x)
            assert float(wire.grad(nn.squareplus)(x, b)) == pytest.approx(want, rel=1e-15,
                                                                          abs=1e-300)
    # b = 0 is relu; b traced is differentiable: d/db = 1 / (4 sqrt(x² + b))
    np.testing.assert_array_equal(nn.squareplus(np.array([-2.0, 0.0, 3.0]), 0.0), [0, 0, 3])
    assert float(wire.grad(nn.squareplus, argnums=1)(1.0, 3.0)) == pytest.approx(1 / 8)
    # b < 0: real where x² + b >= 0 (JAX's formula), NaN elsewhere; b traced the same
    xs = np.array([-3.0, -0.5, 0.0, 0.5, 3.0, 1e200])
    with np.errstate(invalid="ignore", over="ignore"):
        want = np.asarray(jnn.squareplus(xs, -1.0)).copy()
        want[-1] = 1e200  # JAX's x² overflows
        for b in (-1.0, np.array(-1.0)):
            # (JAX's x + sqrt(x² + b) is 1e-15 off at -3)
            np.testing.assert_allclose(nn.squareplus(xs, b), want, rtol=2e-15)
            np.testing.assert_allclose(wire.jit(nn.squareplus)(xs, b), want, rtol=2e-15)
        np.testing.assert_allclose(wire.jit(nn.squareplus)(xs, np.array(4.0)), nn.squareplus(xs),
                                   rtol=1e-15)
    assert np.isnan(want[1:4]).all()


def test_log1mexp_against_jax_and_mpmath():
    x = np.array([1e-300, 1e-20, 1e-8, 0.1, 0.5, np.log(2.0), 0.7, 2.0, 30.0, 700.0, 1e10])
    want = [_mp(lambda v: mpmath.log(-mpmath.expm1(-v)) if v < 1 else
                mpmath.log1p(-mpmath.exp(-v)), v) for v in x]
    np.testing.assert_allclose(nn.log1mexp(x), want, rtol=2e-15)
    np.testing.assert_allclose(nn.log1mexp(x), jnn.log1mexp(x), rtol=2e-15)
    dwant = [_mp(lambda v: 1 / mpmath.expm1(v), v) for v in x]
    np.testing.assert_allclose(wire.vmap(wire.grad(nn.log1mexp))(x), dwant, rtol=1e-14)
    # -e^x / expm1(x)²; JAX's second derivative at 700 is -0.0, the truth -9.86e-305
    d2want = [_mp(lambda v: -mpmath.exp(v) / mpmath.expm1(v) ** 2, v) for v in x[1:-1]]
    np.testing.assert_allclose(wire.vmap(wire.grad(wire.grad(nn.log1mexp)))(x[1:-1]), d2want,
                               rtol=1e-14)
    np.testing.assert_allclose(wire.vmap(wire.grad(wire.grad(nn.log1mexp)))(x[1:-2]),
                               jax.vmap(jax.grad(jax.grad(jnn.log1mexp)))(x[1:-2]), rtol=1e-12)
    with np.errstate(all="ignore"):
        special = np.array([0.0, -0.0, np.inf, -1.0, np.nan])
        np.testing.assert_array_equal(nn.log1mexp(special), [-np.inf, -np.inf, 0.0, np.nan,
                                                             np.nan])
        np.testing.assert_array_equal(nn.log1mexp(special), jnn.log1mexp(special))
        assert float(wire.grad(nn.log1mexp)(0.0)) == np.inf
        assert float(wire.grad(nn.log1mexp)(np.inf)) == 0.0
    check_grads(nn.log1mexp, (x[3:-1],), order=2, rtol=1e-5)


def test_float32_stays_float32():
    x = ORDINARY.astype(np.float32)
    for name, f, jf in ELEMENTWISE:
        y = f(x)
        assert y.dtype == np.float32, name
        np.testing.assert_allclose(y, jf(x), rtol=3e-6, atol=1e-7, err_msg=name)
        assert wire.jit(wire.grad(lambda v: wnp.sum(f(v))))(x).dtype == np.float32
    for f in (nn.log1mexp, lambda v: nn.glu(v), lambda v: nn.standardize(v),
              lambda v: nn.logmeanexp(v, axis=0, keepdims=True)):
        assert f(np.abs(x[:14])).dtype == np.float32


def test_glu():
    x = np.random.default_rng(0).normal(size=(3, 4, 6))
    for axis in (-1, 1, 0) if False else (-1, 1):
        np.testing.assert_allclose(nn.glu(x, axis), jnn.glu(x, axis), rtol=1e-15)
        np.testing.assert_allclose(wire.jit(lambda v: nn.glu(v, axis))(x), jnn.glu(x, axis),
                                   rtol=1e-15)
    check_grads(lambda v: nn.glu(v), (x,), order=2)
    with pytest.raises(wire.WireError):
        nn.glu(x, axis=0)  # length 3
    with pytest.raises(ValueError):
        nn.glu(np.ones(5))


def test_logmeanexp():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5)) * 10
    for kw in ({}, {"axis": 0}, {"axis": 1, "keepdims": True}, {"axis": (0, 1)}):
        np.testing.assert_allclose(nn.logmeanexp(x, **kw), jnn.logmeanexp(x, **kw), rtol=1e-14)
    where = rng.random((3, 5)) < 0.6
    where[:, 0] = True
    np.testing.assert_allclose(nn.logmeanexp(x, axis=1, where=where),
                               jnn.logmeanexp(x, axis=1, where=where), rtol=1e-14)
    np.testing.assert_allclose(wire.jit(lambda v: nn.logmeanexp(v, axis=1, where=where))(x),
                               jnn.logmeanexp(x, axis=1, where=where), rtol=1e-14)
    assert float(nn.logmeanexp(np.array([800.0, 800.0]))) == 800.0  # no overflow
    assert float(nn.logmeanexp(np.array([-np.inf, -np.inf]))) == -np.inf
    assert float(nn.logmeanexp(np.array([np.inf, 0.0]))) == np.inf
    with np.errstate(all="ignore"):
        assert np.isnan(nn.logmeanexp(np.zeros(0)))
        assert np.isnan(jnn.logmeanexp(np.zeros(0)))
    g = wire.grad(lambda v: nn.logmeanexp(v, where=where))(x)
    np.testing.assert_allclose(g, jax.grad(lambda v: jnn.logmeanexp(v, where=where))(x),
                               rtol=1e-13, atol=1e-300)
    assert (g[~where] == 0).all()
    check_grads(lambda v: nn.logmeanexp(v, axis=0), (x / 10,), order=2)


def test_one_hot():
    x = np.array([[0, 2], [-1, 3]])
    for axis in (-1, 0, 1, 2, -3):
        got = nn.one_hot(x, 3, axis=axis)
        np.testing.assert_array_equal(got, jnn.one_hot(x, 3, axis=axis))
        assert got.dtype == np.float64
        np.testing.assert_array_equal(wire.jit(lambda v: nn.one_hot(v, 3, axis=axis))(x), got)
    assert nn.one_hot(x, 3, dtype=np.float32).dtype == np.float32
    assert nn.one_hot(x, 3, dtype=np.int8).dtype == np.int8
    np.testing.assert_array_equal(nn.one_hot(np.array([0.0, np.nan, 1.5, 1.0]), 2),
                                  [[1, 0], [0, 0], [0, 0], [0, 1]])
    assert nn.one_hot(np.zeros(0, int), 4).shape == (0, 4)
    assert nn.one_hot(np.array(1, np.uint8), 3).tolist() == [0.0, 1.0, 0.0]
    np.testing.assert_array_equal(wire.vmap(lambda v: nn.one_hot(v, 4))(np.array([3, 0])),
                                  [[0, 0, 0, 1], [1, 0, 0, 0]])
    with pytest.raises(wire.WireError):
        nn.one_hot(x, 3, axis=3)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_standardize():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 6)) * 3 + 1
    for kw in ({}, {"axis": 0}, {"axis": None}, {"epsilon": 0.0}, {"axis": (0, 1)}):
        for alg in ("stable", "fast"):
            np.testing.assert_allclose(nn.standardize(x, algorithm=alg, **kw),
                                       jnn.standardize(x, algorithm=alg, **kw), rtol=1e-12)
    mean, var = np.ones((4, 1)), np.full((4, 1), 2.0)
    np.testing.assert_allclose(nn.standardize(x, mean=mean, variance=var),
                               jnn.standardize(x, mean=mean, variance=var), rtol=1e-14)
    where = rng.random((4, 6)) < 0.7
    where[:, :2] = True
    np.testing.assert_allclose(wire.jit(lambda v: nn.standardize(v, where=where))(x),
                               jnn.standardize(x, where=where, algorithm="stable"), rtol=1e-12)
    # the default is the two-pass variance: no cancellation for a large mean
    big = np.array([1e9, 1e9 + 1.0, 1e9 + 2.0])
    want = [-1.224744871391589, 0.0, 1.224744871391589]
    np.testing.assert_allclose(nn.standardize(big, epsilon=0.0), want, rtol=1e-15)
    fast = np.asarray(jnn.standardize(big, epsilon=0.0))  # JAX's one-pass default
    assert not np.allclose(fast, want, rtol=1e-3)
    np.testing.assert_allclose(nn.standardize(big, epsilon=0.0, algorithm="fast"), fast,
                               rtol=1e-12)
    check_grads(lambda v: nn.standardize(v), (x,), order=2, rtol=1e-5)
    with pytest.raises(ValueError):
        nn.standardize(x, algorithm="exact")


# JAX's, compiled whole (op by op, each of its ~150 operations compiles on its own)
_jdpa = jax.jit(jnn.dot_product_attention, static_argnames=(
    "scale", "is_causal", "local_window_size", "return_residual", "implementation"))


def _attention_reference(q, k, v, bias=None, keep=None, scale=None):
    """Plain float64 NumPy: one head group at a time."""
    B, T, N, H = q.shape
    K = k.shape[2]
    G = N // K
    scale = 1 / np.sqrt(H) if scale is None else scale
    out = np.zeros_like(q)
    for b in range(B):
        for n in range(N):
            logits = q[b, :, n] @ k[b, :, n // G].T * scale
            if bias is not None:
                logits = logits + np.broadcast_to(bias, (B, N, T, k.shape[1]))[b, n]
            if keep is not None:
                logits = np.where(np.broadcast_to(keep, (B, N, T, k.shape[1]))[b, n], logits,
                                  -0.7 * np.finfo(np.float32).max)
            p = np.exp(logits - logits.max(-1, keepdims=True))
            out[b, :, n] = (p / p.sum(-1, keepdims=True)) @ v[b, :, n // G]
    return out


@pytest.mark.slow
def test_dot_product_attention(request):
    # a plain run checks wire against the exact reference and finite differences; -m slow
    # against JAX too (it compiles each set of options for seconds; tests/test_nn_optim_oracle.py
    # compares these options with JAX in every run)
    jax_too = slow_selected(request.config)
    rng = np.random.default_rng(3)
    B, T, S, N, K, H = 2, 5, 4, 6, 3, 8
    q, k, v = rng.normal(size=(B, T, N, H)), rng.normal(size=(B, S, K, H)), rng.normal(size=(B, S, K, H))
    bias = rng.normal(size=(1, N, T, S))
    mask = rng.random((B, 1, T, S)) < 0.7
    cases = [({}, None, None), ({"bias": bias}, bias, None), ({"mask": mask}, None, mask),
             ({"scale": 0.3}, None, None)]
    for kw, b_, m_ in cases:
        want = _attention_reference(q, k, v, b_, m_, kw.get("scale"))
        np.testing.assert_allclose(nn.dot_product_attention(q, k, v, **kw), want, rtol=1e-12,
                                   atol=1e-14)
        if jax_too:
            np.testing.assert_allclose(nn.dot_product_attention(q, k, v, **kw),
                                       _jdpa(q, k, v, **kw), rtol=1e-5,
                                       atol=1e-6)  # JAX takes the softmax in float32
    t, s = np.arange(T)[:, None], np.arange(S)[None, :]
    for kw, keep in (({"is_causal": True}, t >= s), ({"local_window_size": 1}, abs(t - s) <= 1),
                     ({"local_window_size": (0, 2)}, (t <= s) & (t >= s - 2))):
        np.testing.assert_allclose(nn.dot_product_attention(q, k, v, **kw),
                                   _attention_reference(q, k, v, keep=keep), rtol=1e-12)
        if jax_too:
            np.testing.assert_allclose(nn.dot_product_attention(q, k, v, **kw),
                                       _jdpa(q, k, v, **kw), rtol=1e-5, atol=1e-6)
    ql, kl = np.array([3, 5], np.int32), np.array([4, 2], np.int32)
    got = wire.jit(lambda q, k, v: nn.dot_product_attention(
        q, k, v, query_seq_lengths=ql, key_value_seq_lengths=kl))(q, k, v)
    assert (got[0, 3:] == 0).all()
    out, lse = nn.dot_product_attention(q, k, v, bias=bias, return_residual=True)
    assert lse.shape == (B, T, N)
    q32, k32, v32 = (a[..., :1, :].astype(np.float32) for a in (q, k, v))
    got32 = nn.dot_product_attention(q32[:, :, [0, 0, 0]], k32, v32)
    assert got32.dtype == np.float32
    if jax_too:
        np.testing.assert_allclose(got, _jdpa(
            q, k, v, query_seq_lengths=ql, key_value_seq_lengths=kl), rtol=1e-5, atol=1e-6)
        jout, jlse = _jdpa(q, k, v, bias=bias, return_residual=True)
        np.testing.assert_allclose(lse, jlse, rtol=1e-5)
        # unbatched (T, N, H), and multi-query (K = 1), float32 kept
        np.testing.assert_allclose(nn.dot_product_attention(q[0], k[0], v[0]),
                                   _jdpa(q[0], k[0], v[0]), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got32, _jdpa(q32[:, :, [0, 0, 0]], k32, v32),
                                   rtol=1e-5, atol=1e-6)
    # derivatives in q, k, v and bias (small shapes: two query heads share a key head)
    small = (q[:1, :2, :2, :2], k[:1, :3, :1, :2], v[:1, :3, :1, :2], bias[:, :2, :2, :3])
    check_grads(lambda q, k, v, b: nn.dot_product_attention(q, k, v, bias=b,
                                                            mask=mask[:1, :, :2, :3]),
                small, order=2, rtol=1e-5)
    gq = wire.grad(lambda q: wnp.sum(nn.dot_product_attention(q, k, v, is_causal=True) ** 2))(q)
    jq = jax.jit(jax.grad(lambda q: jnp.sum(_jdpa(q, k, v, is_causal=True) ** 2)))(q)
    np.testing.assert_allclose(gq, jq, rtol=1e-4, atol=1e-6)
    # vmap over a leading axis equals the batch
    np.testing.assert_allclose(wire.vmap(lambda q, k, v: nn.dot_product_attention(q, k, v))(q, k, v),
                               nn.dot_product_attention(q, k, v), rtol=1e-12)


def test_dot_product_attention_fully_masked_rows_and_errors():
    rng = np.random.default_rng(4)
    q, k, v = (rng.normal(size=(1, 2, 1, 3)) for _ in range(3))
    mask = np.array([True, False])[None, None, :, None] * np.ones((1, 1, 2, 2), bool)
    got = nn.dot_product_attention(q, k, v, mask=mask)
    # a row with every key masked averages the values (JAX's convention), not NaN
    np.testing.assert_allclose(got[0, 1, 0], v[0].mean(0)[0], rtol=1e-14)
    np.testing.assert_allclose(got, _jdpa(q, k, v, mask=mask), rtol=1e-5)
    bad = [
        lambda: nn.dot_product_attention(q, k, v[..., :2]),
        lambda: nn.dot_product_attention(q[..., :2], k, v),
        lambda: nn.dot_product_attention(np.ones((1, 2, 3, 3)), np.ones((1, 2, 2, 3)),
                                         np.ones((1, 2, 2, 3))),
        lambda: nn.dot_product_attention(q, k, v, mask=mask.astype(float)),
        lambda: nn.dot_product_attention(q, k, v, implementation="cudnn"),
        lambda: nn.dot_product_attention(q, k, v, query_seq_lengths=np.array([1.0])),
    ]
    for call in bad:
        with pytest.raises(wire.WireError):
            call()
