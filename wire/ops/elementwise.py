"""Elementwise primitives: arithmetic, transcendental functions, comparisons, select, casts.

Each block declares one primitive with its implementation, shape rule, derivative rules and
test domain, through the ``unary``/``binary`` helpers where the rules follow from one
derivative formula. Operands of binary primitives are already promoted to a common dtype by
``wire.numpy``; shapes broadcast NumPy-style and the reverse driver un-broadcasts.
"""

from __future__ import annotations

import numpy as np

from ..ir import Aval, make_aval
from ..core.primitive import (
    NONZERO,
    POSITIVE,
    REALS,
    UNIT,
    Primitive,
    bool_dtype,
    elementwise_sampler,
    elementwise_shape,
    float_dtype,
    uniform_in,
)
from ..core import bind
from ..core.formula import NoFormula, call, logic, number_from_truth, truth
from ..core.lowering import (
    VIEW_OF_INPUT, Emitter, XpImpl, call_expr, impl_call_expr, ufunc_call_expr, xp_function,
    xp_logical,
)
from ..core.taylor import BILINEAR, BY_JVP, COEFFICIENTWISE
from . import series as ts_
from .batching import elementwise_batch
from .layout import full_like_, ones_like_, zeros_like_

# --------------------------------------------------------------------------- helpers


def _xp(name, xp):
    """The Array-API implementation: ``xp`` names the namespace function (default: ``name``)."""
    return xp if isinstance(xp, XpImpl) else xp_function(xp or name)


def _sympy(sympy):
    """The formula: ``sympy`` names SymPy's function, or is a rule or a ``NoFormula``."""
    return call(sympy) if isinstance(sympy, str) else sympy


def unary(name, fn, deriv=None, *, over=None, nan_outside=False, domain=REALS,
          dtype=float_dtype, doc="", xp=None, sympy=None, taylor=BY_JVP):
    """Declare a smooth unary primitive from its derivative ``deriv(x, out)``, or from the
    reciprocal ``over(x, out)`` of its derivative (the rules then divide by it, so that
    ``x * log'(x)`` is ``x / x``, exactly 1 with exactly 0 as its derivative, not ``x * (1/x)``,
    which overflows for tiny ``x`` and whose derivatives cancel huge terms); ``sympy``
    names SymPy's function of the same meaning (or is a rule, see ``wire.core.formula``);
    ``taylor`` its Taylor rule (see ``wire.core.taylor``). ``nan_outside``: the formula of
    ``over`` is finite where the function is NaN (``log'(-1)`` would be -1): it is multiplied
    by :func:`nan_where_nan` of the output, so every derivative is NaN there too."""
    if nan_outside:
        plain, plain_taylor = over, taylor

        def over(x, out):
            return plain(x, out) * nan_where_nan(out)

        if callable(plain_taylor):
            def taylor(series, out, x):
                coefs = plain_taylor(series, out, x)
                if coefs is None:
                    return None
                g = nan_where_nan(out)
                return [None if c is None else c * g for c in coefs]

    if over is None:
        def vjp(ct, out, x):
            return (ct * deriv(x, out),)

        def jvp(ts, out, x):
            return ts[0] * deriv(x, out)
    else:
        def vjp(ct, out, x):
            return (ct / over(x, out),)

        def jvp(ts, out, x):
            return ts[0] / over(x, out)

    prim = Primitive(
        name,
        fn,
        elementwise_shape(name, dtype),
        dtype=dtype,
        vjp=vjp,
        jvp=jvp,
        batch=elementwise_batch(lambda: prim),
        sample=elementwise_sampler([domain]),
        doc=doc,
        xp=_xp(name, xp),
        sympy=_sympy(sympy),
        taylor=taylor,
    )
    return prim


def binary(name, fn, partials, *, domains=(REALS, REALS), doc="", xp=None, sympy=None,
           taylor=BY_JVP, commutative=False, identity=None):
    """Declare a smooth binary primitive from its partial derivatives ``(dx, dy)(x, y, out)``."""
    dx, dy = partials

    def jvp(ts, out, x, y):
        tx, ty = ts
        terms = []
        if tx is not None:
            terms.append(tx * dx(x, y, out))
        if ty is not None:
            terms.append(ty * dy(x, y, out))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    prim = Primitive(
        name,
        fn,
        elementwise_shape(name),
        vjp=lambda ct, out, x, y: (ct * dx(x, y, out), ct * dy(x, y, out)),
        vjp_parts=(lambda ct, out, x, y: ct * dx(x, y, out),
                   lambda ct, out, x, y: ct * dy(x, y, out)),
        jvp=jvp,
        batch=elementwise_batch(lambda: prim),
        sample=elementwise_sampler(list(domains)),
        doc=doc,
        xp=_xp(name, xp),
        sympy=_sympy(sympy),
        taylor=taylor,
        commutative=commutative,
        identity=identity,
    )
    return prim


def zero_derivative(name, fn, nargs, *, dtype=None, domains=None, doc="", xp=None,
                    sympy=None, **extra):
    """Declare a piecewise-constant or non-numeric primitive: its derivative is zero."""
    prim = Primitive(
        name,
        fn,
        elementwise_shape(name, dtype),
        dtype=dtype,
        nondiff=True,
        batch=elementwise_batch(lambda: prim),
        sample=elementwise_sampler(list(domains or [REALS] * nargs)),
        doc=doc,
        xp=_xp(name, xp),
        sympy=_sympy(sympy),
        **extra,
    )
    return prim


def _sum_tangents(*ts):
    ts = [t for t in ts if t is not None]
    if not ts:
        return None
    out = ts[0]
    for t in ts[1:]:
        out = out + t
    return out


# --------------------------------------------------------------------------- linear ops
# fmt: off
neg_p = Primitive("neg", np.negative, elementwise_shape("neg"), linear=True,
                  vjp=lambda ct, out, x: (-ct,), jvp=lambda ts, out, x: -ts[0],
                  batch=elementwise_batch(lambda: neg_p), sample=elementwise_sampler([REALS]),
                  xp=xp_function("negative"), sympy=lambda sp, n, x: -x, taylor=COEFFICIENTWISE)
add_p = Primitive("add", np.add, elementwise_shape("add"), linear=True,
                  vjp=lambda ct, out, x, y: (ct, ct), jvp=lambda ts, out, x, y: _sum_tangents(*ts),
                  batch=elementwise_batch(lambda: add_p), sample=elementwise_sampler([REALS, REALS]),
                  xp=xp_function("add"), sympy=lambda sp, n, x, y: x + y, taylor=COEFFICIENTWISE,
                  commutative=True, identity=-0.0)
sub_p = Primitive("sub", np.subtract, elementwise_shape("sub"), linear=True,
                  vjp=lambda ct, out, x, y: (ct, -ct),
                  vjp_parts=(lambda ct, out, x, y: ct, lambda ct, out, x, y: -ct),
                  jvp=lambda ts, out, x, y: _sum_tangents(ts[0], None if ts[1] is None else -ts[1]),
                  batch=elementwise_batch(lambda: sub_p), sample=elementwise_sampler([REALS, REALS]),
                  xp=xp_function("subtract"), sympy=lambda sp, n, x, y: x - y, taylor=COEFFICIENTWISE)
# fmt: on


def neg(x):
    return bind(neg_p, x)


def add(x, y):
    return bind(add_p, x, y)


def sub(x, y):
    return bind(sub_p, x, y)


# --------------------------------------------------------------------------- products


def _div_jvp(ts, out, x, y):
    tx, ty = ts
    num = _sum_tangents(tx, None if ty is None else -(out * ty))
    return num / y


def _pow_dx(x, y, out):
    # d/dx x**y = y * x**(y - 1); at x == 0 with y == 0 it is 0 (x**0 is 1 for every x),
    # where the product would be 0 * inf = nan. Elsewhere the product stays (at y == 0 its
    # derivative in y is x**-1). The exponent is made safe in the unselected branch too, so
    # that the next derivative's zero cotangent there meets no inf (0 * inf = nan).
    pole = logical_and(eq(y, 0.0), eq(x, 0.0))
    safe_y = select(pole, ones_like_(y), y)
    return select(pole, zeros_like_(out), safe_y * (x ** (safe_y - 1.0)))


def _pow_dy(x, y, out):
    # d/dy x**y = out * log(x). At x == 0, 0**y is the constant 0 for y > 0 (derivative 0)
    # and the constant inf for y < 0 (inf - inf: no derivative, nan), and nan at y = nan:
    # out * 0 gives 0, nan and nan there (and 0 at the jump y = 0, as JAX).
    zero_x = eq(x, 0.0)
    safe_x = select(zero_x, ones_like_(x), x)
    return select(zero_x, out * 0.0, out * log(safe_x))


def _series_of(xs, series):
    """Full series ``[x0, x1, …, xn]`` of every operand (zeros as ``None``)."""
    n = max(len(s) for s in series if s is not None)
    return [[x] + (list(s) if s is not None else [None] * n) for x, s in zip(xs, series)]


def _div_taylor(series, out, x, y):
    a, b = _series_of((x, y), series)
    return ts_.result(ts_.quotient(a, b, out))


# fmt: off
mul_p = binary("mul", np.multiply, (lambda x, y, out: y, lambda x, y, out: x), xp="multiply",
               sympy=lambda sp, n, x, y: x * y, taylor=BILINEAR,
               commutative=True, identity=1.0)
div_p = Primitive("div", np.true_divide, elementwise_shape("div"),
                  vjp=lambda ct, out, x, y: (ct / y, -(ct * out) / y), jvp=_div_jvp,
                  vjp_parts=(lambda ct, out, x, y: ct / y,
                             lambda ct, out, x, y: -(ct * out) / y),
                  batch=elementwise_batch(lambda: div_p), sample=elementwise_sampler([REALS, NONZERO]),
                  xp=xp_function("divide"), sympy=lambda sp, n, x, y: x / y, taylor=_div_taylor)
pow_p = binary("pow", np.power, (_pow_dx, _pow_dy),
               # BY_JVP: at x = 0 its series are the limits nested derivatives give
               domains=(POSITIVE, REALS), sympy=lambda sp, n, x, y: x ** y, taylor=BY_JVP)
# NumPy's float_power (float64/complex128 operands): its own pow, whose bits differ from
# np.power's vectorised one; the derivatives are pow's
def _float_power(x, y):
    """NumPy's ``float_power`` in the operands' dtype (float64 for the operands
    ``wire.numpy.float_power`` gives it; another float dtype is rounded back to)."""
    out = np.float_power(x, y)
    want = np.result_type(x, y)
    return out if out.dtype == want else out.astype(want)


float_power_p = binary("float_power", _float_power, (_pow_dx, _pow_dy), xp="pow",
                       domains=(POSITIVE, REALS), sympy=lambda sp, n, x, y: x ** y,
                       taylor=BY_JVP)
# fmt: on


def _integer_pow_deriv(x, y):
    if y == 0:
        return None
    if y == 1:
        return ones_like_(x)
    if y == 2:
        return x * 2.0
    return integer_pow(x, y - 1) * float(y)


def _integer_pow_impl(x, *, y):
    # (a real square is x * x to the bit; NumPy's complex power(x, 2) rounds otherwise than
    # x * x, which is np.square: wire.numpy.square binds mul for complex values)
    if y == 2 and np.asarray(x).dtype.kind != "c":
        return np.multiply(x, x)
    return np.power(x, y)


def _integer_pow_vjp(ct, out, x, *, y):
    d = _integer_pow_deriv(x, y)
    return (None if d is None else ct * d,)


def _integer_pow_jvp(ts, out, x, *, y):
    d = _integer_pow_deriv(x, y)
    return None if d is None else ts[0] * d


def _integer_pow_taylor(series, out, x, *, y):
    """Products only (binary powering) of ``x``'s series — or of ``1/x``'s for a negative
    power — so the series is exact at ``x0 = 0`` too, with the infinite limits nested
    derivatives give at the pole of a negative power."""
    if y == 0:
        return None
    (a,) = _series_of((x,), series)
    sign = 1 if y > 0 else -1
    if y < 0:
        one = [ones_like_(x)] + [None] * (len(a) - 1)
        a = ts_.quotient(one, a, integer_pow(x, -1))
    p = abs(y)
    acc, have = None, 0  # the series of x ** (sign * have)
    base, bit = a, 1  # the series of x ** (sign * bit)
    while bit <= p:
        if p & bit:
            have += bit
            acc = base if acc is None else ts_.product(acc, base, integer_pow(x, sign * have))
        bit *= 2
        if bit <= p:
            base = ts_.square(base, integer_pow(x, sign * bit))
    return ts_.result(acc)


def _integer_pow_sample(rng):
    args, _ = elementwise_sampler([REALS])(rng)
    return args, {"y": int(rng.choice([-2, 0, 1, 2, 3, 5]))}


def _integer_pow_expr(ctx, node, args, out):
    y = node.params["y"]
    if y == 2 and node.aval.dtype.kind != "c":
        return ufunc_call_expr(ctx.bind_numpy(np.multiply), [args[0], args[0]], out)
    return ufunc_call_expr(ctx.bind_numpy(np.power), [args[0], repr(int(y))], out)


def _integer_pow_scalar(ctx, node, args):
    """On floats: ``x * x`` as the NumPy code computes a square, else NumPy's power."""
    y = node.params["y"]
    if y == 2:
        return f"{args[0]} * {args[0]}"
    return ctx.as_float(_integer_pow_expr(ctx, node, args, None))


def _integer_pow_xp(bk, x, *, y):
    xp = bk.xp
    if y == 2:
        return xp.multiply(x, x)
    if y < 0 and bk.np_dtype(x).kind not in "fc":
        x = xp.astype(x, bk.dtype(np.float64))
    return xp.pow(x, y)


integer_pow_p = Primitive(
    "integer_pow",
    _integer_pow_impl,
    lambda a, *, y: make_aval(a.shape, a.dtype if y >= 0 or a.dtype.kind in "fc" else np.float64),
    dtype=lambda d, *, y: d,
    vjp=_integer_pow_vjp,
    jvp=_integer_pow_jvp,
    batch=elementwise_batch(lambda: integer_pow_p),
    sample=lambda rng: _nonzero_if_negative(_integer_pow_sample(rng)),
    doc="x ** y for a static Python int y (keeps derivatives of x**n exact and small)",
    emit=Emitter(_integer_pow_expr, "fresh", inplace=True, scalar=_integer_pow_scalar),
    xp=XpImpl(_integer_pow_xp, "multiply / pow"),
    sympy=lambda sp, n, x: x ** n.params["y"],
    taylor=_integer_pow_taylor,
)


def _nonzero_if_negative(sample):
    args, params = sample
    if params["y"] < 0:
        args = [np.where(np.abs(a) < 0.3, 0.5, a) for a in args]
    return args, params


def mul(x, y):
    return bind(mul_p, x, y)


def div(x, y):
    return bind(div_p, x, y)


def pow_(x, y):
    return bind(pow_p, x, y)


def float_power(x, y):
    return bind(float_power_p, x, y)


def integer_pow(x, y: int):
    return bind(integer_pow_p, x, y=int(y))


# --------------------------------------------------------------------------- transcendental

def _xp_cbrt(bk, x):
    xp = bk.xp
    if hasattr(xp, "cbrt"):
        return xp.cbrt(x)
    root = xp.pow(xp.abs(x), xp.asarray(1.0 / 3.0, dtype=x.dtype))
    return xp.where(xp.signbit(x), -root, root)


def _xp_exp2(bk, x):
    xp = bk.xp
    if hasattr(xp, "exp2"):
        return xp.exp2(x)
    return xp.pow(xp.asarray(2.0, dtype=x.dtype), x)


_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))
_LOG2E = 1.0 / _LN2

def _unary_rule(fn):
    """A Taylor rule ``fn(series_of_x, out, x) -> full series`` as a primitive's rule."""

    def rule(series, out, x):
        (a,) = _series_of((x,), series)
        return ts_.result(fn(a, out, x))

    return rule


def _scaled_series(a, k):
    return [a[0]] + [ts_.scaled(c, k) for c in a[1:]]


def _root_power(sign_sq, u0, p, d0):
    """The series of ``d = u ** p`` with ``u = u0(x)`` and ``u' = sign_sq · (x²)'`` (the
    derivative of arcsin & co.; ``d0(u_0, x)`` is its primal value, for :func:`_by_derivative`)."""

    def series_of_d(a, x):
        sq = ts_.square(a, None)
        u = [u0(x)] + [ts_.scaled(c, sign_sq) for c in sq[1:]]
        return ts_.power(u, p, d0(u[0], x))

    return series_of_d


def _by_derivative(d_series, sign=1.0):
    """``y' = sign · d(x) · x'`` with the series of ``d`` from ``d_series(a, x)``."""

    def fn(a, out, x):
        d = d_series(a[:-1] if len(a) > 1 else a, x)
        return ts_.integrate(a, lambda y, m: ts_.scaled(d[m], sign), out)

    return _unary_rule(fn)


def _bounded_pair(primal, rates):
    """The series of ``d``, the derivative of arctan, arcsinh or arccosh, from a pair
    ``(d, w)`` of functions of ``x`` whose derivatives are polynomials in the pair:
    ``rates(d, w, m)`` gives the ``m``-th coefficients of ``(d', w')`` (per unit ``x'``) from
    ``d_0 … d_m``, ``w_0 … w_m``; ``primal(x)`` gives ``(d_0, w_0)``, with ``w = x·d``.

    With ``x`` itself out of the series, its coefficients are sums of products of ``d`` and
    ``w``, both bounded where ``x`` is large (arctan's ``d = 1/(1 + x²)``, ``w = x/(1 + x²)``):
    no term overflows, however the simplifier regroups them (a series in ``x`` and ``1/u``
    had ``x² · d³`` at order 4: ``inf · 0`` = NaN beyond ``|x| = 1e77``, where the truth is 0),
    and the limits at ``±inf`` come out as the zeros they are."""

    def series_of_d(a, x):
        d, w = ([v] for v in primal(x))
        rd, rw = [], []
        shifted = a[1:]  # the series of x'
        for k in range(1, len(a)):
            got_d, got_w = rates(d, w, k - 1)
            rd.append(got_d)
            rw.append(got_w)
            d.append(ts_.binomial_sum(rd, shifted, k - 1))
            w.append(ts_.binomial_sum(rw, shifted, k - 1))
        return d

    return series_of_d


# The pairs below clip ``x`` to a finite bound (``maximum``/``minimum``: float nodes only,
# so that a graph of float64 scalars keeps the compiler's Python-float code; a select would
# need a boolean). The first-order rules are left as they are, for the same reason: their
# derivatives (reverse over reverse, the second order) are NaN at ``±inf``, as in JAX.
def _clipped(x):
    """``x`` clipped to the dtype's largest finite value; NaN stays NaN."""
    b = float(np.finfo(x.dtype if x.dtype.kind in "fc" else np.float64).max)
    return minimum(maximum(x, -b), b)


def _arctan_pair(x):
    """``(1/(1 + x²), x/(1 + x²))``, finite everywhere (``x`` clipped: 0 at ``±inf``, not
    ``inf/inf``). Where ``x²`` overflows, ``d`` is 0 and ``w`` too, not ``1/x``: harmless,
    since every term of ``d``'s series has a factor ``d``."""
    xc = _clipped(x)
    u = 1.0 + xc * xc
    return 1.0 / u, xc / u


def _arcsinh_pair(x):
    """``(1/√(1 + x²), x/√(1 + x²))``: ``d`` ≈ ``1/|x|``, ``|w| < 1`` (±1 at ``±inf``)."""
    xc = _clipped(x)
    return 1.0 / _hypot1(x), xc / _hypot1(xc)


def _arccosh_pair(x):
    """``(1/√(x² - 1), x/√(x² - 1))`` for ``x > 1`` (NaN below: ``d`` is in every term;
    ``w`` is 1 at ``inf``)."""
    xc = _clipped(x)
    return (1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)),
            xc / (sqrt(xc - 1.0) * sqrt(xc + 1.0)))


def _neg_sum(*cs):
    return ts_.scaled(ts_.total(cs), -1.0)


# d' = -2wd², w' = d² - w² (arctan); d' = -wd², w' = d³ (arcsinh); d' = -wd², w' = -d³
# (arccosh; there w² - d² = 1); per unit x'
def _arctan_rates(d, w, m):
    return (ts_.scaled(ts_.binomial_sum(w, d, m), -2.0),
            ts_.total([ts_.square_coef(d, m), _neg_sum(ts_.square_coef(w, m))]))


def _squares(d, m):
    return [ts_.square_coef(d, j) for j in range(m + 1)]


def _cubed_coef(d, m):
    return ts_.binomial_sum(_squares(d, m), d, m)


def _w_d_squared_coef(d, w, m):
    return ts_.binomial_sum(w, _squares(d, m), m)


def _arcsinh_rates(d, w, m):
    return _neg_sum(_w_d_squared_coef(d, w, m)), _cubed_coef(d, m)


def _arccosh_rates(d, w, m):
    return _neg_sum(_w_d_squared_coef(d, w, m)), _neg_sum(_cubed_coef(d, m))


def _tan_like(sign):
    """tan (``y' = (1 + y²) x'``) and tanh (``y' = (1 - y²) x'``)."""

    def d(y, m):
        return 1.0 + sign * (y[0] * y[0]) if m == 0 else ts_.scaled(ts_.square_coef(y, m), sign)

    return _unary_rule(lambda a, out, x: ts_.integrate(a, d, out))


def _exp_taylor(a, out, x):
    return ts_.exp(a, out)


def _expm1_taylor(a, out, x):
    # exp(x), not out + 1: that cancels to 0 below x = -37
    return [out] + ts_.exp(a, exp(x))[1:]


def _log_taylor(scale):
    # (x + 0.0: at -0.0 too the limits from the right, as the first-order rules)
    return _unary_rule(lambda a, out, x: _scaled_series(ts_.log(a, out, x + 0.0), scale))


def _sin_taylor(a, out, x):
    return ts_.sin_cos(a, out, cos(x))[0]


def _cos_taylor(a, out, x):
    return ts_.sin_cos(a, sin(x), out)[1]


def _sinh_taylor(a, out, x):
    return ts_.sin_cos(a, out, cosh(x), hyperbolic=True)[0]


def _cosh_taylor(a, out, x):
    return ts_.sin_cos(a, sinh(x), out, hyperbolic=True)[1]


def nan_where_nan(out):
    """1 where ``out`` is a number, NaN where it is NaN: a factor of a derivative whose formula
    is finite outside the function's domain. One primitive (``nan_or_one``) with derivative
    zero, so the factors it multiplies cancel as before (``x / (x * g)`` is ``1 / g``) and
    a derivative graph still reads as a formula (1 over the reals)."""
    return bind(nan_or_one_p, out)


def _square(x):
    """``x * x`` as the simplifier writes a square of a real float (``integer_pow``, which
    computes it as that product, to the bit), so a derivative graph holds it in the form the
    simplifier leaves (tanh's ``1 - t**2``) and is not rebuilt; complex: the product (NumPy's
    complex ``power(x, 2)`` rounds otherwise)."""
    if getattr(x, "dtype", None) is not None and x.dtype.kind == "f":
        return integer_pow(x, 2)
    return x * x


def _sq_minus_one(x):
    """``x² - 1`` as :func:`_one_minus_sq` gives ``1 - x²`` (the value of ``(x - 1)(x + 1)``,
    the derivative ``2x``)."""
    u = x * x - 1.0
    return u + stop_gradient((x - 1.0) * (x + 1.0) - u)


def _arccosh_over(x, out):
    """``√(x² - 1)``, arccosh's reciprocal derivative: from ``(x - 1)(x + 1)`` (exact to
    rounding near 1), and ``x`` itself where ``x²`` would overflow (``x² - 1`` rounds to
    ``x²`` long before). One square root of a quantity whose derivative ``2x`` is finite, so
    that the next orders meet no ``0 · inf``: ``√(x - 1) · √(x + 1)`` made
    ``arccosh''(1)`` and ``arccosh''(inf)`` NaN (the limits are ``-inf`` and 0). NaN below
    1 (by ``nan_outside``; ``x² - 1 > 0`` at ``x = -2``)."""
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    big = gt(x, float(np.sqrt(np.finfo(dtype).max)) * 0.5)
    small = select(big, full_like_(x, 2.0), x)
    return select(big, x, sqrt(_sq_minus_one(small)))


def _one_minus_sq(x):
    """``1 - x²`` with the value of ``(1 - x)(1 + x)``, exact to rounding near ``x = ±1``
    where ``1 - x * x`` cancels (arcsin'(1 - 2**-30) lost 9 digits), and the derivative
    ``-2x`` of ``1 - x * x``: the product's ``(1 - x) * inf`` would be NaN at ``x = 1`` in the
    next orders, whose limits there are infinite. ``u + (p - u)`` is ``p`` exactly: the
    difference of two values this close is exact."""
    u = 1.0 - x * x
    return u + stop_gradient((1.0 - x) * (1.0 + x) - u)


def _hypot1(x):
    """``sqrt(x² + 1)`` without overflow: ``|x|`` where ``x²`` would overflow (arcsinh'(1e200)
    is 1e-200, not 0; 1 + x² rounds to x² long before). The square is taken of a safe
    operand there, so that its zero cotangent meets no ``inf``."""
    if x.dtype.kind == "c":  # (|x| is no square root of x² + 1 off the real line)
        return sqrt(x * x + 1.0)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    big = gt(abs_(x), float(np.sqrt(np.finfo(dtype).max)) * 0.5)
    small = select(big, zeros_like_(x), x)
    return select(big, abs_(x), sqrt(small * small + 1.0))


def _over_sq_norm(x, y, first: bool):
    """``x / (x² + y²)`` (``first``) or ``y / (x² + y²)``, arctan2's partials, scaled by
    ``m = max(|x|, |y|)`` so that the squares neither overflow (they were 0 at 1e200, not
    5e-201) nor underflow (inf at 1e-200, not 5e199); 0 where an argument is infinite (the
    limit: the gradient's norm is 1/hypot(x, y)), with finite stand-ins there so that the
    next derivative's zero cotangent meets no inf/inf."""
    m = maximum(abs_(x), abs_(y))
    big = isinf(m)
    m = select(big, ones_like_(m), m)
    xs, ys = select(big, ones_like_(x), x) / m, select(big, ones_like_(y), y) / m
    d = (xs if first else ys) / ((xs * xs + ys * ys) * m)
    return select(big, zeros_like_(d), d)


# (the primal values as the JVP rules compute them: to full precision near ±1, NaN outside
# arccosh's domain)
_T_ARCTAN = _by_derivative(_bounded_pair(_arctan_pair, _arctan_rates))
_T_ARCSIN = _by_derivative(_root_power(-1.0, _one_minus_sq, -0.5,
                                       lambda u, x: 1.0 / sqrt(u)))
_T_ARCCOS = _by_derivative(_root_power(-1.0, _one_minus_sq, -0.5,
                                       lambda u, x: 1.0 / sqrt(u)), -1.0)
_T_ARCSINH = _by_derivative(_bounded_pair(_arcsinh_pair, _arcsinh_rates))
_T_ARCCOSH = _by_derivative(_bounded_pair(_arccosh_pair, _arccosh_rates))
_T_ARCTANH = _by_derivative(_root_power(-1.0, _one_minus_sq, -1.0, lambda u, x: 1.0 / u))


# fmt: off
exp_p     = unary("exp",     np.exp,     lambda x, out: out, sympy="exp",
                  taylor=_unary_rule(_exp_taylor))
exp2_p    = unary("exp2",    np.exp2,    lambda x, out: out * _LN2, xp=XpImpl(_xp_exp2, "exp2 (or pow)"), sympy=lambda sp, n, x: sp.Integer(2) ** x,
                  taylor=_unary_rule(lambda a, out, x: ts_.exp(_scaled_series(a, _LN2), out)))
# expm1' = exp(x), not out + 1, which cancels to 0 for x < -37 (the truth is 4e-17 at -37)
expm1_p   = unary("expm1",   np.expm1,   lambda x, out: exp(x), sympy=lambda sp, n, x: sp.exp(x) - 1,
                  taylor=_unary_rule(_expm1_taylor))
# log' = 1/x, 1/(x + 0.0) so that at -0.0 (log(-0.0) = -inf) every order is the limit from
# the right, as at 0.0 (1/-0.0 = -inf gave log'(-0.0) = -inf)
log_p     = unary("log",     np.log,     over=lambda x, out: x + 0.0,        nan_outside=True, domain=POSITIVE, sympy="log",
                  taylor=_log_taylor(1.0))
log2_p    = unary("log2",    np.log2,    over=lambda x, out: (x + 0.0) * _LN2, nan_outside=True, domain=POSITIVE, sympy=lambda sp, n, x: sp.log(x, 2),
                  taylor=_log_taylor(1.0 / _LN2))
log10_p   = unary("log10",   np.log10,   over=lambda x, out: (x + 0.0) * _LN10, nan_outside=True, domain=POSITIVE, sympy=lambda sp, n, x: sp.log(x, 10),
                  taylor=_log_taylor(1.0 / _LN10))
log1p_p   = unary("log1p",   np.log1p,   over=lambda x, out: x + 1.0,        nan_outside=True, domain=uniform_in(-0.8, 2.0), sympy=lambda sp, n, x: sp.log(x + 1),
                  taylor=_unary_rule(lambda a, out, x: ts_.log(a, out, x + 1.0)))
# cbrt'(x) = cbrt(x)**-2 / 3: +inf at ±0 (the limit from both sides), and the next orders the
# one-sided limits of the signed zero (-inf, +inf at 0.0): a power of the output, whose own
# derivative -2 cbrt(x)**-3 cbrt'(x) is inf * inf there, where 1 / (3 cbrt(x)**2) met
# cbrt(x) * cbrt'(x) = 0 * inf (NaN). NumPy's own cbrt, which a power of |x| is not
# (cbrt(27.0) would be 3 - 4e-16)
cbrt_p    = unary("cbrt",    np.cbrt,    lambda x, out: integer_pow(out, -2) / 3.0, domain=NONZERO, xp=XpImpl(_xp_cbrt, "cbrt (or pow)"),
                  sympy=lambda sp, n, x: sp.real_root(x, 3))
# sqrt'(±0) = +inf, the limit from the right (+ 0.0 turns sqrt(-0.0) = -0.0 into +0.0)
sqrt_p    = unary("sqrt",    np.sqrt,    lambda x, out: 0.5 / (out + 0.0),   domain=POSITIVE, sympy="sqrt",
                  taylor=_unary_rule(lambda a, out, x: ts_.sqrt(a, out)))
sin_p     = unary("sin",     np.sin,     lambda x, out: cos(x), sympy="sin",
                  taylor=_unary_rule(_sin_taylor))
cos_p     = unary("cos",     np.cos,     lambda x, out: -sin(x), sympy="cos",
                  taylor=_unary_rule(_cos_taylor))
tan_p     = unary("tan",     np.tan,     lambda x, out: 1.0 + _square(out),     domain=UNIT, sympy="tan",
                  taylor=_tan_like(1.0))
arcsin_p  = unary("arcsin",  np.arcsin,  over=lambda x, out: sqrt(_one_minus_sq(x)), domain=UNIT, xp="asin", sympy="asin",
                  taylor=_T_ARCSIN)
arccos_p  = unary("arccos",  np.arccos,  over=lambda x, out: -sqrt(_one_minus_sq(x)), domain=UNIT, xp="acos", sympy="acos",
                  taylor=_T_ARCCOS)
arctan_p  = unary("arctan",  np.arctan,  lambda x, out: 1.0 / (1.0 + x * x), xp="atan", sympy="atan",
                  taylor=_T_ARCTAN)
sinh_p    = unary("sinh",    np.sinh,    lambda x, out: cosh(x), sympy="sinh",
                  taylor=_unary_rule(_sinh_taylor))
cosh_p    = unary("cosh",    np.cosh,    lambda x, out: sinh(x), sympy="cosh",
                  taylor=_unary_rule(_cosh_taylor))
tanh_p    = unary("tanh",    np.tanh,    lambda x, out: 1.0 - _square(out), sympy="tanh",
                  taylor=_tan_like(-1.0))
arcsinh_p = unary("arcsinh", np.arcsinh, over=lambda x, out: _hypot1(x), xp="asinh", sympy="asinh",
                  taylor=_T_ARCSINH)
arccosh_p = unary("arccosh", np.arccosh, over=_arccosh_over, nan_outside=True, domain=uniform_in(1.2, 3.0), xp="acosh", sympy="acosh",
                  taylor=_T_ARCCOSH)
arctanh_p = unary("arctanh", np.arctanh, over=lambda x, out: _one_minus_sq(x),  nan_outside=True, domain=UNIT, xp="atanh", sympy="atanh",
                  taylor=_T_ARCTANH)
abs_p     = unary("abs",     np.abs,     lambda x, out: sign(x), dtype=None, domain=NONZERO, sympy="Abs",
                  taylor=COEFFICIENTWISE)
arctan2_p = binary("arctan2", np.arctan2,
                   (lambda y, x, out: _over_sq_norm(x, y, True), lambda y, x, out: -_over_sq_norm(x, y, False)),
                   domains=(NONZERO, NONZERO), xp="atan2", sympy="atan2")
# fmt: on


def _unary_binder(prim):
    def f(x):
        return bind(prim, x)

    f.__name__ = prim.name
    f.__doc__ = f"Elementwise {prim.name} (primitive ``{prim.name}``)."
    return f


exp = _unary_binder(exp_p)
exp2 = _unary_binder(exp2_p)
expm1 = _unary_binder(expm1_p)
log = _unary_binder(log_p)
log2 = _unary_binder(log2_p)
log10 = _unary_binder(log10_p)
log1p = _unary_binder(log1p_p)
sqrt = _unary_binder(sqrt_p)
cbrt = _unary_binder(cbrt_p)
sin = _unary_binder(sin_p)
cos = _unary_binder(cos_p)
tan = _unary_binder(tan_p)
arcsin = _unary_binder(arcsin_p)
arccos = _unary_binder(arccos_p)
arctan = _unary_binder(arctan_p)
sinh = _unary_binder(sinh_p)
cosh = _unary_binder(cosh_p)
tanh = _unary_binder(tanh_p)
arcsinh = _unary_binder(arcsinh_p)
arccosh = _unary_binder(arccosh_p)
arctanh = _unary_binder(arctanh_p)
abs_ = _unary_binder(abs_p)


def arctan2(y, x):
    return bind(arctan2_p, y, x)


# --------------------------------------------------------------------------- hypot, logaddexp
# NumPy's own ufuncs, so values are NumPy's to the bit (a composition was 1-8 ulps away); the
# derivatives are written to be the smooth function's at ties and to take the limits at the
# infinities, as below.


def _hypot_partial(x, y, out):
    """``d/dx hypot(x, y) = x / hypot(x, y)``, from the operands scaled by ``m = max(|x|,
    |y|)`` (``x / out`` is 0 where ``out`` overflows: at ``(1e308, 1e308)`` it is
    ``1/√2``); 0 at the origin (between the one-sided ±1); at an infinity the limit
    ``sign(x)`` in an infinite ``x`` (half of it where both are, as ``maximum`` at a tie)
    and 0 in a finite one, whatever the other operand (NaN included: ``hypot(inf, nan)`` is
    inf). The finite formula sees finite stand-ins there, so that its zero cotangent meets no
    ``inf / inf``."""
    big = logical_or(isinf(x), isinf(y))
    fx, fy = select(big, zeros_like_(x), x), select(big, zeros_like_(y), y)
    m = maximum(abs_(fx), abs_(fy))
    zero = eq(m, 0.0)
    safe = select(zero, ones_like_(m), m)
    a, b = fx / safe, fy / safe
    inner = select(zero, ones_like_(a), a * a + b * b)
    finite = select(zero, zeros_like_(a), a / sqrt(inner))
    share = select(isinf(y), full_like_(x, 0.5), ones_like_(x))
    at_inf = select(isinf(x), sign(x) * share, zeros_like_(x))
    return select(big, at_inf, finite)


def _log_add_partials(exp_fn):
    """The partials of ``logaddexp`` (``exp_fn = exp``) or ``logaddexp2`` (``exp2``):
    ``1 / (1 + e)`` in the larger operand and ``e / (1 + e)`` in the smaller, ``e =
    exp_fn(smaller - larger) <= 1`` (no overflow, and the closed forms of one smooth function
    on either side, so ties get 1/2 and every higher derivative the function's own, where
    ``maximum`` would bring its kink). Two equal infinities (whose difference is NaN) give
    1/2 each, with 0 as the next derivatives (the formula there sees ``e = 1``); NaN gives
    NaN."""

    def parts(x, y, out):
        first = ge(x, y)  # False for NaN, which then reaches the gap
        hi, lo = select(first, x, y), select(first, y, x)
        both_inf = logical_and(eq(hi, lo), isinf(hi))
        gap = select(both_inf, zeros_like_(hi), lo - hi)
        # within a distance 1 of a tie, as 1/2 ± tanh(z/2)/2, whose next orders keep what
        # the chain through 1/(1 + e) cancels there (1 - e: the third derivative of
        # softplus at 1e-300 was 0, the truth -1.25e-301); beyond, from e (exact in the tails)
        near = gt(gap, -1.0)
        e = exp_fn(select(near, full_like_(gap, -2.0), gap))
        t = 0.5 * tanh(select(near, gap, zeros_like_(gap)) * (-0.5 if exp_fn is exp else -0.5 * _LN2))
        d_hi = select(near, 0.5 + t, 1.0 / (1.0 + e))
        d_lo = select(near, 0.5 - t, e / (1.0 + e))
        half = full_like_(d_hi, 0.5)
        return (select(both_inf, half, select(first, d_hi, d_lo)),
                select(both_inf, half, select(first, d_lo, d_hi)))

    return (lambda x, y, out: parts(x, y, out)[0], lambda x, y, out: parts(x, y, out)[1])


def _xp_logaddexp2(bk, x, y):
    """NumPy's ``npy_logaddexp2``: ``x + 1`` at a tie, else the larger plus
    ``log1p(2**-|x - y|) · log2(e)`` (torch's own ``logaddexp2(-1, -1)`` is ``-5e-17``)."""
    xp = bk.xp
    hi, lo = xp.maximum(x, y), xp.minimum(x, y)  # (NaN from either)
    tie = x == y
    gap = xp.where(tie, xp.zeros_like(hi), lo - hi)
    out = hi + xp.log1p(_xp_exp2(bk, gap)) * xp.asarray(_LOG2E, dtype=hi.dtype)
    return xp.where(tie, x + xp.asarray(1.0, dtype=hi.dtype), out)


# fmt: off
hypot_p      = binary("hypot", np.hypot, (_hypot_partial, lambda x, y, out: _hypot_partial(y, x, out)),
                      domains=(NONZERO, NONZERO), sympy=lambda sp, n, x, y: sp.sqrt(x**2 + y**2))
logaddexp_p  = binary("logaddexp", np.logaddexp, _log_add_partials(exp),
                      sympy=lambda sp, n, x, y: sp.log(sp.exp(x) + sp.exp(y)))
logaddexp2_p = binary("logaddexp2", np.logaddexp2, _log_add_partials(exp2),
                      xp=XpImpl(_xp_logaddexp2, "log1p, exp2 (or pow)"),
                      sympy=lambda sp, n, x, y: sp.log(2**x + 2**y, 2))
# fmt: on


def hypot(x, y):
    return bind(hypot_p, x, y)


def logaddexp(x, y):
    return bind(logaddexp_p, x, y)


def logaddexp2(x, y):
    return bind(logaddexp2_p, x, y)


# --------------------------------------------------------------------------- max / min


def _tie_split(x, y, first: bool):
    """Share of the derivative of maximum/minimum going to x: 1, 0, or 1/2 at ties."""
    win = gt(x, y) if first else lt(x, y)
    return select(win, ones_like_(x), select(eq(x, y), full_like_(x, 0.5), zeros_like_(x)))


# fmt: off
maximum_p = binary("maximum", np.maximum,
                   (lambda x, y, out: _tie_split(x, y, True), lambda x, y, out: _tie_split(y, x, True)),
                   sympy="Max", taylor=COEFFICIENTWISE)
minimum_p = binary("minimum", np.minimum,
                   (lambda x, y, out: _tie_split(x, y, False), lambda x, y, out: _tie_split(y, x, False)),
                   sympy="Min", taylor=COEFFICIENTWISE)
# x mod y = x - floor(x / y) * y, smooth away from the jumps
mod_p = binary("mod", np.mod, (lambda x, y, out: ones_like_(x), lambda x, y, out: -floor(x / y)),
               domains=(REALS, NONZERO), xp="remainder", taylor=COEFFICIENTWISE,
               sympy="Mod")  # the sign of the divisor, as NumPy's mod
# fmt: on


def maximum(x, y):
    return bind(maximum_p, x, y)


def minimum(x, y):
    return bind(minimum_p, x, y)


def mod(x, y):
    return bind(mod_p, x, y)


# --------------------------------------------------------------------------- zero-derivative ops
_FINITE_SYMBOLS = NoFormula("a formula's symbols stand for finite numbers: SymPy cannot test "
                            "for inf")
_DIGITS = NoFormula("acts on the binary digits of integers: SymPy has no function for it "
                    "(logical_and & co. translate booleans)")
# fmt: off
sign_p         = zero_derivative("sign", np.sign, 1, sympy="sign")
floor_p        = zero_derivative("floor", np.floor, 1, sympy="floor")
ceil_p         = zero_derivative("ceil", np.ceil, 1, sympy="ceiling")
round_p        = zero_derivative("round", np.round, 1, sympy=NoFormula(
    "NumPy rounds halves to even; SymPy has no function that does"))
floor_divide_p = zero_derivative("floor_divide", np.floor_divide, 2, domains=[REALS, NONZERO],
                                 sympy=lambda sp, n, x, y: sp.floor(x / y))
eq_p  = zero_derivative("eq", np.equal, 2, dtype=bool_dtype, xp="equal", sympy="Eq",
                       commutative=True)
ne_p  = zero_derivative("ne", np.not_equal, 2, dtype=bool_dtype, xp="not_equal", sympy="Ne",
                       commutative=True)
lt_p  = zero_derivative("lt", np.less, 2, dtype=bool_dtype, xp="less", sympy="Lt")
le_p  = zero_derivative("le", np.less_equal, 2, dtype=bool_dtype, xp="less_equal", sympy="Le")
gt_p  = zero_derivative("gt", np.greater, 2, dtype=bool_dtype, xp="greater", sympy="Gt")
ge_p  = zero_derivative("ge", np.greater_equal, 2, dtype=bool_dtype, xp="greater_equal",
                       sympy="Ge")
and_p = zero_derivative("and", np.logical_and, 2, dtype=bool_dtype, xp=xp_logical("logical_and"),
                       sympy=logic("And"), commutative=True)
or_p  = zero_derivative("or", np.logical_or, 2, dtype=bool_dtype, xp=xp_logical("logical_or"),
                       sympy=logic("Or"), commutative=True)
xor_p = zero_derivative("xor", np.logical_xor, 2, dtype=bool_dtype, xp=xp_logical("logical_xor"),
                       sympy=logic("Xor"), commutative=True)
not_p = zero_derivative("not", np.logical_not, 1, dtype=bool_dtype, xp=xp_logical("logical_not"),
                       sympy=logic("Not"))
isnan_p    = zero_derivative("isnan", np.isnan, 1, dtype=bool_dtype, sympy=NoFormula(
    "a formula's symbols stand for numbers: SymPy cannot test for NaN"))
isinf_p    = zero_derivative("isinf", np.isinf, 1, dtype=bool_dtype, sympy=_FINITE_SYMBOLS)
isfinite_p = zero_derivative("isfinite", np.isfinite, 1, dtype=bool_dtype, sympy=_FINITE_SYMBOLS)
# fmt: on


def _nan_or_one(x):
    """``x`` where it is NaN, else 1 (in ``x``'s dtype)."""
    x = np.asarray(x)
    return np.where(np.isnan(x), x, np.ones((), x.dtype))


nan_or_one_p = zero_derivative(
    "nan_or_one", _nan_or_one, 1,
    doc="x where x is NaN, else 1: the factor that makes a derivative NaN where the "
        "function's value is (see nan_where_nan)",
    xp=XpImpl(lambda bk, x: bk.xp.where(bk.xp.isnan(x), x, bk.xp.ones_like(x)), "where, isnan"),
    # on Python floats (a graph of float64 scalars compiles to float code): x != x is NaN
    emit=Emitter(impl_call_expr, "fresh",
                 scalar=lambda ctx, node, args: f"({args[0]} if {args[0]} != {args[0]} else 1.0)"),
    # a formula's symbols stand for numbers, never NaN
    sympy=lambda sp, n, x: sp.Integer(1))

# Bits and signs: NumPy's own functions, so -0.0, -nan and integer bits come out as NumPy's.


def _integers(rng, shape):
    return rng.integers(-40, 40, size=shape)


def _invert_formula(sp, node, x):
    """NumPy's ``~x``: logical not of a boolean; ``-x - 1`` of a signed integer (two's
    complement, exact without wrap-around), ``max - x`` of an unsigned one."""
    dtype = node.aval.dtype
    if dtype.kind == "b":
        return sp.Not(x)
    if dtype.kind == "u":
        return sp.Integer(int(np.iinfo(dtype).max)) - x
    return -x - 1


def _fmod_xp(bk, x, y):
    xp = bk.xp
    fn = getattr(xp, "fmod", None)  # not in the Array API; Dask and CuPy have it
    if fn is not None:
        return fn(x, y)
    r = xp.remainder(xp.abs(x), xp.abs(y))  # fmod for non-negative operands
    if bk.np_dtype(r).kind == "f":
        return xp.copysign(r, x)  # the sign of x, signed zeros included
    return xp.where(x < 0, -r, r)


# fmt: off
signbit_p     = zero_derivative("signbit", np.signbit, 1, dtype=bool_dtype,
                                doc="sign bit set: True for -0.0 and -nan as well",
                                # over the reals the sign bit is x < 0 (-0.0, -nan are not reals)
                                sympy=lambda sp, n, x: sp.Lt(x, 0))
invert_p      = zero_derivative("invert", np.invert, 1, domains=[_integers], xp="bitwise_invert",
                                doc="bitwise not (logical not of booleans)",
                                sympy=_invert_formula)
bitwise_and_p = zero_derivative("bitwise_and", np.bitwise_and, 2, domains=[_integers] * 2,
                                sympy=_DIGITS)
bitwise_or_p  = zero_derivative("bitwise_or", np.bitwise_or, 2, domains=[_integers] * 2,
                                sympy=_DIGITS)
bitwise_xor_p = zero_derivative("bitwise_xor", np.bitwise_xor, 2, domains=[_integers] * 2,
                                sympy=_DIGITS)
# fmod(x, y) = x - trunc(x / y) * y, computed exactly (C's fmod), smooth away from the jumps
fmod_p = binary("fmod", np.fmod, (lambda x, y, out: ones_like_(x), lambda x, y, out: -_trunc(x / y)),
                domains=(REALS, NONZERO), xp=XpImpl(_fmod_xp, "fmod (or remainder)"),
                taylor=COEFFICIENTWISE,
                sympy=lambda sp, n, x, y: sp.sign(x) * sp.Mod(sp.Abs(x), sp.Abs(y)))  # C's
# fmt: on


def _trunc(q):
    return select(ge(q, 0.0), floor(q), ceil(q))


signbit = _unary_binder(signbit_p)
invert = _unary_binder(invert_p)


def bitwise_and(x, y):
    return bind(bitwise_and_p, x, y)


def bitwise_or(x, y):
    return bind(bitwise_or_p, x, y)


def bitwise_xor(x, y):
    return bind(bitwise_xor_p, x, y)


def fmod(x, y):
    return bind(fmod_p, x, y)


# Bit shifts of integers (operands of one dtype), as NumPy's and XLA's: a shift by the width
# or more, or by a negative amount, moves every bit out (0; -1 for a negative x shifted right)
def _shift_amounts(rng, shape):
    return rng.integers(-3, 70, size=shape)


def _shift_xp(left):
    def fn(bk, x, y):
        xp = bk.xp
        inside = (y >= 0) & (y < bk.np_dtype(x).itemsize * 8)
        y = xp.where(inside, y, xp.zeros_like(y))
        if left:
            return xp.where(inside, xp.bitwise_left_shift(x, y), xp.zeros_like(x))
        fill = xp.where(x < 0, xp.full_like(x, -1), xp.zeros_like(x)) \
            if bk.np_dtype(x).kind == "i" else xp.zeros_like(x)
        return xp.where(inside, xp.bitwise_right_shift(x, y), fill)

    return XpImpl(fn, "bitwise_left_shift" if left else "bitwise_right_shift")


# fmt: off
left_shift_p  = zero_derivative("left_shift", np.left_shift, 2,
                                domains=[_integers, _shift_amounts], xp=_shift_xp(True),
                                doc="x shifted left by y bits (0 where y < 0 or y >= the width)",
                                sympy=_DIGITS)
right_shift_p = zero_derivative("right_shift", np.right_shift, 2,
                                domains=[_integers, _shift_amounts], xp=_shift_xp(False),
                                doc="x shifted right by y bits, arithmetic for signed x (the "
                                    "sign everywhere where y < 0 or y >= the width)",
                                sympy=_DIGITS)
# fmt: on


def left_shift(x, y):
    return bind(left_shift_p, x, y)


def right_shift(x, y):
    return bind(right_shift_p, x, y)


sign = _unary_binder(sign_p)
floor = _unary_binder(floor_p)
ceil = _unary_binder(ceil_p)
round_ = _unary_binder(round_p)
logical_not = _unary_binder(not_p)
isnan = _unary_binder(isnan_p)
isinf = _unary_binder(isinf_p)
isfinite = _unary_binder(isfinite_p)


def floor_divide(x, y):
    return bind(floor_divide_p, x, y)


def eq(x, y):
    return bind(eq_p, x, y)


def ne(x, y):
    return bind(ne_p, x, y)


def lt(x, y):
    return bind(lt_p, x, y)


def le(x, y):
    return bind(le_p, x, y)


def gt(x, y):
    return bind(gt_p, x, y)


def ge(x, y):
    return bind(ge_p, x, y)


def logical_and(x, y):
    return bind(and_p, x, y)


def logical_or(x, y):
    return bind(or_p, x, y)


def logical_xor(x, y):
    return bind(xor_p, x, y)


# --------------------------------------------------------------------------- select


def _select_shape(c, x, y):
    shape = elementwise_shape("where")(c, x, y).shape
    return make_aval(shape, np.result_type(x.dtype, y.dtype))


def _select_jvp(ts, out, c, x, y):
    _, tx, ty = ts
    if tx is None and ty is None:
        return None
    tx = zeros_like_(out) if tx is None else tx
    ty = zeros_like_(out) if ty is None else ty
    return select(c, tx, ty)


def _select_sample(rng):
    (c, x, y), _ = elementwise_sampler([REALS, REALS, REALS])(rng)
    return [c > 0, x, y], {}


def _select_formula(sp, node, c, x, y):
    # a chain of selects reads as one piecewise formula: conditions are tried in order
    rest = y.args if isinstance(y, sp.Piecewise) else ((y, True),)
    return sp.Piecewise((x, truth(sp, c, node.inputs[0])), *rest)


select_p = Primitive(
    "select",
    np.where,
    _select_shape,
    dtype=lambda c, x, y: np.result_type(x, y),
    vjp=lambda ct, out, c, x, y: (
        None,
        select(c, ct, zeros_like_(ct)),
        select(c, zeros_like_(ct), ct),
    ),
    jvp=_select_jvp,
    batch=elementwise_batch(lambda: select_p),
    sample=_select_sample,
    doc="where(c, x, y): elementwise choice; c is boolean and carries no derivative",
    emit=Emitter(lambda ctx, node, args, out: call_expr(ctx.bind_numpy(np.where), args), "fresh"),
    xp=XpImpl(lambda bk, c, x, y: bk.xp.where(c, x, y), "where"),
    sympy=_select_formula,
    taylor=COEFFICIENTWISE,
)


def select(c, x, y):
    return bind(select_p, c, x, y)


# --------------------------------------------------------------------------- casts


def _convert_impl(x, *, dtype):
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        if np.dtype(dtype).kind == "b":
            return x != 0  # true where either part is nonzero (or NaN), as NumPy's cast
        x = x.real  # complex -> real keeps the real part (no ComplexWarning)
    return x.astype(dtype, copy=False)


def _convert_xp(bk, x, *, dtype):
    xp = bk.xp
    if bk.np_dtype(x).kind == "c" and np.dtype(dtype).kind != "c":
        if np.dtype(dtype).kind == "b":
            return x != 0
        x = xp.real(x)
    return xp.astype(x, bk.dtype(dtype))


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


def _convert_formula(sp, node, x):
    target = node.params["dtype"]
    if target.kind == "b":
        return truth(sp, x, node.inputs[0])
    if node.inputs[0].aval.dtype.kind == "b":
        return number_from_truth(sp, x)
    if target.kind == "c":
        return x
    x = sp.re(x)  # complex -> real keeps the real part (re(x) is x for a real x)
    if target.kind in "iu" and not x.is_integer:
        return sp.Piecewise((sp.floor(x), x >= 0), (sp.ceiling(x), True))  # toward zero
    return x


convert_p = Primitive(
    "convert",
    _convert_impl,
    lambda a, *, dtype: make_aval(a.shape, dtype),
    dtype=lambda d, *, dtype: np.dtype(dtype),
    vjp=lambda ct, out, x, *, dtype: (
        convert(ct, x.dtype) if _is_float(x.dtype) and _is_float(dtype) else None,
    ),
    jvp=lambda ts, out, x, *, dtype: convert(ts[0], dtype) if _is_float(dtype) else None,
    batch=elementwise_batch(lambda: convert_p),
    sample=lambda rng: ([rng.normal(size=(2, 3)).astype(np.float32)], {"dtype": np.dtype(np.float64)}),
    doc="x.astype(dtype)",
    xp=XpImpl(_convert_xp, "astype"),
    sympy=_convert_formula,
    taylor=COEFFICIENTWISE,
)


def convert(x, dtype):
    dtype = np.dtype(dtype)
    if getattr(x, "dtype", None) == dtype:
        return x
    return bind(convert_p, x, dtype=dtype)


stop_gradient_p = Primitive(
    "stop_gradient",
    lambda x: x,
    lambda a: a,
    nondiff=True,
    batch=elementwise_batch(lambda: stop_gradient_p),
    sample=elementwise_sampler([REALS]),
    doc="identity whose derivative is zero",
    emit=VIEW_OF_INPUT,
    xp=XpImpl(lambda bk, x: x, "(identity)"),
    # a formula has a value, not a derivative rule
    sympy=lambda sp, n, x: x,
)


def stop_gradient(x):
    return bind(stop_gradient_p, x)

