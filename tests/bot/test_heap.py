"""The heap is settled once warm: start-up objects frozen, young collections rarer, cycles still collected."""

from __future__ import annotations

import gc
import weakref

import pytest

from bot.heap import YOUNG_THRESHOLD, settle_heap


@pytest.fixture
def restore_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settling_freezes_what_survived_and_raises_the_young_threshold(restore_gc) -> None:
    kept = [object() for _ in range(100)]
    frozen = settle_heap()
    assert frozen >= 100 and gc.get_freeze_count() == frozen
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert kept


def test_cycles_made_after_settling_are_still_collected(restore_gc) -> None:
    settle_heap()

    class Node:
        pass

    node = Node()
    node.self = node  # a reference cycle: only the collector frees it
    alive = weakref.ref(node)
    del node
    gc.collect()
    assert alive() is None
