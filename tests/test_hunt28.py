"""Programs as users write them, against NumPy, SciPy and JAX: reductions, einsum and ufunc
calls in the dtype NumPy gives them on traced values (dtype=, casting=, signature=), tuples
of traced values to elementwise functions, NumPy's round, linalg's integer operands,
Slerp under jit, and ufunc.reduce where NumPy's own is not its left fold."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

X8 = np.array([[100, 100, 3], [100, 50, 2]], np.int8)  # column sums and products wrap in int8
MASK = np.array([[True, False, True], [True, True, True]])


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got, want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("spec, operands", [
    ("ij->j", (X8,)), ("ij->", (X8,)), ("ij,k->k", (X8, X8[0])), ("ij,k->jk", (X8, X8[0])),
    ("ij,kj->", (X8, X8)), ("ij->j", (X8.astype(np.uint8),)), ("ij->j", (X8 > 60,)),
])
def test_einsum_sums_in_the_operands_dtype(spec, operands):
    # NumPy's einsum keeps int8 (and bool: a logical or); a summed index on a traced operand
    # went through sum, which widens: 'ij->j' of int8 was int64 [200, 150, 5], NumPy's
    # int8 [-56, -106, 5]; 'ij,k->k' was [35500, 35500, 1065], NumPy's [-84, -84, 41]
    _same(wire.jit(lambda *ops: wnp.einsum(spec, *ops))(*operands), np.einsum(spec, *operands))


@pytest.mark.parametrize("call", [
    lambda np_, x: np_.add.reduce(x, axis=0, dtype=np.int8),
    lambda np_, x: np_.add.reduce(x, axis=0, dtype=np.int16),
    lambda np_, x: np_.multiply.reduce(x, axis=0, dtype=np.int8),
    lambda np_, x: np_.add.reduce(x > 60, axis=0, dtype=bool),
    lambda np_, x: np_.multiply.reduce(x > 60, axis=0, dtype=bool),
    lambda np_, x: np_.add.reduce(x, axis=0, where=x > 2, initial=5, dtype=np.int8),
    lambda np_, x: np_.add.reduce(x, axis=None, keepdims=True, dtype=np.uint8),
])
def test_ufunc_reduce_of_a_tracer_keeps_its_dtype(call):
    # np.add.reduce(tracer, dtype=np.int8) ran wire.numpy.sum without the dtype: int64
    # [200, 150, 5] where NumPy wraps to int8 [-56, -106, 5]; np.add.reduce(bool, dtype=bool)
    # was a count [2, 2, 2], NumPy's a logical or
    _same(wire.jit(lambda x: call(np, x))(X8), call(np, X8))


@pytest.mark.parametrize("kw", [
    dict(initial=2, dtype=np.uint8), dict(initial=2, dtype=np.int8),
    dict(where=MASK, dtype=np.int8), dict(where=MASK, initial=3, dtype=np.int8),
    dict(where=MASK, dtype=bool),
])
def test_prod_with_initial_or_where_in_a_narrow_dtype(kw):
    # prod(x, initial=2, dtype=np.uint8) multiplied in uint64: [60000, 20000] where NumPy's
    # uint8 product is [96, 32] (sum was right; checked alongside)
    for fn in ("prod", "sum"):
        for x in (X8, X8.astype(float), X8 > 60):
            _same(wire.jit(lambda a: getattr(wnp, fn)(a, axis=1, **kw))(x),
                  getattr(np, fn)(x, axis=1, **kw))


def test_maximum_accumulate_of_a_tracer_in_the_given_dtype():
    # np.maximum.accumulate(tracer, dtype=np.int16) stayed int8 (and dtype=np.int8 of int16
    # values did not wrap as NumPy's cast does)
    for call in (lambda np_, x: np_.maximum.accumulate(x, axis=0, dtype=np.int16),
                 lambda np_, x: np_.minimum.accumulate(x.astype(np.int16) * 300, axis=0,
                                                        dtype=np.int8)):
        _same(wire.jit(lambda x: call(np, x))(X8), call(np, X8))


@pytest.mark.parametrize("name", ["real", "imag", "conj", "conjugate", "angle", "nan_to_num",
                                  "isposinf", "isneginf", "iscomplex", "isreal", "clip"])
def test_elementwise_functions_take_a_tuple_of_traced_values(name):
    # np.real(np.linalg.slogdet(a)) and the like (NumPy makes one array of the tuple) raised
    # AttributeError ('tuple' object has no attribute 'weak'/'dtype') on traced values, and
    # clip without bounds returned the tuple itself
    x = np.array([[np.inf, -1.0, 0.5], [2.0, -np.inf, 0.0]])
    got = wire.jit(lambda v: getattr(wnp, name)((v[0], v[1])))(x)
    assert isinstance(got, np.ndarray)
    _same(got, getattr(np, name)((x[0], x[1])))


def test_real_of_a_named_tuple_result_under_grad():
    a = np.array([[2.0, 1.0], [0.5, 3.0]])
    g = wire.grad(lambda m: wnp.sum(wnp.real(wnp.linalg.slogdet(m))))(a)
    np.testing.assert_allclose(g, np.linalg.inv(a).T, rtol=1e-12)  # d log|det| = A^-T


XF = np.array([1.7, -2.5, 300.2, np.nan])


@pytest.mark.parametrize("call", [
    lambda np_, xi, xf: np_.equal(xi, 3, dtype=bool),
    lambda np_, xi, xf: np_.not_equal(xi, 3, dtype=bool),
    lambda np_, xi, xf: np_.less(xf, 2, dtype=bool),
    lambda np_, xi, xf: np_.greater_equal(xi, xf, dtype=bool),
    lambda np_, xi, xf: np_.isnan(xf, dtype=bool),
    lambda np_, xi, xf: np_.signbit(xf, dtype=bool),
    lambda np_, xi, xf: np_.ldexp(xf, xi // 40, dtype=np.float64),  # (the exponent int8)
])
def test_ufunc_dtype_is_the_output_dtype(call):
    # dtype= names the output's dtype (NumPy picks the loop from it): every input was cast
    # to it, so np.equal(int8 tracer, 3, dtype=bool) compared True with True: all True,
    # NumPy's [False, False, True, False]; np.less(x, 2, dtype=bool) was x != 0
    xi = np.array([100, -100, 3, 7], np.int8)
    _same(wire.jit(lambda a, b: call(np, a, b))(xi, XF), call(np, xi, XF))


def test_ufunc_dtype_that_numpy_refuses_raises():
    # np.add(int8, 1.5, dtype=np.int8) is refused by NumPy's casting rule; it truncated 1.5
    xi = np.array([100, -100, 3, 7], np.int8)
    with pytest.raises(TypeError):
        np.add(xi, 1.5, dtype=np.int8)
    with pytest.raises(wire.WireTypeError, match="same_kind"):
        wire.jit(lambda a: np.add(a, 1.5, dtype=np.int8))(xi)
    with pytest.raises(wire.WireTypeError, match="No loop"):
        wire.jit(lambda a: np.equal(a, a, dtype=np.int8))(XF)
    with pytest.raises(TypeError):  # casting= alone was dropped
        np.add(xi, xi.astype(np.int16), casting="no")
    with pytest.raises(wire.WireTypeError, match="no"):
        wire.jit(lambda a: np.add(a, a.astype(np.int16), casting="no"))(xi)
    _same(wire.jit(lambda a: np.add(a, 1.5, dtype=np.int8, casting="unsafe"))(xi),
          np.add(xi, 1.5, dtype=np.int8, casting="unsafe"))


def test_ufunc_signature_on_a_tracer_reaches_the_front():
    # np.divmod(tracer, 2, signature=...) raised TypeError (an internal lambda took no
    # signature=), np.vecdot's WireTypeError
    x = np.array([7, -3], np.int8)
    for call in (lambda a: np.divmod(a, 2, signature=(None, None, np.int16, np.int16)),
                 lambda a: np.vecdot(a, a, signature=(np.int16, np.int16, None))):
        got, want = wire.jit(call)(x), call(x)
        for g, w in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            _same(g, w)


@pytest.mark.parametrize("decimals", [-23, -300, 25, 30])
def test_round_scales_by_numpys_power_of_ten(decimals):
    # NumPy's round multiplies 1e9 by ten (|decimals| - 9) times: beyond 1e22 that is not the
    # double nearest 10**|decimals|; wire took 10.0**|decimals| (np.round(1.5e300, -300) is
    # 1.0000000000000002e300, wire gave 2e300; 95 % of random values differed at -23)
    rng = np.random.default_rng(28)
    x = rng.uniform(-1, 1, 2000) * 10.0 ** -decimals * rng.integers(1, 100, 2000)
    for v in (x, x.astype(np.float32)) if decimals > 0 else (x,):  # (in float32's range)
        _same(wire.jit(lambda a: wnp.round(a, decimals))(v), np.round(v, decimals))
    assert wire.jit(lambda a: np.round(a, -300))(np.array([1.5e300]))[0] == np.round(1.5e300, -300)


@pytest.mark.parametrize("name", ["solve", "lstsq", "tensorsolve"])
def test_linalg_solvers_take_integers_as_float64(name):
    # NumPy's linalg makes integer and boolean operands float64 before finding the common
    # type: solve(int8 matrix, float32 b) is float64; wire promoted first (int8 with float32
    # is float32) and solved in float32
    a = np.eye(3, dtype=np.int8) * 3 + np.triu(np.ones((3, 3), np.int8), 1)
    b = np.array([1.0, 1.0 / 3.0, 0.1], np.float32)
    fn = getattr(np.linalg, name)
    for m in (a, a > 0):
        want, got = fn(m, b), wire.jit(lambda v: getattr(wnp.linalg, name)(v, b))(m)
        for g, w in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            assert np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_allclose(g, w, rtol=1e-15)


def test_slerp_and_rotation_indexing_under_jit():
    # a Slerp made from concrete times (outside jit) called on traced times, and a concrete
    # Rotation batch indexed by a traced index, raised 'np.asarray() of a traced value'
    # (NumPy tables indexed by a tracer); JAX's Slerp runs under jit
    from scipy.spatial.transform import Rotation as SR
    from scipy.spatial.transform import Slerp as SS

    R, S = wire.scipy.spatial.transform.Rotation, wire.scipy.spatial.transform.Slerp
    q = np.random.default_rng(28).normal(size=(5, 4))
    t, tt = np.array([0.0, 1.0, 3.0, 3.5, 7.0]), np.array([0.0, 0.5, 2.2, 3.0, 3.25, 7.0])
    slerp = S.init(t, R.from_quat(q))
    want = SS(t, SR.from_quat(q))(tt).as_matrix()
    np.testing.assert_allclose(wire.jit(lambda v: slerp(v).as_matrix())(tt), want, rtol=1e-12)
    np.testing.assert_allclose(wire.vmap(lambda v: slerp(v).as_matrix())(tt), want, rtol=1e-12)
    rots = R.from_quat(q)
    np.testing.assert_allclose(wire.jit(lambda i: rots[i].as_matrix())(np.array([2, 0])),
                               SR.from_quat(q)[[2, 0]].as_matrix(), rtol=1e-12)


@pytest.mark.parametrize("name", ["power", "arctan2"])
def test_ufunc_reduce_of_concrete_arrays_is_the_left_fold(name):
    # NumPy 2.4.6's float power.reduce and arctan2.reduce (its SIMD loops, on this kind of
    # machine) give f(first, last): np.power.reduce([2.0, 3.0, 2.0]) is 4.0, not 64.0.
    # wire.numpy's method on concrete arrays returned that; traced, wire folds (64.0)
    x = np.random.default_rng(28).random((3, 5)) + 0.5
    mask = np.array([True, False, True, True, True])
    ufunc, method = getattr(np, name), getattr(wnp, name).reduce

    def fold(row, acc=None, keep=None):
        for j, v in enumerate(row):
            if keep is None or keep[j]:
                acc = v if acc is None else ufunc(acc, v)
        return acc

    got = method(x, axis=1)
    np.testing.assert_array_equal(got, [fold(r) for r in x])
    np.testing.assert_array_equal(wire.jit(lambda a: method(a, axis=1))(x), got)
    got = method(x, axis=1, initial=0.7, where=mask)
    np.testing.assert_array_equal(got, [fold(r, 0.7, mask) for r in x])
    np.testing.assert_array_equal(
        wire.jit(lambda a: method(a, axis=1, initial=0.7, where=mask))(x), got)
    assert wnp.power.reduce(np.array([2.0, 3.0, 2.0])) == 64.0
    at = wnp.power.reduceat(np.array([2.0, 3.0, 2.0, 1.5, 1.25, 2.0]), [0, 3])  # NumPy: [4, 2.25]
    np.testing.assert_allclose(at, [64.0, (1.5**1.25) ** 2.0], rtol=1e-15)
