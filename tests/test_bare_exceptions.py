"""No bare exceptions: every error wire raises on a bad call is a ``wire.WireError`` of NumPy's
class for the same call, naming the user's file:line; where NumPy returns, wire returns
NumPy's value. A table of ``wire.numpy`` (``linalg``, ``fft``) calls on bad inputs (0-d where
arrays are needed, bool/complex/int dtypes, axes out of range, mismatched shapes, bad keyword
values, singular matrices, indices out of bounds), each run three ways: in an eager
``wire.grad`` trace, under ``wire.vmap`` (a batch of one) and under ``wire.jit``."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

HERE = "test_bare_exceptions.py:"

S = np.float64(1.5)                          # 0-d
V = np.array([1.0, -2.0, 3.0])
M = np.arange(6.0).reshape(2, 3) + 1.0       # 2x3
SQ = np.array([[2.0, 1.0], [1.0, 3.0]])
SING = np.array([[1.0, 2.0], [2.0, 4.0]])    # singular
NPD = np.array([[1.0, 2.0], [2.0, 1.0]])     # symmetric, not positive definite
B = np.array([True, False, True])
BM = np.array([[True, False], [False, True]])
C = np.array([1.0 + 2.0j, -1.0, 0.5j])
I = np.array([3, -1, 2])
V4 = np.ones(4)
E = np.ones((0, 3))

# (name, function of the module ``m`` (numpy or wire.numpy) and the array arguments, arguments)
CASES = [
    # the known ones
    ("where_1arg_0d", lambda m, x: m.where(x), (S,)),
    ("where_x_only", lambda m, x: m.where(x > 0, x), (V,)),
    ("neg_bool", lambda m, x: -x, (B,)),
    ("negative_bool", lambda m, x: m.negative(x), (B,)),
    ("positive_bool", lambda m, x: m.positive(x), (B,)),
    ("trapezoid_axis2", lambda m, x: m.trapezoid(x, axis=2), (M,)),
    ("trapezoid_axis_m3", lambda m, x: m.trapezoid(x, axis=-3), (M,)),
    ("trapezoid_ok", lambda m, x: m.trapezoid(x, axis=0), (M,)),
    ("tril_0d", lambda m, x: m.tril(x), (S,)),
    ("triu_0d", lambda m, x: m.triu(x), (S,)),
    ("tril_1d", lambda m, x: m.tril(x), (V,)),
    ("inv_singular", lambda m, x: m.linalg.inv(x), (SING,)),
    ("solve_singular", lambda m, a, b: m.linalg.solve(a, b), (SING, np.ones(2))),
    ("cholesky_npd", lambda m, x: m.linalg.cholesky(x), (NPD,)),
    ("getitem_oob", lambda m, x: x[5], (V,)),
    ("getitem_oob_neg", lambda m, x: x[-4], (V,)),
    ("getitem_oob_2d", lambda m, x: x[1, 3], (M,)),
    ("getitem_too_many", lambda m, x: x[0, 0], (V,)),
    ("take_oob", lambda m, x: m.take(x, 7), (V,)),
    ("getitem_traced_oob", lambda m, x, i: x[i], (V, np.array(5))),
    ("getitem_traced_oob_neg", lambda m, x, i: x[i], (V, np.array(-4))),
    ("getitem_traced_array_oob", lambda m, x, i: x[i], (V, np.array([0, 3]))),
    ("take_traced_oob", lambda m, x, i: m.take(x, i), (V, np.array([1, 9]))),
    ("take_along_axis_traced_oob", lambda m, x, i: m.take_along_axis(x, i, axis=0),
     (V, np.array([0, 3]))),
    ("getitem_traced_ok", lambda m, x, i: x[i], (V, np.array([-3, 2]))),
    # complex where NumPy has no complex loop
    *[(f"{n}_complex", (lambda n: lambda m, x: getattr(m, n)(x))(n), (C,))
      for n in ("floor", "ceil", "trunc", "cbrt", "fix", "modf", "signbit", "spacing", "deg2rad",
                "rad2deg", "frexp", "exp2", "log1p")],
    *[(f"{n}_complex", (lambda n: lambda m, x: getattr(m, n)(x, x))(n), (C,))
      for n in ("fmod", "remainder", "floor_divide", "arctan2", "copysign", "hypot",
                "logaddexp", "logaddexp2", "nextafter", "heaviside", "fmax", "fmin", "maximum",
                "mod", "ldexp")],
    ("divmod_complex", lambda m, x: m.divmod(x, x), (C,)),
    # booleans and integers
    *[(f"{n}_bool", (lambda n: lambda m, x: getattr(m, n)(x))(n), (B,))
      for n in ("sign", "abs", "floor", "sqrt", "exp", "cumsum", "diff", "invert", "square",
                "logical_not", "isnan", "cbrt", "rint", "round")],
    ("subtract_bool", lambda m, x: m.subtract(x, x), (B,)),
    ("bool_minus_bool", lambda m, x: x - x, (B,)),
    ("invert_float", lambda m, x: m.invert(x), (V,)),
    ("bitwise_and_float", lambda m, x: m.bitwise_and(x, x), (V,)),
    ("left_shift_float", lambda m, x: m.left_shift(x, x), (V,)),
    ("gcd_float", lambda m, x: m.gcd(x, x), (V,)),
    ("int_pow_neg", lambda m, x: x ** -1, (I,)),
    ("int_power_neg", lambda m, x: m.power(x, -2), (I,)),
    ("int_floor", lambda m, x: m.floor(x), (I,)),
    ("int_sqrt", lambda m, x: m.sqrt(x), (I,)),
    ("isfinite_complex", lambda m, x: m.isfinite(x), (C,)),
    # axes out of range
    *[(f"{n}_axis2", (lambda n: lambda m, x: getattr(m, n)(x, axis=2))(n), (M,))
      for n in ("sum", "prod", "mean", "std", "var", "max", "min", "argmax", "argmin", "cumsum",
                "cumprod", "sort", "argsort", "any", "all", "median", "ptp", "nansum",
                "nanmean", "flip", "diff", "expand_dims", "squeeze", "count_nonzero",
                "average", "nanmax")],
    ("sum_axis_tuple_repeat", lambda m, x: m.sum(x, axis=(0, 0)), (M,)),
    ("sum_axis_m3", lambda m, x: m.sum(x, axis=-3), (M,)),
    ("roll_axis2", lambda m, x: m.roll(x, 1, axis=2), (M,)),
    ("concatenate_axis2", lambda m, x: m.concatenate([x, x], axis=2), (M,)),
    ("stack_axis4", lambda m, x: m.stack([x, x], axis=4), (M,)),
    ("moveaxis_3", lambda m, x: m.moveaxis(x, 3, 0), (M,)),
    ("swapaxes_2", lambda m, x: m.swapaxes(x, 0, 2), (M,)),
    ("transpose_bad", lambda m, x: m.transpose(x, (0, 2)), (M,)),
    ("transpose_short", lambda m, x: m.transpose(x, (0,)), (M,)),
    ("take_axis2", lambda m, x: m.take(x, 0, axis=2), (M,)),
    ("split_axis2", lambda m, x: m.split(x, 2, axis=2), (M,)),
    ("split_uneven", lambda m, x: m.split(x, 2, axis=1), (M,)),
    ("repeat_axis2", lambda m, x: m.repeat(x, 2, axis=2), (M,)),
    ("cross_axis", lambda m, x: m.cross(x, x, axis=2), (M,)),
    ("fft_axis2", lambda m, x: m.fft.fft(x, axis=2), (M,)),
    ("fft_n0", lambda m, x: m.fft.fft(x, n=0), (V,)),
    ("fft_0d", lambda m, x: m.fft.fft(x), (S,)),
    ("rfft_complex", lambda m, x: m.fft.rfft(x), (C,)),
    ("fft2_1d", lambda m, x: m.fft.fft2(x), (V,)),
    ("fft_norm_bad", lambda m, x: m.fft.fft(x, norm="bogus"), (V,)),
    ("fftshift_axis2", lambda m, x: m.fft.fftshift(x, axes=2), (M,)),
    # shapes that do not fit
    ("add_mismatch", lambda m, x, y: x + y, (V, V4)),
    ("multiply_mismatch", lambda m, x, y: m.multiply(x, y), (M, V4)),
    ("matmul_mismatch", lambda m, x, y: x @ y, (M, V4)),
    ("matmul_0d", lambda m, x, y: m.matmul(x, y), (S, V)),
    ("dot_mismatch", lambda m, x, y: m.dot(x, y), (V, V4)),
    ("inner_mismatch", lambda m, x, y: m.inner(x, y), (V, V4)),
    ("vdot_mismatch", lambda m, x, y: m.vdot(x, y), (V, V4)),
    ("outer_ok", lambda m, x, y: m.outer(x, y), (V, V4)),
    ("reshape_bad", lambda m, x: m.reshape(x, (4, 2)), (M,)),
    ("reshape_two_minus1", lambda m, x: m.reshape(x, (-1, -1)), (M,)),
    ("broadcast_to_bad", lambda m, x: m.broadcast_to(x, (4,)), (V,)),
    ("concatenate_mismatch", lambda m, x, y: m.concatenate([x, y]), (M, V)),
    ("stack_mismatch", lambda m, x, y: m.stack([x, y]), (V, V4)),
    ("where_mismatch", lambda m, x, y: m.where(x > 0, x, y), (V, V4)),
    ("clip_mismatch", lambda m, x, y: m.clip(x, y, 10.0), (V, V4)),
    ("einsum_mismatch", lambda m, x, y: m.einsum("i,i->", x, y), (V, V4)),
    ("einsum_bad_spec", lambda m, x: m.einsum("ij->k", x), (M,)),
    ("kron_ok", lambda m, x, y: m.kron(x, y), (V, V4)),
    ("convolve_empty", lambda m, x, y: m.convolve(x, y), (V, np.ones(0))),
    ("interp_mismatch", lambda m, x, y: m.interp(x, y, V), (V, V4)),
    ("trace_1d", lambda m, x: m.trace(x), (V,)),
    ("diagonal_1d", lambda m, x: m.diagonal(x), (V,)),
    ("diag_3d", lambda m, x: m.diag(x), (np.ones((2, 2, 2)),)),
    ("cross_bad_dim", lambda m, x: m.cross(x, x), (V4,)),
    ("take_along_axis_mismatch", lambda m, x: m.take_along_axis(x, np.zeros(3, int)[:, None],
                                                                axis=0), (M,)),
    ("argmax_empty", lambda m, x: m.argmax(x), (E,)),
    ("max_empty", lambda m, x: m.max(x), (E,)),
    ("min_empty_axis1", lambda m, x: m.min(x, axis=1), (E,)),
    ("max_empty_axis0", lambda m, x: m.max(x, axis=0), (E,)),
    ("mean_empty", lambda m, x: m.mean(x), (E,)),
    # linear algebra
    ("inv_nonsquare", lambda m, x: m.linalg.inv(x), (M,)),
    ("inv_1d", lambda m, x: m.linalg.inv(x), (V,)),
    ("inv_0d", lambda m, x: m.linalg.inv(x), (S,)),
    ("det_nonsquare", lambda m, x: m.linalg.det(x), (M,)),
    ("det_bool", lambda m, x: m.linalg.det(x), (BM,)),
    ("inv_bool", lambda m, x: m.linalg.inv(x), (BM,)),
    ("solve_mismatch", lambda m, a, b: m.linalg.solve(a, b), (SQ, V)),
    ("solve_nonsquare", lambda m, a, b: m.linalg.solve(a, b), (M, np.ones(2))),
    ("cholesky_nonsquare", lambda m, x: m.linalg.cholesky(x), (M,)),
    ("cholesky_bad_upper", lambda m, x: m.linalg.cholesky(x, upper=True), (SQ,)),
    ("eigh_nonsquare", lambda m, x: m.linalg.eigh(x), (M,)),
    ("eigh_uplo_bad", lambda m, x: m.linalg.eigh(x, UPLO="X"), (SQ,)),
    ("eigvalsh_uplo_bad", lambda m, x: m.linalg.eigvalsh(x, UPLO="X"), (SQ,)),
    ("eig_nonsquare", lambda m, x: m.linalg.eig(x), (M,)),
    ("slogdet_1d", lambda m, x: m.linalg.slogdet(x), (V,)),
    ("norm_bad_ord", lambda m, x: m.linalg.norm(x, ord="bogus"), (M,)),
    ("norm_vec_fro", lambda m, x: m.linalg.norm(x, ord="fro"), (V,)),
    ("norm_axis3", lambda m, x: m.linalg.norm(x, axis=3), (M,)),
    ("norm_3_axes", lambda m, x: m.linalg.norm(x, axis=(0, 1, 2)), (np.ones((2, 2, 2)),)),
    ("matrix_power_nonsquare", lambda m, x: m.linalg.matrix_power(x, 2), (M,)),
    ("matrix_power_singular_neg", lambda m, x: m.linalg.matrix_power(x, -1), (SING,)),
    ("matrix_rank_ok", lambda m, x: m.linalg.matrix_rank(x), (SING,)),
    ("pinv_1d", lambda m, x: m.linalg.pinv(x), (V,)),
    ("qr_1d", lambda m, x: m.linalg.qr(x), (V,)),
    ("qr_bad_mode", lambda m, x: m.linalg.qr(x, mode="bogus"), (M,)),
    ("svd_1d", lambda m, x: m.linalg.svd(x), (V,)),
    ("lstsq_mismatch", lambda m, a, b: m.linalg.lstsq(a, b), (M, V4)),
    ("cond_singular", lambda m, x: m.linalg.cond(x), (SING,)),
    ("tensorsolve_bad", lambda m, a, b: m.linalg.tensorsolve(a, b), (M, V)),
    ("multi_dot_one", lambda m, x: m.linalg.multi_dot([x]), (M,)),
    # bad keyword values
    ("sort_kind_bad", lambda m, x: m.sort(x, kind="bogus"), (V,)),
    ("pad_mode_bad", lambda m, x: m.pad(x, 1, mode="bogus"), (V,)),
    ("pad_negative", lambda m, x: m.pad(x, -1), (V,)),
    ("take_mode_bad", lambda m, x: m.take(x, 0, mode="bogus"), (V,)),
    ("clip_no_bounds", lambda m, x: m.clip(x, None, None), (V,)),
    ("searchsorted_side_bad", lambda m, x: m.searchsorted(x, 1.0, side="middle"), (V,)),
    ("quantile_out_of_range", lambda m, x: m.quantile(x, 1.5), (V,)),
    ("percentile_method_bad", lambda m, x: m.percentile(x, 50, method="bogus"), (V,)),
    ("diff_negative_n", lambda m, x: m.diff(x, n=-1), (V,)),
    ("linspace_negative_num", lambda m, x: m.linspace(0.0, x, -1), (S,)),
    ("round_bool_decimals", lambda m, x: m.round(x, 1), (B,)),
    ("astype_ok", lambda m, x: x.astype(np.int32), (V,)),
    ("array_split_zero", lambda m, x: m.array_split(x, 0), (V,)),
    ("tile_negative", lambda m, x: m.tile(x, -1), (V,)),
    ("repeat_negative", lambda m, x: m.repeat(x, -1), (V,)),
    ("cumsum_bool_ok", lambda m, x: m.cumsum(x), (B,)),
    ("full_like_ok", lambda m, x: m.full_like(x, 2.0), (I,)),
    ("norm_matrix_ord0", lambda m, x: m.linalg.norm(x, ord=0), (M,)),
    ("norm_matrix_ord3", lambda m, x: m.linalg.norm(x, ord=3), (M,)),
    ("argmax_axis_tuple", lambda m, x: m.argmax(x, axis=(0, 1)), (M,)),
    ("pad_width_bad", lambda m, x: m.pad(x, ((1, 2, 3),)), (V,)),
    ("std_ddof_ok", lambda m, x: m.std(x, ddof=5), (V,)),
    ("cumsum_axis_float", lambda m, x: m.cumsum(x, axis=0.5), (V,)),
    ("sum_axis_float", lambda m, x: m.sum(x, axis=0.5), (V,)),
    ("reshape_float", lambda m, x: m.reshape(x, (1.5, 2)), (M,)),
    ("roll_shift_ok", lambda m, x: m.roll(x, 7), (V,)),
    ("diff_axis2", lambda m, x: m.diff(x, axis=2), (M,)),
    ("gradient_too_short", lambda m, x: m.gradient(x), (np.ones(1),)),
    ("convolve_mode_bad", lambda m, x: m.convolve(x, x, mode="bogus"), (V,)),
    ("correlate_mode_bad", lambda m, x: m.correlate(x, x, mode="bogus"), (V,)),
    ("histogram_ok_concrete", lambda m, x: m.linalg.matrix_rank(x), (M,)),
    ("outer_0d_ok", lambda m, x: m.outer(x, x), (S,)),
    ("cov_3d", lambda m, x: m.cov(x), (np.ones((2, 2, 2)),)),
    ("corrcoef_ok", lambda m, x: m.corrcoef(x), (M,)),
    ("nan_to_num_ok", lambda m, x: m.nan_to_num(x, nan=1.0), (C,)),
    # dtypes where NumPy needs another
    ("inv_int_ok", lambda m, x: m.linalg.inv(x), (np.array([[2, 1], [1, 3]]),)),
    ("inv_complex_singular", lambda m, x: m.linalg.inv(x), (SING + 0j,)),
    ("solve_int_singular", lambda m, a, b: m.linalg.solve(a, b), (SING.astype(int), I[:2])),
    ("cholesky_bool", lambda m, x: m.linalg.cholesky(x), (BM,)),
    ("eigvalsh_bool", lambda m, x: m.linalg.eigvalsh(x), (BM,)),
    ("svd_bool", lambda m, x: m.linalg.svd(x), (BM,)),
    ("norm_bool_ok", lambda m, x: m.linalg.norm(x), (B,)),
    ("fft_bool_ok", lambda m, x: m.fft.fft(x), (B,)),
    ("rfft_int_ok", lambda m, x: m.fft.rfft(x), (I,)),
    ("irfft_n1", lambda m, x: m.fft.irfft(x, n=0), (C,)),
    ("ifft_0d", lambda m, x: m.fft.ifft(x), (S,)),
    ("fftn_axes_bad", lambda m, x: m.fft.fftn(x, axes=(0, 2)), (M,)),
    ("fftfreq_ok", lambda m, x: m.fft.fftfreq(4) + x, (V4,)),
    ("matmul_bool_ok", lambda m, x: x @ x, (BM,)),
    ("matmul_complex_int_ok", lambda m, x, y: x @ y, (C, I)),
    ("mod_bool", lambda m, x: m.mod(x, x), (B,)),
    ("true_divide_bool_ok", lambda m, x: x / x, (B,)),
    ("floor_divide_bool_ok", lambda m, x: m.floor_divide(x, x), (B,)),
    ("power_bool_ok", lambda m, x: m.power(x, x), (B,)),
    ("arctan2_bool_ok", lambda m, x: m.arctan2(x, x), (B,)),
    ("float_index", lambda m, x: x[1.0], (V,)),
    ("bool_index_mismatch", lambda m, x: x[np.array([True, False])], (V,)),
    ("take_float_index", lambda m, x: m.take(x, np.array([1.5])), (V,)),
    ("tensordot_axes_out", lambda m, x, y: m.tensordot(x, y, axes=([5], [0])), (M, M)),
    ("tensordot_axes_count", lambda m, x, y: m.tensordot(x, y, axes=([0, 1], [0])), (M, M)),
    ("tensordot_ok", lambda m, x, y: m.tensordot(x, y, axes=([0], [0])), (M, M)),
    ("cumsum_axis_m2", lambda m, x: m.cumsum(x, axis=-2), (V,)),
    ("argsort_kind_bad", lambda m, x: m.argsort(x, kind="bogus"), (V,)),
    ("sort_kind_stable_ok", lambda m, x: m.sort(x, kind="stable"), (V,)),
    ("squeeze_not_one", lambda m, x: m.squeeze(x, axis=0), (M,)),
    ("expand_dims_repeat", lambda m, x: m.expand_dims(x, (0, 0)), (V,)),
    ("ravel_multi_index_ok", lambda m, x: m.ravel(x), (M,)),
    ("tensordot_mismatch", lambda m, x, y: m.tensordot(x, y, axes=1), (M, V4)),
    ("tensordot_axes_bad", lambda m, x, y: m.tensordot(x, y, axes=3), (M, M)),
    ("polyval_ok", lambda m, x: m.polyval(x, 2.0), (V,)),
    ("vander_2d", lambda m, x: m.vander(x), (M,)),
    ("meshgrid_ok", lambda m, x, y: m.meshgrid(x, y), (V, V4)),
    ("atleast_2d_ok", lambda m, x: m.atleast_2d(x), (S,)),
    ("partition_0d", lambda m, x: m.partition(x, 0), (S,)),
    ("sort_complex_0d", lambda m, x: m.sort_complex(x), (S,)),
    ("argpartition_0d_ok", lambda m, x: m.argpartition(x, 0), (S,)),
    ("sort_0d_ok", lambda m, x: m.sort(x, axis=None), (S,)),
]

MODES = ("grad", "vmap", "jit")


def _traced(x, t):
    """``x`` as a value of the eager trace of ``t``: its dtype, shape and bits."""
    return wnp.where(t == t, x, x)


def _run(mode, fn, args):
    f = lambda *a: fn(wnp, *a)  # noqa: E731
    if mode == "jit":
        return wire.jit(f)(*args)
    if mode == "vmap":
        out = wire.vmap(f)(*[a[None] for a in args])
        return wire.tree.map(lambda o: o[0], out) if not isinstance(out, np.ndarray) else out[0]
    def g(t):
        return t, f(*[_traced(a, t) for a in args])
    return wire.grad(g, has_aux=True)(1.0)[1]


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [leaf for o in out for leaf in _leaves(o)]
    if hasattr(out, "_fields"):
        return [leaf for o in tuple(out) for leaf in _leaves(o)]
    return [np.asarray(out)]


def _public(cls):
    """NumPy's nearest public class of ``cls`` (``TypeError`` for its private
    ``_UFuncNoLoopError``)."""
    for c in cls.__mro__:
        if not c.__module__.startswith("numpy._core"):
            return c
    return cls


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (NumPy's and wire's: mean of empty)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, fn, args", CASES, ids=[c[0] for c in CASES])
def test_bare_exceptions(name, fn, args, mode):
    try:
        with np.errstate(all="ignore"):
            want = fn(np, *args)
    except Exception as e:  # noqa: BLE001 - NumPy's class is the oracle
        kind = _public(type(e))
        with pytest.raises(Exception) as got:  # noqa: PT011 - checked below
            _run(mode, fn, args)
        err = got.value
        assert isinstance(err, wire.WireError), f"bare {type(err).__name__}: {err}"
        assert isinstance(err, kind), f"{type(err).__name__} is not NumPy's {kind.__name__}: {err}"
        assert HERE in str(err), f"no user line in: {err}"
        return
    with np.errstate(all="ignore"):
        got = _run(mode, fn, args)
    w, g = _leaves(want), _leaves(got)
    assert len(w) == len(g)
    for a, b in zip(w, g):
        assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_enough_cases():
    assert len(CASES) * len(MODES) >= 150
