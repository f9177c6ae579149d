"""Reduction primitives: sum, max, min, fmax, fmin, prod over static axes, argmax/argmin, and the pair
``sum_to_like``/``broadcast_like`` (reduce to / broadcast to a shape known only at run time).

Primitives take normalized non-negative ``axes`` (or ``None`` = all axes, used for values of
unknown shape) and never keep dims; ``wire.numpy`` adds ``keepdims`` with a reshape.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval, make_aval
from ..core.taylor import BY_JVP, COEFFICIENTWISE
from ..core.primitive import Primitive
from ..core import bind
from ..core.lowering import Emitter, IMPL_CALL, XpImpl, rank
from ..core.formula import ARRAYS_ONLY, NoFormula, identity
from .batching import argreduce_batch, reduction_batch
from .elementwise import convert, eq, isfinite, isinf, logical_and, select, sign
from .indexing import getitem
from .layout import (
    _known, broadcast_to, concatenate, example_ndim, example_shape, expand_rank, full,
    materialize, moveaxis,
    ones_like_, reshape, shape_of, to_front, transpose, zeros_like_,
)


def _reduced_shape(a, axes):
    if axes is None:
        return ()
    n = len(a.shape)
    for ax in axes:
        if not 0 <= ax < n:
            raise ShapeError(f"reduction axis {ax} is out of range for {a!r}")
    if len(axes) == n:  # everything: the common case
        return ()
    return tuple(d for i, d in enumerate(a.shape) if i not in axes)


def _reduce_shape(a, *, axes):
    return make_aval(_reduced_shape(a, axes), a.dtype)


def expand_back(ct, x, axes):
    """Broadcast a reduced value ``ct`` back to the shape of ``x`` (inverse of reducing ``axes``)."""
    if axes is None:
        return broadcast_like(ct, x)
    kept = [1 if i in axes else d for i, d in enumerate(x.shape)]
    return broadcast_to(reshape(ct, kept), x.shape)


def _reduce_sample(rng):
    x = rng.normal(size=(2, 3, 4))
    axes = [None, (0,), (1, 2), (2,), (0, 1, 2)][int(rng.integers(0, 5))]
    return [x], {"axes": axes}


# --------------------------------------------------------------------------- lowering


def _own_int_dtype(x):
    """``x``'s dtype where it is an integer or boolean one, else None: NumPy's sums and
    products of integers narrower than the platform's (and of booleans) default to that
    (``np.sum(int8_array)`` is int64), while the primitives keep their operand's dtype, as
    their shape rule says (``sum(a, dtype=np.int8)`` wraps, ``sum(a, dtype=bool)`` is an
    ``or``, as NumPy's are)."""
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None and dtype.kind in "iub" else None


def _reduce_emitter(ufunc) -> Emitter:
    """``ufunc.reduce(x, axes)`` for arrays of known rank (in the operand's integer dtype, see
    :func:`_own_int_dtype`), else a call of the impl."""

    def expr(ctx, node, args, out):
        (x,) = node.inputs
        if ctx.is_array(x) and rank(x):
            dtype = node.aval.dtype
            own = f", dtype={ctx.bind_numpy(dtype.type)}" if dtype.kind in "iub" else ""
            return f"{ctx.bind_numpy(ufunc)}.reduce({args[0]}, {node.params['axes']!r}{own})"
        return IMPL_CALL.expr(ctx, node, args, out)

    return Emitter(expr, "fresh")


def _reduce_xp(fname) -> XpImpl:
    def fn(bk, x, *, axes):
        return getattr(bk.xp, fname)(x, axis=None if axes is None else tuple(axes))

    return XpImpl(fn, fname)


# --------------------------------------------------------------------------- sum

reduce_sum_p = Primitive(
    "reduce_sum",
    lambda x, *, axes: np.sum(x, axis=axes, dtype=_own_int_dtype(x)),
    _reduce_shape,
    linear=True,
    vjp=lambda ct, out, x, *, axes: (expand_back(ct, x, axes),),
    jvp=lambda ts, out, x, *, axes: reduce_sum(ts[0], axes),
    batch=reduction_batch(lambda: reduce_sum_p),
    emit=_reduce_emitter(np.add),
    xp=_reduce_xp("sum"),
    sample=_reduce_sample,
    sympy=identity,
    taylor=COEFFICIENTWISE,
)


def reduce_sum(x, axes):
    if axes is not None:
        axes = tuple(sorted([int(a) for a in axes]))
        if not axes:
            return x
    return bind(reduce_sum_p, x, axes=axes)


# --------------------------------------------------------------------------- sum in a dtype
# ``np.sum(x, dtype=wider)``: NumPy casts x as its sum reads it, in buffers of ``np.getbufsize()``
# entries (8192) each summed pairwise and then added up, so past that many entries it is not
# the sum of x cast whole (``sum(float16_array, dtype=float32)`` over 20000 entries differs
# in the last bits). wire.numpy binds this only where that many entries are summed.


def _sum_as_xp(bk, x, *, axes, to):
    return bk.xp.sum(x, axis=None if axes is None else tuple(axes), dtype=bk.dtype(to))


reduce_sum_as_p = Primitive(
    "reduce_sum_as",
    lambda x, *, axes, to: np.sum(x, axis=axes, dtype=to),
    lambda a, *, axes, to: make_aval(_reduced_shape(a, axes), to),
    dtype=lambda d, *, axes, to: np.dtype(to),
    linear=True,
    vjp=lambda ct, out, x, *, axes, to: (convert(expand_back(ct, x, axes), x.dtype),),
    jvp=lambda ts, out, x, *, axes, to: reduce_sum_as(ts[0], axes, to),
    batch=reduction_batch(lambda: reduce_sum_as_p),
    xp=XpImpl(_sum_as_xp, "sum with dtype"),
    sample=lambda rng: ([rng.normal(size=(3, 4)).astype(np.float32)],
                        {"axes": (1,), "to": np.dtype(np.float64)}),
    doc="NumPy's sum of x over axes in dtype `to` (x cast in NumPy's buffered chunks)",
    sympy=NoFormula("a sum in another dtype: the cast of x, then its sum"),
    taylor=COEFFICIENTWISE,
)


def reduce_sum_as(x, axes, to):
    """NumPy's ``np.sum(x, axis=axes, dtype=to)`` of a float or complex ``x`` (``axes``
    sorted, or None for all)."""
    return bind(reduce_sum_as_p, x, axes=_sorted_axes(axes), to=np.dtype(to))


# --------------------------------------------------------------------------- max / min


def _extremum_share(out, x, axes, nan_skipped=False):
    """Where x attains the extremum, 1/count of such places (ties split the derivative
    evenly). ``nan_skipped`` (fmax/fmin): 0 in a slice of NaN only, where no entry equals its
    NaN result and the count is held at 1 to avoid 0/0."""
    hit = eq(x, expand_back(out, x, axes))
    mask = select(hit, ones_like_(x), zeros_like_(x))
    count = reduce_sum(mask, axes)
    if nan_skipped:
        count = select(eq(count, 0.0), ones_like_(count), count)
    return mask / expand_back(count, x, axes)


def _extremum(name, fn, ufunc, xp, doc, nan_skipped=False):
    def share(out, x, axes):
        return _extremum_share(out, x, axes, nan_skipped)

    prim = Primitive(
        name,
        lambda x, *, axes: fn(x, axis=axes),
        _reduce_shape,
        vjp=lambda ct, out, x, *, axes: (expand_back(ct, x, axes) * share(out, x, axes),),
        jvp=lambda ts, out, x, *, axes: reduce_sum(ts[0] * share(out, x, axes), axes),
        batch=reduction_batch(lambda: prim),
        emit=_reduce_emitter(ufunc),
        xp=xp,
        sample=_reduce_sample,
        doc=doc,
        sympy=identity,
        taylor=COEFFICIENTWISE,  # the shares are piecewise constant
    )
    return prim


_TIES = "at ties the derivative is split evenly between the tied entries"
reduce_max_p = _extremum("reduce_max", np.max, np.maximum, _reduce_xp("max"),
                         f"reduce_max over axes; {_TIES}")
reduce_min_p = _extremum("reduce_min", np.min, np.minimum, _reduce_xp("min"),
                         f"reduce_min over axes; {_TIES}")


# --------------------------------------------------------------------------- fmax / fmin
# ``np.fmax.reduce``/``np.fmin.reduce`` (what ``np.nanmax``/``np.nanmin`` compute): NaN entries
# are skipped, a slice of NaN only is NaN. They are primitives rather than ``max`` of the
# input with NaN replaced by -inf, because NumPy's ``fmax.reduce`` and ``max`` keep different
# zeros at a tie of 0.0 and -0.0 (``fmax.reduce([0.0, -0.0])`` is 0.0, ``max`` gives -0.0).


def _fextremum_xp(fname, fill) -> XpImpl:
    """The Array-API form: the extremum of the entries with NaN replaced by ``fill``, NaN
    where every entry of the slice is NaN."""

    def fn(bk, x, *, axes):
        xp = bk.xp
        axis = None if axes is None else tuple(axes)
        nan = xp.isnan(x)
        out = getattr(xp, fname)(xp.where(nan, xp.full_like(x, fill), x), axis=axis)
        return xp.where(xp.all(nan, axis=axis), xp.full_like(out, float("nan")), out)

    return XpImpl(fn, f"{fname} of the non-NaN entries")


def _fextremum(name, ufunc, fname, fill):
    return _extremum(
        name, ufunc.reduce, ufunc, _fextremum_xp(fname, fill),
        f"{ufunc.__name__}.reduce over axes (NaN skipped; NaN for a slice of NaN only); "
        f"{_TIES}, 0 for NaN entries", nan_skipped=True)


reduce_fmax_p = _fextremum("reduce_fmax", np.fmax, "max", -np.inf)
reduce_fmin_p = _fextremum("reduce_fmin", np.fmin, "min", np.inf)


# --------------------------------------------------------------------------- with initial, where
# ``np.max(x, initial=i, where=m)`` and the like: which of 0.0 and -0.0 NumPy returns at a tie
# with ``initial`` or among the selected entries depends on its loops (SIMD or not, masked or
# not, by dtype), so these primitives run NumPy's own reduction with ``initial`` and ``where``
# rather than combining a plain reduction with ``initial``.


def _masked_share(out, x, mask, axes):
    """As :func:`_extremum_share`, over the entries selected by ``mask``; 0 everywhere where
    ``initial`` alone is the result (or the slice is NaN only)."""
    hit = logical_and(eq(x, expand_back(out, x, axes)), mask)
    share = select(hit, ones_like_(x), zeros_like_(x))
    count = reduce_sum(share, axes)
    count = select(eq(count, 0.0), ones_like_(count), count)
    return share / expand_back(count, x, axes)


def _masked_batch(get):
    """Batch axis to the front, counted in ``lead``: the impl reduces example by example, as
    NumPy's loops for a 2-D array pick other zeros at ties than for each row alone."""

    def rule(args, dims, *, axes, initial, lead):
        size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
        x, mask = (materialize(a, d, size) for a, d in zip(args, dims))
        nd = len(shape_of(x))
        axes = tuple(range(lead + 1, nd)) if axes is None else tuple(a + 1 for a in axes)
        return bind(get(), x, mask, axes=axes, initial=initial, lead=lead + 1), 0

    return rule


def _masked_impl(fn):
    def impl(x, mask, *, axes, initial, lead):
        kw = {} if initial is None else {"initial": initial}
        if fn is np.sum:  # in x's own dtype (NumPy's sum of booleans would count)
            kw["dtype"] = np.asarray(x).dtype
        if not lead:
            return fn(x, axis=axes, where=mask, **kw)
        x, mask = np.asarray(x), np.broadcast_to(mask, np.shape(x))
        ex_axes = tuple(a - lead for a in axes)
        lead_shape, ex = x.shape[:lead], x.shape[lead:]
        out_shape = lead_shape + tuple(d for i, d in enumerate(ex) if i not in ex_axes)
        n = int(np.prod(lead_shape, dtype=np.int64))
        xs, ms = x.reshape((n,) + ex), mask.reshape((n,) + ex)
        outs = [fn(xi, axis=ex_axes, where=mi, **kw) for xi, mi in zip(xs, ms)]
        return np.array(outs, dtype=x.dtype).reshape(out_shape)

    return impl


def _masked_xp(fname, skip_nan):
    """The Array-API form: the extremum of the selected entries and ``initial`` (unselected,
    and for fmax/fmin NaN, entries replaced by ``initial``)."""

    def fn(bk, x, mask, *, axes, initial, lead):
        xp = bk.xp
        keep = xp.logical_and(mask, xp.logical_not(xp.isnan(x))) if skip_nan else mask
        filled = xp.where(keep, x, xp.full_like(x, initial))
        return getattr(xp, fname)(filled, axis=None if axes is None else tuple(axes))

    return XpImpl(fn, f"{fname} and where")


def _masked_extremum(name, fn):
    fname = "max" if "max" in name else "min"
    prim = Primitive(
        name,
        _masked_impl(fn),
        lambda a, m, *, axes, initial, lead: make_aval(_reduced_shape(a, axes), a.dtype),
        vjp=lambda ct, out, x, mask, *, axes, initial, lead: (
            expand_back(ct, x, axes) * _masked_share(out, x, mask, axes), None),
        jvp=lambda ts, out, x, mask, *, axes, initial, lead: reduce_sum(
            ts[0] * _masked_share(out, x, mask, axes), axes),
        batch=_masked_batch(lambda: prim),
        sample=lambda rng: ([rng.normal(size=(2, 3)), rng.random((2, 3)) < 0.5],
                            {"axes": (1,), "initial": 0.5, "lead": 0}),
        doc=f"NumPy's {name[:-6]} with initial and a where mask (x's shape), example by "
            f"example below ``lead`` batch axes; {_TIES}, 0 where initial alone is the result",
        taylor=COEFFICIENTWISE,
        xp=_masked_xp(fname, name.startswith("reduce_f")),
        sympy=NoFormula("a reduction with a where mask: not in graphs of scalars"),
    )
    return prim


def _sum_where_xp(bk, x, mask, *, axes, initial, lead):
    xp = bk.xp
    total = xp.sum(xp.where(mask, x, xp.zeros_like(x)), axis=None if axes is None else tuple(axes),
                   dtype=x.dtype)
    return total if initial is None else total + initial


def _sum_where_vjp(ct, out, x, mask, *, axes, initial, lead):
    return select(mask, expand_back(ct, x, axes), zeros_like_(x)), None


reduce_sum_where_p = Primitive(
    "reduce_sum_where",
    _masked_impl(np.sum),
    lambda a, m, *, axes, initial, lead: make_aval(_reduced_shape(a, axes), a.dtype),
    vjp=_sum_where_vjp,
    jvp=lambda ts, out, x, mask, *, axes, initial, lead: reduce_sum(
        select(mask, ts[0], zeros_like_(ts[0])), axes),
    batch=_masked_batch(lambda: reduce_sum_where_p),
    sample=lambda rng: ([rng.normal(size=(2, 3)), rng.random((2, 3)) < 0.5],
                        {"axes": (1,), "initial": 0.5, "lead": 0}),
    doc="NumPy's sum (in x's dtype) with initial (or None) and a where mask (x's shape), "
        "example by example below ``lead`` batch axes: its order of additions (initial plus "
        "the pairwise sum of a row; one by one along other axes and under a mask) and zeros",
    taylor=COEFFICIENTWISE,
    xp=XpImpl(_sum_where_xp, "sum and where"),
    sympy=NoFormula("a reduction with a where mask: not in graphs of scalars"),
)


def reduce_sum_where(x, mask, axes, initial):
    """NumPy's ``sum`` of ``x`` (in its dtype) over ``axes`` with ``initial`` (a Python number
    or None) and the ``where`` mask ``mask`` (``x``'s shape)."""
    return bind(reduce_sum_where_p, x, mask, axes=_sorted_axes(axes), initial=initial, lead=0)


reduce_max_where_p = _masked_extremum("reduce_max_where", np.max)
reduce_min_where_p = _masked_extremum("reduce_min_where", np.min)
reduce_fmax_where_p = _masked_extremum("reduce_fmax_where", np.fmax.reduce)
reduce_fmin_where_p = _masked_extremum("reduce_fmin_where", np.fmin.reduce)
EXTREMA_WHERE = {"max": reduce_max_where_p, "min": reduce_min_where_p,
                 "fmax": reduce_fmax_where_p, "fmin": reduce_fmin_where_p}


def reduce_extremum_where(kind, x, mask, axes, initial):
    """NumPy's ``max``/``min``/``fmax.reduce``/``fmin.reduce`` of ``x`` over ``axes`` (or all)
    starting from ``initial`` (a Python number in ``x``'s dtype) and taking the entries where
    ``mask`` (``x``'s shape) holds."""
    return bind(EXTREMA_WHERE[kind], x, mask, axes=_sorted_axes(axes), initial=initial,
                lead=0)


def _sorted_axes(axes):
    return axes if axes is None else tuple(sorted(int(a) for a in axes))


def reduce_max(x, axes):
    return bind(reduce_max_p, x, axes=_sorted_axes(axes))


def reduce_min(x, axes):
    return bind(reduce_min_p, x, axes=_sorted_axes(axes))


def reduce_fmax(x, axes):
    return bind(reduce_fmax_p, x, axes=_sorted_axes(axes))


def reduce_fmin(x, axes):
    return bind(reduce_fmin_p, x, axes=_sorted_axes(axes))


# --------------------------------------------------------------------------- prod


def _prod_partial(out, x, axes):
    """d prod / d x_i = the product of the other entries of x_i's slice.

    Built from exclusive prefix and suffix products (multiplications only, no division and
    no test for zeros), so it is exact where entries are zero or infinite and so are its
    own derivatives: the Hessian of ``prod([0, 0, 2])`` has 2 off the diagonal.
    """
    if x.shape is None:  # unknown shape: the division form (exact only without zeros)
        is_zero = eq(x, 0.0)
        safe_x = select(is_zero, ones_like_(x), x)
        return select(is_zero, zeros_like_(x), expand_back(out, x, axes) / safe_x)
    axes = tuple(range(x.ndim)) if axes is None else tuple(axes)
    kept = [i for i in range(x.ndim) if i not in axes]
    perm = kept + list(axes)
    n = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    if n <= 1:
        return ones_like_(x)
    lead = tuple(x.shape[i] for i in kept)
    flat = reshape(transpose(x, tuple(perm)), lead + (n,))
    others = _others_product(flat)
    others = reshape(others, tuple(x.shape[i] for i in perm))
    return transpose(others, tuple(int(i) for i in np.argsort(perm)))


def _times_partial(t, partial):
    """``t * partial``, exactly 0 where ``t`` is 0: a direction along which an entry does not
    move adds nothing, also where that entry's partial overflowed to inf (``jacfwd(prod)`` at
    ``[0, 1e300, 1e300]`` is ``[inf, 0, 0]`` as ``jacrev``'s, not ``[inf, nan, nan]``)."""
    return select(eq(t, 0.0), zeros_like_(partial), t * partial)


def _others_product(y):
    """``out[..., i]`` = the product of ``y[..., j]``, ``j != i``, with no ``0 * inf`` where the
    exact product is 0: the zeros are multiplied separately from the rest (``b``, ±0 or 1),
    and where the rest overflowed to ±inf (``a``) beside a zero only its sign is kept, so
    ``prod'([0, 0, 1e300, 1e300])`` is 0 throughout (it was NaN); a true inf or NaN among
    the others still gives NaN beside a zero, as the exact product does."""
    if np.dtype(y.dtype).kind != "f":  # complex: the plain product of the others
        return _exclusive_both(y)
    zero = eq(y, 0.0)
    one = ones_like_(y)
    parts = (select(zero, one, y), select(zero, y, one), select(isfinite(y), one, y))
    # one scan over the three stacked (few nodes): a the others without their zeros, b their
    # zeros, c finite iff the others all are
    both = _exclusive_both(concatenate([reshape(p, (1,) + y.shape) for p in parts], 0))
    a, b, c = (reshape(getitem(both, [], (("s", k, k + 1, None), ("e",))), y.shape)
               for k in range(3))
    overflowed = logical_and(logical_and(eq(b, 0.0), isinf(a)), isfinite(c))
    # beside a zero an overflowed a counts as the largest finite number of its sign, so
    # the value is ±0 and the derivative in that zero saturates (the exact one is ~ inf)
    big = b * (sign(a) * float(np.finfo(y.dtype).max))
    # a alone where no zero is among the others (b is 1): its derivative has no inf * 0
    # (and a only where it is taken into a * b: an unused inf would make the reverse
    # derivative 0 * inf)
    return select(eq(b, 1.0), a, select(overflowed, big, select(overflowed, one, a) * b))


def _exclusive_both(y):
    """``out[..., i]`` = the product of ``y[..., j]``, ``j != i`` (``n >= 2`` entries), as the
    inclusive prefix product before ``i`` times the inclusive suffix product after it; the
    two ends take one of them alone. No factor is a constant 1: ``1 * inf`` has the tangent
    ``0 * inf``, NaN, where the exact one is finite (the Hessian of ``prod([1e300, 1e300,
    2.0])`` had a row of NaN)."""
    n = y.shape[-1]
    last = len(y.shape) - 1
    fwd = _inclusive_products(_part(y, 0, n - 1), reverse=False)
    rev = _inclusive_products(_part(y, 1, n), reverse=True)
    pieces = [_part(rev, 0, 1)]
    if n > 2:
        pieces.append(_part(fwd, 0, n - 2) * _part(rev, 1, n - 1))
    pieces.append(_part(fwd, n - 2, n - 1))
    return concatenate(pieces, last)


def _part(v, lo, hi):
    """``v[..., lo:hi]``."""
    return getitem(v, [], (("e",), ("s", lo, hi, None)))


def _inclusive_products(y, reverse: bool):
    """``out[..., i] = prod(y[..., :i + 1])`` (or of ``y[..., i:]`` when ``reverse``), by a
    Hillis–Steele scan of ``ceil(log2 n)`` multiplications of shifted copies; the first ``k``
    entries of step ``k`` are kept as they are (not multiplied by a padding of ones)."""
    n = y.shape[-1]
    flip = (("e",), ("s", None, None, -1))
    if reverse:
        y = getitem(y, [], flip)
    last = len(y.shape) - 1
    k = 1
    while k < n:
        y = concatenate([_part(y, 0, k), _part(y, k, n) * _part(y, 0, n - k)], last)
        k *= 2
    return getitem(y, [], flip) if reverse else y


reduce_prod_p = Primitive(
    "reduce_prod",
    lambda x, *, axes: np.prod(x, axis=axes, dtype=_own_int_dtype(x)),
    _reduce_shape,
    vjp=lambda ct, out, x, *, axes: (expand_back(ct, x, axes) * _prod_partial(out, x, axes),),
    jvp=lambda ts, out, x, *, axes: reduce_sum(_times_partial(ts[0], _prod_partial(out, x, axes)),
                                               axes),
    batch=reduction_batch(lambda: reduce_prod_p),
    emit=_reduce_emitter(np.multiply),
    xp=_reduce_xp("prod"),
    sample=_reduce_sample,
    sympy=identity,
    taylor=BY_JVP,
)


def reduce_prod(x, axes):
    return bind(reduce_prod_p, x, axes=_sorted_axes(axes))


# ``np.prod(x, where=mask)``: NumPy multiplies each run of selected entries of a row in its
# inner loop (float16 in float32, rounded at the run's end; complex by its reduction loop) and
# the rows one by one, so no product of the entries with 1 in the unselected places gives its
# value; this primitive runs NumPy's own masked product.


def _prod_where_partial(x, mask, axes, initial):
    """d prod / d x_i over the selected entries: the product of the other selected ones (and
    ``initial``), 0 at the unselected ones."""
    partial = _prod_partial(None, select(mask, x, ones_like_(x)), axes)
    if initial is not None:
        partial = partial * initial
    return select(mask, partial, zeros_like_(x))


reduce_prod_where_p = Primitive(
    "reduce_prod_where",
    _masked_impl(np.prod),
    lambda a, m, *, axes, initial, lead: make_aval(_reduced_shape(a, axes), a.dtype),
    vjp=lambda ct, out, x, mask, *, axes, initial, lead: (
        expand_back(ct, x, axes) * _prod_where_partial(x, mask, axes, initial), None),
    jvp=lambda ts, out, x, mask, *, axes, initial, lead: reduce_sum(
        _times_partial(ts[0], _prod_where_partial(x, mask, axes, initial)), axes),
    batch=_masked_batch(lambda: reduce_prod_where_p),
    sample=lambda rng: ([rng.normal(size=(2, 3)), rng.random((2, 3)) < 0.5],
                        {"axes": (1,), "initial": 0.5, "lead": 0}),
    doc="NumPy's prod (in x's dtype) with initial (or None) and a where mask (x's shape), "
        "example by example below ``lead`` batch axes: its runs of selected entries",
    taylor=BY_JVP,
    xp=XpImpl(lambda bk, x, mask, *, axes, initial, lead: _prod_where_xp(bk, x, mask, axes,
                                                                          initial), "prod and where"),
    sympy=NoFormula("a reduction with a where mask: not in graphs of scalars"),
)


def _prod_where_xp(bk, x, mask, axes, initial):
    xp = bk.xp
    total = xp.prod(xp.where(mask, x, xp.ones_like(x)), axis=None if axes is None else tuple(axes),
                    dtype=x.dtype)
    return total if initial is None else total * initial


def reduce_prod_where(x, mask, axes, initial):
    """NumPy's ``prod`` of ``x`` (in its dtype) over ``axes`` with ``initial`` (a Python number
    or None) and the ``where`` mask ``mask`` (``x``'s shape)."""
    return bind(reduce_prod_where_p, x, mask, axes=_sorted_axes(axes), initial=initial, lead=0)


# --------------------------------------------------------------------------- argmax / argmin


def _arg_shape(a, *, axis):
    axes = None if axis is None else (axis,)
    return make_aval(_reduced_shape(a, axes), np.intp)


def _arg_sample(rng):
    return [rng.normal(size=(3, 4))], {"axis": [None, 0, 1][int(rng.integers(0, 3))]}


argmax_p = Primitive(
    "argmax", lambda x, *, axis: np.argmax(x, axis=axis), _arg_shape,
    dtype=lambda d, *, axis: np.dtype(np.intp), nondiff=True,
    batch=argreduce_batch(lambda: argmax_p), sample=_arg_sample,
    xp=XpImpl(lambda bk, x, *, axis: bk.xp.argmax(x, axis=axis), "argmax"),
    sympy=ARRAYS_ONLY,
)
argmin_p = Primitive(
    "argmin", lambda x, *, axis: np.argmin(x, axis=axis), _arg_shape,
    dtype=lambda d, *, axis: np.dtype(np.intp), nondiff=True,
    batch=argreduce_batch(lambda: argmin_p), sample=_arg_sample,
    xp=XpImpl(lambda bk, x, *, axis: bk.xp.argmin(x, axis=axis), "argmin"),
    sympy=ARRAYS_ONLY,
)


def argmax(x, axis):
    return bind(argmax_p, x, axis=axis)


def argmin(x, axis):
    return bind(argmin_p, x, axis=axis)


# --------------------------------------------------------------------------- sum_to / broadcast_like
# Un-broadcasting (the transpose of broadcasting), also for values whose shape is known only
# when the graph runs (a ``wire.var`` declared without a shape).


def broadcast_like_batch(args, dims):
    """``broadcast_like(x, like)`` depends on ``like`` only through its (example) shape."""
    (x, like), (dx, dl) = args, dims
    shape = example_shape(like, dl)
    if dx is None:
        return broadcast_to(x, shape), None
    x = expand_rank(to_front(x, dx), len(shape))
    return broadcast_to(x, shape_of(x)[:1] + tuple(shape)), 0


def sum_to_like_batch(args, dims):
    """``sum_to_like(x, like)``: sum each example of ``x`` down to ``like``'s example shape."""
    (x, like), (dx, dl) = args, dims
    shape = example_shape(like, dl)
    if dx is None:
        return sum_to_shape(x, shape), None
    # Put the batch axis right after the leading axes that get summed away; then summing to
    # (size, *shape) sums exactly each example's broadcast axes.
    lead = max(example_ndim(x, dx) - len(shape), 0)
    x = moveaxis(x, dx, lead)
    size = shape_of(x)[lead]
    return sum_to_shape(x, (size,) + shape), 0


def sum_to_shape(x, shape):
    """Sum ``x`` over broadcast axes so it has ``shape`` (the transpose of broadcasting)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = len(x.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    y = reduce_sum(x, axes) if axes else x
    return reshape(y, shape)


def _np_sum_to(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    return np.sum(x, axis=axes).reshape(shape) if axes else np.reshape(x, shape)


def _sum_to_like_xp(bk, x, like):
    shape = tuple(like.shape)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    y = bk.xp.sum(x, axis=axes) if axes else x
    return bk.xp.reshape(y, shape)


broadcast_like_p = Primitive(
    "broadcast_like",
    lambda x, like: np.broadcast_to(x, np.shape(like)),
    lambda a, like: make_aval(like.shape, a.dtype),
    dtype=lambda a, like: a,
    vjp=lambda ct, out, x, like: (sum_to_like(ct, x), None),
    jvp=lambda ts, out, x, like: None if ts[0] is None else broadcast_like(ts[0], like),
    batch=broadcast_like_batch,
    xp=XpImpl(lambda bk, x, like: bk.xp.broadcast_to(x, tuple(like.shape)), "broadcast_to"),
    sample=lambda rng: ([rng.normal(size=(3, 1)), rng.normal(size=(2, 3, 4))], {}),
    doc="broadcast x to the run-time shape of `like` (for values of unknown shape)",
    sympy=identity,
    taylor=COEFFICIENTWISE,
)

sum_to_like_p = Primitive(
    "sum_to_like",
    lambda x, like: _np_sum_to(np.asarray(x), np.shape(like)),
    lambda a, like: make_aval(like.shape, a.dtype),
    dtype=lambda a, like: a,
    vjp=lambda ct, out, x, like: (broadcast_like(ct, x), None),
    jvp=lambda ts, out, x, like: None if ts[0] is None else sum_to_like(ts[0], like),
    batch=sum_to_like_batch,
    xp=XpImpl(_sum_to_like_xp, "sum / reshape"),
    sample=lambda rng: ([rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 1))], {}),
    doc="sum x down to the run-time shape of `like` (for values of unknown shape)",
    sympy=identity,
    taylor=COEFFICIENTWISE,
)


def broadcast_like(x, like):
    if _known(x) and _known(like):
        return broadcast_to(x, like.shape)
    return bind(broadcast_like_p, x, like)


def sum_to_like(x, like):
    if _known(x) and _known(like):
        return sum_to_shape(x, like.shape)
    return bind(sum_to_like_p, x, like)
