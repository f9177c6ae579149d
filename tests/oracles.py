"""Comparisons the oracle tests share: exact agreement with NumPy (dtype, shape, NaN, signed
zeros), closeness of two pytrees of results (wire's against JAX's) and of a float to a
high-precision (mpmath) value."""

import math
from collections import Counter

import numpy as np

import wire


def exact_difference(want, got):
    """None where ``got`` is ``want`` exactly (shape, dtype, values with NaN equal to NaN, and
    the signs of float zeros); else a sentence saying what differs.

    >>> exact_difference(np.array([0.0]), np.array([-0.0]))
    'signs of zero: array([0.]) expected, got array([-0.])'
    """
    want, got = np.asarray(want), np.asarray(got)
    if (want.shape, want.dtype) != (got.shape, got.dtype):
        return f"{want.dtype}{want.shape} expected, got {got.dtype}{got.shape}"
    if want.dtype.kind == "V":  # float0: no values, only a shape
        return None
    if not np.array_equal(want, got, equal_nan=want.dtype.kind in "fc"):
        return f"{want!r} expected, got {got!r}"
    zeros = want == 0
    if want.dtype.kind == "f" and (np.signbit(want[zeros]) != np.signbit(got[zeros])).any():
        return f"signs of zero: {want!r} expected, got {got!r}"
    return None


def assert_trees_close(got, want, rtol=1e-10, atol=1e-12, same_dtype=True):
    """Equal pytree structure (as JAX flattens them) and leaf shapes, dtypes (``same_dtype``;
    else only their kinds), and values to ``rtol``/``atol``, NaN equal to NaN."""
    import jax

    g_leaves, g_tree = jax.tree_util.tree_flatten(got)
    w_leaves, w_tree = jax.tree_util.tree_flatten(want)
    assert g_tree == w_tree, (g_tree, w_tree)
    for g, w in zip(g_leaves, w_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        if same_dtype:
            assert g.dtype == w.dtype, (g.dtype, w.dtype)
        else:
            assert g.dtype.kind == w.dtype.kind, (g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def assert_normwise_close(got, want, tol, dtype, what=None):
    """``max|got - want| <= tol * max|want|`` plus two of ``dtype``'s subnormal spacings:
    a component that cancels to about 0 is judged against its neighbours, and float16
    subnormals (spaced 6e-8) by their spacing."""
    got64, want64 = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = float(np.max(np.abs(want64)))
    err = float(np.max(np.abs(got64 - want64)))
    assert err <= tol * scale + 2 * float(np.finfo(dtype).smallest_subnormal), (what, got, want)


class DifferenceReport:
    """What a differential test compared, and its differences by class: ``compared`` counts
    entries, ``classes`` counts differences by their explanation, ``unexplained`` lists the
    differences no explanation covers (a test asserts it is empty).

    ``known`` maps a check's label to the reason a bit difference there is known and not the
    subject of the test (counted, not listed).

    >>> r = DifferenceReport()
    >>> r.bit("jit f", [np.array([0.0])], [np.array([-0.0])])
    >>> r.compared, r.classes["wire: jit"], len(r.unexplained)
    (1, 1, 1)
    """

    def __init__(self, known=None):
        self.compared = 0
        self.classes = Counter()
        self.unexplained = []
        self.known = known or {}

    def bit(self, what, want, got):
        """Each of ``got``'s arrays must be ``want``'s to the bit (wire against itself, or
        NumPy's value); ``want`` and ``got`` are sequences of arrays."""
        for w, g in zip(want, got):
            w = np.asarray(w)
            self.compared += max(w.size, 1)
            d = exact_difference(w, g)
            if d is None:
                continue
            if what in self.known:
                self.classes["known, not in this test's subject: " + self.known[what]] += 1
            else:
                self.differ(what, "wire: " + what.split(" ")[0], d[:400], listed=True)

    def differ(self, what, cls, detail, listed=False):
        """One difference of class ``cls`` (None: unexplained, and listed with ``detail``;
        ``listed``: listed even though it has a class)."""
        self.classes[cls or "unexplained"] += 1
        if cls is None or listed:
            self.unexplained.append(f"{what}: {detail}")


def as_float(want) -> float:
    """``want`` (an mpmath number or a float) as the float64 it rounds to: NaN, ±inf beyond
    float64's range.

    >>> as_float(2 ** 1200), as_float(-1.5)
    (inf, -1.5)
    """
    if want != want:
        return math.nan
    if abs(want) > 2 ** 1100:
        return math.inf if want > 0 else -math.inf
    return float(want)


def close_to(got, want, rel, dtype=np.float64) -> bool:
    """Whether the scalar ``got`` is ``want`` (an mpmath number or float; rounded to ``dtype``
    first) within ``rel`` relative: NaN, infinities and zeros exactly, and where ``want``
    underflows ``dtype``, 0 or a subnormal (never NaN).

    >>> close_to(1.0 + 2e-16, 1.0, 1e-15), close_to(0.0, 1e-320, 1e-15), close_to(1.0, math.inf, 1.0)
    (True, True, False)
    """
    info = np.finfo(dtype)
    g = float(got)
    w = as_float(want)
    if dtype != np.float64 and math.isfinite(w):
        w = float(dtype(w)) if abs(w) < float(info.max) else math.copysign(math.inf, w)
    if math.isnan(w):
        return math.isnan(g)
    if math.isinf(w) or w == 0.0:
        return g == w
    if abs(w) < float(info.tiny):  # underflows: 0 or a subnormal is right, NaN is not
        return abs(g) <= float(info.tiny)
    return math.isfinite(g) and abs(g - w) <= rel * abs(w)


# ------------------------------------------------------------------ checks of whole programs


def close(got, want, rtol=1e-9, atol=1e-12):
    """``assert_allclose`` of ``got`` and ``want`` as float arrays."""
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=rtol, atol=atol)


def direction(tree, seed=0):
    """A fixed pseudo-random pytree like ``tree`` (to summarise a result by one number)."""
    rng = np.random.default_rng(seed)
    leaves, treedef = wire.tree.flatten(tree)
    return wire.tree.unflatten(treedef, [rng.normal(size=np.shape(v)) for v in leaves])


def summary(tree, seed=0):
    """One number standing for a pytree of results: its dot product with :func:`direction`."""
    d = direction(tree, seed)
    return sum(float(np.sum(np.asarray(x) * np.asarray(y)))
               for x, y in zip(wire.tree.leaves(tree), wire.tree.leaves(d)))


def both(fn):
    """``fn`` as written and under ``wire.jit``."""
    return [fn, wire.jit(fn)]


def jax_x64():
    """JAX with float64 enabled (the test is skipped where JAX is not installed)."""
    import pytest

    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def random_array(rng, shape, dtype):
    """Standard normal entries of ``dtype`` (both parts of a complex one)."""
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)
