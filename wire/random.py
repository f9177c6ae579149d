"""``wire.random``: explicit, splittable random keys on NumPy's counter-based Philox generator.

There is no global random state. A *key* is a small ``uint32`` array of shape ``(4,)`` (128
bits); every sampler takes one and is a pure function of it, so the same key gives the same
numbers on every platform and every run. Make new keys with :func:`split` or :func:`fold_in`
instead of reusing one: reusing a key is allowed and simply gives the same numbers again
(usually a bug in a training loop, sometimes exactly what a test wants).

How it works: the key is Philox's 128-bit cipher key; the 256-bit counter carries a
*domain* word (sampling, splitting, folding in) so the streams of ``normal(k)``,
``split(k)`` and ``fold_in(k, i)`` are independent outputs of the block cipher. Only the raw
64-bit words of NumPy's bit generator are used (their stream is fixed by the algorithm); the
conversion to floats and the distributions are written here, so a NumPy upgrade that changes
``Generator`` methods does not change wire's numbers. Integer and uniform outputs are
bit-for-bit identical everywhere; ``normal`` goes through ``log``/``cos``, which platform math
libraries may round differently in the last bit. Keys and counters are handled with integer
arithmetic only (never through float64), so ``fold_in`` keeps all 64 bits of its data.

Ranges are exact: ``uniform`` never returns ``maxval`` in any dtype, ``randint`` has no
modulo bias for any span up to 2**64, and ``truncated_normal`` samples any interval, tails
included. Parameters that define no distribution raise ``wire.WireError`` rather than give
numbers: an infinite or NaN bound, ``p`` outside [0, 1], logits that are all ``-inf`` or hold
a NaN. ``tests/reference/test_reference_random.py`` checks every distribution against
``scipy.stats``.

Keys and tracing: keys may be traced, as in JAX. A jitted function can take a key, split it
and sample from it (``key, sub = split(key)`` inside a jitted training step), ``vmap`` maps
over a batch of keys (``vmap(lambda k: normal(k, (3,)))(split(key, 8))``), and eager
``grad`` of a function that samples from its key argument works. The samples are bit for bit
the ones a concrete key gives, under every transform: on a traced key the samplers bind the
primitives of :mod:`wire.ops.random_bits` (``random_bits``, ``random_fold_in``,
``random_sample``), whose NumPy implementations are the code the eager samplers run.
A key is an input of a jitted function, never a constant of its compiled code, so new keys
give new numbers from the same compiled code (also when it comes from the disk cache).
Samples carry no derivative (a key has none: ``grad`` with respect to a key raises
``wire.NonDifferentiableError``), and gradients of everything computed from a sample flow
as usual, so ``x * normal(k, shape)`` differentiates in ``x`` and ``categorical(k, logits)``
with traced logits passes no gradient through the drawn index. Shapes and dtypes must be
concrete; the parameters may be traced: ``uniform``'s bounds (differentiable),
``truncated_normal``'s bounds (differentiable: the implicit reparameterisation gradient),
``randint``'s scalar bounds, ``bernoulli``'s ``p`` and
``categorical``'s ``logits``, and every parameter of the shape-parameter samplers
(``gamma``, ``loggamma``, ``beta``, ``dirichlet``, ``chisquare``, ``f``, ``t``, ``poisson``,
``binomial``, ``multivariate_normal``, array bounds of ``truncated_normal``), whose draws are
differentiable in them where JAX's are (``gamma`` and what is built on it: the implicit
reparameterisation gradient). A traced parameter gives the draws its value gives eagerly.

Batches of keys: ``vmap`` over keys samples all the keys of the batch at once, with each
key's bits. Every sampler is written over a batch of keys (:func:`wire.ops.random_bits.over_keys`):
the Philox words of all keys come from one pass of the block cipher over the batch (from a
NumPy generator per key only past 256 words a key), their conversion to samples is
elementwise NumPy (the same ufuncs on each element as alone) and the rejection loops take
their next rounds for the keys that need them, all together. ``vmap`` over 500 keys of
``gamma(k, 3.0, (10,))`` takes 4.0 ms of CPU (99 ms when each key ran alone), of
``poisson(k, 3.0, (10,))`` 2.7 ms (87), ``binomial(k, 20, 0.3, (10,))`` 2.1 ms (149),
``randint`` 1.0 ms (39), ``categorical`` 3.8 ms (24), ``truncated_normal`` 2.1 ms (45),
``beta`` 10 ms (182); ``uniform`` and ``normal`` were batched before (1.3 ms).

Invalid parameters: never a plausible draw. Eager calls check their parameters and raise
``wire.WireError`` (``minval > maxval``, ``p`` outside [0, 1], NaN or crossed bounds, ...).
Traced parameters cannot be checked as the graph is built; as in JAX, float samplers then
return NaN where their parameters are invalid (``uniform``, ``truncated_normal``), and the
samplers whose outputs have no NaN (``randint``, ``bernoulli``, ``categorical``) check the
values as the compiled code runs and raise :class:`InvalidParameterError` (JAX clips or
returns some number instead).

>>> import wire
>>> k = wire.random.key(0)
>>> k1, k2 = wire.random.split(k)
>>> wire.random.uniform(k1, (2,)).shape
(2,)
>>> bool((wire.random.normal(k1, (3,)) == wire.random.normal(k1, (3,))).all())
True
>>> keys = wire.random.split(k, 8)
>>> z = wire.vmap(lambda k: wire.random.normal(k, (3,)))(keys)
>>> bool((z[2] == wire.random.normal(keys[2], (3,))).all())
True
"""

from __future__ import annotations

import numpy as np

from . import numpy as wnp
from .api.custom import custom_jvp
from .api.grad import float0 as wire_float0
from .core import Tracer
from .errors import WireError, WireTypeError, at, user_location
from .numpy import stop_gradient as wire_stop_gradient
from .ops import random_bits as R
from .ops import random_params as RP
from .tracebacks import expose

__all__ = [
    "key", "split", "fold_in", "bits", "uniform", "normal", "bernoulli", "categorical",
    "randint", "permutation", "truncated_normal", "gumbel", "is_key", "PRNGKey",
    "InvalidParameterError", "exponential", "laplace", "logistic", "cauchy", "rademacher",
    "lognormal", "rayleigh", "pareto", "weibull_min", "maxwell", "double_sided_maxwell",
    "choice", "gamma", "loggamma", "beta", "dirichlet", "chisquare", "f", "t", "poisson",
    "binomial", "multivariate_normal", "geometric", "triangular", "wald", "generalized_normal",
    "ball", "orthogonal", "multinomial",
]

InvalidParameterError = R.InvalidParameterError

KEY_SHAPE = R.KEY_SHAPE
KEY_DTYPE = R.KEY_DTYPE
_MASK128 = R.MASK128
_MASK64 = R.MASK64


# --------------------------------------------------------------------------- keys


def _default_impl(what: str, impl, dtype=None) -> None:
    """JAX's ``impl=``/``dtype=`` key arguments: wire has one generator (Philox4x64), the
    default; naming any implementation is an error (its streams would not be JAX's)."""
    for name, v in (("impl", impl), ("dtype", dtype)):
        if v is not None:
            raise WireError(
                f"wire.random.{what}: {name}={v!r} is not supported: wire has one random "
                f"generator (Philox4x64, whose streams are not JAX's), used when {name} is "
                f"None{at(user_location(3))}")


def key(seed: int, *, impl=None, dtype=None) -> np.ndarray:
    """A new key from an integer seed (any size; taken modulo 2**128). ``impl`` and ``dtype``
    (JAX's choice of generator) may only be None: wire has one generator.

    >>> key(42)
    array([ 0,  0,  0, 42], dtype=uint32)
    """
    _default_impl("key", impl, dtype)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise WireTypeError(
            f"wire.random.key needs an integer seed, got {type(seed).__name__} {seed!r}"
            f"{at(user_location())}"
        )
    s = int(seed) & _MASK128
    return np.array([(s >> (32 * (3 - i))) & 0xFFFFFFFF for i in range(4)], dtype=KEY_DTYPE)


def PRNGKey(seed: int, *, impl=None) -> np.ndarray:  # noqa: N802  JAX's name
    """:func:`key` under JAX's older name, so ``random.PRNGKey(0)`` in ported code works
    (``impl`` may only be None, as in :func:`key`).

    >>> bool((PRNGKey(7) == key(7)).all())
    True
    """
    _default_impl("PRNGKey", impl)
    return key(seed)


def is_key(x) -> bool:
    """Whether ``x`` looks like a concrete key (a uint32 array of shape (4,)).

    >>> is_key(key(0)), is_key(np.zeros(4))
    (True, False)
    """
    return isinstance(x, np.ndarray) and x.shape == KEY_SHAPE and x.dtype == KEY_DTYPE


def _traced(k, what: str) -> bool:
    """Whether ``k`` is a traced key (checked: shape (4,), uint32); False for concrete ones."""
    if not isinstance(k, Tracer):
        return False
    if k.aval.shape != KEY_SHAPE or k.aval.dtype != KEY_DTYPE:
        raise WireTypeError(
            f"wire.random.{what} needs a key made by wire.random.key/split/fold_in (uint32 "
            f"array of shape (4,)), got a traced {k.aval!r}{at(user_location())}; under "
            "wire.vmap, map over a batch of keys (in_axes) rather than passing it whole"
        )
    return True


def _check_key(k, what: str) -> int:
    """The 128-bit integer of concrete key ``k``; a clear error for non-keys."""
    if not is_key(k):
        arr = np.asarray(k)
        raise WireTypeError(
            f"wire.random.{what} needs a key made by wire.random.key/split/fold_in (uint32 "
            f"array of shape (4,)), got {arr.dtype}{list(arr.shape)}{at(user_location())}"
        )
    return R.key_int(k)


def split(key, num=2) -> np.ndarray:
    """``num`` new independent keys from ``key``, as an array of shape ``(num, 4)``; a tuple
    ``num`` (as JAX's) gives keys of shape ``num + (4,)``: those of ``split(key,
    prod(num))``, reshaped.

    Unpack it (``k1, k2 = split(k)``) or index it (``keys[i]``).

    >>> split(key(0), 3).shape
    (3, 4)
    >>> split(key(0), (2, 3)).shape
    (2, 3, 4)
    """
    if isinstance(num, tuple):
        dims = tuple(_static_int(n, "split", "num") for n in num)
        if any(n < 0 for n in dims):
            raise WireError(f"wire.random.split: negative num {num}{at(user_location())}")
        total = int(np.prod(dims, dtype=np.int64))
        if total == 0:
            return np.zeros(dims + KEY_SHAPE, KEY_DTYPE)
        return _xp(key).reshape(split(key, total), dims + KEY_SHAPE)
    num = _static_int(num, "split", "num")
    if num < 1:
        raise WireError(f"wire.random.split: num must be >= 1, got {num}{at(user_location())}")
    if _traced(key, "split"):
        return R.bits(key, (num, 4), R.SPLIT, 0, np.uint32)
    _check_key(key, "split")
    return R.bits_impl(key, shape=(num, 4), domain=R.SPLIT, stream=0, dtype=np.uint32)


def _static_int(v, what: str, name: str) -> int:
    if isinstance(v, (Tracer, bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise WireTypeError(
            f"wire.random.{what}: {name} must be a concrete int, got {type(v).__name__} {v!r}"
            f"{at(user_location())}"
        )
    return int(v)


def _fold_data(data) -> tuple[np.ndarray, tuple]:
    """``data`` as flat uint64 words (each value modulo 2**64) and its shape."""
    if isinstance(data, (int, np.integer)) and not isinstance(data, (bool, np.bool_)):
        return np.array([int(data) & _MASK64], np.uint64), ()
    # lists go through an object array: np.asarray([-1, 2**63]) would be float64
    arr = data if isinstance(data, np.ndarray) else np.array(data, dtype=object)
    if arr.dtype.kind in "iu":
        return arr.astype(np.uint64).ravel(), arr.shape  # two's complement is modulo 2**64
    if arr.dtype == object and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in arr.flat
    ):
        return np.array([int(v) & _MASK64 for v in arr.flat], np.uint64), arr.shape
    kind = arr.dtype if arr.dtype != object else f"{type(data).__name__} {data!r}"
    raise WireTypeError(
        f"wire.random.fold_in needs integer data (an int or an integer array), got {kind}"
        f"{at(user_location())}"
    )


def fold_in(key, data) -> np.ndarray:
    """A new key from ``key`` and integer ``data`` (e.g. the step number), independent of both.

    ``data`` is any Python int (taken modulo 2**64, so ``-1`` and ``2**64 - 1`` give the same
    key, and every other pair of values in ``[-2**63, 2**64)`` gives different ones) or an
    integer array, traced or not: an array of shape ``s`` gives keys of shape ``s + (4,)``, the
    same keys as folding its values in one at a time. JAX's ``fold_in`` takes a 32-bit value;
    torch has no equivalent. Only integer arithmetic is used, never floats.

    >>> bool((fold_in(key(0), 1) != fold_in(key(0), 2)).any())
    True
    >>> fold_in(key(0), np.arange(3)).shape
    (3, 4)
    >>> bool((fold_in(key(0), -1) == fold_in(key(0), 2**64 - 1)).all())
    True
    """
    traced = _traced(key, "fold_in")
    if not traced:
        _check_key(key, "fold_in")
    if isinstance(data, Tracer):
        if data.aval.dtype.kind not in "iu":
            raise WireTypeError(
                f"wire.random.fold_in needs integer data (an int or an integer array), got a "
                f"traced {data.aval!r}{at(user_location())}"
            )
        return R.fold_in(key, data)
    words, shape = _fold_data(data)
    words = words.reshape(shape)
    return R.fold_in(key, words) if traced else R.fold_words(key, words)


# --------------------------------------------------------------------------- samplers


def _shape(shape) -> tuple:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    out = tuple(int(s) for s in shape)
    if any(s < 0 for s in out):
        raise WireError(f"wire.random: negative dimensions in shape {out}{at(user_location())}")
    return out


def _float_dtype(dtype) -> np.dtype:
    dt = np.dtype(np.float64 if dtype is None else dtype)
    if dt.kind != "f":
        raise WireTypeError(f"expected a floating dtype, got {dt}{at(user_location())}")
    return dt


def _draw(key, what: str, dist: str, shape: tuple, dtype, *args):
    """``shape`` samples of ``R.SAMPLERS[dist]``: the primitive on a traced key, the NumPy
    function itself on a concrete one (the same code, so the same bits)."""
    if _traced(key, what):
        return R.sample(key, dist, shape, dtype, *args)
    k = _check_key(key, what)
    n = int(np.prod(shape, dtype=np.int64))
    return R.SAMPLERS[dist](k, n, np.dtype(dtype), *args).reshape(shape)


def _xp(*values):
    """wire.numpy when any of ``values`` is traced, else NumPy (the same ufuncs)."""
    return wnp if any(isinstance(v, Tracer) for v in values) else np


def _traced_scalar(v, what: str, name: str, kinds: str, dtype):
    """A traced or concrete scalar parameter of a sampler as an operand of its primitive."""
    a = v if isinstance(v, Tracer) else np.asarray(v)
    if a.dtype.kind not in kinds:
        raise WireTypeError(f"wire.random.{what}: {name} must be "
                            f"{'an integer' if kinds == 'iu' else 'a real number'}, got "
                            f"{a.dtype}{at(user_location())}")
    if tuple(a.shape) != ():
        raise WireError(f"wire.random.{what}: {name} must be a scalar, got shape "
                        f"{tuple(a.shape)} (vmap over keys and bounds for one pair per key)"
                        f"{at(user_location())}")
    return a if dtype is None else (wnp.asarray(a, dtype) if isinstance(a, Tracer)
                                    else a.astype(dtype))


def _int_operand(v: int, name: str) -> np.ndarray:
    """A concrete int bound beside a traced one, as an int64 (or uint64) operand."""
    for dt in (np.int64, np.uint64):
        info = np.iinfo(dt)
        if info.min <= v <= info.max:
            return np.asarray(v, dt)
    raise WireError(f"wire.random.randint: {name} = {v} does not fit in 64 bits"
                    f"{at(user_location())}")


def _fits(shape: tuple, other: tuple, what: str, name: str) -> None:
    """``other`` (a parameter's shape) must broadcast to ``shape`` without enlarging it: a
    larger broadcast result would repeat the same draws."""
    try:
        ok = tuple(np.broadcast_shapes(shape, other)) == shape
    except ValueError:
        ok = False
    if not ok:
        raise WireError(
            f"wire.random.{what}: {name} of shape {other} does not broadcast to shape {shape}"
            f"{at(user_location())}"
        )


def bits(key, shape=(), dtype=None) -> np.ndarray:
    """Uniformly random unsigned integers of the given shape: ``uint64`` words by default
    (``dtype=None``; JAX's default is uint32), or any unsigned ``dtype`` (uint8, uint16,
    uint32: the high bits of uint32 words, each of its values equally likely).

    >>> bits(key(0), (2,)).dtype
    dtype('uint64')
    >>> bits(key(0), (2,), np.uint8).dtype
    dtype('uint8')
    """
    shape = _shape(shape)
    dt = np.dtype(np.uint64 if dtype is None else dtype)
    if dt.kind != "u":
        raise WireTypeError(f"wire.random.bits: dtype must be an unsigned integer dtype, got "
                            f"{dt}{at(user_location())}")
    words = np.dtype(np.uint64 if dt == np.uint64 else np.uint32)
    if _traced(key, "bits"):
        w = R.bits(key, shape, R.SAMPLE, 0, words)
    else:
        _check_key(key, "bits")
        w = R.bits_impl(key, shape=shape, domain=R.SAMPLE, stream=0, dtype=words)
    if dt.itemsize >= words.itemsize:
        return w
    return (_xp(w).right_shift(w, np.uint32(32 - 8 * dt.itemsize))).astype(dt)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0) -> np.ndarray:
    """Floats uniform in ``[minval, maxval)`` (bounds broadcast to ``shape``).

    ``maxval`` itself never comes out, in any dtype: a draw that rounds up to it is moved to
    the float just below (as JAX does). ``minval == maxval`` gives ``minval``; ``minval >
    maxval``, NaN or infinite bounds raise ``wire.WireError``. Traced bounds give the same
    numbers as concrete ones and are differentiable (``d/dminval = 1 - u``, ``d/dmaxval =
    u``); they are not checked: where they are invalid the draw is NaN.

    >>> u = uniform(key(0), (1000,))
    >>> bool((u >= 0).all() and (u < 1).all())
    True
    >>> float(uniform(key(0), (2**16,), np.float32, 1.0, 2.0).max()) < 2.0
    True
    """
    shape, dt = _shape(shape), _float_dtype(dtype)
    if isinstance(minval, Tracer) or isinstance(maxval, Tracer):
        return _uniform_traced_bounds(key, shape, dt, minval, maxval)
    with np.errstate(over="ignore"):  # a bound beyond dt's range is inf: refused below
        lo, hi = np.asarray(minval, dt), np.asarray(maxval, dt)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()) or np.any(lo > hi):
        raise WireError(f"uniform needs finite minval <= maxval, got {minval!r} and {maxval!r}"
                        f" (as {dt}){at(user_location())}")
    _fits(shape, np.broadcast_shapes(lo.shape, hi.shape), "uniform", "minval/maxval")
    u = _draw(key, "uniform", "unit", shape, dt)
    xp = _xp(u)
    with np.errstate(over="ignore"):
        span = hi - lo
    finite = np.isfinite(span)
    # a span that overflows (e.g. the whole float range) is interpolated instead
    if finite.all():
        out = u * span + lo
    elif not finite.any():
        out = u * hi + (dt.type(1) - u) * lo
    else:
        out = xp.where(finite, u * np.where(finite, span, 0) + lo, u * hi + (dt.type(1) - u) * lo)
    below = np.nextafter(hi, dt.type(-np.inf))
    out = xp.maximum(xp.minimum(out, below), lo)
    return out if xp is wnp else np.asarray(out, dtype=dt)


def _uniform_traced_bounds(key, shape, dt, minval, maxval):
    """:func:`uniform` with traced bounds: the same arithmetic (so the same bits) as with
    concrete ones, differentiable in the bounds (``d/dminval = 1 - u``, ``d/dmaxval = u``).
    Traced bounds are not checked: where they are NaN, infinite or crossed the draw is NaN
    (as JAX), never a number."""
    lo, hi = wnp.asarray(minval).astype(dt), wnp.asarray(maxval).astype(dt)
    _fits(shape, np.broadcast_shapes(lo.shape, hi.shape), "uniform", "minval/maxval")
    u = wnp.asarray(_draw(key, "uniform", "unit", shape, dt))
    span = hi - lo
    one = dt.type(1)
    out = wnp.where(wnp.isfinite(span), u * span + lo, u * hi + (one - u) * lo)
    # the float below hi, as hi minus its last ulp: exactly nextafter(hi), with hi's derivative
    below = hi - wire_stop_gradient(hi - R.next_below(hi))
    out = wnp.maximum(wnp.minimum(out, below), lo)
    valid = wnp.logical_and(wnp.logical_and(wnp.isfinite(lo), wnp.isfinite(hi)), lo <= hi)
    return wnp.where(valid, out, dt.type(np.nan))


def normal(key, shape=(), dtype=None) -> np.ndarray:
    """Standard normal samples.

    >>> z = normal(key(0), (10000,))
    >>> abs(float(z.mean())) < 0.05 and abs(float(z.std()) - 1) < 0.05
    True
    """
    return _draw(key, "normal", "normal", _shape(shape), _float_dtype(dtype))


def truncated_normal(key, lower=-2.0, upper=2.0, shape=None, dtype=None) -> np.ndarray:
    """Standard normal samples conditioned on ``lower < z < upper`` (static scalar bounds,
    possibly infinite, anywhere: ``(8, 9)`` or ``(-inf, -40)`` work as well as ``(-2, 2)``).

    Exact rejection sampling from the key's stream, with the proposal chosen for the
    interval: the normal itself, a uniform on a short interval, or Robert's exponential
    proposal in a tail; each keeps at least about a third of its draws, so the loop ends
    fast. Deterministic given the key. ``shape=None`` (JAX's default) is the broadcast
    shape of the bounds. Array bounds (as JAX's) give each draw its own pair: the proposal is
    chosen per draw, and a draw depends only on the key and its own bounds. Values are drawn
    in float64 and then rounded to ``dtype``; a value that rounds onto a bound is moved just
    inside it (as JAX does).
    Bounds may be traced (under ``vmap`` one pair per key): the draws are the ones the same
    values give eagerly, and differentiable in the bounds with the implicit
    reparameterisation gradient, as JAX's inverse-CDF draw ``F^-1(u)`` at a fixed uniform
    has it: ``dz/dlower = phi(lower) (1 - F(z)) / phi(z)``, ``dz/dupper = phi(upper) F(z) /
    phi(z)`` (``F`` the truncated CDF), computed without cancellation in either tail, at
    every order; where the traced bounds are invalid (NaN, ``lower >= upper``, no float of
    ``dtype`` between them) the draws are NaN, as JAX's, where concrete ones raise
    ``wire.WireError``.

    >>> z = truncated_normal(key(0), -1.0, 1.0, (1000,))
    >>> bool((abs(z) < 1).all())
    True
    >>> bool(8.0 < float(truncated_normal(key(0), 8.0, 9.0)) < 9.0)
    True
    >>> z = truncated_normal(key(0), np.array([-1.0, 5.0]), np.array([0.0, np.inf]), (3, 2))
    >>> bool((z[:, 0] < 0).all() and (z[:, 1] > 5).all())
    True
    >>> import wire
    >>> round(float(wire.grad(lambda lo: truncated_normal(key(0), lo, np.inf))(6.0)), 6)
    0.999701
    """
    if np.ndim(lower) or np.ndim(upper) or (
            len(getattr(lower, "shape", ())) + len(getattr(upper, "shape", ()))):
        return _truncated_arrays(key, lower, upper, shape, _float_dtype(dtype))
    shape, dt = _shape(shape), _float_dtype(dtype)
    if isinstance(lower, Tracer) or isinstance(upper, Tracer):
        lo, hi = (_traced_scalar(v, "truncated_normal", name, "biuf", np.float64)
                  for v, name in ((lower, "lower"), (upper, "upper")))
        return _truncated_traced(False, shape, dt, key, lo, hi)
    for v, name in ((lower, "lower"), (upper, "upper")):
        if np.ndim(v):
            raise WireError(f"wire.random.truncated_normal: {name} must be a scalar, got shape "
                            f"{np.shape(v)} (array bounds are not supported; vmap over keys "
                            f"and bounds for one pair per key){at(user_location())}")
    lower, upper = float(lower), float(upper)
    if not lower < upper:
        raise WireError(
            f"truncated_normal needs lower < upper, got {lower}, {upper}{at(user_location())}"
        )
    lo16, hi16 = np.asarray(lower, dt), np.asarray(upper, dt)
    if not np.nextafter(lo16, dt.type(np.inf)) < hi16:
        raise WireError(
            f"truncated_normal: no {dt} lies strictly between {lower} and {upper}"
            f"{at(user_location())}"
        )
    return _draw(key, "truncated_normal", "truncated_normal", shape, dt, lower, upper)


def _truncated_arrays(key, lower, upper, shape, dt):
    """:func:`truncated_normal` with array bounds: a pair per draw."""
    lo, s1 = _real64(lower, "truncated_normal", "lower")
    hi, s2 = _real64(upper, "truncated_normal", "upper")
    shape = _param_shape(shape, [s1, s2], "truncated_normal")
    if isinstance(lo, Tracer) or isinstance(hi, Tracer):
        if not isinstance(key, Tracer):
            _check_key(key, "truncated_normal")
        return _truncated_traced(True, shape, dt, key, _spread(lo, shape), _spread(hi, shape))
    if _traced(key, "truncated_normal"):
        return RP.sample_arrays(key, "truncated_normal", shape, dt, _spread(lo, shape),
                                _spread(hi, shape))
    bad = RP.truncated_bad(dt, *np.broadcast_arrays(lo, hi))
    if bad.any():
        lb, hb = np.broadcast_arrays(lo, hi)
        raise WireError(f"truncated_normal needs lower < upper with a {dt} strictly between, "
                        f"got lower={lb[bad][:3].tolist()}, upper={hb[bad][:3].tolist()}"
                        f"{at(user_location(3))}")
    return RP.truncated_normals(_check_key(key, "truncated_normal"), shape, dt, lo, hi)


def _truncated_draw(arrays: bool, shape: tuple, dt, key, lo, hi):
    """Truncated normal draws of ``shape`` for traced bounds: scalars (``arrays`` False) or
    arrays of ``shape``; the primitives carry no derivative (the rule is
    :func:`_truncated_jvp`)."""
    if arrays:
        return RP.sample_arrays(key, "truncated_normal", shape, dt, lo, hi)
    return R.sample_params(key, "truncated_normal", shape, dt, lo, hi)


_truncated_traced = custom_jvp(_truncated_draw, nondiff_argnums=(0, 1, 2))


@_truncated_traced.defjvp
def _truncated_jvp(arrays, shape, dt, primals, tangents):
    """The implicit reparameterisation gradient of the draws in their bounds, as JAX's draw
    ``F^-1(u)`` at a fixed uniform ``u`` has it: ``dz/dlower = phi(lower) (1 - F(z)) /
    phi(z)``, ``dz/dupper = phi(upper) F(z) / phi(z)`` (``F`` the truncated CDF; written
    without cancellation in either tail, :func:`wire.ops.random_bits.truncated_slopes`). The
    rule calls the function again for the draws, so every order follows."""
    key, lo, hi = primals
    _, t_lo, t_hi = tangents
    z = _truncated_traced(arrays, shape, dt, key, lo, hi)
    z64 = wnp.asarray(z).astype(np.float64)
    pad = (lambda v: v) if arrays else (lambda v: wnp.reshape(v, (1,) * len(shape)))
    full = lambda v: wnp.broadcast_to(pad(v), shape)
    d_lo, d_hi = R.truncated_slopes(z64, full(lo), full(hi))
    t = 0.0
    for tv, slope in ((t_lo, d_lo), (t_hi, d_hi)):
        if tv is not None and getattr(tv, "dtype", None) != wire_float0:
            t = t + slope * pad(tv)
    return z, wnp.broadcast_to(wnp.asarray(t), shape).astype(dt)


def _mode(what: str, mode, accepted) -> None:
    """JAX's ``mode=`` (how many random bits to spend): checked, and without effect here:
    wire always draws 53-bit float64 uniforms, finer than JAX's ``"high"``."""
    if mode not in accepted:
        raise WireError(f"wire.random.{what}: mode must be one of "
                        f"{', '.join(repr(m) for m in accepted)}, got {mode!r}"
                        f"{at(user_location(3))}")


def bernoulli(key, p=0.5, shape=None, mode="low") -> np.ndarray:
    """Booleans that are True with probability ``p`` (broadcast to ``shape``; ``p`` may be
    traced). ``p`` must lie in [0, 1]: a concrete ``p`` outside (or NaN) raises
    ``wire.WireError`` at once, a traced one ``wire.random.InvalidParameterError`` when the
    code runs (a boolean has no NaN to return). ``mode`` (JAX's ``"low"`` or ``"high"``)
    changes nothing: the draw compares ``p`` with a float64 uniform of 53 bits, exact for
    every ``p`` down to about 1e-16 (JAX's ``"high"`` in float32 reaches about 1e-14).

    >>> bernoulli(key(0), 0.5, (4,)).dtype
    dtype('bool')
    """
    _mode("bernoulli", mode, ("high", "low"))
    if isinstance(p, Tracer):
        p_shape = tuple(p.shape)
        if p.dtype.kind not in "biuf":
            raise WireTypeError(f"bernoulli needs a real p, got {p.aval!r}{at(user_location())}")
        p = R.checked(p.astype(np.float64), "probability")
    else:
        p = np.asarray(p, dtype=np.float64)
        p_shape = p.shape
        if not ((p >= 0) & (p <= 1)).all():  # NaN fails both
            raise WireError(f"bernoulli needs 0 <= p <= 1, got {p!r}{at(user_location())}")
    shape = p_shape if shape is None else _shape(shape)
    _fits(shape, p_shape, "bernoulli", "p")
    u = uniform(key, shape)
    return (u < p) if _xp(u, p) is wnp else np.asarray(u < p)


def gumbel(key, shape=(), dtype=None, mode=None) -> np.ndarray:
    """Standard Gumbel samples, ``-log(-log(u))``, ``u`` a 53-bit uniform in float64 (in
    every ``dtype``), so the largest value is about 37. ``mode`` (JAX's ``None``, ``"low"``,
    ``"high"``, ``"highest"``: how many bits JAX spends) changes nothing.

    >>> gumbel(key(0), (3,)).shape
    (3,)
    """
    _mode("gumbel", mode, (None, "low", "high", "highest"))
    return _draw(key, "gumbel", "gumbel", _shape(shape), _float_dtype(dtype))


def categorical(key, logits, axis: int = -1, shape=None, replace: bool = True,
                mode=None) -> np.ndarray:
    """Integer samples from the categorical distribution with (unnormalised) ``logits``.

    ``shape`` defaults to ``logits.shape`` without ``axis`` (and must end with it). Uses the
    Gumbel-max trick: ``argmax(logits + gumbel)``, so traced logits are fine and no gradient
    flows through the sample. A ``-inf`` logit is never drawn and a single ``+inf`` one always
    is; concrete logits with a NaN, with every logit of a distribution ``-inf`` or with two
    ``+inf``, raise ``wire.WireError`` at once, traced ones
    ``wire.random.InvalidParameterError`` when the code runs.

    ``replace=False`` (as JAX) draws without replacement, by the Gumbel top-k trick: the
    leading axes of ``shape`` before the batch shape hold ``k`` (their product) distinct
    categories per distribution, in the order drawn; ``k`` may not exceed the number of
    categories, nor (for concrete logits) the number of categories above ``-inf``. ``mode``
    (JAX's precision of the Gumbel draws) changes nothing, as in :func:`gumbel`.

    >>> int(categorical(key(0), np.array([-1e9, 0.0, -1e9])))
    1
    >>> sorted(categorical(key(0), np.zeros(5), shape=(5,), replace=False).tolist())
    [0, 1, 2, 3, 4]
    """
    _mode("categorical", mode, (None, "low", "high", "highest"))
    traced = isinstance(logits, Tracer)
    if traced:
        if logits.dtype.kind not in "biuf":
            raise WireTypeError(
                f"categorical needs real logits, got {logits.aval!r}{at(user_location())}")
        logits = logits.astype(np.float64)
    else:
        logits = np.asarray(logits, dtype=np.float64)
    ndim = len(logits.shape)
    if ndim == 0 or not -ndim <= axis < ndim:
        raise WireError(f"categorical: axis {axis} is out of range for logits of shape "
                        f"{tuple(logits.shape)}{at(user_location())}")
    axis = axis % ndim
    n = logits.shape[axis]
    if n == 0:
        raise WireError(f"categorical needs at least one category, got logits of shape "
                        f"{tuple(logits.shape)}{at(user_location())}")
    xp = wnp if traced else np
    moved = xp.moveaxis(logits, axis, -1)
    if not traced and (np.isnan(moved).any() or (moved == -np.inf).all(axis=-1).any()
                       or ((moved == np.inf).sum(axis=-1) > 1).any()):
        raise WireError("categorical: logits with a NaN, with every category at -inf or with "
                        f"two at +inf are no distribution{at(user_location())}")
    if traced:
        moved = R.checked(moved, "logits")
    batch = tuple(moved.shape[:-1])
    shape = batch if shape is None else _shape(shape)
    _fits(shape, batch, "categorical", "logits (without axis)")
    if not replace:
        return _without_replacement(key, moved, shape, batch, traced)
    g = gumbel(key, shape + (n,))
    return _xp(moved, g).argmax(moved + g, axis=-1)


def _without_replacement(key, moved, shape: tuple, batch: tuple, traced: bool):
    """JAX's ``categorical(replace=False)``: the ``k`` largest of ``logits + gumbel`` per
    distribution (``moved``: categories last), the draw index leading."""
    prefix = shape[:len(shape) - len(batch)]
    k, n = int(np.prod(prefix, dtype=np.int64)), moved.shape[-1]
    if k > n:
        raise WireError(f"categorical: {k} samples without replacement from {n} categories"
                        f"{at(user_location(3))}")
    if not traced and k and (moved > -np.inf).sum(axis=-1).min() < k:
        raise WireError(f"categorical: {k} samples without replacement, but a distribution "
                        f"has fewer categories above -inf{at(user_location(3))}")
    z = moved + gumbel(key, tuple(moved.shape))
    xp = _xp(z)
    # largest first, equal values (only -inf can tie) in index order, as lax.top_k
    top = xp.argsort(-z, axis=-1, kind="stable")[..., :k]
    return xp.reshape(xp.moveaxis(top, -1, 0), shape)


def randint(key, shape=(), minval=0, maxval=None, dtype=None) -> np.ndarray:
    """Integers uniform in ``[minval, maxval)``, exactly (no modulo bias), of integer ``dtype``.

    A 64-bit word ``w`` is kept when it lies below the largest multiple of the span that
    fits in 2**64 and mapped to ``minval + w % span``; the rare rejected words are replaced
    from further blocks of the key's stream, so the result is a pure function of the key.
    Both bounds must be ints representable in ``dtype`` (a span up to 2**64 for
    int64/uint64); otherwise it raises ``wire.WireError`` (JAX clips the bounds instead).
    ``dtype=None`` (as JAX) is int64, the default integer.
    Bounds may be traced integer scalars (under ``vmap`` one pair per key), giving the draws
    the same values give eagerly; invalid traced bounds raise
    ``wire.random.InvalidParameterError`` when the compiled code runs (an integer has no NaN).

    >>> r = randint(key(0), (100,), 0, 3)
    >>> sorted(set(r.tolist()))
    [0, 1, 2]
    >>> randint(key(0), (2,), -2**63, 2**63 - 1).dtype
    dtype('int64')
    """
    if maxval is None:
        raise WireError(f"randint needs maxval{at(user_location())}")
    dt = np.dtype(np.int64 if dtype is None else dtype)
    if dt.kind not in "iu":
        raise WireTypeError(f"randint needs an integer dtype, got {dt}{at(user_location())}")
    if isinstance(minval, Tracer) or isinstance(maxval, Tracer):
        lo, hi = (_traced_scalar(v, "randint", name, "iu", None) if isinstance(v, Tracer)
                  else _int_operand(_static_int(v, "randint", name), name)
                  for v, name in ((minval, "minval"), (maxval, "maxval")))
        return R.sample_params(key, "randint", _shape(shape), dt, lo, hi)
    lo, hi = _static_int(minval, "randint", "minval"), _static_int(maxval, "randint", "maxval")
    info = np.iinfo(dt)
    if not lo < hi:
        raise WireError(f"randint needs minval < maxval, got {lo}, {hi}{at(user_location())}")
    if lo < info.min or hi - 1 > info.max:
        raise WireError(
            f"randint: [{lo}, {hi}) does not fit in {dt} (its range is [{info.min}, "
            f"{info.max}]){at(user_location())}"
        )
    return _draw(key, "randint", "randint", _shape(shape), dt, lo, hi)


def permutation(key, x, axis: int = 0, independent: bool = False) -> np.ndarray:
    """A random permutation of ``range(x)`` (an int ``x``) or of ``x`` along ``axis`` (``x``
    and the key may be traced). ``independent=True`` (as JAX) shuffles each 1-d slice along
    ``axis`` by its own permutation, rather than all of them by one.

    >>> sorted(permutation(key(0), 5).tolist())
    [0, 1, 2, 3, 4]
    >>> np.sort(permutation(key(0), np.arange(6).reshape(2, 3), 1, independent=True), axis=1)
    array([[0, 1, 2],
           [3, 4, 5]])
    """
    arr = None
    if isinstance(x, (bool, np.bool_)):
        raise WireTypeError(f"permutation needs an int or an array, got {x!r}"
                            f"{at(user_location())}")
    if isinstance(x, (int, np.integer)) or (
        isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iu"
    ):
        n = int(x)
        if n < 0:
            raise WireError(f"permutation needs n >= 0, got {n}{at(user_location())}")
    else:
        arr = x if isinstance(x, Tracer) else np.asarray(x)
        ndim = len(arr.shape)
        if ndim == 0 or not -ndim <= axis < ndim:
            raise WireError(f"permutation: axis {axis} is out of range for an array of shape "
                            f"{tuple(arr.shape)}{at(user_location())}")
        n = arr.shape[axis]
        if independent and ndim > 1:
            w = bits(key, tuple(arr.shape))
            order = _xp(w).argsort(w, axis=axis, kind="stable")
            return _xp(arr, order).take_along_axis(arr, order, axis=axis)
    w = bits(key, (n,))
    order = _xp(w).argsort(w, kind="stable")
    return order if arr is None else _xp(arr, order).take(arr, order, axis=axis)

# --------------------------------------------------------------------------- more samplers
# jax.random's transforms of uniform and normal draws: pure functions of the key (traced or
# not), differentiable in their parameters (pathwise, as JAX's)


def _open_unit(key, shape: tuple, dt):
    """Uniforms in ``(0, 1]``: ``1 - uniform``, exact in every float dtype."""
    u = uniform(key, shape, dt)
    return dt.type(1) - u


def _param(v, dt, what: str, name: str):
    """A (possibly traced) real parameter in dtype ``dt`` and its shape."""
    if isinstance(v, Tracer):
        if v.dtype.kind not in "biuf":
            raise WireTypeError(f"wire.random.{what}: {name} must be real, got {v.aval!r}"
                                f"{at(user_location(3))}")
        return v.astype(dt), tuple(v.shape)
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        raise WireTypeError(f"wire.random.{what}: {name} must be real, got {a.dtype}"
                            f"{at(user_location(3))}")
    return a.astype(dt), a.shape


def _param_shape(shape, shapes, what: str) -> tuple:
    """``shape`` (None: the parameters' broadcast shape), checked to hold them."""
    pshape = tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    if shape is None:
        return pshape
    shape = _shape(shape)
    _fits(shape, pshape, what, "the parameters")
    return shape


def exponential(key, shape=(), dtype=None) -> np.ndarray:
    """Standard exponential samples, ``-log(1 - u)`` (as ``jax.random.exponential``).

    >>> e = exponential(key(0), (10000,))
    >>> bool(e.min() >= 0) and abs(float(e.mean()) - 1) < 0.05
    True
    """
    dt = _float_dtype(dtype)
    return -_xp(key).log(_open_unit(key, _shape(shape), dt))


def laplace(key, shape=(), dtype=None) -> np.ndarray:
    """Standard Laplace samples (density ``exp(-|x|) / 2``): an exponential with a random
    sign.

    >>> abs(float(laplace(key(0), (10000,)).mean())) < 0.05
    True
    """
    dt = _float_dtype(dtype)
    k1, k2 = split(key)
    sign = _xp(k2).where(bernoulli(k2, 0.5, _shape(shape)), dt.type(1), dt.type(-1))
    return sign * exponential(k1, shape, dt)


def logistic(key, shape=(), dtype=None) -> np.ndarray:
    """Standard logistic samples, ``log(u / (1 - u))`` with ``u`` in ``(0, 1)``.

    >>> abs(float(logistic(key(0), (10000,)).mean())) < 0.1
    True
    """
    dt = _float_dtype(dtype)
    u = uniform(key, _shape(shape), dt, np.finfo(dt).tiny, 1.0)
    xp = _xp(u)
    return xp.log(u) - xp.log1p(-u)


def cauchy(key, shape=(), dtype=None) -> np.ndarray:
    """Standard Cauchy samples, ``tan(pi * (u - 1/2))`` with ``u`` in ``(0, 1)``.

    >>> float(np.median(cauchy(key(0), (10001,)))) ** 2 < 0.01
    True
    """
    dt = _float_dtype(dtype)
    u = uniform(key, _shape(shape), dt, np.finfo(dt).eps, 1.0)
    return _xp(u).tan(dt.type(np.pi) * (u - dt.type(0.5)))


def rademacher(key, shape=(), dtype=None) -> np.ndarray:
    """``-1`` or ``1`` with equal probability, as integers (``dtype``: int64 by default).

    >>> sorted(set(rademacher(key(0), (100,)).tolist()))
    [-1, 1]
    """
    dt = np.dtype(np.int64 if dtype is None else dtype)
    b = bernoulli(key, 0.5, _shape(shape))
    return _xp(b).where(b, dt.type(1), dt.type(-1))


def lognormal(key, sigma=1.0, shape=None, dtype=None) -> np.ndarray:
    """``exp(sigma * z)``, ``z`` standard normal (``sigma`` broadcast to ``shape``; by
    default ``shape`` is ``sigma``'s).

    >>> lognormal(key(0), np.ones(3)).shape
    (3,)
    """
    dt = _float_dtype(dtype)
    sigma, ss = _param(sigma, dt, "lognormal", "sigma")
    shape = _param_shape(shape, [ss], "lognormal")
    z = normal(key, shape, dt)
    return _xp(z, sigma).exp(z * sigma)


def rayleigh(key, scale, shape=None, dtype=None) -> np.ndarray:
    """Rayleigh samples, ``scale * sqrt(-2 log(1 - u))``.

    >>> bool(rayleigh(key(0), 2.0, (100,)).min() >= 0)
    True
    """
    dt = _float_dtype(dtype)
    scale, ss = _param(scale, dt, "rayleigh", "scale")
    shape = _param_shape(shape, [ss], "rayleigh")
    u = _open_unit(key, shape, dt)
    xp = _xp(u, scale)
    return scale * xp.sqrt(dt.type(-2) * xp.log(u))


def pareto(key, b, shape=None, dtype=None) -> np.ndarray:
    """Pareto samples of shape parameter ``b`` (support ``[1, inf)``), ``exp(e / b)`` with
    ``e`` standard exponential.

    >>> bool(pareto(key(0), 3.0, (100,)).min() >= 1)
    True
    """
    dt = _float_dtype(dtype)
    b, bs = _param(b, dt, "pareto", "b")
    shape = _param_shape(shape, [bs], "pareto")
    e = exponential(key, shape, dt)
    return _xp(e, b).exp(e / b)


def weibull_min(key, scale, concentration, shape=(), dtype=None) -> np.ndarray:
    """Weibull samples, ``scale * (-log(1 - u)) ** (1 / concentration)``.

    >>> bool(weibull_min(key(0), 1.0, 2.0, (100,)).min() >= 0)
    True
    """
    dt = _float_dtype(dtype)
    scale, ss = _param(scale, dt, "weibull_min", "scale")
    conc, cs = _param(concentration, dt, "weibull_min", "concentration")
    shape = _param_shape(shape, [ss, cs], "weibull_min")
    e = exponential(key, shape, dt)
    return _xp(e, scale, conc).power(e, dt.type(1) / conc) * scale


def maxwell(key, shape=(), dtype=None) -> np.ndarray:
    """Maxwell samples: the length of a standard normal 3-vector.

    >>> bool(abs(maxwell(key(0), (10000,)).mean() - 2 * np.sqrt(2 / np.pi)) < 0.05)
    True
    """
    dt = _float_dtype(dtype)
    z = normal(key, _shape(shape) + (3,), dt)
    return _xp(z).sqrt((z * z).sum(axis=-1))


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None) -> np.ndarray:
    """``loc + scale * s * m``: ``m`` a Maxwell sample and ``s`` a random sign. As in
    ``jax.random.double_sided_maxwell`` the output shape is ``shape`` followed by the
    parameters' broadcast shape.

    >>> double_sided_maxwell(key(0), 0.0, np.ones(2), (3,)).shape
    (3, 2)
    """
    dt = _float_dtype(dtype)
    loc, ls = _param(loc, dt, "double_sided_maxwell", "loc")
    scale, ss = _param(scale, dt, "double_sided_maxwell", "scale")
    pshape = tuple(np.broadcast_shapes(ls, ss))
    shape = (_shape(shape) or pshape) + pshape
    k1, k2 = split(key)
    return rademacher(k2, shape, dt) * maxwell(k1, shape, dt) * scale + loc


def choice(key, a, shape=(), replace: bool = True, p=None, axis: int = 0,
           mode=None) -> np.ndarray:
    """Draws from ``range(a)`` (an int ``a``) or from the entries of ``a`` along ``axis``,
    as ``jax.random.choice``: with or without replacement, uniformly or with probabilities
    ``p`` (a vector over the entries; drawn by the cumulative sum with replacement, by the
    Gumbel top-k trick without). The result has shape ``a.shape[:axis] + shape +
    a.shape[axis + 1:]``. ``mode`` changes nothing, as in :func:`gumbel`.

    >>> sorted(choice(key(0), 5, (5,), replace=False).tolist())
    [0, 1, 2, 3, 4]
    >>> choice(key(0), np.arange(6.0).reshape(2, 3), (4,), axis=1).shape
    (2, 4)
    """
    _mode("choice", mode, (None, "low", "high", "highest"))
    if not isinstance(shape, (tuple, list)):
        raise WireTypeError(f"wire.random.choice: shape must be a sequence, got {shape!r}"
                            f"{at(user_location())}")
    shape = _shape(shape)
    arr = a if isinstance(a, Tracer) else np.asarray(a)
    scalar = len(arr.shape) == 0
    if scalar:
        if isinstance(a, Tracer) or arr.dtype.kind not in "iu":
            raise WireTypeError(f"wire.random.choice: a must be a concrete int or an array, "
                                f"got {a!r}{at(user_location())}")
        n = int(arr)
    else:
        ndim = len(arr.shape)
        if not -ndim <= axis < ndim:
            raise WireError(f"wire.random.choice: axis {axis} is out of range for shape "
                            f"{tuple(arr.shape)}{at(user_location())}")
        axis %= ndim
        n = arr.shape[axis]
    draws = int(np.prod(shape, dtype=np.int64))
    out_shape = shape if scalar else tuple(arr.shape[:axis]) + shape + tuple(arr.shape[axis + 1:])
    if draws == 0:
        return np.zeros(out_shape, np.int64 if scalar else arr.dtype)
    if n <= 0:
        raise WireError(f"wire.random.choice: no entries to choose from{at(user_location())}")
    if not replace and draws > n:
        raise WireError(f"wire.random.choice: {draws} draws without replacement from {n} "
                        f"entries{at(user_location())}")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n)
        else:
            ind = _xp(key).reshape(permutation(key, n)[:draws], shape)
    else:
        pv = p if isinstance(p, Tracer) else np.asarray(p)
        if tuple(pv.shape) != (n,) or pv.dtype.kind not in "biuf":
            raise WireError(f"wire.random.choice: p must be a real vector of {n} "
                            f"probabilities, got {pv.dtype}{list(pv.shape)}"
                            f"{at(user_location())}")
        pdt = np.dtype(np.float64) if pv.dtype.kind in "biu" else np.dtype(pv.dtype)
        pv = pv.astype(pdt)
        if not isinstance(pv, Tracer) and not (np.all(pv >= 0) and pv.sum() > 0):
            raise WireError(f"wire.random.choice: p must be >= 0 with a positive sum, got "
                            f"{pv!r}{at(user_location())}")
        if replace:
            xp = _xp(pv, key)
            cum = xp.cumsum(pv)
            r = cum[-1] * (pdt.type(1) - uniform(key, shape, pdt))
            ind = xp.searchsorted(cum, r)
        else:
            if not isinstance(pv, Tracer) and np.count_nonzero(pv) < draws:
                raise WireError(f"wire.random.choice: {draws} draws without replacement, "
                                f"but only {np.count_nonzero(pv)} entries have p > 0"
                                f"{at(user_location())}")
            z = gumbel(key, (n,), pdt) + _xp(pv).log(pv)
            xp = _xp(z)
            ind = xp.reshape(xp.argsort(-z, kind="stable")[:draws], shape)
    if scalar:
        return ind
    return _xp(arr, ind).take(arr, ind, axis=axis)


# --------------------------------------------------------------------------- shape-parameter
# samplers: gamma and what is built on it, Poisson, binomial, multivariate normal. Draw i of
# an array of parameters depends on the key and its own parameters only (wire.ops.random_params)


def _real64(v, what: str, name: str):
    """A (possibly traced) real parameter as float64, and its shape."""
    if isinstance(v, Tracer):
        if v.dtype.kind not in "biuf":
            raise WireTypeError(f"wire.random.{what}: {name} must be real, got {v.aval!r}"
                                f"{at(user_location(3))}")
        return v.astype(np.float64), tuple(v.shape)
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        raise WireTypeError(f"wire.random.{what}: {name} must be real, got {a.dtype}"
                            f"{at(user_location(3))}")
    return a.astype(np.float64), a.shape


def _refuse(what: str, name: str, values, bad, needs: str) -> None:
    """Raise for concrete parameter ``values`` where ``bad`` holds (a few of them named)."""
    if np.any(bad):
        shown = np.asarray(values)[np.asarray(bad)] if np.ndim(bad) else values
        raise WireError(f"wire.random.{what}: {name} must be {needs}, got "
                        f"{np.ravel(shown)[:4].tolist()}{at(user_location(3))}")


def _spread(v, shape: tuple):
    """``v`` (array or tracer) broadcast to ``shape``."""
    return wnp.broadcast_to(v, shape) if isinstance(v, Tracer) else np.broadcast_to(v, shape)


def _gamma_draw(key, a, shape: tuple, dt, what: str, log_space: bool):
    """Gamma(a) draws (or their logs) of ``shape`` in ``dt``; ``a`` float64 (checked by the
    caller when concrete). Differentiable in a traced ``a``."""
    if _traced(key, what) or isinstance(a, Tracer):
        if not isinstance(key, Tracer):
            _check_key(key, what)
        return RP.gamma(key, _spread(a, shape), shape, dt, log_space)
    return RP.gammas(_check_key(key, what), shape, dt, a, log_space=log_space)


def _gamma_args(key, a, shape, dtype, what: str):
    dt = _float_dtype(dtype)
    a, a_shape = _real64(a, what, "a")
    if not isinstance(a, Tracer):
        _refuse(what, "a", a, ~(a >= 0), ">= 0 (inf allowed)")
    return a, _param_shape(shape, [a_shape], what), dt


def gamma(key, a, shape=None, dtype=None) -> np.ndarray:
    """Gamma samples of shape parameter ``a`` and scale 1 (``a`` broadcast to ``shape``; by
    default ``shape`` is ``a``'s), as ``jax.random.gamma``.

    Each draw is the inverse CDF at a uniform of the key, ``x = P^-1(a, u)`` (``P`` the
    regularised incomplete gamma function), so it is differentiable in ``a``: ``grad`` gives
    the implicit reparameterisation gradient ``dx/da = -(dP/da) / (dP/dx)``, as JAX's, and
    every higher order, under ``jit`` and ``vmap`` too. ``a = 0`` gives 0 and ``a = inf``
    inf; a negative or NaN ``a`` raises ``wire.WireError`` (a traced one gives NaN). For a
    tiny ``a`` most draws underflow to 0: draw their logarithms with :func:`loggamma`.

    >>> x = gamma(key(0), 3.0, (20000,))
    >>> abs(float(x.mean()) - 3) < 0.05 and abs(float(x.var()) - 3) < 0.15
    True
    >>> import wire
    >>> g = wire.grad(lambda a: gamma(key(0), a))(2.0)   # implicit reparameterisation
    >>> bool(g > 0)
    True
    """
    a, shape, dt = _gamma_args(key, a, shape, dtype, "gamma")
    return _gamma_draw(key, a, shape, dt, "gamma", False)


def loggamma(key, a, shape=None, dtype=None) -> np.ndarray:
    """The logarithms of Gamma(``a``) samples (``jax.random.loggamma``): finite where the
    sample itself underflows to 0, as it does for most draws of a tiny ``a`` (``a = 1e-30``
    gives logs near ``-1e30``). ``exp(loggamma(k, a))`` is ``gamma(k, a)``'s draw, and the
    derivative in ``a`` is the implicit reparameterisation gradient of the log.

    >>> y = loggamma(key(0), 1e-30, (3,))
    >>> bool((y < -1e28).all())
    True
    >>> bool(np.allclose(np.exp(loggamma(key(0), 2.0, (4,))), gamma(key(0), 2.0, (4,))))
    True
    """
    a, shape, dt = _gamma_args(key, a, shape, dtype, "loggamma")
    return _gamma_draw(key, a, shape, dt, "loggamma", True)


def _positive(v, what: str, name: str, allow_inf: bool):
    v, s = _real64(v, what, name)
    if not isinstance(v, Tracer):
        ok = (v > 0) & (v <= np.inf if allow_inf else np.isfinite(v))
        _refuse(what, name, v, ~ok, "> 0" + ("" if allow_inf else " and finite"))
    return v, s


def chisquare(key, df, shape=None, dtype=None) -> np.ndarray:
    """Chi-square samples with ``df`` degrees of freedom, ``2 gamma(df / 2)``, differentiable in
    ``df``. ``df = 0`` gives 0 and ``df = inf`` inf; a negative or NaN ``df`` raises.

    >>> c = chisquare(key(0), 4.0, (20000,))
    >>> abs(float(c.mean()) - 4) < 0.1
    True
    """
    dt = _float_dtype(dtype)
    df, s = _real64(df, "chisquare", "df")
    if not isinstance(df, Tracer):
        _refuse("chisquare", "df", df, ~(df >= 0), ">= 0 (inf allowed)")
    shape = _param_shape(shape, [s], "chisquare")
    g = _gamma_draw(key, df / 2.0, shape, np.dtype(np.float64), "chisquare", False)
    return (2.0 * g).astype(dt)


def _scaled_chi2(key, df, shape: tuple, what: str):
    """``chi2(df) / df`` in float64, 1 where ``df = inf`` (its limit)."""
    xp = _xp(df, key)
    inf = df == np.inf
    safe = xp.where(inf, 1.0, df)
    g = _gamma_draw(key, safe / 2.0, shape, np.dtype(np.float64), what, False)
    return xp.where(inf, 1.0, 2.0 * g / safe)


def f(key, dfnum, dfden, shape=None, dtype=None) -> np.ndarray:
    """F-distribution samples, ``(chi2(dfnum) / dfnum) / (chi2(dfden) / dfden)``, as
    ``jax.random.f``; an infinite degree of freedom takes its limit (``dfden = inf``:
    ``chi2(dfnum) / dfnum``, where JAX gives NaN). Both must be > 0 (else ``wire.WireError``;
    NaN when traced).

    >>> x = f(key(0), 5.0, 10.0, (20000,))
    >>> abs(float(x.mean()) - 10 / 8) < 0.05
    True
    """
    dt = _float_dtype(dtype)
    dfnum, s1 = _positive(dfnum, "f", "dfnum", True)
    dfden, s2 = _positive(dfden, "f", "dfden", True)
    shape = _param_shape(shape, [s1, s2], "f")
    k1, k2 = split(key)
    num = _scaled_chi2(k1, dfnum, shape, "f")
    den = _scaled_chi2(k2, dfden, shape, "f")
    return (num / den).astype(dt)


def t(key, df, shape=None, dtype=None) -> np.ndarray:
    """Student's t samples with ``df`` degrees of freedom, ``z / sqrt(chi2(df) / df)``,
    differentiable in ``df``; ``df = inf`` gives the standard normal (JAX gives NaN there).
    ``df`` must be > 0 (else ``wire.WireError``; NaN when traced).

    >>> x = t(key(0), 5.0, (20000,))
    >>> abs(float(x.var()) - 5 / 3) < 0.1
    True
    """
    dt = _float_dtype(dtype)
    df, s = _positive(df, "t", "df", True)
    shape = _param_shape(shape, [s], "t")
    k1, k2 = split(key)
    z = normal(k1, shape)
    return (z / _xp(df).sqrt(_scaled_chi2(k2, df, shape, "t"))).astype(dt)


def beta(key, a, b, shape=None, dtype=None) -> np.ndarray:
    """Beta(``a``, ``b``) samples, ``X / (X + Y)`` for Gamma draws ``X``, ``Y``, computed from
    their logarithms (as JAX), so tiny shapes give 0s and 1s rather than NaN; differentiable
    in ``a`` and ``b``. Both must be > 0 and finite (else ``wire.WireError``; NaN when
    traced).

    >>> x = beta(key(0), 2.0, 3.0, (20000,))
    >>> abs(float(x.mean()) - 0.4) < 0.01
    True
    """
    dt = _float_dtype(dtype)
    a, s1 = _positive(a, "beta", "a", False)
    b, s2 = _positive(b, "beta", "b", False)
    shape = _param_shape(shape, [s1, s2], "beta")
    k1, k2 = split(key)
    f64 = np.dtype(np.float64)
    lx = _gamma_draw(k1, a, shape, f64, "beta", True)
    ly = _gamma_draw(k2, b, shape, f64, "beta", True)
    xp = _xp(lx, ly)
    return xp.exp(lx - xp.logaddexp(lx, ly)).astype(dt)


def dirichlet(key, alpha, shape=None, dtype=None) -> np.ndarray:
    """Dirichlet samples of concentration ``alpha`` (its last axis: the categories), as
    ``jax.random.dirichlet``: the result has shape ``shape + alpha.shape[-1:]``, ``shape``
    (by default ``alpha.shape[:-1]``) holding ``alpha.shape[:-1]``. Gamma draws normalised
    in log space, so tiny concentrations give vertices rather than NaN; differentiable in
    ``alpha``, which must be > 0 and finite (else ``wire.WireError``; NaN when traced).

    >>> x = dirichlet(key(0), np.array([1.0, 2.0, 3.0]), (5000,))
    >>> x.shape, bool(np.allclose(x.sum(-1), 1.0))
    ((5000, 3), True)
    """
    dt = _float_dtype(dtype)
    alpha, s = _positive(alpha, "dirichlet", "alpha", False)
    if len(s) == 0 or s[-1] == 0:
        raise WireError(f"wire.random.dirichlet: alpha needs a last axis of categories, got "
                        f"shape {s}{at(user_location())}")
    batch = _param_shape(shape, [s[:-1]], "dirichlet")
    lg = _gamma_draw(key, alpha, batch + s[-1:], np.dtype(np.float64), "dirichlet", True)
    xp = _xp(lg)
    m = lg.max(axis=-1, keepdims=True)
    if xp is wnp:
        m = wire_stop_gradient(m)  # the result does not depend on the shift
    shifted = lg - m
    return xp.exp(shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))).astype(dt)


def _count_sampler(name, key, param, pname, shape, dtype):
    """The common start of the integer samplers of one parameter (``poisson``,
    ``geometric``): ``(dtype, parameter as float64, shape, traced draws or None)``; the draws
    are made here when the parameter or the key is traced."""
    dt = np.dtype(np.int64 if dtype is None else dtype)
    if dt.kind not in "iu":
        raise WireTypeError(f"wire.random.{name} needs an integer dtype, got {dt}"
                            f"{at(user_location())}")
    param, s = _real64(param, name, pname)
    shape = _param_shape(shape, [s], name)
    if isinstance(param, Tracer) or _traced(key, name):
        if not isinstance(key, Tracer):
            _check_key(key, name)
        return dt, param, shape, RP.sample_arrays(key, name, shape, dt, _spread(param, shape))
    return dt, param, shape, None


def poisson(key, lam, shape=None, dtype=None) -> np.ndarray:
    """Poisson counts of rate ``lam`` (broadcast to ``shape``; by default ``lam``'s shape), of
    integer ``dtype`` (None: int64), as ``jax.random.poisson``: inversion below ``lam = 10``,
    Hörmann's transformed rejection (PTRS) above, exact in the tails for any rate. ``lam = 0``
    gives 0; a negative, infinite or NaN rate, or one whose counts overflow ``dtype``, raises
    ``wire.WireError`` (traced: ``wire.random.InvalidParameterError`` as the code runs; JAX
    returns -1). Counts carry no derivative.

    >>> c = poisson(key(0), 4.0, (20000,))
    >>> c.dtype, abs(float(c.mean()) - 4) < 0.05
    (dtype('int64'), True)
    """
    dt, lam, shape, traced = _count_sampler("poisson", key, lam, "lam", shape, dtype)
    if traced is not None:
        return traced
    bad = RP.poisson_bad(dt, lam)
    if bad is not None:
        raise WireError(f"wire.random.{bad}{at(user_location())}")
    return RP.poissons(_check_key(key, "poisson"), shape, dt, lam)


def binomial(key, n, p, shape=None, dtype=None) -> np.ndarray:
    """Binomial counts of ``n`` trials of success probability ``p`` (broadcast to ``shape``;
    by default their broadcast shape), as floats of ``dtype`` (as ``jax.random.binomial``):
    inversion where ``n min(p, 1-p) < 10``, Hörmann's BTRS above. ``p = 0`` gives 0, ``p = 1``
    gives ``n``. ``n`` must be a whole number in ``[0, 2**53)`` and ``p`` in ``[0, 1]`` (else
    ``wire.WireError``; NaN when traced). Counts carry no derivative.

    >>> c = binomial(key(0), 10, 0.3, (20000,))
    >>> abs(float(c.mean()) - 3) < 0.05, float(binomial(key(0), 7, 1.0))
    (True, 7.0)
    """
    dt = _float_dtype(dtype)
    n, s1 = _real64(n, "binomial", "n")
    p, s2 = _real64(p, "binomial", "p")
    shape = _param_shape(shape, [s1, s2], "binomial")
    if isinstance(n, Tracer) or isinstance(p, Tracer) or _traced(key, "binomial"):
        if not isinstance(key, Tracer):
            _check_key(key, "binomial")
        return RP.sample_arrays(key, "binomial", shape, dt, _spread(n, shape),
                                _spread(p, shape))
    ok = RP.binomial_valid(*np.broadcast_arrays(n, p))
    if not ok.all():
        nb, pb = np.broadcast_arrays(n, p)
        raise WireError(f"wire.random.binomial needs whole n in [0, 2**53) and p in [0, 1], "
                        f"got n={nb[~ok][:3].tolist()}, p={pb[~ok][:3].tolist()}"
                        f"{at(user_location())}")
    return RP.binomials(_check_key(key, "binomial"), shape, dt, n, p)


def multivariate_normal(key, mean, cov, shape=None, dtype=None,
                        method: str = "cholesky") -> np.ndarray:
    """Multivariate normal samples ``mean + A z`` with ``A A^T = cov``, as
    ``jax.random.multivariate_normal``: ``mean`` ``(..., n)``, ``cov`` ``(..., n, n)``, the
    result ``shape + (n,)`` with ``shape`` (by default the broadcast of their leading axes)
    holding those leading axes. ``method`` picks ``A``: ``"cholesky"`` (cov positive
    definite: a singular one raises ``wire.WireError``, where JAX gives NaN), ``"eigh"``
    (``V sqrt(max(w, 0))``) or ``"svd"`` (``U sqrt(s)``), both fine for a singular ``cov``.
    Differentiable in ``mean`` and ``cov``.

    >>> x = multivariate_normal(key(0), np.zeros(2), np.array([[2.0, 1.0], [1.0, 2.0]]),
    ...                         (20000,))
    >>> bool(np.allclose(np.cov(x.T), [[2, 1], [1, 2]], atol=0.06))
    True
    >>> multivariate_normal(key(0), np.zeros(2), np.ones((2, 2)), method="eigh").shape
    (2,)
    """
    if method not in ("cholesky", "eigh", "svd"):
        raise WireError(f"wire.random.multivariate_normal: method must be 'cholesky', 'eigh' "
                        f"or 'svd', got {method!r}{at(user_location())}")
    dt = _float_dtype(dtype)
    mean, ms = _real64(mean, "multivariate_normal", "mean")
    cov, cs = _real64(cov, "multivariate_normal", "cov")
    if len(ms) < 1 or len(cs) < 2 or cs[-2:] != ms[-1:] * 2:
        raise WireError(f"wire.random.multivariate_normal: mean must have shape (..., n) and "
                        f"cov (..., n, n), got {ms} and {cs}{at(user_location())}")
    try:
        pshape = tuple(np.broadcast_shapes(ms[:-1], cs[:-2]))
    except ValueError:
        raise WireError(f"wire.random.multivariate_normal: the leading axes of mean {ms} and "
                        f"cov {cs} do not broadcast{at(user_location())}") from None
    shape = _param_shape(shape, [pshape], "multivariate_normal")
    xp = _xp(mean, cov)
    if xp is np:
        if not np.isfinite(cov).all() or not np.isfinite(mean).all():
            raise WireError(f"wire.random.multivariate_normal: mean and cov must be finite"
                            f"{at(user_location())}")
        if not np.allclose(cov, np.swapaxes(cov, -1, -2), rtol=1e-8, atol=0):
            raise WireError(f"wire.random.multivariate_normal: cov is not symmetric"
                            f"{at(user_location())}")
    if method == "cholesky":
        if xp is np:
            try:
                factor = np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                raise WireError(
                    f"wire.random.multivariate_normal: cov is not positive definite (method="
                    f"'cholesky'); use method='eigh' or 'svd' for a singular covariance"
                    f"{at(user_location())}") from None
        else:
            factor = wnp.linalg.cholesky(cov)
    elif method == "eigh":
        w, v = xp.linalg.eigh(cov)
        if xp is np and (w < -1e-10 * np.abs(w).max(axis=-1, keepdims=True)).any():
            raise WireError(f"wire.random.multivariate_normal: cov is not positive "
                            f"semi-definite (eigenvalue {w.min()}){at(user_location())}")
        factor = v * xp.sqrt(xp.maximum(w, 0.0))[..., None, :]
    else:
        u, sv, _ = xp.linalg.svd(cov)
        factor = u * xp.sqrt(sv)[..., None, :]
    z = normal(key, shape + ms[-1:])
    out = mean + _xp(factor, z).matmul(factor, z[..., None])[..., 0]
    return out.astype(dt)


def geometric(key, p, shape=None, dtype=None) -> np.ndarray:
    """The number of Bernoulli(``p``) trials up to the first success (support 1, 2, ...), as
    integers of ``dtype`` (None: int64), ``floor(log(u) / log1p(-p)) + 1`` (as
    ``jax.random.geometric``). ``p`` must lie in ``(0, 1]`` (else ``wire.WireError``; traced:
    ``wire.random.InvalidParameterError`` as the code runs, where JAX returns the largest
    integer for ``p = 0``); a draw that overflows ``dtype`` raises too.

    >>> g = geometric(key(0), 0.25, (20000,))
    >>> g.dtype, int(g.min()), abs(float(g.mean()) - 4) < 0.1
    (dtype('int64'), 1, True)
    """
    dt, p, shape, traced = _count_sampler("geometric", key, p, "p", shape, dtype)
    if traced is not None:
        return traced
    _refuse("geometric", "p", p, ~((p > 0) & (p <= 1)), "in (0, 1]")
    try:
        return RP.geometrics(_check_key(key, "geometric"), shape, dt, p)
    except RP.InvalidParameterError as e:
        raise WireError(f"wire.random.{str(e).split(' (traced')[0]}{at(user_location())}") \
            from None


def triangular(key, left, mode, right, shape=None, dtype=None) -> np.ndarray:
    """Triangular samples on ``[left, right]`` peaking at ``mode``, by the inverse CDF (as
    ``jax.random.triangular``), differentiable in the three parameters. They must satisfy
    ``left <= mode <= right`` and ``left < right`` (else ``wire.WireError``; NaN when traced).

    >>> x = triangular(key(0), 0.0, 1.0, 3.0, (20000,))
    >>> bool(x.min() >= 0 and x.max() <= 3) and abs(float(x.mean()) - 4 / 3) < 0.02
    True
    """
    dt = _float_dtype(dtype)
    (lo, s1), (mo, s2), (hi, s3) = (_real64(v, "triangular", n) for v, n in
                                    ((left, "left"), (mode, "mode"), (right, "right")))
    shape = _param_shape(shape, [s1, s2, s3], "triangular")
    xp = _xp(lo, mo, hi, key)
    valid = (lo <= mo) & (mo <= hi) & (lo < hi)
    if xp is np:
        _refuse("triangular", "(left, mode, right)", np.stack(np.broadcast_arrays(lo, mo, hi),
                                                              -1), ~valid,
                "with left <= mode <= right and left < right")
    if xp is wnp:  # invalid traced parameters: computed on (0, 0.5, 1), then NaN
        lo, mo, hi = (xp.where(valid, v, c) for v, c in ((lo, 0.0), (mo, 0.5), (hi, 1.0)))
    u = uniform(key, shape)
    width = hi - lo
    fc = (mo - lo) / width
    low = lo + xp.sqrt(u * width * (mo - lo))
    high = hi - xp.sqrt((1.0 - u) * width * (hi - mo))
    out = xp.where(u < fc, low, high)
    if xp is wnp:
        out = xp.where(valid, out, np.nan)
    return out.astype(dt)


def wald(key, mean, shape=None, dtype=None) -> np.ndarray:
    """Wald (inverse Gaussian) samples of mean ``mean`` and shape 1, by Michael, Schucany and
    Haas's transformation of a normal and a uniform (as ``jax.random.wald``), differentiable
    in ``mean``, which must be > 0 and finite (else ``wire.WireError``; NaN when traced).

    >>> x = wald(key(0), 2.0, (20000,))
    >>> abs(float(x.mean()) - 2) < 0.1
    True
    """
    dt = _float_dtype(dtype)
    mu, s = _positive(mean, "wald", "mean", False)
    shape = _param_shape(shape, [s], "wald")
    k1, k2 = split(key)
    y = normal(k1, shape) ** 2
    u = uniform(k2, shape)
    xp = _xp(mu, y)
    x = mu + mu * mu * y / 2.0 - mu / 2.0 * xp.sqrt(4.0 * mu * y + (mu * y) ** 2)
    return xp.where(u <= mu / (mu + x), x, mu * mu / x).astype(dt)


def generalized_normal(key, p, shape=(), dtype=None) -> np.ndarray:
    """Samples of density ``p exp(-|x|^p) / (2 Γ(1/p))`` (``p = 2``: a normal of variance
    1/2, ``p = 1``: Laplace), ``± gamma(1/p) ** (1/p)`` (as ``jax.random.generalized_normal``),
    differentiable in ``p``, which must be > 0 and finite (else ``wire.WireError``; NaN
    when traced).

    >>> x = generalized_normal(key(0), 2.0, (20000,))
    >>> abs(float(x.var()) - 0.5) < 0.02
    True
    """
    dt = _float_dtype(dtype)
    pv, s = _positive(p, "generalized_normal", "p", False)
    shape = _param_shape(shape, [s], "generalized_normal")
    k1, k2 = split(key)
    g = _gamma_draw(k1, 1.0 / pv, shape, np.dtype(np.float64), "generalized_normal", False)
    r = rademacher(k2, shape, np.float64)
    return (r * g ** (1.0 / pv)).astype(dt)


def ball(key, d: int, p=2, shape=(), dtype=None) -> np.ndarray:
    """Points uniform in the unit ``p``-norm ball of dimension ``d``, of shape ``shape +
    (d,)``: generalized normals ``g`` and an exponential ``e``, ``g / (sum |g|^p + e)^(1/p)``
    (as ``jax.random.ball``).

    >>> x = ball(key(0), 3, shape=(1000,))
    >>> x.shape, bool((np.linalg.norm(x, axis=-1) <= 1).all())
    ((1000, 3), True)
    """
    d = _static_int(d, "ball", "d")
    if d < 1:
        raise WireError(f"wire.random.ball: d must be >= 1, got {d}{at(user_location())}")
    dt = _float_dtype(dtype)
    shape = _shape(shape)
    k1, k2 = split(key)
    g = generalized_normal(k1, p, shape + (d,))
    e = exponential(k2, shape)
    xp = _xp(g, e, p)
    return (g / ((xp.abs(g) ** p).sum(axis=-1) + e)[..., None] ** (1.0 / p)).astype(dt)


def orthogonal(key, n: int, shape=(), dtype=None, m=None) -> np.ndarray:
    """Matrices uniform on the orthogonal group O(n) (Haar measure), of shape ``shape + (n,
    n)``; with ``m``, ``(n, m)`` semi-orthogonal matrices (orthonormal rows if ``n <= m``,
    columns if ``m <= n``): the QR factor of a normal matrix with the signs of ``R``'s
    diagonal (Mezzadri 2007), as ``jax.random.orthogonal``. Real dtypes only.

    >>> q = orthogonal(key(0), 3)
    >>> bool(np.allclose(q @ q.T, np.eye(3)))
    True
    """
    n = _static_int(n, "orthogonal", "n")
    m = n if m is None else _static_int(m, "orthogonal", "m")
    if n < 0 or m < 0:
        raise WireError(f"wire.random.orthogonal: n and m must be >= 0, got {n}, {m}"
                        f"{at(user_location())}")
    dt = _float_dtype(dtype)
    z = normal(key, _shape(shape) + (max(n, m), min(n, m)), dt)
    xp = _xp(z)
    q, r = xp.linalg.qr(z)
    d = xp.diagonal(r, axis1=-2, axis2=-1)
    x = q * xp.where(d < 0, dt.type(-1), dt.type(1))[..., None, :]
    return xp.swapaxes(x, -1, -2) if n < m else x


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1) -> np.ndarray:
    """Multinomial counts of ``n`` trials over the categories of ``p``'s last axis, as
    floats of ``dtype`` (as ``jax.random.multinomial``): binomial draws category by
    category, each from the trials left. ``shape`` (by default ``p.shape``) is the whole
    result shape, categories last; ``n`` broadcasts to ``shape[:-1]``. ``p`` must be >= 0
    with a positive sum along the last axis (it is normalised; JAX does not normalise) and
    ``n`` whole and >= 0 (else ``wire.WireError``; NaN when traced). ``unroll`` changes
    nothing.

    >>> c = multinomial(key(0), 10, np.array([0.2, 0.3, 0.5]), shape=(1000, 3))
    >>> bool((c.sum(-1) == 10).all()), np.round(c.mean(0)).tolist()
    (True, [2.0, 3.0, 5.0])
    """
    dt = _float_dtype(dtype)
    nv, ns = _real64(n, "multinomial", "n")
    pv, ps = _real64(p, "multinomial", "p")
    if len(ps) == 0 or ps[-1] == 0:
        raise WireError(f"wire.random.multinomial: p needs a last axis of categories, got "
                        f"shape {ps}{at(user_location())}")
    shape = ps if shape is None else _shape(shape)
    _fits(shape, ps, "multinomial", "p")
    _fits(shape[:-1], ns, "multinomial", "n")
    xp = _xp(nv, pv, key)
    if xp is np:
        _refuse("multinomial", "p", pv, ~(pv >= 0) | ~np.isfinite(pv), ">= 0 and finite")
        if (pv.sum(axis=-1) <= 0).any():
            raise WireError(f"wire.random.multinomial: p needs a positive sum along its last "
                            f"axis{at(user_location())}")
    pv = xp.broadcast_to(pv, shape)
    rest = xp.cumsum(pv[..., ::-1], axis=-1)[..., ::-1]  # p_i + ... + p_last
    ratio = xp.clip(pv / xp.where(rest > 0, rest, 1.0), 0.0, 1.0)
    left = xp.broadcast_to(nv, shape[:-1])
    keys = split(key, shape[-1])
    counts = []
    for i in range(shape[-1]):
        c = binomial(keys[i], left, ratio[..., i], shape[:-1])
        counts.append(c)
        left = left - c
    return xp.stack(counts, axis=-1).astype(dt)


# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
