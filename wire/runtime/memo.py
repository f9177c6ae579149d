"""Memos of pure functions of graphs (:class:`Memo`), and when one may keep a result.

Every memo of a graph transform (eager ``grad``/``jvp``/``vmap``, the ``Graph -> Graph``
transforms of :mod:`wire.api.grad`, the sub-graph rules of :mod:`wire.higher_order.subgraph`)
is a :class:`Memo`, whose default ``keep`` is :func:`keeps_no_trace`: a derived graph that
closes over a node of a trace its source graph does not is a leaked tracer once that trace
has finished, and must be derived again each time rather than served from the memo.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict

from ..ir import Graph, const_op, resume_collector


class Memo:
    """A bounded, thread-safe memo of a pure function of a graph (and hashable extras).

    A result is kept only when ``keep(graph, *extra, result)`` says so (by default
    :func:`keeps_no_trace`): graphs holding constants keyed by identity (big arrays of an
    abstract trace) never repeat and would pin their arrays, and a derived graph closing over
    a node of a trace its source graph does not (a rule ran inside an eager trace) would
    serve a leaked tracer to every later call; both are computed but not kept. With ``locs``
    (the default) the key has the graph's location table too: a graph derived from an equal
    graph traced at other lines reports those lines.

    >>> m = Memo(lambda g, k: len(g) * k)
    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x: x * 2.0, 1.0)
    >>> m(g, 3), m(g, 3), m.cache_info()
    (3, 3, (1, 1, 1))
    """

    def __init__(self, fn, maxsize: int = 256, keep=None, locs: bool = True):
        self.fn = fn
        self.locs = locs
        self.maxsize = maxsize
        self.keep = keep or keeps_no_trace
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __call__(self, graph: Graph, *extra):
        # equal graphs traced at other lines: results reporting those lines (``locs``)
        key = (graph, graph.locs_key, *extra) if self.locs else (graph, *extra)
        cache = self._cache
        found = cache.get(key)
        if found is not None:
            self.hits += 1
            if len(cache) > self.maxsize >> 1:  # recency matters only when eviction is near
                try:
                    cache.move_to_end(key)
                except KeyError:  # evicted by another thread meanwhile
                    pass
            return found
        self.misses += 1
        with gc_paused():
            out = self.fn(graph, *extra)
        if self.keep(graph, *extra, out):
            with self._lock:
                self._cache[key] = out
                while len(self._cache) > self.maxsize:
                    self._cache.popitem(last=False)
        return out

    def cache_info(self) -> tuple[int, int, int]:
        """``(hits, misses, size)``: misses count the times the function really ran."""
        return self.hits, self.misses, len(self._cache)

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self.hits = self.misses = 0


def pins_arrays(graph: Graph) -> bool:
    """Whether ``graph`` holds a constant keyed by identity (a big array)."""
    return any(n.op is const_op and n.params["value"].by_identity for n in graph.nodes)


class gc_paused:
    """Python's cyclic garbage collector paused for the block (restored after, if it was on).

    Tracing, deriving and simplifying a graph allocate long-lived objects (interned nodes and
    their params) by the hundred thousand and free almost none: the collector's passes over
    them find nothing, yet cost most of the time of a large eager call (two thirds of a first
    ``grad`` of a 5 000-op chain). Nothing is lost: cyclic garbage made meanwhile is collected
    at a later pass (the next full one after a large block, see :mod:`wire.ir.pause`).
    Threads may overlap blocks; whichever finds the collector on restores it (a program that
    turned it off itself keeps it off).

    >>> import gc
    >>> was = gc.isenabled()
    >>> with gc_paused():
    ...     inside = gc.isenabled()
    >>> inside, gc.isenabled() == was
    (False, True)
    """

    __slots__ = ("was",)

    def __enter__(self):
        self.was = gc.isenabled()
        if self.was:
            gc.disable()
        return self

    def __exit__(self, *exc):
        if self.was:
            resume_collector()  # (see wire.ir.pause)
        return False


def keeps_no_trace(graph: Graph, *extra_and_out) -> bool:
    """Whether a memo of graphs derived from ``graph`` may keep its result (the last of
    ``extra_and_out``): ``graph`` holds no array keyed by identity, and the derived graphs
    close over no node of a trace that ``graph`` does not (an argument or lifted array of an
    eager trace a rule ran inside: it is a leaked tracer once that trace has finished, and
    a memo hit would serve it to every later call).

    >>> import wire
    >>> y = wire.var("y")
    >>> g, h = wire.trace(lambda x: x * 2.0, 1.0), wire.trace(lambda x: x * y, 1.0)
    >>> keeps_no_trace(g, wire.jvp(g)), keeps_no_trace(g, h), keeps_no_trace(h, wire.jvp(h))
    (True, False, True)
    """
    if pins_arrays(graph):
        return False
    own = set(graph.free_vars)
    stack = [extra_and_out[-1]] if extra_and_out else []
    while stack:
        x = stack.pop()
        if isinstance(x, Graph):
            if any(n not in own for n in x.free_vars):
                return False
        elif isinstance(x, (tuple, list)):
            stack.extend(x)
    return True
