"""Freezing long-lived objects keeps them from the collector until the next freeze frees
whatever of them has become garbage (a model replaced by a reload)."""

from __future__ import annotations

import gc
import weakref

from risk.heap import freeze_long_lived


class _Node:
    """An object in a reference cycle: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


def test_a_frozen_object_dropped_since_is_freed_by_the_next_freeze():
    try:
        node = _Node()
        alive = weakref.ref(node)
        freeze_long_lived()
        del node
        gc.collect()
        assert alive() is not None  # frozen: the collector's passes leave it alone
        freeze_long_lived()
        assert alive() is None
    finally:
        gc.unfreeze()
