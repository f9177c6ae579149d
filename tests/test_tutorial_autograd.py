"""autograd's tutorial and eleven of its examples, run with only the imports changed, against
autograd itself (and exact values where autograd is off).

Each program is written once against a namespace ``ns``: ``ns.ag`` is ``autograd`` or
``wire``, ``ns.np`` ``autograd.numpy`` or ``wire.numpy``, and the other fields the modules the
original imports (``autograd.extend`` / ``wire.extend``, ``autograd.scipy.special`` /
``wire.scipy.special`` ...). Data comes from NumPy's seeded generators, so both runs see the
same inputs. Where the port needs more than an import change, the program says so.
"""

from functools import partial
from types import SimpleNamespace

import numpy as onp
import numpy.random as npr
import pytest
import scipy.optimize

import wire
import wire.extend
import wire.numpy as wnp
import wire.scipy.special
import wire.scipy.stats

autograd = pytest.importorskip("autograd")
import autograd.extend  # noqa: E402
import autograd.misc.fixed_points  # noqa: E402
from autograd.misc.flatten import flatten as ag_flatten, flatten_func as ag_flatten_func  # noqa
import autograd.misc.optimizers  # noqa: E402
import autograd.numpy as anp  # noqa: E402
import autograd.scipy.special  # noqa: E402
import autograd.scipy.stats.multivariate_normal  # noqa: E402
import autograd.scipy.stats.norm  # noqa: E402
import autograd.scipy.stats.t  # noqa: E402
import autograd.test_util  # noqa: E402

WIRE = SimpleNamespace(
    ag=wire, np=wnp, extend=wire.extend, special=wire.scipy.special,
    norm=wire.scipy.stats.norm, mvn=wire.scipy.stats.multivariate_normal,
    t=wire.scipy.stats.t, flatten=wire.tree.ravel, check_grads=wire.testing.check_grads, name="wire")
AUTOGRAD = SimpleNamespace(
    ag=autograd, np=anp, extend=autograd.extend, special=autograd.scipy.special,
    norm=autograd.scipy.stats.norm, mvn=autograd.scipy.stats.multivariate_normal,
    t=autograd.scipy.stats.t, flatten=ag_flatten, check_grads=autograd.test_util.check_grads,
    name="autograd")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning",
                                        "ignore::FutureWarning")


def leaves(x):
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in leaves(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in leaves(item)]
    return [x]


def assert_same(got, want, rtol=1e-10, atol=1e-12):
    g, w = leaves(got), leaves(want)
    assert len(g) == len(w)
    for a, b in zip(g, w):
        a, b = onp.asarray(a), onp.asarray(b)
        assert a.shape == b.shape, (a.shape, b.shape)
        onp.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def agree(program, **kw):
    got = program(WIRE)
    assert_same(got, program(AUTOGRAD), **kw)
    return got


# ------------------------------------------------------------------------- the tutorial


def tanh_program(ns, x):
    np, ag = ns.np, ns.ag

    def tanh(x):
        y = np.exp(-2.0 * x)
        return (1.0 - y) / (1.0 + y)

    grad_tanh = ag.grad(tanh)
    outs = [grad_tanh(1.0), (tanh(1.0001) - tanh(0.9999)) / 0.0002, tanh(x)]
    f = tanh
    for _ in range(6):
        f = ag.elementwise_grad(f)
        outs.append(f(x))
    return outs


def tanh_derivatives(x, n):
    """tanh's derivatives of orders 1..n, exactly: each is a polynomial in t = tanh(x)."""
    t, p, out = onp.tanh(x), onp.polynomial.Polynomial([0.0, 1.0]), []
    for _ in range(n):
        p = p.deriv() * onp.polynomial.Polynomial([1.0, 0.0, -1.0])
        out.append(p(t))
    return out


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")   # autograd's, at x = -7
def test_tanh_and_its_derivatives_to_order_six():
    x = onp.linspace(-7, 7, 200)
    w = tanh_program(WIRE, x)
    a = tanh_program(AUTOGRAD, x)
    assert_same(w[:3], a[:3])
    assert abs(float(w[0]) - 0.41997434161402603) < 1e-15
    exact = tanh_derivatives(x, 6)
    for k in range(6):
        scale = onp.max(onp.abs(exact[k]))
        onp.testing.assert_allclose(w[3 + k], exact[k], rtol=1e-9, atol=1e-12 * scale)
    # autograd's own sixth derivative cancels catastrophically where exp(-2x) is large
    # (2e6 for 1e-4 at x = -7); it agrees with wire elsewhere
    middle = onp.abs(x) < 4
    for k in range(5):
        assert_same(w[3 + k], a[3 + k], rtol=1e-7, atol=1e-9)
    assert_same(w[8][middle], a[8][middle], rtol=1e-6, atol=1e-6)
    assert onp.max(onp.abs(a[8] - exact[5])) > 1e5 > 1e-6 > onp.max(onp.abs(w[8] - exact[5]))


def test_logistic_regression_training():
    def program(ns):
        np, ag = ns.np, ns.ag

        def sigmoid(x):
            return 0.5 * (np.tanh(x / 2.) + 1)

        def logistic_predictions(weights, inputs):
            return sigmoid(np.dot(inputs, weights))

        def training_loss(weights):
            preds = logistic_predictions(weights, inputs)
            label_probabilities = preds * targets + (1 - preds) * (1 - targets)
            return -np.sum(np.log(label_probabilities))

        inputs = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15],
                           [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
        targets = np.array([True, True, False, True])
        training_gradient_fun = ag.grad(training_loss)
        weights = np.array([0.0, 0.0, 0.0])
        first = training_loss(weights)
        for i in range(100):
            weights -= training_gradient_fun(weights) * 0.01
        ns.check_grads(training_loss, modes=["fwd", "rev"], order=2)(weights)
        return first, training_loss(weights), weights
    first, last, _ = agree(program)
    assert last < first


def test_custom_primitive_with_defvjp():
    def program(ns):
        np, ag = ns.np, ns.ag
        primitive, defvjp = ns.extend.primitive, ns.extend.defvjp

        @primitive
        def logsumexp(x):
            """Numerically stable log(sum(exp(x)))"""
            max_x = np.max(x)
            return max_x + np.log(np.sum(np.exp(x - max_x)))

        def logsumexp_vjp(ans, x):
            x_shape = x.shape
            return lambda g: np.full(x_shape, g) * np.exp(x - np.full(x_shape, ans))

        defvjp(logsumexp, logsumexp_vjp)

        def example_func(y):
            z = y ** 2
            lse = logsumexp(z)
            return np.sum(lse)

        grad_of_example = ag.grad(example_func)
        x = np.array([1.5, 6.7, 1e-10])
        ns.check_grads(example_func, modes=["rev"], order=2)(x)
        return logsumexp(x), grad_of_example(x), ag.elementwise_grad(grad_of_example)(x)
    agree(program)


def test_primitive_rules_keyword_arguments_none_and_jvps():
    def program(ns):
        np, ag = ns.np, ns.ag
        primitive, defvjp, defjvp = ns.extend.primitive, ns.extend.defvjp, ns.extend.defjvp

        @primitive
        def f(x, y, scale=1.0):
            return scale * np.sin(x) * y

        defvjp(f, lambda ans, x, y, scale=1.0: lambda g: g * scale * np.cos(x) * y,
               lambda ans, x, y, scale=1.0: lambda g: g * scale * np.sin(x))

        @primitive
        def k(x, y):
            return x * y

        defvjp(k, lambda ans, x, y: lambda g: g * y, None)   # None: no derivative in y

        @primitive
        def h(x, y):
            return x * y ** 2

        defjvp(h, lambda g, ans, x, y: g * y ** 2, lambda g, ans, x, y: 2 * g * x * y)
        x, y = np.array([0.3, 1.2]), np.array([2.0, -1.0])
        jvp_h = (wire.jvp(lambda x: h(x, y), (x,), (np.ones(2),))[1] if ns is WIRE
                 else autograd.make_jvp(lambda x: h(x, y))(x)(np.ones(2))[1])
        return (ag.grad(lambda x, y: np.sum(f(x, y, scale=2.0)))(x, y),
                ag.grad(lambda x, y: np.sum(f(x, y)), 1)(x, y),
                ag.elementwise_grad(ag.elementwise_grad(lambda x: f(x, y)))(x),
                ag.grad(lambda x, y: np.sum(k(x, y)), 0)(x, y),
                ag.grad(lambda x, y: np.sum(k(x, y)), 1)(x, y), jvp_h)
    agree(program)


def test_primitive_rules_hold_under_jit_vmap_and_reverse_over_jvp():
    @wire.extend.primitive
    def f(x):
        return wnp.sin(x)

    wire.extend.defvjp(f, lambda ans, x: lambda g: 2.0 * g * wnp.cos(x))   # a custom rule

    xs = onp.array([0.5, 1.0])
    assert_same(wire.jit(wire.grad(f))(0.5), 2 * onp.cos(0.5))
    assert_same(wire.vmap(wire.grad(f))(xs), 2 * onp.cos(xs))
    assert_same(wire.jit(wire.vmap(wire.grad(wire.grad(f))))(xs), -2 * onp.sin(xs))

    @wire.extend.primitive
    def h(x, y):
        return x * y ** 2

    wire.extend.defjvp(h, lambda g, ans, x, y: g * y ** 2, lambda g, ans, x, y: 2 * g * x * y)
    x, y = onp.array([0.3, 1.2]), onp.array([2.0, -1.0])
    assert_same(wire.grad(lambda x, y: wnp.sum(h(x, y)), 1)(x, y), 2 * x * y)  # transposed
    with pytest.raises(wire.WireError, match="not a @primitive"):
        wire.extend.defvjp(lambda x: x, None)

    # an argument with no rule (autograd: NotImplementedError) is differentiated through
    # the function's code, in both directions and to second order
    @wire.extend.primitive
    def g(x, y):
        return wnp.sin(x) * y ** 2

    wire.extend.defvjp(g, lambda ans, x, y: lambda ct: ct * wnp.cos(x) * y ** 2)
    assert_same(wire.jit(wire.grad(g, (0, 1)))(0.5, 3.0),
                (9 * onp.cos(0.5), 6 * onp.sin(0.5)))
    assert_same(wire.jvp(g, (0.5, 3.0), (1.0, 1.0))[1], 9 * onp.cos(0.5) + 6 * onp.sin(0.5))
    v = onp.array([0.5, 3.0])
    assert_same(wire.hessian(lambda v: g(v[0], v[1]))(v),
                onp.array([[-9 * onp.sin(0.5), 6 * onp.cos(0.5)],
                           [6 * onp.cos(0.5), 2 * onp.sin(0.5)]]))


def test_autograd_names_and_complex_gradients():
    def program(ns):
        np, ag = ns.np, ns.ag
        f = lambda x: np.sum(np.tanh(x) ** 3)
        x, v = np.array([0.3, -0.5]), np.array([1., 2.])
        g = lambda x, a: np.sum(a * np.sin(x) ** 2)
        return (ag.hessian_vector_product(f)(x, v), ag.hessian(f)(x), ag.jacobian(np.tanh)(x),
                ag.value_and_grad(f)(x), ag.holomorphic_grad(np.sin)(1.0 + 1j),
                ag.hessian_vector_product(g)(x, 3.0, v), ag.jacobian(g, 1)(x, 3.0),
                ag.grad(lambda z: np.abs(z) ** 2)(3. + 4j))
    agree(program)


def test_methods_slicing_and_transposes():
    def program(ns):
        np, ag = ns.np, ns.ag

        def f(A, B):
            return (np.sum(A.T) + np.sum(A[0, 1:]) + np.sum(np.dot(A, B).reshape(-1))
                    + np.sum(A.T @ B) + np.sum(np.sin(A)[::-1, 0] * B[:, 1]))

        a, b = np.array([[1., 2.], [3., 4.]]), np.array([[0.5, -1.], [2., 1.]])
        return ag.grad(f)(a, b), ag.grad(f, 1)(a, b)
    agree(program)
    # (autograd's boxes have no .dot method; wire's tracers do)
    b = onp.array([[0.5, -1.], [2., 1.]])
    assert_same(wire.grad(lambda A: wnp.sum(A.dot(b)))(onp.eye(2)),
                autograd.grad(lambda A: anp.sum(anp.dot(A, b)))(onp.eye(2)))


# --------------------------------------------------------------------------- examples


def test_example_neural_net():
    # examples/neural_net.py on random data; autograd.misc.optimizers.adam becomes
    # wire.optim.adam (same update rule), the only change beyond imports
    def program(ns):
        np, ag = ns.np, ns.ag
        logsumexp, flatten = ns.special.logsumexp, ns.flatten

        def init_random_params(scale, layer_sizes, rs=npr.RandomState(0)):
            return [(scale * rs.randn(m, n), scale * rs.randn(n))
                    for m, n in zip(layer_sizes[:-1], layer_sizes[1:])]

        def neural_net_predict(params, inputs):
            for W, b in params:
                outputs = np.dot(inputs, W) + b
                inputs = np.tanh(outputs)
            return outputs - logsumexp(outputs, axis=1, keepdims=True)

        def l2_norm(params):
            flattened, _ = flatten(params)
            return np.dot(flattened, flattened)

        def log_posterior(params, inputs, targets, L2_reg):
            log_prior = -L2_reg * l2_norm(params)
            log_lik = np.sum(neural_net_predict(params, inputs) * targets)
            return log_prior + log_lik

        def accuracy(params, inputs, targets):
            target_class = np.argmax(targets, axis=1)
            predicted_class = np.argmax(neural_net_predict(params, inputs), axis=1)
            return np.mean(predicted_class == target_class)

        rs = npr.RandomState(1)
        X, T = rs.randn(64, 8), onp.eye(3)[rs.randint(0, 3, 64)]
        L2_reg, batch_size = 1.0, 16
        init_params = init_random_params(0.1, [8, 10, 6, 3])
        num_batches = int(np.ceil(len(X) / batch_size))

        def batch_indices(iter):
            idx = iter % num_batches
            return slice(idx * batch_size, (idx + 1) * batch_size)

        def objective(params, iter):
            idx = batch_indices(iter)
            return -log_posterior(params, X[idx], T[idx], L2_reg)

        objective_grad = ag.grad(objective)
        g0 = objective_grad(init_params, 1)
        if ns is AUTOGRAD:
            params = autograd.misc.optimizers.adam(objective_grad, init_params, step_size=0.01,
                                                   num_iters=20)
        else:
            opt = wire.optim.adam(0.01)
            params, state = init_params, opt.init(init_params)
            for i in range(20):
                updates, state = opt.update(objective_grad(params, i), state, params)
                params = wire.optim.apply_updates(params, updates)
        return g0, params, accuracy(params, X, T), objective(params, 0)
    agree(program, rtol=1e-9)


def test_example_black_box_svi():
    def program(ns):
        np, ag, norm, mvn = ns.np, ns.ag, ns.norm, ns.mvn

        def black_box_variational_inference(logprob, D, num_samples):
            def unpack_params(params):
                mean, log_std = params[:D], params[D:]
                return mean, log_std

            def gaussian_entropy(log_std):
                return 0.5 * D * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)

            rs = npr.RandomState(0)

            def variational_objective(params, t):
                mean, log_std = unpack_params(params)
                samples = rs.randn(num_samples, D) * np.exp(log_std) + mean
                lower_bound = gaussian_entropy(log_std) + np.mean(logprob(samples, t))
                return -lower_bound

            gradient = ag.grad(variational_objective)
            return variational_objective, gradient, unpack_params

        D = 2

        def log_posterior(x, t):
            mu, log_sigma = x[:, 0], x[:, 1]
            prior = norm.logpdf(log_sigma, 0, 1.35)
            likelihood = norm.logpdf(mu, 0, np.exp(log_sigma))
            return prior + likelihood

        objective, gradient, unpack_params = black_box_variational_inference(
            log_posterior, D, num_samples=200)
        params = np.concatenate([-1 * np.ones(D), -5 * np.ones(D)])
        grads = []
        for t in range(10):
            grads.append(gradient(params, t))
            params = params - 0.05 * grads[-1]
        mean, log_std = unpack_params(params)
        xs = onp.array([[0.1, -0.2], [0.5, 0.3]])
        cov = np.diag(np.exp(2 * log_std))
        return grads, params, mvn.pdf(xs, mean, cov), mvn.logpdf(xs, mean, cov)
    agree(program, rtol=1e-9)


def test_example_fixed_points():
    # autograd.misc.fixed_points.fixed_point(f, a, x0, distance, tol) takes a function of the
    # parameter returning the iteration; wire.fixed_point(f, x0, *params, tol) takes the
    # iteration itself: the one call needs rewriting. Both differentiate implicitly.
    def newton_sqrt_iter(np, a):
        return lambda x: 0.5 * (x + a / x)

    def grad_descent_sqrt_iter(a):
        return lambda x: x - 0.05 * (x ** 2 - a)

    def program(ns, iteration, tol):
        np, ag = ns.np, ns.ag
        if ns is AUTOGRAD:
            def sqrt(a, guess=10.0):
                return autograd.misc.fixed_points.fixed_point(
                    iteration, a, guess, lambda x, y: np.abs(x - y), tol)
        else:
            def sqrt(a, guess=10.0):
                return wire.fixed_point(lambda x, a: iteration(a)(x), guess, a, tol=tol)
        return (np.sqrt(2.0), sqrt(2.0), ag.grad(np.sqrt)(2.0), ag.grad(sqrt)(2.0),
                ag.grad(ag.grad(np.sqrt))(2.0), ag.grad(ag.grad(sqrt))(2.0))

    newton = lambda a: newton_sqrt_iter(wnp, a)
    w = program(WIRE, newton, 1e-12)
    assert_same(w, program(AUTOGRAD, newton, 1e-12), rtol=1e-9)
    exact = [onp.sqrt(2.0), 0.5 / onp.sqrt(2.0), -0.25 * 2.0 ** -1.5]
    assert_same(w[1::2], exact, rtol=1e-9)
    # the example's slow iteration stopped at tol 1e-4: both are near the exact values
    w = program(WIRE, grad_descent_sqrt_iter, 1e-4)
    a = program(AUTOGRAD, grad_descent_sqrt_iter, 1e-4)
    for got, want, true in zip(w[1::2], a[1::2], exact):
        assert abs(got - true) < 2e-3 and abs(want - true) < 2e-3


def test_example_negative_binomial_maxlike():
    def program(ns):
        np, ag, gammaln = ns.np, ns.ag, ns.special.gammaln

        def newton(f, x0):
            return scipy.optimize.newton(f, x0, fprime=ag.grad(f), fprime2=ag.grad(ag.grad(f)))

        def negbin_loglike(r, p, x):
            return (gammaln(r + x) - gammaln(r) - gammaln(x + 1) + x * np.log(p)
                    + r * np.log(1 - p))

        def negbin_sample(r, p, size):
            return npr.poisson(npr.gamma(r, p / (1 - p), size=size))

        def fit_maxlike(x, r_guess):
            assert np.var(x) > np.mean(x), "Likelihood-maximizing parameters don't exist!"
            loglike = lambda r, p: np.sum(negbin_loglike(r, p, x))
            p = lambda r: np.sum(x) / np.sum(r + x)
            rprime = lambda r: ag.grad(loglike)(r, p(r))
            r = newton(rprime, r_guess)
            return r, p(r)

        npr.seed(0)
        data = negbin_sample(r=5, p=0.5, size=200)
        r, p = fit_maxlike(data, r_guess=1)
        stationary = ag.grad(lambda rp: np.sum(negbin_loglike(rp[0], rp[1], data)))((r, p))
        return r, p, stationary, np.exp(negbin_loglike(r, p, np.arange(data.max())))
    r, p, stationary, _ = agree(program, rtol=1e-8)
    assert max(abs(float(s)) for s in stationary) < 1e-6


def test_example_gmm():
    # autograd.misc.flatten.flatten_func has no wire counterpart; it is three lines on
    # wire.tree.ravel
    def program(ns):
        np, ag, logsumexp, mvn = ns.np, ns.ag, ns.special.logsumexp, ns.mvn
        if ns is AUTOGRAD:
            flatten_func = ag_flatten_func
        else:
            def flatten_func(func, example):
                flat, unflatten = wire.tree.ravel(example)
                return (lambda x, *args: func(unflatten(x), *args)), unflatten, flat

        def init_gmm_params(num_components, D, scale, rs=npr.RandomState(0)):
            return {"log proportions": rs.randn(num_components) * scale,
                    "means": rs.randn(num_components, D) * scale,
                    "lower triangles": np.zeros((num_components, D, D)) + np.eye(D)}

        def log_normalize(x):
            return x - logsumexp(x)

        def unpack_gmm_params(params):
            normalized_log_proportions = log_normalize(params["log proportions"])
            return normalized_log_proportions, params["means"], params["lower triangles"]

        def gmm_log_likelihood(params, data):
            cluster_lls = []
            for log_proportion, mean, cov_sqrt in zip(*unpack_gmm_params(params)):
                cov = np.dot(cov_sqrt.T, cov_sqrt)
                cluster_lls.append(log_proportion + mvn.logpdf(data, mean, cov))
            return np.sum(logsumexp(np.vstack(cluster_lls), axis=0))

        init_params = init_gmm_params(num_components=3, D=2, scale=0.1)
        data = npr.RandomState(5).randn(30, 2) * 0.7 + onp.array([0.5, -0.2])

        def objective(params):
            return -gmm_log_likelihood(params, data)

        flattened_obj, unflatten, flat0 = flatten_func(objective, init_params)
        hvp = ag.hessian_vector_product(flattened_obj)
        res = scipy.optimize.minimize(flattened_obj, flat0, jac=ag.grad(flattened_obj),
                                      hessp=hvp, method="Newton-CG", options=dict(maxiter=3))
        return (objective(init_params), ag.grad(flattened_obj)(flat0),
                hvp(flat0, onp.linspace(-1, 1, flat0.size)), res.x, res.fun)
    agree(program, rtol=1e-8, atol=1e-10)


def test_example_rosenbrock():
    def program(ns):
        np, ag = ns.np, ns.ag

        def rosenbrock(x):
            return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2

        result = scipy.optimize.minimize(ag.value_and_grad(rosenbrock), np.array([0.0, 0.0]),
                                         jac=True, method="CG")
        return result.x, result.nit, ag.grad(rosenbrock)(np.array([-1.0, 1.5]))
    x, _, _ = agree(program)
    assert_same(x, onp.ones(2), rtol=1e-4)


def test_example_fluidsim():
    # examples/fluidsim on an 8 x 8 grid for 3 steps: np.roll, floor(...).astype(int) of
    # traced values, fancy indexing with those indices, in-place -= on traced arrays
    def program(ns):
        np, ag = ns.np, ns.ag

        def project(vx, vy):
            p = np.zeros(vx.shape)
            h = 1.0 / vx.shape[0]
            div = -0.5 * h * (np.roll(vx, -1, axis=0) - np.roll(vx, 1, axis=0)
                              + np.roll(vy, -1, axis=1) - np.roll(vy, 1, axis=1))
            for k in range(10):
                p = (div + np.roll(p, 1, axis=0) + np.roll(p, -1, axis=0)
                     + np.roll(p, 1, axis=1) + np.roll(p, -1, axis=1)) / 4.0
            vx -= 0.5 * (np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)) / h
            vy -= 0.5 * (np.roll(p, -1, axis=1) - np.roll(p, 1, axis=1)) / h
            return vx, vy

        def advect(f, vx, vy):
            rows, cols = f.shape
            cell_ys, cell_xs = np.meshgrid(np.arange(rows), np.arange(cols))
            center_xs = (cell_xs - vx).ravel()
            center_ys = (cell_ys - vy).ravel()
            left_ix = np.floor(center_xs).astype(int)
            top_ix = np.floor(center_ys).astype(int)
            rw = center_xs - left_ix
            bw = center_ys - top_ix
            left_ix = np.mod(left_ix, rows)
            right_ix = np.mod(left_ix + 1, rows)
            top_ix = np.mod(top_ix, cols)
            bot_ix = np.mod(top_ix + 1, cols)
            flat_f = ((1 - rw) * ((1 - bw) * f[left_ix, top_ix] + bw * f[left_ix, bot_ix])
                      + rw * ((1 - bw) * f[right_ix, top_ix] + bw * f[right_ix, bot_ix]))
            return np.reshape(flat_f, (rows, cols))

        def simulate(vx, vy, smoke, num_time_steps):
            for t in range(num_time_steps):
                vx_updated = advect(vx, vx, vy)
                vy_updated = advect(vy, vx, vy)
                vx, vy = project(vx_updated, vy_updated)
                smoke = advect(smoke, vx, vy)
            return smoke

        rs = npr.RandomState(0)
        rows = cols = 8
        init_smoke, target = rs.rand(rows, cols), rs.rand(rows, cols)

        def objective(params):
            init_vx = np.reshape(params[:rows * cols], (rows, cols))
            init_vy = np.reshape(params[rows * cols:], (rows, cols))
            final_smoke = simulate(init_vx, init_vy, init_smoke, 3)
            return np.mean((target - final_smoke) ** 2)

        p0 = rs.randn(2 * rows * cols) * 0.3
        value, grad = ag.value_and_grad(objective)(p0)
        result = scipy.optimize.minimize(ag.value_and_grad(objective), p0, jac=True,
                                         method="CG", options={"maxiter": 3})
        return value, grad, result.x, result.fun
    agree(program, rtol=1e-9)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")   # log(0): as the example
def test_example_hmm_em():
    # examples/hmm_em: the E step is the gradient of the log partition function with respect
    # to the log parameters (a list), iterated to a fixed point in plain Python
    def program(ns):
        np, ag, logsumexp = ns.np, ns.ag, ns.special.logsumexp
        vgrad = ag.value_and_grad

        def EM(init_params, data, callback=None):
            def EM_update(params):
                natural_params = list(map(np.log, params))
                loglike, E_stats = vgrad(log_partition_function)(natural_params, data)
                if callback:
                    callback(loglike, params)
                return list(map(normalize, E_stats))

            def fixed_point(f, x0):
                x1 = f(x0)
                while different(x0, x1):
                    x0, x1 = x1, f(x1)
                return x1

            def different(params1, params2):
                allclose = partial(np.allclose, atol=1e-3, rtol=1e-3)
                return not all(map(allclose, params1, params2))

            return fixed_point(EM_update, init_params)

        def normalize(a):
            def replace_zeros(a):
                return np.where(a > 0., a, 1.)
            return a / replace_zeros(a.sum(-1, keepdims=True))

        def log_partition_function(natural_params, data):
            if isinstance(data, list):
                return sum(map(partial(log_partition_function, natural_params), data))
            log_pi, log_A, log_B = natural_params
            log_alpha = log_pi
            for y in data:
                log_alpha = logsumexp(log_alpha[:, None] + log_A, axis=0) + log_B[:, y]
            return logsumexp(log_alpha)

        rs = npr.RandomState(0)
        S, O = 3, 4
        init = (normalize(rs.rand(S)), normalize(rs.rand(S, S)), normalize(rs.rand(S, O)))
        data = [rs.randint(0, O, size=n) for n in (6, 5, 7)]
        loglikes = []
        params = EM(init, data, lambda ll, p: loglikes.append(ll))
        return params, loglikes
    _, loglikes = agree(program, rtol=1e-9)
    assert all(b >= a - 1e-9 for a, b in zip(loglikes, loglikes[1:]))   # EM never goes down


def test_example_ica():
    def program(ns):
        np, ag, t = ns.np, ns.ag, ns.t

        def make_ica_funs(observed_dimension, latent_dimension):
            def sample(weights, n_samples, noise_std, rs):
                latents = rs.randn(latent_dimension, n_samples)
                latents = np.array(sorted(latents.T, key=lambda a_entry: a_entry[0])).T
                noise = rs.randn(n_samples, observed_dimension) * noise_std
                observed = predict(weights, latents) + noise
                return latents, observed

            def predict(weights, latents):
                return np.dot(weights, latents).T

            def logprob(weights, latents, noise_std, observed):
                preds = predict(weights, latents)
                return np.sum(t.logpdf(preds, 2.4, observed, noise_std))

            num_weights = observed_dimension * latent_dimension

            def unpack_weights(weights):
                return np.reshape(weights, (observed_dimension, latent_dimension))

            return num_weights, sample, logprob, unpack_weights

        observed_dimension, latent_dimension, n_samples = 10, 2, 20
        num_weights, sample, logprob, unpack_weights = make_ica_funs(observed_dimension,
                                                                     latent_dimension)
        num_latent_params = latent_dimension * n_samples

        def unpack_params(params):
            weights = unpack_weights(params[:num_weights])
            latents = np.reshape(params[num_weights:num_weights + num_latent_params],
                                 (latent_dimension, n_samples))
            return weights, latents, np.exp(params[-1])

        rs = npr.RandomState(0)
        true_weights = np.zeros((observed_dimension, latent_dimension))
        for i in range(latent_dimension):
            true_weights[:, i] = np.sin(np.linspace(0, 4 + i * 3.2, observed_dimension))
        _, data = sample(true_weights, n_samples, 1.0, rs)

        def objective(params):
            weight_matrix, latents, noise_std = unpack_params(params)
            return -logprob(weight_matrix, latents, noise_std, data) / n_samples

        init_params = npr.RandomState(0).randn(num_weights + num_latent_params + 1)
        result = scipy.optimize.minimize(ag.value_and_grad(objective), init_params, jac=True,
                                         method="CG", options={"maxiter": 5})
        return data, ag.value_and_grad(objective)(init_params), result.x, result.fun
    agree(program, rtol=1e-9)


def test_example_sinusoid_with_a_data_dependent_loop():
    # examples/sinusoid: the Taylor series of sin stops when a term is small, so each x takes
    # its own number of iterations; grad and grad(grad) at 100 points must follow each one
    def program(ns):
        np, ag = ns.np, ns.ag

        def fun(x):
            return np.sin(x)

        d_fun = ag.grad(fun)
        dd_fun = ag.grad(d_fun)
        x = np.linspace(-10, 10, 100)
        out = [list(map(fun, x)), list(map(d_fun, x)), list(map(dd_fun, x))]

        def fun(x):
            currterm = x
            ans = currterm
            for i in range(1000):
                currterm = -currterm * x ** 2 / ((2 * i + 3) * (2 * i + 2))
                ans = ans + currterm
                if np.abs(currterm) < 0.2:
                    break  # (Very generous tolerance!)
            return ans

        d_fun = ag.grad(fun)
        dd_fun = ag.grad(d_fun)
        return out + [list(map(fun, x)), list(map(d_fun, x)), list(map(dd_fun, x)),
                      ag.grad(ag.grad(ag.grad(fun)))(3.0)]
    agree(program)


def test_example_gaussian_process():
    def program(ns):
        np, ag, mvn = ns.np, ns.ag, ns.mvn
        solve = np.linalg.solve

        def make_gp_funs(cov_func, num_cov_params):
            def unpack_kernel_params(params):
                mean = params[0]
                cov_params = params[2:]
                noise_scale = np.exp(params[1]) + 0.0001
                return mean, cov_params, noise_scale

            def predict(params, x, y, xstar):
                mean, cov_params, noise_scale = unpack_kernel_params(params)
                cov_f_f = cov_func(cov_params, xstar, xstar)
                cov_y_f = cov_func(cov_params, x, xstar)
                cov_y_y = cov_func(cov_params, x, x) + noise_scale * np.eye(len(y))
                pred_mean = mean + np.dot(solve(cov_y_y, cov_y_f).T, y - mean)
                pred_cov = cov_f_f - np.dot(solve(cov_y_y, cov_y_f).T, cov_y_f)
                return pred_mean, pred_cov

            def log_marginal_likelihood(params, x, y):
                mean, cov_params, noise_scale = unpack_kernel_params(params)
                cov_y_y = cov_func(cov_params, x, x) + noise_scale * np.eye(len(y))
                prior_mean = mean * np.ones(len(y))
                return mvn.logpdf(y, prior_mean, cov_y_y)

            return num_cov_params + 2, predict, log_marginal_likelihood

        def rbf_covariance(kernel_params, x, xp):
            output_scale = np.exp(kernel_params[0])
            lengthscales = np.exp(kernel_params[1:])
            diffs = (np.expand_dims(x / lengthscales, 1)
                     - np.expand_dims(xp / lengthscales, 0))
            return output_scale * np.exp(-0.5 * np.sum(diffs ** 2, axis=2))

        rs = npr.RandomState(0)
        inputs = np.concatenate([np.linspace(0, 3, num=10), np.linspace(6, 8, num=10)])
        targets = (np.cos(inputs) + rs.randn(20) * 0.1) / 2.0
        X, y = ((inputs - 4.0) / 2.0).reshape((20, 1)), targets
        num_params, predict, log_marginal_likelihood = make_gp_funs(rbf_covariance, 2)
        objective = lambda params: -log_marginal_likelihood(params, X, y)
        init_params = 0.1 * npr.RandomState(0).randn(num_params)
        result = scipy.optimize.minimize(ag.value_and_grad(objective), init_params, jac=True,
                                         method="CG", options=dict(maxiter=10))
        plot_xs = np.reshape(np.linspace(-7, 7, 30), (30, 1))
        pred_mean, pred_cov = predict(result.x, X, y, plot_xs)
        return (ag.value_and_grad(objective)(init_params), result.x, pred_mean, pred_cov,
                ag.grad(lambda p: np.sum(predict(p, X, y, plot_xs)[1]))(result.x))
    agree(program, rtol=1e-8, atol=1e-10)
