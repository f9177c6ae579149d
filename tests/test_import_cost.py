"""What ``import wire`` costs: which libraries it imports, checked in fresh processes (not
timed: a timing would flake on a busy machine; docs/performance.md has the figures).

A script that differentiates NumPy code pays for NumPy and wire's core, not for SciPy,
torch, JAX, CuPy, Dask or requests: those are imported when a function that needs them runs
(``wire.scipy.special.gammaln``, ``backend="torch"``). wire's library modules (``wire.lax``,
``wire.scipy`` …) are imported when first touched, and stay reachable as attributes.
"""

import json
import os
import pickle
import subprocess
import sys

import pytest

from wire.ops import optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# imported on first use only
HEAVY = ("scipy", "torch", "jax", "jaxlib", "cupy", "cupyx", "dask", "requests", "sympy",
         "mpmath", "graphviz",
         # (wire.jit composes its cheap passes with toolz.pipe, imported there: 9 ms)
         "toolz",
         # NumPy's own optional parts (reached through getattr over dir(numpy))
         "numpy.f2py", "numpy.testing", "numpy.ma", "charset_normalizer")
LAZY = ("wire.lax", "wire.nn", "wire.optim", "wire.random", "wire.scipy", "wire.testing")

# wire.__all__ of the release before the library layer was imported lazily: each name must
# still be there (new ones may be added)
PUBLIC = """Aval BackendError Executor FloatingPointError Graph LinAlgShapeError MissingNameError
Node NonDifferentiableError OutArgumentError REGISTRY ShapeDtypeStruct ShapeError ShapeTypeError
Tracer TracerBoolError UnboundInputError UnexpectedTracerError Variable WireAxisError WireError
WireIndexError WireLinAlgError WireNotImplementedError WireOverflowError WireTypeError
WireValueError checkpoint checkpoint_policies cond custom_jvp custom_root custom_vjp debug_nans
dumps elementwise_grad eval_shape evaluate fixed_point float0 fori_loop grad grad_graph
gradients hessian hessian_vector_product holomorphic_grad hvp jacfwd jacobian jacrev jet
jet_graph jit jvp jvp_graph lax linear_transpose linearize load loads matmul_op nn optim
pure_callback remat save scan scipy simplify stop_gradient switch taylor taylor_graph testing
to_dot to_latex to_sympy trace tree value_and_grad var vjp vjp_graph vmap vmap_graph
while_loop""".split()


def _child(code: str, lines: int = 1):
    """Run ``code`` in a fresh interpreter (this checkout's wire first on the path); it
    prints ``lines`` JSON values, returned here (one, or a list)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    values = [json.loads(line) for line in run.stdout.strip().splitlines()[-lines:]]
    return values[0] if lines == 1 else values


_LOADED = f"""
import json, sys
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
lazy = sorted(m for m in {LAZY!r} if m in sys.modules)
print(json.dumps({{"heavy": heavy, "lazy": lazy, "file": wire.__file__}}))
"""


def test_import_wire_numpy_imports_no_heavy_library_and_lax_keeps_wires_control_flow():
    """``import wire.numpy`` pays for no heavy library; then ``import wire.lax`` (the first
    to touch it): its scan is ``wire.scan`` and its cond computes ``wire.cond``'s (JAX's
    parameter names on top), as when the package imported it itself."""
    got = _child("import wire.numpy\n" + _LOADED + "import wire.lax as lax\n"
                 "print(json.dumps([lax.scan is wire.scan, bool(lax.cond(True, lambda v: v, "
                 "lambda v: -v, 1.0) == wire.cond(True, lambda v: v, lambda v: -v, 1.0))]))",
                 lines=2)
    assert got[0]["heavy"] == []
    assert got[0]["lazy"] == []
    assert got[1] == [True] * 2


def test_import_wire_is_light_and_its_lazy_modules_resolve():
    """``import wire`` and a first gradient pay for no heavy library (nor wire.lax …); then
    every public name resolves, wire.scipy (and SciPy) on first touch."""
    code = f"""
import wire, wire.numpy as wnp
assert float(wire.grad(lambda x: wnp.sin(x) * x + x ** 2)(1.0)) != 0.0
{_LOADED}
import pickle
out = {{}}
out["gammaln"] = float(wire.scipy.special.gammaln(4.0))
out["scipy_after"] = "scipy" in sys.modules
out["dir"] = [m for m in {[m.split(".")[1] for m in LAZY]!r} if m not in dir(wire)]
from wire import lax, nn, optim, scipy, testing
from wire import random as wire_random
out["random"] = wire_random.__name__
missing = [n for n in wire.__all__ if not hasattr(wire, n)]
for name, module in sorted(sys.modules.items()):
    if name.startswith("wire") and not any(p.startswith("_") for p in name.split(".")):
        missing += [f"{{name}}.{{n}}" for n in getattr(module, "__all__", ())
                    if not hasattr(module, n)]
out["missing"] = missing
out["all"] = sorted(wire.__all__)
star = {{}}
exec("from wire import *", star)
out["star"] = sorted(set(wire.__all__) - set(star))
out["pickled"] = pickle.loads(pickle.dumps(wire.nn.relu)) is wire.nn.relu
out["nope"] = not hasattr(wire, "no_such_name")
# what a library module calls internally is the function, not the entry point (imported
# after wire's names were made entry points, as before it)
from wire.tracebacks import is_entry_point
out["internal"] = [n for n in ("nn.recurrent.scan", "optim.linesearch.while_loop",
                               "optim.linesearch.value_and_grad", "optim.quasi_newton.scan",
                               "scipy.integrate.vjp", "scipy.linalg.custom_vjp")
                   if is_entry_point(getattr(sys.modules["wire." + n.rsplit(".", 1)[0]],
                                             n.rsplit(".", 1)[1]))]
print(json.dumps(out))
"""
    loaded, got = _child(code, lines=2)
    assert loaded["file"].startswith(ROOT)
    assert loaded["heavy"] == []
    assert loaded["lazy"] == []
    assert got["scipy_after"]
    assert got["gammaln"] == pytest.approx(1.791759469228055, rel=1e-15)
    assert got["dir"] == []
    assert got["random"] == "wire.random"
    assert got["missing"] == []
    assert set(PUBLIC) <= set(got["all"])
    assert got["star"] == []
    assert got["pickled"] and got["nope"]
    assert got["internal"] == []


def test_optional_module_stands_in_until_first_use():
    special = optional.module("scipy.special")
    if special is None:
        pytest.skip("needs SciPy")
    import scipy.special

    assert special.gammaln is scipy.special.gammaln
    assert "scipy.special" in repr(special) and "gammaln" in dir(special)
    assert pickle.loads(pickle.dumps(special)).erf is scipy.special.erf
    assert optional.module("no_such_package_here.sub") is None
    with pytest.raises(AttributeError):
        special.no_such_function  # noqa: B018


def test_lazy_names_are_the_packages_own_modules():
    """What the packages' ``__getattr__`` import on first touch are their own submodules
    (the layers' contracts, tests/test_layers.py, see them as any other module)."""
    import wire
    import wire.numpy

    for package, names in ((wire, wire._SUBMODULES), (wire.numpy, {"random"})):
        folder = os.path.dirname(package.__file__)
        for name in names:
            assert os.path.exists(os.path.join(folder, name + ".py")) or os.path.exists(
                os.path.join(folder, name, "__init__.py")), (package.__name__, name)
            assert name in dir(package)


def test_numpy_fronts_are_made_on_first_use():
    """wire.numpy's fronts taking NumPy's parameters (wire/numpy/_signatures.py) get their
    code when first called or their signature first read, not at import (writing and
    compiling them all was an eighth of ``import wire``); made either way, a front has the
    signature of its generated code, and a wrapper made before shows the same."""
    code = """
import functools, gc, inspect, json, pydoc, threading, types
import numpy as np
import wire, wire.numpy as wnp
from wire.numpy import _signatures
from wire.tracebacks import internal
makings = [o for o in gc.get_objects() if isinstance(o, _signatures._Making)]
made_at_import = sum(m.signature is not None for m in makings)
fronts = {name: internal(getattr(wnp, name)) for name in wnp.__all__}
fronts = {name: f for name, f in fronts.items() if _signatures.own(f) is not f}
wrapped = functools.wraps(fronts["add"])(lambda *a, **k: None)  # before add is made
help_text = pydoc.render_doc(wnp.add, renderer=pydoc.plaintext)  # (which makes it)
# first use of sum a call from two threads at once, of the others a signature read
out = []
threads = [threading.Thread(target=lambda: out.append(float(wnp.sum(np.ones(3), 0))))
           for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
bad = []
for name, front in fronts.items():
    sig = inspect.signature(getattr(wnp, name))
    text = str(sig)  # (reading it makes the front)
    plain = types.FunctionType(front.__code__, front.__globals__, name, front.__defaults__)
    plain.__kwdefaults__ = front.__kwdefaults__
    if not (sig == inspect.signature(plain) and text == str(inspect.signature(plain))
            and repr(sig) == repr(inspect.signature(plain))
            and sig.replace() == sig and type(sig.replace()) is inspect.Signature):
        bad.append(name)
print(json.dumps({"makings": len(makings), "at_import": made_at_import, "bad": bad,
                  "sum": out, "wrapped": str(inspect.signature(wrapped)),
                  "add": str(inspect.signature(np.add)),
                  "help": "add" + str(inspect.signature(np.add)) in help_text}))
"""
    got = _child(code)
    assert got["makings"] > 100  # (the fronts there are)
    assert got["at_import"] <= 5  # (those whose alias has another NumPy signature)
    assert got["bad"] == []
    assert got["sum"] == [3.0, 3.0]
    assert got["wrapped"] == got["add"]
    assert got["help"]


def test_signatures_read_from_code_are_inspects():
    """The fronts' decisions read signatures from code objects (``_signatures.signature``,
    without making ``inspect.Parameter`` objects): the same names, kinds and defaults as
    ``inspect.signature``, for every function of wire.numpy and its NumPy namesake."""
    import inspect

    import numpy as np

    import wire.numpy as wnp
    from wire.numpy import _signatures
    from wire.tracebacks import internal

    def params(sig):
        return None if sig is None else [(p.name, p.kind, p.default)
                                         for p in sig.parameters.values()]

    checked, from_code = 0, 0
    for ns, np_ns in ((wnp, np), (wnp.linalg, np.linalg), (wnp.fft, np.fft)):
        for name in ns.__all__:
            for obj in (_signatures.own(internal(getattr(ns, name))), getattr(np_ns, name, None)):
                if obj is None or not callable(obj) or isinstance(obj, type):
                    continue
                try:
                    want = inspect.signature(obj)
                except (TypeError, ValueError):
                    want = None
                got = _signatures.signature(obj)
                from_code += isinstance(got, _signatures.Parameters)
                got, want = params(got), params(want)
                assert (got is None) == (want is None), name
                if got is not None:
                    assert [g[:2] for g in got] == [w[:2] for w in want], name
                    assert all(g[2] is w[2] or (type(g[2]) is type(w[2]) is str and g[2] == w[2])
                               for g, w in zip(got, want)), name
                checked += 1
    assert checked > 500 and from_code > 400, (checked, from_code)
