"""Values of individual nodes, computed with their primitives' implementations.

The graph evaluator (``wire.core.evaluate``) runs whole graphs from a memoized plan; this is
the small direct form for a few nodes at a time: the value a Python ``if`` asks of a tracer
in an eager trace, or of a tracer made of constants only. Nothing is cached here; callers
keep what they want in the ``known`` dict they pass.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..ir import Node, const_op, toposort


def node_values(targets: Iterable[Node], known: dict) -> dict:
    """Values of ``targets`` given ``known`` (node -> value, updated in place with every value
    computed on the way). Leaves must be known or constants; returns ``known``.

    >>> import wire
    >>> x = wire.var("x", shape=())
    >>> y = (x + 1.0) * 2.0
    >>> float(node_values([y.node], {x.node: np.array(3.0)})[y.node])
    8.0
    """
    for n in toposort_from(targets, known):
        if n.op is const_op:
            known[n] = n.params["value"].array
        elif n.is_leaf:
            raise KeyError(n)
        else:
            impl = n.op.impl
            args = [known[i] for i in n.inputs]
            known[n] = impl(*args, **n.params) if n.params else impl(*args)
    return known


def toposort_from(targets: Iterable[Node], known: dict) -> list[Node]:
    """The nodes ``targets`` need that are not in ``known``, inputs before users."""
    order: list[Node] = []
    # known is not copied into seen: an eager trace asks for a few new values at a time
    # against an env that grows with the trace, and copying it would make a loop with a
    # Python `if` in it quadratic in its length
    seen: set = set()
    for root in targets:
        if root in seen or root in known:
            continue
        seen.add(root)
        stack = [(root, iter(root.inputs))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in seen and child not in known:
                    seen.add(child)
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def depends_on_leaves(node: Node, pred) -> bool:
    """Whether some leaf ``node`` depends on satisfies ``pred``."""
    return any(n.is_leaf and pred(n) for n in toposort([node]))
