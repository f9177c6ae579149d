"""Functions written with plain ``import numpy as np`` — no wire imports in their bodies —
differentiated by ``wire.grad`` unchanged (NumPy's dispatch protocols route every call to
wire.numpy), checked against central finite differences."""

import numpy as np
import pytest

import wire
from wire.testing import check_grads

R = np.random.default_rng(1)


# ----------------------------------------------------------------- plain NumPy code under test


def softmax_classifier_loss(W, X, y):
    logits = X @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(X.shape[0]), y])


def gaussian_log_likelihood(L, X):
    cov = L @ L.T + np.eye(L.shape[0])
    _, logdet = np.linalg.slogdet(cov)
    sol = np.linalg.solve(cov, X.T)
    n, d = X.shape
    return -0.5 * (np.sum(X.T * sol) + n * logdet + n * d * np.log(2 * np.pi))


def spline_energy(points):
    d2 = np.diff(points, n=2, axis=0)
    return np.sum(d2**2) + 0.1 * np.sum(np.diff(points, axis=0) ** 2)


def fft_convolution(signal, kernel):
    n = signal.shape[0] + kernel.shape[0] - 1
    spectrum = np.fft.rfft(signal, n) * np.fft.rfft(kernel, n)
    out = np.fft.irfft(spectrum, n)
    return np.sum(out**2)


def logsumexp_loss(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def einsum_attention(q, k, v):
    scores = np.einsum("qd,kd->qk", q, k) / np.sqrt(q.shape[-1])
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    return np.sum(np.einsum("qk,kd->qd", w, v) ** 2)


def cumulative_returns(r):
    wealth = np.cumprod(1.0 + r)
    running = np.cumsum(r) / np.arange(1, r.shape[0] + 1)
    return np.sum(wealth) + np.sum(running**2)


def trimmed_mean(x):
    s = np.sort(x)
    k = x.shape[0] // 5
    return np.mean(s[k:-k])


def stencil_smoothness(u):
    padded = np.pad(u, 1, mode="edge")
    lap = np.roll(padded, 1) + np.roll(padded, -1) - 2 * padded
    return np.sum(lap[1:-1] ** 2)


def norm_regularized(w, X, y):
    resid = X @ w - y
    return np.linalg.norm(resid) ** 2 + 0.1 * np.linalg.norm(w, 1) + 0.01 * np.linalg.norm(
        np.outer(w, w), "fro"
    )


def cholesky_quadratic(A, b):
    L = np.linalg.cholesky(A @ A.T + 3 * np.eye(A.shape[0]))
    z = np.linalg.solve(L, b)
    return np.dot(z, z) + 2 * np.sum(np.log(np.diag(L)))


def polynomial_fit(coeffs, t, y):
    V = np.stack([t**k for k in range(coeffs.shape[0])], axis=1)
    pred = V @ coeffs
    return np.mean((pred - y) ** 2) + np.trace(np.outer(coeffs, coeffs))


def robust_median_loss(x):
    return np.median(np.abs(x - np.mean(x))) + np.percentile(x, 75)


def tanh_rnn(W, xs):
    h = np.zeros(W.shape[0])
    for x in xs:
        h = np.tanh(W @ h + x)
    return np.sum(h**2)


# ----------------------------------------------------------------- the tests

CASES = [
    ("softmax_classifier", softmax_classifier_loss, (R.normal(size=(4, 3)), R.normal(size=(6, 4)),
                                                      R.integers(0, 3, size=6)), 0),
    ("gaussian_loglik", gaussian_log_likelihood, (R.normal(size=(3, 3)), R.normal(size=(5, 3))), 0),
    ("spline_energy", spline_energy, (R.normal(size=(6, 2)),), 0),
    ("fft_convolution", fft_convolution, (R.normal(size=7), R.normal(size=3)), (0, 1)),
    ("logsumexp", logsumexp_loss, (R.normal(size=5),), 0),
    ("einsum_attention", einsum_attention, (R.normal(size=(3, 4)), R.normal(size=(5, 4)),
                                            R.normal(size=(5, 2))), (0, 1, 2)),
    ("cumulative", cumulative_returns, (R.normal(size=6) * 0.1,), 0),
    ("trimmed_mean", trimmed_mean, (R.normal(size=10),), 0),
    ("stencil", stencil_smoothness, (R.normal(size=8),), 0),
    ("norm_regularized", norm_regularized, (R.normal(size=3), R.normal(size=(5, 3)),
                                            R.normal(size=5)), 0),
    ("cholesky_quadratic", cholesky_quadratic, (R.normal(size=(3, 3)), R.normal(size=3)), (0, 1)),
    ("polynomial_fit", polynomial_fit, (R.normal(size=3), R.normal(size=6), R.normal(size=6)), 0),
    ("robust_median", robust_median_loss, (R.normal(size=9),), 0),
    ("tanh_rnn", tanh_rnn, (R.normal(size=(3, 3)) * 0.5, R.normal(size=(4, 3))), 0),
]


def _numerical_grad(f, args, argnum, eps=1e-6):
    x = np.asarray(args[argnum], dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        hi = list(args)
        lo = list(args)
        hi[argnum], lo[argnum] = x + e, x - e
        g[i] = (f(*hi) - f(*lo)) / (2 * eps)
    return g


@pytest.mark.parametrize("name,f,args,argnums", CASES, ids=[c[0] for c in CASES])
def test_plain_numpy_function_gradients(name, f, args, argnums):
    grads = wire.grad(f, argnums=argnums)(*args)
    nums = (argnums,) if isinstance(argnums, int) else argnums
    grads = (grads,) if isinstance(argnums, int) else grads
    for a, g in zip(nums, grads):
        np.testing.assert_allclose(g, _numerical_grad(f, args, a), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,f,args,argnums", CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_plain_numpy_second_order(name, f, args, argnums):
    nums = (argnums,) if isinstance(argnums, int) else argnums
    fixed = list(args)

    def of_diff(*xs):
        full = list(fixed)
        for a, x in zip(nums, xs):
            full[a] = x
        return f(*full)

    check_grads(of_diff, tuple(args[a] for a in nums), order=2, modes=("rev",), rtol=1e-4, atol=1e-5)


def test_value_is_unchanged_by_tracing():
    for name, f, args, _ in CASES:
        np.testing.assert_allclose(wire.evaluate(wire.trace(f, *args), *args),
                                   f(*args), rtol=1e-10, err_msg=name)
