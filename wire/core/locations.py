"""Where nodes were made: the location table a trace builds for its graph.

Nodes are interned, so one node may appear in graphs traced from different source lines;
``node.loc`` only says where it was *first* made. Each graph therefore carries its own table
(``Graph.locs``), filled while its trace runs:

* :func:`recording` — a trace (or a graph transform) collects, for every node ``bind`` makes
  or finds, the location of that ``bind`` call; inlining a graph into the trace adds the
  inlined graph's locations for the nodes it copies;
* :func:`site` — while a transform runs one node's rule (its JVP, VJP or batching rule), the
  nodes the rule makes take that node's location: the derivative of the ``mul`` traced at
  ``model.py:12`` reports ``model.py:12`` (and ``bind`` skips the walk up the stack).

A control-flow node's sub-graphs (a ``cond``'s branches, a ``scan``'s body) are params, so
interning shares them between equal nodes traced at different lines: a trace's table also
keeps the lines of the sub-graphs it made (``wire.ir.nested_locs``, and ``bind`` when it
finds the node already interned), and what runs, prints or transforms a graph asks its table
first while it descends into the sub-graphs (``wire.ir.locating_by``).

All three are :class:`contextvars.ContextVar` s set by ``with`` blocks, so they are per
thread (and per asyncio task) and nothing outlives the block; they are the only "current
trace" state wire has, and no result depends on them — only reported locations do.
"""

from __future__ import annotations

import contextvars

from ..ir import nested_locs

_RECORD: contextvars.ContextVar = contextvars.ContextVar("wire_locations", default=None)
_SITE: contextvars.ContextVar = contextvars.ContextVar("wire_site", default=None)


class recording:
    """Collect ``{node: "file:line"}`` for the nodes made or found inside the block (the first
    location wins); yields the dict being filled. (A class, not a generator: every eager
    call opens one.)

    >>> import wire, numpy as np
    >>> with recording() as table:
    ...     y = wire.var("x") * 2.0
    >>> table[y.node].split(":")[0]
    '<doctest wire.core.locations.recording[1]>'
    """

    __slots__ = ("table", "_token")

    def __enter__(self) -> dict:
        self.table = {}
        self._token = _RECORD.set(self.table)
        return self.table

    def __exit__(self, *exc):
        _RECORD.reset(self._token)
        return False


def current_table():
    """The table of the innermost :func:`recording` block, or ``None``."""
    return _RECORD.get()


# the site of a transform's rule at a node whose line is unknown: still a rule's site (bind
# builds its nodes as a rule's: in canonical order, keyed, not memoized as a re-trace's), and
# falsy, so bind looks up the caller's line for them, as for no site
NO_LINE = ""


def rule_site(loc):
    """What a transform sets as the site of a node's rule: the node's line, or
    :data:`NO_LINE`."""
    return NO_LINE if loc is None else loc


class site:
    """Inside the block, nodes ``bind`` makes are located at ``loc`` (a node's location,
    while a transform runs that node's rule) instead of at the caller's line."""

    __slots__ = ("loc", "_token")

    def __init__(self, loc):
        self.loc = loc

    def __enter__(self):
        self._token = _SITE.set(self.loc)

    def __exit__(self, *exc):
        _SITE.reset(self._token)
        return False


def current_site():
    """The location set by the innermost :func:`site` block, or ``None``."""
    return _SITE.get()


def record_mapping(graph, mapping) -> None:
    """In the current recording (if any), give each node ``mapping`` made from a node of
    ``graph`` that node's location in ``graph`` (an inlined graph's locations)."""
    table = _RECORD.get()
    if table is None:
        return
    held = []
    for old, new in mapping.items():
        if not new.is_leaf and new not in table:
            loc = graph.loc(old)
            if loc is not None:
                table[new] = loc
        if old.params and not old.is_leaf:
            held.append(old)
    if held:  # the lines of the sub-graphs they hold (as ``graph`` reports them)
        nested_locs(held, graph.locs, table)
