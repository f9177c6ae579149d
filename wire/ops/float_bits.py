"""Primitives of the floating-point grid: ``nextafter`` (the next representable number from
``x1`` toward ``x2``) and ``spacing`` (the distance from ``x`` to its neighbour away from
zero). Their values are NumPy's; each is a step function of its arguments on the grid, so its
derivative is zero (as ``floor``'s).

And of the bits of numbers: ``bitcast`` (the same bytes read as another dtype, XLA's
``BitcastConvert``; no derivative) and ``reduce_precision`` (a float rounded to fewer
exponent and mantissa bits, XLA's ``ReducePrecision``; its derivative rules apply it to the
tangent and the cotangent, as JAX's).
"""

from __future__ import annotations

import numpy as np

from ..core.formula import NoFormula
from ..core.lowering import XpImpl
from ..core import bind
from ..core.primitive import Primitive, random_shapes
from ..core.taylor import COEFFICIENTWISE
from ..errors import ShapeError, WireTypeError
from ..ir import make_aval
from .batching import elementwise_batch, trailing_batch
from .elementwise import zero_derivative
from .random_bits import _host

_GRID = NoFormula("a neighbour on the floating-point grid: SymPy's numbers have no grid")


def _xp_spacing(bk, x):
    # NumPy's spacing: toward -inf for negative x (so -0.0 has the positive 5e-324), NaN at
    # ±inf and NaN
    xp = bk.xp
    inf = xp.asarray(np.inf, dtype=x.dtype)
    return xp.nextafter(x, xp.where(x < 0, -inf, inf)) - x


nextafter_p = zero_derivative(
    "nextafter", np.nextafter, 2, sympy=_GRID,
    doc="the next floating-point number after x1 toward x2 (NumPy's nextafter); zero derivative")
spacing_p = zero_derivative(
    "spacing", np.spacing, 1, sympy=_GRID, xp=XpImpl(_xp_spacing, "nextafter"),
    doc="distance from x to the adjacent floating-point number away from zero (NumPy's "
        "spacing); zero derivative")


def nextafter(x1, x2):
    return bind(nextafter_p, x1, x2)


def spacing(x):
    return bind(spacing_p, x)


# --------------------------------------------------------------------------- bits


_BITS = NoFormula("reads the bytes of a number: SymPy's numbers have no representation")


def bitcast_shape(shape: tuple, old: np.dtype, new: np.dtype, name: str = "bitcast") -> tuple:
    """The shape of ``bitcast`` of an array of ``shape`` and ``old`` dtype as ``new``: the
    same for dtypes of one width; a narrower ``new`` adds a last axis of the width ratio, a
    wider one takes a last axis of that length away (XLA's ``BitcastConvert``).

    >>> bitcast_shape((3,), np.dtype(np.float32), np.dtype(np.uint8))
    (3, 4)
    """
    if new.itemsize == old.itemsize:
        return tuple(shape)
    if new.itemsize < old.itemsize:
        return tuple(shape) + (old.itemsize // new.itemsize,)
    ratio = new.itemsize // old.itemsize
    if not shape or shape[-1] != ratio:
        raise ShapeError(f"{name}: an array of shape {tuple(shape)} and dtype {old} becomes "
                         f"{new} through a last axis of length {ratio} ({new.itemsize * 8} / "
                         f"{old.itemsize * 8} bits)")
    return tuple(shape[:-1])


def _bitcast_impl(x, *, new_dtype):
    x = np.asarray(x)
    new = np.dtype(new_dtype)
    shape = bitcast_shape(x.shape, x.dtype, new)
    native = np.ascontiguousarray(x, dtype=x.dtype.newbyteorder("="))  # XLA's little-endian
    if new.itemsize > x.dtype.itemsize:
        return native.view(new).reshape(shape)
    return native.reshape(x.shape + (1,)).view(new).reshape(shape)


def _bitcast_aval(a, *, new_dtype):
    new = np.dtype(new_dtype)
    if a.shape is None:
        return make_aval(None, new)
    return make_aval(bitcast_shape(a.shape, a.dtype, new), new)


bitcast_p = Primitive(
    "bitcast", _bitcast_impl, _bitcast_aval,
    dtype=lambda d, *, new_dtype: np.dtype(new_dtype),
    nondiff=True,
    # it reads the last axis only (a wider dtype consumes it): batch axes go in front
    batch=trailing_batch(lambda: bitcast_p, core_ndim=1),
    sample=lambda rng: ([rng.standard_normal((3, 2))], {"new_dtype": np.dtype(np.uint16)}),
    doc="the bytes of x read as new_dtype (XLA's BitcastConvert: a narrower dtype adds a "
        "last axis, a wider one takes it away); no derivative",
    xp=_host("bitcast", lambda: bitcast_p),
    sympy=_BITS,
)


def bitcast(x, new_dtype):
    """``x``'s bytes as ``new_dtype`` (see :func:`bitcast_shape` for the shapes)."""
    return bind(bitcast_p, x, new_dtype=np.dtype(new_dtype))


_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _reduce_precision_impl(x, *, exponent_bits, mantissa_bits):
    """XLA's ``ReducePrecision`` (round to nearest even on the mantissa; exponents past the
    new range overflow to ±inf, those below its normal range flush to ±0; NaN stays NaN)."""
    x = np.asarray(x)
    info = np.finfo(x.dtype)
    src_mant, src_exp = info.nmant, info.nexp
    u = np.dtype(_UINT[x.dtype.itemsize])
    one = u.type(1)
    bits = np.ascontiguousarray(x).view(u)
    with np.errstate(over="ignore"):
        if mantissa_bits < src_mant:
            shift = u.type(src_mant - mantissa_bits)
            last = one << shift
            bias = (last >> one) - one
            bits = bits + ((bits & last) >> shift) + bias
            bits = bits & ~(last - one)
        if exponent_bits < src_exp:
            sign = one << u.type(x.dtype.itemsize * 8 - 1)
            exp_mask = ((one << u.type(src_exp)) - one) << u.type(src_mant)
            exp_bias = (1 << (src_exp - 1)) - 1
            reduced_bias = (1 << (exponent_bits - 1)) - 1
            exponent = bits & exp_mask
            over = exponent > (u.type(exp_bias + reduced_bias) << u.type(src_mant))
            under = exponent <= (u.type(exp_bias - reduced_bias) << u.type(src_mant))
            signed_zero = bits & sign
            bits = np.where(over, signed_zero | exp_mask, np.where(under, signed_zero, bits))
    out = np.where(np.isnan(x), x, np.asarray(bits, u).view(x.dtype))
    return out.reshape(x.shape)


def _reduce_precision_aval(a, *, exponent_bits, mantissa_bits):
    if a.dtype.kind != "f":
        raise WireTypeError(f"reduce_precision takes floating operands, got {a.dtype}")
    return a


def _reduce_precision_sample(rng):
    # float32's exponent range with float64's mantissa: values in that range are kept, where
    # the function is the identity and its rule is its derivative (the generic tests check
    # it against finite differences; where the mantissa is rounded the function is a step
    # function, and the rule is JAX's convention, not its zero derivative)
    shape = random_shapes(rng, 1)[0]
    return [rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 3, shape)], \
        {"exponent_bits": 8, "mantissa_bits": 52}


reduce_precision_p = Primitive(
    "reduce_precision", _reduce_precision_impl, _reduce_precision_aval,
    dtype=lambda d, **params: d,
    # as JAX's: a linear map with itself as its transpose (the tangent and the cotangent are
    # rounded too): the identity's derivative, rounded, where the exact derivative of the
    # rounding is 0 almost everywhere (a straight-through convention)
    jvp=lambda ts, out, x, **p: None if ts[0] is None else bind(reduce_precision_p, ts[0], **p),
    vjp=lambda ct, out, x, **p: (bind(reduce_precision_p, ct, **p),),
    batch=elementwise_batch(lambda: reduce_precision_p),
    sample=_reduce_precision_sample,
    doc="x rounded to a float of exponent_bits and mantissa_bits (XLA's ReducePrecision: to "
        "nearest even, overflow to inf, below the normal range to 0)",
    xp=_host("reduce_precision", lambda: reduce_precision_p),
    sympy=NoFormula("rounds to a floating-point grid: SymPy's numbers have no grid"),
    taylor=COEFFICIENTWISE,
)


def reduce_precision(x, exponent_bits: int, mantissa_bits: int):
    """``x`` rounded as :data:`reduce_precision_p` does."""
    return bind(reduce_precision_p, x, exponent_bits=int(exponent_bits),
                mantissa_bits=int(mantissa_bits))
