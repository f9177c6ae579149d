"""wire.scipy's integrate, signal, interpolate, ndimage and optimize at special inputs,
against SciPy, JAX and finite differences: odeint at repeated and NaN times, complex and
empty states, func values that do not match the state, failures under eager transforms;
direct convolution with an infinite kernel entry, float16/float32 result dtypes,
convolve2d's fillvalue dtype, fftconvolve's axes; RegularGridInterpolator on a traced
descending grid; map_coordinates' traced cval; cumulative_trapezoid's edge shapes;
minimize from an infinite start and across a NaN region."""

import warnings

import numpy as np
import pytest

import wire
import wire.numpy as wnp
import wire.scipy.integrate as wi


def _decay(y, t, k):
    return -k * y + wnp.sin(t)


@pytest.mark.parametrize("t", [[0.0, 1.0, 1.0, 2.0], [0.0, 0.0, 1.0], [1.0, 1.0],
                               [0.0, -1.0, -1.0, -2.0]])
def test_odeint_forward_mode_at_a_repeated_time(t):
    # a repeated output time is an empty interval: the solver took no step there, so in
    # forward mode the row did not depend on its own time (jacfwd of odeint(...)[2] in
    # t = [0, 1, 1, 2] was [1.004, -0.193, 0, 0], all of it on t[1]; jacfwd of
    # odeint(...)[1] in t = [1, 1] was [0, 0], the truth [2.817, -2.817]). Each row moves
    # along f with its own time, as reverse mode (the adjoint) has it
    t = np.array(t)
    y0 = np.array([1.0, 2.0])
    for row in range(1, len(t)):
        loss = lambda t, row=row: wnp.sum(wi.odeint(_decay, y0, t, 1.5)[row] ** 2)
        with warnings.catch_warnings():  # (t = [1, 1] warned of 1/tiny² in the first step)
            warnings.simplefilter("error", RuntimeWarning)
            rev, fwd = wire.grad(loss)(t), wire.jacfwd(loss)(t)
        # (the step-size control leaves a derivative of the order of the tolerance)
        np.testing.assert_allclose(fwd, rev, rtol=1e-6, atol=1e-6 * np.max(np.abs(rev)))
        # d/dt[row] is 2 y·f(y, t[row]) (moving it away from a twin: one side)
        y = np.asarray(wi.odeint(_decay, y0, t, 1.5))[row]
        np.testing.assert_allclose(fwd[row], 2 * y @ (-1.5 * y + np.sin(t[row])), rtol=1e-6)
        twin = row + 1 < len(t) and t[row + 1] == t[row]
        step = 1e-6 * (np.sign(t[-1] - t[0]) or 1.0) * (-1 if twin else 1)
        bumped = t.copy()
        bumped[row] += step
        np.testing.assert_allclose((loss(bumped) - loss(t)) / step, fwd[row], rtol=1e-4)


def test_signal_dtypes_on_traced_inputs_as_scipy():
    # on traced inputs: convolve/correlate(method='fft') of float16 gave float32 (the FFT's
    # type; SciPy float16), welch/csd(average='median') of float32 gave float64/complex128
    # (the median bias was a float64 scalar; SciPy float32/complex64)
    import scipy.signal as ss
    import wire.scipy.signal as ws

    a, b = np.arange(6.0).astype(np.float16), np.array([1.0, 0.5, 2.0], np.float16)
    for name in ("convolve", "correlate"):
        want = getattr(ss, name)(a, b, method="fft")
        got = wire.jit(lambda a, b: getattr(ws, name)(a, b, method="fft"))(a, b)
        assert got.dtype == want.dtype == np.float16
        np.testing.assert_allclose(got.astype(float), want.astype(float), rtol=2e-3, atol=1e-3)
    x = np.random.default_rng(30).normal(size=64).astype(np.float32)
    for fn, args in (("welch", ()), ("csd", (x[::-1],))):
        want = getattr(ss, fn)(x, *args, nperseg=8, average="median")[1]
        got = wire.jit(lambda x: getattr(ws, fn)(x, *args, nperseg=8, average="median")[1])(x)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("x0", [[np.inf, 0.0], [np.nan, 0.0]])
def test_minimize_keeps_x_where_the_first_search_fails(x0):
    # the failed search's step is 0 x direction, and 0 x inf is NaN: x became [nan, nan]
    # beside fun = inf and jac [inf, -6] (which are the start's); x stays at the start now,
    # as SciPy's BFGS (x [nan, 0] for a NaN start), with fun and jac its values there
    from wire.scipy.optimize import minimize

    quad = lambda x: ((x - 3.0) ** 2).sum()
    x0 = np.array(x0)
    for run in (lambda x0: minimize(quad, x0), wire.jit(lambda x0: minimize(quad, x0))):
        with np.errstate(invalid="ignore"):
            r = run(x0)
        assert not bool(r.success) and int(r.status) in (3, 5)
        np.testing.assert_array_equal(r.x, x0)
        np.testing.assert_array_equal(r.fun, quad(x0))
        np.testing.assert_array_equal(r.jac, 2 * (x0 - 3.0))


def test_odeint_refuses_complex_states_as_scipy():
    # func returning complex values for a real state lost the imaginary part (odeint of
    # y' = i y from 1 gave [1, 1, 1, 1]); a complex y0 gave rows until the step control met
    # a complex time, then NaN (under jit; eagerly an error blaming a singularity). SciPy
    # raises TypeError for both
    t = np.array([0.0, 0.5, 1.0, 2.0])
    rotate = lambda y, t: 1j * y
    with pytest.raises(wire.WireTypeError, match="complex"):
        wi.odeint(rotate, 1.0, t)
    with pytest.raises(wire.WireTypeError, match="complex"):
        wire.jit(lambda y0: wi.odeint(rotate, y0, t))(1.0)
    with pytest.raises(wire.WireTypeError, match="complex128"):
        wire.jit(lambda y0: wi.odeint(rotate, y0, t))(1.0 + 0j)
    with pytest.raises(wire.WireTypeError, match="real"):
        wi.odeint(lambda y, t: -y, 1.0, t + 0j)


@pytest.mark.parametrize("t", [[0.0, np.nan, 1.0], [np.nan, 0.0, 1.0], [0.0, 1.0, np.nan]])
def test_odeint_at_a_nan_time(t):
    # a NaN time gave NaN rows without a word (eagerly, where wire explains every other
    # failure), or blamed a singularity in func; now a WireError names the time, and under
    # jit the rows from it on are NaN
    t = np.array(t)
    with pytest.raises(wire.WireError, match=r"NaN, got t\[%d\]" % np.argmax(np.isnan(t))):
        wi.odeint(_decay, 1.0, t, 1.5)
    ys = np.asarray(wire.jit(lambda t: wi.odeint(_decay, 1.0, t, 1.5))(t))
    first = max(int(np.argmax(np.isnan(t))), 1)
    assert np.isnan(ys[first:]).all() and not np.isnan(ys[:first]).any()


def test_cumulative_trapezoid_of_no_points():
    # SciPy raises; wire gave [0.] with initial=0 (a value from no samples) and an empty
    # array without it
    import scipy.integrate as si

    for y, kw in ((np.zeros(0), {"initial": 0}), (np.zeros((2, 0)), {}),
                  (np.zeros((0, 3)), {"axis": 0, "initial": 0})):
        with pytest.raises(ValueError):
            si.cumulative_trapezoid(y, **kw)
        with pytest.raises(wire.WireError, match="at least one point"):
            wi.cumulative_trapezoid(y, **kw)
    # one point: SciPy's empty result, or [0.] with initial=0
    np.testing.assert_array_equal(wi.cumulative_trapezoid(np.ones(1), initial=0),
                                  si.cumulative_trapezoid(np.ones(1), initial=0))
    assert wi.cumulative_trapezoid(np.ones(1)).shape == (0,)


def test_direct_convolution_with_an_infinite_kernel_entry():
    # the direct method multiplied the zero padding by every kernel entry: an inf in the
    # smaller input made NaN of outputs it never overlaps (convolve([1, 2, 3, 4], [inf, 1])
    # under jit: [inf, inf, inf, inf, nan], SciPy [inf, inf, inf, inf, 4]; the N-d case as
    # jax.scipy.signal's direct method, which sums only overlapping terms too)
    import scipy.signal as ss
    import wire.scipy.signal as ws

    a, v = np.array([1.0, 2.0, 3.0, 4.0]), np.array([np.inf, 1.0])
    for mode in ("full", "same", "valid"):
        for x, y in ((a, v), (v, a)):
            for name in ("convolve", "correlate"):
                want = getattr(ss, name)(x, y, mode=mode, method="direct")
                got = wire.jit(lambda x, y: getattr(ws, name)(x, y, mode=mode,
                                                              method="direct"))(x, y)
                np.testing.assert_array_equal(got, want)
    a2, v2 = np.ones((2, 3)), np.array([[np.inf, 1.0], [1.0, 2.0]])
    want = np.array([[np.inf, np.inf, np.inf, 1.0], [np.inf, np.inf, np.inf, 3.0],
                     [1.0, 3.0, 3.0, 2.0]])
    np.testing.assert_array_equal(wire.jit(ws.convolve)(a2, v2), want)


@pytest.mark.parametrize("method", ["linear", "nearest"])
def test_regular_grid_interpolator_on_a_traced_descending_grid(method):
    # a traced grid was taken as ascending: with g = [3, 2, 0] under jit every value was NaN
    # (SciPy [2.5, 2.5, 3, nan] for linear), and wire.grad in the grid gave [0, 0, 0] beside
    # a NaN value (finite differences [1.5, 0.75, -1.25])
    from scipy.interpolate import RegularGridInterpolator as SciPyRGI
    from wire.scipy.interpolate import RegularGridInterpolator

    g, v = np.array([3.0, 2.0, 0.0]), np.array([1.0, 4.0, 2.0])
    x = np.array([[0.5], [2.5], [1.0], [2.2], [-1.0]])
    want = SciPyRGI((g,), v, method=method, bounds_error=False)(x)
    f = lambda g, v, x: RegularGridInterpolator((g,), v, method=method)(x)
    np.testing.assert_allclose(wire.jit(f)(g, v, x), want, rtol=1e-15)
    np.testing.assert_allclose(wire.jit(f)(g[::-1], v[::-1], x), want, rtol=1e-15)
    np.testing.assert_allclose(wire.vmap(f, in_axes=(0, None, None))(np.stack([g, g]), v, x),
                               [want, want], rtol=1e-15)
    if method == "linear":
        loss = lambda g: f(g, v, x)[:4].sum()
        h = 1e-6
        fd = [(SciPyRGI((g + h * e,), v)(x[:4]).sum() - SciPyRGI((g - h * e,), v)(x[:4]).sum())
              / (2 * h) for e in np.eye(3)]
        np.testing.assert_allclose(wire.grad(loss)(g), fd, rtol=1e-7)
        np.testing.assert_allclose(wire.jit(wire.grad(loss))(g), fd, rtol=1e-7)
    with pytest.raises(wire.WireValueError, match="ascending or descending"):
        wire.grad(lambda g: f(g, v, x).sum())(np.array([0.0, 2.0, 1.0]))


def test_odeint_tolerance_arrays_are_refused_clearly():
    # SciPy takes per-component rtol/atol; wire's float() of them raised a bare TypeError
    # ("only 0-dimensional arrays ...") naming neither the argument nor odeint
    for kw in ({"atol": np.array([1e-8, 1e-10])}, {"rtol": np.array([1e-8])}):
        with pytest.raises(wire.WireError, match="per-component"):
            wi.odeint(lambda y, t: -y, np.array([1.0, 2.0]), np.linspace(0.0, 1.0, 3), **kw)


def test_odeint_of_an_empty_state():
    # SciPy gives rows of no entries (warning of illegal input); wire's error estimate was
    # the mean of nothing (NaN), so odeint(f, np.zeros(0), t) blamed a singularity in
    # func, and y0 = [] raised IndexError
    import scipy.integrate as si

    t = np.linspace(0.0, 1.0, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = si.odeint(lambda y, t: -y, np.zeros(0), t)
    for y0 in (np.zeros(0), []):
        got = wi.odeint(lambda y, t: -y, y0, t)
        assert got.shape == want.shape == (3, 0) and got.dtype == want.dtype
    assert wire.jit(lambda y0: wi.odeint(lambda y, t: -y, y0, t))(np.zeros(0)).shape == (3, 0)


def test_odeint_func_values_must_match_the_state():
    # a func value of the wrong size was broadcast (y' = -sum(y) for y0 = [1, 2] integrated
    # both components with one derivative; y' = -y[:1] gave [0.368, 1.368]), and a pytree
    # state took its derivatives by position (func returning (dy1, dy0) for y0 = (a (2,),
    # b (1, 1)) paired b's derivative with a[0]). SciPy raises for a size mismatch
    t = np.linspace(0.0, 1.0, 3)
    y0 = np.array([1.0, 2.0])
    for f in (lambda y, t: -y.sum(), lambda y, t: -y[:1], lambda y, t: -wnp.outer(y, y)):
        with pytest.raises(wire.ShapeError, match="2 entries"):
            wi.odeint(f, y0, t)
        with pytest.raises(wire.ShapeError, match="2 entries"):
            wire.jit(lambda y0: wi.odeint(f, y0, t))(y0)
    with pytest.raises(wire.ShapeError, match=r"shapes \[\(2,\), \(1, 1\)\]"):
        wi.odeint(lambda y, t: (-y[1], -y[0]), (y0, np.array([[5.0]])), t)
    # a list or tuple of the components, as SciPy allows, is the derivative
    want = np.asarray(wi.odeint(lambda y, t: wnp.stack([y[1], -y[0]]), y0, t))
    for f in (lambda y, t: [y[1], -y[0]], lambda y, t: (y[1], -y[0])):
        np.testing.assert_array_equal(wi.odeint(f, y0, t), want)


def test_odeint_forward_mode_under_vmap_is_quiet():
    # an example whose interval is empty (or that finished before the others) steps by 0:
    # the error norm's derivative at 0 was 1/0, so vmap(jacfwd(...)) warned divide by zero
    # and invalid value (the values were right)
    T = np.array([[0.0, 1.0, 1.0, 2.0], [0.0, 0.5, 1.0, 2.0]])
    loss = lambda t: wnp.sum(wi.odeint(_decay, np.array([1.0, 2.0]), t, 1.5)[2] ** 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = wire.vmap(wire.jacfwd(loss))(T)
    for row, t in zip(got, T):
        np.testing.assert_allclose(row, wire.grad(loss)(t), rtol=1e-6, atol=1e-6)


def test_odeint_failures_explained_in_eager_transforms():
    # with concrete inputs a failed interval raises a WireError saying why; under an eager
    # transform, whose values are known too, it gave NaN without a word (wire.grad of
    # odeint(f, 1, [0, 2, 1], k).sum() was nan); under jit the rows stay NaN
    decay = lambda y, t, k: -k * y
    t_bad = np.array([0.0, 2.0, 1.0])
    with pytest.raises(wire.WireError, match="not monotonic"):
        wire.grad(lambda k: wi.odeint(decay, 1.0, t_bad, k).sum())(1.0)
    with pytest.raises(wire.WireError, match="mxstep=3"):
        wire.jacfwd(lambda t: wi.odeint(decay, 1.0, t, 1.0, mxstep=3).sum())(t_bad[:2])
    with pytest.raises(wire.WireError, match="NaN or inf"):
        wire.grad(lambda k: wi.odeint(lambda y, t, k: k * y * wnp.log(1.5 - t), 1.0,
                                      t_bad[:2], k)[-1])(1.0)
    with pytest.raises(wire.WireError, match="mxstep=20"):
        wire.vmap(lambda k: wi.odeint(decay, 1.0, t_bad[:2], k, mxstep=20))(np.array([1.0, 2e3]))
    assert np.isnan(wire.jit(wire.grad(lambda k: wi.odeint(decay, 1.0, t_bad, k).sum()))(1.0))
    np.testing.assert_allclose(wire.grad(lambda k: wi.odeint(decay, 1.0, t_bad[:2], k)[-1])(1.0),
                               -2 * np.exp(-2.0), rtol=1e-7)


@pytest.mark.parametrize("axes", [[], [1, 1], [1, -1]])
def test_fftconvolve_axes_empty_or_repeated(axes):
    # SciPy refuses both; wire raised a WireIndexError from rfftn for no axes and silently
    # dropped a repeated axis
    import scipy.signal as ss
    import wire.scipy.signal as ws

    a, b = np.arange(6.0).reshape(2, 3), np.array([[2.0, 3.0, 4.0]])
    with pytest.raises(ValueError):
        ss.fftconvolve(a, b, axes=axes)
    with pytest.raises(wire.WireValueError, match="unique"):
        wire.jit(lambda a, b: ws.fftconvolve(a, b, axes=axes))(a, b)


def test_map_coordinates_traced_cval_in_the_input_dtype():
    # a concrete cval is cast to the input's dtype first (JAX's rule: 2.5 is 2 for an
    # integer input); a traced one was not, so under jit the same call gave another number
    # (order 1 at 3.5 in [10, 20, 30]: 3 where JAX and eager wire give 2)
    from oracles import jax_x64

    jax_x64()
    import jax.scipy.ndimage as jn
    import wire.scipy.ndimage as wn

    c = [np.array([-0.5, -0.25, 0.5, 2.75, 3.5])]
    for x in (np.array([10, 20, 30]), np.array([10.0, 20.0, 30.0], np.float16)):
        for cval in (2.5, 7.7, -1.6):
            want = np.asarray(jn.map_coordinates(x, c, order=1, cval=cval))
            got = wire.jit(lambda x, cv: wn.map_coordinates(x, c, order=1, cval=cv))(x, cval)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
    # still differentiable in a float input's cval: the weight of the outside corners
    g = wire.grad(lambda cv: wn.map_coordinates(np.array([10.0, 20.0, 30.0]), c, order=1,
                                                cval=cv).sum())(2.5)
    np.testing.assert_allclose(g, 0.5 + 0.25 + 0.0 + 0.75 + 1.0)


def test_convolve2d_fillvalue_in_the_output_dtype():
    # SciPy casts in1 and fillvalue to the output's dtype. Traced, wire padded an integer in1
    # in its own dtype (convolve2d(int a, float k, fillvalue=1.5) filled with 1, SciPy 1.5),
    # kept a traced 1.5 for an integer output (SciPy 1), returned float64 for float32
    # inputs and a traced Python float, and a complex result for a complex fillvalue on real
    # inputs (SciPy refuses it)
    import scipy.signal as ss
    import wire.scipy.signal as ws

    a, k = np.arange(6).reshape(2, 3), np.array([[1.0, 2.0], [0.5, 1.0]])
    for name in ("convolve2d", "correlate2d"):
        for mode in ("full", "same"):
            for x, y in ((a, k), (a, k.astype(int)), (a.astype(np.float32), k.astype(np.float32))):
                want = getattr(ss, name)(x, y, mode=mode, fillvalue=1.5)
                f = lambda y, fv: getattr(ws, name)(x, y, mode=mode, fillvalue=fv)
                for got in (wire.jit(lambda y: f(y, 1.5))(y), wire.jit(f)(y, 1.5)):
                    assert got.dtype == want.dtype
                    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(wire.WireTypeError, match="complex fillvalue"):
        wire.jit(lambda k, fv: ws.convolve2d(a, k, fillvalue=fv))(k, 1 + 1j)
    g = wire.grad(lambda fv: ws.convolve2d(a.astype(float), k, fillvalue=fv).sum())(1.5)
    h = 1e-3
    fd = [ss.convolve2d(a, k, fillvalue=1.5 + s * h).sum() for s in (1, -1)]
    np.testing.assert_allclose(g, (fd[0] - fd[1]) / (2 * h), rtol=1e-9)


def test_cumulative_trapezoid_with_x_broadcast_against_y():
    # SciPy takes an x of y's dimensions whose steps broadcast against y (x (1, 4) for
    # y (3, 4): the same abscissae for every row); wire refused it as "not y's shape"
    import scipy.integrate as si

    rng = np.random.default_rng(30)
    y = rng.normal(size=(3, 4))
    for x, axis in ((np.cumsum(rng.uniform(size=(1, 4)), axis=1), -1),
                    (np.cumsum(rng.uniform(size=(3, 1)), axis=0), 0)):
        want = si.cumulative_trapezoid(y, x=x, axis=axis, initial=0)
        got = wire.jit(lambda y: wi.cumulative_trapezoid(y, x=x, axis=axis, initial=0))(y)
        np.testing.assert_allclose(got, want, rtol=1e-14)
    with pytest.raises(wire.WireError, match="broadcast against"):
        wi.cumulative_trapezoid(y, x=np.ones((2, 4)))


@pytest.mark.parametrize("x0", [5.0, 20.0, 100.0])
def test_minimize_steps_back_from_where_fun_is_nan(x0):
    # -log(x) + x from 5: BFGS's first trial step lands at x < 0 where fun is NaN; the line
    # search compared NaN as false and doubled the step into NaN until it gave up (x 3.4,
    # status 5, as JAX). A NaN value now brackets the step like a rise: x = 1, as SciPy
    from wire.scipy.optimize import minimize

    f = lambda x: (-wnp.log(x) + x).sum()
    for run in (lambda x0: minimize(f, x0), wire.jit(lambda x0: minimize(f, x0))):
        with np.errstate(invalid="ignore"):
            r = run(np.array([x0]))
        assert bool(r.success) and int(r.status) == 0
        np.testing.assert_allclose(r.x, [1.0], rtol=1e-5)
        np.testing.assert_allclose(r.fun, f(r.x), rtol=1e-15)
