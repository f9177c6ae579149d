"""wire.vmap: batching rules of every registered primitive against a Python loop, the
function API (in_axes/out_axes pytrees, axis_size, negative axes), composition with grad,
jvp, jit and itself, and error messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.api.registry import REGISTRY
from wire.core import bind

# --------------------------------------------------------------------------- registry


def _signature(args, params):
    return (
        tuple((np.shape(a), np.result_type(a)) for a in args),
        tuple(sorted((k, repr(v)) for k, v in params.items())),
    )


def _examples(prim, seed: int, size: int):
    """``size`` samples of ``prim`` with one signature (shapes, dtypes, params): resampled
    with other seeds when possible, else the first sample with its elements permuted."""
    rng = np.random.default_rng(seed)
    args, params = prim.sample(rng)
    sig = _signature(args, params)
    out = [list(args)]
    for k in range(1, 400):
        if len(out) == size:
            break
        a2, p2 = prim.sample(np.random.default_rng(seed * 1000 + k))
        if _signature(a2, p2) == sig:
            out.append(list(a2))
    while len(out) < size:
        out.append([rng.permutation(np.ravel(a)).reshape(np.shape(a)) for a in args])
    return out, params


def _stack(values, axis):
    return np.stack([np.asarray(v) for v in values], axis=axis)


def _compare(got, want, name):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), name
        for g, w in zip(got, want):
            _compare(g, w, name)
        return
    got = np.asarray(got)
    assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != {want.dtype}"
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9, err_msg=name)


def _check_primitive(prim, seed):
    size = 3
    rng = np.random.default_rng(seed + 7)
    examples, params = _examples(prim, seed, size)
    nargs = len(examples[0])
    if nargs == 0:  # no operands (full): never batched, broadcast along the new axis
        out = wire.vmap(lambda: bind(prim, **params), axis_size=size)()
        _compare(out, _stack([prim.impl(**params)] * size, 0), prim.name)
        return
    k = int(rng.integers(1, nargs + 1))
    batched = set(rng.choice(nargs, size=k, replace=False).tolist())
    in_axes, args = [], []
    for i in range(nargs):
        if i in batched:
            d = int(rng.integers(0, np.ndim(examples[0][i]) + 1))
            in_axes.append(d)
            args.append(_stack([ex[i] for ex in examples], d))
        else:
            in_axes.append(None)
            args.append(examples[0][i])
    loop = [
        prim.impl(*[ex[i] if i in batched else examples[0][i] for i in range(nargs)], **params)
        for ex in examples
    ]
    if isinstance(loop[0], tuple):
        want = tuple(_stack([r[j] for r in loop], 0) for j in range(len(loop[0])))
    else:
        want = _stack(loop, 0)
    got = wire.vmap(lambda *a: bind(prim, *a, **params), in_axes=tuple(in_axes))(*args)
    _compare(got, want, f"{prim.name} in_axes={tuple(in_axes)}")


# proj (the output of a multi-output node) is batched by every multi-output primitive's test
@pytest.mark.parametrize("name", sorted(n for n in REGISTRY if n != "proj"))
def test_batching_rule_matches_loop(name):
    prim = REGISTRY[name]
    assert prim.batch is not None, f"{name!r} has no batching rule"
    assert prim.sample is not None, f"{name!r} has no sampler"
    for seed in range(4):
        _check_primitive(prim, seed)


def test_every_primitive_has_a_batching_rule():
    missing = [n for n, p in REGISTRY.items() if p.batch is None]
    assert not missing, f"primitives without a batching rule: {missing}"
    assert len(REGISTRY) > 60


# --------------------------------------------------------------------------- gathers


def _loop(f, args, in_axes):
    size = next(np.shape(a)[d] for a, d in zip(args, in_axes) if d is not None)
    outs = []
    for b in range(size):
        ex = [a if d is None else np.take(a, b, axis=d) for a, d in zip(args, in_axes)]
        outs.append(f(*ex))
    return np.stack(outs)


INDEXERS = [
    lambda x, i: x[i],
    lambda x, i: x[i, :, 0],
    lambda x, i: x[:, i],
    lambda x, i: x[i, :, i],
    lambda x, i: x[..., i],
    lambda x, i: x[None, :, i, 1],
    lambda x, i: x[1:3, None, i],
    lambda x, i: x[i, 1],
]


@pytest.mark.parametrize("k", range(len(INDEXERS)))
@pytest.mark.parametrize("axes", [(0, None), (None, 0), (0, 0), (2, 1), (None, 1)])
def test_gather_and_its_gradient(k, axes):
    f = INDEXERS[k]
    rng = np.random.default_rng(k)
    B = 4
    x_ex, i_ex = (4, 4, 3), (2, 3)
    x = rng.normal(size=x_ex if axes[0] is None else _insert(x_ex, axes[0], B))
    i = rng.integers(0, 3, size=i_ex if axes[1] is None else _insert(i_ex, axes[1], B))
    np.testing.assert_allclose(wire.vmap(f, in_axes=axes)(x, i), _loop(f, [x, i], axes))
    if axes[0] is not None:  # per-example gradients go through scatter_add with batched indices
        g = wire.grad(lambda x, i: (wnp.sin(f(x, i)) ** 2).sum())
        np.testing.assert_allclose(wire.vmap(g, in_axes=axes)(x, i), _loop(g, [x, i], axes))


def _insert(shape, d, size):
    return shape[:d] + (size,) + shape[d:]


def test_scatter_add_with_batched_updates_and_indices():
    from wire.ops.shape import scatter_add

    spec = (("s", None, None, None), ("a", 0))
    rng = np.random.default_rng(1)
    u = rng.normal(size=(5, 3, 2, 2))
    idx = rng.integers(0, 4, size=(5, 2, 2))

    def f(u, i):
        return scatter_add(u, [i], spec, (3, 4))

    for axes in [(0, 0), (0, None), (None, 0), (3, 1)]:
        uu = u if axes[0] in (0, None) else np.moveaxis(u, 0, axes[0])
        ii = idx if axes[1] in (0, None) else np.moveaxis(idx, 0, axes[1])
        uu = uu[0] if axes[0] is None else uu
        ii = ii[0] if axes[1] is None else ii
        np.testing.assert_allclose(wire.vmap(f, in_axes=axes)(uu, ii), _loop(f, [uu, ii], axes))


# --------------------------------------------------------------------------- per-example grads


def _mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = wnp.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    logz = wnp.log(wnp.sum(wnp.exp(logits - wnp.max(logits)))) + wnp.max(logits)
    return logz - logits[y]


def _mlp(rng, sizes=(6, 5, 3)):
    return [
        (rng.normal(size=(m, n)) / np.sqrt(m), rng.normal(size=n) * 0.1)
        for m, n in itertools.pairwise(sizes)
    ]


def test_per_example_gradients_equal_a_loop():
    rng = np.random.default_rng(0)
    params = _mlp(rng)
    x = rng.normal(size=(7, 6))
    y = rng.integers(0, 3, size=7)
    g = wire.grad(_mlp_loss)
    got = wire.vmap(g, in_axes=(None, 0, 0))(params, x, y)
    for b in range(7):
        want = g(params, x[b], y[b])
        for (gw, gb), (ww, wb) in zip(got, want):
            np.testing.assert_allclose(gw[b], ww, rtol=1e-10)
            np.testing.assert_allclose(gb[b], wb, rtol=1e-10)


def test_grad_of_vmap_and_vmap_of_grad_of_grad():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3))

    def f(v):
        return (wnp.sin(v) * wnp.exp(v[::-1])).sum()

    total = lambda xs: wire.vmap(f)(xs).sum()
    np.testing.assert_allclose(wire.grad(total)(x), _loop(wire.grad(f), [x], [0]), rtol=1e-10)
    gg = wire.grad(lambda v: wire.grad(f)(v).sum())
    np.testing.assert_allclose(wire.vmap(gg)(x), _loop(gg, [x], [0]), rtol=1e-10)
    hess = wire.vmap(wire.hessian(f))(x)
    np.testing.assert_allclose(hess, _loop(wire.hessian(f), [x], [0]), rtol=1e-10)


def test_composes_with_jvp():
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    f = lambda v: wnp.tanh(v) * v.sum()
    per = wire.vmap(lambda a, b: wire.jvp(f, (a,), (b,)))(x, t)
    loop = [wire.jvp(f, (x[i],), (t[i],)) for i in range(5)]
    np.testing.assert_allclose(per[0], np.stack([p for p, _ in loop]))
    np.testing.assert_allclose(per[1], np.stack([d for _, d in loop]))
    outer = wire.jvp(wire.vmap(f), (x,), (t,))
    np.testing.assert_allclose(outer[1], per[1])


def test_composes_with_jit():
    if not hasattr(wire, "jit"):
        pytest.skip("wire.jit not available yet")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 3))
    f = lambda v: (wnp.cos(v) ** 2).sum()
    want = _loop(wire.grad(f), [x], [0])
    np.testing.assert_allclose(wire.jit(wire.vmap(wire.grad(f)))(x), want)
    np.testing.assert_allclose(wire.vmap(wire.jit(wire.grad(f)))(x), want)


# --------------------------------------------------------------------------- API


def test_nested_vmap_outer_product():
    a, b = np.arange(3.0), np.arange(4.0)
    out = wire.vmap(wire.vmap(lambda u, v: u * v, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    np.testing.assert_allclose(out, np.outer(a, b))
    out = wire.vmap(
        wire.vmap(lambda u, v: u * v, in_axes=(None, 0)), in_axes=(0, None), out_axes=1
    )(a, b)
    np.testing.assert_allclose(out, np.outer(a, b).T)


def test_in_axes_pytrees_and_negative_axes():
    rng = np.random.default_rng(5)
    p = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=(4, 2))}
    x = rng.normal(size=(3, 4))

    def f(p, x):
        return x @ p["w"] + p["b"]

    out = wire.vmap(f, in_axes=({"w": None, "b": 0}, -1))(p, x)
    want = np.stack([x[:, i] @ p["w"] + p["b"][i] for i in range(4)])
    np.testing.assert_allclose(out, want)
    out = wire.vmap(f, in_axes=[{"w": None, "b": 0}, 1])(p, x)
    np.testing.assert_allclose(out, want)


def test_out_axes_pytree_and_none():
    x = np.arange(6.0).reshape(2, 3)

    def f(v, c):
        return {"sum": v.sum(), "v": v * 2, "c": c + 1}

    out = wire.vmap(f, in_axes=(1, None), out_axes={"sum": 0, "v": -1, "c": None})(x, 5.0)
    np.testing.assert_allclose(out["sum"], x.sum(0))
    np.testing.assert_allclose(out["v"], x * 2)
    np.testing.assert_allclose(out["c"], 6.0)


def test_unbatched_outputs_are_broadcast_and_axis_size():
    out = wire.vmap(lambda x, c: (x, c * 2), in_axes=(0, None))(np.arange(3.0), np.ones(2))
    np.testing.assert_allclose(out[1], np.full((3, 2), 2.0))
    out = wire.vmap(lambda c: wnp.sin(c), in_axes=None, axis_size=4)(np.zeros(2))
    assert out.shape == (4, 2)
    out = wire.vmap(lambda: wnp.ones(2), axis_size=3)()
    assert out.shape == (3, 2)


def test_unbatched_work_is_not_batched():
    w = np.ones((3, 3))
    g = wire.trace(wire.vmap(lambda x, w: x @ wnp.exp(w), in_axes=(0, None)), np.ones((5, 3)), w)
    exps = [n for n in g.nodes if getattr(n.op, "name", "") == "exp"]
    assert len(exps) == 1 and exps[0].aval.shape == (3, 3)


def test_graph_form():
    g = wire.trace(lambda x, y: (x * y).sum(), np.ones(3), 2.0)
    vg = wire.vmap(g, in_axes=(0, None), axis_size=4)
    assert isinstance(vg, wire.Graph)
    assert vg.in_avals[0].shape == (4, 3)
    np.testing.assert_allclose(wire.evaluate(vg, np.ones((4, 3)), 2.0), np.full(4, 6.0))
    with pytest.raises(wire.WireError, match="axis_size"):
        wire.vmap(g)


def test_python_scalars_and_integer_arguments():
    out = wire.vmap(lambda i, s: (wnp.arange(4.0) * s)[i], in_axes=(0, None))(np.array([3, 1]), 2.0)
    np.testing.assert_allclose(out, [6.0, 2.0])


# --------------------------------------------------------------------------- errors


def test_inconsistent_sizes_name_the_arguments():
    with pytest.raises(wire.WireError) as e:
        wire.vmap(lambda a, b: a + b)(np.ones(3), {"k": np.ones((2, 4))})
    msg = str(e.value)
    assert "argument 0 has size 3" in msg and "argument 1['k'] has size 2" in msg
    assert "test_vmap.py:" in msg


def test_error_cases():
    f = lambda x: x
    with pytest.raises(wire.WireError, match="axis_size"):
        wire.vmap(f, in_axes=None)(np.ones(2))
    with pytest.raises(wire.WireError, match="out of range"):
        wire.vmap(f, in_axes=2)(np.ones((2, 2)))
    with pytest.raises(wire.WireError, match="out of range"):
        wire.vmap(f)(3.0)
    with pytest.raises(wire.WireError, match="2 entries"):
        wire.vmap(f, in_axes=(0, 0))(np.ones(2))
    with pytest.raises(wire.WireError, match="does not match"):
        wire.vmap(f, in_axes=({"a": 0},))(np.ones(2))
    with pytest.raises(wire.WireError, match="out_axes is None"):
        wire.vmap(f, out_axes=None)(np.ones(2))
    with pytest.raises(wire.WireError, match="inconsistent sizes"):
        wire.vmap(f, axis_size=3)(np.ones(2))
    with pytest.raises(wire.WireError, match="must be ints"):
        wire.vmap(f, in_axes="x")(np.ones(2))


def test_missing_rule_names_the_primitive():
    from wire.core.primitive import Primitive, elementwise_shape

    p = Primitive("norule", np.negative, elementwise_shape("norule"))
    with pytest.raises(wire.WireError, match="'norule' .*no batching rule"):
        wire.vmap(lambda x: bind(p, x))(np.ones(2))


def test_wrong_rule_is_reported():
    from wire.core.primitive import Primitive, elementwise_shape

    p = Primitive(
        "badrule",
        np.negative,
        elementwise_shape("badrule"),
        batch=lambda args, dims: (args[0], 1),
    )
    with pytest.raises(wire.WireError, match="batching rule of 'badrule'"):
        wire.vmap(lambda x: bind(p, x))(np.ones((2, 3)))


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((2, 3), (3, 5)),
        ((4, 2, 3), (3, 5)),
        ((2, 3), (4, 3, 1)),
        ((2, 1, 2, 3), (4, 3, 5)),
        ((2, 1), (1, 5)),
    ],
)
def test_matmul_batch_axes_everywhere(sa, sb):
    rng = np.random.default_rng(len(sa) + 3 * len(sb))
    f = wire.ops.matmul.matmul
    for da in [None, *range(len(sa) + 1)]:
        for db in [None, *range(len(sb) + 1)]:
            if da is None and db is None:
                continue
            a = rng.normal(size=sa if da is None else _insert(sa, da, 3))
            b = rng.normal(size=sb if db is None else _insert(sb, db, 3))
            got = wire.vmap(lambda x, y: f(x, y), in_axes=(da, db))(a, b)
            np.testing.assert_allclose(got, _loop(np.matmul, [a, b], (da, db)), rtol=1e-12)


# --------------------------------------------------------------------------- custom rules


def _scaled_grad():
    """sin with a custom VJP that doubles the cotangent (so tests can see the rule is used)."""

    @wire.custom_vjp
    def f(x, w):
        return wnp.sin(x) * w

    f.defvjp(
        lambda x, w: (wnp.sin(x) * w, (x, w)),
        lambda res, g: (2.0 * g * wnp.cos(res[0]) * res[1], g * wnp.sin(res[0])),
    )
    return f


def test_custom_vjp_rule_survives_vmap():
    f = _scaled_grad()
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(4, 3)), rng.normal(size=3)

    def total(x, w):
        return wire.vmap(f, in_axes=(0, None))(x, w).sum()

    gx, gw = wire.grad(total, argnums=(0, 1))(x, w)
    np.testing.assert_allclose(gx, 2.0 * np.cos(x) * w)
    np.testing.assert_allclose(gw, np.sin(x).sum(0))  # unbatched w: summed over the batch
    per = wire.vmap(wire.grad(lambda x, w: f(x, w).sum()), in_axes=(0, None))(x, w)
    np.testing.assert_allclose(per, 2.0 * np.cos(x) * w)


def test_custom_jvp_rule_survives_vmap():
    @wire.custom_jvp
    def f(x):
        return wnp.exp(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), 3.0 * t  # deliberately not exp(x) * t

    x, t = np.ones((5, 2)), np.full((5, 2), 0.5)
    _, tan = wire.jvp(wire.vmap(f), (x,), (t,))
    np.testing.assert_allclose(tan, 1.5)
    np.testing.assert_allclose(wire.grad(lambda x: wire.vmap(f)(x).sum())(x), 3.0)
    np.testing.assert_allclose(wire.vmap(wire.grad(lambda v: f(v).sum()))(x), 3.0)


def test_custom_vjp_closing_over_an_outer_trace():
    xs = np.linspace(0.1, 1.0, 6)

    def outer(y):
        @wire.custom_vjp
        def h(x):
            return wnp.sin(x) * y

        h.defvjp(lambda x: (h(x), x), lambda x, g: (10.0 * g,))
        return wire.vmap(h)(xs * y).sum()

    # d/dy sum(h(xs * y)): the argument xs * y goes through the rule (10 * xs), the
    # closed-over y through the function itself (sin(xs * y))
    expected = 10.0 * xs.sum() + np.sin(2.0 * xs).sum()
    np.testing.assert_allclose(wire.grad(outer)(2.0), expected, atol=1e-12)


def test_unmapped_arguments_that_are_not_arrays_pass_through():
    # JAX passes an in_axes-None argument that is not an array (a module, a function, a
    # string) to the function as it is; wire refused it ("a builtins.module, not an array")
    x = np.arange(6.0).reshape(2, 3)
    by = lambda v, ns: ns.sum(v)  # noqa: E731
    np.testing.assert_array_equal(wire.vmap(by, in_axes=(0, None))(x, wnp), [3.0, 12.0])
    pick = lambda v, mode: wnp.sum(v) if mode == "sum" else wnp.max(v)  # noqa: E731
    np.testing.assert_array_equal(wire.vmap(pick, in_axes=(0, None))(x, "max"), [2.0, 5.0])
    apply = wire.vmap(lambda v, g: g(v), in_axes=(0, None))
    np.testing.assert_array_equal(apply(x, wnp.sum), [3.0, 12.0])
    np.testing.assert_array_equal(wire.jit(lambda v: apply(v, wnp.sum))(x), [3.0, 12.0])
    g = wire.grad(lambda v: wnp.sum(wire.vmap(lambda u, f: f(u) ** 2, in_axes=(0, None))(v, wnp.sum)))
    np.testing.assert_array_equal(g(x), 2 * np.repeat(x.sum(1, keepdims=True), 3, axis=1))
    # a mapped one is still an error, naming the leaf
    with pytest.raises(wire.WireTypeError, match="module"):
        wire.vmap(by, in_axes=(0, 0))(x, wnp)
