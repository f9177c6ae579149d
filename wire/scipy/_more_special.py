"""``zeta``, ``boxcox``, ``boxcox1p``, ``expn``, ``dawsn``, ``spence``, ``sici``, ``fresnel``,
``hyp1f1``, ``hyp2f1``, ``owens_t``, ``wofz``, ``sph_harm_y``, ``bessel_jn`` and
``bernoulli`` of ``wire.scipy.special``,
with SciPy's signatures and values (primitives of ``wire.ops.special_more``; their derivative
rules are listed there).

On concrete arrays SciPy is called directly; traced values are cast to the dtype SciPy's
ufunc computes in (float32 stays float32, integers become float64). Where a derivative has
no closed form (``hyp1f1``/``hyp2f1`` in their parameters, ``expn`` in its integer order)
differentiating raises ``wire.NonDifferentiableError``.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import numpy as wnp
from ..errors import WireError, at, user_location
from ..ops import special_more as SM
from ._bessel import jv
from ._gamma_family import _cast
from ._traced import scipy_special as _scipy
from ._traced import traced as _t


def zeta(x, q=None):
    """The Hurwitz zeta function ``Σ_{n>=0} (n + q)^-x``, or Riemann's (analytically
    continued below ``x = 1``) when ``q`` is None; SciPy's values. Derivative in ``q``:
    ``-x zeta(x + 1, q)``; in ``x``, ``-Σ log(n + q) (n + q)^-x`` (every order, by
    Euler-Maclaurin; Riemann's below ``x = -1/2`` through the reflection formula).

    >>> import wire
    >>> round(float(zeta(2.0)), 12), round(float(zeta(2.0, 2.0)), 12)   # π²/6, π²/6 - 1
    (1.644934066848, 0.644934066848)
    >>> round(float(wire.grad(zeta, argnums=1)(2.0, 1.0)), 12)          # -2 ζ(3)
    -2.404113806319
    >>> round(float(wire.grad(zeta)(0.0)), 12)                          # ζ'(0) = -log(2π)/2
    -0.918938533205
    """
    if q is None:
        if not _t(x):
            return _scipy("zeta")(x)
        return SM.zeta(_cast("zeta", x))
    if not _t(x, q):
        return _scipy("zeta")(x, q)
    return SM.zeta(*_cast("zeta", x, q))


def boxcox(x, lmbda):
    """The Box-Cox transform ``(x^λ - 1) / λ`` (``log x`` at ``λ = 0``), SciPy's values;
    derivatives ``x^(λ-1)`` in ``x`` and ``(x^λ log x - boxcox) / λ`` in ``λ`` (``log² x / 2``
    at ``λ = 0``, by its series there).

    >>> import wire
    >>> float(boxcox(4.0, 0.5)), float(wire.grad(boxcox)(4.0, 0.5))
    (2.0, 0.5)
    >>> round(float(wire.grad(boxcox, argnums=1)(np.e, 0.0)), 12)     # log² e / 2
    0.5
    """
    if not _t(x, lmbda):
        return _scipy("boxcox")(x, lmbda)
    return SM.boxcox(*_cast("boxcox", x, lmbda))


def boxcox1p(x, lmbda):
    """The Box-Cox transform of ``1 + x``, accurate for small ``x``; SciPy's values,
    derivatives as :func:`boxcox`'s with ``log1p(x)`` for ``log x``.

    >>> import wire
    >>> float(boxcox1p(1e-20, 0.5)), float(wire.grad(boxcox1p)(0.0, 0.5))
    (1e-20, 1.0)
    """
    if not _t(x, lmbda):
        return _scipy("boxcox1p")(x, lmbda)
    return SM.boxcox1p(*_cast("boxcox1p", x, lmbda))


def expn(n, x):
    """The generalized exponential integral ``E_n(x) = ∫_1^∞ e^(-xt) / t^n dt`` of integer
    ``n`` (SciPy truncates a float ``n``); derivative ``-E_{n-1}(x)`` in ``x`` (``E_0(x) =
    e^-x / x``), none in ``n`` (differentiating in ``n`` raises).

    >>> import wire
    >>> round(float(expn(1, 1.0)), 12), round(float(wire.grad(expn, argnums=1)(2, 1.0)), 12)
    (0.219383934396, -0.219383934396)
    """
    if not _t(n, x):
        return _scipy("expn")(n, x)
    if _kind(n) in "iub":  # SciPy's loop for an integer n: n as int64, x as float64
        if _kind(x) == "c":  # (refused, not cast: that dropped the imaginary part)
            raise WireError(f"expn: complex arguments are supported on concrete arrays only, "
                            f"got a traced {x.dtype}{at(user_location())}")
        return SM.expn(wnp.asarray(n, np.int64), wnp.asarray(x, np.float64))
    return SM.expn(*_cast("expn", n, x))


def dawsn(x):
    """Dawson's integral ``e^(-x²) ∫_0^x e^(t²) dt``; derivative ``1 - 2x dawsn(x)``.

    >>> import wire
    >>> round(float(dawsn(1.0)), 12), round(float(wire.grad(dawsn)(0.0)), 12)
    (0.538079506913, 1.0)
    """
    if not _t(x):
        return _scipy("dawsn")(x)
    return SM.dawsn(_cast("dawsn", x))


def spence(z):
    """Spence's function ``∫_1^z log t / (1 - t) dt`` (the dilogarithm ``Li₂(1 - z)``; NaN
    for real ``z < 0``, as SciPy's); derivative ``log z / (1 - z)`` (``-1`` at ``z = 1``).

    >>> import wire
    >>> round(float(spence(0.0)), 12), float(wire.grad(spence)(1.0))      # π²/6
    (1.644934066848, -1.0)
    """
    if not _t(z):
        return _scipy("spence")(z)
    return SM.spence(_cast("spence", z))


def sici(x):
    """The sine and cosine integrals ``(Si(x), Ci(x))``; derivatives ``sin x / x`` and
    ``cos x / x``. For real ``x < 0`` SciPy's ``Ci`` is that of ``|x|`` (the real part).

    >>> import wire
    >>> [round(float(v), 12) for v in sici(1.0)]
    [0.946083070367, 0.337403922901]
    >>> round(float(wire.grad(lambda x: sici(x)[0])(0.0)), 12)
    1.0
    """
    if not _t(x):
        return _scipy("sici")(x)
    return SM.sici(_cast("sici", x))


def fresnel(x):
    """The Fresnel integrals ``(S(x), C(x)) = ∫_0^x (sin, cos)(πt²/2) dt``, in SciPy's order;
    derivatives ``sin(πx²/2)`` and ``cos(πx²/2)``, the phase ``x² mod 4`` taken exactly (so
    they are right for large ``x`` too).

    >>> import wire
    >>> [round(float(v), 12) for v in fresnel(1.0)]
    [0.43825914739, 0.779893400377]
    >>> float(wire.grad(lambda x: fresnel(x)[0])(1.0))                      # sin(π/2)
    1.0
    """
    if not _t(x):
        return _scipy("fresnel")(x)
    return SM.fresnel(_cast("fresnel", x))


def hyp1f1(a, b, x):
    """The confluent hypergeometric function ``₁F₁(a; b; x)`` (SciPy's values); derivative
    ``a/b ₁F₁(a+1; b+1; x)`` in ``x``; none in ``a`` or ``b`` (differentiating there raises).

    >>> import wire
    >>> round(float(hyp1f1(1.0, 1.0, 0.5)), 12)                             # e^0.5
    1.6487212707
    >>> round(float(wire.grad(hyp1f1, argnums=2)(1.0, 2.0, 0.0)), 12)
    0.5
    """
    if not _t(a, b, x):
        return _scipy("hyp1f1")(a, b, x)
    return SM.hyp1f1(*_cast("hyp1f1", a, b, x))


def hyp2f1(a, b, c, z):
    """The Gauss hypergeometric function ``₂F₁(a, b; c; z)`` (SciPy's values); derivative
    ``ab/c ₂F₁(a+1, b+1; c+1; z)`` in ``z``; none in ``a``, ``b``, ``c`` (differentiating
    there raises).

    >>> import wire
    >>> round(float(hyp2f1(1.0, 1.0, 2.0, 0.5)), 12)                       # -log(1/2) / (1/2)
    1.38629436112
    >>> round(float(wire.grad(hyp2f1, argnums=3)(1.0, 1.0, 2.0, 0.0)), 12)
    0.5
    """
    if not _t(a, b, c, z):
        return _scipy("hyp2f1")(a, b, c, z)
    return SM.hyp2f1(*_cast("hyp2f1", a, b, c, z))


def owens_t(h, a):
    """Owen's T function ``(1/2π) ∫_0^a e^(-h²(1+t²)/2) / (1 + t²) dt``; derivatives
    ``-φ(h) erf(ah/√2) / 2`` in ``h`` and ``e^(-h²(1+a²)/2) / (2π(1+a²))`` in ``a``.

    >>> import wire
    >>> round(float(owens_t(0.0, 1.0)), 12)                                 # 1/8
    0.125
    >>> round(float(wire.grad(owens_t, argnums=1)(0.0, 1.0)), 12)           # 1/(4π)
    0.079577471546
    """
    if not _t(h, a):
        return _scipy("owens_t")(h, a)
    return SM.owens_t(*_cast("owens_t", h, a))


def wofz(z):
    """The Faddeeva function ``w(z) = e^(-z²) erfc(-iz)`` (complex; a real ``z`` becomes
    complex, as in SciPy); holomorphic, with derivative ``2i/√π - 2z w(z)``.

    >>> import wire, wire.numpy as wnp
    >>> round(complex(wofz(1j)).real, 12)                   # erfcx(1)
    0.427583576156
    >>> round(float(wire.grad(lambda x: wnp.real(wofz(x)))(0.0)), 12)   # Re w'(0)
    0.0
    >>> round(float(wire.grad(lambda x: wnp.imag(wofz(x)))(0.0)), 12)   # 2/√π
    1.128379167096
    """
    if not _t(z):
        return _scipy("wofz")(z)
    dt = np.asarray(_scipy("wofz")(np.empty(0, z.dtype))).dtype
    return SM.wofz(wnp.asarray(z, dt))


def sph_harm_y(n, m, theta, phi, *, diff_n=0):
    """The spherical harmonic ``Y_n^m(θ, φ)`` of integer degree ``n`` and order ``m`` (polar
    angle ``θ``, azimuth ``φ``; SciPy's ``sph_harm_y``, complex128; 0 for ``|m| > n``).
    Derivatives: ``i m Y`` in ``φ``; in ``θ`` by the ladder operators,
    ``(c₊ e^(-iφ) Y_n^(m+1) - c₋ e^(iφ) Y_n^(m-1)) / 2``, finite at the poles too. On traced
    angles ``diff_n`` must be 0 (take derivatives with wire's transforms).

    >>> import wire, wire.numpy as wnp
    >>> round(complex(sph_harm_y(0, 0, 0.3, 0.1)).real, 12)        # 1 / (2√π)
    0.282094791774
    >>> d = wire.grad(lambda t: wnp.real(sph_harm_y(1, 0, t, 0.0)))(np.pi / 2)
    >>> round(float(d), 12)                                         # -√(3/4π)
    -0.488602511903
    """
    if not _t(n, m, theta, phi):
        return _scipy("sph_harm_y")(n, m, theta, phi, diff_n=diff_n)
    if diff_n != 0:
        raise WireError(f"sph_harm_y: diff_n={diff_n!r} is supported on concrete arrays only; "
                        f"on traced angles take derivatives with wire.grad/jvp"
                        f"{at(user_location())}")
    for name, v in (("n", n), ("m", m)):
        if _kind(v) not in "iub":
            raise WireError(f"sph_harm_y: {name} must be an integer array, got "
                            f"{getattr(v, 'dtype', type(v).__name__)}{at(user_location())}")
    for name, v in (("theta", theta), ("phi", phi)):
        if _kind(v) == "c":
            raise WireError(f"sph_harm_y: {name} must be real, got {v.dtype}"
                            f"{at(user_location())}")
    return SM.sph_harm_y(wnp.asarray(n, np.int64), wnp.asarray(m, np.int64),
                         wnp.asarray(theta, np.float64), wnp.asarray(phi, np.float64))


def bessel_jn(z, *, v, n_iter=50):
    """``J_0(z), …, J_v(z)`` stacked along a new first axis (JAX's ``bessel_jn``), each by
    SciPy's ``jv`` (``n_iter`` is accepted for JAX's signature; the values do not iterate);
    derivatives in ``z`` by the Bessel recurrences.

    >>> bessel_jn(np.array([1.0, 2.0]), v=1).round(6)
    array([[0.765198, 0.223891],
           [0.440051, 0.576725]])
    """
    try:
        v = operator.index(v)
    except TypeError:
        raise WireError(f"bessel_jn: v must be an integer, got {v!r}{at(user_location())}")
    if v < 0:
        raise WireError(f"bessel_jn: v must be >= 0, got {v}{at(user_location())}")
    if not _t(z):
        return np.stack([_scipy("jv")(float(k), z) for k in range(v + 1)])
    return wnp.stack([jv(float(k), z) for k in range(v + 1)])


def _kind(x) -> str:
    if isinstance(x, (bool, int)):
        return "i"
    return x.dtype.kind if hasattr(x, "dtype") else np.asarray(x).dtype.kind


def bernoulli(n):
    """The Bernoulli numbers ``B_0, …, B_n`` (``B_1 = -1/2``), SciPy's ``bernoulli``: ``n`` is
    a concrete integer (the result is a constant).

    >>> bernoulli(4)
    array([ 1.        , -0.5       ,  0.16666667,  0.        , -0.03333333])
    """
    if _t(n):
        raise WireError(f"bernoulli: n must be a concrete integer, got a traced value"
                        f"{at(user_location())}")
    return _scipy("bernoulli")(n)


NAMES = ["bernoulli", "bessel_jn", "boxcox", "boxcox1p", "dawsn", "expn", "fresnel", "hyp1f1",
         "hyp2f1", "owens_t", "sici", "spence", "sph_harm_y", "wofz", "zeta"]
