"""Warnings wire issues itself (SciPy's advice in wire.scipy: a segment longer than the
signal, complex input switched to two-sided spectra, catastrophic cancellation in moments)
name the user's line, as NumPy's floating-point warnings already do, not a line of wire's."""

import warnings

import numpy as np

import wire
import wire.scipy.signal as ws
import wire.scipy.stats as st


def _caught(fn):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fn()
    return seen


def test_spectral_warnings_name_the_users_line():
    for fn in (lambda: wire.jit(lambda x: ws.welch(x, nperseg=20)[1])(np.ones(10)),
               lambda: wire.jit(lambda x: ws.welch(x, nperseg=8)[1])(np.ones(16) * 1j)):
        seen = [w for w in _caught(fn) if issubclass(w.category, UserWarning)]
        assert seen, "no warning"
        for w in seen:
            assert w.filename == __file__, (w.filename, str(w.message))


def test_moment_warnings_name_the_users_line():
    seen = [w for w in _caught(lambda: st.skew(np.ones(5))) if "Precision" in str(w.message)]
    assert seen
    assert all(w.filename == __file__ for w in seen), [w.filename for w in seen]


def test_a_once_filter_applies_at_the_users_line():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("once")
        for _ in range(3):
            st.skew(np.ones(5))
    assert len([w for w in seen if "Precision" in str(w.message)]) == 1
