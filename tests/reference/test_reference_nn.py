"""wire.nn against torch.nn: every activation, loss and layer, with torch's modules holding
copies of wire's weights, the same inputs and the same output cotangent. Outputs and
gradients (with respect to the input and to every parameter) are compared in float64 and
float32; results must also keep the input's dtype.

Where wire's documented convention differs from torch's (derivatives at a few kinks,
MaxPool ties, padding in averages, BatchNorm's momentum), the inputs avoid the difference
and ``tests/test_nn.py`` tests the convention itself.
"""

from __future__ import annotations

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import nn
from wire import random as wr

torch = pytest.importorskip("torch", reason="needs torch: pip install -e '.[reference]'")
torch.set_num_threads(1)  # tensors of a few dozen numbers: threads only add overhead
F = torch.nn.functional

DTYPES = [np.float64, np.float32]
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def tt(x, grad=False):
    """A torch tensor holding a copy of ``x`` (same dtype)."""
    return torch.tensor(np.array(x), requires_grad=grad)


def cast(tree, dtype):
    return wire.tree.map(lambda a: np.asarray(a, dtype), tree)


def leaf(module, name):
    return dict(module.named_parameters())[name]


def grad_of(t):
    return t.grad.detach().numpy()


# ---------------------------------------------------------------- activations

# kinks where torch's derivative agrees with wire's (relu at 0, relu6 at 0 and 6, elu and
# selu at 0) are on the grid; leaky_relu at 0 and NaN inputs, where they differ, are not
GRID = np.concatenate([np.linspace(-5, 7, 49), [-1e-3, 1e-3, 6.0, -0.0]])

ACTIVATIONS = [
    ("relu", nn.relu, F.relu),
    ("relu6", nn.relu6, F.relu6),
    ("leaky_relu", lambda x: nn.leaky_relu(x, 0.1), lambda x: F.leaky_relu(x, 0.1)),
    ("elu", nn.elu, F.elu),
    ("elu(alpha=2)", lambda x: nn.elu(x, 2.0), lambda x: F.elu(x, 2.0)),
    ("selu", nn.selu, F.selu),
    ("gelu(exact)", lambda x: nn.gelu(x, approximate=False), F.gelu),
    ("gelu(tanh)", nn.gelu, lambda x: F.gelu(x, approximate="tanh")),
    ("silu", nn.silu, F.silu),
    ("softplus", nn.softplus, F.softplus),
    ("sigmoid", nn.sigmoid, torch.sigmoid),
    ("log_sigmoid", nn.log_sigmoid, F.logsigmoid),
    ("tanh", nn.tanh, torch.tanh),
    ("identity", nn.identity, lambda x: x),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name,ours,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, ours, ref, dtype, compare):
    grid = GRID[GRID != 0] if name == "leaky_relu" else GRID  # torch: slope at 0, wire: 1
    x = grid.astype(dtype)
    ct = np.random.default_rng(0).normal(size=x.shape).astype(dtype)
    xt = tt(x, grad=True)
    (ref(xt) * tt(ct)).sum().backward()
    y, vjp = wire.vjp(ours, x)
    # elementwise in float64; in float32, derivatives such as 1 - tanh(x)**2 lose relative
    # accuracy in the tails in both libraries, so there the error is normwise. torch's gelu
    # computes 1 + erf and 1 + tanh, which cancel in the negative tail (its gradient of the
    # tanh form is off by 3e-10 at -5, wire's by 1e-15; tests/test_nn.py checks wire's
    # tails against mpmath): normwise too
    elementwise = dtype == np.float64 and not name.startswith("gelu")
    component = f"nn.{name.split('(')[0]}"
    compare(component, f"{name} value", y, ref(tt(x)).detach().numpy(), elementwise=elementwise)
    compare(component, f"{name} grad", vjp(ct)[0], grad_of(xt), elementwise=elementwise,
            tol=1e-10 if dtype == np.float64 else None)


NORMALISERS = [
    ("softmax", nn.softmax, lambda x: F.softmax(x, dim=-1)),
    ("log_softmax", nn.log_softmax, lambda x: F.log_softmax(x, dim=-1)),
    ("logsumexp", lambda x: nn.logsumexp(x, axis=-1), lambda x: torch.logsumexp(x, dim=-1)),
    ("softmax(axis=0)", lambda x: nn.softmax(x, axis=0), lambda x: F.softmax(x, dim=0)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name,ours,ref", NORMALISERS, ids=[a[0] for a in NORMALISERS])
def test_normaliser(name, ours, ref, dtype, compare):
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(4, 7)) * 5).astype(dtype)
    x[0, :3] = 300.0  # large logits: the shift by the maximum matters
    y = ours(x)
    ct = rng.normal(size=np.shape(y)).astype(dtype)
    xt = tt(x, grad=True)
    (ref(xt) * tt(ct)).sum().backward()
    component = f"nn.{name.split('(')[0]}"
    compare(component, f"{name} value", y, ref(tt(x)).detach().numpy())
    compare(component, f"{name} grad", wire.vjp(ours, x)[1](ct)[0], grad_of(xt))


# ---------------------------------------------------------------- losses


def _loss_cases(rng, dtype):
    logits = (rng.normal(size=(6, 5)) * 3).astype(dtype)
    labels = np.array([0, 4, 2, 2, 1, 3])
    soft = rng.dirichlet(np.ones(5), size=6).astype(dtype)
    pred, target = rng.normal(size=(6, 3)).astype(dtype), rng.normal(size=(6, 3)).astype(dtype)
    pred[0, 0] = target[0, 0] + 2.5  # beyond huber's delta
    bin_t = rng.uniform(size=(6, 3)).astype(dtype)
    bin_t[0] = [0.0, 1.0, 1.0]
    big = pred * 20  # BCE far in the tails of the sigmoid
    cases = []
    for red in ("mean", "sum", "none"):
        cases += [
            (f"softmax_cross_entropy({red})", logits,
             lambda z, r=red: nn.softmax_cross_entropy(z, labels, reduction=r),
             lambda z, r=red: F.cross_entropy(z, tt(labels), reduction=r)),
            (f"softmax_cross_entropy_onehot({red})", logits,
             lambda z, r=red: nn.softmax_cross_entropy_onehot(z, soft, reduction=r),
             lambda z, r=red: F.cross_entropy(z, tt(soft), reduction=r)),
            (f"binary_cross_entropy_with_logits({red})", big,
             lambda z, r=red: nn.binary_cross_entropy_with_logits(z, bin_t, reduction=r),
             lambda z, r=red: F.binary_cross_entropy_with_logits(z, tt(bin_t), reduction=r)),
            (f"mse({red})", pred, lambda z, r=red: nn.mse(z, target, reduction=r),
             lambda z, r=red: F.mse_loss(z, tt(target), reduction=r)),
            (f"huber({red})", pred, lambda z, r=red: nn.huber(z, target, reduction=r),
             lambda z, r=red: F.huber_loss(z, tt(target), reduction=r)),
        ]
    cases.append(("huber(delta=0.5)", pred, lambda z: nn.huber(z, target, delta=0.5),
                  lambda z: F.huber_loss(z, tt(target), delta=0.5)))
    return cases


LOSS_NAMES = [c[0] for c in _loss_cases(np.random.default_rng(0), np.float64)]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("index", range(len(LOSS_NAMES)), ids=LOSS_NAMES)
def test_loss(index, dtype, compare):
    name, z, ours, ref = _loss_cases(np.random.default_rng(2), dtype)[index]
    y, vjp = wire.vjp(ours, z)
    ct = np.random.default_rng(3).normal(size=np.shape(y)).astype(dtype)
    zt = tt(z, grad=True)
    yt = ref(zt)
    (yt * tt(ct)).sum().backward()
    compare(f"nn.{name.split('(')[0]}", f"{name} value", y, yt.detach().numpy())
    compare(f"nn.{name.split('(')[0]}", f"{name} grad", vjp(ct)[0], grad_of(zt))


# ---------------------------------------------------------------- layers


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def dense_twin(p, tdt):
    m = torch.nn.Linear(*p["w"].shape, dtype=tdt)
    with torch.no_grad():
        m.weight.copy_(tt(p["w"].T))
        m.bias.copy_(tt(p["b"]))
    return m, lambda: {"w": grad_of(m.weight).T, "b": grad_of(m.bias)}


def conv_twin(pads, strides, dilation):
    (t, b), (left, r) = pads

    def twin(p, tdt):
        kh, kw, cin, cout = p["w"].shape
        m = torch.nn.Conv2d(cin, cout, (kh, kw), stride=strides, dilation=dilation, dtype=tdt)
        with torch.no_grad():
            m.weight.copy_(tt(p["w"].transpose(3, 2, 0, 1)))
            m.bias.copy_(tt(p["b"]))
        fwd = lambda x: nhwc(m(F.pad(nchw(x), (left, r, t, b))))
        return fwd, lambda: {"w": grad_of(m.weight).transpose(2, 3, 1, 0),
                             "b": grad_of(m.bias)}

    return twin


def max_pool_twin(window, strides, pads):
    (t, b), (left, r) = pads

    def twin(p, tdt):
        fwd = lambda x: nhwc(F.max_pool2d(
            F.pad(nchw(x), (left, r, t, b), value=-float("inf")), window, strides))
        return fwd, dict

    return twin


def avg_pool_twin(window, strides, pads, include_pad):
    """torch's avg_pool2d pads symmetrically; wire's SAME may not: pad by hand and divide
    by the pooled mask of real cells (what count_include_pad=False means)."""
    (t, b), (left, r) = pads

    def twin(p, tdt):
        def fwd(x):
            xp = F.pad(nchw(x), (left, r, t, b))
            total = F.avg_pool2d(xp, window, strides, divisor_override=1)
            if include_pad:
                return nhwc(total / (window[0] * window[1]))
            ones = F.pad(torch.ones_like(nchw(x)[:1, :1]), (left, r, t, b))
            return nhwc(total / F.avg_pool2d(ones, window, strides, divisor_override=1))

        return fwd, dict

    return twin


def avg_pool_module_twin(window, strides, pad, include_pad):
    def twin(p, tdt):
        m = torch.nn.AvgPool2d(window, strides, pad, count_include_pad=include_pad)
        return (lambda x: nhwc(m(nchw(x)))), dict

    return twin


def layernorm_twin(p, tdt):
    m = torch.nn.LayerNorm(p["scale"].shape[0], eps=1e-5, dtype=tdt)
    with torch.no_grad():
        m.weight.copy_(tt(p["scale"]))
        m.bias.copy_(tt(p["bias"]))
    return m, lambda: {"scale": grad_of(m.weight), "bias": grad_of(m.bias)}


def embedding_twin(p, tdt):
    m = torch.nn.Embedding(*p["table"].shape, dtype=tdt)
    with torch.no_grad():
        m.weight.copy_(tt(p["table"]))
    return (lambda ids: m(ids)), lambda: {"table": grad_of(m.weight)}


def lstm_twin(p, tdt):
    f, h4 = p["wi"].shape
    m = torch.nn.LSTM(f, h4 // 4, batch_first=True, dtype=tdt)
    with torch.no_grad():  # one bias in wire: torch's b_hh stays zero (and gets the same grad)
        m.weight_ih_l0.copy_(tt(p["wi"].T))
        m.weight_hh_l0.copy_(tt(p["wh"].T))
        m.bias_ih_l0.copy_(tt(p["b"]))
        m.bias_hh_l0.zero_()
    return (lambda x: m(x)[0]), lambda: {"wi": grad_of(m.weight_ih_l0).T,
                                         "wh": grad_of(m.weight_hh_l0).T,
                                         "b": grad_of(m.bias_ih_l0)}


def gru_twin(p, tdt):
    f, h3 = p["wi"].shape
    m = torch.nn.GRU(f, h3 // 3, batch_first=True, dtype=tdt)
    with torch.no_grad():  # wire's candidate has no recurrent bias: b_hh = 0
        m.weight_ih_l0.copy_(tt(p["wi"].T))
        m.weight_hh_l0.copy_(tt(p["wh"].T))
        m.bias_ih_l0.copy_(tt(p["b"]))
        m.bias_hh_l0.zero_()
    return (lambda x: m(x)[0]), lambda: {"wi": grad_of(m.weight_ih_l0).T,
                                         "wh": grad_of(m.weight_hh_l0).T,
                                         "b": grad_of(m.bias_ih_l0)}


def attention_twin(causal):
    def twin(p, tdt):
        d = p["wq"].shape[0]
        heads = 2
        m = torch.nn.MultiheadAttention(d, heads, batch_first=True, dtype=tdt)
        with torch.no_grad():
            m.in_proj_weight.copy_(tt(np.concatenate([p["wq"].T, p["wk"].T, p["wv"].T])))
            m.in_proj_bias.copy_(tt(np.concatenate([p["bq"], p["bk"], p["bv"]])))
            m.out_proj.weight.copy_(tt(p["wo"].T))
            m.out_proj.bias.copy_(tt(p["bo"]))

        def fwd(x):
            t = x.shape[1]
            mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1) if causal else None
            return m(x, x, x, attn_mask=mask, need_weights=False)[0]

        def grads():
            gw = grad_of(m.in_proj_weight).T
            gb = grad_of(m.in_proj_bias)
            return {"wq": gw[:, :d], "wk": gw[:, d:2 * d], "wv": gw[:, 2 * d:],
                    "bq": gb[:d], "bk": gb[d:2 * d], "bv": gb[2 * d:],
                    "wo": grad_of(m.out_proj.weight).T, "bo": grad_of(m.out_proj.bias)}

        return fwd, grads

    return twin


def flatten_twin(p, tdt):
    return (lambda x: torch.flatten(x, 1)), dict


def serial_twin(p, tdt):
    lin1, g1 = dense_twin(p[0], tdt)
    lin2, g2 = dense_twin(p[2], tdt)
    return (lambda x: F.log_softmax(lin2(torch.tanh(lin1(x))), dim=-1)), (
        lambda: [g1(), {}, g2(), {}])


def residual_twin(p, tdt):
    lin, g = dense_twin(p, tdt)
    return (lambda x: x + lin(x)), g


LAYERS = [
    ("Dense", nn.Dense(3), (4, 5), dense_twin),
    ("Conv2D(VALID)", nn.Conv2D(3, (3, 2)), (2, 6, 5, 2), conv_twin(((0, 0), (0, 0)), 1, 1)),
    ("Conv2D(SAME, stride 2)", nn.Conv2D(2, (3, 3), strides=2, padding="SAME"), (2, 6, 7, 2),
     conv_twin(((0, 1), (1, 1)), 2, 1)),
    ("Conv2D(SAME, dilation 2)", nn.Conv2D(2, (2, 3), padding="SAME", dilation=2),
     (1, 5, 6, 3), conv_twin(((1, 1), (2, 2)), 1, 2)),
    ("Conv2D(explicit pads, strides (2, 1))",
     nn.Conv2D(2, (3, 3), strides=(2, 1), padding=((2, 0), (1, 3))), (1, 5, 5, 2),
     conv_twin(((2, 0), (1, 3)), (2, 1), 1)),
    ("MaxPool(2x2)", nn.MaxPool((2, 2)), (2, 4, 6, 3),
     max_pool_twin((2, 2), (2, 2), ((0, 0), (0, 0)))),
    ("MaxPool(3x3, stride 1, SAME)", nn.MaxPool((3, 3), strides=1, padding="SAME"),
     (1, 5, 4, 2), max_pool_twin((3, 3), (1, 1), ((1, 1), (1, 1)))),
    ("MaxPool(3x3, stride 2, SAME)", nn.MaxPool((3, 3), strides=2, padding="SAME"),
     (1, 6, 6, 2), max_pool_twin((3, 3), (2, 2), ((0, 1), (0, 1)))),
    ("AvgPool(2x2)", nn.AvgPool((2, 2)), (2, 4, 6, 3),
     avg_pool_module_twin((2, 2), (2, 2), 0, True)),
    ("AvgPool(3x3, stride 1, pads 1)", nn.AvgPool((3, 3), strides=1, padding=((1, 1), (1, 1))),
     (1, 5, 4, 2), avg_pool_module_twin((3, 3), (1, 1), 1, False)),
    ("AvgPool(3x3, stride 1, pads 1, count_include_pad)",
     nn.AvgPool((3, 3), strides=1, padding=((1, 1), (1, 1)), count_include_pad=True),
     (1, 5, 4, 2), avg_pool_module_twin((3, 3), (1, 1), 1, True)),
    ("AvgPool(3x3, stride 2, SAME)", nn.AvgPool((3, 3), strides=2, padding="SAME"),
     (1, 6, 6, 2), avg_pool_twin((3, 3), (2, 2), ((0, 1), (0, 1)), False)),
    ("AvgPool(2x2, stride 1, SAME, count_include_pad)",
     nn.AvgPool((2, 2), strides=1, padding="SAME", count_include_pad=True),
     (1, 3, 3, 1), avg_pool_twin((2, 2), (1, 1), ((0, 1), (0, 1)), True)),
    ("LayerNorm", nn.LayerNorm(), (3, 2, 6), layernorm_twin),
    ("LSTM", nn.LSTM(3), (2, 5, 4), lstm_twin),
    ("GRU", nn.GRU(3), (2, 5, 4), gru_twin),
    ("MultiHeadSelfAttention", nn.MultiHeadSelfAttention(2), (2, 4, 6), attention_twin(False)),
    ("MultiHeadSelfAttention(causal)", nn.MultiHeadSelfAttention(2, causal=True), (2, 4, 6),
     attention_twin(True)),
    ("Flatten", nn.Flatten(), (2, 3, 2, 2), flatten_twin),
    ("serial(Dense, Tanh, Dense, LogSoftmax)",
     nn.serial(nn.Dense(4), nn.Tanh(), nn.Dense(3), nn.LogSoftmax()), (5, 3), serial_twin),
    ("residual(Dense)", nn.residual(nn.Dense(4)), (3, 4), residual_twin),
]


def _compare_grads(compare, component, tag, ours, ref, floor):
    if isinstance(ref, list):
        for i, (o, r) in enumerate(zip(ours, ref)):
            _compare_grads(compare, component, f"{tag}[{i}]", o, r, floor)
        return
    assert set(ref) == set(ours.keys()) or not ref, (sorted(ref), sorted(ours.keys()))
    for name, g in ref.items():
        # attention's key bias has gradient 0 in exact arithmetic (softmax ignores a shift
        # shared by a row), so its values are rounding noise on the scale of the others
        compare(component, f"grad {tag}{name}", ours[name], g, floor=floor)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name,layer,in_shape,twin", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer(name, layer, in_shape, twin, dtype, compare):
    rng = np.random.default_rng(4)
    params = cast(layer.init(wr.key(5), in_shape), dtype)
    x = rng.normal(size=in_shape).astype(dtype)
    component = f"nn.{name.split('(')[0]}"

    def loss(p, x, ct):
        return wnp.sum(layer.apply(p, x) * ct)

    y = layer.apply(params, x)
    ct = rng.normal(size=y.shape).astype(dtype)
    gp, gx = wire.grad(loss, argnums=(0, 1))(params, x, ct)
    fwd, ref_grads = twin(params, TORCH_DTYPE[dtype])
    xt = tt(x, grad=True)
    yt = fwd(xt)
    (yt * tt(ct)).sum().backward()
    compare(component, f"{name} output", y, yt.detach().numpy())
    compare(component, f"{name} grad input", gx, grad_of(xt))
    _compare_grads(compare, component, f"{name} ", gp, ref_grads(),
                   floor=float(np.abs(grad_of(xt)).max()))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("in_shape", [(6, 3), (2, 3, 4, 3)], ids=["BatchNorm1d", "BatchNorm2d"])
def test_batchnorm(in_shape, dtype, compare):
    rng = np.random.default_rng(6)
    init, apply = nn.BatchNorm(momentum=0.8)
    c = in_shape[-1]
    params = cast(init(None, in_shape), dtype)
    params = params.set("scale", rng.normal(size=c).astype(dtype)).set(
        "bias", rng.normal(size=c).astype(dtype))
    x = (rng.normal(size=in_shape) * 3 + 1).astype(dtype)
    ct = rng.normal(size=in_shape).astype(dtype)
    tdt = TORCH_DTYPE[dtype]
    m = (torch.nn.BatchNorm1d if len(in_shape) == 2 else torch.nn.BatchNorm2d)(
        c, eps=1e-5, momentum=0.2, dtype=tdt)  # torch's momentum weighs the new batch
    with torch.no_grad():
        m.weight.copy_(tt(params["scale"]))
        m.bias.copy_(tt(params["bias"]))
    to_t = (lambda a: a) if len(in_shape) == 2 else nchw
    from_t = (lambda a: a) if len(in_shape) == 2 else nhwc
    name = f"BatchNorm{'1d' if len(in_shape) == 2 else '2d'}"

    def loss(p, x):
        y, new = apply(p, x, train=True)
        return wnp.sum(y * ct), new

    (_, new), (gp, gx) = wire.value_and_grad(loss, argnums=(0, 1), has_aux=True)(params, x)
    y, _ = apply(params, x, train=True)
    xt = tt(x, grad=True)
    m.train()
    yt = from_t(m(to_t(xt)))
    (yt * tt(ct)).sum().backward()
    compare("nn.BatchNorm", f"{name} train output", y, yt.detach().numpy())
    compare("nn.BatchNorm", f"{name} grad input", gx, grad_of(xt))
    compare("nn.BatchNorm", f"{name} grad scale", gp["scale"], grad_of(m.weight))
    compare("nn.BatchNorm", f"{name} grad bias", gp["bias"], grad_of(m.bias))
    compare("nn.BatchNorm", f"{name} running mean", new["mean"], m.running_mean.numpy())
    compare("nn.BatchNorm", f"{name} running var (unbiased)", new["var"], m.running_var.numpy())
    m.eval()
    x2 = rng.normal(size=in_shape).astype(dtype)
    compare("nn.BatchNorm", f"{name} eval output", apply(new, x2),
            from_t(m(to_t(tt(x2)))).detach().numpy())


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_embedding(dtype, compare):
    layer = nn.Embedding(7, 3)
    params = cast(layer.init(wr.key(0), (2, 4)), dtype)
    ids = np.array([[0, 6, 1, 1], [3, 3, 3, 5]])
    ct = np.random.default_rng(7).normal(size=(2, 4, 3)).astype(dtype)
    g = wire.grad(lambda p: wnp.sum(layer.apply(p, ids) * ct))(params)
    fwd, grads = embedding_twin(params, TORCH_DTYPE[dtype])
    yt = fwd(torch.tensor(ids))
    (yt * tt(ct)).sum().backward()
    compare("nn.Embedding", "output", layer.apply(params, ids), yt.detach().numpy())
    compare("nn.Embedding", "grad table", g["table"], grads()["table"])
    with pytest.raises(IndexError):  # torch refuses -1 too
        fwd(torch.tensor([-1]))
    with pytest.raises(wire.WireError):
        layer.apply(params, np.array([-1]))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_dropout_scaling_and_nan(dtype, compare):
    """The masks come from different generators; what must agree is what a kept element
    becomes (``x / (1 - rate)`` in the input's dtype) and that NaN survives dropping."""
    rate = 0.3
    x = np.random.default_rng(8).normal(size=4000).astype(dtype)
    ours = nn.Dropout(rate).apply(None, x, key=wr.key(1), train=True)
    torch.manual_seed(0)
    ref = F.dropout(tt(x), rate, training=True).numpy()
    both = (ours != 0) & (ref != 0)
    compare("nn.Dropout", "kept elements", ours[both], ref[both])
    nan = np.full(100, np.nan, dtype)
    assert np.isnan(nn.Dropout(rate).apply(None, nan, key=wr.key(1), train=True)).all()
    assert np.isnan(F.dropout(tt(nan), rate, training=True).numpy()).all()
