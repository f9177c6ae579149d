"""Complex-number primitives: ``real``, ``imag``, ``conj`` and ``complex`` (build from parts).

Derivatives follow JAX's convention: a VJP is the *transpose* (not the conjugate transpose) of
the R-linear tangent map, pairing values with ``Re(sum(a * b))``. Holomorphic primitives
(``add``, ``mul``, ``exp``, ``matmul`` …) therefore keep their real rules unchanged; only the
non-holomorphic parts live here. A real input of a complex computation receives the real part
of its cotangent (the reverse driver casts it).
"""

from __future__ import annotations

import numpy as np

from ..ir import Aval
from ..core.taylor import COEFFICIENTWISE
from ..core.primitive import Primitive
from ..core import bind
from ..core.lowering import XpImpl, xp_function
from ..core.formula import call
from .batching import elementwise_batch
from .elementwise import convert
from .layout import zeros_like_


def _real_dtype(dt):
    dt = np.dtype(dt)
    return np.empty((), dt).real.dtype if dt.kind == "c" else dt


def _complex_dtype(dt):
    return np.result_type(np.dtype(dt), np.complex64)


def _complex_sample(rng):
    shape = (2, 3)
    return [rng.normal(size=shape) + 1j * rng.normal(size=shape)], {}


def _to_complex(t, like):
    dt = _complex_dtype(like.dtype)
    return convert(t, dt)


# fmt: off
real_p = Primitive(
    "real", np.real, lambda a: Aval(a.shape, _real_dtype(a.dtype)),
    dtype=lambda d: _real_dtype(d), linear=True, batch=elementwise_batch(lambda: real_p),
    xp=xp_function("real"),
    vjp=lambda ct, out, x: (_to_complex(ct, x) if x.dtype.kind == "c" else ct,),
    jvp=lambda ts, out, x: real(ts[0]),
    sample=_complex_sample, doc="real part",
    sympy=call("re"),
    taylor=COEFFICIENTWISE,
)
imag_p = Primitive(
    "imag", np.imag, lambda a: Aval(a.shape, _real_dtype(a.dtype)),
    dtype=lambda d: _real_dtype(d), linear=True, batch=elementwise_batch(lambda: imag_p),
    xp=xp_function("imag"),
    vjp=lambda ct, out, x: (_to_complex(ct, x) * np.complex128(-1j).astype(x.dtype),),
    jvp=lambda ts, out, x: imag(ts[0]),
    sample=_complex_sample, doc="imaginary part (transpose: ct -> -1j * ct)",
    sympy=call("im"),
    taylor=COEFFICIENTWISE,
)
conj_p = Primitive(
    "conj", np.conj, lambda a: a, linear=True, batch=elementwise_batch(lambda: conj_p),
    xp=xp_function("conj"),
    vjp=lambda ct, out, x: (conj(ct),),
    jvp=lambda ts, out, x: conj(ts[0]),
    sample=_complex_sample, doc="complex conjugate",
    sympy=call("conjugate"),
    taylor=COEFFICIENTWISE,
)
def _complex_xp(bk, re, im):
    xp = bk.xp
    dt = np.result_type(bk.np_dtype(re), bk.np_dtype(im), np.complex64)
    j = xp.asarray(1j, dtype=bk.dtype(dt))
    return xp.add(xp.astype(re, bk.dtype(dt)), xp.multiply(j, xp.astype(im, bk.dtype(dt))))


def _complex_impl(re, im):
    """The complex array with parts ``re`` and ``im``, written in place: ``re + 1j * im``
    would turn ``im = ±inf`` into a NaN real part and lose the signs of zero parts."""
    re, im = np.asarray(re), np.asarray(im)
    out = np.empty(np.broadcast_shapes(re.shape, im.shape),
                   _complex_dtype(np.result_type(re.dtype, im.dtype)))
    out.real, out.imag = re, im
    return out


complex_p = Primitive(
    "complex", _complex_impl,
    lambda a, b: Aval(np.broadcast_shapes(a.shape, b.shape), _complex_dtype(np.result_type(a.dtype, b.dtype))),
    dtype=lambda a, b: _complex_dtype(np.result_type(a, b)), linear=True,
    batch=elementwise_batch(lambda: complex_p),
    xp=XpImpl(_complex_xp, "multiply / add"),
    vjp=lambda ct, out, re, im: (real(ct), -imag(ct)),
    jvp=lambda ts, out, re, im: complex_(
        ts[0] if ts[0] is not None else zeros_like_(re),
        ts[1] if ts[1] is not None else zeros_like_(im)),
    sample=lambda rng: ([rng.normal(size=(2, 3)), rng.normal(size=(3,))], {}),
    doc="re + 1j * im from real parts",
    sympy=lambda sp, n, re, im: re + sp.I * im,
    taylor=COEFFICIENTWISE,
)
# fmt: on


def real(x):
    return bind(real_p, x)


def imag(x):
    return bind(imag_p, x)


def conj(x):
    return bind(conj_p, x)


def complex_(re, im):
    return bind(complex_p, re, im)
