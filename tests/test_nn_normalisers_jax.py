"""wire.nn's logsumexp, softmax and log_softmax take jax.nn's arguments with jax.nn's defaults:
``logsumexp`` reduces over every axis unless told (it reduced the last one, silently giving a
vector where JAX gives a number), takes ``b``, ``return_sign`` and ``where``; ``softmax`` and
``log_softmax`` take ``where``. Values and derivatives against jax.nn (x64 and float32), on
rows with ``-inf``, ``inf``, NaN in left-out entries and rows with nothing left; eager, jit,
vmap."""

import inspect

import numpy as np
import pytest

import wire
from wire import nn

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnn = jax.nn

X = np.array([[0.5, -1.0, 2.0, 0.0],
              [300.0, 300.0, -np.inf, 1.0],
              [np.nan, 1.0, 2.0, np.inf],
              [-np.inf, -np.inf, -np.inf, -np.inf],
              [1.0, 2.0, 3.0, 4.0]])
WHERE = np.array([[True, True, False, True],
                  [True, False, True, True],
                  [False, True, True, False],
                  [True, True, True, True],
                  [False, False, False, False]])
B = np.array([1.0, 2.0, 0.5, 0.0])


def _same(ours, theirs, rtol):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)


def test_signatures_match_jax():
    for name in ("logsumexp", "softmax", "log_softmax"):
        ours = inspect.signature(getattr(nn, name)).parameters
        theirs = inspect.signature(getattr(jnn, name)).parameters
        for p, q in zip(list(ours.values())[1:], list(theirs.values())[1:]):
            assert (p.name, p.default) == (q.name, q.default), name


def test_logsumexp_reduces_every_axis_by_default():
    x = np.arange(6.0).reshape(2, 3)
    assert np.shape(nn.logsumexp(x)) == ()  # was shape (2,): the last axis only
    np.testing.assert_allclose(nn.logsumexp(x), jnn.logsumexp(x), rtol=1e-15)
    np.testing.assert_allclose(nn.logsumexp(x, axis=-1), jnn.logsumexp(x, axis=-1), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("kw", [dict(axis=-1), dict(axis=-1, b=B), dict(axis=0, keepdims=True),
                                dict(axis=-1, where=WHERE), dict(axis=-1, b=B, where=WHERE),
                                dict(axis=-1, b=B - 0.75, return_sign=True)],
                         ids=["axis", "b", "keepdims", "where", "b+where", "sign"])
def test_logsumexp_matches_jax(kw, dtype):
    x = X.astype(dtype)
    ours, theirs = nn.logsumexp(x, **kw), jnn.logsumexp(x, **kw)
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    for o, t in zip(ours if isinstance(ours, tuple) else (ours,),
                    theirs if isinstance(theirs, tuple) else (theirs,)):
        _same(o, np.asarray(t, dtype=np.asarray(o).dtype), rtol)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_where_matches_jax(name):
    ours = getattr(nn, name)(X, where=WHERE)
    theirs = getattr(jnn, name)(X, where=WHERE)
    _same(ours, theirs, 1e-14)
    # left-out entries: 0 (softmax) or -inf (log_softmax), even where x is NaN or inf
    assert np.all(ours[~WHERE] == (0.0 if name == "softmax" else -np.inf))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_where_derivatives_match_jax_and_are_zero_where_left_out(name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5))
    where = np.array([[True, False, True, True, False],
                      [False, True, True, True, True],
                      [True, True, False, False, True]])
    ct = rng.normal(size=(3, 5)) if name != "logsumexp" else rng.normal(size=3)
    kw = dict(axis=-1, where=where)
    ours = wire.vjp(lambda v: getattr(nn, name)(v, **kw), x)[1](ct)[0]
    theirs = jax.vjp(lambda v: getattr(jnn, name)(v, **kw), x)[1](ct)[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert np.all(ours[~where] == 0.0)
    # jit and vmap give the eager bits
    f = lambda v: getattr(nn, name)(v, **kw)  # noqa: E731
    np.testing.assert_array_equal(wire.jit(f)(x), f(x))
    g = lambda v, w: getattr(nn, name)(v, axis=-1, where=w)  # noqa: E731
    np.testing.assert_array_equal(wire.vmap(g)(x, where), f(x))


def test_scipy_special_logsumexp_takes_jax_where():
    import jax.scipy.special as jss

    import wire.scipy.special as wss

    ours = wss.logsumexp(X, axis=-1, where=WHERE)
    np.testing.assert_allclose(ours, jss.logsumexp(X, axis=-1, where=WHERE), rtol=1e-14)
    g = wire.grad(lambda v: wss.logsumexp(v[0], where=WHERE[0]))(np.nan_to_num(X))
    assert np.all(g[0][~WHERE[0]] == 0.0) and np.all(g[1:] == 0.0)
