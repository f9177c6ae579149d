"""Scratch arenas: buffers a compiled function keeps from call to call for its large
intermediate values, and the outputs it returned that nobody holds any more.

NumPy allocates every result afresh. With arrays of a few hundred kilobytes to a few
megabytes, glibc's ``malloc`` serves them from memory it maps and hands back to the system
over and over (heap trims, mapped chunks), and every page of a fresh buffer faults when it
is first written: in an MLP training step (1-3 MB arrays, float64) that is a sixth of the
step's time. The compiler (:mod:`wire.runtime.compiler`) therefore writes

* each large intermediate value that never leaves the function (not a graph output, no view
  of it reaches one, not an input or a constant, not shown to code outside wire) into a
  buffer of the function's *arena* — ``np.matmul(a, b, out=W0)``, ``np.tanh(x, W1)`` —
  instead of a new array;
* each large output it returns as it is into an array it returned before, when nothing
  references that one any more (the caller dropped it: no name, container, view, buffer
  export or weak reference reaches it; CPython's reference count says so exactly), else
  into a new one (``out=None``). The caller gets an array nobody else holds either way.

:func:`plan` assigns the buffers by liveness: one buffer serves every value of the same dtype
and size whose lives do not overlap (a value lives from the line that computes it to the last
line reading it or any view of it). A compiled function holds one :class:`Arena`: a free list
of buffer sets and, per recycled output, the arrays it returned lately. A call takes a set
(:func:`take`: the list's ``pop``, or a new set when the list is empty — a concurrent or a
recursive call) and gives it back at its end (:func:`give`, which keeps at most :data:`KEEP`
sets, and the last :data:`KEEP` arrays of each recycled output: at most :data:`HELD_BYTES`
in all); a call that raises drops its set. ``list.pop`` and ``list.append`` are atomic, so
threads never share a buffer.
Functions with no value of :data:`MIN_BYTES` or more get no arena code at all; arguments
that are not plain ndarrays or scalars (a subclass, another library's array) get no arena
buffers (``None``: NumPy allocates, and wraps results as it does without ``out``).

The values are bit for bit those of fresh arrays: the same NumPy loops and BLAS calls run on
buffers of the same shape, dtype and layout.

>>> layout, where = plan([("float64", (4, 4), 0, 2), ("float64", (16,), 3, 5),
...                       ("float64", (4, 4), 1, 4)])
>>> layout.buffers            # the first and second values share buffer 0
(('float64', 16), ('float64', 16))
>>> layout.views, where
(((0, (4, 4)), (1, (4, 4)), (0, (16,))), [0, 2, 1])
>>> arena = Arena(layout)
>>> bufs = take(arena)
>>> [b.shape for b in bufs], arena.nbytes
([(4, 4), (4, 4), (16,)], 256)
>>> give(arena, bufs)
>>> take(arena) is bufs
True
"""

from __future__ import annotations

import math
import sys
import weakref
from typing import NamedTuple

import numpy as np

__all__ = ["HELD_BYTES", "KEEP", "MIN_BYTES", "PEAK_SLACK_BYTES", "RECYCLE", "Arena", "Layout",
           "give", "held", "plan", "set_bytes", "release", "take", "without"]

MIN_BYTES = 1 << 17
"""Values of at least this many bytes go to the arena; smaller ones are allocated per call
(glibc serves them from its free lists without mapping memory or faulting pages)."""
KEEP = 2
"""Buffer sets an :class:`Arena` keeps between calls (more are made while that many calls
run at once, and dropped when they end), and arrays it keeps per recycled output."""
PEAK_SLACK_BYTES = 4 << 20
"""How much the arena may raise a function's peak memory: an arena buffer exists for the
whole call, a fresh array only while its value lives."""
HELD_BYTES = 1 << 28
"""At most this many bytes are held between calls per compiled function: larger buffer sets
are dropped at the end of each call, and outputs are recycled only within what is left. A
jitted function keeps to the same bound over all its signatures (``wire.jit`` releases the
arenas of the least recently called ones: see :func:`held`)."""


class Layout(NamedTuple):
    """What an arena holds: ``buffers``, one ``(dtype name, elements)`` per buffer, and
    ``views``, one ``(buffer number, shape)`` per name the code reads (a buffer serving values
    of several shapes has a view of each)."""

    buffers: tuple
    views: tuple

    @property
    def nbytes(self) -> int:
        return sum(np.dtype(d).itemsize * n for d, n in self.buffers)


def plan(lives) -> tuple[Layout, list[int]]:
    """The arena for values living ``(dtype name, shape, first line, last line)`` (lines
    inclusive) and, per value, the view it is written into: values of one dtype and size
    share a buffer when their lives do not overlap (greedy in order of first line, which
    uses as few buffers as any assignment can)."""
    order = sorted(range(len(lives)), key=lambda v: (lives[v][2], v))
    buffers: list[tuple[str, int]] = []
    free_after: list[int] = []  # per buffer: the last line of its latest value
    by_class: dict[tuple[str, int], list[int]] = {}
    views: dict[tuple[int, tuple], int] = {}
    where = [0] * len(lives)
    for v in order:
        dtype, shape, first, last = lives[v]
        size = math.prod(shape)
        pool = by_class.setdefault((dtype, size), [])
        b = next((b for b in pool if free_after[b] < first), None)
        if b is None:
            b = len(buffers)
            buffers.append((dtype, size))
            free_after.append(last)
            pool.append(b)
        free_after[b] = max(last, first)
        where[v] = views.setdefault((b, tuple(shape)), len(views))
    return Layout(tuple(buffers), tuple(views)), where


def without(layout: Layout, where: list, dropped: set) -> tuple[Layout, list]:
    """``layout`` without the buffers ``dropped``; ``where`` renumbered (``None`` for a value
    whose buffer was dropped)."""
    keep = [b for b in range(len(layout.buffers)) if b not in dropped]
    number = {b: k for k, b in enumerate(keep)}
    views, new = [], {}
    for v, (b, shape) in enumerate(layout.views):
        if b in number:
            new[v] = len(views)
            views.append((number[b], shape))
    return (Layout(tuple(layout.buffers[b] for b in keep), tuple(views)),
            [new.get(v) for v in where])


class Arena:
    """The free list of buffer sets of one compiled function, and the outputs it returned
    lately, per recycled output (see the module docstring)."""

    __slots__ = ("__weakref__", "free", "keep", "kept", "layout", "none")

    def __init__(self, layout: Layout, outputs: int = 0):
        self.layout = layout
        self.keep = KEEP * layout.nbytes <= HELD_BYTES  # (else: a new set per call)
        self.free: list[tuple] = []
        self.kept = tuple([] for _ in range(outputs))  # per recycled output, oldest first
        self.none = (None,) * (len(layout.views) + outputs)  # (for arguments NumPy's aren't)

    @property
    def nbytes(self) -> int:
        """Bytes of one buffer set (outputs kept for recycling not counted)."""
        return self.layout.nbytes

    def new(self) -> tuple:
        """A new buffer set: one array per view of the layout."""
        bufs = [np.empty(n, d) for d, n in self.layout.buffers]
        return tuple([bufs[b].reshape(shape) for b, shape in self.layout.views])

    def __repr__(self):
        return (f"<wire arena: {len(self.layout.buffers)} buffers, {self.nbytes} bytes, "
                f"{len(self.kept)} recycled outputs>")


_PLAIN = frozenset({np.ndarray, float, int, complex, bool})


def take(arena: Arena, *args) -> tuple:
    """What one call writes into: a kept buffer set (or a new one), then, per recycled
    output, an array it returned before that nothing references any more (or ``None``:
    NumPy allocates). All ``None`` when an argument is not a plain ndarray or a scalar (a
    subclass, another library's array: the function's NumPy calls must give what they give
    without an ``out``)."""
    plain = _PLAIN
    for a in args:
        if type(a) not in plain and not isinstance(a, np.generic):
            return arena.none
    try:
        bufs = arena.free.pop()
    except IndexError:
        bufs = arena.new()
    kept = arena.kept
    if kept:
        bufs = bufs + (tuple([_reclaim(k) for k in kept]) if RECYCLE else (None,) * len(kept))
    return bufs


def give(arena: Arena, bufs: tuple, *outs) -> None:
    """Give a call's buffer set back (kept while the arena holds fewer than :data:`KEEP`) and
    keep the outputs it returns (the last :data:`KEEP` of each)."""
    if bufs is arena.none:
        return
    if outs:
        for k, a in zip(arena.kept if RECYCLE else (), outs):
            k.append((a, a.shape, a.dtype, a.strides))  # (the caller may change them)
            if len(k) > KEEP:
                try:
                    k.pop(0)
                except IndexError:  # (another thread dropped one meanwhile)
                    pass
        bufs = bufs[:len(arena.layout.views)]
    free = arena.free
    if bufs and len(free) < KEEP and arena.keep:
        free.append(bufs)


def release(fn) -> None:
    """Drop the buffer sets and outputs the compiled function ``fn``'s arena keeps between
    calls (it has none: nothing to do); its next call makes new ones."""
    held = getattr(fn, "__globals__", {}).get("_arena")
    if isinstance(held, Arena):
        held.free.clear()
        for k in held.kept:
            k.clear()


def held(fn) -> int:
    """Bytes the arena of the compiled function ``fn`` holds between calls now: its kept
    buffer sets and the outputs it keeps for recycling (0 when it has no arena).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> f = wire.jit(lambda x: wnp.sum(wnp.tanh(x) * x))
    >>> _ = f(np.ones(1 << 16))
    >>> held(f.lower(np.ones(1 << 16)).compiled.fn)   # one set: tanh(x), 512 KiB
    524288
    """
    a = getattr(fn, "__globals__", {}).get("_arena")
    if not isinstance(a, Arena):
        return 0
    total = a.nbytes * len(a.free)
    for k in a.kept:
        for entry in list(k):  # (a copy: another thread may change the list)
            total += entry[0].nbytes
    return total


def set_bytes(fn) -> int:
    """Bytes of the buffer set that a call of the compiled function ``fn`` gives back to its
    arena (0 when it has no arena, or keeps no set: see :data:`HELD_BYTES`)."""
    a = getattr(fn, "__globals__", {}).get("_arena")
    return a.nbytes if isinstance(a, Arena) and a.keep else 0


def _reclaim(kept: list):
    """The oldest array of ``kept`` (entries ``(array, shape, dtype, strides)``) that nothing
    but this function references (the caller dropped it: no name, container, view, buffer
    export or weak reference reaches it), taken out of ``kept``, when it still has the shape,
    dtype and strides it was returned with and is writable (the caller may have set them);
    ``None`` when there is none."""
    for _ in range(len(kept)):
        try:
            entry = kept.pop(0)
        except IndexError:
            return None
        a = entry[0]
        # (the references: `a` here, the entry, and getrefcount's argument)
        if _refcount(a) == 3 and not _weakrefs(a):
            if (a.shape, a.dtype, a.strides) == entry[1:] and a.flags.writeable:
                return a
            continue  # (changed by its caller: dropped)
        kept.append(entry)  # still the caller's: looked at again next call
    return None


_refcount = getattr(sys, "getrefcount", None)
_weakrefs = weakref.getweakrefcount


def _reclaim_works() -> bool:
    """Whether :func:`_reclaim` takes an array that only its list holds and leaves one that
    a name holds too (an interpreter that counts references otherwise turns recycling off)."""
    if _refcount is None or sys.implementation.name != "cpython":
        return False
    def entry(a):
        return (a, a.shape, a.dtype, a.strides)

    alone = np.empty(1)
    ref = weakref.ref(alone)
    held = np.empty(1)
    return (_reclaim([entry(np.empty(1))]) is not None and _reclaim([entry(held)]) is None
            and _reclaim([entry(alone)]) is None and ref() is alone)


RECYCLE = getattr(sys, "_is_gil_enabled", lambda: True)() and _reclaim_works()
"""Whether outputs are recycled: CPython with its global lock, where an object's reference
count says exactly who still holds it."""
