"""wire.debug_nans: the first node making NaN/Inf is named, with its primitive and file:line."""

import threading
import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.core.debug import nans_enabled

HERE = "test_debug_nans.py:"


def _f(x):
    y = wnp.sin(x) - 2.0
    z = wnp.log(y)  # NaN: y < 0          (the line the error must name)
    return wnp.sum(wnp.exp(z) * 3.0)


LOG_LINE = f"{HERE}{_f.__code__.co_firstlineno + 2}"


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def test_off_by_default_gives_nan():
    g = wire.trace(_f, np.ones(3))
    assert not nans_enabled()
    assert np.isnan(wire.evaluate(g, np.ones(3)))


def test_context_manager_names_first_node_and_line():
    g = wire.trace(_f, np.ones(3))
    with wire.debug_nans():
        assert nans_enabled()
        with pytest.raises(wire.FloatingPointError) as e:
            wire.evaluate(g, np.ones(3))
    assert not nans_enabled()
    msg = str(e.value)
    assert "log produced NaN" in msg  # the first bad node, not exp/mul/sum after it
    assert "output f64[3]" in msg and "operands f64[3]" in msg  # output value and operand aval
    assert LOG_LINE in msg
    assert isinstance(e.value, wire.WireError) and isinstance(e.value, ArithmeticError)


def test_call_form_sets_until_turned_off():
    g = wire.trace(_f, np.ones(2))
    wire.debug_nans(True)
    try:
        assert nans_enabled()
        with pytest.raises(wire.FloatingPointError):
            wire.evaluate(g, np.ones(2))
    finally:
        wire.debug_nans(False)
    assert not nans_enabled()
    assert np.isnan(wire.evaluate(g, np.ones(2)))


def test_nested_context_restores_previous_value():
    with wire.debug_nans():
        with wire.debug_nans(False):
            assert not nans_enabled()
        assert nans_enabled()
    assert not nans_enabled()


def test_inf_is_reported():
    g = wire.trace(lambda x: wnp.sum(1.0 / x), np.ones(2))
    with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
        wire.evaluate(g, np.array([1.0, 0.0]))
    assert "div produced Inf" in str(e.value) and HERE in str(e.value)


def test_finite_values_and_integers_pass():
    g = wire.trace(lambda x, n: (wnp.sum(x * 2.0), n // 2), np.ones(3), np.arange(3))
    with wire.debug_nans():
        out = wire.evaluate(g, np.ones(3), np.arange(3))
    assert float(out[0]) == 6.0


def test_nan_input_is_noted():
    g = wire.trace(lambda x: x * 2.0, np.ones(2))
    with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
        wire.evaluate(g, np.array([np.nan, 1.0]))
    assert "operand(s) 0 already held NaN/Inf" in str(e.value)


def test_gradient_graph_is_checked():
    def loss(x):
        return wnp.sum(wnp.sqrt(x))

    with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
        wire.grad(loss)(np.array([0.0, 1.0]))
    assert "Inf" in str(e.value) and HERE in str(e.value)


def test_jit_falls_back_to_checking_evaluator():
    f = wire.jit(_f)
    assert np.isnan(f(np.ones(3)))  # compiled, cached
    with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
        f(np.ones(3))
    assert LOG_LINE in str(e.value)
    assert np.isnan(f(np.ones(3)))  # compiled code again outside the block


def test_jit_of_graph_falls_back():
    c = wire.jit(wire.trace(_f, np.ones(3)))
    with wire.debug_nans(), pytest.raises(wire.FloatingPointError):
        c(np.ones(3))


def test_inside_control_flow_names_inner_node():
    def body(carry, x):
        return carry + wnp.log(x), carry

    g = wire.trace(lambda xs: wire.scan(body, 0.0, xs)[0], np.ones(3))
    with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
        wire.evaluate(g, np.array([1.0, -1.0, 2.0]))
    assert "log produced NaN" in str(e.value) and HERE in str(e.value)


def test_flag_is_per_thread():
    g = wire.trace(_f, np.ones(3))
    seen = []

    def other():
        seen.append((nans_enabled(), bool(np.isnan(wire.evaluate(g, np.ones(3))))))

    with wire.debug_nans():
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == [(False, True)]


def test_eager_nan_made_from_infinities_raises():
    # an eager call given infinities that makes a NaN from them (inf - inf, 0 * inf) made that
    # NaN: it passed silently, as the operands held an Inf; an Inf or NaN merely carried
    # through (inf * 2, nan + 1) is still not reported again
    inf, nan = np.array([np.inf]), np.array([np.nan])
    with wire.debug_nans(), np.errstate(all="ignore"):
        for f in (lambda: wnp.subtract(inf, inf), lambda: wnp.multiply(inf, np.zeros(1)),
                  lambda: wnp.sin(inf)):
            with pytest.raises(wire.FloatingPointError, match="produced NaN"):
                f()
        wnp.multiply(inf, np.array([2.0]))
        wnp.add(nan, np.ones(1))
        wnp.exp(inf)


INF2 = np.array([np.inf, -np.inf])


@pytest.mark.parametrize("name, call, what", [
    ("sum", lambda: wnp.sum(INF2), "NaN"),
    ("mean", lambda: wnp.mean(INF2, axis=0), "NaN"),
    ("cumsum", lambda: wnp.cumsum(INF2), "NaN"),
    ("dot", lambda: wnp.dot(np.array([np.inf, 1.0]), np.array([0.0, 1.0])), "NaN"),
    ("matmul", lambda: wnp.matmul(np.array([np.inf, 1.0]), np.array([0.0, 1.0])), "NaN"),
    ("var", lambda: wnp.var(np.array([1e300, -1e300])), "Inf"),
    ("std", lambda: wnp.std(np.array([1e300, -1e300])), "Inf"),
    ("prod", lambda: wnp.prod(np.array([1e200, 1e200])), "Inf"),
])
def test_eager_reductions_and_products_check_what_they_make(name, call, what):
    """Reductions, products and joins on NumPy arrays compute with NumPy (no primitive runs):
    under debug_nans their result is checked as a primitive's is, naming the function and
    the caller's line (they passed silently)."""
    with wire.debug_nans(), pytest.raises(wire.FloatingPointError) as e:
        call()
    assert f"{name} produced {what}" in str(e.value) and HERE in str(e.value)


def test_eager_reductions_carrying_nonfinite_values_pass():
    with wire.debug_nans():
        assert wnp.sum(np.array([np.inf, 1.0])) == np.inf
        assert np.isnan(wnp.max(np.array([np.nan, 1.0])))
        assert wnp.concatenate([np.array([np.inf]), np.ones(1)])[0] == np.inf
        assert wnp.sum(np.ones(3)) == 3.0
    assert np.isnan(wnp.sum(INF2))  # without the flag: NumPy's value, no check
