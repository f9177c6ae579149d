"""Building graphs with CPython's cyclic garbage collector paused.

Tracing, transforming, simplifying and compiling a graph allocate many small objects that
all stay alive (nodes, tuples of inputs, dicts keyed by nodes) and almost no garbage cycles.
CPython's generational collector still runs every few hundred allocations, and each full
collection walks every tracked object in the process, so on a graph of 10k–100k nodes the
collector took more than half the time of these stages (measured on a deep scalar chain:
trace 2.5x, simplify 2.3x slower with it on). :func:`gc_paused` turns it off for the length
of such a stage and back on afterwards; cycles made meanwhile (by user code being traced)
are collected as usual later.

Objects a stage allocated while the collector was off are all in its youngest generation
when it comes back on, and its next (young) pass would walk every one of them: after a large
stage that one pass cost as much as a fifth of the stage (55 ms after simplifying the
derivative of a 10 000-op chain). :func:`resume_collector` hands them to the oldest
generation instead (``gc.freeze`` then ``gc.unfreeze``: two list splices, no walk), where the
collector looks only in its rare full passes, as it does at every long-lived object; cyclic
garbage made during the stage is collected at the next full pass (or ``gc.collect()``)
rather than the next young one. Not done while some objects are frozen (a server that froze
its preloaded modules keeps them frozen), nor after a small stage.

No state is kept here: a stage pauses the collector only if it is running, and turns it on
again only if it turned it off, so nested stages (a trace inside a ``grad`` inside a
``jit``) and a program that disabled the collector itself keep working. Two threads that
overlap may end one pause while the other runs (that stage then runs with the collector on,
which is only slower). The collector's switch is one per process, so a thread that calls
``gc.disable()`` while another thread is inside a pause finds the collector on again when that
pause ends: a program that turns the collector off while wire runs in other threads should do so
before starting them (or call ``gc.disable()`` again afterwards).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

__all__ = ["gc_paused", "resume_collector"]

# allocations during a pause past which resume_collector moves the young objects on
_PROMOTE_AFTER = 20_000


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
        resume_collector()


def resume_collector() -> None:
    """Turn the collector on again after a pause (see the module docstring): the objects the
    pause left in the youngest generation move to the oldest one first, if they are many."""
    if gc.get_count()[0] > _PROMOTE_AFTER and not gc.get_freeze_count():
        gc.freeze()
        gc.unfreeze()
    gc.enable()
