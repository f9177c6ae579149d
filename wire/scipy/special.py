"""``wire.scipy.special``: special functions on arrays and tracers, in numerically stable
forms. ``gammaln``, ``digamma``/``psi``, ``polygamma``, ``erf``, ``erfc`` and ``erfinv`` are
primitives (``wire.ops.special``); the rest are compositions.

On concrete arrays every function computes right away (with SciPy when installed).

>>> import numpy as np, wire
>>> from wire.scipy.special import logsumexp
>>> round(float(logsumexp(np.array([1000.0, 1000.0])) - 1000.0), 12)
0.69314718056
"""

from __future__ import annotations

import builtins
import functools
import math

import numpy as np

from .. import numpy as wnp
from ..api.custom import custom_jvp
from ..errors import WireError, WireTypeError, at, user_location
from ..tracebacks import expose
from ..numpy._axes import normalize_axes
from ..ops import incomplete as INC
from ..ops import bessel as BES
from ..ops import special as SP
from ..core import Tracer
from ..transforms.rules import is_value
from ._traced import scipy_special as _scipy_special
from ._traced import traced as _t
from ._bessel import (erfcx, exp1, expi, i0, i0e, i1, i1e, iv, ive, j0, j1, jn, jv, k0, k0e,
                      k1, k1e, kn, kv, kve, y0, y1, yn, yv)
from ._bessel import NAMES as _BESSEL_NAMES
from ._gamma_family import binom, comb, exp_past_overflow, factorial, gammasgn, poch, rgamma
from ._complex_gamma import digamma_complex as _digamma_complex
from ._complex_gamma import gamma_complex, loggamma_complex
from ._gamma_family import NAMES as _GAMMA_NAMES
from ._more_special import (bernoulli, bessel_jn, boxcox, boxcox1p, dawsn, expn, fresnel,
                            hyp1f1, hyp2f1, owens_t, sici, spence, sph_harm_y, wofz, zeta)
from ._more_special import NAMES as _MORE_NAMES

__all__ = [
    "beta",
    "betaln",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfinv",
    "expit",
    "gamma",
    "gammaln",
    "kl_div",
    "log_expit",
    "log_ndtr",
    "log_softmax",
    "loggamma",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "rel_entr",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]

_SQRT2 = math.sqrt(2.0)
_SQRT1_2 = math.sqrt(0.5)  # (SciPy's M_SQRT1_2, the same double)


# The dtype SciPy's ufuncs compute in. NumPy takes the loop whose dtypes equal the inputs',
# else the first loop (in SciPy's order) every input casts to safely: float32 stays float32
# everywhere, but float16, booleans and small integers go to float64 in the functions whose
# first loop is "d" (erf, gamma, expit …) and to float32 in those whose first is "f" (erfinv,
# entr, rel_entr …). Python scalars adapt to the arrays (NEP 50).
_D_FIRST = (np.dtype(np.float64), np.dtype(np.float32))
_F_FIRST = (np.dtype(np.float32), np.dtype(np.float64))


def _loop_dtype(loops, *xs) -> np.dtype:
    dts = [x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype
           for x in xs if not isinstance(x, (bool, int, float, complex))]
    if builtins.any(isinstance(x, complex) for x in xs):  # (a weak Python complex)
        return np.result_type(*dts, np.complex64) if dts else np.dtype(np.complex128)
    if not dts:
        return np.dtype(np.float64)
    if builtins.any(d.kind == "c" for d in dts):
        return np.result_type(*dts, np.complex64)
    if builtins.all(d == dts[0] for d in dts) and dts[0] in loops:
        return dts[0]
    for loop in loops:
        if builtins.all(np.can_cast(d, loop) for d in dts):
            return loop
    return np.dtype(np.float64)


def _as(loops, *xs):
    """``xs`` cast to the dtype SciPy's ufunc with ``loops`` would compute them in."""
    dt = _loop_dtype(loops, *xs)
    out = [wnp.asarray(x, dt) if isinstance(x, Tracer) else np.asarray(x, dt) for x in xs]
    return out[0] if len(out) == 1 else out


def _in_float64(loops, fn, *xs):
    """``fn`` of ``xs`` computed in float64 and rounded to the loop dtype: SciPy's float32
    loops of its double-only functions (``rel_entr``, ``kl_div``, ``entr``) do that, so an
    intermediate like ``1 / 1e-45`` does not overflow."""
    dt = _loop_dtype(loops, *xs)
    out = fn(*[_f64(x) for x in xs])
    return wnp.asarray(out, dt) if _t(out) else np.asarray(out, dt)


def _k(value, like):
    """``value`` as a 0-d array of ``like``'s dtype (a Python float would widen float32)."""
    return np.asarray(value, like.dtype)


def _fl(x):
    """``x`` as a floating tracer or array (integers and booleans become float64)."""
    if isinstance(x, Tracer):
        return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def _reduce_float(*xs):
    """``xs`` in their common float dtype, as SciPy's ``logsumexp``/``softmax`` promote
    (float16 and float32 stay, integers and booleans become float64)."""
    dt = np.result_type(*[x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype
                          for x in xs if x is not None])
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    return [None if x is None else wnp.asarray(x, dt) if isinstance(x, Tracer)
            else np.asarray(x, dt) for x in xs]


def _sum_wide(m, e, axis):
    """``m.sum(e, axis, keepdims=True)``, accumulated in float32 for float16 ``e`` (as torch):
    a float16 sum of more than 65504 terms of up to 1 overflows (SciPy and JAX give a
    ``logsumexp`` of ``inf`` and a ``softmax`` of 0 over a 70000-entry float16 vector)."""
    if e.dtype == np.float16:
        return m.sum(e, axis=axis, keepdims=True, dtype=np.float32)
    return m.sum(e, axis=axis, keepdims=True)


def _like(m, y, x):
    """``y`` in ``x``'s dtype (after a float32 accumulation of float16 values)."""
    return y if y.dtype == x.dtype else m.asarray(y, x.dtype)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """``log(sum(b * exp(a)))`` over ``axis`` without overflow, with SciPy's semantics for
    infinities and weights: an entry whose weight ``b`` is 0 adds nothing (even ``inf`` or
    NaN), a slice of ``-inf`` gives ``-inf``, one holding ``+inf`` gives ``inf``, an empty one
    ``-inf``, and a negative sum NaN (or its sign, with ``return_sign``).

    The largest entry is factored out as a constant (``stop_gradient``, replaced by 0 when it
    is not finite, as JAX does), which leaves value and derivative exact: the derivative is
    ``b * exp(a - out)``, finite wherever the result is, 0 for ``-inf`` entries and zero
    weights.

    >>> float(logsumexp(np.array([0.0, 0.0])))
    0.6931471805599453
    >>> float(logsumexp(np.array([-np.inf, -np.inf]))), float(logsumexp(np.array([np.inf, 0.0])))
    (-inf, inf)

    ``where`` (JAX's ``jax.scipy.special.logsumexp`` takes it; SciPy's does not) leaves out
    the entries where it is False, even an ``inf`` or a NaN, with a derivative of 0 there.

    >>> float(logsumexp(np.array([0.0, np.nan, 0.0]), where=np.array([True, False, True])))
    0.6931471805599453
    """
    if where is not None:
        a = wnp.where(where, a, -np.inf)
        if b is not None:  # (an entry left out adds nothing, even with an inf or NaN weight)
            b = wnp.where(where, b, 0)
    a, b = _reduce_float(a, b)
    ndim = a.ndim if isinstance(a, Tracer) else np.ndim(a)
    axes = normalize_axes(axis, ndim)
    kept = tuple(1 if i in axes else d for i, d in enumerate(np.shape(a)))
    if a.dtype.kind == "c":
        res = _logsumexp_complex(a, b, axis, axes, kept, return_sign)
        if not keepdims:
            shape = tuple(d for i, d in enumerate(kept) if i not in axes)
            res = tuple(wnp.reshape(r, shape) for r in res)
        return res if return_sign else res[0]
    if b is not None:
        a = wnp.where(b != 0, a, -np.inf)  # SciPy: a zero weight drops the entry
    if builtins.any(np.shape(a)[i] == 0 for i in axes) or (axis is None and np.size(a) == 0):
        out = wnp.full(kept, -np.inf, dtype=a.dtype)  # the log of an empty sum
        sign = wnp.full(kept, -1.0, dtype=a.dtype)  # SciPy's sign of that -inf
    else:
        m = wnp.max(a, axis=axis, keepdims=True)
        m = wnp.stop_gradient(wnp.where(wnp.isfinite(m), m, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0), inf - inf: concrete
            e = wnp.exp(a - m)
            if b is not None:
                e = e * b
            s = _sum_wide(wnp, e, axis)
            sign = _like(wnp, wnp.sign(s), a)
            out = _like(wnp, wnp.log(wnp.abs(s)) + m, a)
        if b is not None and not return_sign:
            out = wnp.where(sign < 0, np.nan, out)
    if not keepdims:
        shape = tuple(d for i, d in enumerate(kept) if i not in axes)
        out, sign = wnp.reshape(out, shape), wnp.reshape(sign, shape)
    return (out, sign) if return_sign else out


def _logsumexp_complex(a, b, axis, axes, kept, return_sign):
    """``logsumexp`` of complex ``a`` (or complex weights ``b``), SciPy's: the principal
    ``log(sum(b * exp(a)))``, imaginary part in ``(-pi, pi]``, shifted by the largest real
    part (a stopped constant, 0 when not finite). With ``return_sign``: ``log|sum|`` (real)
    and the complex phase ``sum / |sum|`` (0 for a zero sum). Holomorphic in ``a`` and
    ``b``: the derivative in ``a`` is ``b * exp(a - out)``."""
    if b is not None:
        a = wnp.where(b != 0, a, -np.inf)  # SciPy: a zero weight drops the entry
    if builtins.any(np.shape(a)[i] == 0 for i in axes) or (axis is None and np.size(a) == 0):
        out = wnp.full(kept, -np.inf, dtype=a.dtype)  # the log of an empty sum
        if return_sign:
            return wnp.real(out), wnp.zeros(kept, dtype=a.dtype)
        return (out,)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # concrete inputs
        m = wnp.max(wnp.real(a), axis=axis, keepdims=True)
        m = wnp.stop_gradient(wnp.where(wnp.isfinite(m), m, 0.0))
        e = wnp.exp(a - m)
        if b is not None:
            e = e * b
        s = wnp.sum(e, axis=axis, keepdims=True)
        if return_sign:
            mag = wnp.abs(s)
            sign = s / wnp.where(mag == 0, 1.0, mag)  # (SciPy's sign of a zero sum: 0)
            return wnp.log(mag) + m, sign
        out = wnp.log(s) + m
        # the principal branch's (-pi, pi]: NumPy's log puts a sum on the negative real axis
        # with imaginary part -0.0 at -pi, SciPy's logsumexp at pi (a constant shift: the
        # derivative is unchanged)
        turn = wnp.where(wnp.imag(out) == -np.pi, 2j * np.pi, 0.0)
        return (out + wnp.asarray(turn, out.dtype),)


def _unary(prim_binder, name, loops=_D_FIRST, complex_fn=None):
    def f(x):
        x = _as(loops, x)
        if x.dtype.kind == "c":  # (the primitive would drop the imaginary part)
            if complex_fn is None:
                raise _complex_refused(name, x)
            return complex_fn(x)
        return prim_binder(x)

    f.__name__ = name
    f.__doc__ = (
        f"SciPy's ``{name}`` (a primitive; derivatives of every order).\n\n"
        f"    >>> import wire\n"
        f"    >>> from wire.scipy.special import {name}\n"
        f"    >>> d, h = wire.grad({name})(0.4), 1e-6\n"
        f"    >>> bool(abs(d - ({name}(0.4 + h) - {name}(0.4 - h)) / (2 * h)) < 1e-6)\n"
        f"    True\n"
    )
    return f


def _complex_refused(name, *xs):
    """The ``WireTypeError`` of a function with no complex form (SciPy has no complex loop
    for it): refused rather than computed on the real part."""
    dts = ", ".join(str(x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype)
                    for x in xs)
    return WireTypeError(f"{name}: complex arguments are not supported (SciPy's {name} has "
                         f"no complex form), got dtypes ({dts}){at(user_location())}")


def _real_only(fn):
    """``fn`` refusing complex arguments with a ``WireTypeError`` (see the end of the
    module: the functions SciPy defines for real arguments only, whose real formulas would
    silently give a wrong answer, or drop the imaginary part, on complex ones)."""

    @functools.wraps(fn)
    def f(*args, **kwargs):
        xs = [v for v in (*args, *kwargs.values())
              if isinstance(v, (Tracer, np.ndarray, np.generic, complex, list, tuple))]
        if builtins.any(np.iscomplexobj(v) if not isinstance(v, Tracer) else v.dtype.kind == "c"
                        for v in xs):
            raise _complex_refused(fn.__name__, *xs)
        return fn(*args, **kwargs)

    return f


_SQRT_PI = math.sqrt(math.pi)
_ERF_SERIES = 0.5  # |z| below: erf(z) by its Taylor series (1 - erfc(z) cancels)
_ERF_TERMS = 13  # (the first term left out is below 1e-19 of the first at |z| = 0.5)
_ERFC_HUGE = 1e150  # |Re z| above: z² may overflow (erfc by its limit in the right sector)


def _erfc_complex(z):
    """``erfc`` of complex ``z``: SciPy's (Faddeeva) on concrete arrays; traced,
    ``exp(-z²) w(iz)`` for ``Re z >= 0`` and ``2 - erfc(-z)`` below (where ``w(iz)`` would
    overflow), holomorphic with derivative ``-2 exp(-z²) / √π``."""
    if not _t(z):
        return _scipy_special("erfc")(z)
    neg = wnp.real(z) < 0
    zp = wnp.where(neg, -z, z)
    return wnp.where(neg, 2.0 - _erfc_right(zp), _erfc_right(zp))


def _erfc_right(z):
    """``erfc(z) = exp(-z²) w(iz)`` for ``Re z >= 0``; 0 where ``exp(-z²)`` underflows past
    what ``w`` can lift (``Re z = inf``, or ``|z|`` above ``1e150`` with ``Re z > |Im z|``,
    where ``z²`` itself overflows and the product was NaN; ``erfc(inf + 1j)`` is SciPy's 0)."""
    x, y = wnp.real(z), wnp.imag(z)
    gone = ((x == np.inf) & wnp.isfinite(y)) | ((x > _ERFC_HUGE) & (x > wnp.abs(y)))
    zs = wnp.where(gone, 1.0, z)
    return wnp.where(gone, 0.0, wnp.exp(-zs * zs) * wofz(1j * zs))


def _erf_complex(z):
    """``erf`` of complex ``z``: SciPy's on concrete arrays; traced, odd (computed at
    ``Re z >= 0``), by its Taylor series for ``|z| < 1/2`` and ``1 - erfc(z)`` beyond."""
    if not _t(z):
        return _scipy_special("erf")(z)
    neg = wnp.real(z) < 0
    zp = wnp.where(neg, -z, z)
    small = wnp.abs(zp) < _ERF_SERIES
    zs, zl = wnp.where(small, zp, 0.0), wnp.where(small, 1.0, zp)  # stand-ins where unused
    z2, term, total = zs * zs, zs, zs
    for k in range(1, _ERF_TERMS):
        term = term * (-z2 / k)
        total = total + term / (2 * k + 1)
    r = wnp.where(small, (2.0 / _SQRT_PI) * total, 1.0 - _erfc_right(zl))
    return wnp.where(neg, -r, r)


gammaln = _unary(SP.gammaln, "gammaln")
erf = _unary(SP.erf, "erf", complex_fn=_erf_complex)
erfc = _unary(SP.erfc, "erfc", complex_fn=_erfc_complex)
erfinv = _unary(SP.erfinv, "erfinv", _F_FIRST)

def digamma(x):
    """ψ(x) = d/dx log Γ(x); complex ``x`` too (SciPy's values; traced, by the reflection,
    recurrence and asymptotic series, holomorphic).

    >>> round(float(digamma(1.0)), 6)
    -0.577216
    >>> complex(np.round(digamma(1j), 6))
    (0.09465+2.076674j)
    """
    x = _as(_D_FIRST, x)
    if x.dtype.kind == "c":
        return _digamma_complex(x)
    return SP.polygamma(x, 0)


psi = digamma


def polygamma(n, x):
    """n-th derivative of digamma (``n`` a concrete non-negative integer); float64, as SciPy's.

    >>> import numpy as np
    >>> bool(np.isclose(polygamma(1, 1.0), np.pi ** 2 / 6))          # trigamma(1)
    True
    """
    if isinstance(n, Tracer):
        raise WireError(f"polygamma: the order n must be concrete{at(user_location())}")
    if np.iscomplexobj(n) or (x.dtype.kind == "c" if isinstance(x, Tracer) else np.iscomplexobj(x)):
        raise _complex_refused("polygamma", n, x)
    n = np.asarray(n)
    if n.ndim:
        if not _t(x):
            from scipy.special import polygamma as _pg

            return _pg(n, x)
        raise WireError(f"polygamma: n must be one integer on traced values{at(user_location())}")
    if int(n) == 0:  # SciPy: psi(x) in x's own loop dtype, then float64
        return _f64(SP.polygamma(_as(_D_FIRST, x), 0))
    return SP.polygamma(_f64(x), int(n))


def _f64(x):
    return wnp.asarray(x, np.float64) if isinstance(x, Tracer) else np.asarray(x, np.float64)


def loggamma(x):
    """log Γ(x): for real x ``gammaln`` for x >= 0, NaN for x < 0 (where Γ is negative or
    undefined), as SciPy's real ``loggamma``; for complex x the principal branch (analytic
    off the negative real axis, its imaginary part continuous rather than wrapped; NaN at
    the poles), SciPy's values, traced too (derivative ψ, holomorphic).

    >>> import numpy as np, wire
    >>> loggamma(np.array([3.0, -1.0]))                 # log 2, NaN
    array([0.69314718,        nan])
    >>> complex(np.round(wire.jit(loggamma)(np.array(-2.5 + 0j)), 6))    # log|Γ| - 3πi
    (-0.056244-9.424778j)
    """
    x = _as(_D_FIRST, x)
    if x.dtype.kind == "c":  # SciPy's principal branch of log Γ
        if _t(x):
            return _in_complex128(loggamma_complex, x)
        return _scipy_special("loggamma")(x)
    if not _t(x):
        return np.where(x < 0, np.nan, gammaln(x))
    return wnp.where(x < 0, _poison(x, x < 0), gammaln(x))


def _in_complex128(fn, z):
    """``fn`` of a traced complex ``z`` computed in complex128, in ``z``'s dtype (SciPy's
    complex64 loops compute in double too)."""
    return wnp.asarray(fn(wnp.asarray(z, np.complex128)), z.dtype)


def gamma(x):
    """Γ(x) = sign · exp(gammaln(x)); ``±inf`` at ``±0.0``, NaN at the poles (negative
    integers and ``-inf``), as SciPy's; complex x too (``exp(loggamma(x))``, NaN at the
    poles, as SciPy's; traced with derivative Γψ).

    >>> import numpy as np, wire
    >>> gamma(np.array([5.0, 0.5]))                     # 4!, sqrt(pi)
    array([24.        ,  1.77245385])
    >>> round(float(wire.grad(gamma)(1.0)), 6)          # Γ'(1) = -Euler's constant
    -0.577216
    >>> complex(np.round(wire.jit(gamma)(np.array(1.0 + 1.0j)), 6))   # complex: SciPy's
    (0.498016-0.15495j)
    """
    x = _as(_D_FIRST, x)
    if x.dtype.kind == "c" and _t(x):  # exp(loggamma(x)), NaN at the poles, as SciPy's
        return _in_complex128(gamma_complex, x)
    if not _t(x):
        try:
            from scipy.special import gamma as _g
        except ImportError:  # pragma: no cover - exercised only without scipy
            pass
        else:
            return _g(x)
    m = wnp if _t(x) else np
    pole = (x < 0) & (m.floor(x) == x)
    if m is np:
        out = _gamma_sign(x, m) * m.exp(gammaln(x))
        return m.where(pole, np.nan, m.where(x == 0, m.copysign(np.inf, x), out))
    # each branch sees its own points only (stand-in 1), so no zero cotangent meets an inf;
    # at ±0 it is 1/x, ±inf with the derivatives of Γ(x) ~ 1/x (-inf, ±inf, -inf); at the
    # poles a NaN whose derivatives are NaN. Where even exp(gammaln(x) - log max) overflows
    # (x > 343 in float64, +inf included) exp(x + log max): inf with every derivative inf,
    # as Γ's (sign · exp(gammaln) gave Γ'' = Γ'ψ + Γψ' = inf + inf · 0 at +inf, and a NaN
    # third derivative from 172 on)
    log_max = math.log(float(np.finfo(x.dtype).max))
    zero = x == 0
    top = (x > 2) & (gammaln(wnp.where(x > 2, wnp.stop_gradient(x), 3.0)) > 2.0 * log_max)
    xo = wnp.where(pole | zero | top, 1.0, x)
    out = _gamma_sign(xo, m) * exp_past_overflow(gammaln(xo))
    out = wnp.where(top, wnp.exp(wnp.where(top, x, 0.0) + log_max), out)
    return wnp.where(pole, _poison(x, pole), wnp.where(zero, 1.0 / wnp.where(zero, x, 1.0), out))


def erfcinv(y):
    """Inverse of ``erfc`` on [0, 2]: ``-ndtri(y / 2) / sqrt 2`` (accurate for tiny ``y``),
    NaN outside; computed in float64, as SciPy's.

    >>> round(float(erfcinv(1e-10)), 6), round(float(erfc(erfcinv(0.3))), 12)
    (4.572825, 0.3)
    """
    return _in_float64(_F_FIRST, _erfcinv, y)


def _erfcinv(y):
    m = wnp if _t(y) else np
    out = (y < 0) | (y > 2)
    return m.where(out, _poison(y, out) if m is wnp else np.nan, -SP.ndtri(0.5 * y) / _SQRT2)


def _poison(x, where):
    """NaN where ``where`` (a traced mask), with NaN derivatives of every order there, for a
    function that is NaN outside its domain: a constant NaN would have derivatives 0 (the
    third derivative of ``gamma`` at a pole was 0.0, ``loggamma'(-0.5)`` 0.0). It is
    ``exp(x · c)``, ``c`` NaN there and 0 elsewhere (``x`` too, so an unselected infinite
    ``x`` makes no NaN that a zero cotangent would carry)."""
    c = wnp.where(where, np.nan, 0.0)
    return wnp.exp(wnp.where(where, x, 0.0) * wnp.astype(c, x.dtype))


def expit(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, never overflowing and accurate in both tails.

    With ``e = exp(-|x|)`` (the sign flip by ``where``, so the derivative at 0 is right) it is
    ``1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` below: ``expit(-40)`` is 4.2e-18, not
    the 0 that ``(1 + tanh(x / 2)) / 2`` rounds to.

    >>> float(expit(0.0)), float(expit(-40.0))
    (0.5, 4.248354255291589e-18)
    """
    x = _as(_D_FIRST, x)
    m = wnp if _t(x) else np
    pos = x >= 0
    e = m.exp(-m.where(pos, x, -x))
    if m is wnp:
        return _expit(x)
    return m.where(pos, 1.0, e) / (1.0 + e)


@custom_jvp
def _expit(x):
    """``expit`` of a traced ``x``, with the derivative :func:`_expit_deriv`."""
    pos = x >= 0
    e = wnp.exp(-wnp.where(pos, x, -x))
    return wnp.where(pos, 1.0, e) / (1.0 + e)


def _expit_deriv(x):
    """``expit'(x)``: ``e / (1 + e)²`` with ``e = exp(-|x|)`` beyond ``|x| = 1`` (exact in the
    tails), ``(1 - tanh(x/2)²) / 4`` within, whose next orders do not cancel near 0: the chain
    through ``1 / (1 + e)`` gave ``1 - e`` there (``expit''(1e-300)`` was 0, the truth
    -2.5e-301). Each branch sees a harmless stand-in where unused."""
    big = wnp.abs(x) > 1.0
    e = wnp.exp(-wnp.abs(wnp.where(big, x, 2.0)))
    th = wnp.tanh(0.5 * wnp.where(big, 0.0, x))
    return wnp.where(big, e / ((1.0 + e) * (1.0 + e)), 0.25 * (1.0 - th * th))


@_expit.defjvp
def _expit_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _expit(x), t * _expit_deriv(x)


def log_expit(x):
    """``log(expit(x)) = -log(1 + exp(-x))``, exact for large ``|x|`` and smooth to every order.

    ``where`` picks ``-log1p(exp(-x))`` for ``x >= 0`` and ``x - log1p(exp(x))`` below: two
    exact forms of one analytic function, so the derivatives at 0 (``1/2``, ``-1/4``, 0 …)
    are right, unlike ``-logaddexp(0, -x)`` written with ``maximum``/``abs``.

    >>> float(log_expit(0.0)) == -float(np.log(2.0))
    True
    >>> import wire
    >>> float(wire.grad(wire.grad(log_expit))(0.0))
    -0.25
    """
    x = _as(_D_FIRST, x)
    if not _t(x):
        return -np.logaddexp(0.0, -x)
    return _log_expit(x)


@custom_jvp
def _log_expit(x):
    """``log_expit`` of a traced ``x``, whose derivative is ``expit(-x)`` (with its own
    derivatives: the chain through ``log1p(exp(-|x|))`` cancelled in the third derivative,
    0 at 1e-300 where the truth is 2.5e-301 times -1/2)."""
    neg = x < 0  # False for NaN, which then reaches the result through ``gap``
    hi = wnp.where(neg, -x, 0.0)
    gap = wnp.where(neg, x, -x)  # -|x| <= 0: exp never overflows
    return -(hi + wnp.log1p(wnp.exp(gap)))


@_log_expit.defjvp
def _log_expit_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _log_expit(x), t * expit(-x)


def logit(p):
    """``log(p / (1 - p))`` as ``log(p) - log1p(-p)``.

    >>> float(logit(0.5))
    0.0
    """
    p = _as(_D_FIRST, p)
    if not _t(p):
        return np.log(p) - np.log1p(-p)
    return wnp.log(p) - wnp.log1p(-p)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (shifted by the stopped maximum, as SciPy
    shifts: a slice holding ``inf`` or only ``-inf`` is NaN). Integers become float64 before
    the shift (SciPy subtracts them as integers, which wraps around at the extremes).

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    (x,) = _reduce_float(x)
    if not _t(x):
        with np.errstate(invalid="ignore"):
            e = np.exp(x - np.max(x, axis=axis, keepdims=True))
            return _like(np, e / _sum_wide(np, e, axis), x)
    e = wnp.exp(x - wnp.stop_gradient(wnp.max(x, axis=axis, keepdims=True)))
    return _like(wnp, e / _sum_wide(wnp, e, axis), x)


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis``, as SciPy computes it: shifted by the maximum (0
    where that is not finite), so ``[inf, 0]`` gives ``[nan, -inf]`` and ``[-inf, -inf]`` NaN.

    >>> log_softmax(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    (x,) = _reduce_float(x)
    m = wnp if _t(x) else np
    x_max = m.max(x, axis=axis, keepdims=True)
    x_max = m.where(m.isfinite(x_max), x_max, 0.0)
    if _t(x):
        x_max = wnp.stop_gradient(x_max)
    tmp = x - x_max
    return tmp - _like(m, m.log(_sum_wide(m, m.exp(tmp), axis)), x)


def _x_times_log(x, y, log, root, finite):
    """``x * log(y)`` with ``log`` named (``log`` or ``log1p``), as SciPy's ``xlogy`` and
    ``xlog1py``: +0.0 where ``x == 0`` unless ``y`` is NaN. The value is held at 0 (derivative
    0, ``y`` replaced by ``log``'s root ``root``) only where ``log(y)`` is not finite (outside
    ``finite & (y < inf)``); elsewhere the product is kept, its zero at ``x = 0`` made +0.0,
    so the derivatives there are the smooth function's."""
    m = wnp if _t(x, y) else np
    zero = x == 0
    held = zero & ~(finite & (y < np.inf)) & ~m.isnan(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = m.where(held, root, y)
        prod = _XLOG[log](x, y) if m is wnp else x * getattr(np, log)(y)
        return m.where(held, 0.0, m.where(zero, prod + 0.0, prod))  # -0.0 + 0.0 is +0.0


@custom_jvp
def _xlog(x, y):
    """``x * log(y)`` of traced operands, whose ``y``-partial is ``x / y`` taken whole (see
    :func:`_times_ratio`): the chain through ``log`` gave ``x * (t / y)`` in forward mode,
    ``0 * inf`` (NaN) at ``x = 0``, ``y = 5e-324``, where reverse mode's ``(ct * x) / y`` is 0."""
    return x * wnp.log(y)


def _times_ratio(t, x, d):
    """``t * x / d``, linear in ``t``: as ``t * (x / d)`` where that ratio is finite (so ``x = 0``
    gives 0 for any ``d``, not ``0 * (1 / 5e-324)``), else as ``(t * x) / d`` (so ``t = 0``
    gives 0 where ``x / d`` overflows, ``x = 1``, ``d = 5e-324``). Transposed, the reverse
    mode multiplies in the same order."""
    finite = wnp.isfinite(x / d)
    # the ratio's operands held at 0 / 1 where unused: its inf would make 0 * inf in the
    # derivatives of the unused branch
    r = wnp.where(finite, x, 0.0) / wnp.where(finite, d, 1.0)
    return wnp.where(finite, t * r, (t * x) / d)


@_xlog.defjvp
def _xlog_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _xlog(x, y), tx * wnp.log(y) + _times_ratio(ty, x, y)


@custom_jvp
def _xlog1p(x, y):
    """``x * log1p(y)`` of traced operands, ``y``-partial ``x / (1 + y)`` (see :func:`_xlog`)."""
    return x * wnp.log1p(y)


@_xlog1p.defjvp
def _xlog1p_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _xlog1p(x, y), tx * wnp.log1p(y) + _times_ratio(ty, x, 1.0 + y)


_XLOG = {"log": _xlog, "log1p": _xlog1p}


def xlogy(x, y):
    """``x * log(y)``, 0 where ``x == 0`` unless ``y`` is NaN (SciPy's ``+0.0``).

    Where ``log(y)`` is finite the product itself is used, also at ``x = 0`` (its zero made
    ``+0.0``), so the derivatives there are the smooth function's (``d/dx = log(y)``,
    ``d²/dx dy = 1/y``); only where ``x == 0`` and ``log(y)`` is not finite (``y <= 0``,
    ``inf``) is the value held at 0, with derivative 0.

    >>> float(xlogy(0.0, 0.0))
    0.0
    >>> import wire
    >>> round(float(wire.grad(xlogy)(0.0, np.e)), 12)
    1.0
    """
    x, y = _as(_D_FIRST, x, y)
    return _x_times_log(x, y, "log", 1.0, y > 0)


def xlog1py(x, y):
    """``x * log1p(y)``, 0 where ``x == 0`` unless ``y`` is NaN (derivatives as for
    :func:`xlogy`).

    >>> float(xlog1py(0.0, -1.0))
    0.0
    """
    x, y = _as(_D_FIRST, x, y)
    return _x_times_log(x, y, "log1p", 0.0, y > -1)


_BETA_ASYMPTOTIC = 1e6  # SciPy's threshold for its large-argument expansion of log B


def _betaln_regular(a, b, m):
    """``log |B(a, b)|`` away from the poles of Γ: ``gammaln(a) + gammaln(b) - gammaln(a + b)``,
    or, where one argument ``L`` is above a million and a million times the other ``s``,
    SciPy's expansion ``gammaln(s) - s log L + …`` (so ``log B(inf, 1)`` is ``-inf`` and
    ``log B(1e308, 1)`` is ``-log 1e308``, not ``inf - inf``)."""
    a_big = abs(a) >= abs(b)
    big, small = m.where(a_big, a, b), m.where(a_big, b, a)
    asym = (big > _BETA_ASYMPTOTIC) & (abs(big) > _BETA_ASYMPTOTIC * abs(small))
    # each branch sees only its own inputs: no inf - inf in the other's value or derivative
    L, s = m.where(asym, big, 2.0 * _BETA_ASYMPTOTIC), m.where(asym, small, 1.0)
    u = 1.0 / L
    with np.errstate(all="ignore"):  # u**3 underflows to 0 (not L**3 to inf: no inf / inf
        series = (gammaln(s) - s * m.log(L) + s * (1.0 - s) / 2.0 * u  # in the derivative)
                  + s * (1.0 - s) * (1.0 - 2.0 * s) / 12.0 * (u * u)
                  - s * s * (1.0 - s) * (1.0 - s) / 12.0 * (u * u * u))
    ad, bd = m.where(asym, 1.0, a), m.where(asym, 1.0, b)
    ga, gb = gammaln(ad), gammaln(bd)
    direct = _lnbeta_direct(ad, bd) if m is wnp else ga + gb - gammaln(ad + bd)
    # Γ overflows at tiny positive arguments (gammaln(5e-324) is inf): B is huge there
    overflow = (ad > 0) & (bd > 0) & (((ad < 1) & (ga == np.inf)) | ((bd < 1) & (gb == np.inf)))
    return m.where(asym, series, m.where(overflow, np.inf, direct))


@custom_jvp
def _lnbeta_direct(a, b):
    """``gammaln(a) + gammaln(b) - gammaln(a + b)`` of traced operands, with the partials
    ``ψ(a) - ψ(a + b)`` and ``ψ(b) - ψ(a + b)`` from :func:`_digamma_step` (the difference
    of digammas cancelled where one shape is tiny next to the other: ``∂_b lnB(1e-10, 2)``
    was 6e-8 off, ``∂_b lnB(1e-300, 1)`` 0 rather than ``-ψ'(1) 1e-300``)."""
    return gammaln(a) + gammaln(b) - gammaln(a + b)


_STEP_SERIES = 0.01  # v below this fraction of u: ψ(u) - ψ(u + v) by its Taylor series
_STEP_TERMS = 9  # (the first term left out is below 0.01^9 of the first)


def _digamma_step(u, v):
    """``ψ(u) - ψ(u + v)`` (``u, v > 0``): where ``v < 0.01 u``, ``-Σ_k ψ⁽ᵏ⁾(w) vᵏ / k!`` with
    ``w = u`` for ``u >= 1``, and for ``u < 1`` by ``ψ(u) = ψ(u + 1) - 1/u`` the series at
    ``w = u + 1`` less ``v / (u (u + v))`` (``ψ⁽ᵏ⁾(1e-300)`` overflows); elsewhere the
    difference itself, which cancels at most ``100 |ψ(u)| / (u |ψ'(u)|)`` ulps."""
    series = (v < _STEP_SERIES * u) & (u > 0) & (v > 0)
    us, vs = wnp.where(series, u, 1.0), wnp.where(series, v, 0.0)
    lift = us < 1.0
    w = wnp.where(lift, us + 1.0, us)
    total = 0.0 * us
    power = 1.0 + 0.0 * vs
    for k in range(1, _STEP_TERMS + 1):
        power = power * vs / k
        total = total - polygamma(k, w) * power
    total = wnp.where(lift, total - (vs / us) / (us + vs), total)
    # a tiny u elsewhere: ψ(u) = ψ(u + 1) - 1/u for both digammas (ψ(5e-324) is -inf, and
    # ψ(u) - ψ(2u) was -inf + inf = NaN at u = v = 5e-324; the truth is -1/(2u))
    tiny = ~series & (u > 0) & (v > 0) & (u < _STEP_TINY)
    ut, vt = wnp.where(tiny, u, 1.0), wnp.where(tiny, v, 1.0)
    # v/(u+v) written as 1 - u/(u+v) where v >= u: the quotient rule's 1/(u+v) - v/(u+v)²
    # cancelled in the v-derivative (∂a∂b betaln(1e-10, 2) was 3e-8 off)
    share = wnp.where(vt < ut, vt / (ut + vt), 1.0 - ut / (ut + vt))
    lifted = digamma(ut + 1.0) - digamma(ut + vt + 1.0) - share / ut
    ud, vd = wnp.where(series | tiny, 1.0, u), wnp.where(series | tiny, 1.0, v)
    return wnp.where(series, total, wnp.where(tiny, lifted, digamma(ud) - digamma(ud + vd)))


_STEP_TINY = 1e-8  # below, ψ(u) is -1/u to 8 digits and more


def _digamma_step_over(u, v):
    """``(ψ(u) - ψ(u + v)) / v`` for ``0 < v < 0.01 u``: :func:`_digamma_step`'s series
    divided through by ``v`` (the quotient of a subnormal ``v`` lost its digits)."""
    lift = u < 1.0
    w = wnp.where(lift, u + 1.0, u)
    total = 0.0 * (u + v)
    power = 1.0 + 0.0 * v
    for k in range(1, _STEP_TERMS + 1):
        total = total - polygamma(k, w) * (power / k)
        power = power * v / k
    return wnp.where(lift, total - (1.0 / u) / (u + v), total)


_BETA_TINY = 1e-280  # a shape below: B overflows, or its partial's factors are subnormal


@custom_jvp
def _beta_tiny_shape(a, b):
    """``B(a, b)`` for ``a, b > 0``, one of them below _BETA_TINY. The other's partial is
    ``B(a, b) (ψ(b) - ψ(a + b))``, inf times a subnormal (-inf at ``B(5e-324, 1)``, the
    truth ``-ψ'(1) = -π²/6``): as ``(a + b) B(a + 1, b) (ψ(b) - ψ(a + b)) / a`` it is
    finite (the first two factors are ``a B(a, b)``)."""
    return wnp.exp(_betaln_regular(a, b, wnp))


def _beta_partial(u, v):
    """``∂B(u, v)/∂u`` for ``u, v > 0``, one of them tiny (see :func:`_beta_tiny_shape`)."""
    by_v = (v < _BETA_TINY) & (v < _STEP_SERIES * u)
    us, vs = wnp.where(by_v, u, 1.0), wnp.where(by_v, v, 1e-300)
    small = (us + vs) * wnp.exp(_betaln_regular(us, vs + 1.0, wnp)) * _digamma_step_over(us, vs)
    ud, vd = wnp.where(by_v, 1.0, u), wnp.where(by_v, 1.0, v)
    direct = _beta_tiny_shape(ud, vd) * _digamma_step(ud, vd)
    return wnp.where(by_v, small, direct)


@_beta_tiny_shape.defjvp
def _beta_tiny_shape_jvp(primals, tangents):
    (a, b), (ta, tb) = primals, tangents
    return _beta_tiny_shape(a, b), ta * _beta_partial(a, b) + tb * _beta_partial(b, a)


@_lnbeta_direct.defjvp
def _lnbeta_direct_jvp(primals, tangents):
    (a, b), (ta, tb) = primals, tangents
    return _lnbeta_direct(a, b), ta * _digamma_step(a, b) + tb * _digamma_step(b, a)


def _beta_poles(a, b, m):
    """SciPy's values at the poles of Γ (``a`` or ``b`` a non-positive integer): by the
    reflection ``B(a, b) = (-1)^b B(1 - a - b, b)`` where ``b`` is an integer and
    ``1 - a - b > 0``, ``±inf`` otherwise. Returns the arguments to use, whether the
    reflection flips the sign, and where the result is infinite."""

    def pole(x):
        return (x <= 0) & (m.floor(x) == x)

    def small_int(x):  # what SciPy's C code can convert to an int
        return (m.floor(x) == x) & (abs(x) < 2.0**31)

    def odd(x):
        return m.mod(m.where(small_int(x), x, 0.0), 2.0) != 0

    pa, pb = pole(a), pole(b)
    c = 1.0 - a - b
    ints = small_int(a) & small_int(b) & (c > 0)
    ok_a, ok_b = pa & ints, ~pa & pb & ints
    a2, b2 = m.where(ok_a, c, a), m.where(ok_b, c, b)
    flip = (ok_a & odd(b)) | (ok_b & odd(a))
    infinite = (pa & ~ok_a) | (~pa & pb & ~ok_b) | (ok_a & pole(b2)) | (ok_b & pole(a2))
    return a2, b2, flip, infinite


def betaln(a, b):
    """``log |B(a, b)|`` with SciPy's values everywhere: the large-argument expansion (see
    ``_betaln_regular``), ``inf`` where an argument is 0 or another pole of Γ, and SciPy's
    reflection at negative integers (``betaln(1, -3)`` is ``log(1/3)``); float32 computes in
    float64, as SciPy's float32 loop does.

    >>> bool(np.isclose(betaln(1e308, 1.0), -np.log(1e308)))
    True
    """
    return _in_float64(_D_FIRST, _betaln, a, b)


def _betaln(a, b):
    m = wnp if _t(a, b) else np
    a2, b2, _, infinite = _beta_poles(a, b, m)
    safe = ~infinite
    out = _betaln_regular(m.where(safe, a2, 1.0), m.where(safe, b2, 1.0), m)
    return m.where(infinite, np.inf, out)


def _gamma_sign(x, m):
    """The sign of Γ(x): -1 where ``x < 0`` and ``floor(x)`` is odd."""
    odd = m.mod(m.floor(x), 2.0) != 0
    return m.where((x < 0) & odd, _k(-1.0, x), _k(1.0, x))


def beta(a, b):
    """B(a, b) = sign · exp(log |B|), the sign of Γ(a) Γ(b) / Γ(a + b) (negative
    non-integer arguments included), with SciPy's values at the poles (see :func:`betaln`).

    >>> [round(float(beta(a, b)), 12) for a, b in [(2.0, 3.0), (-0.5, 1.0), (1.0, -3.0)]]
    [0.083333333333, -2.0, -0.333333333333]
    """
    return _in_float64(_D_FIRST, _beta, a, b)


def _beta(a, b):
    m = wnp if _t(a, b) else np
    a2, b2, flip, infinite = _beta_poles(a, b, m)
    safe = ~infinite
    a2, b2 = m.where(safe, a2, 1.0), m.where(safe, b2, 1.0)
    c = a2 + b2  # at a pole of Γ(a + b) SciPy divides by a Γ of sign +: B is +-0 by a, b
    sign_c = m.where((c <= 0) & (m.floor(c) == c), _k(1.0, c), _gamma_sign(c, m))
    sign = _gamma_sign(a2, m) * _gamma_sign(b2, m) * sign_c
    sign = m.where(flip, -sign, sign)
    out = m.where(infinite, sign * np.inf, sign * m.exp(_betaln_regular(a2, b2, m)))
    if m is not wnp:
        return out
    # At a pole of Γ(a + b) B is 0 but not flat: its derivatives are those of
    # Γ(a) Γ(b) / Γ(a + b) with 1/Γ entire there (exp(log|B|) gave 0 · inf = NaN). The value
    # stays the one above (its signed zero); each form sees only its own points.
    pole = (c <= 0) & (m.floor(c) == c) & ~infinite
    ap, bp = m.where(pole, a2, 0.5), m.where(pole, b2, 0.5)
    ar, br = m.where(pole, 1.0, a2), m.where(pole, 1.0, b2)
    near = (_gamma_sign(ap, m) * m.exp(gammaln(ap)) * _gamma_sign(bp, m) * m.exp(gammaln(bp))
            * rgamma(ap + bp))
    tiny = (ar > 0) & (br > 0) & (m.minimum(ar, br) < _BETA_TINY)
    # (a, b themselves, which a2, b2 are there: through _beta_poles' where, the other
    # shape's zero tangent would meet the tiny shape's infinite partial, 0 * inf)
    at, bt = m.where(tiny, a, 1.0), m.where(tiny, b, 1.0)
    ar, br = m.where(tiny, 1.0, ar), m.where(tiny, 1.0, br)
    magnitude = m.where(tiny, _beta_tiny_shape(at, bt), m.exp(_betaln_regular(ar, br, m)))
    regular = m.where(infinite, sign * np.inf, sign * magnitude)
    # value 0 - (+0.0) keeps out's signed zero (adding +0.0 would make -0.0 positive); where
    # Γ(a) Γ(b) overflows, inf - inf would be NaN: no derivative term there
    gap = wnp.stop_gradient(near) - near
    gap = m.where(wnp.isfinite(near), gap, 0.0)
    return m.where(pole, wnp.stop_gradient(out) - gap, regular)


def multigammaln(a, d):
    """Log of the multivariate gamma function of dimension ``d`` (float64). SciPy refuses
    ``a <= (d - 1) / 2``: so does this on concrete values; traced values give NaN there.

    >>> import wire
    >>> round(float(multigammaln(3.0, 2)), 6)
    1.550195
    >>> round(float(wire.grad(lambda a: multigammaln(a, 2))(3.0)), 6)   # d is not traced
    1.625941
    """
    a = _fl(a)  # SciPy sums the gammaln terms in a's float dtype, then adds a float64
    if not _t(a) and np.any(a <= 0.5 * (d - 1)):
        raise WireError(f"multigammaln: a must be > (d - 1) / 2 = {0.5 * (d - 1)}"
                        f"{at(user_location())}")
    terms = gammaln(a)
    for j in range(1, d):
        terms = terms + gammaln(a - j / 2.0)
    out = _f64(terms) + d * (d - 1) / 4.0 * math.log(math.pi)
    if _t(a):
        out = wnp.where(a <= 0.5 * (d - 1), np.nan, out)
    return out


def ndtr(x):
    """Standard normal CDF, computed as SciPy computes it (so its bits are SciPy's): with
    ``z = x / sqrt 2`` (a product by ``sqrt 1/2``), ``(1 + erf(z)) / 2`` where ``|z| < sqrt 1/2``,
    else ``erfc(|z|) / 2``, taken from 1 for ``z > 0``.

    >>> import wire
    >>> float(ndtr(0.0)), round(float(wire.grad(ndtr)(0.0)), 6)     # 1/2, 1/sqrt(2 pi)
    (0.5, 0.398942)
    """
    x = _as(_D_FIRST, x)
    if x.dtype.kind == "c":  # SciPy's erfc(-z/√2) / 2 (concrete: SciPy's own ndtr)
        return _scipy_special("ndtr")(x) if not _t(x) else 0.5 * _erfc_complex(-x * _SQRT1_2)
    if not _t(x):
        return _ndtr_bits(np, x)
    smooth = 0.5 * erfc(-x / _SQRT2)  # (the derivatives: those of one erfc, any order)
    # SciPy's bits minus the smooth form's differ by an ulp or two at most, so the difference
    # is exact (Sterbenz) and adding it back gives SciPy's bits, derivatives left as they are
    with np.errstate(invalid="ignore"):
        return smooth + wnp.stop_gradient(_ndtr_bits(wnp, x) - smooth)


def _ndtr_bits(m, x):
    """``ndtr`` as SciPy computes it (see :func:`ndtr`)."""
    dtype = x.dtype
    z = x.astype(np.float64) * _SQRT1_2  # (SciPy's float32 loop computes in double too)
    a = abs(z)
    tail = 0.5 * erfc(a)
    p = m.where(a < _SQRT1_2, 0.5 + 0.5 * erf(z), m.where(z > 0, 1.0 - tail, tail))
    return p if dtype == np.float64 else p.astype(dtype)


def ndtri(p):
    """Inverse of ``ndtr`` (a primitive, accurate in both tails); NaN outside [0, 1].

    >>> import wire
    >>> round(float(ndtri(0.975)), 6), round(float(wire.grad(ndtri)(0.5)), 6)  # sqrt(2 pi)
    (1.959964, 2.506628)
    """
    return SP.ndtri(_as(_F_FIRST, p))


_LOG_NDTR_SPLIT = -30.0  # below: asymptotic series (erfc underflows near x = -38)
_LOG_NDTR_MILLS = -1.0  # below: the derivatives through the Mills ratio
_LOG_NDTR_FAR = -1e150  # below: the Mills ratio's own derivatives are 0 (they underflow)


def log_ndtr(x):
    """log of the normal CDF: the asymptotic series below -30, ``log(erfc(-x/√2) / 2)`` up
    to 0, and ``log1p(-erfc(x/√2) / 2)`` above (accurate in the upper tail, ``-0.0`` at
    ``inf``, as SciPy's).

    Each branch gets inputs clamped to its own side, so neither value nor derivative of an
    unused branch can be inf/NaN (the gradient at x = -1000 is 1000, not NaN). Below -1 the
    derivatives of every order come from :func:`_log_ndtr_tail_deriv`, not from the
    formulas of the value.

    >>> import wire
    >>> round(float(log_ndtr(-40.0)), 3), round(float(wire.grad(log_ndtr)(-1000.0)), 3)
    (-804.608, 1000.001)
    """
    x = _as(_D_FIRST, x)
    if _t(x) and x.dtype.kind == "c":
        raise WireTypeError(f"log_ndtr: complex arguments are supported on concrete arrays "
                            f"only, got a traced {x.dtype}{at(user_location())}")
    if not _t(x):
        try:
            from scipy.special import log_ndtr as _l
        except ImportError:  # pragma: no cover - exercised only without scipy
            pass
        else:
            return _l(x)
    m = wnp if _t(x) else np
    low, high = x < _LOG_NDTR_MILLS, x > 0
    xe = m.where(low, _LOG_NDTR_MILLS, m.where(high, 0.0, x))  # erfc side
    xh = m.where(high, x, 0.0)  # upper tail
    near = m.log(erfc(-xe / _SQRT2)) - math.log(2.0)
    upper = m.log1p(-0.5 * erfc(xh / _SQRT2))
    if m is wnp:
        tail = _log_ndtr_tail(m.where(low, x, 2.0 * _LOG_NDTR_MILLS))
    else:  # pragma: no cover - exercised only without scipy
        tail = _log_ndtr_tail_value(np, m.where(low, x, 2.0 * _LOG_NDTR_MILLS))
    return m.where(low, tail, m.where(high, upper, near))


def _log_ndtr_tail_value(m, x):
    """``log_ndtr`` of ``x < -1``: the asymptotic series below -30, ``log(erfc(-x/√2)/2)``
    above."""
    low = x < _LOG_NDTR_SPLIT
    xe = m.where(low, _LOG_NDTR_SPLIT, x)
    xa = m.where(low, x, _LOG_NDTR_SPLIT)
    near = m.log(erfc(-xe / _SQRT2)) - math.log(2.0)
    r = 1.0 / (xa * xa)
    series = 1.0 + r * (-1.0 + r * (3.0 + r * (-15.0 + r * (105.0 + r * (-945.0 + r * 10395.0)))))
    far = -0.5 * xa * xa - m.log(-xa) - 0.5 * math.log(2.0 * math.pi) + m.log(series)
    return m.where(low, far, near)


@custom_jvp
def _log_ndtr_tail(x):
    """``log_ndtr`` of a traced ``x < -1``, whose derivative is :func:`_log_ndtr_tail_deriv`."""
    return _log_ndtr_tail_value(wnp, x)


def _log_ndtr_tail_deriv(x):
    """``log_ndtr'(x) = φ/Φ = h - x`` for ``x < -1``, with ``h = r'/r`` the log-derivative of
    the Mills ratio ``r = Φ/φ = sqrt(π/2) erfcx(-x/√2)``: ``h = -erfcx'(u) / (√2 erfcx(u))``
    at ``u = -x/√2``, from erfcx's own derivative rule (its series from ``u = 10``). The
    chain rule through the value's ``log(erfc)`` cancels: ``φ'/Φ - (φ/Φ)²`` is
    ``-x q - q²`` with ``q ≈ -x``, and the third derivative at -30 was -5.4e4 where the truth
    is 7.4e-5; ``h`` and its derivatives (ratios of erfcx's) lose no more than a few ulps.
    Below -1e150 ``h`` (about ``-1/x``) is held at its value there, so its derivatives are
    0 (the truth underflows) and ``log_ndtr''(-inf)`` is -1, not ``inf/inf``."""
    xs = wnp.where(x < _LOG_NDTR_FAR, _LOG_NDTR_FAR, x)
    u = xs * -_SQRT1_2
    e = erfcx(u)
    h = (-_SQRT1_2) * BES._erfcx_deriv(u, e) / e
    return h - x


@_log_ndtr_tail.defjvp
def _log_ndtr_tail_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _log_ndtr_tail(x), t * _log_ndtr_tail_deriv(x)


def entr(x):
    """``-x log x``: 0 at 0, ``-inf`` below, NaN at NaN (as SciPy's, computed in float64).

    >>> import numpy as np, wire
    >>> entr(np.array([0.0, 0.5, 1.0]))
    array([ 0.        ,  0.34657359, -0.        ])
    >>> round(float(wire.grad(entr)(0.5)), 6)        # -log x - 1
    -0.306853
    """
    return _in_float64(_F_FIRST, _entr, x)


def _entr(x):
    m = wnp if _t(x) else np
    pos = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = m.where(pos, x, 1.0)
        inner = -(_x_log_x(xs) if m is wnp else xs * np.log(xs))
    nan, poison = _nan_of(m, x)
    return m.where(nan, poison, m.where(pos, inner, m.where(x == 0, _k(0.0, x), -np.inf)))


@custom_jvp
def _x_log_x(x):
    """``x log x`` of a traced positive ``x``, whose derivative is the formula ``log x + 1``:
    the product's ``log x + x · (1/x)`` gave a third derivative ``x · 2/x³ - 3/x²`` that
    overflowed (the third derivative of entr at 1e-120 was ``-inf``, not ``1e240``)."""
    return x * wnp.log(x)


@_x_log_x.defjvp
def _x_log_x_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _x_log_x(x), t * (wnp.log(x) + 1.0)


@custom_jvp
def _x_log_ratio_finite(x, y):
    """``x log(x / y)`` for traced finite positive ``x``, ``y`` (the log of the ratio by
    :func:`_log_ratio`), with the partials as formulas (``log(x / y) + 1`` and ``-x / y``; see
    :func:`_x_log_x`)."""
    return x * _log_ratio(x, y, wnp)


@_x_log_ratio_finite.defjvp
def _x_log_ratio_finite_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    # a tangent that is a constant zero (an argument not differentiated, in forward and
    # Taylor mode) is left out: times the other partial's overflowing derivatives (1/y³ at
    # y = 1e-300) it would be 0 * inf
    terms = []
    if not _zero_tangent(tx):
        terms.append(tx * (_log_ratio(x, y, wnp) + 1.0))
    if not _zero_tangent(ty):
        terms.append(-(ty * x) / y)
    out = _x_log_ratio_finite(x, y)
    if not terms:
        return out, wnp.zeros_like(out)
    return out, terms[0] if len(terms) == 1 else terms[0] + terms[1]


def _zero_tangent(t) -> bool:
    """``t`` is a constant zero (the tangent of an argument not differentiated)."""
    return isinstance(t, Tracer) and is_value(t.node, 0)


def _nan_of(m, *xs):
    """Where an argument is NaN: that mask, and a NaN whose derivative in each argument is
    NaN there (a constant NaN would have derivative 0; JAX's formulas carry the NaN into
    the derivative): ``exp(s)`` for ``s`` the arguments' sum on those points, 0 elsewhere,
    whose derivatives of every order are NaN there (``s * s`` had the second derivative 2:
    ``entr''(NaN)`` was 2.0)."""
    mask = functools.reduce(lambda a, b: a | b, [m.isnan(x) for x in xs])
    s = functools.reduce(lambda a, b: a + b, [m.where(mask, x, 0.0) for x in xs])
    return mask, m.exp(s)


def _positive(x, y, m):
    """``x > 0 and y > 0``, and ``x``, ``y`` replaced by 1 elsewhere (so no log or ratio of
    the unused branch is inf/NaN, in value or derivative)."""
    pos = (x > 0) & (y > 0)
    return pos, m.where(pos, x, 1.0), m.where(pos, y, 1.0)


def _x_log_ratio(x, y, m):
    """``x log(x / y)`` where it is a limit of the smooth function (``x > 0``, ``y >= 0``,
    not both infinite), with every derivative the limit there: the mask of those points and
    the value. Finite positive points take :func:`_log_ratio`; ``y = 0`` and ``y = inf``
    take ``x (log x - log y)``, whose rules give the limits (``∂_y = -x / y``: ``-inf`` at 0,
    0 at inf); ``x = inf`` takes ``x (1 + log(x̄) - log y)``, ``x̄`` a constant copy of ``x``:
    its derivatives are the limits at ``x = inf`` (``∂_x = log(x / y) + 1 = inf``,
    ``∂²_x = 1 / x = 0``, ``∂_y = -x / y = -inf``), where ``x · log'(x)`` is ``inf / inf``;
    at ``x = y = inf`` it is NaN, with NaN derivatives."""
    inf = np.inf
    finite = (x > 0) & (x < inf) & (y > 0) & (y < inf)
    y_edge = (x > 0) & (x < inf) & ((y == 0) | (y == inf))
    x_inf = (x == inf) & (y >= 0)  # (NaN at y = inf: inf - inf in the log)
    xs, ys = m.where(finite, x, 1.0), m.where(finite, y, 1.0)
    xe, ye = m.where(y_edge, x, 1.0), m.where(y_edge, y, 1.0)
    xi, yi = m.where(x_inf, x, 1.0), m.where(x_inf, y, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        at_edge = xe * (m.log(xe) - m.log(ye))
        held = wnp.stop_gradient(xi) if m is wnp else xi
        at_inf = xi * (1.0 + m.log(held) - m.log(yi))
        core = _x_log_ratio_finite(xs, ys) if m is wnp else xs * _log_ratio(xs, ys, m)
        out = m.where(finite, core,
                      m.where(y_edge, at_edge, at_inf))
    return finite | y_edge | x_inf, out


def rel_entr(x, y):
    """``x log(x / y)`` for ``x, y > 0``; 0 where ``x == 0 <= y``; inf elsewhere; NaN for a
    NaN argument (SciPy's definition, computed in float64 as SciPy does). The log is
    ``log1p((x - y) / y)`` for ratios near 1 and ``log x - log y`` where the ratio overflows
    or underflows, as SciPy's.

    >>> import numpy as np
    >>> rel_entr(np.array([0.0, 1.0, 2.0]), np.ones(3))          # 0, 0, 2 log 2
    array([0.        , 0.        , 1.38629436])
    """
    return _in_float64(_F_FIRST, _rel_entr, x, y)


def _log_ratio(xs, ys, m):
    """``log(xs / ys)`` for positive ``xs``, ``ys``: ``log1p((xs - ys) / ys)`` for ratios near
    1, ``log xs - log ys`` where the ratio overflows or underflows (as SciPy's rel_entr)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = xs / ys
        near = (ratio > 0.5) & (ratio < 2.0)
        fine = (ratio > np.finfo(np.float64).tiny) & (ratio < np.inf)
        # each branch sees its own side only: the log1p branch at a tiny ratio would be
        # log1p(-1), and even unused its infinite derivative times 0 made NaN derivatives
        xn = m.where(near, xs, ys)
        xf = m.where(fine, xs, ys)
        xo = m.where(fine, ys, xs)
        return m.where(near, m.log1p((xn - ys) / ys),
                       m.where(fine, m.log(xf / ys), m.log(xo) - m.log(ys)))


def _rel_entr(x, y):
    m = wnp if _t(x, y) else np
    pos, val = _x_log_ratio(x, y, m)
    with np.errstate(invalid="ignore", over="ignore"):
        out = m.where(pos, val, m.where((x == 0) & (y >= 0), _k(0.0, x), np.inf))
    return _nan_where_undefined(m, out, x, y)


def _nan_where_undefined(m, out, x, y):
    """``out`` with NaN of NaN derivatives (of every order) where an argument is NaN and
    where ``out`` itself is (``inf - inf`` at infinite arguments, as SciPy's value): not a
    held NaN whose derivatives are finite."""
    nan, poison = _nan_of(m, x, y)
    if m is wnp:
        undefined = wnp.isnan(wnp.stop_gradient(out)) & ~nan
        out = wnp.where(undefined, _poison(x + y, undefined), out)
    return m.where(nan, poison, out)


def kl_div(x, y):
    """``x log(x / y) - x + y`` for ``x, y > 0``; ``y`` where ``x == 0 <= y``; inf
    elsewhere; NaN for a NaN argument (SciPy's definition, computed in float64 as SciPy
    does). At ``x == 0`` the ``x log(x / y)`` part is held at 0 as in :func:`rel_entr`, so the
    derivatives there are those of ``y - x`` (``-1`` in ``x``, as JAX's). The log of the
    ratio is :func:`rel_entr`'s, so a ratio that underflows still gives the true value
    (SciPy's ``kl_div(1e-300, 1e300)`` is ``-inf``; the truth, and wire's, is ``1e300``).

    >>> import wire
    >>> float(wire.grad(kl_div)(0.0, 2.0))
    -1.0
    >>> float(kl_div(1e-300, 1e300))
    1e+300
    """
    return _in_float64(_F_FIRST, _kl_div, x, y)


def _kl_div(x, y):
    m = wnp if _t(x, y) else np
    pos, rel = _x_log_ratio(x, y, m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # the log of the ratio as rel_entr's: x log(x / y) for a ratio that underflows is
        # x (log x - log y), not x log 0 = -inf (SciPy's kl_div(1e-300, 1e300) is -inf)
        # - x dropped at (inf, 0), where SciPy's value is inf (its derivative -1 there is
        # nothing beside log(x / y) = inf)
        val = rel - m.where((x == np.inf) & (y == 0), 0.0, x) + y
        # at x = 0 the value is y itself (its signed zero too), the derivatives those of y - x
        held = y - (x - wnp.stop_gradient(x)) if m is wnp else y
        # x within 10% of y: y g(d), d = x/y - 1, g(d) = (1 + d) log1p(d) - d by its series
        # (the difference cancelled to the last digits: kl_div(1, 1 - 1e-6) was 8e-5 off,
        # SciPy's 2e-4, and kl_div(x, x (1 + 1e-9)) 0 or -1e-16 instead of 5e-19 x)
        close = pos & (abs(x - y) < _KL_SERIES * y)
        ys = m.where(close, y, 1.0)
        d = (m.where(close, x, 1.0) - ys) / ys
        g = 0.0 * d
        for k in range(_KL_TERMS, 1, -1):
            g = (g + (-1.0) ** k / (k * (k - 1))) * d
        val = m.where(close, ys * (g * d), val)
        out = m.where(pos, val, m.where((x == 0) & (y >= 0), held, np.inf))
    return _nan_where_undefined(m, out, x, y)


_KL_SERIES = 0.1  # |x - y| / y below: kl_div by the series of (1 + d) log1p(d) - d
_KL_TERMS = 18  # its terms d^k / (k (k - 1)) up to k = 18: the next below 1e-17 of the first


def sinc(x):
    """Normalized sinc ``sin(πx) / (πx)``, NumPy's values: ``wire.numpy.sinc``.

    Its derivatives from ``|x| = 1/4`` on are those of ``sinpi(x) / (πx)`` with the sine's
    argument reduced exactly (``sin(π(x - r)) (-1)^r``, ``r`` the nearest integer): ``sin(πx)``
    of the rounded product ``πx`` is off by up to ``ulp(πx)``, which ``sinc''(n) = -2(-1)^n/n²``
    feels relatively (3.5e-4 off at ``x = 1e6``).

    >>> import numpy as np, wire
    >>> sinc(np.array([0.0, 0.5])), float(wire.grad(sinc)(0.0))
    (array([1.        , 0.63661977]), 0.0)
    >>> float(wire.grad(wire.grad(sinc))(1e6))   # -2 / 1e12
    -2e-12
    """
    return wnp.sinc(x)


# --------------------------------------------------------------------------- incomplete gamma/beta
# Primitives of wire.ops.incomplete: derivatives of every order in every argument, the shape
# parameters included (by Taylor arithmetic through the series and continued fractions).

__all__ += ["betainc", "gammainc", "gammaincc"]


def gammainc(a, x):
    """Regularised lower incomplete gamma function ``P(a, x)``, differentiable in ``a`` and ``x``.

    >>> round(float(gammainc(1.0, 1.0)), 12)        # 1 - exp(-1)
    0.632120558829
    >>> import wire
    >>> round(float(wire.grad(gammainc)(2.0, 1.5)), 10)   # dP/da, no closed form
    -0.3134886378
    """
    return INC.gammainc(*_as(_D_FIRST, a, x))


def gammaincc(a, x):
    """Regularised upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``, accurate where
    it is tiny.

    >>> bool(abs(gammaincc(1.0, 50.0) / math.exp(-50.0) - 1.0) < 1e-14)
    True
    """
    return INC.gammaincc(*_as(_D_FIRST, a, x))


def _gamma_density(a, x):
    """``x^(a-1) e^-x / Γ(a)``, the x-derivative of :func:`gammainc`: every derivative is
    exact at ``x = 0`` too (the one-sided limit), where ``exp`` of the log-density is not
    (``0 · inf``). For ``wire.scipy.stats``."""
    return INC.gammainc_dx(*_as(_D_FIRST, a, x), 0, 1)


def _beta_density(a, b, x):
    """``x^(a-1) (1-x)^(b-1) / B(a, b)``, the x-derivative of :func:`betainc`, exact in every
    derivative at ``x = 0`` and ``x = 1`` too. For ``wire.scipy.stats``."""
    return INC.betainc_dx(*_as(_F_FIRST, a, b, x), 0, 0, 1)


def betainc(a, b, x):
    """Regularised incomplete beta function ``I_x(a, b)``, differentiable in ``a``, ``b``, ``x``.

    >>> float(betainc(1.0, 1.0, 0.25))
    0.25
    """
    return INC.betainc(*_as(_F_FIRST, a, b, x))


__all__ += ["betaincc"]


def betaincc(a, b, x):
    """Complementary regularised incomplete beta function ``1 - I_x(a, b)``, accurate where it
    is tiny (``1 - betainc`` loses the digits below ``1e-16``), differentiable in ``a``, ``b``,
    ``x``.

    >>> float(betaincc(1.0, 1.0, 0.25))
    0.75
    >>> float(betaincc(1e-30, 2.0, 0.3))     # 1 - betainc(1e-30, 2.0, 0.3) is 0.0
    5.039728043259361e-31
    """
    return INC.betaincc(*_as(_F_FIRST, a, b, x))

# --------------------------------------------------------------------------- Bessel, Γ family
# Bessel functions and exponential integrals (primitives of wire.ops.bessel, values from
# SciPy; in ._bessel) and the compositions of gammaln that stay exact at the poles of Γ (in
# ._gamma_family).

__all__ += [*_BESSEL_NAMES, *_GAMMA_NAMES, *_MORE_NAMES]

# The functions SciPy defines for real arguments only refuse complex ones (their real
# formulas gave wrong answers there: expit(0.3+0.4j) was 1.02+0.40j, betaln dropped the
# imaginary parts). Complex arguments are taken by: logsumexp, softmax, log_softmax, erf,
# erfc, ndtr, digamma/psi, sinc, xlogy, xlog1py (and, on concrete arrays, loggamma, gamma,
# log_ndtr and SciPy's complex functions from the modules above; their traced forms raise).
_REAL_ONLY = ("bernoulli", "beta", "betainc", "betaincc", "betaln", "entr", "erfcinv", "expit",
              "factorial", "gammainc", "gammaincc", "kl_div", "log_expit", "logit",
              "multigammaln", "ndtri", "rel_entr")
for _name in _REAL_ONLY:
    globals()[_name] = _real_only(globals()[_name])
del _name

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
