"""Graph simplification: ``simplify`` and the passes it is made of.

``simplify(graph) = pipe(graph, dce, fold_constants, rewrite(ALGEBRA), cse)``; each pass a
``Graph -> Graph`` function returning a new graph with the same inputs, pytree structure and
output avals, and the same values, NaN, inf and signed zeros included. With a table holding
:data:`wire.transforms.rules.COLLECT` (``rules.DERIVATIVES``, which the transforms use on the
derivative graphs they build, or ``rules.UNSAFE``) it is followed by
``pipe(collect_terms, rewrite, cse)`` while that makes the graph smaller (and like terms still
merged in the last round): that re-associates sums and products (see
:mod:`wire.transforms.polynomial` for what it can change). Rules that change NaN/inf
behaviour (``x * 0 -> 0``) live in the same opt-in table
(:data:`wire.transforms.rules.UNSAFE`).

* :func:`dce` — keep only nodes the outputs need (graphs already hold only reachable nodes,
  so this is a re-walk that also drops dead nodes inside nested graphs).
* :func:`fold_constants` — evaluate nodes whose inputs are all constants; uniform results
  become ``full`` nodes (never materialised), small ones ``const`` leaves.
* :func:`rewrite` — the generic bottom-up fixpoint driver over a rule table keyed by
  the primitive (the tables live in :mod:`wire.transforms.rules`).
* :func:`~wire.transforms.polynomial.collect_terms` — sums and products become polynomials
  over the other nodes, like terms merge, and they are re-emitted in Horner form (this is
  what keeps higher-order derivatives small; see its module).
* :func:`cse` — canonical operand order for commutative primitives (``b*a`` and ``a*b`` become
  one node) and merging of equal large constants; the rest of CSE is free, nodes are interned.

The driver is iterative (no recursion over the graph, chains may be 100k deep), rebuilds each
node once per sweep with ``ir.make_node`` (interned), gives each replacement the ``loc`` of
the node it replaces, and asserts every replacement keeps the node's aval.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping


from ..ir import (
    EMPTY_PARAMS, ConstValue, Graph, LeafOp, Node, adopt_sub_graph_locs, const_op, gc_paused,
    live_locs, locating_by, located, make_aval, make_node, substitute_map, toposort,
    with_inputs,
)
from ..ir.keys import (
    OP_CODES as _OP_CODES, PLAIN_PARAMS as _PLAIN_PARAMS, SET_SKEY as _SET_SKEY,
    in_canonical_order as _in_order, is_graphs as _is_graphs, keeps_order as _keeps_order,
    name_code as _name_code, op_code, params_code as _params_code, structural_key,
)
from ..ir.nodes import _intern
from ..core.primitive import Primitive
from ..ops import elementwise as ew
from ..errors import WireError
from .polynomial import collect, loc_reader, own_table_get
from .rules import (
    ALGEBRA, CANONICAL, COLLECT, CONSTANT_OPS, EVERY, FOLD, OPERAND_OPS, SHALLOW, fold_constant,
    sort_operands,
)

__all__ = ["Rewriter", "cse", "dce", "fold_constants", "rewrite", "simplify"]

_MAX_LOCAL_STEPS = 64  # rewrites applied to one node before the driver moves on
_MAX_SWEEPS = 4  # whole-graph sweeps until nothing changes
_PENDING = object()  # Rewriter._site before it is looked up
_SUMS = frozenset((ew.add_p, ew.mul_p))  # the commutative primitives collect_terms makes
_COMMUTATIVE = frozenset(CANONICAL)


# --------------------------------------------------------------------------- the driver


def check_table(rules: Mapping) -> Mapping:
    """``rules`` itself, once its keys are checked: ``Primitive`` objects or ``rules.EVERY``."""
    for key in rules:
        if key != EVERY and key != COLLECT and not isinstance(key, Primitive):
            raise WireError(
                f"rewrite rules are keyed by Primitive objects (e.g. wire.ops.elementwise."
                f"sin_p) or rules.EVERY, not {key!r}"
            )
    return rules


class Rewriter:
    """One simplification run: memo of rewritten nodes and the helpers rules use.

    Rules are ``fn(node, rw) -> Node | None``; ``node``'s inputs are already simplified. A rule
    builds new nodes with :meth:`make` (which simplifies them too) and returns the
    replacement, or ``None`` when it does not apply.
    """

    def __init__(self, rules: Mapping, loc_of: Callable | None = None):
        self.rules = check_table(rules)
        self.memo: dict[Node, Node] = {}
        # where the nodes rules make report: the location (in the graph being simplified,
        # ``loc_of``) of the node being rewritten when they were made
        self.loc_of = loc_of or (lambda n: n.loc)
        # the ``get`` of the one table ``loc_of`` reads (then ``loc_of(n)`` is
        # ``locs_get(n) or n.loc``, inlined where it runs for every node), else None
        self.locs_get = None
        self.made: dict[Node, str] = {}
        self._site = None
        self._site_node = None
        self._depth = 0
        self._star = tuple(rules.get(EVERY, ()))
        self._by_prim: dict = {}  # primitive -> its rules, the rules for every node first
        # the same without the rule a node given to local never needs, the ops one of whose
        # nodes must be an operand for any of those rules to fire (None: no such set), and the
        # ops an operand must not have for a node's combination to be remembered as cold
        # (None: never; see rules.SHALLOW)
        self._first: dict = {}
        # combinations (see _cold_key) at which the first rules fired nowhere and made nothing
        self._cold: set = set()
        self._infos: dict = {}  # primitive -> what the sweep needs of it (see _info)
        # primitives whose operands the table puts in canonical order: nodes built here get
        # that order at once (one node instead of a node and its sorted twin)
        self._sorted = {p for p, fns in rules.items() if p != EVERY and sort_operands in fns}

    # ---- building nodes
    def make(self, prim, inputs, loc=None, **params) -> Node:
        """The simplified node ``prim(*inputs, **params)`` (aval from the primitive's rule)."""
        inputs = tuple(inputs)
        avals = [i.aval for i in inputs]
        if any(a.shape is None for a in avals):  # on a shapeless wire.var: as bind makes it
            aval = make_aval(None, prim.dtype(*[a.dtype for a in avals], **params))
        else:
            aval = prim.shape(*avals, **params)
        if prim in self._sorted:
            inputs = _in_order(inputs)
        node = make_node(prim, inputs, params or EMPTY_PARAMS, aval, loc)
        site = self._current_site()
        if site is not None:
            self.made.setdefault(node, site)
        return self.local(node)

    def remake(self, node: Node, inputs) -> Node:
        """``node`` with new inputs (same op, params, aval, loc), simplified."""
        inputs = tuple(inputs)
        if node.op in self._sorted:
            inputs = _in_order(inputs)
        return self.local(with_inputs(node, inputs))

    # ---- the local fixpoint
    def local(self, node: Node) -> Node:
        """Apply rules at ``node`` (whose inputs are simplified) until none fires."""
        memo = self.memo
        done = memo.get(node)
        if done is not None:
            return done
        first = self._first.get(node.op)
        if first is None:
            first = self._first_rules_for(node)
        fns, gate, deep = first
        if not fns:  # nothing can fire here
            memo[node] = node
            return node
        if gate is not None:  # every rule here needs an operand made by one of these ops
            ins = node.inputs
            if ins:
                for i in ins:
                    if i.op in gate:
                        break
                else:  # (most nodes of a large graph: no rule is called)
                    memo[node] = node
                    return node
        depth = self._depth
        if depth >= 200:  # rules building rules: stop expanding, stay correct
            memo[node] = node
            return node
        key = None if deep is None else _cold_key(node.op, node._items, node.aval,
                                                  node.inputs, deep)
        if key is not None:
            if key in self._cold:  # (a chain's steps: the same constant, another operand)
                memo[node] = node
                return node
            sizes = len(memo), len(self.made)
        outer_site, outer_node = self._site, self._site_node
        # the site (where the nodes rules make report) is looked up only if a rule makes
        # one: most nodes fire no rule
        self._site, self._site_node = _PENDING, node
        self._depth = depth + 1
        try:
            for fn in fns:  # the first rule that fires
                new = fn(node, self)
                if new is not None and new is not node:
                    break
            else:  # (most nodes: no rule fires, a fixpoint at once)
                if key is not None and sizes == (len(memo), len(self.made)):
                    self._cold.add(key)  # (the rules left no trace: none will here again)
                memo[node] = node
                return node
            out = self._fire(node, new)
        finally:
            self._depth = depth
            self._site, self._site_node = outer_site, outer_node
        memo[node] = out
        memo[out] = out
        return out

    def _fire(self, node: Node, new: Node) -> Node:
        """:meth:`local` once a rule turned ``node`` into ``new``: go on to a fixpoint, at
        most ``_MAX_LOCAL_STEPS`` rewrites in all."""
        steps = 1
        while True:
            if new.aval is not node.aval and new.aval != node.aval:
                raise AssertionError(
                    f"simplify rule changed {node!r} into {new!r}: avals differ"
                )
            if new.loc is None and node.loc is not None:
                new = with_inputs(new, new.inputs, node.loc)
            site = self._current_site()
            if site is not None:
                self.made.setdefault(new, site)
            done = self.memo.get(new)
            if done is not None:
                return done
            node = new
            if steps == _MAX_LOCAL_STEPS:
                return node
            steps += 1
            for fn in self._rules_for(node):  # the first rule that fires
                new = fn(node, self)
                if new is not None and new is not node:
                    break
            else:
                return node

    def _current_site(self):
        """The location the nodes rules make now report (see :meth:`local`)."""
        site = self._site
        if site is _PENDING:
            n = self._site_node
            site = self._site = self.made.get(n) or self.loc_of(n)
        return site

    def _rules_for(self, node: Node) -> tuple:
        prim = node.op
        fns = self._by_prim.get(prim)
        if fns is None:
            fns = self._by_prim[prim] = self._star + tuple(self.rules.get(prim, ()))
        return fns

    def _first_rules_for(self, node: Node) -> tuple:
        """``(rules, gate, deep)``: the rules to try first at a node ``local`` is given
        (sweep, ``make`` and ``remake`` put commutative operands in order already, so
        ``sort_operands`` cannot fire there; it stays in :meth:`_rules_for`, for the nodes
        other rules return), the ops one of the node's operands must have for any of them to
        fire (``rules.OPERAND_OPS``; None where a rule has no such set), and the ops of the
        operands that would make a rule not in ``rules.SHALLOW`` worth calling (None where
        such a rule has no ``OPERAND_OPS``: then no combination is remembered as cold)."""
        prim = node.op
        first = self._first.get(prim)
        if first is None:
            fns = self._rules_for(node)
            if prim in self._sorted:
                fns = tuple(fn for fn in fns if fn is not sort_operands)
            gate = None
            if fns and all(fn in OPERAND_OPS for fn in fns):
                gate = frozenset().union(*[OPERAND_OPS[fn] for fn in fns])
            deep = None
            if fns and all(fn in SHALLOW or fn in OPERAND_OPS for fn in fns):
                deep = frozenset().union(*[OPERAND_OPS[fn] for fn in fns if fn not in SHALLOW])
            first = self._first[prim] = (fns, gate, deep)
        return first

    def _moved(self, old: Node, new: Node) -> Node:
        """``new``, rebuilt from ``old``, reports ``old``'s location."""
        loc = self.loc_of(old)
        if loc is not None:
            self.made.setdefault(new, loc)
        return new

    # ---- helpers for rules
    def skey(self, node: Node) -> int:
        """A structural hash of ``node`` that is the same in every process (for sorting)."""
        return structural_key(node)

    def _info(self, node: Node) -> tuple:
        """What the sweep needs of ``node``'s primitive, worked out once per primitive (one
        lookup per node instead of one per question): ``(code, sorted, commutative, quiet,
        gate, deep)`` — its code in structural keys, whether the table puts its operands in
        order, whether its key sorts its operands' keys, whether no first rule can fire at
        it, and the ``gate`` and ``deep`` sets of :meth:`_first_rules_for`."""
        prim = node.op
        fns, gate, deep = self._first_rules_for(node)
        code = _OP_CODES.get(prim)
        if code is None:
            code = op_code(prim)
        info = self._infos[prim] = (code, prim in self._sorted, prim in _COMMUTATIVE, not fns,
                                    gate, deep)
        return info

    def sweep(self, outputs, order=None) -> list[Node]:
        """One bottom-up pass over everything ``outputs`` need; iterative. ``order``: those
        nodes in a topological order (default: ``toposort(outputs)``)."""
        memo, local, sorted_ = self.memo, self.local, self._sorted
        loc_of, made = self.loc_of, self.made
        locs_get = self.locs_get
        set_key, cold = _SET_SKEY, self._cold
        consts, plain = CONSTANT_OPS, _PLAIN_PARAMS
        infos = self._infos
        for node in toposort(outputs) if order is None else order:
            if node in memo:
                continue
            items = node._items
            # no params, or one of a plain type (integer_pow's y): no graphs among them
            if not items or (len(items) == 1 and type(items[0][1]) in plain):
                ins = node.inputs
                if ins:
                    op = node.op
                    info = infos.get(op)
                    if info is None:
                        info = self._info(node)
                    code, srt, comm, quiet, gate, deep = info
                    if items:  # (the key of its params: structural_key's)
                        code = (code, _params_code(node))
                    # the operands' structural keys, in the new operand order: the key of the
                    # node this makes is then one hash here (keys are asked for nearly every
                    # node: each operand of a sum or product), not a walk back to keyed nodes
                    if len(ins) == 2:  # (most nodes: a binary operation)
                        x0, y0 = ins
                        x, y = memo[x0], memo[y0]
                        kx, ky = x._skey, y._skey
                        if kx is None:
                            kx = structural_key(x)
                        if ky is None:
                            ky = structural_key(y)
                        ox, oy = x.op, y.op
                        cx = ox in consts  # (_in_order: a constant last, else by key)
                        if srt and ((ky < kx) if cx is (oy in consts) else cx) \
                                and not _keeps_order(x, y):
                            x, y, kx, ky, ox, oy = y, x, ky, kx, oy, ox
                        same = x is x0 and y is y0
                        # (the key of a commutative node: its operands' keys in sorted order;
                        # not worked out again for a node keyed already, that stays)
                        if same and node._skey is not None:
                            skey = None
                        elif not items:
                            skey = hash((code, 0, ky, kx) if comm and ky < kx else
                                        (code, 0, kx, ky))
                        else:
                            skey = hash((*code, ky, kx) if comm and ky < kx else
                                        (*code, kx, ky))
                        # whether no rule can fire at the node (local's first tests, inline:
                        # most nodes of a large graph): then it is its own result
                        if not quiet:
                            if gate is not None:
                                quiet = ox not in gate and oy not in gate
                            if not quiet and deep is not None and ox not in deep \
                                    and oy not in deep:  # (local's cold test, inline)
                                cx, cy = ox in consts, oy in consts
                                quiet = (op, items, node.aval, x if cx else ox,
                                         None if cx else x.aval, y if cy else oy,
                                         None if cy else y.aval) in cold
                        if not same:
                            new = (x, y)
                    elif len(ins) == 1:  # (a unary operation: no tuple unless rebuilt)
                        x0 = ins[0]
                        x = memo[x0]
                        kx = x._skey
                        if kx is None:
                            kx = structural_key(x)
                        same = x is x0
                        skey = None if same and node._skey is not None else \
                            hash((code, 0, kx) if not items else (*code, kx))
                        if not quiet:  # (as for two operands)
                            ox = x.op
                            if gate is not None:
                                quiet = ox not in gate
                            if not quiet and deep is not None and ox not in deep:
                                cx = ox in consts
                                quiet = (op, items, node.aval, x if cx else ox,
                                         None if cx else x.aval) in cold
                        if not same:
                            new = (x,)
                    else:
                        new, skey = tuple([memo[i] for i in ins]), None
                        if srt:
                            new = _in_order(new)
                        same = new == ins  # element identity: nodes compare by identity
                        if not quiet:
                            if gate is not None:
                                for i in new:
                                    if i.op in gate:
                                        break
                                else:
                                    quiet = True
                            if not quiet and deep is not None:  # (local's cold test, inline)
                                key = _cold_key(op, items, node.aval, new, deep)
                                quiet = key is not None and key in cold
                    if not same:
                        # (with_inputs, inline: no params)
                        rebuilt = _intern(op, new, items, node.params, node.aval, node.loc)
                        if skey is not None and rebuilt._skey is None:  # (structural_key's)
                            set_key(rebuilt, skey)
                        if quiet and rebuilt.inputs is new:  # (made just now: in no memo yet)
                            # no rule runs at it, so only the graph's table reads its line,
                            # and _rebuild gives it the line of ``node`` (its memo entry)
                            memo[rebuilt] = rebuilt
                            memo[node] = rebuilt
                            continue
                        # (_moved, inline: this runs for most nodes)
                        loc = loc_of(node) if locs_get is None else locs_get(node) or node.loc
                        if loc is not None:
                            made.setdefault(rebuilt, loc)
                        if quiet:
                            done = memo.get(rebuilt)
                            if done is None:
                                done = memo[rebuilt] = rebuilt
                            memo[node] = done
                        else:
                            memo[node] = local(rebuilt)
                        continue
                    if skey is not None and node._skey is None:  # (as above)
                        set_key(node, skey)
                    if quiet:
                        memo[node] = node
                        continue
            elif has_graph_params(node):
                ins = tuple([memo[i] for i in node.inputs])
                if node.op in sorted_:
                    ins = _in_order(ins)
                params = _simplify_graph_params(node.params, self.rules)
                if params is not node.params or ins != node.inputs:
                    made_node = make_node(node.op, ins, params, node.aval, node.loc)
                    adopt_sub_graph_locs(made_node, params, made)  # if interned before
                    memo[node] = local(self._moved(node, made_node))
                    continue
            elif node.inputs:
                ins = tuple([memo[i] for i in node.inputs])
                if node.op in sorted_:
                    ins = _in_order(ins)
                if ins != node.inputs:  # element identity: nodes compare by identity
                    memo[node] = local(self._moved(node, with_inputs(node, ins)))
                    continue
            memo[node] = local(node)
        return [memo[o] for o in outputs]


def _cold_key(op, items: tuple, aval, ins: tuple, deep: frozenset):
    """What the answer of ``rules.SHALLOW`` rules at the node ``op(*ins)`` (params ``items``,
    ``aval``) depends on: its primitive, params and aval, each operand's primitive and aval,
    or the operand itself if it is a constant; None where that is not all (an operand made by
    one of the ``deep`` ops, which other rules look into, or params whose zeros may be signed,
    which the intern key tells apart)."""
    for _, v in items:
        if type(v) not in _PLAIN_PARAMS:
            return None
    if len(ins) == 2:
        x, y = ins
        ox, oy = x.op, y.op
        if ox in deep or oy in deep:
            return None
        return (op, items, aval,
                x if ox in CONSTANT_OPS else ox, None if ox in CONSTANT_OPS else x.aval,
                y if oy in CONSTANT_OPS else oy, None if oy in CONSTANT_OPS else y.aval)
    key = [op, items, aval]
    for i in ins:
        o = i.op
        if o in deep:
            return None
        if o in CONSTANT_OPS:
            key.append(i)
            key.append(None)
        else:
            key.append(o)
            key.append(i.aval)
    return tuple(key)


def has_graph_params(node: Node) -> bool:
    for _, v in node._items:  # (no generator: asked for every node with params)
        if type(v) not in _PLAIN_PARAMS and _is_graphs(v):
            return True
    return False


def _simplify_graph_params(params, rules):
    if not params or not any(_is_graphs(v) for v in params.values()):
        return params
    ev = params.evolver()
    changed = False
    for k, v in params.items():
        if isinstance(v, Graph):
            new = _simplify_nested(v, rules)
        elif _is_graphs(v):
            new = type(v)(_simplify_nested(g, rules) for g in v)
        else:
            continue
        if new != v:
            ev[k] = new
            changed = True
            # a custom call's rule holds the graph of its graph param (wire.loads checks
            # that the two are one): it takes the simplified graph too
            rule = params.get("rule")
            if k == "graph" and getattr(rule, "graph", None) == v and hasattr(rule, "with_graph"):
                ev["rule"] = rule.with_graph(new)
    return ev.persistent() if changed else params




def _rebuild(graph: Graph, outputs, mapping=None, made=None, memo=None) -> Graph:
    """``graph`` with new ``outputs``; each node ``mapping`` made from an old one reports the
    old one's location, the nodes rules ``made`` theirs (and ``graph``'s table carries over
    for the nodes that stay). ``memo`` instead of ``mapping``: a rewrite's memo, read for
    ``graph``'s nodes (in their order) without building the mapping."""
    outputs = tuple(outputs)
    if outputs == graph.outputs:
        return graph
    locs = dict(made) if made else {}
    loc_of = loc_reader(graph)
    mapped = False
    lget = own_table_get(graph) if memo is not None else None
    if lget is not None:  # (the usual case, as one comprehension: loc_of inline)
        mget, own = memo.get, graph.locs
        # (a node that stays, with a line in the table: the update below gives it that line)
        moved = {new: loc for old in graph.nodes if (new := mget(old)) is not None
                 and (new is not old or old not in own)
                 and (loc := lget(old) or old.loc) is not None}
        mapped = bool(moved) or any(old in memo for old in graph.nodes)
        locs.update(moved)  # (a later old node's location wins, as in the loop below)
    elif memo is not None:
        get = memo.get
        for old in graph.nodes:
            new = get(old)
            if new is not None:
                mapped = True
                loc = loc_of(old)
                if loc is not None:
                    locs[new] = loc
    elif mapping:
        mapped = True
        for old, new in mapping.items():
            loc = loc_of(old)
            if loc is not None:
                locs[new] = loc
    if not mapped and not made:
        return Graph(graph.inputs, outputs, graph.in_tree, graph.out_tree, graph.locs)
    locs.update(graph.locs)
    return Graph(graph.inputs, outputs, graph.in_tree, graph.out_tree, locs)


def rewrite(rules: Mapping) -> Callable[[Graph], Graph]:
    """A pass applying ``rules`` (``{primitive: (rule, ...)}``) bottom-up to a fixpoint.

    >>> import wire, wire.numpy as wnp
    >>> from wire.transforms.rules import ALGEBRA
    >>> g = wire.trace(lambda x: (x * 1.0) - 0.0, 2.0)
    >>> len(g), len(rewrite(ALGEBRA)(g))
    (2, 0)
    """
    check_table(rules)

    def rewrite_pass(graph: Graph) -> Graph:
        with gc_paused():  # see wire.ir.pause
            return _rewrite_with(Rewriter(rules), graph)

    rewrite_pass.__name__ = "rewrite"
    return rewrite_pass



def _rewrite_with(rw: Rewriter, graph: Graph) -> Graph:
    """``graph`` rewritten to a fixpoint by ``rw``, whose memo may already hold nodes an
    earlier pass of the same run simplified: those are not visited again (so the rewrite
    after ``collect_terms`` only looks at the nodes it made)."""
    for _ in range(_MAX_SWEEPS):
        rw.loc_of, rw.locs_get = loc_reader(graph), own_table_get(graph)
        # graph.nodes: computed once per graph and shared with the passes that follow
        new = tuple(rw.sweep(graph.outputs, graph.nodes))
        if new == graph.outputs:
            break
        graph = _rebuild(graph, new, made=rw.made, memo=rw.memo)
    return graph


# --------------------------------------------------------------------------- passes


def dce(graph: Graph) -> Graph:
    """Drop nodes the outputs do not need (also inside nested graphs).

    Graphs only ever hold nodes reachable from their outputs, so this is a fresh graph over
    the same outputs; it exists so pipelines read as the list of their effects.

    >>> import wire
    >>> g = wire.trace(lambda x: x * 2.0, 1.0)
    >>> dce(g) == g
    True
    """
    return graph.with_locs(graph.locs)  # (keeps the node order if sorted already)


def fold_constants(graph: Graph) -> Graph:
    """Replace every node whose inputs are all constants by its value.

    Uniform results become ``full`` nodes (however big), scalars and small arrays become
    ``const`` leaves; big non-uniform results stay as they are.

    >>> import numpy as np, wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: x * (wnp.cos(wnp.zeros_like(x)) + 1.0), np.ones(3))
    >>> len(g), len(fold_constants(g))  # full(3, 2.0) and the mul remain
    (4, 2)
    """
    return rewrite(FOLD)(graph)


def cse(graph: Graph) -> Graph:
    """Common-subexpression elimination beyond interning.

    Puts the operands of commutative primitives in a canonical order and merges large
    constants of equal content (small ones are already interned by content).

    >>> import wire
    >>> g = wire.trace(lambda x, y: x * y + y * x, 1.0, 2.0)
    >>> len(g), len(cse(g))
    (3, 2)
    """
    return _cse(graph)


def _cse(graph: Graph, ordered: bool = False) -> Graph:
    """:func:`cse`; ``ordered``: a rewrite that sorts commutative operands (``CANONICAL``'s
    rule) made ``graph``, so every such node is in order already."""
    consts: dict = {}
    mapping: dict[Node, Node] = {}
    holds_graphs = False
    for n in graph.nodes:
        if not n._items:  # (no params: neither a constant nor a node holding graphs)
            continue
        if n.op is const_op:
            if n.params["value"].array.nbytes > ConstValue.CONTENT_KEY_BYTES:
                a = n.params["value"].array
                key = (a.dtype.str, a.shape, a.tobytes())
                mapping[n] = consts.setdefault(key, n)
        elif not holds_graphs and has_graph_params(n):
            holds_graphs = True
    if any(k is not v for k, v in mapping.items()):
        new = substitute_map(list(graph.outputs), mapping)
        graph = _rebuild(graph, [new[o] for o in graph.outputs], new)
    elif ordered:  # (the same walk told: _in_canonical_order's answer)
        if not holds_graphs:  # the usual case after rewrite(ALGEBRA)
            return graph
        return rewrite(CANONICAL)(graph)
    if _in_canonical_order(graph, ordered):
        return graph
    return rewrite(CANONICAL)(graph)


def _in_canonical_order(graph: Graph, ordered: bool = False) -> bool:
    """Whether ``rewrite(CANONICAL)`` would leave ``graph`` as it is: no node holds graphs
    (those it would simplify) and every commutative node has its operands in the order
    :func:`~wire.transforms.rules.sort_operands` (CANONICAL's one rule) gives them (known
    if ``ordered``)."""
    if ordered:
        return not any(n._items and has_graph_params(n) for n in graph.nodes)
    for n in graph.nodes:
        if has_graph_params(n):
            return False
        if n.op in CANONICAL:
            x, y = n.inputs
            if x is not y and not _keeps_order(x, y) and _in_order((x, y))[0] is y:
                return False
    return True


def primitive_passes(graph: Graph) -> Graph:
    """``graph`` after the ``simplify_pass`` of each primitive it holds (``scan`` merges and
    prunes loops this way), in the order of their names.

    >>> import numpy as np, wire
    >>> f = lambda xs: wire.scan(lambda c, x: (c + x, c * x), 0.0, xs)[0]
    >>> g = wire.trace(f, np.ones(3))
    >>> [len(n.params["body"].outputs) for n in primitive_passes(g).nodes
    ...  if n.op.name == "scan"]
    [1]
    """
    # (the set of ops first: one attribute read per node, the tests once per op)
    prims = {op for op in {n.op for n in graph.nodes}
             if not isinstance(op, LeafOp) and op.simplify_pass is not None}
    for prim in sorted(prims, key=lambda p: p.name):
        new = prim.simplify_pass(graph)
        graph = new if new.locs or not graph.locs else new.with_locs(graph.locs)
    return graph


def simplify(graph: Graph, rules: Mapping | None = None) -> Graph:
    """A smaller graph computing the same values: constant folding, algebraic identities,
    common-subexpression and dead-node elimination.

    Same inputs, pytree structure and output avals; the same values, NaN, infinities and
    signed zeros. ``rules`` replaces the default rule table
    (:data:`wire.transforms.rules.ALGEBRA`); ``rules.DERIVATIVES`` (what the transforms use)
    also collects like terms of sums and products, and ``rules.combine(rules.ALGEBRA,
    rules.UNSAFE)`` adds rules such as ``x * 0 -> 0`` that turn ``inf * 0 = nan`` into 0.
    Loops that share a primal computation with their VJP are merged first (``scan``'s
    ``simplify_pass``, see :func:`primitive_passes`).

    >>> import wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: -(-x) * 1.0 - wnp.zeros(()), 2.0)
    >>> len(g), len(wire.simplify(g))
    (4, 0)
    """
    with gc_paused():  # see wire.ir.pause
        # each pass's table keeps the entries of the last (and of nodes passes dropped):
        # only the result's own are worth carrying on (they are what it reports)
        return live_locs(_simplify(graph, ALGEBRA if rules is None else rules))


def simplify_linear(graph: Graph, rules: Mapping | None = None) -> Graph:
    """:func:`simplify`'s linear-time passes only (dead nodes, primitive passes, the rewrite
    rules with folding, common subexpressions), without collecting like terms even where
    ``rules`` asks for it: for large graphs run once, where collecting costs most and pays
    least.

    >>> import wire, wire.numpy as wnp
    >>> g = wire.trace(lambda x: -(-x) * 1.0 - wnp.zeros(()), 2.0)
    >>> len(simplify_linear(g))
    0
    """
    with gc_paused():
        return live_locs(_simplify(graph, ALGEBRA if rules is None else rules, collecting=False))


# what collect needs to key the nodes it makes in the rewrite's order (it cannot import
# this module: this one imports it)
_KEYING = (structural_key, _OP_CODES, _name_code, _SET_SKEY, _params_code)


def _passes(graph: Graph, *passes) -> Graph:
    """``graph`` through ``passes`` in turn, each inside a :func:`locating_by` block of the
    graph it is given, so the sub-graphs its nodes hold report that graph's lines (a pass may
    make nodes holding graphs that interning shares with another trace)."""
    for p in passes:
        with locating_by(graph):
            graph = p(graph)
    return graph


def _simplify(graph: Graph, table, collecting: bool = True) -> Graph:
    # one Rewriter (one memo) for the whole run: each later rewrite visits new nodes only
    rw = Rewriter(table)

    def rewrite_shared(g: Graph) -> Graph:
        return _rewrite_with(rw, g)

    # a table that folds as it rewrites (ALGEBRA, DERIVATIVES) needs no folding pass first
    fold = () if fold_constant in table.get(EVERY, ()) else (fold_constants,)
    ordered = rw._sorted >= _COMMUTATIVE  # then the rewrite leaves the graph in cse's order

    def cse_after(g: Graph) -> Graph:
        return _cse(g, ordered)

    graph = _passes(graph, dce, primitive_passes, *fold, rewrite_shared, cse_after)
    if not (collecting and table.get(COLLECT)):
        return graph
    # collect_terms re-expands shared sums, which can grow a graph: keep only improvements
    size = len(graph)
    for _ in range(_MAX_SWEEPS):
        with locating_by(graph):
            collected, merging = (collect(graph, _in_order, _KEYING) if rw._sorted >= _SUMS
                                  else collect(graph))
        if collected is graph:  # nothing to collect: the rewrite would give graph again
            break
        if graph.locs and not collected.locs:  # the nodes it keeps report their lines
            collected = collected.with_locs(graph.locs)
        candidate = _passes(collected, rewrite_shared, cse_after)
        new_size = len(candidate)
        if candidate == graph or new_size >= size:
            break
        graph, size = candidate, new_size
        if not merging:  # no like terms met: another round re-emits the same polynomials
            break
    return graph


# --------------------------------------------------------------------------- nested graphs

_NESTED: OrderedDict = OrderedDict()  # memo: (graph, its lines, id(rules)) -> (rules, result)
_NESTED_LIMIT = 256
_NESTED_LOCK = threading.Lock()


def _simplify_nested(graph: Graph, rules) -> Graph:
    """``simplify`` of a graph held in a node's params. Every pass over the outer graph
    meets the same nested graphs again (and so on at each level of nesting, which made the
    cost exponential in the depth): the results are memoized."""
    # locs_key: the lines it reports here (interning shares sub-graphs between traces)
    key = (graph, graph.locs_key, id(rules))
    with _NESTED_LOCK:
        hit = _NESTED.get(key)
    if hit is not None and hit[0] is rules:
        return hit[1]
    out = simplify(located(graph), rules)
    with _NESTED_LOCK:
        _NESTED[key] = (rules, out)
        while len(_NESTED) > _NESTED_LIMIT:
            _NESTED.popitem(last=False)
    return out
