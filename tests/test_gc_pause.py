"""wire.ir.gc_paused: the collector is off inside, on again after, and the objects a large
pause allocated leave the youngest generation without a pass over them."""

import gc
import weakref

from wire.ir import gc_paused
from wire.ir import pause


class _Cell:
    pass


def test_large_pause_leaves_the_young_generation_empty():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        kept = [[i] for i in range(3 * pause._PROMOTE_AFTER)]
        assert gc.get_count()[0] > pause._PROMOTE_AFTER
    assert gc.isenabled()
    assert gc.get_count()[0] < 1000  # (promoted: the next young pass walks none of them)
    assert gc.get_freeze_count() == 0
    assert kept[-1] == [3 * pause._PROMOTE_AFTER - 1]


def test_cycles_made_in_a_pause_are_still_collected():
    with gc_paused():
        a, b = _Cell(), _Cell()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        filler = [[i] for i in range(2 * pause._PROMOTE_AFTER)]
        del a, b
    assert ref() is not None  # (a cycle: only the collector frees it)
    gc.collect()
    assert ref() is None
    del filler


def test_objects_a_program_froze_stay_frozen():
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with gc_paused():
            filler = [[i] for i in range(2 * pause._PROMOTE_AFTER)]
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
        del filler
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0 or frozen_before


def test_a_collector_turned_off_by_the_program_stays_off():
    gc.disable()
    try:
        with gc_paused():
            filler = [[i] for i in range(2 * pause._PROMOTE_AFTER)]
        assert not gc.isenabled()
        assert gc.get_count()[0] > pause._PROMOTE_AFTER  # (not its objects to move)
        del filler
    finally:
        gc.enable()
