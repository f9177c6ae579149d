"""``wire.simplify`` makes exactly the graphs it made before: a digest of its output (every
node's primitive, params, aval and operands, in order) over the example programs of the corpus
(tests/corpus.py), their derivative graphs, the deep chain's and the higher derivatives of
``sin(x) * exp(tanh(x))``. Work on the speed of the passes must leave the digests alone.

A change that alters them on purpose (a fixed wrong answer, a better rule, a new program in the
corpus) updates ``DIGESTS``: run this file as a script to print the new table."""

import hashlib

import pytest

import wire
import wire.numpy as wnp
from corpus import graphs
from wire.ir import Graph
from wire.transforms.rules import DERIVATIVES

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _canon(g: Graph, out: list) -> None:
    index: dict = {}
    for n in g.nodes:
        ps = []
        for k, v in sorted(n.params.items()):
            vs = v if isinstance(v, tuple) else (v,)
            if any(isinstance(w, Graph) for w in vs):
                parts = []
                for w in vs:
                    sub: list = []
                    if isinstance(w, Graph):
                        _canon(w, sub)
                        parts.append("G(" + ";".join(sub) + ")")
                    else:
                        parts.append(repr(w))
                v = "(" + ",".join(parts) + ")"
            else:
                v = repr(v)
            ps.append(f"{k}={v}")
        index[n] = len(index)
        ins = ",".join(str(index[i]) for i in n.inputs)
        out.append(f"{n.op.name}[{','.join(ps)}]({ins}):{n.aval!r}")
    out.append("->" + ",".join(str(index[o]) for o in g.outputs))


def digest(g: Graph) -> str:
    lines: list = []
    _canon(g, lines)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _chain(n: int):
    def f(x):
        for _ in range(n // 4):
            x = wnp.tanh(wnp.sin(x) * 1.01) * 0.99
        return x

    return f


def simplified() -> dict:
    """``{name: digest}`` of simplify's output on each graph."""
    out = {}
    for name, g, _ in graphs(primitives=False):
        out[f"{name}/algebra"] = digest(wire.simplify(g))
        out[f"{name}/derivatives"] = digest(wire.simplify(g, DERIVATIVES))
        if not name.startswith("grad_"):
            try:
                d = wire.grad(g, simplify=False)
            except wire.WireError:  # (not a scalar float output)
                continue
            out[f"{name}/grad"] = digest(wire.simplify(d, DERIVATIVES))
    c = wire.trace(_chain(2000), 0.3)
    out["chain2000/grad"] = digest(wire.simplify(wire.grad(c, simplify=False), DERIVATIVES))
    h = lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x))  # noqa: E731
    for k in range(1, 5):
        d = wire.grad(wire.trace(h, 1.0), simplify=False)
        out[f"sin_exp_tanh/d{k}"] = digest(wire.simplify(d, DERIVATIVES))
        h = wire.grad(h)
    return out


DIGESTS = {
    'small_call/algebra': 'cde084df4fe08fa2',
    'small_call/derivatives': 'cde084df4fe08fa2',
    'small_call/grad': '9cb1156da42e0bed',
    'grad_small_call/algebra': '854b616fcde479cc',
    'grad_small_call/derivatives': '854b616fcde479cc',
    'chain/algebra': '73ce91c310f0d283',
    'chain/derivatives': '73ce91c310f0d283',
    'chain/grad': 'd5cd7069a999d057',
    'grad_chain/algebra': 'b9c137ea7d3401d5',
    'grad_chain/derivatives': 'b9c137ea7d3401d5',
    'reuse_output/algebra': 'd9ffbbb8b3ac3d41',
    'reuse_output/derivatives': 'd9ffbbb8b3ac3d41',
    'broadcast/algebra': 'da955bd79c285bd8',
    'broadcast/derivatives': 'da955bd79c285bd8',
    'broadcast/grad': 'ace74e196e2e8d79',
    'grad_broadcast/algebra': '24cf099720f6cc99',
    'grad_broadcast/derivatives': '24cf099720f6cc99',
    'softmax/algebra': '93075bda9acd82dc',
    'softmax/derivatives': '93075bda9acd82dc',
    'softmax/grad': '893ed23206115f59',
    'grad_softmax/algebra': '190e546b22b62266',
    'grad_softmax/derivatives': '190e546b22b62266',
    'transposes/algebra': 'f040acf4ade628a6',
    'transposes/derivatives': 'f040acf4ade628a6',
    'transposes/grad': '3fe2262c7edc3af5',
    'grad_transposes/algebra': '1ef9fd6d360aacde',
    'grad_transposes/derivatives': '1ef9fd6d360aacde',
    'index/algebra': 'e5a11f4360f2723a',
    'index/derivatives': 'e5a11f4360f2723a',
    'index/grad': '851e6a31c12ff703',
    'grad_index/algebra': 'f22b23da1748897d',
    'grad_index/derivatives': 'f22b23da1748897d',
    'concat/algebra': '2ff5e545374f5729',
    'concat/derivatives': '2ff5e545374f5729',
    'concat/grad': '79d0a62479cbd9d7',
    'grad_concat/algebra': '1652f92efc04c3ca',
    'grad_concat/derivatives': '1652f92efc04c3ca',
    'maxmin/algebra': '9abf4354827f8dde',
    'maxmin/derivatives': '9abf4354827f8dde',
    'where/algebra': '9df64d944fbedce9',
    'where/derivatives': '9df64d944fbedce9',
    'where/grad': '02de06b6031d86ab',
    'grad_where/algebra': '2b728e18ad06002e',
    'grad_where/derivatives': '2b728e18ad06002e',
    'float32/algebra': 'fd02c5237e1f22fd',
    'float32/derivatives': 'fd02c5237e1f22fd',
    'float32/grad': '0654d812a5006ca2',
    'grad_float32/algebra': 'bc2c9b093652632f',
    'grad_float32/derivatives': 'bc2c9b093652632f',
    'int_and_float/algebra': '28b8e91522a59919',
    'int_and_float/derivatives': '28b8e91522a59919',
    'scalars/algebra': 'e7fa584b4f0d4436',
    'scalars/derivatives': 'e7fa584b4f0d4436',
    'scalars/grad': '9cc32a6c87245aae',
    'grad_scalars/algebra': 'f6973d18dcce9b87',
    'grad_scalars/derivatives': 'f6973d18dcce9b87',
    'mlp/algebra': '4f5c0aa65b362aa6',
    'mlp/derivatives': '4f5c0aa65b362aa6',
    'mlp/grad': '448e1df4ef159092',
    'grad_mlp/algebra': '72373cfc2edd7c7a',
    'grad_mlp/derivatives': '72373cfc2edd7c7a',
    'mlp32/algebra': '01cf4289baed5508',
    'mlp32/derivatives': '01cf4289baed5508',
    'mlp32/grad': '0be886ec6dddaba6',
    'grad_mlp32/algebra': '3dcc040774823667',
    'grad_mlp32/derivatives': '3dcc040774823667',
    'mlp_wide/algebra': '3455e54eacc8a752',
    'mlp_wide/derivatives': '3455e54eacc8a752',
    'mlp_wide/grad': '8cb375ae5cfac4a0',
    'grad_mlp_wide/algebra': 'df3fe26a68d73373',
    'grad_mlp_wide/derivatives': 'df3fe26a68d73373',
    'inplace_alias/algebra': '08763c6e2ba20da1',
    'inplace_alias/derivatives': '08763c6e2ba20da1',
    'pytree_out/algebra': '9ed972922f25125a',
    'pytree_out/derivatives': '9ed972922f25125a',
    'reductions_across_chunks/algebra': '7e9970d9359775db',
    'reductions_across_chunks/derivatives': '7e9970d9359775db',
    'matmul_contraction/algebra': 'a4f82aea8576b3dc',
    'matmul_contraction/derivatives': 'a4f82aea8576b3dc',
    'sin_matmul/algebra': '07d8c9b2356d30f2',
    'sin_matmul/derivatives': '07d8c9b2356d30f2',
    'sin_matmul/grad': 'db9b26c110179f5d',
    'grad_sin_matmul/algebra': '89a7528d3a773806',
    'grad_sin_matmul/derivatives': '89a7528d3a773806',
    'broadcast_sub/algebra': 'dc5b2bfbc2c15106',
    'broadcast_sub/derivatives': 'dc5b2bfbc2c15106',
    'broadcast_sq/algebra': 'a1c76e645c5d03c0',
    'broadcast_sq/derivatives': 'a1c76e645c5d03c0',
    'broadcast_sq/grad': '38ecf6f9e0398a92',
    'grad_broadcast_sq/algebra': 'be3f05adc9cd16e0',
    'grad_broadcast_sq/derivatives': 'be3f05adc9cd16e0',
    'indexing/algebra': '508cd85129eab696',
    'indexing/derivatives': '508cd85129eab696',
    'repeated_index/algebra': '88881a90f347f8e4',
    'repeated_index/derivatives': '88881a90f347f8e4',
    'repeated_index/grad': '6767f5876a887fc5',
    'grad_repeated_index/algebra': '91aa520e12c44a3c',
    'grad_repeated_index/derivatives': '91aa520e12c44a3c',
    'take_rows/algebra': '8f0f7c5a3c7517fa',
    'take_rows/derivatives': '8f0f7c5a3c7517fa',
    'take_rows/grad': '3f7e7ee0e3214be1',
    'grad_take_rows/algebra': '825b7825ca5679e9',
    'grad_take_rows/derivatives': '825b7825ca5679e9',
    'concat_reshape_transpose/algebra': 'a252da1ac6c06e00',
    'concat_reshape_transpose/derivatives': 'a252da1ac6c06e00',
    'cumsum_sort/algebra': 'ed5f50eee9cc4b54',
    'cumsum_sort/derivatives': 'ed5f50eee9cc4b54',
    'leaky/algebra': '948d58ce7b4174cf',
    'leaky/derivatives': '948d58ce7b4174cf',
    'leaky/grad': 'b817d213bda5c26f',
    'grad_leaky/algebra': '1e2afed81f0fdd59',
    'grad_leaky/derivatives': '1e2afed81f0fdd59',
    'fancy_index/algebra': 'ef07605d10c32e1e',
    'fancy_index/derivatives': 'ef07605d10c32e1e',
    'fancy_index/grad': 'b4265c9dfe295853',
    'grad_fancy_index/algebra': 'b1850a8ed8cc185a',
    'grad_fancy_index/derivatives': 'b1850a8ed8cc185a',
    'pairwise/algebra': '6ac46fb9a8d94478',
    'pairwise/derivatives': '6ac46fb9a8d94478',
    'pairwise/grad': 'f650bc3954c0395f',
    'grad_pairwise/algebra': '10d064dc4105368d',
    'grad_pairwise/derivatives': '10d064dc4105368d',
    'mean_var/algebra': '762ee11ad242138e',
    'mean_var/derivatives': '762ee11ad242138e',
    'mean_var/grad': 'ed0c91d4ef360933',
    'grad_mean_var/algebra': '9b1e6ac2c43d4f50',
    'grad_mean_var/derivatives': '9b1e6ac2c43d4f50',
    'linalg/algebra': '8d8e90343d1ae56d',
    'linalg/derivatives': '8d8e90343d1ae56d',
    'linalg/grad': '1ac3f50547fb474c',
    'grad_linalg/algebra': '215d2d8d572f51aa',
    'grad_linalg/derivatives': '215d2d8d572f51aa',
    'scan/algebra': 'bcd25cea71bfd6f9',
    'scan/derivatives': 'bcd25cea71bfd6f9',
    'scan/grad': 'a4016d8938d868c1',
    'grad_scan/algebra': '17711d99a0c233a1',
    'grad_scan/derivatives': '17711d99a0c233a1',
    'cond/algebra': '2b6f0e5e05029299',
    'cond/derivatives': '2b6f0e5e05029299',
    'while/algebra': '1312cc3b0a6492e2',
    'while/derivatives': '1312cc3b0a6492e2',
    'custom_vjp/algebra': '25c75d02e506bea1',
    'custom_vjp/derivatives': '25c75d02e506bea1',
    'custom_vjp/grad': '71d42a022588b8ba',
    'grad_custom_vjp/algebra': '639080b7f2c1f777',
    'grad_custom_vjp/derivatives': '639080b7f2c1f777',
    'hessian/algebra': 'e298f87ae1830cf3',
    'hessian/derivatives': 'e298f87ae1830cf3',
    'jvp/algebra': '77045bd24aefa318',
    'jvp/derivatives': '77045bd24aefa318',
    'chain2000/grad': '4f3e712e0b563c6a',
    'sin_exp_tanh/d1': '333f52909aa58e34',
    'sin_exp_tanh/d2': '18faeb66df98b02b',
    'sin_exp_tanh/d3': '078c7a4b22b38045',
    'sin_exp_tanh/d4': '910f8e21d82f92ad',
}


def test_simplify_output_is_unchanged():
    got = simplified()
    changed = sorted(k for k in DIGESTS if k in got and got[k] != DIGESTS[k])
    assert not changed, f"simplify now makes other graphs for {changed}"
    assert len(set(DIGESTS) & set(got)) >= len(DIGESTS) - 2  # (the corpus may lose a program)


if __name__ == "__main__":
    print("DIGESTS = {")
    for k, v in simplified().items():
        print(f"    {k!r}: {v!r},")
    print("}")
