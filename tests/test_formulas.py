"""wire.to_sympy / wire.to_latex: every translation rule evaluated against wire.evaluate,
every scalar graph of the example corpus, derivatives 1-8 of a panel of functions checked
against SymPy's own derivatives, the coverage of the registry, and the errors."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from corpus import graphs as corpus_graphs
from wire.formulas import SYMPY_RULES, UNTRANSLATABLE
from wire.api.registry import REGISTRY
from wire.core import bind

sp = pytest.importorskip("sympy")
scipy = pytest.importorskip("scipy")
import scipy.special  # noqa: E402  (the oracle of the functions lambdify does not map)

_ARRAYS = UNTRANSLATABLE[REGISTRY["matmul"]]  # the reason given to array-only primitives


def _is_elementwise(p) -> bool:
    return getattr(p.batch, "__qualname__", "").startswith("elementwise_batch.")


def _symbols(graph, names=None):
    """The symbols to_sympy gives the graph's inputs, in order (from a translation of the
    identity on the same inputs)."""
    ident = wire.Graph(graph.inputs, graph.inputs)
    out = wire.to_sympy(ident, names)
    return list(out) if isinstance(out, tuple) else [out]


def _hyper(a, b, z):
    if len(a) == 1 and len(b) == 1:
        return scipy.special.hyp1f1(a[0], b[0], z)
    return scipy.special.hyp2f1(a[0], a[1], b[0], z)


# SymPy functions that lambdify's SciPy printer does not map
_SCIPY_EXTRA = {"expint": lambda n, x: scipy.special.expn(n, x), "hyper": _hyper,
                "polylog": lambda s, w: scipy.special.spence(1 - w) if s == 2 else np.nan}


def _formula_fn(graph, names=None):
    """A NumPy function of the graph's inputs computing ``to_sympy(graph)`` (through the
    ``cse=True`` form, so it stays fast for big derivative graphs); flat outputs."""
    defs, result = wire.to_sympy(graph, names, cse=True)
    exprs = [e for e in wire.tree.leaves(result)]
    fn = sp.lambdify(_symbols(graph, names), exprs, modules=[_SCIPY_EXTRA, "scipy", "numpy"],
                     cse=lambda es: (defs, es))
    return fn


def _check_at(graph, args, rtol=1e-9, atol=1e-12):
    fn = _formula_fn(graph)
    want = [np.asarray(w) for w in wire.tree.leaves(wire.evaluate(graph, *args))]
    got = fn(*args)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g = np.asarray(g)
        if w.dtype == np.bool_:
            assert bool(g) == bool(w), (graph, args)
        else:
            np.testing.assert_allclose(g.astype(w.dtype) if w.dtype.kind != "c" else g, w,
                                       rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f"{graph} at {args}")


# --------------------------------------------------------------------------- coverage


def test_every_primitive_is_translated_or_has_a_reason():
    for name, p in REGISTRY.items():
        assert (p in SYMPY_RULES) != (p in UNTRANSLATABLE), name
        if p in UNTRANSLATABLE:
            assert isinstance(UNTRANSLATABLE[p], str) and len(UNTRANSLATABLE[p]) > 10, name


def test_every_elementwise_primitive_has_a_formula_or_a_specific_reason():
    elementwise = [p for p in REGISTRY.values() if _is_elementwise(p)]
    names = {p.name for p in elementwise}
    assert {"sin", "add", "select", "erf", "real"} <= names  # the detection finds them
    for p in elementwise:
        assert p in SYMPY_RULES or UNTRANSLATABLE[p] != _ARRAYS, p.name


# --------------------------------------------------------------------------- every rule


def _scalar_samples(p, draws: int = 4):
    """``(args, params)`` draws of the primitive's own sampler, each argument cut to one
    element (a 0-d array of the same dtype, inside the primitive's domain)."""
    out = []
    for seed in range(draws):
        args, params = p.sample(np.random.default_rng(seed))
        out.append(([np.asarray(np.asarray(a).reshape(-1)[0]) for a in args], params))
    return out


ELEMENTWISE_RULES = sorted((p for p in SYMPY_RULES if _is_elementwise(p)), key=lambda p: p.name)


@pytest.mark.parametrize("p", ELEMENTWISE_RULES, ids=[p.name for p in ELEMENTWISE_RULES])
def test_elementwise_rule_and_its_derivative_evaluate_like_wire(p):
    for args, params in _scalar_samples(p):
        g = wire.trace(lambda *a: bind(p, *a, **params), *args)
        low = any(a.dtype == np.float32 for a in args)
        _check_at(g, args, rtol=1e-5 if low else 1e-9)
        floats = tuple(i for i, a in enumerate(args) if a.dtype.kind == "f")
        if floats and not p.nondiff and g.outputs[0].aval.dtype.kind == "f":
            dg = wire.trace(wire.grad(lambda *a: bind(p, *a, **params), argnums=floats), *args)
            untranslatable = {n.op.name for n in dg.nodes if n.op in UNTRANSLATABLE}
            if untranslatable:  # e.g. a shape derivative of betainc: a clear error instead
                with pytest.raises(wire.WireError, match="|".join(sorted(untranslatable))):
                    wire.to_sympy(dg)
                continue
            _check_at(dg, args, rtol=1e-5 if low else 1e-9)


def _scalar_programs():
    """Scalar programs whose graphs hold the non-elementwise rules (shape ops on scalars,
    reductions of one element, constants, cond, custom rules)."""

    @wire.custom_jvp
    def softplus(x):
        return wnp.log1p(wnp.exp(x))

    softplus.defjvp(lambda p, t: (softplus(p[0]), t[0] / (1 + wnp.exp(-p[0]))))

    @wire.custom_vjp
    def clipped_sin(x):
        return wnp.sin(x)

    clipped_sin.defvjp(lambda x: (wnp.sin(x), x), lambda r, g: (wnp.clip(g * wnp.cos(r), -1, 1),))

    x, R = 0.7, REGISTRY
    return [
        ("reshape", lambda a: bind(R["reshape"], a, shape=()) * 2.0, (x,)),
        ("transpose", lambda a: bind(R["transpose"], a, perm=()) + 1.0, (x,)),
        # what the reverse driver emits around broadcasting, met at scalar shapes
        ("broadcast", lambda a, b: bind(R["broadcast_to"], a, shape=())
         + bind(R["broadcast_like"], a, b) * bind(R["sum_to_like"], b, a)
         + bind(R["reduce_sum"], a, axes=()) + bind(R["full_like"], a, value=2.5), (x, 0.2)),
        ("reductions", lambda a: wnp.sum(a) + wnp.prod(a) * wnp.max(a) - wnp.min(a), (x,)),
        ("nan reductions", lambda a: wnp.nanmax(a) * 2.0 - wnp.nanmin(a), (x,)),
        ("full", lambda a: a * wnp.ones(()) + wnp.full((), 2.5) + wnp.zeros_like(a), (x,)),
        ("cond", lambda a: wire.cond(a > 0.5, lambda t: t * 2, lambda t: wnp.sin(t), a), (x,)),
        ("cond_other_side", lambda a: wire.cond(a > 0.5, lambda t: t * 2, lambda t: -t, a),
         (0.1,)),
        ("switch", lambda i, a: wire.switch(i, [lambda t: t, lambda t: t * t,
                                                lambda t: wnp.exp(t)], a), (np.int64(5), x)),
        ("grad_cond", wire.grad(lambda a: wire.cond(a > 0, lambda t: t ** 3,
                                                    lambda t: wnp.cos(t), a)), (x,)),
        ("custom_jvp", lambda a: softplus(a) * 2.0, (x,)),
        ("grad_custom_jvp", wire.grad(lambda a: softplus(a * a)), (x,)),
        ("custom_vjp", lambda a: clipped_sin(a) + a, (x,)),
        ("grad_custom_vjp", wire.grad(lambda a: clipped_sin(a * 3.0)), (x,)),
        ("stop_gradient", lambda a: wire.stop_gradient(a) * a, (x,)),
        ("grad_checkpoint", wire.value_and_grad(
            lambda a: wire.checkpoint(lambda t: wnp.sin(t) * t)(a) * 3.0), (x,)),
        ("checkpoint_name", wire.value_and_grad(lambda a: wire.checkpoint(
            lambda t: wnp.sin(wire.checkpoint_name(t * t, "sq")),
            policy=wire.checkpoint_policies.save_only_these_names("sq"))(a)), (x,)),
        ("convert", lambda a, b, c: (a.astype(np.int32) + c.astype(np.float64)
                                     + (b > 1).astype(np.float64) + (a != 0)), (-2.7, 3.0, True)),
        ("logic", lambda a, b: wnp.logical_xor(wnp.logical_and(a > 0, b > 0),
                                               wnp.logical_not(a > b)) | (a < -1), (x, -0.2)),
        ("complex", lambda a, b: wnp.real((a + 1j * b) * (a - 2j)) + wnp.imag(wnp.conj(a + 1j * b)),
         (x, 0.3)),
        ("value_and_grad", wire.value_and_grad(lambda a, b: a * wnp.sin(b), argnums=(0, 1)),
         (x, 0.4)),
        ("int_math", lambda i, j: (i // j, i % j, i * j - i ** 2), (np.int64(-7), np.int64(3))),
    ]


PROGRAMS = _scalar_programs()


@pytest.mark.parametrize("name,f,args", PROGRAMS, ids=[n for n, _, _ in PROGRAMS])
def test_scalar_program_formula_evaluates_like_wire(name, f, args):
    args = tuple(np.asarray(a) for a in args)
    _check_at(wire.trace(f, *args), args)


def test_every_rule_is_exercised_by_the_tests_above():
    seen = set()
    for _, f, args in PROGRAMS:
        g = wire.trace(f, *[np.asarray(a) for a in args])
        seen |= _primitives(g)
    for p in ELEMENTWISE_RULES:
        for args, params in _scalar_samples(p, 1):
            seen |= _primitives(wire.trace(lambda *a: bind(p, *a, **params), *args))
    missing = sorted(p.name for p in SYMPY_RULES if p not in seen)
    assert not missing, missing


def _primitives(graph) -> set:
    out = set()
    for n in graph.nodes:
        if not n.is_leaf:
            out.add(n.op)
        for v in n.params.values():
            subs = [v] if isinstance(v, wire.Graph) else [
                g for g in v if isinstance(g, wire.Graph)] if isinstance(v, tuple) else []
            for g in subs:
                out |= _primitives(g)
    return out


# --------------------------------------------------------------------------- the corpus


def _is_scalar_graph(g) -> bool:
    avals = list(g.in_avals) + list(g.out_avals)
    return all(not isinstance(a, tuple) and a.shape == () for a in avals)


SCALAR_CORPUS = [(n, g, a) for n, g, a in corpus_graphs() if _is_scalar_graph(g)]


def test_the_corpus_has_scalar_graphs():
    assert {"scalars", "grad_scalars"} <= {n for n, _, _ in SCALAR_CORPUS}


@pytest.mark.parametrize("name,graph,args", SCALAR_CORPUS, ids=[n for n, _, _ in SCALAR_CORPUS])
def test_every_scalar_corpus_graph_translates_or_names_its_primitive(name, graph, args):
    try:
        wire.to_sympy(graph)
    except wire.WireError as e:
        ops = {p for p in _primitives(graph) if p in UNTRANSLATABLE}
        assert ops and any(repr(p.name) in str(e) for p in ops), str(e)
        return
    rng = np.random.default_rng(0)
    points = [tuple(np.asarray(a) for a in args)]
    points += [tuple(np.asarray(a) + rng.normal() if np.asarray(a).dtype.kind == "f"
                     else np.asarray(a) for a in args) for _ in range(5)]
    for pt in points:
        _check_at(graph, pt)


# --------------------------------------------------------------------------- derivatives


PANEL = [
    ("sin_exp_tanh", lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x)),
     lambda x: sp.sin(x) * sp.exp(sp.tanh(x)), (-2.0, 2.0)),
    ("log_1_x2", lambda x: wnp.log(1 + x * x), lambda x: sp.log(1 + x**2), (-2.0, 2.0)),
    ("sigmoid", lambda x: 1 / (1 + wnp.exp(-x)), lambda x: 1 / (1 + sp.exp(-x)), (-3.0, 3.0)),
    ("x3_cos", lambda x: x**3 * wnp.cos(x), lambda x: x**3 * sp.cos(x), (-2.0, 2.0)),
    ("sqrt_1_x2", lambda x: wnp.sqrt(1 + x * x), lambda x: sp.sqrt(1 + x**2), (-2.0, 2.0)),
    ("gauss", lambda x: wnp.exp(-x * x / 2), lambda x: sp.exp(-x**2 / 2), (-2.0, 2.0)),
    ("arctan_over_cosh", lambda x: wnp.arctan(x) / wnp.cosh(x),
     lambda x: sp.atan(x) / sp.cosh(x), (-2.0, 2.0)),
    ("pow_erf", lambda x: (2.0 + wnp.sin(x)) ** 1.5 * wire.scipy.special.erf(x),
     lambda x: (2 + sp.sin(x)) ** sp.Rational(3, 2) * sp.erf(x), (-2.0, 2.0)),
]


# The derivative graphs of the first four stay small at every order; those of quotients grow
# about 2.5x per order (4850 nodes for the sigmoid's 8th), so their high orders are slow.
SMALL = {"sin_exp_tanh", "x3_cos", "gauss", "pow_erf"}
ORACLE_MAX_ORDER = 3  # sympy.diff itself takes seconds past this for exp(tanh(x))


def _check_derivatives(name, f, f_sym, domain, orders):
    x = sp.Symbol("x", real=True)
    pts = np.random.default_rng(1).uniform(*domain, size=4)
    g = f
    for order in range(1, max(orders) + 1):
        g = wire.grad(g)
        if order not in orders:
            continue
        graph = wire.trace(g, 1.0)
        got = _formula_fn(graph)
        for p in pts:
            want = float(wire.evaluate(graph, p))
            np.testing.assert_allclose(got(p)[0], want, rtol=1e-9, atol=1e-9,
                                       err_msg=f"{name} order {order} at {p}")
        if order <= ORACLE_MAX_ORDER:
            oracle = sp.lambdify(x, sp.diff(f_sym(x), x, order), modules=["scipy", "numpy"])
            np.testing.assert_allclose([oracle(p) for p in pts],
                                       [float(wire.evaluate(graph, p)) for p in pts],
                                       rtol=1e-9, atol=1e-9, err_msg=f"{name} vs sympy.diff")


@pytest.mark.parametrize("name,f,f_sym,domain", PANEL, ids=[p[0] for p in PANEL])
def test_derivatives_as_formulas_evaluate_like_wire(name, f, f_sym, domain):
    """Orders 1-8 (1-4 for quotients: see the slow test); sympy.diff agrees on 1-3."""
    _check_derivatives(name, f, f_sym, domain, range(1, 9 if name in SMALL else 5))


SLOW = [("log_1_x2", 8), ("sigmoid", 7), ("sqrt_1_x2", 6), ("arctan_over_cosh", 6)]


@pytest.mark.slow
@pytest.mark.parametrize("name,top", SLOW, ids=[n for n, _ in SLOW])
def test_high_derivatives_of_quotients_as_formulas(name, top):
    (_, f, f_sym, domain), = [p for p in PANEL if p[0] == name]
    _check_derivatives(name, f, f_sym, domain, range(5, top + 1))


def test_to_latex_prints_the_fourth_derivative_in_textbook_form():
    f = lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x))  # noqa: E731
    text = wire.to_latex(wire.trace(wire.grad(wire.grad(wire.grad(wire.grad(f)))), 1.0))
    assert "aligned" not in text and "u_" not in text
    assert text.count(r"e^{\tanh{\left(x \right)}}") == 1  # the common factor pulled out
    assert text.count(r"\sin{\left(x \right)}") == 1 and text.count(r"\cos{\left(x \right)}") == 1
    assert r"\tanh^{8}{\left(x \right)}" in text


def test_textbook_form_is_the_same_function():
    from wire.formulas import _textbook

    x = sp.Symbol("x", real=True)
    for name, f, f_sym, _ in PANEL:
        g = f
        for order in range(1, 4):
            g = wire.grad(g)
            e = wire.to_sympy(wire.trace(g, 1.0))
            tb = _textbook(sp, e)
            for p in (-1.3, 0.2, 0.9):
                assert float(tb.subs(x, p)) == pytest.approx(float(e.subs(x, p)), rel=1e-11), (
                    name, order)


def test_big_formulas_are_printed_as_shared_definitions():
    # (the 6th derivative of the sigmoid, once used here, is now one small exact fraction)
    f = lambda x: wnp.arctan(wnp.sinh(x) * wnp.sqrt(1 + x**2))  # noqa: E731
    g = f
    for _ in range(3):
        g = wire.grad(g)
    text = wire.to_latex(wire.trace(g, 1.0))
    assert text.startswith("\\begin{aligned}") and "u_{1} &=" in text and "\ny &= " in text


def test_cse_definitions_are_in_order():
    g = wire.trace(wire.grad(wire.grad(lambda x: 1 / (1 + wnp.exp(-x)))), 1.0)
    defs, expr = wire.to_sympy(g, cse=True)
    defined = set()
    for sym, value in defs:
        assert value.free_symbols - {sp.Symbol("x", real=True)} <= defined
        defined.add(sym)
    assert expr.free_symbols - {sp.Symbol("x", real=True)} <= defined


# --------------------------------------------------------------------------- names and forms


def test_names_and_structure():
    g = wire.trace(lambda a, b: {"p": a * b, "q": (a - b, None)}, 1.0, 2.0)
    out = wire.to_sympy(g)
    x0, x1 = sp.symbols("x_0 x_1", real=True)
    assert out == {"p": x0 * x1, "q": (x0 - x1, None)}
    u, v = sp.symbols("u v", real=True)
    assert wire.to_sympy(g, names="u, v")["p"] == u * v
    w = sp.Symbol("w")  # a user's symbol is used as it is
    assert wire.to_sympy(g, names=[w, "v"])["q"][0] == w - v


def test_input_kinds_give_symbol_assumptions():
    g = wire.trace(lambda i, x, z: (i, x, z), np.int64(1), 1.0, 1j)
    i, x, z = wire.to_sympy(g, names="i x z")
    assert i.is_integer and x.is_real and z.is_complex and not z.is_real


def test_node_level_graphs():
    x = wire.var("x", shape=())
    y = x * x + wnp.sin(x)
    (dy,) = wire.gradients(y, [x])
    xs = sp.Symbol("x", real=True)
    assert wire.to_sympy(y) == xs**2 + sp.sin(xs)
    assert wire.to_sympy(dy) == 2 * xs + sp.cos(xs)


def test_constants_print_exactly_when_they_are_small_fractions():
    x = sp.Symbol("x", real=True)
    assert wire.to_sympy(wire.trace(lambda a: a * 2.0 + 0.25, 1.0)) == 2 * x + sp.Rational(1, 4)
    e = wire.to_sympy(wire.trace(lambda a: a * 0.1, np.float32(1.0)))
    assert str(e) == "0.1*x"
    e = wire.to_sympy(wire.trace(lambda a: a + np.inf, 1.0))
    assert e == sp.oo  # x + oo is oo: SymPy's arithmetic, stated in the docs


def test_several_outputs_print_as_a_tuple_in_latex():
    text = wire.to_latex(wire.trace(lambda a: (a * 2.0, wnp.sin(a)), 1.0))
    assert text.startswith(r"\left(") and r"\sin" in text


def test_simplify_false_prints_the_literal_translation():
    g = wire.trace(wire.grad(wire.grad(lambda x: wnp.log(1 + x * x))), 1.0)
    assert wire.to_latex(g, simplify=False) == sp.latex(wire.to_sympy(g))


# --------------------------------------------------------------------------- errors


def test_untranslatable_primitive_is_named():
    g = wire.trace(lambda a: wnp.round(a * 3.0) + 1.0, 1.0)
    with pytest.raises(wire.WireError, match="'round'.*halves to even"):
        wire.to_sympy(g)
    g = wire.trace(lambda a: wire.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, a), 1.0)
    with pytest.raises(wire.WireError, match="'while'"):
        wire.to_latex(g)


def test_array_graph_is_refused_with_shape_and_fix():
    g = wire.trace(lambda a: wnp.sum(a * 2.0), np.ones(3))
    with pytest.raises(wire.WireError, match=r"shape \(3,\).*wire.trace\(f, 1.0\)"):
        wire.to_sympy(g)
    with pytest.raises(wire.WireError, match="shape=\\(\\)"):
        wire.to_sympy(wire.var("x") * 2.0)


def test_bad_arguments():
    g = wire.trace(lambda a, b: a * b, 1.0, 2.0)
    with pytest.raises(wire.WireError, match="1 name.*2 input"):
        wire.to_sympy(g, names="x")
    with pytest.raises(wire.WireError, match="both be called 'x'"):
        wire.to_sympy(g, names="x x")
    with pytest.raises(wire.WireError, match="wire.Graph"):
        wire.to_sympy("not a graph")


def test_missing_sympy_is_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sympy(name, *args, **kwargs):
        if name == "sympy" or name.startswith("sympy."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sympy)
    with pytest.raises(wire.WireError, match="pip install sympy"):
        wire.to_sympy(wire.trace(lambda a: a * 2.0, 1.0))


# --------------------------------------------------------------------------- the docs page


def test_the_formulas_on_the_docs_page_are_what_wire_prints():
    import pathlib
    import re

    page = pathlib.Path(__file__).resolve().parent.parent / "docs" / "formulas.md"
    shown = re.findall(r"\$\$\n(?:f[^=]*= )?(.*?)\n\$\$", page.read_text(), flags=re.S)

    def f(x):
        return wnp.sin(x) * wnp.exp(wnp.tanh(x))

    want, d = [], f
    for _ in range(4):
        d = wire.grad(d)
        want.append(wire.to_latex(wire.trace(d, 1.0)))
    g = wire.grad(lambda x, y: x * wnp.exp(x * y) + wnp.sin(x * y) ** 2, argnums=(0, 1))
    want.append(wire.to_latex(wire.trace(g, 1.0, 2.0), names="x y"))
    want.append(wire.to_latex(wire.trace(wire.grad(lambda x: wnp.maximum(x, 0.0) ** 2), 1.0)))
    assert shown == want
