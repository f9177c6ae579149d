"""The public surface of ../shared/API.md: every name exists with its documented parameters."""

import inspect

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.special as wss
from wire import nn, optim

SIGNATURES = {
    "grad": ["f", "argnums", "has_aux"],
    "value_and_grad": ["f", "argnums", "has_aux"],
    "jvp": ["f", "primals", "tangents"],
    "vjp": ["f", "primals", "has_aux"],
    "jacfwd": ["f", "argnums"],
    "jacrev": ["f", "argnums"],
    "hessian": ["f", "argnums"],
    "hvp": ["f"],
    "vmap": ["f", "in_axes", "out_axes"],
    "jit": ["f", "static_argnums", "backend"],
    "stop_gradient": ["x"],
    "trace": ["fn"],
    "evaluate": ["graph_or_nodes"],
    "simplify": ["graph"],
    "to_dot": ["graph"],
    "save": ["graph", "path"],
    "load": ["path"],
    "var": ["name", "shape", "dtype"],
    "gradients": ["ys", "xs", "dys"],
    "cond": ["pred", "true_fn", "false_fn"],
    "switch": ["index", "branches"],
    "while_loop": ["cond_fn", "body_fn", "init"],
    "fori_loop": ["lower", "upper", "body_fn", "init"],
    "scan": ["f", "init", "xs", "length"],
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_transform_signatures(name):
    params = list(inspect.signature(getattr(wire, name)).parameters)
    for p in SIGNATURES[name]:
        assert p in params, (name, p, params)
    # documented defaults
    if name in ("grad", "value_and_grad"):
        sig = inspect.signature(getattr(wire, name))
        assert sig.parameters["argnums"].default == 0
        assert sig.parameters["has_aux"].default is False
    if name == "jit":
        sig = inspect.signature(wire.jit)
        assert sig.parameters["static_argnums"].default == ()
        assert sig.parameters["backend"].default == "numpy"


def test_names_exist():
    for name in ("custom_vjp", "custom_jvp", "debug_nans", "Graph", "Variable", "Executor",
                 "ShapeError", "TracerBoolError", "NonDifferentiableError", "FloatingPointError",
                 "UnboundInputError", "WireError"):
        assert hasattr(wire, name), name
    for name in ("flatten", "unflatten", "leaves", "map"):
        assert callable(getattr(wire.tree, name))
    for name in ("key", "split", "normal", "uniform", "bernoulli", "categorical", "permutation"):
        assert callable(getattr(wire.random, name))
    for name in ("logsumexp", "gammaln", "digamma", "erf", "erfc", "expit", "logit", "softmax",
                 "log_softmax"):
        assert callable(getattr(wss, name))
    assert callable(wnp.linalg.inv) and callable(wnp.fft.fft)
    assert callable(optim.apply_updates) and callable(nn.serial)


def test_graph_views():
    g = wire.trace(lambda x: wnp.sin(x) * 2.0, np.ones(3))
    assert len(g.inputs) == 1 and len(g.outputs) == 1 and len(g.nodes) >= 3 and len(g) == 2
    hash(g), hash(g.nodes[0])


def test_layers_and_optimizers_follow_the_contract():
    init, apply = nn.serial(nn.Dense(4), nn.Dense(3))
    params = init(wire.random.key(0), (-1, 5))
    y = apply(params, np.ones((2, 5)), key=None, train=False)
    assert y.shape == (2, 3)
    conv_init, conv_apply = nn.Conv2D(32, (3, 3), padding="SAME")
    cp = conv_init(wire.random.key(1), (-1, 8, 8, 1))
    assert conv_apply(cp, np.ones((2, 8, 8, 1))).shape == (2, 8, 8, 32)
    opt = optim.adam(1e-3)
    assert isinstance(opt, optim.GradientTransformation)
    state = opt.init(params)
    updates, state2 = opt.update(params, state, params)
    new = optim.apply_updates(params, updates)
    assert wire.tree.flatten(new)[1] == wire.tree.flatten(params)[1]


def test_split_default_num_is_two():
    assert len(wire.random.split(wire.random.key(0))) == 2
