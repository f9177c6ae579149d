"""``wire.optim.losses`` (Optax's per-example losses) against ``optax.losses`` at float64 and
float32 — values and gradients at special inputs: ``-inf`` logits (masked classes), labels
exactly 0 and 1, logits of +-1e4, ties, NaN — and the small ``wire.nn`` fixes that go with
them (``hard_tanh`` on integers, ``sparse_sigmoid``'s derivative at NaN, ``logmeanexp``'s
accuracy near 0, ``logsumexp``'s derivative where the weighted sum is 0)."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

from selection import slow_selected

import wire
from wire import nn

jax = pytest.importorskip("jax", reason="needs jax: pip install -e '.[reference]'")
optax = pytest.importorskip("optax", reason="needs optax: pip install -e '.[reference]'")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


# ----------------------------------------------------------------------------- wire.nn fixes

@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.float32, np.float64])
def test_hard_tanh_keeps_the_input_dtype(dtype):
    x = np.array([-3, -1, 0, 1, 3], dtype=dtype)
    got, want = nn.hard_tanh(x), np.asarray(jax.nn.hard_tanh(jnp.asarray(x)))
    assert got.dtype == want.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, want)


def test_sparse_sigmoid_at_nan():
    assert np.isnan(nn.sparse_sigmoid(np.nan))
    assert float(wire.grad(nn.sparse_sigmoid)(np.nan)) == 0.0  # was 0.5; JAX gives 0
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    g = wire.elementwise_grad(nn.sparse_sigmoid)(x)
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5, 0.0])


def _logmeanexp_mp(xs):
    with mpmath.workdps(60):
        s = mpmath.fsum(mpmath.expm1(mpmath.mpf(float(v))) for v in xs) / len(xs)
        return float(mpmath.log1p(s))


@pytest.mark.parametrize("xs", [
    1e-8 * np.linspace(-1, 1, 7),            # mean 2.2e-17: the old form gave 0.0
    np.array([1e-5, 2e-5, -1e-5]),           # 4e-11 relative off before
    np.array([0.0, 1e-300]),
    np.array([3.0, 3.0, 3.0]),
    np.array([-745.0, -700.0, 10.0]),
])
def test_logmeanexp_accuracy_against_mpmath(xs):
    want = _logmeanexp_mp(xs)
    got = float(nn.logmeanexp(xs))
    # within the problem's conditioning: sum |x_i| / n ulps of the result's scale
    tol = 4e-16 * max(abs(want), np.abs(xs).max())
    assert abs(got - want) <= tol, (got, want)


def test_logmeanexp_matches_jax_with_where_axis_and_infinities():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    where = rng.random((3, 4)) > 0.3
    for axis, keepdims in ((None, False), (0, True)):
        got = nn.logmeanexp(x, axis=axis, keepdims=keepdims, where=where)

        def lme(a, axis=axis, keepdims=keepdims):
            return jax.nn.logmeanexp(a, axis=axis, keepdims=keepdims, where=where)

        want = jax.jit(lme)(jnp.asarray(x))
        assert np.shape(got) == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-14)
        gw = wire.grad(lambda a: nn.logmeanexp(a, axis=axis, keepdims=keepdims,
                                               where=where).sum())(x)
        gj = jax.jit(jax.grad(lambda a: lme(a).sum()))(jnp.asarray(x))
        np.testing.assert_allclose(gw, gj, rtol=1e-14, atol=1e-300)
    special = np.array([[0.0, -np.inf, 1.0], [-np.inf] * 3, [np.inf, 0.0, 1.0],
                        [np.nan, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(
            nn.logmeanexp(special, axis=-1),
            np.asarray(jax.jit(jax.nn.logmeanexp, static_argnames="axis")(
                jnp.asarray(special), axis=-1)), rtol=1e-15)
        assert np.isnan(nn.logmeanexp(np.zeros((2, 0)), axis=-1)).all()
    assert nn.logmeanexp(x.astype(np.float32)).dtype == np.float32


def test_logsumexp_derivative_where_the_weighted_sum_is_zero():
    # log|sum b e^a| at sum = 0 has no derivative: its two one-sided limits have opposite
    # signs (JAX's +-inf takes the sign of an exact +0.0). wire gives NaN (decided; documented
    # in nn.logsumexp), and the value -inf, as SciPy and JAX.
    b = np.array([1.0, -1.0])
    a = np.array([0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert float(nn.logsumexp(a, b=b)) == -np.inf
        assert np.isnan(wire.grad(lambda a: nn.logsumexp(a, b=b))(a)).all()


# ------------------------------------------------------------------- wire.optim.losses

from wire.optim import losses as W  # noqa: E402

O = optax.losses
_rng = np.random.default_rng(0)
_X = _rng.normal(size=(4, 5))
_Y = _rng.normal(size=(4, 5))
_P = np.exp(_rng.normal(size=(4, 5)))
_P /= _P.sum(-1, keepdims=True)
_I = _rng.integers(0, 5, size=4)
_WH = _rng.random((4, 5)) > 0.3
_WH2 = _WH.copy()
_WH2[np.arange(4), _I] = True
_WH2[3] = False  # an example with no class left: loss 0
_X3 = _rng.normal(size=(2, 3, 4))
_SEG = _rng.normal(size=(2, 3, 3, 4))
_SEGT = np.eye(4)[_rng.integers(0, 4, size=(2, 3, 3))]
_CTC = (_rng.normal(size=(2, 6, 4)), np.array([[0.0] * 6, [0.0] * 4 + [1.0] * 2]),
        np.array([[1, 2, 2], [3, 1, 0]]), np.array([[0.0, 0, 0], [0, 0, 1]]))


def _both(name, **kw):
    return (lambda *a: getattr(W, name)(*a, **kw), lambda *a: getattr(O, name)(*a, **kw))


# (id, wire function, optax function, arguments, which arguments to differentiate)
CASES = [
    ("squared_error", *_both("squared_error"), (_X, _Y), (0, 1)),
    ("squared_error_1arg", *_both("squared_error"), (_X,), (0,)),
    ("l2_loss", *_both("l2_loss"), (_X, _Y), (0, 1)),
    ("huber_loss", *_both("huber_loss", delta=0.5), (3 * _X, _Y), (0, 1)),
    ("log_cosh", *_both("log_cosh"), (_X, _Y), (0, 1)),
    ("cosine_similarity", *_both("cosine_similarity"), (_X, _Y), (0, 1)),
    ("cosine_distance_where", *_both("cosine_distance", where=_WH, epsilon=1e-3), (_X, _Y),
     (0, 1)),
    ("sigmoid_binary_cross_entropy", *_both("sigmoid_binary_cross_entropy"), (_X, _P), (0, 1)),
    ("sigmoid_focal_loss", *_both("sigmoid_focal_loss"), (_X, _P), (0, 1)),
    ("sigmoid_focal_loss_alpha", *_both("sigmoid_focal_loss", alpha=0.25, gamma=1.5),
     (_X, (_P > 0.2) * 1.0), (0,)),
    ("softmax_cross_entropy", *_both("softmax_cross_entropy"), (_X, _P), (0, 1)),
    ("softmax_cross_entropy_axis0", *_both("softmax_cross_entropy", axis=0), (_X, _P), (0, 1)),
    ("softmax_cross_entropy_where", *_both("softmax_cross_entropy", where=_WH), (_X, _P),
     (0, 1)),
    ("safe_softmax_cross_entropy", *_both("safe_softmax_cross_entropy"), (_X, _P), (0, 1)),
    ("int_labels", *_both("softmax_cross_entropy_with_integer_labels"), (_X, _I), (0,)),
    ("int_labels_axis1", *_both("softmax_cross_entropy_with_integer_labels", axis=1),
     (_X3, _rng.integers(0, 3, size=(2, 4))), (0,)),
    ("int_labels_axes12", *_both("softmax_cross_entropy_with_integer_labels", axis=(1, 2)),
     (_X3, _rng.integers(0, 12, size=(2,))), (0,)),
    ("int_labels_where", *_both("softmax_cross_entropy_with_integer_labels", where=_WH2),
     (_X, _I), (0,)),
    ("poly_loss", *_both("poly_loss_cross_entropy", epsilon=1.0, where=_WH), (_X, _P), (0, 1)),
    ("hinge_loss", *_both("hinge_loss"), (_X, np.sign(_Y)), (0,)),
    ("perceptron_loss", *_both("perceptron_loss"), (_X, np.sign(_Y)), (0,)),
    ("multiclass_hinge_loss", *_both("multiclass_hinge_loss"), (_X, _I), (0,)),
    ("multiclass_perceptron_loss", *_both("multiclass_perceptron_loss"), (_X, _I), (0,)),
    ("sparsemax_loss", *_both("sparsemax_loss"), (_X, (_Y > 0) * 1), (0,)),
    ("multiclass_sparsemax_loss", *_both("multiclass_sparsemax_loss"), (_X, _I), (0,)),
    ("kl_divergence", *_both("kl_divergence"), (np.log(_P), _P[::-1].copy()), (0, 1)),
    ("kl_divergence_where", *_both("kl_divergence", where=_WH), (np.log(_P), _P[::-1].copy()),
     (0, 1)),
    ("kl_log_targets", *_both("kl_divergence_with_log_targets"),
     (np.log(_P), np.log(_P[::-1])), (0, 1)),
    ("generalized_kl", *_both("generalized_kl_divergence"), (np.log(_P), 2 * _P[::-1]), (0, 1)),
    ("smooth_labels", *_both("smooth_labels", alpha=0.1, where=_WH), (_P,), (0,)),
    ("triplet_margin_loss", *_both("triplet_margin_loss", norm_degree=3, margin=0.2),
     (np.abs(_X) + 1, 0.1 * _Y, _X[::-1].copy()), (0, 1, 2)),
    ("ntxent", *_both("ntxent"), (_X, np.array([0, 0, 1, 1])), (0,)),
    ("ranking_softmax_loss", *_both("ranking_softmax_loss", where=_WH2), (_X, _P), (0, 1)),
    ("ranking_none", *_both("ranking_softmax_loss", where=_WH2, reduce_fn=None, weights=_P),
     (_X, _P), (0, 1)),
    ("dice_loss", *_both("dice_loss"), (_SEG, _SEGT), (0,)),
    ("dice_loss_options", lambda a, b: W.dice_loss(a, b, class_weights=np.arange(1.0, 5.0),
                                                   alpha=0.3, beta=0.7, reduction="sum",
                                                   ignore_background=True),
     lambda a, b: O.dice_loss(a, b, class_weights=jnp.arange(1.0, 5.0), alpha=0.3, beta=0.7,
                              reduction="sum", ignore_background=True), (_SEG, _SEGT), (0,)),
    ("generalized_dice", *_both("multiclass_generalized_dice_loss"), (_SEG, _SEGT), (0,)),
    ("binary_dice", *_both("binary_dice_loss"), (_SEG[..., 0], _SEGT[..., 0]), (0,)),
    ("ctc_loss", *_both("ctc_loss"), _CTC, (0,)),
    ("ctc_forward_probs", lambda *a: W.ctc_loss_with_forward_probs(*a)[1],
     lambda *a: O.ctc_loss_with_forward_probs(*a)[1], _CTC, (0,)),
    ("fenchel_young", W.make_fenchel_young_loss(nn.logsumexp),
     O.make_fenchel_young_loss(jax.scipy.special.logsumexp), (_X, _P), (0, 1)),
]


def _jnp(args):
    return [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]


# each run checks these; -m slow checks every case
_ALWAYS = {"softmax_cross_entropy_where", "int_labels_where", "sigmoid_focal_loss", "log_cosh",
           "kl_divergence", "multiclass_sparsemax_loss", "ctc_forward_probs", "huber_loss",
           "int_labels_axes12"}
_PARAMS = [pytest.param(c, id=c[0], marks=() if c[0] in _ALWAYS else pytest.mark.slow)
           for c in CASES]


def _skip_unless_selected(request):
    marked = any(m.name == "slow" for m in request.node.callspec.marks)
    if marked and not slow_selected(request.config):
        pytest.skip("runs with -m slow")


@pytest.mark.parametrize("case", _PARAMS)
def test_loss_values_and_gradients_match_optax(case, request):
    _skip_unless_selected(request)
    _, wf, of, args, argnums = case
    got, want = wf(*args), np.asarray(jax.jit(of)(*_jnp(args)))
    assert np.shape(got) == want.shape and np.asarray(got).dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    for k in argnums:
        def fw(x, k=k):
            a = list(args)
            a[k] = x
            return wire.numpy.sum(wf(*a))

        def fo(x, k=k):
            a = _jnp(args)
            a[k] = x
            return jnp.sum(of(*a))

        np.testing.assert_allclose(wire.grad(fw)(args[k]),
                                   jax.jit(jax.grad(fo))(jnp.asarray(args[k])),
                                   rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("case", [p for p in _PARAMS if not p.id.startswith(("ctc", "multic"))])
def test_float32_in_float32_out(case, request):
    _skip_unless_selected(request)
    _, wf, of, args, _ = case
    args32 = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
              for a in args]
    got, want = wf(*args32), np.asarray(jax.jit(of)(*_jnp(args32)))
    # float32 unless a keyword argument is a float64 array (weights), as Optax
    assert np.asarray(got).dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=3e-5, atol=3e-6)


def test_multiclass_and_ctc_stay_float32():
    # Optax's one_hot is float64 under x64 and turns these float32 losses into float64
    x32 = _X.astype(np.float32)
    for f in (W.multiclass_hinge_loss, W.multiclass_perceptron_loss,
              W.multiclass_sparsemax_loss):
        assert f(x32, _I).dtype == np.float32
        np.testing.assert_allclose(f(x32, _I), f(_X, _I), rtol=1e-5)
    c32 = (_CTC[0].astype(np.float32), _CTC[1].astype(np.float32), _CTC[2],
           _CTC[3].astype(np.float32))
    assert W.ctc_loss(*c32).dtype == np.float32
    np.testing.assert_allclose(W.ctc_loss(*c32), W.ctc_loss(*_CTC), rtol=1e-5)


_L = np.array([[-np.inf, 0.0, 1.0], [1e4, -1e4, 0.0], [0.0, 0.0, 0.0]])
_PL = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@pytest.mark.parametrize("name", ["softmax_cross_entropy", "poly_loss_cross_entropy"])
def test_masked_class_with_zero_label_is_dropped(name):
    # Optax: 0 * log_softmax(-inf) = NaN in the first row; wire drops the term, as Optax's
    # safe_softmax_cross_entropy does; rows without -inf are Optax's
    got = getattr(W, name)(_L, _PL)
    want = np.asarray(jax.jit(getattr(O, name))(jnp.asarray(_L), jnp.asarray(_PL)))
    assert np.isnan(want[0]) and np.isfinite(got).all()
    safe = np.asarray(O.safe_softmax_cross_entropy(jnp.asarray(_L), jnp.asarray(_PL)))
    np.testing.assert_allclose(W.softmax_cross_entropy(_L, _PL), safe, rtol=1e-14)
    np.testing.assert_allclose(got[1:], want[1:], rtol=1e-14)
    g = wire.grad(lambda a: wire.numpy.sum(getattr(W, name)(a, _PL)))(_L)
    gj = jax.jit(jax.grad(lambda a: jnp.sum(getattr(O, name)(a, jnp.asarray(_PL)))))(
        jnp.asarray(_L))
    np.testing.assert_allclose(g, gj, rtol=1e-12, atol=1e-300)


def test_integer_labels_at_special_logits():
    labels = np.array([1, 0, 2])
    got = W.softmax_cross_entropy_with_integer_labels(_L, labels)
    want = jax.jit(O.softmax_cross_entropy_with_integer_labels)(jnp.asarray(_L), labels)
    np.testing.assert_allclose(got, want, rtol=1e-14)
    assert got[1] == 0.0  # logit 1e4 against -1e4 and 0: no overflow
    g = wire.grad(lambda a: W.softmax_cross_entropy_with_integer_labels(a, labels).sum())(_L)
    gj = jax.jit(jax.grad(lambda a: O.softmax_cross_entropy_with_integer_labels(a, labels).sum()))(
        jnp.asarray(_L))
    np.testing.assert_allclose(g, gj, rtol=1e-12, atol=1e-300)
    with pytest.raises(wire.WireError, match="outside"):
        W.softmax_cross_entropy_with_integer_labels(_L, np.array([0, 3, 0]))


def test_binary_losses_at_labels_0_and_1_and_infinite_logits():
    x = np.array([-np.inf, -1e4, -1.0, 0.0, 0.0, 1e4, np.inf, np.nan])
    y = np.array([0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    for name in ("sigmoid_binary_cross_entropy", "sigmoid_focal_loss", "sparsemax_loss"):
        lab = y if name != "sparsemax_loss" else y.astype(int)
        got = getattr(W, name)(x, lab)
        want = np.asarray(jax.jit(getattr(O, name))(jnp.asarray(x), jnp.asarray(lab)))
        # the limit where Optax has 0 * inf = NaN (a right answer at an infinite logit)
        assert got[0] == 0.0 and got[6] == 0.0, (name, got)
        assert np.isnan(got[-1])
        np.testing.assert_allclose(got[1:6], want[1:6], rtol=1e-14)
        g = wire.grad(lambda a: wire.numpy.sum(getattr(W, name)(a, lab)[:-1]))(x)
        gj = jax.jit(jax.grad(lambda a: jnp.sum(getattr(O, name)(a, jnp.asarray(lab))[:-1])))(
            jnp.asarray(x))
        assert g[0] == 0.0 and g[6] == 0.0
        np.testing.assert_allclose(g[1:6], gj[1:6], rtol=1e-12, atol=1e-300)


def test_kl_divergences_at_zero_targets_over_zero_predictions():
    lp = np.log(np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]))
    t = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for got in (W.kl_divergence(lp, t), W.kl_divergence_with_log_targets(lp, np.log(t))):
            np.testing.assert_allclose(got, [np.log(2.0), 0.0], rtol=1e-15)  # Optax: NaN
        g = wire.grad(lambda a: W.kl_divergence(a, t).sum())(lp)
    np.testing.assert_array_equal(g, -t)


def test_log_cosh_keeps_its_digits_near_zero():
    d = np.array([1e-9, 1e-5, 3e-3, 0.2, 0.9, 1.0, 1.1, 5.0, 50.0, 800.0])
    with mpmath.workdps(40):
        want = np.array([float(mpmath.log(mpmath.cosh(mpmath.mpf(v)))) for v in d])
    np.testing.assert_allclose(W.log_cosh(d), want, rtol=4e-16)
    np.testing.assert_allclose(W.log_cosh(d.astype(np.float32)), want, rtol=4e-7)
    np.testing.assert_allclose(wire.elementwise_grad(W.log_cosh)(d), np.tanh(d), rtol=4e-16)
    # Optax's logaddexp(d, -d) - log 2 has nothing left at 1e-9
    assert float(O.log_cosh(jnp.asarray(1e-9))) == 0.0
    assert W.log_cosh(np.array([np.inf, -np.inf]))[0] == np.inf


def test_top_level_aliases_as_optax():
    for name in ("l2_loss", "squared_error", "huber_loss", "log_cosh", "softmax_cross_entropy",
                 "softmax_cross_entropy_with_integer_labels", "sigmoid_binary_cross_entropy",
                 "kl_divergence", "cosine_similarity", "ctc_loss", "ntxent", "smooth_labels"):
        assert hasattr(optax, name)
        assert getattr(wire.optim, name) is getattr(W, name)


def test_nn_losses_are_the_same_numerics():
    # one implementation: nn's mean reduction over optim.losses' per-example values
    np.testing.assert_allclose(nn.softmax_cross_entropy_onehot(_X, _P),
                               W.softmax_cross_entropy(_X, _P).mean(), rtol=1e-15)
    np.testing.assert_allclose(nn.binary_cross_entropy_with_logits(_X, _P),
                               W.sigmoid_binary_cross_entropy(_X, _P).mean(), rtol=1e-15)
    np.testing.assert_allclose(nn.softmax_cross_entropy(_X, _I),
                               W.softmax_cross_entropy_with_integer_labels(_X, _I).mean(),
                               rtol=1e-15)


def test_losses_reject_integer_logits():
    with pytest.raises(wire.WireError, match="floating"):
        W.softmax_cross_entropy(np.zeros((1, 2), int), np.ones((1, 2)))
    with pytest.raises(wire.WireError, match="integer"):
        W.softmax_cross_entropy_with_integer_labels(np.zeros((1, 2)), np.zeros(1))


def test_losses_jit():
    f = wire.jit(lambda x, y: W.softmax_cross_entropy_with_integer_labels(x, y).sum()
                 + W.sigmoid_binary_cross_entropy(x, x > 0).sum())
    want = (W.softmax_cross_entropy_with_integer_labels(_X, _I).sum()
            + W.sigmoid_binary_cross_entropy(_X, _X > 0).sum())
    np.testing.assert_allclose(f(_X, _I), want, rtol=1e-14)
