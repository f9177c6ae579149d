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
included. ``tests/reference/test_reference_random.py`` checks every distribution against
``scipy.stats``.

Keys and tracing: sampling needs a *concrete* key. Keys are ordinary arrays, so they can be
passed to (and returned from) jitted or differentiated functions as non-differentiable
inputs, but calling a sampler on a traced key raises ``wire.WireTypeError``. A function that
needs random numbers inside a traced computation should take them as inputs (sample
outside, e.g. ``eps = wire.random.normal(k, shape)``, then ``step(params, x, eps)``).

>>> import wire
>>> k = wire.random.key(0)
>>> k1, k2 = wire.random.split(k)
>>> wire.random.uniform(k1, (2,)).shape
(2,)
>>> bool((wire.random.normal(k1, (3,)) == wire.random.normal(k1, (3,))).all())
True
"""

from __future__ import annotations

import numpy as np

from .core import Tracer
from .errors import WireError, WireTypeError, at, user_location
from .tracebacks import expose

__all__ = [
    "key", "split", "fold_in", "bits", "uniform", "normal", "bernoulli", "categorical",
    "randint", "permutation", "truncated_normal", "gumbel", "is_key", "PRNGKey",
]

KEY_SHAPE = (4,)
KEY_DTYPE = np.dtype(np.uint32)
_MASK128 = (1 << 128) - 1
_MASK64 = (1 << 64) - 1
# domains (the high word of Philox's counter) keep the three uses of a key apart
_SAMPLE, _SPLIT, _FOLD = 0, 1, 2


# --------------------------------------------------------------------------- keys


def key(seed: int) -> np.ndarray:
    """A new key from an integer seed (any size; taken modulo 2**128).

    >>> key(42)
    array([ 0,  0,  0, 42], dtype=uint32)
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise WireTypeError(
            f"wire.random.key needs an integer seed, got {type(seed).__name__} {seed!r}"
            f"{at(user_location())}"
        )
    s = int(seed) & _MASK128
    return np.array([(s >> (32 * (3 - i))) & 0xFFFFFFFF for i in range(4)], dtype=KEY_DTYPE)


def PRNGKey(seed: int) -> np.ndarray:  # noqa: N802  JAX's name, for code ported from JAX
    """:func:`key` under JAX's older name, so ``random.PRNGKey(0)`` in ported code works.

    >>> bool((PRNGKey(7) == key(7)).all())
    True
    """
    return key(seed)


def is_key(x) -> bool:
    """Whether ``x`` looks like a concrete key (a uint32 array of shape (4,)).

    >>> is_key(key(0)), is_key(np.zeros(4))
    (True, False)
    """
    return isinstance(x, np.ndarray) and x.shape == KEY_SHAPE and x.dtype == KEY_DTYPE


def _check_key(k, what: str) -> int:
    """The 128-bit integer of concrete key ``k``; a clear error for tracers and non-keys."""
    if isinstance(k, Tracer):
        raise WireTypeError(
            f"wire.random.{what} got a traced key {k.aval!r}{at(user_location())}: sampling needs "
            "a concrete key. Sample outside the traced (jit/grad) function and pass the numbers "
            "in as an argument, e.g. noise = wire.random.normal(k, shape); step(params, x, noise)."
        )
    if not is_key(k):
        arr = np.asarray(k)
        raise WireTypeError(
            f"wire.random.{what} needs a key made by wire.random.key/split/fold_in (uint32 "
            f"array of shape (4,)), got {arr.dtype}{list(arr.shape)}{at(user_location())}"
        )
    w = [int(v) for v in k]
    return (w[0] << 96) | (w[1] << 64) | (w[2] << 32) | w[3]


def _raw(k: int, n: int, domain: int, word2: int = 0) -> np.ndarray:
    """``n`` raw uint64 words of Philox with cipher key ``k`` in stream ``(domain, word2)``.

    The counter is handed to NumPy as one Python integer (word ``i`` is bits ``64i..64i+63``):
    a list would go through float64 and lose every bit of ``word2`` past the 53rd.
    """
    counter = ((domain & _MASK64) << 192) | ((word2 & _MASK64) << 128)
    gen = np.random.Philox(key=k, counter=counter)
    return gen.random_raw(n) if n else np.zeros(0, np.uint64)


# Philox4x64-10 (Salmon et al., SC'11), vectorised over counters, for fold_in of many values at
# once. It reproduces np.random.Philox's first block bit for bit (tests/test_random.py checks).
_M0, _M1 = np.uint64(0xD2E7470EE14C6C93), np.uint64(0xCA5A826395121157)
_W0, _W1 = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B
_LO32, _SH32 = np.uint64(0xFFFFFFFF), np.uint64(32)


def _mulhilo(a: np.uint64, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """High and low words of the 128-bit products ``a * b``, from 32-bit halves (no overflow)."""
    a_lo, a_hi = a & _LO32, a >> _SH32
    b_lo, b_hi = b & _LO32, b >> _SH32
    p0, p1, p2, p3 = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    mid = (p0 >> _SH32) + (p1 & _LO32) + (p2 & _LO32)
    hi = p3 + (p1 >> _SH32) + (p2 >> _SH32) + (mid >> _SH32)
    lo = (mid << _SH32) | (p0 & _LO32)
    return hi, lo


def _philox_block(k: int, ctr: list[np.ndarray]) -> list[np.ndarray]:
    """The four output words of Philox4x64-10 for counters ``ctr`` (four uint64 arrays)."""
    k0, k1 = k & _MASK64, k >> 64
    c0, c1, c2, c3 = ctr
    for _ in range(10):
        hi0, lo0 = _mulhilo(_M0, c0)
        hi1, lo1 = _mulhilo(_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
        k0, k1 = (k0 + _W0) & _MASK64, (k1 + _W1) & _MASK64
    return [c0, c1, c2, c3]


def _words_to_keys(words: np.ndarray, num: int) -> np.ndarray:
    hi = (words >> np.uint64(32)).astype(np.uint32)
    lo = (words & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return np.stack([hi, lo], axis=-1).reshape(num, 4)


def split(key, num: int = 2) -> np.ndarray:
    """``num`` new independent keys from ``key``, as an array of shape ``(num, 4)``.

    Unpack it (``k1, k2 = split(k)``) or index it (``keys[i]``).

    >>> split(key(0), 3).shape
    (3, 4)
    """
    k = _check_key(key, "split")
    num = int(num)
    if num < 1:
        raise WireError(f"wire.random.split: num must be >= 1, got {num}{at(user_location())}")
    return _words_to_keys(_raw(k, 2 * num, _SPLIT), num)


def _fold_data(data) -> tuple[np.ndarray, tuple]:
    """``data`` as flat uint64 words (each value modulo 2**64) and its shape."""
    if isinstance(data, Tracer):
        raise WireTypeError(
            f"wire.random.fold_in got traced data {data.aval!r}{at(user_location())}: folding "
            "in needs a concrete integer. Fold in outside the traced function."
        )
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
    integer array: an array of shape ``s`` gives keys of shape ``s + (4,)``, the same keys as
    folding its values in one at a time. JAX's ``fold_in`` takes a 32-bit value; torch has no
    equivalent. Only integer arithmetic is used, never floats.

    >>> bool((fold_in(key(0), 1) != fold_in(key(0), 2)).any())
    True
    >>> fold_in(key(0), np.arange(3)).shape
    (3, 4)
    >>> bool((fold_in(key(0), -1) == fold_in(key(0), 2**64 - 1)).all())
    True
    """
    k = _check_key(key, "fold_in")
    words, shape = _fold_data(data)
    if shape == ():
        return _words_to_keys(_raw(k, 2, _FOLD, int(words[0])), 1)[0]
    n = words.size
    # np.random.Philox adds 1 to its counter before the first block: do the same here
    ctr = [np.ones(n, np.uint64), np.zeros(n, np.uint64), words, np.full(n, _FOLD, np.uint64)]
    w0, w1 = _philox_block(k, ctr)[:2]
    return _words_to_keys(np.stack([w0, w1], axis=-1).reshape(-1), n).reshape(shape + (4,))


# --------------------------------------------------------------------------- samplers


def _shape(shape) -> tuple:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _float_dtype(dtype) -> np.dtype:
    dt = np.dtype(np.float64 if dtype is None else dtype)
    if dt.kind != "f":
        raise WireTypeError(f"expected a floating dtype, got {dt}{at(user_location())}")
    return dt


def bits(key, shape=()) -> np.ndarray:
    """Uniformly random ``uint64`` words of the given shape.

    >>> bits(key(0), (2,)).dtype
    dtype('uint64')
    """
    shape = _shape(shape)
    return _raw(_check_key(key, "bits"), int(np.prod(shape, dtype=np.int64)), _SAMPLE).reshape(shape)


def _unit(k: int, n: int, dtype: np.dtype, open_low: bool = False) -> np.ndarray:
    """``n`` floats uniform in [0, 1) (or (0, 1] with ``open_low``): ``m * 2**-p`` with ``m``
    uniform below ``2**p`` and ``p`` the significand width of ``dtype``, so every value is
    exact in ``dtype`` and no rounding can reach 1 (float16 gets 11 bits, float32 24, float64
    53, an 80-bit ``longdouble`` 64; a 113-bit quad ``longdouble`` takes two words per draw).
    """
    p = np.finfo(dtype).nmant + 1
    if p <= 64:
        w = _raw(k, n, _SAMPLE)
        u = (w >> np.uint64(64 - p)).astype(dtype) * dtype.type(2.0) ** -p
    else:
        w = _raw(k, 2 * n, _SAMPLE).reshape(n, 2)
        hi = w[:, 0].astype(dtype) * dtype.type(2.0) ** -64
        u = hi + (w[:, 1] >> np.uint64(128 - p)).astype(dtype) * dtype.type(2.0) ** -p
    return dtype.type(1) - u if open_low else u


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0) -> np.ndarray:
    """Floats uniform in ``[minval, maxval)`` (bounds broadcast against ``shape``).

    ``maxval`` itself never comes out, in any dtype: a draw that rounds up to it is moved to
    the float just below (as JAX does). ``minval == maxval`` gives ``minval``; ``minval >
    maxval`` raises ``wire.WireError``.

    >>> u = uniform(key(0), (1000,))
    >>> bool((u >= 0).all() and (u < 1).all())
    True
    >>> float(uniform(key(0), (2**16,), np.float32, 1.0, 2.0).max()) < 2.0
    True
    """
    shape, dt = _shape(shape), _float_dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    u = _unit(_check_key(key, "uniform"), n, dt).reshape(shape)
    lo, hi = np.asarray(minval, dt), np.asarray(maxval, dt)
    if np.any(lo > hi) or np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
        raise WireError(f"uniform needs minval <= maxval, got {minval!r} and {maxval!r}"
                        f"{at(user_location())}")
    with np.errstate(over="ignore", invalid="ignore"):
        span = hi - lo
        # a span that overflows (e.g. the whole float range) is interpolated instead
        out = np.where(np.isfinite(span), u * span + lo, u * hi + (dt.type(1) - u) * lo)
    below = np.nextafter(hi, dt.type(-np.inf))
    return np.asarray(np.maximum(np.minimum(out, below), lo), dtype=dt)


def _normals(k: int, n: int, dt: np.dtype, offset_stream: int = 0) -> np.ndarray:
    """``n`` standard normals by Box–Muller from the key's sample stream."""
    m = (n + 1) // 2
    u = _raw(k, 2 * m, _SAMPLE, offset_stream)
    u1 = 1.0 - (u[:m] >> np.uint64(11)).astype(np.float64) * 2.0**-53  # (0, 1]: log is finite
    u2 = (u[m:] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    r = np.sqrt(-2.0 * np.log(u1))
    z = np.concatenate([r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)])
    return z[:n].astype(dt)


def normal(key, shape=(), dtype=None) -> np.ndarray:
    """Standard normal samples.

    >>> z = normal(key(0), (10000,))
    >>> abs(float(z.mean())) < 0.05 and abs(float(z.std()) - 1) < 0.05
    True
    """
    shape, dt = _shape(shape), _float_dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    return _normals(_check_key(key, "normal"), n, dt).reshape(shape)


def _proposals_normal(k: int, m: int, stream: int, a: float, b: float) -> np.ndarray:
    z = _normals(k, m, np.dtype(np.float64), stream)
    return z[(z > a) & (z < b)]


def _proposals_uniform(k: int, m: int, stream: int, a: float, b: float) -> np.ndarray:
    """Uniform on (a, b), kept with probability exp((c**2 - z**2) / 2), c the point of the
    interval nearest 0: exact when the interval is short (acceptance >= 1/e as used)."""
    u = _raw(k, 2 * m, _SAMPLE, stream)
    u1 = (u[:m] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    u2 = 1.0 - (u[m:] >> np.uint64(11)).astype(np.float64) * 2.0**-53  # (0, 1]
    z = a + u1 * (b - a)
    c = 0.0 if a < 0.0 < b else min(abs(a), abs(b))
    keep = (z > a) & (z < b) & (np.log(u2) <= 0.5 * (c * c - z * z))
    return z[keep]


def _proposals_tail(k: int, m: int, stream: int, a: float, b: float) -> np.ndarray:
    """Robert (1995): for ``a >= 0``, ``a`` plus an exponential of rate
    ``lam = (a + sqrt(a**2 + 4)) / 2``, kept with probability ``exp(-(z - lam)**2 / 2)`` and
    when below ``b``. Exact for any ``a``, however far in the tail."""
    lam = 0.5 * (a + np.sqrt(a * a + 4.0))
    u = _raw(k, 2 * m, _SAMPLE, stream)
    e = -np.log(1.0 - (u[:m] >> np.uint64(11)).astype(np.float64) * 2.0**-53)
    u2 = 1.0 - (u[m:] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    z = a + e / lam
    keep = (z > a) & (z < b) & (np.log(u2) <= -0.5 * (z - lam) ** 2)
    return z[keep]


def _truncated_method(a: float, b: float):
    """The proposal with acceptance above about 1/e for the interval (a, b), a <= b mirrored
    so that a >= 0 whenever the interval misses 0."""
    if a >= 0.0:
        if (b - a) * (a + b) < 2.0:  # short: exp(-(b**2 - a**2) / 2) > 1/e
            return _proposals_uniform
        return _proposals_tail
    # a < 0 < b: the normal itself keeps Phi(b) - Phi(a) >= 0.42 once max(|a|, b) >= sqrt(2)
    if max(-a, b) ** 2 < 2.0:
        return _proposals_uniform
    return _proposals_normal


def truncated_normal(key, lower=-2.0, upper=2.0, shape=(), dtype=None) -> np.ndarray:
    """Standard normal samples conditioned on ``lower < z < upper`` (scalar bounds, possibly
    infinite, anywhere: ``(8, 9)`` or ``(-inf, -40)`` work as well as ``(-2, 2)``).

    Exact rejection sampling from the key's stream, with the proposal chosen for the
    interval: the normal itself, a uniform on a short interval, or Robert's exponential
    proposal in a tail; each keeps at least about a third of its draws, so the loop ends
    fast. Deterministic given the key. Values are drawn in float64 and then rounded to
    ``dtype``; a value that rounds onto a bound is moved just inside it (as JAX does).

    >>> z = truncated_normal(key(0), -1.0, 1.0, (1000,))
    >>> bool((abs(z) < 1).all())
    True
    >>> bool(8.0 < float(truncated_normal(key(0), 8.0, 9.0)) < 9.0)
    True
    """
    shape, dt = _shape(shape), _float_dtype(dtype)
    lower, upper = float(lower), float(upper)
    if not lower < upper:
        raise WireError(
            f"truncated_normal needs lower < upper, got {lower}, {upper}{at(user_location())}"
        )
    k = _check_key(key, "truncated_normal")
    n = int(np.prod(shape, dtype=np.int64))
    flip = upper <= 0.0  # sample (-upper, -lower) and negate: one tail case, not two
    a, b = (-upper, -lower) if flip else (lower, upper)
    propose = _truncated_method(a, b)
    got, have, stream = [], 0, 0
    chunk = max(16, n + n // 4 + 16)
    while have < n:
        z = propose(k, chunk if propose is _proposals_normal else 3 * chunk, stream, a, b)
        got.append(z)
        have += z.size
        stream += 1
        if stream > 10_000:  # acceptance >= 1/3 makes this unreachable; never loop forever
            raise WireError(f"truncated_normal: rejection sampling on ({lower}, {upper}) did "
                            f"not finish{at(user_location())}")
    z = np.concatenate(got)[:n] if got else np.zeros(0)
    out = (-z if flip else z).astype(dt)
    inside_lo = np.nextafter(np.asarray(lower, dt), dt.type(np.inf))
    inside_hi = np.nextafter(np.asarray(upper, dt), dt.type(-np.inf))
    return np.clip(out, inside_lo, inside_hi).astype(dt).reshape(shape)


def bernoulli(key, p=0.5, shape=None) -> np.ndarray:
    """Booleans that are True with probability ``p`` (broadcast to ``shape``).

    >>> bernoulli(key(0), 0.5, (4,)).dtype
    dtype('bool')
    """
    p = np.asarray(p, dtype=np.float64)
    shape = p.shape if shape is None else _shape(shape)
    return uniform(key, shape) < p


def gumbel(key, shape=(), dtype=None) -> np.ndarray:
    """Standard Gumbel samples, ``-log(-log(u))``.

    >>> gumbel(key(0), (3,)).shape
    (3,)
    """
    shape, dt = _shape(shape), _float_dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    u = _unit(_check_key(key, "gumbel"), n, np.dtype(np.float64), open_low=True)
    u = np.minimum(u, 1.0 - 2.0**-53)  # (0, 1): both logs finite
    return (-np.log(-np.log(u))).astype(dt).reshape(shape)


def categorical(key, logits, axis: int = -1, shape=None) -> np.ndarray:
    """Integer samples from the categorical distribution with (unnormalised) ``logits``.

    ``shape`` defaults to ``logits.shape`` without ``axis``. Uses the Gumbel-max trick.

    >>> int(categorical(key(0), np.array([-1e9, 0.0, -1e9])))
    1
    """
    logits = np.asarray(logits, dtype=np.float64)
    axis = axis % logits.ndim
    batch = logits.shape[:axis] + logits.shape[axis + 1 :]
    shape = batch if shape is None else _shape(shape)
    moved = np.moveaxis(logits, axis, -1)
    g = gumbel(key, shape + (logits.shape[axis],))
    return np.argmax(moved + g, axis=-1)


def _int_bound(v, what: str) -> int:
    if isinstance(v, (Tracer, bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise WireTypeError(
            f"randint: {what} must be a concrete int, got {type(v).__name__} {v!r}"
            f"{at(user_location())}"
        )
    return int(v)


def randint(key, shape=(), minval=0, maxval=None, dtype=np.int64) -> np.ndarray:
    """Integers uniform in ``[minval, maxval)``, exactly (no modulo bias), of integer ``dtype``.

    A 64-bit word ``w`` is kept when it lies below the largest multiple of the span that
    fits in 2**64 and mapped to ``minval + w % span``; the rare rejected words are replaced
    from further blocks of the key's stream, so the result is a pure function of the key.
    Both bounds must be representable in ``dtype`` (a span up to 2**64 for int64/uint64);
    otherwise it raises ``wire.WireError`` (JAX clips the bounds to the dtype instead).

    >>> r = randint(key(0), (100,), 0, 3)
    >>> sorted(set(r.tolist()))
    [0, 1, 2]
    >>> randint(key(0), (2,), -2**63, 2**63 - 1).dtype
    dtype('int64')
    """
    if maxval is None:
        raise WireError(f"randint needs maxval{at(user_location())}")
    lo, hi = _int_bound(minval, "minval"), _int_bound(maxval, "maxval")
    dt = np.dtype(dtype)
    if dt.kind not in "iu":
        raise WireTypeError(f"randint needs an integer dtype, got {dt}{at(user_location())}")
    info = np.iinfo(dt)
    if not lo < hi:
        raise WireError(f"randint needs minval < maxval, got {lo}, {hi}{at(user_location())}")
    if lo < info.min or hi - 1 > info.max:
        raise WireError(
            f"randint: [{lo}, {hi}) does not fit in {dt} (its range is [{info.min}, "
            f"{info.max}]){at(user_location())}"
        )
    shape = _shape(shape)
    k = _check_key(key, "randint")
    n = int(np.prod(shape, dtype=np.int64))
    span = hi - lo  # 1 <= span <= 2**64
    w = _raw(k, n, _SAMPLE)
    if span < 1 << 64:
        limit = np.uint64((1 << 64) - ((1 << 64) % span))  # a multiple of span
        bad = np.flatnonzero(w >= limit)
        stream = 1
        while bad.size:
            fresh = _raw(k, 2 * bad.size + 16, _SAMPLE, stream)
            fresh = fresh[fresh < limit][: bad.size]
            w[bad[: fresh.size]] = fresh
            bad = bad[fresh.size :]
            stream += 1
        w = w % np.uint64(span)
    # minval + offset modulo 2**64 is exact for every span; the cast reads the bits back
    out = (w + np.uint64(lo & _MASK64)).view(np.int64) if lo < 0 else w + np.uint64(lo)
    return out.astype(dt).reshape(shape)


def permutation(key, x, axis: int = 0) -> np.ndarray:
    """A random permutation of ``range(x)`` (int ``x``) or of ``x`` along ``axis``.

    >>> sorted(permutation(key(0), 5).tolist())
    [0, 1, 2, 3, 4]
    """
    if isinstance(x, (int, np.integer)):
        n, arr = int(x), None
    else:
        arr = np.asarray(x)
        n = arr.shape[axis]
    order = np.argsort(bits(key, (n,)), kind="stable")
    return order if arr is None else np.take(arr, order, axis=axis)

# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
