"""Every output of a jitted (or evaluated, or transformed) function is the caller's own array:
never the input object, never sharing memory with an input, a constant or another output,
always writable (issue 12); and inputs of non-numeric dtype are refused with a clear error."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

CASES = {
    "identity": lambda x: x,
    "twice the input": lambda x: (x, x),
    "one node twice": lambda x: (x * 2, x * 2),
    "a view of the input": lambda x: x.reshape(6, 1),
    "a transpose and the input": lambda x: (x.T, x),
    "slices of the input": lambda x: (x[0], x[1:]),
    "a constant": lambda x: np.ones(3),
    "a scalar constant": lambda x: np.float64(2.0),
    "a broadcast": lambda x: wnp.broadcast_to(x.sum(), (4,)),
    "an output and its view": lambda x: (x * 2, (x * 2).reshape(-1)),
    "a pytree": lambda x: {"a": x, "b": [x[0], 2.0], "c": (x + 1, x + 1)},
    "an opaque primitive": lambda x: wnp.linalg.inv(x[:2, :2] + 3 * np.eye(2)),
    "a 0-d input": lambda x: x[0, 0],
}


def _check(out, args):
    leaves = wire.tree.leaves(out)
    ins = [a for a in wire.tree.leaves(args) if isinstance(a, np.ndarray)]
    for i, o in enumerate(leaves):
        assert type(o) is np.ndarray, type(o)
        assert o.flags.writeable
        for a in ins:
            assert o is not a and not np.shares_memory(o, a)
        for p in leaves[i + 1:]:
            assert not np.shares_memory(o, p)


@pytest.mark.parametrize("name", sorted(CASES))
def test_jit_outputs_are_fresh(name):
    f = CASES[name]
    x = np.arange(6.0).reshape(2, 3)
    j = wire.jit(f)
    for _ in range(2):  # the tracing call, then the compiled fast path
        out = j(x)
        _check(out, x)
        for o in wire.tree.leaves(out):
            o[...] = -7  # writing to an output changes nothing else
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))
    again = j(x)
    np.testing.assert_array_equal(wire.tree.leaves(again)[0],
                                  wire.tree.leaves(wire.jit(f)(np.arange(6.0).reshape(2, 3)))[0])
    with wire.debug_nans():  # the checking evaluator
        _check(j(x), x)
    _check(wire.evaluate(wire.trace(f, x), x), x)


def test_transformed_functions_return_fresh_arrays_too():
    x = np.arange(3.0)
    _check(wire.vmap(lambda v: v)(x), x)
    _check(wire.jvp(lambda v: v, (x,), (x,)), x)
    y, pullback = wire.vjp(lambda v: v, x)
    _check((y, pullback(x)), x)


@pytest.mark.parametrize("bad", [
    np.array([1, "a"], dtype=object), np.array(["ab", "c"]), np.array([b"x"]),
    np.zeros(2, dtype=[("a", float), ("b", int)]), np.str_("x"),
    np.array(["2020-01-01"], dtype="datetime64[D]"), np.array([1], dtype="timedelta64[s]"),
])
def test_non_numeric_inputs_are_refused(bad):
    calls = [wire.jit(lambda x: x), wire.grad(lambda x: x), wire.vmap(lambda x: x),
             lambda a: wire.trace(lambda x: x, a), lambda a: wire.jvp(lambda x: x, (a,), (a,)),
             lambda a: wire.evaluate(wire.trace(lambda x: x * 2, np.ones(2)), a),
             lambda a: wire.jit(lambda p: p["w"])({"w": a})]
    for call in calls:
        with pytest.raises(wire.WireError) as e:
            call(bad)
        msg = str(e.value)
        assert str(bad.dtype) in msg and "test_fresh_outputs.py" in msg, msg
    with pytest.raises(wire.WireError, match=r"\['w'\]"):
        wire.jit(lambda p: p["w"])({"w": bad})


def test_numeric_inputs_of_every_kind_still_work():
    for dt in (np.bool_, np.int8, np.uint16, np.int64, np.float16, np.float32, np.complex64):
        x = np.ones(3, dt)
        np.testing.assert_array_equal(wire.jit(lambda v: v)(x), x)
