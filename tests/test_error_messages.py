"""Errors that teach: every user-reachable WireError names what was expected, what was
given (shapes/dtypes), and the user's file:line — this file's name, not wire's internals.

Each case is ``(id, thunk, error class, substrings the message must contain)``; every
message must also contain ``test_error_messages.py:``. The audit behind this list: every
``raise`` of a WireError subclass in ``wire/`` (see the issue 9 note in the final report);
shape-rule errors are re-raised by ``bind`` with the user's location, so one case per rule
family covers them.
"""

import collections

import numpy as np
import pytest

import wire
import wire.numpy as wnp

HERE = "test_error_messages.py:"


def _custom_jvp_without_rule():
    @wire.custom_jvp
    def f(x):
        return x * 2.0

    return f(np.ones(2))


def _custom_vjp_without_rule():
    @wire.custom_vjp
    def f(x):
        return x * 2.0

    return f(np.ones(2))


def _custom_vjp_bad_count():
    @wire.custom_vjp
    def f(x):
        return x * 2.0

    f.defvjp(lambda x: (x * 2.0, None), lambda res, g: (g, g))
    return wire.grad(lambda x: wnp.sum(f(x)))(np.ones(2))


def _custom_vjp_bad_shape():
    @wire.custom_vjp
    def f(x):
        return x * 2.0

    f.defvjp(lambda x: (x * 2.0, None), lambda res, g: (wnp.ones(3),))
    return wire.grad(lambda x: wnp.sum(f(x)))(np.ones(2))


def _custom_jvp_bad_tangent_shape():
    @wire.custom_jvp
    def f(x):
        return x * 2.0

    f.defjvp(lambda p, t: (f(p[0]), wnp.ones(5)))
    return wire.jvp(f, (np.ones(2),), (np.ones(2),))


def _scan_carry_mismatch():
    return wire.trace(lambda xs: wire.scan(lambda c, x: (wnp.stack([c, c]), x), 0.0, xs),
                      np.ones(3))


def _cond_branch_mismatch():
    return wire.trace(lambda x: wire.cond(x[0] > 0, lambda v: v, lambda v: v[:1], x), np.ones(2))


def _while_cond_not_bool():
    return wire.trace(lambda x: wire.while_loop(lambda c: c * np.ones(2) > 0, lambda c: c, x),
                      1.0)


def _tree_map_mismatch():
    return wire.tree.map(lambda a, b: a, (1, 2), [1, 2])


Case = collections.namedtuple("Case", "id thunk error needles")

CASES = [
    # ---- shapes through bind (every shape rule's error gets the user's location)
    Case("matmul", lambda: wire.trace(lambda x: x @ np.ones((4, 2)), np.ones((2, 3))),
         wire.ShapeError, [("f64[2,3]", "(2, 3)"), ("f64[4,2]", "(4, 2)")]),
    Case("broadcast", lambda: wire.trace(lambda x: x + np.ones(4), np.ones(3)),
         wire.ShapeError, ["(3,)", "(4,)"]),
    Case("reshape", lambda: wire.trace(lambda x: x.reshape(4, 4), np.ones(6)),
         wire.ShapeError, ["f64[6]", "(4, 4)"]),
    Case("transpose", lambda: wire.trace(lambda x: wnp.transpose(x, (0, 0)), np.ones((2, 3))),
         wire.ShapeError, ["f64[2,3]"]),
    Case("concatenate", lambda: wire.trace(lambda x: wnp.concatenate([x, np.ones((3, 3))]),
                                           np.ones((2, 2))), wire.ShapeError, ["f64[2,2]", "f64[3,3]"]),
    Case("broadcast_to", lambda: wire.trace(lambda x: wnp.broadcast_to(x, (2, 4)), np.ones(3)),
         wire.ShapeError, ["(3,)", "(2, 4)"]),
    Case("reduce_axis", lambda: wire.trace(lambda x: wnp.sum(x, axis=3), np.ones((2, 3))),
         wire.WireError, ["axis 3", "rank 2"]),
    Case("cumsum_axis", lambda: wire.trace(lambda x: wnp.cumsum(x, axis=2), np.ones(3)),
         wire.WireError, ["axis 2", "rank 1"]),
    Case("index", lambda: wire.trace(lambda x: x[0, 0], np.ones(3)),
         wire.WireIndexError, ["f64[3]"]),  # NumPy's IndexError: too many indices
    Case("solve", lambda: wire.trace(lambda a: wnp.linalg.solve(a, np.ones(4)), np.eye(3)),
         wire.ShapeError, ["f64[3,3]", "f64[4"]),
    Case("det_nonsquare", lambda: wire.trace(wnp.linalg.det, np.ones((2, 3))),
         wire.ShapeError, ["f64[2,3]", "square"]),
    Case("feed_shape", lambda: wire.evaluate(wire.var("x", shape=(3,)) * 2,
                                             {wire.var("x", shape=(3,)): np.ones(4)}),
         wire.ShapeError, ["(3,)", "(4,)"]),
    Case("graph_arg_shape", lambda: wire.evaluate(wire.trace(wnp.sin, np.ones(3)), np.ones(4)),
         wire.ShapeError, ["(3,)", "(4,)"]),
    Case("jvp_tangent", lambda: wire.jvp(wnp.sin, (np.ones(3),), (np.ones(2),)),
         wire.ShapeError, ["f64[3]", "f64[2]"]),
    # ---- derivatives
    Case("grad_int", lambda: wire.grad(lambda x: wnp.sum(x * 2.0))(np.arange(3)),
         wire.NonDifferentiableError, ["int64", "astype(float)"]),
    Case("grad_nonscalar", lambda: wire.grad(lambda x: x * 2.0)(np.ones(3)),
         wire.NonDifferentiableError, ["f64[3]", "jacrev"]),
    Case("svd_full_wide", lambda: wire.grad(lambda a: wnp.sum(wnp.linalg.svd(a)[1]))(np.ones((2, 3))),
         wire.WireError, ["f64[2,3]", "full_matrices=False"]),
    Case("while_vjp", lambda: wire.grad(lambda x: wire.while_loop(lambda c: c < 5.0,
                                                                   lambda c: c * 2.0, x))(1.0),
         wire.NonDifferentiableError, ["while_loop", "fori_loop", "scan"]),
    # ---- control flow on tracers and control-flow primitives
    Case("bool_tracer", lambda: wire.jit(wire.grad(lambda x: x if x > 0 else -x))(1.0),
         wire.TracerBoolError, ["bool[]", "wire.numpy.where", "wire.cond"]),
    Case("numpy_array_indexed_by_tracer",
         lambda: wire.jit(lambda y: wnp.sum(np.eye(3)[y]))(np.array([0, 1])),
         wire.WireTypeError, ["i64[2]", "wire.numpy.take"]),
    Case("scan_carry", _scan_carry_mismatch, wire.ShapeError, ["carry", "f64[]", "f64[2]"]),
    Case("cond_branches", _cond_branch_mismatch, wire.ShapeError, ["f64[2]", "f64[1]"]),
    Case("while_cond", _while_cond_not_bool, wire.ShapeError, ["scalar", "bool[2]"]),
    # ---- custom rules
    Case("custom_jvp_norule", _custom_jvp_without_rule, wire.WireError, ["defjvp"]),
    Case("custom_vjp_norule", _custom_vjp_without_rule, wire.WireError, ["defvjp"]),
    Case("custom_vjp_count", _custom_vjp_bad_count, wire.WireError, ["2 cotangents", "1"]),
    Case("custom_vjp_shape", _custom_vjp_bad_shape, wire.ShapeError, ["(3,)", "f64[2]"]),
    Case("custom_jvp_shape", _custom_jvp_bad_tangent_shape, wire.ShapeError, ["(5,)", "f64[2]"]),
    # ---- evaluation and inputs
    Case("unbound", lambda: wire.evaluate(wire.var("x") + wire.var("y"), {wire.var("x"): 1.0}),
         wire.UnboundInputError, ["'y'"]),
    Case("feed_key", lambda: wire.evaluate(wire.var("x"), {3: 1.0}), wire.WireError,
         ["int", "wire.var"]),
    Case("evaluate_two_feeds", lambda: wire.evaluate(wire.var("x"), {}, {}), wire.WireError,
         ["one feed dict"]),
    Case("graph_arity", lambda: wire.evaluate(wire.trace(wnp.sin, np.ones(3)), 1.0, 2.0),
         wire.WireError, ["1 inputs", "got 2"]),
    Case("leaf_type", lambda: wire.grad(lambda x: wnp.sum(x))("abc"), wire.WireTypeError,
         ["str"]),
    Case("asarray_tracer", lambda: wire.trace(lambda x: np.asarray(x), np.ones(2)),
         wire.WireTypeError, ["f64[2]"]),
    Case("tree_map", _tree_map_mismatch, wire.WireError, ["(*, *)", "[*, *]"]),
    # ---- transforms' arguments
    Case("vmap_axis_size", lambda: wire.vmap_graph(wire.trace(wnp.sin, np.ones(2)),
                                                   axis_size=-1), wire.WireError, ["-1"]),
    Case("vmap_sizes", lambda: wire.vmap(lambda a, b: a + b)(np.ones((2, 3)), np.ones((3, 3))),
         wire.WireError, ["2", "3"]),
    Case("jit_not_callable", lambda: wire.jit(3), wire.WireError, ["int"]),
    Case("jit_static", lambda: wire.jit(lambda x: x, static_argnums="a"), wire.WireError,
         ["'a'"]),
    Case("jit_backend", lambda: wire.jit(lambda x: x, backend="tpu"), wire.WireError,
         ["'tpu'", "'numpy'"]),
    Case("to_dot", lambda: wire.to_dot(lambda x: x), wire.WireError, ["function"]),
    # ---- numpy namespace
    Case("reshape_order", lambda: wire.trace(lambda x: wnp.reshape(x, (3,), order="Z"),
                                             np.ones(3)), wire.WireValueError, ["'C', 'F'", "'Z'"]),
    # ---- serialization
    Case("save_custom", lambda: wire.dumps(wire.trace(_custom_jvp_fn(), np.ones(2))),
         wire.WireError, ["custom_jvp_call", "function"]),
    Case("loads_type", lambda: wire.loads(3), wire.WireError, ["str", "int"]),
]


def _custom_jvp_fn():
    @wire.custom_jvp
    def f(x):
        return wnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), t[0] * wnp.cos(p[0])))
    return f


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_error_message_teaches(case):
    with pytest.raises(case.error) as e:
        case.thunk()
    msg = str(e.value)
    assert isinstance(e.value, wire.WireError)
    missing = [s for s in case.needles
               if not any(alt in msg for alt in (s if isinstance(s, tuple) else (s,)))]
    assert not missing, f"message lacks {missing}: {msg}"
    assert HERE in msg, f"message does not name the user's file:line: {msg}"
    assert "wire/" not in msg.replace("wire/numpy", "").split("(at")[-1], msg


def test_every_error_class_is_exercised():
    classes = {c.error for c in CASES}
    assert {wire.ShapeError, wire.NonDifferentiableError, wire.TracerBoolError,
            wire.UnboundInputError, wire.WireTypeError, wire.WireError} <= classes
