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
libraries may round differently in the last bit.

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

__all__ = [
    "key", "split", "fold_in", "bits", "uniform", "normal", "bernoulli", "categorical",
    "randint", "permutation", "truncated_normal", "gumbel", "is_key",
]

KEY_SHAPE = (4,)
KEY_DTYPE = np.dtype(np.uint32)
_MASK128 = (1 << 128) - 1
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
    """``n`` raw uint64 words of Philox with cipher key ``k`` in stream ``(domain, word2)``."""
    gen = np.random.Philox(key=k, counter=[0, 0, word2, domain])
    return gen.random_raw(n) if n else np.zeros(0, np.uint64)


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


def fold_in(key, data: int) -> np.ndarray:
    """A new key from ``key`` and an integer (e.g. the step number), independent of both.

    >>> bool((fold_in(key(0), 1) != fold_in(key(0), 2)).any())
    True
    """
    k = _check_key(key, "fold_in")
    return _words_to_keys(_raw(k, 2, _FOLD, int(data) & 0xFFFFFFFFFFFFFFFF), 1)[0]


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
    """``n`` floats uniform in [0, 1) (or (0, 1] with ``open_low``), exact binary fractions."""
    w = _raw(k, n, _SAMPLE)
    if dtype == np.float64:
        u = (w >> np.uint64(11)).astype(np.float64) * 2.0**-53
        return 1.0 - u if open_low else u
    u = (w >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-24)
    return (np.float32(1.0) - u if open_low else u).astype(dtype)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0) -> np.ndarray:
    """Floats uniform in ``[minval, maxval)``.

    >>> u = uniform(key(0), (1000,))
    >>> bool((u >= 0).all() and (u < 1).all())
    True
    """
    shape, dt = _shape(shape), _float_dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    u = _unit(_check_key(key, "uniform"), n, dt).reshape(shape)
    out = u * (np.asarray(maxval, dt) - np.asarray(minval, dt)) + np.asarray(minval, dt)
    return np.asarray(out, dtype=dt)


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


def truncated_normal(key, lower=-2.0, upper=2.0, shape=(), dtype=None) -> np.ndarray:
    """Standard normal samples conditioned on ``lower < z < upper`` (scalar bounds).

    Rejection sampling from the key's stream: deterministic given the key.

    >>> z = truncated_normal(key(0), -1.0, 1.0, (1000,))
    >>> bool((abs(z) < 1).all())
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
    got, chunk, stream = [], max(16, n + n // 4 + 16), 0
    have = 0
    while have < n:
        z = _normals(k, chunk, np.dtype(np.float64), stream)
        z = z[(z > lower) & (z < upper)]
        got.append(z)
        have += z.size
        stream += 1
        if stream == 64 and have < n // 2:
            raise WireError(
                f"truncated_normal: the interval ({lower}, {upper}) holds too little probability "
                f"for rejection sampling{at(user_location())}"
            )
    return np.concatenate(got)[:n].astype(dt).reshape(shape)


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


def randint(key, shape=(), minval=0, maxval=None) -> np.ndarray:
    """Integers uniform in ``[minval, maxval)`` (int64).

    >>> r = randint(key(0), (100,), 0, 3)
    >>> sorted(set(r.tolist()))
    [0, 1, 2]
    """
    if maxval is None:
        raise WireError(f"randint needs maxval{at(user_location())}")
    span = int(maxval) - int(minval)
    if span <= 0:
        raise WireError(f"randint needs minval < maxval{at(user_location())}")
    # 64 random bits reduced mod span: bias below 2**-40 for any span under 2**24
    w = bits(key, shape)
    return (w % np.uint64(span)).astype(np.int64) + int(minval)


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
