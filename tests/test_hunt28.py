"""Programs as users write them, against NumPy (and JAX): integer and boolean reductions in
the dtype NumPy gives them on traced values."""

import numpy as np
import pytest

import wire
import wire.numpy as wnp

X8 = np.array([[100, 100, 3], [100, 50, 2]], np.int8)  # column sums and products wrap in int8


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
