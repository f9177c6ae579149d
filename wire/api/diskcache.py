"""``wire.jit``'s on-disk compile cache: the code a jitted function compiled to, reused by the
next process.

An entry is one JSON file named by a key that is the same in every process: a SHA-256 over
the structure of what was compiled (:func:`graph_digest` of the traced graph, plus how the
jitted function transforms it, e.g. ``grad`` with its ``argnums``) and over everything the
generated code depends on (wire's, NumPy's and Python's versions, this format's version).
Python's ``hash()`` is salted per process, so it is never part of a key.

The file holds the generated source and a *manifest* of the globals it reads, never a pickle:
NumPy functions and primitive implementations are named (and looked up in wire's registry
when loaded), constants are base64 data with their dtype and shape, pytree structures are
written as in :mod:`wire.api.serialize`. Beside the source it holds the source's bytecode
(``marshal``, which builds only code objects and constants) with the bytecode format's magic
number and a SHA-256 over that magic, the source and the bytecode: Python's ``compile()`` of
the source is most of a warm process's first call, so loading uses the bytecode when all of
them match, and compiles the source otherwise (an older entry, another Python, a changed
source, a damaged field). Loading checks every field and checks the code object, however it
was made: one function, no nested code, and every
name it reads is one of its globals, ``np`` or a NumPy ufunc or array attribute from a fixed
list (so an edited file cannot reach ``open``, ``import`` or ``np.load``). Entries are only
read from a directory owned by the user and writable by no one else, and are written to a
temporary file and renamed, so two processes may fill the same entry at once and a reader
never sees half a file. Anything unexpected (a corrupt, truncated, tampered or foreign entry)
makes the entry a miss: the function is compiled as if there were no cache, and the entry
is written anew.

Where: ``$WIRE_CACHE_DIR`` if set, else the user cache directory (``$XDG_CACHE_HOME/wire``
or ``~/.cache/wire``; ``~/Library/Caches/wire`` on macOS; ``%LOCALAPPDATA%\\wire\\Cache`` on
Windows). ``WIRE_DISK_CACHE=0`` turns the cache off for the process, and
``wire.jit(f, disk_cache=False)`` for one function.

>>> key = entry_key(("example",))
>>> len(key), key == entry_key(("example",))
(64, True)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
import json
import marshal
import math
import os
import stat
import sys
import tempfile
import types

import numpy as np

from .. import tree
from ..errors import WireError
from ..ir import ConstValue, Graph, LeafOp, gc_paused
from ..runtime import arena, cbuild, gemm, native
from ..runtime.compiler import Compiled, _as_array, _copy, _owned
from .registry import REGISTRY, primitive_named
from .serialize import (
    DTYPES, _Bad, _dec_array, _dec_float, _dec_graph, _dec_tree, _dec_value, _enc_array,
    _enc_float, _enc_tree, _Encoder, _signature, _Unsavable,
)

__all__ = ["directory", "entry_key", "graph_digest", "load", "native_key", "native_library",
           "store"]

FORMAT = "wire.jit-cache"
VERSION = 2  # 2: the bytecode field
ENV_DIR = "WIRE_CACHE_DIR"
ENV_SWITCH = "WIRE_DISK_CACHE"
MAX_ENTRY_BYTES = 64 << 20  # larger files are not read
MAX_CONST_BYTES = 1 << 20  # graphs holding a larger constant are not cached on disk
_OFF = ("0", "off", "false", "no")

# Attribute and global names the generated code may use besides its own globals: NumPy's
# ufuncs, the few NumPy functions emitters call, and array attributes. Nothing that reads or
# writes files, imports, or reaches Python's builtins.
ALLOWED_NAMES = frozenset(
    # (vars, not dir + getattr: getattr of some of dir(np)'s names imports numpy.f2py,
    # numpy.testing and numpy.ma, 0.2 s of every `import wire`)
    {name for name, value in vars(np).items() if isinstance(value, np.ufunc)}
    | {"np", "reduce", "T", "reshape", "transpose", "swapaxes", "broadcast_to", "concatenate",
       "where", "power", "matmul", "empty"}
    # the integer types sums and products of integers keep (``np.add.reduce(x, (0,),
    # dtype=np.int8)``)
    | {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intc",
       "uintc", "longlong", "ulonglong", "intp", "uintp"}
)


# --------------------------------------------------------------------------- where


def enabled() -> bool:
    """Whether the process uses the disk cache (``WIRE_DISK_CACHE`` is not 0/off)."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in _OFF


def default_root() -> str:
    """The user cache directory for wire on this platform."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "wire", "Cache")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "wire")
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "wire")


def directory() -> str | None:
    """The directory entries live in (created if needed), or ``None`` when the cache is off
    or the directory is not safe to use (not ours, or writable by others).

    >>> import os, tempfile
    >>> os.environ["WIRE_CACHE_DIR"] = root = tempfile.mkdtemp()
    >>> directory() == os.path.join(root, "jit-v2")
    True
    """
    if not enabled():
        return None
    root = os.environ.get(ENV_DIR) or default_root()
    path = os.path.join(root, f"jit-v{VERSION}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.stat(path)
    except OSError:
        return None
    return path if _private(st) else None


def _private(st) -> bool:
    """Owned by this user and writable by no one else (POSIX; elsewhere: a directory)."""
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


# --------------------------------------------------------------------------- keys


@functools.cache
def _environment() -> tuple:
    return (FORMAT, str(VERSION), f"wire {_wire_fingerprint()}", f"numpy {np.__version__}",
            "python %d.%d" % sys.version_info[:2])


def _wire_fingerprint() -> str:
    """Name, size and modification time of every module of the installed wire package: the
    code that generates the cached code (a version number would not change between two
    checkouts under development). Like Python's own ``.pyc`` check, this costs a ``stat``
    per file, not reading them."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = []
    folders = [("", root)]
    while folders:  # os.scandir: one stat per file, no path joining or relpath per file
        rel, folder = folders.pop()
        with os.scandir(folder) as entries:
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    if e.name != "__pycache__":
                        folders.append((f"{rel}{e.name}/", e.path))
                elif e.name.endswith(".py"):
                    st = e.stat()
                    rows.append(f"{rel}{e.name}:{st.st_size}:{st.st_mtime_ns};")
    return hashlib.sha256("".join(sorted(rows)).encode()).hexdigest()


def entry_key(parts: tuple) -> str:
    """The hex SHA-256 naming the entry for ``parts`` (strings) in this environment."""
    h = hashlib.sha256()
    for p in _environment() + tuple(parts):
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


def graph_digest(graph: Graph, *, custom_rules: bool = True) -> str | None:
    """A SHA-256 of ``graph``'s structure (operations, params, avals, constants' bytes,
    pytree structures; not source locations), or ``None`` when it holds something that has
    no stable form: a Python function among its params, a node of an open trace, or a
    constant larger than ``MAX_CONST_BYTES``.

    A custom rule (``wire.custom_jvp``/``custom_vjp``) enters the digest by its module-level
    name and the graph of its function, which says what its node *evaluates* to, not what
    differentiating it gives: the rule's code can change under the same name. With
    ``custom_rules=False`` a graph holding a rule defined outside wire has no digest (a key
    for what a transform of the graph derives; wire's own rules change with its version).

    >>> import numpy as np, wire
    >>> g = wire.trace(lambda x: np.sin(x) * 2.0, np.ones(3))
    >>> graph_digest(g) == graph_digest(wire.trace(lambda y: np.sin(y) * 2.0, np.ones(3)))
    True
    """
    with gc_paused():  # see wire.ir.pause
        enc = _Encoder(refuse_rules=not custom_rules)
        h = hashlib.sha256()
        try:
            _feed(h, graph, enc)
            for sub in enc.subgraphs:
                h.update(json.dumps(_strip_locs(sub), sort_keys=True).encode())
        except (_Unsavable, _TooBig, WireError, RecursionError):  # (a very deep pytree)
            return None
        return h.hexdigest()


class _TooBig(Exception):
    pass


_PLAIN_TREES = frozenset({"leaf", "none", "tuple", "list", "dict", "float0"})


def _check_plain(td) -> None:
    """Refuse pytrees with class-based nodes (namedtuples, pyrsistent containers, registered
    classes): ``wire.save``'s encoding writes a namedtuple as a tuple, so two structures the
    jitted function tells apart would share a key."""
    stack = [td]
    while stack:
        t = stack.pop()
        if t.kind not in _PLAIN_TREES:
            raise _Unsavable(f"a pytree node of kind {t.kind!r}")
        stack.extend(t.children)


def _feed(h, graph: Graph, enc: _Encoder) -> None:
    ids: dict = {}
    rows = []
    reprs: dict = {}  # (most nodes share a few avals: their text, once each)
    for k, n in enumerate(graph.nodes):
        ids[n] = k
        op = n.op
        if isinstance(op, LeafOp) and op.name not in ("input", "const"):
            raise _Unsavable(op.name)
        params = ""
        if n._items:
            enc_params = {}
            for name, v in n._items:
                if isinstance(v, ConstValue) and v.array.nbytes > MAX_CONST_BYTES:
                    raise _TooBig
                enc_params[name] = enc.value(v)
            params = json.dumps(enc_params, sort_keys=True)
        ins = ",".join([str(ids[i]) for i in n.inputs])
        aval = n.aval
        text = reprs.get(aval)
        if text is None:
            text = reprs[aval] = repr(aval)
        rows.append(f"{op.name}({ins}){params}:{text}")
    rows.append("in " + ",".join(str(ids[n]) for n in graph.inputs))
    rows.append("out " + ",".join(str(ids[n]) for n in graph.outputs))
    _check_plain(graph.in_tree)
    _check_plain(graph.out_tree)
    rows.append(json.dumps([_enc_tree(graph.in_tree), _enc_tree(graph.out_tree)]))
    h.update("\n".join(rows).encode())


def _strip_locs(doc: dict) -> dict:
    return dict(doc, nodes=[{k: v for k, v in n.items() if k != "loc"} for n in doc["nodes"]])


# --------------------------------------------------------------------------- writing


def store(key: str, compiled: Compiled, name: str = "compiled") -> bool:
    """Write ``compiled``'s code and globals as the entry ``key`` (atomically); ``False``
    when the cache is off or the code holds something the format cannot (then nothing is
    written). Never raises for a cache problem: a cache that cannot be written is no cache.

    >>> import numpy as np, os, tempfile, wire
    >>> from wire.runtime.compiler import compile_graph
    >>> os.environ["WIRE_CACHE_DIR"] = tempfile.mkdtemp()
    >>> store("ab" * 32, compile_graph(wire.trace(lambda x: np.sin(x) * 2.0, np.ones(2))))
    True
    >>> load("ab" * 32)(np.zeros(2))
    array([0., 0.])
    """
    path = directory()
    if path is None:
        return False
    try:
        with gc_paused():
            doc = _document(key, compiled, name)
    except (_Unsavable, _TooBig, _Invalid, WireError, RecursionError):
        return False
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, os.path.join(path, key + ".json"))  # atomic: all or nothing
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


def _document(key: str, compiled: Compiled, name: str) -> dict:
    enc = _Encoder()
    manifest = {}
    for gname, recipe in compiled.recipes.items():
        manifest[gname] = _enc_recipe(recipe, enc)
    source = compiled.code
    doc = {"format": FORMAT, "version": VERSION, "key": key, "name": name, "source": source,
           "globals": manifest, "subgraphs": enc.subgraphs}
    # what would not load must not be written: check the code as the loader will
    code = compiled.code_object
    code = (compile(source, _FILENAME, "exec") if code is None
            else _renamed(code, _FILENAME))  # (as compile() of the source would name it)
    _check_code(code, name, set(manifest))
    doc["checksum"] = _checksum(doc)
    try:
        data = marshal.dumps(code)
    except ValueError:  # (a constant marshal cannot write: the source alone is stored)
        return doc
    doc["bytecode"] = {"magic": _MAGIC, "sha256": _bytecode_digest(source, data),
                       "data": base64.b64encode(data).decode("ascii")}
    return doc


_FILENAME = "<wire.jit cached>"
_MAGIC = importlib.util.MAGIC_NUMBER.hex()  # the interpreter's bytecode format


def _renamed(code: types.CodeType, filename: str) -> types.CodeType:
    consts = tuple(_renamed(c, filename) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _bytecode_digest(source: str, data: bytes) -> str:
    """Ties the bytecode to this interpreter's format and to the source it was compiled from
    (a bytecode field moved from another entry, or left beside an edited source, is unused)."""
    h = hashlib.sha256(_MAGIC.encode())
    h.update(b"\0")
    h.update(hashlib.sha256(source.encode()).digest())
    h.update(data)
    return h.hexdigest()


def _enc_recipe(recipe: tuple, enc: _Encoder) -> dict:
    kind, obj = recipe
    if kind == "helper" and obj in _HELPERS:
        return {"helper": obj}
    if kind == "float":
        return {"float": _enc_float(obj)}
    if kind == "const":
        if not isinstance(obj, np.ndarray) or obj.nbytes > MAX_CONST_BYTES:
            raise _TooBig
        if obj.dtype.name not in DTYPES:
            raise _Unsavable("dtype")
        return {"const": _enc_array(obj)}
    if kind == "arena":  # a new, empty scratch arena of this layout per loaded function
        layout, outputs = obj
        return {"arena": [[list(b) for b in layout.buffers],
                          [[b, list(shape)] for b, shape in layout.views], outputs]}
    if kind == "tree":
        enc_tree = _enc_tree(obj)
        if _dec_tree(enc_tree, "tree") != obj:  # class-bearing pytrees (namedtuples …)
            raise _Unsavable("tree")
        return {"tree": enc_tree}
    if kind == "object":
        for prim_name, prim in REGISTRY.items():
            if prim.impl is obj and isinstance(obj, np.ufunc):
                return {"ufunc": prim_name}
        raise _Unsavable("object")
    if kind == "impl":
        node = obj
        try:
            registered = primitive_named(node.op.name)
        except KeyError:
            registered = None
        if registered is not node.op:
            raise _Unsavable("primitive")
        params = {k: enc.value(v) for k, v in node._items}
        return {"impl": node.op.name, "params": params}
    raise _Unsavable(kind)


def _checksum(doc: dict) -> str:
    """Over every field but the bytecode, which has its own digest: a damaged bytecode field
    costs a ``compile()`` of the source, not the entry."""
    body = {k: v for k, v in doc.items() if k not in ("checksum", "bytecode")}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------- reading


_HELPERS = {"as_array": _as_array, "owned": _owned, "copy": _copy, "unflatten": tree.unflatten,
            "float": float,
            "ZeroDivisionError": ZeroDivisionError, "range": range,
            "arena_take": arena.take, "arena_give": arena.give,
            "gemm_torch": gemm.compiled_matmul}
MAX_ARENA_BYTES = 1 << 40  # (a sanity bound on a layout read from disk)


class _Invalid(Exception):
    """The entry is not one this version would have written; treated as a miss."""


def load(key: str, name: str = "compiled"):
    """The function stored under ``key``, or ``None`` (off, missing, or invalid)."""
    path = directory()
    if path is None:
        return None
    file = os.path.join(path, key + ".json")
    try:
        with open(file, "rb") as f:
            st = os.fstat(f.fileno())
            if not _private(st) or st.st_size > MAX_ENTRY_BYTES:
                return None
            data = f.read()
    except OSError:
        return None
    try:
        with gc_paused():
            return _from_bytes(data, key, name)
    except (_Invalid, _Bad, WireError, ValueError, TypeError, KeyError, SyntaxError,
            RecursionError, MemoryError, UnicodeDecodeError):
        return None


def _from_bytes(data: bytes, key: str, name: str):
    doc = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict) or set(doc) - {"bytecode"} != {
            "format", "version", "key", "name", "source", "globals", "subgraphs", "checksum"}:
        raise _Invalid("fields")
    if (doc["format"], doc["version"], doc["key"], doc["name"]) != (FORMAT, VERSION, key, name):
        raise _Invalid("header")
    if doc["checksum"] != _checksum(doc):
        raise _Invalid("checksum")
    source, manifest = doc["source"], doc["globals"]
    if not isinstance(source, str) or not isinstance(manifest, dict):
        raise _Invalid("types")
    graphs: list[Graph] = []
    subs = doc["subgraphs"]
    if not isinstance(subs, list):
        raise _Invalid("subgraphs")
    for k, gx in enumerate(subs):
        graphs.append(_dec_graph(gx, f"subgraph {k}", graphs))
    glb = {"__builtins__": {}, "np": np}
    for gname, x in manifest.items():
        if not isinstance(gname, str) or not gname.isidentifier() or gname in glb:
            raise _Invalid("global name")
        glb[gname] = _dec_recipe(x, graphs)
    code = _cached_code(doc.get("bytecode"), source, name, set(manifest))
    if code is None:
        code = compile(source, _FILENAME, "exec")
        _check_code(code, name, set(manifest))
    exec(code, glb)  # noqa: S102 - checked above: defines one function over known names
    return glb[name]


def _cached_code(field, source: str, name: str, global_names: set):
    """The checked code object the entry's bytecode field holds, or ``None`` when there is
    none or it does not match this interpreter, this source or its digest."""
    if (not isinstance(field, dict) or set(field) != {"magic", "sha256", "data"}
            or field["magic"] != _MAGIC or not isinstance(field["data"], str)):
        return None
    try:
        data = base64.b64decode(field["data"].encode("ascii"), validate=True)
    except ValueError:  # (binascii.Error, UnicodeEncodeError)
        return None
    if field["sha256"] != _bytecode_digest(source, data):
        return None
    try:
        code = marshal.loads(data)
    except Exception:  # noqa: BLE001 - a damaged blob of any kind is no bytecode
        return None
    if not isinstance(code, types.CodeType) or code.co_filename != _FILENAME:
        return None
    try:
        _check_code(code, name, global_names)
    except _Invalid:
        return None
    return code


def _dec_recipe(x, graphs: list):
    if not isinstance(x, dict) or not x:
        raise _Invalid("recipe")
    if set(x) == {"helper"}:
        return _HELPERS[x["helper"]]
    if set(x) == {"float"}:
        return _dec_float(x["float"], "float")
    if set(x) == {"const"}:
        a = _dec_array(x["const"], "const")
        a.setflags(write=False)
        return a
    if set(x) == {"tree"}:
        return _dec_tree(x["tree"], "tree")
    if set(x) == {"arena"}:
        return _dec_arena(x["arena"])
    if set(x) == {"ufunc"}:
        impl = primitive_named(x["ufunc"]).impl
        if not isinstance(impl, np.ufunc):
            raise _Invalid("ufunc")
        return impl
    if set(x) == {"impl", "params"}:
        prim = primitive_named(x["impl"])
        if not isinstance(x["params"], dict):
            raise _Invalid("params")
        params = {k: _dec_value(v, f"param {k}", graphs) for k, v in x["params"].items()}
        allowed = _signature(prim)[2]
        if allowed is not None and not set(params) <= allowed:
            raise _Invalid("param names")
        return functools.partial(prim.impl, **params) if params else prim.impl
    raise _Invalid("recipe kind")


def _dec_arena(x) -> arena.Arena:
    """A new scratch arena: its buffers ``[dtype, elements]``, its views ``[buffer, shape]``
    (whose sizes match their buffer's) and how many outputs it recycles."""
    if not (isinstance(x, list) and len(x) == 3 and isinstance(x[0], list)
            and isinstance(x[1], list) and _count(x[2]) and x[2] < 1 << 16):
        raise _Invalid("arena")
    buffers, views = [], []
    for b in x[0]:
        if not (isinstance(b, list) and len(b) == 2 and b[0] in DTYPES and _count(b[1])):
            raise _Invalid("arena buffer")
        buffers.append((b[0], b[1]))
    for v in x[1]:
        if not (isinstance(v, list) and len(v) == 2 and isinstance(v[1], list)
                and type(v[0]) is int and 0 <= v[0] < len(buffers)
                and all(_count(d) for d in v[1])
                and math.prod(v[1]) == buffers[v[0]][1]):
            raise _Invalid("arena view")
        views.append((v[0], tuple(v[1])))
    layout = arena.Layout(tuple(buffers), tuple(views))
    if layout.nbytes > MAX_ARENA_BYTES:
        raise _Invalid("arena size")
    return arena.Arena(layout, x[2])


def _count(v) -> bool:
    return type(v) is int and 0 <= v < 1 << 62


def _check_code(code: types.CodeType, name: str, global_names: set) -> None:
    """The module code defines exactly the function ``name`` and nothing else, the function
    holds no nested code, and every name it reads is allowed."""
    fns = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    if len(fns) != 1 or fns[0].co_name != name or set(code.co_names) != {name}:
        raise _Invalid("module code")
    fn = fns[0]
    if any(isinstance(c, types.CodeType) for c in fn.co_consts):
        raise _Invalid("nested code")
    if not set(fn.co_names) <= (global_names | ALLOWED_NAMES):
        raise _Invalid("names")


# --------------------------------------------------------------------------- native kernels


def native_library(c_source: str):
    """The shared library of native kernels compiled from ``c_source``
    (:mod:`wire.runtime.native`), loaded: from the cache when an entry for this source,
    compiler, flags, CPU and wire version is there and valid, else compiled and stored (a
    ``.so`` file and a ``.so.json`` naming its SHA-256). A file that does not match its
    digest, or is not private, is a miss and is compiled anew. Raises
    :class:`wire.runtime.cbuild.BuildError` when the compiler fails.

    >>> import os, tempfile
    >>> from wire.runtime import cbuild
    >>> os.environ["WIRE_CACHE_DIR"] = tempfile.mkdtemp()
    >>> src = "int wire_k0(long n) { return (int) n; }"
    >>> not cbuild.available() or native_library(src).wire_k0(3) == 3
    True
    """
    path = directory()
    if path is None:
        return native.private_library(c_source)
    key = native_key(c_source)
    so = os.path.join(path, key + ".so")
    lib = _load_native(so, key)
    if lib is not None:
        return lib
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".so", dir=path)
    os.close(fd)
    try:
        cbuild.compile_library(c_source, tmp)
        with open(tmp, "rb") as f:
            data = f.read()
        os.replace(tmp, so)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    meta = json.dumps({"format": FORMAT + "-native", "key": key,
                       "sha256": hashlib.sha256(data).hexdigest()})
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(meta)
        os.replace(tmp, so + ".json")
    except OSError:
        pass
    return _dlopen_bytes(data)


def native_key(c_source: str) -> str:
    """The entry key of a native library: its source, the toolchain and CPU, wire's version."""
    return entry_key(("native", cbuild.identity(), hashlib.sha256(c_source.encode()).hexdigest()))


def _load_native(so: str, key: str):
    """The cached library at ``so`` if its ``.json`` names this key and its SHA-256, else None."""
    try:
        with open(so + ".json", "rb") as f:
            if not _private(os.fstat(f.fileno())):
                return None
            meta = json.loads(f.read(4096).decode("utf-8"))
        with open(so, "rb") as f:
            st = os.fstat(f.fileno())
            if not _private(st) or st.st_size > MAX_ENTRY_BYTES:
                return None
            data = f.read()
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if (not isinstance(meta, dict) or meta.get("format") != FORMAT + "-native"
            or meta.get("key") != key
            or meta.get("sha256") != hashlib.sha256(data).hexdigest()):
        return None
    try:
        return _dlopen_bytes(data)
    except OSError:
        return None


def _dlopen_bytes(data: bytes):
    """Load the library whose checked bytes are ``data`` from a private copy (the cache file
    could change between the check and the load)."""
    with tempfile.TemporaryDirectory(prefix="wire-native-") as folder:
        path = os.path.join(folder, "kernels.so")
        with open(path, "wb") as f:
            f.write(data)
        return cbuild.load_library(path)
