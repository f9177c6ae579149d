"""Building graphs with CPython's cyclic garbage collector paused.

Tracing, transforming, simplifying and compiling a graph allocate many small objects that
all stay alive (nodes, tuples of inputs, dicts keyed by nodes) and almost no garbage cycles.
CPython's generational collector still runs every few hundred allocations, and each full
collection walks every tracked object in the process, so on a graph of 10k–100k nodes the
collector took more than half the time of these stages (measured on a deep scalar chain:
trace 2.5x, simplify 2.3x slower with it on). :func:`gc_paused` turns it off for the length
of such a stage and back on afterwards; cycles made meanwhile (by user code being traced)
are collected as usual later.

No state is kept here: a stage pauses the collector only if it is running, and turns it on
again only if it turned it off, so nested stages (a trace inside a ``grad`` inside a
``jit``) and a program that disabled the collector itself keep working. Two threads that
overlap may end one pause while the other runs (that stage then runs with the collector on,
which is only slower).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused():
    """Run the body with the cyclic garbage collector off (if it was on).

    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
