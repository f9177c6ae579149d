"""``wire.jit``: trace once per input signature, simplify, compile to NumPy, cache.

A jitted function keeps a small per-function cache keyed by the *signature* of a call: the
pytree structure of the arguments, each leaf's shape and dtype, and the values of the static
arguments. A miss traces the function (:func:`wire.core.trace_flat`), simplifies the graph
and compiles it (:mod:`wire.runtime.compiler`); a hit calls the compiled function directly, so a
steady-state call costs a tuple of shapes, one dict lookup and the NumPy calls themselves.

Calling a jitted function inside another trace (``grad(jit(f))``, ``vmap(jit(f))``, or from
inside a function being jitted) does not run compiled code: the cached graph is *inlined* into
the enclosing trace, so the outer transform sees ordinary primitives. A function that closes
over traced values of an enclosing trace is never cached (its graph depends on them).

Python side effects in the function (printing, appending to a list) happen while tracing,
i.e. once per signature, not on every call.

**Two tiers.** A derivative graph of ``jit(grad(f))`` (or ``value_and_grad``) of scalars big
enough that its final simplification is only simplify's linear passes — which keep every
value's bits (above :data:`wire.transforms.budget.COMPILE_COLLECT_LIMIT` nodes) — is run on the
evaluator as derived at first, which costs far less than simplifying it and generating and
compiling its code (on a 100 000-op chain, about 1 s instead of 7 s). Once its calls have
taken as long as compiling is estimated to take, the entry is compiled from the simplified
graph (the only code the on-disk cache stores), and every later call runs that code: the same
values, bit for bit.
Smaller graphs are simplified in full at once: term collection re-associates sums and
products, so a first tier without it could give other bits than later calls. Graphs holding
arrays are compiled at once too: their code runs in an order chosen to save memory, the
evaluator's might need more. ``tiered=False`` compiles at once at every size.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from .. import tree
from ..tree import strict_key
from ..core.debug import _NANS
from ..errors import WireError, WireTypeError, at, user_location
from ..ir import Graph, gc_paused
from ..core import (
    Tracer, call_graph_flat, flat_avals, int_ranges_key, leaf_int_ranges, trace_flat,
    weak_leaves,
)
from ..core.tracer import _INT_RANGES, IntRanges, int_values_key
from ..core.evaluate import evaluate_flat, raise_located
from ..runtime.backends import Program, is_torch_name, leaf_aval, resolve
from ..runtime import arena, cbuild, native
from ..runtime import gemm as _gemm
from ..runtime.compiler import compile_graph, compile_native
from ..runtime.schedule import all_small
from . import diskcache
from .grad import static_names
from ..transforms import simplify as simp
from ..transforms.budget import compile_level
from ..transforms.rules import ALGEBRA
from ..tracebacks import entry_point

DEFAULT_CACHE_LIMIT = 64
TIER_UP_PER_NODE = 30e-6
"""Seconds per node that simplifying and compiling a derivative graph is estimated to take
(the linear passes about 12 µs, code generation and Python's ``compile()`` 16–20 µs, on the
deep scalar chain): a first-tier entry is compiled once its calls have taken that long."""
NATIVE_AFTER = 0.05
"""Seconds of calls of an entry's NumPy code after which its native kernels are built (in a
background thread; a C compile takes 0.1–0.6 s, loading a cached one a few ms)."""
NATIVE_GIVE_UP = 16
"""Calls of an entry's native code that fell back to its NumPy code (their kernels raised a
floating-point exception) after which the entry runs its NumPy code only."""
BACKENDS = ("numpy",)
_ndarray = np.ndarray
_SLOW = object()  # first element of every non-fast-path key; fast keys never start with it
_PY_FLOAT = object()  # a Python float argument in a fast-path key


def _slow_key(in_tree, avals, statics, weak=()) -> tuple:
    """The cache key of a call off the fast path: the arguments' structure (strictly: a dict
    is not a list, ``{1: x}`` is not ``{1.0: x}``), every leaf's shape and dtype, and the
    static values, keyed so that ``==`` does not merge what traces differently (``2`` and
    ``2.0``, ``0.0`` and ``-0.0``, ``(1,)`` and ``(1.0,)``); ``weak``: the positions of the
    weakly typed leaves (Python scalars promote like NEP 50's weak scalars)."""
    return (_SLOW, in_tree, tuple(avals), strict_key(tuple((i, v) for i, _, v in statics)),
            tuple(weak))


def _simplify(graph: Graph) -> Graph:
    """``wire.simplify(graph)``, the expensive passes only when the cheap ones (dead code,
    constant folding, algebra, CSE) change something. Graphs of transformed functions that
    simplify their results (``jit(grad(f))``) do not come here at all."""
    from toolz import pipe  # (here, not at import: toolz costs ~9 ms of `import wire`)

    cheap = pipe(graph, simp.dce, simp.fold_constants, simp.rewrite(ALGEBRA), simp.cse)
    return graph if cheap.outputs == graph.outputs else simp.simplify(graph)


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_backend(backend):
    if isinstance(backend, str) and backend in BACKENDS:
        return backend
    if backend is not None and not isinstance(backend, str) or backend in ("dask", "cupy") \
            or is_torch_name(backend):
        resolve(backend)  # BackendError naming the extra to install when it is missing
        return backend
    raise WireError(
        f"wire.jit backend {backend!r} is not available; supported backends: "
        f"{', '.join(repr(b) for b in BACKENDS)}{at(user_location(2))}"
    )


def _located(e: Exception, entry, leaves) -> None:
    """:func:`~wire.core.evaluate.raise_located` on ``entry``'s graph (computed only on
    this error path)."""
    raise_located(e, entry.graph, leaves)


class _Entry:
    """One cached signature: the simplified graph and (once called concretely) its code.

    An entry whose code came from the disk cache has no graph until one is asked for
    (inlining into another trace, ``debug_nans``, ``lower``): ``make_graph()`` computes it
    then — the same graph the cached code was generated from.

    A *tiered* entry (``raw``: the graph before its final simplification, which keeps every
    bit) runs ``raw`` on the evaluator first; its ``fn`` adds up the time of its calls and,
    once they have taken as long as compiling is estimated to (:data:`TIER_UP_PER_NODE`),
    compiles the final graph (:meth:`tier_up`) and becomes that code. Only final code goes
    to disk."""

    __slots__ = ("__weakref__", "_graph", "_lock", "_make_graph", "_native_done",
                 "_native_started", "backend", "compiled", "disk_key", "fn", "fuse", "gemm",
                 "native", "raw", "reuse")

    def __init__(self, graph: Graph | None, backend=None, make_graph=None, disk_key=None,
                 fuse: bool | str = True, raw: Graph | None = None, reuse: bool = True,
                 gemm: str = "numpy"):
        self._graph = graph
        self.gemm = gemm  # who runs the matrix products (see wire.runtime.gemm)
        self._make_graph = make_graph
        self.fuse = fuse
        self.reuse = reuse  # scratch arenas (see wire.runtime.arena)
        self.fn = None
        self.compiled = None  # the final tier's code, once compiled
        self.backend = backend  # (backend, chunks, compute) for non-NumPy backends
        self.disk_key = disk_key  # where compile() stores the code (None: nowhere)
        self.raw = raw if backend is None else None
        self._lock = threading.Lock()
        self.native = None  # the code with native kernels, once built (see _native_tier)
        self._native_started = False
        self._native_done = threading.Event()

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            with self._lock:
                self._final_graph()
        return self._graph

    def _final_graph(self) -> Graph:
        # (the caller holds the lock)
        if self._graph is None:
            with gc_paused():  # see wire.ir.pause
                self._graph = self._make_graph()
            self._make_graph = None
        return self._graph

    def compile(self):
        """The final tier's code (compiled now if it was not yet)."""
        if self.compiled is None and self.backend is not None:
            program = Program(self.graph, *self.backend)
            self.fn = program.fn
            self.compiled = program
        if self.compiled is None:
            self.tier_up(wait=True)
        return self.compiled

    def start(self) -> None:
        """Make ``fn`` callable: the evaluator on ``raw`` for a tiered entry, else the final
        tier's code."""
        raw = self.raw
        if raw is not None:
            with self._lock:
                if self.fn is None:
                    self.fn = self._first_tier(raw, TIER_UP_PER_NODE * len(raw))
        if self.fn is None:
            self.compile()

    def _first_tier(self, raw: Graph, cost: float):
        """A function evaluating ``raw`` (the same values, bit for bit, as the final tier's
        code) that adds up the time of its calls; the first call after ``cost`` seconds of
        them compiles the final tier and runs it instead."""
        spent = None  # (no call yet: the first call always evaluates)
        clock = time.perf_counter
        out_tree = raw.out_tree

        def first_tier(*leaves):
            nonlocal spent
            if spent is not None and spent >= cost:
                final = self.tier_up(wait=False)
                if final is not None:
                    return final(*leaves)
            t = clock()
            with gc_paused():  # (the collector would walk the big graph again and again)
                out = tree.unflatten(out_tree, evaluate_flat(raw, leaves))
            # (threads racing here only move the tier-up by a call)
            spent = (spent or 0.0) + clock() - t
            return out

        return first_tier

    def with_native(self, numpy_fn, order):
        """What runs the entry's NumPy code ``numpy_fn``: itself where native kernels cannot
        help (off, another backend, no candidate among the nodes ``order`` the code computes;
        ``None``: not known), else the native tier
        (:meth:`_native_tier`), or, with ``fuse="native"``, the kernels built now."""
        self._native_done.clear()
        if (self.fuse not in (True, "native") or self.backend is not None
                or not native_possible(order)):
            self._native_done.set()
            return numpy_fn
        if self.fuse == "native":
            self._native_started = True
            return self._build_native(numpy_fn)
        return self._native_tier(numpy_fn)

    def _native_tier(self, numpy_fn):
        """``numpy_fn`` adding up the time of its calls; once they have taken
        :data:`NATIVE_AFTER` seconds, a background thread builds the native kernels (or
        loads them from the disk cache) and swaps them in; calls meanwhile run NumPy."""
        spent = 0.0
        clock = time.perf_counter
        me = weakref.ref(self)  # (no cycle entry -> fn -> entry: a dropped function is freed)

        def numpy_tier(*leaves):
            nonlocal spent
            t = clock()
            out = numpy_fn(*leaves)
            spent += clock() - t
            if spent >= NATIVE_AFTER:
                entry = me()
                if entry is not None and not entry._native_started:
                    with entry._lock:
                        start = not entry._native_started
                        entry._native_started = True
                    if start:
                        threading.Thread(target=entry._build_native, args=(numpy_fn,),
                                         name="wire-native", daemon=True).start()
            return out

        return numpy_tier

    def _build_native(self, numpy_fn):
        """Build the native code, make ``fn`` run it (falling back to ``numpy_fn`` for a
        call whose kernels raised a floating-point exception NumPy warns about), and return
        ``fn``; where no kernel can be built, ``fn`` becomes ``numpy_fn``."""
        fn = numpy_fn
        try:
            built = compile_native(self.graph, library=_library(self.disk_key is not None),
                                   reuse_buffers=self.reuse, gemm=self.gemm)
            if built is not None:
                fn = _with_fallback(built.fn, numpy_fn, weakref.ref(self))
                self.native = built
        except Exception:  # noqa: BLE001 - the NumPy code keeps running, as it would without
            fn = numpy_fn
        self.fn = fn
        if fn is not numpy_fn:  # (the NumPy code now runs only for a fallback)
            arena.release(numpy_fn)
        self._native_done.set()
        return fn

    def wait_native(self, timeout: float | None = None) -> bool:
        """Wait for a native build started for this entry; whether it runs native code."""
        if self._native_started:
            self._native_done.wait(timeout)
        return self.native is not None

    def tier_up(self, wait: bool):
        """Compile the final graph (storing its code on disk), make ``fn`` run it, and return
        it; ``None`` (when not ``wait``) while another thread is compiling it — that call runs
        the first tier meanwhile."""
        if not self._lock.acquire(blocking=wait):
            return None
        try:
            if self.compiled is None:
                compiled = compile_graph(self._final_graph(), fuse=self.fuse is not False,
                                         reuse_buffers=self.reuse, gemm=self.gemm)
                self.fn = self.with_native(compiled.fn, compiled.order)
                # (`fn` before `compiled`: other threads test that one)
                self.compiled = compiled
                self.raw = None
                if self.disk_key is not None:
                    diskcache.store(self.disk_key, compiled)
            return self.fn
        finally:
            self._lock.release()


def native_possible(order) -> bool:
    """Whether native kernels may help code computing the nodes ``order`` (``None``: not
    known yet): the engine is on and some node has a float dtype and enough elements."""
    if not cbuild.enabled():
        return False
    if order is None:
        return True
    for n in order:
        a = n.aval
        if (not isinstance(a, tuple) and a.shape
                and a.dtype.kind == "f" and a.size >= native.MIN_ELEMENTS):
            return True
    return False


def _library(disk: bool):
    """How native libraries are compiled and loaded: through the disk cache, or privately."""
    return diskcache.native_library if disk and diskcache.enabled() else native.private_library


def _with_fallback(native_fn, numpy_fn, entry):
    """``native_fn``, running ``numpy_fn`` instead for a call whose kernels raised a
    floating-point exception NumPy warns about; after :data:`NATIVE_GIVE_UP` such calls
    (a function that meets NaN or inf all the time) the entry (a weak reference) goes back
    to ``numpy_fn`` for good."""
    fallbacks = 0

    def native_code(*leaves):
        nonlocal fallbacks
        try:
            return native_fn(*leaves)
        except native.Fallback:  # NumPy's own warnings, errors and bits for this call
            fallbacks += 1  # (threads racing here only move the switch by a call)
            if fallbacks >= NATIVE_GIVE_UP:
                e = entry()
                if e is not None:
                    e.fn = numpy_fn
            return numpy_fn(*leaves)

    return native_code


class Lowered:
    """What :meth:`Jitted.lower` returns: the graph for one signature and its compiled code.

    ``source`` is the generated Python (one line per node), ``graph`` the simplified graph;
    calling a ``Lowered`` runs the compiled code on arguments of that signature: the
    function's non-static arguments (pytrees, as JAX's ``Compiled`` takes them) or their
    leaves in order. JAX's ``lower(...).compile()`` works (the code is compiled already:
    ``compile()`` returns the ``Lowered`` itself), and ``as_text()`` is ``source``.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> f = wire.jit(lambda p: wnp.sum(p["w"] * p["x"]))
    >>> params = {"w": np.ones(3), "x": np.arange(3.0)}
    >>> float(f.lower(params).compile()(params))
    3.0
    """

    __slots__ = ("compiled", "graph")

    def __init__(self, graph: Graph, compiled):
        self.graph = graph
        self.compiled = compiled

    @property
    def source(self) -> str:
        return self.compiled.source

    def compile(self) -> Lowered:
        """This ``Lowered`` (already compiled; JAX's ``Lowered.compile`` step)."""
        return self

    def as_text(self) -> str:
        """The generated code, :attr:`source` (JAX's ``as_text`` gives its IR text)."""
        return self.source

    @entry_point
    def __call__(self, *args):
        return self.compiled(*tree.leaves(args))

    def __repr__(self):
        return f"<wire.Lowered: {len(self.graph)} nodes>\n{self.source}"


class Jitted:
    """A jitted function: call it like the original. See :func:`jit`."""

    def __init__(self, fun: Callable, static_argnums=(), backend: str = "numpy",
                 cache_limit: int = DEFAULT_CACHE_LIMIT, chunks=None, compute: bool = False,
                 disk_cache: bool = True, fuse: bool | str = True, tiered: bool = True,
                 reuse_buffers: bool = True, static_argnames=(), gemm: str | None = None):
        if not callable(fun):
            raise WireError(f"wire.jit needs a function or a Graph, got {type(fun).__name__}"
                            f"{at(user_location())}")
        nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        if not all(isinstance(i, int) for i in nums):
            raise WireError(f"static_argnums must be ints, got {static_argnums!r}"
                            f"{at(user_location())}")
        if cache_limit < 1:
            raise WireError(f"cache_limit must be at least 1, got {cache_limit!r}"
                            f"{at(user_location())}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        # as jax.jit: a static parameter is static by position and by name alike
        by_name, names = static_names(fun, nums, static_argnames)
        self.static_argnums = nums + tuple(i for i in by_name if i not in nums)
        self.static_argnames = names
        # positions of named parameters: a call may pass them by keyword instead
        self._by_name_only = frozenset(static_names(fun, (), names)[0])
        self.backend = _check_backend(backend)
        self._on = None if backend == "numpy" else (backend, chunks, bool(compute))
        self.cache_limit = int(cache_limit)
        self.disk_cache = bool(disk_cache) and self._on is None  # generated NumPy code only
        if fuse not in (True, False, "native"):
            raise WireError(f"fuse must be True, False or 'native', got {fuse!r}"
                            f"{at(user_location())}")
        self.fuse = fuse
        self.tiered = bool(tiered)
        self.reuse_buffers = bool(reuse_buffers)
        self.gemm = _gemm.resolve(gemm)  # (None: WIRE_GEMM; a missing torch raises here)
        self._cache: OrderedDict = OrderedDict()
        # the keys (with Python-int ranges) whose traces used the values themselves: their
        # entries are keyed on the values too (see _ranges_key)
        self._valued: frozenset = frozenset()
        self._last = None  # the entry of the last call (see _switch_to)
        self._lock = threading.Lock()
        self._graphs_simplified = bool(getattr(fun, "simplified", False))
        self.simplified = True  # (update_wrapper may have copied the wrapped function's flag)

    # ---- the call path
    @entry_point
    def __call__(self, *args, **kwargs):
        # _NANS: under wire.debug_nans the slow path runs the checking evaluator (issue 9)
        if not kwargs and not self.static_argnums and not _NANS.get():  # (names: kwargs)
            key = []
            for a in args:  # the fast path: plain arrays (the key is shapes and dtypes) and
                t = type(a)  # Python floats (higher derivatives of scalar functions)
                if t is _ndarray:
                    key.append(a.shape)
                    key.append(a.dtype)
                elif t is float:
                    key.append(_PY_FLOAT)
                    key.append(_PY_FLOAT)
                else:
                    break
            else:
                key = tuple(key)
                cache = self._cache
                entry = cache.get(key)
                if entry is not None and entry.fn is not None:
                    if entry is not self._last:  # another signature than the last call's
                        self._switch_to(entry, key)
                    try:
                        return entry.fn(*args)
                    except Exception as e:  # noqa: BLE001 - re-raised, as a WireError if NumPy's
                        _located(e, entry, args)
                        raise
        return self._call_slow(args, kwargs)

    def _split(self, args, kwargs=None):
        """(dynamic args, static values, dynamic kwargs) with the static ones checked to be
        hashable; a static value is ``(position or name, type, value)``."""
        kwargs = kwargs or {}
        named = ()
        if self.static_argnames and kwargs:
            named = tuple((k, type(kwargs[k]), kwargs[k]) for k in sorted(kwargs)
                          if k in self.static_argnames)
            if named:
                kwargs = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
            for k, _, v in named:
                self._check_hashable(v, f"static argument {k!r}")
        if not self.static_argnums:
            return args, named, kwargs
        n = len(args)
        nums = []
        optional = self._by_name_only
        for i in self.static_argnums:
            if i in optional and not i < n:  # a name not passed positionally
                continue
            if not -n <= i < n:
                raise WireError(
                    f"static_argnums {self.static_argnums!r}: argument {i} is missing; the "
                    f"jitted function {self._name()} was called with {n} positional arguments"
                    f"{at(user_location(3))}"
                )
            nums.append(i % n)
        statics = []
        for i in sorted(set(nums)):
            v = args[i]
            self._check_hashable(v, f"static argument {i}")
            statics.append((i, type(v), v))
        static_set = {i for i, _, _ in statics}
        dyn = tuple(a for i, a in enumerate(args) if i not in static_set)
        return dyn, tuple(statics) + named, kwargs

    def _check_hashable(self, v, what: str) -> None:
        try:
            hash(v)
        except TypeError:
            raise WireTypeError(
                f"{what} of {self._name()} is a {type(v).__name__} ({_short(v)}), which is "
                f"not hashable; static arguments are part of the cache key — pass a tuple "
                f"instead of a list, or make it a traced argument{at(user_location(4))}"
            ) from None

    def _name(self) -> str:
        return getattr(self.fun, "__name__", repr(self.fun))

    def _entry(self, args, kwargs):
        """(entry, None, leaves, has_tracer) for a call, tracing on a miss; (None, graph, …)
        for a function that closes over values of an enclosing trace (never cached)."""
        dyn, statics, kwargs = self._split(args, kwargs)
        # positional arguments alone are the tuple of arguments (error paths read `[0]`)
        leaves, in_tree = tree.flatten((dyn, kwargs) if kwargs else dyn)
        try:
            avals = self._avals(leaves, in_tree)
        except WireTypeError:
            # a float0 argument (a gradient of an integer) holds no data: it is structure,
            # its shape part of the key, and the function gets np.zeros(shape, float0) back
            # (looked for only here, as its dtype is refused: other calls pay nothing)
            found = tree.float0_structure(leaves, in_tree)
            if found[0] is leaves:
                raise
            leaves, in_tree = found
            avals = self._avals(leaves, in_tree)
        has_tracer = any(isinstance(x, Tracer) for x in leaves)
        if not kwargs and not statics and len(leaves) == len(dyn) and all(
                type(a) is _ndarray or type(a) is float for a in dyn):
            # the fast path's key (see __call__): the structure is n plain arrays or Python
            # floats, which the key's length says
            key = tuple(v for x, a in zip(dyn, avals) for v in (
                (a.shape, a.dtype) if type(x) is _ndarray else (_PY_FLOAT, _PY_FLOAT)))
            weak = tuple(i for i, x in enumerate(dyn) if type(x) is float)  # (NEP 50)
            ranges = None
        else:
            weak = weak_leaves(leaves)  # Python scalars promote weakly (NEP 50)
            key = _slow_key(in_tree, avals, statics, weak)
            # Python ints: the range of their values too (promotion raises for some ranges)
            ranges = leaf_int_ranges(leaves, weak) if weak else None
            if ranges is not None:
                key = key + (int_ranges_key(ranges),)
                if self._valued and key in self._valued:
                    key = self._values_key(key, ranges)
        entry = self._cache.get(key)
        if entry is not None:
            return entry, None, leaves, has_tracer
        if ranges is not None and type(ranges) is dict:  # (the trace may mark it exact)
            ranges = IntRanges(ranges)
        token = _INT_RANGES.set(ranges)  # (for the trace below: see wire.core.trace_flat)
        try:
            return self._miss(key, leaves, has_tracer, avals, in_tree, statics, kwargs, weak,
                              ranges)
        finally:
            _INT_RANGES.reset(token)

    def _ranges_key(self, key: tuple, ranges) -> tuple:
        """``key`` with the ranges of the Python-int arguments (``ranges``, an
        ``IntRanges``) — and their values, where a trace for these ranges used them (a
        value computed from them, ``-s``, fits an array's dtype for some, not for others)."""
        key = key + (int_ranges_key(ranges),)
        if self._valued and key in self._valued:
            key = self._values_key(key, ranges)
        return key

    @staticmethod
    def _values_key(key: tuple, ranges) -> tuple:
        if isinstance(ranges, IntRanges):
            ranges.mark_exact()  # (the trace found holds for these values only)
        return key + (int_values_key(ranges),)

    def _final_key(self, key: tuple, ranges) -> tuple:
        """The key to cache a new trace under: with the Python-int values where the trace
        used them (``ranges.exact``; the key without them remembered as needing them)."""
        if ranges is None or not ranges.exact or key[-1] != int_ranges_key(ranges):
            return key  # (no ranges, not used, or the key holds the values already)
        with self._lock:
            self._valued = self._valued | {key}  # (a new set: readers need no lock)
        return key + (int_values_key(ranges),)

    def _avals(self, leaves, in_tree) -> list:
        if self._on is None:
            return flat_avals(leaves, in_tree)
        return [leaf_aval(x) for x in leaves]  # Dask/CuPy: shapes and dtypes, no values

    def _miss(self, key, leaves, has_tracer, avals, in_tree, statics, kwargs, weak,
              ranges=None):
        """:meth:`_entry` for a signature not in the cache: trace (or find the code on disk),
        simplify, and cache the entry."""
        entry = None
        if self.disk_cache and not has_tracer and diskcache.enabled():
            entry = self._from_disk(avals, in_tree, statics, bool(kwargs), weak)
        elif self._tiers() and not has_tracer:
            recipe = self._recipe_at(avals, in_tree, statics, bool(kwargs), weak)
            if recipe is not None:
                entry = self._recipe_entry(recipe[2], recipe[2])
        if entry is None:
            graph = self._trace(avals, in_tree, statics, bool(kwargs), weak)
            if graph.free_vars:  # closes over values of an enclosing trace: never cached
                return None, graph, leaves, has_tracer
            if not (self._graphs_simplified and not statics and not kwargs):
                graph = _simplify(graph)
            entry = _Entry(graph, self._on, fuse=self.fuse, reuse=self.reuse_buffers,
                           gemm=self.gemm)
        elif entry.fn is None and (entry.graph if entry.raw is None else entry.raw).free_vars:
            return None, entry.graph, leaves, has_tracer
        key = self._final_key(key, ranges)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                entry = found
            else:
                self._cache[key] = entry
                while len(self._cache) > self.cache_limit:
                    self._cache.popitem(last=False)
        return entry, None, leaves, has_tracer

    def _recipe_at(self, avals, in_tree, statics, has_kwargs: bool, weak=()):
        """The function's ``__wire_recipe__`` at these avals (see ``Transformed``), or None."""
        if statics or has_kwargs:
            return None
        ask = getattr(self.fun, "__wire_recipe__", None)
        return ask(avals, in_tree, weak) if ask is not None else None

    def _tiers(self) -> bool:
        """Whether this function's recipes are compiled in two tiers (they simplify their
        graphs: there is something to defer)."""
        return self.tiered and self._graphs_simplified and self._on is None

    def _recipe_entry(self, finish, make, disk_key=None) -> _Entry:
        """The entry of a function whose recipe ends in ``finish`` (``make``: its final
        graph): two tiers (see the module docstring) when the final simplification keeps
        every value's bits, else one."""
        if self._tiers():
            with gc_paused():  # see wire.ir.pause (len() sorts the graph: 0.8 s of GC at 100k)
                raw = finish(False)
                # a graph simplified in full may round otherwise; a graph holding arrays is
                # run by its code in an order that saves memory, which the evaluator's may not
                linear = compile_level(raw) == "linear" and all_small(raw)
            if linear:
                return _Entry(None, self._on, make_graph=finish, disk_key=disk_key,
                              fuse=self.fuse, raw=raw, reuse=self.reuse_buffers,
                              gemm=self.gemm)
        return _Entry(None, self._on, make_graph=make, disk_key=disk_key, fuse=self.fuse,
                      reuse=self.reuse_buffers, gemm=self.gemm)

    def _from_disk(self, avals, in_tree, statics, has_kwargs: bool,
                   weak=()) -> _Entry | None:
        """An entry for a new signature whose code is named on disk: loaded from there when
        present (no derivation, simplification or code generation), else computed and given
        the key to store its code under once compiled (the final tier's code only).
        ``weak``: positions of the weakly typed leaves (in the traced base graph's digest)."""
        recipe = self._recipe_at(avals, in_tree, statics, has_kwargs, weak)
        finish = None
        if recipe is not None:
            what, base, finish = recipe
            make = finish if self._graphs_simplified else (lambda: _simplify(finish()))
        else:
            base = self._trace(avals, in_tree, statics, has_kwargs, weak)
            what = "trace"
            simplified = self._graphs_simplified and not statics and not has_kwargs
            make = (lambda: base) if simplified else (lambda: _simplify(base))
        digest = diskcache.graph_digest(base, custom_rules=recipe is None)
        if digest is None and recipe is not None:
            # a custom rule is named in a digest, not described: what a transform derives
            # from it changes when its code is edited under the same name, so the key is the
            # derived graph's, which holds what the rules computed (the derivation is
            # memoized: the entry below reuses it)
            what, digest = f"{what}, derived", diskcache.graph_digest(finish(False))
        key = None
        if digest is not None:  # (None: holds Python functions, open-trace nodes, big data)
            key = diskcache.entry_key(("jit", what, digest, f"fuse={self.fuse}")
                                      + (() if self.reuse_buffers else ("reuse_buffers=False",))
                                      + _gemm.cache_key(self.gemm))
            fn = diskcache.load(key)
            if fn is not None:
                entry = _Entry(None, self._on, make_graph=make, fuse=self.fuse,
                               reuse=self.reuse_buffers, gemm=self.gemm,
                               disk_key=key if self.disk_cache else None)
                entry.fn = entry.with_native(fn, base.nodes)  # (the forward pass's sizes)
                return entry
        if finish is None:
            return _Entry(None, self._on, make_graph=make, disk_key=key, fuse=self.fuse,
                          reuse=self.reuse_buffers, gemm=self.gemm)
        return self._recipe_entry(finish, make, key)

    def _trace(self, avals, in_tree, statics, has_kwargs: bool, weak=()) -> Graph:
        fun = self.fun
        if not statics and not has_kwargs:  # a transformed function gives its graph itself
            return trace_flat(fun, avals, in_tree, weak)

        def with_statics(dyn, kwargs):
            full = list(dyn)
            named = {}
            for i, _, v in statics:
                if type(i) is str:
                    named[i] = v
                else:
                    full.insert(i, v)
            return fun(*full, **kwargs, **named)

        if has_kwargs:
            return trace_flat(with_statics, avals, in_tree, weak)
        return trace_flat(lambda *dyn: with_statics(dyn, {}), avals, in_tree, weak)

    def _call_slow(self, args, kwargs):
        entry, graph, leaves, has_tracer = self._entry(args, kwargs)
        if entry is None or has_tracer or _NANS.get():  # debug_nans: the checking evaluator
            graph = entry.graph if entry is not None else graph
            return tree.unflatten(graph.out_tree, call_graph_flat(graph, leaves))
        if entry.fn is None:
            entry.start()
        if entry is not self._last:
            self._switch_to(entry)
        try:
            return entry.fn(*leaves)
        except Exception as e:  # noqa: BLE001 - re-raised, as a WireError if NumPy's
            _located(e, entry, leaves)
            raise

    def _switch_to(self, entry: _Entry, key=None) -> None:
        """Note ``entry`` as the last called, and keep the bytes the arenas of all this
        function's signatures hold between calls within :data:`wire.runtime.arena.HELD_BYTES`:
        the most recently called signatures keep their buffers, the others release theirs
        (their next call allocates anew, as NumPy does). Without this, a function called on
        many shapes would hold up to that bound per shape."""
        with self._lock:  # (iterating the cache while another thread reorders it raises)
            if key is not None:
                try:
                    self._cache.move_to_end(key)  # the most recently called last
                except KeyError:  # evicted by another thread meanwhile
                    pass
            self._last = entry
            entries = list(self._cache.values())
        budget = arena.HELD_BYTES
        for other in reversed(entries):  # the most recently called first
            for code in (other.native, other.compiled):
                fn = getattr(code, "fn", None)
                if fn is None:
                    continue
                nbytes = arena.held(fn)
                if other is entry:  # (the call about to run gives a set back)
                    nbytes = max(nbytes, arena.set_bytes(fn))
                if nbytes > budget:
                    arena.release(fn)
                else:
                    budget -= nbytes

    # ---- the graph protocol (wire.core.trace_flat): jit(jit(f)), grad(jit(f))
    simplified = True  # the graphs it gives went through wire.simplify

    def __wire_graph__(self, in_avals, in_tree, weak=()) -> Graph:
        """The simplified graph at arguments of these avals (cached like a call's)."""
        if self.static_argnums or self.static_argnames:  # static values: trace the call
            return trace_flat(lambda *a: self(*a), in_avals, in_tree, weak)
        key = _slow_key(in_tree, in_avals, (), tuple(weak))
        ranges = _INT_RANGES.get()  # (the enclosing jit's Python-int arguments)
        if ranges is not None:
            key = self._ranges_key(key, ranges)
        entry = self._cache.get(key)
        if entry is not None:
            return entry.graph
        graph = self._trace(in_avals, in_tree, (), False, tuple(weak))
        if graph.free_vars:
            return graph
        if not self._graphs_simplified:
            graph = _simplify(graph)
        key = self._final_key(key, ranges)
        with self._lock:
            self._cache.setdefault(key, _Entry(graph, self._on, fuse=self.fuse,
                                               reuse=self.reuse_buffers, gemm=self.gemm))
            while len(self._cache) > self.cache_limit:
                self._cache.popitem(last=False)
        return graph

    # ---- inspection and cache control
    @entry_point
    def lower(self, *args, **kwargs) -> Lowered:
        """The graph and generated code for the signature of ``args`` (compiling if needed).

        >>> import numpy as np, wire
        >>> low = wire.jit(lambda x: np.sin(x) * 2.0).lower(np.ones(3))
        >>> print(low.source.splitlines()[2].split("#")[0].strip())
        b = np.sin(a)
        """
        entry, _, _, _ = self._entry(args, kwargs)
        if entry is None:
            raise WireError(
                f"cannot lower {self._name()}: it closes over traced values of an enclosing "
                f"trace, so it has no standalone graph{at(user_location())}"
            )
        return Lowered(entry.graph, entry.compile())

    def wait_native(self, timeout: float | None = None) -> int:
        """Wait for the native kernels being built for this function's cached signatures
        (see :func:`jit`'s ``fuse``); the number of signatures running native code.

        >>> import numpy as np, wire, wire.numpy as wnp
        >>> f = wire.jit(lambda x: wnp.tanh(wnp.sin(x) * 2.0), fuse="native")
        >>> _ = f(np.linspace(-1.0, 1.0, 1000))
        >>> f.wait_native() in (0, 1)        # 0 where no C compiler with libmvec is found
        True
        """
        with self._lock:
            entries = list(self._cache.values())
        return sum(e.wait_native(timeout) for e in entries)

    def cache_size(self) -> int:
        """Number of signatures currently cached (at most ``cache_limit``)."""
        return len(self._cache)

    def clear_cache(self) -> None:
        """Forget every cached signature; the next call traces again."""
        with self._lock:
            self._cache.clear()
            self._valued = frozenset()

    def __get__(self, obj, objtype=None):  # jitted methods bind like functions
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self):
        return f"<wire.jit {self._name()} ({len(self._cache)} cached signatures)>"


def _check_donated(nums, names) -> None:
    """JAX's ``donate_argnums`` (ints) and ``donate_argnames`` (strings), checked."""
    nums = (nums,) if isinstance(nums, int) else nums
    names = (names,) if isinstance(names, str) else names
    try:
        ok = all(isinstance(i, int) and not isinstance(i, bool) for i in nums) and \
            all(isinstance(n, str) for n in names)
    except TypeError:
        ok = False
    if not ok:
        raise WireTypeError(f"jit: donate_argnums must be ints and donate_argnames strings, "
                            f"got {nums!r} and {names!r}{at(user_location(3))}")


def jit(f=None, static_argnums=(), backend: str = "numpy", fuse: bool | str = True, *,
        static_argnames=(), cache_limit: int = DEFAULT_CACHE_LIMIT, chunks=None,
        compute: bool = False, disk_cache: bool = True, tiered: bool = True,
        reuse_buffers: bool = True, donate_argnums=(), donate_argnames=(),
        gemm: str | None = None, keep_unused: bool = False, inline: bool = False):
    """Compile ``f``: trace once per input signature, simplify, generate NumPy code, cache.

    The signature is the arguments' pytree structure, shapes and dtypes, plus the values of
    the ``static_argnums``/``static_argnames`` arguments (which must be hashable, and may steer
    Python control flow). A new signature traces again; at most ``cache_limit`` signatures are kept (least
    recently used dropped first). ``jit`` composes with every transform in both orders, and
    ``jit(graph)`` compiles a ``Graph`` directly. ``f.lower(*args).source`` shows the code.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> f = wire.jit(wire.grad(lambda x: wnp.sum(wnp.tanh(x) ** 2)))
    >>> f(np.zeros(2))
    array([0., 0.])
    >>> wire.jit(lambda x, n: x * n, static_argnums=1)(np.ones(2), 3)
    array([3., 3.])
    >>> @functools.partial(wire.jit, static_argnames="mode")
    ... def act(x, mode="tanh"):
    ...     return wnp.tanh(x) if mode == "tanh" else wnp.maximum(x, 0.0)
    >>> act(np.array([-1.0, 1.0]), mode="relu")
    array([0., 1.])

    ``static_argnames`` names static parameters, as in ``jax.jit``: a parameter is static
    whether it is passed by keyword or by position (and one in ``static_argnums`` is static
    when passed by keyword too).

    ``donate_argnums``/``donate_argnames`` (JAX's: the caller gives up those arguments'
    buffers) are checked and accepted, so JAX training loops run unchanged; wire never
    writes into arguments, so donating changes nothing. So are ``keep_unused`` and
    ``inline`` (JAX's compiler hints): a jitted function called inside another trace is
    always inlined into it, and unused arguments change nothing.

    ``fuse=True`` (the default) fuses runs of elementwise lines: once a signature's calls
    have taken :data:`NATIVE_AFTER` seconds, a background thread compiles each run over
    float arrays of 256 elements or more to a C kernel vectorised with glibc's libmvec
    (:mod:`wire.runtime.native`: NumPy's bits for arithmetic, libmvec's functions within
    4 ulps of NumPy's in float64 and 8 in float32, NumPy's warnings through a fallback to
    the NumPy code, a cost model choosing the runs worth a kernel; where there is
    no C compiler or libmvec, or ``WIRE_NATIVE=0``, the NumPy code stays), and the NumPy code
    runs runs over arrays of a million elements or more block by block, so intermediates
    stay in cache (:mod:`wire.runtime.fusion`; same bits as unfused). ``fuse="native"``
    builds the kernels before the first call returns (``f.wait_native()`` waits for
    background builds); ``fuse=False`` fuses nothing. ``disk_cache=False`` neither reads nor writes the
    on-disk compile cache (:mod:`wire.api.diskcache`; ``WIRE_DISK_CACHE=0`` turns it off for
    the process). ``tiered=False`` compiles a very large derivative graph at once, instead of
    evaluating it as derived until it is hot (see :mod:`wire.api.jit`; both tiers give the
    same bits). ``reuse_buffers=True`` (the default) gives each compiled signature a scratch
    arena (:mod:`wire.runtime.arena`): intermediates of 128 KiB or more are written into
    buffers kept between calls (assigned by liveness; a concurrent or recursive call gets
    buffers of its own), and such outputs into arrays the function returned before that
    nothing references any more, which saves the page faults of fresh memory (same bits;
    outputs are still arrays only the caller holds). ``reuse_buffers=False`` allocates every
    array per call.

    ``gemm="numpy"`` (the default, or ``WIRE_GEMM``'s) runs matrix products with NumPy's
    BLAS; ``gemm="torch"`` runs the float32/float64 ones of 2-4 million multiply-adds or
    more (1 million for thin ones) through torch (MKL) on zero-copy views, NumPy arrays in
    and out (:mod:`wire.runtime.gemm`; results differ only by the order of the sums; a
    missing torch raises :class:`wire.errors.GemmUnavailableError` here); ``gemm="auto"``
    uses torch for a function with such a product when torch is installed.

    ``backend="dask"`` (or ``"cupy"``, ``"torch"``, ``"torch:cuda"``, or an Array-API
    namespace) runs the cached graph on that array library instead of generated NumPy code
    (:mod:`wire.runtime.backends`): on Dask the gradient graph becomes a task graph, NumPy
    arguments are chunked by ``chunks=``, and results stay lazy Dask arrays unless
    ``compute=True``; on torch, NumPy arguments become tensors on the device and results are
    tensors.
    """
    _check_donated(donate_argnums, donate_argnames)
    for what, flag in (("keep_unused", keep_unused), ("inline", inline)):
        if not isinstance(flag, (bool, np.bool_)):
            raise WireTypeError(f"jit: {what} must be True or False, got {flag!r}"
                                f"{at(user_location())}")
    if f is None:
        return functools.partial(jit, static_argnums=static_argnums, backend=backend,
                                 fuse=fuse, static_argnames=static_argnames,
                                 cache_limit=cache_limit, chunks=chunks,
                                 compute=compute, disk_cache=disk_cache, tiered=tiered,
                                 reuse_buffers=reuse_buffers, gemm=gemm)
    _check_backend(backend)
    if isinstance(f, Graph):
        if backend != "numpy":
            return Program(_simplify(f), backend, chunks, compute)
        return compile_graph(_simplify(f), fuse=fuse is not False,
                             reuse_buffers=bool(reuse_buffers), gemm=_gemm.resolve(gemm))
    return Jitted(f, static_argnums, backend, cache_limit, chunks, compute, disk_cache, fuse,
                  tiered, reuse_buffers, static_argnames, gemm)
