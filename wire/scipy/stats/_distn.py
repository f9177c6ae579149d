"""What every univariate distribution shares: SciPy's argument parsing (shape parameters,
``loc``, ``scale``, by position or keyword), SciPy's masks (out-of-support values give
``-inf``/0/1, invalid parameters give NaN), and freezing (``norm(loc=1).pdf(x)``).

A distribution defines its standardized functions (``_logpdf(z, *shapes)``, ``_cdf`` …) on
values that are always inside the support and parameters that are always valid: the methods
here substitute a safe point for every entry that a mask replaces, so neither the value nor
the derivative of a replaced branch can leak NaN or inf into the result (``0 * inf`` in a
chain rule is NaN).

Outputs keep the floating dtype of the inputs (float32 stays float32, as in JAX; SciPy
computes in float64).
"""

from __future__ import annotations

import functools

import numpy as np

from ... import numpy as wnp
from ...api.control_flow import fori_loop
from ...errors import WireTypeError, at, user_location
from ...tracebacks import entry_point
from ...core import Tracer


def as_float(x):
    """``x`` as a floating value: integer arrays become float64, Python numbers stay weak."""
    if isinstance(x, Tracer):
        return x if x.dtype.kind in "fc" else wnp.asarray(x, np.float64)
    if isinstance(x, (bool, int)):
        return float(x)
    if isinstance(x, float):
        return x
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def result_dtype(*vals):
    """The floating dtype of the arrays among ``vals`` (Python numbers are weak, as in NEP 50):
    float32 inputs give float32 results although the special functions compute in float64."""
    dts = [v.dtype for v in vals if isinstance(v, (Tracer, np.ndarray, np.generic))]
    if not dts:
        return np.dtype(np.float64)
    dt = np.result_type(*dts)
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def cast(out, dtype):
    """``out`` as ``dtype`` (a no-op when it already is)."""
    have = out.dtype if hasattr(out, "dtype") else np.asarray(out).dtype
    return out if have == dtype else wnp.asarray(out, dtype)


def safe(mask, x, fill):
    """``x`` where ``mask`` holds, else ``fill``: the inner ``where`` of the double-``where``
    idiom, so a branch the outer ``where`` drops is computed at a harmless point."""
    return wnp.where(mask, x, fill)


def piecewise(cond, z, when_true, when_false, true_safe=0.0, false_safe=0.0):
    """``where(cond, when_true(z), when_false(z))`` with each branch evaluated only on its own
    side (the other side sees a safe point), so overflow in the unused branch cannot reach the
    value or the derivative."""
    return wnp.where(cond, when_true(safe(cond, z, true_safe)),
                     when_false(safe(cond, false_safe, z)))


def log_of(p, complement):
    """``log p`` for a probability whose ``complement = 1 - p`` is known accurately:
    ``log1p(-complement)`` where ``p > 1/2`` keeps the relative accuracy a rounded ``p``
    near 1 would lose (``log(1 - 1e-20)`` is 0, the truth is -1e-20)."""
    small = p < 0.5
    return wnp.where(small, wnp.log(safe(small, p, 0.5)), wnp.log1p(-safe(small, 0.5, complement)))


def quiet(method):
    """Run ``method`` with NumPy's floating-point warnings off: on concrete arrays the masked
    branches (a log of 0 that ``where`` then drops) compute eagerly, and their warnings
    would be noise. The result's own NaN and inf are the answer, not an accident."""

    @functools.wraps(method)
    def run(*args, **kwds):
        with np.errstate(all="ignore"):
            return method(*args, **kwds)

    return run


def nan_in_nan_out(out, inputs):
    """``out``, and NaN with NaN derivatives in every input where an input is NaN. The masks
    above give a NaN value there, but as a constant: its derivative was 0 (JAX's formulas,
    which carry the NaN along, give NaN). ``w`` is the inputs' NaNs (0 elsewhere, exactly,
    with derivative 0) and ``w * Σ inputs`` has the value NaN and a NaN derivative in each
    input where ``w`` is NaN; elsewhere ``out`` is untouched (its signed zeros too). Only a
    traced call has derivatives; a concrete one returns ``out`` as it is."""
    if not any(isinstance(v, Tracer) for v in inputs) or not isinstance(out, Tracer):
        return out
    vals = [as_float(v) for v in inputs]
    w = functools.reduce(lambda acc, v: acc + wnp.where(wnp.isnan(v), v, 0.0), vals, 0.0)
    poisoned = wnp.isnan(w)
    # the inputs only where the result is poisoned (no inf - inf or overflow elsewhere)
    total = functools.reduce(lambda acc, v: acc + wnp.where(poisoned, v, 0.0), vals, 0.0)
    return cast(wnp.where(poisoned, w * total, out), out.dtype)


def nan_propagating(method):
    """``method`` with :func:`nan_in_nan_out` applied to its result (each of a pair)."""

    @functools.wraps(method)
    def run(self, *args, **kwds):
        out = method(self, *args, **kwds)
        inputs = list(args) + [v for v in kwds.values() if v is not None]
        if isinstance(out, tuple):
            return tuple(nan_in_nan_out(o, inputs) for o in out)
        return nan_in_nan_out(out, inputs)

    return run


def parse_args(dist, method: str, args, kwds, names, defaults):
    """SciPy's parameter parsing: ``names`` by position or keyword, ``defaults`` for the
    optional ones; a clear ``WireTypeError`` names what is missing or unexpected."""
    if len(args) > len(names):
        raise WireTypeError(
            f"{dist}.{method} takes at most {len(names)} parameters after the first argument "
            f"({', '.join(names)}), got {len(args)}{at(user_location())}"
        )
    values = dict(zip(names, args))
    for k, v in kwds.items():
        if k not in names:
            raise WireTypeError(
                f"{dist}.{method} got an unexpected parameter {k!r}; its parameters are "
                f"{', '.join(names)}{at(user_location())}"
            )
        if k in values:
            raise WireTypeError(
                f"{dist}.{method} got two values for {k!r}{at(user_location())}")
        values[k] = v
    missing = [n for n in names if n not in values and n not in defaults]
    if missing:
        raise WireTypeError(
            f"{dist}.{method} is missing the shape parameter(s) {', '.join(missing)}"
            f"{at(user_location())}"
        )
    return [as_float(values.get(n, defaults.get(n))) for n in names]


def both(*masks):
    """Elementwise ``and`` of boolean masks (arrays, tracers or Python bools)."""
    out = masks[0]
    for m in masks[1:]:
        out = wnp.logical_and(out, m)
    return out


def broadcast_like(val, *others):
    """``val`` broadcast to its shape combined with ``others``' (SciPy broadcasts every
    parameter into a result, even one the value does not depend on)."""
    shape = np.broadcast_shapes(*[tuple(wnp.shape(o)) for o in (val,) + others])
    return val if tuple(wnp.shape(val)) == shape else wnp.broadcast_to(val, shape)


class Distribution:
    """Parsing and freezing shared by continuous and discrete distributions."""

    name = ""
    shapes: tuple = ()
    shape_fill: tuple = ()  # a valid value per shape parameter, substituted where invalid
    _extra: tuple = ()      # ("loc", "scale") or ("loc",)

    def __repr__(self):
        return f"<wire.scipy.stats.{self.name}>"

    def __call__(self, *args, **kwds):
        """Freeze the parameters: ``norm(loc=1.0, scale=2.0).logpdf(x)``."""
        parse_args(self.name, "__call__", args, kwds, self._names(), self._defaults())
        return Frozen(self, args, kwds)

    def freeze(self, *args, **kwds):
        """The same as calling the distribution: fix its parameters."""
        return self(*args, **kwds)

    def stats(self, *args, moments="mv", **kwds):
        """``(mean, var)`` for ``moments='mv'`` (any of ``'m'``, ``'v'``, in that order);
        skewness and kurtosis are not implemented."""
        if set(moments) - set("mv"):
            raise WireTypeError(f"{self.name}.stats: only moments 'm' and 'v' are implemented"
                                f", got {moments!r}{at(user_location())}")
        out = []
        if "m" in moments:
            out.append(self.mean(*args, **kwds))
        if "v" in moments:
            out.append(self.var(*args, **kwds))
        return out[0] if len(out) == 1 else tuple(out)

    def median(self, *args, **kwds):
        """The median, ``ppf(0.5)``."""
        return self.ppf(0.5, *args, **kwds)

    def interval(self, confidence, *args, **kwds):
        """``(lower, upper)``: the central interval holding probability ``confidence``,
        ``ppf`` and ``isf`` of ``(1 - confidence) / 2`` (as SciPy; ``isf`` keeps a tiny tail
        probability exact, where ``ppf(1 - q)`` would round it)."""
        alpha = as_float(confidence)
        return (self.ppf(0.5 - 0.5 * alpha, *args, **kwds),
                self.isf(0.5 - 0.5 * alpha, *args, **kwds))

    def nnlf(self, theta, x):
        """Negative log-likelihood of the data ``x`` at parameters ``theta`` (shapes, then
        loc and scale): ``-sum(logpdf(x, *theta))``, inf where ``theta`` is invalid."""
        logp = self._log_likelihood_terms(x, tuple(theta))
        total = -wnp.sum(logp)
        return wnp.where(wnp.isnan(total), np.inf, total)

    def _names(self):
        return tuple(self.shapes) + self._extra

    def _defaults(self):
        return {"loc": 0.0, "scale": 1.0}

    def _parse(self, method, args, kwds):
        return parse_args(self.name, method, args, kwds, self._names(), self._defaults())

    def _argcheck(self, *shapes):
        return True

    def _safe_shapes(self, valid, shapes):
        return [safe(valid, s, f) for s, f in zip(shapes, self.shape_fill)]


class Frozen:
    """A distribution with its parameters fixed (SciPy's ``rv_frozen``)."""

    def __init__(self, dist, args, kwds):
        self.dist, self.args, self.kwds = dist, tuple(args), dict(kwds)

    def __repr__(self):
        return f"<frozen wire.scipy.stats.{self.dist.name}>"

    def __getattr__(self, method):
        if method.startswith("_") or not hasattr(self.dist, method):
            raise AttributeError(method)
        fn = getattr(self.dist, method)
        # the user calls what this returns: an entry point, as the distribution's methods are
        if method in ("mean", "var", "std", "entropy", "median", "support", "stats"):
            return entry_point(lambda: fn(*self.args, **self.kwds))
        return entry_point(lambda x: fn(x, *self.args, **self.kwds))


class ContinuousDistribution(Distribution):
    """SciPy's ``rv_continuous`` methods, built from a distribution's standardized functions.

    A subclass defines ``_logpdf``, ``_cdf`` and ``_sf`` (and may define ``_pdf``,
    ``_logcdf``, ``_logsf``, ``_ppf``, ``_isf``), ``_support()`` and an interior point.
    """

    _extra = ("loc", "scale")
    support_bounds = (-np.inf, np.inf)
    interior = 0.0  # a point inside the support

    # defaults SciPy uses when a distribution does not override them
    def _pdf(self, z, *s):
        return wnp.exp(self._logpdf(z, *s))

    def _logcdf(self, z, *s):
        return self._log_of(self._cdf, self._sf, z, s)

    def _logsf(self, z, *s):
        return self._log_of(self._sf, self._cdf, z, s)

    def _log_of(self, prob, complement, z, s):
        """``log_of(prob(z), complement(z))`` with each branch evaluated at its own ``z``
        (the other branch at the interior point): at a support edge one of the two has an
        infinite derivative (``chi2.sf`` at 0 for ``df < 2``), and even unused it made the
        derivative NaN (its zero cotangent times inf)."""
        small = prob(z, *s) < 0.5
        # the logs see 1/2 in their unused branch too: at the interior point the unused
        # probability can be 0 or 1 for some shapes (gamma.sf(1; a=300) = 1), where log's
        # infinite derivative times the zero cotangent made the shape derivative NaN
        lo = wnp.log(safe(small, prob(safe(small, z, self.interior), *s), 0.5))
        hi = wnp.log1p(-safe(small, 0.5, complement(safe(small, self.interior, z), *s)))
        return wnp.where(small, lo, hi)

    def _prepare(self, method, x, args, kwds):
        *shapes, loc, scale = self._parse(method, args, kwds)
        x = as_float(x)
        dtype = result_dtype(x, loc, scale, *shapes)
        valid = both(self._argcheck(*shapes), scale > 0)
        scale = safe(valid, scale, 1.0)
        d = x - loc
        finite = wnp.isfinite(d)
        z_raw = d / scale  # only for masks: may be ±inf or NaN
        z = safe(finite, d, 0.0) / scale
        bad = (wnp.logical_or(wnp.logical_not(valid), wnp.isnan(z_raw)), dtype)
        return z, z_raw, self._safe_shapes(valid, shapes), scale, valid, bad, d

    def _density_support(self, valid, zr):
        """Where the density formula applies: the closed support, as SciPy, without ±inf
        (every density here tends to 0 there; SciPy's formulas give the same)."""
        lo, hi = self.support_bounds
        return both(valid, zr >= lo, zr <= hi, wnp.isfinite(zr))

    def _finish(self, out, bad):
        mask, dtype = bad
        return cast(wnp.where(mask, np.nan, out), dtype)

    def logpdf(self, x, *args, **kwds):
        """Log of the probability density at ``x`` (``-inf`` outside the support)."""
        z, zr, s, scale, valid, bad, _ = self._prepare("logpdf", x, args, kwds)
        inside = self._density_support(valid, zr)
        val = self._logpdf(safe(inside, z, self.interior), *s) - wnp.log(scale)
        return self._finish(wnp.where(inside, val, -np.inf), bad)

    def pdf(self, x, *args, **kwds):
        """Probability density at ``x`` (0 outside the support)."""
        z, zr, s, scale, valid, bad, _ = self._prepare("pdf", x, args, kwds)
        inside = self._density_support(valid, zr)
        val = self._pdf(safe(inside, z, self.interior), *s) / scale
        return self._finish(wnp.where(inside, val, 0.0), bad)

    def _tail(self, method, x, args, kwds, fn, below, above, log_zero_at=None):
        """``fn`` on the closed support (derivatives at a finite end: one-sided from inside, as
        JAX's for ``expon``, ``uniform``); constants beyond. At ``log_zero_at`` (lo/hi), where the
        log-probability is -inf, ``log`` of the distance to it: ±inf in x and loc, else 0."""
        z, zr, s, scale, valid, bad, d = self._prepare(method, x, args, kwds)
        lo, hi = self.support_bounds
        inside = formula = self._density_support(valid, zr)
        end = lo if log_zero_at == "lo" else hi
        if log_zero_at is not None and np.isfinite(end):
            at_end = both(inside, zr == end)
            formula = both(inside, wnp.logical_not(at_end))  # 0/0 at the end: a safe point
            # a lower end at 0 stays there as scale moves: no product with scale
            dist = (d if end == 0 else d - end * scale) if log_zero_at == "lo" else end * scale - d
        val = fn(safe(formula, z, self.interior), *s)
        if formula is not inside:
            # z can reach the end while x has not (z underflows, or scale is inf): the
            # probability is 0 there all the same, -inf, not the log of the distance
            reached = both(at_end, dist == 0)
            val = wnp.where(at_end, wnp.where(reached, wnp.log(safe(reached, dist, 1.0)),
                                              -np.inf), val)
        out = wnp.where(inside, val, wnp.where(zr >= hi, above, below))
        return self._finish(out, bad)

    def cdf(self, x, *args, **kwds):
        """Cumulative distribution function P(X <= x)."""
        return self._tail("cdf", x, args, kwds, self._cdf, 0.0, 1.0)

    def logcdf(self, x, *args, **kwds):
        """log P(X <= x), accurate where the cdf underflows when the distribution allows."""
        return self._tail("logcdf", x, args, kwds, self._logcdf, -np.inf, 0.0, "lo")

    def sf(self, x, *args, **kwds):
        """Survival function P(X > x) = 1 - cdf, computed without cancellation."""
        return self._tail("sf", x, args, kwds, self._sf, 1.0, 0.0)

    def logsf(self, x, *args, **kwds):
        """log P(X > x)."""
        return self._tail("logsf", x, args, kwds, self._logsf, 0.0, -np.inf, "hi")

    def _quantile(self, method, q, args, kwds, fn, at0, at1):
        *shapes, loc, scale = self._parse(method, args, kwds)
        q = as_float(q)
        dtype = result_dtype(q, loc, scale, *shapes)  # before `safe` makes scale an array
        valid = both(self._argcheck(*shapes), scale > 0)
        scale = safe(valid, scale, 1.0)
        s = self._safe_shapes(valid, shapes)
        inside = both(valid, q > 0, q < 1)
        val = fn(safe(inside, q, 0.5), *s)
        out = wnp.where(inside, val, wnp.where(q == 0, at0, wnp.where(q == 1, at1, np.nan)))
        out = out * scale + loc
        return cast(wnp.where(valid, out, np.nan), dtype)

    def ppf(self, q, *args, **kwds):
        """Percent point function: the inverse of ``cdf``."""
        self._needs("_ppf", "ppf")
        lo, hi = self.support_bounds
        return self._quantile("ppf", q, args, kwds, self._ppf, lo, hi)

    def isf(self, q, *args, **kwds):
        """Inverse survival function: the inverse of ``sf``."""
        self._needs("_isf", "isf")
        lo, hi = self.support_bounds
        return self._quantile("isf", q, args, kwds, self._isf, hi, lo)

    def _log_likelihood_terms(self, x, theta):
        return self.logpdf(x, *theta)

    def _needs(self, attr, method):
        if not hasattr(self, attr):
            raise WireTypeError(
                f"{self.name}.{method} is not implemented in wire.scipy.stats (it needs an "
                "inverse incomplete gamma/beta function); see docs/scipy.md for the "
                f"coverage{at(user_location())}"
            )

    def _moments(self, method, args, kwds):
        *shapes, loc, scale = self._parse(method, args, kwds)
        # SciPy's condition includes loc == loc: a NaN loc makes var and entropy NaN too
        valid = both(self._argcheck(*shapes), scale > 0, loc == loc)
        return self._safe_shapes(valid, shapes), loc, safe(valid, scale, 1.0), valid

    def mean(self, *args, **kwds):
        """Mean (NaN where it does not exist)."""
        s, loc, scale, valid = self._moments("mean", args, kwds)
        m = self._stats(*s)[0] * scale + loc
        return wnp.where(valid, m, np.nan)

    def var(self, *args, **kwds):
        """Variance (inf or NaN where it does not exist, as SciPy)."""
        s, loc, scale, valid = self._moments("var", args, kwds)
        v = self._stats(*s)[1] * (scale * scale)
        return wnp.where(valid, broadcast_like(v, loc), np.nan)

    def std(self, *args, **kwds):
        """Standard deviation."""
        return wnp.sqrt(self.var(*args, **kwds))

    def entropy(self, *args, **kwds):
        """Differential entropy (in nats)."""
        s, loc, scale, valid = self._moments("entropy", args, kwds)
        h = self._entropy(*s) + wnp.log(scale)
        return wnp.where(valid, broadcast_like(h, loc), np.nan)

    def support(self, *args, **kwds):
        """``(lower, upper)`` ends of the support."""
        _, loc, scale, valid = self._moments("support", args, kwds)
        lo, hi = self.support_bounds
        return (wnp.where(valid, lo * scale + loc, np.nan),
                wnp.where(valid, hi * scale + loc, np.nan))


class DiscreteDistribution(Distribution):
    """SciPy's ``rv_discrete`` methods, from ``_logpmf``, ``_cdf`` and ``_sf`` at integer
    ``k`` inside the support ``[lower, upper(*shapes)]``.

    Derivatives in ``k`` are those of the formula's continuous extension (as in JAX):
    ``k`` is discrete, so they are only a convenience.
    """

    _extra = ("loc",)
    lower = 0.0

    def _defaults(self):
        return {"loc": 0.0}

    def _upper(self, *shapes):
        return np.inf

    def _pmf(self, k, *s):
        return wnp.exp(self._logpmf(k, *s))

    def _logcdf(self, k, *s):
        return log_of(self._cdf(k, *s), self._sf(k, *s))

    def _logsf(self, k, *s):
        return log_of(self._sf(k, *s), self._cdf(k, *s))

    def _prepare(self, method, k, args, kwds):
        *shapes, loc = self._parse(method, args, kwds)
        k = as_float(k)
        valid = self._argcheck(*shapes)
        s = self._safe_shapes(valid, shapes)
        kr = k - loc
        bad = (wnp.logical_or(wnp.logical_not(valid), wnp.isnan(kr)),
               result_dtype(k, loc, *shapes))
        return kr, s, valid, bad, self._upper(*s)

    def _log_likelihood_terms(self, k, theta):
        return self.logpmf(k, *theta)

    def logpmf(self, k, *args, **kwds):
        """log P(X = k) (``-inf`` off the integers of the support)."""
        return self._point("logpmf", k, args, kwds, self._logpmf, -np.inf)

    def pmf(self, k, *args, **kwds):
        """P(X = k)."""
        return self._point("pmf", k, args, kwds, self._pmf, 0.0)

    def _point(self, method, k, args, kwds, fn, outside):
        kr, s, valid, bad, hi = self._prepare(method, k, args, kwds)
        inside = both(valid, kr >= self.lower, kr <= hi, wnp.floor(kr) == kr)
        val = fn(safe(inside, kr, self.lower), *s)
        return cast(wnp.where(bad[0], np.nan, wnp.where(inside, val, outside)), bad[1])

    def _tail(self, method, k, args, kwds, fn, below, above, clip):
        kr, s, valid, bad, hi = self._prepare(method, k, args, kwds)
        inside = both(valid, kr >= self.lower, kr < hi, wnp.isfinite(kr))
        val = fn(wnp.floor(safe(inside, kr, self.lower)), *s)
        if clip:  # as SciPy; strict comparisons keep the derivative where the value is 0 or 1
            val = wnp.where(val > 1.0, 1.0, wnp.where(val < 0.0, 0.0, val))
        out = wnp.where(inside, val, wnp.where(kr >= hi, above, below))
        return cast(wnp.where(bad[0], np.nan, out), bad[1])

    def cdf(self, k, *args, **kwds):
        """P(X <= k)."""
        return self._tail("cdf", k, args, kwds, self._cdf, 0.0, 1.0, True)

    def logcdf(self, k, *args, **kwds):
        """log P(X <= k)."""
        return self._tail("logcdf", k, args, kwds, self._logcdf, -np.inf, 0.0, False)

    def sf(self, k, *args, **kwds):
        """P(X > k)."""
        return self._tail("sf", k, args, kwds, self._sf, 1.0, 0.0, True)

    def logsf(self, k, *args, **kwds):
        """log P(X > k)."""
        return self._tail("logsf", k, args, kwds, self._logsf, 0.0, -np.inf, False)

    def ppf(self, k_q, *args, **kwds):
        """Percent point function: the smallest integer ``k`` with ``cdf(k) >= q`` (``q = 0``
        gives ``lower - 1``, ``q = 1`` the upper end, as SciPy). A step function of ``q``
        and the parameters: its derivative is 0."""
        return self._quantile("ppf", k_q, args, kwds, upper=False)

    def isf(self, k_q, *args, **kwds):
        """Inverse survival function: the smallest integer ``k`` with ``sf(k) <= q`` (found
        on ``sf`` itself, so a tiny ``q`` keeps its meaning: ``poisson.isf(1e-20, 3)`` is 24,
        where SciPy's ``ppf(1 - q)`` gives NaN)."""
        return self._quantile("isf", k_q, args, kwds, upper=True)

    def _quantile(self, method, q, args, kwds, upper):
        *shapes, loc = self._parse(method, args, kwds)
        q = as_float(q)
        dtype = result_dtype(q, loc, *shapes)
        q = wnp.stop_gradient(q)
        shapes = [wnp.stop_gradient(v) for v in shapes]
        valid = self._argcheck(*shapes)
        # an infinite shape (poisson's mu = inf) has only the ends q = 0, 1, as in SciPy
        finite = both(valid, *[wnp.isfinite(v) for v in shapes])
        s = self._safe_shapes(finite, shapes)
        inside = both(valid, q > 0, q < 1)
        k = wnp.where(finite, self._discrete_root(safe(inside, q, 0.5), s, upper), np.nan)
        s = self._safe_shapes(valid, shapes)
        below, top = self.lower - 1.0, self._upper(*s)
        at0, at1 = (top, below) if upper else (below, top)
        out = wnp.where(inside, k, wnp.where(q == 0, at0, wnp.where(q == 1, at1, np.nan)))
        out = broadcast_like(out, loc) + wnp.stop_gradient(loc)
        return cast(wnp.where(valid, out, np.nan), dtype)

    def _discrete_root(self, q, s, upper):
        """The smallest integer ``k`` in ``[lower, upper]`` where ``cdf(k) >= q`` (``upper``:
        ``sf(k) <= q``). ``_cdf``/``_sf`` are continuous and monotone in a real ``k`` (the
        incomplete gamma and beta functions of it), so the crossing ``x`` is bracketed by
        bisection over ``lower + expm1(u)``, then the integers next to it are tried."""
        lo_k = self.lower
        top = self._upper(*s)
        top = wnp.where(top == top, top, np.inf) + 0.0 * q

        def holds(k):  # the predicate at k (True past the top)
            past = k >= top
            kk = safe(past, lo_k, k)
            ok = self._sf(kk, *s) <= q if upper else self._cdf(kk, *s) >= q
            return wnp.logical_or(past, ok)

        span = wnp.log1p(wnp.minimum(top - lo_k, 1e308))

        def halve(i, bracket):
            a, b = bracket
            mid = 0.5 * (a + b)
            yes = holds(lo_k + wnp.expm1(mid))
            return wnp.where(yes, a, mid), wnp.where(yes, mid, b)

        a, b = fori_loop(0, 100, halve, (0.0 * span, span))
        c = wnp.floor(lo_k + wnp.expm1(a))
        k = wnp.where(holds(c), c, wnp.where(holds(c + 1.0), c + 1.0, c + 2.0))
        k = wnp.where(holds(lo_k + 0.0 * q), lo_k, k)
        return wnp.minimum(k, top)

    def _moments(self, method, args, kwds):
        *shapes, loc = self._parse(method, args, kwds)
        valid = both(self._argcheck(*shapes), loc == loc)
        return self._safe_shapes(valid, shapes), loc, valid

    def mean(self, *args, **kwds):
        """Mean."""
        s, loc, valid = self._moments("mean", args, kwds)
        return wnp.where(valid, self._stats(*s)[0] + loc, np.nan)

    def var(self, *args, **kwds):
        """Variance."""
        s, loc, valid = self._moments("var", args, kwds)
        return wnp.where(valid, broadcast_like(self._stats(*s)[1], loc), np.nan)

    def std(self, *args, **kwds):
        """Standard deviation."""
        return wnp.sqrt(self.var(*args, **kwds))

    def entropy(self, *args, **kwds):
        """Entropy in nats (closed forms only: Bernoulli)."""
        if not hasattr(self, "_entropy"):
            raise WireTypeError(
                f"{self.name}.entropy is not implemented in wire.scipy.stats (SciPy sums it "
                f"numerically); see docs/scipy.md for the coverage{at(user_location())}"
            )
        s, loc, valid = self._moments("entropy", args, kwds)
        return wnp.where(valid, broadcast_like(self._entropy(*s), loc), np.nan)

    def support(self, *args, **kwds):
        """``(lower, upper)`` ends of the support."""
        s, loc, valid = self._moments("support", args, kwds)
        return (wnp.where(valid, self.lower + loc, np.nan),
                wnp.where(valid, self._upper(*s) + loc, np.nan))


# every public method of the two families, quiet on concrete arrays
for _cls, _names in ((ContinuousDistribution, ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf",
                                               "ppf", "isf", "mean", "var", "entropy",
                                               "median", "interval", "support")),
                     (DiscreteDistribution, ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf",
                                             "ppf", "isf", "median", "interval",
                                             "mean", "var", "entropy", "support"))):
    for _name in _names:
        setattr(_cls, _name, quiet(nan_propagating(getattr(_cls, _name))))
