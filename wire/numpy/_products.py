"""Products of ``wire.numpy``: matmul, dot, vdot, inner, outer, tensordot — all compositions of
the ``matmul`` primitive (which takes vectors as NumPy's does) with reshapes and transposes."""

from __future__ import annotations

import functools

import numpy as np

from ..errors import ShapeError, WireAxisError, WireValueError, at, user_location
from ..ir import Aval
from ..ops import matmul as L
from ..core import Tracer
from ._axes import normalize_axes
from ._elementwise_composed import conj
from ._math import isfinite, logical_and, where
from ._promote import any_tracer, cast, promote, strong
from ._reductions import any as any_
from ._reductions import sum as sum_
from ._shape import expand_dims, ravel, reshape, transpose

__all__ = ["matmul", "dot", "vdot", "inner", "outer", "tensordot", "vecdot", "matvec", "vecmat"]


def _as_tracer_shape(x):
    return x.shape if isinstance(x, Tracer) else np.shape(x)


def matmul(a, b):
    """Matrix product with NumPy's rules (vectors promoted, batch dimensions broadcast).

    >>> matmul(np.ones((2, 3)), np.ones(3))
    array([3., 3.])
    """
    ta, tb = type(a), type(b)
    if (ta is Tracer or ta is np.ndarray) and (tb is Tracer or tb is np.ndarray) and (
            ta is Tracer or tb is Tracer) and a.dtype is b.dtype and a.dtype.kind == "f":
        sa, sb = a.shape, b.shape  # the common case: arrays of one float dtype
    else:
        if not any_tracer(a, b):
            return np.matmul(a, b)
        a, b = promote(a, b)
        sa, sb = _as_tracer_shape(a), _as_tracer_shape(b)
    if sa is None or sb is None:  # unknown shapes (seed-style vars): assume matrices
        return L.matmul(a, b)
    if len(sa) == 0 or len(sb) == 0:
        raise ShapeError(f"matmul: operands must not be scalars, got shapes {sa} and {sb}{at(user_location())}")
    if sa[-1] != (sb[0] if len(sb) == 1 else sb[-2]):
        raise ShapeError(
            f"matmul: contracting dimension {sa[-1]} of shape {tuple(sa)} does not match "
            f"{sb[0] if len(sb) == 1 else sb[-2]} of shape {tuple(sb)}{at(user_location())}"
        )
    return L.matmul(a, b)  # (vector operands too: one node, NumPy's vector kernels)


_matmul = matmul  # (a private alias is not replaced by the entry point: dot's own call)


def _scaled(a, b, ndim: int):
    """``dot``/``inner`` of a scalar and an array (``ndim``: their ranks summed), as NumPy
    computes it: of one element, or of float16 (NumPy's own loop), their product as it is;
    else (BLAS's axpy onto zeros) the products summed onto ``+0.0`` (``-0.0 * 1`` is
    ``0.0``), and by a zero scalar, zeros throughout (axpy by 0 adds nothing: ``inf * 0`` is
    ``0.0`` there, not NaN).

    >>> _scaled(np.array([np.inf, -1.0]), np.array(0.0), 1)
    array([0., 0.])
    """
    out = a * b
    shape = _as_tracer_shape(out)
    if not ndim or out.dtype.kind not in "fc" or shape is None or \
            int(np.prod(shape, dtype=np.int64)) == 1 or not _blas(np.dtype(out.dtype)):
        return out  # (NumPy's own loop, float16's: the products as they are)
    scalar, array = (a, b) if len(_as_tracer_shape(a)) == 0 else (b, a)
    out = out + 0.0  # (the derivatives: the product's)
    return where((scalar == 0) & ~isfinite(array), np.zeros((), out.dtype), out)


@functools.lru_cache(maxsize=None)
def _blas(dtype: np.dtype) -> bool:
    """Whether NumPy's ``dot`` computes with BLAS in ``dtype`` (float32/64, complex64/128),
    read from its result: BLAS's dot of one element each is their product as it is
    (``-0.0 * 1.0`` stays ``-0.0``), NumPy's own loop (float16) sums it onto ``+0.0``; asked
    of NumPy once per dtype."""
    x = np.full(1, complex(-0.0, -0.0) if dtype.kind == "c" else -0.0, dtype)
    y = np.ones(1, dtype)
    d, p = np.dot(x, y), (x * y)[0]
    return bool(np.signbit(d.real) == np.signbit(p.real) and np.signbit(d.imag) == np.signbit(p.imag))


def _single_product(a, b, shape):
    """NumPy's ``dot`` (and ``tensordot``, ``inner``) of ``a`` and ``b``, one element each, of
    result ``shape``, where that is their product as it is (:func:`_blas`);
    else None (the matmul's sum onto ``+0.0``). A ``matmul`` of them sums there too."""
    sa, sb = _as_tracer_shape(a), _as_tracer_shape(b)
    if sa is None or sb is None or any(d != 1 for d in tuple(sa) + tuple(sb)):
        return None
    a, b = promote(a, b)
    dtype = np.dtype(a.dtype)
    if dtype.kind not in "fc" or not _blas(dtype):
        return None
    return reshape(reshape(a, ()) * reshape(b, ()), shape)


def dot(a, b):
    """NumPy's ``dot``: scalars multiply, 1-D/2-D use matmul, N-D contracts a's last axis with
    b's second-to-last.

    >>> dot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.float64(11.0)
    """
    ta, tb = type(a), type(b)
    if (ta is Tracer or ta is np.ndarray) and (tb is Tracer or tb is np.ndarray) and (
            ta is Tracer or tb is Tracer) and a.dtype is b.dtype and a.dtype.kind == "f":
        # the common case (a script's dot of a vector or matrix of one float dtype, strong
        # types, a contraction longer than 1): the matmul node itself, without the checks
        # below, which it passes (every eager re-trace runs this)
        sa, sb = a.shape, b.shape
        if sa is not None and sb is not None and 0 < len(sa) <= 2 and 0 < len(sb) <= 2 and \
                1 < sa[-1] == sb[len(sb) - 2]:
            return L.matmul(a, b)
    if not any_tracer(a, b):
        return np.dot(a, b)
    a, b = strong(a), strong(b)  # (np.asarray: Python scalars are not weak here)
    na, nb = len(_as_tracer_shape(a)), len(_as_tracer_shape(b))
    if na == 0 or nb == 0:
        return _scaled(a, b, na + nb)
    if nb <= 2:
        if na <= 2:  # (NumPy's BLAS product: both of rank 1 or 2)
            sa, sb = tuple(_as_tracer_shape(a)), tuple(_as_tracer_shape(b))
            out = _single_product(a, b, sa[:-1] + (sb[:-2] + sb[-1:] if nb == 2 else ()))
            if out is not None:
                return out
        return _matmul(a, b)
    return _tensordot(a, b, ([na - 1], [nb - 2]), blas=False)


def vdot(a, b):
    """Dot product of the flattened arrays, conjugating ``a`` when it is complex (NumPy's
    ``vdot``: ``vdot(z, z)`` is ``|z|²``, real and non-negative).

    >>> vdot(np.array([1j, 2.0]), np.array([1j, 2.0]))
    np.complex128(5+0j)
    """
    if not any_tracer(a, b):
        return np.vdot(a, b)
    a, b = promote(ravel(a), ravel(b))
    na, nb = _as_tracer_shape(a)[0], _as_tracer_shape(b)[0]
    if na != nb:
        raise ShapeError(f"vdot: the arrays have {na} and {nb} elements; they must have as "
                         f"many{at(user_location())}")
    if a.dtype.kind == "c":
        a = conj(a)
    return _matmul(a, b)  # (NumPy's vdot of one element sums onto +0.0, unlike its dot)


def inner(a, b):
    """Inner product over the last axes."""
    a, b = strong(a), strong(b)  # (np.asarray: Python scalars are not weak here)
    na, nb = len(_as_tracer_shape(a)), len(_as_tracer_shape(b))
    if na == 0 or nb == 0:
        return _scaled(a, b, na + nb)
    return _tensordot(a, b, ([na - 1], [nb - 1]), blas=na <= 2 and nb <= 2)


def outer(a, b):
    """Outer product of two (flattened) vectors.

    >>> outer(np.array([1.0, 2.0]), np.array([1.0, 0.0, 3.0])).shape
    (2, 3)
    """
    if not any_tracer(a, b):
        return np.outer(a, b)
    a, b = ravel(strong(a)), ravel(strong(b))  # (np.asarray: Python scalars are not weak)
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def tensordot(a, b, axes=2):
    """Sum products over the given axes, NumPy's ``tensordot``.

    >>> tensordot(np.ones((2, 3, 4)), np.ones((3, 4, 5)), axes=2).shape
    (2, 5)
    """
    if not any_tracer(a, b):
        return np.tensordot(a, b, axes)
    return _tensordot(a, b, axes, blas=True)


def _tensordot(a, b, axes, blas: bool):
    """:func:`tensordot`; ``blas``: NumPy computes it as BLAS's product of matrices (its
    ``tensordot``, and ``dot``/``inner`` of arrays of rank 1 or 2), whose product of one
    element each keeps its sign (:func:`_single_product`)."""
    sa, sb = tuple(_as_tracer_shape(a)), tuple(_as_tracer_shape(b))
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(len(sa), len(sb)):  # (NumPy: an IndexError, or a wrong sum)
            raise WireAxisError(f"tensordot: axes={int(axes)} of arrays of rank {len(sa)} and "
                                f"{len(sb)}{at(user_location())}")
        ax_a = list(range(len(sa) - int(axes), len(sa)))
        ax_b = list(range(int(axes)))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    if len(ax_a) != len(ax_b):
        raise WireValueError(f"tensordot: shape-mismatch for sum: {len(ax_a)} axes of a, "
                             f"{len(ax_b)} of b{at(user_location())}")
    ax_a = [normalize_axes(int(i), len(sa))[0] for i in ax_a]  # (out of range: WireAxisError)
    ax_b = [normalize_axes(int(i), len(sb))[0] for i in ax_b]
    for i, j in zip(ax_a, ax_b):
        if sa[i] != sb[j]:
            raise ShapeError(
                f"tensordot: axis {i} of shape {sa} (size {sa[i]}) does not match axis {j} of "
                f"shape {sb} (size {sb[j]}){at(user_location())}"
            )
    free_a = [i for i in range(len(sa)) if i not in ax_a]
    free_b = [j for j in range(len(sb)) if j not in ax_b]
    k = int(np.prod([sa[i] for i in ax_a], dtype=np.int64))
    m = int(np.prod([sa[i] for i in free_a], dtype=np.int64))
    n = int(np.prod([sb[j] for j in free_b], dtype=np.int64))
    shape = tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b)
    out = _single_product(a, b, shape) if blas else None  # (NumPy: a dot of (m, k), (k, n))
    if out is not None:
        return out
    a2 = reshape(transpose(a, free_a + ax_a), (m, k))
    b2 = reshape(transpose(b, ax_b + free_b), (k, n))
    return reshape(matmul(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b))


def vecdot(x1, x2, /, *, axis=-1):
    """Dot product of vectors along ``axis`` (conjugating ``x1``), NumPy 2's ``vecdot``.

    >>> vecdot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.float64(11.0)
    """
    if not any_tracer(x1, x2):
        return np.vecdot(x1, x2, axis=axis)
    return traced_vecdot(x1, x2, axis, "vecdot")


def traced_vecdot(x1, x2, axis, name):
    """``vecdot`` of traced values: the vectors' lengths must agree (a gufunc's core dimension
    does not broadcast); booleans give whether any pair is True both, as NumPy's ``??->?``
    loop (``conj`` would make them int8)."""
    x1, x2 = promote(x1, x2)
    n1 = x1.shape[axis] if x1.ndim else None
    n2 = x2.shape[axis] if x2.ndim else None
    if n1 is None or n2 is None or n1 != n2:
        a1, a2 = (x.aval if isinstance(x, Tracer) else Aval(x.shape, x.dtype) for x in (x1, x2))
        raise ShapeError(f"{name}: the vectors along axis {axis} of {a1!r} and {a2!r} "
                         f"must have one length (NumPy's core dimension does not broadcast)"
                         f"{at(user_location())}")
    if x1.dtype == np.bool_:
        return any_(logical_and(x1, x2), axis=axis)
    out = sum_((conj(x1) if x1.dtype.kind == "c" else x1) * x2, axis=axis)
    # NumPy's vecdot keeps the operands' dtype (int8 stays int8) where sum widens small
    # integers; integer sums wrap modulo 2**bits either way, so the cast gives NumPy's value
    dtype = np.result_type(x1.dtype, x2.dtype)
    return out if out.dtype == dtype else cast(out, dtype)


def _core_dims(name, x1, k1, x2, k2):
    """A gufunc's operands need their core dimensions (a matrix, a vector) themselves: NumPy
    raises where a scalar or a vector would stand in for them, and broadcasting must not."""
    s1, s2 = tuple(_as_tracer_shape(x1)), tuple(_as_tracer_shape(x2))
    if len(s1) < k1 or len(s2) < k2:
        raise ShapeError(f"{name}: expected {'a matrix and a vector' if k1 == 2 else 'a vector and a matrix'}"
                         f" (with batch axes), got shapes {s1} and {s2}{at(user_location())}")
    n1, n2 = s1[-1], s2[-1] if k2 == 1 else s2[-2]
    if n1 != n2:
        raise ShapeError(f"{name}: contracting dimension {n1} of shape {s1} does not match {n2} "
                         f"of shape {s2} (a core dimension does not broadcast){at(user_location())}")


def matvec(x1, x2, /):
    """Matrix-vector product over the last axes, broadcasting the rest (NumPy 2.2's
    ``matvec``).

    >>> matvec(np.eye(2), np.array([1.0, 2.0]))
    array([1., 2.])
    """
    if not any_tracer(x1, x2):
        return np.matvec(x1, x2)
    _core_dims("matvec", x1, 2, x2, 1)
    return matmul(x1, expand_dims(x2, -1))[..., 0]


def vecmat(x1, x2, /):
    """Vector-matrix product (conjugating the vector), NumPy 2.2's ``vecmat``.

    >>> vecmat(np.array([1.0, 2.0]), np.eye(2))
    array([1., 2.])
    """
    if not any_tracer(x1, x2):
        return np.vecmat(x1, x2)
    _core_dims("vecmat", x1, 1, x2, 2)
    x1, x2 = promote(x1, x2)
    if x1.dtype.kind == "c":  # conj of booleans would be int8
        x1 = conj(x1)
    return matmul(expand_dims(x1, -2), x2)[..., 0, :]
