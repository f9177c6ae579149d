"""autograd's extension API: ``primitive``, ``defvjp``, ``defjvp``, on wire's custom rules.

Code written for ``autograd.extend`` runs with its import changed::

    from wire.extend import primitive, defvjp

    @primitive
    def logsumexp(x):
        max_x = wnp.max(x)
        return max_x + wnp.log(wnp.sum(wnp.exp(x - max_x)))

    defvjp(logsumexp, lambda ans, x: lambda g: g * wnp.exp(x - ans))

A VJP maker ``vjpmaker(ans, *args, **kwargs)`` returns the function ``g -> cotangent`` of its
argument; a JVP function ``jvpfun(g, ans, *args, **kwargs)`` returns the output tangent for
the tangent ``g`` of its argument. ``None`` for an argument means its derivative is zero, as
in autograd. A ``@primitive`` is a :class:`wire.custom_vjp` (or :class:`wire.custom_jvp`
when only JVPs are given) over its traced arguments, so its rules hold at any order and under
``jit``, ``vmap`` and the other transforms. Arguments with no rule at all are differentiated
through the function's own code, as any wire code is. Unlike autograd, the function is traced
like any other when it computes with ``wire.numpy``; one that calls code wire cannot trace (a
SciPy routine, a C extension) runs on the values through :func:`wire.pure_callback` outside
``jit`` (its result's shapes from a call on the values), and so does a VJP maker that cannot be
traced (a cotangent then has no derivative of its own).
"""

from __future__ import annotations

import functools

import numpy as np

from . import tree
from .api.callback import ShapeDtypeStruct, pure_callback
from .api.custom import _concrete_values, custom_jvp, custom_vjp
from .api.derivatives import jacrev, jvp
from .api.grad import grad
from .core import Tracer
from .errors import UnexpectedTracerError, WireError, WireTypeError, at, user_location
from .tracebacks import expose

__all__ = ["primitive", "defvjp", "defjvp", "jacobian", "holomorphic_grad",
           "hessian_vector_product"]

_ZERO = object()  # the rule given as None: a zero derivative


def _is_traced(x) -> bool:
    if isinstance(x, Tracer):
        return True
    try:
        return any(isinstance(v, Tracer) for v in tree.leaves(x))
    except TypeError:  # a callable, a string ...: not a pytree of arrays
        return False


class primitive:
    """Decorator (autograd's ``@primitive``): a function whose derivatives are given by
    :func:`defvjp` / :func:`defjvp` instead of being traced through.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> @primitive
    ... def cube(x):
    ...     return x ** 3
    >>> defvjp(cube, lambda ans, x: lambda g: g * 3 * x ** 2)
    >>> wire.grad(cube)(2.0), wire.grad(wire.grad(cube))(2.0)
    (array(12.), array(12.))
    """

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vjps: dict = {}
        self.jvps: dict = {}

    def __call__(self, *args, **kwargs):
        traced = [i for i, a in enumerate(args) if _is_traced(a)]
        if not traced or not (self.vjps or self.jvps):
            return self.fun(*args, **kwargs)
        rules = self.vjps if self.vjps else self.jvps
        nums = tuple(i for i in traced if i in rules)  # the rest: through the code itself
        if not nums:
            return self.fun(*args, **kwargs)
        fun = self.fun

        def full_args(dyn):
            full = list(args)
            for i, d in zip(nums, dyn):
                full[i] = d
            return full

        def traced(*dyn):
            return fun(*full_args(dyn), **kwargs)

        name = getattr(fun, "__name__", "primitive")
        traced.__name__ = traced.__qualname__ = name
        dyn_args = [args[i] for i in nums]
        try:
            return self._custom(traced, full_args, nums, kwargs)(*dyn_args)
        except UnexpectedTracerError:
            raise
        except WireError as e:  # (a NumPy function wire does not trace, a conversion ...)
            # NumPy/SciPy code that cannot be traced: as in autograd, it runs on the values,
            # through wire.pure_callback (its result's shapes from a call on the known values)
            black_box = _black_box(fun, full_args, kwargs, dyn_args, name)
            if black_box is None:
                raise WireTypeError(
                    f"@primitive {name} runs code wire cannot trace ({e}); outside jit it is "
                    "called on the values through wire.pure_callback, but under jit they are "
                    "not known: call wire.pure_callback in it yourself, declaring the result's "
                    f"shapes and dtypes{at(user_location())}") from None
        return self._custom(black_box, full_args, nums, kwargs)(*dyn_args)

    def _custom(self, call, full_args, nums, kwargs):
        """The custom function computing the primitive with ``call`` of the traced arguments,
        its rules from the attached VJPs (or JVPs)."""
        if self.vjps:
            custom = custom_vjp(call)

            def fwd(*dyn):
                ans = call(*dyn)
                return ans, (ans, dyn)

            def bwd(res, g):
                ans, dyn = res
                full = full_args(dyn)
                return tuple(None if self.vjps[i] is _ZERO
                             else _cotangent(self.vjps[i], ans, dyn, full_args, i, kwargs, g)
                             for i in nums)

            custom.defvjp(fwd, bwd)
        else:
            custom = custom_jvp(call)

            def rule(primals, tangents):
                ans = call(*primals)
                full = full_args(primals)
                out = None
                for i, t in zip(nums, tangents):
                    if self.jvps[i] is _ZERO:
                        continue
                    term = self.jvps[i](t, ans, *full, **kwargs)
                    out = term if out is None else tree.map(lambda a, b: a + b, out, term)
                if out is None:
                    out = tree.map(lambda a: a * 0, ans)
                return ans, out

            custom.defjvp(rule)
        return custom


def _cotangent(vjpmaker, ans, dyn, full_args, i, kwargs, g):
    """``vjpmaker(ans, *args, **kwargs)(g)``; where it runs NumPy/SciPy code wire cannot
    trace (as autograd's VJPs may: they get values there), on the values through
    ``wire.pure_callback`` (a cotangent has its argument's shape and dtype; no derivative of
    its own)."""
    try:
        return vjpmaker(ans, *full_args(dyn), **kwargs)(g)
    except UnexpectedTracerError:
        raise
    except WireError:
        pass
    x = full_args(dyn)[i]
    decl = tree.map(lambda a: ShapeDtypeStruct(np.shape(a), np.result_type(a)), x)

    def host(ans_, g_, *dyn_):
        return vjpmaker(ans_, *full_args(dyn_), **kwargs)(g_)

    host.__name__ = host.__qualname__ = f"vjp of {getattr(vjpmaker, '__name__', 'primitive')}"
    return pure_callback(host, decl, ans, g, *dyn, vmap_method="sequential")


def _black_box(fun, full_args, kwargs, dyn, name):
    """``fun`` of the traced arguments ``dyn`` as a ``wire.pure_callback`` (the shapes and
    dtypes of its result found by calling it on their values), or None where the values are
    not known (under ``jit``)."""
    values = _concrete_values(tuple(dyn), example=True)  # (for the result's shapes)
    if values is None:
        return None
    flat, dyn_tree = tree.flatten(tuple(dyn))
    out = fun(*full_args(tuple(tree.unflatten(dyn_tree, values))), **kwargs)
    decl = tree.map(lambda a: ShapeDtypeStruct(np.shape(a), np.result_type(a)), out)

    def host(*d):
        return fun(*full_args(d), **kwargs)

    host.__name__ = host.__qualname__ = name

    def call(*d):
        return pure_callback(host, decl, *d, vmap_method="sequential")

    call.__name__ = call.__qualname__ = name
    return call


def _attach(table: dict, fun, rules, argnums, what: str) -> None:
    if not isinstance(fun, primitive):
        raise WireError(f"{what}: {getattr(fun, '__name__', fun)!r} is not a @primitive "
                        f"(decorate it with wire.extend.primitive){at(user_location())}")
    nums = range(len(rules)) if argnums is None else argnums
    for i, r in zip(nums, rules):
        table[i] = _ZERO if r is None else r


def defvjp(fun, *vjpmakers, argnums=None) -> None:
    """Attach ``vjpmaker(ans, *args, **kwargs) -> (g -> cotangent)`` for each argument (in
    order, or for ``argnums``) of the ``@primitive`` ``fun``; ``None``: zero derivative."""
    _attach(fun.vjps if isinstance(fun, primitive) else {}, fun, vjpmakers, argnums, "defvjp")


def defjvp(fun, *jvpfuns, argnums=None) -> None:
    """Attach ``jvpfun(g, ans, *args, **kwargs) -> output tangent`` for each argument (in
    order, or for ``argnums``) of the ``@primitive`` ``fun``; ``None``: zero derivative.
    When VJPs are attached too, reverse mode uses them and forward mode differentiates the
    function's own code."""
    _attach(fun.jvps if isinstance(fun, primitive) else {}, fun, jvpfuns, argnums, "defjvp")



# ---- autograd's names for wire's transforms (``from wire import jacobian`` works too)


def jacobian(fun, argnum=0):
    """autograd's ``jacobian``: :func:`wire.jacrev` in argument ``argnum`` (block shape
    ``out.shape + in.shape``).

    >>> import numpy as np, wire.numpy as wnp
    >>> jacobian(wnp.sin)(np.zeros(2))
    array([[1., 0.],
           [0., 1.]])
    """
    return jacrev(fun, argnum)


def holomorphic_grad(fun, argnum=0):
    """autograd's ``holomorphic_grad``: ``wire.grad(fun, argnum, holomorphic=True)``, the
    complex derivative ``f'(z)`` of a holomorphic ``fun`` at a complex ``z``.

    >>> import wire.numpy as wnp
    >>> holomorphic_grad(wnp.exp)(1j)
    array(0.54030231+0.84147098j)
    """
    return grad(fun, argnum, holomorphic=True)


def hessian_vector_product(fun, argnum=0):
    """autograd's ``hessian_vector_product``: a function of ``(*args, vector, **kwargs)``
    (the vector comes last, after all of ``fun``'s arguments) giving the Hessian of ``fun``
    in argument ``argnum`` times ``vector``, forward-over-reverse.

    >>> import numpy as np, wire.numpy as wnp
    >>> hessian_vector_product(lambda x, a: wnp.sum(a * x ** 3))(np.ones(2), 2.0, np.ones(2))
    array([12., 12.])
    """
    def hvp_f(*args, **kwargs):
        if len(args) < 2:
            raise WireError("hessian_vector_product: call it with fun's arguments and then the "
                            f"vector{at(user_location())}")
        *args, vector = args
        rest = lambda x: grad(fun, argnum)(*args[:argnum], x, *args[argnum + 1:], **kwargs)
        return jvp(rest, (args[argnum],), (vector,))[1]

    return hvp_f


# every public function here is where user code enters wire (wire.tracebacks)
expose(globals(), __all__)
