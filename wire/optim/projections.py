"""``wire.optim.projections``: Euclidean projections of pytrees onto convex sets, as
``optax.projections`` names them (for projected gradient descent: step, then project).

>>> import numpy as np
>>> from wire.optim import projections
>>> projections.projection_simplex(np.array([0.5, 2.0, -1.0]))
array([0., 1., 0.])
>>> projections.projection_l2_ball({"w": np.array([3.0, 4.0])})
{'w': array([0.6, 0.8])}
"""

from __future__ import annotations

import numpy as np

from .. import numpy as wnp
from .. import tree as wtree
from ..tracebacks import expose
from .transforms import global_norm

__all__ = ["projection_non_negative", "projection_box", "projection_hypercube",
           "projection_simplex", "projection_l1_sphere", "projection_l1_ball",
           "projection_l2_sphere", "projection_l2_ball", "projection_linf_ball",
           "projection_vector", "projection_hyperplane", "projection_halfspace"]


def _dtype(x):
    dt = getattr(x, "dtype", None)
    return np.dtype(dt) if dt is not None else np.asarray(x).dtype


def _vdot(a, b):
    return sum(wnp.sum(wnp.conj(x) * y) for x, y in zip(wtree.leaves(a), wtree.leaves(b)))


def _scale(s, tree):
    return wtree.map(lambda x: wnp.asarray(s, _dtype(x)) * x, tree)


def projection_non_negative(tree):
    """``max(x, 0)`` leaf by leaf (``optax.projections.projection_non_negative``).

    >>> projection_non_negative(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    return wtree.map(lambda x: wnp.maximum(x, 0), tree)


def projection_box(tree, lower, upper):
    """``clip(x, lower, upper)`` leaf by leaf; ``lower``/``upper`` are scalars or trees of
    the same structure (``optax.projections.projection_box``).

    >>> projection_box(np.array([-1.0, 0.5, 2.0]), 0.0, 1.0)
    array([0. , 0.5, 1. ])
    """
    if wtree.structure(lower) != wtree.structure(tree):
        lower = wtree.map(lambda _: lower, tree)
    if wtree.structure(upper) != wtree.structure(tree):
        upper = wtree.map(lambda _: upper, tree)
    return wtree.map(lambda x, lo, hi: wnp.clip(x, lo, hi), tree, lower, upper)


def projection_hypercube(tree, scale=1):
    """The box ``[0, scale]`` (``optax.projections.projection_hypercube``).

    >>> projection_hypercube(np.array([-1.0, 0.5, 2.0]))
    array([0. , 0.5, 1. ])
    """
    return projection_box(tree, lower=0, upper=scale)


def simplex_last_axis(v):
    """Projection of each row (last axis) of ``v`` onto the probability simplex (Duchi et
    al.'s sort and threshold). Its derivative, through the sort, is the projection's
    Jacobian ``diag(s) - s sᵀ / |s|`` on the support ``s`` (Optax's custom rule).

    >>> simplex_last_axis(np.array([[0.0, 0.0], [3.0, 0.0]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    u = -wnp.sort(-v, axis=-1)
    css = wnp.cumsum(u, axis=-1)
    n = tuple(wnp.shape(v))[-1]
    dt = _dtype(v) if _dtype(v).kind == "f" else np.dtype(np.float64)
    ind = np.arange(1, n + 1, dtype=dt)
    cond = 1.0 / ind + (u - css / ind) > 0
    k = wnp.maximum(wnp.sum(cond, axis=-1, keepdims=True), 1)
    top = wnp.take_along_axis(css, wnp.asarray(k - 1, np.int64), axis=-1)
    kf = wnp.asarray(k, dt)
    # a ``where`` on the support, not ``maximum``: at an entry on the simplex's boundary
    # (v_i - tau = 0: projecting a point with a zero entry, a vertex) maximum's tie rule gave
    # the entry half a derivative while tau was computed without it, a Jacobian whose
    # columns did not sum to 0 though the projection always sums to 1
    y = 1.0 / kf + (v - top / kf)
    return wnp.where(y <= 0, wnp.zeros_like(y), y)      # (a NaN stays NaN)


def projection_simplex(tree, scale=1):
    """Projection onto ``{x >= 0, sum of all leaves' entries = scale}``, the leaves taken
    as one vector (``optax.projections.projection_simplex``).

    >>> projection_simplex({"a": np.array([1.0]), "b": np.array([1.0, -1.0])}, scale=2.0)
    {'a': array([1.]), 'b': array([1., 0.])}
    """
    flat, unravel = wtree.ravel(tree)
    s = wnp.asarray(scale, _dtype(flat))
    return unravel(s * simplex_last_axis(flat / s))


def projection_l1_sphere(tree, scale=1):
    """Projection onto the sphere ``{||x||_1 = scale}`` (``optax.projections.
    projection_l1_sphere``).

    >>> projection_l1_sphere(np.array([2.0, -1.0]))
    array([ 1., -0.])
    """
    mag = projection_simplex(wtree.map(wnp.abs, tree), scale)
    return wtree.map(lambda x, m: wnp.sign(x) * m, tree, mag)


def projection_l1_ball(tree, scale=1):
    """Projection onto the ball ``{||x||_1 <= scale}`` (``optax.projections.
    projection_l1_ball``): the point itself inside, the sphere's projection outside (a
    ``where`` selection, so it traces).

    >>> projection_l1_ball(np.array([0.2, -0.3])), projection_l1_ball(np.array([2.0, -1.0]))
    (array([ 0.2, -0.3]), array([ 1., -0.]))
    """
    l1 = sum(wnp.sum(wnp.abs(x)) for x in wtree.leaves(tree))
    inside = l1 <= scale
    sphere = projection_l1_sphere(tree, scale)
    return wtree.map(lambda x, y: wnp.where(inside, x, y), tree, sphere)


def projection_l2_sphere(tree, scale=1):
    """``scale * x / ||x||`` (``optax.projections.projection_l2_sphere``).

    >>> projection_l2_sphere(np.array([3.0, 4.0]), 10.0)
    array([6., 8.])
    """
    return _scale(scale / global_norm(tree), tree)


def projection_l2_ball(tree, scale=1):
    """Projection onto ``{||x|| <= scale}`` (``optax.projections.projection_l2_ball``).

    >>> projection_l2_ball(np.array([0.3, 0.4])), projection_l2_ball(np.array([3.0, 4.0]))
    (array([0.3, 0.4]), array([0.6, 0.8]))
    """
    sq = global_norm(tree) ** 2
    return _scale(scale / wnp.sqrt(wnp.maximum(sq, scale ** 2)), tree)


def projection_linf_ball(tree, scale=1):
    """The box ``[-scale, scale]`` (``optax.projections.projection_linf_ball``).

    >>> projection_linf_ball(np.array([-3.0, 0.5]))
    array([-1. ,  0.5])
    """
    return projection_box(tree, lower=-scale, upper=scale)


def projection_vector(x, a):
    """Projection of ``x`` onto the line spanned by ``a`` (``optax.projections.
    projection_vector``).

    >>> projection_vector(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([1., 0.])
    """
    return _scale(_vdot(x, a) / _vdot(a, a), a)


def projection_hyperplane(x, a, b):
    """Projection onto ``{y: <a, y> = b}`` (``optax.projections.projection_hyperplane``).

    >>> projection_hyperplane(np.array([1.0, 2.0]), np.array([1.0, 0.0]), 3.0)
    array([3., 2.])
    """
    s = (b - _vdot(x, a)) / _vdot(a, a)
    return wtree.map(lambda xi, ai: xi + wnp.asarray(s, _dtype(xi)) * ai, x, a)


def projection_halfspace(x, a, b):
    """Projection onto ``{y: <a, y> <= b}`` (``optax.projections.projection_halfspace``).

    >>> projection_halfspace(np.array([1.0, 2.0]), np.array([1.0, 0.0]), 3.0)
    array([1., 2.])
    """
    s = wnp.minimum((b - _vdot(x, a)) / _vdot(a, a), 0)
    return wtree.map(lambda xi, ai: xi + wnp.asarray(s, _dtype(xi)) * ai, x, a)


expose(globals(), __all__)
