"""``wire.vmap``: the vectorising map, as a function transform and as a graph transform.

``vmap(f)`` traces ``f`` at the shapes of one example (each mapped argument without its batch
axis), batches the graph with :func:`wire.transforms.vmap.vmap_flat`, and calls the result —
evaluating it on concrete arguments, inlining it into an enclosing trace otherwise. So it
composes with ``grad``, ``jvp``, ``jit`` and itself with no special cases: per-example
gradients are ``vmap(grad(loss), in_axes=(None, 0, 0))``.

``in_axes``/``out_axes`` follow JAX: an int (the batch axis, negative allowed), ``None`` (not
mapped), or a pytree *prefix* of the arguments (a tuple with one entry per positional argument)
/ of the result, whose int/None leaves apply to every array below them.
"""

from __future__ import annotations

import numpy as np

from .. import tree
from .concrete import BatchedDecision
from .eager import Memo, run, trace_eager
from .grad import (StaticNums, Transformed, check_statics, fix_args, graph_through_call,
                   keeps_no_trace, static_names, static_nums)
from ..errors import WireError, WireTypeError, at, user_location
from ..ir import Aval, Graph
from ..core import Tracer, current_trace, flat_avals, trace_flat, weak_leaves
from ..ops.indexing import getitem
from ..ops.layout import concatenate
from ..transforms.vmap import vmap_flat
from ..tracebacks import internal

_has_float0 = internal(tree.has_float0)  # (asked on every eager call: no entry point)

# --------------------------------------------------------------------------- axis specs


def _is_axis(a) -> bool:
    return a is None or (isinstance(a, int) and not isinstance(a, bool))


def prefix_axes(spec, td: tree.TreeDef, what: str, path: str = "") -> list:
    """One axis (int or None) per leaf of the tree ``td``, from the pytree prefix ``spec``."""
    if _is_axis(spec):
        return [spec] * td.num_leaves
    found = tree._children(spec)
    where = f" at {path}" if path else ""
    if found is None:
        raise WireError(
            f"vmap: {what} entries must be ints, None or containers of them, got "
            f"{type(spec).__name__} {spec!r}{where}{at(user_location())}"
        )
    kind, typ, aux, kids = found
    if td.kind != kind or typ is not td.type or len(kids) != len(td.children) or \
            (aux is not None and aux != td.aux):
        raise WireError(
            f"vmap: {what} {spec!r}{where} does not match the structure {td!r} it applies to; "
            f"give an int/None for the whole value or a container of the same shape"
            f"{at(user_location())}"
        )
    out: list = []
    labels = td.aux if kind in ("dict", "pmap", "precord") else range(len(kids))
    for label, s, child in zip(labels, kids, td.children):
        out.extend(prefix_axes(s, child, what, f"{path}[{label!r}]"))
    return out


def in_axes_per_leaf(in_axes, in_tree: tree.TreeDef) -> list:
    """Flat ``in_axes`` for the leaves of the positional-argument tree ``in_tree``."""
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if isinstance(in_axes, tuple):
        nargs = len(in_tree.children)
        if len(in_axes) != nargs:
            raise WireError(
                f"vmap: in_axes has {len(in_axes)} entries {in_axes!r} but the function was "
                f"called with {nargs} positional arguments; give one entry per argument (or a "
                f"single int/None for all){at(user_location())}"
            )
        out: list = []
        for i, (s, child) in enumerate(zip(in_axes, in_tree.children)):
            out.extend(prefix_axes(s, child, "in_axes", f"argument {i}"))
        return out
    return prefix_axes(in_axes, in_tree, "in_axes")


def _leaf_names(in_tree: tree.TreeDef, positions=None) -> list[str]:
    """``"argument 1['w']"``-style names of the leaves of a positional-argument tree
    (``positions``: the argument numbers of its children, when some were left out)."""
    names = []
    for i, child in enumerate(in_tree.children):
        k = i if positions is None else positions[i]
        for p in tree.leaf_paths(child):
            names.append(f"argument {k}" + ("" if p == "<root>" else p))
    return names


def batch_plan(avals, axes, names, axis_size):
    """Normalized in-axes, the batch size and the per-example avals; errors name the args."""
    dims, sizes, ex = [], [], []
    for aval, d, name in zip(avals, axes, names):
        if d is None:
            dims.append(None)
            ex.append(aval)
            continue
        if aval.shape is None:
            raise WireError(f"vmap: {name} has an unknown shape {aval!r}{at(user_location())}")
        n = len(aval.shape)
        if not -n <= d < n:
            raise WireError(
                f"vmap: in_axes {d} is out of range for {name} of shape {aval.shape} "
                f"(rank {n}){at(user_location())}"
            )
        d %= n
        dims.append(d)
        sizes.append((aval.shape[d], name, d))
        ex.append(Aval(aval.shape[:d] + aval.shape[d + 1 :], aval.dtype))
    found = {s for s, _, _ in sizes}
    if axis_size is not None:
        found.add(int(axis_size))
    if len(found) > 1:
        parts = [f"{name} has size {s} on axis {d}" for s, name, d in sizes]
        if axis_size is not None:
            parts.append(f"axis_size={axis_size}")
        raise WireError(
            "vmap got inconsistent sizes for the mapped axis: "
            + "; ".join(parts)
            + at(user_location())
        )
    if not found:
        raise WireError(
            "vmap: no argument is mapped (in_axes are all None) and axis_size is not given; "
            f"pass axis_size= to say how many examples to make{at(user_location())}"
        )
    return dims, found.pop(), ex


def _out_dims(out_axes, graph: Graph) -> list:
    axes = prefix_axes(out_axes, graph.out_tree, "out_axes")
    dims = []
    for d, o in zip(axes, graph.outputs):
        if d is not None:
            n = len(o.aval.shape) + 1
            if not -n <= d < n:
                raise WireError(
                    f"vmap: out_axes {d} is out of range for an output of batched rank {n} "
                    f"({o.aval!r} per example){at(user_location())}"
                )
            d %= n
        dims.append(d)
    return dims


def batched_float0(graph: Graph, out_axes, size: int) -> Graph:
    """``graph`` (batched by ``vmap_flat``) with each ``float0`` output (structure, see
    :func:`wire.tree.float0_node`: the gradient of an integer) given the batch axis that
    ``out_axes`` puts there, as ``jax.vmap`` does: a float0 array of per-example shape
    ``S`` becomes one of shape ``S`` with ``size`` inserted at its out axis."""
    if not _has_float0(graph.out_tree):
        return graph
    out_tree = _float0_axes(out_axes, graph.out_tree, size)
    return Graph(graph.inputs, graph.outputs, graph.in_tree, out_tree, graph.locs)


def _float0_axes(spec, td: tree.TreeDef, size, found=None) -> tree.TreeDef:
    """``td`` with the shape of each float0 node batched along its axis in the prefix
    ``spec`` (``out_axes``, already checked against ``td`` by :func:`prefix_axes`) — or,
    with ``size`` None, that axis taken out (``in_axes``: a float0 argument's per-example
    shape; ``found`` collects the sizes taken out)."""
    if td.kind == "float0":
        if not _is_axis(spec) or spec is None:
            return td
        n = len(td.aux) + (size is not None)
        if not -n <= spec < n:
            raise WireError(f"vmap: axis {spec} is out of range for a float0 array of rank "
                            f"{n}{at(user_location())}")
        d = spec % n
        if size is None:
            found.append(td.aux[d])
            return tree.float0_node(td.aux[:d] + td.aux[d + 1:])
        return tree.float0_node(td.aux[:d] + (size,) + td.aux[d:])
    if not td.children:
        return td
    if _is_axis(spec):
        kids = [_float0_axes(spec, c, size, found) for c in td.children]
    else:
        kids = [_float0_axes(s, c, size, found)
                for s, c in zip(tree._children(spec)[3], td.children)]
    return tree.TreeDef(td.kind, td.type, td.aux, kids)


def float0_examples(in_axes, in_tree: tree.TreeDef, size=None) -> tree.TreeDef:
    """``in_tree`` (of the positional arguments) with each float0 argument's mapped axis
    taken out (its per-example shape, what the function is given, as ``jax.vmap``); with
    ``size``, put back at that size instead. Checks the axis sizes against ``size``."""
    if not _has_float0(in_tree):
        return in_tree
    spec = tuple(in_axes) if isinstance(in_axes, list) else in_axes
    found: list = []
    if isinstance(spec, tuple) and in_tree.kind == "tuple":
        kids = [_float0_axes(a, c, None, found) for a, c in zip(spec, in_tree.children)]
        out = tree.TreeDef(in_tree.kind, in_tree.type, in_tree.aux, kids)
    else:
        out = _float0_axes(spec, in_tree, None, found)
    if size is not None and any(n != size for n in found):
        raise WireError(f"vmap got inconsistent sizes for the mapped axis: a float0 argument "
                        f"has size {[n for n in found if n != size][0]}, the others {size}"
                        f"{at(user_location())}")
    return out


# --------------------------------------------------------------------------- transforms


def vmap_graph(graph: Graph, in_axes=0, out_axes=0, axis_size=None) -> Graph:
    """The batched version of ``graph`` (traced at one example's shapes).

    ``axis_size`` is required: the graph alone does not know how many examples there are.
    The new graph takes the arguments with a batch axis where ``in_axes`` says.

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x: (x * x).sum(), np.ones(3))
    >>> wire.evaluate(vmap_graph(g, axis_size=2), np.ones((2, 3)))
    array([3., 3.])
    """
    if axis_size is None:
        raise WireError(
            "vmap of a Graph needs axis_size= (its inputs have the shapes of one example)"
            f"{at(user_location())}"
        )
    if not isinstance(axis_size, int) or axis_size < 0:
        raise WireError(f"vmap: axis_size must be a non-negative int, got {axis_size!r}"
                        + at(user_location()))
    axes = in_axes_per_leaf(in_axes, graph.in_tree)
    names = _leaf_names(graph.in_tree)
    batched = [
        n.aval if d is None else Aval(_insert(n.aval, d, axis_size, name), n.aval.dtype)
        for d, name, n in zip(axes, names, graph.inputs)
    ]
    dims, size, _ = batch_plan(batched, axes, names, axis_size)
    return batched_float0(vmap_flat(graph, dims, size, _out_dims(out_axes, graph)), out_axes,
                          size)


def _insert(aval: Aval, d: int, size: int, name: str) -> tuple:
    n = len(aval.shape) + 1
    if not -n <= d < n:
        raise WireError(
            f"vmap: in_axes {d} is out of range for {name} of per-example shape {aval.shape}"
            f"{at(user_location())}"
        )
    d %= n
    return aval.shape[:d] + (size,) + aval.shape[d:]


def vmap(f, in_axes=0, out_axes=0, axis_size=None, *, static_argnums=(), static_argnames=(),
         axis_name=None, spmd_axis_name=None):
    """Vectorise ``f`` over a batch axis of its arguments (JAX semantics).

    ``in_axes``: int, None or a pytree prefix of the positional arguments (a tuple with one
    entry per argument); ``out_axes`` likewise for the result; ``axis_size`` is needed only
    when no argument is mapped. ``static_argnums`` arguments (``static_argnames``: by
    parameter name, positional or keyword) are passed to ``f`` as they are, unmapped. Other
    keyword arguments are mapped over their axis 0, as in JAX (pass an unmapped array
    positionally with ``in_axes`` ``None``, close over it, or name it in ``static_argnames``).
    A positional argument with ``in_axes`` None that is not an array (a function, a module, a
    string: hashable) is passed as it is too, as JAX does.
    A ``Graph`` gives the batched ``Graph`` (then ``axis_size`` is required). Composes with
    ``grad``, ``jvp``, ``jit`` and with itself.

    ``axis_name``/``spmd_axis_name`` (JAX's) are accepted so JAX code passing them runs
    unchanged; wire has no collective operations (``psum``, ``axis_index`` …) to use them.

    Called on concrete values, Python control flow in ``f`` may read traced values: where the
    examples agree the trace follows their branch, and where they differ the examples are
    split into groups that agree, each group vectorised on its own (the groups must return
    the same structure and per-example shapes, and one value for an ``out_axes`` None).

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> wire.vmap(lambda x, y: wnp.dot(x, y), in_axes=(0, None))(np.eye(2), np.array([1.0, 2.0]))
    array([1., 2.])
    >>> loss = lambda w, x: (wnp.tanh(x @ w) ** 2).sum()
    >>> per_example = wire.vmap(wire.grad(loss), in_axes=(None, 0))
    >>> per_example(np.zeros(3), np.ones((5, 3))).shape
    (5, 3)
    >>> wire.vmap(lambda x: x if x > 0 else -x)(np.array([-1.0, 2.0, -3.0]))
    array([1., 2., 3.])
    """
    for what, name in (("axis_name", axis_name), ("spmd_axis_name", spmd_axis_name)):
        try:
            hash(name)
        except TypeError:
            raise WireTypeError(f"vmap: {what} must be hashable (a name), got "
                                f"{type(name).__name__}{at(user_location())}") from None
    if isinstance(f, Graph):
        return vmap_graph(f, in_axes, out_axes, axis_size)
    statics = static_nums(static_argnums, f, static_argnames)

    def graph_of(avals, in_tree, weak=()):
        names = _leaf_names(in_tree)
        axes = in_axes_per_leaf(in_axes, in_tree)
        dims, size, ex = batch_plan(avals, axes, names, axis_size)
        ex_tree = float0_examples(in_axes, in_tree, size)
        graph = trace_flat(f, ex, ex_tree, weak)
        out = vmap_flat(graph, dims, size, _out_dims(out_axes, graph))
        if ex_tree is not in_tree:  # (the batched graph takes the batched float0 arguments)
            out = Graph(out.inputs, out.outputs, in_tree, out.out_tree, out.locs)
        return batched_float0(out, out_axes, size)

    fixed_names = (static_names(f, tuple(statics), static_argnames)[1]
                   if statics or static_argnames else ())

    def call(args, kwargs):
        opaque = _opaque_unmapped(in_axes, args, statics)
        fixed = statics
        if opaque:  # (a StaticNums keeps the static_argnames positions it marks optional)
            fixed = StaticNums(tuple(statics) + opaque)
            fixed.optional = getattr(statics, "optional", frozenset())
        mapped = {k: v for k, v in kwargs.items() if k not in fixed_names}
        if not mapped:
            return _vmap_call(f, in_axes, out_axes, axis_size, fixed, args, kwargs)
        g, axes, static, args = _keywords_as_arguments(f, in_axes, fixed, args, kwargs, mapped)
        return _vmap_call(g, axes, out_axes, axis_size, static, args, {})

    return Transformed(f, graph_through_call(call) if statics else graph_of, call=call)


def _opaque_unmapped(in_axes, args, statics) -> tuple[int, ...]:
    """Positions of the arguments with ``in_axes`` None that are not arrays (a function, a
    module, a string, an object): JAX passes them to the function as they are, so does this
    (as static arguments; they must be hashable). An argument holding arrays is not one."""
    if not isinstance(in_axes, (tuple, list)) or len(in_axes) != len(args):
        return ()
    out = []
    for i, (axis, a) in enumerate(zip(in_axes, args)):
        if axis is not None or i in statics or a is None:
            continue
        leaves = tree.leaves(a)
        if leaves and not any(isinstance(x, (Tracer, np.ndarray, np.generic, int, float, complex,
                                             bool)) for x in leaves):
            out.append(i)
    return tuple(out)


def _keywords_as_arguments(f, in_axes, statics, args, kwargs, mapped):
    """The ``_vmap_call`` arguments that map the keyword arguments ``mapped`` over axis 0 (as
    JAX does): they become trailing positional arguments of a wrapper of ``f``."""
    static = check_statics(statics, args, "vmap")
    n = len(args)
    names = tuple(mapped)
    for name, value in mapped.items():
        for leaf in tree.leaves(value):
            if np.ndim(leaf) == 0:
                raise WireError(
                    f"vmap: keyword argument {name!r} is mapped over its axis 0 (as in JAX), but "
                    f"it has a 0-d leaf {leaf!r}: name it in static_argnames, close over it, or "
                    f"pass it positionally with in_axes None{at(user_location(4))}")
    fixed = {k: v for k, v in kwargs.items() if k not in mapped}

    def with_keywords(*a):
        return f(*a[:n], **fixed, **dict(zip(names, a[n:])))

    if isinstance(in_axes, (tuple, list)):
        if len(in_axes) != n:
            raise WireError(f"vmap: in_axes {in_axes!r} has {len(in_axes)} entries for {n} "
                            f"positional arguments{at(user_location(4))}")
        axes = tuple(in_axes)
    else:
        axes = (in_axes,) * n
    return (with_keywords, axes + (0,) * len(names), tuple(sorted(static)),
            tuple(args) + tuple(mapped.values()))


def _vmap_graph(graph: Graph, dims: tuple, size: int, out_dims: tuple) -> Graph:
    return vmap_flat(graph, list(dims), size, list(out_dims))


_EAGER_VMAP = Memo(_vmap_graph, keep=keeps_no_trace)


def _vmap_call(f, in_axes, out_axes, axis_size, statics, args, kwargs):
    """``vmap(f)(*args, **kwargs)``: an eager trace at one example's shapes, batched."""
    static = check_statics(statics, args, "vmap")
    nums = [i for i in range(len(args)) if i not in static]
    dyn = tuple(args[i] for i in nums)
    leaves, dyn_tree = tree.flatten(dyn)
    spec = in_axes
    if static and isinstance(in_axes, (tuple, list)) and len(in_axes) == len(args):
        spec = tuple(in_axes[i] for i in nums)
    try:
        avals = flat_avals(leaves, dyn_tree)
    except WireTypeError:  # float0 arguments (gradients of integers) are structure
        found = tree.float0_structure(leaves, dyn_tree)
        if found[0] is leaves:
            raise
        leaves, dyn_tree = found
        avals = flat_avals(leaves, dyn_tree)
    axes = in_axes_per_leaf(spec, dyn_tree)
    dims, size, ex = batch_plan(avals, axes, _leaf_names(dyn_tree, nums), axis_size)
    ex_tree = float0_examples(spec, dyn_tree, size)
    outer = current_trace()
    outer = outer.concrete_state() if outer is not None else None
    level = 0 if outer is None else len(outer.values.sizes)
    try:
        graph, lifted = trace_eager(fix_args(f, args, kwargs, nums), leaves, ex_tree, ex,
                                    weak=weak_leaves(leaves), axes=dims, size=size)
    except BatchedDecision as e:
        groups = _groups(e, level, size)
        if groups is None:
            raise
        return _split_call(f, in_axes, out_axes, statics, args, kwargs, nums, leaves, dyn_tree,
                           dims, groups, (spec, ex_tree))
    out_dims = tuple(_out_dims(out_axes, graph))
    batched = _EAGER_VMAP(graph, tuple(dims) + (None,) * len(lifted), size, out_dims)
    return run(batched_float0(batched, out_axes, size), leaves + lifted)


def _groups(e: BatchedDecision, level: int, size: int):
    """The examples of the ``vmap`` at batch ``level`` grouped by their answer to the
    question that raised ``e``, or None when the answer also varies along an enclosing
    ``vmap``'s axis (that one must split first)."""
    answers = e.answers
    sizes = e.values.sizes
    if len(sizes) <= level or sizes[level] != size:
        return None
    answers = answers.reshape((int(np.prod(sizes[:level], dtype=np.int64)),) + answers.shape[level:])
    if not all(np.array_equal(answers[0], a, equal_nan=a.dtype.kind in "fc") for a in answers[1:]):
        return None
    found: dict = {}
    for j in range(size):
        a = np.ascontiguousarray(answers[0][j])
        found.setdefault((a.dtype.str, a.shape, a.tobytes()), []).append(j)
    return list(found.values())


def _same_value(a, b) -> bool:
    """Whether two groups' unmapped outputs are one value: traced values of one node (nodes
    are interned: the same computation is the same node), or concrete values equal bit for
    bit (dtype, shape, signed zeros, NaNs). Traced values of two nodes are not taken as one
    even where their values agree: their derivatives may differ."""
    if a is b:
        return True
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        return isinstance(a, Tracer) and isinstance(b, Tracer) and a.node is b.node
    a, b = np.asarray(a), np.asarray(b)
    return (a.dtype == b.dtype and a.shape == b.shape
            and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())


def _float0_axes_of_args(in_axes, ex_tree: tree.TreeDef, size: int) -> tree.TreeDef:
    """The positional-argument tree ``ex_tree`` (per example) with its float0 arguments
    batched to ``size`` along their ``in_axes``."""
    spec = tuple(in_axes) if isinstance(in_axes, list) else in_axes
    if isinstance(spec, tuple) and ex_tree.kind == "tuple":
        kids = [_float0_axes(a, c, size) for a, c in zip(spec, ex_tree.children)]
        return tree.TreeDef(ex_tree.kind, ex_tree.type, ex_tree.aux, kids)
    return _float0_axes(spec, ex_tree, size)


def _take(x, idx: np.ndarray, axis: int):
    if not isinstance(x, Tracer):
        return np.take(np.asarray(x), idx, axis=axis)
    spec = (("s", None, None, None),) * axis + (("a", 0),)
    return getitem(x, [idx], spec)


def _split_call(f, in_axes, out_axes, statics, args, kwargs, nums, leaves, dyn_tree, dims,
                groups, float0=None):
    """``vmap(f)`` run group by group (examples that agree on a Python decision), the
    results put back in the examples' order."""
    outs = []
    for idx in groups:
        idx = np.asarray(idx, dtype=np.intp)
        sub = [leaf if d is None else _take(leaf, idx, d) for leaf, d in zip(leaves, dims)]
        full = list(args)
        sub_tree = dyn_tree
        if float0 is not None and float0[1] is not dyn_tree:  # (float0 arguments: this
            # group's number of examples on their mapped axes)
            sub_tree = _float0_axes_of_args(float0[0], float0[1], len(idx))
        for i, a in zip(nums, tree.unflatten(sub_tree, sub)):
            full[i] = a
        outs.append(_vmap_call(f, in_axes, out_axes, len(idx), statics, tuple(full), kwargs))
    flat = [tree.flatten(o) for o in outs]
    out_tree = flat[0][1]
    if any(t != out_tree for _, t in flat):
        raise WireError(
            "vmap: examples that took different Python branches returned results of "
            f"different structures ({out_tree!r} and others); make every branch return the "
            f"same structure{at(user_location(3))}")
    order = np.argsort(np.concatenate(groups), kind="stable")
    axes = prefix_axes(out_axes, out_tree, "out_axes")
    result = []
    for k, d in enumerate(axes):
        parts = [leaves_[k] for leaves_, _ in flat]
        if d is None:  # one value for every example: the groups must agree on it
            if not all(_same_value(parts[0], p) for p in parts[1:]):
                raise WireError(
                    f"vmap: out_axes is None for output {k}, but examples that took "
                    f"different Python branches returned different values for it; give it "
                    f"an axis to map it along{at(user_location(3))}")
            result.append(parts[0])
            continue
        shapes = {tuple(np.shape(p)) for p in parts}  # (d is valid for each: prefix_axes)
        examples = {s[:d % len(s)] + s[d % len(s) + 1:] if s else s for s in shapes}
        if len(examples) > 1:  # (np.concatenate would raise a bare ValueError)
            raise WireError(
                f"vmap: examples that took different Python branches returned output {k} "
                f"with different shapes ({' and '.join(map(str, sorted(examples)))} per "
                f"example); make every branch return the same shape{at(user_location(3))}")
        ndim = len(parts[0].shape) if isinstance(parts[0], Tracer) else np.ndim(parts[0])
        d %= ndim
        if all(not isinstance(p, Tracer) for p in parts):
            result.append(np.take(np.concatenate(parts, axis=d), order, axis=d))
        else:
            result.append(_take(concatenate(parts, d), order, d))
    return tree.unflatten(out_tree, result)
