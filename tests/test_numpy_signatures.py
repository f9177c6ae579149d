"""``wire.numpy``'s functions take NumPy's parameters: a call written for NumPy means the same
thing on wire.numpy (positional order, keyword names, ``out=``, a ufunc's ``where=``).

The sweep compares every name both namespaces have against NumPy 2's ``inspect.signature``;
the spot checks call the positional forms (``out=None`` and ``keepdims`` in NumPy's places)
on concrete and traced arrays, eager and under ``jit`` and ``grad``, against NumPy."""

import inspect

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.errors import OutArgumentError

_P = inspect.Parameter
_POSITIONAL = (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD)

# Deliberate differences, each with its reason. Keep this short.
ALLOWED = {
    "__getattr__",  # the module's hook for missing names, not NumPy's function
}


def _mismatch(np_fn, fn):
    """Why ``fn`` does not take every call ``np_fn`` takes, or None."""
    try:
        theirs = list(inspect.signature(np_fn).parameters.values())
        ours = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    t_pos = [p for p in theirs if p.kind in _POSITIONAL]
    o_pos = [p for p in ours if p.kind in _POSITIONAL]
    if len(o_pos) < len(t_pos):
        return f"{len(o_pos)} positional parameters, NumPy has {[p.name for p in t_pos]}"
    for p, q in zip(t_pos, o_pos):
        # a positional-only parameter's name is no part of the calling contract
        if p.kind is _P.POSITIONAL_OR_KEYWORD and p.name != q.name:
            return f"positional {q.name!r} where NumPy has {p.name!r}"
    names = {q.name for q in ours if q.kind is not _P.POSITIONAL_ONLY}
    takes_any = any(q.kind is _P.VAR_KEYWORD for q in ours)
    for p in theirs:
        if p.kind is _P.KEYWORD_ONLY and p.name not in names and not takes_any:
            return f"no keyword {p.name!r}"
        if p.kind is _P.VAR_POSITIONAL and not any(q.kind is _P.VAR_POSITIONAL for q in ours):
            return "no *args"
    if any(q.default is _P.empty for q in o_pos[len(t_pos):]):
        return "a required parameter NumPy does not have"
    return None


def _pairs():
    for ns, np_ns in ((wnp, np), (wnp.linalg, np.linalg), (wnp.fft, np.fft)):
        for name in dir(np_ns):
            f, g = getattr(np_ns, name, None), getattr(ns, name, None)
            if g is None or not callable(f) or isinstance(f, type) or name in ALLOWED:
                continue
            yield f"{np_ns.__name__}.{name}", f, g


def test_every_function_takes_numpys_parameters():
    wrong = {name: why for name, f, g in _pairs() if (why := _mismatch(f, g))}
    assert not wrong, wrong


def test_the_sweep_sees_a_wrong_order():
    def keepdims_third(a, axis=None, keepdims=False, out=None):
        return a

    assert _mismatch(np.sum, keepdims_third)
    assert _mismatch(np.add, lambda x, y: x)
    assert _mismatch(np.max, lambda a, axis=None, out=None, keepdims=False, *, initial=None: a)
    assert _mismatch(np.reshape, lambda a, shape, order="C": a) == "no keyword 'copy'"


# --------------------------------------------------------------------------- positional calls

A = np.array([[3.0, -0.0, np.nan, 1.0], [0.0, 2.0, -5.0, 7.5]])
B = np.array([[1.0, 4.0, 2.0, -0.0], [0.5, -1.0, 3.0, 2.0]])
CALLS = {  # the forms NumPy takes positionally, out=None in its place
    "sum": lambda m, a: m.sum(a, 1, None, None, True),
    "prod": lambda m, a: m.prod(a, 0, None, None, True),
    "mean": lambda m, a: m.mean(a, 1, None, None, True),
    "max": lambda m, a: m.max(a, 1, None, True),
    "amin": lambda m, a: m.amin(a, 0, None, True),
    "nanmax": lambda m, a: m.nanmax(a, 1, None, True),
    "nanmean": lambda m, a: m.nanmean(a, 1, None, None, True),
    "nansum": lambda m, a: m.nansum(a, 1, None, None, True),
    "nanprod": lambda m, a: m.nanprod(a, 0, None, None, True),
    "all": lambda m, a: m.all(a > 0, 1, None, True),
    "any": lambda m, a: m.any(a > 0, 0, None, True),
    "argmax": lambda m, a: m.argmax(a, 1, None, keepdims=True),
    "argmin": lambda m, a: m.argmin(a, 0, None, keepdims=True),
    "ptp": lambda m, a: m.ptp(a, 1, None, True),
    "clip": lambda m, a: m.clip(a, -1.0, 2.0, None),
    "around": lambda m, a: m.around(a * 3.3, 1, None),
    "round": lambda m, a: m.round(a * 3.3, 1, None),
    "add": lambda m, a: m.add(a, B, None),
    "arctan2": lambda m, a: m.arctan2(a, B, None),
    "maximum": lambda m, a: m.maximum(a, B, out=None),  # (a third positional is deprecated)
    "power": lambda m, a: m.power(B, 2.0, None),
    "less": lambda m, a: m.less(a, B, None),
    "sin": lambda m, a: m.sin(a, None),
    "matmul": lambda m, a: m.matmul(a, B.T, None),
    "vecdot": lambda m, a: m.vecdot(a, B, None),
    "cumulative_sum": lambda m, a: m.cumulative_sum(a, axis=1, dtype=None, out=None,
                                                     include_initial=True),
    "hstack": lambda m, a: m.hstack((a, B)),
    "array_split": lambda m, a: m.array_split(a, 3, 1)[1],
    "empty_like": lambda m, a: m.empty_like(a, None, "K", True, (2,)).shape,
    "reshape": lambda m, a: m.reshape(a, (4, 2), "C"),
    "asarray": lambda m, a: m.asarray(a, np.float32, None),
}
FLOATS = [np.float64, np.float32]


def _close(got, ref):
    got = got if isinstance(got, tuple) else np.asarray(got)
    ref = ref if isinstance(ref, tuple) else np.asarray(ref)
    if isinstance(ref, tuple):
        assert got == ref
        return
    assert got.shape == ref.shape and got.dtype == ref.dtype, (got, ref)
    np.testing.assert_array_equal(np.signbit(got[got == 0]), np.signbit(ref[ref == 0]))
    np.testing.assert_allclose(got, ref, rtol=2e-6 if ref.dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_positional_forms_match_numpy_eager_traced_and_under_jit(name, dtype):
    a = A.astype(dtype)
    with np.errstate(all="ignore"):
        ref = CALLS[name](np, a)
        _close(CALLS[name](wnp, a), ref)
        if not isinstance(ref, tuple):
            _close(wire.jit(lambda x: CALLS[name](wnp, x))(a), ref)
            if np.asarray(ref).dtype.kind == "f":  # traced in an eager trace (values known)
                _close(wire.jvp(lambda x: CALLS[name](wnp, x), (a,), (np.zeros_like(a),))[0],
                       ref)


@pytest.mark.parametrize("name", ["sum", "max", "mean", "clip", "add", "matmul", "prod"])
def test_positional_forms_differentiate_as_their_keyword_forms(name):
    keyword = {
        "sum": lambda m, a: m.sum(a, axis=1, keepdims=True),
        "max": lambda m, a: m.max(a, axis=1, keepdims=True),
        "mean": lambda m, a: m.mean(a, axis=1, keepdims=True),
        "clip": lambda m, a: m.clip(a, -1.0, 2.0),
        "add": lambda m, a: m.add(a, B),
        "matmul": lambda m, a: m.matmul(a, B.T),
        "prod": lambda m, a: m.prod(a, axis=0, keepdims=True),
    }[name]
    a = np.array([[3.0, 0.5, -2.0, 1.0], [0.25, 2.0, -5.0, 7.5]])
    w = np.arange(1.0, 1.0 + keyword(np, a).size).reshape(keyword(np, a).shape)
    g1 = wire.grad(lambda x: wnp.sum(CALLS[name](wnp, x) * w))(a)
    g2 = wire.grad(lambda x: wnp.sum(keyword(wnp, x) * w))(a)
    np.testing.assert_array_equal(g1, g2)


@pytest.mark.parametrize("x", [np.zeros((0, 3)), np.array([[-0.0]]), np.array([[np.nan, 1.0]])],
                         ids=["empty", "size-1", "nan"])
def test_keepdims_in_numpys_place_on_special_inputs(x):
    for call in (lambda m, a: m.sum(a, 0, None, None, True),
                 lambda m, a: m.max(a, 1, None, True, -np.inf),
                 lambda m, a: m.any(a, 0, None, True)):
        with np.errstate(all="ignore"):
            ref = call(np, x)
            _close(call(wnp, x), ref)
            _close(wire.jit(lambda a: call(wnp, a))(x), ref)


def test_methods_take_ndarrays_parameters():
    f = wire.jit(lambda x: (x.sum(1, None, None, True), x.max(0, None, True),
                            x.argmax(1, None, keepdims=True), x.clip(0.0, 1.0, None),
                            x.round(1, None), x.cumsum(1, None, None)))
    for got, ref in zip(f(B), (B.sum(1, None, None, True), B.max(0, None, True),
                               B.argmax(1, None, keepdims=True), B.clip(0.0, 1.0, None),
                               B.round(1, None), B.cumsum(1, None, None))):
        _close(got, ref)


def test_numpy_functions_on_tracers_take_numpys_positional_order():
    got = wire.jit(lambda x: (np.sum(x, 1, None, None, True), np.max(x, 0, None, True)))(B)
    _close(got[0], np.sum(B, 1, None, None, True))
    _close(got[1], np.max(B, 0, None, True))


def test_ufuncs_take_numpys_keywords():
    _close(wnp.add(B, 1.0, out=None, where=True, casting="same_kind", order="K"), B + 1.0)
    _close(wire.jit(lambda x: wnp.multiply(x, 2.0, None, where=True))(B), B * 2.0)
    with pytest.raises(TypeError):  # x1, x2 are positional-only, as NumPy's
        wnp.add(x1=B, x2=B)


# --------------------------------------------------------------------------- out= and where=

OUT_CALLS = {  # (call with out, out's shape and dtype)
    "add": (lambda m, a, o: m.add(a, B, o), ((2, 4), np.float64)),
    "sin-3d-broadcast": (lambda m, a, o: m.sin(a[0], out=o), ((3, 4), np.float64)),
    "sum": (lambda m, a, o: m.sum(a, 1, None, o), ((2,), np.float64)),
    "max": (lambda m, a, o: m.max(a, 0, o, True), ((1, 4), np.float64)),
    "argmax": (lambda m, a, o: m.argmax(a, 1, o), ((2,), np.intp)),
    "clip": (lambda m, a, o: m.clip(a, 0.0, 1.0, o), ((2, 4), np.float64)),
    "around": (lambda m, a, o: m.around(a * 3.3, 1, o), ((2, 4), np.float64)),
    "cumulative_sum-int8-into-int64": (
        lambda m, a, o: m.cumulative_sum(np.array([100, 100, 100], np.int8), out=o),
        ((3,), np.int64)),
    "matmul": (lambda m, a, o: m.matmul(a, B.T, o), ((2, 2), np.float64)),
    "add-where": (lambda m, a, o: m.add(a, B, out=o, where=a > 0), ((2, 4), np.float64)),
    "divmod": (lambda m, a, o: m.divmod(a, 2.0, out=o), ((2, 4), np.float64)),
}


@pytest.mark.parametrize("name", sorted(OUT_CALLS))
def test_out_on_concrete_arrays_is_written_as_numpy_writes_it(name):
    call, (shape, dtype) = OUT_CALLS[name]
    n = 2 if name == "divmod" else 1
    ours = tuple(np.full(shape, -7, dtype) for _ in range(n))
    theirs = tuple(np.full(shape, -7, dtype) for _ in range(n))
    arg = (lambda t: t) if n > 1 else (lambda t: t[0])
    with np.errstate(all="ignore"):
        ref = call(np, A, arg(theirs))
        got = call(wnp, A, arg(ours))
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)
    if n == 1:
        assert (got is ours[0]) == (ref is theirs[0])


@pytest.mark.parametrize("name", sorted(n for n in OUT_CALLS if "int8" not in n))
@pytest.mark.parametrize("transform", ["jit", "grad"])
def test_out_with_traced_values_is_refused_never_ignored(name, transform):
    call, (shape, dtype) = OUT_CALLS[name]
    out = np.zeros(shape, dtype) if name != "divmod" else (np.zeros(shape), np.zeros(shape))

    def f(x):
        r = call(wnp, x, out)
        r = r[0] if isinstance(r, tuple) else r
        return wnp.sum(wnp.asarray(r, dtype=float))

    t = wire.jit(f) if transform == "jit" else wire.grad(f)
    with pytest.raises(OutArgumentError, match="immutable"):
        t(np.array([[3.0, 0.5, -2.0, 1.0], [0.25, 2.0, -5.0, 7.5]]))
    assert issubclass(OutArgumentError, wire.WireTypeError)


def test_a_ufuncs_where_without_out_on_traced_values_is_refused():
    with pytest.raises(OutArgumentError, match="where="):
        wire.jit(lambda x: wnp.add(x, 1.0, where=x > 0))(B)
    # where=True is NumPy's default: nothing to refuse
    _close(wire.jit(lambda x: wnp.add(x, 1.0, where=True))(B), B + 1.0)


def test_numpys_parameters_wire_lacks_are_refused_on_traced_values():
    with pytest.raises(wire.WireNotImplementedError, match="order='F'"):
        wire.jit(lambda x: wnp.add(x, 1.0, order="F"))(B)
    with pytest.raises(wire.WireNotImplementedError, match="subok=False"):
        wire.jit(lambda x: wnp.add(x, 1.0, casting="unsafe", subok=False))(B)
    # and computed by NumPy itself on concrete ones
    _close(wnp.add(B, 1, dtype=np.float32), np.add(B, 1, dtype=np.float32))


_CASTING_DTYPES = (np.float32, np.float64, np.int8, np.uint8, np.bool_, np.complex64)


def _casting_cases():
    for name in ("add", "true_divide", "maximum", "sqrt", "ldexp", "divmod", "logical_and"):
        nin = getattr(np, name).nin
        for a in _CASTING_DTYPES:
            x = np.array([1, 2, 3]).astype(a)
            if nin == 1:
                yield name, (x,)
                continue
            for b in _CASTING_DTYPES:
                yield name, (x, np.array([3, 1, 2]).astype(b))
            for scalar in (2, 1.5, 1j, -2):
                yield name, (x, scalar)


def _numpy_and_wire(name, operands, **kw):
    """NumPy's result (or the exception class it raises) and wire's, traced."""
    arrays = [v for v in operands if isinstance(v, np.ndarray)]

    def f(*traced):
        it = iter(traced)
        return getattr(wnp, name)(*[next(it) if isinstance(v, np.ndarray) else v
                                    for v in operands], **kw)

    results = []
    for call in (lambda: getattr(np, name)(*operands, **kw), lambda: wire.jit(f)(*arrays)):
        try:
            with np.errstate(all="ignore"):
                results.append(call())
        except (TypeError, ValueError, ArithmeticError, wire.WireError):
            results.append(None)
    return results


@pytest.mark.parametrize("casting", ["no", "safe", "same_kind", "unsafe"])
def test_casting_alone_on_traced_values_is_numpys(casting):
    # casting= without dtype=/signature= was refused on traced values; NumPy checks the
    # operands' casting to the loop it selects and computes the default call
    compared = refused = 0
    for name, operands in _casting_cases():
        ref, got = _numpy_and_wire(name, operands, casting=casting)
        assert (ref is None) == (got is None), (name, operands, casting, ref, got)
        if ref is None:
            refused += 1
            continue
        for r, g in zip(ref if isinstance(ref, tuple) else (ref,),
                        got if isinstance(got, tuple) else (got,)):
            r, g = np.asarray(r), np.asarray(g)
            assert r.dtype == g.dtype, (name, operands, casting, r.dtype, g.dtype)
            np.testing.assert_array_equal(g, r)
        compared += 1
    assert compared > 100 and (refused > 10 or casting == "unsafe")
    # the derivative flows as without casting=
    _close(wire.grad(lambda x: wnp.sum(wnp.multiply(x, x, casting=casting)))(B), 2 * B)


def test_casting_equiv_with_a_python_scalar():
    # NumPy's resolve_dtypes crashed the interpreter on a Python scalar's type under
    # casting='equiv' (wire called it for dtype=/signature=): NumPy's answers instead
    x32 = np.ones(2, np.float32)
    with pytest.raises(wire.WireTypeError, match="equiv"):
        wire.jit(lambda x: wnp.add(x, 1.0, dtype=np.float32, casting="equiv"))(x32)
    with pytest.raises(wire.WireTypeError, match="equiv"):
        wire.jit(lambda x: wnp.add(x, 1.0, casting="equiv"))(x32)
    for kw in ({}, {"dtype": np.float64}):
        got = wire.jit(lambda x: wnp.add(x, 1.5, casting="equiv", **kw))(np.ones(2))
        _close(got, np.add(np.ones(2), 1.5, casting="equiv", **kw))


def test_a_python_complex_in_a_real_loop():
    # dtype= with casting='unsafe': its real part, as NumPy (a TypeError from float(1j))
    x = np.array([1.0, 2.0], np.float32)
    with pytest.warns(np.exceptions.ComplexWarning):
        ref = np.add(x, 2 + 1j, dtype=np.float32, casting="unsafe")
    with pytest.warns(np.exceptions.ComplexWarning):
        got = wire.jit(lambda v: wnp.add(v, 2 + 1j, dtype=np.float32, casting="unsafe"))(x)
    _close(got, ref)
    # an input dtype the signature names takes no Python complex, whatever the casting
    with pytest.raises(wire.WireTypeError, match="complex"):
        wire.jit(lambda v: wnp.add(v, 1j, signature=(None, np.float32, None),
                                   casting="unsafe"))(x)


def test_numpys_gufuncs_on_tracers_take_their_keywords():
    # np.vecdot(x, y, axis=0) on tracers reaches wire.numpy's vecdot with axis= (it was refused)
    got = wire.jit(lambda x: np.vecdot(x, x, axis=0))(B)
    _close(got, np.vecdot(B, B, axis=0))
    with pytest.raises(OutArgumentError):
        wire.jit(lambda x: np.add(x, 1.0, where=x > 0))(B)


def test_methods_take_ndarrays_positional_parameters():
    x = np.array([0, 2, 1])
    choices = [np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), np.array([7.0, 8.0, 9.0])]
    # ndarray's choose(choices, out=None, mode="raise") (out= was refused as a keyword)
    got = wire.jit(lambda c: wnp.asarray(x + 1).choose(c, out=None, mode="clip"))(choices)
    _close(got, (x + 1).choose(choices, out=None, mode="clip"))
    f = wire.jit(lambda a: (a.astype(np.float32, "K", "same_kind"), a.swapaxes(axis1=0, axis2=1),
                            a.reshape((4, 2), order="C", copy=None), a.copy("C")))
    for got, ref in zip(f(B), (B.astype(np.float32, "K", "same_kind"), B.swapaxes(0, 1),
                               B.reshape((4, 2)), B.copy())):
        _close(got, ref)
    with pytest.raises(wire.WireTypeError, match="casting"):
        wire.jit(lambda a: a.astype(np.int64, casting="safe"))(B)
