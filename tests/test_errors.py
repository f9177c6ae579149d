"""Bad input gets a clear error naming shapes/dtypes and the user's file:line."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

HERE = "test_errors.py:"


def test_shape_error_in_binary_op():
    def f(x, y):
        return x + y

    with pytest.raises(wire.ShapeError) as e:
        wire.trace(f, np.ones(3), np.ones(4))
    msg = str(e.value)
    assert "(3,)" in msg and "(4,)" in msg and HERE in msg


def test_shape_error_in_matmul():
    with pytest.raises(wire.ShapeError) as e:
        wire.grad(lambda x: wnp.sum(x @ np.ones((4, 2))))(np.ones((2, 3)))
    msg = str(e.value)
    assert "3" in msg and "4" in msg and HERE in msg


def test_shape_error_reshape_and_feed():
    with pytest.raises(wire.ShapeError):
        wire.trace(lambda x: x.reshape(4, 4), np.ones(6))
    x = wire.var("x", shape=(3,))
    with pytest.raises(wire.ShapeError) as e:
        wire.evaluate(x * 2, {x: np.ones(4)})
    assert "(3,)" in str(e.value) and "(4,)" in str(e.value)


@pytest.mark.parametrize(
    "body",
    [
        lambda x: x if x > 0 else -x,
        lambda x: bool(x),
        lambda x: int(x),
        lambda x: float(x),
    ],
)
def test_python_control_flow_on_tracer(body):
    # eager transforms know the values (tests/test_eager.py); under jit they are abstract
    with pytest.raises(wire.TracerBoolError) as e:
        wire.jit(wire.grad(body))(1.0)
    msg = str(e.value)
    assert HERE in msg and "wire.numpy.where" in msg and "wire.cond" in msg
    assert "without wire.jit" in msg


def test_while_on_tracer():
    def f(x):
        while x < 10:
            x = x * 2
        return x

    assert wire.grad(f)(1.0) == 16.0  # eager: the loop runs on the value
    with pytest.raises(wire.TracerBoolError):
        wire.jit(wire.grad(f))(1.0)


def test_grad_of_integer_input():
    with pytest.raises(wire.NonDifferentiableError) as e:
        wire.grad(lambda x: wnp.sum(x * 2.0))(np.arange(3))
    msg = str(e.value)
    assert "int64" in msg and HERE in msg and "astype(float)" in msg


def test_grad_of_nonscalar_output():
    with pytest.raises(wire.NonDifferentiableError) as e:
        wire.grad(lambda x: x * 2.0)(np.ones(3))
    msg = str(e.value)
    assert "f64[3]" in msg and "jacrev" in msg and HERE in msg


def test_missing_feed_value():
    x, y = wire.var("x"), wire.var("y")
    with pytest.raises(wire.UnboundInputError) as e:
        wire.evaluate(x + y, {x: np.ones(2)})
    assert "'y'" in str(e.value)
    with pytest.raises(wire.UnboundInputError):
        wire.Executor([x * y]).run(feed_dict={y: 1.0})


def test_unknown_leaf_type():
    class Thing:
        pass

    with pytest.raises(TypeError) as e:
        wire.grad(lambda p: wnp.sum(p["w"]))({"w": np.ones(2), "t": Thing()})
    assert isinstance(e.value, wire.WireError)
    assert "['t']" in str(e.value) and "Thing" in str(e.value)
    with pytest.raises(TypeError):
        wire.trace(lambda x: "not an array", 1.0)


def test_asarray_of_tracer_is_an_error():
    with pytest.raises(wire.WireError):
        wire.grad(lambda x: np.asarray(x).sum())(np.ones(2))


def test_bad_argnums():
    with pytest.raises(wire.WireError):
        wire.grad(lambda x: x, argnums=3)(1.0)


def test_has_aux_needs_pair():
    with pytest.raises(wire.WireError):
        wire.grad(lambda x: x * 2.0, has_aux=True)(1.0)


def test_jvp_tangent_shape_mismatch():
    with pytest.raises(wire.ShapeError) as e:
        wire.jvp(wnp.sin, (np.ones(3),), (np.ones(2),))
    assert "f64[3]" in str(e.value) and "f64[2]" in str(e.value)


def test_custom_vjp_wrong_structure():
    @wire.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1],))
    with pytest.raises(wire.WireError) as e:
        wire.grad(f)(1.0, 2.0)
    assert "1 cotangents for 2" in str(e.value)
    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (np.ones(3), g))
    with pytest.raises(wire.ShapeError) as e:
        wire.grad(f)(1.0, 2.0)
    assert "cotangent 0" in str(e.value)


def test_every_error_is_a_wire_error():
    for cls in (wire.ShapeError, wire.TracerBoolError, wire.NonDifferentiableError,
                wire.UnboundInputError, wire.FloatingPointError, wire.WireTypeError):
        assert issubclass(cls, wire.WireError)
        assert cls.__doc__
