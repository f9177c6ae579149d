"""``wire.scipy.spatial.transform``: ``Rotation`` and ``Slerp``, rotations in 3 dimensions
(``jax.scipy.spatial.transform``'s classes; ``scipy.spatial.transform``'s conventions).

A :class:`Rotation` holds unit quaternions ``(x, y, z, w)`` (scalar last) in ``quat``, of
shape ``(4,)`` (one rotation) or ``(..., 4)`` (a batch). It is a namedtuple, so a pytree: it
is an argument and a result of ``wire.jit``, ``wire.vmap`` and ``wire.grad`` like any array.
Conversions follow SciPy's formulas (its small-angle series, its canonical sign ``w >= 0``
where SciPy applies it: ``as_rotvec``, ``as_quat(canonical=True)``), and their derivatives
are finite at the identity (``from_rotvec`` and ``as_rotvec`` at a zero angle), where JAX's
are NaN.

>>> import numpy as np, wire
>>> r = Rotation.from_euler("z", 90, degrees=True)
>>> r.apply(np.array([1.0, 0.0, 0.0])).round(12)
array([0., 1., 0.])
>>> (r * Rotation.from_euler("x", 90, degrees=True)).as_matrix().round(12) + 0.0
array([[0., 0., 1.],
       [1., 0., 0.],
       [0., 1., 0.]])
>>> wire.grad(lambda v: Rotation.from_rotvec(v).apply(np.array([1.0, 0.0, 0.0]))[1])(np.zeros(3))
array([0., 0., 1.])
"""

from __future__ import annotations

import re
import typing

import numpy as np

from ... import numpy as wnp
from ...core import Tracer
from ...errors import ShapeError, WireTypeError, WireValueError, at, user_location
from ...ops import random_bits as _bits
from ...ops.shape import to_tracer
from ...tracebacks import expose

__all__ = ["Rotation", "Slerp"]


def _is_traced(*xs):
    return any(isinstance(x, Tracer) for x in xs)


def _dtype(x):
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def _shape(x):
    return tuple(wnp.shape(x))


def _as_float(x, what):
    """An array of a floating dtype (integers become float64, as SciPy's)."""
    if not isinstance(x, Tracer):
        x = np.asarray(x)
    kind = _dtype(x).kind
    if kind in "biu":
        return x.astype(np.float64)
    if kind != "f":
        raise WireTypeError(f"Rotation: {what} must be real, got dtype {_dtype(x)}"
                            f"{at(user_location())}")
    return x


def _last_axis(x, n, what):
    s = _shape(x)
    if len(s) == 0 or s[-1] != n:
        raise ShapeError(f"Rotation: {what} must have shape ({n},) or (..., {n}), got {s}"
                         f"{at(user_location())}")


def _broadcast(what, a, a_name, b, b_name):
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        raise ShapeError(f"Rotation.{what}: cannot broadcast {a} {a_name} to {b} {b_name}"
                         f"{at(user_location(3))}") from None


def _safe_norm(v):
    """``|v|`` over the last axis, with derivative 0 (not NaN) at ``v = 0``."""
    s2 = wnp.sum(v * v, axis=-1)
    pos = s2 > 0
    return wnp.where(pos, wnp.sqrt(wnp.where(pos, s2, wnp.ones_like(s2))), wnp.zeros_like(s2))


def _normalize_quaternion(quat):
    norm = wnp.sqrt(wnp.sum(quat * quat, axis=-1, keepdims=True))
    if not _is_traced(quat):
        if np.any(np.asarray(norm) == 0):
            raise WireValueError(f"Rotation: found zero norm quaternions in quat"
                                 f"{at(user_location())}")
    return quat / norm  # a traced zero quaternion gives NaN (SciPy's lazy arrays do too)


def _quat_canonical(quat):
    """``-quat`` where SciPy's canonical form needs it: ``w < 0``, or ``w = 0`` and the
    first nonzero of ``x, y, z`` negative."""
    x, y, z, w = (quat[..., i] for i in range(4))
    mask = w < 0
    zero_w = w == 0
    mask = mask | (zero_w & (x < 0))
    zero_wx = zero_w & (x == 0)
    mask = mask | (zero_wx & (y < 0))
    mask = mask | (zero_wx & (y == 0) & (z < 0))
    return wnp.where(mask[..., None], -quat, quat)


def _compose_quat(p, q):
    cross = wnp.cross(p[..., :3], q[..., :3])
    return wnp.stack([p[..., 3] * q[..., 0] + q[..., 3] * p[..., 0] + cross[..., 0],
                      p[..., 3] * q[..., 1] + q[..., 3] * p[..., 1] + cross[..., 1],
                      p[..., 3] * q[..., 2] + q[..., 3] * p[..., 2] + cross[..., 2],
                      p[..., 3] * q[..., 3] - p[..., 0] * q[..., 0] - p[..., 1] * q[..., 1]
                      - p[..., 2] * q[..., 2]], axis=-1)


def _as_matrix(quat):
    x, y, z, w = (quat[..., i] for i in range(4))
    x2, y2, z2, w2 = x * x, y * y, z * z, w * w
    xy, zw, xz, yw, yz, xw = x * y, z * w, x * z, y * w, y * z, x * w
    rows = [[x2 - y2 - z2 + w2, 2 * (xy - zw), 2 * (xz + yw)],
            [2 * (xy + zw), -x2 + y2 - z2 + w2, 2 * (yz - xw)],
            [2 * (xz - yw), 2 * (yz + xw), -x2 - y2 + z2 + w2]]
    return wnp.stack([wnp.stack(r, axis=-1) for r in rows], axis=-2)


def _from_matrix_orthogonal(matrix):
    """Markley's method (SciPy's and JAX's): the largest of ``x, y, z, w`` found from the
    diagonal and the trace, the others from off-diagonal sums."""
    m = lambda i, j: matrix[..., i, j]  # noqa: E731
    trace = m(0, 0) + m(1, 1) + m(2, 2)
    choice = wnp.argmax(wnp.stack([m(0, 0), m(1, 1), m(2, 2), trace], axis=-1), axis=-1)
    cases = []
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        q = [None] * 4
        q[i] = 1 - trace + 2 * m(i, i)
        q[j] = m(j, i) + m(i, j)
        q[k] = m(k, i) + m(i, k)
        q[3] = m(k, j) - m(j, k)
        cases.append(wnp.stack(q, axis=-1))
    cases.append(wnp.stack([m(2, 1) - m(1, 2), m(0, 2) - m(2, 0), m(1, 0) - m(0, 1),
                            1 + trace], axis=-1))
    quat = cases[3]
    for c in range(3):
        quat = wnp.where((choice == c)[..., None], cases[c], quat)
    return quat / wnp.sqrt(wnp.sum(quat * quat, axis=-1, keepdims=True))


def _nearest_rotation(m):
    """The orthogonal polar factor ``U Vᵀ`` of ``m = U S Vᵀ`` (SciPy takes it from an SVD) by
    eight scaled Newton steps ``X <- (g X + X⁻ᵀ / g) / 2`` (Higham): exact to rounding for
    condition numbers up to 1e10, the identity map on rotations, and smooth: its derivative
    has no division by differences of singular values, which are all 1 at a rotation."""
    x = m
    for _ in range(8):
        xi = wnp.linalg.inv(x)
        g = wnp.sqrt(wnp.sqrt(wnp.sum(xi * xi, axis=(-2, -1)))
                     / wnp.sqrt(wnp.sum(x * x, axis=(-2, -1))))[..., None, None]
        x = 0.5 * (g * x + wnp.swapaxes(xi, -1, -2) / g)
    return x


def _from_matrix(matrix):
    """SciPy's ``from_matrix``: the nearest rotation of ``matrix`` (itself when it is one),
    then Markley's method. A determinant <= 0 raises (traced: NaN, as SciPy's lazy arrays)."""
    det = wnp.linalg.det(matrix)
    if not _is_traced(matrix):
        bad = np.asarray(det) <= 0
        if np.any(bad):
            ind = int(np.flatnonzero(np.atleast_1d(bad))[0])
            raise WireValueError(
                f"Rotation.from_matrix: non-positive determinant (left-handed or null "
                f"coordinate frame) in rotation matrix {ind}: "
                f"{np.asarray(matrix).reshape(-1, 3, 3)[ind].tolist()}{at(user_location(2))}")
    usable = (det > 0) & wnp.all(wnp.isfinite(matrix), axis=(-2, -1))
    eye = wnp.asarray(np.eye(3, dtype=_dtype(matrix)))
    safe = wnp.where(usable[..., None, None], matrix, eye)  # no inverse of a singular one
    m = wnp.where(usable[..., None, None], _nearest_rotation(safe), matrix)
    quat = _from_matrix_orthogonal(m)
    return wnp.where((det <= 0)[..., None], wnp.asarray(np.nan, _dtype(quat)), quat)


def _from_rotvec(rotvec):
    angle2 = wnp.sum(rotvec * rotvec, axis=-1, keepdims=True)
    small = angle2 <= 1e-6  # angle <= 1e-3: SciPy's series
    angle = wnp.sqrt(wnp.where(small, wnp.ones_like(angle2), angle2))
    small_scale = 0.5 - angle2 / 48 + angle2 * angle2 / 3840
    scale = wnp.where(small, small_scale, wnp.sin(angle / 2) / angle)
    w = wnp.where(small, 1 - angle2 / 8 + angle2 * angle2 / 384, wnp.cos(angle / 2))
    return wnp.concatenate([scale * rotvec, w], axis=-1)


def _as_rotvec(quat):
    quat = _quat_canonical(quat)
    angle = 2 * wnp.arctan2(_safe_norm(quat[..., :3]), quat[..., 3])[..., None]
    small = angle <= 1e-3
    angle2 = angle * angle
    small_scale = 2 + angle2 / 12 + 7 * angle2 * angle2 / 2880
    div_sin = wnp.where(small, wnp.ones_like(angle), wnp.sin(angle / 2))
    scale = wnp.where(small, small_scale, angle / div_sin)
    return scale * quat[..., :3]


def _as_mrp(quat):
    sign = wnp.where(quat[..., 3:] < 0, -wnp.ones_like(quat[..., 3:]),
                     wnp.ones_like(quat[..., 3:]))
    return sign * quat[..., :3] / (1 + sign * quat[..., 3:])


def _from_mrp(mrp):
    p2 = wnp.sum(mrp * mrp, axis=-1, keepdims=True) + 1
    return wnp.concatenate([2 * mrp, 2 - p2], axis=-1) / p2


_SEQ_PATTERNS = (re.compile(r"^[XYZ]{1,3}$"), re.compile(r"^[xyz]{1,3}$"))


def _parse_seq(seq, what, exactly3):
    if not isinstance(seq, str) or not (1 <= len(seq) <= 3) or (exactly3 and len(seq) != 3):
        raise WireValueError(f"Rotation.{what}: expected "
                             f"{'3 axes' if exactly3 else 'a string of 1 to 3 axes'}, got "
                             f"{seq!r}{at(user_location(2))}")
    intrinsic = _SEQ_PATTERNS[0].match(seq) is not None
    extrinsic = _SEQ_PATTERNS[1].match(seq) is not None
    if not (intrinsic or extrinsic):
        raise WireValueError(f"Rotation.{what}: expected axes from 'xyz' (extrinsic) or "
                             f"'XYZ' (intrinsic), got {seq!r}{at(user_location(2))}")
    if any(seq[i] == seq[i + 1] for i in range(len(seq) - 1)):
        raise WireValueError(f"Rotation.{what}: consecutive axes must differ, got {seq!r}"
                             f"{at(user_location(2))}")
    return ["xyz".index(a) for a in seq.lower()], intrinsic


def _elementary_quat(axis, angle):
    zero = wnp.zeros_like(angle)
    parts = [zero, zero, zero, wnp.cos(angle / 2)]
    parts[axis] = wnp.sin(angle / 2)
    return wnp.stack(parts, axis=-1)


def _get_angles(extrinsic, symmetric, sign, lamb, a, b, c, d):
    """SciPy's ``_get_angles``: the three angles from the permuted quaternion; in gimbal
    lock (middle angle within 1e-7 of 0 or pi) the third angle is set to 0."""
    eps = 1e-7
    half_sum = wnp.arctan2(b, a)
    half_diff = wnp.arctan2(d, c)
    second = 2 * wnp.arctan2(wnp.hypot(c, d), wnp.hypot(a, b))
    case1 = wnp.abs(second) <= eps
    case2 = wnp.abs(second - np.pi) <= eps
    case0 = ~(case1 | case2)
    zero = wnp.zeros_like(second)
    angles = [wnp.where(case1, 2 * half_sum, 2 * half_diff * (-1 if extrinsic else 1)),
              second, zero]
    first, third = (0, 2) if extrinsic else (2, 0)
    angles[first] = wnp.where(case0, half_sum - half_diff, angles[first])
    a3 = wnp.where(case0, half_sum + half_diff, angles[third])
    if not symmetric:
        a3 = a3 * sign
        angles[1] = angles[1] - lamb
    angles[third] = a3
    out = wnp.stack(angles, axis=-1)
    return (out + np.pi) % (2 * np.pi) - np.pi


def _as_euler(quat, axes, extrinsic):
    i, j, k = axes if extrinsic else axes[::-1]
    symmetric = i == k
    if symmetric:
        k = 3 - i - j
    sign = (i - j) * (j - k) * (k - i) // 2
    q = lambda n: quat[..., n]  # noqa: E731
    if symmetric:
        a, b, c, d = q(3), q(i), q(j), q(k) * sign
    else:
        a, b, c, d = q(3) - q(j), q(i) + q(k) * sign, q(j) + q(3), q(k) * sign - q(i)
    return _get_angles(extrinsic, symmetric, sign, np.pi / 2, a, b, c, d)


def _check_key(key):
    ok = (_shape(key) == tuple(_bits.KEY_SHAPE)
          and np.dtype(_dtype(key)) == np.dtype(_bits.KEY_DTYPE))
    if not ok:
        raise WireTypeError(f"Rotation.random needs a key made by wire.random.key/split "
                            f"(uint32 array of shape (4,)), got {_dtype(key)}"
                            f"{list(_shape(key))}{at(user_location(2))}")


class Rotation(typing.NamedTuple):
    """Rotations in 3 dimensions as unit quaternions ``quat`` (``(x, y, z, w)``; ``(4,)`` or
    ``(N, 4)``), ``jax.scipy.spatial.transform.Rotation`` (a namedtuple, so a pytree) with
    ``scipy.spatial.transform.Rotation``'s conventions. Build one with the ``from_*``
    classmethods, ``identity`` or ``random``; ``Rotation(quat)`` takes ``quat`` as it is (no
    normalisation).

    >>> import numpy as np
    >>> r = Rotation.from_rotvec(np.array([[0.0, 0.0, np.pi / 2], [np.pi / 2, 0.0, 0.0]]))
    >>> len(r), r[1].as_euler("xyz").round(6), r.magnitude().round(6)
    (2, array([1.570796, 0.      , 0.      ]), array([1.570796, 1.570796]))
    """

    quat: typing.Any

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_quat(cls, quat, *, scalar_first: bool = False) -> Rotation:
        """From quaternions ``(x, y, z, w)`` (``(w, x, y, z)`` with ``scalar_first``),
        normalised; a zero quaternion raises (NaN when traced).

        >>> Rotation.from_quat([0.0, 0.0, 0.0, 2.0]).quat
        array([0., 0., 0., 1.])
        """
        quat = _as_float(quat, "quat")
        _last_axis(quat, 4, "quat")
        if scalar_first:
            quat = wnp.roll(quat, -1, axis=-1)
        return cls(_normalize_quaternion(quat))

    @classmethod
    def from_matrix(cls, matrix) -> Rotation:
        """From rotation matrices ``(3, 3)`` or ``(N, 3, 3)``. As SciPy: a matrix that is not
        orthogonal is replaced by the nearest rotation (JAX's is not), a determinant <= 0
        raises (NaN under tracing, where nothing can be raised).

        >>> import numpy as np
        >>> Rotation.from_matrix(np.diag([1.0, -1.0, -1.0])).as_rotvec().round(6)
        array([3.141593, 0.      , 0.      ])
        """
        matrix = _as_float(matrix, "matrix")
        s = _shape(matrix)
        if len(s) < 2 or s[-2:] != (3, 3):
            raise ShapeError(f"Rotation.from_matrix: expected shape (3, 3) or (N, 3, 3), got "
                             f"{s}{at(user_location())}")
        return cls(_from_matrix(matrix))

    @classmethod
    def from_rotvec(cls, rotvec, degrees: bool = False) -> Rotation:
        """From rotation vectors (axis times angle, radians unless ``degrees``).

        >>> import numpy as np
        >>> Rotation.from_rotvec(np.array([0.0, 0.0, np.pi])).quat.round(12)
        array([0., 0., 1., 0.])
        """
        rotvec = _as_float(rotvec, "rotvec")
        _last_axis(rotvec, 3, "rotvec")
        if degrees:
            rotvec = rotvec * (np.pi / 180.0)
        return cls(_from_rotvec(rotvec))

    @classmethod
    def from_mrp(cls, mrp) -> Rotation:
        """From modified Rodrigues parameters (``axis * tan(angle / 4)``).

        >>> import numpy as np
        >>> Rotation.from_mrp(np.array([0.0, 0.0, 1.0])).as_rotvec().round(6)
        array([0.      , 0.      , 3.141593])
        """
        mrp = _as_float(mrp, "mrp")
        _last_axis(mrp, 3, "mrp")
        return cls(_from_mrp(mrp))

    @classmethod
    def from_euler(cls, seq: str, angles, degrees: bool = False) -> Rotation:
        """From Euler angles about the axes of ``seq``: lowercase ``'xyz'`` extrinsic
        (fixed axes), uppercase ``'XYZ'`` intrinsic (rotating axes), 1 to 3 axes. ``angles``
        has last axis ``len(seq)`` (a scalar for one axis).

        >>> Rotation.from_euler("zx", [90.0, 90.0], degrees=True).as_matrix().round(12) + 0.0
        array([[ 0., -1.,  0.],
               [ 0.,  0., -1.],
               [ 1.,  0.,  0.]])
        """
        axes, intrinsic = _parse_seq(seq, "from_euler", False)
        angles = _as_float(angles, "angles")
        if len(_shape(angles)) == 0:
            angles = wnp.reshape(angles, (1,))
        if _shape(angles)[-1] != len(axes):
            raise ShapeError(f"Rotation.from_euler: angles must have last dimension "
                             f"{len(axes)} (the axes of {seq!r}), got shape {_shape(angles)}"
                             f"{at(user_location())}")
        if degrees:
            angles = angles * (np.pi / 180.0)
        quat = _elementary_quat(axes[0], angles[..., 0])
        for n in range(1, len(axes)):
            q = _elementary_quat(axes[n], angles[..., n])
            quat = _compose_quat(quat, q) if intrinsic else _compose_quat(q, quat)
        return cls(quat)

    @classmethod
    def identity(cls, num: int | None = None, dtype=float) -> Rotation:
        """The identity: one rotation, or ``num`` of them.

        >>> Rotation.identity(2).quat
        array([[0., 0., 0., 1.],
               [0., 0., 0., 1.]])
        """
        quat = np.array([0.0, 0.0, 0.0, 1.0], dtype=dtype)
        if num is not None:
            quat = np.tile(quat, (int(num), 1))
        return cls(wnp.asarray(quat))

    @classmethod
    def random(cls, random_key, num: int | None = None) -> Rotation:
        """Uniformly distributed rotations from a ``wire.random`` key (JAX's argument name
        ``random_key``; JAX itself raises ``NotImplementedError``): normalised
        quaternions of independent normal samples (SciPy's method; the numbers are not
        SciPy's or JAX's, whose streams differ). One rotation, or ``num`` of them.

        >>> import wire
        >>> r = Rotation.random(wire.random.key(0), 5)
        >>> len(r), bool(abs((r.quat ** 2).sum(axis=-1) - 1).max() < 1e-15)
        (5, True)
        """
        _check_key(random_key)
        shape = (4,) if num is None else (int(num), 4)
        return cls.from_quat(_bits.sample(random_key, "normal", shape, np.float64))

    @classmethod
    def concatenate(cls, rotations: typing.Sequence) -> Rotation:
        """One batch of all ``rotations`` (single ones count as batches of 1).

        >>> len(Rotation.concatenate([Rotation.identity(), Rotation.identity(2)]))
        3
        """
        quats = [wnp.reshape(r.quat, (-1, 4)) for r in rotations]
        if not quats:
            raise WireValueError(f"Rotation.concatenate needs at least one rotation"
                                 f"{at(user_location())}")
        return cls(wnp.concatenate(quats, axis=0))

    # ------------------------------------------------------------------ representation

    def as_quat(self, canonical: bool = False, *, scalar_first: bool = False):
        """The quaternions ``(x, y, z, w)`` (``(w, x, y, z)`` with ``scalar_first``); with
        ``canonical``, signed so that ``w > 0`` (SciPy's rule for ``w = 0``: the first
        nonzero of ``x, y, z`` positive).

        >>> Rotation.from_quat([0.0, 0.0, 0.0, -1.0]).as_quat(canonical=True)
        array([-0., -0., -0.,  1.])
        """
        quat = _quat_canonical(self.quat) if canonical else self.quat
        return wnp.roll(quat, 1, axis=-1) if scalar_first else quat

    def as_matrix(self):
        """The rotation matrices, ``(3, 3)`` or ``(N, 3, 3)``.

        >>> Rotation.from_quat([0.0, 0.0, 1.0, 1.0]).as_matrix().round(12)
        array([[ 0., -1.,  0.],
               [ 1.,  0.,  0.],
               [ 0.,  0.,  1.]])
        """
        return _as_matrix(self.quat)

    def as_rotvec(self, degrees: bool = False):
        """Rotation vectors (axis times angle in ``[0, pi]``, SciPy's sign for angle pi);
        degrees with ``degrees``.

        >>> Rotation.from_quat([0.0, 0.0, 1.0, 1.0]).as_rotvec(degrees=True).round(12)
        array([ 0.,  0., 90.])
        """
        rotvec = _as_rotvec(self.quat)
        return rotvec * (180.0 / np.pi) if degrees else rotvec

    def as_mrp(self):
        """Modified Rodrigues parameters (``axis * tan(angle / 4)``, angle in ``[0, pi]``).

        >>> Rotation.from_quat([0.0, 0.0, 1.0, 0.0]).as_mrp()
        array([0., 0., 1.])
        """
        return _as_mrp(self.quat)

    def as_euler(self, seq: str, degrees: bool = False):
        """Euler angles for the 3 axes of ``seq`` (as :meth:`from_euler`), SciPy's: the
        first and third in ``[-pi, pi]``, the second in ``[0, pi]`` (repeated axes) or
        ``[-pi/2, pi/2]``; in gimbal lock the third is 0 (SciPy also warns; wire does not).

        >>> Rotation.from_euler("ZYX", [0.1, 0.2, 0.3]).as_euler("ZYX").round(12)
        array([0.1, 0.2, 0.3])
        """
        axes, intrinsic = _parse_seq(seq, "as_euler", True)
        angles = _as_euler(self.quat, axes, not intrinsic)
        return angles * (180.0 / np.pi) if degrees else angles

    # ------------------------------------------------------------------ operations

    def apply(self, vectors, inverse: bool = False):
        """The rotated vectors (``(3,)`` or ``(N, 3)``; one rotation and many vectors, many
        rotations and one vector, or ``N`` of each pairwise); ``inverse`` applies the
        inverse rotation.

        >>> import numpy as np
        >>> Rotation.from_euler("z", 90, degrees=True).apply(np.eye(3)).round(12)
        array([[ 0.,  1.,  0.],
               [-1.,  0.,  0.],
               [ 0.,  0.,  1.]])
        """
        vectors = _as_float(vectors, "vectors")
        _last_axis(vectors, 3, "vectors")
        _broadcast("apply", _shape(self.quat)[:-1], "rotations", _shape(vectors)[:-1],
                   "vectors")
        matrix = self.as_matrix()
        if inverse:
            matrix = wnp.swapaxes(matrix, -1, -2)
        return wnp.sum(matrix * vectors[..., None, :], axis=-1)

    def inv(self) -> Rotation:
        """The inverse rotation(s) (the conjugate quaternions).

        >>> Rotation.from_quat([0.0, 0.0, 1.0, 1.0]).inv().as_rotvec().round(6) + 0.0
        array([ 0.      ,  0.      , -1.570796])
        """
        return Rotation(self.quat * wnp.asarray(np.array([-1, -1, -1, 1], _dtype(self.quat))))

    def magnitude(self):
        """The rotation angles, in ``[0, pi]``.

        >>> round(float(Rotation.from_quat([0.0, 0.0, 1.0, 1.0]).magnitude()), 12)
        1.570796326795
        """
        return 2 * wnp.arctan2(_safe_norm(self.quat[..., :3]), wnp.abs(self.quat[..., 3]))

    def mean(self, weights=None) -> Rotation:
        """The (weighted) mean rotation: the eigenvector of the largest eigenvalue of
        ``sum(w q qᵀ)`` (SciPy's and JAX's; its sign is arbitrary).

        >>> import numpy as np
        >>> m = Rotation.from_euler("z", [[10.0], [30.0]], degrees=True).mean()
        >>> round(float(m.magnitude()) * 180 / np.pi, 12)
        20.0
        """
        if self.single:
            return Rotation(self.quat)
        quat = self.quat
        if weights is None:
            w = wnp.ones(_shape(quat)[:-1], dtype=_dtype(quat))
        else:
            w = weights if isinstance(weights, Tracer) else np.asarray(weights)
            w = wnp.asarray(w).astype(_dtype(quat))
            if _shape(w) != _shape(quat)[:-1]:
                raise ShapeError(f"Rotation.mean: weights of shape {_shape(w)} for "
                                 f"{_shape(quat)[:-1]} rotations{at(user_location())}")
            if not _is_traced(w) and np.any(np.asarray(w) < 0):
                raise WireValueError(f"Rotation.mean: weights must be non-negative"
                                     f"{at(user_location())}")
            w = wnp.where(w < 0, wnp.asarray(np.nan, _dtype(quat)), w)
        q = wnp.reshape(quat, (-1, 4))
        k = wnp.dot(wnp.transpose(wnp.reshape(w, (-1,))[:, None] * q), q)
        _, v = wnp.linalg.eigh(k)
        return Rotation(v[:, -1])

    def __mul__(self, other: Rotation) -> Rotation:
        """The composition ``self * other``: ``other`` first, then ``self`` (normalised).

        >>> r = Rotation.from_euler("z", 45, degrees=True)
        >>> (r * r).as_euler("xyz", degrees=True).round(12)
        array([ 0.,  0., 90.])
        """
        if not isinstance(other, Rotation):
            return NotImplemented
        _broadcast("__mul__", _shape(self.quat)[:-1], "rotations", _shape(other.quat)[:-1],
                   "rotations")
        return Rotation.from_quat(_compose_quat(self.quat, other.quat))

    def __getitem__(self, indexer) -> Rotation:
        """The rotation(s) at ``indexer`` of a batch.

        >>> Rotation.identity(3)[1:].quat.shape
        (2, 4)
        """
        if self.single:
            raise WireTypeError(f"Single rotation is not subscriptable{at(user_location())}")
        quat = self.quat
        if not isinstance(quat, Tracer) and _is_traced(  # a traced indexer (under jit)
                *(indexer if isinstance(indexer, tuple) else (indexer,))):
            quat = to_tracer(np.asarray(quat))
        return Rotation(quat[indexer])

    def __len__(self) -> int:
        """The number of rotations of a batch (a single rotation has no ``len``).

        >>> len(Rotation.identity(4))
        4
        """
        if self.single:
            raise WireTypeError(f"Single rotation has no len(){at(user_location())}")
        return _shape(self.quat)[0]

    @property
    def single(self) -> bool:
        """Whether this is one rotation (``quat`` of shape ``(4,)``)."""
        return len(_shape(self.quat)) == 1


class Slerp(typing.NamedTuple):
    """Spherical linear interpolation between key rotations at increasing ``times``
    (``jax.scipy.spatial.transform.Slerp``, a pytree): build it with :meth:`init`
    (SciPy's ``Slerp(times, rotations)``), call it at times in ``[times[0], times[-1]]``.

    >>> import numpy as np
    >>> keys = Rotation.from_euler("z", [[0.0], [90.0]], degrees=True)
    >>> Slerp.init([0.0, 1.0], keys)(0.5).as_euler("xyz", degrees=True).round(12)
    array([ 0.,  0., 45.])
    """

    times: typing.Any
    timedelta: typing.Any
    rotations: Rotation
    rotvecs: typing.Any

    @classmethod
    def init(cls, times, rotations: Rotation) -> Slerp:
        """The interpolator of ``rotations`` (at least 2) at ``times`` (strictly
        increasing; checked when concrete).

        >>> Slerp.init([0.0, 2.0], Rotation.identity(2)).timedelta
        array([2.])
        """
        if not isinstance(rotations, Rotation):
            raise WireTypeError(f"Slerp: rotations must be a Rotation, got "
                                f"{type(rotations).__name__}{at(user_location())}")
        if rotations.single or len(rotations) == 1:
            raise WireValueError(f"Slerp: rotations must be a sequence of at least 2 "
                                 f"rotations{at(user_location())}")
        quat = rotations.quat
        times = times if isinstance(times, Tracer) else np.asarray(times)
        times = wnp.asarray(times).astype(_dtype(quat))
        if len(_shape(times)) != 1 or _shape(times)[0] != len(rotations):
            raise ShapeError(f"Slerp: times of shape {_shape(times)} for {len(rotations)} "
                             f"rotations; expected ({len(rotations)},){at(user_location())}")
        timedelta = wnp.diff(times)
        if not _is_traced(timedelta) and np.any(np.asarray(timedelta) <= 0):
            raise WireValueError(f"Slerp: times must be in strictly increasing order"
                                 f"{at(user_location())}")
        first = Rotation(quat[:-1])
        rotvecs = (first.inv() * Rotation(quat[1:])).as_rotvec()
        return cls(times=times, timedelta=timedelta, rotations=first, rotvecs=rotvecs)

    def __call__(self, times) -> Rotation:
        """The interpolated rotation(s) at ``times`` (a scalar: one rotation).

        >>> import numpy as np
        >>> s = Slerp.init([0.0, 1.0], Rotation.from_rotvec(np.array([[0.0, 0, 0], [0, 0, 1.0]])))
        >>> s(np.array([0.25, 1.0])).as_rotvec().round(12)
        array([[0.  , 0.  , 0.25],
               [0.  , 0.  , 1.  ]])
        """
        t = times if isinstance(times, Tracer) else np.asarray(times)
        t = wnp.asarray(t).astype(_dtype(self.times))
        if len(_shape(t)) > 1:
            raise ShapeError(f"Slerp: times must be at most 1-dimensional, got shape "
                             f"{_shape(t)}{at(user_location())}")
        single = len(_shape(t)) == 0
        t = wnp.reshape(t, (-1,))
        if not _is_traced(t, self.times):
            lo, hi = float(np.asarray(self.times)[0]), float(np.asarray(self.times)[-1])
            tt = np.asarray(t)
            if np.any(~((tt >= lo) & (tt <= hi))):
                raise WireValueError(f"Slerp: interpolation times must be within "
                                     f"[{lo}, {hi}], got {tt.tolist()}{at(user_location())}")
        last = _shape(self.timedelta)[0] - 1  # traced times outside extrapolate (JAX's)
        ind = wnp.clip(wnp.searchsorted(self.times, t) - 1, 0, last)
        # (take: the tables may be concrete and ind traced, under jit)
        times, timedelta, rotvecs = (wnp.take(v, ind, axis=0) for v in (
            self.times, self.timedelta, self.rotvecs))
        alpha = (t - times) / timedelta
        result = self.rotations[ind] * Rotation.from_rotvec(rotvecs * alpha[:, None])
        return result[0] if single else result


expose(globals(), __all__)
