"""``wire.scipy.spatial``: ``transform``, 3-d rotations (``Rotation``) and their spherical
linear interpolation (``Slerp``) (``jax.scipy.spatial``'s module of that name).

>>> from wire.scipy.spatial.transform import Rotation
>>> Rotation.from_euler("z", 90, degrees=True).as_rotvec().round(6)
array([0.      , 0.      , 1.570796])
"""

from . import transform

__all__ = ["transform"]
