"""Fused elementwise regions: a run of elementwise lines over big arrays, executed block by
block so that its intermediate values stay in the processor's cache.

The compiler emits one NumPy call per node; over arrays of many megabytes each call streams
its operands from memory and its result back. A *region* is a run of consecutive lines in
the compiled schedule whose nodes are elementwise (their emitter has a ``scalar`` form), all
of one shape ``S`` with at least :data:`MIN_ELEMENTS` elements, reading only values of shape
``S`` (sliced) or 0-d constants. The region becomes one loop over blocks of rows of about
:data:`BLOCK_ELEMENTS` elements; inside it the very same NumPy calls run on the block, writing
intermediates into small block buffers and the region's results (values read after it, or
returned) into their full arrays. Each element goes through the same ufunc loops with the same
dtypes as unfused, so results are bit for bit those of the unfused code.

Engines measured for this (``benchmarks/compile_latency.py`` and ``docs/performance.md``):
numexpr was slower than NumPy at every size on this machine (its ``sin``/``tanh`` are scalar
loops, and its arithmetic did not beat NumPy's in-place calls), numba is not installed here
and compiles in seconds. Blocked NumPy wins only on arrays larger than the cache
(about 20 % for a 6-op chain over 2**20 elements) and loses below (block overhead), hence the
threshold: ``wire.jit(f, fuse=True)`` (the default) fuses where it wins, ``fuse=False`` never.
"""

from __future__ import annotations

import math

import numpy as np

from .schedule import Slot

__all__ = ["BLOCK_ELEMENTS", "MIN_ELEMENTS", "regions", "region_lines", "release"]

MIN_ELEMENTS = 1 << 20  # arrays smaller than this run unfused (blocking costs more there)
BLOCK_ELEMENTS = 1 << 12  # elements per block: a few of them fit the L1/L2 cache


def _fusible(s: Slot) -> bool:
    node = s.node
    aval = node.aval
    return (s.emitter.scalar is not None and s.emitter.kind == "fresh" and s.emitter.inplace
            and not isinstance(aval, tuple) and aval.shape is not None
            and len(aval.shape) >= 1)


def _operand_ok(slots: list[Slot], j: int, shape: tuple, inside: set) -> bool:
    o = slots[j]
    if j in inside:
        return True
    if o.known:
        v = o.value
        return isinstance(v, np.ndarray) and (v.shape == () or v.shape == shape)
    aval = o.node.aval
    return not isinstance(aval, tuple) and aval.shape == shape and not o.folded


def regions(slots: list[Slot], emitted: list[int], min_elements: int = MIN_ELEMENTS):
    """``(first, last)`` line numbers (indices into ``emitted``) of each region: maximal
    runs of at least two consecutive fusible lines of one shape of ``min_elements`` or more
    elements.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> from wire.runtime.compiler import compile_graph
    >>> g = wire.trace(lambda x: wnp.tanh(x * 2.0) + x, np.ones((8, 3)))
    >>> print(compile_graph(g, fuse=16).source.splitlines()[5].split("#")[0].strip())
    for B_ in _range(0, 8, 8):
    """
    found = []
    k, n = 0, len(emitted)
    while k < n:
        s = slots[emitted[k]]
        if not _fusible(s) or math.prod(s.node.aval.shape) < min_elements:
            k += 1
            continue
        shape = s.node.aval.shape
        inside: set[int] = set()
        start = k
        while k < n:
            s = slots[emitted[k]]
            if not (_fusible(s) and s.node.aval.shape == shape
                    and all(_operand_ok(slots, j, shape, inside) for j in s.ins)):
                break
            inside.add(s.index)
            k += 1
        if k - start >= 2:
            found.append((start, k - 1))
        elif k == start:
            k += 1
    return found


def region_lines(slots: list[Slot], emitted: list[int], first: int, last: int, ctx, ref,
                 buffers: dict | None = None):
    """The lines running region ``emitted[first..last]`` block by block, and the node of
    each line (``None`` for the loop's own lines). Values read after the region (``last`` is
    later, or a graph output) get full arrays named as the slot (``buffers``: the names of
    scratch buffers some of them are written into, which may hold ``None`` at run time:
    then a new array); the others live in block buffers. (See :func:`regions` for an
    example.)"""
    members = emitted[first:last + 1]
    inside = set(members)
    shape = slots[members[0]].node.aval.shape
    n0 = shape[0]
    rows = min(n0, max(1, BLOCK_ELEMENTS // max(1, math.prod(shape[1:]))))
    keep = [i for i in members if slots[i].is_output or slots[i].last > last]
    lines, nodes = [], []
    ctx.set_global("_range", range, ("helper", "range"))
    for i in keep:
        s = slots[i]
        new = f"np.empty({shape!r}, {s.node.aval.dtype.name!r})"
        buf = (buffers or {}).get(i)
        lines.append(f"    {s.name} = {new}" if buf is None else
                     f"    {s.name} = {new} if {buf} is None else {buf}")
        nodes.append(None)
    temps = {}
    for i in members:
        if i not in keep:
            s = slots[i]
            temps[i] = f"T{s.name}"  # (generated names are lower case: no clash)
            block = (rows,) + tuple(shape[1:])
            lines.append(f"    {temps[i]} = np.empty({block!r}, {s.node.aval.dtype.name!r})")
            nodes.append(None)
    lines.append(f"    for B_ in _range(0, {n0}, {rows}):  # fused: {len(members)} lines")
    lines.append(f"        E_ = B_ + {rows}")
    lines.append(f"        if E_ > {n0}:")
    lines.append(f"            E_ = {n0}")
    nodes += [None] * 4

    def bref(j: int, user: int) -> str:
        if j in inside:
            return f"F{slots[j].name}"
        o = slots[j]
        if o.known and o.scalar is not None:  # a `full`: its scalar broadcasts the same
            return ctx.bind_const(o.scalar)
        if o.known and o.value.shape == ():
            return ref(j)
        return f"{ref(j)}[B_:E_]"

    for i in members:
        s = slots[i]
        out = f"{s.name}[B_:E_]" if i not in temps else f"{temps[i]}[:E_ - B_]"
        expr = s.emitter.expr(ctx, s.node, [bref(j, i) for j in s.ins], out)
        lines.append(f"        F{s.name} = {expr}")
        nodes.append(s.node)
    release(slots, members, first, last, lines, nodes)
    return lines, nodes


def release(slots: list[Slot], members: list[int], first: int, last: int, lines: list,
            nodes: list) -> None:
    """Append the ``del`` of the arrays that region ``members`` (lines ``first..last``) read
    for the last time, made outside it and not inputs or constants (a fused region of
    either kind releases them after it)."""
    inside = set(members)
    dying = [b for b in dict.fromkeys(slots[j].base for i in members for j in slots[i].ins)
             if b not in inside and not slots[b].known and not slots[b].is_input
             and first <= slots[b].last <= last]
    if dying:
        lines.append(f"    del {', '.join(slots[b].name for b in dying)}")
        nodes.append(None)
