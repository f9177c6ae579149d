"""log Γ, Γ and 1/Γ of complex arguments on traced values, SciPy's branches and special
values: ``loggamma`` is the principal branch of log Γ (analytic off the negative real axis,
its imaginary part continuous, not wrapped to ``(-π, π]``; on the negative real axis itself
the limit from the side of the imaginary part's sign, ``-0.0`` below); ``gamma`` and
``rgamma`` are ``exp(±loggamma)``, NaN and 0 at the poles, as SciPy's.

log Γ(w) for ``Re w >= 1/10`` is Stirling's series where ``Re w > 7`` or ``|Im w| > 7``, the
Taylor series of log Γ(1 + u) within ``0.2`` of 1 and (with ``log(1 + u)``) of 2, where log Γ
has its zeros, and elsewhere the recurrence ``log Γ(w) = log Γ(w + 8) - Σ log(w + k)`` (each
logarithm principal: exact for the principal branch, as ``Re(w + k) > 0``). Left of
``Re z = 1/10`` the reflection, written so that its branch is the principal one: for
``Im z >= 0``, with ``q = exp(2πiz)`` (``|q| <= 1``),

    log Γ(z) = log π - log Γ(1 - z) + iπz - iπ/2 + log 2 - log(1 - q),

whose ``1 - q = -expm1(2πi (z - round(Re z)))`` keeps its digits at the poles; below the
real axis the conjugate (log Γ of ``conj z`` is ``conj`` log Γ(z)). Derivatives are
ψ's (``digamma``, itself holomorphic on complex values), so every order is holomorphic.
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as wnp
from ..api.custom import custom_jvp
from ..ops.special import LNGAMMA_AT_1
from ._traced import scipy_special as _scipy_special
from ._traced import traced as _t

# log Γ(1 + u) = -γu + Σ_{k >= 2} (-1)^k ζ(k)/k u^k: the coefficients k = 1 … 25 (the real
# gammaln's near 1); |u| < 0.2 leaves the next term below 1e-18 of the first
_TAYLOR = LNGAMMA_AT_1[:25]
_TAYLOR_RADIUS = 0.2
# Stirling: B₂ₖ / (2k (2k - 1)), k = 1 … 8 (the ninth term is below 1e-16 at |w| = 7)
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)
_STIRLING_FROM = 7.0  # Re w or |Im w| above: Stirling's series directly
_SHIFT = 8  # the recurrence's steps (Re w >= 0.1: Re(w + 8) > 7)
_REFLECT_BELOW = 0.1
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)
_LOG_2 = math.log(2.0)
_RGAMMA_NEAR_FROM = -169.0  # the poles from which rgamma takes the reflection near them


# ψ(z) = log z - 1/(2z) - Σ B₂ₖ / (2k z²ᵏ): the coefficients B₂ₖ / 2k, k = 1 … 8
_PSI_ASYMPTOTIC = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12,
                   -3617 / 8160)
_PSI_SHIFT = 10  # ψ(w) = ψ(w + 10) - Σ 1/(w + k): |w + 10| >= 10.5, the series to 1e-17


def digamma_complex(z):
    """ψ of complex ``z``: SciPy's on concrete arrays; traced, the reflection
    ``ψ(z) = ψ(1 - z) - π cot(πz)`` for ``Re z < 1/2``, then the recurrence
    ``ψ(w) = ψ(w + 10) - Σ_k 1/(w + k)`` and the asymptotic series at ``w + 10``.
    Holomorphic: derivatives of every order.

    >>> import numpy as np, wire
    >>> complex(np.round(wire.jit(digamma_complex)(np.array(1j)), 6))
    (0.09465+2.076674j)
    """
    if not _t(z):
        return _scipy_special("psi")(z)
    left = wnp.real(z) < 0.5
    w = wnp.where(left, 1.0 - z, z)  # Re w >= 1/2: no pole in the recurrence
    shift = 0.0 * w
    for k in range(_PSI_SHIFT):
        shift = shift + 1.0 / (w + k)
    v = w + _PSI_SHIFT
    r = 1.0 / v
    v2 = r * r  # (not 1 / v²: v² overflows above |v| = 1e154, and ψ was NaN there)
    series = 0.0 * v2
    for c in reversed(_PSI_ASYMPTOTIC):
        series = (series + c) * v2
    psi_w = wnp.log(v) - 0.5 / v - series - shift
    # π cot(πz) where the reflection is taken (a stand-in elsewhere: no pole there), in the
    # form whose exponential decays: ±i (q + 1) / (q - 1), q = exp(±2πiz), z reduced by the
    # nearest integer to its real part (near a pole 2πz rounded by more than the distance)
    zc = wnp.where(left, z, 0.25)
    a = math.pi * (zc - wnp.round(wnp.real(zc)))  # (cot has period π: reduced exactly)
    up = wnp.imag(a) > 0
    q1 = wnp.expm1(wnp.where(up, 2j * a, -2j * a))  # q - 1, exact near the poles
    cot = 1j * (2.0 + q1) / q1
    cot = wnp.where(up, cot, -cot)
    return wnp.where(left, psi_w - math.pi * cot, psi_w)


def _stirling(w):
    r = 1.0 / w
    r2 = r * r
    series = 0.0 * r
    for c in reversed(_STIRLING):
        series = series * r2 + c
    return (w - 0.5) * wnp.log(w) - w + _HALF_LOG_2PI + series * r


def _taylor(u):
    """log Γ(1 + u) for ``|u| < 0.2`` (Horner)."""
    total = 0.0 * u
    for c in reversed(_TAYLOR):
        total = (total + c) * u
    return total


def _log1p(u):
    """``log(1 + u)`` of a small complex ``u`` to full relative accuracy (NumPy's complex
    ``log1p`` is ``log(1 + u)``: its real part loses the digits of a tiny ``u``)."""
    a, b = wnp.real(u), wnp.imag(u)
    re = 0.5 * wnp.log1p(a * (2.0 + a) + b * b)
    return re + 1j * wnp.arctan2(b, 1.0 + a)


def _right(w):
    """log Γ(w) for ``Re w >= 0.1`` (each branch on its own points, stand-ins elsewhere)."""
    x, y = wnp.real(w), wnp.imag(w)
    far = (x > _STIRLING_FROM) | (wnp.abs(y) > _STIRLING_FROM)
    near1 = ~far & (wnp.abs(w - 1.0) < _TAYLOR_RADIUS)
    near2 = ~far & ~near1 & (wnp.abs(w - 2.0) < _TAYLOR_RADIUS)
    rest = ~(far | near1 | near2)
    direct = _stirling(wnp.where(far, w, 10.0))
    u1 = wnp.where(near1, w - 1.0, 0.0)
    u2 = wnp.where(near2, w - 2.0, 0.0)
    wr = wnp.where(rest, w, 3.0)
    logs = 0.0 * wr
    for k in range(_SHIFT):
        logs = logs + wnp.log(wr + k)
    shifted = _stirling(wr + _SHIFT) - logs
    return wnp.where(far, direct, wnp.where(near1, _taylor(u1), wnp.where(
        near2, _log1p(u2) + _taylor(u2), shifted)))


def _upper(z):
    """Principal log Γ(z) for ``Im z >= 0`` (``+0.0`` included), finite, not a pole."""
    left = wnp.real(z) < _REFLECT_BELOW
    zl = wnp.where(left, z, -0.5 + 1j)  # (stand-ins where unused)
    w = wnp.where(left, 1.0 - zl, z)
    lg = _right(w)
    zr = zl - wnp.round(wnp.real(zl))  # (q is periodic: reduced exactly)
    one_minus_q = -wnp.expm1(2j * math.pi * zr)
    reflected = (_LOG_PI + _LOG_2 - 0.5j * math.pi) - lg + 1j * math.pi * zl \
        - wnp.log(one_minus_q)
    return wnp.where(left, reflected, lg)


def _poles(z):
    x = wnp.real(z)
    return (x <= 0) & (wnp.imag(z) == 0) & (wnp.floor(x) == x)


def _loggamma_value(z):
    x, y = wnp.real(z), wnp.imag(z)
    below = wnp.signbit(y)
    finite = wnp.isfinite(x) & wnp.isfinite(y)
    bad = _poles(z) | ~finite
    zu = wnp.where(bad, 2.0 + 0.5j, wnp.where(below, wnp.conj(z), z))
    up = _upper(zu)
    out = wnp.where(below, wnp.conj(up), up)
    nan = complex(np.nan, np.nan)
    # SciPy's values at the infinities (its Stirling series there, (z - 1/2) log z - z):
    # -inf + NaN i at an infinite imaginary part with a real part below 1/2 (|Γ| -> 0 there
    # for every real part), NaN + NaN i otherwise
    at_inf = (x < 0.5) & wnp.isfinite(x) & wnp.isinf(y)
    special = wnp.where(at_inf, complex(-np.inf, np.nan), nan)
    return wnp.where(bad, wnp.asarray(special, z.dtype), out)


@custom_jvp
def loggamma_complex(z):
    """SciPy's principal branch of log Γ of a traced complex ``z`` (derivative ψ(z)).

    >>> import numpy as np, wire
    >>> z = np.array([3.0 + 0j, -2.5 + 0j, complex(-2.5, -0.0)])
    >>> np.round(wire.jit(loggamma_complex)(z), 6)            # log 2, log|Γ| ∓ 3πi
    array([ 0.693147+0.j      , -0.056244-9.424778j, -0.056244+9.424778j])
    """
    return wnp.asarray(_loggamma_value(z), z.dtype)


@loggamma_complex.defjvp
def _loggamma_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    return loggamma_complex(z), t * digamma_complex(z)


@custom_jvp
def gamma_complex(z):
    """Γ of a traced complex ``z``: ``exp(loggamma(z))``, NaN at the poles, as SciPy's
    (derivative Γ(z) ψ(z)).

    >>> import numpy as np, wire
    >>> complex(np.round(wire.jit(gamma_complex)(np.array(0.5 + 0j)) ** 2, 12))    # π
    (3.14159265359+0j)
    """
    return wnp.exp(loggamma_complex(z))


@gamma_complex.defjvp
def _gamma_jvp(primals, tangents):
    (z,), (t,) = primals, tangents
    g = gamma_complex(z)
    return g, t * (g * digamma_complex(z))


def rgamma_complex(z):
    """1/Γ of a traced complex ``z``: ``exp(-loggamma(z))``, 0 at the poles, as SciPy's;
    near and at a pole ``-n`` (within 0.2) by the reflection ``sin(πz) Γ(1 - z) / π``, whose
    derivative there is ``(-1)^n n!`` (``-ψ / Γ`` would be ``0 · ∞``).

    >>> import numpy as np, wire
    >>> wire.jit(rgamma_complex)(np.array([-2.0 + 0j, 1.0 + 0j]))
    array([0.+0.j, 1.-0.j])
    >>> g = wire.grad(lambda z: wnp.real(rgamma_complex(z)))(-2.0 + 0j)
    >>> complex(np.round(g, 12))                                    # (-1)² 2!
    (2+0j)
    """
    x = wnp.real(z)
    n = wnp.round(x)
    # (below -169, Γ(1 - z) overflows: there exp(-loggamma), the poles themselves 0)
    near = (x < 0.5) & (n >= _RGAMMA_NEAR_FROM) & (wnp.abs(z - n) < _TAYLOR_RADIUS)
    zn = wnp.where(near, z, 0.5j)
    far = wnp.exp(-loggamma_complex(wnp.where(near | _poles(z), 2.0 + 0j, z)))
    far = wnp.where(_poles(z), 0.0, far)
    # sin(πz) = (-1)^n sin(π(z - n)); Γ(1 - z) has no pole for Re z < 0.7
    nn = wnp.where(near, n, 0.0)
    sign = 1.0 - 2.0 * wnp.abs(nn - 2.0 * wnp.floor(nn / 2.0))
    close = sign * wnp.sin(math.pi * (zn - nn)) * gamma_complex(1.0 - zn) / math.pi
    return wnp.where(near, close, far)
