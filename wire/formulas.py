"""Graphs of scalar values as mathematics: :func:`to_sympy` (a SymPy expression) and
:func:`to_latex` (a LaTeX formula).

Every node of a graph of scalars is one primitive applied to scalars, so the graph *is* a
formula: each primitive declares how SymPy writes it (its ``sympy`` field, a rule taking the
``sympy`` module, the node and the operands' expressions; see :mod:`wire.core.formula`, which
also holds the translator) or why it has no formula; a graph that holds such a primitive
raises :class:`~wire.WireError` naming it. :data:`SYMPY_RULES` and :data:`UNTRANSLATABLE` are
those declarations over the registry; a test checks that they cover it.

What a formula means: the mathematical function the graph computes, over real numbers (or
complex, for complex inputs; integers for integer inputs, without wrap-around). Primitives
NumPy computes by a special algorithm are written as the function they compute:
``expm1(x)`` is ``exp(x) - 1``, ``log1p(x)`` is ``log(x + 1)``, ``gammaln(x)`` is
``log|Γ(x)|``. ``stop_gradient(x)`` is ``x`` (a formula has a value, not a derivative rule).

Shared subexpressions (a decision, so that derivatives print readably): :func:`to_sympy`
returns the literal translation — SymPy's automatic canonical form only — so it is quick and
mirrors the graph. :func:`to_latex` prints a *textbook* form by default: one fraction
(``sympy.together``), its numerator multiplied out (``sympy.expand`` without the log/power
rules) with common factors in front (``sympy.factor_terms``), terms grouped by the functions
that appear linearly in them (``sympy.collect``: ``(…) sin x + (…) cos x``); what is still
repeated and has a few operations gets a name with ``sympy.cse`` (printed first, as
``u_1 = …``). A formula too big to write out (see ``_INLINE_MAX_OPS``) is printed as the
graph's own shared values instead, each defined once: the graph already is the common-
subexpression form, and the textbook step would take seconds to minutes there.
``sympy.simplify`` is never used: it takes seconds on a 4th derivative and the form it picks
is hard to predict (it rewrites ``1 - tanh²`` as ``1/cosh²`` in one order and not the next).

SymPy is optional (``pip install sympy``): it is imported when these functions are called.
"""

from __future__ import annotations

from types import MappingProxyType

from .api.registry import REGISTRY
from .core import Tracer
from .core.formula import NoFormula, check_scalar, translate
from .errors import WireError, at, user_location
from .ir import Graph, Node, arg_op, var_op
from .tree import LEAF, unflatten

__all__ = ["SYMPY_RULES", "UNTRANSLATABLE", "to_latex", "to_sympy"]

# A formula with more operations than this written out in full (SymPy's tree counts a value
# shared by the graph once per use) is printed by to_latex as the graph's shared values, each
# defined once: the textbook step (together, expand) takes seconds past it (measured: 0.2 s
# at 1300 operations, 16 s at 130 000) and its result is no longer readable anyway.
_INLINE_MAX_OPS = 2000
# A repeated subexpression gets a name in to_latex when it has at least this many operations.
_CSE_MIN_OPS = 4

# What the primitives declare (their ``sympy`` field), as two read-only views: the rule of
# each primitive that has a formula, and the reason of each that has none.
SYMPY_RULES = MappingProxyType({p: p.sympy for p in REGISTRY.values() if callable(p.sympy)})
UNTRANSLATABLE = MappingProxyType({p: p.sympy.reason for p in REGISTRY.values()
                                   if isinstance(p.sympy, NoFormula)})


def _sympy():
    try:
        import sympy
    except ImportError:
        raise WireError("wire.to_sympy and wire.to_latex need SymPy: pip install sympy"
                        + at(user_location())) from None
    return sympy


def _symbol(sp, name, aval):
    if isinstance(name, sp.Symbol):
        return name
    kind = aval.dtype.kind
    if kind == "f":
        return sp.Symbol(name, real=True)
    if kind in "iu":
        return sp.Symbol(name, integer=True)
    if kind == "c":
        return sp.Symbol(name, complex=True)
    return sp.Symbol(name)  # a boolean input: SymPy symbols serve as conditions too


def _input_symbols(sp, graph: Graph, names) -> dict:
    """Node -> Symbol for every input and named variable of ``graph``."""
    n = len(graph.inputs)
    if names is None:
        names = ["x"] if n == 1 else [f"x_{i}" for i in range(n)]
    elif isinstance(names, str):
        names = names.replace(",", " ").split()
    names = list(names)
    if len(names) != n:
        raise WireError(f"to_sympy: names gives {len(names)} name(s) for a graph of {n} "
                        f"input(s): {names}" + at(user_location(3)))
    symbols = {node: _symbol(sp, name, node.aval) for node, name in zip(graph.inputs, names)}
    for node in graph.free_vars:
        if node.op is var_op:
            symbols[node] = _symbol(sp, node.params["name"], node.aval)
        elif node.op is arg_op:
            symbols[node] = _symbol(sp, f"arg_{node.params['index']}", node.aval)
    seen: dict = {}
    for node, sym in symbols.items():
        if seen.setdefault(sym.name, node) is not node:
            raise WireError(f"to_sympy: two different inputs would both be called "
                            f"{sym.name!r}; pass names=[...] with distinct names"
                            + at(user_location(3)))
    return symbols


def _as_graph(graph) -> Graph:
    if isinstance(graph, Graph):
        return graph
    # node-level style (wire.var, wire.gradients): the variables are the free inputs
    if isinstance(graph, Tracer):
        graph = graph.node
    if isinstance(graph, (list, tuple)):
        graph = [g.node if isinstance(g, Tracer) else g for g in graph]
    if isinstance(graph, Node):
        return Graph((), [graph], out_tree=LEAF)
    if isinstance(graph, (list, tuple)) and graph and all(isinstance(n, Node) for n in graph):
        return Graph((), graph)
    raise WireError(f"to_sympy needs a wire.Graph (from wire.trace) or wire nodes, got "
                    f"{type(graph).__name__}" + at(user_location(3)))


def to_sympy(graph, names=None, *, cse: bool = False):
    """The SymPy expression of a graph of scalar values: the function the graph computes.

    Inputs become real symbols (integer symbols for integer inputs, complex ones for complex
    inputs), called ``x`` for a one-input graph and ``x_0, x_1, …`` otherwise, or ``names``
    (a sequence of strings or SymPy symbols, one per input, or one string such as ``"x y"``);
    ``wire.var`` variables keep their names. One output gives one expression; several give
    them in the outputs' structure (a tuple for a tuple). The expression is the literal
    translation, in SymPy's canonical form: simplify it with SymPy as you like, or use
    :func:`to_latex` for a readable formula. A primitive without a SymPy counterpart
    (``while``, ``round``, ``isnan`` …) raises ``wire.WireError`` naming it, and so does a
    value that is not a scalar.

    With ``cse=True`` the result is ``(definitions, expression)`` in the form
    ``sympy.cse`` returns: every value the graph shares between several users (and that has
    a few operations) is a symbol ``u_1, u_2, …`` defined in the list of ``(symbol,
    expression)`` pairs, in order. The graph already is this shared form, so it costs time
    linear in the graph, where the written-out expression of a high derivative of a quotient
    can have millions of operations. ``sympy.lambdify(x, expr, cse=lambda e: (defs, e))``
    evaluates it.

    >>> import wire, wire.numpy as wnp
    >>> f = lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x))
    >>> wire.to_sympy(wire.trace(wire.grad(f), 1.0))
    ((1 - tanh(x)**2)*sin(x) + cos(x))*exp(tanh(x))
    >>> wire.to_sympy(wire.trace(lambda a, b: (a * b, a / b), 1.0, 2.0), names="u v")
    (u*v, u/v)
    """
    sp = _sympy()
    graph = _as_graph(graph)
    outs, defs = _formulas(sp, graph, names, named_prefix="u" if cse else None)
    result = unflatten(graph.out_tree, outs)
    return (defs, result) if cse else result


def _formulas(sp, graph: Graph, names, named_prefix: str | None = None):
    """``(output expressions, definitions)``. With ``named_prefix``, every value the graph
    shares between several users (and that has a few operations) is named
    ``{named_prefix}_1, …`` and defined in ``definitions`` instead of written out."""
    for node in graph.inputs:
        check_scalar(node, "to_sympy")
    symbols = _input_symbols(sp, graph, names)
    # free variables are leaves of the graph: seed them with their symbols like inputs
    ins = set(graph.inputs)
    inputs = list(graph.inputs) + [n for n in symbols if n not in ins]
    named, defs = None, []
    if named_prefix is not None:
        taken = {s.name for s in symbols.values()}
        fresh = (f"{named_prefix}_{k}" for k in range(1, 1 << 62))
        named = {}
        for node in _shared(graph):
            name = next(fresh)
            while name in taken:
                name = next(fresh)
            named[node] = sp.Symbol(name)
    outs = translate(sp, Graph(inputs, graph.outputs), [symbols[n] for n in inputs], named,
                     defs)
    return outs, defs


def _tree_sizes(graph: Graph) -> dict:
    """Node -> operations in its formula written out in full (shared parts counted each
    time they are used): the size SymPy's expression tree would have."""
    size: dict = {}
    for node in graph.nodes:
        size[node] = 0 if node.is_leaf else 1 + sum(size[i] for i in node.inputs)
    return size


def _shared(graph: Graph) -> list:
    """Operation nodes used more than once whose formulas have ``_CSE_MIN_OPS`` or more
    operations, in graph order."""
    uses: dict = {}
    for node in graph.nodes:
        for i in node.inputs:
            uses[i] = uses.get(i, 0) + 1
    size = _tree_sizes(graph)
    return [n for n in graph.nodes if not n.is_leaf and uses.get(n, 0) >= 2
            and size[n] >= _CSE_MIN_OPS and n not in graph.outputs]


# --------------------------------------------------------------------------- LaTeX


def _ops(sp, e) -> int:
    return int(sp.count_ops(e, visual=False))


def _collect_linear(sp, e):
    """In every sum, group the terms by the function applications (``sin(x)``, ``cos(x)`` …)
    that appear to the first power in the terms holding them: ``a sin + b sin`` → ``(a + b)
    sin``. Functions that appear to higher powers (the ``tanh(x)**k`` of a polynomial) are left
    to form the coefficients."""

    def visit(node):
        if not node.args or not isinstance(node, sp.Expr):
            return node
        args = tuple(visit(a) for a in node.args)
        if args != node.args:
            # evaluate=False: a re-evaluated Mul would spread a number over a sum again,
            # undoing factor_terms' 12*(x**2 - 1)
            node = node.func(*args, evaluate=False) if isinstance(node, sp.Mul) \
                else node.func(*args)
        if not isinstance(node, sp.Add):
            return node
        linear = []
        for f in sorted(node.atoms(sp.Function), key=sp.default_sort_key):
            powers = [t.as_powers_dict().get(f, 0) for t in node.args]
            if sum(1 for p in powers if p) >= 2 and all(p in (0, 1) for p in powers):
                linear.append(f)
        if not linear:
            return node
        # each group with its own numeric factor in front: 2 (1 - t²) cos x
        return sp.Add(*[_content_first(sp, t) for t in sp.Add.make_args(sp.collect(node, linear))],
                      evaluate=False)

    return visit(e)


def _content_first(sp, term):
    content, rest = term.as_content_primitive()
    return rest if content == 1 else sp.Mul(content, rest, evaluate=False)


def _textbook(sp, e):
    """One fraction, its numerator multiplied out with common factors in front and terms
    grouped (see the module docstring); the literal form when that is not smaller."""
    if not isinstance(e, sp.Expr) or e.has(sp.Piecewise):
        return e
    num, den = sp.fraction(sp.together(e))
    num = sp.factor_terms(sp.expand(num, power_base=False, power_exp=False, log=False))
    out = _collect_linear(sp, num) / sp.factor_terms(den)
    return out if _ops(sp, out) <= 2 * _ops(sp, e) + 8 else e


def _name_repeats(sp, exprs, taken):
    """``sympy.cse`` keeping only the names of subexpressions with ``_CSE_MIN_OPS`` or more
    operations: ``sin(x)`` reads better than ``u_1``."""
    def fresh():
        k = 1
        while True:
            if f"u_{k}" not in taken:
                yield sp.Symbol(f"u_{k}")
            k += 1

    defs, outs = sp.cse(exprs, symbols=fresh(), order="none")
    kept, back = [], {}
    for sym, value in defs:
        value = value.xreplace(back)
        if _ops(sp, value) >= _CSE_MIN_OPS:
            kept.append((sym, value))
        else:
            back[sym] = value
    outs = [o.xreplace(back) for o in outs]
    # renumber the kept names 1, 2, … in order of definition
    names = {}
    for k, (sym, _) in enumerate(kept, start=1):
        names[sym] = sp.Symbol(f"u_{k}") if f"u_{k}" not in taken else sym
    kept = [(names[s], v.xreplace(names)) for s, v in kept]
    return kept, [o.xreplace(names) for o in outs]


def to_latex(graph, names=None, *, simplify: bool = True) -> str:
    """LaTeX of the formula a graph of scalar values computes (see :func:`to_sympy` for
    ``names`` and what is translated).

    With ``simplify`` (the default) the formula is printed in textbook form: one fraction,
    products multiplied out, common factors in front, terms grouped by the functions they
    multiply; a subexpression that is still repeated and has a few operations or more is
    named ``u_1, u_2, …`` and defined first, in an ``aligned`` block that ends with
    ``y = …``. ``simplify=False`` prints :func:`to_sympy`'s literal translation. A formula
    that would have more than a couple of thousand operations written out (high derivatives
    of quotients grow that way) is printed as the graph's own shared values, each defined
    once, without the textbook step. Several outputs print as a tuple (or ``y_0, y_1, …``).

    >>> import wire, wire.numpy as wnp
    >>> print(wire.to_latex(wire.trace(wire.grad(lambda x: x * wnp.sin(x)), 1.0)))
    x \\cos{\\left(x \\right)} + \\sin{\\left(x \\right)}
    >>> d2 = wire.grad(wire.grad(lambda x: wnp.log(1 + x * x)))
    >>> print(wire.to_latex(wire.trace(d2, 1.0)))
    \\frac{2 \\left(1 - x^{2}\\right)}{\\left(x^{2} + 1\\right)^{2}}
    """
    sp = _sympy()
    graph = _as_graph(graph)
    size = _tree_sizes(graph)
    if sum(size[o] for o in graph.outputs) > _INLINE_MAX_OPS:
        exprs, defs = _formulas(sp, graph, names, named_prefix="u")
    else:
        exprs, defs = _formulas(sp, graph, names)
        if simplify:
            exprs = [_textbook(sp, e) for e in exprs]
            taken = {s.name for e in exprs for s in e.free_symbols}
            defs, exprs = _name_repeats(sp, exprs, taken)
    body = sp.latex(exprs[0]) if len(exprs) == 1 else sp.latex(tuple(exprs))
    if not defs:
        return body
    taken = {s.name for e in exprs for s in e.free_symbols}
    out = "f" if "y" in taken else "y"
    lines = [f"{sp.latex(s)} &= {sp.latex(v)}" for s, v in defs]
    if len(exprs) == 1:
        lines.append(f"{out} &= {body}")
    else:
        lines += [f"{out}_{{{k}}} &= {sp.latex(e)}" for k, e in enumerate(exprs)]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


