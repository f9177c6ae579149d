"""How a primitive is written as mathematics: the ``sympy`` field of a ``Primitive``, the
helpers declarations write it with, and :func:`translate`, which reads it to turn a graph of
scalars into SymPy expressions (``wire.to_sympy`` / ``wire.to_latex`` run it).

A primitive's ``sympy`` is a rule ``rule(sp, node, *operands) -> expression`` — ``sp`` is the
``sympy`` module, ``operands`` the expressions of the node's inputs, params are read from
``node.params``; a multi-output primitive returns a tuple — or a :class:`NoFormula` saying
why the primitive has none (a graph holding it raises ``wire.WireError`` naming the reason).
Most rules are one word: ``call("sin")``.

What a formula means: the mathematical function the graph computes, over real numbers (or
complex, for complex inputs; integers for integer inputs, without wrap-around). Primitives
NumPy computes by a special algorithm are written as the function they compute: ``expm1(x)``
is ``exp(x) - 1``, ``gammaln(x)`` is ``log|Γ(x)|``.

SymPy is never imported here: the caller passes the module in.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, NamedTuple

import numpy as np

from ..errors import WireError, at, user_location
from ..ir import Graph, Node, const_op


class NoFormula(NamedTuple):
    """The ``sympy`` field of a primitive that has no formula, with the reason."""

    reason: str


ARRAYS_ONLY = NoFormula("works on arrays: a graph of scalars never holds it")


# --------------------------------------------------------------------------- rule helpers


def call(name: str) -> Callable:
    """Rule applying SymPy's function ``name`` to the operands.

    >>> import types
    >>> call("sin")(types.SimpleNamespace(sin=lambda x: f"sin({x})"), None, "x")
    'sin(x)'
    """

    def rule(sp, node, *args):
        return getattr(sp, name)(*args)

    rule.__name__ = f"sympy.{name}"
    return rule


def truth(sp, x, operand: Node):
    """``x`` (the value of ``operand``) as a condition: NumPy's logical ops treat a nonzero
    number as True. (The dtype decides, not the expression: a SymPy symbol is a Boolean
    too.)"""
    return x if operand.aval.dtype.kind == "b" else sp.Ne(x, 0)


def logic(name: str) -> Callable:
    """Rule for NumPy's logical_{name}: SymPy's And/Or/Xor/Not of the operands' truth."""

    def rule(sp, node, *args):
        return getattr(sp, name)(*[truth(sp, a, o) for a, o in zip(args, node.inputs)])

    rule.__name__ = f"sympy.{name}"
    return rule


def number_from_truth(sp, b):
    """1 where the condition ``b`` holds, else 0."""
    return sp.Piecewise((sp.Integer(1), b), (sp.Integer(0), True))


def identity(sp, node, x, *rest):
    """Shape-only primitives (reshape, broadcast, transpose, one-element reductions …) are
    identities on a scalar; :func:`translate` has checked that every value is one."""
    return x


def number(sp, value, dtype):
    """A constant of ``dtype`` as a SymPy number: exact when the float is a small fraction
    (``2.0`` is ``2``, ``0.25`` is ``1/4``), else a Float holding the same binary value and
    printed with the digits that identify it in ``dtype`` (float32 ``0.1`` prints ``0.1``).

    >>> import sympy
    >>> number(sympy, 0.25, np.float64), number(sympy, 2.0, np.float32), number(sympy, 3, int)
    (1/4, 2, 3)
    """
    dtype = np.dtype(dtype)
    v = np.asarray(value).astype(dtype).item()
    if dtype.kind == "b":
        return sp.true if v else sp.false
    if dtype.kind in "iu":
        return sp.Integer(int(v))
    if dtype.kind == "c":
        re, im = number(sp, v.real, dtype.type(0).real.dtype), number(sp, v.imag,
                                                                      dtype.type(0).real.dtype)
        return re + sp.I * im
    if np.isnan(v):
        return sp.nan
    if np.isinf(v):
        return sp.oo if v > 0 else -sp.oo
    frac = Fraction(v)
    if frac.denominator <= 1024 and abs(frac.numerator) < 2**53:
        return sp.Rational(frac.numerator, frac.denominator)
    return sp.Float(np.format_float_positional(dtype.type(v), unique=True, trim="-"),
                    precision=53)


def call_graph(sp, node, *args):
    """Rule of a primitive that calls the sub-graph in its ``call_graph`` param (custom
    rules): its value is the sub-graph's."""
    outs = translate(sp, node.params[node.op.call_graph], list(args))
    return tuple(outs) if isinstance(node.aval, tuple) else outs[0]


# --------------------------------------------------------------------------- translation


def check_scalar(node: Node, where: str) -> None:
    """``WireError`` unless every value of ``node`` is a scalar."""
    avals = node.aval if isinstance(node.aval, tuple) else (node.aval,)
    for a in avals:
        if a.shape != ():
            what = "input" if node.is_leaf and node.op is not const_op else node.op.name
            fix = ("give the variable a shape: wire.var(name, shape=())" if a.shape is None
                   else "trace the function at scalar arguments, e.g. wire.trace(f, 1.0)")
            raise WireError(
                f"{where} needs a graph of scalars, but {what} has shape "
                f"{'unknown' if a.shape is None else a.shape} ({a!r})"
                + at(node.loc or user_location(3)) + "; " + fix)


def translate(sp, graph: Graph, args: list, named: dict | None = None,
              defs: list | None = None) -> list:
    """The expressions of ``graph``'s outputs, its inputs standing for ``args``, each node
    written by its primitive's ``sympy`` rule. A node in ``named`` (node -> symbol) stands for
    its symbol in its users; ``(symbol, expression)`` is appended to ``defs``.

    >>> import sympy, wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: wnp.sin(x) * 2.0, 1.0)
    >>> translate(sympy, g, [sympy.Symbol("t")])
    [2*sin(t)]
    """
    env: dict = dict(zip(graph.inputs, args))
    for node in graph.nodes:
        if node in env:
            continue
        check_scalar(node, "to_sympy")
        if node.op is const_op:
            env[node] = number(sp, node.params["value"].array, node.aval.dtype)
            continue
        if node.is_leaf:
            raise WireError(f"to_sympy: graph has an unnamed free input {node!r}"
                            + at(node.loc or user_location()))
        rule = node.op.sympy
        if not callable(rule):
            reason = rule.reason if isinstance(rule, NoFormula) else \
                "no SymPy translation is declared for it"
            raise WireError(f"to_sympy: primitive {node.op.name!r} has no formula ({reason})"
                            + at(node.loc or user_location()))
        try:
            env[node] = rule(sp, node, *[env[i] for i in node.inputs])
        except (TypeError, ValueError) as e:
            raise WireError(f"to_sympy: SymPy cannot build {node.op.name!r} of "
                            f"{[str(env[i]) for i in node.inputs]}: {e}"
                            + at(node.loc or user_location())) from e
        if named and node in named:
            defs.append((named[node], env[node]))
            env[node] = named[node]
    return [env[o] for o in graph.outputs]
