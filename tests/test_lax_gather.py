"""``wire.lax.gather`` and the scatters against ``jax.lax``'s: values, gradients in the
operand and the updates, ``jvp``, ``jit`` and ``vmap``, for every ``mode`` with indices out
of bounds, repeated indices, empty index arrays, ties and special values."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from selection import slow_selected
from wire import lax

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax
jnp = jax.numpy

GDN, SDN = lax.GatherDimensionNumbers, lax.ScatterDimensionNumbers
MODES = [None, "clip", "fill", "promise_in_bounds"]


def close(got, want, rtol=1e-12, signs=True):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
        z = (want == 0) & (got == 0) & signs
        np.testing.assert_array_equal(np.signbit(got[z]), np.signbit(want[z]))
    else:
        np.testing.assert_array_equal(got, want)


def jdn(dn):
    cls = jlax.GatherDimensionNumbers if isinstance(dn, GDN) else jlax.ScatterDimensionNumbers
    return cls(*dn)


# (operand shape, indices, dimension numbers, slice sizes)
GATHERS = [
    ((5,), [[-1], [2], [4], [5], [7], [2]], GDN((), (0,), (0,)), (1,)),
    ((5,), [[-1], [2], [3], [4]], GDN((1,), (), (0,)), (2,)),
    ((4, 3), [[0, 1], [3, 2], [-2, 1], [1, 5], [3, 2]], GDN((1,), (0,), (0, 1)), (1, 2)),
    ((4, 3), [[[1], [0]], [[3], [9]]], GDN((2,), (0,), (0,)), (1, 3)),  # rows, 2-d batch
    ((4, 3), [[2, 1], [0, 0]], GDN((0, 1), (), (1, 0)), (2, 2)),  # swapped start_index_map
    ((3, 4, 2), [[1], [0], [2]], GDN((1,), (2,), (1,),
                                    operand_batching_dims=(0,),
                                    start_indices_batching_dims=(0,)), (1, 2, 1)),
    ((4, 3), np.zeros((0, 2), int), GDN((1,), (0,), (0, 1)), (1, 2)),  # no indices
    ((4, 3), np.zeros((2, 0), int), GDN((1, 2), (), ()), (2, 3)),  # no start_index_map
]


def sweep(request, default: bool):
    """Run a case of the full sweep only with ``-m slow`` (the default run keeps one mode per
    case: JAX compiles each of its operations, about 0.3 s a case)."""
    if not default and not slow_selected(request.config):
        pytest.skip("runs with -m slow")


def params(names, cases, default):
    """pytest parameters, those outside the default run marked slow."""
    return pytest.mark.parametrize(names, [
        pytest.param(*c, marks=() if default(*c) else pytest.mark.slow) for c in cases])


@params("mode, case", [(m, c) for m in MODES for c in range(len(GATHERS))],
        lambda m, c: c in (0, 2, 5, 7) and MODES[c % 4] == m)
def test_gather_values_and_derivatives(case, mode, request):
    sweep(request, case in (0, 2, 5, 7) and MODES[case % 4] == mode)
    shape, idx, dn, sizes = GATHERS[case]
    idx = np.asarray(idx, np.int32)
    rng = np.random.default_rng(case)
    x = rng.normal(size=shape)
    x.flat[0], x.flat[-1] = np.nan, -0.0
    kw = dict(mode=mode)
    want = jax.jit(lambda x: jlax.gather(x, idx, jdn(dn), sizes, **kw))(x)
    close(lax.gather(x, idx, dn, sizes, **kw), want)
    close(wire.jit(lambda x, i: lax.gather(x, i, dn, sizes, **kw))(x, idx), want)
    x = np.nan_to_num(x)
    ct = rng.normal(size=np.shape(want))
    # JAX's value under promise_in_bounds is clipped, but its transpose (a promise_in_bounds
    # scatter) drops what was out of bounds; wire's gradient is that of the clipped value
    jkw = dict(mode="clip") if mode in (None, "promise_in_bounds") else kw
    jf = lambda x: jnp.sum(jnp.where(jnp.isnan(t := jlax.gather(x, idx, jdn(dn), sizes, **jkw)),
                                     0.0, t) * ct)
    wf = lambda x: wnp.sum(wnp.where(wnp.isnan(t := lax.gather(x, idx, dn, sizes, **kw)),
                                     0.0, t) * ct)
    tx = rng.normal(size=shape)
    jg, jt = jax.jit(lambda x, tx: (jax.grad(jf)(x), jax.jvp(jf, (x,), (tx,))[1]))(x, tx)
    close(wire.grad(wf)(x), jg)
    close(wire.jit(wire.grad(wf))(x), jg)
    close(wire.jvp(wf, (x,), (tx,))[1], jt)


def test_gather_fill_value_and_float32():
    dn, idx = GDN((), (0,), (0,)), np.array([[-1], [1], [3]])
    x = np.array([1.0, 2.0, 3.0], np.float32)
    for fv in [None, 7.0]:
        close(lax.gather(x, idx, dn, (1,), mode="fill", fill_value=fv),
              jlax.gather(x, idx, jdn(dn), (1,), mode="fill", fill_value=fv))
    for dt in [np.int32, np.uint8, bool]:
        xi = np.array([1, 0, 1], dt)
        close(lax.gather(xi, idx, dn, (1,), mode="fill"),
              jlax.gather(xi, idx, jdn(dn), (1,), mode="fill"))
    g = wire.grad(lambda x: wnp.sum(lax.gather(x, idx, dn, (1,), mode="clip")))(x)
    close(g, jax.grad(lambda x: jnp.sum(jlax.gather(x, idx, jdn(dn), (1,), mode="clip")))(x))
    # JAX's own dimension numbers and modes are accepted
    close(lax.gather(x, idx, jdn(dn), (1,), mode=jlax.GatherScatterMode.FILL_OR_DROP),
          jlax.gather(x, idx, jdn(dn), (1,), mode="fill"))


def test_gather_vmap_traced_indices():
    dn = GDN((1,), (0,), (0,))
    x = np.arange(12.0).reshape(4, 3)
    idx = np.array([[[0], [3]], [[2], [7]], [[-1], [1]]])
    for mode in ["clip", "fill"]:
        f = lambda x, i: lax.gather(x, i, dn, (1, 2), mode=mode)
        jf = lambda x, i: jlax.gather(x, i, jdn(dn), (1, 2), mode=mode)
        close(wire.vmap(f, (None, 0))(x, idx), jax.vmap(jf, (None, 0))(x, idx))
        xs = np.stack([x, -x, 2 * x])
        close(wire.jit(wire.vmap(f))(xs, idx), jax.vmap(jf)(xs, idx))


# (operand shape, indices, dimension numbers, updates shape)
SCATTERS = [
    ((5,), [[1], [1], [3], [-1], [5], [9], [1]], SDN((), (0,), (0,)), (7,)),
    ((5,), [[0], [3], [4], [-1], [3]], SDN((1,), (), (0,)), (5, 2)),
    ((4, 3), [[0, 1], [3, 2], [3, 2], [1, 5], [-1, 0]], SDN((1,), (0,), (0, 1)), (5, 2)),
    ((4, 3), [[[1], [0]], [[1], [9]]], SDN((2,), (0,), (0,)), (2, 2, 3)),
    ((4, 3), [[2, 1], [1, 1]], SDN((1, 2), (), (1, 0)), (2, 2, 2)),
    ((3, 4, 2), [[1], [1], [3]], SDN((1,), (2,), (1,), operand_batching_dims=(0,),
                                     scatter_indices_batching_dims=(0,)), (3, 1)),
    ((4, 3), np.zeros((0, 2), int), SDN((1,), (0,), (0, 1)), (0, 2)),
]
KINDS = ["scatter", "scatter_add", "scatter_sub", "scatter_mul", "scatter_min", "scatter_max"]


def _scatter_inputs(case, kind):
    shape, idx, dn, ushape = SCATTERS[case]
    rng = np.random.default_rng(case)
    x = rng.integers(-3, 4, size=shape).astype(float)  # ties between x and the updates
    u = rng.integers(-3, 4, size=ushape).astype(float)
    if kind != "scatter_mul" and u.size:
        u.flat[0] = u.flat[-1] = 1.0  # also repeated equal updates
    return x, np.asarray(idx, np.int64), u, dn


def _clipped(shape, idx, ushape, dn):
    """``idx`` with each start clipped so that its window fits, as JAX's clip mode."""
    uwd, inserted, sdod, obd, _ = dn
    window = [d for d in range(len(shape)) if d not in inserted and d not in obd]
    size = {d: ushape[p] for p, d in zip(uwd, window)}
    hi = np.array([shape[d] - size.get(d, 1) for d in sdod])
    return np.clip(idx, 0, hi)


def _default_scatter(mode, kind, case):
    k = KINDS.index(kind)
    return case == k and mode == MODES[(case + k) % 4]


@params("mode, kind, case", [(m, k, c) for m in MODES for k in KINDS
                             for c in range(len(SCATTERS))], _default_scatter)
def test_scatter_values_and_derivatives(case, kind, mode, request):
    sweep(request, _default_scatter(mode, kind, case))
    x, idx, u, dn = _scatter_inputs(case, kind)
    wf, jf = getattr(lax, kind), getattr(jlax, kind)
    want = jax.jit(lambda x, u: jf(x, idx, u, jdn(dn), mode=mode))(x, u)
    close(lax.__dict__[kind](x, idx, u, dn, mode=mode), want)
    close(wire.jit(lambda x, i, u: wf(x, i, u, dn, mode=mode))(x, idx, u), want)
    ct = np.random.default_rng(1).normal(size=x.shape)
    w = lambda x, u: wnp.sum(wf(x, idx, u, dn, mode=mode) * ct)
    # JAX's value under promise_in_bounds drops a window that does not fit, but its
    # transpose (a promise_in_bounds gather) clips: wire's gradient is that of the value
    # JAX's clip-mode derivatives of scatter_min/max use the unclipped indices (for x =
    # [2, 1, 0, -2, -1] scatter_max'ed at 5 and 9 its gradient at x[4] is 1, finite
    # differences say 0): compare with JAX's on indices clipped beforehand
    jmode = "fill" if mode == "promise_in_bounds" else None if mode == "clip" else mode
    jidx = _clipped(x.shape, idx, u.shape, dn) if mode == "clip" else idx
    j = lambda x, u: jnp.sum(jf(x, jidx, u, jdn(dn), mode=jmode) * ct)
    gw = wire.grad(w, (0, 1))(x, u)
    t = (np.linspace(-1, 1, x.size).reshape(x.shape), np.linspace(2, 3, u.size).reshape(u.shape))
    if kind == "scatter_mul":  # JAX's rule needs unique_indices: check w.r.t. finite differences
        gx = jax.jit(jax.grad(j, 0))(x, u)  # (JAX's rule in u needs unique_indices=True)
        close(gw[0], gx, signs=False)
        h = 1e-6
        fd = [(w(x, u + h * e) - w(x, u - h * e)) / (2 * h) for e in np.eye(u.size).reshape(
            (u.size,) + u.shape)]
        close(gw[1], np.reshape(fd, u.shape), rtol=1e-6, signs=False)
        return
    gj, jt = jax.jit(lambda x, u: (jax.grad(j, (0, 1))(x, u), jax.jvp(j, (x, u), t)[1]))(x, u)
    close(gw[0], gj[0], signs=False)
    close(gw[1], gj[1], signs=False)
    close(wire.jit(wire.grad(w, (0, 1)))(x, u)[1], gj[1], signs=False)
    close(wire.jvp(w, (x, u), t)[1], jt, signs=False)


def test_scatter_special_values_and_float32():
    dn, idx = SDN((), (0,), (0,)), np.array([[0], [0], [1], [2], [2]])
    x = np.array([np.nan, -0.0, 0.0, np.inf], np.float32)
    u = np.array([0.0, -0.0, np.nan, -np.inf, 0.0], np.float32)
    for kind in KINDS:
        close(getattr(lax, kind)(x, idx, u, dn), getattr(jlax, kind)(x, idx, u, jdn(dn)))
    # ties of -0.0 and 0.0: XLA's max gives 0.0, its min -0.0 (np.maximum.at kept -0.0)
    x = np.array([-0.0, 0.0, 1.0, np.nan, 2.0], np.float32)
    i2 = np.array([[0], [1], [2], [2], [3], [4]])
    u = np.array([0.0, -0.0, np.nan, 1.0, 5.0, np.nan], np.float32)
    c = np.arange(1.0, 6.0, dtype=np.float32)
    kinds = ["scatter_max", "scatter_min", "scatter_add"]
    wants = jax.jit(lambda x, u: [(getattr(jlax, k)(x, i2, u, jdn(dn)), jax.grad(
        lambda x, u: (getattr(jlax, k)(x, i2, u, jdn(dn)) * c).sum(), (0, 1))(x, u))
        for k in kinds])(x, u)
    for k, (want, grads) in zip(kinds, wants):
        close(getattr(lax, k)(x, i2, u, dn), want)
        got = wire.grad(lambda x, u: wnp.sum(getattr(lax, k)(x, i2, u, dn) * c), (0, 1))(x, u)
        close(got[0], grads[0], signs=False)
        close(got[1], grads[1], signs=False)
    xi, ui = np.array([5, 6, 7], np.int32), np.array([1, 2, 3, 4, 5], np.int32)
    for kind in KINDS:
        close(getattr(lax, kind)(xi, idx % 3, ui, dn), getattr(jlax, kind)(xi, idx % 3, ui,
                                                                            jdn(dn)))


def test_scatter_vmap():
    dn = SDN((), (0,), (0,))
    x = np.arange(5.0)
    idx = np.array([[[1], [1]], [[0], [7]], [[4], [-1]]])
    us = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    for kind in ["scatter", "scatter_add", "scatter_max"]:
        f = lambda i, u: getattr(lax, kind)(x, i, u, dn)
        jf = lambda i, u: getattr(jlax, kind)(x, i, u, jdn(dn))
        close(wire.vmap(f)(idx, us), jax.vmap(jf)(idx, us))
        close(wire.jit(wire.vmap(f))(idx, us), jax.vmap(jf)(idx, us))


def test_scatter_apply():
    dn = SDN((), (0,), (0,))
    x = np.arange(5.0)
    for idx in ([[1], [1], [3], [1]], [[-1], [2], [5], [7]]):
        idx = np.array(idx)
        for mode in MODES:
            want = jlax.scatter_apply(x, idx, lambda v: v * 2 + 1, jdn(dn), update_shape=(4,),
                                      mode=mode)
            close(lax.scatter_apply(x, idx, lambda v: v * 2 + 1, dn, update_shape=(4,),
                                    mode=mode), want)
            close(wire.jit(lambda x, i: lax.scatter_apply(x, i, lambda v: v * 2 + 1, dn,
                                                          update_shape=(4,), mode=mode))(
                x, idx), want)
    # JAX has no derivative; wire's: d/dx of sin applied twice at 1, once at 3
    g = wire.grad(lambda x: wnp.sum(lax.scatter_apply(x, np.array([[1], [1], [3]]), wnp.sin,
                                                      dn, update_shape=(3,))))(x)
    close(g, np.array([1.0, np.cos(np.sin(1.0)) * np.cos(1.0), 1.0, np.cos(3.0), 1.0]))


def test_bad_dimension_numbers():
    x = np.zeros((4, 3))
    with pytest.raises(wire.ShapeError, match=r"\(4, 3\)"):
        lax.gather(x, np.zeros((2, 1), int), GDN((1,), (0,), (0, 1)), (1, 3))
    with pytest.raises(wire.ShapeError, match="slice_sizes"):
        lax.gather(x, np.zeros((2, 2), int), GDN((1,), (0,), (0, 1)), (2, 5))
    with pytest.raises(wire.ShapeError, match="offset_dims"):
        lax.gather(x, np.zeros((2, 2), int), GDN((3,), (0,), (0, 1)), (1, 3))
    with pytest.raises(wire.WireTypeError, match="float64"):
        lax.gather(x, np.zeros((2, 2)), GDN((1,), (0,), (0, 1)), (1, 3))
    with pytest.raises(wire.ShapeError, match="updates shape"):
        lax.scatter_add(x, np.zeros((2, 2), int), np.zeros((3, 3)), SDN((1,), (0,), (0, 1)))
    with pytest.raises(wire.WireTypeError, match="float32"):
        lax.scatter(x, np.zeros((2, 2), int), np.zeros((2, 3), np.float32),
                    SDN((1,), (0,), (0, 1)))
    with pytest.raises(wire.WireValueError, match="bogus"):
        lax.gather(x, np.zeros((2, 2), int), GDN((1,), (0,), (0, 1)), (1, 3), mode="bogus")
