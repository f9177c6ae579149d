"""wire.jit's on-disk compile cache (wire.api.diskcache): a new jitted function with the same
structure reuses the code another one (or another process) compiled; the cache can be turned
off; corrupt, tampered and foreign entries are misses, never wrong answers; two processes may
fill one entry at once."""

import base64
import collections
import json
import marshal
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import wire
import wire.numpy as wnp
from wire.api import diskcache
jit_module = sys.modules["wire.api.jit"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("WIRE_DISK_CACHE", raising=False)
    return tmp_path / f"jit-v{diskcache.VERSION}"


def chain(c):
    def f(x):
        for _ in range(6):
            x = wnp.tanh(wnp.sin(x) * c) + 0.5
        return wnp.sum(x)

    return f


def entries(path):
    return sorted(p for p in os.listdir(path) if p.endswith(".json")) if path.exists() else []


def test_a_new_function_of_the_same_structure_loads_the_code(cache_dir, monkeypatch):
    x = np.linspace(-1.0, 1.0, 7)
    first = wire.jit(wire.grad(chain(1.01)))(x)
    assert len(entries(cache_dir)) == 1

    def refuse(graph, name="compiled", fuse=True):
        raise AssertionError("compiled although the disk cache had the code")

    monkeypatch.setattr(jit_module, "compile_graph", refuse)
    again = wire.jit(wire.grad(chain(1.01)))
    out = again(x)
    assert out.dtype == first.dtype and np.array_equal(out, first)
    monkeypatch.undo()  # the graph of a loaded entry is derived only when asked for
    assert again.lower(x).graph == wire.jit(wire.grad(chain(1.01))).lower(x).graph
    np.testing.assert_allclose(out, wire.grad(chain(1.01))(x), rtol=1e-12)


def test_plain_functions_grad_of_grad_and_pytrees(cache_dir, monkeypatch):
    def loss(p, x):
        return wnp.sum(wnp.tanh(x @ p["w"] + p["b"]) ** 2)

    p = {"w": np.full((3, 2), 0.1), "b": np.array([0.5, -0.5])}
    x = np.arange(6.0).reshape(2, 3)
    fns = [lambda: wire.jit(lambda x: wnp.sin(x) * 2.0),
           lambda: wire.jit(wire.grad(wire.grad(lambda x: wnp.sin(x) ** 3))),
           lambda: wire.jit(wire.value_and_grad(loss))]
    args = [(x,), (np.float64(0.3),), (p, x)]
    firsts = [make()(*a) for make, a in zip(fns, args)]
    assert len(entries(cache_dir)) == 3

    def refuse(graph, name="compiled", fuse=True):
        raise AssertionError("compiled although the disk cache had the code")

    monkeypatch.setattr(jit_module, "compile_graph", refuse)
    for make, a, first in zip(fns, args, firsts):
        got = make()(*a)
        assert wire.tree.flatten(got)[1] == wire.tree.flatten(first)[1]
        for u, v in zip(wire.tree.leaves(got), wire.tree.leaves(first)):
            assert np.array_equal(u, v)


def test_other_constants_shapes_and_dtypes_are_other_entries(cache_dir):
    x = np.linspace(-1.0, 1.0, 5)
    a = wire.jit(wire.grad(chain(1.01)))(x)
    b = wire.jit(wire.grad(chain(1.02)))(x)  # same structure, another constant
    c = wire.jit(wire.grad(chain(1.01)))(x.astype(np.float32))
    d = wire.jit(wire.grad(chain(1.01)))(np.linspace(-1.0, 1.0, 6))
    assert len(entries(cache_dir)) == 4
    np.testing.assert_allclose(b, wire.grad(chain(1.02))(x), rtol=1e-12)
    assert not np.array_equal(a, b)
    assert c.dtype == np.float32 and d.shape == (6,)


def test_switched_off_by_argument_and_environment(cache_dir, monkeypatch):
    x = np.ones(3)
    wire.jit(wire.grad(chain(1.01)), disk_cache=False)(x)
    assert entries(cache_dir) == []
    monkeypatch.setenv("WIRE_DISK_CACHE", "0")
    wire.jit(wire.grad(chain(1.01)))(x)
    assert entries(cache_dir) == [] and diskcache.directory() is None


def test_custom_rules_and_namedtuples_are_stored_only_by_what_they_compute(cache_dir):
    @wire.custom_jvp
    def f(x):
        return wnp.sin(x)

    f.defjvp(lambda primals, tangents: (wnp.sin(primals[0]), wnp.cos(primals[0]) * tangents[0]))
    assert wire.jit(wire.grad(lambda x: f(x) * 2.0))(0.5) == pytest.approx(2 * np.cos(0.5))
    # the derivative is stored under the derived graph's key (it holds what the rule
    # computed, and no rule), never under the traced function's, which names the rule
    assert len(entries(cache_dir)) == 1
    assert wire.jit(lambda x: f(x) * 2.0)(0.5) == pytest.approx(2 * np.sin(0.5))
    Pair = collections.namedtuple("Pair", "a b")
    out = wire.jit(lambda x: Pair(x * 2.0, x + 1.0))(np.ones(2))
    assert isinstance(out, Pair)
    # a rule that is not a module-level name; a class in a pytree
    assert len(entries(cache_dir)) == 1
    again = wire.jit(lambda x: Pair(x * 2.0, x + 1.0))(np.ones(2))
    assert isinstance(again, Pair) and np.array_equal(again.a, out.a)


def _entry(cache_dir):
    (name,) = entries(cache_dir)
    path = cache_dir / name
    return path, json.loads(path.read_text())


def _rewrite(path, doc, fix_checksum=True):
    if fix_checksum:  # as a tamperer would: a checksum proves nothing against an attacker
        doc["checksum"] = diskcache._checksum(doc)
    path.write_text(json.dumps(doc))


TAMPERINGS = {
    "truncated": lambda path, doc: path.write_text(path.read_text()[:100]),
    "garbage": lambda path, doc: path.write_bytes(b"\xff\xfe not json"),
    "bad checksum": lambda path, doc: _rewrite(
        path, dict(doc, source=doc["source"].replace("np.sin", "np.cos")), False),
    "opens a file": lambda path, doc: _rewrite(path, dict(doc, source=doc["source"].replace(
        "    return", "    open('/tmp/wire-pwned', 'w')\n    return", 1))),
    "np.load": lambda path, doc: _rewrite(path, dict(doc, source=doc["source"].replace(
        "    return", "    np.load('x.npy', allow_pickle=True)\n    return", 1))),
    "imports": lambda path, doc: _rewrite(path, dict(doc, source="import os\n" + doc["source"])),
    "second function": lambda path, doc: _rewrite(
        path, dict(doc, source=doc["source"] + "\ndef other():\n    return 1\n")),
    "lambda inside": lambda path, doc: _rewrite(path, dict(doc, source=doc["source"].replace(
        "    return", "    (lambda: 0)()\n    return", 1))),
    "unknown primitive": lambda path, doc: _rewrite(
        path, dict(doc, globals=dict(doc["globals"], _x={"impl": "no_such_op", "params": {}}))),
    "bad constant": lambda path, doc: _rewrite(path, dict(doc, globals=dict(
        doc["globals"], _y={"const": {"dtype": "float64", "shape": [3], "data": "AAAA"}}))),
    "object dtype": lambda path, doc: _rewrite(path, dict(doc, globals=dict(
        doc["globals"], _y={"const": {"dtype": "object", "shape": [], "data": ""}}))),
    "another key": lambda path, doc: _rewrite(path, dict(doc, key="0" * 64)),
    "extra field": lambda path, doc: _rewrite(path, dict(doc, pickle="gASV")),
}


@pytest.mark.parametrize("how", sorted(TAMPERINGS))
def test_corrupt_or_tampered_entries_are_misses(cache_dir, how, monkeypatch):
    x = np.linspace(-1.0, 1.0, 5)
    want = wire.jit(wire.grad(chain(1.01)))(x)
    path, doc = _entry(cache_dir)
    TAMPERINGS[how](path, doc)
    compiled = []
    real = jit_module.compile_graph
    monkeypatch.setattr(jit_module, "compile_graph",
                        lambda g, **kw: compiled.append(1) or real(g, **kw))
    got = wire.jit(wire.grad(chain(1.01)))(x)
    assert compiled == [1] and np.array_equal(got, want)
    assert not os.path.exists("/tmp/wire-pwned")
    assert diskcache.load(json.loads(path.read_text())["key"]) is not None  # written anew


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_can_write_is_not_used(cache_dir):
    wire.jit(wire.grad(chain(1.01)))(np.ones(2))
    os.chmod(cache_dir, 0o777)
    try:
        assert diskcache.directory() is None
        assert diskcache.load(_entry(cache_dir)[1]["key"]) is None
    finally:
        os.chmod(cache_dir, 0o700)


CHILD = textwrap.dedent("""
    import sys, numpy as np, wire, wire.numpy as wnp
    from wire.api import diskcache
    def f(x):
        for _ in range(6):
            x = wnp.tanh(wnp.sin(x) * 1.01) + 0.5
        return wnp.sum(x)
    g = wire.trace(f, np.ones(4))
    out = [diskcache.graph_digest(g)]
    for i in range(int(sys.argv[1])):
        out.append(wire.jit(wire.grad(f))(np.linspace(-1, 1, 4)).tolist())
    print(repr(out))
""")


def test_two_processes_fill_one_entry_at_once(cache_dir, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONHASHSEED="random")
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, "15"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        outs.append(eval(out))  # noqa: S307 - our own child's repr of lists of floats
    want = wire.grad(chain(1.01))(np.linspace(-1, 1, 4)).tolist()
    for out in outs:
        assert all(r == want for r in out[1:])
    # the structural digest is the same in every process (Python's hash() is salted)
    assert outs[0][0] == outs[1][0] == diskcache.graph_digest(wire.trace(chain(1.01), np.ones(4)))
    assert len(entries(cache_dir)) == 1
    assert not [p for p in os.listdir(cache_dir) if p.startswith(".tmp")]


RULE_CHILD = textwrap.dedent("""
    import sys, numpy as np, wire, wire.numpy as wnp
    from wire.api import jit as jit_module
    if sys.argv[2] == "cached":
        def refuse(*a, **k):
            raise AssertionError("compiled although the disk cache had the code")
        jit_module.compile_graph = refuse

    @wire.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)),
             lambda res, g: (SCALE_X * g, SCALE_Y * g))
    SCALE_X, SCALE_Y = map(float, sys.argv[1].split(","))
    loss = lambda x, y: wnp.sum(f(x, y))
    out = wire.jit(wire.grad(loss, argnums=(0, 1)))(np.ones(3), np.full(3, 2.0))
    print(repr([o.tolist() for o in out]))
""")


def test_an_edited_custom_rule_is_not_served_from_the_cache(cache_dir, tmp_path):
    """A custom rule is known to the cache by its module and name (``__main__.f``), which
    stay the same when the user edits the rule and runs the script again: the entry of a
    derivative must not be found by that name."""
    env = dict(os.environ, PYTHONPATH=ROOT)

    def run(scales, mode="fresh"):
        done = subprocess.run([sys.executable, "-c", RULE_CHILD, scales, mode], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return eval(done.stdout)  # noqa: S307 - our own child's repr of lists of floats

    assert run("10,20") == [[10.0] * 3, [20.0] * 3]
    assert run("1,0") == [[1.0] * 3, [0.0] * 3]          # the same script, its rule edited
    assert run("10,20", "cached") == [[10.0] * 3, [20.0] * 3]   # unchanged: the code is reused
    assert len(entries(cache_dir)) == 2


def test_a_namedtuple_never_shares_an_entry_with_a_tuple(cache_dir):
    # wire.save writes a namedtuple as a tuple: a key built from that would give the tuple's
    # code (which returns a tuple) to the namedtuple's signature
    Point = collections.namedtuple("Point", "x y")
    a, b = np.ones(2), np.full(2, 2.0)
    assert type(wire.jit(lambda p: p)((a, b))) is tuple
    out = wire.jit(lambda p: p)(Point(a, b))
    assert type(out) is Point
    np.testing.assert_array_equal(out.y, b)
    g = wire.trace(lambda p: p.x * 2.0, Point(a, b))
    assert diskcache.graph_digest(g) is None


def _counting_compile(monkeypatch):
    """Record the module's calls of ``compile`` (a global of the module shadows the builtin)."""
    calls = []
    monkeypatch.setattr(diskcache, "compile",
                        lambda *a, **kw: calls.append(a[1]) or compile(*a, **kw), raising=False)
    return calls


def test_a_load_uses_the_stored_bytecode_without_compiling(cache_dir, monkeypatch):
    x = np.linspace(-1.0, 1.0, 5)
    want = wire.jit(wire.grad(chain(1.01)))(x)
    _, doc = _entry(cache_dir)
    field = doc["bytecode"]
    assert field["magic"] == diskcache.importlib.util.MAGIC_NUMBER.hex()

    def refuse(*args, **kwargs):
        raise AssertionError("compiled the source although the entry had its bytecode")

    monkeypatch.setattr(diskcache, "compile", refuse, raising=False)
    fn = diskcache.load(doc["key"])
    got = fn(x)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert fn.__code__.co_filename == "<wire.jit cached>"
    monkeypatch.setattr(jit_module, "compile_graph", refuse)
    assert np.array_equal(wire.jit(wire.grad(chain(1.01)))(x), want)  # through wire.jit too


def _bytecode_of(source):
    return marshal.dumps(compile(source, "<wire.jit cached>", "exec"))


def _with_bytecode(path, doc, data=None, digest=None, magic=None, raw=(), source=None):
    field = dict(doc["bytecode"], **dict(raw))
    if magic is not None:
        field["magic"] = magic
    if data is not None:
        field["data"] = base64.b64encode(data).decode("ascii")
        # as a tamperer would: the digest over the entry's own source and the new bytecode
        field["sha256"] = diskcache._bytecode_digest(source or doc["source"], data)
    if digest is not None:
        field["sha256"] = digest
    path.write_text(json.dumps(dict(doc, bytecode=field)))


def _flip(text):
    """``text`` (base64) with one byte of its middle changed."""
    data = bytearray(base64.b64decode(text))
    data[len(data) // 2] ^= 0xFF
    return base64.b64encode(bytes(data)).decode("ascii")


def _cos(source):
    return source.replace("np.sin", "np.cos")


EVIL = "def compiled(a):\n    open('/tmp/wire-pwned', 'w')\n    return a\n"
BYTECODE_DAMAGE = {
    "no bytecode field (an older entry)": lambda path, doc: path.write_text(json.dumps(
        {k: v for k, v in doc.items() if k != "bytecode"})),
    "a flipped byte": lambda path, doc: _with_bytecode(
        path, doc, raw={"data": _flip(doc["bytecode"]["data"])}),
    "another digest": lambda path, doc: _with_bytecode(path, doc, digest="0" * 64),
    "another Python's magic": lambda path, doc: _with_bytecode(path, doc, magic="0d0d0d0a"),
    "truncated blob": lambda path, doc: _with_bytecode(
        path, doc, data=_bytecode_of(doc["source"])[:57]),
    "not base64": lambda path, doc: _with_bytecode(path, doc, raw={"data": "%%%"}),
    "another field": lambda path, doc: _with_bytecode(path, doc, raw={"extra": 1}),
    "not a code object": lambda path, doc: _with_bytecode(path, doc, data=marshal.dumps((1, 2.0, "x"))),
    "code that opens a file": lambda path, doc: _with_bytecode(
        path, doc, data=_bytecode_of(EVIL)),
    "another source's code and digest": lambda path, doc: _with_bytecode(
        path, doc, data=_bytecode_of(_cos(doc["source"])), source=_cos(doc["source"])),
}


@pytest.mark.parametrize("how", sorted(BYTECODE_DAMAGE))
def test_damaged_bytecode_falls_back_to_the_source(cache_dir, how, monkeypatch):
    x = np.linspace(-1.0, 1.0, 5)
    want = wire.jit(wire.grad(chain(1.01)))(x)
    path, doc = _entry(cache_dir)
    BYTECODE_DAMAGE[how](path, doc)
    calls = _counting_compile(monkeypatch)
    fn = diskcache.load(doc["key"])  # not a miss: the checked source is still good
    assert fn is not None and calls == ["<wire.jit cached>"]
    got = fn(x)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert not os.path.exists("/tmp/wire-pwned")
    monkeypatch.setattr(jit_module, "compile_graph",
                        lambda g, **kw: pytest.fail("compiled the graph on a good source"))
    assert np.array_equal(wire.jit(wire.grad(chain(1.01)))(x), want)


def test_a_changed_source_with_its_bytecode_is_still_checked(cache_dir):
    # an attacker who can write the (private) directory can write matching bytecode too:
    # the loaded code object is checked exactly as compiled source is
    x = np.linspace(-1.0, 1.0, 5)
    wire.jit(wire.grad(chain(1.01)))(x)
    path, doc = _entry(cache_dir)
    doc = dict(doc, source=EVIL)
    doc["checksum"] = diskcache._checksum(doc)
    _with_bytecode(path, doc, data=_bytecode_of(EVIL))
    assert diskcache.load(doc["key"]) is None
    wire.jit(wire.grad(chain(1.01)))(x)
    assert not os.path.exists("/tmp/wire-pwned")
