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
from corpus import graphs, scalar_chain
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
    c = wire.trace(scalar_chain(2000), 0.3)
    out["chain2000/grad"] = digest(wire.simplify(wire.grad(c, simplify=False), DERIVATIVES))
    h = lambda x: wnp.sin(x) * wnp.exp(wnp.tanh(x))  # noqa: E731
    for k in range(1, 5):
        d = wire.grad(wire.trace(h, 1.0), simplify=False)
        out[f"sin_exp_tanh/d{k}"] = digest(wire.simplify(d, DERIVATIVES))
        h = wire.grad(h)
    return out


DIGESTS = {
    'small_call/algebra': '754a8da99bc8b964',
    'small_call/derivatives': '754a8da99bc8b964',
    'small_call/grad': 'b269cf7462f9f985',
    'grad_small_call/algebra': '38b3a914dfb08d7d',
    'grad_small_call/derivatives': '38b3a914dfb08d7d',
    'chain/algebra': '89887754a8671bcf',
    'chain/derivatives': '89887754a8671bcf',
    'chain/grad': '0e5b5eb764eaeb5b',
    'grad_chain/algebra': '8c633cc36831bd41',
    'grad_chain/derivatives': '8c633cc36831bd41',
    'reuse_output/algebra': 'd9ffbbb8b3ac3d41',
    'reuse_output/derivatives': 'd9ffbbb8b3ac3d41',
    'broadcast/algebra': 'da955bd79c285bd8',
    'broadcast/derivatives': 'da955bd79c285bd8',
    'broadcast/grad': 'ace74e196e2e8d79',
    'grad_broadcast/algebra': '24cf099720f6cc99',
    'grad_broadcast/derivatives': '24cf099720f6cc99',
    'softmax/algebra': '303c685d5abf6028',
    'softmax/derivatives': '303c685d5abf6028',
    'softmax/grad': 'aacdea3db58bc7bd',
    'grad_softmax/algebra': '2c9c506c80d9d40a',
    'grad_softmax/derivatives': '2c9c506c80d9d40a',
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
    'concat/grad': '1e87c01864857136',
    'grad_concat/algebra': 'abc23a9ebee39c7d',
    'grad_concat/derivatives': 'abc23a9ebee39c7d',
    'maxmin/algebra': '9abf4354827f8dde',
    'maxmin/derivatives': '9abf4354827f8dde',
    'where/algebra': '9df64d944fbedce9',
    'where/derivatives': '9df64d944fbedce9',
    'where/grad': '02de06b6031d86ab',
    'grad_where/algebra': '2b728e18ad06002e',
    'grad_where/derivatives': '2b728e18ad06002e',
    'float32/algebra': '9a29cab265c19afa',
    'float32/derivatives': '9a29cab265c19afa',
    'float32/grad': '73cea805427d2697',
    'grad_float32/algebra': '66be0fb7034b7f85',
    'grad_float32/derivatives': '66be0fb7034b7f85',
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
    'grad_mlp/algebra': '872e35e55f1d0a67',
    'grad_mlp/derivatives': '872e35e55f1d0a67',
    'mlp32/algebra': '01cf4289baed5508',
    'mlp32/derivatives': '01cf4289baed5508',
    'mlp32/grad': '0be886ec6dddaba6',
    'grad_mlp32/algebra': '38fb79e421fa8ef9',
    'grad_mlp32/derivatives': '38fb79e421fa8ef9',
    'mlp_wide/algebra': '3455e54eacc8a752',
    'mlp_wide/derivatives': '3455e54eacc8a752',
    'mlp_wide/grad': '8cb375ae5cfac4a0',
    'grad_mlp_wide/algebra': '6ca6e7fba929f2b7',
    'grad_mlp_wide/derivatives': '6ca6e7fba929f2b7',
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
    'repeated_index/grad': '26cfe949f132ab8e',
    'grad_repeated_index/algebra': '45a8cc9321a67c2c',
    'grad_repeated_index/derivatives': '45a8cc9321a67c2c',
    'take_rows/algebra': '8f0f7c5a3c7517fa',
    'take_rows/derivatives': '8f0f7c5a3c7517fa',
    'take_rows/grad': '3f7e7ee0e3214be1',
    'grad_take_rows/algebra': '825b7825ca5679e9',
    'grad_take_rows/derivatives': '825b7825ca5679e9',
    'concat_reshape_transpose/algebra': 'a252da1ac6c06e00',
    'concat_reshape_transpose/derivatives': 'a252da1ac6c06e00',
    'cumsum_sort/algebra': 'ed5f50eee9cc4b54',
    'cumsum_sort/derivatives': 'ed5f50eee9cc4b54',
    'leaky/algebra': '941dd463bea58907',
    'leaky/derivatives': '941dd463bea58907',
    'leaky/grad': '38db1b52d6122e78',
    'grad_leaky/algebra': '5ea0c12580968ce0',
    'grad_leaky/derivatives': '5ea0c12580968ce0',
    'fancy_index/algebra': 'c34e859cc86e7249',
    'fancy_index/derivatives': 'c34e859cc86e7249',
    'fancy_index/grad': 'b4265c9dfe295853',
    'grad_fancy_index/algebra': 'b544c670479c7643',
    'grad_fancy_index/derivatives': 'b544c670479c7643',
    'pairwise/algebra': '6ac46fb9a8d94478',
    'pairwise/derivatives': '6ac46fb9a8d94478',
    'pairwise/grad': 'f650bc3954c0395f',
    'grad_pairwise/algebra': '10d064dc4105368d',
    'grad_pairwise/derivatives': '10d064dc4105368d',
    'mean_var/algebra': '762ee11ad242138e',
    'mean_var/derivatives': '762ee11ad242138e',
    'mean_var/grad': 'ae66d4ce6eda41b9',
    'grad_mean_var/algebra': 'ee4bbb15bcb53aa4',
    'grad_mean_var/derivatives': 'ee4bbb15bcb53aa4',
    'linalg/algebra': '2eddd64fb8147b52',
    'linalg/derivatives': '2eddd64fb8147b52',
    'linalg/grad': '14f7cc22a62454fb',
    'grad_linalg/algebra': '99f0982fc7365490',
    'grad_linalg/derivatives': '99f0982fc7365490',
    'scan/algebra': 'bcd25cea71bfd6f9',
    'scan/derivatives': 'bcd25cea71bfd6f9',
    'scan/grad': '45ab2486951d94b9',
    'grad_scan/algebra': '1eefacad574c8b71',
    'grad_scan/derivatives': '1eefacad574c8b71',
    'cond/algebra': '2b6f0e5e05029299',
    'cond/derivatives': '2b6f0e5e05029299',
    'while/algebra': '1312cc3b0a6492e2',
    'while/derivatives': '1312cc3b0a6492e2',
    'custom_vjp/algebra': '3e8e9b4422f0a702',
    'custom_vjp/derivatives': '3e8e9b4422f0a702',
    'custom_vjp/grad': '79da91d31ba52ed4',
    'grad_custom_vjp/algebra': '6448333881690286',
    'grad_custom_vjp/derivatives': '6448333881690286',
    'hessian/algebra': 'e298f87ae1830cf3',
    'hessian/derivatives': 'e298f87ae1830cf3',
    'jvp/algebra': '77045bd24aefa318',
    'jvp/derivatives': '77045bd24aefa318',
    'chain2000/grad': '4bf39b600f404c54',
    'sin_exp_tanh/d1': '333f52909aa58e34',
    'sin_exp_tanh/d2': '9ad9f11a054cbd27',
    'sin_exp_tanh/d3': '4bb03db9194947b6',
    'sin_exp_tanh/d4': '2584fc9fbf731776',
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
