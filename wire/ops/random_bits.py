"""Random-number primitives: Philox's raw bits, ``fold_in`` and the samplers, keyed by a key
that may be traced.

A key is a ``uint32`` array of shape ``(4,)``: Philox4x64-10's 128-bit cipher key. Every
function here is a pure function of the key, computed with NumPy's ``np.random.Philox`` (whose
stream is fixed by the algorithm) or with the same block cipher written out in NumPy below.
The eager samplers of :mod:`wire.random` call the NumPy functions of :data:`SAMPLERS` directly;
traced calls bind the primitives, whose implementations call the very same functions, so a
sample is bit-for-bit the same under ``jit``, ``vmap`` and eager transforms as outside them.

Three primitives take a key, all without a derivative (their outputs are integers, or
samples that do not depend differentiably on anything: a key has no gradient; the gradient of
what is computed from a sample flows as usual):

* ``random_bits`` (key; shape, domain, stream, dtype): the raw words of Philox in stream
  ``(domain, stream)``, ``uint64`` (one word per element) or ``uint32`` (each word split into
  its high and low halves, in that order: how keys are made);
* ``random_fold_in`` (key, data): a new key per integer of ``data`` (modulo 2**64);
* ``random_sample`` (key; dist, shape, dtype, extra): a sampler of :data:`SAMPLERS` whose
  conversion from bits goes through ``log``/``cos`` or rejection loops (so it must run as the
  NumPy code it is, not be rewritten or fused), with static scalar ``extra`` arguments.

A fourth, ``next_below`` (the float just below ``x``), keeps ``uniform`` below a traced
``maxval``.

Each takes keys with leading batch axes (shape ``batch + (4,)``, the result ``batch + shape``),
sampling every key of the batch as it would alone: that is their ``vmap`` rule. The samplers
are written over a batch of keys (:func:`over_keys`): all keys' words in one pass of the
cipher, then an elementwise conversion, so a batch costs about what one key does.

The counter's high word (*domain*) keeps the uses of one key apart: sampling, splitting and
folding in are independent outputs of the block cipher.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import bind
from ..core.formula import NoFormula
from ..core.lowering import XpImpl, host_arrays
from ..core.primitive import REALS, Primitive, elementwise_sampler
from ..errors import ShapeError, WireError, WireTypeError
from ..ir import make_aval
from .batching import elementwise_batch, to_front, trailing_batch
from .bessel import erfcx
from .elementwise import exp, select
from .special import erf, erfc

KEY_SHAPE = (4,)
KEY_DTYPE = np.dtype(np.uint32)
MASK128 = (1 << 128) - 1
MASK64 = (1 << 64) - 1
# domains (the high word of Philox's counter) keep the uses of a key apart
SAMPLE, SPLIT, FOLD = 0, 1, 2

# --------------------------------------------------------------------------- Philox


def key_int(words) -> int:
    """The 128-bit integer of one key (four uint32 words, most significant first)."""
    w = [int(v) for v in words]
    return (w[0] << 96) | (w[1] << 64) | (w[2] << 32) | w[3]


def raw(k: int, n: int, domain: int, word2: int = 0) -> np.ndarray:
    """``n`` raw uint64 words of Philox with cipher key ``k`` in stream ``(domain, word2)``.

    The counter is handed to NumPy as one Python integer (word ``i`` is bits ``64i..64i+63``):
    a list would go through float64 and lose every bit of ``word2`` past the 53rd.
    """
    counter = ((domain & MASK64) << 192) | ((word2 & MASK64) << 128)
    gen = np.random.Philox(key=k, counter=counter)
    return gen.random_raw(n) if n else np.zeros(0, np.uint64)


# Philox4x64-10 (Salmon et al., SC'11), vectorised over counters and keys. It reproduces
# np.random.Philox bit for bit (tests/test_random.py and tests/test_random_traced.py check).
_M0, _M1 = np.uint64(0xD2E7470EE14C6C93), np.uint64(0xCA5A826395121157)
_W0, _W1 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBB67AE8584CAA73B)
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


def philox_block(k0, k1, ctr: list) -> list:
    """The four output words of Philox4x64-10 for counters ``ctr`` (four uint64 arrays) under
    the keys ``(k0, k1)`` (uint64 arrays broadcasting against them: low and high key words)."""
    k0, k1 = np.asarray(k0, np.uint64), np.asarray(k1, np.uint64)
    c0, c1, c2, c3 = ctr
    with np.errstate(over="ignore"):  # the key schedule is modulo 2**64
        for _ in range(10):
            hi0, lo0 = _mulhilo(_M0, c0)
            hi1, lo1 = _mulhilo(_M1, c2)
            c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
            k0, k1 = k0 + _W0, k1 + _W1
    return [c0, c1, c2, c3]


def _key_words(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The low and high 64-bit words of keys of shape ``(..., 4)``."""
    w = keys.astype(np.uint64)
    return (w[..., 2] << _SH32) | w[..., 3], (w[..., 0] << _SH32) | w[..., 1]


def words_to_keys(words: np.ndarray) -> np.ndarray:
    """uint64 words as uint32 halves (high first): ``(..., n)`` words give ``(..., 2n)``."""
    hi = (words >> _SH32).astype(np.uint32)
    lo = (words & _LO32).astype(np.uint32)
    return np.stack([hi, lo], axis=-1).reshape(words.shape[:-1] + (2 * words.shape[-1],))


def fold_words(keys: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Keys folded with uint64 ``data`` (broadcasting ``keys[..., 0]`` against ``data``):
    the first block of Philox under each key at counter ``(1, 0, data, FOLD)``, the counter
    ``np.random.Philox`` uses for its first block of stream ``(FOLD, data)``."""
    shape = np.broadcast_shapes(keys.shape[:-1], data.shape)
    d = np.broadcast_to(data, shape).astype(np.uint64)
    if d.size == 1:  # one key: NumPy's Philox is quicker than the cipher written out here
        k = key_int(np.reshape(keys, -1)[:4])
        return words_to_keys(raw(k, 2, FOLD, int(d.reshape(-1)[0]))).reshape(shape + KEY_SHAPE)
    k0, k1 = _key_words(np.broadcast_to(keys, shape + KEY_SHAPE))
    ones, zeros = np.ones(shape, np.uint64), np.zeros(shape, np.uint64)
    w0, w1 = philox_block(k0, k1, [ones, zeros, d, np.full(shape, FOLD, np.uint64)])[:2]
    return words_to_keys(np.stack([w0, w1], axis=-1))


def _raw_batched(keys: np.ndarray, n: int, domain: int, word2: int) -> np.ndarray:
    """``raw`` for every key of ``keys`` (shape ``(b, 4)``): shape ``(b, n)``. Few words per
    key are computed for all keys at once with :func:`philox_block`, many one key at a time
    (a NumPy generator costs about 25 µs, the cipher here about 0.1 µs a word against
    NumPy's 0.02: the two meet near 300 words)."""
    b = keys.shape[0]
    if b == 0:
        return np.zeros((0, n), np.uint64)
    if b == 1 or n > 256:
        return np.stack([raw(key_int(k), n, domain, word2) for k in keys]).reshape(b, n)
    blocks = -(-n // 4)
    k0, k1 = _key_words(keys[:, None])  # (b, 1) against (b, blocks) counters
    ctr0 = np.broadcast_to(np.arange(1, blocks + 1, dtype=np.uint64), (b, blocks))
    zeros = np.zeros((b, blocks), np.uint64)
    ctr = [ctr0, zeros, zeros + np.uint64(word2 & MASK64), zeros + np.uint64(domain & MASK64)]
    out = np.stack(philox_block(k0, k1, ctr), axis=-1)  # (b, blocks, 4): a block's 4 words
    return out.reshape(b, 4 * blocks)[:, :n]


def int_keys(k: int) -> np.ndarray:
    """The key of the 128-bit integer ``k`` (:func:`key_int`'s inverse) as a batch of one,
    shape ``(1, 4)``."""
    return np.array([[(k >> s) & 0xFFFFFFFF for s in (96, 64, 32, 0)]], KEY_DTYPE)


def words(keys: np.ndarray, n: int, domain: int, stream: int = 0) -> np.ndarray:
    """``n`` raw words of every key of the batch ``keys`` (shape ``(b, 4)``): ``(b, n)``,
    row ``i`` the words :func:`raw` gives key ``i`` alone."""
    return _raw_batched(keys, n, domain, stream)


def over_keys(f):
    """A sampler written over a batch of keys, ``f(keys, n, ...)`` with ``keys`` of shape
    ``(b, 4)`` giving ``(b, n)``, that also takes one key's 128-bit int (giving ``(n,)``).

    This is how every sampler batches: each key's words come from its own streams
    (:func:`words`, all keys at once), and the conversion to samples is elementwise NumPy
    (ufuncs on each element, whatever its position or the array's length) or works row by
    row, so row ``i`` of a batch is bit for bit what key ``i`` gives alone; the rare
    per-key branches (rejection loops that need more rounds) run on the keys that take them.
    """

    def sampler(k, n, *args, **kwargs):
        keys = int_keys(k) if isinstance(k, int) else np.asarray(k, KEY_DTYPE).reshape(-1, 4)
        out = f(keys, n, *args, **kwargs)
        return out[0] if isinstance(k, int) else out

    sampler.__name__ = sampler.__qualname__ = f.__name__
    sampler.__doc__ = f.__doc__
    return sampler


# --------------------------------------------------------------------------- samplers
# Each takes a batch of keys (or one key's 128-bit int, through over_keys); the eager path of
# wire.random calls them on one key, the primitives on all the keys of a batch at once.


@over_keys
def unit(keys: np.ndarray, n: int, dtype: np.dtype, open_low: bool = False) -> np.ndarray:
    """``n`` floats uniform in [0, 1) (or (0, 1] with ``open_low``): ``m * 2**-p`` with ``m``
    uniform below ``2**p`` and ``p`` the significand width of ``dtype``, so every value is
    exact in ``dtype`` and no rounding can reach 1 (float16 gets 11 bits, float32 24, float64
    53, an 80-bit ``longdouble`` 64; a 113-bit quad ``longdouble`` takes two words per draw).
    """
    p = np.finfo(dtype).nmant + 1
    return _unit_of_words(words(keys, n if p <= 64 else 2 * n, SAMPLE), n, dtype, open_low)


def _unit_of_words(w: np.ndarray, n: int, dtype: np.dtype, open_low: bool = False) -> np.ndarray:
    """:func:`unit` from the words ``w[..., :n]`` (``2n`` for a quad ``longdouble``); every
    operation is exact, so rows of many keys convert as each would alone."""
    p = np.finfo(dtype).nmant + 1
    if p <= 64:
        u = (w >> np.uint64(64 - p)).astype(dtype) * dtype.type(2.0) ** -p
    else:
        w = w.reshape(w.shape[:-1] + (n, 2))
        hi = w[..., 0].astype(dtype) * dtype.type(2.0) ** -64
        u = hi + (w[..., 1] >> np.uint64(128 - p)).astype(dtype) * dtype.type(2.0) ** -p
    return dtype.type(1) - u if open_low else u


@over_keys
def normals(keys: np.ndarray, n: int, dt: np.dtype, offset_stream: int = 0) -> np.ndarray:
    """``n`` standard normals by Box–Muller from the key's sample stream."""
    return _normals_of_words(words(keys, 2 * ((n + 1) // 2), SAMPLE, offset_stream), n, dt)


def _normals_of_words(u: np.ndarray, n: int, dt: np.dtype) -> np.ndarray:
    """:func:`normals` from the keys' words ``u`` (rows of ``2 * ceil(n/2)``)."""
    m = (n + 1) // 2
    u1 = 1.0 - (u[..., :m] >> np.uint64(11)).astype(np.float64) * 2.0**-53  # (0, 1]: finite log
    u2 = (u[..., m:] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    r = np.sqrt(-2.0 * np.log(u1))
    z = np.concatenate([r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)], axis=-1)
    return z[..., :n].astype(dt)


def _proposals_normal(keys, m: int, stream: int, a: float, b: float):
    """Proposals ``z`` of every key (``(b, m)``) and which of them are kept."""
    z = normals(keys, m, np.dtype(np.float64), stream)
    return z, (z > a) & (z < b)


def _proposals_uniform(keys, m: int, stream: int, a: float, b: float):
    """Uniform on (a, b), kept with probability exp((c**2 - z**2) / 2), c the point of the
    interval nearest 0: exact when the interval is short (acceptance >= 1/e as used)."""
    u = words(keys, 2 * m, SAMPLE, stream)
    u1 = (u[:, :m] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    u2 = 1.0 - (u[:, m:] >> np.uint64(11)).astype(np.float64) * 2.0**-53  # (0, 1]
    z = a + u1 * (b - a)
    c = 0.0 if a < 0.0 < b else min(abs(a), abs(b))
    return z, (z > a) & (z < b) & (np.log(u2) <= 0.5 * (c * c - z * z))


def _proposals_tail(keys, m: int, stream: int, a: float, b: float):
    """Robert (1995): for ``a >= 0``, ``a`` plus an exponential of rate
    ``lam = (a + sqrt(a**2 + 4)) / 2``, kept with probability ``exp(-(z - lam)**2 / 2)`` and
    when below ``b``. Exact for any ``a``, however far in the tail."""
    lam = 0.5 * (a + np.sqrt(a * a + 4.0))
    u = words(keys, 2 * m, SAMPLE, stream)
    e = -np.log(1.0 - (u[:, :m] >> np.uint64(11)).astype(np.float64) * 2.0**-53)
    u2 = 1.0 - (u[:, m:] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    z = a + e / lam
    return z, (z > a) & (z < b) & (np.log(u2) <= -0.5 * (z - lam) ** 2)


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


class RejectionError(WireError):
    """A rejection loop that did not finish (never expected: every proposal keeps at least
    about a third of its draws)."""


def _first_kept(z: np.ndarray, keep: np.ndarray, n: int) -> np.ndarray:
    """Each row's first ``n`` kept values of ``z`` in order (every row keeps ``n`` or more)."""
    order = np.argsort(~keep, axis=1, kind="stable")[:, :n]
    return np.take_along_axis(z, order, axis=1)


@over_keys
def truncated(keys, n: int, dt: np.dtype, lower: float, upper: float) -> np.ndarray:
    """``n`` standard normals conditioned on ``lower < z < upper`` (``lower < upper``): the
    first ``n`` kept proposals of streams 0, 1, ... of each key (stream by stream, all the
    keys that still need draws at once)."""
    flip = upper <= 0.0  # sample (-upper, -lower) and negate: one tail case, not two
    a, b = (-upper, -lower) if flip else (lower, upper)
    propose = _truncated_method(a, b)
    chunk = max(16, n + n // 4 + 16)
    m = chunk if propose is _proposals_normal else 3 * chunk
    z = np.zeros((keys.shape[0], n))
    rows = np.arange(keys.shape[0] if n else 0)  # the keys with fewer than n kept so far
    got, kept = np.zeros((rows.size, 0)), np.zeros((rows.size, 0), bool)
    stream = 0
    while rows.size:
        if stream > 10_000:  # acceptance >= 1/3 makes this unreachable; never loop forever
            raise RejectionError(f"truncated_normal: rejection sampling on ({lower}, {upper}) "
                                 "did not finish")
        zs, ks = propose(keys[rows], m, stream, a, b)
        got, kept = np.concatenate([got, zs], axis=1), np.concatenate([kept, ks], axis=1)
        done = kept.sum(axis=1) >= n
        z[rows[done]] = _first_kept(got[done], kept[done], n)
        rows, got, kept = rows[~done], got[~done], kept[~done]
        stream += 1
    out = (-z if flip else z).astype(dt)
    inside_lo = np.nextafter(np.asarray(lower, dt), dt.type(np.inf))
    inside_hi = np.nextafter(np.asarray(upper, dt), dt.type(-np.inf))
    return np.clip(out, inside_lo, inside_hi).astype(dt)


def _replace_rejected(keys: np.ndarray, w: np.ndarray, limit: np.uint64) -> None:
    """Replace (in place) the words of ``w`` (one row per key) at or above ``limit`` by the
    key's next words below it: ``2 * (rejected) + 16`` words of stream 1, then of stream 2,
    ... of its sample domain (the words of all such keys at once: a stream's first words do
    not depend on how many are drawn)."""
    bad = {int(i): np.flatnonzero(w[i] >= limit) for i in np.flatnonzero((w >= limit).any(1))}
    stream = 1
    while bad:
        rows = list(bad)
        sizes = [2 * bad[i].size + 16 for i in rows]
        fresh_rows = words(keys[rows], max(sizes), SAMPLE, stream)
        for i, fresh, size in zip(rows, fresh_rows, sizes):
            fresh = fresh[:size]
            fresh = fresh[fresh < limit][: bad[i].size]
            w[i, bad[i][: fresh.size]] = fresh
            bad[i] = bad[i][fresh.size :]
            if not bad[i].size:
                del bad[i]
        stream += 1


@over_keys
def integers(keys, n: int, dt: np.dtype, lo: int, hi: int) -> np.ndarray:
    """``n`` integers uniform in ``[lo, hi)`` (``1 <= hi - lo <= 2**64``) as ``dt``, without
    modulo bias: rejected words are replaced from further blocks of the key's stream."""
    span = hi - lo
    w = words(keys, n, SAMPLE)
    excess = (1 << 64) % span  # 0 for a power-of-two span: every word is kept
    if excess:
        _replace_rejected(keys, w, np.uint64((1 << 64) - excess))  # a multiple of span
    if span < 1 << 64:
        w = w % np.uint64(span)
    # lo + offset modulo 2**64 is exact for every span; the cast reads the bits back
    out = (w + np.uint64(lo & MASK64)).view(np.int64) if lo < 0 else w + np.uint64(lo)
    return out.astype(dt)


@over_keys
def gumbels(keys, n: int, dt: np.dtype) -> np.ndarray:
    """``n`` standard Gumbel samples ``-log(-log(u))``, ``u`` in (0, 1) with 53 bits."""
    u = unit(keys, n, np.dtype(np.float64), open_low=True)
    u = np.minimum(u, 1.0 - 2.0**-53)  # (0, 1): both logs finite
    return (-np.log(-np.log(u))).astype(dt)


# dist -> sampler(k, n, dtype, *args): n values of dtype, a pure function of the key k
SAMPLERS = {
    "unit": unit,
    "normal": normals,
    "gumbel": gumbels,
    "truncated_normal": truncated,
    "randint": integers,
}


# --------------------------------------------------------------------------- primitives


def _check_key_aval(a, what: str) -> tuple:
    """The batch shape of keys of aval ``a`` (``batch + (4,)`` uint32)."""
    if a.shape is None or a.shape[-1:] != KEY_SHAPE or a.dtype != KEY_DTYPE:
        raise WireTypeError(f"{what} needs keys (uint32 arrays of shape (..., 4)), got {a!r}")
    return tuple(a.shape[:-1])


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def bits_impl(keys, *, shape, domain, stream, dtype):
    keys = np.asarray(keys)
    batch, n = keys.shape[:-1], _size(shape)
    flat = keys.reshape(-1, 4)
    nwords = n if dtype == np.uint64 else (n + 1) // 2
    w = _raw_batched(flat, nwords, domain, stream)
    if dtype == np.uint32:
        w = words_to_keys(w)[:, :n]
    return w.reshape(batch + tuple(shape))


def _bits_shape(a, *, shape, domain, stream, dtype):
    if dtype not in (np.uint32, np.uint64):
        raise WireTypeError(f"random_bits makes uint32 or uint64 words, not {dtype}")
    return make_aval(_check_key_aval(a, "random_bits") + tuple(shape), dtype)


def _host(name, prim):
    """``prim()``'s NumPy implementation on host copies of the operands (array backends)."""

    def fn(bk, *args, **params):
        return bk.const(prim().impl(*host_arrays(args), **params))

    return XpImpl(fn, f"numpy impl of {name} (on the host)")


def _key_batch(prim):
    """vmap rule of the primitive ``prim()`` whose one operand is a key: the batch axis goes in
    front, where the primitive takes leading axes of keys."""

    def rule(args, dims, **params):
        return bind(prim(), to_front(args[0], dims[0]), **params), 0

    return rule


_KEY0 = np.array([0, 0, 0, 42], np.uint32)
_NO_FORMULA = NoFormula("random numbers have no formula")

random_bits_p = Primitive(
    "random_bits",
    bits_impl,
    _bits_shape,
    dtype=lambda d, *, shape, domain, stream, dtype: np.dtype(dtype),
    nondiff=True,
    batch=_key_batch(lambda: random_bits_p),
    sample=lambda rng: ([_KEY0], {"shape": (2, 3), "domain": SAMPLE, "stream": 0,
                                  "dtype": np.dtype(np.uint64)}),
    doc="raw Philox words of a key (leading key axes batch), uint64 or uint32 halves",
    xp=_host("random_bits", lambda: random_bits_p),
    sympy=_NO_FORMULA,
)


def bits(keys, shape, domain, stream=0, dtype=np.uint64):
    """The primitive ``random_bits`` on (possibly traced) ``keys``."""
    return bind(random_bits_p, keys, shape=tuple(int(s) for s in shape), domain=int(domain),
                stream=int(stream), dtype=np.dtype(dtype))


def _fold_impl(keys, data):
    return fold_words(np.asarray(keys), np.asarray(data).astype(np.uint64))


def _fold_shape(k, d):
    batch = _check_key_aval(k, "random_fold_in")
    if d.dtype.kind not in "iu":
        raise WireTypeError(f"random_fold_in needs integer data, got {d!r}")
    try:
        shape = np.broadcast_shapes(batch, d.shape)
    except ValueError:
        raise ShapeError(f"random_fold_in: keys {k!r} and data {d!r} do not broadcast") from None
    return make_aval(tuple(shape) + KEY_SHAPE, KEY_DTYPE)


random_fold_in_p = Primitive(
    "random_fold_in",
    _fold_impl,
    _fold_shape,
    dtype=lambda k, d: KEY_DTYPE,
    nondiff=True,
    batch=trailing_batch(lambda: random_fold_in_p, core_ndim=(1, 0)),
    sample=lambda rng: ([_KEY0, np.array([0, -1, 2**62])], {}),
    doc="keys folded with integer data (modulo 2**64), broadcasting leading key axes",
    xp=_host("random_fold_in", lambda: random_fold_in_p),
    sympy=_NO_FORMULA,
)


def _sample_impl(keys, *, dist, shape, dtype, extra):
    keys = np.asarray(keys)  # every key of the batch at once (over_keys), as each alone
    out = SAMPLERS[dist](keys.reshape(-1, 4), _size(shape), dtype, *extra)
    return out.reshape(keys.shape[:-1] + tuple(shape))


def _sample_shape(a, *, dist, shape, dtype, extra):
    return make_aval(_check_key_aval(a, f"random sampler {dist}") + tuple(shape), dtype)


random_sample_p = Primitive(
    "random_sample",
    _sample_impl,
    _sample_shape,
    dtype=lambda d, *, dist, shape, dtype, extra: np.dtype(dtype),
    nondiff=True,
    batch=_key_batch(lambda: random_sample_p),
    sample=lambda rng: ([_KEY0], {"dist": "normal", "shape": (3,),
                                  "dtype": np.dtype(np.float64), "extra": ()}),
    doc="samples of a distribution of SAMPLERS (static scalar extra args) from a key",
    xp=_host("random_sample", lambda: random_sample_p),
    sympy=_NO_FORMULA,
)


def sample(keys, dist: str, shape, dtype, *args):
    """The primitive ``random_sample`` on (possibly traced) ``keys``."""
    return bind(random_sample_p, keys, dist=dist, shape=tuple(int(s) for s in shape),
                dtype=np.dtype(dtype), extra=tuple(args))


# ------------------------------------------------------------------ truncated normal's derivative

_S = 1.0 / math.sqrt(2.0)


def _slopes_upper(z, a, b):
    """``(dz/da, dz/db)`` for ``0 <= a < z < b``, as ratios of ``R(x) = erfcx(x / sqrt 2)``
    (``Q(x) = phi(x) R(x) sqrt(pi / 2)``) and ``exp`` of non-positive arguments: finite for
    any ``a``, however far in the tail (``b = inf``: ``dz/db = 0``)."""
    ra, rz, rb = erfcx(a * _S), erfcx(z * _S), erfcx(b * _S)
    e_bz = exp((z * z - b * b) * 0.5)  # phi(b) / phi(z)
    e_ba = exp((a * a - b * b) * 0.5)  # phi(b) / phi(a)
    e_za = exp((a * a - z * z) * 0.5)  # phi(z) / phi(a)
    den = ra - e_ba * rb
    return (rz - e_bz * rb) / den, e_bz * (ra - e_za * rz) / den


def _slopes_straddle(z, a, b):
    """``(dz/da, dz/db)`` for ``a < 0 < b``, from ``erf`` (the tail beyond ``z`` from
    ``erfc``, without cancellation); ``a = -inf`` or ``b = inf`` give 0."""
    den = erf(b * _S) - erf(a * _S)
    pos = z >= 0.0
    above = select(pos, erfc(z * _S) - erfc(b * _S), erf(b * _S) - erf(z * _S))
    below = select(pos, erf(z * _S) - erf(a * _S), erfc(-z * _S) - erfc(-a * _S))
    return (exp((z * z - a * a) * 0.5) * above / den,
            exp((z * z - b * b) * 0.5) * below / den)


def truncated_slopes(z, a, b):
    """``(dz/da, dz/db)`` of a draw ``z`` of the standard normal truncated to ``(a, b)``
    (float64 tracers that broadcast): the implicit reparameterisation gradient, with ``z =
    F^-1(u; a, b)`` at a fixed ``u``, ``F(z) = (Phi(z) - Phi(a)) / (Phi(b) - Phi(a))``:
    ``dz/da = phi(a) (1 - F(z)) / phi(z)`` and ``dz/db = phi(b) F(z) / phi(z)`` (what
    ``jax.random.truncated_normal``'s inverse-CDF draw gives). An interval below 0 is
    mirrored into one above it."""
    flip = b <= 0.0
    zm, am, bm = select(flip, -z, z), select(flip, -b, a), select(flip, -a, b)
    up = am >= 0.0
    one = z * 0.0 + 1.0
    ua, ub = _slopes_upper(select(up, zm, 1.5 * one), select(up, am, one),
                           select(up, bm, 2.0 * one))
    sa, sb = _slopes_straddle(select(up, 0.0 * one, zm), select(up, -one, am),
                              select(up, one, bm))
    da, db = select(up, ua, sa), select(up, ub, sb)
    return select(flip, db, da), select(flip, da, db)


# --------------------------------------------------------------------------- traced parameters


def _truncated_bad(dt: np.dtype, lower: float, upper: float):
    """Why ``(lower, upper)`` defines no truncated normal in ``dt`` (None when it does)."""
    if not lower < upper:  # NaN fails too
        return f"truncated_normal needs lower < upper, got {lower}, {upper}"
    if not np.nextafter(np.asarray(lower, dt), dt.type(np.inf)) < np.asarray(upper, dt):
        return f"truncated_normal: no {dt} lies strictly between {lower} and {upper}"
    return None


def _randint_bad(dt: np.dtype, lo: int, hi: int):
    """Why ``[lo, hi)`` defines no ``randint`` in ``dt`` (None when it does)."""
    info = np.iinfo(dt)
    if not lo < hi:
        return f"randint needs minval < maxval, got {lo}, {hi}"
    if lo < info.min or hi - 1 > info.max:
        return (f"randint: [{lo}, {hi}) does not fit in {dt} (its range is [{info.min}, "
                f"{info.max}])")
    return None


# dist -> (parameters as Python scalars, why they are invalid) for samplers whose scalar
# parameters may be traced: checked on the values the primitive runs with
PARAM_CHECKS = {
    "truncated_normal": (float, _truncated_bad),
    "randint": (int, _randint_bad),
}


class InvalidParameterError(WireError, ValueError):
    """Traced parameters of an integer or boolean sampler that define no distribution, found
    when the compiled code runs (a float sampler returns NaN instead).

    >>> import wire
    >>> from wire import random as wr
    >>> draw = wire.jit(lambda hi: wr.randint(wr.key(0), (2,), 0, hi))
    >>> try:
    ...     draw(0)
    ... except wr.InvalidParameterError as e:
    ...     print(str(e)[:35])
    randint needs minval < maxval, got 
    """


def _params_impl(keys, *params, dist, shape, dtype):
    keys = np.asarray(keys)
    batch = np.broadcast_shapes(keys.shape[:-1], *[np.shape(p) for p in params])
    keys = np.broadcast_to(keys, batch + KEY_SHAPE).reshape(-1, 4)
    params = [np.broadcast_to(np.asarray(p), batch).reshape(-1) for p in params]
    convert, why = PARAM_CHECKS[dist]
    f, n = SAMPLERS[dist], _size(shape)
    out = np.empty((keys.shape[0], n), dtype)
    # the keys that share their parameters (all of them, when only the keys are batched)
    # sample together, as each would alone
    groups: dict = {}  # by the values' bits (NaN, -0.0 and 0.0 apart)
    for i, vals in enumerate(zip(*[p.tolist() for p in params])):
        groups.setdefault(tuple(p[i].tobytes() for p in params), (vals, []))[1].append(i)
    for vals, rows in groups.values():
        vals = [convert(v) for v in vals]
        bad = why(dtype, *vals)
        if bad is None:
            out[rows] = f(keys[rows], n, dtype, *vals)
        elif dtype.kind == "f":  # as JAX: NaN, never a plausible draw
            out[rows] = np.nan
        else:
            raise InvalidParameterError(f"{bad} (traced parameters, checked as they ran)")
    return out.reshape(batch + tuple(shape))


def _params_shape(k, *params, dist, shape, dtype):
    kb = _check_key_aval(k, f"random sampler {dist}")
    for p in params:
        if p.dtype.kind not in "biuf":
            raise WireTypeError(f"random sampler {dist} needs real parameters, got {p!r}")
    try:
        batch = np.broadcast_shapes(kb, *[p.shape for p in params])
    except ValueError:
        raise ShapeError(f"random sampler {dist}: keys {k!r} and parameters do not "
                         "broadcast") from None
    return make_aval(tuple(batch) + tuple(shape), dtype)


random_sample_params_p = Primitive(
    "random_sample_params",
    _params_impl,
    _params_shape,
    dtype=lambda k, *p, dist, shape, dtype: np.dtype(dtype),
    nondiff=True,
    batch=lambda args, dims, **params: trailing_batch(
        lambda: random_sample_params_p, core_ndim=(1,) + (0,) * (len(args) - 1))(
        args, dims, **params),
    sample=lambda rng: ([_KEY0, np.float64(-1.0), np.float64(0.5)],
                        {"dist": "truncated_normal", "shape": (3,),
                         "dtype": np.dtype(np.float64)}),
    doc=("samples of a distribution of PARAM_CHECKS from keys and (traced) scalar parameters, "
         "one per key; NaN (floats) or an error (integers) where they define none"),
    xp=_host("random_sample_params", lambda: random_sample_params_p),
    sympy=_NO_FORMULA,
)


def sample_params(keys, dist: str, shape, dtype, *params):
    """The primitive ``random_sample_params`` on keys and scalar parameters (either traced)."""
    return bind(random_sample_params_p, keys, *params, dist=dist,
                shape=tuple(int(s) for s in shape), dtype=np.dtype(dtype))


def _check_probability(p):
    return bool(((p >= 0) & (p <= 1)).all())  # NaN fails both


def _check_logits(x):
    """Logits along the last axis define a distribution: no NaN, not all ``-inf``, at most
    one ``+inf``."""
    if x.size == 0:
        return True
    return not (np.isnan(x).any() or (x == -np.inf).all(axis=-1).any()
                or ((x == np.inf).sum(axis=-1) > 1).any())


CHECKS = {
    "probability": (_check_probability, "bernoulli needs 0 <= p <= 1"),
    "logits": (_check_logits, "categorical: logits with a NaN, with every category at -inf "
                              "or with two at +inf are no distribution"),
}


def _checked_impl(x, *, check):
    x = np.asarray(x)
    ok, message = CHECKS[check]
    if not ok(x):
        raise InvalidParameterError(f"{message} (traced parameters, checked as they ran)")
    return x


random_checked_p = Primitive(
    "random_checked",
    _checked_impl,
    lambda a, *, check: a,
    dtype=lambda a, *, check: a.dtype,
    nondiff=True,
    batch=_key_batch(lambda: random_checked_p),
    sample=lambda rng: ([np.array([[0.0, 1.0], [0.5, 0.25]])], {"check": "probability"}),
    doc=("x itself, once its values pass a sampler's parameter check (else an error as the "
         "code runs): the check of a boolean or integer sampler's traced parameters"),
    xp=_host("random_checked", lambda: random_checked_p),
    sympy=_NO_FORMULA,
)


def checked(x, check: str):
    """``x`` (traced), checked by ``CHECKS[check]`` when the code runs."""
    return bind(random_checked_p, x, check=check)


def _not_float(a):
    raise WireTypeError(f"next_below needs a floating-point operand, got {a!r}")


next_below_p = Primitive(
    "next_below",
    lambda x: np.nextafter(x, np.array(-np.inf, np.asarray(x).dtype)),  # x may be a float
    lambda a: a if a.dtype.kind == "f" else _not_float(a),
    nondiff=True,
    batch=elementwise_batch(lambda: next_below_p),
    sample=elementwise_sampler([REALS]),
    doc="the float just below x (np.nextafter(x, -inf)): uniform's bound on traced maxval",
    xp=XpImpl(lambda bk, x: bk.xp.nextafter(x, bk.xp.full_like(x, -np.inf)), "nextafter"),
    sympy=NoFormula("a neighbouring float has no formula"),
)


def next_below(x):
    """The float just below ``x`` (traced or not), with no derivative."""
    return bind(next_below_p, x)


def fold_in(keys, data):
    """The primitive ``random_fold_in`` on (possibly traced) ``keys`` and integer ``data``."""
    return bind(random_fold_in_p, keys, data)


PRIMITIVES = (random_bits_p, random_fold_in_p, random_sample_p, next_below_p,
              random_sample_params_p, random_checked_p)
