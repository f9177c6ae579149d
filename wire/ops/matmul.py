"""Linear-algebra primitives: batched matrix multiplication, NumPy's ``matmul`` (a vector
operand is a row or column matrix whose unit axis leaves the result). Its transposes use
``swapaxes``, which works even when the rank is unknown, so the seed-style ``wire.var`` API can
differentiate products too.

Vector operands are part of the primitive rather than reshapes around it: ``dot(x, w)`` of a
vector is one node (one bind in every eager re-trace, not three), computed by NumPy's own
vector kernels. Its derivative rules see the vector as the row (column) matrix and reshape
back, so derivative graphs are those of the matrix product."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import make_aval
from ..core.taylor import BILINEAR
from ..core.primitive import Primitive, broadcast_shapes
from ..core import Tracer, bind
from ..core.lowering import Emitter, call_expr, xp_function
from ..core.formula import ARRAYS_ONLY
from .elementwise import mul
from .layout import example_ndim, expand_rank, reshape, shape_of, swapaxes, to_front, transpose


def _matmul_shape(a, b):
    if a.ndim < 1 or b.ndim < 1:
        raise ShapeError(f"matmul primitive needs operands of rank >= 1, got {a!r} and {b!r}")
    sa = a.shape if a.ndim > 1 else (1,) + a.shape  # (a vector: a row matrix ...
    sb = b.shape if b.ndim > 1 else b.shape + (1,)  # ... or a column matrix)
    if sa[-1] != sb[-2]:
        raise ShapeError(
            f"matmul: contracting dimension {sa[-1]} of {a!r} does not match "
            f"{sb[-2]} of {b!r}"
        )
    batch = broadcast_shapes(sa[:-2], sb[:-2], op="matmul batch dimensions")
    dt = a.dtype if a.dtype is b.dtype else np.result_type(a.dtype, b.dtype)
    return make_aval(batch + sa[-2:-1] * (a.ndim > 1) + sb[-1:] * (b.ndim > 1), dt)


def _mT(x):
    return swapaxes(x, -1, -2)


def _is_vector(v) -> bool:
    """Whether ``v`` is known to be a vector (an unshaped ``wire.var`` is taken as a matrix)."""
    s = v.shape if isinstance(v, Tracer) else np.shape(v)
    return s is not None and len(s) == 1


def _as_matrix(v, column: bool):
    """A vector operand as the row (``column=False``) or column matrix ``matmul`` sees."""
    n = shape_of(v)[0]
    return reshape(v, (n, 1) if column else (1, n))


def _matrix_cotangent(ct, x, y):
    """``ct``, the cotangent of ``x @ y`` where one or both are vectors, with the unit axes of
    the vectors' matrices put back: the cotangent of the matrix product."""
    s = shape_of(ct)
    if _is_vector(x):
        s = s + (1,) if _is_vector(y) else s[:-1] + (1,) + s[-1:]
    return reshape(ct, s + (1,) if _is_vector(y) else s)


def _cotangent_product(a, b):
    """``a @ b`` in a derivative rule; where the contraction is known to have length 1 (the
    weight gradient of a vector's product: an outer product) each entry is one product,
    ``a * b`` broadcast, exact and with its sign of zero, where BLAS's matmul adds it onto
    ``+0.0`` (JAX's gradient keeps the ``-0.0``, and so does the batched rule below)."""
    sa = a.shape if isinstance(a, Tracer) else np.shape(a)
    if sa is not None and len(sa) >= 2 and sa[-1] == 1:
        return mul(a, b)
    return matmul(a, b)


def _matmul_vjp_x(ct, out, x, y):
    vx, vy = _is_vector(x), _is_vector(y)
    if not (vx or vy):
        return _cotangent_product(ct, _mT(y))
    ct_x = _cotangent_product(_matrix_cotangent(ct, x, y), _mT(_as_matrix(y, True) if vy else y))
    if not vx:
        return ct_x
    s = shape_of(ct_x)  # (batch axes stay: the transform sums them away, as for any broadcast)
    return reshape(ct_x, s[:-2] + s[-1:])  # the row's unit axis dropped


def _matmul_vjp_y(ct, out, x, y):
    vx, vy = _is_vector(x), _is_vector(y)
    if not (vx or vy):
        return _cotangent_product(_mT(x), ct)
    ct_y = _cotangent_product(_mT(_as_matrix(x, False) if vx else x), _matrix_cotangent(ct, x, y))
    return reshape(ct_y, shape_of(ct_y)[:-1]) if vy else ct_y  # the column's unit axis dropped


def _matmul_jvp(ts, out, x, y):
    tx, ty = ts
    if tx is None:
        return matmul(x, ty)
    if ty is None:
        return matmul(tx, y)
    return matmul(tx, y) + matmul(x, ty)


def _matmul_sample(rng):
    return [rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 2))], {}


# --------------------------------------------------------------------------- batching


def matmul_batch(args, dims):
    """Batched ``matmul`` (NumPy batch broadcasting; vector examples as row or column matrices).

    When one side is an unbatched matrix the batch folds into the other's rows (or columns),
    so the whole batch is a single matrix product; otherwise batch axes go in front.
    """
    (a, b), (da, db) = args, dims
    ra, rb = example_ndim(a, da), example_ndim(b, db)
    if ra == 1 or rb == 1:
        return _vector_batch(a, b, da, db, ra == 1, rb == 1)
    sa, sb = shape_of(a), shape_of(b)
    if db is None and rb == 2 and da != len(sa) - 1:
        # rows of a (any leading axes, the batch among them) times one matrix
        out = matmul(reshape(a, (int(np.prod(sa[:-1])), sa[-1])), b)
        return reshape(out, sa[:-1] + (sb[-1],)), da
    if da is None and ra == 2 and len(sa) == 2:
        # one matrix times every column of every example: put the contracted axis of b first
        # and fold all its other axes (the batch among them) into columns, so the whole batch
        # is one (m, k) @ (k, R) product instead of a stack of matrix-vector products
        nb = len(sb)
        k_axis = [i for i in range(nb) if i != db][-2]
        rest = [i for i in range(nb) if i != k_axis]
        bt = transpose(b, (k_axis, *rest))
        cols = int(np.prod([sb[i] for i in rest], dtype=np.int64))
        out = matmul(a, reshape(bt, (sb[k_axis], cols)))
        out = reshape(out, (sa[0],) + tuple(sb[i] for i in rest))
        back = tuple(range(1, k_axis + 1)) + (0,) + tuple(range(k_axis + 1, nb))
        return transpose(out, back), db
    stack = max(ra, rb) - 2
    a = a if da is None else expand_rank(to_front(a, da), stack + 2)
    b = b if db is None else expand_rank(to_front(b, db), stack + 2)
    if shape_of(a)[-1] == 1:
        # a contraction of size 1 is an outer product: NumPy broadcasts a multiply faster
        # than it runs a stack of rank-1 matrix products (per-example weight gradients)
        return mul(a, b), 0
    return matmul(a, b), 0


def _vector_batch(a, b, da, db, va: bool, vb: bool):
    """:func:`matmul_batch` where an example operand is a vector: the batch of its row
    (column) matrices, multiplied as matrices, with the unit axes dropped again."""
    def as_matrices(v, d, column: bool):
        if d is None:
            return _as_matrix(v, column), None
        v = to_front(v, d)
        s = shape_of(v)
        return reshape(v, s + (1,) if column else s[:1] + (1,) + s[1:]), 0

    if va:
        a, da = as_matrices(a, da, False)
    if vb:
        b, db = as_matrices(b, db, True)
    out, d = matmul_batch((a, b), (da, db))
    out = to_front(out, d)
    s = shape_of(out)
    if vb:
        s = s[:-1]
    if va:
        s = s[:-2] + s[-1:] if not vb else s[:-1]
    return reshape(out, s), 0


def _matmul_expr(ctx, node, args, out):
    # np.matmul, as the primitive's impl: np.dot's 1x1 products skip the +0.0 start of
    # matmul's sums, so dot([[0.0]], [[-0.0]]) is -0.0 where matmul gives 0.0; `out`: a
    # buffer of the result's shape and dtype (BLAS writes into it as into a fresh array)
    return call_expr(ctx.bind_numpy(np.matmul), args, out)


matmul_p = Primitive(
    "matmul",
    np.matmul,
    _matmul_shape,
    vjp=lambda ct, out, x, y: (_matmul_vjp_x(ct, out, x, y), _matmul_vjp_y(ct, out, x, y)),
    vjp_parts=(_matmul_vjp_x, _matmul_vjp_y),
    jvp=_matmul_jvp,
    batch=matmul_batch,
    emit=Emitter(_matmul_expr, "fresh", reads_transposes=True, writes_out=True),
    xp=xp_function("matmul"),
    sample=_matmul_sample,
    doc="batched matrix product, NumPy's matmul (vector operands; batch dimensions broadcast)",
    sympy=ARRAYS_ONLY,
    taylor=BILINEAR,
)


def matmul(x, y):
    return bind(matmul_p, x, y)
