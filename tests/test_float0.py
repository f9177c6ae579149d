"""float0 — JAX's dtype of the gradient of an integer — through every transform.

``grad(f, allow_int=True)`` gives ``float0`` zeros for integer and boolean leaves. They hold
no data, so a trace takes them as structure (``wire.tree.float0_node``: the shape is static),
never as a computed value or a constant: ``jit``, ``vmap``, ``jacrev``, the disk cache and
``wire.save``/``load`` carry them, and ``jit`` and ``jvp`` take them as arguments. Oracle:
JAX (float64 and float32), and wire's eager result for the jitted one.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.api import diskcache
from wire.api.eager import Memo
from wire.api.grad import memo_graph_transform

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
F0 = wire.float0


def same_tree(got, want, rtol=0.0):
    """``got`` (wire) is ``want`` (JAX or wire): structure, and per leaf dtype, shape and
    values (float0 leaves: dtype and shape)."""
    g_leaves, g_tree = wire.tree.flatten(got)
    w_leaves, w_tree = jax.tree_util.tree_flatten(want, is_leaf=lambda x: x is None)
    g_none = wire.tree.flatten(got, is_leaf=lambda x: x is None)[0]
    assert len(g_none) == len(w_leaves), (g_tree, w_tree)
    for g, w in zip(g_none, w_leaves):
        if w is None:
            assert g is None
            continue
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        assert g.shape == w.shape, (g.shape, w.shape)
        if w.dtype == F0:
            continue
        if rtol:
            np.testing.assert_allclose(g, w, rtol=rtol)
        else:
            np.testing.assert_array_equal(g, w)
    assert len(g_leaves) == len(jax.tree_util.tree_leaves(want))


def loss(p, k):
    return (wnp.sum(p["w"] * p["n"][0]) + p["b"][1] * k) * 1.5


def jloss(p, k):
    return (jnp.sum(p["w"] * p["n"][0]) + p["b"][1] * k) * 1.5


def params(dtype=np.float64):
    return {"w": np.array([2.0, -0.5], dtype),
            "n": (np.array([3, -1], np.int16), None, np.array(True)),  # (NumPy's promotion
            # of float32 with int32 is float64, JAX's float32: int16 gives float32 in both)
            "b": [np.int64(7), np.asarray(0.25, dtype)]}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jit_grad_and_value_and_grad_of_a_mixed_pytree_match_jax_and_eager(dtype, argnums):
    p = params(dtype)
    k = np.uint8(2) if argnums == 1 else 3
    for wt, jt in ((wire.grad, jax.grad), (wire.value_and_grad, jax.value_and_grad)):
        want = jt(jloss, argnums=argnums, allow_int=True)(p, k)
        eager = wt(loss, argnums=argnums, allow_int=True)(p, k)
        same_tree(eager, want, rtol=1e-6 if dtype == np.float32 else 1e-15)
        jitted = wire.jit(wt(loss, argnums=argnums, allow_int=True))
        for _ in range(3):  # the first call traces, the next ones run the cached code
            same_tree(jitted(p, k), eager)
        assert jitted.cache_size() == 1


def test_float0_output_is_structure_not_a_constant():
    g = wire.trace(wire.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True), 2.0, 3)
    assert g.out_tree == wire.tree.TreeDef(
        "tuple", tuple, None, (wire.tree.LEAF, wire.tree.float0_node(())))
    assert len(g.outputs) == 1 and not any(n.op.name == "const" for n in g.nodes)
    gx, gn = wire.evaluate(g, 2.0, 3)
    assert gx == 3.0 and gn.dtype == F0 and gn.shape == ()
    low = wire.jit(wire.grad(lambda x, n: (x * n).sum(), argnums=(0, 1), allow_int=True)) \
        .lower(np.ones(2), np.arange(2))
    assert all(getattr(n.aval, "dtype", None) != F0 for n in low.graph.nodes)
    assert low.graph.out_tree.children[1] == wire.tree.float0_node((2,))


@pytest.mark.parametrize("n", [3, np.int32(3), np.int64(-2), True, np.arange(3),
                               np.zeros((2, 0), np.int16), np.array([True, False])])
def test_eager_and_jit_of_int_and_bool_leaves_0d_and_shaped(n):
    f = lambda x, n: wnp.sum(x * n) if np.ndim(n) else x * n  # noqa: E731
    jf = lambda x, n: jnp.sum(x * n) if np.ndim(n) else x * n  # noqa: E731
    want = jax.grad(jf, argnums=(0, 1), allow_int=True)(2.0, n)
    for h in (wire.grad(f, argnums=(0, 1), allow_int=True),
              wire.jit(wire.grad(f, argnums=(0, 1), allow_int=True))):
        same_tree(h(2.0, n), want)


def test_jit_cache_tells_an_int_leaf_from_a_float_leaf_of_the_same_shape():
    f = wire.jit(wire.grad(lambda x, n: wnp.sum(x * n), argnums=(0, 1), allow_int=True))
    x = np.array([1.0, 2.0])
    gi = f(x, np.array([3, 4]))
    gf = f(x, np.array([3.0, 4.0]))
    gi2 = f(x, np.array([5, 6]))
    assert gi[1].dtype == F0 and gi2[1].dtype == F0 and gi[1].shape == (2,)
    assert gf[1].dtype == np.float64 and np.array_equal(gf[1], x)
    assert np.array_equal(gi2[0], [5.0, 6.0]) and f.cache_size() == 2
    # Python scalars too: an int and a float of the same (empty) shape
    g = wire.jit(wire.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True))
    assert g(2.0, 3)[1].dtype == F0 and g(2.0, 3.0)[1] == 2.0 and g(2.0, 4)[1].dtype == F0


def test_vmap_gives_float0_the_batch_axis_as_jax():
    f = lambda x, n: wnp.sum(x * n)  # noqa: E731
    jf = lambda x, n: jnp.sum(x * n)  # noqa: E731
    xs, ns = np.arange(6.0).reshape(3, 2), np.arange(6).reshape(3, 2)
    cases = [((0, 0), 0), ((0, None), 0), ((0, 0), (0, 1)), ((0, None), (0, None))]
    for in_axes, out_axes in cases:
        n = ns if in_axes[1] == 0 else ns[0]
        want = jax.vmap(jax.grad(jf, argnums=(0, 1), allow_int=True), in_axes, out_axes)(xs, n)
        g = wire.grad(f, argnums=(0, 1), allow_int=True)
        for h in (wire.vmap(g, in_axes, out_axes), wire.jit(wire.vmap(g, in_axes, out_axes)),
                  wire.vmap(wire.jit(g), in_axes, out_axes)):
            same_tree(h(xs, n), want)


def test_jacrev_allow_int_gives_zero_blocks_of_the_input_dtype_as_jax():
    f = lambda x, n: x * n  # noqa: E731
    x, n = np.array([2.0, 1.0]), np.array([3, 4], np.int32)
    want = jax.jacrev(f, argnums=(0, 1), allow_int=True)(x, n)
    for h in (wire.jacrev(f, argnums=(0, 1), allow_int=True),
              wire.jit(wire.jacrev(f, argnums=(0, 1), allow_int=True))):
        same_tree(h(x, n), want)
    want = jax.vmap(jax.jacrev(f, argnums=(0, 1), allow_int=True))(x, n)
    same_tree(wire.vmap(wire.jacrev(f, argnums=(0, 1), allow_int=True))(x, n), want)
    with pytest.raises(wire.NonDifferentiableError, match="int32"):
        wire.jacrev(f, argnums=(0, 1))(x, n)
    with pytest.raises(TypeError):  # as JAX: jacfwd takes no allow_int
        wire.jacfwd(f, argnums=(0, 1), allow_int=True)


def test_disk_cache_and_save_load_round_trip_float0_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("WIRE_DISK_CACHE", raising=False)
    p = params()
    make = lambda: wire.jit(wire.value_and_grad(loss, argnums=(0, 1), allow_int=True))  # noqa
    first = make()(p, 3)
    assert len(list((tmp_path / f"jit-v{diskcache.VERSION}").glob("*.json"))) == 1

    def refuse(*a, **k):
        raise AssertionError("compiled although the disk cache had the code")

    monkeypatch.setattr(sys.modules["wire.api.jit"], "compile_graph", refuse)
    same_tree(make()(p, 3), first)
    monkeypatch.undo()
    graph = wire.trace(wire.grad(loss, argnums=(0, 1), allow_int=True), p, 3)
    path = tmp_path / "g.json"
    wire.save(graph, str(path))
    loaded = wire.load(str(path))
    assert loaded == graph and loaded.out_tree == graph.out_tree
    same_tree(wire.evaluate(loaded, p, 3), wire.grad(loss, argnums=(0, 1), allow_int=True)(p, 3))
    with pytest.raises(wire.WireError, match="float0"):
        wire.loads(path.read_text().replace('"float0": []', '"float0": [-1]'))


def test_float0_arguments_into_jit_as_jax_users_pass_grads():
    grads = wire.grad(loss, allow_int=True)(params(), 3)

    @wire.jit
    def update(p, g):
        return wire.tree.map(lambda a, b: a if b.dtype == F0 else a - 0.1 * b, p, g)

    new = update(params(), grads)
    want = jax.tree_util.tree_map(
        lambda a, b: a if b is None or np.asarray(b).dtype == F0 else a - 0.1 * np.asarray(b),
        params(),
        jax.grad(jloss, allow_int=True)(params(), 3), is_leaf=lambda x: x is None)
    same_tree(new, want, rtol=1e-15)
    ident = wire.jit(lambda g: g)
    for shape in [(), (3,), (2, 0)]:
        out = ident(np.zeros(shape, F0))
        assert out.dtype == F0 and out.shape == shape
    assert ident.cache_size() == 3  # the shape is part of the key
    for h in (wire.jit(lambda g, x: g * x), lambda g, x: wnp.multiply(g, x)):
        with pytest.raises(TypeError):  # no operation takes float0, as in JAX
            h(np.zeros(2, F0), np.ones(2))
    with pytest.raises(wire.WireTypeError, match=r"leaf \[0\] has dtype float0, a gradient"):
        wire.grad(lambda g, x: wnp.sum(g * x))(np.zeros(2, F0), np.ones(2))


def test_jvp_takes_float0_tangents_for_integer_primals_as_jax():
    f = lambda x, n: (x * n, x + 1.0, n + 1, n > 2)  # noqa: E731  (integer outputs: float0)
    want = jax.jvp(f, (2.0, 3), (1.0, np.zeros((), jax.dtypes.float0)))
    got = wire.jvp(f, (2.0, 3), (1.0, np.zeros((), F0)))
    same_tree(got, want)
    jitted = wire.jit(lambda x, n, t: wire.jvp(f, (x, n), (1.0, t)))
    same_tree(jitted(2.0, 3, np.zeros((), F0)), want)
    same_tree(wire.linearize(f, 2.0, 3)[1](1.0, np.zeros((), F0)),
              jax.linearize(f, 2.0, 3)[1](1.0, np.zeros((), jax.dtypes.float0)))
    xs, ns = np.array([1.0, 2.0]), np.array([3, 4])
    per = lambda x, n: wire.jvp(f, (x, n), (1.0, np.zeros((), F0)))  # noqa: E731
    jper = lambda x, n: jax.jvp(f, (x, n), (1.0, np.zeros((), jax.dtypes.float0)))  # noqa: E731
    same_tree(wire.vmap(per)(xs, ns), jax.vmap(jper)(xs, ns))
    g = lambda x: (x * 2).astype(np.int64)  # noqa: E731  (jacfwd: integer zeros, as JAX's)
    same_tree(wire.jacfwd(g)(xs), jax.jacfwd(lambda x: (x * 2).astype(jnp.int64))(xs))
    p = {"w": np.array([1.0, -2.0]), "n": np.array([2, 5]), "b": np.array([True, False])}
    t = {"w": np.ones(2), "n": np.zeros(2, F0), "b": np.zeros(2, F0)}
    g = lambda p: p["w"] * p["n"] + p["b"]  # noqa: E731
    same_tree(wire.jvp(g, (p,), (t,)), jax.jvp(g, (p,), (t,)))
    same_tree(wire.linearize(g, p)[1](t), jax.linearize(g, p)[1](t))


def test_jvp_refuses_bad_tangents_naming_the_leaf():
    p = ({"w": np.ones(2), "n": np.array([2, 5])},)
    g = lambda p: p["w"] * p["n"]  # noqa: E731
    with pytest.raises(wire.WireTypeError, match=r"tangent \[0\]\['w'\] has dtype float0"):
        wire.jvp(g, p, ({"w": np.zeros(2, F0), "n": np.zeros(2, F0)},))
    with pytest.raises(wire.ShapeError, match=r"tangent \[0\]\['n'\] is a float0 array of shape"):
        wire.jvp(g, p, ({"w": np.ones(2), "n": np.zeros(3, F0)},))
    with pytest.raises(wire.WireTypeError, match=r"tangent \[0\]\['n'\] is nonzero"):
        wire.jvp(g, p, ({"w": np.ones(2), "n": np.ones(2)},))
    with pytest.raises(wire.WireError, match="structure"):
        wire.jvp(g, p, ({"w": np.ones(2)},))


# --------------------------------------------------------------------------- memo safety


def test_memos_keep_no_derived_graph_closing_over_another_trace():
    y = wire.var("y")
    source = wire.trace(lambda x: x * 2.0, 1.0)
    foreign = wire.trace(lambda x: x * y, 1.0)  # closes over a node source does not hold
    calls = []

    def derive(graph):
        calls.append(graph)
        return foreign

    memo = Memo(derive)
    memo(source), memo(source)
    assert len(calls) == 2 and memo.cache_info()[2] == 0
    transform = memo_graph_transform(lambda graph, k: derive(graph))
    transform(source, 1), transform(source, 1)
    assert len(calls) == 4
    own = memo_graph_transform(lambda graph, k: calls.append(graph) or graph)
    own(source, 1), own(source, 1)
    assert len(calls) == 5  # (a result closing over nothing new is kept)
    from wire.higher_order import subgraph
    assert isinstance(subgraph.rebased_graph, Memo)


def test_vmap_takes_float0_arguments_as_jax():
    f0 = np.zeros((3, 2), F0)
    for in_axes, g in [(0, f0), ((1, 0), np.zeros((2, 3), F0)), ((None, 0), np.zeros(5, F0))]:
        f = lambda g, x: (g, x * g.shape[0])  # noqa: E731  (g: one example's float0)
        want = jax.vmap(f, in_axes)(g, np.ones(3))
        for v in (wire.vmap(f, in_axes), wire.jit(wire.vmap(f, in_axes))):
            same_tree(v(g, np.ones(3)), want)
    with pytest.raises(wire.WireError, match="float0 argument has size 4, the others 3"):
        wire.vmap(lambda g, x: x)(np.zeros(4, F0), np.ones(3))
    h = lambda g, x: x * 2 if x > 1.5 else x * g.shape[0]  # noqa: E731  (examples split)
    np.testing.assert_array_equal(wire.vmap(h)(np.zeros((3, 5), F0), np.array([1.0, 2.0, 1.0])),
                                  [5.0, 4.0, 5.0])
