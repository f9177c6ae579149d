"""Function transforms: ``grad``, ``value_and_grad`` (more join them in the transforms work).

Each transform is defined on graphs first (``Graph -> Graph``); the function form traces the
function at its arguments' shapes, transforms the graph, and calls the result — evaluating it
when every argument is concrete, inlining it when called inside another trace. That is why
transforms compose to any depth with no bookkeeping: ``grad(grad(f))`` traces ``grad(f)``,
whose inner trace of ``f`` is inlined into the outer one as ordinary primitives.
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable, Sequence

import numpy as np

from .. import tree
from ..tree import strict_key
from ..errors import (
    NonDifferentiableError, WireError, WireNotImplementedError, WireTypeError, at,
    user_location,
)
from ..core import Tracer, call_graph_flat, flat_avals, to_tracer, trace_flat, weak_leaves
from ..core.locations import recording
from ..core.deferred import defer, uses_unknown_shapes
from ..errors import TracerBoolError
from ..ir import Aval, Graph, Node, _flat_tree, locating_by, sub_graphs, var_node
from ..ir.nodes import input_node, substitute
from ..ops.elementwise import convert
from ..ops.layout import full, ones_like_, zeros_like_
from ..ops.reductions import reduce_sum
from ..transforms.jet import derivatives
from ..transforms.jvp import forward_and_primals
from ..transforms.rules import DERIVATIVES
from ..transforms.budget import eager_level, simplify_for_compile, simplify_for_eager
from ..transforms.vjp import backward, backward_and_primals
from ..transforms.vjp_values import gradient_at
from ..core.debug import _NANS
from ..higher_order.linearity import (
    CONTROL_FLOW as _CONTROL_FLOW, depends_on_outside as _depends_on_outside,
    nonlinear_node as _nonlinear_node,
)
from ..tracebacks import entry_point
from .eager import Memo, keeps_no_trace, run, trace_eager


# --------------------------------------------------------------------------- helpers


def _normalize_argnums(argnums, nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise WireError(
                f"argnums {argnums!r} is out of range for a function of {nargs} positional "
                f"arguments{at(user_location())}"
            )
    return tuple(a % nargs for a in nums)


def arg_leaf_ranges(in_tree) -> list[range]:
    """For each positional argument of a graph, the range of its flat leaf indices."""
    if in_tree.kind != "tuple":
        return [range(in_tree.num_leaves)]
    out, start = [], 0
    for child in in_tree.children:
        out.append(range(start, start + child.num_leaves))
        start += child.num_leaves
    return out


def arg_trees(in_tree) -> list:
    return list(in_tree.children) if in_tree.kind == "tuple" else [in_tree]


def _graph_from(inputs, in_tree, result, source: Graph | None = None,
                table: dict | None = None) -> Graph:
    """A graph whose outputs are the nodes of pytree ``result`` (leaves: Nodes or Tracers).
    Its locations: ``source``'s for the nodes it shares with that graph (the graph it was
    derived from), ``table``'s (recorded while deriving it) for the new ones."""
    leaves, out_tree = tree.flatten(result)
    nodes = [leaf if isinstance(leaf, Node) else to_tracer(leaf).node for leaf in leaves]
    locs = None
    if source is not None:
        locs = dict(table) if table else {}
        locs.update(source.locs)
    return Graph(inputs, nodes, in_tree, out_tree, locs)


def call(graph: Graph, args: Sequence):
    """Call ``graph`` on positional ``args`` (pytrees): evaluate or inline; unflatten results."""
    leaves, _ = tree.flatten(tuple(args))
    return tree.unflatten(graph.out_tree, call_graph_flat(graph, leaves))


class Transformed:
    """A transformed function (``grad(f)``, ``vmap(f)``, ``jacrev(f)`` …): call it like any
    function; ``__wire_graph__(in_avals, in_tree, weak=())`` gives the graph it computes at
    arguments of those avals and pytree structure (``weak``: positions of leaves standing for
    Python scalars), which ``wire.jit`` and ``wire.trace`` ask for instead of tracing through
    the call (so ``jit(grad(f))`` compiles grad's graph itself). ``simplified``: the graphs it
    gives are already ``wire.simplify``'d. ``call(args, kwargs)`` is what calling it does
    (the eager form, :mod:`wire.api.eager`).

    >>> import numpy as np, wire
    >>> df = wire.grad(lambda x: (x ** 3).sum())
    >>> df(np.array([1.0, 2.0]))
    array([ 3., 12.])
    >>> len(wire.trace(df, np.ones(2)))  # 3 * x ** 2: two nodes
    2
    """

    def __init__(self, fun: Callable, graph_of: Callable, simplified: bool = False,
                 call: Callable | None = None, recipe: Callable | None = None, tower=None):
        functools.update_wrapper(self, fun, updated=())
        self._graph_of = graph_of
        self._call = call
        self._recipe = recipe
        self.simplified = simplified
        # (base function, n, simplify): this is grad applied n times to base (see grad)
        self.tower = tower

    def __wire_graph__(self, in_avals, in_tree, weak=()) -> Graph:
        return self._graph_of(in_avals, in_tree, weak)

    def __wire_recipe__(self, in_avals, in_tree, weak=()):
        """``(description, base, finish)``: the graph ``base`` traced from the user's
        function, a text saying how it is transformed, and ``finish()`` computing this
        function's graph from it — so ``wire.jit``'s disk cache can name the result before
        deriving it; ``finish(False)`` gives that graph before its final simplification (which
        ``wire.jit`` compiles first, see :mod:`wire.api.jit`). ``None`` when this transform
        does not say."""
        if self._recipe is None:
            return None
        return self._recipe(in_avals, in_tree, weak)

    @entry_point
    def __call__(self, *args, **kwargs):
        if self._call is not None:
            return self._call(args, kwargs)
        leaves, in_tree = tree.flatten(tuple(args))
        try:
            avals = flat_avals(leaves, in_tree)
        except WireTypeError:  # a float0 argument is structure (see wire.jit)
            found = tree.float0_structure(leaves, in_tree)
            if found[0] is leaves:
                raise
            leaves, in_tree = found
            avals = flat_avals(leaves, in_tree)
        graph = self._graph_of(avals, in_tree, weak_leaves(leaves))
        return tree.unflatten(graph.out_tree, call_graph_flat(graph, leaves))

    def __get__(self, obj, objtype=None):  # transformed methods bind like functions
        return self if obj is None else functools.partial(self, obj)

    def __repr__(self):
        return f"<wire transformed function {getattr(self, '__name__', '?')}>"


def traced(fun: Callable) -> Transformed:
    """``fun`` as a :class:`Transformed` function that runs ``fun`` and whose graph is ``fun``
    traced (for transforms whose function form computes more than one graph: ``jacrev`` runs
    a forward pass, then a batched pullback).

    >>> import numpy as np, wire
    >>> twice = traced(lambda x: x * 2.0)
    >>> twice(np.ones(2)), len(twice.__wire_graph__([wire.Aval((2,), np.float64)],
    ...                                           wire.tree.flatten((np.ones(2),))[1]))
    (array([2., 2.]), 1)
    """

    def graph_of(in_avals, in_tree, weak=()):
        return trace_flat(fun, in_avals, in_tree, weak)

    return Transformed(fun, graph_of, call=lambda args, kwargs: fun(*args, **kwargs))


class StaticNums(tuple):
    """Positions of static arguments; ``optional``: those named by ``static_argnames``
    (static when the call passes them positionally; by keyword they are passed as they are)."""

    optional: frozenset = frozenset()


def static_nums(static_argnums, f=None, static_argnames=()) -> tuple[int, ...]:
    """``static_argnums`` as a tuple of ints (checked), with the positions of the parameters
    of ``f`` named in ``static_argnames`` (see :func:`static_names`).

    >>> static_nums(1), static_nums((), lambda x, mode: x, "mode")
    ((1,), (1,))
    """
    if isinstance(static_argnums, StaticNums) and not static_argnames:
        return static_argnums
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise WireError(f"static_argnums must be ints, got {static_argnums!r}"
                        f"{at(user_location())}")
    if not static_argnames:
        return nums
    by_name, _ = static_names(f, nums, static_argnames)
    out = StaticNums(nums + tuple(i for i in by_name if i not in nums))
    out.optional = frozenset(i for i in by_name if i not in nums)
    return out


def static_names(f, static_argnums, static_argnames) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """As ``jax.jit``: ``(positions of the names, all static names)``: each name in
    ``static_argnames`` that is a positional parameter of ``f`` is static at its position too,
    and each position in ``static_argnums`` that is a parameter is static by its name too
    (where ``f`` has no signature Python can read, the names and numbers as given).

    >>> static_names(lambda x, mode, n=2: x, (2,), ("mode",))
    ((1,), ('mode', 'n'))
    """
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    if not all(isinstance(n, str) for n in names):
        raise WireTypeError(f"static_argnames must be strings, got {static_argnames!r}"
                            f"{at(user_location(3))}")
    try:
        params = list(inspect.signature(f).parameters.values()) if f is not None else []
    except (TypeError, ValueError):  # a builtin or a callable without a signature
        params = []
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    by_name = {p.name: i for i, p in enumerate(positional) if p.kind is p.POSITIONAL_OR_KEYWORD}
    nums = tuple(by_name[n] for n in names if n in by_name)
    extra = tuple(positional[i].name for i in static_argnums
                  if -len(positional) <= i < len(positional)
                  and positional[i].kind is positional[i].POSITIONAL_OR_KEYWORD)
    return nums, names + tuple(n for n in extra if n not in names)


def check_statics(statics: tuple, args: tuple, what: str, exclude=()) -> frozenset:
    """The positions of the static arguments of a call with ``args``, checked: present,
    hashable, not traced (a static value must be known), not in ``exclude`` (argnums)."""
    n = len(args)
    out = set()
    optional = getattr(statics, "optional", ())
    for i in statics:
        if i in optional and not i < n:  # named in static_argnames, not passed positionally
            continue
        if not -n <= i < n:
            raise WireError(f"{what}: static_argnums {statics!r} names argument {i}, but the "
                            f"function was called with {n} positional arguments"
                            f"{at(user_location(3))}")
        i %= n
        if i in exclude:
            raise WireError(f"{what}: argument {i} is both differentiated (argnums) and static "
                            f"(static_argnums){at(user_location(3))}")
        v = args[i]
        if any(isinstance(x, Tracer) for x in tree.leaves(v)):
            raise WireError(
                f"{what}: static argument {i} got a traced value {tree.leaves(v)[0]!r}; a "
                "static argument must be a concrete Python value. Under wire.jit, mark it "
                f"static there too (wire.jit(..., static_argnums={i})){at(user_location(3))}")
        try:
            hash(v)
        except TypeError:
            raise WireTypeError(
                f"{what}: static argument {i} is a {type(v).__name__}, which is not hashable; "
                "pass a tuple instead of a list, or make it an ordinary argument"
                f"{at(user_location(3))}") from None
        out.add(i)
    return frozenset(out)


def fix_args(f: Callable, args: tuple, kwargs: dict, nums: Sequence[int]) -> Callable:
    """``f`` as a function of the arguments at positions ``nums`` only: the other positional
    arguments and the keyword arguments are passed as they are."""

    def g(*dyn):
        full = list(args)
        for i, d in zip(nums, dyn):
            full[i] = d
        try:
            return f(*full, **kwargs)
        except WireTypeError as e:  # a refused array (masked, np.matrix) met as an operand
            refused = getattr(e, "refused", None)
            name = None if refused is None else _fixed_leaf_name(args, kwargs, nums, refused)
            if name is None:
                raise
            raise WireTypeError(str(e).replace(e.described_as, name, 1)) from None

    return g


def _fixed_leaf_name(args: tuple, kwargs: dict, nums, obj):
    """How an error names ``obj`` if it is a leaf of a fixed (not transformed) argument:
    ``"argument leaf [1]"``, ``"keyword argument 'm'"``; else None."""
    leaves, treedef = tree.flatten(tuple(args))
    nums = set(nums)
    for leaf, path in zip(leaves, tree.leaf_paths(treedef)):
        if leaf is obj and int(path[1:].split("]")[0]) not in nums:
            return f"argument leaf {path}"
    for k, v in kwargs.items():
        leaves, treedef = tree.flatten(v)
        for leaf, path in zip(leaves, tree.leaf_paths(treedef)):
            if leaf is obj:
                return f"keyword argument {k!r}" + ("" if path == "<root>" else f" leaf {path}")
    return None


def graph_through_call(call: Callable) -> Callable:
    """A ``graph_of`` for transforms with static arguments: the graph is traced through the
    call (its avals cannot carry the static values; the call checks them)."""

    def graph_of(in_avals, in_tree, weak=()):
        return trace_flat(lambda *a: call(a, {}), in_avals, in_tree, weak)

    return graph_of


def trace_args(f: Callable, args: Sequence) -> Graph:
    leaves, in_tree = tree.flatten(tuple(args))
    return trace_flat(f, flat_avals(leaves, in_tree), in_tree)


def _split_aux(graph: Graph, has_aux: bool, what: str):
    """(main output nodes' tree, main nodes, aux pytree of nodes) of a traced function."""
    outs = tree.unflatten(graph.out_tree, list(graph.outputs))
    if has_aux:
        if not (isinstance(outs, (tuple, list)) and len(outs) == 2):
            raise WireError(
                f"{what}(has_aux=True) needs the function to return a pair (output, aux), got "
                f"{graph.out_tree!r}{at(user_location())}"
            )
        return outs[0], outs[1]
    return outs, None


def scalar_output(out, what: str, holomorphic=None) -> Node:
    """``out`` checked to be one floating-point element. ``holomorphic``: ``False`` asks a
    real output (``grad``'s default, as in JAX and autograd: the gradient of a complex value
    is not defined), ``True`` a complex one, ``None`` either (``elementwise_grad``)."""
    if not isinstance(out, Node):
        raise NonDifferentiableError(
            f"{what} needs a function returning one scalar, got a pytree {tree.flatten(out)[1]!r}; "
            f"use wire.jacrev or wire.vjp for several outputs{at(user_location())}"
        )
    if out.aval.shape is None or out.aval.size != 1:
        # one element of any shape, as autograd accepts: (), (1,), (1, 1) ...
        raise NonDifferentiableError(
            f"{what} needs a scalar output (one element), got {out.aval!r}; use wire.jacrev "
            f"or wire.vjp for non-scalar outputs, wire.elementwise_grad for the gradient of "
            f"their sum, or reduce it (e.g. .sum()){at(user_location())}"
        )
    if out.aval.dtype.kind not in "fc":
        raise NonDifferentiableError(
            f"{what} needs a floating-point output, got {out.aval!r}{at(user_location())}"
        )
    if holomorphic is False and out.aval.dtype.kind == "c":
        raise WireTypeError(
            f"{what} needs a real output, got {out.aval!r}: for the complex derivative of a "
            f"holomorphic function pass holomorphic=True; for other functions with complex "
            f"outputs use wire.vjp{at(user_location())}"
        )
    if holomorphic and out.aval.dtype.kind != "c":
        raise WireTypeError(f"{what} with holomorphic=True needs a complex output, got "
                            f"{out.aval!r}{at(user_location())}")
    return out


def differentiable_inputs(graph: Graph, argnums, what: str,
                          holomorphic: bool = False) -> tuple[tuple[int, ...], list]:
    """Positional argnums and the input nodes of those arguments, checked to be floats
    (complex ones with ``holomorphic``)."""
    ranges = arg_leaf_ranges(graph.in_tree)
    nums = _normalize_argnums(argnums, len(ranges))
    trees = arg_trees(graph.in_tree)
    for a in nums:
        paths = tree.leaf_paths(trees[a])
        for k, i in enumerate(ranges[a]):
            aval = graph.inputs[i].aval
            if aval.dtype.kind not in "fc":
                where_ = f"argument {a}" + ("" if paths[k] == "<root>" else f" leaf {paths[k]}")
                raise NonDifferentiableError(
                    f"{what} with respect to {where_} of dtype {aval.dtype} ({aval!r}): "
                    f"derivatives need floating-point inputs; pass x.astype(float), or "
                    f"allow_int=True for a zero (float0) gradient"
                    f"{at(user_location())}"
                )
            if holomorphic and aval.dtype.kind != "c":
                where_ = f"argument {a}" + ("" if paths[k] == "<root>" else f" leaf {paths[k]}")
                raise WireTypeError(
                    f"{what} with holomorphic=True needs complex inputs, got {where_} of "
                    f"dtype {aval.dtype}; pass x.astype(complex){at(user_location())}")
    return nums, ranges


class _Args:
    """A transform's extra arguments as a cache key: strict (``argnums=0`` is not
    ``argnums=False``, nor ``(0,)``), and lists key like their contents."""

    __slots__ = ("args", "key", "hash")

    def __init__(self, args: tuple):
        self.args = args
        self.key = strict_key(args)
        self.hash = hash(self.key)  # TypeError: not hashable, so not cached

    def __hash__(self):
        return self.hash

    def __eq__(self, other):
        return isinstance(other, _Args) and self.key == other.key


def memo_graph_transform(fn):
    """Memoize a pure ``Graph -> Graph`` transform (first argument a Graph, then its options).

    Traces of the same function at the same avals give equal graphs, so repeated eager
    calls (``grad(f)(x)`` in a loop) skip re-deriving and re-simplifying. A :class:`Memo`
    (bounded, thread-safe): results holding large constants (keyed by identity, so they
    never repeat), or closing over a node of a trace the source graph does not
    (:func:`keeps_no_trace`), are not kept; nor are calls whose options cannot be hashed.
    """
    # (the key has graph.locs_key: equal graphs traced at other lines give results reporting
    # those lines)
    cached = Memo(lambda graph, a: fn(graph, *a.args), maxsize=128)

    @functools.wraps(fn)
    def transform(graph: Graph, *args):
        try:
            key = _Args(args)
        except TypeError:
            return fn(graph, *args)
        return cached(graph, key)

    transform.cache_clear = cached.cache_clear
    return transform


@memo_graph_transform
def _simplified(graph: Graph) -> Graph:
    return simplify_for_compile(graph, DERIVATIVES)


def maybe_simplify(graph: Graph, simplify: bool = True) -> Graph:
    """``wire.simplify(graph, rules.DERIVATIVES)`` when asked (transforms do by default:
    collecting like terms keeps derivative graphs small), else ``graph``."""
    return _simplified(graph) if simplify else graph


# --------------------------------------------------------------------------- grad


def grad_graph(
    graph: Graph,
    argnums=0,
    has_aux: bool = False,
    with_value: bool = False,
    simplify: bool = True,
    holomorphic=None,
) -> Graph:
    """The graph of ``grad`` (or ``value_and_grad`` with ``with_value``) of ``graph``.

    ``holomorphic``: ``False`` refuses a complex output, ``True`` needs complex inputs and
    output (the complex derivative), ``None`` (the default here) takes either.

    Same inputs; outputs ``g`` / ``(g, aux)`` / ``(value, g)`` / ``((value, aux), g)``.

    >>> import wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: wnp.sin(x) * x, 0.5)
    >>> round(float(wire.evaluate(wire.grad_graph(g), 0.5)), 6)     # sin(x) + x cos(x)
    0.918217
    >>> wire.evaluate(wire.grad_graph(g, with_value=True), 0.5)
    (array(0.23971277), array(0.91821682))
    """
    return _grad_graph(graph, argnums, has_aux, with_value, simplify, holomorphic)


@memo_graph_transform
def _grad_graph(graph, argnums, has_aux, with_value, simplify, holomorphic=None) -> Graph:
    if simplify:  # the derived graph is memoized too: jit's first tier compiles it unsimplified
        return maybe_simplify(_grad_graph(graph, argnums, has_aux, with_value, False,
                                          holomorphic))
    what = "value_and_grad" if with_value else "grad"
    out, aux = _split_aux(graph, has_aux, what)
    value = scalar_output(out, what, holomorphic)
    nums, ranges = differentiable_inputs(graph, argnums, what, bool(holomorphic))
    wrt = [graph.inputs[i] for a in nums for i in ranges[a]]
    with recording() as table, locating_by(graph):  # sub-graphs: graph's lines
        one = full(value.aval.shape, 1, value.aval.dtype)
        # the value and aux come back as the custom rules met computed them
        # (wire.transforms.vjp)
        aux_leaves, aux_tree = tree.flatten(aux)
        # a graph whose one output is the value: its nodes are that value's toposort
        # (inputs first, then the same walk), already made for most graphs
        order = graph.nodes if len(graph.outputs) == 1 else None
        cts, kept = backward_and_primals([value], [one], wrt, [value] + aux_leaves, graph.loc,
                                         order)
        value, aux = kept[0], tree.unflatten(aux_tree, kept[1:])
        grads = [zeros_like_(Tracer(n)) if g is None else g for g, n in zip(cts, wrt)]
    trees = arg_trees(graph.in_tree)
    per_arg, k = [], 0
    for a in nums:
        n = len(ranges[a])
        per_arg.append(tree.unflatten(trees[a], grads[k : k + n]))
        k += n
    g = per_arg[0] if isinstance(argnums, int) else tuple(per_arg)
    if with_value:
        result = ((value, aux), g) if has_aux else (value, g)
    else:
        result = (g, aux) if has_aux else g
    return _graph_from(graph.inputs, graph.in_tree, result, graph, table)


def _derivative(f, argnums, has_aux: bool, with_value: bool, simplify: bool, static_argnums,
                tower=None, recipe=None, holomorphic: bool = False):
    """The function form of ``grad``/``value_and_grad`` (see :func:`grad`); ``tower``: see
    :func:`grad` (``(base, n, simplify)``: ``grad`` applied ``n`` times to ``base``)."""
    statics = static_nums(static_argnums)
    what = "value_and_grad" if with_value else "grad"
    by = tower if tower is not None and tower[1] >= TOWER_FROM else None  # Taylor mode
    twice = tower is not None and tower[1] == 2  # grad(grad(base)): see second_derivative

    single = isinstance(argnums, int)

    def by_tower(args):
        """The tower's value at ``args`` (None where it does not apply: then the derivative
        of the inner function's eager trace). The base function is traced abstractly, so
        one that reads a traced value (a Python ``if``) goes the eager way."""
        leaves, in_tree = tree.flatten(tuple(args))
        if len(leaves) != 1:
            return None
        try:
            g = tower_graph(by[0], by[1], flat_avals(leaves, in_tree), in_tree, simplify,
                            weak_leaves(leaves))
        except TracerBoolError:
            return None
        return None if g is None else run(g, leaves)

    def call(args, kwargs):
        if by is not None and not kwargs and len(args) == 1:
            out = by_tower(args)
            if out is not None:
                return out
        if twice and not kwargs and len(args) == 1:
            out = second_derivative(tower[0], args[0], simplify)
            if out is not None:
                return out
        n = len(args)
        if single and 0 <= argnums < n:  # the common case, checked cheaply
            nums = (argnums,)
        else:
            nums = _normalize_argnums(argnums, n)
        if statics:
            check_statics(statics, args, what, exclude=nums)
        dyn = (args[nums[0]],) if len(nums) == 1 else tuple([args[i] for i in nums])
        for a in dyn:  # (a loop, not all() of a generator: every eager call asks)
            if type(a) is not np.ndarray:
                leaves, dyn_tree = tree.flatten(dyn)
                break
        else:  # plain arrays: nothing to flatten
            leaves, dyn_tree = list(dyn), _flat_tree(len(dyn))
        avals = flat_avals(leaves, dyn_tree)
        for a in avals:
            if a.dtype.kind not in "fc" or holomorphic and a.dtype.kind != "c":
                check_differentiable(avals, dyn_tree, nums, what, holomorphic)
        graph, lifted = trace_eager(fix_args(f, args, kwargs, nums), leaves, dyn_tree, avals,
                                    weak=weak_leaves(leaves), diff=range(len(leaves)))
        dgraph = eager_grad_graph(graph, 0 if single else tuple(range(len(nums))), has_aux,
                                  with_value, simplify, holomorphic)
        return run(dgraph, leaves + lifted)

    if statics:
        graph_of = graph_through_call(call)
    else:
        def graph_of(in_avals, in_tree, weak=()):
            if by is not None:
                g = tower_graph(by[0], by[1], in_avals, in_tree, simplify, weak)
                if g is not None:
                    return g
            return grad_graph(trace_flat(f, in_avals, in_tree, weak), argnums, has_aux,
                              with_value, simplify, holomorphic)

    return Transformed(f, graph_of, simplified=simplify, call=call,
                       recipe=None if statics else recipe, tower=tower)


def second_derivative(base: Callable, x, simplify: bool):
    """``grad(grad(base))(x)`` for a scalar float ``x``: one eager trace of ``base``, its
    derivative graph, and that graph's own derivative graph (both memoized), run on ``x``.
    ``None`` when ``x`` is not a scalar float (the general path then reports what is wrong).

    The general path traces ``grad(base)`` as a function: its call traces ``base`` inside
    that trace, derives it, and inlines the derivative graph into the outer trace, node by
    node, before the outer derivation; here the inner derivative graph is differentiated as
    it is (the same graph: it has the inner trace's inputs, ``x`` then the lifted arrays).
    When the eager budget would not collect terms in the outer derivative graph (large
    graphs of small values), that graph is not built at all: reverse mode runs on the values
    (:func:`wire.transforms.vjp_values.gradient_at`), which gives the value the graph would
    (bit for bit but for NumPy's scalar ``**``, see there).
    """
    if not (type(x) is np.ndarray or type(x) is float or isinstance(x, Tracer)):
        return None
    leaves, in_tree = [x], _flat_tree(1)
    avals = flat_avals(leaves, in_tree)
    if avals[0].shape != () or avals[0].dtype.kind != "f":
        return None
    graph, lifted = trace_eager(base, leaves, in_tree, avals, weak=weak_leaves(leaves),
                                diff=range(1))
    first = eager_grad_graph(graph, 0, False, False, simplify, False)
    args = leaves + lifted
    if (not simplify or eager_level(first) != "full") and not _NANS.get() and \
            not any(isinstance(a, Tracer) for a in args):
        # its derivative graph would run once, unsimplified (or with the linear passes,
        # which keep values bit for bit): run its rules on the values instead of building
        # it (the same value; None where the graph is needed)
        value = gradient_at(first, args, 0)
        if value is not None:
            return value
    return run(eager_grad_graph(first, 0, False, False, simplify, False), args)


def check_differentiable(avals, dyn_tree, nums, what: str, holomorphic: bool = False) -> None:
    """A ``NonDifferentiableError`` naming the argument (and leaf) of a non-float input (with
    ``holomorphic``, a ``WireTypeError`` naming a real one)."""
    trees = arg_trees(dyn_tree)
    k = 0
    for a, t in zip(nums, trees):
        paths = None
        for j in range(t.num_leaves):
            aval = avals[k + j]
            if aval.dtype.kind not in "fc":
                paths = paths or tree.leaf_paths(t)
                where_ = f"argument {a}" + ("" if paths[j] == "<root>" else f" leaf {paths[j]}")
                raise NonDifferentiableError(
                    f"{what} with respect to {where_} of dtype {aval.dtype} ({aval!r}): "
                    f"derivatives need floating-point inputs; pass x.astype(float), or "
                    f"allow_int=True for a zero (float0) gradient"
                    f"{at(user_location(3))}"
                )
            if holomorphic and aval.dtype.kind != "c":
                paths = paths or tree.leaf_paths(t)
                where_ = f"argument {a}" + ("" if paths[j] == "<root>" else f" leaf {paths[j]}")
                raise WireTypeError(
                    f"{what} with holomorphic=True needs complex inputs, got {where_} of "
                    f"dtype {aval.dtype}; pass x.astype(complex){at(user_location(3))}")
        k += t.num_leaves


def _eager_grad(graph, argnums, has_aux, with_value, simplify, holomorphic) -> Graph:
    """The derivative graph of an eager call, simplified as far as running it can repay
    (:func:`wire.transforms.budget.simplify_for_eager`)."""
    dgraph = _grad_graph.__wrapped__(graph, argnums, has_aux, with_value, False, holomorphic)
    return simplify_for_eager(dgraph, DERIVATIVES) if simplify else dgraph


eager_grad_graph = Memo(_eager_grad, keep=keeps_no_trace)


def value_and_grad(f, argnums=0, has_aux: bool = False, *, holomorphic: bool = False,
                   simplify: bool = True, static_argnums=(), static_argnames=(),
                   allow_int: bool = False):
    """``f``'s value and gradient with respect to ``argnums``, from one trace.

    Other positional arguments and keyword arguments are passed to ``f`` as they are (not
    differentiated); ``static_argnums`` (or ``static_argnames``, by parameter name) also
    keeps them out of ``jit``'s traced arguments.

    >>> import numpy as np, wire
    >>> wire.value_and_grad(lambda x: (x ** 2).sum())(np.array([1.0, 2.0]))
    (array(5.), array([2., 4.]))
    """
    if allow_int:
        return _allowing_int(value_and_grad, f, argnums, has_aux, holomorphic, simplify,
                             static_argnums, static_argnames)
    if isinstance(f, Graph):
        return grad_graph(f, argnums, has_aux, True, simplify, holomorphic)
    static_argnums = static_nums(static_argnums, f, static_argnames)
    recipe = _grad_recipe(f, argnums, has_aux, True, simplify, holomorphic)
    return _derivative(f, argnums, has_aux, True, simplify, static_argnums, recipe=recipe,
                       holomorphic=holomorphic)


def grad(f, argnums=0, has_aux: bool = False, *, holomorphic: bool = False,
         simplify: bool = True, static_argnums=(), static_argnames=(), allow_int: bool = False):
    """The gradient of scalar-valued ``f`` with respect to argument(s) ``argnums``.

    Composes to any order; ``f`` may take and return pytrees; a ``Graph`` gives a ``Graph``.
    The derivative graph is simplified (``wire.simplify``) unless ``simplify=False``.
    Arguments outside ``argnums`` and keyword arguments are passed to ``f`` as they are, as
    in autograd and JAX: an integer can slice, a Python ``if`` can read a traced value
    (called on concrete values, the trace knows them; see ``docs/eager.md``).

    ``grad`` nested ``n`` times on a function of one scalar is its ``n``-th derivative: from
    the third on, it is computed in Taylor mode from ``f`` itself (one series of order ``n``,
    O(n²) operations per primitive; see ``wire.taylor``) rather than by differentiating the
    derivative graph again, whose size grows with the terms of Faà di Bruno's formula.

    ``f`` returns a real value, as in JAX and autograd; with ``holomorphic=True`` its
    arguments and value are complex and the result is the complex derivative ``f'(z)``
    (JAX's ``holomorphic=True``, autograd's ``holomorphic_grad``).

    ``static_argnums``/``static_argnames`` (by position / by parameter name) mark arguments
    passed as they are: hashable Python values that may steer control flow (under ``jit``
    mark them static there too).

    ``allow_int=True`` (as in JAX) lets ``argnums`` hold integer and bool leaves: their
    gradient is a zero array of their shape and of dtype ``wire.float0``
    (``[('float0', 'V')]``, JAX's ``float0``); without it they raise
    ``wire.NonDifferentiableError`` naming the leaf.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> wire.grad(wnp.sin)(0.0)
    array(1.)
    >>> wire.grad(wire.grad(wire.grad(lambda x: x ** 4)))(1.0)
    array(24.)
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> wire.grad(lambda w, i: wnp.sum(X[2 * i:2 * i + 2] @ w))(np.ones(2), 1)
    array([10., 12.])
    >>> gw, gi = wire.grad(lambda w, i: w * i, argnums=(0, 1), allow_int=True)(2.0, 3)
    >>> gw, gi.dtype == wire.float0, gi.shape
    (array(3.), True, ())
    """
    if allow_int:
        return _allowing_int(grad, f, argnums, has_aux, holomorphic, simplify, static_argnums,
                             static_argnames)
    if isinstance(f, Graph):
        return grad_graph(f, argnums, has_aux, False, simplify, holomorphic)
    static_argnums = static_nums(static_argnums, f, static_argnames)
    tower = None
    if (type(argnums) is int and argnums == 0 and not has_aux and not static_argnums
            and not holomorphic):
        inner = getattr(f, "tower", None) if isinstance(f, Transformed) else None
        base, n, _ = inner if inner is not None and inner[2] == simplify else (f, 0, simplify)
        tower = (base, n + 1, simplify)
    # the disk cache's name for the result (not for a Taylor-mode tower: jit then names
    # it by the graph itself)
    recipe = (_grad_recipe(f, argnums, has_aux, False, simplify, holomorphic)
              if tower is None or tower[1] < TOWER_FROM else None)
    return _derivative(f, argnums, has_aux, False, simplify, static_argnums, tower, recipe,
                       holomorphic)


# JAX's dtype of the gradient of an integer input (``jax.dtypes.float0``): no bytes per element
float0 = tree.FLOAT0


def _is_int_leaf(leaf) -> bool:
    dt = leaf.dtype if isinstance(leaf, Tracer) else getattr(leaf, "dtype", None)
    dt = np.dtype(dt) if dt is not None else np.result_type(leaf)
    return dt.kind in "biu"


def _allowing_int(transform, f, argnums, has_aux, holomorphic, simplify, static_argnums,
                  static_argnames):
    """``transform(f, ..., allow_int=True)``: ``transform`` (grad or value_and_grad) of ``f``
    as a function of the float leaves of ``argnums`` only, each integer or bool leaf given
    a zero gradient of dtype ``float0``."""
    if isinstance(f, Graph):
        raise WireNotImplementedError(
            f"{transform.__name__}(graph, allow_int=True): allow_int takes a function; a "
            f"graph's outputs cannot hold float0 arrays{at(user_location(3))}")
    what = transform.__name__
    statics = static_nums(static_argnums, f, static_argnames)

    @functools.wraps(f)
    def call(*args, **kwargs):
        nums = _normalize_argnums(argnums, len(args))
        if statics:
            check_statics(statics, args, what, exclude=nums)
        flat = [tree.flatten(args[a]) for a in nums]
        ints = [[_is_int_leaf(leaf) for leaf in leaves] for leaves, _ in flat]
        if not any(any(row) for row in ints):
            return transform(f, argnums, has_aux, holomorphic=holomorphic, simplify=simplify,
                             static_argnums=statics)(*args, **kwargs)
        floats = tuple(leaf for (leaves, _), row in zip(flat, ints)
                       for leaf, is_int in zip(leaves, row) if not is_int)

        def h(fl, *full, **kw):
            full, it = list(full), iter(fl)
            for a, (leaves, td), row in zip(nums, flat, ints):
                # the integer leaves as passed (through ``full``: traced ones stay traced)
                given = tree.leaves(full[a])
                full[a] = tree.unflatten(td, [g if is_int else next(it)
                                              for g, is_int in zip(given, row)])
            return f(*full, **kw)

        out = transform(h, 0, has_aux, holomorphic=holomorphic, simplify=simplify,
                        static_argnums=tuple(i + 1 for i in statics))(floats, *args, **kwargs)
        value, g = out if transform is value_and_grad else (None, out)
        if has_aux and transform is grad:
            g, aux = g
        it = iter(g)
        per_arg = []
        for (leaves, td), row in zip(flat, ints):
            per_arg.append(tree.unflatten(td, [
                np.zeros(tuple(leaf.shape) if isinstance(leaf, Tracer) else np.shape(leaf),
                         float0) if is_int else next(it) for leaf, is_int in zip(leaves, row)]))
        grads = per_arg[0] if isinstance(argnums, int) else tuple(per_arg)
        if transform is value_and_grad:
            return value, grads
        return (grads, aux) if has_aux else grads

    return call


def _grad_recipe(f, argnums, has_aux, with_value, simplify, holomorphic=False):
    """The ``__wire_recipe__`` of ``grad``/``value_and_grad`` of ``f`` (see Transformed)."""
    what = f"grad(argnums={argnums!r}, has_aux={has_aux}, value={with_value}, " \
           f"simplify={simplify}" + (", holomorphic=True)" if holomorphic else ")")

    # finish(False): the graph before its final simplification (wire.jit's first tier)
    def recipe(in_avals, in_tree, weak=()):  # weak: positions of Python-scalar leaves
        inner = getattr(f, "__wire_recipe__", None)
        found = inner(in_avals, in_tree, weak) if inner is not None else None
        if found is None:
            base = trace_flat(f, in_avals, in_tree, weak)
            return what, base, lambda final=True: grad_graph(
                base, argnums, has_aux, with_value, simplify and final, holomorphic)
        desc, base, finish = found
        return (f"{what} of {desc}", base, lambda final=True: grad_graph(
            finish(), argnums, has_aux, with_value, simplify and final, holomorphic))

    return recipe


# The order from which nested grad goes through Taylor mode. At order 2 reverse-over-reverse
# is already within ~1.1x of SymPy's cse on the higher-order panel, while the order-2 series of
# a long scalar chain simplified 2x slower, with 2x the memory (grad(grad) of a 3000-op chain);
# with the eager budget it still took 1.05-1.12x reverse-over-reverse's time on the 10k chain
# (fewer nodes, but dearer rules), and an eager grad(grad) of a large graph now builds no
# second derivative graph at all (second_derivative).
TOWER_FROM = 3


def tower_graph(base: Callable, n: int, in_avals, in_tree, simplify: bool = True, weak=()):
    """The graph of ``grad`` applied ``n`` times to ``base`` at one scalar float argument, by
    Taylor mode (``None`` when ``base`` is not a function of one scalar to one scalar, or
    the argument is not a float scalar: ``grad`` then differentiates the inner graph)."""
    if len(in_avals) != 1 or in_avals[0].shape != () or in_avals[0].dtype.kind != "f":
        return None
    graph = trace_flat(base, in_avals, in_tree, weak)
    if len(graph.outputs) != 1 or graph.out_tree != tree.LEAF:
        return None
    out = graph.outputs[0].aval
    if isinstance(out, tuple) or out.shape != () or out.dtype.kind != "f":
        return None
    if _holds_users_rule(graph):
        # A Taylor series takes a custom rule's series (y' = rule(x, x') as an identity),
        # while nested grad differentiates the rule's code, as JAX does: the two differ where
        # the rule is not the function's derivative (grad³ of round-with-identity-rule(x)·
        # sin(x) at 0.3: -0.887 by the series, -0.296 nested), and grad must mean the nested
        # derivative. wire's own rules (expit, log_ndtr, …) are the function's derivative.
        return None
    return _tower_graph(graph, n, simplify)


_CUSTOM_CALLS = frozenset(("custom_jvp_call", "custom_vjp_call"))


def _users_rule(rule) -> bool:
    """Whether a custom call's rule is a user's (not one of wire's own, which are the
    derivatives of their functions; ``wire.extend``'s primitives hold users' rules)."""
    while hasattr(rule, "inner"):  # a BatchedRule
        rule = rule.inner
    owner = rule.owner
    module = getattr(getattr(owner, "fun", owner), "__module__", None) or ""
    return not module.startswith("wire.") or module == "wire.extend"


def _holds_users_rule(graph: Graph, seen=None) -> bool:
    """Whether ``graph`` or a graph held in a node's params calls a user's custom rule."""
    seen = set() if seen is None else seen
    for node in graph.nodes:
        if node.op.name in _CUSTOM_CALLS and _users_rule(node.params["rule"]):
            return True
        for g in sub_graphs(node.params) if node._items else ():
            if id(g) not in seen:
                seen.add(id(g))
                if _holds_users_rule(g, seen):
                    return True
    return False


@memo_graph_transform
def _tower_graph(graph: Graph, n: int, simplify: bool) -> Graph:
    (leaf,) = graph.inputs
    last = derivatives(graph, n, [0], only_last=True)
    if last.aval.dtype != leaf.aval.dtype:  # grad's dtype: the argument's
        last = convert(Tracer(last), leaf.aval.dtype).node
    return maybe_simplify(Graph(graph.inputs, [last], graph.in_tree, tree.LEAF), simplify)


def elementwise_grad(f, argnums=0, *, simplify: bool = True):
    """The gradient of ``sum(f(x))`` (autograd's ``elementwise_grad``): for a function acting
    elementwise, the derivative of each output with respect to its own input, in one
    reverse pass. ``f`` returns one floating-point array of any shape.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> wire.elementwise_grad(wnp.tanh)(np.array([0.0, 1.0]))
    array([1.        , 0.41997434])
    """
    if isinstance(f, Graph):
        return grad_graph(_summed(f), argnums, False, False, simplify)

    def graph_of(in_avals, in_tree, weak=()):
        return grad_graph(_summed(trace_flat(f, in_avals, in_tree, weak)), argnums, False,
                          False, simplify)

    return Transformed(f, graph_of, simplified=simplify)


def _summed(graph: Graph) -> Graph:
    """``graph`` with its one output replaced by the sum of its elements."""
    if len(graph.outputs) != 1 or graph.out_tree.kind != "leaf":
        raise NonDifferentiableError(
            f"elementwise_grad needs a function returning one array, got a pytree "
            f"{graph.out_tree!r}{at(user_location())}"
        )
    out = graph.outputs[0]
    if out.aval.shape is None or out.aval.dtype.kind not in "fc":
        raise NonDifferentiableError(
            f"elementwise_grad needs a floating-point array of known shape, got {out.aval!r}"
            f"{at(user_location())}"
        )
    with recording() as table, locating_by(graph):  # sub-graphs: graph's lines
        total = reduce_sum(Tracer(out), None) if out.aval.shape else Tracer(out)
    return _graph_from(graph.inputs, graph.in_tree, total, graph, table)


# --------------------------------------------------------------------------- linear_transpose


def _primal_aval(leaf, path: str) -> Aval:
    """The aval of one of ``linear_transpose``'s primals: an array, a number, or anything
    with ``shape`` and ``dtype`` (``wire.ShapeDtypeStruct``)."""
    if not isinstance(leaf, (Tracer, np.ndarray, np.generic, bool, int, float, complex)) and \
            hasattr(leaf, "shape") and hasattr(leaf, "dtype"):
        return Aval(tuple(leaf.shape), np.dtype(leaf.dtype))
    return flat_avals([leaf], tree.LEAF)[0]


def _depends_on(nodes, targets: set) -> Node | None:
    """A node of ``targets`` that one of ``nodes`` is computed from, or None."""
    seen, stack = set(), [n for n in nodes if n is not None]
    while stack:
        n = stack.pop()
        if n in targets:
            return n
        if id(n) in seen:
            continue
        seen.add(id(n))
        stack.extend(n.inputs)
    return None


def linear_transpose(f: Callable, *primals, reduce_axes=()):
    """The transpose of the linear function ``f`` (``jax.linear_transpose``): a function
    taking a cotangent like ``f``'s output and returning a tuple, one cotangent per argument,
    ``ct ↦ Jᵀ ct``. ``primals`` give the arguments' shapes and dtypes only (arrays or
    ``wire.ShapeDtypeStruct``s; floating point or complex). ``f`` is traced once, abstractly.

    Complex arguments and outputs are transposed as JAX transposes them: the transpose of
    the real-linear map under the pairing ``Re(sum(a * b))`` (no conjugation: ``A @ x``
    transposes to ``Aᵀ @ ct``, ``conj`` to ``conj``, ``real`` to a complex cotangent,
    ``imag`` to ``-1j * ct``); a real argument of a complex function receives the real part
    of its cotangent, so the transpose is ``wire.vjp``'s pullback of the linear ``f``.

    ``f`` must be linear in its arguments, built from linear operations (sums, products
    with constants, matrix products, indexing, reshapes, the FFTs, the real ones too:
    ``rfft``, ``irfft``, ``rfftn``, ``irfftn``, ``hfft``, ``ihfft``, the linear solves in
    their right-hand side, the matrix a constant: ``wire.numpy.linalg.solve``,
    ``wire.scipy.linalg``'s ``solve``, ``solve_triangular``, ``cho_solve``, ``lu_solve``,
    ``solve_banded``, ``solveh_banded``, ``solve_toeplitz``, ``solve_sylvester`` and the
    Lyapunov solvers, ``wire.lax.custom_linear_solve`` and the Krylov solvers of
    ``wire.scipy.sparse.linalg``, the solution of ``lstsq`` …, transposed to the transposed
    solve), as in JAX also
    through ``wire.cond``/``wire.switch`` (whose predicate or index must not be computed
    from the arguments), ``wire.scan``, ``wire.fori_loop`` with static bounds and
    ``wire.checkpoint``: anything else applied to a value computed from the arguments
    (``x * x``, ``sin``, ``floor``, ``stop_gradient``, a custom derivative rule,
    ``wire.while_loop``), also inside those, raises ``wire.NonDifferentiableError``
    naming it and where. A constant term is dropped, as in JAX (``x + 1`` transposes as
    ``x``).

    >>> import numpy as np, wire
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> f_t = wire.linear_transpose(lambda x: A @ x, np.zeros(2))
    >>> f_t(np.array([1.0, 0.0, 1.0]))
    (array([6., 8.]),)
    >>> cumulative = lambda x: wire.scan(lambda c, v: (c + 2.0 * v, c), 0.0, x)[1]
    >>> wire.linear_transpose(cumulative, np.zeros(3))(np.ones(3))
    (array([4., 2., 0.]),)
    >>> wire.linear_transpose(lambda z: (2.0 + 1.0j) * z.conj(), np.zeros(1, complex))(
    ...     np.array([1.0j]))
    (array([-1.-2.j]),)
    >>> import wire.numpy as wnp
    >>> wire.linear_transpose(wnp.fft.rfft, np.zeros(4))(np.array([0.0, 1.0, 0.0j]))
    (array([ 1.,  0., -1.,  0.]),)
    >>> U = np.array([[2.0, 1.0], [0.0, 4.0]])     # solves U x = b: transposes to Uᵀ
    >>> wire.linear_transpose(lambda b: wire.scipy.linalg.solve_triangular(U, b),
    ...                       np.zeros(2))(np.array([2.0, 3.0]))
    (array([1. , 0.5]),)
    """
    what = "linear_transpose"
    if reduce_axes:
        raise WireNotImplementedError(f"{what}: reduce_axes (named axes) is not supported"
                                      f"{at(user_location())}")
    leaves, in_tree = tree.flatten(tuple(primals))
    paths = tree.leaf_paths(in_tree)
    avals = [_primal_aval(leaf, p) for leaf, p in zip(leaves, paths)]
    for aval, path in zip(avals, paths):
        if aval.shape is None or aval.dtype.kind not in "fc":
            raise WireNotImplementedError(
                f"{what} transposes functions of floating-point (or complex) arrays of known "
                f"shape; "
                f"argument leaf {path} is {aval!r}{at(user_location())}")
    graph = trace_flat(f, avals, in_tree)
    bad, _ = _nonlinear_node(graph)
    if bad is not None:
        where = f" ({bad.where})" if bad.where else ""
        with locating_by(graph):  # a sub-graph's node: interning may share it with another trace
            loc = bad.graph.loc(bad.node)
        raise NonDifferentiableError(f"{what}: {bad.why}{where}{at(loc or user_location())}")
    out_paths = tree.leaf_paths(graph.out_tree)
    out_avals = [o.aval for o in graph.outputs]
    for aval, path in zip(out_avals, out_paths):
        if isinstance(aval, tuple) or aval.shape is None or aval.dtype.kind not in "fc":
            raise WireNotImplementedError(
                f"{what}: output leaf {path} is {aval!r}; the outputs of the function must "
                f"be floating-point (or complex) arrays{at(user_location())}")
    n, m = len(graph.inputs), len(graph.outputs)
    # tangent inputs numbered after the primal inputs and the cotangent inputs (0 .. m - 1):
    # nodes are interned, so an equal index and aval would make them one node
    t_in = [input_node(n + m + i, a) for i, a in enumerate(avals)]
    with recording() as table, locating_by(graph):
        t_out, _ = forward_and_primals(list(graph.outputs), list(graph.inputs),
                                       [Tracer(t) for t in t_in], list(graph.outputs),
                                       graph.loc, graph.nodes)
        t_nodes = [None if t is None else t.node for t in t_out]
        primal_inputs = set(graph.inputs)
        for k, t in enumerate(t_nodes):
            x = _depends_on_outside([t], primal_inputs)
            if x is not None:
                raise NonDifferentiableError(
                    f"{what}: the function is not linear: the derivative of output leaf "
                    f"{out_paths[k]} depends on the value of argument leaf "
                    f"{paths[graph.inputs.index(x)]} (a product of two arguments, or a "
                    f"nonlinear function of one){at(user_location())}")
        control = any(x.op.name in _CONTROL_FLOW for x in graph.nodes)
        if control:
            # the derivatives of a control-flow node take its operands along, read or not
            # (a scan's tangent carries the primal carry too, a cond's transpose takes the
            # tangents): the function being linear, its transpose is the same at every
            # point and tangent, so take it at zero (primals here: the cotangent inputs
            # below may be the same nodes as the primal inputs)
            zeros = {x: to_tracer(full(a.shape, 0, a.dtype)).node
                     for x, a in zip(graph.inputs, avals)}
            live_t = [t for t in t_nodes if t is not None]
            at_zero = dict(zip(live_t, substitute(live_t, zeros)))
            t_nodes = [None if t is None else at_zero[t] for t in t_nodes]
        ct_in = [input_node(i, a) for i, a in enumerate(out_avals)]
        live = [(t, Tracer(c)) for t, c in zip(t_nodes, ct_in) if t is not None]
        found = backward([t for t, _ in live], [c for _, c in live], t_in) if live else \
            [None] * n
        cts = [full(a.shape, 0, a.dtype) if g is None else g for g, a in zip(found, avals)]
        if control:
            ct_nodes = [to_tracer(c).node for c in cts]
            if _depends_on_outside(ct_nodes, set(t_in)) is not None:
                raise NonDifferentiableError(f"{what}: the function is not linear"
                                             f"{at(user_location())}")
            zeros = {x: to_tracer(full(a.shape, 0, a.dtype)).node for x, a in zip(t_in, avals)}
            cts = [Tracer(c) for c in substitute(ct_nodes, zeros)]
    ct_tree = tree.TreeDef("tuple", tuple, None, (graph.out_tree,))
    tgraph = maybe_simplify(Graph(ct_in, [to_tracer(c).node for c in cts], ct_tree, in_tree,
                                  dict(table)))
    if _depends_on(tgraph.outputs, set(t_in)) is not None:  # linear in t: cannot happen
        raise NonDifferentiableError(f"{what}: the function is not linear"
                                     f"{at(user_location())}")

    def transposed(cotangent):
        ct_leaves, got = tree.flatten(cotangent)
        if got != graph.out_tree:
            raise WireTypeError(f"{what}: the cotangent's structure {got!r} does not match "
                                f"the function's output {graph.out_tree!r}"
                                f"{at(user_location())}")
        for leaf, aval, path in zip(ct_leaves, out_avals, out_paths):
            shape, dtype = np.shape(leaf) if not isinstance(leaf, Tracer) else leaf.shape, (
                leaf.dtype if hasattr(leaf, "dtype") else np.result_type(leaf))
            if tuple(shape) != tuple(aval.shape) or np.dtype(dtype) != aval.dtype:
                raise WireTypeError(
                    f"{what}: the cotangent's leaf {path} is {np.dtype(dtype)}{list(shape)}, "
                    f"but the function's output there is {aval!r}{at(user_location())}")
        return tree.unflatten(in_tree, call_graph_flat(tgraph, ct_leaves))

    functools.update_wrapper(transposed, f, updated=())
    return transposed


# --------------------------------------------------------------------------- node-level API


def gradients(ys, xs, dys=None):
    """Symbolic derivatives of ``ys`` with respect to ``xs``, as new nodes (seed-design style).

    ``ys`` is one node or a list; ``dys`` gives output gradients (each missing one is ones
    shaped like its ``y``), so ``y`` need not be a scalar. Returns one node per ``x``; a node
    that ``ys`` does not depend on gets zeros. Gradients of gradients work the same way.

    >>> import numpy as np, wire
    >>> x1, x2 = wire.var("x1"), wire.var("x2")
    >>> g1, g2 = wire.gradients(x1 * x2 + x1, [x1, x2])
    >>> wire.evaluate([g1, g2], {x1: np.array(2.0), x2: np.array(3.0)})
    [array(4.), array(2.)]
    """
    ys = [ys] if not isinstance(ys, (list, tuple)) else list(ys)
    ys = [to_tracer(y) for y in ys]
    single_x = not isinstance(xs, (list, tuple))
    xs = [xs] if single_x else list(xs)
    xs = [to_tracer(x) for x in xs]
    if dys is None:
        dys = [None] * len(ys)
    elif not isinstance(dys, (list, tuple)):
        dys = [dys]
    if len(dys) != len(ys):
        raise WireError(f"gradients: {len(ys)} ys but {len(dys)} dys{at(user_location())}")
    if uses_unknown_shapes([t.node for t in ys + xs]):  # made once the shapes are fed
        return _deferred_gradients(ys, xs, dys, single_x)
    cts = [ones_like_(y) if dy is None else to_tracer(dy) for y, dy in zip(ys, dys)]
    for y, ct in zip(ys, cts):
        if y.shape is not None and ct.shape is not None and y.shape != ct.shape:
            raise WireError(
                f"gradients: output gradient of shape {ct.shape} does not match its output "
                f"{y.aval!r}{at(user_location())}"
            )
    found = backward([y.node for y in ys], cts, [x.node for x in xs])
    out = [zeros_like_(x) if g is None else g for g, x in zip(found, xs)]
    return out[0] if single_x else out


def _deferred_gradients(ys, xs, dys, single_x):
    """``gradients`` of a graph using shapeless vars: one deferred node per ``x``, running
    ``gradients`` on the graph made for the fed shapes (so gradients of gradients nest)."""
    given = [i for i, dy in enumerate(dys) if dy is not None]
    operands = ys + xs + [to_tracer(dys[i]) for i in given]
    ny, nx = len(ys), len(xs)

    def grad_of(k):
        def made(*new):
            new_dys = [None] * ny
            for i, dy in zip(given, new[ny + nx:]):
                new_dys[i] = dy
            return gradients(list(new[:ny]), list(new[ny:ny + nx]), new_dys)[k]
        return made

    out = [defer(grad_of(k), operands, "gradients", dtype=x.dtype) for k, x in enumerate(xs)]
    return out[0] if single_x else out


def var(name: str, shape=None, dtype=None) -> Tracer:
    """A named symbolic input. Two ``var`` calls with one name (and shape/dtype) are one variable.

    >>> import wire
    >>> wire.var("x", shape=(3,))
    Tracer<f64[3] var x>
    """
    aval = Aval(shape, np.float64 if dtype is None else dtype)
    return Tracer(var_node(str(name), aval, user_location()))


def Variable(name: str, shape=None, dtype=None) -> Tracer:
    """The first seed design's name for :func:`var`.

    >>> import wire
    >>> x = wire.Variable("x")
    >>> wire.evaluate(x * 2.0 + 1.0, {x: 3.0})
    array(7.)
    """
    return var(name, shape=shape, dtype=dtype)


def matmul_op(node_A, node_B, trans_A: bool = False, trans_B: bool = False) -> Tracer:
    """The first seed design's matrix product: ``op(A) @ op(B)``, ``op`` transposing when
    ``trans_A``/``trans_B`` is set. Works on shapeless vars (made once the shapes are fed).

    >>> import numpy as np, wire
    >>> a, b = wire.var("a"), wire.var("b")
    >>> wire.evaluate(wire.matmul_op(a, b, trans_A=True), {a: np.ones((3, 2)), b: np.ones((3, 4))})
    array([[3., 3., 3., 3.],
           [3., 3., 3., 3.]])
    """
    a, b = to_tracer(node_A), to_tracer(node_B)
    return (a.T if trans_A else a) @ (b.T if trans_B else b)

