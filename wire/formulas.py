"""Graphs of scalar values as mathematics: :func:`to_sympy` (a SymPy expression) and
:func:`to_latex` (a LaTeX formula).

Every node of a graph of scalars is one primitive applied to scalars, so the graph *is* a
formula: :data:`SYMPY_RULES` maps each primitive that has a SymPy counterpart to it, one entry
per ``Primitive`` object (the rule takes the ``sympy`` module, the node and the operands'
expressions). :data:`UNTRANSLATABLE` gives, for every other primitive, the reason it has no
formula; a graph that holds one raises :class:`~wire.WireError` naming it. A test checks that
the two tables cover the whole registry.

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

from fractions import Fraction
from typing import Callable

import numpy as np

from .errors import WireError, at, user_location
from .ir import Graph, Node, arg_op, const_op, var_op
from .core import Tracer
from .higher_order import cond as control
from .higher_order import custom, scan, while_loop
from .ops import complex_parts as cx
from .ops import cumulative, fft, incomplete, reductions, sorting, special
from .ops import elementwise as ew
from .ops import factorizations as la
from .ops import matmul as linalg
from .ops import shape as sh
from .tree import LEAF, unflatten

__all__ = ["SYMPY_RULES", "UNTRANSLATABLE", "to_latex", "to_sympy"]

# A formula with more operations than this written out in full (SymPy's tree counts a value
# shared by the graph once per use) is printed by to_latex as the graph's shared values, each
# defined once: the textbook step (together, expand) takes seconds past it (measured: 0.2 s
# at 1300 operations, 16 s at 130 000) and its result is no longer readable anyway.
_INLINE_MAX_OPS = 2000
# A repeated subexpression gets a name in to_latex when it has at least this many operations.
_CSE_MIN_OPS = 4


# --------------------------------------------------------------------------- rule helpers


def _call(name: str) -> Callable:
    """Rule applying SymPy's function ``name`` to the operands."""

    def rule(sp, node, *args):
        return getattr(sp, name)(*args)

    rule.__name__ = f"sympy.{name}"
    return rule


def _truth(sp, x, operand: Node):
    """``x`` (the value of ``operand``) as a condition: NumPy's logical ops treat a nonzero
    number as True. (The dtype decides, not the expression: a SymPy symbol is a Boolean
    too.)"""
    return x if operand.aval.dtype.kind == "b" else sp.Ne(x, 0)


def _logic(name: str) -> Callable:
    """Rule for NumPy's logical_{name}: SymPy's And/Or/Xor/Not of the operands' truth."""

    def rule(sp, node, *args):
        return getattr(sp, name)(*[_truth(sp, a, o) for a, o in zip(args, node.inputs)])

    rule.__name__ = f"sympy.{name}"
    return rule


def _number_from_truth(sp, b):
    return sp.Piecewise((sp.Integer(1), b), (sp.Integer(0), True))


def _identity(sp, node, x, *rest):
    # shape-only primitives (reshape, broadcast, transpose, one-element reductions …) are
    # identities on a scalar; to_sympy has checked that every value in the graph is one
    return x


def _convert(sp, node, x):
    target = node.params["dtype"]
    if target.kind == "b":
        return _truth(sp, x, node.inputs[0])
    if node.inputs[0].aval.dtype.kind == "b":
        return _number_from_truth(sp, x)
    if target.kind == "c":
        return x
    x = sp.re(x)  # complex -> real keeps the real part (re(x) is x for a real x)
    if target.kind in "iu" and not x.is_integer:
        return sp.Piecewise((sp.floor(x), x >= 0), (sp.ceiling(x), True))  # toward zero
    return x


def _invert(sp, node, x):
    """NumPy's ``~x``: logical not of a boolean; ``-x - 1`` of a signed integer (two's
    complement, exact without wrap-around), ``max - x`` of an unsigned one."""
    dtype = node.aval.dtype
    if dtype.kind == "b":
        return sp.Not(x)
    if dtype.kind == "u":
        return sp.Integer(int(np.iinfo(dtype).max)) - x
    return -x - 1


def _select(sp, node, c, x, y):
    # a chain of selects reads as one piecewise formula: conditions are tried in order
    rest = y.args if isinstance(y, sp.Piecewise) else ((y, True),)
    return sp.Piecewise((x, _truth(sp, c, node.inputs[0])), *rest)


def _full_like(sp, node, x):
    return number(sp, node.params["value"], node.aval.dtype)


def _full(sp, node):
    return number(sp, node.params["value"], node.params["dtype"])


def _subgraph(sp, node, *args):
    """Custom-rule calls: the value is the wrapped function's (its graph param)."""
    outs = _translate(sp, node.params["graph"], list(args))
    return tuple(outs) if isinstance(node.aval, tuple) else outs[0]


def _cond(sp, node, index, *ops):
    """``branches[clip(index)](*ops)`` as a piecewise formula per output."""
    branches = [_translate(sp, g, list(ops)) for g in node.params["branches"]]
    if node.inputs[0].aval.dtype.kind == "b":
        index = _number_from_truth(sp, index)
    outs = []
    for j in range(len(branches[0])):
        pieces = [(b[j], sp.Le(index, k)) for k, b in enumerate(branches[:-1])]
        pieces.append((branches[-1][j], True))
        outs.append(sp.piecewise_fold(sp.Piecewise(*pieces)))
    return tuple(outs)


# --------------------------------------------------------------------------- the tables
# One entry per primitive: rule(sympy, node, *operand_expressions) -> expression (a tuple of
# expressions for a multi-output primitive). Params are read from node.params.
# fmt: off
SYMPY_RULES: dict = {
    ew.neg_p:          lambda sp, n, x: -x,
    ew.add_p:          lambda sp, n, x, y: x + y,
    ew.sub_p:          lambda sp, n, x, y: x - y,
    ew.mul_p:          lambda sp, n, x, y: x * y,
    ew.div_p:          lambda sp, n, x, y: x / y,
    ew.pow_p:          lambda sp, n, x, y: x ** y,
    ew.integer_pow_p:  lambda sp, n, x: x ** n.params["y"],
    ew.exp_p:          _call("exp"),
    ew.exp2_p:         lambda sp, n, x: sp.Integer(2) ** x,
    ew.expm1_p:        lambda sp, n, x: sp.exp(x) - 1,
    ew.log_p:          _call("log"),
    ew.log2_p:         lambda sp, n, x: sp.log(x, 2),
    ew.log10_p:        lambda sp, n, x: sp.log(x, 10),
    ew.log1p_p:        lambda sp, n, x: sp.log(x + 1),
    ew.sqrt_p:         _call("sqrt"),
    ew.sin_p:          _call("sin"),
    ew.cos_p:          _call("cos"),
    ew.tan_p:          _call("tan"),
    ew.arcsin_p:       _call("asin"),
    ew.arccos_p:       _call("acos"),
    ew.arctan_p:       _call("atan"),
    ew.sinh_p:         _call("sinh"),
    ew.cosh_p:         _call("cosh"),
    ew.tanh_p:         _call("tanh"),
    ew.arcsinh_p:      _call("asinh"),
    ew.arccosh_p:      _call("acosh"),
    ew.arctanh_p:      _call("atanh"),
    ew.arctan2_p:      _call("atan2"),
    ew.abs_p:          _call("Abs"),
    ew.maximum_p:      _call("Max"),
    ew.minimum_p:      _call("Min"),
    ew.mod_p:          _call("Mod"),   # sign of the divisor, as NumPy's mod
    ew.fmod_p:         lambda sp, n, x, y: sp.sign(x) * sp.Mod(sp.Abs(x), sp.Abs(y)),  # C's
    # over the reals the sign bit is x < 0 (-0.0 and -nan are not real numbers)
    ew.signbit_p:      lambda sp, n, x: sp.Lt(x, 0),
    ew.invert_p:       _invert,
    ew.sign_p:         _call("sign"),
    ew.floor_p:        _call("floor"),
    ew.ceil_p:         _call("ceiling"),
    ew.floor_divide_p: lambda sp, n, x, y: sp.floor(x / y),
    ew.eq_p:           _call("Eq"),
    ew.ne_p:           _call("Ne"),
    ew.lt_p:           _call("Lt"),
    ew.le_p:           _call("Le"),
    ew.gt_p:           _call("Gt"),
    ew.ge_p:           _call("Ge"),
    ew.and_p:          _logic("And"),
    ew.or_p:           _logic("Or"),
    ew.xor_p:          _logic("Xor"),
    ew.not_p:          _logic("Not"),
    ew.select_p:       _select,
    ew.convert_p:      _convert,
    ew.stop_gradient_p: lambda sp, n, x: x,
    special.gammaln_p: lambda sp, n, x: sp.log(sp.Abs(sp.gamma(x))),  # SciPy's gammaln: log|Γ|
    special.polygamma_p: lambda sp, n, x: sp.polygamma(n.params["n"], x),
    special.erf_p:     _call("erf"),
    special.erfc_p:    _call("erfc"),
    special.erfinv_p:  _call("erfinv"),
    special.ndtri_p:   lambda sp, n, p: sp.sqrt(2) * sp.erfinv(2 * p - 1),  # Φ⁻¹(p)
    incomplete.gammainc_p:  lambda sp, n, a, x: sp.lowergamma(a, x) / sp.gamma(a),
    incomplete.gammaincc_p: lambda sp, n, a, x: sp.uppergamma(a, x) / sp.gamma(a),
    incomplete.betainc_p:   lambda sp, n, a, b, x: sp.betainc_regularized(a, b, 0, x),
    cx.real_p:         _call("re"),
    cx.imag_p:         _call("im"),
    cx.conj_p:         _call("conjugate"),
    cx.complex_p:      lambda sp, n, re, im: re + sp.I * im,
    sh.full_p:         _full,
    sh.full_like_p:    _full_like,
    sh.reshape_p:      _identity,
    sh.transpose_p:    _identity,
    sh.broadcast_to_p: _identity,
    sh.broadcast_like_p: _identity,
    sh.sum_to_like_p:  _identity,
    sh.proj_p:         lambda sp, n, t: t[n.params["index"]],
    reductions.reduce_sum_p:  _identity,
    reductions.reduce_prod_p: _identity,
    reductions.reduce_max_p:  _identity,
    reductions.reduce_min_p:  _identity,
    control.cond_p:    _cond,
    custom.custom_jvp_call_p: _subgraph,
    custom.custom_vjp_call_p: _subgraph,
}

_ARRAYS = "works on arrays: a graph of scalars never holds it"
UNTRANSLATABLE: dict = {
    ew.round_p:       "NumPy rounds halves to even; SymPy has no function that does",
    ew.isnan_p:       "a formula's symbols stand for numbers: SymPy cannot test for NaN",
    ew.isinf_p:       "a formula's symbols stand for finite numbers: SymPy cannot test for inf",
    ew.isfinite_p:    "a formula's symbols stand for finite numbers: SymPy cannot test for inf",
    **{p: "acts on the binary digits of integers: SymPy has no function for it (logical_and "
          "& co. translate booleans)" for p in (ew.bitwise_and_p, ew.bitwise_or_p,
                                                ew.bitwise_xor_p)},
    **{p: "a derivative of an incomplete gamma/beta function in its shape parameters: SymPy "
          "writes it only as Meijer G-functions or integrals, which do not evaluate to the "
          "needed accuracy" for p in (incomplete.gammainc_deriv_p, incomplete.betainc_deriv_p)},
    while_loop.while_p:  "a loop whose trip count depends on the values has no closed formula",
    scan.scan_p:   "a loop over array slices: " + _ARRAYS,
    reductions.argmax_p: _ARRAYS,
    reductions.argmin_p: _ARRAYS,
    sorting.argsort_p:   _ARRAYS,
    cumulative.cumsum_p: _ARRAYS,
    cumulative.cumprod_p: _ARRAYS,
    sh.concatenate_p:    _ARRAYS,
    sh.swapaxes_p:       _ARRAYS,  # needs two axes
    sh.getitem_p:        _ARRAYS,
    sh.scatter_add_p:    _ARRAYS,
    linalg.matmul_p:     _ARRAYS,
    la.solve_p:    _ARRAYS, la.inv_p: _ARRAYS, la.det_p: _ARRAYS, la.slogdet_p: _ARRAYS,
    la.cholesky_p: _ARRAYS, la.eigh_p: _ARRAYS, la.svd_p: _ARRAYS, la.qr_p: _ARRAYS,
    la.eig_p: _ARRAYS, la.pinv_p: _ARRAYS, la.adjugate_p: _ARRAYS, la.inv_or_inf_p: _ARRAYS,
    fft.fft_p:           _ARRAYS,
}
# fmt: on


# --------------------------------------------------------------------------- translation


def _sympy():
    try:
        import sympy
    except ImportError:
        raise WireError("wire.to_sympy and wire.to_latex need SymPy: pip install sympy"
                        + at(user_location())) from None
    return sympy


def number(sp, value, dtype):
    """A constant of ``dtype`` as a SymPy number: exact when the float is a small fraction
    (``2.0`` is ``2``, ``0.25`` is ``1/4``), else a Float holding the same binary value and
    printed with the digits that identify it in ``dtype`` (float32 ``0.1`` prints ``0.1``)."""
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


def _check_scalar(node: Node, where: str) -> None:
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


def _translate(sp, graph: Graph, args: list, named: dict | None = None,
               defs: list | None = None) -> list:
    """The expressions of ``graph``'s outputs, its inputs standing for ``args``. A node in
    ``named`` (node -> symbol) stands for its symbol in its users; ``(symbol, expression)`` is
    appended to ``defs``."""
    env: dict = dict(zip(graph.inputs, args))
    for node in graph.nodes:
        if node in env:
            continue
        _check_scalar(node, "to_sympy")
        if node.op is const_op:
            env[node] = number(sp, node.params["value"].array, node.aval.dtype)
            continue
        if node.is_leaf:
            raise WireError(f"to_sympy: graph has an unnamed free input {node!r}"
                            + at(node.loc or user_location()))
        rule = SYMPY_RULES.get(node.op)
        if rule is None:
            reason = UNTRANSLATABLE.get(node.op, "no SymPy translation is declared for it")
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
        _check_scalar(node, "to_sympy")
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
    outs = _translate(sp, Graph(inputs, graph.outputs), [symbols[n] for n in inputs], named,
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


