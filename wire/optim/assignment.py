"""``wire.optim.assignment``: the linear assignment problem, as ``optax.assignment``.

>>> import numpy as np
>>> from wire.optim import assignment
>>> i, j = assignment.hungarian_algorithm(np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0],
...                                                 [3.0, 2.0, 2.0]]))
>>> i, j
(array([0, 1, 2]), array([1, 0, 2]))
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, WireTypeError, WireValueError, at, user_location
from ..tracebacks import expose

__all__ = ["hungarian_algorithm", "base_hungarian_algorithm"]


def _known_value(x):
    try:
        return np.asarray(x)
    except WireTypeError:  # a tracer without a value refuses np.asarray
        return None


def _solve(c):
    """Shortest augmenting paths with potentials (O(n² m)) for ``n <= m`` rows: the column
    assigned to each row, as ``p[column] = row + 1`` (0 for a free column)."""
    n, m = c.shape
    inf = np.inf
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    p, way = np.zeros(m + 1, np.int64), np.zeros(m + 1, np.int64)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, inf)
        used = np.zeros(m + 1, bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            cur = c[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (cur < minv[1:])
            minv[1:] = np.where(better, cur, minv[1:])
            way[1:] = np.where(better, j0, way[1:])
            cand = np.where(free, minv[1:], inf)
            j1 = int(np.argmin(cand)) + 1
            delta = cand[j1 - 1]
            u[p[used]] += delta
            v[used] -= delta
            minv[1:] = np.where(free, minv[1:] - delta, minv[1:])
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return p


def hungarian_algorithm(cost_matrix):
    """An assignment of rows to columns of minimal total cost, ``min(n, m)`` pairs, as two
    integer arrays ``(i, j)``: row ``i[k]`` goes with column ``j[k]``, in order of rows
    (``optax.assignment.hungarian_algorithm``'s pairs; Optax lists them in an order of its
    search, its ``base_hungarian_algorithm`` and SciPy's ``linear_sum_assignment`` by row, as
    here). Where several assignments are optimal, any one of them may come (their costs are
    equal). The cost matrix must be concrete (its values decide the
    result, which has no derivative) and free of NaN and infinities.

    >>> hungarian_algorithm(np.array([[1.0, 0.0, 5.0], [0.0, 1.0, 5.0]]))
    (array([0, 1]), array([1, 0]))
    """
    c = _known_value(cost_matrix)
    if c is None:
        raise WireValueError("hungarian_algorithm needs a concrete cost matrix (call it "
                             "outside wire.jit / grad)" + at(user_location()))
    c = np.asarray(c, dtype=np.float64)
    if c.ndim != 2:
        raise ShapeError(f"hungarian_algorithm: the cost matrix must be 2-d, got shape "
                         f"{c.shape}{at(user_location())}")
    if not np.isfinite(c).all():
        raise WireValueError("hungarian_algorithm: the cost matrix has NaN or infinite "
                             "entries" + at(user_location()))
    n, m = c.shape
    if n == 0 or m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    transpose = n > m
    p = _solve(c.T if transpose else c)
    cols = np.nonzero(p[1:])[0]
    rows = p[1:][cols] - 1
    if transpose:
        rows, cols = cols, rows
    order = np.argsort(rows, kind="stable")
    return rows[order], cols[order]


def base_hungarian_algorithm(cost_matrix):
    """:func:`hungarian_algorithm` (Optax's name of its unbatched core).

    >>> base_hungarian_algorithm(np.eye(2))
    (array([0, 1]), array([1, 0]))
    """
    return hungarian_algorithm(cost_matrix)


expose(globals(), __all__)
