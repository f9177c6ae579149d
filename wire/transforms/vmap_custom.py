"""Batching rules of ``custom_jvp_call`` and ``custom_vjp_call`` (``wire.custom_jvp/vjp``).

The batched node is again a custom call: its function graph is the batched graph, and its
user rules are the user's rules under ``vmap`` (so derivatives taken *after* ``vmap`` still use
the custom rule). Batched operands get their batch axis in front first, so every batched
value inside — outputs, residuals, cotangents — is batched along axis 0. Cotangents of
unbatched operands are summed over the batch, since one value served every example.
"""

from __future__ import annotations

from .. import tree
from ..ops.batching import batch_size, to_front


def _front(args, dims):
    size = batch_size(args, dims)
    xs = [x if d is None else to_front(x, d) for x, d in zip(args, dims)]
    return xs, [None if d is None else 0 for d in dims], size


def custom_jvp_batch(args, dims, *, graph, rule, in_tree, static, **params):
    from ..api_vmap import vmap
    from ..ops.custom import custom_jvp_call_p
    from ..core import bind
    from .vmap import vmap_flat

    xs, in_dims, size = _front(args, dims)
    out_dims = [0] * len(graph.outputs)
    axes = tree.unflatten(in_tree, in_dims)

    def batched_rule(*a):
        *st, primals, tangents = a
        return vmap(lambda p, t: rule(*st, p, t), in_axes=(axes, axes))(primals, tangents)

    outs = bind(
        custom_jvp_call_p,
        *xs,
        graph=vmap_flat(graph, in_dims, size, out_dims),
        rule=batched_rule,
        in_tree=in_tree,
        static=static,
        **params,
    )
    return tuple(outs), tuple(out_dims)


def custom_vjp_batch(args, dims, *, graph, fwd, bwd, in_tree, out_tree, static, **params):
    from ..api_vmap import vmap
    from ..ops.custom import custom_vjp_call_p
    from ..ops.reductions import reduce_sum
    from ..core import bind
    from .vmap import vmap_flat

    xs, in_dims, size = _front(args, dims)
    out_dims = [0] * len(graph.outputs)
    axes = tree.unflatten(in_tree, in_dims)  # a tuple: one entry per positional argument
    n_static = len(static)

    def batched_fwd(*a):
        st, primals = a[:n_static], a[n_static:]
        return vmap(lambda *p: fwd(*st, *p), in_axes=tuple(axes))(*primals)

    per_arg, start = [], 0  # the batch dims of each positional argument's leaves
    for child in in_tree.children:
        per_arg.append(in_dims[start : start + child.num_leaves])
        start += child.num_leaves

    def batched_bwd(*a):
        st, res, ct = a[:n_static], a[-2], a[-1]
        cts = vmap(lambda r, c: bwd(*st, r, c), in_axes=(0, 0))(res, ct)
        out = []
        for g, ds in zip(cts, per_arg):
            if g is None:
                out.append(None)
                continue
            leaves, g_tree = tree.flatten(g)
            leaves = [gl if d == 0 else reduce_sum(gl, (0,)) for gl, d in zip(leaves, ds)]
            out.append(tree.unflatten(g_tree, leaves))
        return tuple(out)

    outs = bind(
        custom_vjp_call_p,
        *xs,
        graph=vmap_flat(graph, in_dims, size, out_dims),
        fwd=batched_fwd,
        bwd=batched_bwd,
        in_tree=in_tree,
        out_tree=out_tree,
        static=static,
        **params,
    )
    return tuple(outs), tuple(out_dims)
