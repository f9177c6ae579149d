"""``einsum`` of ``wire.numpy``: any subscripts (implicit or explicit output, ellipsis,
repeated indices), lowered to diagonals (gathers), sums, transposes, reshapes and batched
``matmul`` — pairwise, in the contraction order NumPy's ``einsum_path`` picks.
"""

from __future__ import annotations

import builtins
import string

import numpy as np

from ..errors import ShapeError, WireError, WireTypeError, WireValueError, at, user_location
from ..ops import matmul as L
from ..ops import shape as S
from ..core import Tracer
from ._promote import cast, promote, refuse_out
from ._reductions import sum
from ._shape import broadcast_to, reshape, transpose

__all__ = ["einsum", "einsum_path"]

einsum_path = np.einsum_path


def _shape(x):
    return x.shape if isinstance(x, Tracer) else np.shape(x)


def _parse(subscripts: str, shapes):
    """Explicit per-operand letter lists and the output letters, with ``...`` expanded."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise WireError(f"einsum: {len(terms)} subscripts for {len(shapes)} operands{at(user_location())}")
    used = set(subscripts) - set(".,->")
    spare = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in used]
    ell_rank = 0
    for t, s in zip(terms, shapes):
        if "..." in t:
            ell_rank = builtins.max(ell_rank, len(s) - (len(t) - 3))
    ell = spare[:ell_rank]
    letters = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            a, b = t.split("...")
            letters.append(list(a) + ell[ell_rank - k:] + list(b))
        else:
            letters.append(list(t))
        if len(letters[-1]) != len(s):
            raise ShapeError(f"einsum: subscripts {t!r} do not match an operand of shape {tuple(s)}"
                             f"{at(user_location())}")
    if out is None:
        counts = {}
        for ls in letters:
            for c in ls:
                counts[c] = counts.get(c, 0) + 1
        out_letters = [c for c in ell] + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    else:
        if "..." in out:
            a, b = out.split("...")
            out_letters = list(a) + ell + list(b)
        else:
            out_letters = list(out)
    return letters, out_letters


def _diagonalize(x, ls):
    """Take diagonals for letters repeated within one operand."""
    while len(set(ls)) != len(ls):
        c = next(c for c in ls if ls.count(c) > 1)
        i = ls.index(c)
        j = ls.index(c, i + 1)
        rest = [k for k in range(len(ls)) if k not in (i, j)]
        x = transpose(x, rest + [i, j])
        n = x.shape[-1]
        ar = np.arange(n)
        x = S.getitem(x, [ar, ar], (("e",), ("a", 0), ("a", 1)))
        ls = [ls[k] for k in rest] + [c]
    return x, ls


def _sum_out(x, ls, keep):
    axes = [k for k, c in enumerate(ls) if c not in keep]
    if axes:  # in the operands' dtype, as NumPy's einsum (sum widens small integers and bool)
        x = sum(x, axis=tuple(axes), dtype=x.dtype)
        ls = [c for c in ls if c in keep]
    return x, ls


def _contract(x, lx, y, ly, keep):
    """Contract two operands over shared letters not in ``keep`` with one batched matmul."""
    batch = [c for c in lx if c in ly and c in keep]
    contr = [c for c in lx if c in ly and c not in keep]
    fx = [c for c in lx if c not in ly]
    fy = [c for c in ly if c not in lx]
    size = {c: d for c, d in zip(lx, _shape(x))}
    size.update({c: d for c, d in zip(ly, _shape(y))})
    xp = transpose(x, [lx.index(c) for c in batch + fx + contr])
    yp = transpose(y, [ly.index(c) for c in batch + contr + fy])
    bshape = tuple(size[c] for c in batch)
    m = int(np.prod([size[c] for c in fx], dtype=np.int64))
    k = int(np.prod([size[c] for c in contr], dtype=np.int64))
    n = int(np.prod([size[c] for c in fy], dtype=np.int64))
    xp = reshape(xp, bshape + (m, k))
    yp = reshape(yp, bshape + (k, n))
    if not isinstance(xp, Tracer):
        xp = S.to_tracer(np.asarray(xp))
    out = L.matmul(xp, yp)
    out = reshape(out, bshape + tuple(size[c] for c in fx) + tuple(size[c] for c in fy))
    return out, batch + fx + fy


def _letter(k) -> str:
    if isinstance(k, (int, np.integer)) and 0 <= int(k) < 52:
        return string.ascii_letters[int(k)]
    raise WireError(f"einsum: sublist entries must be integers in [0, 52) or Ellipsis, got {k!r}"
                    f"{at(user_location())}")


def _sublist(sub) -> str:
    return "".join("..." if k is Ellipsis else _letter(k) for k in sub)


def _from_sublists(args):
    """NumPy's operand/sub-list form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as a subscript
    string and its operands."""
    out = _sublist(args[-1]) if len(args) % 2 else None
    pairs = args[:-1] if len(args) % 2 else args
    ops, spec = list(pairs[0::2]), ",".join(_sublist(s) for s in pairs[1::2])
    return (spec if out is None else f"{spec}->{out}"), ops


def einsum(*operands, out=None, optimize=False, **kwargs):
    """Einstein summation, NumPy's ``einsum``: the subscript-string form and the
    operand/sub-list form (``einsum(a, [0, 1], b, [1, 2])``). On traced values the pairwise
    contraction order is ``einsum_path``'s (``"greedy"`` unless ``optimize`` names another); on
    concrete arrays ``optimize`` goes to NumPy as given.

    >>> a = np.arange(6.0).reshape(2, 3)
    >>> einsum("ij,kj->ik", a, a)
    array([[ 5., 14.],
           [14., 50.]])
    >>> float(einsum("ii", np.eye(3)))
    3.0
    >>> einsum(a, [0, 1], [1, 0]).shape
    (3, 2)
    """
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _from_sublists(operands)
    if not builtins.any(isinstance(o, Tracer) for o in ops):
        return np.einsum(subscripts, *ops, out=out, optimize=optimize, **kwargs)
    refuse_out(out, "einsum")
    dtype, casting = kwargs.pop("dtype", None), kwargs.pop("casting", "safe")
    kwargs.pop("order", None)  # a memory layout: no effect on the values
    if kwargs:
        raise WireTypeError(f"einsum() got unexpected keyword arguments {sorted(kwargs)}"
                            f"{at(user_location())}")
    ops = promote(*ops)
    if dtype is not None:
        have = ops[0].dtype if ops else np.dtype(np.float64)
        if not np.can_cast(have, dtype, casting):  # NumPy's rule: 'safe' unless told
            raise WireTypeError(f"einsum: cannot cast {have} operands to dtype "
                                f"{np.dtype(dtype)} under casting={casting!r}"
                                f"{at(user_location())}")
        ops = [cast(o, dtype) for o in ops]
    shapes = [_shape(o) for o in ops]
    letters, out_letters = _parse(subscripts, shapes)
    size = {}
    for ls, s in zip(letters, shapes):
        for c, d in zip(ls, s):
            if size.get(c, 1) != 1 and d != 1 and size[c] != d:
                raise ShapeError(f"einsum: index {c!r} has sizes {size[c]} and {d}{at(user_location())}")
            if d != 1 or c not in size:
                size[c] = d
    ops = [broadcast_to(o, tuple(size[c] for c in ls)) if tuple(_shape(o)) != tuple(size[c] for c in ls)
           else o for o, ls in zip(ops, letters)]
    items = []
    for o, ls in zip(ops, letters):
        o, ls = _diagonalize(o, list(ls))
        items.append((o, ls))

    def needed(exclude):
        keep = set(out_letters)
        for k, (_, ls) in enumerate(items):
            if k not in exclude:
                keep |= set(ls)
        return keep

    for k in range(len(items)):
        o, ls = items[k]
        items[k] = _sum_out(o, ls, needed({k}))
    if len(items) > 1:
        dummies = [np.broadcast_to(np.zeros((), np.float64), tuple(size[c] for c in ls))
                   for _, ls in items]
        spec = ",".join("".join(ls) for _, ls in items) + "->" + "".join(out_letters)
        path = np.einsum_path(spec, *dummies, optimize=optimize or "greedy")[0][1:]
        for pair in path:
            if len(pair) == 1:
                continue
            i, j = sorted(pair)[:2]
            (x, lx), (y, ly) = items[i], items[j]
            rest = [it for k, it in enumerate(items) if k not in (i, j)]
            keep = set(out_letters)
            for _, ls in rest:
                keep |= set(ls)
            x, lx = _sum_out(x, lx, keep | set(ly))
            y, ly = _sum_out(y, ly, keep | set(lx))
            items = rest + [_contract(x, lx, y, ly, keep)]
        while len(items) > 1:
            (x, lx), (y, ly) = items[0], items[1]
            keep = set(out_letters)
            for _, ls in items[2:]:
                keep |= set(ls)
            items = [_contract(x, lx, y, ly, keep)] + items[2:]
    x, ls = items[0]
    x, ls = _sum_out(x, ls, set(out_letters))
    if sorted(ls) != sorted(out_letters):
        raise WireValueError(f"einsum: output subscripts {''.join(out_letters)!r} are not valid"
                        f"{at(user_location())}")
    if not isinstance(x, Tracer):
        return np.asarray(x)
    return transpose(x, [ls.index(c) for c in out_letters])
