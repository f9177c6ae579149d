"""wire.scipy.spatial.transform: Rotation and Slerp against scipy.spatial.transform (every
conversion, all 24 Euler sequences with gimbal lock, SciPy's canonical signs, non-orthogonal
matrices, apply/compose broadcasting, mean, Slerp), derivatives against finite differences at
the zero rotation (finite, where JAX's are NaN), near pi and at pi, and Rotation as a pytree
through jit, vmap and grad."""

import itertools
import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.transform import Rotation as SR
from scipy.spatial.transform import Slerp as SSlerp

import wire
import wire.numpy as wnp
from finite_differences import fd_grad
from selection import slow_selected
from wire.scipy.spatial.transform import Rotation, Slerp

RNG = np.random.default_rng(0)
# random quaternions and the special ones: identity both signs, rotations by pi (w = 0, with
# negative leading components: SciPy's canonical sign), a tiny angle
QUATS = np.concatenate([RNG.standard_normal((40, 4)),
                        [[0, 0, 0, 1.0], [0, 0, 0, -1.0], [1.0, 0, 0, 0], [-1.0, 0, 0, 0],
                         [0, -1.0, 0, 0], [0, 0, -1.0, 0], [-1.0, 1.0, 0, 0], [1e-9, 0, 0, 1.0]]])
SEQS = ["".join(p) for p in itertools.product("xyz", repeat=3) if p[0] != p[1] != p[2]]


def _close(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=tol)


def test_conversions_match_scipy():
    r, s = Rotation.from_quat(QUATS), SR.from_quat(QUATS)
    _close(r.as_quat(), s.as_quat())
    _close(r.as_quat(canonical=True), s.as_quat(canonical=True))
    _close(r.as_quat(scalar_first=True), s.as_quat(scalar_first=True))
    _close(Rotation.from_quat(QUATS[:, [3, 0, 1, 2]], scalar_first=True).as_quat(), s.as_quat())
    _close(r.as_matrix(), s.as_matrix())
    _close(r.as_rotvec(), s.as_rotvec())          # SciPy's sign at angle pi (w = 0)
    _close(r.as_rotvec(degrees=True), s.as_rotvec(degrees=True), 1e-10)
    _close(r.as_mrp(), s.as_mrp())
    _close(r.magnitude(), s.magnitude())
    _close(r.inv().as_quat(), s.inv().as_quat())
    mats = s.as_matrix()
    _close(Rotation.from_matrix(mats).as_quat(), SR.from_matrix(mats).as_quat())
    rv = np.concatenate([RNG.standard_normal((20, 3)),
                         [[0, 0, 0], [1e-5, 0, 0], [2e-3, -1e-3, 0], [np.pi, 0, 0],
                          [0, 0, -np.pi]]])
    _close(Rotation.from_rotvec(rv).as_quat(), SR.from_rotvec(rv).as_quat())
    _close(Rotation.from_rotvec(rv * 50, degrees=True).as_quat(),
           SR.from_rotvec(rv * 50, degrees=True).as_quat())
    _close(Rotation.from_mrp(rv).as_quat(), SR.from_mrp(rv).as_quat())
    # single rotations stay single
    assert Rotation.from_rotvec(rv[0]).as_matrix().shape == (3, 3)
    assert Rotation.from_quat(QUATS[0]).single and not r.single


def test_from_matrix_non_orthogonal_as_scipy():
    skew = np.array([[1.0, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    mats = np.stack([skew, np.eye(3), 1.1 * SR.from_rotvec([0.3, -0.2, 0.1]).as_matrix()])
    _close(Rotation.from_matrix(mats).as_quat(), SR.from_matrix(mats).as_quat())
    with pytest.raises(wire.WireError, match="determinant"):
        Rotation.from_matrix(np.diag([1.0, 1.0, -1.0]))
    nan = np.eye(3)
    nan[0, 0] = np.nan                                # SciPy: LinAlgError from its SVD
    assert np.isnan(Rotation.from_matrix(np.stack([nan, skew])).quat[0]).all()
    # traced: NaN for a reflection (SciPy's lazy arrays do the same), no exception
    assert np.isnan(wire.jit(lambda m: Rotation.from_matrix(m).quat)(np.diag([1.0, 1, -1]))).all()
    # the same nearest rotation under jit (JAX's from_matrix does not orthogonalise)
    _close(wire.jit(lambda m: Rotation.from_matrix(m).quat)(mats), SR.from_matrix(mats).as_quat())
    # derivatives: of SciPy's function (the nearest rotation, then Markley's method), at a
    # rotation and off one, finite where the SVD's would divide by 1 - 1
    c = np.array([0.3, -1.0, 0.7, 2.0])
    for m in (SR.from_rotvec([0.3, -0.2, 0.1]).as_matrix(), mats[0]):
        g = wire.grad(lambda m: wnp.sum(c * Rotation.from_matrix(m).quat))(m)
        np.testing.assert_allclose(
            g, fd_grad(lambda m: np.sum(c * SR.from_matrix(m).as_quat()), m, eps=1e-7),
            atol=1e-7)


@pytest.mark.parametrize("seq", SEQS)
def test_euler_all_sequences_with_gimbal_lock(seq):
    for sq in (seq, seq.upper()):
        angles = np.concatenate([RNG.uniform(-3, 3, (8, 3)),
                                 [[0.3, 0.0, 0.2], [0.3, np.pi, 0.2], [0.3, np.pi / 2, 0.2],
                                  [0.3, -np.pi / 2, 0.2]]])
        _close(Rotation.from_euler(sq, angles).as_quat(), SR.from_euler(sq, angles).as_quat())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")           # SciPy warns of gimbal lock
            want = SR.from_quat(QUATS).as_euler(sq)
            want_lock = SR.from_euler(sq, angles).as_euler(sq)
        got = Rotation.from_quat(QUATS).as_euler(sq)
        # equal as angles: +pi and -pi are the same (they differ on exact zeros of w)
        _close(np.angle(np.exp(1j * (got - want))), 0.0, 1e-9)
        _close(np.angle(np.exp(1j * (Rotation.from_euler(sq, angles).as_euler(sq)
                                     - want_lock))), 0.0, 1e-9)


def test_from_euler_shapes_and_degrees():
    for seq, ang in (("z", 0.3), ("z", [0.3]), ("X", [[0.1], [0.2]]), ("xy", [0.1, 0.2]),
                     ("ZX", RNG.uniform(-3, 3, (4, 2)))):
        got, want = Rotation.from_euler(seq, ang).as_quat(), SR.from_euler(seq, ang).as_quat()
        assert got.shape == want.shape
        _close(got, want)
    _close(Rotation.from_euler("xyz", [10, 20, 30], degrees=True).as_quat(),
           SR.from_euler("xyz", [10, 20, 30], degrees=True).as_quat())
    _close(Rotation.from_euler("zyx", [10.0, 20, 30]).as_euler("zyx", degrees=True),
           SR.from_euler("zyx", [10.0, 20, 30]).as_euler("zyx", degrees=True), 1e-10)
    with pytest.raises(wire.ShapeError, match="last dimension 1"):
        Rotation.from_euler("z", [1.0, 2.0, 3.0])     # JAX silently uses the first angle
    for bad in ("xxz", "xyZ", "", "abc"):
        with pytest.raises(wire.WireError):
            Rotation.from_euler(bad, [0.1, 0.2, 0.3])
    with pytest.raises(wire.WireError, match="3 axes"):
        Rotation.identity().as_euler("xy")


def test_apply_compose_mean_slerp_match_scipy():
    r, s = Rotation.from_quat(QUATS), SR.from_quat(QUATS)
    v = RNG.standard_normal((len(QUATS), 3))
    _close(r.apply(v), s.apply(v))
    _close(r.apply(v[0]), s.apply(v[0]))
    _close(r[3].apply(v), s[3].apply(v))
    _close(r.apply(v, inverse=True), s.apply(v, inverse=True))
    _close((r * r[::-1]).as_quat(), (s * s[::-1]).as_quat())
    _close((r[0] * r).as_quat(), (s[0] * s).as_quat())
    w = RNG.uniform(0, 1, len(QUATS))
    _close(r.mean(w).as_quat(canonical=True), s.mean(w).as_quat(canonical=True), 1e-10)
    _close(r[:5].mean().as_quat(canonical=True), s[:5].mean().as_quat(canonical=True), 1e-10)
    times = np.array([0.0, 1.0, 3.0, 4.0])
    ours, theirs = Slerp.init(times, r[:4]), SSlerp(times, s[:4])
    t = np.linspace(0.0, 4.0, 17)
    _close(ours(t).as_quat(canonical=True), theirs(t).as_quat(canonical=True))
    _close(ours(2.5).as_quat(canonical=True), theirs(2.5).as_quat(canonical=True))
    assert ours(2.5).single and len(ours(t)) == 17
    with pytest.raises(wire.ShapeError, match=r"cannot broadcast \(3,\) rotations to \(2,\)"):
        r[:3].apply(v[:2])
    with pytest.raises(wire.ShapeError, match=r"cannot broadcast \(3,\) rotations to \(2,\)"):
        r[:3] * r[:2]


def test_batching_identity_concatenate_getitem_len():
    assert Rotation.identity().quat.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert Rotation.identity(3).quat.shape == (3, 4)
    assert Rotation.identity(dtype=np.float32).quat.dtype == np.float32
    r = Rotation.concatenate([Rotation.identity(), Rotation.from_quat(QUATS[:2])])
    assert len(r) == 3 and r[1:].quat.shape == (2, 4)
    _close(r[2].as_quat(), SR.from_quat(QUATS[1]).as_quat())
    one = Rotation.identity()
    with pytest.raises(TypeError, match="subscriptable"):
        one[0]
    with pytest.raises(TypeError, match="len"):
        len(one)
    with pytest.raises(wire.WireError, match="zero norm"):
        Rotation.from_quat([0.0, 0.0, 0.0, 0.0])
    with pytest.raises(wire.ShapeError, match=r"\(\.\.\., 4\)"):
        Rotation.from_quat([1.0, 0.0, 0.0])
    with pytest.raises(wire.ShapeError):
        Rotation.from_matrix(np.eye(2))
    # float32 in, float32 out
    q32 = Rotation.from_rotvec(np.array([0.1, 0.2, 0.3], np.float32))
    assert q32.quat.dtype == np.float32 and q32.as_matrix().dtype == np.float32


def test_slerp_checks():
    r = Rotation.from_quat(QUATS[:3])
    with pytest.raises(wire.WireError, match="increasing"):
        Slerp.init([0.0, 2.0, 1.0], r)
    with pytest.raises(wire.WireError, match="within"):
        Slerp.init([0.0, 1.0, 2.0], r)(2.5)
    with pytest.raises(wire.WireError, match="at least 2"):
        Slerp.init([0.0], r[:1])
    with pytest.raises(wire.ShapeError):
        Slerp.init([0.0, 1.0], r)


AXIS = np.array([1.0, 2.0, 2.0]) / 3.0
POINTS = [np.zeros(3), np.array([1e-4, -2e-4, 5e-5]), np.array([2e-3, 0.0, 0.0]), 0.7 * AXIS,
          (np.pi - 1e-3) * AXIS, np.pi * AXIS]


@pytest.mark.parametrize("v", POINTS, ids=["0", "1e-4", "2e-3", "0.7", "pi-1e-3", "pi"])
def test_rotvec_derivatives_vs_finite_differences(v):
    c = np.random.default_rng(1).standard_normal((3, 3))
    u, p = np.array([0.3, -1.2, 2.0]), np.array([1.0, 2.0, -0.5])
    g_mat = wire.grad(lambda v: wnp.sum(c * Rotation.from_rotvec(v).as_matrix()))(v)
    g_app = wire.grad(lambda v: wnp.dot(u, Rotation.from_rotvec(v).apply(p)))(v)
    assert np.isfinite(g_mat).all() and np.isfinite(g_app).all()   # JAX's are NaN at v = 0
    np.testing.assert_allclose(g_mat, fd_grad(lambda v: np.sum(c * SR.from_rotvec(v).as_matrix()),
                                              v), atol=1e-8)
    np.testing.assert_allclose(g_app, fd_grad(lambda v: u @ SR.from_rotvec(v).apply(p), v),
                               atol=1e-8)


def test_derivatives_at_the_identity():
    u = np.array([0.3, -1.2, 2.0])
    q0 = np.array([0.0, 0.0, 0.0, 1.0])
    g = wire.grad(lambda q: wnp.sum(u * Rotation(q).as_rotvec()))(q0)
    np.testing.assert_allclose(g, fd_grad(lambda q: u @ SR.from_quat(q).as_rotvec(), q0),
                               atol=1e-8)
    jac = wire.jacfwd(lambda v: Rotation.from_rotvec(v).as_rotvec())(np.zeros(3))
    np.testing.assert_allclose(jac, np.eye(3), atol=1e-15)
    # |v| has no derivative at 0: wire gives the subgradient 0, not NaN
    assert wire.grad(lambda v: Rotation.from_rotvec(v).magnitude())(np.zeros(3)).tolist() == \
        [0.0, 0.0, 0.0]
    a0 = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(
        wire.grad(lambda a: wnp.sum(Rotation.from_euler("xyz", a).as_euler("zyx")))(a0),
        fd_grad(lambda a: SR.from_euler("xyz", a).as_euler("zyx").sum(), a0), atol=1e-8)


def test_rotation_is_a_pytree_through_jit_vmap_grad():
    rv = np.array([[0.1, 0.2, 0.3], [0.5, -0.1, 0.0]])
    r = Rotation.from_rotvec(rv)
    out = wire.jit(lambda r, v: (r.inv() * r).apply(v))(r, np.ones(3))
    _close(out, np.ones((2, 3)), 1e-15)
    made = wire.jit(lambda v: Rotation.from_rotvec(v))(rv[0])
    assert isinstance(made, Rotation)
    _close(made.quat, SR.from_rotvec(rv[0]).as_quat())
    _close(wire.vmap(lambda r: r.as_matrix())(r), SR.from_rotvec(rv).as_matrix())
    _close(wire.vmap(lambda v: Rotation.from_rotvec(v).as_euler("xyz"))(rv),
           SR.from_rotvec(rv).as_euler("xyz"))
    g = wire.grad(lambda r: wnp.sum(r.as_matrix()))(r)
    assert isinstance(g, Rotation) and g.quat.shape == (2, 4)
    s = Slerp.init(np.array([0.0, 1.0, 2.0]),
                   Rotation.from_rotvec(np.array([[0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]])))
    _close(wire.jit(lambda s, t: s(t).as_rotvec())(s, np.array([0.5, 1.5])),
           SSlerp([0.0, 1.0, 2.0], SR.from_rotvec([[0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]]))(
               [0.5, 1.5]).as_rotvec())
    # d/dt of the interpolated rotation vector on the first segment: the segment's rotvec
    np.testing.assert_allclose(wire.grad(lambda t: wnp.sum(s(t).as_rotvec()))(0.5), 1.0,
                               atol=1e-12)


def test_random_rotations():
    key = wire.random.key(3)
    r = Rotation.random(key, 2)
    np.testing.assert_array_equal(r.quat, wire.jit(lambda k: Rotation.random(k, 2).quat)(key))
    n = wire.random.normal(key, (2, 4))
    _close(r.quat, n / np.linalg.norm(n, axis=-1, keepdims=True), 1e-15)
    assert Rotation.random(key).single
    keys = wire.random.split(key, 2)
    _close(wire.vmap(lambda k: Rotation.random(k).quat)(keys),
           np.stack([Rotation.random(k).quat for k in keys]), 0.0)
    # uniform on SO(3): the angle has density (1 - cos t) / pi, cdf (t - sin t) / pi
    angles = np.asarray(Rotation.random(wire.random.key(5), 3000).magnitude())
    assert stats.kstest(angles, lambda t: (t - np.sin(t)) / np.pi).pvalue > 1e-3
    with pytest.raises(TypeError, match="key"):
        Rotation.random(np.zeros(3), 2)


@pytest.mark.slow
def test_same_as_jax_where_jax_agrees_with_scipy(request):
    """Generic rotations (w != 0, orthogonal matrices): JAX's numbers; the differences (the
    sign at angle pi, non-orthogonal matrices, derivatives at 0) are tested against SciPy."""
    if not slow_selected(request.config):
        pytest.skip("runs with -m slow")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    from jax.scipy.spatial.transform import Rotation as JR  # noqa: PLC0415  (optional oracle)
    from jax.scipy.spatial.transform import Slerp as JSlerp  # noqa: PLC0415
    q = QUATS[:40]
    r, j = Rotation.from_quat(q), JR.from_quat(q)
    v = RNG.standard_normal((40, 3))
    _close(r.as_matrix(), j.as_matrix())
    _close(r.as_rotvec(), j.as_rotvec())
    _close(r.apply(v), j.apply(v))
    _close((r * r[::-1]).as_quat(), (j * j[::-1]).as_quat())
    _close(Rotation.from_matrix(r.as_matrix()).as_quat(), JR.from_matrix(r.as_matrix()).as_quat())
    for seq in ("xyz", "ZXZ"):
        _close(r.as_euler(seq), j.as_euler(seq), 1e-10)
        _close(Rotation.from_euler(seq, v).as_quat(), JR.from_euler(seq, v).as_quat())
    times = np.array([0.0, 1.0, 3.0])
    t = np.linspace(0.0, 3.0, 7)
    _close(Slerp.init(times, r[:3])(t).as_quat(), JSlerp.init(times, j[:3])(t).as_quat())
