"""A JAX script ported by changing its imports reaches for jax's top-level names: wire says
what to write instead (a MissingNameError, still an AttributeError for hasattr/getattr)."""

import pytest

import wire


@pytest.mark.parametrize("name, says", [
    ("make_jaxpr", "wire.trace"), ("tree_util", "wire.tree.map"), ("config", "float64"),
    ("block_until_ready", "drop the call"), ("device_put", "np.asarray"),
    ("closure_convert", "wire.implicit.closure_convert"), ("custom_gradient", "custom_vjp"),
    ("debug", "pure_callback"), ("disable_jit", "without wire.jit"),
])
def test_jax_names_say_what_to_write(name, says):
    with pytest.raises(wire.MissingNameError, match="JAX's name") as e:
        getattr(wire, name)
    assert says in str(e.value)
    assert not hasattr(wire, name) and getattr(wire, name, 7) == 7


def test_other_missing_names_stay_plain_attribute_errors():
    with pytest.raises(AttributeError) as e:
        wire.no_such_name
    assert not isinstance(e.value, wire.MissingNameError)
    assert wire.lax.cond is not None  # the submodules still import on first use
