"""Interpolation, polynomials and special series of ``wire.numpy``: ``interp``, ``unwrap``,
``vander``, ``polyval``/``polyadd``/``polysub``/``polymul``/``polyder``/``polyint``/
``polydiv``/``polyfit``/``poly``, and ``i0``.

All are compositions of the elementwise primitives, gathers and products, differentiable in
every floating argument. Values follow NumPy's formulas term for term where NumPy's result
depends on them (``interp``'s handling of knots and infinite slopes, ``polyval``'s Horner
order), so concrete and traced results agree.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..errors import ShapeTypeError, WireError, WireTypeError, WireValueError, at, user_location
from ..core import Tracer
from ..ops import complex_parts as CP
from ..ops.shape import to_tracer
from ._along_axis import argsort, convolve, cumsum, diff, searchsorted
from ._creation import zeros_like
from ._elementwise_composed import imag, real
from ._math import abs as _abs
from ._math import exp, isnan, mod, sqrt, where
from ._host_valued import numpy_valued
from ._promote import cast, holds_tracer, lift, promote_float, strong
from ._rearranging import pad, take
from ._reductions import normalize_axes
from ._shape import concatenate, reshape, stack
from .linalg import eigvals, lstsq

__all__ = [
    "i0",
    "interp",
    "poly",
    "polyadd",
    "polyder",
    "polydiv",
    "polyfit",
    "polyint",
    "polymul",
    "polysub",
    "polyval",
    "unwrap",
    "vander",
]


def _t(*xs) -> bool:
    return builtins.any(holds_tracer(x) for x in xs)


def _tracer(x):
    x = lift(x)
    return x if isinstance(x, Tracer) else to_tracer(np.asarray(x))


# --------------------------------------------------------------------------- interp


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation (NumPy's ``interp``), differentiable in ``x``, ``fp``
    and ``xp``. At a knot ``x == xp[j]`` the value is ``fp[j]`` and the derivative in ``x``
    is the slope of the segment to the right (of the last segment at the last knot).

    >>> interp(np.array([0.5, 2.0, 9.0]), np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 0.0]))
    array([1., 1., 0.])
    """
    if not _t(x, xp, fp, left, right, period):
        return np.interp(x, xp, fp, left, right, period)
    fp = lift(fp)
    fdt = fp.dtype if isinstance(fp, Tracer) else np.asarray(fp).dtype
    for name, v in (("x", x), ("xp", xp)):
        if (v.dtype if isinstance(v, Tracer) else np.asarray(v).dtype).kind == "c":
            raise WireTypeError(f"interp: {name} is complex; NumPy refuses it too (only fp may "
                                f"be complex){at(user_location())}")
    if fdt.kind == "c":  # each part on its own, put together without a complex product
        return CP.complex_(
            interp(x, xp, real(fp), _part(left, real), _part(right, real), period),
            interp(x, xp, imag(fp), _part(left, imag), _part(right, imag), period))
    x, xp, fp = (cast(v, np.float64) for v in (lift(x), lift(xp), fp))  # NumPy's: float64
    if isinstance(period, Tracer):
        raise WireError(f"interp: period must be concrete{at(user_location())}")
    if np.ndim(xp) != 1 if not isinstance(xp, Tracer) else xp.ndim != 1:
        raise WireValueError(f"interp: xp and fp must be 1-D{at(user_location())}")
    if period is not None:
        if period == 0:
            raise WireError(f"interp: period must be a non-zero value{at(user_location())}")
        period = builtins.abs(period)
        left = right = None
        x, xp = mod(x, period), mod(xp, period)
        order = argsort(xp)
        xp, fp = take(xp, order), take(fp, order)
        xp = concatenate([xp[-1:] - period, xp, xp[0:1] + period])
        fp = concatenate([fp[-1:], fp, fp[0:1]])
    xp, fp = _tracer(xp), _tracer(fp)
    n = xp.shape[0]
    if n == 0 or fp.shape[0] != n:
        raise WireValueError(f"interp: xp and fp must have the same non-zero length, got {n} and "
                        f"{fp.shape[0]}{at(user_location())}")
    lval = fp[0] if left is None else left
    rval = fp[n - 1] if right is None else right
    if n == 1:  # NumPy's one-knot rule (a NaN x gets fp[0] there, too; - 0.0 keeps -0.0)
        return where(x < xp[0], lval, where(x > xp[0], rval, fp[0] - zeros_like(x)))
    j = searchsorted(xp, x, side="right") - 1  # xp[j] <= x < xp[j+1]
    j = where(j < 0, 0, where(j > n - 2, n - 2, j))
    x0, x1, f0, f1 = take(xp, j), take(xp, j + 1), take(fp, j), take(fp, j + 1)
    slope = (f1 - f0) / (x1 - x0)
    from_left = slope * (x - x0) + f0  # NumPy's formula and its fallbacks, in its order
    from_right = slope * (x - x1) + f1
    val = where(x == x1, from_right, from_left)
    val = where(isnan(val), from_right, val)
    val = where(isnan(val) & (f0 == f1), f0, val)
    # at a knot NumPy returns fp there: the value f0 itself, with the segment's derivatives
    # (f0 - (slope (x0 - x) + 0.0): the zero is +0.0 whatever the slope's sign, so f0 = -0.0
    # stays -0.0; ``+ 0.0`` also keeps collect_terms from re-associating it), or f0 alone
    # where an infinity made the formula differ
    at_x0 = f0 - (slope * (x0 - x) + 0.0)
    at_x1 = f1 - (slope * (x1 - x) + 0.0)
    val = where(x == x0, where((val == f0) & (at_x0 == f0), at_x0, f0), val)
    val = where(x == x1, where((val == f1) & (at_x1 == f1), at_x1, f1), val)  # the last knot
    val = where(x < xp[0], lval, where(x > xp[n - 1], rval, val))
    return where(isnan(x), x, val)


def _part(v, fn):
    return None if v is None else fn(v) if isinstance(v, Tracer) else fn(np.asarray(v))


# --------------------------------------------------------------------------- unwrap


def unwrap(p, discont=None, axis=-1, *, period=2 * math.pi):
    """Remove jumps larger than ``discont`` (default ``period / 2``) by adding multiples of
    ``period`` (NumPy's ``unwrap``); the derivative in ``p`` passes through unchanged.

    >>> unwrap(np.array([0.0, 3.0, 6.5]))
    array([0.        , 3.        , 0.21681469])
    """
    if not _t(p):
        return np.unwrap(p, discont=discont, axis=axis, period=period)
    p = lift(p)
    (p,) = promote_float(p) if p.dtype.kind not in "iub" else (p,)
    if p.ndim == 0:
        diff(p)  # (raises as NumPy's unwrap does first: diff of a 0-d array)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise WireTypeError(f"unwrap: axis must be an int, got {axis!r} (NumPy refuses it "
                            f"too){at(user_location())}")
    axis = normalize_axes(axis, p.ndim)[0]
    dd = diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    dtype = np.result_type(dd.dtype, period)
    if np.issubdtype(dtype, np.integer):
        high, rem = builtins.divmod(period, 2)
        ambiguous = rem == 0
    else:
        high, ambiguous = period / 2, True
    low = -high
    ddmod = mod(dd - low, period) + low
    if ambiguous:
        ddmod = where((ddmod == low) & (dd > 0), high, ddmod)
    correct = where(_abs(dd) < discont, 0.0, ddmod - dd)
    head = [slice(None)] * p.ndim
    tail = [slice(None)] * p.ndim
    head[axis], tail[axis] = slice(0, 1), slice(1, None)
    p = cast(p, dtype)
    rest = p[tuple(tail)] + cumsum(cast(correct, dtype), axis=axis)
    return concatenate([p[tuple(head)], rest], axis=axis)


# --------------------------------------------------------------------------- polynomials


def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns ``x**(N-1) … x**0`` (or increasing powers).

    >>> vander(np.array([2.0, 3.0]), 3)
    array([[4., 2., 1.],
           [9., 3., 1.]])
    """
    if not _t(x):
        return np.vander(x, N, increasing)
    x = lift(x)
    if x.ndim != 1:
        raise WireValueError(f"vander: x must be 1-D, got {x.aval!r}{at(user_location())}")
    n = x.shape[0] if N is None else int(N)
    x = cast(x, np.promote_types(x.dtype, int))  # NumPy's dtype: float32 -> float64, bool -> int
    if n == 0:
        return np.zeros((x.shape[0], 0), x.dtype)
    cols = [zeros_like(x) + 1]
    for _ in range(n - 1):  # NumPy's powers: a running product (multiply.accumulate)
        cols.append(x if len(cols) == 1 else cols[-1] * x)
    return stack(cols if increasing else cols[::-1], axis=1)


def _coeffs(p, name):
    if not isinstance(p, Tracer) and isinstance(p, np.poly1d):
        p = p.coeffs
    p = lift(p)
    nd = p.ndim if isinstance(p, Tracer) else np.ndim(p)
    if nd == 0:  # (NumPy iterates over p: a TypeError there)
        raise ShapeTypeError(f"{name}: coefficients must be 1-D, got a 0-d array"
                             f"{at(user_location())}")
    if nd != 1:
        raise WireError(f"{name}: coefficients must be 1-D{at(user_location())}")
    return p if isinstance(p, Tracer) else np.asarray(p)


def polyval(p, x, *, unroll=16):
    """Value of the polynomial with coefficients ``p`` (highest power first) at ``x``, by
    Horner's rule in NumPy's order (``unroll``: JAX's loop hint, accepted).

    >>> polyval([3.0, 0.0, 1.0], 2.0)
    np.float64(13.0)
    """
    if isinstance(unroll, (bool, np.bool_)) or not isinstance(unroll, (int, np.integer)) \
            or unroll < 1:
        raise WireValueError(f"polyval: unroll must be a positive int, got {unroll!r}"
                             f"{at(user_location())}")
    if not _t(p, x):
        return np.polyval(p, x)
    p = _coeffs(p, "polyval")
    # NumPy's: x = asanyarray(x) (a Python scalar strongly typed: polyval(f32, True) is
    # float32, polyval(p, 1j) complex), y = zeros_like(x)
    x = strong(lift(x)) if _t(x) else np.asanyarray(x)
    y = zeros_like(x) if _t(x) else np.zeros_like(x)
    for k in range(p.shape[0]):
        y = y * x + p[k]
    return y


def _pair(a1, a2):
    a1, a2 = _coeffs(a1, "polynomial"), _coeffs(a2, "polynomial")
    n = builtins.max(a1.shape[0], a2.shape[0])
    return _front(a1, n), _front(a2, n)


def _front(a, n):
    k = n - a.shape[0]
    if not k:
        return a
    return pad(a, (k, 0)) if isinstance(a, Tracer) else np.pad(a, (k, 0))


def polyadd(a1, a2):
    """Sum of two polynomials (coefficients, highest power first).

    >>> polyadd([1.0, 2.0], [1.0, 0.0, 0.0])
    array([1., 1., 2.])
    """
    if not _t(a1, a2):
        return np.polyadd(a1, a2)
    a, b = _pair(a1, a2)
    return a + b


def polysub(a1, a2):
    """Difference of two polynomials.

    >>> polysub([1.0, 2.0], [1.0, 1.0])
    array([0., 1.])
    """
    if not _t(a1, a2):
        return np.polysub(a1, a2)
    a, b = _pair(a1, a2)
    return a - b


def polymul(a1, a2):
    """Product of two polynomials (a convolution of their coefficients). On traced values it
    has ``len(a1) + len(a2) - 1`` coefficients: NumPy first strips leading zero coefficients
    (``np.poly1d``), which depends on the values.

    >>> polymul([1.0, 1.0], [1.0, -1.0])
    array([ 1.,  0., -1.])
    """
    if not _t(a1, a2):
        return np.polymul(a1, a2)
    return convolve(_coeffs(a1, "polymul"), _coeffs(a2, "polymul"))


def polyder(p, m=1):
    """The ``m``-th derivative of a polynomial.

    >>> polyder([1.0, 1.0, 1.0])
    array([2., 1.])
    """
    if not _t(p):
        return np.polyder(p, m)
    p = _coeffs(p, "polyder")
    for _ in range(int(m)):  # NumPy's steps: integer factors (ints stay ints), a constant's
        n = p.shape[0] - 1   # derivative is empty
        p = p[:-1] * np.arange(n, 0, -1)
    return p


def polyint(p, m=1, k=None):
    """The ``m``-th antiderivative, with integration constants ``k`` (default 0).

    >>> polyint([3.0, 0.0])
    array([1.5, 0. , 0. ])
    """
    if not _t(p, k):
        return np.polyint(p, m, k)
    p = _coeffs(p, "polyint")
    m = int(m)
    ks = [0.0] * m if k is None else (list(k) if isinstance(k, (list, tuple)) or (
        not isinstance(k, Tracer) and np.ndim(k)) else [k] * m)
    if len(ks) != m:
        raise WireError(f"polyint: k must have m = {m} entries{at(user_location())}")
    for c in ks:  # the constant itself (k = -0.0 stays -0.0), as NumPy concatenates it
        n = p.shape[0]
        c = reshape(lift(c), (1,)) if isinstance(lift(c), Tracer) else np.asarray([c])
        p = concatenate([p / np.arange(n, 0, -1), c])
    return p


def polydiv(u, v):
    """Quotient and remainder of polynomial division. On traced values the remainder has
    ``len(v) - 1`` coefficients: NumPy also drops further leading (near-)zeros, which depends
    on the values.

    >>> polydiv([1.0, 3.0, 2.0], [1.0, 1.0])
    (array([1., 2.]), array([0.]))
    """
    if not _t(u, v):
        return np.polydiv(u, v)
    u, v = _coeffs(u, "polydiv"), _coeffs(v, "polydiv")
    m, n = u.shape[0] - 1, v.shape[0] - 1
    scale = 1.0 / v[0]
    r = [u[i] for i in range(m + 1)]
    q = []
    for k in range(builtins.max(m - n + 1, 0)):
        d = scale * r[k]
        q.append(d)
        for i in range(n + 1):
            r[k + i] = r[k + i] - d * v[i]
    quot = stack(q) if q else zeros_like(lift(u)[:1])
    rem = stack(r[builtins.max(m - n + 1, 0):] if n else r[-1:])
    return quot, rem


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit of degree ``deg`` (NumPy's column scaling), differentiable
    in ``x``, ``y`` and ``w`` (``full`` and ``cov`` only on concrete values).

    >>> np.round(polyfit(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]), 1), 12)
    array([2., 1.])
    """
    if not _t(x, y, w):
        return np.polyfit(x, y, deg, rcond, full, w, cov)
    if full or cov:
        raise WireError(f"polyfit: full=True and cov=True need concrete values"
                        f"{at(user_location())}")
    x, y = promote_float(lift(x), lift(y))
    lhs = vander(_tracer(x), int(deg) + 1)
    rhs = y
    if w is not None:
        lhs = lhs * reshape(w, (-1, 1))
        rhs = rhs * (w if rhs.ndim == 1 else reshape(w, (-1, 1)))
    scale = sqrt((lhs * lhs).sum(axis=0))
    lhs = lhs / scale
    c = lstsq(lhs, rhs, rcond)[0]
    return c / scale if c.ndim == 1 else c / reshape(scale, (-1, 1))


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots, or the characteristic
    polynomial of a square matrix (through ``linalg.eigvals``, as NumPy's ``poly``; real for a
    real matrix, whose complex eigenvalues come in conjugate pairs).

    >>> poly([1.0, 2.0])
    array([ 1., -3.,  2.])
    >>> import wire
    >>> wire.jit(poly)(np.array([[0.0, -2.0], [1.0, 0.0]]))  # λ² + 2
    array([1., 0., 2.])
    """
    if not _t(seq_of_zeros):
        return np.poly(seq_of_zeros)
    z = lift(seq_of_zeros)
    real_matrix = False
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] != 0:
        real_matrix = z.dtype.kind != "c"
        z = eigvals(z)
    elif z.ndim != 1:
        raise WireError(f"poly: input must be 1-D or a non-empty square matrix, got {z.aval!r}"
                        f"{at(user_location())}")
    a = np.ones(1, dtype=z.dtype)
    for k in range(z.shape[0]):
        a = convolve(a, stack([1.0 + zeros_like(z[k]), -z[k]]))
    # NumPy keeps the real part when the roots are closed under conjugation, which LAPACK's
    # eigenvalues of a real matrix always are (exact conjugate pairs)
    return real(a) if real_matrix else a


# --------------------------------------------------------------------------- i0

_I0_SERIES_BELOW = 25.0
# i0(x) = sum_k (x^2/4)^k / (k!)^2: 64 positive terms reach full precision for |x| <= 25
_I0_SERIES = [1.0 / math.factorial(k) ** 2 for k in range(64)]
# i0(x) ~ e^x / sqrt(2 pi x) * sum_k ((2k-1)!!)^2 / (k! 8^k x^k), to e^(-2x) for x >= 25
_I0_ASYMPTOTIC = [1.0]
for _k in range(1, 40):
    _I0_ASYMPTOTIC.append(_I0_ASYMPTOTIC[-1] * (2 * _k - 1) ** 2 / (8.0 * _k))


def i0(x):
    """Modified Bessel function of the first kind, order 0 (NumPy's ``i0``). Its value is
    NumPy's own on every path (``np.i0``'s Chebyshev expansions, called on the values under
    ``jit`` and ``grad`` too, so a compiled function gives eager's bits); its derivatives, to
    every order, are those of its power series in ``x**2`` below ``|x| = 25`` and of the
    asymptotic series above.

    >>> round(float(i0(1.0)), 12)
    1.266065877752
    """
    if not _t(x):
        return np.i0(x)
    x = lift(x)
    if x.dtype.kind == "c":
        raise WireTypeError(f"i0 is not defined for complex input {x.aval!r} (NumPy refuses it "
                            f"too){at(user_location())}")
    if x.dtype.kind != "f":  # NumPy: x.astype(float), so booleans and int8 are float64 too
        x = cast(x, np.float64)
    # np.i0's Chebyshev expansions for the value, the series' derivatives
    return numpy_valued(_i0_host, _i0_series, strong(x), (), vmap_method="expand_dims")


def _i0_host(x):
    return np.i0(x)


def _i0_series(x):
    """I0 by its power series in ``x**2`` below ``|x| = 25``, the asymptotic series above:
    smooth to every order (the derivatives of :func:`i0`)."""
    big = (x >= _I0_SERIES_BELOW) | (x <= -_I0_SERIES_BELOW)
    small = where(big, 0.0, x)  # each branch sees inputs of its own side (finite derivatives)
    y = small * small * 0.25
    series = _I0_SERIES[-1]
    for c in reversed(_I0_SERIES[:-1]):
        series = series * y + c
    ax = where(big, where(x < 0, -x, x), _I0_SERIES_BELOW)
    r = 1.0 / ax
    tail = _I0_ASYMPTOTIC[-1]
    for c in reversed(_I0_ASYMPTOTIC[:-1]):
        tail = tail * r + c
    # sqrt(2 pi) sqrt(x), not sqrt(2 pi x), which overflows to inf at the largest floats
    far = exp(ax) * (tail / (math.sqrt(2.0 * math.pi) * sqrt(ax)))
    return where(big, far, series)

