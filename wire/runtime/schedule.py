"""The compiler's view of a graph, one :class:`Slot` per node, and the memory-aware execution
order it runs the nodes in (:func:`schedule`).

Greedy list scheduling: among the nodes whose inputs are ready, those that do not grow the
live set run first (largest net release first); the rest follow the graph's canonical
topological order. A node's cost is the bytes it allocates (zero for views and for graph
outputs, which exist at the end anyway) minus the bytes of the buffers it releases (buffers
whose every alias has no other pending use), so a reverse pass releases each activation as
soon as it has been consumed. Deterministic; O(E log N). Graphs whose every value is a
scalar keep the canonical order (:data:`SMALL_VALUE_BYTES`).
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from ..core.lowering import IMPL_CALL, UFUNC, Emitter
from ..errors import WireError
from ..ir import Graph, Node

SMALL_VALUE_BYTES = 16
"""Graphs whose every value is at most this big (0-d, complex128 included) run in the
canonical topological order: ordering by bytes released cannot save memory worth its cost."""


def emitter_for(node: Node) -> Emitter:
    """How ``node`` becomes code: its primitive's ``emit``, the ufunc emitter, or a call.

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x: np.sin(x).reshape(3, 1), np.ones(3))
    >>> [emitter_for(n).kind for n in g.nodes if not n.is_leaf]
    ['fresh', 'view']
    """
    if node.is_leaf:
        return IMPL_CALL
    e = node.op.emit
    if e is not None:
        return e
    if isinstance(node.op.impl, np.ufunc) and not node.params:
        return UFUNC
    return IMPL_CALL


def nbytes(aval) -> int:
    if isinstance(aval, tuple):
        return sum(nbytes(a) for a in aval)
    if aval.shape is None:
        return aval.dtype.itemsize
    return math.prod(aval.shape) * aval.dtype.itemsize


class Slot:
    """Everything the compiler's passes learn about one node (nodes are numbered in the
    graph's topological order; ``ins``, ``distinct`` and ``consumers`` hold numbers).

    Filled by :func:`slots_of`: ``node``, ``ins`` (operands, repeats kept), ``distinct``
    (operands once each), ``consumers``, ``leaf``, ``emitter``, ``nbytes``, ``small``
    (surely at most :data:`SMALL_VALUE_BYTES`), ``is_input``, ``is_output``. The code
    generator adds the rest: ``value`` (known at compile time, or None), ``scalar`` (the 0-d
    value a ``full`` node repeats), ``name``, ``array`` (known to be an ndarray), ``base``
    (the slot a folded transpose reads), ``folded``, ``last`` (line of last use), ``alias``
    (buffers it may share), ``owner`` (owns a fresh writable buffer of its aval) and
    ``death`` (line after which its buffer is dead).
    """

    __slots__ = (
        "alias", "array", "base", "consumers", "death", "distinct", "emitter", "folded", "index",
        "ins", "is_input", "is_output", "known", "last", "leaf", "name", "nbytes", "node",
        "owner", "scalar", "small", "value",
    )

    def __init__(self, index: int, node: Node, ins: tuple, leaf: bool, emitter: Emitter,
                 nbytes: int, small: bool):
        self.index = index
        self.node = node
        self.ins = ins
        # (one or two different operands, the common case, need no dict)
        self.distinct = ins if len(ins) < 2 or (len(ins) == 2 and ins[0] != ins[1]) else \
            tuple(dict.fromkeys(ins))
        self.consumers: list[int] = []
        self.leaf = leaf
        self.emitter = emitter
        self.nbytes = nbytes
        self.small = small
        self.is_input = self.is_output = False
        self.known = self.folded = self.array = self.owner = False
        self.value = self.scalar = self.name = self.alias = None
        self.base = index
        self.last = self.death = -1


def _small(aval) -> bool:
    """Whether a value of ``aval`` is surely at most :data:`SMALL_VALUE_BYTES` big."""
    if isinstance(aval, tuple):
        return all(_small(a) for a in aval)
    return aval.shape is not None and nbytes(aval) <= SMALL_VALUE_BYTES


def all_small(graph: Graph) -> bool:
    """Whether every value of ``graph`` is surely at most :data:`SMALL_VALUE_BYTES` big (so
    it runs in the canonical order: any order keeps only a few bytes per value alive).

    >>> import numpy as np, wire
    >>> all_small(wire.trace(lambda x: x * 2.0, 1.0)), all_small(wire.trace(np.sin, np.ones(3)))
    (True, False)
    """
    seen: set = set()
    for n in graph.nodes:
        aval = n.aval
        if aval not in seen:
            if not _small(aval):
                return False
            seen.add(aval)
    return True


def slots_of(graph: Graph) -> list[Slot]:
    """One :class:`Slot` per node of ``graph``, in topological order."""
    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    slots = []
    append = slots.append
    # emitter and size depend on the primitive and aval only: memoized for this graph
    kinds: dict = {}
    for i, n in enumerate(nodes):
        op = n.op
        key = (op, n.aval, bool(n._items))  # (a tuple: cheaper to test than the pmap)
        got = kinds.get(key)
        if got is None:
            got = kinds[key] = (n.is_leaf, emitter_for(n), nbytes(n.aval), _small(n.aval))
        inputs = n.inputs
        # (one or two operands, the common case, without a comprehension's call)
        if len(inputs) == 2:
            ins = (index[inputs[0]], index[inputs[1]])
        elif len(inputs) == 1:
            ins = (index[inputs[0]],)
        else:
            ins = tuple([index[x] for x in inputs])
        s = Slot(i, n, ins, *got)
        append(s)
        for j in s.distinct:
            slots[j].consumers.append(i)
    for n in graph.inputs:
        slots[index[n]].is_input = True
    for o in graph.outputs:
        slots[index[o]].is_output = True
    return slots


def output_slots(graph: Graph, slots: list[Slot]) -> list[int]:
    """The slot numbers of ``graph``'s outputs, in order (repeats kept)."""
    index = {s.node: s.index for s in slots}
    return [index[o] for o in graph.outputs]


def schedule(graph: Graph) -> list[Node]:
    """Operation nodes of ``graph`` in a memory-aware execution order (see the module doc).

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x: np.sin(x) * np.cos(x), np.ones(3))
    >>> [n.op.name for n in schedule(g)]
    ['sin', 'cos', 'mul']
    """
    slots = slots_of(graph)
    return [slots[i].node for i in execution_order(slots)]


# --------------------------------------------------------------------------- list scheduling


class _Buffers:
    """Which buffer each value lives in (views share their input's), how many pending reads
    each buffer has, who reads it, and which buffers are pinned (inputs, constants and graph
    outputs are never released)."""

    def __init__(self, slots: list[Slot]):
        self.of = of = list(range(len(slots)))
        self.pinned = [s.leaf for s in slots]
        self.pending_reads = pending = [len(s.consumers) for s in slots]
        # (shared with the slots, never changed: most buffers are read through one value)
        self.readers: list[list[int]] = [s.consumers for s in slots]
        for s in slots:
            i = s.index
            if not s.leaf and s.ins and s.emitter.kind == "view":
                of[i] = b = of[s.ins[0]]
                pending[b] += pending[i]
                self.readers[b] = self.readers[b] + s.consumers
                pending[i], self.readers[i] = 0, []
            if s.is_output:
                self.pinned[of[i]] = True


def _gain(s: Slot, slots: list[Slot], buf: _Buffers) -> int:
    """Net bytes running ``s`` frees now: what its last reads release minus what it allocates."""
    of = buf.of
    if of[s.index] != s.index:  # a view allocates nothing and releases nothing
        return 0
    gain = 0 if s.is_output else -s.nbytes
    distinct = s.distinct
    pinned, pending = buf.pinned, buf.pending_reads
    if len(distinct) == 1:
        b = of[distinct[0]]
        if not pinned[b] and pending[b] == 1:
            gain += slots[b].nbytes
        return gain
    if len(distinct) == 2:
        b, c = of[distinct[0]], of[distinct[1]]
        if b == c:  # (two views of one buffer)
            if not pinned[b] and pending[b] == 2:
                gain += slots[b].nbytes
            return gain
        if not pinned[b] and pending[b] == 1:
            gain += slots[b].nbytes
        if not pinned[c] and pending[c] == 1:
            gain += slots[c].nbytes
        return gain
    reads: dict[int, int] = {}
    for j in distinct:
        b = of[j]
        reads[b] = reads.get(b, 0) + 1
    for b, k in reads.items():
        if not pinned[b] and pending[b] == k:
            gain += slots[b].nbytes
    return gain


def execution_order(slots: list[Slot]) -> list[int]:
    """Slot numbers of the operation nodes in the order they run (see the module doc)."""
    ops = [s.index for s in slots if not s.leaf]
    if len(ops) <= 2 or all(s.small for s in slots):
        # every value is a scalar: whatever the order, the live set is a few bytes per
        # value, and the canonical order saves the heap's work (a third of code generation)
        return ops
    buf = _Buffers(slots)
    n = len(slots)
    # heap keys are ints, cheaper to compare than tuples: nodes that do not grow the live set
    # first (the largest release first), then the others; ties in the canonical order
    top = sum(s.nbytes for s in slots) + 1  # more than any gain

    def key(gain: int, i: int) -> int:
        return ((top - gain) if gain >= 0 else top + 1) * n + i

    leaf = [s.leaf for s in slots]
    waiting = [0] * n  # operands of each node not computed yet
    gain = [0] * n
    heap = []
    for i in ops:
        w = 0
        for j in slots[i].distinct:
            if not leaf[j]:
                w += 1
        waiting[i] = w
        if w == 0:
            gain[i] = g = _gain(slots[i], slots, buf)
            heap.append(key(g, i))
    heapq.heapify(heap)
    done = [False] * n
    order: list[int] = []
    pop, push = heapq.heappop, heapq.heappush
    of, pinned, pending, readers = buf.of, buf.pinned, buf.pending_reads, buf.readers
    while heap:
        k = pop(heap)
        i = k % n
        if done[i] or k != key(gain[i], i):
            continue  # already run, or a stale entry
        done[i] = True
        order.append(i)
        s = slots[i]
        # its reads are no longer pending, which can change what the other readers of
        # those buffers would release
        for j in s.distinct:
            b = of[j]
            pending[b] -= 1
            if pending[b] <= 4 and not pinned[b]:
                for u in readers[b]:
                    if not done[u] and waiting[u] == 0:
                        g = _gain(slots[u], slots, buf)
                        if g != gain[u]:
                            gain[u] = g
                            push(heap, key(g, u))
        for c in s.consumers:  # which may now be ready
            waiting[c] -= 1
            if waiting[c] == 0:
                gain[c] = g = _gain(slots[c], slots, buf)
                push(heap, key(g, c))
    if len(order) != len(ops):  # pragma: no cover - a graph is a DAG
        raise WireError("internal error: schedule did not cover the graph")
    return order
