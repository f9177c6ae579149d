"""Programs of the kind a scientist or an ML engineer writes after JAX's tutorials (JAX 101,
"custom derivative rules", "Advanced autodiff", the cookbook) and autograd's examples, run on
wire with only the imports changed.

Each program is written once against a namespace ``ns`` (``t``: ``wire``, ``np``:
``wire.numpy``, ``lax``, ``scipy``, ``random``, ``tree_map``), so the same source ran under
JAX (float64) to produce the oracle values stored here (``ORACLE``: JAX 0.10, x64); closed
forms, SciPy and finite differences check the rest. Programs: Lennard-Jones forces and a
velocity-Verlet run (the ``where`` trick on the distance matrix's diagonal); a Gaussian
process with ``cho_factor``/``cho_solve`` and its gradient in the log length scales; an RK4
integrator in ``scan`` differentiated in the initial state and the parameters; logistic
regression by ``scipy.optimize.minimize`` (BFGS) and ``optim.lbfgs``; a causal transformer
block; DP-SGD (per-example gradients by ``vmap(grad)``, clipped); a vector field's divergence
and a Laplacian (Jacobian and Hessian traces, Hutchinson's estimator); a mixture density
network; backward Euler steps solved by fixed-point iteration with a ``custom_vjp`` adjoint;
a checkpointed deep chain; low-rank regression through a truncated SVD; an extended Kalman
filter (``jacfwd`` inside ``scan``); Langevin dynamics and HMC with ``wire.random`` keys; a
pendulum's equilibrium by ``lax.custom_root``; Newton's method in a ``while_loop``; black-box
variational inference against autograd; ``scipy.integrate.trapezoid`` and
``cumulative_trapezoid`` (missing before: ``jax.scipy.integrate.trapezoid`` ports failed).
"""

from __future__ import annotations

import contextlib
import os
import runpy
from types import SimpleNamespace

import numpy as onp
import pytest

from finite_differences import fd_grad

import wire
import wire.lax
import wire.numpy as wnp
import wire.scipy
import wire.scipy.integrate
import wire.scipy.linalg
import wire.scipy.optimize
import wire.scipy.special
from wire import optim

W = SimpleNamespace(t=wire, np=wnp, lax=wire.lax, scipy=wire.scipy, random=wire.random,
                    tree_map=wire.tree.map, optim=optim, name="wire")


def close(got, want, rtol=1e-9, atol=1e-12):
    onp.testing.assert_allclose(onp.asarray(got, dtype=float), onp.asarray(want, dtype=float),
                                rtol=rtol, atol=atol)


def direction(tree, seed):
    """A fixed pseudo-random pytree like ``tree`` (to summarise a gradient by one number)."""
    rng = onp.random.default_rng(seed)
    leaves, treedef = wire.tree.flatten(tree)
    return wire.tree.unflatten(treedef, [rng.normal(size=onp.shape(v)) for v in leaves])


def vdot(a, b):
    return sum(float(onp.sum(onp.asarray(x) * onp.asarray(y)))
               for x, y in zip(wire.tree.leaves(a), wire.tree.leaves(b)))


# the oracle values: the same programs under JAX 0.10 with jax_enable_x64 (see the docstring)
ORACLE = {
    'lj': {'energy': -13.967270110306856,
           'forces': [[3.2956320365980734, 1.6374149231507775, 0.3873513338630997],
                      [-7.066882236700966, 0.9776343324704793, 0.21665548581470553],
                      [-3.1800113048511065, 1.0306512586310421, 3.0061270002293043],
                      [6.836171965780747, 1.4823964146909414, -3.1424303786086814],
                      [3.4128533098166374, -1.0168000940758817, 2.709458766572014],
                      [3.546920734764739, -1.3253844438532785, -2.9890858760874544],
                      [-3.4558779425918935, -1.5057394707591423, 2.100427554155372],
                      [-3.3888065628162303, -1.2801729202549381, -2.288503885938361]],
           'x_end': [[0.007635555143714329, -0.0046404112193008445, 0.0327616902416029],
                     [0.0012832478830859864, -0.024785145327676086, 1.1390141652139425],
                     [1.1834931947384522, 0.04871564713133059, -0.033857783729894994],
                     [1.0586265801344923, -0.03080374726176833, 1.1225328600984026],
                     [-0.11704229796249076, 1.108537804523293, -0.06271832593790477],
                     [-0.03470678107965705, 1.0926093160814412, 1.103001424772866],
                     [1.1383255615702799, 1.1713165062948863, -0.0059866171644355854],
                     [1.1870941530271917, 1.0890654416209875, 1.1391279990534608]],
           'v_end': [[0.10025946479951298, 0.11398075733960034, 0.04113389586941425],
                     [-0.2621766507623562, 0.1088384364863103, 0.04871805787172061],
                     [-0.1167827684734715, 0.07767343444353485, 0.0963159752006268],
                     [0.15664857116035866, 0.033426516064686364, -0.007878199001429319],
                     [-0.005450505799181394, -0.03559222985278068, 0.005871777073257764],
                     [0.13075018445788933, -0.02130010164217474, -0.08912481586278236],
                     [-0.14747194189174864, -0.05483321895132733, 0.043345463348819224],
                     [-0.09532765551776164, 0.10282621500758765, 0.05445659185287228]],
           'hvp': [[0.6084649692759286, 3.7757594614386862, -1.5188730485608424],
                   [-31.142970595233486, 5.058728422693151, 1.2279306105824115],
                   [-1.6571705936545504, 4.587236410491763, 0.23647687460593492],
                   [30.71243131229268, -5.985615104748049, -0.38923523585959846],
                   [0.34063144923443567, -4.240731943689812, -0.2781610951113625],
                   [0.3826727114986708, -5.214973536247935, 1.0544226398561563],
                   [0.4734350579371701, -4.151227233882353, -3.4319576731589128],
                   [0.282505688649148, 6.170823523944549, 3.0993969276462137]]},
    'gp': {'mll': -12.532627386409786,
           'grad': {'log_ell': [3.9554975544737583, 6.177351607596895],
                    'log_sf': -13.833077345658282,
                    'log_sn': -2.267744213846411},
           'hess_ell': [[0.2866767958156444, 3.650384905472547],
                        [3.65038490547255, 1.3563217889647934]],
           'mean': [0.3706273650899027, 0.15433857785610186, 0.3115568699940282,
                    -0.2817891269405755],
           'var': [0.518819720752975, 0.09231057928385111, 0.13481763452238216,
                   0.4665618519942185],
           'dmean': {'log_ell': [0.47013315245234427, -0.28594144752392014],
                     'log_sf': 0.11485413934340027,
                     'log_sn': -0.11485413934339665}},
    'rk4': {'final': [3.2644155916338837, 9.094099816085553],
            'path_sum': 603.3511210914018,
            'gz': [-1631.6636519139547, -10262.780954233325],
            'gth': [6158.679364849359, -12828.476192791657, -167400.9065307323,
                    19890.179963171686],
            'jac': [[-7.90151269690934, 7.81501082750349],
                    [-1.713306393888237, -5.819421427141423]],
            'hvp': [-147156.7485764898, 288877.46442516224, 5036393.371756861, -455072.982139438]},
    'bfgs': {'x': [0.08382417044058624, 0.5717640128278885, -0.810952952894459,
                   0.20588407089288843],
             'fun': 0.5529722383436194,
             'counts': (10, 11, 0)},
    'lbfgs': {'w': [0.08382503108163573, 0.5717672999705989, -0.8109933712136744,
                    0.20588765582451868],
              'v': 0.5529722381429939},
    'transformer': {'loss': 3.5788779827331747,
                    'dir': -1.7285119538729192,
                    'sq': [1.257720553185199, 0.18326508624337134, 0.5374571065517303,
                           0.20233197319227963, 0.968366786371178, 0.18832627924958234,
                           2.020538127945661, 0.21211983576175059, 0.5783805212992423,
                           1.9628711207179197, 0.3403962642609838, 1.2483965824645997]},
    'dpsgd': {'norms': [9.395798805897654, 3.4759437228721244, 8.95496752421488, 15.01274491911369,
                        15.321455909295222, 20.26402748372255, 11.966190329486425,
                        19.418241746622726, 14.322983177751517, 3.10551757458678, 5.76696484502711,
                        2.7410119524011796, 4.14162477587267, 2.7413566177469337,
                        2.8022417948559415, 19.079961621384626],
              'dir': -0.019866913147042496},
    'divergence': {'div': 0.27090579883048804,
                   'grad_div': [-0.7204016252422255, -1.09078677449949, 0.020441719706340015],
                   'lap': [-0.805258802447409, -1.7417187795545839, 2.895335501030727,
                           -0.4634365453684618, 0.7328094072101901],
                   'hutch': -0.04323327431076016},
    'mdn': {'v0': 1.5346029874044729,
            'g0': 0.47621124479815474,
            'v_far': 7896.18211145833,
            'g_far': -3948.273283697411,
            'trained': 1.1506914768692296},
    'implicit_ode': {'z': [0.8794650608378614, -1.0668293426767632, 1.1491405660114322],
                     'gz': [1.2775268412428422, -0.3851817144054583, 0.08331820339029529],
                     'gth': -3.1140594302353453,
                     'batch': [-4.925382080265244, -3.1140594302353453]},
    'chain': {'gw': -0.03414678126346954,
              'gx': [-0.02877125934730204, 0.011760807581157143, 0.006398058211733993,
                     0.03223181498856538, 0.007656224159838057, 0.006013068457334841],
              'g2': -1.1870377025719674,
              'hvp': [0.02910875383878364, -0.06599416978776815, -0.06303503612582267,
                      -0.07150380700744306, -0.02866476115563956, 0.03057661624206487]},
    'tsvd': {'x': [-0.0199828108104314, -0.03783516185685867, -0.012458683897446567,
                   -4.159068705944437e-05, -0.0003092679173721246, 0.001030121772061224,
                   -6.558267432441787e-05, -4.7919344795141006e-05],
             'g': -0.03022716830795153,
             'jvp': [0.028405530728801445, 0.029281221265671488, 0.009372680604489293,
                     0.05391924603413161, 0.0021346245899298306, -0.005125024595235884,
                     -0.003849229091335244, -0.0029141274059966]},
    'ekf': {'ll': 48.844915981760494,
            'm': [1.2779958521860775, 3.7456431437854194],
            'g': (-499.2600980878128, -1465.0593976646771)},
    'newton': {'nit': 19,
               'x': [-0.7756592265653526, 0.6130933654850435, 0.3820628463383931,
                     0.14597201855219458],
               'nit_batch': [19, 16],
               'x_batch': [[-0.7756592265653526, 0.6130933654850435, 0.38206284633839316,
                            0.14597201855219463],
                           [0.9999999999999984, 0.9999999999999952, 0.9999999999999837,
                            0.9999999999999402]]},
}


# --------------------------------------------------------------------------- Lennard-Jones

def lj_positions():
    rng = onp.random.default_rng(0)
    grid = onp.array(onp.meshgrid(onp.arange(2), onp.arange(2), onp.arange(2)))
    return grid.reshape(3, -1).T * 1.12 + 0.05 * rng.normal(size=(8, 3))


def lj_energy(ns, x, sigma=1.0, eps=1.0):
    """Pairwise Lennard-Jones energy from the distance matrix; the diagonal (r = 0) is
    replaced before the sqrt, else its derivative would be 0 * inf = NaN."""
    np = ns.np
    d = x[:, None, :] - x[None, :, :]
    r2 = np.sum(d ** 2, axis=-1)
    off = ~np.eye(x.shape[0], dtype=bool)
    r = np.sqrt(np.where(off, r2, 1.0))
    sr6 = (sigma / r) ** 6
    return 0.5 * np.sum(np.where(off, 4 * eps * (sr6 ** 2 - sr6), 0.0))


def lj_verlet(ns, x, v, dt=1e-3, n=20):
    force = lambda y: -ns.t.grad(lambda z: lj_energy(ns, z))(y)

    def body(i, s):
        x, v, f = s
        v = v + 0.5 * dt * f
        x = x + dt * v
        f = force(x)
        return x, v + 0.5 * dt * f, f

    return ns.lax.fori_loop(0, n, body, (x, v, force(x)))


def lj_program(ns):
    x = lj_positions()
    v = 0.1 * onp.random.default_rng(1).normal(size=x.shape)
    forces = -ns.t.grad(lambda y: lj_energy(ns, y))(x)
    xs, vs, _ = ns.t.jit(lambda x, v: lj_verlet(ns, x, v))(x, v)
    hvp = ns.t.jvp(ns.t.grad(lambda y: lj_energy(ns, y)), (x,), (v,))[1]
    return {"energy": lj_energy(ns, x), "forces": forces, "x_end": xs, "v_end": vs, "hvp": hvp}


def test_lennard_jones_forces_and_velocity_verlet():
    out = lj_program(W)
    want = ORACLE["lj"]
    for k in ("energy", "forces", "x_end", "v_end", "hvp"):
        close(out[k], want[k], rtol=1e-9, atol=1e-10)
    assert onp.abs(onp.sum(out["forces"], 0)).max() < 1e-12  # Newton's third law
    x = lj_positions()
    close(out["forces"], -fd_grad(lambda y: float(lj_energy(W, y)), x), rtol=1e-5, atol=1e-6)
    assert onp.isfinite(out["forces"]).all()


# --------------------------------------------------------------------------- GP, cho_factor

def gp_data():
    rng = onp.random.default_rng(1)
    x = rng.uniform(-3, 3, size=(20, 2))
    y = onp.sin(x[:, 0]) * onp.cos(x[:, 1]) + 0.05 * rng.normal(size=20)
    return x, y, rng.uniform(-3, 3, size=(4, 2))


def gp_kernel(ns, a, b, log_ell, log_sf):
    np = ns.np
    d2 = np.sum((a[:, None, :] - b[None, :, :]) ** 2 / np.exp(2 * log_ell), -1)
    return np.exp(2 * log_sf) * np.exp(-0.5 * d2)


def gp_mll(ns, p, x, y):
    """Log marginal likelihood by ``cho_factor``/``cho_solve``."""
    np, la = ns.np, ns.scipy.linalg
    k = gp_kernel(ns, x, x, p["log_ell"], p["log_sf"]) + np.exp(2 * p["log_sn"]) * np.eye(len(y))
    c, low = la.cho_factor(k, lower=True)
    alpha = la.cho_solve((c, low), y)
    return -0.5 * y @ alpha - np.sum(np.log(np.diag(c))) - 0.5 * len(y) * np.log(2 * np.pi)


def gp_predict(ns, p, x, y, xs):
    np, la = ns.np, ns.scipy.linalg
    k = gp_kernel(ns, x, x, p["log_ell"], p["log_sf"]) + np.exp(2 * p["log_sn"]) * np.eye(len(y))
    cf = la.cho_factor(k)
    ks = gp_kernel(ns, xs, x, p["log_ell"], p["log_sf"])
    var = np.exp(2 * p["log_sf"]) - np.sum(ks * la.cho_solve(cf, ks.T).T, 1)
    return ks @ la.cho_solve(cf, y), var


GP_PARAMS = {"log_ell": onp.array([0.1, -0.2]), "log_sf": onp.array(0.0),
             "log_sn": onp.array(-2.0)}


def gp_program(ns):
    x, y, xs = gp_data()
    value, grad = ns.t.value_and_grad(lambda p: gp_mll(ns, p, x, y))(GP_PARAMS)
    hess = ns.t.hessian(lambda l: gp_mll(ns, dict(GP_PARAMS, log_ell=l), x, y))(
        GP_PARAMS["log_ell"])
    mean, var = gp_predict(ns, GP_PARAMS, x, y, xs)
    dmean = ns.t.grad(lambda p: ns.np.sum(gp_predict(ns, p, x, y, xs)[0]))(GP_PARAMS)
    return {"mll": value, "grad": grad, "hess_ell": hess, "mean": mean, "var": var,
            "dmean": dmean}


def test_gaussian_process_with_cho_factor_and_its_hyperparameter_gradient():
    out = gp_program(W)
    want = ORACLE["gp"]
    for k in ("mll", "hess_ell", "mean", "var"):
        close(out[k], want[k], rtol=1e-8)
    for k in ("grad", "dmean"):
        for name in GP_PARAMS:
            close(out[k][name], want[k][name], rtol=1e-8, atol=1e-12)
    x, y, _ = gp_data()
    jitted = wire.jit(wire.grad(lambda p: gp_mll(W, p, x, y)))(GP_PARAMS)
    close(jitted["log_ell"], want["grad"]["log_ell"], rtol=1e-8)
    fd = fd_grad(lambda l: float(gp_mll(W, dict(GP_PARAMS, log_ell=l), x, y)),
                 GP_PARAMS["log_ell"])
    close(out["grad"]["log_ell"], fd, rtol=1e-6)


# --------------------------------------------------------------------------- RK4 in scan

def lotka_volterra(ns, z, th):
    return ns.np.stack([th[0] * z[0] - th[1] * z[0] * z[1], th[2] * z[0] * z[1] - th[3] * z[1]])


def rk4(ns, z0, th, dt=0.1, n=50):
    def step(z, _):
        k1 = lotka_volterra(ns, z, th)
        k2 = lotka_volterra(ns, z + dt / 2 * k1, th)
        k3 = lotka_volterra(ns, z + dt / 2 * k2, th)
        k4 = lotka_volterra(ns, z + dt * k3, th)
        z = z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return z, z

    return ns.lax.scan(step, z0, None, length=n)


RK_Z0, RK_TH = onp.array([1.0, 0.5]), onp.array([1.1, 0.4, 0.1, 0.4])


def rk4_program(ns):
    loss = lambda z, th: ns.np.sum(rk4(ns, z, th)[1][:, 0] ** 2)
    final, path = rk4(ns, RK_Z0, RK_TH)
    gz, gth = ns.t.grad(loss, (0, 1))(RK_Z0, RK_TH)
    jac = ns.t.jacfwd(lambda z: rk4(ns, z, RK_TH)[0])(RK_Z0)
    hvp = ns.t.jvp(lambda th: ns.t.grad(loss, 1)(RK_Z0, th), (RK_TH,), (onp.ones(4),))[1]
    return {"final": final, "path_sum": ns.np.sum(path), "gz": gz, "gth": gth, "jac": jac,
            "hvp": hvp}


def test_rk4_in_scan_differentiated_in_initial_state_and_parameters():
    out = rk4_program(W)
    for k, v in ORACLE["rk4"].items():
        close(out[k], v, rtol=1e-9)
    loss = lambda z, th: wnp.sum(rk4(W, z, th)[1][:, 0] ** 2)
    batch = wire.vmap(wire.grad(loss, 1), (0, None))(onp.stack([RK_Z0, RK_Z0]), RK_TH)
    close(batch, onp.stack([out["gth"], out["gth"]]), rtol=1e-12)
    close(out["gth"], fd_grad(lambda th: float(loss(RK_Z0, th)), RK_TH), rtol=1e-6)


# --------------------------------------------------------------------------- BFGS / L-BFGS

def logistic_data():
    rng = onp.random.default_rng(2)
    x = onp.c_[onp.ones(60), rng.normal(size=(60, 3))]
    p = 1 / (1 + onp.exp(-x @ onp.array([0.3, 1.5, -2.0, 0.5])))
    return x, (rng.uniform(size=60) < p).astype(float)


def logistic_nll(ns, w, x, y, lam=0.1):
    z = x @ w
    return ns.np.mean(ns.np.logaddexp(0.0, z) - y * z) + 0.5 * lam * w @ w


def lbfgs_run(ns, steps=15):
    x, y = logistic_data()
    f = lambda w: logistic_nll(ns, w, x, y)
    opt = ns.optim.lbfgs()
    w = onp.zeros(4)
    state = opt.init(w)
    vg = ns.optim.value_and_grad_from_state(f)
    for _ in range(steps):
        v, g = vg(w, state=state)
        upd, state = opt.update(g, state, w, value=v, grad=g, value_fn=f)
        w = ns.optim.apply_updates(w, upd)
    return w, v


def test_logistic_regression_by_bfgs_minimize_and_optim_lbfgs():
    x, y = logistic_data()
    res = wire.scipy.optimize.minimize(lambda w: logistic_nll(W, w, x, y), onp.zeros(4),
                                       method="BFGS")
    want = ORACLE["bfgs"]
    close(res.x, want["x"], rtol=1e-8)
    close(res.fun, want["fun"], rtol=1e-12)
    assert (int(res.nit), int(res.nfev), int(res.status)) == want["counts"]
    # SciPy's args= and under jit
    res2 = wire.scipy.optimize.minimize(lambda w, a, b: logistic_nll(W, w, a, b), onp.zeros(4),
                                        args=(x, y), method="BFGS")
    close(res2.x, want["x"], rtol=1e-8)
    xj = wire.jit(lambda a, b: wire.scipy.optimize.minimize(
        lambda w: logistic_nll(W, w, a, b), onp.zeros(4), method="BFGS").x)(x, y)
    close(xj, want["x"], rtol=1e-8)
    w, v = lbfgs_run(W)  # the oracle: optax.lbfgs, same steps
    close(w, ORACLE["lbfgs"]["w"], rtol=1e-8)
    close(v, ORACLE["lbfgs"]["v"], rtol=1e-12)
    with pytest.raises(wire.WireError, match="BFGS"):
        wire.scipy.optimize.minimize(lambda w: logistic_nll(W, w, x, y), onp.zeros(4),
                                     method="L-BFGS-B")


# --------------------------------------------------------------------------- transformer

TD, TH, TT, TF = 8, 2, 5, 16


def transformer_params():
    rng = onp.random.default_rng(3)
    g = lambda *s: rng.normal(size=s) / onp.sqrt(s[0])
    return {"wq": g(TD, TD), "wk": g(TD, TD), "wv": g(TD, TD), "wo": g(TD, TD),
            "ln1": (onp.ones(TD), onp.zeros(TD)), "ln2": (onp.ones(TD), onp.zeros(TD)),
            "mlp": [(g(TD, TF), onp.zeros(TF)), (g(TF, TD), onp.zeros(TD))]}


def layer_norm(ns, x, gb, eps=1e-5):
    np = ns.np
    mu, var = np.mean(x, -1, keepdims=True), np.var(x, -1, keepdims=True)
    return gb[0] * (x - mu) / np.sqrt(var + eps) + gb[1]


def attention(ns, p, x):
    np = ns.np
    split = lambda a: a.reshape(TT, TH, TD // TH).transpose(1, 0, 2)
    q, k, v = split(x @ p["wq"]), split(x @ p["wk"]), split(x @ p["wv"])
    s = np.einsum("htd,hsd->hts", q, k) / np.sqrt(TD // TH)
    s = np.where(np.tril(np.ones((TT, TT), dtype=bool)), s, -np.inf)  # causal mask
    a = ns.t.nn.softmax(s, axis=-1)
    return np.einsum("hts,hsd->htd", a, v).transpose(1, 0, 2).reshape(TT, TD) @ p["wo"]


def transformer_block(ns, p, x):
    x = x + attention(ns, p, layer_norm(ns, x, p["ln1"]))
    (w1, b1), (w2, b2) = p["mlp"]
    return x + ns.t.nn.gelu(layer_norm(ns, x, p["ln2"]) @ w1 + b1) @ w2 + b2


def transformer_loss(ns, p, xs, ys):
    return ns.np.mean((ns.t.vmap(lambda x: transformer_block(ns, p, x))(xs) - ys) ** 2)


def transformer_program(ns):
    rng = onp.random.default_rng(4)
    xs, ys = rng.normal(size=(4, TT, TD)), rng.normal(size=(4, TT, TD))
    p = transformer_params()
    value, grad = ns.t.value_and_grad(lambda p: transformer_loss(ns, p, xs, ys))(p)
    return value, grad


def test_transformer_block_with_causal_attention_and_layer_norm():
    value, grad = transformer_program(W)
    want = ORACLE["transformer"]
    close(value, want["loss"], rtol=1e-12)
    close(vdot(grad, direction(grad, 5)), want["dir"], rtol=1e-9)
    close([float(onp.sum(onp.square(g))) for g in wire.tree.leaves(grad)], want["sq"],
          rtol=1e-9)
    rng = onp.random.default_rng(4)
    xs, ys = rng.normal(size=(4, TT, TD)), rng.normal(size=(4, TT, TD))
    jitted = wire.jit(wire.grad(lambda p: transformer_loss(W, p, xs, ys)))(transformer_params())
    close(vdot(jitted, direction(grad, 5)), want["dir"], rtol=1e-9)


# --------------------------------------------------------------------------- DP-SGD

def mlp(ns, p, x):
    for w, b in p[:-1]:
        x = ns.np.tanh(x @ w + b)
    w, b = p[-1]
    return (x @ w + b)[..., 0]


def dp_grad(ns, p, xs, ys, clip=1.0):
    """Per-example gradients by ``vmap(grad)``, each clipped to norm ``clip``, averaged."""
    per = ns.t.vmap(ns.t.grad(lambda p, x, y: (mlp(ns, p, x) - y) ** 2), (None, 0, 0))(p, xs, ys)
    norms = ns.np.sqrt(sum(ns.np.sum(g.reshape(g.shape[0], -1) ** 2, 1)
                           for g in wire.tree.leaves(per)))
    scale = ns.np.minimum(1.0, clip / (norms + 1e-12))
    clipped = ns.tree_map(
        lambda g: ns.np.mean(g * scale.reshape((-1,) + (1,) * (g.ndim - 1)), 0), per)
    return clipped, norms


def dp_data():
    rng = onp.random.default_rng(6)
    p = [(rng.normal(size=(3, 10)) * 0.5, onp.zeros(10)),
         (rng.normal(size=(10, 1)) * 0.5, onp.zeros(1))]
    return p, rng.normal(size=(16, 3)), rng.normal(size=16) * 3


def test_dp_sgd_per_example_clipped_gradients():
    p, xs, ys = dp_data()
    grad, norms = dp_grad(W, p, xs, ys)
    want = ORACLE["dpsgd"]
    close(norms, want["norms"], rtol=1e-10)
    close(vdot(grad, direction(grad, 7)), want["dir"], rtol=1e-10)
    grad_j, norms_j = wire.jit(lambda p, a, b: dp_grad(W, p, a, b))(p, xs, ys)
    close(norms_j, norms, rtol=1e-12)
    close(vdot(grad_j, direction(grad, 7)), want["dir"], rtol=1e-10)
    # one example's gradient by itself, clipped by hand
    g0 = wire.grad(lambda p: (mlp(W, p, xs[0]) - ys[0]) ** 2)(p)
    n0 = onp.sqrt(sum(float(onp.sum(onp.square(g))) for g in wire.tree.leaves(g0)))
    close(n0, norms[0], rtol=1e-12)


# --------------------------------------------------------------------------- divergence

def vector_field(ns, x):
    np = ns.np
    return np.stack([np.sin(x[0]) * x[1] ** 2, x[0] * np.exp(-x[2]), np.tanh(x[0] * x[1] * x[2])])


def potential(ns, x):
    return ns.np.sum(ns.np.sin(x) ** 2) * ns.np.exp(-ns.np.sum(x ** 2) / 4)


def divergence_program(ns):
    x0 = onp.array([0.3, -0.7, 1.2])
    div = lambda x: ns.np.trace(ns.t.jacfwd(lambda y: vector_field(ns, y))(x))
    lap = lambda x: ns.np.trace(ns.t.hessian(lambda y: potential(ns, y))(x))
    vs = onp.random.default_rng(8).choice([-1.0, 1.0], size=(64, 3))
    hutch = ns.np.mean(ns.t.vmap(
        lambda v: v @ ns.t.jvp(lambda y: vector_field(ns, y), (x0,), (v,))[1])(vs))
    xs = onp.random.default_rng(9).normal(size=(5, 3))
    return {"div": div(x0), "grad_div": ns.t.grad(div)(x0), "lap": ns.t.vmap(lap)(xs),
            "hutch": hutch}


def test_divergence_laplacian_and_hutchinson_trace():
    out = divergence_program(W)
    for k, v in ORACLE["divergence"].items():
        close(out[k], v, rtol=1e-10)
    x0 = onp.array([0.3, -0.7, 1.2])
    a, b, c = x0
    closed = onp.cos(a) * b ** 2 + 0.0 + (1 - onp.tanh(a * b * c) ** 2) * a * b
    close(out["div"], closed, rtol=1e-13)
    close(wire.jacrev(lambda y: vector_field(W, y))(x0),
          wire.jacfwd(lambda y: vector_field(W, y))(x0), rtol=1e-13)


# --------------------------------------------------------------------------- MDN

MDN_K = 3


def mdn_nll(ns, p, x, y):
    np, sp = ns.np, ns.scipy.special
    h = np.tanh(x[:, None] @ p["w1"] + p["b1"])
    out = h @ p["w2"] + p["b2"]
    logits, mu, log_s = out[:, :MDN_K], out[:, MDN_K:2 * MDN_K], out[:, 2 * MDN_K:]
    log_pi = logits - sp.logsumexp(logits, axis=1, keepdims=True)
    lp = -0.5 * ((y[:, None] - mu) / np.exp(log_s)) ** 2 - log_s - 0.5 * np.log(2 * np.pi)
    return -np.mean(sp.logsumexp(log_pi + lp, axis=1))


def mdn_data():
    rng = onp.random.default_rng(10)
    p = {"w1": rng.normal(size=(1, 16)), "b1": onp.zeros(16),
         "w2": rng.normal(size=(16, 3 * MDN_K)) * 0.3, "b2": onp.zeros(3 * MDN_K)}
    x = rng.uniform(-1, 1, 50)
    y = onp.sin(3 * x) + onp.where(rng.uniform(size=50) < 0.5, 1.0, -1.0) * 0.5
    return p, x, y


def mdn_program(ns, steps=20, lr=0.05):
    p, x, y = mdn_data()
    step = ns.t.jit(lambda p: ns.tree_map(lambda a, g: a - lr * g, p,
                                          ns.t.grad(lambda p: mdn_nll(ns, p, x, y))(p)))
    v0, g0 = ns.t.value_and_grad(lambda p: mdn_nll(ns, p, x, y))(p)
    y_far = y.copy()
    y_far[0] = 1e3  # every component gives it log-density about -1e6: logsumexp keeps it
    v_far, g_far = ns.t.value_and_grad(lambda p: mdn_nll(ns, p, x, y_far))(p)
    for _ in range(steps):
        p = step(p)
    return {"v0": v0, "g0": vdot(g0, direction(g0, 11)), "v_far": v_far,
            "g_far": vdot(g_far, direction(g0, 11)), "trained": mdn_nll(ns, p, x, y)}


def test_mixture_density_network_and_its_training():
    out = mdn_program(W)
    for k, v in ORACLE["mdn"].items():
        close(out[k], v, rtol=1e-9)
    assert out["trained"] < out["v0"]


# --------------------------------------------------------------------------- implicit ODE

def backward_euler(ns):
    """``solve(z0, th)``: 20 backward-Euler steps of ``z' = -th z³ + sin z``, each solved by
    fixed-point iteration; the step's derivative is a ``custom_vjp`` (the adjoint solved by
    fixed-point iteration too), never the iterations."""
    np = ns.np

    def f(z, th):
        return -th * z ** 3 + np.sin(z)

    def fixed(g, z0):
        def cond(s):
            z, zp, i = s
            return (np.max(np.abs(z - zp)) > 1e-13) & (i < 200)

        return ns.lax.while_loop(cond, lambda s: (g(s[0]), s[0], s[2] + 1), (g(z0), z0, 0))[0]

    @ns.t.custom_vjp
    def step(z, th, h):
        return fixed(lambda w: z + h * f(w, th), z)

    def step_fwd(z, th, h):
        w = step(z, th, h)
        return w, (w, th, h)

    def step_bwd(res, gw):
        w, th, h = res
        _, vjp_w = ns.t.vjp(lambda w: f(w, th), w)
        u = fixed(lambda u: gw + h * vjp_w(u)[0], gw)  # u = (I - h ∂f/∂w)^-T gw
        _, vjp_th = ns.t.vjp(lambda th: f(w, th), th)
        return u, h * vjp_th(u)[0], np.zeros_like(h)

    step.defvjp(step_fwd, step_bwd)
    return lambda z0, th, h=0.05, n=20: ns.lax.scan(
        lambda z, _: (step(z, th, h), None), z0, None, length=n)[0]


def implicit_ode_program(ns):
    solve = backward_euler(ns)
    z0, th = onp.array([0.5, -1.0, 2.0]), 0.7
    loss = lambda z0, th: ns.np.sum(solve(z0, th) ** 2)
    gz, gth = ns.t.grad(loss, (0, 1))(z0, th)
    batch = ns.t.vmap(ns.t.grad(loss, 1), (None, 0))(z0, onp.array([0.5, 0.7]))
    return {"z": solve(z0, th), "gz": gz, "gth": gth, "batch": batch}


def test_backward_euler_with_a_custom_vjp_fixed_point_adjoint():
    out = implicit_ode_program(W)
    for k, v in ORACLE["implicit_ode"].items():
        close(out[k], v, rtol=1e-9)
    solve = backward_euler(W)
    z0 = onp.array([0.5, -1.0, 2.0])
    fd = (float(wnp.sum(solve(z0, 0.7 + 1e-6) ** 2))
          - float(wnp.sum(solve(z0, 0.7 - 1e-6) ** 2))) / 2e-6
    close(out["gth"], fd, rtol=1e-6)
    jitted = wire.jit(wire.grad(lambda z, th: wnp.sum(solve(z, th) ** 2), (0, 1)))(z0, 0.7)
    close(jitted[0], out["gz"], rtol=1e-12)


# --------------------------------------------------------------------------- checkpointing

def deep_chain(ns, ws, x, remat):
    def layer(x, w):
        return ns.np.tanh(w @ x) + 0.1 * x, None

    return ns.lax.scan(ns.t.checkpoint(layer) if remat else layer, x, ws)[0]


def deep_chain_python(ns, ws, x):
    f = ns.t.checkpoint(lambda w, x: ns.np.sin(w @ x),
                        policy=ns.t.checkpoint_policies.dots_saveable)
    for w in ws:
        x = f(w, x)
    return ns.np.sum(x)


def chain_data():
    rng = onp.random.default_rng(12)
    return rng.normal(size=(40, 6, 6)) / 2.5, rng.normal(size=6)


def chain_program(ns):
    ws, x = chain_data()
    loss = lambda ws, x: ns.np.sum(deep_chain(ns, ws, x, True) ** 2)
    gw, gx = ns.t.grad(loss, (0, 1))(ws, x)
    g2 = ns.t.grad(lambda ws: deep_chain_python(ns, ws, x))(ws[:10])
    hvp = ns.t.jvp(ns.t.grad(lambda x: deep_chain_python(ns, ws[:5], x)), (x,),
                   (onp.ones(6),))[1]
    return {"gw": onp.sum(gw * direction(gw, 13)), "gx": gx, "g2": onp.sum(g2 * direction(g2, 14)),
            "hvp": hvp}


def test_checkpointed_deep_chain():
    out = chain_program(W)
    for k, v in ORACLE["chain"].items():
        close(out[k], v, rtol=1e-9)
    ws, x = chain_data()
    plain = wire.grad(lambda ws: wnp.sum(deep_chain(W, ws, x, False) ** 2))(ws)
    remat = wire.jit(wire.grad(lambda ws: wnp.sum(deep_chain(W, ws, x, True) ** 2)))(ws)
    close(remat, plain, rtol=1e-12)


# --------------------------------------------------------------------------- truncated SVD

def tsvd_data():
    rng = onp.random.default_rng(14)
    a = rng.normal(size=(30, 8)) @ onp.diag([5, 4, 3, 2, 1, 0.5, 0.2, 0.1])
    return a, rng.normal(size=30)


def tsvd_solve(ns, a, b, k=4):
    u, s, vt = ns.np.linalg.svd(a, full_matrices=False)
    return vt[:k].T @ ((u[:, :k].T @ b) / s[:k])


def tsvd_program(ns):
    a, b = tsvd_data()
    loss = lambda a: ns.np.sum((a @ tsvd_solve(ns, a, b) - b) ** 2) + ns.np.sum(
        tsvd_solve(ns, a, b) ** 2)
    g = ns.t.grad(loss)(a)
    tangent = ns.t.jvp(lambda a: tsvd_solve(ns, a, b), (a,), (onp.ones_like(a),))[1]
    return {"x": tsvd_solve(ns, a, b), "g": onp.sum(g * direction(g, 15)), "jvp": tangent}


def test_low_rank_regression_through_a_truncated_svd():
    out = tsvd_program(W)
    for k, v in ORACLE["tsvd"].items():
        close(out[k], v, rtol=1e-8, atol=1e-11)
    a, b = tsvd_data()
    d = direction(a, 15)
    fd = (float(wnp.sum(tsvd_solve(W, a + 1e-6 * d, b))) -
          float(wnp.sum(tsvd_solve(W, a - 1e-6 * d, b)))) / 2e-6
    close(float(onp.sum(wire.grad(lambda a: wnp.sum(tsvd_solve(W, a, b)))(a) * d)), fd,
          rtol=1e-6)


# --------------------------------------------------------------------------- EKF

EKF_DT = 0.05


def pendulum_step(ns, x):
    return ns.np.stack([x[0] + EKF_DT * x[1], x[1] - EKF_DT * 9.81 * ns.np.sin(x[0])])


def ekf_loglik(ns, q, r, ys):
    """Extended Kalman filter: the Jacobians of the dynamics and the observation by
    ``jacfwd``/``jacrev`` inside the ``scan`` body."""
    np = ns.np
    obs = lambda x: np.sin(x[:1])

    def step(c, y):
        m, p = c
        f = ns.t.jacfwd(lambda x: pendulum_step(ns, x))(m)
        m, p = pendulum_step(ns, m), f @ p @ f.T + q * np.eye(2)
        h = ns.t.jacrev(obs)(m)
        s = h @ p @ h.T + r * np.eye(1)
        gain = ns.scipy.linalg.solve(s, h @ p, assume_a="pos").T
        v = y - obs(m)
        ll = -0.5 * (v @ np.linalg.solve(s, v) + np.linalg.slogdet(s)[1] + np.log(2 * np.pi))
        return (m + gain @ v, p - gain @ s @ gain.T), ll

    (m, _), lls = ns.lax.scan(step, (np.array([1.0, 0.0]), np.eye(2)), ys)
    return np.sum(lls), m


def ekf_data():
    xs = [onp.array([1.2, 0.0])]
    for _ in range(40):
        xs.append(onp.asarray(pendulum_step(W, xs[-1])))
    return onp.sin(onp.array(xs)[1:, :1]) + 0.05 * onp.random.default_rng(16).normal(size=(40, 1))


def test_extended_kalman_filter_with_jacobians_in_scan():
    ys = ekf_data()
    ll, m = ekf_loglik(W, 0.01, 0.0025, ys)
    g = wire.grad(lambda q, r: ekf_loglik(W, q, r, ys)[0], (0, 1))(0.01, 0.0025)
    want = ORACLE["ekf"]
    close(ll, want["ll"], rtol=1e-10)
    close(m, want["m"], rtol=1e-10)
    close(g, want["g"], rtol=1e-9)
    gj = wire.jit(wire.grad(lambda q, r: ekf_loglik(W, q, r, ys)[0], (0, 1)))(0.01, 0.0025)
    close(gj, want["g"], rtol=1e-9)


# --------------------------------------------------------------------------- Langevin

def ebm_energy(ns, x):
    return 0.25 * ns.np.sum(x ** 4) - 0.5 * ns.np.sum(x ** 2) + 0.1 * x[0] * x[1]


def langevin(ns, key, x0, n=100, eps=0.05):
    """Unadjusted Langevin dynamics, one key split per step inside ``fori_loop``."""
    g = ns.t.grad(lambda x: ebm_energy(ns, x))

    def body(i, s):
        x, key = s
        key, sub = ns.random.split(key)
        return x - eps * g(x) + ns.np.sqrt(2 * eps) * ns.random.normal(sub, x.shape), key

    return ns.lax.fori_loop(0, n, body, (x0, key))[0]


def langevin_numpy(key, x0, n=100, eps=0.05):
    """The same chain with the gradient in closed form and the same draws."""
    x = x0
    for _ in range(n):
        key, sub = wire.random.split(key)
        gx = x ** 3 - x + 0.1 * onp.array([x[1], x[0]])
        x = x - eps * gx + onp.sqrt(2 * eps) * onp.asarray(wire.random.normal(sub, x.shape))
    return x


def test_langevin_sampler_with_keys_in_fori_loop():
    key, x0 = wire.random.PRNGKey(3), onp.array([0.5, -0.5])
    want = langevin_numpy(key, x0)
    close(langevin(W, key, x0), want, rtol=1e-11, atol=1e-12)
    close(wire.jit(lambda k, x: langevin(W, k, x))(key, x0), want, rtol=1e-11, atol=1e-12)
    keys = wire.random.split(wire.random.PRNGKey(0), 3)
    close(wire.vmap(lambda k: langevin(W, k, x0))(keys),
          onp.stack([langevin_numpy(k, x0) for k in keys]), rtol=1e-11, atol=1e-12)


# --------------------------------------------------------------------------- HMC

def hmc_data():
    rng = onp.random.default_rng(17)
    return rng.normal(size=(40, 3)), (rng.uniform(size=40) < 0.5).astype(float)


def hmc_logp(ns, w, x, y):
    z = x @ w
    return ns.np.sum(y * z - ns.np.logaddexp(0.0, z)) - 0.5 * w @ w


def leapfrog(ns, x, p, eps, n, grad):
    p = p + 0.5 * eps * grad(x)

    def body(i, s):
        x, p = s
        x = x + eps * p
        return x, p + eps * grad(x)

    x, p = ns.lax.fori_loop(0, n - 1, body, (x, p))
    x = x + eps * p
    return x, p + 0.5 * eps * grad(x)


def hmc(ns, key, w0, n=30, eps=0.1, steps=8):
    xd, yd = hmc_data()
    logp = lambda w: hmc_logp(ns, w, xd, yd)
    grad = ns.t.grad(logp)

    def transition(c, key):
        w, lp = c
        k1, k2 = ns.random.split(key)
        p0 = ns.random.normal(k1, w.shape)
        wn, pn = leapfrog(ns, w, p0, eps, steps, grad)
        lpn = logp(wn)
        accept = ns.np.log(ns.random.uniform(k2)) < lpn - 0.5 * pn @ pn - lp + 0.5 * p0 @ p0
        w, lp = ns.np.where(accept, wn, w), ns.np.where(accept, lpn, lp)
        return (w, lp), (w, accept)

    return ns.lax.scan(transition, (w0, logp(w0)), ns.random.split(key, n))[1]


def hmc_numpy(key, w0, n=30, eps=0.1, steps=8):
    xd, yd = hmc_data()
    logp = lambda w: float(hmc_logp(SimpleNamespace(np=onp), w, xd, yd))
    grad = lambda w: xd.T @ (yd - 1 / (1 + onp.exp(-xd @ w))) - w
    w, lp, out = w0, logp(w0), []
    for k in wire.random.split(key, n):
        k1, k2 = wire.random.split(k)
        p0 = onp.asarray(wire.random.normal(k1, w.shape))
        wn, pn = leapfrog(SimpleNamespace(lax=SimpleNamespace(fori_loop=_py_fori)), w, p0,
                          eps, steps, grad)
        lpn = logp(wn)
        if onp.log(float(wire.random.uniform(k2))) < lpn - 0.5 * pn @ pn - lp + 0.5 * p0 @ p0:
            w, lp = wn, lpn
        out.append(w)
    return onp.array(out)


def _py_fori(lo, hi, body, init):
    for i in range(lo, hi):
        init = body(i, init)
    return init


def test_hmc_with_leapfrog_in_fori_loop_and_keys_in_scan():
    key = wire.random.PRNGKey(0)
    ws, accepted = wire.jit(lambda k: hmc(W, k, onp.zeros(3)))(key)
    close(ws, hmc_numpy(key, onp.zeros(3)), rtol=1e-10, atol=1e-12)
    assert accepted.dtype == bool and accepted.mean() > 0.5


# --------------------------------------------------------------------------- custom_root

def equilibrium(ns, params):
    """The angle where gravity's torque, a spring's ``k θ`` and an applied torque ``tau``
    balance: ``9.81 sin θ + k θ = tau``, by Newton's method in ``lax.custom_root``."""
    tau, k = params[0], params[1]
    g = lambda th: 9.81 * ns.np.sin(th) + k * th - tau

    def solve(g, th0):
        return ns.lax.fori_loop(0, 30, lambda i, th: th - g(th) / ns.t.grad(g)(th), th0)

    return ns.lax.custom_root(g, 0.3, solve, lambda g, y: y / g(1.0))


def test_pendulum_equilibrium_by_custom_root_and_the_implicit_function_theorem():
    p = onp.array([2.0, 0.5])
    th = float(equilibrium(W, p))
    assert abs(9.81 * onp.sin(th) + 0.5 * th - 2.0) < 1e-14
    d = 9.81 * onp.cos(th) + 0.5  # ∂g/∂θ
    close(wire.grad(lambda p: equilibrium(W, p))(p), [1 / d, -th / d], rtol=1e-13)
    # second derivatives: differentiate dθ/dτ = 1/d(θ(τ, k)) again
    dd = -9.81 * onp.sin(th)
    grad_th = onp.array([1 / d, -th / d])
    hess = onp.array([
        [-dd * grad_th[0] / d ** 2, -(dd * grad_th[1] + 1) / d ** 2],
        [-(grad_th[0] * d - th * (dd * grad_th[0])) / d ** 2,
         -(grad_th[1] * d - th * (dd * grad_th[1] + 1)) / d ** 2]])
    close(wire.hessian(lambda p: equilibrium(W, p))(p), hess, rtol=1e-11)
    batch = wire.jit(wire.vmap(wire.grad(lambda p: equilibrium(W, p))))(onp.stack([p, p]))
    close(batch, onp.stack([grad_th, grad_th]), rtol=1e-13)


# --------------------------------------------------------------------------- Newton

def rosenbrock(ns, x):
    return ns.np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def newton(ns, x0):
    g = ns.t.grad(lambda x: rosenbrock(ns, x))
    h = ns.t.hessian(lambda x: rosenbrock(ns, x))

    def cond(s):
        x, i = s
        return (ns.np.linalg.norm(g(x)) > 1e-10) & (i < 50)

    return ns.lax.while_loop(cond, lambda s: (s[0] - ns.np.linalg.solve(h(s[0]), g(s[0])),
                                              s[1] + 1), (x0, 0))


def residuals(ns, x):
    return ns.np.stack([10 * (x[1] - x[0] ** 2), 1 - x[0], ns.np.sin(x[2] * x[3])])


def test_newton_with_hessian_and_solve_in_a_while_loop_and_gauss_newton_products():
    x0 = onp.array([-1.2, 1.0, -0.5, 0.8])
    x, nit = wire.jit(lambda x: newton(W, x))(x0)
    assert int(nit) == ORACLE["newton"]["nit"]
    close(x, ORACLE["newton"]["x"], rtol=1e-12)
    xe, nite = newton(W, x0)
    close(xe, x, rtol=1e-13)
    assert int(nite) == int(nit)
    xv, nv = wire.vmap(lambda x: newton(W, x))(onp.stack([x0, -x0]))
    assert [int(n) for n in nv] == ORACLE["newton"]["nit_batch"]
    close(xv, ORACLE["newton"]["x_batch"], rtol=1e-12)
    # Gauss-Newton vector product Jᵀ(J v) by jvp then vjp
    v = onp.array([1.0, -2.0, 0.5, 0.3])
    jv = wire.jvp(lambda y: residuals(W, y), (x0,), (v,))[1]
    gnvp = wire.vjp(lambda y: residuals(W, y), x0)[1](jv)[0]
    jac = wire.jacfwd(lambda y: residuals(W, y))(x0)
    close(gnvp, jac.T @ jac @ v, rtol=1e-13)


# --------------------------------------------------------------------------- BBVI vs autograd

def bnn_logp(ns, w, x, y):
    np = ns.np
    w1, b1, w2 = w[:6].reshape(1, 6), w[6:12], w[12:18]
    f = np.tanh(x[:, None] @ w1 + b1) @ w2
    return -0.5 * np.sum(w ** 2) - 0.5 * np.sum((f - y) ** 2) / 0.01


def elbo(ns, mu, log_s, eps, x, y):
    samples = mu + ns.np.exp(log_s) * eps
    if ns.name == "autograd":
        lp = ns.np.array([bnn_logp(ns, w, x, y) for w in samples])
    else:
        lp = ns.t.vmap(lambda w: bnn_logp(ns, w, x, y))(samples)
    return ns.np.mean(lp) + ns.np.sum(log_s)


def test_black_box_variational_inference_gradient_matches_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    rng = onp.random.default_rng(18)
    x = onp.linspace(-2, 2, 20)
    y = onp.cos(x)
    eps = rng.normal(size=(10, 18))
    mu, log_s = rng.normal(size=18) * 0.3, -2 * onp.ones(18)
    got = wire.grad(lambda ms: elbo(W, ms[0], ms[1], eps, x, y))((mu, log_s))
    ag = SimpleNamespace(t=autograd, np=anp, name="autograd")
    want = autograd.grad(lambda ms: elbo(ag, ms[0], ms[1], eps, x, y))((mu, log_s))
    close(got[0], want[0], rtol=1e-10)
    close(got[1], want[1], rtol=1e-10)


# --------------------------------------------------------------------------- trapezoid

def test_scipy_integrate_trapezoid_and_cumulative_trapezoid():
    # jax.scipy.integrate.trapezoid ports: wire.scipy.integrate had only odeint (the old
    # code raised AttributeError here)
    import scipy.integrate

    from wire.scipy.integrate import cumulative_trapezoid, trapezoid

    rng = onp.random.default_rng(19)
    y = rng.normal(size=(3, 6))
    x = onp.sort(rng.uniform(size=6))
    x2 = onp.sort(rng.uniform(size=(3, 6)), axis=1)
    close(trapezoid(y, x), scipy.integrate.trapezoid(y, x), rtol=1e-14)
    close(trapezoid(y.T, dx=0.3, axis=0), scipy.integrate.trapezoid(y.T, dx=0.3, axis=0),
          rtol=1e-14)
    for kw in ({}, {"x": x}, {"dx": 0.3}, {"x": x, "initial": 0}, {"x": x2}):
        close(cumulative_trapezoid(y, **kw), scipy.integrate.cumulative_trapezoid(y, **kw),
              rtol=1e-14)
    kw = {"x": x[:3], "axis": 0, "initial": 0}
    close(cumulative_trapezoid(y, **kw), scipy.integrate.cumulative_trapezoid(y, **kw),
          rtol=1e-14)
    assert cumulative_trapezoid(onp.ones(3, onp.float32)).dtype == onp.float32
    assert cumulative_trapezoid(onp.ones(1)).shape == (0,)
    # the derivative in the samples and in the points (JAX's: jax.grad of trapezoid)
    t = onp.linspace(0.0, 1.0, 5)
    close(wire.grad(lambda t: trapezoid(t ** 2, t))(t), [-0.03125, 0.0, 0.0, 0.0, 1.03125],
          rtol=1e-14)
    f = lambda v: wnp.sum(cumulative_trapezoid(wnp.sin(v), v) ** 2)
    close(wire.grad(f)(x), fd_grad(lambda v: float(f(v)), x), rtol=1e-6, atol=1e-9)
    close(wire.jit(wire.grad(f))(x), wire.grad(f)(x), rtol=1e-13)
    with pytest.raises(wire.WireError, match="initial"):
        cumulative_trapezoid(y, initial=1.0)
    with pytest.raises(wire.WireError, match="points"):
        cumulative_trapezoid(y, x=x[:4])


# --------------------------------------------------------------------------- the examples

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@pytest.mark.parametrize("script,args,expect", [
    ("lennard_jones_md.py", ["--steps", "40"], "drift"),
    ("dp_sgd.py", ["--steps", "10"], "test accuracy"),
    ("tiny_transformer.py", ["--steps", "5"], "test accuracy"),
])
def test_examples_of_these_programs_run(script, args, expect, monkeypatch, capsys):
    """The runnable versions in examples/ (quick mode, in this process: the interpreter's
    start would cost more than the run)."""
    monkeypatch.syspath_prepend(EXAMPLES)
    monkeypatch.setattr("sys.argv", [script, *args])
    try:  # the examples limit BLAS to one thread; put the limit back afterwards
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(limits=None)
    except ImportError:
        limits = contextlib.nullcontext()
    with limits:
        runpy.run_path(os.path.join(EXAMPLES, script), run_name="__main__")
    assert expect in capsys.readouterr().out


# --------------------------------------------------------------------------- custom_linear_solve

def conjugate_gradients(mv, b, iters=40):
    """Plain CG in a ``fori_loop`` (a solver no derivative should go through)."""
    def body(i, s):
        x, r, p, rs = s
        ap = mv(p)
        pap = p @ ap
        alpha = wnp.where(pap == 0, 0.0, rs / wnp.where(pap == 0, 1.0, pap))
        x, r = x + alpha * p, r - alpha * ap
        rs_new = r @ r
        return x, r, r + rs_new / wnp.where(rs == 0, 1.0, rs) * p, rs_new

    return wire.lax.fori_loop(0, iters, body, (wnp.zeros_like(b), b, b, b @ b))[0]


def test_custom_linear_solve_with_conjugate_gradients_and_a_transpose_solve():
    # jax.lax.custom_linear_solve was missing (AttributeError); the oracle is the same
    # function written with wnp.linalg.solve, differentiated directly
    rng = onp.random.default_rng(20)
    m = rng.normal(size=(5, 5))
    s0, n0, b0 = m @ m.T + 5 * onp.eye(5), m + 6 * onp.eye(5), rng.normal(size=5)

    def sym(a, b):  # matvec closes over a: the derivative reaches it
        return wire.lax.custom_linear_solve(lambda x: a @ x, b, conjugate_gradients,
                                            symmetric=True)

    def nonsym(a, b):  # the solvers close over a too: constants of the rule
        return wire.lax.custom_linear_solve(
            lambda x: a @ x, b, lambda mv, r: wnp.linalg.solve(a, r),
            transpose_solve=lambda vm, r: wnp.linalg.solve(a.T, r))

    direct = lambda a, b: wnp.linalg.solve(a, b)
    e1, e2 = rng.normal(size=(2, 5, 5))
    e1, e2 = e1 + e1.T, e2 + e2.T

    def bilinear(h, symmetric):
        # symmetric=True promises A = Aᵀ (the transposed solve is the solve): the second
        # derivative is only A⁻¹'s along symmetric directions (as JAX's)
        return onp.einsum("ij,ijkl,kl->", e1, h, e2) if symmetric else h

    for fn, a in ((sym, s0), (nonsym, n0)):
        loss = lambda a, b, fn=fn: wnp.sum(wnp.sin(fn(a, b)))
        want = lambda a, b: wnp.sum(wnp.sin(direct(a, b)))
        close(fn(a, b0), onp.linalg.solve(a, b0), rtol=1e-12)
        for got, ref in [
            (wire.grad(loss, (0, 1))(a, b0), wire.grad(want, (0, 1))(a, b0)),
            (wire.jit(wire.grad(loss, (0, 1)))(a, b0), wire.grad(want, (0, 1))(a, b0)),
            (wire.jacfwd(fn, 0)(a, b0), wire.jacfwd(direct, 0)(a, b0)),
            (wire.jacfwd(fn, 1)(a, b0), wire.jacfwd(direct, 1)(a, b0)),
            (wire.hessian(loss, 1)(a, b0), wire.hessian(want, 1)(a, b0)),
            (bilinear(wire.hessian(lambda a: loss(a, b0))(a), fn is sym),
             bilinear(wire.hessian(lambda a: want(a, b0))(a), fn is sym)),
            (wire.vmap(wire.grad(loss), (0, None))(onp.stack([a, a + onp.eye(5)]), b0),
             wire.vmap(wire.grad(want), (0, None))(onp.stack([a, a + onp.eye(5)]), b0)),
        ]:
            for g, r in zip(wire.tree.leaves(got), wire.tree.leaves(ref)):
                close(g, r, rtol=1e-8, atol=1e-12)
    # the closed form: d sum(x)/dA = -A⁻ᵀ 1 xᵀ
    x = onp.linalg.solve(n0, b0)
    close(wire.grad(lambda a: wnp.sum(nonsym(a, b0)))(n0),
          -onp.outer(onp.linalg.solve(n0.T, onp.ones(5)), x), rtol=1e-12)
    # no transpose_solve: the value, and a clear error for a derivative
    close(wire.lax.custom_linear_solve(lambda v: n0 @ v, b0,
                                       lambda mv, r: wnp.linalg.solve(n0, r)), x, rtol=1e-12)
    with pytest.raises(wire.WireError, match="transpose_solve"):
        wire.grad(lambda b: wnp.sum(wire.lax.custom_linear_solve(
            lambda v: n0 @ v, b, lambda mv, r: wnp.linalg.solve(n0, r))))(b0)
    with pytest.raises(wire.ShapeError, match="solve"):
        wire.lax.custom_linear_solve(lambda v: n0 @ v, b0, lambda mv, r: r[:2])


def test_lower_compile_takes_the_functions_pytree_arguments_as_jax():
    # jax.jit(f).lower(params).compile()(params): wire had no compile() (AttributeError) and
    # its Lowered took only the flattened leaves ("takes 2 input leaves, got 1" for a dict)
    f = wire.jit(lambda p, x: {"y": wnp.tanh(x @ p["w"] + p["b"]), "n": [wnp.sum(x)]})
    params = {"w": onp.arange(6.0).reshape(3, 2) / 6, "b": onp.array([0.5, -0.5])}
    x = onp.linspace(-1.0, 1.0, 6).reshape(2, 3)
    compiled = f.lower(params, x).compile()
    got, want = compiled(params, x), f(params, x)
    assert wire.tree.structure(got) == wire.tree.structure(want)
    close(got["y"], onp.tanh(x @ params["w"] + params["b"]), rtol=1e-15)
    close(got["n"][0], want["n"][0], rtol=1e-15)
    leaves = wire.tree.leaves((params, x))  # the leaves in order still work
    close(compiled(*leaves)["y"], want["y"], rtol=1e-15)
    assert compiled.as_text() == compiled.source and "tanh" in compiled.as_text()
    with pytest.raises(wire.WireError, match="leaves"):
        compiled(params)


def test_tree_partial_passes_a_function_with_bound_arrays_through_transforms():
    # jax.tree_util.Partial (JAX 101's way to hand a function to jit): wire.tree had none
    from wire.tree import Partial

    f = Partial(lambda a, x, k=1.0: a * x + k, 2.0, k=onp.array(0.5))
    x = onp.arange(3.0)
    assert [float(v) for v in wire.tree.leaves(f)] == [2.0, 0.5]  # args, then keywords
    close(wire.jit(lambda f, x: f(x))(f, x), 2.0 * x + 0.5, rtol=1e-15)
    close(wire.vmap(lambda f: f(1.0))(Partial(f.func, x, k=x)), 2 * x, rtol=1e-15)
    # as a scan carry, rebuilt each step
    carry, ys = wire.lax.scan(lambda c, a: (Partial(c.func, c.args[0] * a, **c.keywords),
                                            c(a)), f, onp.array([1.0, 2.0, 3.0]))
    close(ys, [2.5, 4.5, 12.5], rtol=1e-15)
    assert isinstance(carry, Partial) and float(carry.args[0]) == 12.0
    close(wire.tree.map(lambda v: v * 10, f)(1.0), 25.0, rtol=1e-15)
    # derivatives reach the bound arrays; the function is structure, compared by identity
    g = wire.grad(lambda a: wire.jit(lambda h: h(3.0))(Partial(f.func, a, k=1.0)))(2.0)
    close(g, 3.0, rtol=1e-15)
    assert wire.tree.structure(Partial(print, 1.0)) == wire.tree.structure(Partial(print, 2.0))
    assert wire.tree.structure(Partial(print, 1.0)) != wire.tree.structure(Partial(len, 1.0))
    with pytest.raises(wire.WireTypeError, match="callable"):
        Partial(3.0)
