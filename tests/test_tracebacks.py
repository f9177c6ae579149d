"""Tracebacks start with the user's code: wire's frames are removed from errors that leave a
wire entry point (``wire.tracebacks``), ``WIRE_TRACEBACK=full`` keeps them, and every public
entry point is covered by that one mechanism."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import traceback
import types

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire import nn, optim
from wire.tracebacks import entry_point, is_entry_point, is_wire_file

HERE = os.path.basename(__file__)


@pytest.fixture(autouse=True)
def _filtered(monkeypatch):
    monkeypatch.delenv("WIRE_TRACEBACK", raising=False)


def frames(exc) -> list[tuple[str, str]]:
    """(file, function) of each frame of the exception's traceback, outermost first."""
    return [(f.f_code.co_filename, f.f_code.co_name) for f, _ in traceback.walk_tb(exc.__traceback__)]


def wire_frames(exc) -> list:
    return [f for f in frames(exc) if is_wire_file(f[0])]


def user_frames(exc) -> list[str]:
    return [name for file, name in frames(exc) if os.path.basename(file) == HERE]


def raised(fn, *args, exc=Exception):
    with pytest.raises(exc) as info:
        fn(*args)
    return info.value


# --------------------------------------------------------------------------- the cases


def _three_deep():
    def f(w, x):
        return wnp.sum(wnp.tanh(x @ w))  # x is (3,), w is (4, 2): a shape error

    g = wire.jit(wire.vmap(wire.grad(f), in_axes=(None, 0)))

    def call():
        return g(np.ones((4, 2)), np.ones((5, 3)))

    return call


def test_shape_error_three_transforms_deep_starts_with_the_users_code():
    e = raised(_three_deep(), exc=wire.ShapeError)
    print(f"frames, filtered: {len(frames(e))}")
    assert wire_frames(e) == []
    assert user_frames(e) == ["raised", "call", "f"]  # pytest's frames above are its own
    assert "matmul" in str(e) and "(3,)" in str(e) and f"{HERE}:" in str(e)


def test_full_keeps_every_frame(monkeypatch):
    monkeypatch.setenv("WIRE_TRACEBACK", "full")
    e = raised(_three_deep(), exc=wire.ShapeError)
    names = {name for _, name in wire_frames(e)}
    print(f"frames, WIRE_TRACEBACK=full: {len(frames(e))}")
    assert len(wire_frames(e)) >= 12
    assert {"_call_slow", "trace_flat", "graph_of", "matmul"} <= names
    assert user_frames(e) == ["raised", "call", "f"]
    monkeypatch.setenv("WIRE_TRACEBACK", "filtered")
    assert wire_frames(raised(_three_deep(), exc=wire.ShapeError)) == []


def test_users_own_error_inside_a_traced_function_keeps_its_frames():
    def lookup(table, x):
        return x * table["missing"]  # the user's bug

    def f(x):
        return wnp.sum(lookup({"present": 1.0}, x))

    e = raised(lambda: wire.jit(wire.grad(f))(np.ones(3)), exc=KeyError)
    assert e.args == ("missing",)
    assert wire_frames(e) == []
    assert user_frames(e) == ["raised", "<lambda>", "f", "lookup"]


def test_eager_transforms_and_evaluate():
    e = raised(lambda: wire.grad(lambda x: (x @ np.ones(4)).sum())(np.ones(3)), exc=wire.ShapeError)
    assert wire_frames(e) == []
    g = wire.trace(lambda x: x * 2.0, np.ones(3))
    e = raised(lambda: wire.evaluate(g, np.ones(4)), exc=wire.ShapeError)
    assert wire_frames(e) == [] and user_frames(e) == ["raised", "<lambda>"]
    e = raised(lambda: wire.trace(lambda x: x.reshape(4, 4), np.ones(6)), exc=wire.ShapeError)
    assert wire_frames(e) == []


def test_numpy_functions_methods_and_operators():
    cases = [
        lambda: wnp.matmul(np.ones(3), np.ones(4)),  # on arrays: NumPy's ValueError
        lambda: wnp.linalg.solve(np.ones((2, 3)), np.ones(2)),
        lambda: wire.var("x", shape=(3,)) @ wire.var("y", shape=(4,)),  # node-level style
        lambda: wire.var("x", shape=(3,)).reshape(4),
        lambda: np.add(wire.var("x", shape=(3,)), np.ones(4)),        # NumPy's protocols
    ]
    for case in cases:
        e = raised(case, exc=(wire.WireError, ValueError))
        assert wire_frames(e) == [], (case, frames(e))
        assert user_frames(e) == ["raised", "<lambda>"]


def test_nn_optim_and_returned_functions():
    init, apply = nn.Dense(3)
    params = init(wire.random.key(0), (-1, 4))
    opt = optim.adam(1e-3)
    out, vjp_fn = wire.vjp(lambda x: x * 2.0, np.ones(3))
    cases = [
        lambda: apply(params, np.ones((2, 5))),                       # a layer's apply
        lambda: opt.update({"w": np.ones(2)}, opt.init({"v": np.ones(2)})),
        lambda: vjp_fn(np.ones(4)),                                   # wire.vjp's function
        lambda: wire.scipy.stats.norm(loc=np.ones(2)).logpdf(np.ones(3)),  # a frozen method
    ]
    for case in cases:
        e = raised(case)
        assert isinstance(e, (wire.WireError, ValueError)), e
        assert wire_frames(e) == [], (case, frames(e))


def test_error_from_a_library_wire_called_keeps_the_librarys_frames():
    # NumPy raises LinAlgError inside the compiled function; wire raises it again as a
    # WireLinAlgError naming the primitive and the user's line, caused by NumPy's own error,
    # whose frames stay (wire's go, in both)
    inv = wire.jit(lambda a: wnp.linalg.inv(a))
    inv(np.eye(2))
    e = raised(lambda: inv(np.zeros((2, 2))), exc=np.linalg.LinAlgError)
    assert isinstance(e, wire.WireLinAlgError) and "test_tracebacks.py:" in str(e)
    assert wire_frames(e) == [] and wire_frames(e.__cause__) == []
    assert any(f"{os.sep}numpy{os.sep}" in file for file, _ in frames(e.__cause__))


def test_wrong_arguments_to_an_entry_point_are_the_callers():
    e = raised(lambda: wire.grad(lambda x: x, no_such_option=1), exc=TypeError)
    assert wire_frames(e) == []


def test_chained_errors_are_filtered_too():
    def f(x):
        try:
            return x @ np.ones(4)
        except wire.ShapeError as err:
            raise ValueError("the user's own message") from err

    e = raised(lambda: wire.jit(f)(np.ones(3)), exc=ValueError)
    assert wire_frames(e) == [] and wire_frames(e.__cause__) == []


def test_errors_caught_inside_a_trace_are_left_alone():
    # an entry point under another one leaves the traceback to the outer one, so code that
    # catches the error in between sees it whole
    seen = []

    def f(x):
        try:
            wnp.matmul(x, np.ones(4))
        except wire.ShapeError as err:
            seen.append(len(wire_frames(err)))
        return x.sum()

    wire.jit(f)(np.ones(3))
    assert seen and seen[0] > 0


# --------------------------------------------------------------------------- the mechanism


def test_entry_point_keeps_the_function_and_its_result():
    def scale(x, *, by=2.0):
        """Doc."""
        return x * by

    wrapped = entry_point(scale)
    assert wrapped(3.0, by=3.0) == 9.0
    assert wrapped.__name__ == "scale" and wrapped.__doc__ == "Doc." and wrapped.__wrapped__ is scale
    assert entry_point(wrapped) is wrapped and is_entry_point(wrapped)
    assert not is_entry_point(scale)


def test_returned_wire_functions_become_entry_points():
    opt = optim.sgd(0.1)
    assert type(opt) is optim.GradientTransformation
    assert is_entry_point(opt.init) and is_entry_point(opt.update)
    assert is_entry_point(optim.cosine_decay_schedule(1.0, 10))
    assert is_entry_point(nn.initializers.glorot_normal())
    _, f_jvp = wire.linearize(lambda x: x * 2.0, np.ones(2))
    assert is_entry_point(f_jvp)
    user = lambda x: x  # noqa: E731 - a user's function passes through untouched
    assert wire.tree.map(lambda x: x, {"f": user})["f"] is user


PUBLIC = ["wire", "wire.tree", "wire.numpy", "wire.numpy.linalg", "wire.numpy.fft",
          "wire.numpy.random", "wire.scipy.special", "wire.scipy.stats", "wire.scipy.signal",
          "wire.scipy.linalg", "wire.scipy.integrate", "wire.scipy.optimize", "wire.scipy.ndimage",
          "wire.scipy.fft", "wire.scipy.interpolate", "wire.scipy.cluster.vq", "wire.random", "wire.nn",
          "wire.nn.initializers", "wire.optim", "wire.testing", "wire.ir.dot"]


def _callables(module):
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            continue
        if isinstance(obj, types.FunctionType):
            if is_wire_file(obj.__code__.co_filename):
                yield f"{module.__name__}.{name}", obj
            continue
        cls = obj if isinstance(obj, type) else type(obj)
        for klass in cls.__mro__:
            if not klass.__module__.startswith("wire"):
                continue
            for attr, fn in vars(klass).items():
                if (attr == "__call__" or not attr.startswith("_")) and \
                        isinstance(fn, types.FunctionType):
                    yield f"{module.__name__}.{name}.{attr}", fn


def test_every_public_entry_point_is_covered():
    import importlib

    seen, missing = 0, []
    for mod in PUBLIC:
        for qual, fn in _callables(importlib.import_module(mod)):
            seen += 1
            if not is_entry_point(fn):
                missing.append(qual)
    assert seen > 700
    assert not missing, missing
    # what transforms return, and the Tracer's operators, methods and protocols
    f = lambda x: (x ** 2).sum()  # noqa: E731
    for made in (wire.grad(f), wire.vmap(f), wire.jacrev(f), wire.hessian(f), wire.jit(f),
                 wire.jit(f).lower(np.ones(2))):
        assert is_entry_point(type(made).__call__), made
    for name in ("__add__", "__rmatmul__", "__getitem__", "__neg__", "__array_ufunc__",
                 "__array_function__", "sum", "reshape", "astype"):
        assert is_entry_point(getattr(wire.Tracer, name)), name
    assert is_entry_point(wire.Tracer.T.fget)
    for callable_ in nn.serial(nn.Dense(2), nn.Relu()):
        assert is_entry_point(callable_)


# --------------------------------------------------------------------------- IPython, pytest

SCRIPT = textwrap.dedent("""
    import numpy as np, wire, wire.numpy as wnp

    def f(w, x):
        return wnp.sum(wnp.tanh(x @ w))

    wire.jit(wire.vmap(wire.grad(f), in_axes=(None, 0)))(np.ones((4, 2)), np.ones((5, 3)))
""")


def _run(args, cwd, env_extra=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), **(env_extra or {}))
    env.pop("WIRE_TRACEBACK", None)
    env.update(env_extra or {})
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _wire_paths(text: str) -> list[str]:
    package = os.path.dirname(wire.__file__)
    return [line for line in text.splitlines() if package in line]


@pytest.mark.slow
def test_under_ipython(tmp_path):
    pytest.importorskip("IPython")
    script = tmp_path / "cell.ipy"
    script.write_text(SCRIPT)
    out = _run([sys.executable, "-m", "IPython", "--colors=NoColor", "--no-banner", str(script)],
               tmp_path)
    text = out.stdout + out.stderr
    assert "ShapeError" in text and "x @ w" in text, text
    assert _wire_paths(text) == [], text


@pytest.mark.slow
def test_under_pytest(tmp_path):
    body = SCRIPT.replace("\nwire.jit", "\ndef step():\n    wire.jit")
    (tmp_path / "test_user.py").write_text(body + textwrap.dedent("""
        import os

        def test_filtered():
            os.environ.pop("WIRE_TRACEBACK", None)
            step()

        def test_full():
            os.environ["WIRE_TRACEBACK"] = "full"
            step()
    """))
    out = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=long",
                "test_user.py"], tmp_path)
    text = out.stdout + out.stderr
    assert "ShapeError" in text and "2 failed" in text, text
    head, full = text.split("_ test_full _", 1)  # the sections' headers
    filtered = head.split("_ test_filtered _", 1)[1]
    assert "x @ w" in filtered and _wire_paths(filtered) == [], text
    assert len(_wire_paths(full)) > 5, text


# --------------------------------------------------------------------------- internal calls


def test_internal_calls_skip_the_entry_points_and_errors_are_still_filtered():
    import pickle

    from wire.numpy import _products
    from wire.tracebacks import internal

    # dot calls matmul through a private alias, the tracer's operators call wire.numpy's
    # functions themselves: one entry point per user call
    assert not is_entry_point(_products._matmul) and is_entry_point(wnp.matmul)
    assert not is_entry_point(internal(wnp.matmul)) and internal(len) is len
    assert pickle.loads(pickle.dumps(wire.tree.flatten)) is wire.tree.flatten  # one object

    def f(w):
        return wnp.sum(wnp.dot(np.ones(3), w) + 1.0)  # (3,) with (4, 2): a shape error

    e = raised(wire.grad(f), np.ones((4, 2)), exc=wire.ShapeError)
    assert wire_frames(e) == []
    assert user_frames(e) == ["raised", "f"] and f"{HERE}:" in str(e)
    e = raised(lambda: wire.grad(lambda w: (w.T @ np.ones(3)).sum())(np.ones((4, 2))),
               exc=wire.ShapeError)
    assert wire_frames(e) == []


PUBLIC_MODULES = ["wire", "wire.numpy", "wire.numpy.linalg", "wire.numpy.fft", "wire.numpy.random",
                  "wire.scipy.special", "wire.scipy.linalg", "wire.scipy.integrate",
                  "wire.scipy.signal", "wire.scipy.optimize", "wire.scipy.ndimage", "wire.scipy.fft",
                  "wire.scipy.cluster.vq", "wire.nn", "wire.optim",
                  "wire.random", "wire.tree",
                  "wire.testing"]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_function_pickles_as_itself(module):
    """``pickle`` stores a function by module and name, so functions made by factories
    (``wire.numpy.sin``), wrapped twice (the deferring forms) or aliased (``amax = max``,
    ``wire.numpy.linalg.matmul``) must each be found again as the same object, as NumPy's
    are (``multiprocessing`` and ``concurrent.futures`` pickle what they send)."""
    import importlib
    import pickle

    mod = importlib.import_module(module)
    names = [n for n in mod.__all__ if callable(getattr(mod, n)) and
             not isinstance(getattr(mod, n), type)]
    assert names
    wrong = [n for n in names if pickle.loads(pickle.dumps(getattr(mod, n))) is not getattr(mod, n)]
    assert not wrong, wrong


def test_aliases_are_one_object_and_concrete_only_functions_pickle_by_name():
    import pickle

    assert wnp.amax is wnp.max and wnp.matmul is wnp.linalg.matmul
    normal = pickle.loads(pickle.dumps(wnp.random.normal))
    assert normal(size=3).shape == (3,)
    assert pickle.loads(pickle.dumps(wnp.sin))(np.float64(0.5)) == np.sin(0.5)
