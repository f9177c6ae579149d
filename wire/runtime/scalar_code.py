"""Python-float code for graphs of float64 scalars (the compiler's ``try`` block).

Higher derivatives of scalar functions and many loop bodies are graphs whose every value is
a float64 scalar. NumPy spends about a microsecond per call on a 0-d array; Python float
arithmetic a few tens of nanoseconds. :func:`scalar_lines` writes such a graph as a ``try``
block on floats that the compiler puts before the graph's NumPy code: each node through its
emitter's ``scalar`` form (:class:`wire.core.lowering.Emitter`) — Python's exactly rounded
``+ - * /`` and negation, NumPy's own ufunc loop for every other function — so every value
has the bits the NumPy code gives it (up to the sign of a NaN, which IEEE 754 leaves open).
Where Python raises instead of returning inf/NaN (a division by zero), or a result is inf or
NaN (where NumPy's arithmetic would have warned of an overflow or an invalid operation, or
raised under ``np.errstate``), the block is left and the NumPy code runs, with NumPy's results
and warnings. (An overflow whose inf vanishes before the result, as in ``1 / (x * 1e300)``,
gives no warning.) Float32 graphs are not written this
way (Python floats are float64).
"""

from __future__ import annotations

import numpy as np

from ..ir import Graph, make_aval
from .schedule import Slot

__all__ = ["SCALAR_MAX_NODES", "scalar_lines"]

SCALAR_MAX_NODES = 4096  # larger scalar graphs get NumPy code only (compiling both costs)
_F64 = np.dtype(np.float64)
_F64_SCALAR = make_aval((), _F64)


def scalar_lines(graph: Graph, slots: list[Slot], emitted, outputs, ctx, structure):
    """For a graph whose every value is a float64 scalar (higher derivatives of scalar
    functions, many loop bodies): the function's first lines, a ``try`` block computing it on
    Python floats (each node through its emitter's ``scalar`` form: Python's operators for
    arithmetic, NumPy's own ufunc loops for the rest, so the bits are NumPy's). A division
    by zero raises there; the function then goes on to its NumPy code, which gives NumPy's
    inf/NaN and warnings. ``None`` (NumPy code only) for any other graph.

    ``structure(graph, ctx, leaf_exprs)`` builds the output pytree's expression. Returns
    (lines, the node of each line).

    >>> import wire, wire.numpy as wnp
    >>> from wire.runtime.compiler import compile_graph
    >>> c = compile_graph(wire.trace(lambda x: wnp.sin(x) * 2.0, 1.0))
    >>> [line.split("#")[0].strip() for line in c.source.splitlines()[2:6]]
    ['try:', 'Sa = _float(a)', 'Sb = _float(np.sin(Sa))', 'Sc = Sb * _f2_0']
    """
    if not emitted or len(emitted) > SCALAR_MAX_NODES:
        return None
    for n in list(graph.inputs) + list(graph.outputs):
        if n.aval != _F64_SCALAR:
            return None
    for i in emitted:
        s = slots[i]
        if s.emitter.scalar is None or s.node.aval != _F64_SCALAR:
            return None
        for j in s.ins:
            o = slots[j]
            if o.known and not (isinstance(o.value, np.ndarray) and o.value.shape == ()
                                and o.value.dtype == _F64):
                return None
    names = {}

    def sref(j: int) -> str:
        o = slots[j]
        if o.known:
            return ctx.bind_float(o.value.item())
        return names[j]

    lines, nodes = ["    try:"], [None]
    for n in graph.inputs:
        s = next(s for s in slots if s.node is n)
        names[s.index] = "S" + s.name  # (generated names are lower case: no clash)
        lines.append(f"        {names[s.index]} = {ctx.as_float(s.name)}")
        nodes.append(None)
    for i in emitted:
        s = slots[i]
        expr = s.emitter.scalar(ctx, s.node, [sref(j) for j in s.ins])
        names[i] = "S" + s.name
        lines.append(f"        {names[i]} = {expr}")
        nodes.append(s.node)
    leaves = [f"_as_array({sref(i)})" for i in outputs]
    # a non-finite result: the NumPy code, which warns (or raises, under np.errstate) where
    # NumPy's arithmetic overflowed or made a NaN; Python's floats do neither (x * 0.0 is
    # 0.0 exactly for finite x, NaN for inf and NaN)
    finite = " + ".join(sref(i) for i in outputs)
    lines.append(f"        if ({finite}) * 0.0 == 0.0:")
    lines.append(f"            return {structure(graph, ctx, leaves)}")
    nodes += [None, None]
    ctx.set_global("_ZeroDivisionError", ZeroDivisionError, ("helper", "ZeroDivisionError"))
    lines += ["    except _ZeroDivisionError:", "        pass"]
    nodes += [None, None]
    return lines, nodes
