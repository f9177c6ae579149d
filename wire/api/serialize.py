"""Graphs to and from a versioned, human-readable JSON form that loads without running code.

``save(graph, path)`` / ``load(path)`` write and read a file; ``dumps(graph)`` /
``loads(text)`` do the same with a string. Loading never imports, evaluates or unpickles
anything: operations are looked up by name in :data:`wire.api.registry.REGISTRY` (or are one of
the leaf operations ``input``, ``var``, ``const``), and every field is checked. A malformed
or tampered document raises :class:`wire.WireError` saying what is wrong and where.

>>> import numpy as np, wire, wire.numpy as wnp
>>> g = wire.trace(lambda x: wnp.sum(wnp.sin(x) * 2.0), np.ones(3))
>>> wire.loads(wire.dumps(g)) == g
True

Schema (format ``"wire.graph"``, version 1)
-------------------------------------------

The document is one JSON object::

    {
     "format": "wire.graph",
     "version": 1,
     "graph": GRAPH,            # the graph itself
     "subgraphs": [GRAPH, ...]  # graphs held in params (control flow), shared, children first
    }

    GRAPH = {
      "inputs": [id, ...],      # node ids of the graph's positional inputs
      "outputs": [id, ...],     # node ids of its outputs
      "in_tree": TREE, "out_tree": TREE,
      "nodes": [NODE, ...]      # topological order, one per line in the file
    }

    NODE = {"id": k,            # must equal the node's position in "nodes"
            "op": "mul",        # "input" | "var" | "const" | a primitive name in REGISTRY
            "inputs": [id, ...],  # ids of earlier nodes only (so there are no cycles)
            "params": {"name": VALUE, ...},
            "aval": AVAL,       # or a list of AVALs for a multi-output primitive
            "loc": "model.py:12" | null}

    AVAL = {"dtype": "float64", "shape": [3, 4] | null}

Leaf nodes: ``input`` has params ``{"index": {"int": i}}``, ``var`` has ``{"name": {"str":
...}}``, ``const`` has ``{"value": {"array": ARRAY}}``. Every param VALUE carries an
explicit type tag, a one-key object:

==================  =================================================================
``{"none": null}``  ``None``
``{"bool": b}``     ``True`` / ``False``
``{"int": n}``      a Python ``int``
``{"float": x}``    a Python ``float``; ``"nan"``, ``"-nan"``, ``"inf"``, ``"-inf"`` as strings
``{"complex": [re, im]}``  a Python ``complex`` (each part encoded like a float)
``{"str": s}``      a string
``{"tuple": [VALUE, ...]}`` / ``{"list": [VALUE, ...]}``
``{"slice": [VALUE, VALUE, VALUE]}``  start, stop, step; ``{"ellipsis": null}`` for ``...``
``{"dtype": "float32"}``  a NumPy dtype (bool, [u]int8-64, float16-64, complex64/128)
``{"scalar": ARRAY}``     a NumPy scalar (``np.float32(1.5)``), as a 0-d ARRAY
``{"array": ARRAY}``      a constant array: ``{"dtype": ..., "shape": [...], "data": b64}``,
                    ``data`` = the little-endian bytes, base64-encoded
``{"graph": k}``    ``subgraphs[k]`` (a subgraph may only use subgraphs before it)
``{"tree": TREE}``  a pytree structure
==================  =================================================================

TREE: ``"*"`` (a leaf), ``{"none": null}``, ``{"float0": [2, 3]}`` (a ``float0`` array of
that shape: a gradient of an integer, which holds no data), ``{"tuple": [TREE, ...]}``,
``{"list": [TREE, ...]}``, ``{"dict": [[KEY VALUE, TREE], ...]}``. Containers that name a
Python class (namedtuples, pyrsistent ``PMap``/``PVector``/``PRecord``) cannot be recreated
safely from a file, so they are saved as their plain equivalents (tuple, dict, list, dict):
a function traced on a namedtuple loads as a graph taking a tuple.

*Custom rules are saved by reference.* The ``rule`` param of a ``custom_jvp_call`` /
``custom_vjp_call`` node is ``{"custom_rule": {"kind": "custom_jvp", "module": "pkg.mod",
"qualname": "name", "static": VALUE, "in_tree": TREE, "graph": k}}`` (``static``: the
``nondiff_argnums`` values, a tuple), or after ``vmap`` ``{"batched_rule": {"inner": VALUE,
"dims": [0, null, ...], "graph": k}}``. The function is found again by its module and
qualified name among the modules *already imported* when loading (``wire.load`` imports
nothing, so import the module that defines the custom function first), and must be a
``wire.custom_jvp``/``custom_vjp`` object of that kind with its rule attached. Saving checks
the same, so a graph that saves also loads: the custom function must be reachable as
``module.qualname`` (defined at module level, not inside a function), its static arguments
must be values the format holds, and its rules must not close over traced values.

On load every node's aval is *re-derived* by its primitive's shape rule and must equal the
recorded one; arities and param names are checked against the primitive; dtypes must be in
the list above; base64 data must have exactly ``prod(shape) * itemsize`` bytes. Graphs that
cannot be saved raise ``WireError`` naming the node: params that are Python functions (a
callable static argument, say), custom rules that cannot be found again by name, and
open-trace argument nodes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import inspect
import json
import math
import os
import re
import sys

import numpy as np
from pyrsistent import pmap

from ..errors import WireError, at, user_location
from ..ir import (
    EMPTY_PARAMS,
    LEAF_OPS,
    Aval,
    ConstValue,
    Graph,
    LeafOp,
    Node,
    adopt_sub_graph_locs,
    const_op,
    gc_paused,
    input_op,
    locating_by,
    make_node,
    var_op,
)
from ..higher_order.custom import BatchedRule, CustomRule
from ..ops.layout import shared_nan
from ..tree import LEAF, TreeDef, float0_node, strict_key
from .custom import custom_jvp, custom_vjp
from .registry import REGISTRY

FORMAT = "wire.graph"
VERSION = 1

DTYPES = frozenset([
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
])
_NONE_TREE = TreeDef("none", None, None, ())


# =========================================================================== encoding


def _users_rule(v) -> bool:
    """Whether ``v`` is (or batches) a custom rule defined outside wire: wire's own rules
    change only with wire's version, as its primitives' do."""
    while isinstance(v, BatchedRule):
        v = v.inner
    if not isinstance(v, CustomRule):
        return False
    module = getattr(v.owner, "__module__", None) or ""
    return not (module == "wire" or module.startswith("wire."))


class _Encoder:
    """Turns one graph (and the graphs in its params) into JSON-ready dicts."""

    def __init__(self, refuse_rules: bool = False):
        self.subgraphs: list[dict] = []
        self.graph_ids: dict[Graph, int] = {}
        # (a digest for a key that must change when a rule's code does: see wire.api.jit)
        self.refuse_rules = refuse_rules

    def graph(self, graph: Graph) -> dict:
        ids: dict[Node, int] = {}
        nodes = []
        for k, n in enumerate(graph.nodes):
            ids[n] = k
            nodes.append(self.node(n, k, ids, graph.loc(n)))
        return {
            "inputs": [ids[n] for n in graph.inputs],
            "outputs": [ids[n] for n in graph.outputs],
            "in_tree": _enc_tree(graph.in_tree),
            "out_tree": _enc_tree(graph.out_tree),
            "nodes": nodes,
        }

    def node(self, n: Node, k: int, ids: dict, loc: str | None) -> dict:
        op = n.op
        if isinstance(op, LeafOp) and op.name not in ("input", "var", "const"):
            raise WireError(
                f"cannot save node {k} ({op.name}{_where(n)}): it is an argument of a trace that "
                "is still open; save a closed graph from wire.trace(f, *args)"
                + at(user_location())
            )
        params = {}
        for name, v in sorted(n.params.items()):
            try:
                params[name] = self.value(v)
            except _Unsavable as e:
                raise WireError(
                    f"cannot save node {k} ({op.name}{_where(n)}): param {name!r} {e}"
                    + at(user_location())
                ) from None
        aval = (
            [_enc_aval(a) for a in n.aval] if isinstance(n.aval, tuple) else _enc_aval(n.aval)
        )
        return {
            "id": k,
            "op": op.name,
            "inputs": [ids[i] for i in n.inputs],
            "params": params,
            "aval": aval,
            "loc": loc,
        }

    def value(self, v) -> dict:
        if v is None:
            return {"none": None}
        t = type(v)
        if t is bool:
            return {"bool": v}
        if t is int:
            return {"int": v}
        if t is float:
            return {"float": _enc_float(v)}
        if t is complex:
            return {"complex": [_enc_float(v.real), _enc_float(v.imag)]}
        if t is str:
            return {"str": v}
        if t is tuple:
            return {"tuple": [self.value(x) for x in v]}
        if t is list:
            return {"list": [self.value(x) for x in v]}
        if t is slice:
            return {"slice": [self.value(v.start), self.value(v.stop), self.value(v.step)]}
        if v is Ellipsis:
            return {"ellipsis": None}
        if isinstance(v, np.dtype):
            return {"dtype": _enc_dtype(v)}
        if isinstance(v, np.generic):
            return {"scalar": _enc_array(np.asarray(v))}
        if isinstance(v, ConstValue):
            return {"array": _enc_array(v.array)}
        if isinstance(v, Graph):
            return {"graph": self.subgraph(v)}
        if isinstance(v, TreeDef):
            return {"tree": _enc_tree(v)}
        if self.refuse_rules and _users_rule(v):
            raise _Unsavable("is a custom rule (named by reference, not by what it computes)")
        if isinstance(v, CustomRule):
            return {"custom_rule": self.custom_rule(v)}
        if isinstance(v, BatchedRule):
            return {"batched_rule": {"inner": self.value(v.inner),
                                     "dims": [self.value(d) for d in v.dims],
                                     "graph": self.subgraph(v.graph)}}
        if callable(v):
            raise _Unsavable(
                f"is a Python function ({getattr(v, '__qualname__', type(v).__name__)}); "
                "functions (e.g. custom_jvp/custom_vjp rules) cannot be saved — save the "
                "graph without custom rules, or re-create them after loading"
            )
        raise _Unsavable(f"has a value of type {type(v).__name__} that the format cannot hold")

    def custom_rule(self, rule: CustomRule) -> dict:
        owner = rule.owner
        kind = type(owner).__name__
        if rule.closed:
            raise _Unsavable(
                f"is the rule of {rule.name}, which closes over {len(rule.closed)} traced "
                "value(s); a saved rule is a reference to a module-level function, so pass "
                "them as arguments to save it")
        module, qualname = getattr(owner, "__module__", None), getattr(owner, "__qualname__", "")
        if _find_custom(module, qualname, kind) is not owner:
            # made without the decorator syntax (``g = custom_vjp(f)``): the name it is bound to
            names = [k for k, o in vars(sys.modules.get(module, sys)).items() if o is owner]
            qualname = min(names) if names else qualname
        if _find_custom(module, qualname, kind) is not owner:
            raise _Unsavable(
                f"is the rule of {kind} function {rule.name}, which cannot be found again as "
                f"{module}.{qualname}: a saved rule is a reference by name, so define the "
                f"{kind} function at module level")
        try:
            static = self.value(rule.static)
        except _Unsavable as e:
            raise _Unsavable(f"(the rule of {rule.name}) has a static argument that {e}") from None
        return {"kind": kind, "module": module, "qualname": qualname, "static": static,
                "in_tree": _enc_tree(rule.in_tree), "graph": self.subgraph(rule.graph)}

    def subgraph(self, g: Graph) -> int:
        k = self.graph_ids.get(g)
        if k is None:
            enc = self.graph(g)  # its own subgraphs get lower indices
            k = self.graph_ids[g] = len(self.subgraphs)
            self.subgraphs.append(enc)
        return k


class _Unsavable(Exception):
    pass


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_KINDS = {"custom_jvp": custom_jvp, "custom_vjp": custom_vjp}


def _find_custom(module, qualname, kind: str):
    """The ``kind`` object named ``module.qualname`` among the imported modules, or None.
    Nothing is imported and nothing but attribute lookups on a module runs."""
    if not (isinstance(module, str) and isinstance(qualname, str) and _NAME.match(module)
            and _NAME.match(qualname)):
        return None
    obj = sys.modules.get(module)
    for part in qualname.split("."):
        if obj is None:
            return None
        obj = inspect.getattr_static(obj, part, None)
    cls = _KINDS.get(kind)
    return obj if cls is not None and type(obj) is cls else None


def _where(n: Node) -> str:
    return f", traced at {n.loc}" if n.loc else ""


def _enc_float(x: float):
    if math.isnan(x):  # its sign kept: -nan is what np.copysign and np.signbit see
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


@functools.cache
def _enc_dtype(dt) -> str:
    dt = np.dtype(dt)
    if dt.name not in DTYPES:
        raise _Unsavable(f"has dtype {dt} that the format cannot hold")
    return dt.name


@functools.lru_cache(maxsize=4096)
def _enc_aval(a: Aval) -> dict:
    # shared between nodes: the encoded document is only ever read (by json.dumps)
    return {"dtype": _enc_dtype(a.dtype), "shape": None if a.shape is None else list(a.shape)}


def _enc_array(a: np.ndarray) -> dict:
    dt = _enc_dtype(a.dtype)
    data = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return {"dtype": dt, "shape": list(a.shape), "data": base64.b64encode(data).decode("ascii")}


def _enc_tree(td: TreeDef):
    kind = td.kind
    if kind == "leaf":
        return "*"
    if kind == "none":
        return {"none": None}
    if kind == "float0":  # (a float0 array: its shape; it holds no data)
        return {"float0": list(td.aux)}
    kids = [_enc_tree(c) for c in td.children]
    if kind in ("tuple", "namedtuple"):
        return {"tuple": kids}
    if kind in ("list", "pvector"):
        return {"list": kids}
    if kind in ("dict", "pmap", "precord"):
        enc = _Encoder()
        try:
            keys = [enc.value(k) for k in td.aux]
        except _Unsavable as e:
            raise WireError(f"cannot save a pytree with a dict key that {e}"
                            + at(user_location())) from None
        return {"dict": [[k, c] for k, c in zip(keys, kids)]}
    raise WireError(f"cannot save a pytree node of kind {kind!r}" + at(user_location()))


def _document(graph: Graph) -> dict:
    if not isinstance(graph, Graph):
        raise WireError(
            f"wire.save/dumps takes a wire.Graph (from wire.trace), got {type(graph).__name__}"
            f"{at(user_location())}"
        )
    enc = _Encoder()
    main = enc.graph(graph)
    return {"format": FORMAT, "version": VERSION, "graph": main, "subgraphs": enc.subgraphs}


def _dump(obj) -> str:
    return json.dumps(obj, separators=(", ", ": "), allow_nan=False)


def _format_graph(g: dict, pad: str) -> str:
    lines = [pad + "{"]
    for key in ("inputs", "outputs", "in_tree", "out_tree"):
        lines.append(f"{pad} {_dump(key)}: {_dump(g[key])},")
    lines.append(f'{pad} "nodes": [')
    body = [f"{pad}  {_dump(n)}" for n in g["nodes"]]
    lines.append(",\n".join(body))
    lines.append(f"{pad} ]")
    lines.append(pad + "}")
    return "\n".join(x for x in lines if x)


def dumps(graph: Graph) -> str:
    """The JSON text of ``graph`` (see the module docstring for the schema).

    >>> import numpy as np, wire
    >>> text = wire.dumps(wire.trace(lambda x: x * 2.0, np.ones(2)))
    >>> print(text.splitlines()[1])
     "format": "wire.graph",
    """
    if not isinstance(graph, Graph):
        return _dumps(graph)
    with locating_by(graph):  # its sub-graphs are written with this graph's lines
        return _dumps(graph)


def _dumps(graph) -> str:
    with gc_paused():  # see wire.ir.pause
        doc = _document(graph)
    subs = ",\n".join(_format_graph(g, "  ") for g in doc["subgraphs"])
    return (
        "{\n"
        f' "format": {_dump(FORMAT)},\n'
        f' "version": {VERSION},\n'
        f' "graph": {_format_graph(doc["graph"], " ").lstrip()},\n'
        f' "subgraphs": [' + (f"\n{subs}\n ]" if subs else "]") + "\n}\n"
    )


def save(graph: Graph, path) -> None:
    """Write ``graph`` to the file ``path`` as JSON (see :func:`dumps`).

    >>> import numpy as np, os, tempfile, wire
    >>> g = wire.trace(lambda x: x * 2.0, np.ones(2))
    >>> path = os.path.join(tempfile.mkdtemp(), "g.json")
    >>> wire.save(g, path)
    >>> wire.load(path) == g
    True
    """
    text = dumps(graph)
    with open(os.fspath(path), "w", encoding="utf-8") as f:
        f.write(text)


# =========================================================================== decoding


class _Bad(Exception):
    """A validation failure; ``where`` is filled in as it propagates."""


def _fail(msg: str):
    raise _Bad(msg)


def _obj(x, what: str, keys: tuple, optional: tuple = ()) -> dict:
    if not isinstance(x, dict):
        _fail(f"{what} must be a JSON object, got {_jtype(x)}")
    missing = [k for k in keys if k not in x]
    if missing:
        _fail(f"{what} is missing {', '.join(map(repr, missing))}")
    extra = [k for k in x if k not in keys and k not in optional]
    if extra:
        _fail(f"{what} has unknown field(s) {', '.join(map(repr, extra))}")
    return x


def _jtype(x) -> str:
    return {
        dict: "an object", list: "an array", str: "a string", bool: "a boolean",
        int: "an integer", float: "a number", type(None): "null",
    }.get(type(x), type(x).__name__)


def _int(x, what: str, lo: int | None = 0) -> int:
    if type(x) is not int:
        _fail(f"{what} must be an integer, got {_jtype(x)}")
    if lo is not None and x < lo:
        _fail(f"{what} must be >= {lo}, got {x}")
    return x


def _list(x, what: str) -> list:
    if not isinstance(x, list):
        _fail(f"{what} must be a JSON array, got {_jtype(x)}")
    return x


def _dec_dtype(x, what: str = "dtype") -> np.dtype:
    if not isinstance(x, str) or x not in DTYPES:
        _fail(f"{what} {x!r} is not one of {', '.join(sorted(DTYPES))}")
    return np.dtype(x)


_MAX_DIMS = 64  # NumPy's limit
_MAX_ELEMENTS = np.iinfo(np.intp).max  # no array can have more elements (or a larger axis)


def _dec_shape(x, what: str):
    if x is None:
        return None
    dims = _list(x, what)
    if len(dims) > _MAX_DIMS:
        _fail(f"{what} has {len(dims)} axes; arrays have at most {_MAX_DIMS}")
    shape = tuple(_int(d, f"{what} entry") for d in dims)
    if math.prod(shape) > _MAX_ELEMENTS or any(d > _MAX_ELEMENTS for d in shape):
        _fail(f"{what} {list(shape)} has more elements than any array can hold")
    return shape


def _dec_aval(x, what: str, memo: dict) -> Aval:
    if isinstance(x, dict) and len(x) == 2:
        shape, dtype = x.get("shape", 0), x.get("dtype")
        if shape is None or (type(shape) is list and all(type(d) is int for d in shape)):
            key = (dtype, shape if shape is None else tuple(shape))
            found = memo.get(key) if isinstance(dtype, str) else None
            if found is not None:
                return found
    _obj(x, what, ("dtype", "shape"))
    aval = Aval(_dec_shape(x["shape"], f"{what} shape"), _dec_dtype(x["dtype"], f"{what} dtype"))
    memo[(x["dtype"], aval.shape)] = aval
    return aval


def _dec_float(x, what: str) -> float:
    if isinstance(x, str):
        if x in ("nan", "-nan", "inf", "-inf"):
            return shared_nan(float(x))  # one NaN object: params equal those of the original
        _fail(f"{what} must be a number or 'nan'/'-nan'/'inf'/'-inf', got {x!r}")
    if type(x) not in (int, float):
        _fail(f"{what} must be a number, got {_jtype(x)}")
    return float(x)


def _dec_array(x, what: str) -> np.ndarray:
    _obj(x, what, ("dtype", "shape", "data"))
    dt = _dec_dtype(x["dtype"], f"{what} dtype")
    shape = _dec_shape(x["shape"], f"{what} shape")
    if shape is None:
        _fail(f"{what} shape must be a list")
    if not isinstance(x["data"], str):
        _fail(f"{what} data must be a base64 string, got {_jtype(x['data'])}")
    try:
        raw = base64.b64decode(x["data"].encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        _fail(f"{what} data is not valid base64 ({e})")
    count = math.prod(shape)
    if len(raw) != count * dt.itemsize:
        _fail(
            f"{what} data has {len(raw)} bytes but shape {list(shape)} of {dt.name} needs "
            f"{count * dt.itemsize}"
        )
    arr = np.frombuffer(raw, dtype=dt.newbyteorder("<")).astype(dt).reshape(shape)
    return arr


_TAGS = (
    "none", "bool", "int", "float", "complex", "str", "tuple", "list", "slice", "ellipsis",
    "dtype", "scalar", "array", "graph", "tree", "custom_rule", "batched_rule",
)


def _dec_value(x, what: str, graphs: list):
    if not isinstance(x, dict) or len(x) != 1:
        _fail(f"{what} must be a one-key object {{tag: value}}, got {_jtype(x)}"
              + (f" with {len(x)} keys" if isinstance(x, dict) else ""))
    ((tag, v),) = x.items()
    if tag == "none":
        if v is not None:
            _fail(f"{what}: 'none' takes null")
        return None
    if tag == "bool":
        if type(v) is not bool:
            _fail(f"{what}: 'bool' takes true/false, got {_jtype(v)}")
        return v
    if tag == "int":
        return _int(v, what, lo=None)
    if tag == "float":
        return _dec_float(v, what)
    if tag == "complex":
        parts = _list(v, what)
        if len(parts) != 2:
            _fail(f"{what}: 'complex' takes [re, im]")
        return shared_nan(complex(_dec_float(parts[0], what), _dec_float(parts[1], what)))
    if tag == "str":
        if not isinstance(v, str):
            _fail(f"{what}: 'str' takes a string, got {_jtype(v)}")
        return v
    if tag == "tuple":
        return tuple(_dec_value(e, f"{what}[{i}]", graphs) for i, e in enumerate(_list(v, what)))
    if tag == "list":
        return [_dec_value(e, f"{what}[{i}]", graphs) for i, e in enumerate(_list(v, what))]
    if tag == "slice":
        parts = _list(v, what)
        if len(parts) != 3:
            _fail(f"{what}: 'slice' takes [start, stop, step]")
        parts = [_dec_value(p, what, graphs) for p in parts]
        if not all(p is None or type(p) is int for p in parts):
            _fail(f"{what}: slice bounds must be ints or none")
        return slice(*parts)
    if tag == "ellipsis":
        if v is not None:
            _fail(f"{what}: 'ellipsis' takes null")
        return Ellipsis
    if tag == "dtype":
        return _dec_dtype(v, what)
    if tag == "scalar":
        a = _dec_array(v, what)
        if a.shape != ():
            _fail(f"{what}: 'scalar' must have shape []")
        return a[()]
    if tag == "array":
        return ConstValue(_dec_array(v, what))
    if tag == "graph":
        k = _int(v, what)
        if k >= len(graphs):
            _fail(f"{what}: subgraph {k} is not defined before this point "
                  f"({len(graphs)} defined)")
        return graphs[k]
    if tag == "tree":
        return _dec_tree(v, what)
    if tag == "custom_rule":
        return _dec_custom_rule(v, what, graphs)
    if tag == "batched_rule":
        _obj(v, what, ("inner", "dims", "graph"))
        inner = _dec_value(v["inner"], f"{what} inner", graphs)
        if not isinstance(inner, (CustomRule, BatchedRule)):
            _fail(f"{what}: inner must be a custom_rule or batched_rule")
        dims = tuple(_dec_value(d, f"{what} dims", graphs) for d in _list(v["dims"], what))
        if any(d not in (0, None) or type(d) is bool for d in dims):
            _fail(f"{what}: dims must be 0 or none")
        graph = _dec_value({"graph": v["graph"]}, f"{what} graph", graphs)
        if len(dims) != len(graph.inputs) or len(inner.graph.inputs) != len(dims):
            _fail(f"{what}: {len(dims)} dims for graphs of {len(graph.inputs)} and "
                  f"{len(inner.graph.inputs)} inputs")
        return BatchedRule(inner, dims, graph)
    _fail(f"{what}: unknown tag {tag!r} (expected one of {', '.join(_TAGS)})")


def _dec_custom_rule(v, what: str, graphs: list) -> CustomRule:
    _obj(v, what, ("kind", "module", "qualname", "static", "in_tree", "graph"))
    kind, module, qualname = v["kind"], v["module"], v["qualname"]
    if kind not in _KINDS:
        _fail(f"{what}: kind must be one of {sorted(_KINDS)}, got {kind!r}")
    for field, name in (("module", module), ("qualname", qualname)):
        if not isinstance(name, str) or not _NAME.match(name):
            _fail(f"{what}: {field} must be a dotted Python name, got {name!r}")
    owner = _find_custom(module, qualname, kind)
    if owner is None:
        hint = (f"module {module!r} is not imported: import it before loading (wire.load "
                "never imports)" if module not in sys.modules
                else f"{module}.{qualname} is not a {kind} function")
        _fail(f"{what}: the {kind} function {module}.{qualname} is not found: {hint}")
    if not owner._has_rule():
        _fail(f"{what}: {module}.{qualname} has no rule attached")
    static = _dec_value(v["static"], f"{what} static", graphs)
    if type(static) is not tuple or len(static) != len(owner.nondiff_argnums):
        _fail(f"{what}: static must be a tuple of {len(owner.nondiff_argnums)} value(s) (the "
              f"nondiff_argnums of {qualname})")
    in_tree = _dec_tree(v["in_tree"], f"{what} in_tree")
    graph = _dec_value({"graph": v["graph"]}, f"{what} graph", graphs)
    if in_tree.num_leaves != len(graph.inputs):
        _fail(f"{what}: in_tree has {in_tree.num_leaves} leaves for a graph of "
              f"{len(graph.inputs)} inputs")
    return CustomRule(owner, static, in_tree, (), graph)


def _dec_tree(x, what: str) -> TreeDef:
    if x == "*":
        return LEAF
    if not isinstance(x, dict) or len(x) != 1:
        _fail(f"{what} must be '*' or a one-key object, got {_jtype(x)}")
    ((kind, v),) = x.items()
    if kind == "none":
        if v is not None:
            _fail(f"{what}: 'none' takes null")
        return _NONE_TREE
    if kind == "float0":
        return float0_node([_int(d, f"{what} float0 dimension") for d in _list(v, what)])
    if kind == "tuple":
        return TreeDef("tuple", tuple, None, tuple(_dec_tree(c, what) for c in _list(v, what)))
    if kind == "list":
        return TreeDef("list", list, None, tuple(_dec_tree(c, what) for c in _list(v, what)))
    if kind == "dict":
        keys, kids = [], []
        for item in _list(v, what):
            if not isinstance(item, list) or len(item) != 2:
                _fail(f"{what}: dict entries must be [key, tree] pairs")
            key = _dec_value(item[0], f"{what} key", [])
            try:
                hash(key)
            except TypeError:
                _fail(f"{what}: dict key {key!r} is not hashable")
            keys.append(key)
            kids.append(_dec_tree(item[1], what))
        if len(set(keys)) != len(keys):
            _fail(f"{what}: duplicate dict keys")
        return TreeDef("dict", dict, tuple(keys), tuple(kids))
    _fail(f"{what}: unknown tree kind {kind!r} (expected '*', none, float0, tuple, list, "
          f"dict)")


@functools.cache
def _signature(prim):
    """(min arity, max arity or None, allowed param names or None = any, required names)."""
    impl = prim.impl
    if isinstance(impl, np.ufunc):
        return impl.nin, impl.nin, frozenset(), frozenset()
    if impl is np.where:
        return 3, 3, frozenset(), frozenset()
    try:
        sig = inspect.signature(impl)
    except (TypeError, ValueError):
        return 0, None, None, frozenset()
    pos = [p for p in sig.parameters.values()
           if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values())
    any_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    kw = [p for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]
    names = None if any_kw else frozenset(p.name for p in kw)
    required = frozenset(p.name for p in kw if p.default is p.empty)
    return len(pos), (None if variadic else len(pos)), names, required


def _derive_aval(prim, in_avals, params):
    if any(not isinstance(a, tuple) and a.shape is None for a in in_avals):
        return Aval(None, prim.dtype(*[a.dtype for a in in_avals], **params))
    return prim.shape(*in_avals, **params)


def _fmt_aval(a) -> str:
    return "(" + ", ".join(map(repr, a)) + ")" if isinstance(a, tuple) else repr(a)


def _dec_node(nx, k: int, nodes: list, graphs: list, memo: dict, registry,
              locs: dict | None = None) -> Node:
    """One node from its JSON object; ``_Bad`` messages are relative to the node. ``locs``:
    the table of the graph being decoded, which gets the lines of the node's sub-graphs."""
    _obj(nx, "a node", ("id", "op", "inputs", "params", "aval"), optional=("loc",))
    if _int(nx["id"], "id") != k:
        _fail(f"it has id {nx['id']}; ids must be 0, 1, 2, ... in list order")
    name = nx["op"]
    if not isinstance(name, str):
        _fail(f"op must be a string, got {_jtype(name)}")
    loc = nx.get("loc")
    if loc is not None and not isinstance(loc, str):
        _fail("loc must be a string or null")
    ins = []
    for i in _list(nx["inputs"], "inputs"):
        if type(i) is not int or not 0 <= i < k:
            _int(i, "input id")
            _fail(f"it uses node {i}, which is not defined before it "
                  "(inputs must refer to earlier nodes)")
        ins.append(nodes[i])
    pj = nx["params"]
    if not isinstance(pj, dict):
        _fail(f"params must be an object, got {_jtype(pj)}")
    params = {p: _dec_value(v, f"param {p!r}", graphs) for p, v in pj.items()} if pj else {}
    aj = nx["aval"]
    if isinstance(aj, list):
        aval = tuple(_dec_aval(a, f"aval[{j}]", memo) for j, a in enumerate(aj))
    else:
        aval = _dec_aval(aj, "aval", memo)
    if name in LEAF_OPS:
        return _leaf(name, ins, params, aval, loc)
    prim = registry.get(name)
    if prim is None:
        _fail(f"unknown operation {name!r}; it is not a primitive of this wire version")
    lo, hi, allowed, required = _signature(prim)
    if len(ins) < lo or (hi is not None and len(ins) > hi):
        want = str(lo) if hi == lo else f"at least {lo}" if hi is None else f"{lo}..{hi}"
        _fail(f"{name} takes {want} operand(s), got {len(ins)}")
    if params or required:
        keys = set(params)
        if allowed is not None and not keys <= allowed:
            _fail(f"unknown param(s) {sorted(keys - allowed)}; "
                  f"{name} takes {sorted(allowed) or 'none'}")
        if not required <= keys:
            _fail(f"missing param(s) {sorted(required - keys)}")
    rule = params.get("rule")
    if isinstance(rule, (CustomRule, BatchedRule)):
        kind = "custom_jvp" if name == "custom_jvp_call" else "custom_vjp"
        base = rule
        while isinstance(base, BatchedRule):
            base = base.inner
        if type(base.owner).__name__ != kind or rule.graph != params.get("graph") \
                or len(ins) != len(rule.graph.inputs):
            _fail(f"its rule does not fit a {name} node of these operands and graph")
    in_avals = tuple([n.aval for n in ins])
    frozen = pmap(params) if params else EMPTY_PARAMS
    try:
        # strict: a shape rule that accepts axis=1 need not accept axis=1.0 or axis=True
        key = (prim, in_avals, strict_key(tuple(sorted(params.items()))))
        derived = memo.get(key)
    except TypeError:  # unhashable param (a list): no memo
        key, derived = None, None
    if derived is None:
        try:
            derived = _derive_aval(prim, in_avals, params)
        except Exception as e:  # noqa: BLE001  any shape-rule failure on bad data = bad file
            _fail(f"its operands {', '.join(_fmt_aval(a) for a in in_avals) or '()'}"
                  f" and params do not pass {name}'s shape rule: {type(e).__name__}: {e}")
        if key is not None:
            memo[key] = derived
    if derived != aval:
        _fail(f"it records aval {_fmt_aval(aval)}, but {name} of "
              f"{', '.join(_fmt_aval(a) for a in in_avals) or '()'} gives "
              f"{_fmt_aval(derived)}")
    try:
        node = make_node(prim, tuple(ins), frozen, derived, loc)
    except TypeError as e:  # unhashable params
        _fail(f"params must be hashable values ({e}); use tuples, not lists")
    if locs is not None and params:
        adopt_sub_graph_locs(node, params, locs)
    return node


def _dec_graph(x, what: str, graphs: list) -> Graph:
    _obj(x, what, ("inputs", "outputs", "in_tree", "out_tree", "nodes"))
    nodes: list[Node] = []
    locs: dict = {}  # where this graph's nodes were traced (interned nodes may say otherwise)
    memo: dict = {}  # avals and derived avals already checked in this graph
    for k, nx in enumerate(_list(x["nodes"], f"{what} nodes")):
        try:
            node = _dec_node(nx, k, nodes, graphs, memo, REGISTRY, locs)
            nodes.append(node)
            if nx.get("loc") is not None and node.loc != nx["loc"]:
                locs[node] = nx["loc"]
        except _Bad as e:  # messages inside are relative to the node; say which one
            name = nx.get("op") if isinstance(nx, dict) else None
            label = f" ({name})" if isinstance(name, str) else ""
            raise _Bad(f"{what} node {k}{label}: {e}") from None

    def pick(key):
        out = []
        for i in _list(x[key], f"{what} {key}"):
            i = _int(i, f"{what} {key} id")
            if i >= len(nodes):
                _fail(f"{what} {key} refers to node {i}, but there are {len(nodes)} nodes")
            out.append(nodes[i])
        return out

    inputs, outputs = pick("inputs"), pick("outputs")
    _check_inputs(inputs, nodes, what)
    in_tree = _dec_tree(x["in_tree"], f"{what} in_tree")
    out_tree = _dec_tree(x["out_tree"], f"{what} out_tree")
    if in_tree.num_leaves != len(inputs):
        _fail(f"{what} in_tree has {in_tree.num_leaves} leaves for {len(inputs)} inputs")
    if out_tree.num_leaves != len(outputs):
        _fail(f"{what} out_tree has {out_tree.num_leaves} leaves for {len(outputs)} outputs")
    for o in outputs:
        if isinstance(o.aval, tuple):
            _fail(f"{what}: an output is a multi-output node; outputs must be single values")
    return Graph(inputs, outputs, in_tree, out_tree, locs)


def _check_inputs(inputs: list, nodes: list, what: str) -> None:
    """A graph's inputs are distinct ``input`` (or ``var``) nodes, the ``input`` ones with
    distinct indices, and every ``input`` node in it is one of them: two inputs with one
    index would be one node (nodes are interned), so one argument's value would silently
    stand for the other's."""
    seen: dict = {}
    members: set = set()
    for k, n in enumerate(inputs):
        if n.op is not input_op and n.op is not var_op:
            _fail(f"{what} input {k} is a {n.op.name!r} node; graph inputs must be 'input' "
                  "(or 'var') nodes")
        if n in members:
            _fail(f"{what} lists one node twice among its inputs (input {k})")
        members.add(n)
        if n.op is var_op:
            continue
        index = n.params["index"]
        if index in seen:
            _fail(f"{what} inputs {seen[index]} and {k} both have index {index}")
        seen[index] = k
    for n in nodes:
        if n.op is input_op and n not in members:
            _fail(f"{what} has an input node (index {n.params['index']}, {n.aval!r}) that "
                  "is not one of its inputs")


def _leaf(name, ins, params, aval, loc) -> Node:
    if ins:
        _fail(f"a leaf node takes no inputs, got {len(ins)}")
    if isinstance(aval, tuple):
        _fail("a leaf node has one aval, not a list")
    if name == "input":
        if set(params) != {"index"}:
            _fail(f"params must be exactly {{'index'}}, got {sorted(params)}")
        _int(params["index"], "index")
        return make_node(input_op, (), pmap(params), aval, loc)
    if name == "var":
        if set(params) != {"name"} or not isinstance(params["name"], str):
            _fail("params must be exactly {'name': str}")
        return make_node(var_op, (), pmap(params), aval, loc)
    if name == "const":
        if set(params) != {"value"} or not isinstance(params["value"], ConstValue):
            _fail("params must be exactly {'value': array}")
        arr = params["value"].array
        if Aval(arr.shape, arr.dtype) != aval:
            _fail(f"records aval {aval!r} but its value is {Aval(arr.shape, arr.dtype)!r}")
        return make_node(const_op, (), pmap(params), aval, loc)
    _fail(f"{name!r} nodes belong to an open trace and cannot be loaded")


def _from_document(doc) -> Graph:
    _obj(doc, "the document", ("format", "version", "graph"), optional=("subgraphs",))
    if doc["format"] != FORMAT:
        _fail(f"format is {doc['format']!r}, expected {FORMAT!r}")
    version = doc["version"]
    if type(version) is not int or version != VERSION:
        _fail(f"version {version!r} is not supported; this wire reads version {VERSION}")
    graphs: list[Graph] = []
    for k, gx in enumerate(_list(doc.get("subgraphs", []), "subgraphs")):
        graphs.append(_dec_graph(gx, f"subgraph {k}", graphs))
    return _dec_graph(doc["graph"], "graph", graphs)


def loads(text) -> Graph:
    """The graph in JSON ``text`` (from :func:`dumps`); ``WireError`` if it is malformed.

    >>> import wire
    >>> wire.loads('{"format": "wire.graph", "version": 9, "graph": {}}')
    Traceback (most recent call last):
    ...
    wire.errors.WireError: cannot load graph: version 9 is not supported; this wire reads version 1
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise WireError(f"cannot load graph: not UTF-8 text ({e})") from None
    if not isinstance(text, str):
        raise WireError(f"wire.loads takes a str, got {type(text).__name__}" + at(user_location()))
    with gc_paused():  # see wire.ir.pause: a big document is many small objects
        try:
            doc = json.loads(text, parse_constant=_reject_constant)
        except _Bad as e:
            raise WireError(f"cannot load graph: {e}") from None
        except (ValueError, RecursionError) as e:
            raise WireError(f"cannot load graph: not valid JSON ({e})") from None
        try:
            return _from_document(doc)
        except _Bad as e:
            raise WireError(f"cannot load graph: {e}") from None
        except RecursionError:
            raise WireError("cannot load graph: structure nested too deeply") from None


def _reject_constant(name):
    raise _Bad(f"{name} is not JSON; write non-finite floats as {{\"float\": \"nan\"}}")


def load(path) -> Graph:
    """The graph saved in the file ``path`` (see :func:`save`); never runs code from the file.

    Raises ``WireError`` naming the problem for a malformed or tampered file.

    >>> import os, tempfile, wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: wnp.tanh(x) * 2.0, 1.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "g.json")
    >>> wire.save(g, path)
    >>> wire.load(path) == g
    True
    """
    try:
        with open(os.fspath(path), "rb") as f:
            data = f.read()
    except OSError as e:
        raise WireError(f"cannot load graph from {path!r}: {e.strerror or e}") from None
    try:
        return loads(data)
    except WireError as e:
        raise WireError(f"{path}: {e}") from None

