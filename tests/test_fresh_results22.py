"""Eager results of ``wire.lax`` and ``wire.stop_gradient`` are arrays of their own: JAX's
arrays are immutable, so ``jax.lax.reshape(x, ...)`` can never be written through to ``x``;
wire's eager calls on NumPy arrays must not hand back a view of (or the very) argument either
(``wire.numpy`` keeps NumPy's view semantics on purpose: ``wnp.reshape`` is a view there).

Every public function of ``wire.lax`` has sample calls below, degenerate ones included (an
identity permutation, an empty padding, a full slice …, where a NumPy implementation is most
tempted to return its argument); a new function without samples fails
``test_every_lax_function_has_samples``."""

import inspect

import numpy as np
import pytest

import wire
from wire import lax

F = np.array([[0.25, 0.5, 0.75], [0.125, 0.375, 0.625]])  # in (0, 1): every function's domain
I = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
B = np.array([[True, False, True], [False, True, True]])
C = np.array([1 + 2j, 3 - 1j])
V = np.array([0.5, 0.25, 0.75])
G = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
                               start_index_map=(0,))
S = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                scatter_dims_to_operand_dims=(0,))
ROW = np.array([[0], [1]])


def _add(a, b):
    return a + b


def _max(a, b):
    return lax.max(a, b)


# name -> calls: each a function of no arguments giving (args, kwargs) for one call
SAMPLES = {
    "cond": [lambda: ((True, lambda v: v, lambda v: v, F), {})],
    "switch": [lambda: ((0, [lambda v: v, lambda v: v], F), {})],
    "while_loop": [lambda: ((lambda c: False, lambda c: c, F), {})],
    "fori_loop": [lambda: ((0, 0, lambda i, c: c, F), {}),
                  lambda: ((0, 2, lambda i, c: c, F), {})],
    "scan": [lambda: ((lambda c, y: (c, y), F, F), {}),
             lambda: ((lambda c, y: (c, y), F, None), {"length": 0})],
    "map": [lambda: ((lambda r: r, F), {}), lambda: ((lambda r: r, F), {"batch_size": 1})],
    "select": [lambda: ((B, F, 2 * F), {}), lambda: ((np.bool_(True), F, 2 * F), {})],
    "select_n": [lambda: ((B, F, 2 * F), {}), lambda: ((np.int32(0), F, 2 * F), {}),
                 lambda: ((B, F), {})],
    "stop_gradient": [lambda: ((F,), {}), lambda: (((F, [I]),), {})],
    "clamp": [lambda: ((0.0, F, 1.0), {}), lambda: ((np.float64(-1.0), F, np.float64(2.0)), {})],
    "integer_pow": [lambda: ((F, 1), {}), lambda: ((F, 0), {})],
    "round": [lambda: ((F,), {}), lambda: ((F, lax.RoundingMethod.TO_NEAREST_EVEN), {})],
    "complex": [lambda: ((F, F), {})],
    "shift_left": [lambda: ((I, np.zeros_like(I)), {})],
    "shift_right_arithmetic": [lambda: ((I, np.zeros_like(I)), {})],
    "shift_right_logical": [lambda: ((I, np.zeros_like(I)), {})],
    "betainc": [lambda: ((F + 1, F + 1, F), {})],
    "polygamma": [lambda: ((np.zeros_like(F), F + 1), {}), lambda: ((np.ones_like(F), F + 1), {})],
    "zeta": [lambda: ((F + 2, F + 1), {})],
    "reduce_sum": [lambda: ((F, (0,)), {}), lambda: ((F, ()), {})],
    "reduce_prod": [lambda: ((F, (0,)), {}), lambda: ((F, ()), {})],
    "reduce_max": [lambda: ((F, (0,)), {}), lambda: ((F, ()), {})],
    "reduce_min": [lambda: ((F, (0,)), {}), lambda: ((F, ()), {})],
    "reduce_and": [lambda: ((B, (0,)), {}), lambda: ((B, ()), {}), lambda: ((I, ()), {})],
    "reduce_or": [lambda: ((B, (0,)), {}), lambda: ((B, ()), {}), lambda: ((I, ()), {})],
    "reduce_xor": [lambda: ((B, (0,)), {}), lambda: ((B, ()), {}), lambda: ((I, ()), {})],
    "argmax": [lambda: ((F, 0, np.int32), {})],
    "argmin": [lambda: ((F, 0, np.int32), {})],
    "cumlogsumexp": [lambda: ((F,), {}), lambda: ((F[:1],), {})],
    "cumsum": [lambda: ((F,), {}), lambda: ((F[:1],), {}), lambda: ((F[:1],), {"reverse": True})],
    "cumprod": [lambda: ((F,), {}), lambda: ((F[:1],), {})],
    "cummax": [lambda: ((F,), {}), lambda: ((F[:1],), {})],
    "cummin": [lambda: ((F,), {}), lambda: ((F[:1],), {})],
    "sort": [lambda: ((F,), {}), lambda: ((F[:, :1],), {}), lambda: (((F, I),), {"num_keys": 1}),
             lambda: (((F[:, :1], I[:, :1]),), {"num_keys": 2})],
    "sort_key_val": [lambda: ((F, I), {}), lambda: ((F[:, :1], I[:, :1]), {})],
    "top_k": [lambda: ((F, 2), {}), lambda: ((F[:, :1], 1), {})],
    "associative_scan": [lambda: ((_add, F), {}), lambda: ((_add, F[:1]), {}),
                         lambda: ((_add, (F[:1], F[:1])), {})],
    "reduce": [lambda: ((F, 0.0, _add, (0,)), {}), lambda: ((F, 0.0, _add, ()), {}),
               lambda: (((F, F), (0.0, 0.0), lambda a, b: (a[0] + b[0], a[1] + b[1]), ()), {})],
    "reduce_window": [lambda: ((F, 0.0, _add, (1, 2), (1, 1)), {}),
                      lambda: ((F, -np.inf, _max, (1, 1), (1, 1)), {}),
                      lambda: ((F, 0.0, _add, (1, 1), (1, 1)), {})],
    "broadcast": [lambda: ((F, (2,)), {}), lambda: ((F, ()), {})],
    "broadcast_in_dim": [lambda: ((V, (2, 3), (1,)), {}), lambda: ((F, (2, 3), (0, 1)), {})],
    "broadcasted_iota": [lambda: ((np.int32, (2, 3), 1), {})],
    "collapse": [lambda: ((F, 0, 2), {}), lambda: ((F, 0, 1), {}), lambda: ((F, 1), {})],
    "concatenate": [lambda: (([F, F], 0), {}), lambda: (([F], 0), {})],
    "convert_element_type": [lambda: ((F, np.float32), {}), lambda: ((F, np.float64), {}),
                             lambda: ((I, np.int32), {})],
    "dot": [lambda: ((F, F.T), {}), lambda: ((V, V), {})],
    "dot_general": [lambda: ((F, F, (((1,), (1,)), ((), ()))), {})],
    "dynamic_slice": [lambda: ((F, (0, 1), (2, 2)), {}), lambda: ((F, (0, 0), (2, 3)), {})],
    "dynamic_slice_in_dim": [lambda: ((F, 0, 1), {}), lambda: ((F, 0, 2), {})],
    "dynamic_index_in_dim": [lambda: ((F, 1), {}), lambda: ((F, 1), {"keepdims": False})],
    "dynamic_update_slice": [lambda: ((F, F[:1], (0, 0)), {}), lambda: ((F, F, (0, 0)), {})],
    "dynamic_update_slice_in_dim": [lambda: ((F, F[:1], 1, 0), {}),
                                    lambda: ((F, F, 0, 0), {})],
    "dynamic_update_index_in_dim": [lambda: ((F, F[:1], 1, 0), {}),
                                    lambda: ((F, V, 0, 0), {})],
    "expand_dims": [lambda: ((F, (0,)), {}), lambda: ((F, ()), {})],
    "pad": [lambda: ((F, 0.0, ((0, 0, 0), (1, 1, 0))), {}),
            lambda: ((F, 0.0, ((0, 0, 0), (0, 0, 0))), {})],
    "full": [lambda: (((2, 3), 1.0), {}), lambda: (((2, 3), F), {}), lambda: (((), F[0, 0]), {})],
    "full_like": [lambda: ((F, 1.0), {}), lambda: ((F, F), {}), lambda: ((F, 1.0, None, ()), {})],
    "iota": [lambda: ((np.int32, 3), {})],
    "reshape": [lambda: ((F, (3, 2)), {}), lambda: ((F, (2, 3)), {}),
                lambda: ((F, (3, 2), (1, 0)), {}), lambda: ((F, (2, 3), (0, 1)), {})],
    "rev": [lambda: ((F, (0,)), {}), lambda: ((F, ()), {})],
    "slice": [lambda: ((F, (0, 1), (2, 3)), {}), lambda: ((F, (0, 0), (2, 3)), {}),
              lambda: ((F, (0, 0), (2, 3), (1, 2)), {})],
    "slice_in_dim": [lambda: ((F, 0, 1), {}), lambda: ((F, 0, 2), {}),
                     lambda: ((F, 0, 3, 2, 1), {})],
    "index_in_dim": [lambda: ((F, 1), {}), lambda: ((F, 1), {"keepdims": False})],
    "squeeze": [lambda: ((F[:1], (0,)), {}), lambda: ((F, ()), {})],
    "transpose": [lambda: ((F, (1, 0)), {}), lambda: ((F, (0, 1)), {})],
    "conv": [lambda: ((F[None, None], np.ones((1, 1, 1, 1)), (1, 1), "VALID"), {}),
             lambda: ((F[None, None], np.ones((1, 1, 1, 2)), (1, 1), "SAME"), {})],
    "conv_general_dilated": [
        lambda: ((F[None, None], np.ones((1, 1, 1, 1)), (1, 1), "VALID"), {})],
    "conv_general_dilated_patches": [lambda: ((F[None, None], (1, 1), (1, 1), "VALID"), {})],
    "conv_transpose": [lambda: ((F[None, None], np.ones((1, 1, 1, 1)), (1, 1), "VALID"),
                                {"dimension_numbers": ("NCHW", "OIHW", "NCHW")})],
    "conv_with_general_padding": [
        lambda: ((F[None, None], np.ones((1, 1, 1, 1)), (1, 1), ((0, 0), (0, 0)), (1, 1),
                  (1, 1)), {})],
    "gather": [lambda: ((F, ROW, G, (1, 3)), {}), lambda: ((F, ROW[:1], G, (1, 3)), {})],
    "scatter": [lambda: ((F, ROW, 2 * F, S), {}), lambda: ((F, ROW[:0], F[:0], S), {})],
    "scatter_add": [lambda: ((F, ROW, F, S), {}), lambda: ((F, ROW[:0], F[:0], S), {})],
    "scatter_sub": [lambda: ((F, ROW, F, S), {}), lambda: ((F, ROW[:0], F[:0], S), {})],
    "scatter_mul": [lambda: ((F, ROW, F, S), {}), lambda: ((F, ROW[:0], F[:0], S), {})],
    "scatter_min": [lambda: ((F, ROW, F, S), {}), lambda: ((F, ROW[:0], F[:0], S), {})],
    "scatter_max": [lambda: ((F, ROW, F, S), {}), lambda: ((F, ROW[:0], F[:0], S), {})],
    "scatter_apply": [
        lambda: ((F, ROW, lambda u: u * 2, S), {"update_shape": (2, 3)}),
        lambda: ((F, ROW[:0], lambda u: u, S), {"update_shape": (0, 3)})],
    "approx_max_k": [lambda: ((F, 2), {}), lambda: ((F[:, :1], 1), {})],
    "approx_min_k": [lambda: ((F, 2), {}), lambda: ((F[:, :1], 1), {})],
    "batch_matmul": [lambda: ((F[None], F.T[None]), {})],
    "broadcast_to_rank": [lambda: ((V, 2), {}), lambda: ((F, 2), {})],
    "optimization_barrier": [lambda: ((F,), {}), lambda: (((F, I),), {})],
    "split": [lambda: ((F, (1, 1)), {}), lambda: ((F, (2,)), {}), lambda: ((F, (1, 2), 1), {})],
    "stack": [lambda: (([F, F],), {}), lambda: (([F],), {})],
    "tile": [lambda: ((F, (2, 1)), {}), lambda: ((F, (1, 1)), {})],
    "unstack": [lambda: ((F,), {}), lambda: ((F, 1), {})],
    "with_sharding_constraint": [lambda: ((F, None), {})],
    "bitcast_convert_type": [lambda: ((F, np.int64), {}), lambda: ((F, np.float64), {}),
                             lambda: ((I, np.uint8), {}),
                             lambda: ((I.view(np.uint8).reshape(2, 3, 4), np.int32), {})],
    "reduce_precision": [lambda: ((F, 11, 52), {}), lambda: ((F, 5, 10), {})],
    "custom_root": [lambda: ((lambda x: x - x, F, lambda f, x0: x0, lambda g, y: y), {})],
    "custom_linear_solve": [lambda: ((lambda x: x, F, lambda mv, b: b), {"symmetric": True})],
    "population_count": [lambda: ((I,), {})],
    "clz": [lambda: ((I,), {})],
}

# the elementwise functions: unary and binary, on the operands of their kinds
_UNARY_F = ("abs acos acosh asin asinh atan atanh cbrt ceil cos cosh digamma erf erf_inv erfc "
            "exp exp2 expm1 floor is_finite lgamma log log1p logistic neg rsqrt sign sin sinh "
            "sqrt square tan tanh bessel_i0e bessel_i1e reciprocal").split()
for _name in _UNARY_F:
    SAMPLES.setdefault(_name, [lambda: ((F + (1.0 if _n == "acosh" else 0.0),), {})
                               for _n in [_name]])
for _name in "conj real imag".split():
    SAMPLES.setdefault(_name, [lambda: ((C,), {})])
SAMPLES["conj"].append(lambda: ((F,), {}))
SAMPLES["abs"].append(lambda: ((I,), {}))
SAMPLES["sign"].append(lambda: ((I,), {}))
SAMPLES["bitwise_not"] = [lambda: ((I,), {}), lambda: ((B,), {})]
for _name in "add sub mul div rem max min pow atan2 nextafter eq ne lt le gt ge".split():
    SAMPLES.setdefault(_name, [lambda: ((F, F[::-1]), {})])
for _name in "bitwise_and bitwise_or bitwise_xor".split():
    SAMPLES.setdefault(_name, [lambda: ((I, I), {}), lambda: ((B, B), {})])
for _name in "igamma igammac igamma_grad_a random_gamma_grad".split():
    SAMPLES.setdefault(_name, [lambda: ((F + 1, F), {})])

# public names that are not array functions (classes, shape arithmetic)
NOT_ARRAY_FUNCTIONS = {"broadcast_shapes", "conv_dimension_numbers", "padtype_to_pads"}


def _public_functions():
    return sorted(n for n in lax.__all__
                  if callable(getattr(lax, n)) and not inspect.isclass(getattr(lax, n))
                  and n not in NOT_ARRAY_FUNCTIONS)


def test_every_lax_function_has_samples():
    missing = [n for n in _public_functions() if n not in SAMPLES]
    assert not missing, f"add sample calls to SAMPLES for {missing}"
    assert not set(SAMPLES) - set(lax.__all__)


def _arrays(tree):
    return [a for a in wire.tree.leaves(tree) if isinstance(a, np.ndarray)]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_lax_results_are_not_views_of_arguments(name):
    fn = getattr(lax, name)
    for sample in SAMPLES[name]:
        args, kwargs = sample()
        ins = _arrays((args, kwargs))
        before = [a.copy() for a in ins]
        out = fn(*args, **kwargs)
        outs = _arrays(out)
        assert outs or isinstance(out, np.generic), (name, type(out))
        for o in outs:
            for a in ins:
                assert o is not a and not np.shares_memory(o, a), (name, o.shape, a.shape)
        for o in outs:  # writing to a result leaves the arguments as they were
            if o.size and o.flags.writeable:
                o[...] = o.dtype.type(1) if o.dtype.kind != "b" else ~o
        for a, b in zip(ins, before):
            np.testing.assert_array_equal(a, b)


def test_the_repro_reshape_of_an_argument_then_written():
    x = np.arange(6.0)
    r = lax.reshape(x, (3, 2))
    r[0, 0] = 9.0
    assert x[0] == 0.0


@pytest.mark.parametrize("stop", [wire.stop_gradient, lax.stop_gradient])
def test_stop_gradient_of_a_numpy_array_is_a_copy(stop):
    x = np.arange(3.0)
    pair = stop((x, {"k": x}))
    for r in (stop(x), pair[0], pair[1]["k"]):
        assert r is not x and not np.shares_memory(r, x)
        np.testing.assert_array_equal(r, x)
        assert r.dtype == x.dtype
    r = stop(x)
    r[0] = 5.0
    assert x[0] == 0.0
    # immutable leaves pass as they are; traced values still have a zero derivative
    assert stop(2.5) == 2.5 and stop(np.float32(2.5)).dtype == np.float32
    assert wire.grad(lambda v: v * stop(v))(3.0) == 3.0
